//! The machine's data: the job, the neutral facts a provider answers with, the needs, the
//! answers, the events and the outcome. Their JSON forms are documented in the preview's
//! interface notes; ids are 40-hex strings, contents base64, modes git's octal strings.

use std::collections::BTreeSet;

use crate::changeset::{self, BranchTree, ChangeSet};
use crate::message::{BuildInfo, PullRequestText};
use crate::payload::github::Signature;
use crate::{Mode, ObjectId, Snapshot};

/// What the sync needs to know about the repository.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RepoInfo {
    /// The default branch (the pull requests' base unless `--base` says otherwise).
    pub default_branch: String,
    /// True if the repository has no commit at all.
    pub empty: bool,
}

/// A commit as the sync sees it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CommitInfo {
    /// Its id.
    #[serde(with = "crate::serde_oid")]
    pub id: ObjectId,
    /// Its root tree.
    #[serde(with = "crate::serde_oid")]
    pub tree: ObjectId,
}

/// An open pull request.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PullRequest {
    /// Its number.
    pub number: u64,
    /// Its web address.
    pub url: String,
}

/// Pull-request options as users of peer actions expect them.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PullRequestOptions {
    /// Open as a draft.
    pub draft: bool,
    /// Labels to add.
    pub labels: Vec<String>,
    /// Users to assign.
    pub assignees: Vec<String>,
    /// Users to request reviews from.
    pub reviewers: Vec<String>,
    /// Teams to request reviews from.
    pub team_reviewers: Vec<String>,
}

/// Where a service's previous manifest was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ManifestOrigin {
    /// From the commit the sync builds on (the sync branch's head, or the base head for a new
    /// branch).
    Start,
    /// From the base branch, because the existing sync branch has none.
    Base,
    /// Nowhere: a first sync.
    None,
}

/// One service, as the branch view ([`Need::BranchFiles`]) sees it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ServiceScope {
    /// The repository path of its manifest.
    pub manifest_path: String,
    /// Where its previous manifest came from.
    pub origin: ManifestOrigin,
}

/// What the machine knows when it asks for the branch's files ([`Need::BranchFiles`]).
///
/// The change set looks at the branch only at the paths of the previous and the new build, and
/// needs their exact state only where the new build writes or deletes something: elsewhere a
/// file is left as it is whatever the branch holds. An adapter that cannot list blob ids may
/// therefore answer with `previous` corrected at `needed` (and, for a faithful list of preserved
/// edits, wherever it knows a person edited the branch); every other path of `previous` stands
/// for "as the previous build generated it".
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct BranchScope {
    /// The head of the base branch (history reachable from it is the base's, not the branch's).
    #[serde(with = "crate::serde_oid")]
    pub base_head: ObjectId,
    /// The services synced, in order.
    pub services: Vec<ServiceScope>,
    /// Every service's previous build, by repository path, as generated.
    pub previous: BranchTree,
    /// The paths the change set writes or deletes if the branch holds exactly the previous build
    /// (changed, added and deleted generated files, copies of ignored files).
    pub needed: BTreeSet<String>,
}

/// What the pull-request step did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Operation {
    /// A pull request was opened.
    Created,
    /// The open pull request was updated.
    Updated,
    /// Nothing was needed.
    None,
}

impl Operation {
    /// The output value.
    pub fn as_str(&self) -> &'static str {
        match self {
            Operation::Created => "created",
            Operation::Updated => "updated",
            Operation::None => "none",
        }
    }
}

/// The result of a sync.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SyncOutcome {
    /// The pull-request operation.
    pub operation: Operation,
    /// The new commit, if one was made.
    pub commit_sha: Option<String>,
    /// The sync branch.
    pub branch: String,
    /// The base branch.
    pub base: String,
    /// The pull request, if any.
    pub pull_request: Option<PullRequest>,
    /// How the commit was made.
    pub commit_via: Option<String>,
    /// Attempts made (more than one when the head moved underneath us).
    pub attempts: u32,
    /// True for a dry run: nothing was written.
    pub dry_run: bool,
    /// The commit message that was (or would be) used.
    pub commit_message: String,
    /// The pull request's text.
    pub pull_request_text: PullRequestText,
    /// The change set of each service.
    pub changes: Vec<ChangeSet>,
    /// Explanations for the person (e.g. why there is no pull request).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

/// One build output mapped to a folder of the repository.
#[derive(Debug, Clone)]
pub struct ServiceJob {
    /// The service's name (for messages).
    pub name: Option<String>,
    /// The new build's files (ids only: contents are asked for with [`Need::ReadGenerated`]
    /// and named in the commit plan).
    pub snapshot: Snapshot,
    /// The build's files of at least the smallest size limit, with their sizes (to refuse files
    /// over the target's limit before anything is written).
    pub large_files: Vec<(String, u64)>,
    /// A local ignore file's bytes, added to the repository's own `.amplicationignore` files.
    pub extra_ignore: Option<Vec<u8>>,
    /// Change-set options (target dir, policies).
    pub options: changeset::Options,
}

/// The largest file a target accepts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SizeLimit {
    /// The limit in bytes.
    pub bytes: u64,
    /// How an error names it (e.g. "the 100 MiB limit of GitHub").
    pub name: String,
}

/// What the target can do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Capabilities {
    /// Whether the target has pull requests (a local repository has none: the sync then stops
    /// after the commit with operation `none` and a note).
    pub pull_requests: bool,
    /// The largest file it accepts (`None`: no limit).
    pub file_size_limit: Option<SizeLimit>,
    /// The pull-request options it honours; one it lacks is dropped, with a note.
    pub options: OptionSupport,
}

/// Which pull-request options a target honours, and its name for the notes about the others.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OptionSupport {
    /// The target's name in notes (`Bitbucket`).
    pub target: String,
    /// Draft pull requests.
    pub draft: bool,
    /// Labels.
    pub labels: bool,
    /// Assignees.
    pub assignees: bool,
    /// Requested reviewers.
    pub reviewers: bool,
    /// Requested team reviewers.
    pub team_reviewers: bool,
}

impl OptionSupport {
    /// A target that honours every option.
    pub fn all(target: impl Into<String>) -> OptionSupport {
        OptionSupport {
            target: target.into(),
            draft: true,
            labels: true,
            assignees: true,
            reviewers: true,
            team_reviewers: true,
        }
    }
}

/// Everything one sync needs.
#[derive(Debug, Clone)]
pub struct SyncJob {
    /// The pull requests' base, or `None` for the repository's default branch.
    pub base: Option<String>,
    /// The sync branch's name (already rendered from its template).
    pub branch: String,
    /// Message, build id and link.
    pub build: BuildInfo,
    /// Commit author, or `None` for the token's identity.
    pub author: Option<Signature>,
    /// The services committed together (one commit, one pull request).
    pub services: Vec<ServiceJob>,
    /// Do every read, write nothing.
    pub dry_run: bool,
    /// Create a first commit in an empty repository instead of failing.
    pub init_empty: bool,
    /// Pull-request options.
    pub pull_request: PullRequestOptions,
    /// What the target can do.
    pub capabilities: Capabilities,
}

/// Where the content of a planned write comes from.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WriteSource {
    /// A file of a service's build output, by its path in the build.
    Generated {
        /// The service's index in [`SyncJob::services`].
        service: usize,
        /// The path in the build output.
        path: String,
    },
    /// Contents the machine made (a merge, a manifest).
    Inline {
        /// The contents.
        #[serde(rename = "content_base64", with = "base64_bytes")]
        content: Vec<u8>,
    },
}

/// One file of a [`CommitPlan`].
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PlannedWrite {
    /// Repository path.
    pub path: String,
    /// Mode.
    pub mode: Mode,
    /// Blob id of the contents.
    #[serde(with = "crate::serde_oid")]
    pub oid: ObjectId,
    /// True if the repository already has this blob (a rename, a revert): no upload needed.
    pub exists: bool,
    /// Where the contents come from.
    pub source: WriteSource,
}

/// The commit the machine wants on the sync branch.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CommitPlan {
    /// The branch to advance (or create).
    pub branch: String,
    /// The commit built on: the branch head, or the base head when the branch is new.
    pub parent: CommitInfo,
    /// Whether the branch must be created (at the new commit) rather than advanced.
    pub create_branch: bool,
    /// Files to write, sorted by path.
    pub writes: Vec<PlannedWrite>,
    /// Paths to delete.
    pub deletions: Vec<String>,
    /// The full commit message.
    pub message: String,
    /// Author and committer, or `None` for the token's identity.
    pub author: Option<Signature>,
}

/// What the machine asks next. Every need is answered exactly once, in order, with the
/// [`Answer`] of the same name (or a [`Failure`](super::Failure)).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Need {
    /// What the attempt will read, so an adapter can gather it in fewer requests; forget what
    /// was learnt about branches before. Answer: [`Answer::Prepared`].
    Prepare {
        /// The pull requests' base when known.
        base: Option<String>,
        /// The sync branch.
        branch: String,
        /// Files read with [`Need::ReadFile`] at the branch or base head.
        paths: Vec<String>,
        /// Whether the pull request will be looked up.
        pull_request: bool,
    },
    /// The repository's default branch and whether it is empty. Answer: [`Answer::Repository`].
    Repository,
    /// Create the first commit of an empty repository on `branch`. Answer: [`Answer::Initialized`].
    InitEmpty {
        /// The branch to create.
        branch: String,
    },
    /// The head of `branch`. Answer: [`Answer::BranchHead`].
    BranchHead {
        /// The branch.
        branch: String,
    },
    /// The commit `id`. Answer: [`Answer::CommitInfo`].
    CommitInfo {
        /// The commit.
        #[serde(with = "crate::serde_oid")]
        id: ObjectId,
    },
    /// The file at `path` in `commit`. Answer: [`Answer::File`].
    ReadFile {
        /// The commit.
        commit: CommitInfo,
        /// The path.
        path: String,
    },
    /// The files of `commit` as the change set needs them. Answer: [`Answer::BranchFiles`].
    BranchFiles {
        /// The commit.
        commit: CommitInfo,
        /// What the machine knows (see [`BranchScope`]).
        scope: BranchScope,
    },
    /// A blob of the repository. Answer: [`Answer::Blob`].
    ReadBlob {
        /// The blob.
        #[serde(with = "crate::serde_oid")]
        oid: ObjectId,
    },
    /// A file of a service's build output (the machine checks its id). Answer: [`Answer::Generated`].
    ReadGenerated {
        /// The service's index.
        service: usize,
        /// The path in the build output.
        path: String,
        /// Its id in the build's snapshot.
        #[serde(with = "crate::serde_oid")]
        oid: ObjectId,
    },
    /// Make this commit and move the branch to it, without force. Answer:
    /// [`Answer::Committed`]; failure `stale_head`: the head moved.
    Commit {
        /// The plan.
        plan: CommitPlan,
    },
    /// A commit the adapter made earlier but could not confirm, if it is in `head`'s history.
    /// Answer: [`Answer::Landed`].
    Landed {
        /// The branch head.
        #[serde(with = "crate::serde_oid")]
        head: ObjectId,
    },
    /// The open pull request from `branch` into `base`. Answer: [`Answer::PullRequest`].
    FindPullRequest {
        /// The sync branch.
        branch: String,
        /// The base.
        base: String,
    },
    /// Open a pull request. Answer: [`Answer::PullRequest`].
    CreatePullRequest {
        /// The sync branch.
        branch: String,
        /// The base.
        base: String,
        /// Title and body.
        text: PullRequestText,
        /// Options.
        options: PullRequestOptions,
    },
    /// Refresh an open pull request's text and comment on it; `comment` ends with `marker`.
    /// Answer: [`Answer::Updated`].
    UpdatePullRequest {
        /// The pull request.
        pr: PullRequest,
        /// Title and body.
        text: PullRequestText,
        /// The comment.
        comment: String,
        /// The build's hidden marker (to read back whether the comment landed).
        marker: String,
    },
    /// Whether `branch`'s content differs from `base`'s. Answer: [`Answer::Differs`].
    BranchDiffers {
        /// The base.
        base: String,
        /// The sync branch.
        branch: String,
    },
}

impl Need {
    /// The need's name, as in its JSON `kind`.
    pub fn kind(&self) -> &'static str {
        match self {
            Need::Prepare { .. } => "prepare",
            Need::Repository => "repository",
            Need::InitEmpty { .. } => "init_empty",
            Need::BranchHead { .. } => "branch_head",
            Need::CommitInfo { .. } => "commit_info",
            Need::ReadFile { .. } => "read_file",
            Need::BranchFiles { .. } => "branch_files",
            Need::ReadBlob { .. } => "read_blob",
            Need::ReadGenerated { .. } => "read_generated",
            Need::Commit { .. } => "commit",
            Need::Landed { .. } => "landed",
            Need::FindPullRequest { .. } => "find_pull_request",
            Need::CreatePullRequest { .. } => "create_pull_request",
            Need::UpdatePullRequest { .. } => "update_pull_request",
            Need::BranchDiffers { .. } => "branch_differs",
        }
    }
}

/// The answer to a [`Need`].
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Answer {
    /// To [`Need::Prepare`].
    Prepared {},
    /// To [`Need::Repository`].
    Repository(RepoInfo),
    /// To [`Need::InitEmpty`].
    Initialized {},
    /// To [`Need::BranchHead`]: `None` when there is no such branch.
    BranchHead {
        /// The head.
        #[serde(with = "crate::serde_oid::option", default)]
        id: Option<ObjectId>,
    },
    /// To [`Need::CommitInfo`].
    CommitInfo(CommitInfo),
    /// To [`Need::ReadFile`]: `None` when there is no such file.
    File {
        /// The contents.
        #[serde(rename = "content_base64", with = "base64_bytes::option", default)]
        content: Option<Vec<u8>>,
    },
    /// To [`Need::BranchFiles`].
    BranchFiles {
        /// The files.
        files: BranchTree,
    },
    /// To [`Need::ReadBlob`].
    Blob {
        /// The contents.
        #[serde(rename = "content_base64", with = "base64_bytes")]
        content: Vec<u8>,
    },
    /// To [`Need::ReadGenerated`].
    Generated {
        /// The contents.
        #[serde(rename = "content_base64", with = "base64_bytes")]
        content: Vec<u8>,
    },
    /// To [`Need::Commit`].
    Committed {
        /// The new commit.
        #[serde(with = "crate::serde_oid")]
        id: ObjectId,
        /// How it was made (e.g. `rest`, `graphql`), with the reason for a fallback.
        via: String,
    },
    /// To [`Need::Landed`].
    Landed {
        /// The commit that landed, if any.
        #[serde(with = "crate::serde_oid::option", default)]
        id: Option<ObjectId>,
    },
    /// To [`Need::FindPullRequest`] (`None`: no open one) and [`Need::CreatePullRequest`].
    PullRequest {
        /// The pull request.
        #[serde(default)]
        pr: Option<PullRequest>,
    },
    /// To [`Need::UpdatePullRequest`].
    Updated {},
    /// To [`Need::BranchDiffers`].
    Differs {
        /// Whether the contents differ.
        value: bool,
    },
}

impl Answer {
    /// The answer's name, as in its JSON `kind`.
    pub fn kind(&self) -> &'static str {
        match self {
            Answer::Prepared {} => "prepared",
            Answer::Repository(_) => "repository",
            Answer::Initialized {} => "initialized",
            Answer::BranchHead { .. } => "branch_head",
            Answer::CommitInfo(_) => "commit_info",
            Answer::File { .. } => "file",
            Answer::BranchFiles { .. } => "branch_files",
            Answer::Blob { .. } => "blob",
            Answer::Generated { .. } => "generated",
            Answer::Committed { .. } => "committed",
            Answer::Landed { .. } => "landed",
            Answer::PullRequest { .. } => "pull_request",
            Answer::Updated {} => "updated",
            Answer::Differs { .. } => "differs",
        }
    }
}

/// What the machine tells its driver.
#[derive(Debug, serde::Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Event {
    /// A line of progress for the person watching.
    Log {
        /// The line.
        line: String,
    },
    /// The commit a dry run would make (a real run asks [`Need::Commit`] instead).
    Planned {
        /// The plan.
        plan: CommitPlan,
    },
    /// The sync finished.
    Finished {
        /// What it did.
        outcome: Box<SyncOutcome>,
    },
    /// The sync failed; nothing more is asked.
    Failed {
        /// Why (and whether a commit landed before).
        error: super::Error,
    },
}

/// `Vec<u8>` as base64 in JSON.
pub mod base64_bytes {
    use base64::Engine as _;
    use serde::{Deserialize, Deserializer, Serializer};

    /// Serialize bytes as standard base64.
    pub fn serialize<S: Serializer>(data: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&base64::engine::general_purpose::STANDARD.encode(data))
    }

    /// Deserialize bytes from standard base64.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let text = std::borrow::Cow::<str>::deserialize(d)?;
        base64::engine::general_purpose::STANDARD
            .decode(text.as_bytes())
            .map_err(serde::de::Error::custom)
    }

    /// The same for optional bytes (null: none).
    pub mod option {
        use super::*;

        /// Serialize optional bytes as base64 or null.
        pub fn serialize<S: Serializer>(data: &Option<Vec<u8>>, s: S) -> Result<S::Ok, S::Error> {
            match data {
                Some(d) => super::serialize(d, s),
                None => s.serialize_none(),
            }
        }

        /// Deserialize optional bytes from base64 or null.
        pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<u8>>, D::Error> {
            Option::<std::borrow::Cow<str>>::deserialize(d)?
                .map(|t| {
                    base64::engine::general_purpose::STANDARD
                        .decode(t.as_bytes())
                        .map_err(serde::de::Error::custom)
                })
                .transpose()
        }
    }
}
