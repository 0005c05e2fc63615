//! The local target (`--provider local --repository PATH`): the sync flow written into a git
//! repository on disk with gitoxide. Nothing is pushed, nothing is cloned.
//!
//! - Blobs are written only for files the change set writes; the new tree is the branch's tree
//!   *edited* (gix's tree editor: upserts and removals, only the touched trees rewritten), never
//!   a re-hash of the repository.
//! - The commit carries `--author` as author and committer, or [`DEFAULT_IDENTITY`].
//! - The branch moves through a ref transaction guarded by the value we built on
//!   (`MustExistAndMatch(parent)`, or `MustNotExist` for a new branch). If another writer moved
//!   it, nothing is overwritten: the flow sees [`CommitOutcome::HeadMoved`] and rebuilds.
//! - Bare and non-bare repositories. When the sync branch is checked out in a working tree
//!   (the main one or a linked one), gensync refuses if that working tree is dirty (or an
//!   untracked file sits where a file would be written); when it is clean, the working tree and
//!   the index follow the branch, as `git merge --ff-only` would, so nothing changes under a
//!   person's feet.
//! - There are no pull requests: the flow reports operation `none` with a note saying how to
//!   review the branch (its spec has no pull requests).

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use gensync_core::message::PullRequestText;
use gensync_core::payload::github::Signature;
use gensync_core::{BranchTree, Mode, ObjectId, TreeEntry};
use gix::bstr::ByteSlice;
use gix::objs::tree::EntryKind;
use gix::refs::transaction::{PreviousValue, RefEdit};
use gix::refs::{FullName, Target};

use crate::providers::{
    CommitInfo, CommitOutcome, CommitRequest, FileWrite, Provider, PullRequest, PullRequestOptions,
    RepoInfo,
};

/// Author and committer of local commits when `--author` is not given: a bot identity, so
/// gensync's commits are never mistaken for a person's (the configured `user.name` is not used).
pub const DEFAULT_IDENTITY: &str = "gensync <gensync@localhost>";

/// A git repository on disk as a sync target.
pub struct LocalRepo {
    repo: gix::Repository,
    path: PathBuf,
    trees: HashMap<ObjectId, BranchTree>,
}

/// A working tree that has a branch checked out.
struct Checkout {
    repo: gix::Repository,
    workdir: PathBuf,
}

impl LocalRepo {
    /// Open the repository at `path` (a bare repository, or a working tree / its `.git`).
    pub fn open(path: &Path) -> anyhow::Result<LocalRepo> {
        let repo = gix::open(path).with_context(|| {
            format!(
                "{} is not a git repository (create one with `git init`, or `git init --bare`)",
                path.display()
            )
        })?;
        Ok(LocalRepo {
            repo,
            path: path.to_owned(),
            trees: HashMap::new(),
        })
    }

    fn branch_ref(branch: &str) -> anyhow::Result<FullName> {
        FullName::try_from(format!("refs/heads/{branch}"))
            .with_context(|| format!("{branch:?} is not a valid branch name"))
    }

    /// The working trees (main and linked) whose `HEAD` is `branch`.
    fn checkouts(&self, branch: &FullName) -> anyhow::Result<Vec<Checkout>> {
        let mut out = Vec::new();
        for repo in self.repo.worktrees_including_main()? {
            let repo = repo?;
            // A linked worktree of a bare repository shares `core.bare = true`: only the
            // presence of a working tree counts.
            let Some(workdir) = repo.workdir().map(Path::to_owned) else {
                continue;
            };
            if repo.head_name()?.as_ref() == Some(branch) {
                out.push(Checkout { repo, workdir });
            }
        }
        Ok(out)
    }

    /// Refuse to move a checked-out branch whose working tree has changes we would bury.
    fn ensure_clean(
        checkout: &Checkout,
        branch: &str,
        writes: &[FileWrite],
        deletions: &[String],
    ) -> anyhow::Result<()> {
        let dirty = checkout.repo.is_dirty().with_context(|| {
            format!(
                "cannot read the status of the working tree {}",
                checkout.workdir.display()
            )
        })?;
        if dirty {
            bail!(
                "branch {branch:?} is checked out in {} and its working tree has uncommitted changes; \
                 gensync will not move a branch under a person's feet: commit or stash them, check out \
                 another branch, or sync into a bare repository",
                checkout.workdir.display()
            );
        }
        for path in writes
            .iter()
            .map(|w| w.path.as_str())
            .chain(deletions.iter().map(String::as_str))
        {
            no_link_on_the_way(&checkout.workdir, path).with_context(|| {
                format!(
                    "branch {branch:?} is checked out in {}; nothing was committed",
                    checkout.workdir.display()
                )
            })?;
        }
        let index = checkout.repo.index_or_empty()?;
        for w in writes {
            let on_disk = checkout.workdir.join(&w.path);
            if on_disk.symlink_metadata().is_ok()
                && index.entry_by_path(w.path.as_bytes().as_bstr()).is_none()
            {
                bail!(
                    "branch {branch:?} is checked out in {} and the untracked file {} would be overwritten; \
                     move it away or add it to the branch first",
                    checkout.workdir.display(),
                    w.path
                );
            }
        }
        Ok(())
    }

    /// Write the blobs, edit `base_tree`, write the commit (with `parent`) and move `branch`
    /// from `expected_head` (`None`: create it).
    #[allow(clippy::too_many_arguments)]
    fn write_commit(
        &mut self,
        branch: &str,
        base_tree: ObjectId,
        parent: Option<ObjectId>,
        expected_head: Option<ObjectId>,
        writes: &[FileWrite],
        deletions: &[String],
        message: &str,
        author: Option<&Signature>,
    ) -> anyhow::Result<CommitOutcome> {
        let name = Self::branch_ref(branch)?;
        let checkouts = self.checkouts(&name)?;
        for c in &checkouts {
            Self::ensure_clean(c, branch, writes, deletions)?;
        }
        let tree = self.write_tree(base_tree, writes, deletions)?;
        let signature = signature(author)?;
        let commit = gix::objs::Commit {
            tree,
            parents: parent.into_iter().collect(),
            author: signature.clone(),
            committer: signature.clone(),
            encoding: None,
            message: message.into(),
            extra_headers: Vec::new(),
        };
        let id = self.repo.write_object(&commit)?.detach();
        // The guard: the branch is still where we read it (or still absent).
        let expected = match expected_head {
            Some(p) => PreviousValue::MustExistAndMatch(Target::Object(p)),
            None => PreviousValue::MustNotExist,
        };
        let title = message.lines().next().unwrap_or_default();
        let edit = RefEdit::update(name.clone(), id, expected, format!("gensync: {title}"))
            .with_deref(false);
        let mut time = gix::date::parse::TimeBuf::default();
        if let Err(err) = self
            .repo
            .edit_references_as([edit], Some(signature.to_ref(&mut time)))
        {
            // A failed guard means another writer was first: rebuild on its commit.
            if self.branch_head_of(&name)? != expected_head {
                return Ok(CommitOutcome::HeadMoved);
            }
            return Err(anyhow::Error::new(err).context(format!("cannot move branch {branch}")));
        }
        for c in &checkouts {
            update_checkout(c, tree, writes, deletions).with_context(|| {
                format!(
                    "commit {id} landed on {branch}, but updating its checkout {} failed; \
                     that working tree was clean: run `git reset --hard` there",
                    c.workdir.display()
                )
            })?;
        }
        Ok(CommitOutcome::Committed {
            id,
            via: if checkouts.is_empty() {
                "local".into()
            } else {
                "local, checked-out working tree updated".into()
            },
        })
    }

    /// Write the blobs and `base_tree` edited by `writes` and `deletions`; the new tree's id.
    fn write_tree(
        &mut self,
        base_tree: ObjectId,
        writes: &[FileWrite],
        deletions: &[String],
    ) -> anyhow::Result<ObjectId> {
        let mut editor = self.repo.edit_tree(base_tree)?;
        for w in writes {
            // A blob the repository already has (a rename, a revert) is not written again.
            let id = if w.exists && self.repo.has_object(w.oid) {
                w.oid
            } else {
                self.repo.write_blob(&w.content)?.detach()
            };
            if id != w.oid {
                bail!("{} was written as blob {id}, expected {}", w.path, w.oid);
            }
            editor.upsert(w.path.as_str(), entry_kind(w.mode), id)?;
        }
        for path in deletions {
            // Only files (the flow deletes paths the branch has as files): never a folder.
            editor.remove_leaf(path.as_str())?;
        }
        Ok(editor.write()?.detach())
    }

    fn branch_head_of(&self, name: &FullName) -> anyhow::Result<Option<ObjectId>> {
        match self.repo.try_find_reference(name.as_bstr())? {
            None => Ok(None),
            Some(mut r) => Ok(Some(r.peel_to_id()?.detach())),
        }
    }
}

/// The commit signature: `--author` or [`DEFAULT_IDENTITY`], at the current time.
fn signature(author: Option<&Signature>) -> anyhow::Result<gix::actor::Signature> {
    let who = match author {
        Some(a) => a.clone(),
        None => Signature::parse(DEFAULT_IDENTITY).expect("the default identity parses"),
    };
    Ok(gix::actor::Signature {
        name: who.name.into(),
        email: who.email.into(),
        time: gix::date::Time::now_local_or_utc(),
    })
}

fn entry_kind(mode: Mode) -> EntryKind {
    match mode {
        Mode::Regular => EntryKind::Blob,
        Mode::Executable => EntryKind::BlobExecutable,
        Mode::Symlink => EntryKind::Link,
    }
}

/// Every file of `tree` (folders and submodules left out), read with gix.
pub fn list_files(repo: &gix::Repository, tree: ObjectId) -> anyhow::Result<BranchTree> {
    let tree = repo
        .find_tree(tree)
        .with_context(|| format!("cannot read tree {tree}"))?;
    let mut out = BranchTree::new();
    for e in tree.traverse().breadthfirst.files()? {
        let mode = match e.mode.kind() {
            EntryKind::Blob => Mode::Regular,
            EntryKind::BlobExecutable => Mode::Executable,
            EntryKind::Link => Mode::Symlink,
            EntryKind::Tree | EntryKind::Commit => continue,
        };
        let path = String::from_utf8(e.filepath.to_vec()).with_context(|| {
            format!(
                "the repository has a path that is not UTF-8: {:?}",
                e.filepath
            )
        })?;
        out.insert(path, TreeEntry { mode, oid: e.oid });
    }
    Ok(out)
}

/// The commit `id` as the flow sees it, if the repository has it.
pub fn find_commit(repo: &gix::Repository, id: &ObjectId) -> anyhow::Result<Option<CommitInfo>> {
    let Some(object) = repo.try_find_object(*id)? else {
        return Ok(None);
    };
    let commit = object
        .try_into_commit()
        .with_context(|| format!("{id} is not a commit"))?;
    Ok(Some(CommitInfo {
        id: *id,
        tree: commit.tree_id()?.detach(),
    }))
}

/// Make a clean checkout of the branch match the new commit: write and delete the changed files
/// and rewrite the index from the new tree, keeping the stat data of untouched entries.
fn update_checkout(
    checkout: &Checkout,
    tree: ObjectId,
    writes: &[FileWrite],
    deletions: &[String],
) -> anyhow::Result<()> {
    let root = &checkout.workdir;
    let mut dirs = BTreeSet::new();
    for path in deletions {
        no_link_on_the_way(root, path)?;
        let full = root.join(path);
        match std::fs::remove_file(&full) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e).with_context(|| format!("cannot delete {}", full.display())),
        }
        let mut dir = Path::new(path).parent();
        while let Some(d) = dir.filter(|d| !d.as_os_str().is_empty()) {
            dirs.insert(d.to_owned());
            dir = d.parent();
        }
    }
    // Deepest first: remove the folders the deletions emptied, as git does.
    for d in dirs.iter().rev() {
        let _ = std::fs::remove_dir(root.join(d));
    }
    for w in writes {
        no_link_on_the_way(root, &w.path)?;
        write_file(&root.join(&w.path), w.mode, &w.content)?;
    }
    let old = checkout.repo.index_or_empty()?;
    let mut index = checkout.repo.index_from_tree(&tree)?;
    let written: BTreeSet<&[u8]> = writes.iter().map(|w| w.path.as_bytes()).collect();
    for (entry, path) in index.entries_mut_with_paths() {
        let unchanged = old.entry_by_path(path).filter(|o| {
            !written.contains(path.as_bytes()) && o.id == entry.id && o.mode == entry.mode
        });
        entry.stat = match unchanged {
            Some(o) => o.stat,
            None => {
                let full = root.join(path.to_str_lossy().as_ref());
                let meta = gix::index::fs::Metadata::from_path_no_follow(&full)
                    .with_context(|| format!("cannot stat {}", full.display()))?;
                gix::index::entry::Stat::from_fs(&meta).unwrap_or_default()
            }
        };
    }
    index.write(gix::index::write::Options::default())?;
    Ok(())
}

/// Refuse `path` (relative to the working tree `root`) if a folder on its way is a symlink or
/// not a folder: writing or deleting there would follow the link, perhaps out of the
/// repository (DESIGN section 2, "Collisions": nothing is written through a symlink). Each
/// component is examined without following it (`symlink_metadata`); missing ones are fine
/// (they are created as real folders).
fn no_link_on_the_way(root: &Path, path: &str) -> anyhow::Result<()> {
    let mut dir = root.to_owned();
    let mut shown = String::new();
    let mut parts = path.split('/').peekable();
    while let Some(part) = parts.next() {
        if parts.peek().is_none() {
            break; // the leaf itself: a link there is replaced, never followed
        }
        dir.push(part);
        if !shown.is_empty() {
            shown.push('/');
        }
        shown.push_str(part);
        match dir.symlink_metadata() {
            Ok(m) if m.file_type().is_symlink() => bail!(
                "refusing to write or delete {path}: {shown} in the working tree {} is a symlink, and                  gensync never writes through a link (it could lead outside the repository);                  replace the link by a folder on the branch, or sync into a bare repository",
                root.display()
            ),
            Ok(m) if !m.is_dir() => bail!(
                "refusing to write or delete {path}: {shown} in the working tree {} is a file, not a folder;                  move it away on the branch",
                root.display()
            ),
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(e) => {
                return Err(e).with_context(|| format!("cannot examine {}", dir.display()))
            }
        }
    }
    Ok(())
}

fn write_file(full: &Path, mode: Mode, content: &[u8]) -> anyhow::Result<()> {
    if let Some(parent) = full.parent() {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("cannot create {}", parent.display()))?;
    }
    if full.symlink_metadata().is_ok() {
        std::fs::remove_file(full).with_context(|| format!("cannot replace {}", full.display()))?;
    }
    match mode {
        #[cfg(unix)]
        Mode::Symlink => {
            let target = std::str::from_utf8(content).context("symlink target is not UTF-8")?;
            std::os::unix::fs::symlink(target, full)
                .with_context(|| format!("cannot create symlink {}", full.display()))?;
        }
        _ => {
            std::fs::write(full, content)
                .with_context(|| format!("cannot write {}", full.display()))?;
            #[cfg(unix)]
            if mode == Mode::Executable {
                use std::os::unix::fs::PermissionsExt;
                std::fs::set_permissions(full, std::fs::Permissions::from_mode(0o755))?;
            }
        }
    }
    Ok(())
}

impl Provider for LocalRepo {
    fn repository(&mut self) -> anyhow::Result<RepoInfo> {
        let head = self.repo.head_name()?.with_context(|| {
            format!(
                "HEAD of {} is detached, so it names no default branch; pass --base BRANCH",
                self.path.display()
            )
        })?;
        let default_branch = head
            .as_bstr()
            .strip_prefix(b"refs/heads/")
            .map(|b| b.to_str_lossy().into_owned())
            .with_context(|| format!("HEAD of {} is not a branch ({head})", self.path.display()))?;
        let empty = self.repo.references()?.local_branches()?.next().is_none();
        Ok(RepoInfo {
            default_branch,
            empty,
        })
    }

    fn init_empty(&mut self, branch: &str) -> anyhow::Result<()> {
        let name = self
            .path
            .canonicalize()
            .ok()
            .and_then(|p| {
                let n = p.file_name()?.to_string_lossy().into_owned();
                Some(n.strip_suffix(".git").map(str::to_owned).unwrap_or(n))
            })
            .unwrap_or_else(|| "repository".into());
        let content = format!("# {name}\n").into_bytes();
        let oid = gensync_core::hash_blob(self.repo.object_hash(), &content);
        let readme = FileWrite {
            path: "README.md".into(),
            mode: Mode::Regular,
            oid,
            content,
            exists: false,
        };
        let empty = ObjectId::empty_tree(self.repo.object_hash());
        match self.write_commit(
            branch,
            empty,
            None,
            None,
            &[readme],
            &[],
            "Initial commit",
            None,
        )? {
            CommitOutcome::Committed { .. } => Ok(()),
            CommitOutcome::HeadMoved => {
                bail!("{branch} was created by another writer while gensync initialised the repository; rerun")
            }
        }
    }

    fn branch_head(&mut self, branch: &str) -> anyhow::Result<Option<ObjectId>> {
        let name = Self::branch_ref(branch)?;
        self.branch_head_of(&name)
    }

    fn commit_info(&mut self, id: &ObjectId) -> anyhow::Result<CommitInfo> {
        find_commit(&self.repo, id)?.with_context(|| format!("commit {id} is missing"))
    }

    fn files(&mut self, commit: &CommitInfo) -> anyhow::Result<BranchTree> {
        if let Some(t) = self.trees.get(&commit.tree) {
            return Ok(t.clone());
        }
        let files = list_files(&self.repo, commit.tree)?;
        self.trees.insert(commit.tree, files.clone());
        Ok(files)
    }

    fn read_blob(&mut self, oid: &ObjectId) -> anyhow::Result<Vec<u8>> {
        Ok(self
            .repo
            .find_blob(*oid)
            .with_context(|| format!("cannot read blob {oid}"))?
            .take_data())
    }

    fn commit(&mut self, r: &CommitRequest<'_>) -> anyhow::Result<CommitOutcome> {
        if r.create_branch && self.branch_head(r.branch)?.is_some() {
            return Ok(CommitOutcome::HeadMoved);
        }
        self.write_commit(
            r.branch,
            r.parent.tree,
            Some(r.parent.id),
            (!r.create_branch).then_some(r.parent.id),
            r.writes,
            r.deletions,
            r.message,
            r.author,
        )
    }

    fn find_pull_request(
        &mut self,
        _branch: &str,
        _base: &str,
    ) -> anyhow::Result<Option<PullRequest>> {
        Ok(None)
    }

    fn create_pull_request(
        &mut self,
        _branch: &str,
        _base: &str,
        _text: &PullRequestText,
        _options: &PullRequestOptions,
    ) -> anyhow::Result<PullRequest> {
        bail!("a local repository has no pull requests")
    }

    fn update_pull_request(
        &mut self,
        _pr: &PullRequest,
        _text: &PullRequestText,
        _comment: &str,
        _marker: &str,
    ) -> anyhow::Result<()> {
        bail!("a local repository has no pull requests")
    }

    fn branch_differs(&mut self, base: &str, branch: &str) -> anyhow::Result<bool> {
        let tree = |s: &mut Self, b: &str| -> anyhow::Result<Option<ObjectId>> {
            match s.branch_head(b)? {
                Some(id) => Ok(Some(s.commit_info(&id)?.tree)),
                None => Ok(None),
            }
        };
        Ok(tree(self, base)? != tree(self, branch)?)
    }
}

#[cfg(test)]
mod tests {
    use std::process::Command;

    use super::*;

    fn git(dir: &Path, args: &[&str]) -> String {
        let out = Command::new("git")
            .arg("-C")
            .arg(dir)
            .args(args)
            .env("GIT_AUTHOR_NAME", "A")
            .env("GIT_AUTHOR_EMAIL", "a@example.com")
            .env("GIT_COMMITTER_NAME", "A")
            .env("GIT_COMMITTER_EMAIL", "a@example.com")
            .output()
            .expect("git runs");
        assert!(
            out.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout)
            .expect("utf-8")
            .trim()
            .to_owned()
    }

    /// A bare repository with `main` and `amplication` at one commit holding `a.txt`.
    fn repo() -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().expect("tempdir");
        let bare = dir.path().join("r.git");
        git(
            dir.path(),
            &["init", "-q", "--bare", "-b", "main", bare.to_str().unwrap()],
        );
        let blob = {
            let mut child = Command::new("git")
                .arg("-C")
                .arg(&bare)
                .args(["hash-object", "-w", "--stdin"])
                .stdin(std::process::Stdio::piped())
                .stdout(std::process::Stdio::piped())
                .spawn()
                .expect("git");
            use std::io::Write as _;
            child
                .stdin
                .take()
                .expect("stdin")
                .write_all(b"a\n")
                .expect("write");
            let out = child.wait_with_output().expect("git");
            String::from_utf8(out.stdout)
                .expect("utf-8")
                .trim()
                .to_owned()
        };
        let tree = {
            let mut child = Command::new("git")
                .arg("-C")
                .arg(&bare)
                .arg("mktree")
                .stdin(std::process::Stdio::piped())
                .stdout(std::process::Stdio::piped())
                .spawn()
                .expect("git");
            use std::io::Write as _;
            child
                .stdin
                .take()
                .expect("stdin")
                .write_all(format!("100644 blob {blob}\ta.txt\n").as_bytes())
                .expect("write");
            let out = child.wait_with_output().expect("git");
            String::from_utf8(out.stdout)
                .expect("utf-8")
                .trim()
                .to_owned()
        };
        let commit = git(&bare, &["commit-tree", &tree, "-m", "first"]);
        git(&bare, &["update-ref", "refs/heads/main", &commit]);
        git(&bare, &["update-ref", "refs/heads/amplication", &commit]);
        (dir, bare)
    }

    fn write(path: &str, content: &[u8]) -> FileWrite {
        FileWrite {
            path: path.into(),
            mode: Mode::Regular,
            oid: gensync_core::hash_blob(gensync_core::HashKind::Sha1, content),
            content: content.to_vec(),
            exists: false,
        }
    }

    #[test]
    fn a_moved_head_is_reported_and_nothing_is_overwritten() {
        let (_dir, bare) = repo();
        let mut local = LocalRepo::open(&bare).expect("opens");
        let head = local.branch_head("amplication").unwrap().expect("branch");
        let parent = local.commit_info(&head).unwrap();
        let files = local.files(&parent).unwrap();
        // Another writer moves the branch after we read it.
        let moved = git(
            &bare,
            &[
                "commit-tree",
                &format!("{head}^{{tree}}"),
                "-p",
                &head.to_string(),
                "-m",
                "other",
            ],
        );
        git(&bare, &["update-ref", "refs/heads/amplication", &moved]);
        let writes = [write("b.txt", b"b\n")];
        let request = CommitRequest {
            branch: "amplication",
            parent: &parent,
            create_branch: false,
            writes: &writes,
            deletions: &[],
            message: "sync",
            author: None,
            parent_files: &files,
        };
        assert_eq!(local.commit(&request).unwrap(), CommitOutcome::HeadMoved);
        assert_eq!(git(&bare, &["rev-parse", "amplication"]), moved);
        // A branch someone created first is a moved head too.
        let create = CommitRequest {
            branch: "main",
            create_branch: true,
            ..request
        };
        assert_eq!(local.commit(&create).unwrap(), CommitOutcome::HeadMoved);
    }

    #[test]
    fn the_edited_tree_is_the_one_git_would_write() {
        let (_dir, bare) = repo();
        let mut local = LocalRepo::open(&bare).expect("opens");
        let head = local.branch_head("amplication").unwrap().expect("branch");
        let parent = local.commit_info(&head).unwrap();
        let files = local.files(&parent).unwrap();
        let writes = [write("dir/b.txt", b"b\n")];
        let deletions = ["a.txt".to_owned()];
        let request = CommitRequest {
            branch: "amplication",
            parent: &parent,
            create_branch: false,
            writes: &writes,
            deletions: &deletions,
            message: "sync\n",
            author: None,
            parent_files: &files,
        };
        let CommitOutcome::Committed { id, .. } = local.commit(&request).unwrap() else {
            panic!("committed");
        };
        assert_eq!(git(&bare, &["rev-parse", "amplication"]), id.to_string());
        assert_eq!(
            git(&bare, &["ls-tree", "-r", "--name-only", "amplication"]),
            "dir/b.txt"
        );
        assert_eq!(git(&bare, &["rev-parse", "amplication^"]), head.to_string());
        git(&bare, &["fsck", "--strict", "--no-dangling"]);
        // Nothing in the working tree sense: bare, and main is untouched.
        assert_eq!(git(&bare, &["rev-parse", "main"]), head.to_string());
    }
}
