//! What the Bitbucket emulator knows of a repository besides its git repository: settings and
//! pull requests with their comments, kept in the core's state file
//! ([`crate::emulator::State`]). No secret is kept here.

use serde::{Deserialize, Serialize};

/// File name of the state in the root directory.
pub const STATE_FILE: &str = "bitbucket-emulator.json";

/// The whole state: repositories by lower-case `workspace/slug`, and the sequence UUIDs are
/// made from ([`next_uuid`]).
pub type State = crate::emulator::State<RepoState>;

/// A fresh `{uuid}` from `state`'s id sequence.
pub fn next_uuid(state: &mut State) -> String {
    format!("{{00000000-0000-4000-8000-{:012x}}}", state.next_id())
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

impl crate::emulator::RepoRecord for RepoState {
    fn owner_and_name(&self) -> (&str, &str) {
        (&self.workspace, &self.slug)
    }
}

impl RepoState {
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
