//! What the GitLab emulator keeps of a project besides its git repository: its id, protected
//! branches and merge requests with their notes, in the core's state file. No secret is kept.

use serde::{Deserialize, Serialize};

/// File name of the state in the root directory.
pub const STATE_FILE: &str = "gitlab-emulator.json";

/// The whole state: projects by lower-case full path.
pub type State = crate::emulator::State<ProjectState>;

/// One project.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProjectState {
    /// Its numeric id.
    pub id: u64,
    /// The namespace (`group/subgroup`).
    pub namespace: String,
    /// The project's path.
    pub path: String,
    /// Branches nobody may push to through the API (exact names).
    #[serde(default)]
    pub protected: Vec<String>,
    /// Merge requests by creation (`iid` from 1).
    pub merge_requests: Vec<MergeRequest>,
}

impl crate::emulator::RepoRecord for ProjectState {
    fn owner_and_name(&self) -> (&str, &str) {
        (&self.namespace, &self.path)
    }
}

/// A note on a merge request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Note {
    /// Its id.
    pub id: u64,
    /// Markdown.
    pub body: String,
}

/// A merge request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MergeRequest {
    /// Its global id.
    pub id: u64,
    /// Its number in the project.
    pub iid: u64,
    /// Title.
    pub title: String,
    /// Description.
    pub description: String,
    /// Source branch.
    pub source_branch: String,
    /// Target branch.
    pub target_branch: String,
    /// `opened`, `merged` or `closed`.
    pub state: String,
    /// Labels.
    pub labels: Vec<String>,
    /// Assignee ids.
    pub assignee_ids: Vec<u64>,
    /// Reviewer ids.
    pub reviewer_ids: Vec<u64>,
    /// Notes, oldest first.
    pub notes: Vec<Note>,
}
