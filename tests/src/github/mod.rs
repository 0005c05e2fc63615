//! A GitHub API emulator for end-to-end tests: REST (Git Data, refs, compare, contents, pull
//! requests, repositories, App installations) and GraphQL (`repository` queries; the
//! `createCommitOnBranch`, `updatePullRequest` and `addComment` mutations), served on
//! `127.0.0.1`, over real bare git repositories on disk.
//!
//! Model:
//! - each `owner/name` is a bare repository `{root}/{owner}/{name}.git`, written and read only
//!   with the `git` CLI ([`crate::git`]); the default branch is its `HEAD`. Settings, pull
//!   requests and verified commits live in `{root}/github-emulator.json`;
//! - answers use GitHub's documented shapes, status codes and error bodies
//!   (`{"message", "documentation_url"}`), rate-limit headers, and `Link` pagination;
//! - every request is recorded ([`crate::record`]) and checked against GitHub's official
//!   OpenAPI description and GraphQL schema ([`crate::validator`]); an invalid request is
//!   answered 422 (REST) or with GraphQL `errors`, and fails the test: see
//!   [`GithubEmulator::assert_no_invalid_requests`] (also checked when the emulator is dropped);
//! - faults are injected by rule ([`crate::fault`], canned answers in [`faults`]).
//!
//! ```no_run
//! use gensync_tests::github::{GithubConfig, GithubEmulator, RepoSpec, TokenConfig};
//!
//! let emulator = GithubEmulator::start(GithubConfig::default().token(TokenConfig::actions("ghs_test"))).unwrap();
//! emulator.create_repo(&RepoSpec::new("acme/app").file("src/main.rs", "fn main() {}\n")).unwrap();
//! // Point the client under test at emulator.base_url() / emulator.graphql_url(), then check
//! // the outcome with git itself:
//! let git = emulator.git("acme/app").unwrap();
//! let head = git.branch("main").unwrap().expect("main exists");
//! emulator.assert_no_invalid_requests();
//! # let _ = head;
//! ```

mod api;
mod apps;
mod auth;
mod compare;
pub mod config;
mod contents;
mod control;
mod control_http;
mod error;
pub mod faults;
mod git_data;
mod graphql;
mod pulls;
mod render;
mod repos;
mod router;
mod server;
pub mod state;

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub use auth::AppKey;
pub use config::{Access, AppConfig, GithubConfig, Identity, Permissions, TokenConfig, TokenKind};
pub use control::{MergeMethod, RepoSpec};
pub use error::Error;
pub use pulls::ACTIONS_NOT_PERMITTED;
pub use state::{Comment, PullRequest, PullState};

use crate::git::{BareRepo, FileChange, Oid};
use crate::http::Server;
use crate::record::Recorder;
use crate::validator::Validator;
use server::{Emulator, Urls};

/// The REST operations the emulator implements, as `(method, OpenAPI path template)`.
pub fn rest_operations() -> Vec<(&'static str, &'static str)> {
    router::ROUTES
        .iter()
        .map(|r| (r.method, r.template))
        .collect()
}

/// A running GitHub emulator. Stops serving when dropped; a temporary root is removed then.
pub struct GithubEmulator {
    // Field order matters: the server stops before the internals and the directory go.
    server: Server,
    inner: Arc<Emulator>,
    _temp: Option<tempfile::TempDir>,
}

/// Starting and addresses.
impl GithubEmulator {
    /// Starts serving on `127.0.0.1` with `config`. Fails when validation is on and the
    /// validator's npm packages are not installed (run `tests/validator/install.sh`).
    pub fn start(config: GithubConfig) -> Result<GithubEmulator, Error> {
        let (root, temp) = match &config.root {
            Some(root) => (root.clone(), None),
            None => {
                let temp = tempfile::Builder::new()
                    .prefix("github-emulator")
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
            Some(Validator::shared(&config.validator_dir)?)
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
        let urls = Urls::new(
            listener.local_addr().map_err(listen)?.port(),
            config.enterprise,
        );
        let inner = Arc::new(
            Emulator::new(config, root.clone(), urls, recorder, validator)
                .map_err(|source| Error::Root { path: root, source })?,
        );
        let handler_inner = Arc::clone(&inner);
        let server = Server::start(
            listener,
            Arc::new(move |request| handler_inner.handle(request)),
        )
        .map_err(listen)?;
        Ok(GithubEmulator {
            server,
            inner,
            _temp: temp,
        })
    }

    /// The REST root (`http://127.0.0.1:PORT`, or `…/api/v3` for Enterprise): `GITHUB_API_URL`.
    pub fn base_url(&self) -> &str {
        &self.inner.urls.api
    }

    /// The GraphQL endpoint: `GITHUB_GRAPHQL_URL`.
    pub fn graphql_url(&self) -> &str {
        &self.inner.urls.graphql
    }

    /// The web root (`html_url`s point here): `GITHUB_SERVER_URL`.
    pub fn web_url(&self) -> &str {
        &self.inner.urls.web
    }

    /// The port served on.
    pub fn port(&self) -> u16 {
        self.server.addr().port()
    }

    /// The root directory of repositories and state.
    pub fn root(&self) -> &Path {
        &self.inner.root
    }

    /// The versions of GitHub's descriptions requests are validated against (`None` when
    /// validation is off).
    pub fn validator_versions(&self) -> Option<String> {
        self.inner
            .validator
            .as_ref()
            .map(|v| v.versions().to_owned())
    }
}

/// Seeding and acting as other people (test control).
impl GithubEmulator {
    /// Creates a repository.
    pub fn create_repo(&self, spec: &RepoSpec) -> Result<(), Error> {
        let mut state = self.inner.lock_state();
        control::create_repo(&self.inner, &mut state, spec).map(drop)
    }

    /// The bare repository of `full_name`, for checks with git.
    pub fn git(&self, full_name: &str) -> Result<BareRepo, Error> {
        control::git(&self.inner.root, &self.inner.lock_state(), full_name)
    }

    /// The directory of `full_name`'s bare repository.
    pub fn git_dir(&self, full_name: &str) -> Result<PathBuf, Error> {
        Ok(self.git(full_name)?.git_dir().to_owned())
    }

    /// The head of `branch`, if it exists.
    pub fn branch_head(&self, full_name: &str, branch: &str) -> Result<Option<Oid>, Error> {
        Ok(self.git(full_name)?.branch(branch)?)
    }

    /// "Another Person" commits `changes` on `branch` (which must exist, unless the repository
    /// is empty); returns the commit.
    pub fn commit_files(
        &self,
        full_name: &str,
        branch: &str,
        changes: &[FileChange],
        message: &str,
    ) -> Result<Oid, Error> {
        let state = self.inner.lock_state();
        control::commit_files(
            &self.inner,
            &state,
            full_name,
            branch,
            changes,
            message,
            None,
        )
    }

    /// Creates `branch` at commit `at`.
    pub fn create_branch(&self, full_name: &str, branch: &str, at: &Oid) -> Result<(), Error> {
        control::create_branch(&self.inner, &self.inner.lock_state(), full_name, branch, at)
    }

    /// Deletes `branch` (as after merging its pull request).
    pub fn delete_branch(&self, full_name: &str, branch: &str) -> Result<(), Error> {
        control::delete_branch(&self.inner, &self.inner.lock_state(), full_name, branch)
    }

    /// Makes `branch` the default branch.
    pub fn set_default_branch(&self, full_name: &str, branch: &str) -> Result<(), Error> {
        control::set_default_branch(&self.inner, &self.inner.lock_state(), full_name, branch)
    }

    /// Protects `branch`: the API refuses to move or delete it.
    pub fn protect_branch(&self, full_name: &str, branch: &str) -> Result<(), Error> {
        control::protect_branch(
            &self.inner,
            &mut self.inner.lock_state(),
            full_name,
            branch,
            true,
        )
    }

    /// Removes the protection of `branch`.
    pub fn unprotect_branch(&self, full_name: &str, branch: &str) -> Result<(), Error> {
        control::protect_branch(
            &self.inner,
            &mut self.inner.lock_state(),
            full_name,
            branch,
            false,
        )
    }

    /// The setting "Allow GitHub Actions to create and approve pull requests" (default on);
    /// off, `GITHUB_TOKEN` gets 403 [`ACTIONS_NOT_PERMITTED`] when opening a pull request.
    pub fn set_actions_can_create_pull_requests(
        &self,
        full_name: &str,
        allowed: bool,
    ) -> Result<(), Error> {
        control::set_actions_can_create_pull_requests(
            &self.inner,
            &mut self.inner.lock_state(),
            full_name,
            allowed,
        )
    }

    /// Merges open pull request `number` (merge commit or squash) and closes it; the new head
    /// of the base branch.
    pub fn merge_pull(
        &self,
        full_name: &str,
        number: u64,
        method: MergeMethod,
    ) -> Result<Oid, Error> {
        control::merge_pull(
            &self.inner,
            &mut self.inner.lock_state(),
            full_name,
            number,
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

    /// Whether GitHub would show `commit` as verified (signed by GitHub).
    pub fn is_verified(&self, full_name: &str, commit: &Oid) -> bool {
        self.inner
            .lock_state()
            .repo(full_name)
            .is_some_and(|r| r.verified_commits.contains(commit.as_str()))
    }

    /// Accepts one more token.
    pub fn add_token(&self, token: TokenConfig) {
        self.inner
            .tokens
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(token);
    }
}

crate::intercept::emulator_surface!(
    GithubEmulator,
    "GitHub",
    "GitHub's official API description"
);
