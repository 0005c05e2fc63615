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
pub mod faults;
mod git_data;
mod graphql;
mod pulls;
mod render;
mod repos;
mod router;
mod server;
pub mod state;

pub use crate::emulator::Error;
pub use auth::AppKey;
pub use config::{Access, AppConfig, GithubConfig, Identity, Permissions, TokenConfig, TokenKind};
pub use control::{MergeMethod, RepoSpec};
pub use pulls::ACTIONS_NOT_PERMITTED;
pub use server::Emulator;
pub use state::{Comment, PullRequest, PullState};

use crate::emulator::{Running, Setup};
use crate::git::{FileChange, Oid};
use server::Urls;

/// The REST operations the emulator implements, as `(method, OpenAPI path template)`.
pub fn rest_operations() -> Vec<(&'static str, &'static str)> {
    router::ROUTES
        .iter()
        .map(|r| (r.method, r.template))
        .collect()
}

/// A running GitHub emulator ([`Running`] has the record, faults and repository access every
/// emulator shares). Stops serving when dropped; a temporary root is removed then.
pub type GithubEmulator = Running<Emulator>;

/// Starting and addresses.
impl Running<Emulator> {
    /// Starts serving on `127.0.0.1` with `config`. Fails when validation is on and the
    /// validator's npm packages are not installed (run `tests/validator/install.sh`).
    pub fn start(config: GithubConfig) -> Result<GithubEmulator, Error> {
        let setup = Setup {
            root: config.root.as_deref(),
            port: config.port,
            record: config.record.as_deref(),
            validate: config.validate,
            validator_dir: &config.validator_dir,
        };
        Running::serve(setup, |core, port| {
            let urls = Urls::new(port, config.enterprise);
            Emulator::new(config.clone(), core, urls)
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
}

/// Seeding and acting as other people (test control).
impl Running<Emulator> {
    /// Creates a repository.
    pub fn create_repo(&self, spec: &RepoSpec) -> Result<(), Error> {
        let mut state = self.inner.core.lock_state();
        control::create_repo(&self.inner, &mut state, spec).map(drop)
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
        let state = self.inner.core.lock_state();
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
        control::create_branch(
            &self.inner,
            &self.inner.core.lock_state(),
            full_name,
            branch,
            at,
        )
    }

    /// Deletes `branch` (as after merging its pull request).
    pub fn delete_branch(&self, full_name: &str, branch: &str) -> Result<(), Error> {
        control::delete_branch(
            &self.inner,
            &self.inner.core.lock_state(),
            full_name,
            branch,
        )
    }

    /// Makes `branch` the default branch.
    pub fn set_default_branch(&self, full_name: &str, branch: &str) -> Result<(), Error> {
        control::set_default_branch(
            &self.inner,
            &self.inner.core.lock_state(),
            full_name,
            branch,
        )
    }

    /// Protects `branch`: the API refuses to move or delete it.
    pub fn protect_branch(&self, full_name: &str, branch: &str) -> Result<(), Error> {
        control::protect_branch(
            &self.inner,
            &mut self.inner.core.lock_state(),
            full_name,
            branch,
            true,
        )
    }

    /// Removes the protection of `branch`.
    pub fn unprotect_branch(&self, full_name: &str, branch: &str) -> Result<(), Error> {
        control::protect_branch(
            &self.inner,
            &mut self.inner.core.lock_state(),
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
            &mut self.inner.core.lock_state(),
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
            &mut self.inner.core.lock_state(),
            full_name,
            number,
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

    /// Whether GitHub would show `commit` as verified (signed by GitHub).
    pub fn is_verified(&self, full_name: &str, commit: &Oid) -> bool {
        self.inner
            .core
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
