//! A GitLab REST API v4 emulator for end-to-end tests: the operations gensync uses (project,
//! branches, the recursive tree, raw files and blobs, commits with `actions`, compare, merge
//! requests and notes, user look-up), served on `127.0.0.1` below `/api/v4` over real bare git
//! repositories on disk (`{root}/{group/subgroup}/{project}.git`).
//!
//! Answers follow GitLab's documentation (doc/api/commits.md, merge_requests.md,
//! repositories.md, branches.md, notes.md): errors as `{"message": …}`; 401 for an unknown
//! token, 403 `insufficient_scope` for a token without the `api` scope on a write, 403
//! "You are not allowed to push into this branch" on a protected branch, 404 `404 … Not Found`;
//! a commit's actions are applied to the branch's head when the request arrives (GitLab has no
//! compare-and-swap on it), `start_sha` creates a branch and is refused when it exists, `create`
//! of an existing path and `update`/`chmod`/`delete` of a missing one are refused whole; the
//! tree is paginated with keyset `Link` headers.
//!
//! Requests are checked against the parameter tables of that documentation (body fields,
//! required fields, action shapes, the token header): an invalid request is answered 400 and
//! fails the test. They are not yet validated against GitLab's OpenAPI v2 description.

pub mod faults;
mod handlers;
mod server;
pub mod state;

pub use server::{Emulator, TokenConfig};
pub use state::{MergeRequest, ProjectState};

use std::path::PathBuf;

use crate::emulator::{Error, RepoRecord as _, Running, Setup};
use crate::git::{FileChange, Oid, RefExpectation};

/// A running GitLab emulator.
pub type GitlabEmulator = Running<Emulator>;

/// Starting and seeding.
impl Running<Emulator> {
    /// Starts serving on `127.0.0.1` with `tokens`, in a temporary root.
    pub fn start(tokens: Vec<TokenConfig>) -> Result<GitlabEmulator, Error> {
        let validator_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("validator");
        let setup = Setup {
            root: None,
            port: 0,
            record: None,
            validate: false,
            validator_dir: &validator_dir,
        };
        Running::serve(setup, |core, port| {
            Emulator::new(tokens.clone(), core, port)
        })
    }

    /// The API root, `http://127.0.0.1:PORT/api/v4`.
    pub fn api_url(&self) -> &str {
        &self.inner.api
    }

    /// Creates project `full_path` (`group[/subgroup…]/project`) with a first commit of
    /// `files` on `main`, or empty.
    pub fn create_project(
        &self,
        full_path: &str,
        files: Option<&[FileChange]>,
    ) -> Result<u64, Error> {
        let (namespace, path) = full_path
            .rsplit_once('/')
            .ok_or_else(|| Error::BadRepoName {
                name: full_path.to_owned(),
                expected: "GROUP[/SUBGROUP…]/PROJECT",
            })?;
        let mut state = self.inner.core.lock_state();
        if state.repo(full_path).is_some() {
            return Err(Error::RepoExists {
                name: full_path.to_owned(),
            });
        }
        let project = ProjectState {
            id: state.next_id(),
            namespace: namespace.to_owned(),
            path: path.to_owned(),
            protected: Vec::new(),
            merge_requests: Vec::new(),
        };
        crate::emulator::control::init_repo(
            &self.inner.core.root,
            &project.git_dir(&self.inner.core.root),
            "main",
            files,
            path,
        )?;
        let id = project.id;
        state.insert(project);
        self.inner.core.save(&state).map_err(Error::Save)?;
        Ok(id)
    }

    /// "Another Person" commits `changes` on `branch`.
    pub fn commit_files(
        &self,
        full_path: &str,
        branch: &str,
        changes: &[FileChange],
        message: &str,
    ) -> Result<Oid, Error> {
        let author = crate::emulator::control::person_signature();
        Ok(self
            .git(full_path)?
            .commit_files(branch, changes, message, &author)?)
    }

    /// Deletes `branch`.
    pub fn delete_branch(&self, full_path: &str, branch: &str) -> Result<(), Error> {
        Ok(self
            .git(full_path)?
            .delete_ref(&format!("refs/heads/{branch}"), &RefExpectation::Any)?)
    }

    /// Protects `branch`: nobody may push to it through the API.
    pub fn protect(&self, full_path: &str, branch: &str) -> Result<(), Error> {
        let mut state = self.inner.core.lock_state();
        let p = state
            .repo_mut(full_path)
            .ok_or_else(|| Error::UnknownRepo {
                name: full_path.to_owned(),
            })?;
        p.protected.push(branch.to_owned());
        self.inner.core.save(&state).map_err(Error::Save)
    }

    /// The merge requests of `full_path`, oldest first.
    pub fn merge_requests(&self, full_path: &str) -> Result<Vec<MergeRequest>, Error> {
        let state = self.inner.core.lock_state();
        let p = state.repo(full_path).ok_or_else(|| Error::UnknownRepo {
            name: full_path.to_owned(),
        })?;
        Ok(p.merge_requests.clone())
    }

    /// Merges open merge request `iid` (squashed or with a merge commit); the target's new head.
    pub fn merge(&self, full_path: &str, iid: u64, squash: bool) -> Result<Oid, Error> {
        let mut state = self.inner.core.lock_state();
        let git = self.inner.core.git(&state, full_path)?;
        let p = state.repo_mut(full_path).expect("git() checked it");
        let m = p
            .merge_requests
            .iter_mut()
            .find(|m| m.iid == iid && m.state == "opened")
            .ok_or_else(|| Error::PullNotOpen {
                repo: full_path.to_owned(),
                number: iid,
            })?;
        let merge = crate::emulator::control::Merge::prepare(
            &git,
            full_path,
            &m.target_branch,
            &m.source_branch,
        )?;
        let parents = if squash {
            vec![merge.base.clone()]
        } else {
            vec![merge.base.clone(), merge.head.clone()]
        };
        let message = format!(
            "Merge branch '{}' into '{}'\n\n{}\n\nSee merge request !{iid}\n",
            m.source_branch, m.target_branch, m.title
        );
        let who = crate::emulator::control::owner_signature();
        let commit = git.write_commit(&merge.tree, &parents, &message, &who, &who)?;
        merge.land(&git, &m.target_branch, &commit)?;
        m.state = "merged".into();
        self.inner.core.save(&state).map_err(Error::Save)?;
        Ok(commit)
    }
}
