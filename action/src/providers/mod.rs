//! Provider backends: one sync machine ([`gensync_core::sync`], driven by [`crate::sync`]), one
//! backend per hosting service.
//!
//! A backend answers the machine's needs (what is on this branch, what is in this blob) and
//! carries out its decisions (this commit, this pull request) with the service's API. It makes
//! no decision of its own beyond choosing how a request travels.

use gensync_core::message::PullRequestText;
use gensync_core::payload::github::Signature;
use gensync_core::{BranchTree, Mode, ObjectId};

/// The neutral data the sync machine and the adapters share (defined in the core).
pub use gensync_core::sync::{CommitInfo, PullRequest, PullRequestOptions, RepoInfo, ServiceScope};

pub mod azure_devops;
pub mod bitbucket;
pub mod bitbucket_auth;
pub mod bitbucket_repos;
pub mod gitea;
pub mod github;
pub mod github_app;
pub mod github_repos;
pub mod gitlab;
pub mod refusal;
pub mod spec;

pub use refusal::Refusal;

/// How many times a write that is not idempotent is sent when its answer is a 5xx or lost,
/// each time after reading back whether it took effect.
pub(crate) const WRITE_TRIES: u32 = 4;

/// Whether a write's result leaves its effect unknown: no usable answer, or a 5xx (the server
/// may have acted before failing).
pub(crate) fn uncertain(result: &Result<crate::http::Response, crate::http::Error>) -> bool {
    match result {
        Err(e) => e.is_transport(),
        Ok(r) => r.status == 408 || (500..=599).contains(&r.status),
    }
}

/// One file to write in a commit.
#[derive(Debug, Clone)]
pub struct FileWrite {
    /// Repository path.
    pub path: String,
    /// Mode.
    pub mode: Mode,
    /// Blob id of `content`.
    pub oid: ObjectId,
    /// The content.
    pub content: Vec<u8>,
    /// True if the repository already has this blob (a rename, a revert): no upload needed.
    pub exists: bool,
}

/// A commit the flow wants on a branch.
#[derive(Debug)]
pub struct CommitRequest<'a> {
    /// The branch to advance (or create).
    pub branch: &'a str,
    /// The commit we built on: the branch head, or the base head when the branch is new.
    pub parent: &'a CommitInfo,
    /// Whether the branch must be created (at the new commit) rather than advanced.
    pub create_branch: bool,
    /// Files to write.
    pub writes: &'a [FileWrite],
    /// Paths to delete.
    pub deletions: &'a [String],
    /// The full commit message.
    pub message: &'a str,
    /// Author and committer, or `None` to let the provider use the token's identity.
    pub author: Option<&'a Signature>,
    /// The parent's tree (for checks such as modes on the branch).
    pub parent_files: &'a BranchTree,
}

/// How a commit attempt ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CommitOutcome {
    /// The branch now points at this commit.
    Committed {
        /// The new commit.
        id: ObjectId,
        /// How it was made (e.g. `rest`, `graphql`), with the reason for a fallback.
        via: String,
    },
    /// Someone else moved (or created) the branch first; nothing was changed.
    HeadMoved,
}

/// What one attempt of the flow is about to read, announced with [`Provider::prepare`] so that a
/// backend can gather the answers in fewer requests.
#[derive(Debug, Clone, Copy)]
pub struct Prefetch<'a> {
    /// The pull requests' base when it is known (`None`: the repository's default branch).
    pub base: Option<&'a str>,
    /// The sync branch.
    pub branch: &'a str,
    /// Files read with [`Provider::read_file`] at the head of the sync branch or of the base
    /// (manifests, ignore files).
    pub paths: &'a [String],
    /// Whether the open pull request from `branch` into the base will be looked up.
    pub pull_request: bool,
}

/// What the flow knows when it asks for the branch's files ([`Provider::branch_files`]).
///
/// The change set looks at the branch only at the paths of the previous and the new build, and
/// needs their exact state only where the new build writes or deletes something: elsewhere a
/// file is left as it is whatever the branch holds. A backend that cannot list blob ids may
/// therefore answer with `previous` corrected at `needed` (and, for a faithful list of preserved
/// edits, wherever it knows a person edited the branch); every other path of `previous` stands
/// for "as the previous build generated it".
#[derive(Debug, Clone, Copy)]
pub struct BranchScope<'a> {
    /// The head of the base branch (history reachable from it is the base's, not the branch's).
    pub base_head: &'a ObjectId,
    /// The services synced, in order.
    pub services: &'a [ServiceScope],
    /// Every service's previous build, by repository path, as generated.
    pub previous: &'a BranchTree,
    /// The paths the change set writes or deletes if the branch holds exactly the previous build
    /// (changed, added and deleted generated files, copies of ignored files).
    pub needed: &'a std::collections::BTreeSet<String>,
}

/// A hosting service's API, as the sync flow uses it.
///
/// Call order: [`Provider::prepare`] starts each attempt; reads follow; a write
/// ([`Provider::init_empty`], [`Provider::commit`], [`Provider::create_pull_request`]) makes
/// answers about branches and pull requests given before it stale, and the backend forgets them.
pub trait Provider {
    /// Called before the reads of each attempt (the first one before
    /// [`Provider::repository`]) with what the attempt will read. A backend may gather the
    /// answers here in fewer requests and serve [`Provider::repository`],
    /// [`Provider::branch_head`], [`Provider::commit_info`], [`Provider::read_file`] and
    /// [`Provider::find_pull_request`] from them until it writes; it must forget what it
    /// learnt about branches in earlier attempts. The default does nothing.
    fn prepare(&mut self, wanted: &Prefetch<'_>) -> anyhow::Result<()> {
        let _ = wanted;
        Ok(())
    }
    /// The repository's default branch and whether it is empty.
    fn repository(&mut self) -> anyhow::Result<RepoInfo>;
    /// Create the first commit of an empty repository on `branch` (a `README.md`).
    fn init_empty(&mut self, branch: &str) -> anyhow::Result<()>;
    /// The head of `branch`, or `None` if there is no such branch.
    fn branch_head(&mut self, branch: &str) -> anyhow::Result<Option<ObjectId>>;
    /// The commit `id`.
    fn commit_info(&mut self, id: &ObjectId) -> anyhow::Result<CommitInfo>;
    /// Every file of `commit`'s tree (folders and submodules left out).
    fn files(&mut self, commit: &CommitInfo) -> anyhow::Result<BranchTree>;
    /// The contents of blob `oid`.
    fn read_blob(&mut self, oid: &ObjectId) -> anyhow::Result<Vec<u8>>;
    /// The contents of the file at `path` in `commit`, `None` if there is none. The default
    /// looks the path up in [`Provider::files`] and reads its blob.
    fn read_file(&mut self, commit: &CommitInfo, path: &str) -> anyhow::Result<Option<Vec<u8>>> {
        match self.files(commit)?.get(path) {
            Some(entry) => Ok(Some(self.read_blob(&entry.oid)?)),
            None => Ok(None),
        }
    }
    /// The files of `commit` as the change set needs them. The default lists every file
    /// ([`Provider::files`]). A backend whose listings carry no blob ids (Bitbucket) instead
    /// starts from the previous build and corrects it with what it finds on the branch; `scope`
    /// says which paths must be exact (see [`BranchScope`]).
    fn branch_files(
        &mut self,
        commit: &CommitInfo,
        scope: &BranchScope<'_>,
    ) -> anyhow::Result<BranchTree> {
        let _ = scope;
        self.files(commit)
    }
    /// Make the commit and move the branch to it, without force.
    fn commit(&mut self, request: &CommitRequest<'_>) -> anyhow::Result<CommitOutcome>;
    /// The open pull request from `branch` into `base`.
    fn find_pull_request(
        &mut self,
        branch: &str,
        base: &str,
    ) -> anyhow::Result<Option<PullRequest>>;
    /// Open a pull request.
    fn create_pull_request(
        &mut self,
        branch: &str,
        base: &str,
        text: &PullRequestText,
        options: &PullRequestOptions,
    ) -> anyhow::Result<PullRequest>;
    /// Refresh an open pull request's text and comment on it with the new build. `comment`
    /// ends with `marker` ([`gensync_core::message::build_marker`]): after a failed or lost
    /// answer, a backend reads the comments back and posts again only if none carries it.
    fn update_pull_request(
        &mut self,
        pr: &PullRequest,
        text: &PullRequestText,
        comment: &str,
        marker: &str,
    ) -> anyhow::Result<()>;
    /// Whether `branch`'s content differs from `base`'s (unmerged work, squash merges included).
    fn branch_differs(&mut self, base: &str, branch: &str) -> anyhow::Result<bool>;
    /// A commit this backend made earlier in the run but could not confirm (the answer to its
    /// branch update was lost and the retried update found the branch moved), if it is in the
    /// history of `head`: it landed. The flow asks when a rebuild finds nothing left to commit,
    /// so the outcome names the commit that carried the build. Default: none.
    fn landed(&mut self, head: &ObjectId) -> anyhow::Result<Option<ObjectId>> {
        let _ = head;
        Ok(None)
    }
}
