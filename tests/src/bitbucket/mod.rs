//! A Bitbucket Cloud API emulator for end-to-end tests: the REST API 2.0 operations gensync
//! uses (repositories, branches, commits, `/src` reads and multipart commits, diffstats, file
//! history, pull requests and comments) and the OAuth token endpoint, served on `127.0.0.1`
//! over real bare git repositories on disk.
//!
//! Model:
//! - each `workspace/slug` is a bare repository `{root}/{workspace}/{slug}.git`, written and read
//!   only with the `git` CLI ([`crate::git`]); the main branch is its `HEAD`. Repository
//!   settings and pull requests live in `{root}/bitbucket-emulator.json`;
//! - the API is served below `/2.0` (so the client's base is [`BitbucketEmulator::api_url`]),
//!   the token endpoint at `/site/oauth2/access_token` ([`BitbucketEmulator::token_url`]);
//! - answers use Bitbucket's documented shapes and status codes: errors as
//!   `{"type": "error", "error": {"message", "detail"}}`; 401 for refused credentials, 403 for
//!   missing scopes, 404 for unknown repositories, branches, commits and paths, 409 when a
//!   `/src` commit's `parents` is not the branch's head, 400 for malformed requests;
//!   pagination with `values`, `page`, `pagelen`, `size` and an absolute `next`;
//! - every request is recorded ([`crate::record`]) and checked: JSON bodies and query parameters
//!   against Bitbucket's official API description (OpenAPI, via [`crate::validator`]); the
//!   `/src` form's meta data fields against the parameters the description declares for it,
//!   and the whole form against the rules its documentation states ([`multipart`]); the token
//!   request against RFC 6749. An invalid request is answered 400 and fails the test
//!   ([`BitbucketEmulator::assert_no_invalid_requests`], also checked on drop);
//! - faults are injected by rule ([`crate::fault`], canned answers in [`faults`]).
//!
//! ```no_run
//! use gensync_tests::bitbucket::{BitbucketConfig, BitbucketEmulator, CredentialConfig, RepoSpec};
//!
//! let emulator = BitbucketEmulator::start(
//!     BitbucketConfig::default().credential(CredentialConfig::access_token("bb_test")),
//! ).unwrap();
//! emulator.create_repo(&RepoSpec::new("acme/app").file("README.md", "# app\n")).unwrap();
//! // Point the client at emulator.api_url(), then check the outcome with git itself:
//! let head = emulator.git("acme/app").unwrap().branch("main").unwrap();
//! emulator.assert_no_invalid_requests();
//! # let _ = head;
//! ```

pub mod config;
pub mod control;
pub mod faults;
mod handlers;
pub mod multipart;
mod server;
pub mod state;

pub use config::{BitbucketConfig, CredentialConfig, CredentialKind, Scopes};
pub use control::{Error, MergeMethod, RepoSpec};
pub use server::Emulator;
pub use state::{Comment, PullRequest, PullState};

use crate::emulator::{Running, Setup};
use crate::git::{FileChange, Oid, RefExpectation};

/// A running Bitbucket emulator ([`Running`] has the record, faults and repository access every
/// emulator shares). Stops serving when dropped; a temporary root is removed then.
pub type BitbucketEmulator = Running<Emulator>;

/// Starting and addresses.
impl Running<Emulator> {
    /// Starts serving on `127.0.0.1` with `config`. Fails when validation is on and the
    /// validator (with Bitbucket's description) is not installed (run `tests/validator/install.sh`).
    pub fn start(config: BitbucketConfig) -> Result<BitbucketEmulator, Error> {
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

    /// The API root, `http://127.0.0.1:PORT/2.0` (the client's `--api-url`).
    pub fn api_url(&self) -> &str {
        &self.inner.api
    }

    /// The OAuth token endpoint (the client's `--oauth-token-url`).
    pub fn token_url(&self) -> String {
        format!("{}{}", self.inner.web, server::TOKEN_PATH)
    }

    /// The web root (`links.html` point here).
    pub fn web_url(&self) -> &str {
        &self.inner.web
    }
}

/// Seeding and acting as other people (test control).
impl Running<Emulator> {
    /// Creates a repository.
    pub fn create_repo(&self, spec: &RepoSpec) -> Result<(), Error> {
        let mut state = self.inner.core.lock_state();
        control::create_repo(&self.inner, &mut state, spec).map(drop)
    }

    /// "Another Person" commits `changes` on `branch`; returns the commit.
    pub fn commit_files(
        &self,
        full_name: &str,
        branch: &str,
        changes: &[FileChange],
        message: &str,
    ) -> Result<Oid, Error> {
        let author = crate::emulator::control::person_signature();
        Ok(self
            .git(full_name)?
            .commit_files(branch, changes, message, &author)?)
    }

    /// Creates `branch` at `at`.
    pub fn create_branch(&self, full_name: &str, branch: &str, at: &Oid) -> Result<(), Error> {
        Ok(self.git(full_name)?.update_ref(
            &format!("refs/heads/{branch}"),
            at,
            &RefExpectation::Absent,
        )?)
    }

    /// Adds a branch restriction: nobody may push to (nor create) branches matching
    /// `pattern` (`*` wildcards) through the API.
    pub fn restrict_pushes(&self, full_name: &str, pattern: &str) -> Result<(), Error> {
        let mut state = self.inner.core.lock_state();
        let repo = state
            .repo_mut(full_name)
            .ok_or_else(|| Error::UnknownRepo {
                name: full_name.to_owned(),
            })?;
        repo.push_restrictions.push(pattern.to_owned());
        self.inner.core.save(&state).map_err(Error::Save)
    }

    /// Deletes `branch` (as after merging its pull request).
    pub fn delete_branch(&self, full_name: &str, branch: &str) -> Result<(), Error> {
        let git = self.git(full_name)?;
        if git.branch(branch)?.is_none() {
            return Err(Error::UnknownBranch {
                repo: full_name.to_owned(),
                branch: branch.to_owned(),
            });
        }
        Ok(git.delete_ref(&format!("refs/heads/{branch}"), &RefExpectation::Any)?)
    }

    /// Merges open pull request `id` (merge commit or squash); the destination's new head.
    pub fn merge_pull(&self, full_name: &str, id: u64, method: MergeMethod) -> Result<Oid, Error> {
        control::merge_pull(
            &self.inner,
            &mut self.inner.core.lock_state(),
            full_name,
            id,
            method,
        )
    }

    /// The pull requests of `full_name`, oldest first.
    pub fn pulls(&self, full_name: &str) -> Result<Vec<PullRequest>, Error> {
        let state = self.inner.core.lock_state();
        let repo = state.repo(full_name).ok_or_else(|| Error::UnknownRepo {
            name: full_name.to_owned(),
        })?;
        Ok(repo.pulls.clone())
    }

    /// Whether `full_name` is private.
    pub fn is_private(&self, full_name: &str) -> Option<bool> {
        self.inner
            .core
            .lock_state()
            .repo(full_name)
            .map(|r| r.private)
    }

    /// Accepts one more credential.
    pub fn add_credential(&self, credential: CredentialConfig) {
        self.inner
            .credentials
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(credential);
    }
}
