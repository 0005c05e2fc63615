//! Ignore rules from `.amplicationignore` files, in gitignore syntax.
//!
//! Matching is done by gitoxide's gitignore matcher (gix-ignore) with git's precedence:
//! within a file the last matching pattern wins, a file deeper in the tree overrides one above
//! it, and a path inside an ignored folder is ignored whatever a negation says (git does not
//! descend into ignored folders, so `!` cannot re-include a file below one).

use bstr::ByteSlice;

/// The name of the ignore file.
pub const FILE_NAME: &str = ".amplicationignore";

/// Ignore rules of one or more `.amplicationignore` files.
#[derive(Default, Clone)]
pub struct IgnoreRules {
    /// `(folder the file sits in, its patterns)`, deepest folder first.
    levels: Vec<(String, gix_ignore::Search)>,
}

impl std::fmt::Debug for IgnoreRules {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IgnoreRules")
            .field(
                "folders",
                &self.levels.iter().map(|(d, _)| d).collect::<Vec<_>>(),
            )
            .finish()
    }
}

impl IgnoreRules {
    /// No rules: nothing is ignored.
    pub fn new() -> Self {
        Self::default()
    }

    /// Rules from the bytes of the ignore file found in `dir` (`""` for the repository root).
    /// `dir` must be a normalised folder path.
    pub fn add_file(&mut self, dir: &str, bytes: &[u8]) {
        let mut search = gix_ignore::Search::default();
        search
            .add_patterns_buffer(
                bytes,
                std::path::PathBuf::from(crate::path::join(dir, FILE_NAME)),
                None,
                gix_ignore::search::Ignore {
                    support_precious: false,
                },
            )
            .expect("parsing patterns from memory cannot fail");
        self.levels.push((dir.to_owned(), search));
        // Deeper folders first; equal folders keep insertion order reversed so later files win.
        self.levels.sort_by(|a, b| {
            b.0.matches('/')
                .count()
                .cmp(&a.0.matches('/').count())
                .then(b.0.len().cmp(&a.0.len()))
        });
    }

    /// Rules from a single file at the repository root (convenience).
    pub fn from_bytes(bytes: &[u8]) -> Self {
        let mut rules = Self::new();
        rules.add_file("", bytes);
        rules
    }

    /// True if there are no rules.
    pub fn is_empty(&self) -> bool {
        self.levels.is_empty()
    }

    /// Whether the file at the repository-relative `path` is ignored. A path that is not
    /// repository-relative (empty, or starting with `/`) is never in a repository, so it never
    /// matches (gix-glob requires relative paths).
    pub fn is_ignored(&self, path: &str) -> bool {
        if self.levels.is_empty() || path.is_empty() || path.starts_with('/') || path.contains("//")
        {
            return false;
        }
        let mut end = 0;
        while let Some(pos) = path[end..].find('/') {
            let dir = &path[..end + pos];
            if self.decide(dir, true) == Some(true) {
                return true;
            }
            end += pos + 1;
        }
        self.decide(path, false) == Some(true)
    }

    /// The verdict of the deepest ignore file with a matching pattern: `Some(true)` ignored,
    /// `Some(false)` re-included by a negation, `None` no pattern matches.
    fn decide(&self, path: &str, is_dir: bool) -> Option<bool> {
        self.levels.iter().find_map(|(dir, search)| {
            let rel = crate::path::strip_dir(dir, path)?;
            search
                .pattern_matching_relative_path(
                    rel.as_bytes().as_bstr(),
                    Some(is_dir),
                    gix_glob::pattern::Case::Sensitive,
                )
                .map(|m| !m.pattern.is_negative())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gitignore_semantics() {
        let rules = IgnoreRules::from_bytes(
            b"# comment\n*.log\n!keep.log\nbuild/\n/root-only.txt\ndocs/**/*.md\n",
        );
        assert!(rules.is_ignored("a.log"));
        assert!(rules.is_ignored("x/y/a.log"));
        assert!(!rules.is_ignored("keep.log"));
        assert!(rules.is_ignored("build/out.js"));
        assert!(rules.is_ignored("src/build/out.js"));
        assert!(
            !rules.is_ignored("build"),
            "a file named like a folder pattern is not a folder"
        );
        assert!(rules.is_ignored("root-only.txt"));
        assert!(!rules.is_ignored("sub/root-only.txt"));
        assert!(rules.is_ignored("docs/a/b/c.md"));
        assert!(!rules.is_ignored("src/main.rs"));
    }

    #[test]
    fn negation_cannot_reinclude_inside_ignored_folder() {
        let rules = IgnoreRules::from_bytes(b"gen/\n!gen/keep.ts\n");
        assert!(rules.is_ignored("gen/keep.ts"));
        let rules = IgnoreRules::from_bytes(b"gen/*\n!gen/keep.ts\n");
        assert!(!rules.is_ignored("gen/keep.ts"));
        assert!(rules.is_ignored("gen/other.ts"));
    }

    #[test]
    fn deeper_file_overrides_and_is_scoped_to_its_folder() {
        let mut rules = IgnoreRules::new();
        rules.add_file("", b"*.ts\n");
        rules.add_file("apps/orders", b"!main.ts\n/local.txt\n");
        assert!(!rules.is_ignored("apps/orders/main.ts"));
        assert!(rules.is_ignored("apps/orders/other.ts"));
        assert!(rules.is_ignored("apps/orders/local.txt"));
        assert!(!rules.is_ignored("local.txt"));
        assert!(rules.is_ignored("main.ts"));
    }
}
