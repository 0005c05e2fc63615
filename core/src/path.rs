//! Validation of repository-relative paths.
//!
//! Every path gensync writes, deletes or records comes through [`validate()`]: the build output is
//! input from a generator we do not control, and a path such as `../x` or `.git/config` would let
//! it write outside the target directory or into git's own data.

/// The ways a path can be unfit for a repository.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// The path is empty.
    #[error("empty path: every file needs a name")]
    Empty,
    /// The path starts with `/`.
    #[error("absolute path {path:?}: paths must be relative to the build output folder")]
    Absolute {
        /// The offending path.
        path: String,
    },
    /// A `.` or `..` segment, or an empty segment (`a//b`, trailing `/`).
    #[error("path {path:?} has a {segment:?} segment: paths must be normalised (no '.', '..' or empty segments)")]
    NotNormalised {
        /// The offending path.
        path: String,
        /// The offending segment.
        segment: String,
    },
    /// A `.git` segment (in any letter case), which git itself refuses to track.
    #[error("path {path:?} is inside a '.git' folder, which git refuses to track; remove it from the build output")]
    GitDir {
        /// The offending path.
        path: String,
    },
    /// NUL or another control character, which git paths, manifests and logs cannot carry safely.
    #[error("path {path:?} contains the control character {byte:#04x}; rename the file")]
    ControlCharacter {
        /// The offending path.
        path: String,
        /// The control character.
        byte: u8,
    },
    /// A segment git itself refuses to check out (`core.protectNTFS`/`core.protectHFS`): a name
    /// that a Windows or macOS file system reads as `.git` (`.git.`, `.git ` with a trailing
    /// space, `git~1`, `.git::$DATA`, `.g\u{200c}it`).
    #[error("path {path:?} has the segment {segment:?}, which {reason}; git refuses to check it out on Windows or macOS: rename it")]
    GitProtected {
        /// The offending path.
        path: String,
        /// The offending segment.
        segment: String,
        /// What git's check found.
        reason: String,
    },
    /// A backslash, which would be a separator on Windows checkouts.
    #[error("path {path:?} contains a backslash, which is a separator on Windows; use '/' or rename the file")]
    Backslash {
        /// The offending path.
        path: String,
    },
}

/// Check that `path` is a normalised, relative, `/`-separated path that git can track safely.
///
/// Rules: not empty, no leading `/`, no empty, `.` or `..` segment, no `.git` segment in any
/// letter case (git on case-insensitive file systems treats `.GIT` as `.git`), no control
/// characters (NUL, newline, …) and no backslash; and every segment passes git's own component
/// check (gix-validate) with the NTFS and HFS protections on, as `core.protectNTFS` and
/// `core.protectHFS` do: no name a Windows or macOS file system would read as `.git`.
pub fn validate(path: &str) -> Result<(), Error> {
    if path.is_empty() {
        return Err(Error::Empty);
    }
    if path.starts_with('/') {
        return Err(Error::Absolute { path: path.into() });
    }
    if let Some(byte) = path.bytes().find(|b| *b < 0x20 || *b == 0x7f) {
        return Err(Error::ControlCharacter {
            path: path.into(),
            byte,
        });
    }
    if path.contains('\\') {
        return Err(Error::Backslash { path: path.into() });
    }
    for segment in path.split('/') {
        if segment.is_empty() || segment == "." || segment == ".." {
            return Err(Error::NotNormalised {
                path: path.into(),
                segment: segment.into(),
            });
        }
        if segment.eq_ignore_ascii_case(".git") {
            return Err(Error::GitDir { path: path.into() });
        }
        if let Err(e) = gix_validate::path::component(segment.as_bytes().into(), None, PROTECT) {
            let reason = match e {
                gix_validate::path::component::Error::DotGitDir => {
                    "a Windows or macOS file system reads as '.git'".to_owned()
                }
                other => other.to_string().to_lowercase(),
            };
            return Err(Error::GitProtected {
                path: path.into(),
                segment: segment.into(),
                reason,
            });
        }
    }
    Ok(())
}

/// git's protections of path components: NTFS and HFS on (names read as `.git` on Windows or
/// macOS); the Windows name rules (`aux`, trailing dots, `:`) off, as on git for Linux.
const PROTECT: gix_validate::path::component::Options = gix_validate::path::component::Options {
    protect_windows: false,
    protect_hfs: true,
    protect_ntfs: true,
};

/// Whether `segment` is `.gitmodules` as git sees it on any file system (any letter case, NTFS
/// short names such as `gitmod~1`, HFS ignorable code points). A build output must not carry
/// one: it would declare submodules in the repository.
pub fn is_gitmodules(segment: &str) -> bool {
    matches!(
        gix_validate::path::component(
            segment.as_bytes().into(),
            Some(gix_validate::path::component::Mode::Symlink),
            PROTECT
        ),
        Err(gix_validate::path::component::Error::SymlinkedGitModules)
    )
}

/// Join a target directory (`""` for the repository root) and a path relative to it.
pub fn join(dir: &str, path: &str) -> String {
    if dir.is_empty() {
        path.to_owned()
    } else {
        format!("{dir}/{path}")
    }
}

/// The part of `path` below `dir`, or `None` if `path` is not inside `dir` (`""` contains all).
pub fn strip_dir<'a>(dir: &str, path: &'a str) -> Option<&'a str> {
    if dir.is_empty() {
        return Some(path);
    }
    path.strip_prefix(dir)?.strip_prefix('/')
}

/// Normalise a target directory given by a person: trims surrounding `/` and validates the rest.
/// `""`, `"."` and `"/"` mean the repository root.
pub fn normalise_dir(dir: &str) -> Result<String, Error> {
    let trimmed = dir.trim_matches('/');
    if trimmed.is_empty() || trimmed == "." {
        return Ok(String::new());
    }
    let trimmed = trimmed.strip_prefix("./").unwrap_or(trimmed);
    validate(trimmed)?;
    Ok(trimmed.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_normal_paths() {
        for p in [
            "a",
            "a/b.txt",
            "src/ünïcode/файл.rs",
            ".github/workflows/x.yml",
            "a b/c d",
        ] {
            validate(p).expect("valid");
        }
    }

    #[test]
    fn rejects_bad_paths_naming_them() {
        assert_eq!(validate(""), Err(Error::Empty));
        assert!(
            matches!(validate("/etc/passwd"), Err(Error::Absolute { path }) if path == "/etc/passwd")
        );
        assert!(
            matches!(validate("a/../b"), Err(Error::NotNormalised { segment, .. }) if segment == "..")
        );
        assert!(matches!(validate("./a"), Err(Error::NotNormalised { .. })));
        assert!(matches!(validate("a//b"), Err(Error::NotNormalised { .. })));
        assert!(matches!(validate("a/"), Err(Error::NotNormalised { .. })));
        assert!(
            matches!(validate(".git/config"), Err(Error::GitDir { path }) if path == ".git/config")
        );
        assert!(matches!(
            validate("x/.GIT/hooks/pre-commit"),
            Err(Error::GitDir { .. })
        ));
        assert!(matches!(
            validate("a\0b"),
            Err(Error::ControlCharacter { byte: 0, .. })
        ));
        assert!(matches!(
            validate("a\nb"),
            Err(Error::ControlCharacter { byte: b'\n', .. })
        ));
        assert!(matches!(validate("a\\b"), Err(Error::Backslash { .. })));
        // git's NTFS and HFS protections (core.protectNTFS, core.protectHFS).
        for bad in [
            ".git.",
            ".git ",
            "git~1",
            "GIT~1",
            ".git::$DATA",
            ".Git",
            ".g\u{200c}it",
            "\u{200d}.git",
            ".git\u{feff}",
        ] {
            let path = format!("src/{bad}/hooks/post-checkout");
            assert!(
                matches!(
                    validate(&path),
                    Err(Error::GitProtected { .. } | Error::GitDir { .. })
                ),
                "{bad:?} accepted"
            );
        }
        let msg = validate("a/git~1/x").unwrap_err().to_string();
        assert!(msg.contains("git~1") && msg.contains("rename"), "{msg}");
        // Names that only look similar are fine.
        for good in [
            ".github",
            ".gitignore",
            ".gitattributes",
            "git",
            "x.git",
            ".gitkeep",
        ] {
            validate(good).expect(good);
        }
        for gm in [
            ".gitmodules",
            ".GITMODULES",
            "gitmod~1",
            ".gitmodules ",
            ".gitmodules.",
        ] {
            assert!(is_gitmodules(gm), "{gm:?}");
        }
        assert!(!is_gitmodules(".gitmodulesx") && !is_gitmodules("gitmodules"));
        let msg = validate("a/../b").unwrap_err().to_string();
        assert!(msg.contains("a/../b"), "{msg}");
    }

    #[test]
    fn dirs_join_and_strip() {
        assert_eq!(join("", "a"), "a");
        assert_eq!(join("apps/x", "a"), "apps/x/a");
        assert_eq!(strip_dir("apps/x", "apps/x/a/b"), Some("a/b"));
        assert_eq!(strip_dir("apps/x", "apps/xy/a"), None);
        assert_eq!(strip_dir("", "a"), Some("a"));
        assert_eq!(normalise_dir("/apps/x/").unwrap(), "apps/x");
        assert_eq!(normalise_dir(".").unwrap(), "");
        assert!(normalise_dir("../x").is_err());
    }
}
