//! What the Bitbucket emulator knows besides the git repositories: repository settings and pull
//! requests with their comments, kept as one JSON file in the root. No secret is kept here.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// File name of the state in the root directory.
pub const STATE_FILE: &str = "bitbucket-emulator.json";

/// The whole state.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct State {
    /// Last number handed out for UUIDs.
    pub last_id: u64,
    /// Repositories by lower-case `workspace/slug`.
    pub repos: BTreeMap<String, RepoState>,
}

/// One repository.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RepoState {
    /// Its `{uuid}`.
    pub uuid: String,
    /// The workspace, as created.
    pub workspace: String,
    /// The slug, as created.
    pub slug: String,
    /// The display name.
    pub name: String,
    /// Private repository.
    pub private: bool,
    /// Description.
    pub description: String,
    /// When it was created (RFC 3339).
    pub created_on: String,
    /// Pull requests, by creation (ids from 1).
    pub pulls: Vec<PullRequest>,
    /// Branch restrictions of kind `push` with nobody exempt: patterns (`*` wildcards, as
    /// Bitbucket's glob matcher) of branches nobody may write to or create.
    #[serde(default)]
    pub push_restrictions: Vec<String>,
}

impl RepoState {
    /// `workspace/slug`.
    pub fn full_name(&self) -> String {
        format!("{}/{}", self.workspace, self.slug)
    }

    /// Where its bare repository lives under `root`.
    pub fn git_dir(&self, root: &Path) -> PathBuf {
        root.join(&self.workspace)
            .join(format!("{}.git", self.slug))
    }

    /// Pull request `id`.
    pub fn pull(&self, id: u64) -> Option<&PullRequest> {
        self.pulls.iter().find(|p| p.id == id)
    }

    /// Pull request `id`, mutable.
    pub fn pull_mut(&mut self, id: u64) -> Option<&mut PullRequest> {
        self.pulls.iter_mut().find(|p| p.id == id)
    }
}

/// A pull request's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum PullState {
    /// Open.
    Open,
    /// Merged.
    Merged,
    /// Declined.
    Declined,
}

impl PullState {
    /// Bitbucket's name (`OPEN`, …).
    pub fn as_str(&self) -> &'static str {
        match self {
            PullState::Open => "OPEN",
            PullState::Merged => "MERGED",
            PullState::Declined => "DECLINED",
        }
    }
}

/// A comment on a pull request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Comment {
    /// Its id.
    pub id: u64,
    /// Markdown.
    pub raw: String,
    /// Who wrote it.
    pub author: String,
    /// When (RFC 3339).
    pub created_on: String,
}

/// A pull request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PullRequest {
    /// Its id.
    pub id: u64,
    /// Title.
    pub title: String,
    /// Description (Markdown).
    pub description: String,
    /// Source branch.
    pub source: String,
    /// Destination branch.
    pub destination: String,
    /// State.
    pub state: PullState,
    /// Draft.
    pub draft: bool,
    /// Reviewers (account ids or `{uuid}`s as sent).
    pub reviewers: Vec<String>,
    /// Who opened it.
    pub author: String,
    /// Comments.
    pub comments: Vec<Comment>,
    /// When opened (RFC 3339).
    pub created_on: String,
    /// Last update (RFC 3339).
    pub updated_on: String,
    /// The merge commit, once merged.
    pub merge_commit: Option<String>,
}

impl State {
    /// Loads the state of `root` (empty when there is none yet).
    pub fn load(root: &Path) -> std::io::Result<State> {
        match std::fs::read(root.join(STATE_FILE)) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(State::default()),
            Err(e) => Err(e),
        }
    }

    /// Writes the state to `root`.
    pub fn save(&self, root: &Path) -> std::io::Result<()> {
        let bytes = serde_json::to_vec_pretty(self).map_err(std::io::Error::other)?;
        let tmp = root.join(format!("{STATE_FILE}.tmp"));
        std::fs::write(&tmp, bytes)?;
        std::fs::rename(tmp, root.join(STATE_FILE))
    }

    /// A fresh `{uuid}`.
    pub fn next_uuid(&mut self) -> String {
        self.last_id += 1;
        format!("{{00000000-0000-4000-8000-{:012x}}}", self.last_id)
    }

    /// Repository `workspace/slug` (case-insensitive).
    pub fn repo(&self, full_name: &str) -> Option<&RepoState> {
        self.repos.get(&full_name.to_ascii_lowercase())
    }

    /// Repository `workspace/slug`, mutable.
    pub fn repo_mut(&mut self, full_name: &str) -> Option<&mut RepoState> {
        self.repos.get_mut(&full_name.to_ascii_lowercase())
    }
}
