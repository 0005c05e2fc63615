//! GitHub (and GitHub Enterprise Server) through the REST Git Data API, the GraphQL
//! `createCommitOnBranch` mutation and the pulls API. No clone.

use std::collections::HashMap;

use anyhow::{bail, Context};
use gensync_core::message::PullRequestText;
use gensync_core::payload::github::{self as payload, TreeItem, TreeItemPlan};
use gensync_core::sync::{classify, FailureKind};
use gensync_core::{BranchTree, Mode, ObjectId, TreeEntry};
use serde::Deserialize;
use serde_json::{json, Value};

use super::{
    uncertain, CommitInfo, CommitOutcome, CommitRequest, Prefetch, Provider, PullRequest,
    PullRequestOptions, Refusal, RepoInfo, WRITE_TRIES,
};
use crate::http::{urls, Body, HttpClient, Method, Request, Response};

mod prefetch;

/// How commits are made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Default, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CommitMode {
    /// Git Data API: blobs, trees, commit, ref update with `force: false`.
    #[default]
    Rest,
    /// One GraphQL `createCommitOnBranch` mutation (verified commits), REST when it cannot.
    Graphql,
}

/// The GitHub backend.
pub struct GitHub {
    http: HttpClient,
    graphql_url: String,
    owner: String,
    repo: String,
    mode: CommitMode,
    trees: HashMap<ObjectId, BranchTree>,
    /// Branches and pull requests as of this attempt; dropped on our own writes.
    view: prefetch::View,
    /// What is known about commits, files and blobs (never stale).
    objects: prefetch::Objects,
    /// Lines explaining choices (e.g. a GraphQL → REST fallback) for the log.
    pub notes: Vec<String>,
    /// Commits whose branch update was retried and then found the branch elsewhere: they may
    /// have landed before another writer moved the branch (see [`Provider::landed`]).
    unconfirmed: Vec<ObjectId>,
}

#[derive(Deserialize)]
struct ApiError {
    message: Option<String>,
}

/// Turn a failed response into an error that says what to do ([`Refusal`]).
fn api_error(resp: &Response, what: &str) -> anyhow::Error {
    let message = resp
        .json::<ApiError>()
        .ok()
        .and_then(|e| e.message)
        .unwrap_or_else(|| resp.text().chars().take(200).collect());
    let hint = match resp.status {
        401 => " — the token is invalid or expired: check GITHUB_TOKEN / GH_TOKEN / --token-env",
        403 if message.contains("not permitted to create or approve pull requests") => {
            " — allow it in the repository (or organisation) Settings → Actions → General → Workflow permissions: \
             \"Allow GitHub Actions to create and approve pull requests\", or use a GitHub App / personal token"
        }
        403 if message.contains("Resource not accessible") => {
            " — the token lacks permission: it needs `contents: write` and `pull-requests: write` \
             (in a workflow: `permissions: { contents: write, pull-requests: write }`)"
        }
        404 => " — the repository does not exist or the token cannot see it: check --repository and the token's access",
        409 if message.contains("empty") => " — the repository is empty: push a first commit or rerun with --init-empty",
        422 if message.to_lowercase().contains("protected") => {
            " — the branch is protected: exclude the sync branch from the protection rule or choose another --branch"
        }
        _ => "",
    };
    Refusal {
        provider: "GitHub",
        action: what.to_owned(),
        status: Some(resp.status),
        code: None,
        message,
        hint,
    }
    .into()
}

impl GitHub {
    /// A backend for `owner/repo` over `http` (whose base is the REST API root).
    pub fn new(
        http: HttpClient,
        graphql_url: String,
        repository: &str,
        mode: CommitMode,
    ) -> anyhow::Result<Self> {
        let (owner, repo) = repository
            .split_once('/')
            .filter(|(o, r)| !o.is_empty() && !r.is_empty() && !r.contains('/'))
            .with_context(|| format!("--repository {repository:?} is not OWNER/REPO"))?;
        Ok(GitHub {
            http,
            graphql_url,
            owner: owner.to_owned(),
            repo: repo.to_owned(),
            mode,
            trees: HashMap::new(),
            view: prefetch::View::default(),
            objects: prefetch::Objects::default(),
            notes: Vec::new(),
            unconfirmed: Vec::new(),
        })
    }

    /// Runs a GraphQL document; GitHub's `errors` become an error (with the permission hint
    /// when a token lacks one). `idempotent` allows retries (queries, not mutations). The
    /// answer's `data` is not kept.
    fn graphql(&self, body: Value, idempotent: bool, what: &str) -> anyhow::Result<()> {
        let answer: GraphqlAnswer<serde::de::IgnoredAny> =
            self.graphql_answer(body, idempotent, what)?;
        if !answer.errors.is_empty() {
            return Err(self.graphql_failure(&answer.errors, what));
        }
        Ok(())
    }

    /// Runs a GraphQL document and parses the whole answer into `T` (typed, never a
    /// `serde_json::Value` tree).
    fn graphql_answer<T: serde::de::DeserializeOwned>(
        &self,
        body: Value,
        idempotent: bool,
        what: &str,
    ) -> anyhow::Result<T> {
        let resp = self.http.send(
            Request::new(Method::Post, self.graphql_url.clone())
                .body(Body::Json(body))
                .idempotent(idempotent)
                .content(),
        )?;
        if !resp.is_success() {
            return Err(api_error(&resp, what));
        }
        Ok(resp.json()?)
    }

    /// `/repos/{owner}/{repo}` (both encoded) followed by `rest`, which must be encoded
    /// already (constants, hex ids, numbers, or [`urls`] output).
    fn repo_path(&self, rest: &str) -> String {
        format!(
            "/repos/{}/{}{rest}",
            urls::segment(&self.owner),
            urls::segment(&self.repo)
        )
    }

    /// `/repos/{owner}/{repo}/git/{kind}/heads/{branch}` with every segment of the branch
    /// name percent-encoded (`amplication#x` must not become `amplication`); `kind` is `ref`
    /// (read one) or `refs` (update, delete).
    fn branch_ref_path(&self, kind: &'static str, branch: &str) -> String {
        let rest = match kind {
            "ref" => "/git/ref/heads",
            _ => "/git/refs/heads",
        };
        format!("{}{rest}/{}", self.repo_path(""), urls::segments(branch))
    }

    fn send(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
        idempotent: bool,
    ) -> anyhow::Result<Response> {
        let mut req = Request::new(method, path).idempotent(idempotent);
        if let Some(b) = body {
            req = req.body(Body::Json(b));
        }
        Ok(self.http.send(req)?)
    }

    fn get_json<T: serde::de::DeserializeOwned>(
        &self,
        path: &str,
        what: &str,
    ) -> anyhow::Result<T> {
        let resp = self.send(Method::Get, path, None, true)?;
        if !resp.is_success() {
            return Err(api_error(&resp, what));
        }
        Ok(resp.json()?)
    }

    /// List a tree recursively, walking subtrees when GitHub truncates the listing. The walk
    /// refuses a tree met twice (a server that lists a tree inside itself), a nesting deeper
    /// than [`MAX_TREE_DEPTH`] and more than [`MAX_TREE_REQUESTS`] listings.
    fn list_tree(
        &self,
        tree: &ObjectId,
        prefix: &str,
        out: &mut BranchTree,
        walk: &mut TreeWalk,
    ) -> anyhow::Result<()> {
        walk.enter(tree, prefix)?;
        #[derive(Deserialize)]
        struct Listing {
            tree: Vec<Item>,
            #[serde(default)]
            truncated: bool,
        }
        #[derive(Deserialize)]
        struct Item {
            path: String,
            mode: String,
            #[serde(rename = "type")]
            kind: String,
            sha: String,
        }
        let add = |out: &mut BranchTree, item: &Item| -> anyhow::Result<()> {
            if item.kind == "blob" {
                let mode = Mode::parse(&item.mode)?;
                let oid = ObjectId::from_hex(item.sha.as_bytes())?;
                out.insert(
                    gensync_core::path::join(prefix, &item.path),
                    TreeEntry { mode, oid },
                );
            }
            Ok(())
        };
        let listing: Listing = self.get_json(
            &self.repo_path(&format!("/git/trees/{tree}?recursive=1")),
            "list a tree",
        )?;
        if !listing.truncated {
            for item in &listing.tree {
                add(out, item)?;
            }
            return Ok(());
        }
        // Truncated (over 100,000 entries or 7 MB): list this level, then each subtree.
        let level: Listing = self.get_json(
            &self.repo_path(&format!("/git/trees/{tree}")),
            "list a tree",
        )?;
        for item in &level.tree {
            if item.kind == "tree" {
                let sub = ObjectId::from_hex(item.sha.as_bytes())?;
                self.list_tree(
                    &sub,
                    &gensync_core::path::join(prefix, &item.path),
                    out,
                    walk,
                )?;
            } else {
                add(out, item)?;
            }
        }
        Ok(())
    }

    fn commit_rest(&mut self, r: &CommitRequest<'_>) -> anyhow::Result<CommitOutcome> {
        let mut items = Vec::with_capacity(r.writes.len() + r.deletions.len());
        for w in r.writes {
            match payload::tree_item(&w.path, w.mode, &w.oid, Some(&w.content), w.exists) {
                TreeItemPlan::Item(item) => items.push(item),
                TreeItemPlan::UploadBlob => {
                    // Uploading the same blob twice is harmless: retry it like a read.
                    let resp = self.send(
                        Method::Post,
                        &self.repo_path("/git/blobs"),
                        Some(payload::blob_request(&w.content)),
                        true,
                    )?;
                    if resp.status != 201 {
                        return Err(api_error(&resp, &format!("upload {}", w.path)));
                    }
                    let sha: Sha = resp.json()?;
                    if ObjectId::from_hex(sha.sha.as_bytes()).ok() != Some(w.oid) {
                        bail!(
                            "GitHub stored {} as blob {} but its id is {}",
                            w.path,
                            sha.sha,
                            w.oid
                        );
                    }
                    items.push(TreeItem::blob(&w.path, w.mode, &w.oid));
                }
            }
        }
        items.extend(r.deletions.iter().map(|p| TreeItem::delete(p)));
        let mut tree = r.parent.tree;
        for chunk in payload::chunks(items) {
            let resp = self.send(
                Method::Post,
                &self.repo_path("/git/trees"),
                Some(payload::tree_request(&tree, &chunk)),
                true,
            )?;
            if resp.status != 201 {
                return Err(api_error(&resp, "create a tree"));
            }
            tree = ObjectId::from_hex(resp.json::<Sha>()?.sha.as_bytes())?;
        }
        let body = payload::commit_request(r.message, &tree, &r.parent.id, r.author);
        let resp = self.send(
            Method::Post,
            &self.repo_path("/git/commits"),
            Some(body),
            true,
        )?;
        if resp.status != 201 {
            return Err(api_error(&resp, "create a commit"));
        }
        let commit = ObjectId::from_hex(resp.json::<Sha>()?.sha.as_bytes())?;
        // A compare-and-swap from the head we built on (or from "no branch"): REST's
        // `PATCH git/refs` with `force: false` would accept any fast-forward, so a branch
        // rewound since we read it would get the dropped commits back.
        let before = (!r.create_branch).then_some(&r.parent.id);
        let moved = !self.swap_ref(r.branch, before, &commit)?;
        Ok(if moved {
            CommitOutcome::HeadMoved
        } else {
            CommitOutcome::Committed {
                id: commit,
                via: "rest".into(),
            }
        })
    }

    /// The repository's GraphQL node id (from the prefetch or the repository read).
    fn repository_id(&mut self) -> anyhow::Result<String> {
        if let Some(id) = &self.objects.repository_id {
            return Ok(id.clone());
        }
        let repo: RepoJson = self.get_json(&self.repo_path(""), "read the repository")?;
        let id = repo
            .node_id
            .context("GitHub answered the repository without its node_id")?;
        self.objects.repository_id = Some(id.clone());
        Ok(id)
    }

    /// The head of `branch` as GitHub says now (never from the view).
    fn fresh_head(&mut self, branch: &str) -> anyhow::Result<Option<ObjectId>> {
        self.view.heads.remove(branch);
        self.branch_head(branch)
    }

    /// Moves `branch` from `before` (`None`: it must not exist) to `after` with GraphQL
    /// `updateRefs`, a true compare-and-swap. `Ok(true)`: the branch is at `after`;
    /// `Ok(false)`: it was elsewhere (another writer), nothing changed by us. Resending is
    /// safe (a second landing fails its `beforeOid` check), so the request is retried; when it
    /// fails or its answer is lost, the branch is read back to tell which it was.
    fn swap_ref(
        &mut self,
        branch: &str,
        before: Option<&ObjectId>,
        after: &ObjectId,
    ) -> anyhow::Result<bool> {
        let body = payload::update_ref(&self.repository_id()?, branch, before, Some(after));
        let (sent, retried) = self.send_resendable_mutation(body);
        let failure = match sent {
            Ok(resp) if resp.is_success() => {
                match resp.json::<GraphqlAnswer<serde::de::IgnoredAny>>() {
                    Ok(answer) if answer.errors.is_empty() => return Ok(true),
                    Ok(answer) => self.graphql_failure(&answer.errors, &format!("move {branch}")),
                    Err(e) => anyhow::Error::new(e),
                }
            }
            Ok(resp) => api_error(&resp, &format!("move {branch} to the new commit")),
            Err(e) => anyhow::Error::new(e),
        };
        // Read back: where is the branch now?
        let head = self.fresh_head(branch)?;
        if head.as_ref() == Some(after) {
            return Ok(true);
        }
        if head.as_ref() != before {
            if retried {
                // An earlier attempt may have landed before another writer moved the branch.
                self.unconfirmed.push(*after);
            }
            return Ok(false);
        }
        Err(failure.context(format!("{branch} was not moved (it is still where it was)")))
    }

    /// Sends a GraphQL mutation that is safe to resend (its compare-and-swap makes a second
    /// landing fail), retried like a read; also says whether more than one attempt may have
    /// reached the server (a retry, or no answer at all), which the caller's read-back needs.
    fn send_resendable_mutation(
        &self,
        body: Value,
    ) -> (Result<Response, crate::http::Error>, bool) {
        let sent = self.http.send(
            Request::new(Method::Post, self.graphql_url.clone())
                .body(Body::Json(body))
                .idempotent(true),
        );
        let retried = match &sent {
            Ok(resp) => resp.attempts > 1,
            Err(_) => true,
        };
        (sent, retried)
    }

    /// GitHub's GraphQL `errors` as an error ([`Refusal`]: the first error's `type` is its
    /// code), with the permission or protection hint.
    fn graphql_failure(&self, errors: &[GraphqlError], what: &str) -> anyhow::Error {
        let message = errors
            .iter()
            .map(|e| self.http.redact(&e.message))
            .collect::<Vec<_>>()
            .join("; ");
        let hint = if message.contains("Resource not accessible") {
            " — the token lacks permission: it needs `contents: write` and `pull-requests: write` \
             (in a workflow: `permissions: { contents: write, pull-requests: write }`)"
        } else if message.to_lowercase().contains("protected") {
            " — the branch is protected: exclude the sync branch from the protection rule or choose another --branch"
        } else {
            ""
        };
        Refusal {
            provider: "GitHub",
            action: what.to_owned(),
            status: None,
            code: errors.iter().find_map(|e| e.kind.clone()),
            message,
            hint,
        }
        .into()
    }

    /// Whether commit `head` is the one a `createCommitOnBranch` of `message` on `parent` made
    /// (its answer was lost): same single parent, same message; and `head`'s first parent.
    fn is_our_commit(
        &mut self,
        head: &ObjectId,
        parent: &ObjectId,
        message: &str,
    ) -> anyhow::Result<(bool, Option<ObjectId>)> {
        let c: CommitJson = self.get_json(
            &self.repo_path(&format!("/git/commits/{head}")),
            "read a commit",
        )?;
        self.objects
            .trees
            .insert(*head, ObjectId::from_hex(c.tree.sha.as_bytes())?);
        let parents: Vec<&str> = c.parents.iter().map(|p| p.sha.as_str()).collect();
        let first = parents
            .first()
            .and_then(|p| ObjectId::from_hex(p.as_bytes()).ok());
        let ours =
            parents == [parent.to_string().as_str()] && c.message.trim_end() == message.trim_end();
        Ok((ours, first))
    }

    /// A pull request from the REST API, remembering its node id for GraphQL.
    fn pull_request(&mut self, p: PullJson) -> PullRequest {
        if let Some(id) = p.node_id {
            self.objects.pull_ids.insert(p.number, id);
        }
        PullRequest {
            number: p.number,
            url: p.html_url,
        }
    }

    /// Sets the pull request's title and body (a PATCH: safe to repeat).
    fn patch_pull_request(&self, pr: &PullRequest, text: &PullRequestText) -> anyhow::Result<()> {
        let body = json!({ "title": text.title, "body": text.body });
        let resp = self.send(
            Method::Patch,
            &self.repo_path(&format!("/pulls/{}", pr.number)),
            Some(body),
            true,
        )?;
        if !resp.is_success() {
            return Err(api_error(&resp, "update the pull request"));
        }
        Ok(())
    }

    /// Whether the pull request already has a comment carrying `marker`.
    fn has_comment(&self, pr: &PullRequest, marker: &str) -> anyhow::Result<bool> {
        let comments: Vec<CommentJson> = self.http.get_all(
            &self.repo_path(&format!("/issues/{}/comments?per_page=100", pr.number)),
            None,
        )?;
        Ok(comments.iter().any(|c| c.body.contains(marker)))
    }

    /// Posts `comment` (which ends with `marker`) once: after a 5xx or a lost answer the
    /// comments are read back, and it is posted again only if it is not there. `look_first`:
    /// an earlier write may already have posted it.
    fn ensure_comment(
        &self,
        pr: &PullRequest,
        comment: &str,
        marker: &str,
        look_first: bool,
    ) -> anyhow::Result<()> {
        if look_first && self.has_comment(pr, marker)? {
            return Ok(());
        }
        let mut tries = 0;
        loop {
            tries += 1;
            let sent = self.http.send(
                Request::new(
                    Method::Post,
                    self.repo_path(&format!("/issues/{}/comments", pr.number)),
                )
                .body(Body::Json(json!({ "body": comment })))
                .idempotent(false),
            );
            if uncertain(&sent) {
                if self.has_comment(pr, marker)? {
                    return Ok(());
                }
                if tries < WRITE_TRIES {
                    continue;
                }
            }
            let resp = sent?;
            if !resp.is_success() {
                return Err(api_error(&resp, "comment on the pull request"));
            }
            return Ok(());
        }
    }

    fn commit_graphql(&mut self, r: &CommitRequest<'_>) -> anyhow::Result<CommitOutcome> {
        if r.create_branch && !self.swap_ref(r.branch, None, &r.parent.id)? {
            return Ok(CommitOutcome::HeadMoved);
        }
        let additions: Vec<(&str, &[u8])> = r
            .writes
            .iter()
            .map(|w| (w.path.as_str(), w.content.as_slice()))
            .collect();
        let deletions: Vec<&str> = r.deletions.iter().map(String::as_str).collect();
        let body = payload::create_commit_on_branch(
            &format!("{}/{}", self.owner, self.repo),
            r.branch,
            &r.parent.id,
            r.message,
            &additions,
            &deletions,
        );
        // Safe to resend: `expectedHeadOid` makes a second landing impossible (STALE_DATA).
        let (sent, retried) = self.send_resendable_mutation(body);
        let failure = match sent {
            Ok(resp) if resp.is_success() => match resp.json::<GraphqlAnswer<CreateCommitData>>() {
                Ok(answer) if answer.errors.is_empty() => {
                    let oid = answer
                        .data
                        .and_then(|d| d.create_commit_on_branch)
                        .and_then(|p| p.commit)
                        .context("createCommitOnBranch answered without a commit id")?;
                    return Ok(CommitOutcome::Committed {
                        id: ObjectId::from_hex(oid.oid.as_bytes())?,
                        via: "graphql".into(),
                    });
                }
                Ok(answer) => {
                    if names_a_stale_head(&answer.errors) && !retried {
                        return Ok(CommitOutcome::HeadMoved);
                    }
                    self.graphql_failure(&answer.errors, "run createCommitOnBranch")
                }
                Err(e) => anyhow::Error::new(e),
            },
            Ok(resp) => api_error(&resp, "run createCommitOnBranch"),
            Err(e) => anyhow::Error::new(e),
        };
        // The commit may have landed before its answer was lost: read back.
        let head = self.fresh_head(r.branch)?;
        match head {
            Some(h) if h == r.parent.id => {
                if r.create_branch {
                    // Remove the branch this run created, only while it still points at the
                    // base head (a compare-and-swap): never a commit someone made on it.
                    let _ = self.delete_created_branch(r.branch, &r.parent.id);
                }
                Err(failure)
            }
            Some(h) => {
                // Ours, or under a few commits another writer made on top since it landed.
                let mut at = h;
                for _ in 0..READ_BACK_DEPTH {
                    let (ours, first_parent) = self.is_our_commit(&at, &r.parent.id, r.message)?;
                    if ours {
                        return Ok(CommitOutcome::Committed {
                            id: at,
                            via: "graphql (confirmed after a lost answer)".into(),
                        });
                    }
                    match first_parent {
                        Some(p) if p != r.parent.id => at = p,
                        _ => break,
                    }
                }
                Ok(CommitOutcome::HeadMoved)
            }
            None => Ok(CommitOutcome::HeadMoved),
        }
    }

    /// Deletes `branch` if it still points at `at` (one `updateRefs` with `beforeOid`).
    fn delete_created_branch(&mut self, branch: &str, at: &ObjectId) -> anyhow::Result<()> {
        let body = payload::update_ref(&self.repository_id()?, branch, Some(at), None);
        self.graphql(body, false, &format!("remove the new branch {branch}"))?;
        Ok(())
    }
}

/// How many commits below the head a read-back after a lost `createCommitOnBranch` answer
/// looks at for ours (another writer may have committed on top meanwhile).
const READ_BACK_DEPTH: usize = 5;

/// The deepest folder nesting a truncated tree walk follows.
const MAX_TREE_DEPTH: usize = 256;
/// The most listing requests one truncated tree walk makes.
const MAX_TREE_REQUESTS: usize = 20_000;

impl TreeWalk {
    /// Count a listing of `tree` at `prefix`, refusing a tree met twice, a nesting deeper than
    /// [`MAX_TREE_DEPTH`] and more than [`MAX_TREE_REQUESTS`] listings.
    fn enter(&mut self, tree: &ObjectId, prefix: &str) -> anyhow::Result<()> {
        if !self.visited.insert(*tree) {
            bail!(
            "GitHub listed tree {tree} again at {prefix:?}, inside itself or another listed tree: \
             the server's tree listings are inconsistent (a git tree cannot contain itself); \
             check the --api-url server"
        );
        }
        let depth = prefix.split('/').filter(|s| !s.is_empty()).count();
        if depth > MAX_TREE_DEPTH {
            bail!(
            "the repository's tree is nested deeper than {MAX_TREE_DEPTH} folders at {prefix:?}: \
             gensync stops walking it; check the --api-url server or the repository"
        );
        }
        self.requests += 2;
        if self.requests > MAX_TREE_REQUESTS {
            bail!(
            "listing the repository's tree took more than {MAX_TREE_REQUESTS} requests (GitHub \
             truncated it, so it is walked folder by folder; stopped at {prefix:?}): reduce the \
             number of folders on the branch or check the --api-url server"
        );
        }
        Ok(())
    }
}

/// The state of one tree walk: trees already listed and requests made.
#[derive(Default)]
struct TreeWalk {
    visited: std::collections::HashSet<ObjectId>,
    requests: usize,
}

#[derive(Deserialize)]
struct Sha {
    sha: String,
}

#[derive(Deserialize)]
struct PullJson {
    number: u64,
    html_url: String,
    node_id: Option<String>,
}

#[derive(Deserialize)]
struct RepoJson {
    default_branch: Option<String>,
    node_id: Option<String>,
}

/// A GraphQL answer, typed: `data` as `T`, and GitHub's `errors`.
#[derive(Deserialize)]
struct GraphqlAnswer<T> {
    data: Option<T>,
    #[serde(default)]
    errors: Vec<GraphqlError>,
}

#[derive(Deserialize)]
struct GraphqlError {
    #[serde(rename = "type")]
    kind: Option<String>,
    #[serde(default)]
    message: String,
}

/// Whether GraphQL `errors` say the branch moved (the core decides which do).
fn names_a_stale_head(errors: &[GraphqlError]) -> bool {
    errors.iter().any(|e| {
        let code = format!("{} {}", e.kind.as_deref().unwrap_or(""), e.message);
        classify(Some(200), Some(&code)) == FailureKind::StaleHead
    })
}

/// The answer to `createCommitOnBranch`.
#[derive(Deserialize)]
struct CreateCommitData {
    #[serde(rename = "createCommitOnBranch")]
    create_commit_on_branch: Option<CreateCommitPayload>,
}

#[derive(Deserialize)]
struct CreateCommitPayload {
    commit: Option<OidJson>,
}

#[derive(Deserialize)]
struct OidJson {
    oid: String,
}

/// A commit as `GET git/commits/{sha}` answers it.
#[derive(Deserialize)]
struct CommitJson {
    tree: Sha,
    #[serde(default)]
    parents: Vec<Sha>,
    #[serde(default)]
    message: String,
}

#[derive(Deserialize)]
struct CommentJson {
    #[serde(default)]
    body: String,
}

#[derive(Deserialize)]
struct RefJson {
    object: Sha,
}

impl Provider for GitHub {
    /// In GraphQL mode: one query answers the attempt's reads (see [`prefetch`]); if it fails,
    /// the reads go through REST as in REST mode.
    fn prepare(&mut self, wanted: &Prefetch<'_>) -> anyhow::Result<()> {
        self.view = prefetch::View::default();
        if self.mode != CommitMode::Graphql {
            return Ok(());
        }
        let body = payload::prefetch_query(&payload::Prefetch {
            owner: &self.owner,
            name: &self.repo,
            base: wanted.base,
            branch: wanted.branch,
            paths: wanted.paths,
            pull_requests: wanted.pull_request,
        });
        let learnt = self
            .graphql_answer::<prefetch::Answer>(body, true, "read the branches")
            .and_then(|answer| prefetch::absorb(answer, wanted, &mut self.view, &mut self.objects));
        if let Err(err) = learnt {
            self.view = prefetch::View::default();
            self.notes.push(self.http.redact(&format!(
                "reading through REST: the GraphQL query failed ({err:#})"
            )));
        }
        Ok(())
    }

    fn repository(&mut self) -> anyhow::Result<RepoInfo> {
        if let Some(repo) = &self.view.repo {
            return Ok(repo.clone());
        }
        let repo: RepoJson = self.get_json(&self.repo_path(""), "read the repository")?;
        if let Some(id) = repo.node_id {
            self.objects.repository_id = Some(id);
        }
        let default_branch = repo.default_branch.unwrap_or_else(|| "main".into());
        // An empty repository answers 409 on its git data.
        let resp = self.send(
            Method::Get,
            &self.branch_ref_path("ref", &default_branch),
            None,
            true,
        )?;
        let empty = resp.status == 409;
        if resp.status == 200 {
            // The flow asks for the base head next: answer it from this read.
            let head = ObjectId::from_hex(resp.json::<RefJson>()?.object.sha.as_bytes())?;
            self.view.heads.insert(default_branch.clone(), Some(head));
        }
        Ok(RepoInfo {
            default_branch,
            empty,
        })
    }

    fn init_empty(&mut self, branch: &str) -> anyhow::Result<()> {
        use base64::Engine;
        self.view = prefetch::View::default();
        let content = format!("# {}\n", self.repo);
        let body = json!({
            "message": "Initial commit",
            "content": base64::engine::general_purpose::STANDARD.encode(content),
            "branch": branch,
        });
        let resp = self.send(
            Method::Put,
            &self.repo_path("/contents/README.md"),
            Some(body),
            false,
        )?;
        if !resp.is_success() {
            return Err(api_error(
                &resp,
                "create the first commit of the empty repository",
            ));
        }
        Ok(())
    }

    fn branch_head(&mut self, branch: &str) -> anyhow::Result<Option<ObjectId>> {
        if let Some(head) = self.view.heads.get(branch) {
            return Ok(*head);
        }
        let resp = self.send(
            Method::Get,
            &self.branch_ref_path("ref", branch),
            None,
            true,
        )?;
        match resp.status {
            200 => Ok(Some(ObjectId::from_hex(
                resp.json::<RefJson>()?.object.sha.as_bytes(),
            )?)),
            404 => Ok(None),
            _ => Err(api_error(&resp, &format!("read branch {branch}"))),
        }
    }

    fn commit_info(&mut self, id: &ObjectId) -> anyhow::Result<CommitInfo> {
        if let Some(tree) = self.objects.trees.get(id) {
            return Ok(CommitInfo {
                id: *id,
                tree: *tree,
            });
        }
        let c: CommitJson = self.get_json(
            &self.repo_path(&format!("/git/commits/{id}")),
            "read a commit",
        )?;
        let tree = ObjectId::from_hex(c.tree.sha.as_bytes())?;
        self.objects.trees.insert(*id, tree);
        Ok(CommitInfo { id: *id, tree })
    }

    fn files(&mut self, commit: &CommitInfo) -> anyhow::Result<BranchTree> {
        if let Some(t) = self.trees.get(&commit.tree) {
            return Ok(t.clone());
        }
        let mut out = BranchTree::new();
        self.list_tree(&commit.tree, "", &mut out, &mut TreeWalk::default())?;
        self.trees.insert(commit.tree, out.clone());
        Ok(out)
    }

    fn read_blob(&mut self, oid: &ObjectId) -> anyhow::Result<Vec<u8>> {
        #[derive(Deserialize)]
        struct Blob {
            content: String,
            encoding: String,
        }
        use base64::Engine;
        if let Some(data) = self.objects.blobs.get(oid) {
            return Ok(data.clone());
        }
        let resp = self.http.send(
            Request::new(Method::Get, self.repo_path(&format!("/git/blobs/{oid}"))).content(),
        )?;
        if !resp.is_success() {
            return Err(api_error(&resp, "read a blob"));
        }
        let b: Blob = resp.json()?;
        match b.encoding.as_str() {
            "base64" => {
                let clean: String = b.content.chars().filter(|c| !c.is_whitespace()).collect();
                Ok(base64::engine::general_purpose::STANDARD.decode(clean)?)
            }
            _ => Ok(b.content.into_bytes()),
        }
    }

    fn read_file(&mut self, commit: &CommitInfo, path: &str) -> anyhow::Result<Option<Vec<u8>>> {
        let blob = match self.objects.files.get(&(commit.id, path.to_owned())) {
            Some(known) => *known,
            None => self.files(commit)?.get(path).map(|e| e.oid),
        };
        blob.map(|oid| self.read_blob(&oid)).transpose()
    }

    fn commit(&mut self, request: &CommitRequest<'_>) -> anyhow::Result<CommitOutcome> {
        // Whatever happens, the branch may have moved.
        self.view.heads.clear();
        match self.mode {
            CommitMode::Rest => self.commit_rest(request),
            CommitMode::Graphql => {
                let writes: Vec<(&str, Mode)> = request
                    .writes
                    .iter()
                    .map(|w| (w.path.as_str(), w.mode))
                    .collect();
                let bytes: usize = request
                    .writes
                    .iter()
                    .map(|w| w.content.len() * 4 / 3 + w.path.len())
                    .sum();
                match payload::graphql_unsupported(
                    &writes,
                    request.parent_files,
                    request.author.is_some(),
                    bytes,
                ) {
                    None => self.commit_graphql(request),
                    Some(reason) => {
                        self.notes
                            .push(format!("commit mode graphql → rest: {reason}"));
                        let out = self.commit_rest(request)?;
                        Ok(match out {
                            CommitOutcome::Committed { id, .. } => CommitOutcome::Committed {
                                id,
                                via: format!("rest, because {reason}"),
                            },
                            moved => moved,
                        })
                    }
                }
            }
        }
    }

    fn find_pull_request(
        &mut self,
        branch: &str,
        base: &str,
    ) -> anyhow::Result<Option<PullRequest>> {
        if let Some(known) = self.view.pulls.get(&(branch.to_owned(), base.to_owned())) {
            return Ok(known.clone());
        }
        let head = format!("{}:{branch}", self.owner);
        let path = self.repo_path(&format!(
            "/pulls?{}",
            urls::query(&[
                ("state", "open"),
                ("head", &head),
                ("base", base),
                ("per_page", "100"),
            ])
        ));
        let pulls: Vec<PullJson> = self.get_json(&path, "list pull requests")?;
        Ok(pulls.into_iter().next().map(|p| self.pull_request(p)))
    }

    fn create_pull_request(
        &mut self,
        branch: &str,
        base: &str,
        text: &PullRequestText,
        options: &PullRequestOptions,
    ) -> anyhow::Result<PullRequest> {
        self.view.pulls.clear();
        let body = json!({ "title": text.title, "head": branch, "base": base, "body": text.body, "draft": options.draft });
        let mut tries = 0;
        let pr = loop {
            tries += 1;
            let sent = self.http.send(
                Request::new(Method::Post, self.repo_path("/pulls"))
                    .body(Body::Json(body.clone()))
                    .idempotent(false),
            );
            if uncertain(&sent) {
                // It may have been opened before the answer was lost: look before resending.
                self.view.pulls.clear();
                if let Some(pr) = self.find_pull_request(branch, base)? {
                    break pr;
                }
                if tries < WRITE_TRIES {
                    continue;
                }
            }
            let resp = sent?;
            if resp.status == 422 && resp.text().contains("already exists") {
                // Created by a concurrent run (or a lost answer): use it.
                if let Some(pr) = self.find_pull_request(branch, base)? {
                    break pr;
                }
            }
            if resp.status != 201 {
                return Err(api_error(&resp, "open the pull request"));
            }
            break self.pull_request(resp.json()?);
        };
        let issue = self.repo_path(&format!("/issues/{}", pr.number));
        if !options.labels.is_empty() {
            let resp = self.send(
                Method::Post,
                &format!("{issue}/labels"),
                Some(json!({ "labels": options.labels })),
                true,
            )?;
            if !resp.is_success() {
                return Err(api_error(&resp, "label the pull request"));
            }
        }
        if !options.assignees.is_empty() {
            let resp = self.send(
                Method::Post,
                &format!("{issue}/assignees"),
                Some(json!({ "assignees": options.assignees })),
                true,
            )?;
            if !resp.is_success() {
                return Err(api_error(&resp, "assign the pull request"));
            }
        }
        if !options.reviewers.is_empty() || !options.team_reviewers.is_empty() {
            let body =
                json!({ "reviewers": options.reviewers, "team_reviewers": options.team_reviewers });
            let resp = self.send(
                Method::Post,
                &self.repo_path(&format!("/pulls/{}/requested_reviewers", pr.number)),
                Some(body),
                true,
            )?;
            if !resp.is_success() {
                return Err(api_error(&resp, "request reviews"));
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
        if self.mode == CommitMode::Graphql {
            if let Some(id) = self.objects.pull_ids.get(&pr.number) {
                // One request: `updatePullRequest` and `addComment` in one mutation document.
                let body = payload::update_pull_request(id, &text.title, &text.body, comment);
                match self.graphql(body, false, "update the pull request and comment on it") {
                    Ok(_) => return Ok(()),
                    Err(err) => {
                        // It may have taken effect, whole or in part: finish through REST
                        // (the title and body are set again; the comment only if it is missing).
                        self.notes.push(format!(
                            "pull request update through REST after the GraphQL mutation failed ({err:#})"
                        ));
                        self.patch_pull_request(pr, text)?;
                        return self.ensure_comment(pr, comment, marker, true);
                    }
                }
            }
        }
        self.patch_pull_request(pr, text)?;
        self.ensure_comment(pr, comment, marker, false)
    }

    fn landed(&mut self, head: &ObjectId) -> anyhow::Result<Option<ObjectId>> {
        #[derive(Deserialize)]
        struct Compare {
            status: String,
        }
        for commit in self.unconfirmed.clone().iter().rev() {
            // base...head: "ahead" or "identical" means `commit` is in head's history.
            let c: Compare = self.get_json(
                &self.repo_path(&format!("/compare/{commit}...{head}")),
                "compare commits",
            )?;
            if c.status == "ahead" || c.status == "identical" {
                return Ok(Some(*commit));
            }
        }
        Ok(None)
    }

    fn branch_differs(&mut self, base: &str, branch: &str) -> anyhow::Result<bool> {
        #[derive(Deserialize)]
        struct Compare {
            #[serde(default)]
            files: Vec<Value>,
            ahead_by: u64,
        }
        let c: Compare = self.get_json(
            &self.repo_path(&format!(
                "/compare/{}...{}",
                urls::segments(base),
                urls::segments(branch)
            )),
            "compare branches",
        )?;
        Ok(c.ahead_by > 0 && !c.files.is_empty())
    }
}
