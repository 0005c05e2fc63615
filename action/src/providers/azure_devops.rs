//! Azure DevOps Repos through its Git REST API 7.1: reads with `refs`, `items` (full recursion,
//! with object ids) and `blobs`, one commit per `POST …/pushes` (a compare-and-swap on the
//! branch's old object id; a new branch names the base head it starts from), pull requests and their comment threads. No clone.
//!
//! # File modes
//! The pushes API carries no file mode: a new file is always a regular file, an edited one
//! keeps its mode, and no symlink can be made. A generated executable or symlink is therefore
//! written as a regular file, and the commit's `via` and the log say so. The items listing shows
//! no executable bit either; where a blob is exactly the previous build's, the previous build's
//! mode stands for it, so a file gensync could not mark executable is not rewritten every run.

use anyhow::{bail, Context};
use base64::Engine;
use gensync_core::message::PullRequestText;
use gensync_core::{BranchTree, Mode, ObjectId, TreeEntry};
use serde::Deserialize;
use serde_json::{json, Value};

use super::{
    BranchScope, CommitInfo, CommitOutcome, CommitRequest, Provider, PullRequest,
    PullRequestOptions, RepoInfo,
};
use crate::http::{urls, Body, HttpClient, Method, Request, Response};

/// The default API root (Azure DevOps Services; a Server collection URL for on-premises).
pub const API_URL: &str = "https://dev.azure.com";
/// The API version every request names.
pub const API_VERSION: &str = "7.1";
/// The object id of a ref that does not exist (a push creating a branch).
pub const ZERO_ID: &str = "0000000000000000000000000000000000000000";
/// The largest push Azure DevOps Services accepts (5 GB), and the per-file limit gensync holds
/// to so that a push stays well below it: Azure Repos refuses blobs over its file size policy,
/// and the JSON body of a push carries every file in base64.
pub const MAX_FILE_BYTES: u64 = 50 * 1024 * 1024;
/// How [`MAX_FILE_BYTES`] is named in errors.
pub const MAX_FILE_NAME: &str = "the 50 MiB per-file limit of gensync's Azure DevOps pushes";

/// A `--repository` value that is not `ORGANIZATION/PROJECT/REPOSITORY`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("--repository {0:?} is not ORGANIZATION/PROJECT/REPOSITORY")]
pub struct RepositoryError(pub String);

/// The Azure DevOps backend.
pub struct AzureDevOps {
    http: HttpClient,
    organization: String,
    project: String,
    repository: String,
    /// Blob contents read, by id.
    blobs: std::collections::HashMap<ObjectId, Vec<u8>>,
    /// Lines explaining choices, for the log.
    pub notes: Vec<String>,
    /// The message of a push whose answer was lost before a retry met a moved branch: it may
    /// have landed (see [`Provider::landed`]).
    unconfirmed: Option<String>,
}

#[derive(Deserialize)]
struct List<T> {
    value: Vec<T>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RefJson {
    name: String,
    object_id: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ItemJson {
    path: String,
    #[serde(default)]
    object_id: Option<String>,
    #[serde(default)]
    git_object_type: Option<String>,
    #[serde(default)]
    is_folder: bool,
    #[serde(default)]
    is_sym_link: bool,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CommitJson {
    commit_id: String,
    #[serde(default)]
    tree_id: Option<String>,
    #[serde(default)]
    comment: String,
    #[serde(default)]
    parents: Vec<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PullJson {
    pull_request_id: u64,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ErrorJson {
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    type_key: Option<String>,
}

/// The error code of a push a branch policy refused (the message's `TF402455:` prefix).
const POLICY_REJECTED: &str = "TF402455";

/// `ORGANIZATION/PROJECT/REPOSITORY` split in its three non-empty segments.
pub fn split_repository(value: &str) -> Result<(&str, &str, &str), RepositoryError> {
    let parts: Vec<&str> = value.split('/').collect();
    match parts[..] {
        [o, p, r] if !o.is_empty() && !p.is_empty() && !r.is_empty() => Ok((o, p, r)),
        _ => Err(RepositoryError(value.to_owned())),
    }
}

fn oid(hex: &str) -> anyhow::Result<ObjectId> {
    ObjectId::from_hex(hex.as_bytes()).with_context(|| format!("{hex:?} is not an object id"))
}

fn heads(branch: &str) -> String {
    format!("refs/heads/{branch}")
}

impl AzureDevOps {
    /// A backend for `ORGANIZATION/PROJECT/REPOSITORY` over `http` (whose base is the
    /// service's root: `https://dev.azure.com`, or a Server's `https://host/tfs` with the collection
    /// as the organization).
    pub fn new(http: HttpClient, repository: &str) -> anyhow::Result<Self> {
        let (organization, project, repository) = split_repository(repository)?;
        Ok(AzureDevOps {
            http,
            organization: organization.to_owned(),
            project: project.to_owned(),
            repository: repository.to_owned(),
            blobs: Default::default(),
            notes: Vec::new(),
            unconfirmed: None,
        })
    }

    /// `/{organization}/{project}/_apis/git/repositories/{repository}{rest}` with the API
    /// version (`rest` may carry a query).
    fn repo_path(&self, rest: &str) -> String {
        let sep = if rest.contains('?') { '&' } else { '?' };
        format!(
            "/{}/{}/_apis/git/repositories/{}{rest}{sep}api-version={API_VERSION}",
            urls::segment(&self.organization),
            urls::segment(&self.project),
            urls::segment(&self.repository),
        )
    }

    /// The pull request's web page.
    fn pull_url(&self, id: u64) -> String {
        format!(
            "{}/{}/{}/_git/{}/pullrequest/{id}",
            self.http.api_base().as_str().trim_end_matches('/'),
            urls::segment(&self.organization),
            urls::segment(&self.project),
            urls::segment(&self.repository),
        )
    }

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

    fn refs(&self, filter: &str) -> anyhow::Result<Vec<RefJson>> {
        let target = self.repo_path(&format!("/refs?filter={}", urls::segment(filter)));
        Ok(self
            .get_json::<List<RefJson>>(&target, "list branches")?
            .value)
    }

    fn commit_json(&self, id: &ObjectId) -> anyhow::Result<CommitJson> {
        self.get_json(
            &self.repo_path(&format!("/commits/{id}")),
            &format!("read commit {id}"),
        )
    }

    /// One push: `refUpdates` [`ZERO_ID`] or `old`, one commit with `changes`.
    fn push(&self, branch: &str, old: Option<&ObjectId>, commit: Value) -> Request {
        let old = old.map_or_else(|| ZERO_ID.to_owned(), ObjectId::to_string);
        let body = json!({
            "refUpdates": [{ "name": heads(branch), "oldObjectId": old }],
            "commits": [commit],
        });
        Request::new(Method::Post, self.repo_path("/pushes")).body(Body::Json(body))
    }

    /// Whether `pr` has a comment carrying `marker`.
    fn has_comment(&self, pr: &PullRequest, marker: &str) -> anyhow::Result<bool> {
        let threads: List<Value> = self.get_json(
            &self.repo_path(&format!("/pullRequests/{}/threads", pr.number)),
            "read the pull request's comments",
        )?;
        Ok(threads.value.iter().any(|t| {
            t["comments"].as_array().is_some_and(|cs| {
                cs.iter()
                    .any(|c| c["content"].as_str().is_some_and(|s| s.contains(marker)))
            })
        }))
    }

    /// Sends a write that is not idempotent; after an uncertain answer, `landed` reads back
    /// whether it took effect before it is sent again.
    fn write_once(
        &self,
        request: impl Fn() -> Request,
        landed: impl Fn(&Self) -> anyhow::Result<bool>,
    ) -> anyhow::Result<Option<Response>> {
        let mut tries = 0;
        loop {
            tries += 1;
            let sent = self.http.send(request().idempotent(false));
            if super::uncertain(&sent) {
                if landed(self)? {
                    return Ok(None);
                }
                if tries < super::WRITE_TRIES {
                    continue;
                }
            }
            return Ok(Some(sent?));
        }
    }
}

/// The changes of a push for the commit `r`, and the paths whose mode the API cannot set.
fn changes(r: &CommitRequest<'_>) -> (Vec<Value>, Vec<String>) {
    let mut out = Vec::new();
    let mut unset = Vec::new();
    for w in r.writes {
        let before = r.parent_files.get(&w.path);
        if let Some(b) = before {
            if b.oid == w.oid {
                // Only the mode differs, which a push cannot change.
                unset.push(w.path.clone());
                continue;
            }
        }
        if w.mode != Mode::Regular && before.is_none_or(|b| b.mode != w.mode) {
            unset.push(w.path.clone());
        }
        out.push(json!({
            "changeType": if before.is_some() { "edit" } else { "add" },
            "item": { "path": format!("/{}", w.path) },
            "newContent": {
                "content": base64::engine::general_purpose::STANDARD.encode(&w.content),
                "contentType": "base64Encoded",
            },
        }));
    }
    for path in r.deletions {
        out.push(json!({ "changeType": "delete", "item": { "path": format!("/{path}") } }));
    }
    (out, unset)
}

/// The error for a failed Azure DevOps answer, with what to grant and where.
pub fn api_error(http: &HttpClient, resp: &Response, what: &str) -> anyhow::Error {
    let body = resp.json::<ErrorJson>().ok();
    let message = body
        .as_ref()
        .and_then(|b| b.message.clone())
        .unwrap_or_else(|| resp.text().chars().take(200).collect());
    let key = body.and_then(|b| b.type_key).unwrap_or_default();
    let hint = if message.contains(POLICY_REJECTED) {
        " — a branch policy requires pull requests on this branch: sync to another branch with --branch (the default gensync/… branch), or let the identity bypass policies when pushing (Project settings → Repositories → the repository → Policies)"
    } else {
        match resp.status {
            401 => " — the credentials were refused: check AZURE_DEVOPS_TOKEN (a personal access token with the Code (Read & write) scope) or, in Azure Pipelines, SYSTEM_ACCESSTOKEN (`env: SYSTEM_ACCESSTOKEN: $(System.AccessToken)`)",
            403 => " — the identity lacks a permission: grant the build service (or the token's user) \"Contribute\", \"Create branch\" and \"Contribute to pull requests\" on the repository (Project settings → Repositories → the repository → Security)",
            404 => " — the organization, project or repository does not exist or the identity cannot read it: check --repository ORGANIZATION/PROJECT/REPOSITORY and --api-url, and grant \"Read\" on the repository (Project settings → Repositories → Security)",
            413 => " — the push is over Azure DevOps' size limits: generate smaller files or split the output",
            429 => " — Azure DevOps' rate limit: rerun later",
            _ => "",
        }
    };
    let shown = if key.is_empty() {
        String::new()
    } else {
        format!(" [{key}]")
    };
    super::Refusal {
        provider: "Azure DevOps",
        action: what.to_owned(),
        status: Some(resp.status),
        code: (!key.is_empty()).then(|| key.clone()),
        message: format!("{}{shown}", http.redact(&message)),
        hint,
    }
    .into()
}

impl Provider for AzureDevOps {
    fn repository(&mut self) -> anyhow::Result<RepoInfo> {
        let repo: Value = self.get_json(&self.repo_path(""), "read the repository")?;
        let default = repo["defaultBranch"]
            .as_str()
            .map(|b| b.strip_prefix("refs/heads/").unwrap_or(b).to_owned());
        let empty = self.refs("heads/")?.is_empty();
        Ok(RepoInfo {
            default_branch: default.unwrap_or_else(|| "main".into()),
            empty,
        })
    }

    fn init_empty(&mut self, branch: &str) -> anyhow::Result<()> {
        let commit = json!({
            "comment": "Initial commit",
            "changes": [{
                "changeType": "add",
                "item": { "path": "/README.md" },
                "newContent": { "content": format!("# {}\n", self.repository), "contentType": "rawText" },
            }],
        });
        let resp = self.write_once(
            || self.push(branch, None, commit.clone()),
            |me| Ok(!me.refs(&format!("heads/{branch}"))?.is_empty()),
        )?;
        match resp {
            None => Ok(()),
            Some(r) if r.is_success() => Ok(()),
            Some(r) => Err(self.api_error(&r, "create the first commit of the empty repository")),
        }
    }

    fn branch_head(&mut self, branch: &str) -> anyhow::Result<Option<ObjectId>> {
        let name = heads(branch);
        match self
            .refs(&format!("heads/{branch}"))?
            .into_iter()
            .find(|r| r.name == name)
        {
            Some(r) => Ok(Some(oid(&r.object_id)?)),
            None => Ok(None),
        }
    }

    fn commit_info(&mut self, id: &ObjectId) -> anyhow::Result<CommitInfo> {
        let c = self.commit_json(id)?;
        let tree = match c.tree_id {
            Some(t) => oid(&t)?,
            None => ObjectId::null(id.kind()),
        };
        Ok(CommitInfo {
            id: oid(&c.commit_id)?,
            tree,
        })
    }

    fn files(&mut self, commit: &CommitInfo) -> anyhow::Result<BranchTree> {
        let target = self.repo_path(&format!(
            "/items?scopePath=%2F&recursionLevel=full&versionDescriptor.version={}&versionDescriptor.versionType=commit",
            commit.id
        ));
        let items: List<ItemJson> = self.get_json(&target, "list the files of the branch")?;
        let mut out = BranchTree::new();
        for item in items.value {
            if item.is_folder || item.git_object_type.as_deref() != Some("blob") {
                continue; // folders and submodules
            }
            let Some(id) = item.object_id else { continue };
            let path = item.path.trim_start_matches('/').to_owned();
            let mode = if item.is_sym_link {
                Mode::Symlink
            } else {
                Mode::Regular
            };
            out.insert(
                path,
                TreeEntry {
                    mode,
                    oid: oid(&id)?,
                },
            );
        }
        Ok(out)
    }

    /// [`Provider::files`], with the previous build's mode where the blob is the previous
    /// build's (the listing shows no executable bit; see the module documentation).
    fn branch_files(
        &mut self,
        commit: &CommitInfo,
        scope: &BranchScope<'_>,
    ) -> anyhow::Result<BranchTree> {
        let mut files = self.files(commit)?;
        for (path, entry) in files.iter_mut() {
            if let Some(previous) = scope.previous.get(path) {
                if previous.oid == entry.oid && entry.mode == Mode::Regular {
                    entry.mode = previous.mode;
                }
            }
        }
        Ok(files)
    }

    fn read_blob(&mut self, id: &ObjectId) -> anyhow::Result<Vec<u8>> {
        if let Some(data) = self.blobs.get(id) {
            return Ok(data.clone());
        }
        let resp = self.http.send(
            Request::new(
                Method::Get,
                self.repo_path(&format!("/blobs/{id}?$format=octetstream")),
            )
            .header("Accept", "application/octet-stream")
            .content(),
        )?;
        if !resp.is_success() {
            return Err(self.api_error(&resp, &format!("read blob {id}")));
        }
        self.blobs.insert(*id, resp.body.clone());
        Ok(resp.body)
    }

    fn commit(&mut self, r: &CommitRequest<'_>) -> anyhow::Result<CommitOutcome> {
        let (changes, unset) = changes(r);
        if changes.is_empty() {
            bail!(
                "nothing Azure DevOps can write: only the file modes of {} differ, and the pushes API sets no file modes",
                unset.join(", ")
            );
        }
        let mut commit = json!({ "comment": r.message, "changes": changes });
        if let Some(a) = r.author {
            let who = json!({ "name": a.name, "email": a.email });
            commit["author"] = who.clone();
            commit["committer"] = who;
        }
        // A new branch names its start (the base head) as its old object id, as Azure DevOps'
        // "update a file in a new branch" example does: the push creates the branch there, and
        // is refused as stale if someone created it elsewhere meanwhile.
        let old = Some(&r.parent.id);
        // Resending is harmless: the old object id makes a second landing impossible (409);
        // but after a lost answer a 409 may be our own push.
        let resp = self
            .http
            .send(self.push(r.branch, old, commit).idempotent(true))?;
        if resp.status == 409 && !resp.text().contains(POLICY_REJECTED) {
            if resp.attempts > 1 {
                self.unconfirmed = Some(r.message.to_owned());
            }
            return Ok(CommitOutcome::HeadMoved);
        }
        if !resp.is_success() {
            return Err(self.api_error(&resp, &format!("push to {}", r.branch)));
        }
        let v: Value = resp.json()?;
        let id = v["commits"][0]["commitId"]
            .as_str()
            .or_else(|| v["refUpdates"][0]["newObjectId"].as_str())
            .context("Azure DevOps answered the push without the new commit's id")?;
        let via = if unset.is_empty() {
            "pushes".to_owned()
        } else {
            let note = format!(
                "the pushes API sets no file modes: {} written as regular file(s)",
                unset.join(", ")
            );
            self.notes.push(note.clone());
            format!("pushes ({note})")
        };
        Ok(CommitOutcome::Committed { id: oid(id)?, via })
    }

    fn find_pull_request(
        &mut self,
        branch: &str,
        base: &str,
    ) -> anyhow::Result<Option<PullRequest>> {
        self.active_pull(branch, base)
    }

    fn create_pull_request(
        &mut self,
        branch: &str,
        base: &str,
        text: &PullRequestText,
        options: &PullRequestOptions,
    ) -> anyhow::Result<PullRequest> {
        for (what, values) in [
            ("assignees", &options.assignees),
            ("team reviewers", &options.team_reviewers),
        ] {
            if !values.is_empty() {
                self.notes.push(format!(
                    "Azure DevOps pull requests have no {what}: --{} ignored",
                    what.replace(' ', "-")
                ));
            }
        }
        let mut body = json!({
            "sourceRefName": heads(branch),
            "targetRefName": heads(base),
            "title": text.title,
            "description": text.body,
            "isDraft": options.draft,
        });
        if !options.reviewers.is_empty() {
            body["reviewers"] = options
                .reviewers
                .iter()
                .map(|r| json!({ "id": r }))
                .collect();
        }
        if !options.labels.is_empty() {
            body["labels"] = options
                .labels
                .iter()
                .map(|l| json!({ "name": l }))
                .collect();
        }
        let send = || {
            Request::new(Method::Post, self.repo_path("/pullrequests"))
                .body(Body::Json(body.clone()))
        };
        let found = std::cell::RefCell::new(None);
        let resp = self.write_once(send, |me| {
            let pr = me.active_pull(branch, base)?;
            let landed = pr.is_some();
            *found.borrow_mut() = pr;
            Ok(landed)
        })?;
        let resp = match resp {
            None => return found.into_inner().context("the pull request vanished"),
            Some(r) => r,
        };
        if !resp.is_success() {
            if resp.status == 409 {
                // Opened by a concurrent run: use it.
                if let Some(pr) = self.active_pull(branch, base)? {
                    return Ok(pr);
                }
            }
            return Err(self.api_error(&resp, "open the pull request"));
        }
        let p: PullJson = resp.json()?;
        Ok(PullRequest {
            number: p.pull_request_id,
            url: self.pull_url(p.pull_request_id),
        })
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
                Method::Patch,
                self.repo_path(&format!("/pullrequests/{}", pr.number)),
            )
            .body(Body::Json(
                json!({ "title": text.title, "description": text.body }),
            )),
        )?;
        if !resp.is_success() {
            return Err(self.api_error(&resp, "update the pull request"));
        }
        let thread = json!({
            "comments": [{ "parentCommentId": 0, "content": comment, "commentType": "text" }],
            "status": "closed",
        });
        let send = || {
            Request::new(
                Method::Post,
                self.repo_path(&format!("/pullRequests/{}/threads", pr.number)),
            )
            .body(Body::Json(thread.clone()))
        };
        match self.write_once(send, |me| me.has_comment(pr, marker))? {
            Some(r) if !r.is_success() => Err(self.api_error(&r, "comment on the pull request")),
            _ => Ok(()),
        }
    }

    /// Some path the branch changed since its merge base with `base` still differs from
    /// `base`: the paths of the diff from the common commit that the plain diff also lists.
    fn branch_differs(&mut self, base: &str, branch: &str) -> anyhow::Result<bool> {
        let topic = self.diff_paths(base, branch, true)?;
        if topic.is_empty() {
            return Ok(false);
        }
        let plain = self.diff_paths(base, branch, false)?;
        Ok(topic.iter().any(|p| plain.contains(p)))
    }

    /// The lost push's commit, found by its message among the newest first-parent commits of
    /// `head`.
    fn landed(&mut self, head: &ObjectId) -> anyhow::Result<Option<ObjectId>> {
        let Some(message) = self.unconfirmed.clone() else {
            return Ok(None);
        };
        let mut at = *head;
        for _ in 0..20 {
            let c = self.commit_json(&at)?;
            if c.comment.trim_end() == message.trim_end() {
                return Ok(Some(oid(&c.commit_id)?));
            }
            match c.parents.first() {
                Some(p) => at = oid(p)?,
                None => break,
            }
        }
        Ok(None)
    }
}

impl AzureDevOps {
    /// The active pull request from `branch` into `base`.
    fn active_pull(&self, branch: &str, base: &str) -> anyhow::Result<Option<PullRequest>> {
        let target = self.repo_path(&format!(
            "/pullrequests?{}",
            urls::query(&[
                ("searchCriteria.sourceRefName", &heads(branch)),
                ("searchCriteria.targetRefName", &heads(base)),
                ("searchCriteria.status", "active"),
            ])
        ));
        let pulls: List<PullJson> = self.get_json(&target, "list pull requests")?;
        Ok(pulls.value.first().map(|p| PullRequest {
            number: p.pull_request_id,
            url: self.pull_url(p.pull_request_id),
        }))
    }

    /// The paths of the diff from `base` to `branch` (`common`: from their merge base).
    fn diff_paths(
        &self,
        base: &str,
        branch: &str,
        common: bool,
    ) -> anyhow::Result<std::collections::BTreeSet<String>> {
        let target = self.repo_path(&format!(
            "/diffs/commits?{}",
            urls::query(&[
                ("baseVersion", base),
                ("baseVersionType", "branch"),
                ("targetVersion", branch),
                ("targetVersionType", "branch"),
                ("diffCommonCommit", if common { "true" } else { "false" }),
                ("$top", "2000"),
            ])
        ));
        let v: Value = self.get_json(&target, "compare the branch with the base")?;
        Ok(v["changes"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|c| !c["item"]["isFolder"].as_bool().unwrap_or(false))
            .filter_map(|c| c["item"]["path"].as_str())
            .map(|p| p.trim_start_matches('/').to_owned())
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repositories_have_three_segments() {
        assert_eq!(split_repository("o/p/r").unwrap(), ("o", "p", "r"));
        for bad in ["o/p", "o/p/r/x", "/p/r", "o//r", "o/p/"] {
            assert!(split_repository(bad).is_err(), "{bad}");
        }
    }
}
