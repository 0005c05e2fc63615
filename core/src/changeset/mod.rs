//! The change set between two builds: what a sync writes and deletes (DESIGN section 2).
//!
//! Inputs are the previous build's [`BuildManifest`](crate::BuildManifest) P, the new build's
//! [`Snapshot`](crate::Snapshot) N (both relative to the target dir), the
//! [`IgnoreRules`](crate::IgnoreRules) I and, when known, the sync branch's tree B (repository
//! paths). The rules, each with a unit test of the same name in `tests/core/changeset.rs`:
//!
//! - added = in N not in P; modified = in both, blob id or mode differs; deleted = in P not in N;
//!   renamed = a deleted and an added path with the same blob id (display only).
//! - ignored: paths matched by I are dropped from the three lists and reported.
//! - unchanged between builds: never touched, whatever B holds (a person's edit survives).
//! - a write equal to B is dropped (no-op); a deletion of a path absent from B is dropped.
//! - deletions only of paths P lists, inside the target dir.
//! - conflict: changed between builds and edited on B since the last build: three-way merged
//!   under a [`ConflictPolicy`](crate::ConflictPolicy) once the caller supplies the contents
//!   ([`ChangeSet::blobs_needed`], [`ChangeSet::resolve_conflicts`]).
//! - file/folder collisions: a write or deletion whose path is an ancestor or a descendant of a
//!   path the branch holds and the change set does not delete (a person's file or folder, an
//!   ignored or kept file) is a [`ConflictKind::FileFolder`] conflict; the branch's side stays
//!   under every policy but `fail` (which refuses): content the previous manifest does not own
//!   is never replaced.
//! - an empty build is refused unless allowed.
//!
//! Computing is pure: contents are never read here. The caller fetches what
//! [`ChangeSet::blobs_needed`] lists (only conflicting paths' blobs) and hands them back.

use std::collections::BTreeMap;

use gix_hash::ObjectId;

use crate::merge::{ConflictPolicy, Side};
use crate::snapshot::Mode;

mod function;
pub use function::compute;

/// One blob of the sync branch's tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct TreeEntry {
    /// The file's mode.
    pub mode: Mode,
    /// The blob id.
    #[serde(with = "crate::serde_oid")]
    pub oid: ObjectId,
}

/// The files of the sync branch, by repository path (folders and submodules left out).
pub type BranchTree = BTreeMap<String, TreeEntry>;

/// What [`compute()`] needs besides the builds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Options {
    /// The repository folder the build output maps to (`""` = root), normalised.
    pub target_dir: String,
    /// Accept an empty build output (which deletes every previously generated file).
    pub allow_empty: bool,
    /// Write the new version of ignored generated files below this folder (relative to the
    /// target dir), e.g. `.amplication/ignored`.
    pub ignored_to: Option<String>,
    /// What to do with overlapping edits.
    pub conflicts: ConflictPolicy,
}

/// Errors of [`compute()`] and [`ChangeSet::resolve_conflicts`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// The new build has no files.
    #[error("the build output is empty: syncing it would delete every generated file; check the generator's output folder, or pass --allow-empty if that is really wanted")]
    EmptyBuild,
    /// The build output contains gensync's manifest path.
    #[error("the build output contains {path:?}, the path of gensync's manifest; the generator must not produce it")]
    ReservedPath {
        /// The offending path.
        path: String,
    },
    /// The manifest, snapshot and branch use different object formats.
    #[error("object formats differ: the previous manifest uses {previous:?}, the build {next:?}")]
    HashKindMismatch {
        /// The manifest's.
        previous: gix_hash::Kind,
        /// The snapshot's.
        next: gix_hash::Kind,
    },
    /// `--ignored-to` is not a normalised folder path inside the target dir.
    #[error("invalid --ignored-to folder {dir:?}: {source}; give a folder inside the target dir, such as .amplication/ignored")]
    IgnoredTo {
        /// The folder given.
        dir: String,
        /// What is wrong with it.
        source: crate::path::Error,
    },
    /// The target dir is not a normalised folder path.
    #[error("invalid target dir: {0}")]
    TargetDir(#[from] crate::path::Error),
    /// Conflicts under [`ConflictPolicy::Fail`].
    #[error("{} file(s) were changed by the generator and edited on the branch in overlapping ways: {}; resolve them on the branch or choose another --conflicts policy", .paths.len(), .paths.join(", "))]
    Conflicts {
        /// The conflicting paths.
        paths: Vec<String>,
    },
    /// The caller did not supply a blob [`ChangeSet::blobs_needed`] listed.
    #[error("the contents of blob {oid} (for {path:?}) are needed to merge a conflict but were not supplied")]
    MissingBlob {
        /// The blob.
        oid: ObjectId,
        /// The path it was needed for.
        path: String,
    },
}

/// A file written or deleted, as listed in a change set.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FileChange {
    /// Repository path.
    pub path: String,
    /// Mode (for deletions: the mode as previously generated).
    pub mode: Mode,
    /// Blob id (for deletions: as previously generated).
    #[serde(with = "crate::serde_oid")]
    pub oid: ObjectId,
    /// For modifications: the previously generated mode.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub previous_mode: Option<Mode>,
    /// For modifications: the previously generated blob id.
    #[serde(
        skip_serializing_if = "Option::is_none",
        default,
        with = "crate::serde_oid::option"
    )]
    pub previous_oid: Option<ObjectId>,
}

/// A deleted and an added path with the same content.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Rename {
    /// The path deleted.
    pub from: String,
    /// The path added.
    pub to: String,
    /// Mode at the new path.
    pub mode: Mode,
    /// The shared blob id.
    #[serde(with = "crate::serde_oid")]
    pub oid: ObjectId,
}

/// How a path changed between the two builds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ChangeKind {
    /// New in this build.
    Added,
    /// Different content or mode.
    Modified,
    /// No longer generated.
    Deleted,
}

/// A change between builds not applied because the ignore file matches the path.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct IgnoredChange {
    /// Repository path.
    pub path: String,
    /// What the generator did.
    pub change: ChangeKind,
    /// Mode (as generated now, or previously for deletions).
    pub mode: Mode,
    /// Blob id (as generated now, or previously for deletions).
    #[serde(with = "crate::serde_oid")]
    pub oid: ObjectId,
    /// Where the new version is written instead (`--ignored-to`).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub copied_to: Option<String>,
}

/// The kinds of conflict between a generator change and a branch edit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ConflictKind {
    /// Both changed an existing file.
    BothModified,
    /// The generator added a path a person had also created on the branch.
    BothAdded,
    /// The generator deleted a file a person edited.
    DeletedByGenerator,
    /// The generator changed a file a person deleted.
    DeletedOnBranch,
    /// A file and a folder collide: the generator writes or deletes a path whose ancestor is a
    /// file on the branch, or which is a folder on the branch holding files the change set does
    /// not delete (a person's). The branch's side is always kept (`blocked_by` names the path).
    FileFolder,
}

impl ConflictKind {
    /// The user-facing name, as in JSON output (`both-modified`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            ConflictKind::BothModified => "both-modified",
            ConflictKind::BothAdded => "both-added",
            ConflictKind::DeletedByGenerator => "deleted-by-generator",
            ConflictKind::DeletedOnBranch => "deleted-on-branch",
            ConflictKind::FileFolder => "file-folder",
        }
    }
}

impl std::fmt::Display for ConflictKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a conflict stands.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case", tag = "state")]
pub enum ConflictState {
    /// The contents are needed to merge ([`ChangeSet::blobs_needed`]).
    Pending,
    /// Merged with no overlap: both edits kept.
    Merged,
    /// Overlapping edits committed with conflict markers for a person to resolve.
    Markers,
    /// Overlapping edits resolved by the policy, or a whole side kept (binary, deletions).
    Resolved {
        /// The side that won the overlapping parts.
        kept: Side,
    },
}

/// A path changed by the generator and edited on the branch since the last build.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Conflict {
    /// Repository path.
    pub path: String,
    /// What each side did.
    pub kind: ConflictKind,
    /// The previously generated blob (merge base), if any.
    pub base: Option<TreeEntry>,
    /// The branch's blob, if any.
    pub branch: Option<TreeEntry>,
    /// The newly generated blob, if any.
    pub generated: Option<TreeEntry>,
    /// For [`ConflictKind::FileFolder`]: the branch path that blocks this one (a file above
    /// it, or a file inside the folder at it).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub blocked_by: Option<String>,
    /// Where it stands.
    #[serde(flatten)]
    pub state: ConflictState,
}

/// Where the content of a write comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Content {
    /// The new build's file at this target-relative path.
    Generated(String),
    /// Bytes produced by a merge.
    Merged(Vec<u8>),
}

/// One file to write in the sync commit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Write {
    /// Repository path.
    pub path: String,
    /// Mode.
    pub mode: Mode,
    /// Blob id of the content.
    pub oid: ObjectId,
    /// Where the content comes from.
    pub content: Content,
}

/// The result of [`compute()`]: the lists a person reads, and the writes and deletions a sync
/// commits.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ChangeSet {
    /// The target dir (repository folder) of this change set.
    pub target_dir: String,
    /// Paths new in this build, written.
    pub added: Vec<FileChange>,
    /// Paths whose content or mode changed, written.
    pub modified: Vec<FileChange>,
    /// Paths no longer generated, deleted.
    pub deleted: Vec<FileChange>,
    /// Deleted/added pairs with the same content (their paths are not in `added`/`deleted`).
    pub renamed: Vec<Rename>,
    /// Changes not applied because the ignore file matches.
    pub ignored: Vec<IgnoredChange>,
    /// Changes that met a person's edit on the branch.
    pub conflicts: Vec<Conflict>,
    /// Paths whose write or deletion was dropped because the branch already has the result.
    pub already_on_branch: Vec<String>,
    /// Paths the generator did not change but a person edited on the branch: left as they are.
    pub preserved_edits: Vec<String>,
    /// Repository path of the manifest.
    pub manifest_path: String,
    /// The object format of the build (merged contents are hashed with it).
    #[serde(skip)]
    pub(crate) hash_kind: gix_hash::Kind,
    #[serde(skip)]
    pub(crate) writes: Vec<Write>,
    #[serde(skip)]
    pub(crate) deletions: Vec<String>,
    #[serde(skip)]
    pub(crate) options: Options,
}

/// Summary counts of a [`ChangeSet`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Counts {
    /// Paths added.
    pub added: usize,
    /// Paths modified.
    pub modified: usize,
    /// Paths deleted.
    pub deleted: usize,
    /// Paths renamed.
    pub renamed: usize,
    /// Changes ignored.
    pub ignored: usize,
    /// Conflicts.
    pub conflicts: usize,
}

/// Queries.
impl ChangeSet {
    /// Every file the sync commit writes (renamed targets, merged conflicts and side copies
    /// included), sorted by path.
    pub fn writes(&self) -> &[Write] {
        &self.writes
    }

    /// Every path the sync commit deletes (renamed sources included), sorted.
    pub fn deletions(&self) -> &[String] {
        &self.deletions
    }

    /// True if the sync has nothing to commit.
    pub fn is_empty(&self) -> bool {
        self.writes.is_empty() && self.deletions.is_empty()
    }

    /// The counts shown in summaries and outputs.
    pub fn counts(&self) -> Counts {
        Counts {
            added: self.added.len(),
            modified: self.modified.len(),
            deleted: self.deleted.len(),
            renamed: self.renamed.len(),
            ignored: self.ignored.len(),
            conflicts: self.conflicts.len(),
        }
    }

    /// The blob ids whose contents [`resolve_conflicts`](Self::resolve_conflicts) needs: the
    /// base, branch and generated versions of conflicting paths (a caller reads generated ones
    /// from the build output, the others from the repository). Empty when nothing is to merge.
    pub fn blobs_needed(&self) -> Vec<ObjectId> {
        let mut out: Vec<ObjectId> = self
            .conflicts
            .iter()
            .filter(|c| c.state == ConflictState::Pending)
            .flat_map(|c| [c.base, c.branch, c.generated])
            .flatten()
            .map(|e| e.oid)
            .collect();
        out.sort();
        out.dedup();
        out
    }
}
