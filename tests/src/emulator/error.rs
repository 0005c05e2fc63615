//! Errors of an emulator's Rust API: starting it, and the test-control operations (in process
//! and over the control endpoint), for every provider.

use std::path::PathBuf;

/// An error of a running emulator ([`super::Running`]) or its control operations.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The root directory could not be created or read.
    #[error("could not set up the emulator root {}", path.display())]
    Root {
        /// The root.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The port could not be bound.
    #[error("could not listen on 127.0.0.1:{port}")]
    Listen {
        /// The port asked for.
        port: u16,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The request record file could not be created.
    #[error("could not create the request record {}", path.display())]
    Record {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The request validator is missing or broken.
    #[error(transparent)]
    Validator(#[from] crate::validator::Error),
    /// The state file could not be written.
    #[error("could not save the emulator state")]
    Save(#[source] std::io::Error),
    /// A repository name is not `OWNER/NAME`.
    #[error("invalid repository name {name:?} (expected {expected})")]
    BadRepoName {
        /// The name given.
        name: String,
        /// The provider's spelling of the expected shape (`OWNER/NAME`).
        expected: &'static str,
    },
    /// No such repository.
    #[error("repository {name} does not exist")]
    UnknownRepo {
        /// The name given.
        name: String,
    },
    /// The repository exists already.
    #[error("repository {name} already exists")]
    RepoExists {
        /// The name given.
        name: String,
    },
    /// No such branch.
    #[error("branch {branch} does not exist in {repo}")]
    UnknownBranch {
        /// The repository.
        repo: String,
        /// The branch.
        branch: String,
    },
    /// No such pull request.
    #[error("pull request #{number} does not exist in {repo}")]
    UnknownPull {
        /// The repository.
        repo: String,
        /// Its number (GitHub) or id (Bitbucket).
        number: u64,
    },
    /// The pull request is not open.
    #[error("pull request #{number} of {repo} is not open")]
    PullNotOpen {
        /// The repository.
        repo: String,
        /// Its number (GitHub) or id (Bitbucket).
        number: u64,
    },
    /// Merging a pull request conflicts.
    #[error("merging {head} into {base} conflicts in {paths:?}")]
    MergeConflict {
        /// The head (source) branch.
        head: String,
        /// The base (destination) branch.
        base: String,
        /// The conflicting paths.
        paths: Vec<String>,
    },
    /// A git command failed.
    #[error(transparent)]
    Git(#[from] crate::git::Error),
    /// A tree edit failed.
    #[error(transparent)]
    Edit(#[from] crate::git::EditError),
}

impl Error {
    /// The status the control endpoint answers this error with.
    pub fn status(&self) -> u16 {
        match self {
            Error::UnknownRepo { .. } | Error::UnknownBranch { .. } | Error::UnknownPull { .. } => {
                404
            }
            Error::RepoExists { .. } | Error::PullNotOpen { .. } | Error::MergeConflict { .. } => {
                409
            }
            Error::BadRepoName { .. } => 400,
            _ => 500,
        }
    }
}
