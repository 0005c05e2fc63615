//! The change preview (DESIGN section 7): what a sync of a build would commit, shown before
//! anything is pushed.
//!
//! [`preview()`] runs the sync itself: a dry-run [`Sync`] machine ([`crate::sync`]) whose needs
//! are answered from the data the preview was given (the previous build as a manifest or as
//! files, the new build, an ignore file, optionally the sync branch's tree and blobs). The
//! branch name, the commit plan and message, the pull request's title and body, the conflicts
//! and the merges with their labels are therefore the sync's by construction. On top it renders
//! each file of the planned commit as a `git diff` patch with line counts ([`diff`]), wherever
//! both sides' contents are known ([`assemble`]; a driver that reads a real repository, such as
//! the WebAssembly `SyncMachine`, uses it too).
//!
//! The diff of a file is what the sync commit changes: from the sync branch's current content
//! (when the branch tree is unknown, the previous build's, as the sync assumes of a branch it
//! cannot list) to the content written. Contents are known for the new build (when the snapshot
//! keeps them), the previous build when it is given as files, and any extra blobs the caller
//! supplies (for example the branch's versions of edited files).
//!
//! A conflict whose branch version is not supplied cannot be merged (a sync would read the blob):
//! the preview answers that read "not found", and the machine's dry run then settles with the
//! conflict `pending`, the texts, and no commit plan.
//!
//! ```
//! use gensync_core::{preview, Mode, Snapshot};
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
//!     ignore: None,
//!     branch: None,
//!     extra_blobs: &[],
//! };
//! let p = preview::preview(&input, &options)?;
//! assert_eq!(p.branch, "amplication");
//! assert_eq!((p.totals.added_lines, p.totals.removed_lines), (1, 1));
//! assert!(p.files[0].patch.ends_with("@@ -1,2 +1,2 @@\n one\n-two\n+2\n"));
//! assert_eq!(p.pull_request.unwrap().title, "Update");
//! let plan = p.plan.expect("something to commit");
//! assert_eq!(plan.message, p.commit_message.unwrap());
//! assert_eq!(plan.writes.len(), 2); // a.txt and the manifest
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::collections::{HashMap, HashSet};

use gix_hash::ObjectId;

use crate::branch::{self, Strategy};
use crate::changeset::{self, BranchTree, ChangeSet, Content, TreeEntry};
use crate::diff::{self, FilePatch};
use crate::manifest::BuildManifest;
use crate::message::{self, BuildInfo, PullRequestText};
use crate::snapshot::{hash_blob, Mode, Snapshot};
use crate::sync::{
    self, Answer, Capabilities, CommitInfo, CommitPlan, Event, Failure, FailureKind, Need,
    RepoInfo, ServiceJob, Sync, SyncJob, SyncOutcome, WriteSource,
};

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
    /// An ignore file's text (`.amplicationignore`), its patterns relative to the target dir:
    /// what `gensync sync --ignore-file` adds to the repository's own ignore files.
    pub ignore: Option<&'a [u8]>,
    /// The sync branch's tree, when known (`None`: the branch holds the previous build).
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
    /// The sync machine stopped otherwise (e.g. a damaged manifest).
    #[error(transparent)]
    Sync(sync::Error),
}

impl From<sync::Error> for Error {
    /// A change-set error keeps its own message (the machine adds the service's name).
    fn from(e: sync::Error) -> Self {
        match e {
            sync::Error::ChangeSet { source, .. } => Error::Changes(source),
            sync::Error::Message(m) => Error::Message(m),
            other => Error::Sync(other),
        }
    }
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
    /// The commit the sync would make, as the machine plans it (absent when there is nothing
    /// to commit, when the build message is blank, and when a conflict could not be merged for
    /// want of the branch's version).
    pub plan: Option<CommitPlan>,
}

/// The base branch of the repository a preview answers for.
pub const BASE: &str = "main";

/// The message a preview gives the machine when the build's is blank (the machine refuses a
/// blank one; the preview then shows no texts and no plan).
const BLANK_MESSAGE_STAND_IN: &str = "(no message given)";

/// The dry-run job of a preview: one service, the branch rendered from the options, a target
/// with pull requests and no size limit.
pub fn job(next: &Snapshot, ignore: Option<&[u8]>, options: &Options) -> Result<SyncJob, Error> {
    let template = options
        .branch_template
        .as_deref()
        .unwrap_or(options.strategy.default_template());
    let build_id = options.build.build_id.as_deref();
    let branch = branch::render(template, build_id, options.service.as_deref())?;
    Ok(SyncJob {
        base: None,
        branch,
        build: job_build(options),
        author: None,
        services: vec![ServiceJob {
            name: options.service.clone(),
            snapshot: next.clone(),
            large_files: Vec::new(),
            extra_ignore: ignore.map(<[u8]>::to_vec),
            options: options.changes.clone(),
        }],
        dry_run: true,
        init_empty: false,
        pull_request: sync::PullRequestOptions::default(),
        capabilities: Capabilities {
            pull_requests: true,
            file_size_limit: None,
            options: sync::OptionSupport::all("the target"),
        },
    })
}

/// What a driver saw while it answered a preview's machine: the branch view it gave and every
/// content it handed over, by blob id. [`assemble`] makes the diffs from it.
#[derive(Debug, Clone, Default)]
pub struct Seen {
    /// The answer to [`Need::BranchFiles`] (the last one, if the machine asked again).
    pub view: BranchTree,
    /// Contents by blob id.
    pub blobs: HashMap<ObjectId, Vec<u8>>,
}

impl Seen {
    /// Note what `answer` tells (call it with every answer given to the machine).
    pub fn record(&mut self, answer: &Answer) {
        match answer {
            Answer::BranchFiles { files } => self.view = files.clone(),
            Answer::Blob { content } | Answer::Generated { content } => self.add(content.clone()),
            _ => {}
        }
    }

    /// Add a content (found by its blob id).
    pub fn add(&mut self, data: Vec<u8>) {
        self.blobs
            .insert(hash_blob(crate::HashKind::Sha1, &data), data);
    }
}

/// How a preview's machine ended.
#[derive(Debug)]
pub struct Run {
    /// The plan of a dry run with something to commit.
    pub plan: Option<CommitPlan>,
    /// The outcome, or why the machine stopped.
    pub outcome: Result<SyncOutcome, sync::Error>,
    /// The machine's log lines.
    pub log: Vec<String>,
}

/// Drive `sync` to its end, answering each need with `answer` (a `Failure` is handed to the
/// machine as the need's failure).
pub fn drive(sync: &mut Sync, mut answer: impl FnMut(&Need) -> Result<Answer, Failure>) -> Run {
    let mut run = Run {
        plan: None,
        outcome: Err(sync::Error::Protocol {
            need: "none",
            answer: "none",
        }),
        log: Vec::new(),
    };
    loop {
        while let Some(event) = sync.poll_event() {
            match event {
                Event::Log { line } => run.log.push(line),
                Event::Planned { plan } => run.plan = Some(plan),
                Event::Finished { outcome } => run.outcome = Ok(*outcome),
                Event::Failed { error } => run.outcome = Err(error),
            }
        }
        let Some(need) = sync.poll_need() else {
            return run;
        };
        match answer(&need) {
            Ok(a) => sync.handle(a),
            Err(f) => sync.handle_failure(f),
        }
    }
}

/// The repository a preview answers for, from its input: the base `main` at a fixed commit,
/// the sync branch (when its tree is given) at another, the previous manifest at both, no
/// pull request.
struct Canned<'a> {
    input: &'a Input<'a>,
    branch: String,
    manifest_path: String,
    manifest: Option<Vec<u8>>,
    blobs: HashMap<ObjectId, &'a [u8]>,
    seen: Seen,
}

/// A fixed id of the pretend repository.
fn pretend_id(byte: u8) -> ObjectId {
    ObjectId::from_hex(&[byte; 40]).expect("40 hex digits")
}

impl<'a> Canned<'a> {
    fn new(input: &'a Input<'a>, job: &SyncJob) -> Canned<'a> {
        let previous = match input.previous {
            Previous::Manifest(m) => m.clone(),
            Previous::Files(s) => BuildManifest::from_snapshot(s),
        };
        let manifest = (!previous.is_empty()).then(|| previous.to_text().into_bytes());
        let mut blobs: HashMap<ObjectId, &[u8]> = HashMap::new();
        let previous_files = match input.previous {
            Previous::Files(s) => Some(s),
            Previous::Manifest(_) => None,
        };
        for snapshot in [Some(input.next), previous_files].into_iter().flatten() {
            for (_, e) in snapshot.iter() {
                if let Some(data) = &e.data {
                    blobs.insert(e.oid, data);
                }
            }
        }
        for data in input.extra_blobs {
            blobs.insert(hash_blob(input.next.hash_kind(), data), *data);
        }
        Canned {
            input,
            branch: job.branch.clone(),
            manifest_path: crate::path::join(
                &job.services[0].options.target_dir,
                crate::manifest::PATH,
            ),
            manifest,
            blobs,
            seen: Seen::default(),
        }
    }

    fn answer(&mut self, need: &Need) -> Result<Answer, Failure> {
        let answer = self.lookup(need)?;
        self.seen.record(&answer);
        Ok(answer)
    }

    fn lookup(&mut self, need: &Need) -> Result<Answer, Failure> {
        let unknown = |what: String| Failure::new(FailureKind::NotFound, what);
        Ok(match need {
            Need::Prepare { .. } => Answer::Prepared {},
            Need::Repository => Answer::Repository(RepoInfo {
                default_branch: BASE.to_owned(),
                empty: false,
            }),
            Need::BranchHead { branch } => Answer::BranchHead {
                id: if *branch == self.branch {
                    self.input.branch.map(|_| pretend_id(b'b'))
                } else {
                    (branch == BASE).then(|| pretend_id(b'a'))
                },
            },
            Need::CommitInfo { id } => Answer::CommitInfo(CommitInfo {
                id: *id,
                tree: pretend_id(b'c'),
            }),
            Need::ReadFile { path, .. } => Answer::File {
                content: (*path == self.manifest_path)
                    .then(|| self.manifest.clone())
                    .flatten(),
            },
            Need::BranchFiles { scope, .. } => Answer::BranchFiles {
                files: self
                    .input
                    .branch
                    .cloned()
                    .unwrap_or_else(|| scope.previous.clone()),
            },
            Need::ReadBlob { oid } => match self.blobs.get(oid) {
                Some(data) => Answer::Blob {
                    content: data.to_vec(),
                },
                None => return Err(unknown(format!("blob {oid} was not given"))),
            },
            Need::ReadGenerated { path, oid, .. } => match self.blobs.get(oid) {
                Some(data) => Answer::Generated {
                    content: data.to_vec(),
                },
                None => return Err(unknown(format!("the contents of {path} were not given"))),
            },
            Need::Landed { .. } => Answer::Landed { id: None },
            Need::FindPullRequest { .. } => Answer::PullRequest { pr: None },
            Need::BranchDiffers { .. } => Answer::Differs { value: false },
            Need::InitEmpty { .. }
            | Need::Commit { .. }
            | Need::CreatePullRequest { .. }
            | Need::UpdatePullRequest { .. } => {
                return Err(Failure::new(
                    FailureKind::Other,
                    format!("a preview does not write ({})", need.kind()),
                ))
            }
        })
    }
}

/// Preview the sync of `input` under `options` (see the [module docs](self)).
pub fn preview(input: &Input<'_>, options: &Options) -> Result<Preview, Error> {
    let job = job(input.next, input.ignore, options)?;
    let mut canned = Canned::new(input, &job);
    let mut machine = Sync::new(job)?;
    let run = drive(&mut machine, |need| canned.answer(need));
    let mut seen = canned.seen;
    for (oid, data) in canned.blobs {
        seen.blobs.entry(oid).or_insert_with(|| data.to_vec());
    }
    match run.outcome {
        Ok(outcome) => Ok(assemble(&outcome, run.plan, &seen, input.next, options)),
        Err(e) => Err(e.into()),
    }
}

fn job_build(options: &Options) -> BuildInfo {
    let mut build = options.build.clone();
    if build.message.trim().is_empty() {
        build.message = BLANK_MESSAGE_STAND_IN.to_owned();
    }
    build
}

/// The preview of a machine's dry run: its outcome and plan, with the diffs of every file the
/// plan writes or deletes, from the branch view in `seen` to the planned contents.
pub fn assemble(
    outcome: &SyncOutcome,
    plan: Option<CommitPlan>,
    seen: &Seen,
    next: &Snapshot,
    options: &Options,
) -> Preview {
    // One service, one change set (the machine's outcome has one per service).
    let changes = outcome.changes[0].clone();
    let context = options.context_lines;
    let files = match &plan {
        Some(plan) => {
            let writes = planned_writes(plan, &changes.manifest_path, next);
            file_diffs(&changes, &writes, &plan.deletions, seen, context)
        }
        None => {
            let writes = change_set_writes(&changes, next);
            file_diffs(&changes, &writes, changes.deletions(), seen, context)
        }
    };
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
    let blank = options.build.message.trim().is_empty();
    Preview {
        would_commit: !changes.is_empty(),
        counts: changes.counts(),
        manifest: BuildManifest::text_of(next),
        changes,
        files,
        totals,
        branch: outcome.branch.clone(),
        commit_message: (!blank).then(|| outcome.commit_message.clone()),
        pull_request: (!blank).then(|| outcome.pull_request_text.clone()),
        plan: plan.filter(|_| !blank),
    }
}

/// The blob ids whose contents the diffs of `plan` want and `seen` lacks: the branch's
/// versions of the files the plan changes or deletes (a driver reads them, then calls
/// [`assemble`]).
pub fn blobs_for_diffs(plan: &CommitPlan, changes: &ChangeSet, seen: &Seen) -> Vec<ObjectId> {
    let renamed: HashMap<&str, &str> = changes
        .renamed
        .iter()
        .map(|r| (r.to.as_str(), r.from.as_str()))
        .collect();
    let mut out = Vec::new();
    let mut add = |path: &str| {
        if let Some(e) = seen.view.get(path) {
            if !seen.blobs.contains_key(&e.oid) && !out.contains(&e.oid) {
                out.push(e.oid);
            }
        }
    };
    for w in &plan.writes {
        add(renamed.get(w.path.as_str()).copied().unwrap_or(&w.path));
    }
    for path in &plan.deletions {
        add(path);
    }
    out
}

/// A file the commit writes, with its new contents when known.
struct Written<'a> {
    path: &'a str,
    entry: TreeEntry,
    data: Option<&'a [u8]>,
}

/// The writes of the plan, the manifest left out.
fn planned_writes<'a>(
    plan: &'a CommitPlan,
    manifest: &str,
    next: &'a Snapshot,
) -> Vec<Written<'a>> {
    plan.writes
        .iter()
        .filter(|w| w.path != manifest)
        .map(|w| Written {
            path: &w.path,
            entry: TreeEntry {
                mode: w.mode,
                oid: w.oid,
            },
            data: match &w.source {
                WriteSource::Generated { path, .. } => {
                    next.get(path).and_then(|e| e.data.as_deref())
                }
                WriteSource::Inline { content } => Some(content.as_slice()),
            },
        })
        .collect()
}

/// The writes of a change set (when no plan could be made).
fn change_set_writes<'a>(changes: &'a ChangeSet, next: &'a Snapshot) -> Vec<Written<'a>> {
    changes
        .writes()
        .iter()
        .map(|w| Written {
            path: &w.path,
            entry: TreeEntry {
                mode: w.mode,
                oid: w.oid,
            },
            data: match &w.content {
                Content::Generated(rel) => next.get(rel).and_then(|e| e.data.as_deref()),
                Content::Merged(data) => Some(data.as_slice()),
            },
        })
        .collect()
}

fn known<'s>(seen: &'s Seen, oid: &ObjectId) -> Option<&'s [u8]> {
    seen.blobs.get(oid).map(Vec::as_slice)
}

/// The diffs of every write and deletion, renames paired, sorted by path: from the branch view
/// in `seen` to the written contents.
fn file_diffs(
    changes: &ChangeSet,
    writes: &[Written<'_>],
    deletions: &[String],
    seen: &Seen,
    context: u32,
) -> Vec<FileDiff> {
    let renamed_from: HashMap<&str, &str> = changes
        .renamed
        .iter()
        .map(|r| (r.to.as_str(), r.from.as_str()))
        .collect();
    let rename_sources: HashSet<&str> = changes.renamed.iter().map(|r| r.from.as_str()).collect();
    let current = |path: &str| seen.view.get(path).copied();

    let mut out = Vec::with_capacity(writes.len() + deletions.len());
    for w in writes {
        let new = side(
            w.path,
            w.entry,
            w.data.or_else(|| known(seen, &w.entry.oid)),
        );
        let (old_path, old_entry) = match renamed_from.get(w.path) {
            Some(from) => (Some(*from), current(from)),
            None => (None, current(w.path)),
        };
        let old = old_entry.map(|e| side(old_path.unwrap_or(w.path), e, known(seen, &e.oid)));
        let status = match (old_path, old) {
            (Some(_), Some(_)) => Status::Renamed,
            (_, None) => Status::Added,
            (None, Some(_)) => Status::Modified,
        };
        out.push(file_diff(
            w.path,
            old_path.filter(|_| status == Status::Renamed),
            status,
            old,
            Some(new),
            context,
        ));
    }
    for path in deletions {
        if rename_sources.contains(path.as_str()) {
            continue;
        }
        let Some(entry) = current(path) else { continue };
        let old = side(path, entry, known(seen, &entry.oid));
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

    fn snapshot(files: &[(&str, &str)]) -> Snapshot {
        let mut s = Snapshot::new(gix_hash::Kind::Sha1);
        for (p, d) in files {
            s.insert_data(p, Mode::Regular, d.as_bytes().to_vec())
                .expect("valid");
        }
        s
    }

    fn input<'a>(previous: Previous<'a>, next: &'a Snapshot) -> Input<'a> {
        Input {
            previous,
            next,
            ignore: None,
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
        let p = preview(&input(Previous::Files(&first), &next), &Options::default()).expect("ok");
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
            &input(Previous::Manifest(&manifest), &next),
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
        let mut inp = input(Previous::Files(&first), &next);
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
        let first = snapshot(&[]);
        let options = Options {
            strategy: Strategy::PerBuild,
            ..Options::default()
        };
        let err = preview(&input(Previous::Files(&first), &next), &options).unwrap_err();
        assert!(
            matches!(err, Error::Branch(branch::Error::MissingValue { .. })),
            "{err}"
        );
        let empty = snapshot(&[]);
        let err =
            preview(&input(Previous::Files(&first), &empty), &Options::default()).unwrap_err();
        assert_eq!(err, Error::Changes(changeset::Error::EmptyBuild));
    }

    #[test]
    fn the_plan_texts_and_merge_labels_are_the_machines() {
        let first = snapshot(&[("a.txt", "1\n2\n3\n")]);
        let next = snapshot(&[("a.txt", "1\nGEN\n3\n")]);
        let person = b"1\nPERSON\n3\n";
        let mut tree = BranchTree::new();
        tree.insert(
            "a.txt".into(),
            TreeEntry {
                mode: Mode::Regular,
                oid: hash_blob(gix_hash::Kind::Sha1, person),
            },
        );
        let extra: [&[u8]; 1] = [person];
        let mut inp = input(Previous::Files(&first), &next);
        inp.branch = Some(&tree);
        inp.extra_blobs = &extra;
        let options = Options {
            build: BuildInfo {
                message: "Sync\n\nDetails".into(),
                build_id: Some("7".into()),
                build_url: Some("https://ci.example/``7".into()),
            },
            branch_template: Some("bot-{id}".into()),
            ..Options::default()
        };
        let p = preview(&inp, &options).expect("ok");
        assert_eq!(p.branch, "bot-7");
        let plan = p.plan.expect("a plan");
        assert_eq!(plan.branch, "bot-7");
        assert!(!plan.create_branch);
        assert_eq!(Some(plan.message.clone()), p.commit_message);
        // The merge is labelled with the branch's name, as a sync labels it.
        let merged = plan
            .writes
            .iter()
            .find(|w| w.path == "a.txt")
            .expect("a.txt written");
        let WriteSource::Inline { content } = &merged.source else {
            panic!("a merge is inline: {:?}", merged.source)
        };
        assert_eq!(
            std::str::from_utf8(content).expect("utf-8"),
            "1\n<<<<<<< bot-7\nPERSON\n=======\nGEN\n>>>>>>> new build\n3\n"
        );
        assert_eq!(plan.writes.len(), 2, "a.txt and the manifest");
        assert_eq!(plan.writes[0].path, ".amplication/manifest");
        assert_eq!(
            plan.message,
            "Sync\n\nDetails\n\n```\nhttps://ci.example/%60%607\n```\n\nBuild-Id: 7\nGenerated-By: gensync\n"
        );
        assert_eq!(p.pull_request.expect("texts").title, "Sync");
    }

    #[test]
    fn a_blank_message_previews_the_changes_without_texts_or_plan() {
        let first = snapshot(&[("a.txt", "1\n")]);
        let next = snapshot(&[("a.txt", "2\n")]);
        let p = preview(&input(Previous::Files(&first), &next), &Options::default()).expect("ok");
        assert!(p.would_commit && p.commit_message.is_none() && p.pull_request.is_none());
        assert!(p.plan.is_none());
        assert_eq!(p.files.len(), 1);
        assert_eq!((p.totals.added_lines, p.totals.removed_lines), (1, 1));
    }

    #[test]
    fn nothing_to_commit_has_no_plan_and_no_files() {
        let next = snapshot(&[("a.txt", "1\n")]);
        let options = Options {
            build: BuildInfo {
                message: "Same".into(),
                ..BuildInfo::default()
            },
            ..Options::default()
        };
        let same = preview(&input(Previous::Files(&next), &next), &options).expect("ok");
        assert!(!same.would_commit && same.plan.is_none() && same.files.is_empty());
        assert_eq!(
            same.commit_message.as_deref(),
            Some("Same\n\nGenerated-By: gensync\n")
        );
    }
}
