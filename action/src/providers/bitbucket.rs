//! Bitbucket Cloud through its REST API 2.0: commits with `POST /src` (multipart), branches,
//! pull requests, diffstats. No clone.
//!
//! # The branch view without blob ids
//! Bitbucket's listings (`/src`, `diffstat`) carry no blob ids, so the backend cannot list the
//! sync branch's tree the way the change set wants it (path → blob id). It never downloads the
//! whole branch either. [`Bitbucket::branch_files`] starts from the previous build (what the
//! last sync generated, from the manifest) and corrects it where the branch may differ:
//!
//! 1. The branch's own history (`commits/{head}?exclude={base head}`) is walked along first
//!    parents. gensync's commits are recognised by their trailers
//!    ([`gensync_core::message::parse_trailers`]); every run of other people's commits between
//!    them is one `diffstat/{top}..{below}` (Bitbucket's order: what the first commit has
//!    relative to the second), and the union of those paths is what people touched.
//! 2. The oldest gensync commit on the branch is the anchor: if the manifest did not exist
//!    before it (that sync was a first sync, which writes every generated file), then every
//!    generated path nobody touched since still holds exactly what gensync generated there, and
//!    the previous build stands for it. A conflict merge gensync committed implies a person's
//!    edit before it, which the history shows too.
//! 3. Paths whose exact state the change set needs ([`BranchScope::needed`]) are read from the
//!    branch when a person touched them, when they are not in the previous build (a person may
//!    have created a file the generator now adds), or when the anchor cannot be established
//!    (a branch built on the base branch, whose history holds no gensync commit after a squash
//!    merge; per-build branches): then every needed path is read. Generated paths a person
//!    touched are read too, so the change set can list preserved edits.
//! 4. Reading a path learns its mode and existence either from a listing of its parent folder
//!    (one per folder, cached; a page per 100 entries) or from a `format=meta` lookup of the
//!    path alone, whichever takes fewer requests for the paths read in that folder (the
//!    previous build tells how many entries the folder has). The file is downloaded only if it
//!    exists; its blob id is computed locally with [`gensync_core::hash_blob`].
//!
//! These decisions are made in the core by [`gensync_core::branch_view::BranchViewPlan`] (a
//! sans-I/O planner, unit-tested there); this module only makes the reads it asks for.
//!
//! Requests therefore grow with the number of paths people edited (and, without an anchor, with
//! the number of changed generated paths), never with the size of the repository nor of a
//! folder.

use std::collections::{BTreeSet, HashMap, HashSet};

use anyhow::{bail, Context};
use gensync_core::branch_view::{
    self, Answer, BranchViewPlan, History, HistoryCommit, Listed, Manifest, Read,
};
use gensync_core::message::PullRequestText;
use gensync_core::payload::bitbucket::{self as payload, Field, SrcCommit, SrcFile};
use gensync_core::sync::{classify, FailureKind};
use gensync_core::{BranchTree, Mode, ObjectId, TreeEntry};
use serde::Deserialize;
use serde_json::Value;

use super::{
    BranchScope, CommitInfo, CommitOutcome, CommitRequest, Provider, PullRequest,
    PullRequestOptions, Refusal, RepoInfo,
};
use crate::http::{urls, Body, HttpClient, Method, Multipart, Request, Response};

/// The default API root.
pub const API_URL: &str = "https://api.bitbucket.org/2.0";

/// Pages of branch history read before giving up on finding gensync's commits (100 commits each).
const MAX_HISTORY_PAGES: usize = 10;
/// Commits of a file's history tried when looking for a previously generated version.
const MAX_FILE_HISTORY: usize = 20;

/// Counts of what the branch view cost, for the log.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ViewStats {
    /// Files downloaded to hash them.
    pub downloads: usize,
    /// Folder listings read.
    pub listings: usize,
    /// Single paths looked up (`format=meta`) instead of listing their folder.
    pub metas: usize,
    /// Diffstats read.
    pub diffstats: usize,
    /// Whether the previous build could be trusted where nobody edited the branch.
    pub anchored: bool,
}

/// The Bitbucket Cloud backend.
pub struct Bitbucket {
    http: HttpClient,
    workspace: String,
    slug: String,
    /// Contents read from the repository, by blob id.
    blobs: HashMap<ObjectId, Vec<u8>>,
    /// The (commit, path) pairs downloaded.
    fetched: HashSet<(ObjectId, String)>,
    /// Folder listings by (commit, folder): `None` when the folder does not exist.
    dirs: HashMap<(ObjectId, String), Option<Vec<DirEntry>>>,
    /// The previous builds and the commit of the last branch view (to find merge bases).
    previous: BranchTree,
    start: Option<ObjectId>,
    /// What the branch views cost.
    pub stats: ViewStats,
    /// Lines explaining choices, for the log.
    pub notes: Vec<String>,
    /// The message of a commit whose `/src` answer was lost before a retry got 409: it may
    /// have landed (see [`Provider::landed`]); Bitbucket never told us its id.
    unconfirmed: Option<String>,
}

/// One entry of a folder listing.
#[derive(Debug, Clone)]
struct DirEntry {
    path: String,
    /// `None` for folders and submodules.
    mode: Option<Mode>,
}

/// An entry of a `/src` folder listing, or the `format=meta` answer for one path.
#[derive(Deserialize)]
struct ListedEntry {
    #[serde(rename = "type")]
    kind: String,
    path: String,
    #[serde(default)]
    attributes: Value,
}

impl ListedEntry {
    /// The file's mode; `None` for folders and submodules.
    fn mode(&self) -> Option<Mode> {
        branch_view::listed_mode(&self.kind, &self.attributes)
    }
}

#[derive(Deserialize)]
struct ErrorBody {
    error: Option<ErrorDetail>,
}

#[derive(Deserialize)]
struct ErrorDetail {
    message: Option<String>,
    detail: Option<String>,
    #[serde(default)]
    data: Option<ErrorData>,
}

/// Machine-readable details of an error (`error.data`).
#[derive(Deserialize)]
struct ErrorData {
    key: Option<String>,
}

/// The `error.data.key` of a write a branch restriction refused.
const BRANCH_PERMISSION_VIOLATED: &str = "BRANCH_PERMISSION_VIOLATED";

/// Percent-encodes a path segment (everything but RFC 3986 unreserved characters): the HTTP
/// layer's [`urls::segment`].
pub fn encode_segment(text: &str) -> String {
    urls::segment(text)
}

/// Percent-encodes a repository path or branch name, keeping its `/`s: [`urls::segments`].
pub fn encode_path(path: &str) -> String {
    urls::segments(path)
}

fn parent_dir(path: &str) -> &str {
    path.rsplit_once('/').map_or("", |(dir, _)| dir)
}

impl Bitbucket {
    /// A backend for `workspace/repo_slug` over `http` (whose base is the API root, `…/2.0`).
    pub fn new(http: HttpClient, repository: &str) -> anyhow::Result<Self> {
        let (workspace, slug) = repository
            .split_once('/')
            .filter(|(w, r)| !w.is_empty() && !r.is_empty() && !r.contains('/'))
            .with_context(|| format!("--repository {repository:?} is not WORKSPACE/REPO_SLUG"))?;
        Ok(Bitbucket {
            http,
            workspace: workspace.to_owned(),
            slug: slug.to_owned(),
            blobs: HashMap::new(),
            fetched: HashSet::new(),
            dirs: HashMap::new(),
            previous: BranchTree::new(),
            start: None,
            stats: ViewStats::default(),
            notes: Vec::new(),
            unconfirmed: None,
        })
    }

    fn repo_path(&self, rest: &str) -> String {
        format!(
            "/repositories/{}/{}{rest}",
            encode_segment(&self.workspace),
            encode_segment(&self.slug)
        )
    }

    /// Turns a failed response into an error that says what to do.
    fn api_error(&self, resp: &Response, what: &str) -> anyhow::Error {
        api_error(&self.http, resp, what)
    }

    fn get(&self, target: &str) -> anyhow::Result<Response> {
        Ok(self.http.send(Request::new(Method::Get, target))?)
    }

    fn get_json<T: serde::de::DeserializeOwned>(
        &self,
        target: &str,
        what: &str,
    ) -> anyhow::Result<T> {
        let resp = self.get(target)?;
        if !resp.is_success() {
            return Err(self.api_error(&resp, what));
        }
        Ok(resp.json()?)
    }

    /// Every item of a paginated listing (`values`, `next`); `None` when the first page is 404.
    fn list<T: serde::de::DeserializeOwned>(
        &self,
        target: &str,
        what: &str,
        max_pages: usize,
    ) -> anyhow::Result<Option<(Vec<T>, bool)>> {
        #[derive(Deserialize)]
        struct Page<T> {
            values: Vec<T>,
        }
        let mut items = Vec::new();
        let mut pages = self.http.pages(target).max_pages(max_pages + 1);
        let mut read = 0;
        loop {
            if read == max_pages {
                // One page more exists only if the last one named a next page.
                return Ok(Some((items, true)));
            }
            let Some(page) = pages.next() else {
                return Ok(Some((items, false)));
            };
            let page = page?;
            if page.status == 404 && read == 0 {
                return Ok(None);
            }
            if !page.is_success() {
                return Err(self.api_error(&page, what));
            }
            let has_next = crate::http::next_page(&page).is_some();
            items.extend(page.json::<Page<T>>()?.values);
            read += 1;
            if !has_next {
                return Ok(Some((items, false)));
            }
        }
    }

    /// The raw contents of `path` at `commit`, `None` if there is no such file.
    fn download(&mut self, commit: &ObjectId, path: &str) -> anyhow::Result<Option<Vec<u8>>> {
        Ok(self.fetch(commit, path)?.map(|(_, data)| data))
    }

    /// The raw contents of `path` at `commit` and their blob id (computed locally, kept for
    /// merges), `None` if there is no such file.
    fn fetch(
        &mut self,
        commit: &ObjectId,
        path: &str,
    ) -> anyhow::Result<Option<(ObjectId, Vec<u8>)>> {
        let target = self.repo_path(&format!("/src/{commit}/{}", encode_path(path)));
        let resp = self
            .http
            .send(Request::new(Method::Get, target).content())?;
        match resp.status {
            200 => {
                self.stats.downloads += 1;
                self.fetched.insert((*commit, path.to_owned()));
                let oid = gensync_core::hash_blob(gensync_core::HashKind::Sha1, &resp.body);
                self.blobs.insert(oid, resp.body.clone());
                Ok(Some((oid, resp.body)))
            }
            404 => Ok(None),
            _ => Err(self.api_error(&resp, &format!("read {path} at {commit}"))),
        }
    }

    /// The entries of folder `dir` at `commit` (cached), `None` if there is no such folder.
    fn listing(&mut self, commit: &ObjectId, dir: &str) -> anyhow::Result<Option<Vec<DirEntry>>> {
        let key = (*commit, dir.to_owned());
        if let Some(cached) = self.dirs.get(&key) {
            return Ok(cached.clone());
        }
        // A folder below a missing one is missing too: no request.
        if !dir.is_empty() {
            let parent = parent_dir(dir).to_owned();
            if let Some(None) = self.dirs.get(&(*commit, parent)) {
                self.dirs.insert(key, None);
                return Ok(None);
            }
        }
        let target = if dir.is_empty() {
            self.repo_path(&format!("/src/{commit}/?pagelen=100"))
        } else {
            self.repo_path(&format!("/src/{commit}/{}/?pagelen=100", encode_path(dir)))
        };
        let listed = self.list::<ListedEntry>(&target, &format!("list {dir:?}"), usize::MAX - 1)?;
        self.stats.listings += 1;
        let entries = listed.map(|(entries, _)| {
            entries
                .into_iter()
                .map(|e| DirEntry {
                    mode: e.mode(),
                    path: e.path,
                })
                .collect::<Vec<_>>()
        });
        self.dirs.insert(key, entries.clone());
        Ok(entries)
    }

    /// The mode of `path` alone at `commit` (`format=meta`: type and attributes), without
    /// listing its folder; `None` if there is no file there.
    fn meta(&mut self, commit: &ObjectId, path: &str) -> anyhow::Result<Option<Mode>> {
        let target = self.repo_path(&format!("/src/{commit}/{}?format=meta", encode_path(path)));
        let resp = self.get(&target)?;
        self.stats.metas += 1;
        match resp.status {
            200 => Ok(resp.json::<ListedEntry>()?.mode()),
            404 => Ok(None),
            _ => Err(self.api_error(&resp, &format!("read {path} at {commit}"))),
        }
    }

    /// The paths of a diffstat (old and new sides).
    /// `topic: false` asks for a plain two-dot diff instead of the diff from the merge base.
    fn diffstat_paths(
        &mut self,
        spec: &str,
        topic: bool,
        out: &mut BTreeSet<String>,
    ) -> anyhow::Result<()> {
        #[derive(Deserialize)]
        struct Side {
            path: String,
        }
        #[derive(Deserialize)]
        struct Stat {
            old: Option<Side>,
            new: Option<Side>,
        }
        let target = self.repo_path(&format!(
            "/diffstat/{spec}?pagelen=500{}",
            if topic { "" } else { "&topic=false" }
        ));
        let (stats, _) = self
            .list::<Stat>(&target, "read a diffstat", usize::MAX - 1)?
            .with_context(|| format!("Bitbucket has no diffstat {spec}"))?;
        self.stats.diffstats += 1;
        for s in stats {
            out.extend(s.old.map(|s| s.path));
            out.extend(s.new.map(|s| s.path));
        }
        Ok(())
    }

    /// The branch's own commits (`commits/{start}?exclude={base head}`), for the branch
    /// view's anchor ([`branch_view::anchor`]).
    fn history(&mut self, start: &ObjectId, base_head: &ObjectId) -> anyhow::Result<History> {
        #[derive(Deserialize)]
        struct Parent {
            hash: String,
        }
        #[derive(Deserialize)]
        struct Commit {
            hash: String,
            #[serde(default)]
            message: String,
            #[serde(default)]
            parents: Vec<Parent>,
        }
        let target = self.repo_path(&format!("/commits/{start}?exclude={base_head}&pagelen=100"));
        Ok(
            match self.list::<Commit>(&target, "list the branch's commits", MAX_HISTORY_PAGES)? {
                None => History::Missing,
                Some((_, true)) => History::Truncated {
                    limit: MAX_HISTORY_PAGES * 100,
                },
                Some((commits, false)) => History::Commits(
                    commits
                        .into_iter()
                        .map(|c| HistoryCommit {
                            hash: c.hash,
                            message: c.message,
                            parents: c.parents.into_iter().map(|p| p.hash).collect(),
                        })
                        .collect(),
                ),
            },
        )
    }

    /// The answer to one read of the branch view's plan.
    fn answer(&mut self, read: Read) -> anyhow::Result<Answer> {
        Ok(match read {
            Read::History { start, exclude } => Answer::History(self.history(&start, &exclude)?),
            Read::Diffstat { top, below } => {
                let mut paths = BTreeSet::new();
                self.diffstat_paths(&format!("{top}..{below}"), true, &mut paths)?;
                Answer::Diffstat(paths.into_iter().collect())
            }
            Read::Listing { commit, dir } => {
                Answer::Listing(self.listing(&commit, &dir)?.map(|entries| {
                    entries
                        .into_iter()
                        .map(|e| Listed {
                            path: e.path,
                            mode: e.mode,
                        })
                        .collect()
                }))
            }
            Read::Meta { commit, path } => Answer::Meta(self.meta(&commit, &path)?),
            Read::Download { commit, path } => {
                Answer::Download(self.fetch(&commit, &path)?.map(|(oid, _)| oid))
            }
        })
    }

    /// Looks for the content of blob `oid` in the history of the previous build's paths that
    /// had it (a merge needs the previously generated version, which Bitbucket cannot serve by
    /// id).
    fn find_blob(&mut self, oid: &ObjectId) -> anyhow::Result<Option<Vec<u8>>> {
        let Some(start) = self.start else {
            return Ok(None);
        };
        let paths: Vec<String> = self
            .previous
            .iter()
            .filter(|(_, e)| e.oid == *oid)
            .map(|(p, _)| p.clone())
            .collect();
        #[derive(Deserialize)]
        struct Hash {
            hash: String,
        }
        #[derive(Deserialize)]
        struct Version {
            path: String,
            commit: Hash,
        }
        for path in paths {
            let target = self.repo_path(&format!(
                "/filehistory/{start}/{}?pagelen={MAX_FILE_HISTORY}",
                encode_path(&path)
            ));
            let Some((versions, _)) =
                self.list::<Version>(&target, &format!("read the history of {path}"), 1)?
            else {
                continue;
            };
            // The newest version is what the branch holds, already read if it was needed.
            let skip = usize::from(self.fetched.contains(&(start, path.clone())));
            for v in versions.iter().skip(skip).take(MAX_FILE_HISTORY) {
                let commit = ObjectId::from_hex(v.commit.hash.as_bytes())?;
                if let Some(data) = self.download(&commit, &v.path)? {
                    if gensync_core::hash_blob(gensync_core::HashKind::Sha1, &data) == *oid {
                        return Ok(Some(data));
                    }
                }
            }
        }
        Ok(None)
    }

    fn pull_json(v: &Value) -> anyhow::Result<PullRequest> {
        Ok(PullRequest {
            number: v["id"]
                .as_u64()
                .context("Bitbucket answered a pull request without an id")?,
            url: v["links"]["html"]["href"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
        })
    }
}

/// An error for a failed Bitbucket response, with a hint saying what to do.
pub fn api_error(http: &HttpClient, resp: &Response, what: &str) -> anyhow::Error {
    let detail = resp.json::<ErrorBody>().ok().and_then(|b| b.error);
    let key = detail
        .as_ref()
        .and_then(|d| d.data.as_ref())
        .and_then(|d| d.key.clone());
    let message = match detail {
        Some(ErrorDetail {
            message: Some(m),
            detail,
            ..
        }) => match detail {
            Some(d) if !d.is_empty() => format!("{m} ({d})"),
            _ => m,
        },
        _ => resp.text().chars().take(200).collect(),
    };
    let hint = match resp.status {
        _ if key.as_deref() == Some(BRANCH_PERMISSION_VIOLATED) => " — a branch restriction protects this branch: let gensync's account write to it (Repository settings → Branch restrictions), or sync to a branch no restriction matches with --branch",
        401 => " — the credentials were refused: check the access token (BITBUCKET_ACCESS_TOKEN), the app password with --username (BITBUCKET_APP_PASSWORD) or the OAuth consumer (BITBUCKET_OAUTH_CLIENT_ID / BITBUCKET_OAUTH_CLIENT_SECRET)",
        403 => " — the credentials lack a permission: gensync needs repository write and pull request write (scopes repository:write and pullrequest:write)",
        404 => " — the repository does not exist or the credentials cannot see it: check --repository WORKSPACE/REPO_SLUG",
        429 => " — Bitbucket's rate limit: rerun later",
        _ => "",
    };
    Refusal {
        provider: "Bitbucket",
        action: what.to_owned(),
        status: Some(resp.status),
        code: key,
        message: http.redact(&message),
        hint,
    }
    .into()
}

impl Provider for Bitbucket {
    fn repository(&mut self) -> anyhow::Result<RepoInfo> {
        let repo: Value = self.get_json(&self.repo_path(""), "read the repository")?;
        let main = repo["mainbranch"]["name"].as_str().map(str::to_owned);
        let empty = match &main {
            Some(m) => self.branch_head(m)?.is_none() && self.no_branches()?,
            None => self.no_branches()?,
        };
        Ok(RepoInfo {
            default_branch: main.unwrap_or_else(|| "main".into()),
            empty,
        })
    }

    fn init_empty(&mut self, branch: &str) -> anyhow::Result<()> {
        let form = Multipart::new()
            .text("message", "Initial commit")
            .text("branch", branch)
            .file("README.md", format!("# {}\n", self.slug).into_bytes());
        let resp = self.http.send(
            Request::new(Method::Post, self.repo_path("/src"))
                .body(Body::Multipart(form))
                .idempotent(false),
        )?;
        if resp.status != 201 {
            return Err(self.api_error(&resp, "create the first commit of the empty repository"));
        }
        Ok(())
    }

    fn branch_head(&mut self, branch: &str) -> anyhow::Result<Option<ObjectId>> {
        let resp = self.get(&self.repo_path(&format!("/refs/branches/{}", encode_path(branch))))?;
        match resp.status {
            200 => {
                let v: Value = resp.json()?;
                let hash = v["target"]["hash"]
                    .as_str()
                    .context("Bitbucket answered a branch without a target")?;
                Ok(Some(ObjectId::from_hex(hash.as_bytes())?))
            }
            404 => Ok(None),
            _ => Err(self.api_error(&resp, &format!("read branch {branch}"))),
        }
    }

    /// Bitbucket exposes no tree ids: the commit is described by its id alone (no request).
    fn commit_info(&mut self, id: &ObjectId) -> anyhow::Result<CommitInfo> {
        Ok(CommitInfo {
            id: *id,
            tree: ObjectId::null(id.kind()),
        })
    }

    /// Every file of the commit, each downloaded to compute its blob id: what a listing with
    /// blob ids would give, at the cost of reading the whole tree. The sync flow does not use
    /// it ([`Provider::branch_files`] reads only what the change set needs).
    fn files(&mut self, commit: &CommitInfo) -> anyhow::Result<BranchTree> {
        let mut out = BranchTree::new();
        let mut dirs = vec![String::new()];
        while let Some(dir) = dirs.pop() {
            for e in self.listing(&commit.id, &dir)?.unwrap_or_default() {
                match e.mode {
                    Some(mode) => {
                        if let Some(data) = self.download(&commit.id, &e.path)? {
                            let oid = gensync_core::hash_blob(gensync_core::HashKind::Sha1, &data);
                            out.insert(e.path, TreeEntry { mode, oid });
                        }
                    }
                    None => {
                        if !out.contains_key(&e.path) {
                            dirs.push(e.path);
                        }
                    }
                }
            }
        }
        Ok(out)
    }

    fn read_blob(&mut self, oid: &ObjectId) -> anyhow::Result<Vec<u8>> {
        if let Some(data) = self.blobs.get(oid) {
            return Ok(data.clone());
        }
        if let Some(data) = self.find_blob(oid)? {
            return Ok(data);
        }
        bail!(
            "blob {oid} is not in the repository's history (Bitbucket serves files by path only, and \
             no earlier version of the paths that had it matches); rerun with --conflicts generated or \
             --conflicts branch to sync without merging"
        )
    }

    fn read_file(&mut self, commit: &CommitInfo, path: &str) -> anyhow::Result<Option<Vec<u8>>> {
        self.download(&commit.id, path)
    }

    fn branch_files(
        &mut self,
        commit: &CommitInfo,
        scope: &BranchScope<'_>,
    ) -> anyhow::Result<BranchTree> {
        self.previous = scope.previous.clone();
        self.start = Some(commit.id);
        let manifests: Vec<Manifest> = scope
            .services
            .iter()
            .map(|s| Manifest {
                path: s.manifest_path.clone(),
                origin: s.origin,
            })
            .collect();
        let listed = self
            .dirs
            .keys()
            .filter(|(c, _)| *c == commit.id)
            .map(|(_, dir)| dir.clone())
            .collect();
        let mut plan = BranchViewPlan::new(branch_view::Scope {
            start: commit.id,
            base_head: *scope.base_head,
            previous: scope.previous,
            needed: scope.needed,
            manifests: &manifests,
            listed,
        });
        while let Some(read) = plan.poll_read()? {
            let answer = self.answer(read)?;
            plan.handle(answer)?;
        }
        let outcome = plan.finish()?;
        if let Some(anchored) = outcome.anchored {
            self.stats.anchored = anchored;
        }
        self.notes.extend(outcome.notes);
        Ok(outcome.view)
    }

    fn commit(&mut self, r: &CommitRequest<'_>) -> anyhow::Result<CommitOutcome> {
        let form = src_multipart(r);
        // Repeating it is harmless: `parents` makes a second landing impossible (409). But an
        // attempt whose answer was lost may have landed: a failure after several attempts
        // cannot tell, and must not claim that nothing was written.
        let unknown = |branch: &str| {
            format!(
                "committing to {branch} failed; an attempt whose answer was lost may or may not have taken effect (a rerun finds a landed commit by its build id)"
            )
        };
        let resp = self
            .http
            .send(
                Request::new(Method::Post, self.repo_path("/src"))
                    .body(Body::Multipart(form))
                    .idempotent(true),
            )
            .map_err(|e| anyhow::Error::new(e).context(unknown(r.branch)))?;
        if resp.attempts > 1 && !matches!(resp.status, 201 | 409) {
            return Err(self
                .api_error(&resp, &format!("commit to {}", r.branch))
                .context(unknown(r.branch)));
        }
        match resp.status {
            201 => {
                let id = created_commit(&resp)?;
                Ok(CommitOutcome::Committed {
                    id,
                    via: "src".into(),
                })
            }
            // Which status means "the branch moved" is the core's decision (a 409 here).
            s if classify(Some(s), None) == FailureKind::StaleHead => {
                if resp.attempts > 1 {
                    self.unconfirmed = Some(r.message.to_owned());
                }
                Ok(CommitOutcome::HeadMoved)
            }
            _ => Err(self.api_error(&resp, &format!("commit to {}", r.branch))),
        }
    }

    fn find_pull_request(
        &mut self,
        branch: &str,
        base: &str,
    ) -> anyhow::Result<Option<PullRequest>> {
        let q = format!(
            "source.branch.name=\"{}\" AND destination.branch.name=\"{}\"",
            bbql_escape(branch),
            bbql_escape(base)
        );
        let target = self.repo_path(&format!(
            "/pullrequests?state=OPEN&q={}&pagelen=50",
            encode_segment(&q)
        ));
        let (pulls, _) = self
            .list::<Value>(&target, "list pull requests", 20)?
            .context("Bitbucket has no pull requests listing for this repository")?;
        match pulls.first() {
            Some(p) => Ok(Some(Self::pull_json(p)?)),
            None => Ok(None),
        }
    }

    fn create_pull_request(
        &mut self,
        branch: &str,
        base: &str,
        text: &PullRequestText,
        options: &PullRequestOptions,
    ) -> anyhow::Result<PullRequest> {
        let body = payload::create_pull_request(
            &text.title,
            &text.body,
            branch,
            base,
            &options.reviewers,
            options.draft,
        );
        let mut tries = 0;
        let resp = loop {
            tries += 1;
            let sent = self.http.send(
                Request::new(Method::Post, self.repo_path("/pullrequests"))
                    .body(Body::Json(body.clone()))
                    .idempotent(false),
            );
            if super::uncertain(&sent) {
                // It may have been opened before the answer was lost: look before resending.
                if let Some(pr) = self.find_pull_request(branch, base)? {
                    return Ok(pr);
                }
                if tries < super::WRITE_TRIES {
                    continue;
                }
            }
            break sent?;
        };
        if resp.status != 201 {
            if resp.status == 400 {
                // Opened by a concurrent run (or a lost answer): use it.
                if let Some(pr) = self.find_pull_request(branch, base)? {
                    return Ok(pr);
                }
            }
            return Err(self.api_error(&resp, "open the pull request"));
        }
        Self::pull_json(&resp.json()?)
    }

    fn update_pull_request(
        &mut self,
        pr: &PullRequest,
        text: &PullRequestText,
        comment: &str,
        marker: &str,
    ) -> anyhow::Result<()> {
        let resp = self.http.send(
            Request::new(
                Method::Put,
                self.repo_path(&format!("/pullrequests/{}", pr.number)),
            )
            .body(Body::Json(payload::update_pull_request(
                &text.title,
                &text.body,
            ))),
        )?;
        if !resp.is_success() {
            return Err(self.api_error(&resp, "update the pull request"));
        }
        let mut tries = 0;
        let resp = loop {
            tries += 1;
            let sent = self.http.send(
                Request::new(
                    Method::Post,
                    self.repo_path(&format!("/pullrequests/{}/comments", pr.number)),
                )
                .body(Body::Json(payload::comment(comment)))
                .idempotent(false),
            );
            if super::uncertain(&sent) {
                // It may have been posted before the answer was lost: look before resending.
                if self.has_comment(pr, marker)? {
                    return Ok(());
                }
                if tries < super::WRITE_TRIES {
                    continue;
                }
            }
            break sent?;
        };
        if resp.status != 201 {
            return Err(self.api_error(&resp, "comment on the pull request"));
        }
        Ok(())
    }

    /// Some change of the branch (since its merge base with `base`) is not in `base`: paths of
    /// the three-dot diffstat that the plain two-dot one also lists. A squash-merged branch has
    /// none.
    fn landed(&mut self, head: &ObjectId) -> anyhow::Result<Option<ObjectId>> {
        #[derive(Deserialize)]
        struct Commit {
            hash: String,
            #[serde(default)]
            message: String,
        }
        #[derive(Deserialize)]
        struct Page {
            values: Vec<Commit>,
        }
        let Some(message) = self.unconfirmed.clone() else {
            return Ok(None);
        };
        // The lost commit is among the newest of the branch: its message (with our build's
        // trailers) identifies it.
        let page: Page = self.get_json(
            &self.repo_path(&format!("/commits/{head}?pagelen=50")),
            "list the branch's recent commits",
        )?;
        Ok(page
            .values
            .iter()
            .find(|c| c.message.trim_end() == message.trim_end())
            .and_then(|c| ObjectId::from_hex(c.hash.as_bytes()).ok()))
    }

    fn branch_differs(&mut self, base: &str, branch: &str) -> anyhow::Result<bool> {
        let spec = format!("{}..{}", encode_path(branch), encode_path(base));
        let mut topic = BTreeSet::new();
        self.diffstat_paths(&spec, true, &mut topic)?;
        if topic.is_empty() {
            return Ok(false);
        }
        let mut plain = BTreeSet::new();
        self.diffstat_paths(&spec, false, &mut plain)?;
        Ok(topic.iter().any(|p| plain.contains(p)))
    }
}

impl Bitbucket {
    /// Whether the pull request has a comment whose raw text carries `marker`.
    fn has_comment(&self, pr: &PullRequest, marker: &str) -> anyhow::Result<bool> {
        let comments: Vec<Value> = self.http.get_all(
            &self.repo_path(&format!("/pullrequests/{}/comments?pagelen=100", pr.number)),
            None,
        )?;
        Ok(comments.iter().any(|c| {
            c["content"]["raw"]
                .as_str()
                .is_some_and(|raw| raw.contains(marker))
        }))
    }

    fn no_branches(&mut self) -> anyhow::Result<bool> {
        let v: Value =
            self.get_json(&self.repo_path("/refs/branches?pagelen=1"), "list branches")?;
        Ok(v["values"].as_array().is_none_or(Vec::is_empty))
    }
}

/// Escapes a string for a BBQL `"…"` literal.
/// The multipart form of `POST /src` for the commit `r`.
fn src_multipart(r: &CommitRequest<'_>) -> Multipart {
    let files: Vec<SrcFile<'_>> = r
        .writes
        .iter()
        .map(|w| SrcFile {
            path: &w.path,
            mode: w.mode,
            data: &w.content,
        })
        .collect();
    let deletions: Vec<&str> = r.deletions.iter().map(String::as_str).collect();
    let fields = payload::src_form(&SrcCommit {
        message: r.message,
        author: r.author,
        branch: r.branch,
        parent: &r.parent.id,
        files: &files,
        deletions: &deletions,
    });
    let mut form = Multipart::new();
    for field in fields {
        form = match field {
            Field::Text { name, value } => form.text(name, value),
            Field::File {
                name,
                attributes: Some(a),
                data,
            } => form.file_with_attributes(name, data.to_vec(), a),
            Field::File {
                name,
                attributes: None,
                data,
            } => form.file(name, data.to_vec()),
        };
    }
    form
}

/// The id of the commit `POST /src` created, from its `Location` header.
fn created_commit(resp: &Response) -> anyhow::Result<ObjectId> {
    let location = resp
        .header("location")
        .context("Bitbucket created the commit but sent no Location header")?;
    let hash = location
        .trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or_default();
    ObjectId::from_hex(hash.as_bytes())
        .with_context(|| format!("the Location of the new commit ({location}) names no commit"))
}

fn bbql_escape(text: &str) -> String {
    text.replace('\\', "\\\\").replace('"', "\\\"")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_encoded_by_segment() {
        assert_eq!(encode_path("a b/c#d/é"), "a%20b/c%23d/%C3%A9");
        assert_eq!(encode_segment("x/y"), "x%2Fy");
        assert_eq!(parent_dir("a/b/c"), "a/b");
        assert_eq!(parent_dir("c"), "");
    }

    #[test]
    fn bbql_literals_are_escaped() {
        assert_eq!(bbql_escape(r#"a"b\c"#), r#"a\"b\\c"#);
    }
}
