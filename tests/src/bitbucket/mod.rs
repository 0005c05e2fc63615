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

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub use config::{BitbucketConfig, CredentialConfig, CredentialKind, Scopes};
pub use control::{Error, MergeMethod, RepoSpec};
pub use state::{Comment, PullRequest, PullState};

use crate::git::{BareRepo, FileChange, Oid, RefExpectation, Signature};
use crate::http::Server;
use crate::record::Recorder;
use crate::validator::Validator;
use server::Emulator;

/// A running Bitbucket emulator. Stops serving when dropped; a temporary root is removed then.
pub struct BitbucketEmulator {
    server: Server,
    inner: Arc<Emulator>,
    _temp: Option<tempfile::TempDir>,
}

/// Starting and addresses.
impl BitbucketEmulator {
    /// Starts serving on `127.0.0.1` with `config`. Fails when validation is on and the
    /// validator (with Bitbucket's description) is not installed (run `tests/validator/install.sh`).
    pub fn start(config: BitbucketConfig) -> Result<BitbucketEmulator, Error> {
        let (root, temp) = match &config.root {
            Some(root) => (root.clone(), None),
            None => {
                let temp = tempfile::Builder::new()
                    .prefix("bitbucket-emulator")
                    .tempdir()
                    .map_err(|source| Error::Root {
                        path: std::env::temp_dir(),
                        source,
                    })?;
                (temp.path().to_owned(), Some(temp))
            }
        };
        std::fs::create_dir_all(&root).map_err(|source| Error::Root {
            path: root.clone(),
            source,
        })?;
        let validator = if config.validate {
            let v = Validator::shared(&config.validator_dir)?;
            v.require("bitbucket")?;
            Some(v)
        } else {
            None
        };
        let recorder = Recorder::new(config.record.as_deref()).map_err(|source| Error::Record {
            path: config.record.clone().unwrap_or_default(),
            source,
        })?;
        let port = config.port;
        let listen = |source| Error::Listen { port, source };
        let listener = TcpListener::bind(("127.0.0.1", port)).map_err(listen)?;
        let port = listener.local_addr().map_err(listen)?.port();
        let inner = Arc::new(
            Emulator::new(config, root.clone(), port, recorder, validator)
                .map_err(|source| Error::Root { path: root, source })?,
        );
        let handler = Arc::clone(&inner);
        let server = Server::start(listener, Arc::new(move |request| handler.handle(request)))
            .map_err(listen)?;
        Ok(BitbucketEmulator {
            server,
            inner,
            _temp: temp,
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

    /// The port served on.
    pub fn port(&self) -> u16 {
        self.server.addr().port()
    }

    /// The root directory of repositories and state.
    pub fn root(&self) -> &Path {
        &self.inner.root
    }

    /// The version of Bitbucket's description requests are validated against.
    pub fn validator_versions(&self) -> Option<String> {
        self.inner
            .validator
            .as_ref()
            .map(|v| v.versions().to_owned())
    }
}

/// Seeding and acting as other people (test control).
impl BitbucketEmulator {
    /// Creates a repository.
    pub fn create_repo(&self, spec: &RepoSpec) -> Result<(), Error> {
        let mut state = self.inner.lock_state();
        control::create_repo(&self.inner, &mut state, spec).map(drop)
    }

    /// The bare repository of `full_name`, for checks with git.
    pub fn git(&self, full_name: &str) -> Result<BareRepo, Error> {
        control::git(&self.inner, &self.inner.lock_state(), full_name)
    }

    /// The directory of `full_name`'s bare repository.
    pub fn git_dir(&self, full_name: &str) -> Result<PathBuf, Error> {
        Ok(self.git(full_name)?.git_dir().to_owned())
    }

    /// The head of `branch`, if it exists.
    pub fn branch_head(&self, full_name: &str, branch: &str) -> Result<Option<Oid>, Error> {
        Ok(self.git(full_name)?.branch(branch)?)
    }

    /// "Another Person" commits `changes` on `branch`; returns the commit.
    pub fn commit_files(
        &self,
        full_name: &str,
        branch: &str,
        changes: &[FileChange],
        message: &str,
    ) -> Result<Oid, Error> {
        let author = Signature::now("Another Person", "another.person@example.com");
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
        let mut state = self.inner.lock_state();
        let repo = state
            .repo_mut(full_name)
            .ok_or_else(|| Error::UnknownRepo {
                name: full_name.to_owned(),
            })?;
        repo.push_restrictions.push(pattern.to_owned());
        self.inner.save(&state).map_err(Error::Save)
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
            &mut self.inner.lock_state(),
            full_name,
            id,
            method,
        )
    }

    /// The pull requests of `full_name`, oldest first.
    pub fn pulls(&self, full_name: &str) -> Result<Vec<PullRequest>, Error> {
        let state = self.inner.lock_state();
        let repo = state.repo(full_name).ok_or_else(|| Error::UnknownRepo {
            name: full_name.to_owned(),
        })?;
        Ok(repo.pulls.clone())
    }

    /// The repositories, as `workspace/slug`.
    pub fn repos(&self) -> Vec<String> {
        self.inner
            .lock_state()
            .repos
            .values()
            .map(|r| r.full_name())
            .collect()
    }

    /// Whether `full_name` is private.
    pub fn is_private(&self, full_name: &str) -> Option<bool> {
        self.inner.lock_state().repo(full_name).map(|r| r.private)
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

crate::intercept::emulator_surface!(
    BitbucketEmulator,
    "Bitbucket",
    "Bitbucket's API description or documented rules"
);
