//! Test-control operations: seeding repositories and acting as the other people around a sync
//! (someone pushing to the bot branch, deleting it, protecting a branch, merging the pull
//! request). Used by [`super::GithubEmulator`]'s methods and by the HTTP control endpoint.

use serde::{Deserialize, Serialize};

use super::server::Emulator;
use super::state::{PullState, RepoState, State};
use crate::emulator::control::{init_repo, split_name, Merge};
use crate::emulator::Error;
use crate::emulator::RepoRecord as _;
use crate::git::{
    FileChange, Oid, RefExpectation, Signature, MODE_EXECUTABLE, MODE_FILE, MODE_SYMLINK,
};

pub use crate::emulator::control::{owner_signature, person_signature};

/// A repository to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepoSpec {
    /// `owner/name`.
    pub full_name: String,
    /// Private repository.
    pub private: bool,
    /// Description.
    pub description: Option<String>,
    /// The default branch (`main`).
    pub default_branch: String,
    /// Files of the initial commit on the default branch; `None` for an empty repository.
    /// An empty list gets a `README.md` of `# name`, as GitHub's "initialize" does.
    pub files: Option<Vec<FileChange>>,
}

/// Building a spec.
impl RepoSpec {
    /// A public repository whose default branch `main` has one commit (a `README.md` unless
    /// files are added).
    pub fn new(full_name: &str) -> RepoSpec {
        RepoSpec {
            full_name: full_name.to_owned(),
            private: false,
            description: None,
            default_branch: "main".into(),
            files: Some(Vec::new()),
        }
    }

    /// No commit at all: GitHub's empty repository.
    pub fn empty(mut self) -> RepoSpec {
        self.files = None;
        self
    }

    /// Private or public.
    pub fn private(mut self, private: bool) -> RepoSpec {
        self.private = private;
        self
    }

    /// Names the default branch.
    pub fn default_branch(mut self, branch: &str) -> RepoSpec {
        self.default_branch = branch.to_owned();
        self
    }

    /// Adds a regular file to the initial commit.
    pub fn file(self, path: &str, content: impl AsRef<[u8]>) -> RepoSpec {
        self.with(path, MODE_FILE, content.as_ref())
    }

    /// Adds an executable file to the initial commit.
    pub fn executable(self, path: &str, content: impl AsRef<[u8]>) -> RepoSpec {
        self.with(path, MODE_EXECUTABLE, content.as_ref())
    }

    /// Adds a symbolic link to the initial commit.
    pub fn symlink(self, path: &str, target: &str) -> RepoSpec {
        self.with(path, MODE_SYMLINK, target.as_bytes())
    }

    fn with(mut self, path: &str, mode: &str, content: &[u8]) -> RepoSpec {
        self.files.get_or_insert_with(Vec::new).push(FileChange {
            path: path.to_owned(),
            content: Some((mode.to_owned(), content.to_vec())),
        });
        self
    }
}

/// How a pull request is merged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MergeMethod {
    /// A merge commit with the base and head as parents.
    Merge,
    /// One new commit on the base with the merged tree (GitHub's "Squash and merge").
    Squash,
}

fn repo<'a>(state: &'a State, full_name: &str) -> Result<&'a RepoState, Error> {
    state.repo(full_name).ok_or_else(|| Error::UnknownRepo {
        name: full_name.to_owned(),
    })
}

/// Creates a repository as `spec` says; answers its state.
pub fn create_repo(emu: &Emulator, state: &mut State, spec: &RepoSpec) -> Result<RepoState, Error> {
    let (owner, name) = split_name(&spec.full_name, "OWNER/NAME")?;
    if state.repo(&spec.full_name).is_some() {
        return Err(Error::RepoExists {
            name: spec.full_name.clone(),
        });
    }
    let repo = RepoState {
        id: state.next_id(),
        owner: owner.to_owned(),
        name: name.to_owned(),
        private: spec.private,
        description: spec.description.clone(),
        created_at: crate::time::now_rfc3339(),
        protected_branches: Default::default(),
        actions_can_create_pull_requests: true,
        next_number: 1,
        pulls: Vec::new(),
        verified_commits: Default::default(),
    };
    init_repo(
        &emu.core.root,
        &repo.git_dir(&emu.core.root),
        &spec.default_branch,
        spec.files.as_deref(),
        name,
    )?;
    state.insert(repo.clone());
    emu.core.save(state).map_err(Error::Save)?;
    Ok(repo)
}

/// Commits `changes` on `branch` as `author` (default: "Another Person"), on top of its head;
/// creates the branch only in an empty repository.
pub fn commit_files(
    emu: &Emulator,
    state: &State,
    full_name: &str,
    branch: &str,
    changes: &[FileChange],
    message: &str,
    author: Option<Signature>,
) -> Result<Oid, Error> {
    let git = emu.core.git(state, full_name)?;
    if git.branch(branch)?.is_none() && !git.is_empty()? {
        return Err(Error::UnknownBranch {
            repo: full_name.to_owned(),
            branch: branch.to_owned(),
        });
    }
    Ok(git.commit_files(
        branch,
        changes,
        message,
        &author.unwrap_or_else(person_signature),
    )?)
}

/// Creates `branch` at `at`.
pub fn create_branch(
    emu: &Emulator,
    state: &State,
    full_name: &str,
    branch: &str,
    at: &Oid,
) -> Result<(), Error> {
    let git = emu.core.git(state, full_name)?;
    Ok(git.update_ref(&format!("refs/heads/{branch}"), at, &RefExpectation::Absent)?)
}

/// Deletes `branch` (as someone deleting it after a merge would).
pub fn delete_branch(
    emu: &Emulator,
    state: &State,
    full_name: &str,
    branch: &str,
) -> Result<(), Error> {
    let git = emu.core.git(state, full_name)?;
    let Some(head) = git.branch(branch)? else {
        return Err(Error::UnknownBranch {
            repo: full_name.to_owned(),
            branch: branch.to_owned(),
        });
    };
    Ok(git.delete_ref(&format!("refs/heads/{branch}"), &RefExpectation::At(head))?)
}

/// Makes `branch` the default branch.
pub fn set_default_branch(
    emu: &Emulator,
    state: &State,
    full_name: &str,
    branch: &str,
) -> Result<(), Error> {
    Ok(emu.core.git(state, full_name)?.set_head_branch(branch)?)
}

/// Protects (or unprotects) `branch`: ref updates to it are refused.
pub fn protect_branch(
    emu: &Emulator,
    state: &mut State,
    full_name: &str,
    branch: &str,
    protect: bool,
) -> Result<(), Error> {
    repo(state, full_name)?;
    let repo = state.repo_mut(full_name).expect("checked above");
    if protect {
        repo.protected_branches.insert(branch.to_owned());
    } else {
        repo.protected_branches.remove(branch);
    }
    emu.core.save(state).map_err(Error::Save)
}

/// Sets "Allow GitHub Actions to create and approve pull requests".
pub fn set_actions_can_create_pull_requests(
    emu: &Emulator,
    state: &mut State,
    full_name: &str,
    allowed: bool,
) -> Result<(), Error> {
    repo(state, full_name)?;
    state
        .repo_mut(full_name)
        .expect("checked above")
        .actions_can_create_pull_requests = allowed;
    emu.core.save(state).map_err(Error::Save)
}

/// Merges open pull request `number` into its base like GitHub's button does, closes it and
/// returns the new commit on the base branch. The head branch stays (delete it separately).
pub fn merge_pull(
    emu: &Emulator,
    state: &mut State,
    full_name: &str,
    number: u64,
    method: MergeMethod,
) -> Result<Oid, Error> {
    let git = emu.core.git(state, full_name)?;
    let repo = repo(state, full_name)?;
    let pull = repo.pull(number).ok_or_else(|| Error::UnknownPull {
        repo: full_name.to_owned(),
        number,
    })?;
    if pull.state != PullState::Open {
        return Err(Error::PullNotOpen {
            repo: full_name.to_owned(),
            number,
        });
    }
    let merge = Merge::prepare(&git, full_name, &pull.base, &pull.head)?;
    let (base, head) = (merge.base.clone(), merge.head.clone());
    let merger = owner_signature();
    let (parents, message) = match method {
        MergeMethod::Merge => (
            vec![base.clone(), head.clone()],
            format!(
                "Merge pull request #{number} from {}/{}\n\n{}",
                pull.head_owner, pull.head, pull.title
            ),
        ),
        MergeMethod::Squash => (vec![base.clone()], format!("{} (#{number})\n", pull.title)),
    };
    let commit = git.write_commit(
        &merge.tree,
        &parents,
        &message,
        &merger,
        &super::git_data::web_flow(),
    )?;
    merge.land(&git, &pull.base, &commit)?;
    let now = crate::time::now_rfc3339();
    let repo = state.repo_mut(full_name).expect("checked above");
    repo.verified_commits.insert(commit.to_string());
    let pull = repo.pull_mut(number).expect("checked above");
    pull.state = PullState::Closed;
    pull.merged = true;
    pull.merge_commit_sha = Some(commit.to_string());
    pull.head_sha = head.to_string();
    pull.closed_at = Some(now.clone());
    pull.merged_at = Some(now.clone());
    pull.updated_at = now;
    emu.core.save(state).map_err(Error::Save)?;
    Ok(commit)
}
