//! What the GitHub emulator knows of a repository besides its git repository: settings, pull
//! requests with their comments, and which commits GitHub would show as verified; kept in the
//! core's state file ([`crate::emulator::State`]). Tokens (configured or issued to Apps) live in
//! memory only.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

/// File name of the state in the root directory.
pub const STATE_FILE: &str = "github-emulator.json";

/// The whole state: repositories by lower-case `owner/name`; repositories, pull requests and
/// comments share one id sequence.
pub type State = crate::emulator::State<RepoState>;

/// Settings and pull requests of one repository.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RepoState {
    /// Numeric id.
    pub id: u64,
    /// Owner login, as created.
    pub owner: String,
    /// Name, as created.
    pub name: String,
    /// Private repository.
    pub private: bool,
    /// Description.
    pub description: Option<String>,
    /// When it was created (RFC 3339).
    pub created_at: String,
    /// Protected branches: refs updates, force or not, are refused.
    pub protected_branches: BTreeSet<String>,
    /// The repository (or organisation) setting "Allow GitHub Actions to create and approve
    /// pull requests".
    pub actions_can_create_pull_requests: bool,
    /// The next issue / pull request number.
    pub next_number: u64,
    /// Pull requests, by creation.
    pub pulls: Vec<PullRequest>,
    /// Commits GitHub would mark as verified (signed by GitHub for a bot or in GraphQL).
    pub verified_commits: BTreeSet<String>,
}

impl crate::emulator::RepoRecord for RepoState {
    fn owner_and_name(&self) -> (&str, &str) {
        (&self.owner, &self.name)
    }
}

impl RepoState {
    /// Pull request `number`.
    pub fn pull(&self, number: u64) -> Option<&PullRequest> {
        self.pulls.iter().find(|p| p.number == number)
    }

    /// Pull request `number`, mutable.
    pub fn pull_mut(&mut self, number: u64) -> Option<&mut PullRequest> {
        self.pulls.iter_mut().find(|p| p.number == number)
    }
}

/// Open or closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PullState {
    /// Open.
    Open,
    /// Closed (merged or not).
    Closed,
}

impl PullState {
    /// GitHub's name (`open`, `closed`).
    pub fn as_str(self) -> &'static str {
        match self {
            PullState::Open => "open",
            PullState::Closed => "closed",
        }
    }
}

/// A pull request as the emulator stores it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PullRequest {
    /// Numeric id.
    pub id: u64,
    /// Number in the repository.
    pub number: u64,
    /// Title.
    pub title: String,
    /// Body (markdown).
    pub body: Option<String>,
    /// Open or closed.
    pub state: PullState,
    /// Draft.
    pub draft: bool,
    /// Owner of the head branch's repository (this repository's owner: no forks).
    pub head_owner: String,
    /// Head branch.
    pub head: String,
    /// Base branch.
    pub base: String,
    /// Head commit when last seen (kept once the branch is deleted).
    pub head_sha: String,
    /// Base commit when the pull request was created or updated.
    pub base_sha: String,
    /// Login of the author.
    pub user: String,
    /// Label names.
    pub labels: Vec<String>,
    /// Assignee logins.
    pub assignees: Vec<String>,
    /// Requested reviewer logins.
    pub requested_reviewers: Vec<String>,
    /// Requested team slugs.
    pub requested_teams: Vec<String>,
    /// Conversation comments.
    pub comments: Vec<Comment>,
    /// Whether it was merged.
    pub merged: bool,
    /// The merge (or squash) commit.
    pub merge_commit_sha: Option<String>,
    /// Maintainers may push to the head branch.
    pub maintainer_can_modify: bool,
    /// Created (RFC 3339).
    pub created_at: String,
    /// Last updated (RFC 3339).
    pub updated_at: String,
    /// Closed (RFC 3339).
    pub closed_at: Option<String>,
    /// Merged (RFC 3339).
    pub merged_at: Option<String>,
}

/// A conversation comment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Comment {
    /// Numeric id.
    pub id: u64,
    /// Markdown body.
    pub body: String,
    /// Author login.
    pub user: String,
    /// Created (RFC 3339).
    pub created_at: String,
}
