//! Gitea and Forgejo (Codeberg too) through their REST API v1: the repository, branches, the
//! recursive git tree, raw files and blobs, one `POST /repos/{owner}/{repo}/contents` per commit,
//! pull requests and their comments. No clone.
//!
//! # What guards a commit
//! Gitea's change-files operation has no "expected head" field: it commits on whatever the
//! branch's head is when it runs. Two guards make that safe:
//!
//! 1. **Per file**: every update and delete carries the blob id the branch held at that path
//!    when gensync built the change, and a path that was absent is a `create`, which Gitea
//!    refuses if the file exists. So no file gensync touches can have changed since it read
//!    the branch: another writer's change of such a path makes Gitea refuse the whole commit
//!    (422 or 409), which the flow treats as a moved head and rebuilds on the new head.
//! 2. **Per branch, after the fact**: Gitea answers the new commit with its parents. If the
//!    parent is not the head gensync built on, another writer committed (files gensync does
//!    not touch) in between: Gitea put gensync's commit on top of theirs, losing nothing of
//!    theirs. gensync cannot undo that without force, so it treats it as a moved head: the flow
//!    rebuilds on the new head, commits what is still missing (usually nothing: then the
//!    outcome names this commit, see [`Provider::landed`]), and the branch ends as a sync on
//!    top of the other writer's commit would have left it.
//!
//! # Modes
//! The API writes new files as regular files and keeps an existing file's mode; it cannot make
//! a file executable or a symbolic link. Such writes are reported in the log (as GitHub's
//! GraphQL commit mode reports what it cannot do) and the build's other files land.

use std::collections::HashMap;

use anyhow::{bail, Context};
use base64::Engine as _;
use gensync_core::message::PullRequestText;
use gensync_core::payload::gitea::{self as payload, ChangeFiles, Write};
use gensync_core::{BranchTree, Mode, ObjectId, TreeEntry};
use serde::Deserialize;
use serde_json::{json, Value};

use super::{
    uncertain, CommitInfo, CommitOutcome, CommitRequest, Prefetch, Provider, PullRequest,
    PullRequestOptions, RepoInfo, WRITE_TRIES,
};
use crate::http::{urls, Body, HttpClient, Method, Request, Response};

/// The largest file gensync writes through Gitea's contents API (the server bounds the request
/// body only through its own or its reverse proxy's settings): the 100 MiB every other provider
/// has. A server that refuses a smaller request answers 413, reported with a hint.
pub const MAX_FILE_BYTES: u64 = gensync_core::payload::github::MAX_FILE_BYTES;

/// Entries of the recursive tree listing asked for per page (Gitea's default maximum).
const TREE_PAGE: usize = 1000;
/// Pages of one tree listing read before giving up.
const MAX_TREE_PAGES: usize = 1000;
/// How many commits below the head a read-back after a lost answer looks at for ours.
const READ_BACK_DEPTH: usize = 5;

/// The Gitea / Forgejo backend.
pub struct Gitea {
    http: HttpClient,
    owner: String,
    repo: String,
    /// The pull requests' base as the flow announced it, else the default branch.
    base: Option<String>,
    default_branch: Option<String>,
    /// The repository's id, once read (pull requests from forks carry another).
    id: Option<u64>,
    trees: HashMap<ObjectId, BranchTree>,
    blobs: HashMap<ObjectId, Vec<u8>>,
    /// Lines explaining choices, for the log.
    pub notes: Vec<String>,
    /// Commits that landed on a head other than the one they were built on (or whose answer
    /// was lost): the flow may find them in the history after a rebuild.
    unconfirmed: Vec<ObjectId>,
}

#[derive(Deserialize)]
struct ApiError {
    message: Option<String>,
}

/// An error for a failed Gitea response, with a hint saying what to do.
pub fn api_error(http: &HttpClient, resp: &Response, what: &str) -> anyhow::Error {
    let message = resp
        .json::<ApiError>()
        .ok()
        .and_then(|e| e.message)
        .unwrap_or_else(|| resp.text().chars().take(200).collect());
    let lower = message.to_lowercase();
    let hint = match resp.status {
        401 => " — the token was refused: check GITEA_TOKEN / FORGEJO_TOKEN (or --token-env), or the job token of Gitea/Forgejo Actions",
        403 if lower.contains("protected") => " — the branch is protected: let gensync's user push to it (Repository settings → Branches) or sync to another --branch",
        403 => " — the token lacks a permission: it needs the write:repository scope (and write:issue for pull requests), and its user write access to the repository",
        404 => " — the repository does not exist or the token cannot see it: check --repository OWNER/REPO and --api-url https://HOST/api/v1",
        413 => " — the server refused the request's size: a file is over the server's limit ([server] / reverse proxy body size)",
        429 => " — the server's rate limit: rerun later",
        _ => "",
    };
    super::Refusal {
        provider: "Gitea",
        action: what.to_owned(),
        status: Some(resp.status),
        code: None,
        message: http.redact(&message),
        hint,
    }
    .into()
}

#[derive(Deserialize)]
struct Sha {
    sha: String,
}

#[derive(Deserialize)]
struct CommitJson {
    sha: String,
    commit: CommitMeta,
    #[serde(default)]
    parents: Vec<Sha>,
}

#[derive(Deserialize)]
struct CommitMeta {
    tree: Sha,
    #[serde(default)]
    message: String,
}

#[derive(Deserialize)]
struct PullJson {
    number: u64,
    #[serde(default)]
    html_url: String,
    head: PullBranch,
    base: PullBranch,
}

#[derive(Deserialize)]
struct PullBranch {
    #[serde(rename = "ref")]
    name: String,
    #[serde(default)]
    repo_id: Option<u64>,
}

fn oid(text: &str) -> anyhow::Result<ObjectId> {
    Ok(ObjectId::from_hex(text.as_bytes())?)
}

impl Gitea {
    /// A backend for `owner/repo` over `http` (whose base is the API root, `…/api/v1`).
    pub fn new(http: HttpClient, repository: &str) -> anyhow::Result<Self> {
        let (owner, repo) = repository
            .split_once('/')
            .filter(|(o, r)| !o.is_empty() && !r.is_empty() && !r.contains('/'))
            .with_context(|| format!("--repository {repository:?} is not OWNER/REPO"))?;
        Ok(Gitea {
            http,
            owner: owner.to_owned(),
            repo: repo.to_owned(),
            base: None,
            default_branch: None,
            id: None,
            trees: HashMap::new(),
            blobs: HashMap::new(),
            notes: Vec::new(),
            unconfirmed: Vec::new(),
        })
    }

    fn repo_path(&self, rest: &str) -> String {
        format!(
            "/repos/{}/{}{rest}",
            urls::segment(&self.owner),
            urls::segment(&self.repo)
        )
    }

    fn error(&self, resp: &Response, what: &str) -> anyhow::Error {
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
            return Err(self.error(&resp, what));
        }
        Ok(resp.json()?)
    }

    fn send_json(&self, method: Method, target: &str, body: Value) -> anyhow::Result<Response> {
        Ok(self
            .http
            .send(Request::new(method, target).body(Body::Json(body)))?)
    }

    /// The commit `id` as Gitea describes it.
    fn commit_json(&self, id: &ObjectId) -> anyhow::Result<CommitJson> {
        self.get_json(
            &self.repo_path(&format!("/git/commits/{id}")),
            &format!("read commit {id}"),
        )
    }

    /// The base branch of pull requests: what the flow announced, else the default branch.
    fn base_branch(&mut self) -> anyhow::Result<String> {
        if let Some(base) = &self.base {
            return Ok(base.clone());
        }
        if self.default_branch.is_none() {
            self.repository()?;
        }
        Ok(self.default_branch.clone().unwrap_or_else(|| "main".into()))
    }

    /// One page of the recursive listing of `tree`: its entries and whether more follow.
    fn tree_page(&self, tree: &ObjectId, page: usize) -> anyhow::Result<(Vec<Value>, bool)> {
        #[derive(Deserialize)]
        struct Page {
            #[serde(default)]
            tree: Vec<Value>,
            #[serde(default)]
            truncated: bool,
        }
        let p: Page = self.get_json(
            &self.repo_path(&format!(
                "/git/trees/{tree}?recursive=true&per_page={TREE_PAGE}&page={page}"
            )),
            "list the branch's files",
        )?;
        Ok((p.tree, p.truncated))
    }

    /// Every file of `tree`, page by page (`truncated` says another page follows).
    fn list_tree(&self, tree: &ObjectId) -> anyhow::Result<BranchTree> {
        let mut out = BranchTree::new();
        for page in 1..=MAX_TREE_PAGES {
            let (entries, truncated) = self.tree_page(tree, page)?;
            let read = entries.len();
            for e in entries {
                let (Some(path), Some(mode), Some(sha)) =
                    (e["path"].as_str(), e["mode"].as_str(), e["sha"].as_str())
                else {
                    bail!("Gitea listed a tree entry without path, mode or sha: {e}");
                };
                if e["type"].as_str() != Some("blob") {
                    continue; // folders and submodules
                }
                let mode = Mode::parse(mode).with_context(|| format!("{path} in tree {tree}"))?;
                out.insert(
                    path.to_owned(),
                    TreeEntry {
                        mode,
                        oid: oid(sha)?,
                    },
                );
            }
            if !truncated {
                return Ok(out);
            }
            if read == 0 {
                bail!("Gitea's listing of tree {tree} says more entries follow page {page}, which is empty");
            }
        }
        bail!(
            "the tree {tree} has more than {} entries, over gensync's limit",
            MAX_TREE_PAGES * TREE_PAGE
        )
    }

    fn pull_request(p: &PullJson) -> PullRequest {
        PullRequest {
            number: p.number,
            url: p.html_url.clone(),
        }
    }

    /// Whether pull request `number` has a comment carrying `marker`.
    fn has_comment(&self, number: u64, marker: &str) -> anyhow::Result<bool> {
        let comments: Vec<Value> = self
            .http
            .get_all(&self.repo_path(&format!("/issues/{number}/comments")), None)?;
        Ok(comments
            .iter()
            .any(|c| c["body"].as_str().is_some_and(|b| b.contains(marker))))
    }

    /// The ids of the labels named `names` (Gitea labels pull requests by id).
    fn label_ids(&mut self, names: &[String]) -> anyhow::Result<Vec<u64>> {
        let labels: Vec<Value> = self.http.get_all(&self.repo_path("/labels"), None)?;
        let mut ids = Vec::new();
        for name in names {
            match labels.iter().find(|l| l["name"].as_str() == Some(name.as_str())) {
                Some(l) => ids.extend(l["id"].as_u64()),
                None => self.notes.push(format!(
                    "the repository has no label {name:?}: create it (Issues → Labels) for --labels to apply it"
                )),
            }
        }
        Ok(ids)
    }

    /// Whether `head` (or one of the few commits below it) is the commit of `message` built on
    /// `parent`; its id if so.
    fn find_ours(
        &mut self,
        head: &ObjectId,
        parent: &ObjectId,
        message: &str,
    ) -> anyhow::Result<Option<ObjectId>> {
        let mut at = *head;
        for _ in 0..READ_BACK_DEPTH {
            if at == *parent {
                return Ok(None);
            }
            let c = self.commit_json(&at)?;
            if c.commit.message.trim_end() == message.trim_end() {
                return Ok(Some(oid(&c.sha)?));
            }
            match c.parents.first() {
                Some(p) => at = oid(&p.sha)?,
                None => return Ok(None),
            }
        }
        Ok(None)
    }

    /// After a lost answer: whether the commit landed (`Some(outcome)`), or the branch is as
    /// it was (`None`: the write may be sent again).
    fn read_back(&mut self, r: &CommitRequest<'_>) -> anyhow::Result<Option<CommitOutcome>> {
        let head = self.branch_head(r.branch)?;
        match head {
            None => Ok(None),
            Some(h) if h == r.parent.id && !r.create_branch => Ok(None),
            Some(h) => match self.find_ours(&h, &r.parent.id, r.message)? {
                Some(ours) if ours == h => {
                    let c = self.commit_json(&ours)?;
                    let parents: Vec<ObjectId> = c
                        .parents
                        .iter()
                        .map(|p| oid(&p.sha))
                        .collect::<Result<_, _>>()?;
                    if payload::built_on(&parents, &r.parent.id) {
                        return Ok(Some(CommitOutcome::Committed {
                            id: ours,
                            via: "contents (confirmed after a lost answer)".into(),
                        }));
                    }
                    self.unconfirmed.push(ours);
                    Ok(Some(CommitOutcome::HeadMoved))
                }
                Some(ours) => {
                    self.unconfirmed.push(ours);
                    Ok(Some(CommitOutcome::HeadMoved))
                }
                None => Ok(Some(CommitOutcome::HeadMoved)),
            },
        }
    }

    /// The outcome of a `POST /contents` answer.
    fn committed(
        &mut self,
        r: &CommitRequest<'_>,
        resp: &Response,
    ) -> anyhow::Result<CommitOutcome> {
        #[derive(Deserialize)]
        struct Answer {
            commit: Option<CommitMetaAnswer>,
        }
        #[derive(Deserialize)]
        struct CommitMetaAnswer {
            sha: String,
            #[serde(default)]
            parents: Vec<Sha>,
        }
        let answer: Answer = resp.json()?;
        let commit = answer
            .commit
            .context("Gitea made the commit but did not answer its id")?;
        let id = oid(&commit.sha)?;
        let parents: Vec<ObjectId> = commit
            .parents
            .iter()
            .map(|p| oid(&p.sha))
            .collect::<Result<_, _>>()?;
        if payload::built_on(&parents, &r.parent.id) {
            return Ok(CommitOutcome::Committed {
                id,
                via: "contents".into(),
            });
        }
        // Another writer committed in between (on paths this commit does not touch: the
        // per-file guards held). Rebuild on the new head; this commit may be all it needs.
        self.notes.push(format!(
            "{} moved between gensync's read and its commit: Gitea put commit {id} on top of another writer's {}; rebuilding on the new head",
            r.branch,
            parents.first().map_or_else(|| "commit".to_owned(), ToString::to_string)
        ));
        self.unconfirmed.push(id);
        Ok(CommitOutcome::HeadMoved)
    }

    /// Whether a refused `POST /contents` means someone changed a path the commit touches (or
    /// the branch it creates): a moved head.
    fn stale(resp: &Response) -> bool {
        let text = resp.text().to_lowercase();
        resp.status == 409
            || (resp.status == 422
                && ["sha", "already exists", "does not match", "out of date"]
                    .iter()
                    .any(|w| text.contains(w)))
            || (resp.status == 404 && text.contains("branch"))
    }

    fn report_modes(&mut self, writes: &[Write<'_>], parent: &BranchTree) {
        for (path, wanted, written) in payload::unsupported_modes(writes, parent) {
            self.notes.push(format!(
                "{path} has mode {wanted} in the build, but Gitea's contents API writes it as {written} (it cannot set file modes)"
            ));
        }
    }
}

impl Provider for Gitea {
    fn prepare(&mut self, wanted: &Prefetch<'_>) -> anyhow::Result<()> {
        self.base = wanted.base.map(str::to_owned);
        Ok(())
    }

    fn repository(&mut self) -> anyhow::Result<RepoInfo> {
        let v: Value = self.get_json(&self.repo_path(""), "read the repository")?;
        let default_branch = v["default_branch"]
            .as_str()
            .filter(|b| !b.is_empty())
            .unwrap_or("main")
            .to_owned();
        self.default_branch = Some(default_branch.clone());
        self.id = v["id"].as_u64();
        Ok(RepoInfo {
            default_branch,
            empty: v["empty"].as_bool().unwrap_or(false),
        })
    }

    fn init_empty(&mut self, branch: &str) -> anyhow::Result<()> {
        let content =
            base64::engine::general_purpose::STANDARD.encode(format!("# {}\n", self.repo));
        let body = json!({
            "files": [{ "operation": "create", "path": "README.md", "content": content }],
            "message": "Initial commit",
            "branch": branch,
        });
        for tries in 1..=WRITE_TRIES {
            let sent = self.http.send(
                Request::new(Method::Post, self.repo_path("/contents"))
                    .body(Body::Json(body.clone()))
                    .idempotent(false),
            );
            if uncertain(&sent) {
                if self.branch_head(branch)?.is_some() {
                    return Ok(());
                }
                if tries < WRITE_TRIES {
                    continue;
                }
            }
            let resp = sent?;
            if resp.status != 201 {
                return Err(self.error(&resp, "create the first commit of the empty repository"));
            }
            return Ok(());
        }
        unreachable!("the last try returns")
    }

    fn branch_head(&mut self, branch: &str) -> anyhow::Result<Option<ObjectId>> {
        let resp = self.get(&self.repo_path(&format!("/branches/{}", urls::segments(branch))))?;
        match resp.status {
            200 => {
                let v: Value = resp.json()?;
                let id = v["commit"]["id"]
                    .as_str()
                    .context("Gitea answered a branch without a commit id")?;
                Ok(Some(oid(id)?))
            }
            404 => Ok(None),
            _ => Err(self.error(&resp, &format!("read branch {branch}"))),
        }
    }

    fn commit_info(&mut self, id: &ObjectId) -> anyhow::Result<CommitInfo> {
        let c = self.commit_json(id)?;
        Ok(CommitInfo {
            id: *id,
            tree: oid(&c.commit.tree.sha)?,
        })
    }

    fn files(&mut self, commit: &CommitInfo) -> anyhow::Result<BranchTree> {
        if let Some(tree) = self.trees.get(&commit.tree) {
            return Ok(tree.clone());
        }
        let tree = self.list_tree(&commit.tree)?;
        self.trees.insert(commit.tree, tree.clone());
        Ok(tree)
    }

    fn read_blob(&mut self, id: &ObjectId) -> anyhow::Result<Vec<u8>> {
        if let Some(data) = self.blobs.get(id) {
            return Ok(data.clone());
        }
        let v: Value = self.get_json(
            &self.repo_path(&format!("/git/blobs/{id}")),
            &format!("read blob {id}"),
        )?;
        let text: String = v["content"]
            .as_str()
            .context("Gitea answered a blob without content")?
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect();
        let data = base64::engine::general_purpose::STANDARD
            .decode(text)
            .with_context(|| format!("Gitea's blob {id} is not base64"))?;
        self.blobs.insert(*id, data.clone());
        Ok(data)
    }

    fn read_file(&mut self, commit: &CommitInfo, path: &str) -> anyhow::Result<Option<Vec<u8>>> {
        let target = self.repo_path(&format!(
            "/raw/{}?{}",
            urls::segments(path),
            urls::query(&[("ref", &commit.id.to_string())])
        ));
        let resp = self
            .http
            .send(Request::new(Method::Get, target).content())?;
        match resp.status {
            200 => {
                let id = gensync_core::hash_blob(gensync_core::HashKind::Sha1, &resp.body);
                self.blobs.insert(id, resp.body.clone());
                Ok(Some(resp.body))
            }
            404 => Ok(None),
            _ => Err(self.error(&resp, &format!("read {path} at {}", commit.id))),
        }
    }

    fn commit(&mut self, r: &CommitRequest<'_>) -> anyhow::Result<CommitOutcome> {
        let writes: Vec<Write<'_>> = r
            .writes
            .iter()
            .map(|w| Write {
                path: &w.path,
                mode: w.mode,
                content: &w.content,
            })
            .collect();
        let deletions: Vec<&str> = r.deletions.iter().map(String::as_str).collect();
        let base = if r.create_branch {
            Some(self.base_branch()?)
        } else {
            None
        };
        let body = payload::change_files(&ChangeFiles {
            message: r.message,
            branch: base.as_deref().unwrap_or(r.branch),
            new_branch: r.create_branch.then_some(r.branch),
            author: r.author,
            writes: &writes,
            deletions: &deletions,
            parent: r.parent_files,
        })?;
        self.report_modes(&writes, r.parent_files);
        for tries in 1..=WRITE_TRIES {
            let sent = self.http.send(
                Request::new(Method::Post, self.repo_path("/contents"))
                    .body(Body::Json(body.clone()))
                    .idempotent(false),
            );
            if uncertain(&sent) {
                // It may have landed before the answer was lost: look before resending.
                if let Some(outcome) = self.read_back(r)? {
                    return Ok(outcome);
                }
                if tries < WRITE_TRIES {
                    continue;
                }
            }
            let resp = sent.with_context(|| {
                format!(
                    "committing to {} failed; nothing was written (the branch is as it was)",
                    r.branch
                )
            })?;
            if resp.status == 201 {
                return self.committed(r, &resp);
            }
            if Self::stale(&resp) {
                return Ok(CommitOutcome::HeadMoved);
            }
            return Err(self.error(&resp, &format!("commit to {}", r.branch)));
        }
        unreachable!("the last try returns")
    }

    fn find_pull_request(
        &mut self,
        branch: &str,
        base: &str,
    ) -> anyhow::Result<Option<PullRequest>> {
        let pulls: Vec<PullJson> = self
            .http
            .get_all(&self.repo_path("/pulls?state=open&limit=50"), None)?;
        let repo_id = self.repo_id()?;
        Ok(pulls
            .iter()
            .find(|p| {
                p.head.name == branch
                    && p.base.name == base
                    && (p.head.repo_id.is_none() || p.head.repo_id == repo_id)
            })
            .map(Self::pull_request))
    }

    fn create_pull_request(
        &mut self,
        branch: &str,
        base: &str,
        text: &PullRequestText,
        options: &PullRequestOptions,
    ) -> anyhow::Result<PullRequest> {
        if options.draft {
            self.notes.push(
                "Gitea pull requests are drafts by a `WIP:` title prefix only: --draft ignored"
                    .into(),
            );
        }
        if !options.team_reviewers.is_empty() {
            self.notes.push(
                "gensync requests reviews from users on Gitea: --team-reviewers ignored".into(),
            );
        }
        let labels = if options.labels.is_empty() {
            Vec::new()
        } else {
            self.label_ids(&options.labels)?
        };
        let mut body =
            json!({ "title": text.title, "body": text.body, "head": branch, "base": base });
        if !labels.is_empty() {
            body["labels"] = json!(labels);
        }
        if !options.assignees.is_empty() {
            body["assignees"] = json!(options.assignees);
        }
        let pr = self.open_pull(branch, base, body)?;
        if !options.reviewers.is_empty() {
            let resp = self.send_json(
                Method::Post,
                &self.repo_path(&format!("/pulls/{}/requested_reviewers", pr.number)),
                json!({ "reviewers": options.reviewers }),
            )?;
            if !resp.is_success() {
                return Err(self.error(&resp, "request reviews"));
            }
        }
        Ok(pr)
    }

    fn update_pull_request(
        &mut self,
        pr: &PullRequest,
        text: &PullRequestText,
        comment: &str,
        marker: &str,
    ) -> anyhow::Result<()> {
        let resp = self.send_json(
            Method::Patch,
            &self.repo_path(&format!("/pulls/{}", pr.number)),
            json!({ "title": text.title, "body": text.body }),
        )?;
        if !resp.is_success() {
            return Err(self.error(&resp, "update the pull request"));
        }
        for tries in 1..=WRITE_TRIES {
            let sent = self.http.send(
                Request::new(
                    Method::Post,
                    self.repo_path(&format!("/issues/{}/comments", pr.number)),
                )
                .body(Body::Json(json!({ "body": comment })))
                .idempotent(false),
            );
            if uncertain(&sent) {
                if self.has_comment(pr.number, marker)? {
                    return Ok(());
                }
                if tries < WRITE_TRIES {
                    continue;
                }
            }
            let resp = sent?;
            if resp.status != 201 {
                return Err(self.error(&resp, "comment on the pull request"));
            }
            return Ok(());
        }
        unreachable!("the last try returns")
    }

    fn branch_differs(&mut self, base: &str, branch: &str) -> anyhow::Result<bool> {
        // The branch's tree against the tree of base merged with it: Gitea 1.20's API has no
        // compare, so the branch differs when its tree is not the base's and its head is not
        // already in the base's history (a merged branch).
        let (Some(b), Some(h)) = (self.branch_head(base)?, self.branch_head(branch)?) else {
            return Ok(false);
        };
        if b == h {
            return Ok(false);
        }
        let base_tree = self.commit_info(&b)?.tree;
        let head_tree = self.commit_info(&h)?.tree;
        Ok(base_tree != head_tree)
    }

    fn landed(&mut self, head: &ObjectId) -> anyhow::Result<Option<ObjectId>> {
        if self.unconfirmed.is_empty() {
            return Ok(None);
        }
        // A commit is in `head`'s history if a short walk along first parents meets it.
        let mut at = *head;
        for _ in 0..(READ_BACK_DEPTH * 4) {
            if self.unconfirmed.contains(&at) {
                return Ok(Some(at));
            }
            let c = self.commit_json(&at)?;
            match c.parents.first() {
                Some(p) => at = oid(&p.sha)?,
                None => break,
            }
        }
        Ok(None)
    }
}

impl Gitea {
    /// The repository's id (pull requests from forks carry another).
    fn repo_id(&mut self) -> anyhow::Result<Option<u64>> {
        if self.id.is_none() {
            self.repository()?;
        }
        Ok(self.id)
    }

    /// `POST /pulls`, read back after a lost answer, and the existing one on a 409.
    fn open_pull(&mut self, branch: &str, base: &str, body: Value) -> anyhow::Result<PullRequest> {
        for tries in 1..=WRITE_TRIES {
            let sent = self.http.send(
                Request::new(Method::Post, self.repo_path("/pulls"))
                    .body(Body::Json(body.clone()))
                    .idempotent(false),
            );
            if uncertain(&sent) {
                if let Some(pr) = self.find_pull_request(branch, base)? {
                    return Ok(pr);
                }
                if tries < WRITE_TRIES {
                    continue;
                }
            }
            let resp = sent?;
            if resp.status == 409 || resp.status == 422 {
                // Opened by a concurrent run (or a lost answer): use it.
                if let Some(pr) = self.find_pull_request(branch, base)? {
                    return Ok(pr);
                }
            }
            if resp.status != 201 {
                return Err(self.error(&resp, "open the pull request"));
            }
            return Ok(Self::pull_request(&resp.json()?));
        }
        unreachable!("the last try returns")
    }
}
