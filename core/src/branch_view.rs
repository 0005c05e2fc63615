//! The sync branch's view where a host's listings carry no blob ids (Bitbucket Cloud): which
//! reads to make, and what their answers mean. A sans-I/O planner: the caller makes the reads
//! it asks for and hands the answers back.
//!
//! The change set wants the branch as path → blob id, but Bitbucket's listings (`/src`,
//! `diffstat`) have no blob ids, and reading the whole branch costs a download per file. The
//! plan starts from the previous build (what the last sync generated there) and corrects it
//! where the branch may differ:
//!
//! 1. **History.** The branch's own commits (those the base's head does not reach) are walked
//!    along first parents. gensync's commits are recognised by their trailers
//!    ([`crate::message::parse_trailers`]); every run of other people's commits between them is
//!    one [`Read::Diffstat`], and the union of those paths is what people touched.
//! 2. **Anchor.** The oldest gensync commit on the branch is the anchor: if a service's
//!    manifest did not exist in the anchor's parent (that sync was a first sync, which writes
//!    every generated file), then every generated path nobody touched since still holds exactly
//!    what gensync generated there, and the previous build stands for it. A manifest read from
//!    the base branch, a too long history ([`History::Truncated`]) or a branch without gensync
//!    commit of its own (squash-merged, per-build branches) proves nothing: the plan is then
//!    *unanchored* and every needed path is read.
//! 3. **Paths read.** A needed path ([`Scope::needed`]) is read when a person touched it, when
//!    the previous build does not have it, or when unanchored; generated paths a person touched
//!    are read too, for the list of preserved edits.
//! 4. **File/folder collisions** (DESIGN section 2). Anchored, only paths people touched can be
//!    a file above a needed path or a folder at one; unanchored (or on a first sync), the
//!    folders on the way to each needed path are listed, and a folder at a needed path is read
//!    whole. Paths below a file are absent: no read.
//! 5. **Listing or lookup.** Per folder, the cheaper way to learn the paths read there: one
//!    listing of the folder ([`Read::Listing`], a page per [`PAGE`] entries, judged by the
//!    previous build's entries there: [`listing_pages`]) or one [`Read::Meta`] per path.
//!    A file found is downloaded ([`Read::Download`]) for its blob id.
//!
//! Requests so grow with the number of paths people edited (and, unanchored, with the number of
//! changed generated paths), never with the size of the repository nor of a folder.
//!
//! ```
//! use std::collections::BTreeSet;
//! use gensync_core::branch_view::{Answer, BranchViewPlan, Listed, Read, Scope};
//! use gensync_core::{hash_blob, BranchTree, HashKind, Mode, ObjectId, TreeEntry};
//! let start = ObjectId::from_hex(b"1111111111111111111111111111111111111111")?;
//! let base_head = ObjectId::from_hex(b"2222222222222222222222222222222222222222")?;
//! // A first sync writing `a.txt`: no history to read, the root folder is listed.
//! let previous = BranchTree::new();
//! let needed = BTreeSet::from(["a.txt".to_owned()]);
//! let mut plan = BranchViewPlan::new(Scope {
//!     start, base_head, previous: &previous, needed: &needed, manifests: &[], listed: BTreeSet::new(),
//! });
//! let oid = hash_blob(HashKind::Sha1, b"a\n");
//! while let Some(read) = plan.poll_read()? {
//!     let answer = match read {
//!         Read::Listing { dir, .. } if dir.is_empty() => Answer::Listing(Some(vec![Listed {
//!             path: "a.txt".into(),
//!             mode: Some(Mode::Regular),
//!         }])),
//!         Read::Download { .. } => Answer::Download(Some(oid)),
//!         other => panic!("unexpected {other:?}"),
//!     };
//!     plan.handle(answer)?;
//! }
//! let outcome = plan.finish()?;
//! assert_eq!(outcome.view["a.txt"], TreeEntry { mode: Mode::Regular, oid });
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};

use gix_hash::ObjectId;
use serde_json::Value;

use crate::changeset::{BranchTree, TreeEntry};
use crate::snapshot::Mode;

/// Entries a listing page holds (`pagelen=100`).
pub const PAGE: usize = 100;

/// Where a service's previous manifest was read: the sync machine's own type.
pub use crate::sync::ManifestOrigin as Origin;

/// One service's manifest, as the plan sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Manifest {
    /// Its repository path.
    pub path: String,
    /// Where its previous version came from.
    pub origin: Origin,
}

/// What the plan starts from.
#[derive(Debug, Clone)]
pub struct Scope<'a> {
    /// The commit whose view is wanted (the sync branch's head).
    pub start: ObjectId,
    /// The base branch's head: history it reaches is the base's, not the branch's.
    pub base_head: ObjectId,
    /// Every service's previous build, by repository path, as generated.
    pub previous: &'a BranchTree,
    /// The paths the change set writes or deletes if the branch holds exactly the previous
    /// build: their state must be exact.
    pub needed: &'a BTreeSet<String>,
    /// The services' manifests, in order.
    pub manifests: &'a [Manifest],
    /// Folders of `start` whose listing the caller already holds (answering
    /// [`Read::Listing`] for them costs no request).
    pub listed: BTreeSet<String>,
}

/// A read the plan needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Read {
    /// The commits reachable from `start` but not from `exclude`, newest first, with their
    /// messages and parents: [`Answer::History`].
    History {
        /// The branch's head.
        start: ObjectId,
        /// The base branch's head.
        exclude: ObjectId,
    },
    /// The paths (old and new sides) of the diff from `below` to `top`: [`Answer::Diffstat`].
    Diffstat {
        /// The newer commit.
        top: String,
        /// The older commit (the first parent of the run's last commit).
        below: String,
    },
    /// The entries of folder `dir` (`""`: the root) at `commit`: [`Answer::Listing`].
    Listing {
        /// The commit.
        commit: ObjectId,
        /// The folder.
        dir: String,
    },
    /// What `path` alone is at `commit` (Bitbucket's `format=meta`): [`Answer::Meta`].
    Meta {
        /// The commit.
        commit: ObjectId,
        /// The path.
        path: String,
    },
    /// The blob id of the file at `path` in `commit` (downloaded and hashed):
    /// [`Answer::Download`].
    Download {
        /// The commit.
        commit: ObjectId,
        /// The path.
        path: String,
    },
}

/// One entry of a folder listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    /// Its repository path.
    pub path: String,
    /// The file's mode; `None` for folders and submodules.
    pub mode: Option<Mode>,
}

/// One commit of the branch's history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryCommit {
    /// Its id, in hex.
    pub hash: String,
    /// Its message.
    pub message: String,
    /// Its parents' ids, in hex, first parent first.
    pub parents: Vec<String>,
}

/// The answer to [`Read::History`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum History {
    /// The host has no such history (the commit is unknown).
    Missing,
    /// More than `limit` commits: too long to walk.
    Truncated {
        /// The commits read before giving up.
        limit: usize,
    },
    /// Every commit.
    Commits(Vec<HistoryCommit>),
}

/// An answer to the last [`Read`], of the same kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// To [`Read::History`].
    History(History),
    /// To [`Read::Diffstat`]: every path on either side.
    Diffstat(Vec<String>),
    /// To [`Read::Listing`]: `None` when there is no such folder.
    Listing(Option<Vec<Listed>>),
    /// To [`Read::Meta`]: the file's mode, `None` when there is no file (nothing, a folder or a
    /// submodule).
    Meta(Option<Mode>),
    /// To [`Read::Download`]: the blob id, `None` when there is no such file.
    Download(Option<ObjectId>),
}

/// The branch view, and what it took.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// The previous build corrected where the branch differs (exact at every needed path).
    pub view: BranchTree,
    /// Whether the previous build could be trusted where nobody edited the branch; `None` when
    /// nothing is needed (no question asked).
    pub anchored: Option<bool>,
    /// Lines explaining choices, for the log.
    pub notes: Vec<String>,
}

/// Errors of the plan.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// The history names a commit by something that is not a commit id.
    #[error("the sync branch's history names commit {hash:?}, which is not a commit id")]
    InvalidHash {
        /// What it named.
        hash: String,
    },
    /// An answer that does not answer the read asked.
    #[error("expected the answer to {expected:?}, got {got:?}")]
    UnexpectedAnswer {
        /// The read awaiting an answer, if any.
        expected: Option<Read>,
        /// The answer given.
        got: Box<Answer>,
    },
    /// [`BranchViewPlan::finish`] before [`BranchViewPlan::poll_read`] said the plan is done.
    #[error("the branch view is not complete: reads are still needed")]
    Unfinished,
}

/// The mode a Bitbucket `/src` entry stands for, from its `type` and `attributes` (a string or
/// a list of strings): `None` for folders (`commit_directory`) and submodules
/// (`subrepository`).
pub fn listed_mode(kind: &str, attributes: &Value) -> Option<Mode> {
    let has = |a: &str| match attributes {
        Value::String(s) => s == a,
        Value::Array(items) => items.iter().any(|i| i.as_str() == Some(a)),
        _ => false,
    };
    (kind == "commit_file" && !has("subrepository")).then(|| {
        if has("link") {
            Mode::Symlink
        } else if has("executable") {
            Mode::Executable
        } else {
            Mode::Regular
        }
    })
}

/// The pages a listing of folder `dir` takes ([`PAGE`] entries a page), judged by the folder's
/// entries in `tree` (the previous build: the branch holds about the same).
pub fn listing_pages(tree: &BranchTree, dir: &str) -> usize {
    let prefix = if dir.is_empty() {
        String::new()
    } else {
        format!("{dir}/")
    };
    let mut entries: usize = 0;
    let mut last_folder: Option<&str> = None;
    for (path, _) in tree
        .range(prefix.clone()..)
        .take_while(|(p, _)| p.starts_with(&prefix))
    {
        let rest = &path[prefix.len()..];
        match rest.split_once('/') {
            None => entries += 1,
            Some((folder, _)) => {
                if last_folder != Some(folder) {
                    entries += 1;
                    last_folder = Some(folder);
                }
            }
        }
    }
    entries.div_ceil(PAGE).max(1)
}

/// Whether to learn `paths` (all in folder `dir`) from one listing of the folder rather than a
/// lookup each: when the listing is held already, or takes no more requests than the lookups.
pub fn list_folder(previous: &BranchTree, dir: &str, paths: usize, listed: bool) -> bool {
    listed || listing_pages(previous, dir) <= paths
}

/// Where the branch's history is anchored: the diffstats that tell what people touched since
/// the oldest gensync commit of `commits`, and that commit's parent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Anchor {
    /// Each run of other people's commits above the anchor, as (top, below): the run's newest
    /// commit and the gensync commit under it.
    pub runs: Vec<(String, String)>,
    /// The parent of the oldest gensync commit (on the base branch).
    pub parent: ObjectId,
}

/// The anchor of the first-parent chain from `start` through `commits` (the branch's own
/// history), `None` when the chain holds no gensync commit or its oldest one is a root commit.
pub fn anchor(commits: &[HistoryCommit], start: &str) -> Result<Option<Anchor>, Error> {
    let by_hash: HashMap<&str, &HistoryCommit> =
        commits.iter().map(|c| (c.hash.as_str(), c)).collect();
    // The first-parent chain from the start, while on the branch; `below` is the first parent
    // of its last commit (on the base branch), if any.
    let mut chain: Vec<(&str, bool)> = Vec::new();
    let mut next = Some(start);
    let mut below = None;
    while let Some(c) = next.take().and_then(|hash| by_hash.get(hash)) {
        let ours = crate::message::parse_trailers(&c.message).is_some();
        chain.push((c.hash.as_str(), ours));
        next = c.parents.first().map(String::as_str);
        below = next;
    }
    let Some(oldest) = chain.iter().rposition(|(_, ours)| *ours) else {
        return Ok(None);
    };
    let parent = match chain.get(oldest + 1).map(|(hash, _)| *hash).or(below) {
        Some(hash) => hash,
        None => return Ok(None), // a root commit: nothing before it to compare with
    };
    let parent = ObjectId::from_hex(parent.as_bytes()).map_err(|_| Error::InvalidHash {
        hash: parent.to_owned(),
    })?;
    let mut runs = Vec::new();
    let mut i = 0;
    while i < oldest {
        if chain[i].1 {
            i += 1;
            continue;
        }
        let mut j = i;
        while !chain[j + 1].1 {
            j += 1;
        }
        runs.push((chain[i].0.to_owned(), chain[j + 1].0.to_owned()));
        i = j + 1;
    }
    Ok(Some(Anchor { runs, parent }))
}

/// Whether the previous build stands where nobody touched the branch, judged by one service's
/// manifest: `absent_at_anchor` tells whether the anchor's parent lacks the manifest (asked
/// only for [`Origin::Start`] manifests nobody touched).
fn trusted(
    manifest: &Manifest,
    touched: &BTreeSet<String>,
    absent_at_anchor: impl FnOnce() -> bool,
) -> bool {
    match manifest.origin {
        Origin::None => true,
        Origin::Base => false,
        Origin::Start => !touched.contains(&manifest.path) && absent_at_anchor(),
    }
}

/// The paths whose state the plan reads (before collisions): needed paths a person touched,
/// that the previous build lacks, or all of them when unanchored; and generated paths a person
/// touched (for the list of preserved edits).
pub fn paths_to_read(
    needed: &BTreeSet<String>,
    previous: &BranchTree,
    touched: &BTreeSet<String>,
    anchored: bool,
) -> BTreeSet<String> {
    let mut read: BTreeSet<String> = needed
        .iter()
        .filter(|p| !anchored || touched.contains(*p) || !previous.contains_key(*p))
        .cloned()
        .collect();
    read.extend(
        touched
            .iter()
            .filter(|p| previous.contains_key(*p))
            .cloned(),
    );
    read
}

/// Whether `b` is below folder `a`.
fn below(a: &str, b: &str) -> bool {
    b.len() > a.len() && b.starts_with(a) && b.as_bytes()[a.len()] == b'/'
}

fn parent_dir(path: &str) -> &str {
    path.rsplit_once('/').map_or("", |(dir, _)| dir)
}

/// How a path's entry is learnt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum How {
    /// From its folder's listing.
    Listing,
    /// From a lookup of the path alone.
    Meta,
}

/// What to do with an entry once known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Then {
    /// Put a file in the view.
    Insert,
    /// Put a file in the view; it is a file above needed paths.
    Above,
    /// Make the view say what is there (a file, or nothing).
    Set,
}

/// One step of the plan, run in order; a step waiting for an answer stays first.
#[derive(Debug, Clone)]
enum Step {
    /// Read the history and find the anchor.
    History,
    /// Read the diffstat of a run of people's commits.
    Diffstat(String, String),
    /// Decide whether the manifests trust the previous build.
    Trust,
    /// Choose the paths to read and the collision checks.
    Choose,
    /// Unanchored: look for a file above needed path `n`, or a folder at it.
    Walk(String),
    /// Read every file below folder `n`.
    Below(String),
    /// Read the files above needed paths found by the walks.
    FilesAbove,
    /// Drop the reads below a file, and group the rest by folder.
    Group,
    /// Read `paths`, all in folder `dir`.
    Folder(String, Vec<String>),
    /// Learn the entry at `path` (its mode once known), then apply it.
    Entry {
        path: String,
        how: How,
        mode: Option<Option<Mode>>,
        then: Then,
    },
}

/// What running a step gave.
enum Progress {
    /// Waiting for the answer to this read; the step is run again with it.
    Blocked(Step, Read),
    /// Done; these steps come next.
    Next(Vec<Step>),
}

/// The planner: `while let Some(read) = plan.poll_read()? { plan.handle(answer_to(read))? }`,
/// then [`finish`](Self::finish). Deterministic: the same answers give the same reads.
#[derive(Debug)]
pub struct BranchViewPlan<'a> {
    scope: Scope<'a>,
    view: BranchTree,
    steps: VecDeque<Step>,
    waiting: Option<Read>,
    answer: Option<Answer>,
    /// Listings answered, by (commit, folder).
    listings: HashMap<(ObjectId, String), Option<Vec<Listed>>>,
    /// Folders of the start whose listing is held (the caller's and those answered).
    listed: HashSet<String>,
    touched: BTreeSet<String>,
    anchor: Option<ObjectId>,
    anchored: Option<bool>,
    read: BTreeSet<String>,
    files_above: BTreeSet<String>,
    notes: Vec<String>,
}

impl<'a> BranchViewPlan<'a> {
    /// A plan for `scope`.
    pub fn new(scope: Scope<'a>) -> Self {
        let steps = if scope.needed.is_empty() {
            // Nothing to write or delete: the branch's state changes nothing.
            VecDeque::new()
        } else {
            VecDeque::from([Step::History, Step::Trust, Step::Choose, Step::Group])
        };
        BranchViewPlan {
            view: scope.previous.clone(),
            listed: scope.listed.iter().cloned().collect(),
            scope,
            steps,
            waiting: None,
            answer: None,
            listings: HashMap::new(),
            touched: BTreeSet::new(),
            anchor: None,
            anchored: None,
            read: BTreeSet::new(),
            files_above: BTreeSet::new(),
            notes: Vec::new(),
        }
    }

    /// The next read, `None` when the view is complete. Asked again before
    /// [`handle`](Self::handle), it repeats the read awaiting an answer.
    pub fn poll_read(&mut self) -> Result<Option<Read>, Error> {
        if let Some(read) = &self.waiting {
            return Ok(Some(read.clone()));
        }
        while let Some(step) = self.steps.pop_front() {
            match self.run(step)? {
                Progress::Blocked(step, read) => {
                    self.steps.push_front(step);
                    self.waiting = Some(read.clone());
                    return Ok(Some(read));
                }
                Progress::Next(next) => {
                    for s in next.into_iter().rev() {
                        self.steps.push_front(s);
                    }
                }
            }
        }
        Ok(None)
    }

    /// The answer to the read [`poll_read`](Self::poll_read) gave.
    pub fn handle(&mut self, answer: Answer) -> Result<(), Error> {
        let fits = matches!(
            (&self.waiting, &answer),
            (Some(Read::History { .. }), Answer::History(_))
                | (Some(Read::Diffstat { .. }), Answer::Diffstat(_))
                | (Some(Read::Listing { .. }), Answer::Listing(_))
                | (Some(Read::Meta { .. }), Answer::Meta(_))
                | (Some(Read::Download { .. }), Answer::Download(_))
        );
        if !fits {
            return Err(Error::UnexpectedAnswer {
                expected: self.waiting.clone(),
                got: Box::new(answer),
            });
        }
        match (self.waiting.take(), answer) {
            (Some(Read::Listing { commit, dir }), Answer::Listing(entries)) => {
                if commit == self.scope.start {
                    self.listed.insert(dir.clone());
                }
                self.listings.insert((commit, dir), entries);
            }
            (_, answer) => self.answer = Some(answer),
        }
        Ok(())
    }

    /// The view, once [`poll_read`](Self::poll_read) returned `None`.
    pub fn finish(self) -> Result<Outcome, Error> {
        if self.waiting.is_some() || !self.steps.is_empty() {
            return Err(Error::Unfinished);
        }
        Ok(Outcome {
            view: self.view,
            anchored: self.anchored,
            notes: self.notes,
        })
    }

    fn run(&mut self, step: Step) -> Result<Progress, Error> {
        Ok(match step {
            Step::History => return self.history(),
            Step::Diffstat(top, below) => match self.answer.take() {
                Some(Answer::Diffstat(paths)) => {
                    self.touched.extend(paths);
                    Progress::Next(Vec::new())
                }
                _ => {
                    let read = Read::Diffstat {
                        top: top.clone(),
                        below: below.clone(),
                    };
                    Progress::Blocked(Step::Diffstat(top, below), read)
                }
            },
            Step::Trust => self.trust(),
            Step::Choose => Progress::Next(self.choose()),
            Step::Walk(n) => self.walk(n),
            Step::Below(n) => self.files_below(n),
            Step::FilesAbove => Progress::Next(
                self.files_above
                    .iter()
                    .map(|a| entry(a, How::Listing, Then::Insert))
                    .collect(),
            ),
            Step::Group => Progress::Next(self.group()),
            Step::Folder(dir, paths) => {
                let listed = self.listed.contains(&dir);
                let how = if list_folder(self.scope.previous, &dir, paths.len(), listed) {
                    How::Listing
                } else {
                    How::Meta
                };
                Progress::Next(paths.iter().map(|p| entry(p, how, Then::Set)).collect())
            }
            Step::Entry {
                path,
                how,
                mode,
                then,
            } => self.entry(path, how, mode, then),
        })
    }

    /// Step 1: the history, and the diffstats above its anchor.
    fn history(&mut self) -> Result<Progress, Error> {
        let needs_history = self
            .scope
            .manifests
            .iter()
            .any(|m| m.origin != Origin::None);
        if !needs_history || self.scope.start == self.scope.base_head {
            return Ok(Progress::Next(Vec::new()));
        }
        let commits = match self.answer.take() {
            Some(Answer::History(History::Commits(commits))) => commits,
            Some(Answer::History(History::Missing)) => return Ok(Progress::Next(Vec::new())),
            Some(Answer::History(History::Truncated { limit })) => {
                self.notes.push(format!(
                    "the sync branch has over {limit} commits of its own: reading every changed path instead of its history"
                ));
                return Ok(Progress::Next(Vec::new()));
            }
            _ => {
                let read = Read::History {
                    start: self.scope.start,
                    exclude: self.scope.base_head,
                };
                return Ok(Progress::Blocked(Step::History, read));
            }
        };
        let Some(anchor) = anchor(&commits, &self.scope.start.to_string())? else {
            return Ok(Progress::Next(Vec::new()));
        };
        self.anchor = Some(anchor.parent);
        Ok(Progress::Next(
            anchor
                .runs
                .into_iter()
                .map(|(top, below)| Step::Diffstat(top, below))
                .collect(),
        ))
    }

    /// Step 2: whether the manifests prove the previous build (every service is asked).
    fn trust(&mut self) -> Progress {
        let needs_history = self
            .scope
            .manifests
            .iter()
            .any(|m| m.origin != Origin::None);
        let Some(parent) = self.anchor else {
            self.anchored = Some(!needs_history);
            return Progress::Next(Vec::new());
        };
        let mut anchored = true;
        for m in self.scope.manifests {
            let mut missing = None;
            let ok = trusted(m, &self.touched, || match self.entry_at(parent, &m.path) {
                Ok(at) => at.flatten().is_none(),
                Err(read) => {
                    missing = Some(read);
                    false
                }
            });
            if let Some(read) = missing {
                return Progress::Blocked(Step::Trust, read);
            }
            anchored &= ok;
        }
        self.anchored = Some(anchored);
        Progress::Next(Vec::new())
    }

    /// Step 3: the paths to read and the collision checks.
    fn choose(&mut self) -> Vec<Step> {
        let anchored = self.anchored == Some(true);
        let scope = &self.scope;
        self.read = paths_to_read(scope.needed, scope.previous, &self.touched, anchored);
        if !anchored {
            self.notes.push(
                "no gensync commit on the sync branch proves the previous build: reading every path the build changes"
                    .into(),
            );
        }
        // With a trusted history only paths people touched can be a file above a path the
        // change set writes or deletes, or a folder at one; without one, the folders on the way
        // are listed (once each).
        let history_absent = self.anchor.is_none();
        let mut steps = Vec::new();
        if anchored && !self.touched.is_empty() {
            for t in self
                .touched
                .iter()
                .filter(|t| !scope.previous.contains_key(*t))
            {
                if scope.needed.iter().any(|n| below(t, n)) {
                    // Above a path we write: a file there blocks it (and nothing is below it).
                    steps.push(entry(t, How::Listing, Then::Above));
                } else if scope.needed.iter().any(|n| below(n, t)) {
                    self.read.insert(t.clone());
                }
            }
        } else if !anchored || history_absent {
            steps.extend(scope.needed.iter().map(|n| Step::Walk(n.clone())));
        }
        if !anchored || history_absent {
            steps.push(Step::FilesAbove);
        }
        steps
    }

    /// Step 4, unanchored: a file above needed path `n` (remembered), or the files of a folder
    /// at `n` (read).
    fn walk(&mut self, n: String) -> Progress {
        let mut end = 0;
        while let Some(pos) = n[end..].find('/') {
            let dir = &n[..end + pos];
            match self.entry_at(self.scope.start, dir) {
                Err(read) => return Progress::Blocked(Step::Walk(n), read),
                Ok(Some(Some(_))) => {
                    self.files_above.insert(dir.to_owned());
                    return Progress::Next(Vec::new());
                }
                Ok(Some(None)) => end += pos + 1,
                Ok(None) => break,
            }
        }
        match self.entry_at(self.scope.start, &n) {
            Err(read) => Progress::Blocked(Step::Walk(n), read),
            Ok(Some(None)) => Progress::Next(vec![Step::Below(n)]),
            Ok(_) => Progress::Next(Vec::new()),
        }
    }

    /// Every file below folder `n` of the start, listing its folders, then each read.
    fn files_below(&mut self, n: String) -> Progress {
        let mut files = Vec::new();
        let mut todo = vec![n.clone()];
        while let Some(d) = todo.pop() {
            let key = (self.scope.start, d);
            let Some(entries) = self.listings.get(&key) else {
                let (commit, dir) = key;
                return Progress::Blocked(Step::Below(n), Read::Listing { commit, dir });
            };
            for e in entries.iter().flatten() {
                match e.mode {
                    Some(_) => files.push(e.path.clone()),
                    None => todo.push(e.path.clone()),
                }
            }
        }
        files.sort();
        Progress::Next(
            files
                .iter()
                .map(|f| entry(f, How::Listing, Then::Insert))
                .collect(),
        )
    }

    /// Step 5: drop the reads below a file (nothing is there), then one step per folder.
    fn group(&mut self) -> Vec<Step> {
        let above = &self.files_above;
        let view = &mut self.view;
        self.read.retain(|p| {
            let is_below = above.iter().any(|a| below(a, p));
            if is_below {
                view.remove(p.as_str());
            }
            !is_below
        });
        let mut by_dir: BTreeMap<&str, Vec<String>> = BTreeMap::new();
        for path in &self.read {
            by_dir
                .entry(parent_dir(path))
                .or_default()
                .push(path.clone());
        }
        by_dir
            .into_iter()
            .map(|(dir, paths)| Step::Folder(dir.to_owned(), paths))
            .collect()
    }

    /// Learn the entry at `path` of the start (its mode, then its blob id), then apply it.
    fn entry(
        &mut self,
        path: String,
        how: How,
        mode: Option<Option<Mode>>,
        then: Then,
    ) -> Progress {
        let commit = self.scope.start;
        let blocked = |path: String, mode, read| {
            Progress::Blocked(
                Step::Entry {
                    path,
                    how,
                    mode,
                    then,
                },
                read,
            )
        };
        let mode = match (mode, how) {
            (Some(mode), _) => mode,
            (None, How::Listing) => match self.entry_at(commit, &path) {
                Ok(at) => at.flatten(),
                Err(read) => return blocked(path, None, read),
            },
            (None, How::Meta) => match self.answer.take() {
                Some(Answer::Meta(mode)) => mode,
                _ => {
                    let read = Read::Meta {
                        commit,
                        path: path.clone(),
                    };
                    return blocked(path, None, read);
                }
            },
        };
        let found = match mode {
            None => None,
            Some(m) => match self.answer.take() {
                Some(Answer::Download(oid)) => oid.map(|oid| TreeEntry { mode: m, oid }),
                _ => {
                    let read = Read::Download {
                        commit,
                        path: path.clone(),
                    };
                    return blocked(path, Some(mode), read);
                }
            },
        };
        match (found, then) {
            (Some(e), Then::Above) => {
                self.files_above.insert(path.clone());
                self.view.insert(path, e);
            }
            (Some(e), _) => {
                self.view.insert(path, e);
            }
            (None, Then::Set) => {
                self.view.remove(&path);
            }
            (None, _) => {}
        }
        Progress::Next(Vec::new())
    }

    /// What `path` is at `commit`, from its folder's listing: `None` nothing, `Some(None)` a
    /// folder (or submodule; the root is a folder), `Some(Some(mode))` a file. `Err`: the
    /// listing to read first.
    fn entry_at(&self, commit: ObjectId, path: &str) -> Result<Option<Option<Mode>>, Read> {
        if path.is_empty() {
            return Ok(Some(None));
        }
        let dir = parent_dir(path);
        match self.listings.get(&(commit, dir.to_owned())) {
            None => Err(Read::Listing {
                commit,
                dir: dir.to_owned(),
            }),
            Some(entries) => Ok(entries
                .iter()
                .flatten()
                .find(|e| e.path == path)
                .map(|e| e.mode)),
        }
    }
}

/// The step learning the entry at `path`.
fn entry(path: &str, how: How, then: Then) -> Step {
    Step::Entry {
        path: path.to_owned(),
        how,
        mode: None,
        then,
    }
}
