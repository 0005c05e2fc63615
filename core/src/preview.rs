//! The change preview (DESIGN section 7): what a sync of a build would commit, shown before
//! anything is pushed.
//!
//! [`preview()`] runs the very steps a sync runs, from the same functions:
//! [`changeset::compute`], then [`ChangeSet::resolve_conflicts`] when every blob it needs is
//! known, [`branch::render`], [`message::commit_message`] and [`message::pull_request`]. On top
//! it renders each file of the commit as a `git diff` patch with line counts ([`diff`]), wherever
//! both sides' contents are known.
//!
//! The diff of a file is what the sync commit changes: from the sync branch's current content
//! (when the branch tree is unknown, the previous build's, as [`changeset::compute`] assumes) to
//! the content written. Contents are known for the new build (when the snapshot keeps them),
//! the previous build when it is given as files, and any extra blobs the caller supplies (for
//! example the branch's versions of edited files).
//!
//! ```
//! use gensync_core::{preview, BuildManifest, IgnoreRules, Mode, Snapshot};
//! let kind = gix_hash::Kind::Sha1;
//! let mut first = Snapshot::new(kind);
//! first.insert_data("a.txt", Mode::Regular, b"one\ntwo\n".to_vec())?;
//! let mut next = Snapshot::new(kind);
//! next.insert_data("a.txt", Mode::Regular, b"one\n2\n".to_vec())?;
//!
//! let options = preview::Options {
//!     build: gensync_core::message::BuildInfo { message: "Update".into(), ..Default::default() },
//!     ..Default::default()
//! };
//! let input = preview::Input {
//!     previous: preview::Previous::Files(&first),
//!     next: &next,
//!     ignore: &IgnoreRules::new(),
//!     branch: None,
//!     extra_blobs: &[],
//! };
//! let p = preview::preview(&input, &options)?;
//! assert_eq!(p.branch, "amplication");
//! assert_eq!((p.totals.added_lines, p.totals.removed_lines), (1, 1));
//! assert!(p.files[0].patch.ends_with("@@ -1,2 +1,2 @@\n one\n-two\n+2\n"));
//! assert_eq!(p.pull_request.unwrap().title, "Update");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::collections::HashMap;

use gix_hash::ObjectId;

use crate::branch::{self, Strategy};
use crate::changeset::{self, BranchTree, ChangeSet, Content, TreeEntry};
use crate::diff::{self, FilePatch};
use crate::manifest::BuildManifest;
use crate::merge::MergeLabels;
use crate::message::{self, BuildInfo, PullRequestText};
use crate::snapshot::{hash_blob, Mode, Snapshot};

/// What the previous build is known as.
#[derive(Debug, Clone, Copy)]
pub enum Previous<'a> {
    /// Its manifest only (as read from the repository): ids without contents.
    Manifest(&'a BuildManifest),
    /// Its files; their contents make the diffs of modified and deleted files.
    Files(&'a Snapshot),
}

/// The builds and the repository state to preview.
#[derive(Debug, Clone, Copy)]
pub struct Input<'a> {
    /// The previous build.
    pub previous: Previous<'a>,
    /// The new build (keep the contents, [`Snapshot::insert_data`], to get diffs).
    pub next: &'a Snapshot,
    /// The ignore rules, with repository paths.
    pub ignore: &'a crate::IgnoreRules,
    /// The sync branch's tree, when known.
    pub branch: Option<&'a BranchTree>,
    /// More contents, found by their blob id: e.g. the branch's versions of files a person
    /// edited, which let conflicts be merged and diffed as a sync would.
    pub extra_blobs: &'a [&'a [u8]],
}

/// How to preview; everything a sync is told besides the builds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// The change set options: target dir, conflict policy, `allow_empty`, `ignored_to`.
    pub changes: changeset::Options,
    /// The build's message, id and link. A blank message leaves the commit and pull-request
    /// texts out (a sync would refuse it; the change set is still previewed).
    pub build: BuildInfo,
    /// The branch strategy, whose default template names the branch.
    pub strategy: Strategy,
    /// A branch template overriding the strategy's (`amplication-{service}`).
    pub branch_template: Option<String>,
    /// The service name for `{service}` in the branch template.
    pub service: Option<String>,
    /// Unchanged lines around each change in the diffs.
    pub context_lines: u32,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            changes: changeset::Options::default(),
            build: BuildInfo::default(),
            strategy: Strategy::default(),
            branch_template: None,
            service: None,
            context_lines: diff::DEFAULT_CONTEXT_LINES,
        }
    }
}

/// Errors of [`preview()`]: the ones the sync would stop with.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// The change set cannot be computed (empty build, reserved path, bad target dir, refused
    /// conflicts).
    #[error(transparent)]
    Changes(#[from] changeset::Error),
    /// The branch template does not render to a valid branch name.
    #[error(transparent)]
    Branch(#[from] branch::Error),
    /// The commit message is empty.
    #[error(transparent)]
    Message(#[from] message::Error),
}

/// How a file changes in the sync commit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Written where the branch has no file.
    Added,
    /// Written over the branch's file (content and/or mode).
    Modified,
    /// Deleted from the branch.
    Deleted,
    /// Deleted at one path and written with the same content at another.
    Renamed,
}

/// One file of the sync commit, with its diff.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FileDiff {
    /// Repository path (the new path of a rename).
    pub path: String,
    /// The old path of a rename.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub old_path: Option<String>,
    /// What happens to the file.
    pub status: Status,
    /// The mode before (absent for additions).
    pub old_mode: Option<Mode>,
    /// The mode after (absent for deletions).
    pub new_mode: Option<Mode>,
    /// The blob before.
    #[serde(with = "crate::serde_oid::option")]
    pub old_oid: Option<ObjectId>,
    /// The blob after.
    #[serde(with = "crate::serde_oid::option")]
    pub new_oid: Option<ObjectId>,
    /// Either side is binary: flagged, not diffed.
    pub binary: bool,
    /// Both sides' contents were known, so the lines were compared.
    pub contents_known: bool,
    /// Lines added.
    pub added_lines: u32,
    /// Lines removed.
    pub removed_lines: u32,
    /// The file's `git diff` patch (header only when the contents are unknown or binary).
    pub patch: String,
}

/// Sums over [`Preview::files`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Totals {
    /// Files the commit writes or deletes (a rename counts once), the manifest left out.
    pub files: usize,
    /// Lines added.
    pub added_lines: u64,
    /// Lines removed.
    pub removed_lines: u64,
    /// Binary files.
    pub binary_files: usize,
    /// Files whose diff is unknown because a side's contents were not given.
    pub unknown_files: usize,
}

/// What a sync of the build would do.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Preview {
    /// The change set, as `gensync changes --format json` prints it.
    pub changes: ChangeSet,
    /// Whether the sync would commit (false: operation `none`, no commit, no pull request).
    pub would_commit: bool,
    /// Counts of the change set's lists.
    pub counts: changeset::Counts,
    /// Every file the commit writes or deletes, by path, with its diff.
    pub files: Vec<FileDiff>,
    /// Sums over `files`.
    pub totals: Totals,
    /// The sync branch.
    pub branch: String,
    /// The commit message (absent when the build message is blank).
    pub commit_message: Option<String>,
    /// The pull request's title and body (absent when the build message is blank).
    pub pull_request: Option<PullRequestText>,
    /// The new manifest's text, committed at `changes.manifest_path`.
    pub manifest: String,
}

/// Preview the sync of `input` under `options` (see the [module docs](self)).
pub fn preview(input: &Input<'_>, options: &Options) -> Result<Preview, Error> {
    let kind = input.next.hash_kind();
    let from_files;
    let previous = match input.previous {
        Previous::Manifest(m) => m,
        Previous::Files(s) => {
            from_files = BuildManifest::from_snapshot(s);
            &from_files
        }
    };
    let template = options
        .branch_template
        .as_deref()
        .unwrap_or(options.strategy.default_template());
    let build_id = options.build.build_id.as_deref();
    let branch_name = branch::render(template, build_id, options.service.as_deref())?;

    let mut changes = changeset::compute(
        previous,
        input.next,
        input.ignore,
        input.branch,
        &options.changes,
    )?;

    // Every content known, by blob id.
    let mut blobs: HashMap<ObjectId, &[u8]> = HashMap::new();
    let snapshots = [
        Some(input.next),
        if let Previous::Files(s) = input.previous {
            Some(s)
        } else {
            None
        },
    ];
    for snapshot in snapshots.into_iter().flatten() {
        for (_, e) in snapshot.iter() {
            if let Some(data) = &e.data {
                blobs.insert(e.oid, data);
            }
        }
    }
    for data in input.extra_blobs {
        blobs.insert(hash_blob(kind, data), data);
    }

    changes.resolve_conflicts_if_known(
        &mut |oid| blobs.get(oid).map(|d| d.to_vec()),
        MergeLabels::default(),
    )?;

    let files = file_diffs(&changes, previous, input, &blobs, options.context_lines);
    let mut totals = Totals {
        files: files.len(),
        ..Totals::default()
    };
    for f in &files {
        totals.added_lines += u64::from(f.added_lines);
        totals.removed_lines += u64::from(f.removed_lines);
        totals.binary_files += usize::from(f.binary);
        totals.unknown_files += usize::from(!f.contents_known);
    }

    let build = &options.build;
    let (commit_message, pull_request) = if build.message.trim().is_empty() {
        (None, None)
    } else {
        (
            Some(message::commit_message(build)?),
            Some(message::pull_request(build, &[&changes])?),
        )
    };
    Ok(Preview {
        would_commit: !changes.is_empty(),
        counts: changes.counts(),
        manifest: crate::manifest::BuildManifest::text_of(input.next),
        changes,
        files,
        totals,
        branch: branch_name,
        commit_message,
        pull_request,
    })
}

/// The diffs of every write and deletion of the commit, renames paired, sorted by path.
fn file_diffs(
    changes: &ChangeSet,
    previous: &BuildManifest,
    input: &Input<'_>,
    blobs: &HashMap<ObjectId, &[u8]>,
    context: u32,
) -> Vec<FileDiff> {
    // What the branch holds at a repository path (the previous build, when the tree is unknown).
    let current = |repo_path: &str| -> Option<TreeEntry> {
        match input.branch {
            Some(tree) => tree.get(repo_path).copied(),
            None => crate::path::strip_dir(&changes.target_dir, repo_path)
                .and_then(|rel| previous.get(rel))
                .map(|e| TreeEntry {
                    mode: e.mode,
                    oid: e.oid,
                }),
        }
    };
    let renamed_from: HashMap<&str, &str> = changes
        .renamed
        .iter()
        .map(|r| (r.to.as_str(), r.from.as_str()))
        .collect();
    let rename_sources: std::collections::HashSet<&str> =
        changes.renamed.iter().map(|r| r.from.as_str()).collect();

    let mut out = Vec::with_capacity(changes.writes().len() + changes.deletions().len());
    for w in changes.writes() {
        let new_data: Option<&[u8]> = match &w.content {
            Content::Generated(rel) => input.next.get(rel).and_then(|e| e.data.as_deref()),
            Content::Merged(data) => Some(data),
        };
        let new_entry = TreeEntry {
            mode: w.mode,
            oid: w.oid,
        };
        let new = side(&w.path, new_entry, new_data);
        let (old_path, old_entry) = match renamed_from.get(w.path.as_str()) {
            Some(from) => (Some(*from), current(from)),
            None => (None, current(&w.path)),
        };
        let old =
            old_entry.map(|e| side(old_path.unwrap_or(&w.path), e, blobs.get(&e.oid).copied()));
        let status = match (old_path, old) {
            (Some(_), Some(_)) => Status::Renamed,
            (_, None) => Status::Added,
            (None, Some(_)) => Status::Modified,
        };
        out.push(file_diff(
            &w.path,
            old_path.filter(|_| status == Status::Renamed),
            status,
            old,
            Some(new),
            context,
        ));
    }
    for path in changes.deletions() {
        if rename_sources.contains(path.as_str()) {
            continue;
        }
        let Some(entry) = current(path) else { continue };
        let old = side(path, entry, blobs.get(&entry.oid).copied());
        out.push(file_diff(
            path,
            None,
            Status::Deleted,
            Some(old),
            None,
            context,
        ));
    }
    out.sort_by(|a, b| a.path.cmp(&b.path));
    out
}

fn side<'a>(path: &'a str, entry: TreeEntry, data: Option<&'a [u8]>) -> diff::Side<'a> {
    diff::Side {
        path,
        mode: entry.mode,
        oid: entry.oid,
        data,
    }
}

fn file_diff(
    path: &str,
    old_path: Option<&str>,
    status: Status,
    old: Option<diff::Side<'_>>,
    new: Option<diff::Side<'_>>,
    context: u32,
) -> FileDiff {
    let patch = FilePatch::new(old, new, context);
    FileDiff {
        path: path.to_owned(),
        old_path: old_path.map(str::to_owned),
        status,
        old_mode: old.map(|s| s.mode),
        new_mode: new.map(|s| s.mode),
        old_oid: old.map(|s| s.oid),
        new_oid: new.map(|s| s.oid),
        binary: patch.binary,
        contents_known: patch.contents_known,
        added_lines: patch.added,
        removed_lines: patch.removed,
        patch: patch.text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::IgnoreRules;

    fn snapshot(files: &[(&str, &str)]) -> Snapshot {
        let mut s = Snapshot::new(gix_hash::Kind::Sha1);
        for (p, d) in files {
            s.insert_data(p, Mode::Regular, d.as_bytes().to_vec())
                .expect("valid");
        }
        s
    }

    fn input<'a>(previous: Previous<'a>, next: &'a Snapshot, ignore: &'a IgnoreRules) -> Input<'a> {
        Input {
            previous,
            next,
            ignore,
            branch: None,
            extra_blobs: &[],
        }
    }

    #[test]
    fn files_pair_renames_and_know_contents_only_from_files() {
        let first = snapshot(&[
            ("a.txt", "1\n"),
            ("old/x.txt", "x\n"),
            ("gone.txt", "bye\n"),
        ]);
        let next = snapshot(&[("a.txt", "2\n"), ("new/x.txt", "x\n"), ("b.txt", "b\n")]);
        let ignore = IgnoreRules::new();
        let p = preview(
            &input(Previous::Files(&first), &next, &ignore),
            &Options::default(),
        )
        .expect("ok");
        let summary: Vec<_> = p
            .files
            .iter()
            .map(|f| (f.path.as_str(), f.status, f.contents_known))
            .collect();
        assert_eq!(
            summary,
            vec![
                ("a.txt", Status::Modified, true),
                ("b.txt", Status::Added, true),
                ("gone.txt", Status::Deleted, true),
                ("new/x.txt", Status::Renamed, true),
            ]
        );
        assert_eq!(p.files[3].old_path.as_deref(), Some("old/x.txt"));
        assert_eq!((p.totals.added_lines, p.totals.removed_lines), (2, 2));
        assert!(p.commit_message.is_none() && p.would_commit);

        let manifest = BuildManifest::from_snapshot(&first);
        let p = preview(
            &input(Previous::Manifest(&manifest), &next, &ignore),
            &Options::default(),
        )
        .expect("ok");
        let unknown: Vec<_> = p
            .files
            .iter()
            .filter(|f| !f.contents_known)
            .map(|f| f.path.as_str())
            .collect();
        assert_eq!(unknown, vec!["a.txt", "gone.txt"]);
        assert_eq!(p.totals.unknown_files, 2);
    }

    #[test]
    fn conflicts_merge_when_the_branch_blob_is_supplied() {
        let first = snapshot(&[("a.txt", "1\n2\n3\n4\n5\n")]);
        let next = snapshot(&[("a.txt", "1\n2\n3\n4\nfive\n")]);
        let edited = b"one\n2\n3\n4\n5\n";
        let mut tree = BranchTree::new();
        tree.insert(
            "a.txt".into(),
            TreeEntry {
                mode: Mode::Regular,
                oid: hash_blob(gix_hash::Kind::Sha1, edited),
            },
        );
        let ignore = IgnoreRules::new();
        let mut inp = input(Previous::Files(&first), &next, &ignore);
        inp.branch = Some(&tree);
        let pending = preview(&inp, &Options::default()).expect("ok");
        assert_eq!(
            pending.changes.conflicts[0].state,
            changeset::ConflictState::Pending
        );
        let extra: [&[u8]; 1] = [edited];
        inp.extra_blobs = &extra;
        let merged = preview(&inp, &Options::default()).expect("ok");
        assert_eq!(
            merged.changes.conflicts[0].state,
            changeset::ConflictState::Merged
        );
        assert!(
            merged.files[0]
                .patch
                .ends_with("@@ -2,4 +2,4 @@ one\n 2\n 3\n 4\n-5\n+five\n"),
            "{}",
            merged.files[0].patch
        );
    }

    #[test]
    fn errors_are_the_syncs() {
        let next = snapshot(&[("a.txt", "1\n")]);
        let ignore = IgnoreRules::new();
        let first = snapshot(&[]);
        let options = Options {
            strategy: Strategy::PerBuild,
            ..Options::default()
        };
        let err = preview(&input(Previous::Files(&first), &next, &ignore), &options).unwrap_err();
        assert!(
            matches!(err, Error::Branch(branch::Error::MissingValue { .. })),
            "{err}"
        );
        let empty = snapshot(&[]);
        let err = preview(
            &input(Previous::Files(&first), &empty, &ignore),
            &Options::default(),
        )
        .unwrap_err();
        assert_eq!(err, Error::Changes(changeset::Error::EmptyBuild));
    }
}
