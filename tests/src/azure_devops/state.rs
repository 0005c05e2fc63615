//! What the Azure DevOps emulator keeps besides its git repositories: repository ids, branch
//! policies and pull requests with their threads ([`crate::emulator::State`]). No secret.

use serde::{Deserialize, Serialize};

/// File name of the state in the root directory.
pub const STATE_FILE: &str = "azure-devops-emulator.json";

/// The whole state: repositories by lower-case `organization/project/repository`.
pub type State = crate::emulator::State<RepoState>;

/// A GUID made from the id sequence (Azure DevOps names repositories and identities by GUID).
pub fn guid(n: u64) -> String {
    format!("00000000-0000-4000-8000-{n:012x}")
}

/// `main` of `refs/heads/main`.
pub fn short(name: &str) -> &str {
    name.strip_prefix("refs/heads/").unwrap_or(name)
}

/// One repository.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RepoState {
    /// Its GUID.
    pub id: String,
    /// `organization/project`.
    pub owner: String,
    /// Its name.
    pub name: String,
    /// Pull requests, by creation.
    pub pulls: Vec<PullRequest>,
    /// Branches (short names) whose policies require pull requests: direct pushes are refused.
    pub policies: Vec<String>,
}

impl crate::emulator::RepoRecord for RepoState {
    fn owner_and_name(&self) -> (&str, &str) {
        (&self.owner, &self.name)
    }
}

/// A pull request's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum PullStatus {
    /// Open.
    Active,
    /// Abandoned.
    Abandoned,
    /// Merged.
    Completed,
}

impl PullStatus {
    /// The API's name.
    pub fn as_str(self) -> &'static str {
        match self {
            PullStatus::Active => "active",
            PullStatus::Abandoned => "abandoned",
            PullStatus::Completed => "completed",
        }
    }
}

/// A comment thread.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Thread {
    /// Its id.
    pub id: u64,
    /// Its comments' contents, in order.
    pub comments: Vec<String>,
    /// Its status (`active`, `closed`, …).
    pub status: String,
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
    /// `refs/heads/…` of the source.
    pub source: String,
    /// `refs/heads/…` of the target.
    pub target: String,
    /// Status.
    pub status: PullStatus,
    /// Draft.
    pub is_draft: bool,
    /// Reviewer ids as sent.
    pub reviewers: Vec<String>,
    /// Label names.
    pub labels: Vec<String>,
    /// Who opened it.
    pub created_by: String,
    /// Comment threads.
    pub threads: Vec<Thread>,
}
