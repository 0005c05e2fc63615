//! `--local-clone PATH`: when the runner already has the target repository checked out, read
//! commits, the branch tree, the manifest and the ignore files from it with gitoxide instead of
//! the provider's API.
//!
//! Only reads of objects are redirected, and only for objects the clone has: branch heads still
//! come from the API (the clone may be stale), and a commit, tree or blob the clone lacks is read
//! from the API as before. Writes and pull requests always go to the provider. Any provider
//! works (GitHub, Bitbucket): this wraps the [`Provider`] trait.

use std::path::Path;

use anyhow::Context;
use gensync_core::message::PullRequestText;
use gensync_core::{BranchTree, ObjectId};

use super::local;
use crate::providers::{
    BranchScope, CommitInfo, CommitOutcome, CommitRequest, Prefetch, Provider, PullRequest,
    PullRequestOptions, RepoInfo,
};

/// How many reads the clone answered and how many went to the API.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Reads {
    /// Reads answered from the clone.
    pub local: usize,
    /// Reads the clone could not answer (object missing), sent to the provider.
    pub fallback: usize,
}

/// A provider whose object reads are served from a local clone when it has the objects.
pub struct WithLocalClone<'a> {
    inner: &'a mut dyn Provider,
    repo: gix::Repository,
    /// The counts, for the log.
    pub reads: Reads,
}

impl<'a> WithLocalClone<'a> {
    /// Wrap `inner`, reading from the repository at `path` (bare, or a working tree).
    pub fn open(path: &Path, inner: &'a mut dyn Provider) -> anyhow::Result<Self> {
        let repo = gix::open(path)
            .with_context(|| format!("--local-clone {} is not a git repository", path.display()))?;
        Ok(WithLocalClone {
            inner,
            repo,
            reads: Reads::default(),
        })
    }
}

impl Provider for WithLocalClone<'_> {
    fn prepare(&mut self, wanted: &Prefetch<'_>) -> anyhow::Result<()> {
        // Heads and pull requests may be gathered by the provider; file contents come from the
        // clone (the provider still answers any the clone lacks, one by one).
        self.inner.prepare(&Prefetch {
            paths: &[],
            ..*wanted
        })
    }

    fn repository(&mut self) -> anyhow::Result<RepoInfo> {
        self.inner.repository()
    }

    fn init_empty(&mut self, branch: &str) -> anyhow::Result<()> {
        self.inner.init_empty(branch)
    }

    fn branch_head(&mut self, branch: &str) -> anyhow::Result<Option<ObjectId>> {
        // Never from the clone: it may be behind the provider.
        self.inner.branch_head(branch)
    }

    fn commit_info(&mut self, id: &ObjectId) -> anyhow::Result<CommitInfo> {
        match local::find_commit(&self.repo, id)? {
            Some(c) => {
                self.reads.local += 1;
                Ok(c)
            }
            None => {
                self.reads.fallback += 1;
                self.inner.commit_info(id)
            }
        }
    }

    fn files(&mut self, commit: &CommitInfo) -> anyhow::Result<BranchTree> {
        if self.repo.has_object(commit.tree) {
            self.reads.local += 1;
            return local::list_files(&self.repo, commit.tree);
        }
        self.reads.fallback += 1;
        self.inner.files(commit)
    }

    fn read_blob(&mut self, oid: &ObjectId) -> anyhow::Result<Vec<u8>> {
        if self.repo.has_object(oid) {
            self.reads.local += 1;
            return Ok(self
                .repo
                .find_blob(*oid)
                .with_context(|| format!("cannot read blob {oid} from the local clone"))?
                .take_data());
        }
        self.reads.fallback += 1;
        self.inner.read_blob(oid)
    }

    fn read_file(&mut self, commit: &CommitInfo, path: &str) -> anyhow::Result<Option<Vec<u8>>> {
        if !self.repo.has_object(commit.tree) {
            self.reads.fallback += 1;
            return self.inner.read_file(commit, path);
        }
        self.reads.local += 1;
        let tree = self.repo.find_tree(commit.tree)?;
        let Some(entry) = tree.lookup_entry_by_path(path)? else {
            return Ok(None);
        };
        if !entry.mode().is_blob_or_symlink() {
            return Ok(None);
        }
        Ok(Some(entry.object()?.detach().data))
    }

    fn branch_files(
        &mut self,
        commit: &CommitInfo,
        scope: &BranchScope<'_>,
    ) -> anyhow::Result<BranchTree> {
        if self.repo.has_object(commit.tree) {
            // The clone lists every file with its blob id: exact everywhere.
            self.reads.local += 1;
            return local::list_files(&self.repo, commit.tree);
        }
        self.reads.fallback += 1;
        self.inner.branch_files(commit, scope)
    }

    fn commit(&mut self, request: &CommitRequest<'_>) -> anyhow::Result<CommitOutcome> {
        self.inner.commit(request)
    }

    fn find_pull_request(
        &mut self,
        branch: &str,
        base: &str,
    ) -> anyhow::Result<Option<PullRequest>> {
        self.inner.find_pull_request(branch, base)
    }

    fn create_pull_request(
        &mut self,
        branch: &str,
        base: &str,
        text: &PullRequestText,
        options: &PullRequestOptions,
    ) -> anyhow::Result<PullRequest> {
        self.inner.create_pull_request(branch, base, text, options)
    }

    fn update_pull_request(
        &mut self,
        pr: &PullRequest,
        text: &PullRequestText,
        comment: &str,
        marker: &str,
    ) -> anyhow::Result<()> {
        self.inner.update_pull_request(pr, text, comment, marker)
    }

    fn branch_differs(&mut self, base: &str, branch: &str) -> anyhow::Result<bool> {
        self.inner.branch_differs(base, branch)
    }

    fn landed(&mut self, head: &ObjectId) -> anyhow::Result<Option<ObjectId>> {
        self.inner.landed(head)
    }
}
