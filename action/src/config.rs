//! `gensync.toml`, the project file: project defaults (`[project]`) and the services
//! (`[[service]]`), each with its build output folder, its target dir and an optional override of
//! provider, repository and branch.
//!
//! ```toml
//! [project]
//! provider = "github"
//! repository = "acme/platform"
//! strategy = "single"
//!
//! [[service]]
//! name = "orders"
//! output = "build/orders"
//! target-dir = "apps/orders"
//! ```
//!
//! [`parse`] checks the text only (no I/O, unit-tested); [`load`] reads the file for it. Unknown
//! keys and invalid values are errors naming the key and its line. Paths in the file (outputs,
//! ignore files, local repositories) are relative to the file's folder; resolution into what a
//! sync does happens in [`crate::settings`].

use std::ops::Range;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

/// Errors reading a project file.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The file cannot be read.
    #[error("cannot read the project file {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// Not TOML, an unknown key, a missing key or a value of the wrong type.
    #[error("{path}, line {line}: {message}")]
    Syntax {
        /// The file.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// What is wrong (names the key).
        message: String,
    },
    /// A value of the right type that gensync cannot use.
    #[error("{path}, line {line}: `{key}`: {message}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// The key (`project.strategy`, `service.target-dir`).
        key: String,
        /// What is wrong and what would be right.
        message: String,
    },
}

/// A parsed project file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProjectFile {
    /// The project defaults.
    #[serde(default)]
    pub project: Project,
    /// The services.
    #[serde(default, rename = "service")]
    pub services: Vec<Service>,
}

/// `[project]`: defaults for every service.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Project {
    /// `github`, `local` (and the providers added later).
    pub provider: Option<Spanned<String>>,
    /// `OWNER/REPO`, or a path for `local`.
    pub repository: Option<Spanned<String>>,
    /// The pull requests' base branch.
    pub base: Option<Spanned<String>>,
    /// `single` or `per-build`.
    pub strategy: Option<Spanned<String>>,
    /// The sync branch template (`{id}`, `{service}`).
    pub branch: Option<Spanned<String>>,
    /// `Name <email>`.
    pub author: Option<Spanned<String>>,
    /// `rest` or `graphql` (GitHub).
    pub commit_mode: Option<Spanned<String>>,
}

/// `[[service]]`: one build output and where it goes.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Service {
    /// A unique name (`--service NAME`, `{service}` in branch templates).
    pub name: Spanned<String>,
    /// The build output folder.
    pub output: Spanned<String>,
    /// The repository folder it maps to (default: the root).
    #[serde(default)]
    pub target_dir: Option<Spanned<String>>,
    /// A local `.amplicationignore` added to the repository's own.
    pub ignore_file: Option<Spanned<String>>,
    /// Override of the project provider.
    pub provider: Option<Spanned<String>>,
    /// Override of the project repository.
    pub repository: Option<Spanned<String>>,
    /// Override of the project branch template.
    pub branch: Option<Spanned<String>>,
}

/// A parsed file and what is needed to point at its lines.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// The file's path as given.
    pub path: PathBuf,
    /// The folder relative paths in the file start from.
    pub dir: PathBuf,
    /// Its content.
    pub file: ProjectFile,
    text: String,
}

impl Loaded {
    /// The 1-based line of byte `offset`.
    pub fn line(&self, span: &Range<usize>) -> usize {
        line_of(&self.text, span.start)
    }

    /// An [`Error::Invalid`] for the value at `span`.
    pub fn invalid(&self, span: &Range<usize>, key: &str, message: impl Into<String>) -> Error {
        Error::Invalid {
            path: self.path.clone(),
            line: self.line(span),
            key: key.to_owned(),
            message: message.into(),
        }
    }

    /// A path written in the file, made relative to the working directory.
    pub fn resolve_path(&self, value: &str) -> PathBuf {
        let p = Path::new(value);
        if p.is_absolute() {
            p.to_owned()
        } else {
            self.dir.join(p)
        }
    }
}

fn line_of(text: &str, offset: usize) -> usize {
    let offset = offset.min(text.len());
    text.as_bytes()[..offset]
        .iter()
        .filter(|b| **b == b'\n')
        .count()
        + 1
}

/// Read and parse the project file at `path`.
pub fn load(path: &Path) -> Result<Loaded, Error> {
    let text = std::fs::read_to_string(path).map_err(|source| Error::Read {
        path: path.to_owned(),
        source,
    })?;
    parse(path, text)
}

/// Parse `text` as the project file `path` (the path only names the file and its folder).
pub fn parse(path: &Path, text: String) -> Result<Loaded, Error> {
    let file: ProjectFile = toml::from_str(&text).map_err(|e| Error::Syntax {
        path: path.to_owned(),
        line: e.span().map_or(1, |s| line_of(&text, s.start)),
        message: e.message().trim().to_owned(),
    })?;
    let dir = path
        .parent()
        .map(Path::to_owned)
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or_else(|| PathBuf::from("."));
    let loaded = Loaded {
        path: path.to_owned(),
        dir,
        file,
        text,
    };
    check(&loaded)?;
    Ok(loaded)
}

/// Checks that need no other input: non-empty unique names, at least one service, valid
/// target dirs.
fn check(l: &Loaded) -> Result<(), Error> {
    if l.file.services.is_empty() {
        return Err(Error::Invalid {
            path: l.path.clone(),
            line: 1,
            key: "service".into(),
            message: "the file lists no service: add a [[service]] table with `name` and `output`"
                .into(),
        });
    }
    let mut seen: Vec<&str> = Vec::new();
    for s in &l.file.services {
        let name = s.name.get_ref().as_str();
        if name.trim().is_empty() {
            return Err(l.invalid(&s.name.span(), "service.name", "must not be empty"));
        }
        if seen.contains(&name) {
            return Err(l.invalid(
                &s.name.span(),
                "service.name",
                format!("{name:?} names two services; names must be unique"),
            ));
        }
        seen.push(name);
        if s.output.get_ref().trim().is_empty() {
            return Err(l.invalid(&s.output.span(), "service.output", "must not be empty"));
        }
        if let Some(t) = &s.target_dir {
            gensync_core::path::normalise_dir(t.get_ref())
                .map_err(|e| l.invalid(&t.span(), "service.target-dir", e.to_string()))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_str(text: &str) -> Result<Loaded, Error> {
        parse(Path::new("conf/gensync.toml"), text.to_owned())
    }

    #[test]
    fn a_full_file_parses_with_paths_relative_to_its_folder() {
        let l = parse_str(
            r#"
[project]
provider = "github"
repository = "acme/platform"
base = "main"
strategy = "per-build"
branch = "gen-{service}-{id}"
author = "Bot <bot@example.com>"
commit-mode = "graphql"

[[service]]
name = "orders"
output = "build/orders"
target-dir = "apps/orders"

[[service]]
name = "docs"
output = "/abs/docs"
provider = "local"
repository = "../docs-repo"
branch = "docs"
ignore-file = "docs.ignore"
"#,
        )
        .expect("parses");
        assert_eq!(l.file.services.len(), 2);
        assert_eq!(
            l.resolve_path("build/orders"),
            Path::new("conf/build/orders")
        );
        assert_eq!(l.resolve_path("/abs/docs"), Path::new("/abs/docs"));
        let docs = &l.file.services[1];
        assert_eq!(l.line(&docs.repository.as_ref().unwrap().span()), 20);
    }

    #[test]
    fn an_unknown_key_is_named_with_its_line() {
        let err = parse_str("[project]\nprovider = \"github\"\nrepo = \"x\"\n").unwrap_err();
        let text = err.to_string();
        assert!(text.contains("line 3") && text.contains("`repo`"), "{text}");
        let err =
            parse_str("[[service]]\nname = \"a\"\noutput = \"o\"\ntarget = \"x\"\n").unwrap_err();
        assert!(err.to_string().contains("line 4") && err.to_string().contains("`target`"));
        let err = parse_str("colour = 1\n").unwrap_err();
        assert!(err.to_string().contains("line 1") && err.to_string().contains("`colour`"));
    }

    #[test]
    fn wrong_types_missing_keys_and_bad_toml_are_errors_with_lines() {
        let err = parse_str("[project]\n\nstrategy = 3\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("line 3") && err.contains("string"), "{err}");
        let err = parse_str("[[service]]\nname = \"a\"\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("line 1") && err.contains("`output`"), "{err}");
        let err = parse_str("[project\n").unwrap_err().to_string();
        assert!(err.contains("line 1"), "{err}");
    }

    #[test]
    fn duplicate_or_empty_names_no_services_and_bad_target_dirs_are_refused() {
        let err = parse_str(
            "[[service]]\nname = \"a\"\noutput = \"x\"\n[[service]]\nname = \"a\"\noutput = \"y\"\n",
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("line 5") && err.contains("unique"), "{err}");
        let err = parse_str("[project]\nprovider = \"github\"\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("no service"), "{err}");
        let err = parse_str("[[service]]\nname = \"a\"\noutput = \"x\"\ntarget-dir = \"../up\"\n")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("line 4") && err.contains("service.target-dir"),
            "{err}"
        );
    }
}
