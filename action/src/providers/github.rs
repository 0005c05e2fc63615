//! GitHub (and GitHub Enterprise Server) through the REST Git Data API, the GraphQL
//! `createCommitOnBranch` mutation and the pulls API. No clone.

use std::collections::HashMap;

use anyhow::{anyhow, bail, Context};
use gensync_core::message::PullRequestText;
use gensync_core::payload::github::{self as payload, TreeItem, TreeItemPlan};
use gensync_core::{BranchTree, Mode, ObjectId, TreeEntry};
use serde::Deserialize;
use serde_json::{json, Value};

use super::{
    CommitInfo, CommitOutcome, CommitRequest, Prefetch, Provider, PullRequest, PullRequestOptions,
    RepoInfo,
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

/// Turn a failed response into an error that says what to do.
fn api_error(resp: &Response, what: &str) -> anyhow::Error {
    let message = resp
        .json::<ApiError>()
        .ok()
        .and_then(|e| e.message)
        .unwrap_or_else(|| resp.text().chars().take(200).collect());
    let hint = match resp.status {
        401 => " — the token is invalid or expired: check GITHUB_TOKEN / GH_TOKEN / --token-env".to_owned(),
        403 if message.contains("not permitted to create or approve pull requests") => {
            " — allow it in the repository (or organisation) Settings → Actions → General → Workflow permissions: \
             \"Allow GitHub Actions to create and approve pull requests\", or use a GitHub App / personal token"
                .to_owned()
        }
        403 if message.contains("Resource not accessible") => {
            " — the token lacks permission: it needs `contents: write` and `pull-requests: write` \
             (in a workflow: `permissions: { contents: write, pull-requests: write }`)"
                .to_owned()
        }
        404 => " — the repository does not exist or the token cannot see it: check --repository and the token's access".to_owned(),
        409 if message.contains("empty") => " — the repository is empty: push a first commit or rerun with --init-empty".to_owned(),
        422 if message.to_lowercase().contains("protected") => {
            " — the branch is protected: exclude the sync branch from the protection rule or choose another --branch".to_owned()
        }
        _ => String::new(),
    };
    anyhow!("GitHub refused to {what}: {} {message}{hint}", resp.status)
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
    /// when a token lacks one). `idempotent` allows retries (queries, not mutations).
    fn graphql(&self, body: Value, idempotent: bool, what: &str) -> anyhow::Result<Value> {
        // `.content()`: the reads' answer carries the texts of files (GraphQL `Blob.text`).
        let resp = self.http.send(
            Request::new(Method::Post, self.graphql_url.clone())
                .body(Body::Json(body))
                .idempotent(idempotent)
                .content(),
        )?;
        if !resp.is_success() {
            return Err(api_error(&resp, what));
        }
        let v: Value = resp.json()?;
        if let Some(errors) = v
            .get("errors")
            .and_then(Value::as_array)
            .filter(|e| !e.is_empty())
        {
            let messages: Vec<&str> = errors
                .iter()
                .filter_map(|e| e.get("message").and_then(Value::as_str))
                .collect();
            // A 200 answer is not redacted by the HTTP layer (it is data): its `errors` are.
            let message = self.http.redact(&messages.join("; "));
            let hint = if message.contains("Resource not accessible") {
                " — the token lacks permission: it needs `contents: write` and `pull-requests: write` \
                 (in a workflow: `permissions: { contents: write, pull-requests: write }`)"
            } else {
                ""
            };
            bail!("GitHub refused to {what}: {message}{hint}");
        }
        Ok(v)
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

    /// List a tree recursively, walking subtrees when GitHub truncates the listing.
    fn list_tree(&self, tree: &ObjectId, prefix: &str, out: &mut BranchTree) -> anyhow::Result<()> {
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
                self.list_tree(&sub, &gensync_core::path::join(prefix, &item.path), out)?;
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
        let moved = if r.create_branch {
            let (moved, attempts) = self.create_ref_attempts(r.branch, &commit)?;
            if moved && attempts > 1 {
                // An earlier attempt may have created the branch at our commit.
                self.unconfirmed.push(commit);
            }
            moved
        } else {
            let body = json!({ "sha": commit.to_string(), "force": false });
            let resp = self.send(
                Method::Patch,
                &self.branch_ref_path("refs", r.branch),
                Some(body),
                true,
            )?;
            match resp.status {
                200 => false,
                422 | 409 if !is_protected(&resp) => {
                    if resp.attempts > 1 {
                        // An earlier attempt may have moved the branch before its answer was lost.
                        self.unconfirmed.push(commit);
                    }
                    true
                }
                _ => {
                    return Err(api_error(
                        &resp,
                        &format!("move {} to the new commit", r.branch),
                    ))
                }
            }
        };
        Ok(if moved {
            CommitOutcome::HeadMoved
        } else {
            CommitOutcome::Committed {
                id: commit,
                via: "rest".into(),
            }
        })
    }

    /// Create `refs/heads/{branch}` at `sha`; `Ok(true)` if it already exists (someone was first).
    fn create_ref(&self, branch: &str, sha: &ObjectId) -> anyhow::Result<bool> {
        Ok(self.create_ref_attempts(branch, sha)?.0)
    }

    /// [`Self::create_ref`], also telling how many attempts the request took (a refusal after
    /// a retry may follow a lost answer to an attempt that created the branch).
    fn create_ref_attempts(&self, branch: &str, sha: &ObjectId) -> anyhow::Result<(bool, u32)> {
        let body = json!({ "ref": format!("refs/heads/{branch}"), "sha": sha.to_string() });
        let resp = self.send(Method::Post, &self.repo_path("/git/refs"), Some(body), true)?;
        match resp.status {
            201 => Ok((false, resp.attempts)),
            422 if resp.text().contains("already exists") => Ok((true, resp.attempts)),
            _ => Err(api_error(&resp, &format!("create branch {branch}"))),
        }
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

    fn commit_graphql(&mut self, r: &CommitRequest<'_>) -> anyhow::Result<CommitOutcome> {
        if r.create_branch && self.create_ref(r.branch, &r.parent.id)? {
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
        // Not idempotent: a lost answer may hide a landed commit; the flow re-reads the head.
        let resp = self
            .http
            .send(Request::new(Method::Post, self.graphql_url.clone()).body(Body::Json(body)))?;
        let result = (|| -> anyhow::Result<CommitOutcome> {
            if !resp.is_success() {
                return Err(api_error(&resp, "run createCommitOnBranch"));
            }
            let v: Value = resp.json()?;
            if let Some(errors) = v
                .get("errors")
                .and_then(Value::as_array)
                .filter(|e| !e.is_empty())
            {
                let stale = errors.iter().any(|e| {
                    e.get("type").and_then(Value::as_str) == Some("STALE_DATA")
                        || e.get("message")
                            .and_then(Value::as_str)
                            .is_some_and(|m| m.contains("Expected branch to point to"))
                });
                if stale {
                    return Ok(CommitOutcome::HeadMoved);
                }
                let messages: Vec<&str> = errors
                    .iter()
                    .filter_map(|e| e.get("message").and_then(Value::as_str))
                    .collect();
                bail!(
                    "GitHub refused createCommitOnBranch: {}",
                    self.http.redact(&messages.join("; "))
                );
            }
            let oid = v["data"]["createCommitOnBranch"]["commit"]["oid"]
                .as_str()
                .context("createCommitOnBranch answered without a commit id")?;
            Ok(CommitOutcome::Committed {
                id: ObjectId::from_hex(oid.as_bytes())?,
                via: "graphql".into(),
            })
        })();
        if result.is_err() && r.create_branch {
            // Leave things as they were: remove the branch we created for this commit.
            let _ = self.send(
                Method::Delete,
                &self.branch_ref_path("refs", r.branch),
                None,
                true,
            );
        }
        result
    }
}

#[derive(Deserialize)]
struct Sha {
    sha: String,
}

fn is_protected(resp: &Response) -> bool {
    resp.text().to_lowercase().contains("protected")
}

#[derive(Deserialize)]
struct PullJson {
    number: u64,
    html_url: String,
    node_id: Option<String>,
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
            .graphql(body, true, "read the branches")
            .and_then(|answer| {
                prefetch::absorb(&answer, wanted, &mut self.view, &mut self.objects)
            });
        if let Err(err) = learnt {
            self.view = prefetch::View::default();
            self.notes.push(self.http.redact(&format!(
                "reading through REST: the GraphQL query failed ({err:#})"
            )));
        }
        Ok(())
    }

    fn repository(&mut self) -> anyhow::Result<RepoInfo> {
        #[derive(Deserialize)]
        struct Repo {
            default_branch: Option<String>,
        }
        if let Some(repo) = &self.view.repo {
            return Ok(repo.clone());
        }
        let repo: Repo = self.get_json(&self.repo_path(""), "read the repository")?;
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
        #[derive(Deserialize)]
        struct Commit {
            tree: Sha,
        }
        if let Some(tree) = self.objects.trees.get(id) {
            return Ok(CommitInfo {
                id: *id,
                tree: *tree,
            });
        }
        let c: Commit = self.get_json(
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
        self.list_tree(&commit.tree, "", &mut out)?;
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
        let resp = self.send(Method::Post, &self.repo_path("/pulls"), Some(body), false)?;
        if resp.status == 422 && resp.text().contains("already exists") {
            // Created by a concurrent run (or a lost answer): use it.
            if let Some(pr) = self.find_pull_request(branch, base)? {
                return Ok(pr);
            }
        }
        if resp.status != 201 {
            return Err(api_error(&resp, "open the pull request"));
        }
        let pr = self.pull_request(resp.json()?);
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
    ) -> anyhow::Result<()> {
        if self.mode == CommitMode::Graphql {
            if let Some(id) = self.objects.pull_ids.get(&pr.number) {
                // One request: `updatePullRequest` and `addComment` in one mutation document.
                let body = payload::update_pull_request(id, &text.title, &text.body, comment);
                self.graphql(body, false, "update the pull request and comment on it")?;
                return Ok(());
            }
        }
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
        let resp = self.send(
            Method::Post,
            &self.repo_path(&format!("/issues/{}/comments", pr.number)),
            Some(json!({ "body": comment })),
            false,
        )?;
        if !resp.is_success() {
            return Err(api_error(&resp, "comment on the pull request"));
        }
        Ok(())
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
