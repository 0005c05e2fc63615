use std::collections::HashMap;

use itertools::{EitherOrBoth, Itertools};

use gix_hash::ObjectId;

use super::{
    BranchTree, ChangeKind, ChangeSet, Conflict, ConflictKind, ConflictState, Content, Error,
    FileChange, IgnoredChange, Options, Rename, TreeEntry, Write,
};
use crate::ignore::IgnoreRules;
use crate::manifest::{self, BuildManifest};
use crate::merge::{self, ConflictPolicy, MergeLabels, MergeOutcome, Side};
use crate::path;
use crate::snapshot::{hash_blob, Snapshot};

/// Compute the change set from the previous manifest to the new build (DESIGN section 2).
///
/// `branch` is the sync branch's current tree, or `None` when unknown (then the branch is
/// assumed to hold exactly the previous build: no no-op detection, no conflict detection).
pub fn compute(
    previous: &BuildManifest,
    next: &Snapshot,
    ignore: &IgnoreRules,
    branch: Option<&BranchTree>,
    options: &Options,
) -> Result<ChangeSet, Error> {
    let target_dir = path::normalise_dir(&options.target_dir)?;
    let ignored_to = ignored_to_dir(options)?;
    check_builds(previous, next, options)?;
    let mut walk = Walk {
        cs: empty_change_set(&target_dir, next, options),
        ignore,
        branch,
        ignored_to,
        first_sync: previous.is_empty(),
        policy: options.conflicts,
    };
    for (rel, (before, after)) in every_path(previous, next) {
        walk.path(rel, before, after)?;
    }
    let mut cs = walk.cs;
    if let Some(tree) = branch {
        collisions(&mut cs, previous, next, tree);
    }
    if options.conflicts == ConflictPolicy::Fail {
        refuse_unmergeable(&cs)?;
    }
    pair_renames(&mut cs);
    cs.writes.sort_by(|a, b| a.path.cmp(&b.path));
    cs.deletions.sort();
    Ok(cs)
}

/// The normalised `--ignored-to` folder, if any (it must not be the target dir itself).
fn ignored_to_dir(options: &Options) -> Result<Option<String>, Error> {
    let Some(dir) = &options.ignored_to else {
        return Ok(None);
    };
    path::normalise_dir(dir)
        .and_then(|d| {
            if d.is_empty() {
                Err(path::Error::Empty)
            } else {
                Ok(d)
            }
        })
        .map(Some)
        .map_err(|source| Error::IgnoredTo {
            dir: dir.clone(),
            source,
        })
}

/// The refusals that need no walk: builds of different object formats, an empty build (unless
/// allowed), a build holding the manifest's path.
fn check_builds(previous: &BuildManifest, next: &Snapshot, options: &Options) -> Result<(), Error> {
    if previous.hash_kind() != next.hash_kind() {
        return Err(Error::HashKindMismatch {
            previous: previous.hash_kind(),
            next: next.hash_kind(),
        });
    }
    if next.is_empty() && !options.allow_empty {
        return Err(Error::EmptyBuild);
    }
    if next.get(manifest::PATH).is_some() {
        return Err(Error::ReservedPath {
            path: manifest::PATH.into(),
        });
    }
    Ok(())
}

/// A change set with nothing in it yet, for `target_dir` (normalised).
fn empty_change_set(target_dir: &str, next: &Snapshot, options: &Options) -> ChangeSet {
    ChangeSet {
        target_dir: target_dir.to_owned(),
        added: Vec::new(),
        modified: Vec::new(),
        deleted: Vec::new(),
        renamed: Vec::new(),
        ignored: Vec::new(),
        conflicts: Vec::new(),
        already_on_branch: Vec::new(),
        preserved_edits: Vec::new(),
        manifest_path: path::join(target_dir, manifest::PATH),
        hash_kind: next.hash_kind(),
        writes: Vec::new(),
        deletions: Vec::new(),
        options: Options {
            target_dir: target_dir.to_owned(),
            ..options.clone()
        },
    }
}

/// Before and after of one path between the builds.
type Sides = (Option<TreeEntry>, Option<TreeEntry>);

/// Every path of P ∪ N, in order, with its entry in each: both are sorted by path, so one merge
/// pass (no map of the union: memory stays at the two inputs for builds of 100k files).
fn every_path<'a>(
    previous: &'a BuildManifest,
    next: &'a Snapshot,
) -> impl Iterator<Item = (&'a str, Sides)> + 'a {
    let entry = |mode, oid| TreeEntry { mode, oid };
    previous
        .iter()
        .map(move |(p, e)| (p, entry(e.mode, e.oid)))
        .merge_join_by(
            next.iter().map(move |(p, e)| (p, entry(e.mode, e.oid))),
            |(a, _), (b, _)| a.cmp(b),
        )
        .map(|pair| match pair {
            EitherOrBoth::Left((p, b)) => (p, (Some(b), None)),
            EitherOrBoth::Right((p, a)) => (p, (None, Some(a))),
            EitherOrBoth::Both((p, b), (_, a)) => (p, (Some(b), Some(a))),
        })
}

/// The walk over every path of the two builds, filling the change set.
struct Walk<'a> {
    cs: ChangeSet,
    ignore: &'a IgnoreRules,
    branch: Option<&'a BranchTree>,
    ignored_to: Option<String>,
    first_sync: bool,
    policy: ConflictPolicy,
}

impl Walk<'_> {
    /// The repository path of target-relative `rel`.
    fn repo(&self, rel: &str) -> String {
        path::join(&self.cs.target_dir, rel)
    }

    /// What the branch holds at `repo_path`: its tree's entry, or `previous_entry` when the
    /// branch is unknown.
    fn on_branch(&self, repo_path: &str, previous_entry: Option<TreeEntry>) -> Option<TreeEntry> {
        match self.branch {
            Some(tree) => tree.get(repo_path).copied(),
            None => previous_entry,
        }
    }

    /// One path of P ∪ N (`rel`, target-relative), as it was and is generated.
    fn path(
        &mut self,
        rel: &str,
        before: Option<TreeEntry>,
        after: Option<TreeEntry>,
    ) -> Result<(), Error> {
        let repo_path = self.repo(rel);
        let change = match (before, after) {
            (None, Some(_)) => ChangeKind::Added,
            (Some(_), None) => ChangeKind::Deleted,
            (Some(b), Some(a)) if b != a => ChangeKind::Modified,
            (Some(b), Some(_)) => {
                // Unchanged between builds: never touched, whatever the branch holds.
                if self.branch.is_some() && self.on_branch(&repo_path, before) != Some(b) {
                    self.cs.preserved_edits.push(repo_path);
                }
                return Ok(());
            }
            (None, None) => unreachable!("every path comes from P or N"),
        };
        if self.ignore.is_ignored(&repo_path) {
            self.ignored(rel, repo_path, change, before, after);
            return Ok(());
        }
        let current = self.on_branch(&repo_path, before);
        match after {
            Some(a) => self.generated(rel, repo_path, change, (before, a), current),
            None => {
                let b = before.expect("deleted paths come from P");
                self.dropped(repo_path, b, current);
                Ok(())
            }
        }
    }

    /// A change the ignore file matches: reported, and copied below `--ignored-to` if given.
    fn ignored(
        &mut self,
        rel: &str,
        repo_path: String,
        change: ChangeKind,
        before: Option<TreeEntry>,
        after: Option<TreeEntry>,
    ) {
        let shown = after.or(before).expect("a change has one side");
        let copied_to = match (&self.ignored_to, after) {
            (Some(dir), Some(a)) => {
                let side = self.repo(&path::join(dir, rel));
                if self.on_branch(&side, None) != Some(a) {
                    self.cs.writes.push(Write {
                        path: side.clone(),
                        mode: a.mode,
                        oid: a.oid,
                        content: Content::Generated(rel.to_owned()),
                    });
                }
                Some(side)
            }
            _ => None,
        };
        self.cs.ignored.push(IgnoredChange {
            path: repo_path,
            change,
            mode: shown.mode,
            oid: shown.oid,
            copied_to,
        });
    }

    /// A path the new build generates (`a`), added or modified since `before`; `current` is
    /// the branch's entry.
    fn generated(
        &mut self,
        rel: &str,
        repo_path: String,
        change: ChangeKind,
        (before, a): (Option<TreeEntry>, TreeEntry),
        current: Option<TreeEntry>,
    ) -> Result<(), Error> {
        if current == Some(a) {
            self.cs.already_on_branch.push(repo_path);
            return Ok(());
        }
        // The branch differs from what we last generated there: a person edited it.
        // On the first sync there is no "last generated": the build simply lands.
        let edited = current != before && !(self.first_sync && before.is_none());
        if !edited {
            push_write(&mut self.cs, change, rel, repo_path, a, before);
            return Ok(());
        }
        let kind = match (before, current) {
            (Some(_), Some(_)) => ConflictKind::BothModified,
            (None, Some(_)) => ConflictKind::BothAdded,
            (Some(_), None) => ConflictKind::DeletedOnBranch,
            (None, None) => unreachable!("edited implies current != before"),
        };
        self.cs.conflicts.push(Conflict {
            path: repo_path.clone(),
            kind,
            base: before,
            branch: current,
            generated: Some(a),
            blocked_by: None,
            state: ConflictState::Pending,
        });
        if kind == ConflictKind::DeletedOnBranch {
            resolve_deleted_on_branch(&mut self.cs, rel, &repo_path, a, self.policy)?;
        }
        Ok(())
    }

    /// A path the new build no longer generates (`b` was generated); `current` is the
    /// branch's entry.
    fn dropped(&mut self, repo_path: String, b: TreeEntry, current: Option<TreeEntry>) {
        match current {
            None => self.cs.already_on_branch.push(repo_path),
            Some(c) if c != b => {
                // The generator dropped a file a person edited: keep the edit unless
                // the policy says the generator wins.
                let state = match self.policy {
                    ConflictPolicy::Generated => {
                        push_deletion(&mut self.cs, repo_path.clone(), b);
                        ConflictState::Resolved {
                            kept: Side::Generated,
                        }
                    }
                    _ => ConflictState::Resolved { kept: Side::Branch },
                };
                self.cs.conflicts.push(Conflict {
                    path: repo_path,
                    kind: ConflictKind::DeletedByGenerator,
                    base: Some(b),
                    branch: Some(c),
                    generated: None,
                    blocked_by: None,
                    state,
                });
            }
            Some(_) => push_deletion(&mut self.cs, repo_path, b),
        }
    }
}

/// Delete `repo_path`, generated as `b`.
fn push_deletion(cs: &mut ChangeSet, repo_path: String, b: TreeEntry) {
    cs.deletions.push(repo_path.clone());
    cs.deleted.push(FileChange {
        path: repo_path,
        mode: b.mode,
        oid: b.oid,
        previous_mode: None,
        previous_oid: None,
    });
}

/// Under [`ConflictPolicy::Fail`]: the conflicts no merge can settle (deletions on either side,
/// file/folder collisions) refuse the sync, naming them all.
fn refuse_unmergeable(cs: &ChangeSet) -> Result<(), Error> {
    let paths: Vec<String> = cs
        .conflicts
        .iter()
        .filter(|c| {
            matches!(
                c.kind,
                ConflictKind::DeletedByGenerator
                    | ConflictKind::DeletedOnBranch
                    | ConflictKind::FileFolder
            )
        })
        .map(|c| c.path.clone())
        .collect();
    if paths.is_empty() {
        Ok(())
    } else {
        Err(Error::Conflicts { paths })
    }
}

/// The first branch path that blocks writing or deleting `path`: a proper ancestor of it that
/// is a file on the branch, or a file inside the folder `path` is on the branch, that the change
/// set does not delete. `deleted` is sorted.
fn blocker(path: &str, tree: &BranchTree, deleted: &[String]) -> Option<String> {
    let stays = |p: &str| deleted.binary_search_by(|d| d.as_str().cmp(p)).is_err();
    let mut end = 0;
    while let Some(pos) = path[end..].find('/') {
        let dir = &path[..end + pos];
        if tree.contains_key(dir) && stays(dir) {
            return Some(dir.to_owned());
        }
        end += pos + 1;
    }
    let prefix = format!("{path}/");
    tree.range(prefix.clone()..)
        .take_while(|(p, _)| p.starts_with(&prefix))
        .map(|(p, _)| p)
        .find(|p| stays(p))
        .cloned()
}

/// File/folder collisions (DESIGN section 2, "Collisions"): a write or deletion blocked by a
/// branch path the change set does not delete becomes a [`ConflictKind::FileFolder`]
/// conflict and is dropped: the branch's side stays, whatever the policy (under `fail` the
/// caller refuses). Blocked deletions are dropped first: the paths they would have removed
/// stay, and may block writes in turn.
fn collisions(cs: &mut ChangeSet, previous: &BuildManifest, next: &Snapshot, tree: &BranchTree) {
    let target = cs.target_dir.clone();
    let rel_of = |p: &str| path::strip_dir(&target, p).map(str::to_owned);
    let base = |p: &str| {
        rel_of(p).and_then(|r| {
            previous.get(&r).map(|e| TreeEntry {
                mode: e.mode,
                oid: e.oid,
            })
        })
    };
    let generated = |p: &str| {
        rel_of(p).and_then(|r| {
            next.get(&r).map(|e| TreeEntry {
                mode: e.mode,
                oid: e.oid,
            })
        })
    };
    let mut found = Vec::new();
    // Deletions until none is blocked (a kept path may block another deletion).
    loop {
        cs.deletions.sort();
        let blocked: Vec<(String, String)> = cs
            .deletions
            .iter()
            .filter_map(|d| blocker(d, tree, &cs.deletions).map(|b| (d.clone(), b)))
            .collect();
        if blocked.is_empty() {
            break;
        }
        for (d, b) in blocked {
            cs.deletions.retain(|x| *x != d);
            cs.deleted.retain(|x| x.path != d);
            found.push(Conflict {
                path: d.clone(),
                kind: ConflictKind::FileFolder,
                base: base(&d),
                branch: tree.get(&d).copied(),
                generated: None,
                blocked_by: Some(b),
                state: ConflictState::Resolved { kept: Side::Branch },
            });
        }
    }
    let mut blocked_writes = Vec::new();
    for w in &cs.writes {
        if let Some(b) = blocker(&w.path, tree, &cs.deletions) {
            blocked_writes.push((w.path.clone(), b));
        }
    }
    for (w, b) in blocked_writes {
        cs.writes.retain(|x| x.path != w);
        cs.added.retain(|x| x.path != w);
        cs.modified.retain(|x| x.path != w);
        for i in &mut cs.ignored {
            if i.copied_to.as_deref() == Some(w.as_str()) {
                i.copied_to = None;
            }
        }
        // An earlier verdict on this path (a deleted-on-branch write) gives way to this one.
        cs.conflicts.retain(|c| c.path != w);
        found.push(Conflict {
            path: w.clone(),
            kind: ConflictKind::FileFolder,
            base: base(&w),
            branch: tree.get(&w).copied(),
            generated: generated(&w),
            blocked_by: Some(b),
            state: ConflictState::Resolved { kept: Side::Branch },
        });
    }
    cs.conflicts.extend(found);
    cs.conflicts.sort_by(|a, b| a.path.cmp(&b.path));
}

fn push_write(
    cs: &mut ChangeSet,
    change: ChangeKind,
    rel: &str,
    repo_path: String,
    a: TreeEntry,
    before: Option<TreeEntry>,
) {
    cs.writes.push(Write {
        path: repo_path.clone(),
        mode: a.mode,
        oid: a.oid,
        content: Content::Generated(rel.to_owned()),
    });
    let entry = FileChange {
        path: repo_path,
        mode: a.mode,
        oid: a.oid,
        previous_mode: before.map(|b| b.mode),
        previous_oid: before.map(|b| b.oid),
    };
    match change {
        ChangeKind::Added => cs.added.push(entry),
        _ => cs.modified.push(entry),
    }
}

/// The generator changed a file a person deleted: no content merge is possible, the policy
/// decides whether the new version comes back.
fn resolve_deleted_on_branch(
    cs: &mut ChangeSet,
    rel: &str,
    repo_path: &str,
    a: TreeEntry,
    policy: ConflictPolicy,
) -> Result<(), Error> {
    let kept = match policy {
        ConflictPolicy::Markers | ConflictPolicy::Generated => {
            let before = cs.conflicts.last().and_then(|c| c.base);
            push_write(
                cs,
                ChangeKind::Modified,
                rel,
                repo_path.to_owned(),
                a,
                before,
            );
            Side::Generated
        }
        ConflictPolicy::Branch => Side::Branch,
        ConflictPolicy::Fail => Side::None,
    };
    if let Some(c) = cs.conflicts.last_mut() {
        c.state = ConflictState::Resolved { kept };
    }
    Ok(())
}

/// Pair deleted and added paths with the same blob id (first by path order), for display.
fn pair_renames(cs: &mut ChangeSet) {
    if cs.deleted.is_empty() || cs.added.is_empty() {
        return;
    }
    let mut added_by_oid: HashMap<ObjectId, Vec<usize>> = HashMap::new();
    for (i, a) in cs.added.iter().enumerate().rev() {
        added_by_oid.entry(a.oid).or_default().push(i);
    }
    let mut taken_added = vec![false; cs.added.len()];
    let mut keep_deleted = Vec::with_capacity(cs.deleted.len());
    for d in std::mem::take(&mut cs.deleted) {
        match added_by_oid.get_mut(&d.oid).and_then(|v| v.pop()) {
            Some(i) => {
                taken_added[i] = true;
                let a = &cs.added[i];
                cs.renamed.push(Rename {
                    from: d.path,
                    to: a.path.clone(),
                    mode: a.mode,
                    oid: a.oid,
                });
            }
            None => keep_deleted.push(d),
        }
    }
    cs.deleted = keep_deleted;
    let mut i = 0;
    cs.added.retain(|_| {
        let keep = !taken_added[i];
        i += 1;
        keep
    });
}

/// A conflict's merged contents (none when a whole side stays) and where it then stands.
type Merged = (Option<Vec<u8>>, ConflictState);

/// Conflict resolution.
impl ChangeSet {
    /// Merge pending conflicts only if `blob` knows every blob [`blobs_needed`](Self::blobs_needed)
    /// lists; otherwise leave them pending (listed as needing a merge). Returns whether they
    /// were merged. Used where contents may be partly unknown (the CLI's `changes`, the preview).
    pub fn resolve_conflicts_if_known(
        &mut self,
        blob: &mut dyn FnMut(&ObjectId) -> Option<Vec<u8>>,
        labels: MergeLabels<'_>,
    ) -> Result<bool, Error> {
        let needed = self.blobs_needed();
        if needed.is_empty() {
            return Ok(false);
        }
        let mut known = HashMap::with_capacity(needed.len());
        for oid in needed {
            match blob(&oid) {
                Some(data) => known.insert(oid, data),
                None => return Ok(false),
            };
        }
        self.resolve_conflicts(&mut |oid| known.get(oid).cloned(), labels)?;
        Ok(true)
    }

    /// Merge every pending conflict with the contents `blob` returns for the ids
    /// [`blobs_needed`](Self::blobs_needed) listed, under the change set's policy, turning each
    /// into a write. Fails under [`ConflictPolicy::Fail`] if any merge overlaps (naming them all).
    pub fn resolve_conflicts(
        &mut self,
        blob: &mut dyn FnMut(&ObjectId) -> Option<Vec<u8>>,
        labels: MergeLabels<'_>,
    ) -> Result<(), Error> {
        let mut refused = Vec::new();
        let pending: Vec<usize> = (0..self.conflicts.len())
            .filter(|i| self.conflicts[*i].state == ConflictState::Pending)
            .collect();
        for i in pending {
            match self.merge_conflict(i, blob, labels)? {
                Some((data, state)) => self.apply_merge(i, data, state),
                None => refused.push(self.conflicts[i].path.clone()),
            }
        }
        if !refused.is_empty() {
            return Err(Error::Conflicts { paths: refused });
        }
        self.added.sort_by(|a, b| a.path.cmp(&b.path));
        self.modified.sort_by(|a, b| a.path.cmp(&b.path));
        self.writes.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(())
    }

    /// The three-way merge of pending conflict `i` under the policy: the merged contents (if
    /// any) and where the conflict then stands; `None` when the policy refuses the overlap.
    fn merge_conflict(
        &self,
        i: usize,
        blob: &mut dyn FnMut(&ObjectId) -> Option<Vec<u8>>,
        labels: MergeLabels<'_>,
    ) -> Result<Option<Merged>, Error> {
        let policy = self.options.conflicts;
        let c = &self.conflicts[i];
        let mut fetch = |e: Option<TreeEntry>| -> Result<Option<Vec<u8>>, Error> {
            match e {
                None => Ok(None),
                Some(e) => blob(&e.oid).map(Some).ok_or_else(|| Error::MissingBlob {
                    oid: e.oid,
                    path: c.path.clone(),
                }),
            }
        };
        let base = fetch(c.base)?;
        let ours = fetch(c.branch)?.expect("pending conflicts have a branch side");
        let theirs = fetch(c.generated)?.expect("pending conflicts have a generated side");
        let empty = Vec::new();
        let outcome = merge::merge_blobs(
            base.as_ref().unwrap_or(&empty),
            &ours,
            &theirs,
            policy,
            labels,
        );
        Ok(Some(match outcome {
            MergeOutcome::Clean(d) => (Some(d), ConflictState::Merged),
            MergeOutcome::Conflicted {
                data,
                markers: true,
            } => (Some(data), ConflictState::Markers),
            MergeOutcome::Conflicted {
                data,
                markers: false,
            } => {
                let kept = if policy == ConflictPolicy::Branch {
                    Side::Branch
                } else {
                    Side::Generated
                };
                (Some(data), ConflictState::Resolved { kept })
            }
            MergeOutcome::Binary { data, kept } => (data, ConflictState::Resolved { kept }),
            MergeOutcome::Refused => return Ok(None),
        }))
    }

    /// Record the merge of conflict `i`: its new state, and the write of `data` (if any and if
    /// the branch does not already hold it).
    fn apply_merge(&mut self, i: usize, data: Option<Vec<u8>>, state: ConflictState) {
        let c = &self.conflicts[i];
        let (base_e, branch_e, gen_e) = (
            c.base,
            c.branch.expect("checked"),
            c.generated.expect("checked"),
        );
        // The mode: the generator's, unless only the person changed it. Both sides added
        // the file (no base): the side that wins conflicts gives it, as it does the lines.
        let mode = match (base_e, &state) {
            (Some(b), _) if gen_e.mode == b.mode => branch_e.mode,
            (None, ConflictState::Resolved { kept: Side::Branch }) => branch_e.mode,
            _ => gen_e.mode,
        };
        let path = c.path.clone();
        self.conflicts[i].state = state;
        let Some(data) = data else { return };
        let oid = hash_blob(self.hash_kind, &data);
        if oid == branch_e.oid && mode == branch_e.mode {
            return; // the merge result is what the branch already has
        }
        let content = if oid == gen_e.oid {
            Content::Generated(
                path::strip_dir(&self.target_dir, &path)
                    .expect("inside target")
                    .to_owned(),
            )
        } else {
            Content::Merged(data)
        };
        let entry = FileChange {
            path: path.clone(),
            mode,
            oid,
            previous_mode: base_e.map(|b| b.mode),
            previous_oid: base_e.map(|b| b.oid),
        };
        if base_e.is_some() {
            self.modified.push(entry)
        } else {
            self.added.push(entry)
        }
        self.writes.push(Write {
            path,
            mode,
            oid,
            content,
        });
    }
}
