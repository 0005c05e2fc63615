//! GitLab (gitlab.com and self-managed) through its REST API v4: the project, branches, the
//! recursive repository tree (whose entries carry blob ids), raw files and blobs, one-request
//! commits (`POST /projects/:id/repository/commits` with `actions`), merge requests and their
//! notes. No clone.
//!
//! # The commit guarantee
//! GitLab's commits endpoint has no compare-and-swap on the branch: the actions are applied to
//! whatever the branch holds when the request arrives. What it does check, and what gensync
//! relies on:
//! - a new branch is created with `start_sha` (the base head gensync built on); GitLab refuses
//!   it when the branch already exists, so a concurrent creation is a clean
//!   [`CommitOutcome::HeadMoved`];
//! - a `create` action is refused when the file already exists, an `update`, `chmod` or
//!   `delete` when it does not: a person adding or deleting one of the paths in between makes
//!   the commit fail whole (nothing is written) and the flow rebuilds on the new head;
//! - afterwards the new commit's parent is compared with the head gensync built on. When they
//!   differ, somebody committed in between and gensync's actions were applied on top of their
//!   commit(s). The backend then asks which paths those commits touched
//!   (`repository/compare`): if none is a path gensync wrote or deleted, the result is what a
//!   rebase would give; the backend answers [`CommitOutcome::HeadMoved`] all the same, so the
//!   flow checks the build again on the new head (normally finding nothing left to commit,
//!   [`Provider::landed`] then names gensync's commit); if some are, gensync's version
//!   replaced theirs at those paths at the tip (their version stays in the history): the sync
//!   stops with an error naming the paths and the commits, before the merge request is touched,
//!   and nothing is force-pushed or reverted.
//!
//! Per-file `last_commit_id` guards are not sent: GitLab compares them with the last commit
//! that touched each path, which the tree listing does not give, and asking costs one request
//! per changed file. The parent check above detects the same races after the fact.
//!
//! A commit whose answer was lost is read back (the branch head and its message) before it is
//! sent again, so a retry never lands the build twice; so are merge request creations and notes.

use std::collections::{BTreeSet, HashMap};

use anyhow::{bail, Context};
use gensync_core::message::PullRequestText;
use gensync_core::payload::gitlab as payload;
use gensync_core::{BranchTree, Mode, ObjectId, TreeEntry};
use serde::Deserialize;
use serde_json::{json, Value};

use super::{
    uncertain, CommitInfo, CommitOutcome, CommitRequest, Provider, PullRequest, PullRequestOptions,
    RepoInfo, WRITE_TRIES,
};
use crate::http::{urls, Body, HttpClient, Method, Request, Response};

/// The default API root.
pub const API_URL: &str = "https://gitlab.com/api/v4";

/// The largest file gensync sends to GitLab: gitlab.com's 100 MiB; an instance with a lower
/// limit refuses the commit, and the error says so.
pub const MAX_FILE_BYTES: u64 = 100 * 1024 * 1024;

/// The GitLab backend.
pub struct GitLab {
    http: HttpClient,
    /// `group/subgroup/project` or a numeric id, as given.
    project: String,
    /// Trees listed, by commit.
    trees: HashMap<ObjectId, BranchTree>,
    /// Contents read, by blob id.
    blobs: HashMap<ObjectId, Vec<u8>>,
    /// Lines explaining choices, for the log.
    pub notes: Vec<String>,
    /// Messages of commits whose answer was lost and whose read-back found the branch moved
    /// by someone else: they may still be in the history ([`Provider::landed`]).
    unconfirmed: Vec<String>,
}

#[derive(Deserialize)]
struct ProjectJson {
    default_branch: Option<String>,
    #[serde(default)]
    empty_repo: bool,
}

#[derive(Deserialize)]
struct BranchCommit {
    id: String,
}

#[derive(Deserialize)]
struct BranchJson {
    commit: BranchCommit,
}

#[derive(Deserialize)]
struct CommitJson {
    id: String,
    #[serde(default)]
    message: String,
    #[serde(default)]
    parent_ids: Vec<String>,
}

#[derive(Deserialize)]
struct TreeItem {
    id: String,
    #[serde(rename = "type")]
    kind: String,
    path: String,
    mode: String,
}

#[derive(Deserialize)]
struct MergeRequestJson {
    iid: u64,
    #[serde(default)]
    web_url: String,
}

#[derive(Deserialize)]
struct CompareJson {
    #[serde(default)]
    commits: Vec<CommitJson>,
    #[serde(default)]
    diffs: Vec<DiffJson>,
}

#[derive(Deserialize)]
struct DiffJson {
    #[serde(default)]
    old_path: String,
    #[serde(default)]
    new_path: String,
}

/// An error for a failed GitLab response, with a hint saying what to do.
pub fn api_error(http: &HttpClient, resp: &Response, what: &str) -> anyhow::Error {
    let body: Value = resp.json().unwrap_or(Value::Null);
    let message = match (&body["message"], &body["error"]) {
        (Value::String(m), _) => m.clone(),
        (m @ (Value::Array(_) | Value::Object(_)), _) => m.to_string(),
        (_, Value::String(e)) => match body["error_description"].as_str() {
            Some(d) => format!("{e}: {d}"),
            None => e.clone(),
        },
        _ => resp.text().chars().take(200).collect(),
    };
    let lower = message.to_ascii_lowercase();
    let hint = if lower.contains("not allowed to push") || lower.contains("protected branch") {
        " — the branch is protected: allow gensync's token to push to it (Settings → Repository → Protected branches), or sync to an unprotected branch with --branch"
    } else if resp.status == 413 || lower.contains("too large") {
        " — the instance refused the size of the commit or of a file: raise the instance's limits or leave the largest files out of the generated output"
    } else {
        match resp.status {
            401 => " — the token was refused: check GITLAB_TOKEN (a personal, project or group access token, or an OAuth token) and that it has not expired",
            403 if lower.contains("scope") => " — the token lacks a scope: gensync needs a token with the `api` scope",
            403 => " — the token's user may not do this: gensync needs the Developer role (Maintainer for protected branches) on the project",
            404 => " — the project does not exist or the token cannot see it: check --repository GROUP[/SUBGROUP…]/PROJECT (or the numeric project id) and --api-url",
            429 => " — GitLab's rate limit: rerun later",
            _ => "",
        }
    };
    super::Refusal {
        provider: "GitLab",
        action: what.to_owned(),
        status: Some(resp.status),
        code: None,
        message: http.redact(&message),
        hint,
    }
    .into()
}

impl GitLab {
    /// A backend for `project` (`group[/subgroup…]/project` or a numeric id) over `http`
    /// (whose base is the API root, `…/api/v4`).
    pub fn new(http: HttpClient, project: &str) -> anyhow::Result<Self> {
        if crate::providers::spec::GITLAB_REPOSITORY
            .check(project)
            .is_err()
        {
            bail!("--repository {project:?} is not GROUP[/SUBGROUP…]/PROJECT nor a numeric project id");
        }
        Ok(GitLab {
            http,
            project: project.to_owned(),
            trees: HashMap::new(),
            blobs: HashMap::new(),
            notes: Vec::new(),
            unconfirmed: Vec::new(),
        })
    }

    /// `/projects/{id}{rest}`, the path or id URL-encoded as one segment.
    fn project_path(&self, rest: &str) -> String {
        format!("/projects/{}{rest}", urls::segment(&self.project))
    }

    fn api_error(&self, resp: &Response, what: &str) -> anyhow::Error {
        api_error(&self.http, resp, what)
    }

    fn get_json<T: serde::de::DeserializeOwned>(
        &self,
        target: &str,
        what: &str,
    ) -> anyhow::Result<T> {
        let resp = self.http.send(Request::new(Method::Get, target))?;
        if !resp.is_success() {
            return Err(self.api_error(&resp, what));
        }
        Ok(resp.json()?)
    }

    /// A commit, `None` when there is none.
    fn commit_json(&self, id: &str) -> anyhow::Result<Option<CommitJson>> {
        let resp = self.http.send(Request::new(
            Method::Get,
            self.project_path(&format!("/repository/commits/{}", urls::segment(id))),
        ))?;
        match resp.status {
            200 => Ok(Some(resp.json()?)),
            404 => Ok(None),
            _ => Err(self.api_error(&resp, "read a commit")),
        }
    }

    /// The paths changed between `from` and `to` (`repository/compare`, two-dot).
    fn changed_paths(&self, from: &ObjectId, to: &ObjectId) -> anyhow::Result<BTreeSet<String>> {
        let c: CompareJson = self.get_json(
            &self.project_path(&format!(
                "/repository/compare?{}",
                urls::query(&[
                    ("from", &from.to_string()),
                    ("to", &to.to_string()),
                    ("straight", "true"),
                ])
            )),
            "compare commits",
        )?;
        Ok(c.diffs
            .into_iter()
            .flat_map(|d| [d.old_path, d.new_path])
            .filter(|p| !p.is_empty())
            .collect())
    }

    /// The body of the commit request `r`.
    fn commit_body(&self, r: &CommitRequest<'_>) -> anyhow::Result<Value> {
        let writes: Vec<payload::Write<'_>> = r
            .writes
            .iter()
            .map(|w| payload::Write {
                path: &w.path,
                mode: w.mode,
                oid: &w.oid,
                content: &w.content,
            })
            .collect();
        let actions = payload::actions(&writes, r.deletions, r.parent_files)?;
        let mut body = json!({
            "branch": r.branch,
            "commit_message": r.message,
            "actions": actions,
        });
        if r.create_branch {
            body["start_sha"] = json!(r.parent.id.to_string());
        }
        if let Some(a) = r.author {
            body["author_name"] = json!(a.name);
            body["author_email"] = json!(a.email);
        }
        Ok(body)
    }

    /// After a lost answer: the commit if it landed (the branch moved to a commit with our
    /// message), `Err(moved)` with whether someone else moved the branch.
    fn read_back(&mut self, r: &CommitRequest<'_>) -> anyhow::Result<Result<CommitJson, bool>> {
        let head = self.branch_head(r.branch)?;
        let before = (!r.create_branch).then_some(r.parent.id);
        if head == before {
            return Ok(Err(false));
        }
        let Some(head) = head else {
            return Ok(Err(true));
        };
        match self.commit_json(&head.to_string())? {
            Some(c) if c.message.trim_end() == r.message.trim_end() => Ok(Ok(c)),
            _ => {
                self.unconfirmed.push(r.message.to_owned());
                Ok(Err(true))
            }
        }
    }

    /// Checks that `made`'s parent is the head gensync built on (see the module docs): `None`
    /// when it is not and the commits in between touched none of the build's paths (the flow
    /// then rebuilds on the new head, which holds the build: [`Provider::landed`] names it).
    fn check_parent(
        &mut self,
        r: &CommitRequest<'_>,
        made: &CommitJson,
    ) -> anyhow::Result<Option<ObjectId>> {
        let id = ObjectId::from_hex(made.id.as_bytes())?;
        let parent = made
            .parent_ids
            .first()
            .map(|p| ObjectId::from_hex(p.as_bytes()))
            .transpose()?;
        if parent == Some(r.parent.id) {
            return Ok(Some(id));
        }
        let Some(parent) = parent else {
            bail!(
                "GitLab made commit {id} on {} without a parent, not on {}",
                r.branch,
                r.parent.id
            );
        };
        let theirs = self.changed_paths(&r.parent.id, &parent)?;
        let ours: BTreeSet<&str> = r
            .writes
            .iter()
            .map(|w| w.path.as_str())
            .chain(r.deletions.iter().map(String::as_str))
            .collect();
        let overlap: Vec<&str> = theirs
            .iter()
            .map(String::as_str)
            .filter(|p| ours.contains(p))
            .collect();
        if overlap.is_empty() {
            self.notes.push(format!(
                "{} moved from {} to {parent} while gensync committed; GitLab applied the build on top of it (commit {id}), touching none of the paths changed in between; the build was checked again on the new head",
                r.branch, r.parent.id
            ));
            self.unconfirmed.push(r.message.to_owned());
            return Ok(None);
        }
        bail!(
            "someone committed to {} while gensync did (between {} and {parent}), changing {}, which the build also writes: GitLab applied the build's version on top of theirs in commit {id} (theirs stays in the history). Nothing was forced; look at the branch, then rerun gensync",
            r.branch,
            r.parent.id,
            overlap.join(", ")
        )
    }

    /// The user ids of `usernames` (`GET /users?username=`).
    fn user_ids(&self, usernames: &[String]) -> anyhow::Result<Vec<u64>> {
        #[derive(Deserialize)]
        struct User {
            id: u64,
        }
        usernames
            .iter()
            .map(|name| {
                let users: Vec<User> = self.get_json(
                    &format!("/users?{}", urls::query(&[("username", name.as_str())])),
                    &format!("look up user {name}"),
                )?;
                users.first().map(|u| u.id).with_context(|| {
                    format!("GitLab has no user {name:?} (check --assignees / --reviewers)")
                })
            })
            .collect()
    }

    /// Whether merge request `pr` has a note carrying `marker`.
    fn has_note(&self, pr: &PullRequest, marker: &str) -> anyhow::Result<bool> {
        let notes: Vec<Value> = self.http.get_all(
            &self.project_path(&format!("/merge_requests/{}/notes?per_page=100", pr.number)),
            None,
        )?;
        Ok(notes
            .iter()
            .any(|n| n["body"].as_str().is_some_and(|b| b.contains(marker))))
    }

    /// Sends a write that is not idempotent, reading back with `landed` after a lost answer.
    fn send_once<T>(
        &mut self,
        request: impl Fn() -> Request,
        landed: impl Fn(&mut Self) -> anyhow::Result<Option<T>>,
    ) -> anyhow::Result<Result<Response, T>> {
        let mut tries = 0;
        loop {
            tries += 1;
            let sent = self.http.send(request().idempotent(false));
            if uncertain(&sent) {
                if let Some(found) = landed(self)? {
                    return Ok(Err(found));
                }
                if tries < WRITE_TRIES {
                    continue;
                }
            }
            return Ok(Ok(sent?));
        }
    }
}

/// A tree entry's mode; `None` for folders and submodules.
fn tree_mode(kind: &str, mode: &str) -> Option<Mode> {
    (kind == "blob").then(|| mode.parse().ok()).flatten()
}

/// Whether a 400 of the commits endpoint says the branch or a path changed under the request.
fn raced(resp: &Response) -> bool {
    let text = resp.text().to_ascii_lowercase();
    resp.status == 400
        && (text.contains("already exists")
            || text.contains("does not exist")
            || text.contains("has changed since"))
}

impl Provider for GitLab {
    fn repository(&mut self) -> anyhow::Result<RepoInfo> {
        let p: ProjectJson = self.get_json(&self.project_path(""), "read the project")?;
        Ok(RepoInfo {
            default_branch: p.default_branch.unwrap_or_else(|| "main".into()),
            empty: p.empty_repo,
        })
    }

    fn init_empty(&mut self, branch: &str) -> anyhow::Result<()> {
        let name = self
            .project
            .rsplit('/')
            .next()
            .unwrap_or_default()
            .to_owned();
        let body = json!({
            "branch": branch,
            "commit_message": "Initial commit",
            "actions": [{"action": "create", "file_path": "README.md", "content": format!("# {name}\n")}],
        });
        let target = self.project_path("/repository/commits");
        let branch_owned = branch.to_owned();
        let sent = self.send_once(
            || Request::new(Method::Post, target.clone()).body(Body::Json(body.clone())),
            |me| Ok(me.branch_head(&branch_owned)?.map(|_| ())),
        )?;
        match sent {
            Err(()) => Ok(()),
            Ok(resp) if resp.status == 201 => Ok(()),
            Ok(resp) => Err(self.api_error(&resp, "create the first commit of the empty project")),
        }
    }

    fn branch_head(&mut self, branch: &str) -> anyhow::Result<Option<ObjectId>> {
        let resp = self.http.send(Request::new(
            Method::Get,
            self.project_path(&format!("/repository/branches/{}", urls::segment(branch))),
        ))?;
        match resp.status {
            200 => Ok(Some(ObjectId::from_hex(
                resp.json::<BranchJson>()?.commit.id.as_bytes(),
            )?)),
            404 => Ok(None),
            _ => Err(self.api_error(&resp, &format!("read branch {branch}"))),
        }
    }

    /// GitLab's commits carry no tree id: the commit is described by its id alone (no request).
    fn commit_info(&mut self, id: &ObjectId) -> anyhow::Result<CommitInfo> {
        Ok(CommitInfo {
            id: *id,
            tree: ObjectId::null(id.kind()),
        })
    }

    fn files(&mut self, commit: &CommitInfo) -> anyhow::Result<BranchTree> {
        if let Some(t) = self.trees.get(&commit.id) {
            return Ok(t.clone());
        }
        let target = self.project_path(&format!(
            "/repository/tree?{}",
            urls::query(&[
                ("ref", &commit.id.to_string()),
                ("recursive", "true"),
                ("per_page", "100"),
                ("pagination", "keyset"),
            ])
        ));
        let mut out = BranchTree::new();
        for page in self.http.pages(&target).max_pages(usize::MAX) {
            let page = page?;
            if !page.is_success() {
                return Err(self.api_error(&page, "list the repository tree"));
            }
            for item in page.json::<Vec<TreeItem>>()? {
                if let Some(mode) = tree_mode(&item.kind, &item.mode) {
                    let oid = ObjectId::from_hex(item.id.as_bytes())?;
                    out.insert(item.path, TreeEntry { mode, oid });
                }
            }
        }
        self.trees.insert(commit.id, out.clone());
        Ok(out)
    }

    fn read_blob(&mut self, oid: &ObjectId) -> anyhow::Result<Vec<u8>> {
        if let Some(data) = self.blobs.get(oid) {
            return Ok(data.clone());
        }
        let resp = self.http.send(
            Request::new(
                Method::Get,
                self.project_path(&format!("/repository/blobs/{oid}/raw")),
            )
            .content(),
        )?;
        if !resp.is_success() {
            return Err(self.api_error(&resp, &format!("read blob {oid}")));
        }
        self.blobs.insert(*oid, resp.body.clone());
        Ok(resp.body)
    }

    /// One raw file read (`repository/files/:path/raw`), without listing the tree.
    fn read_file(&mut self, commit: &CommitInfo, path: &str) -> anyhow::Result<Option<Vec<u8>>> {
        if let Some(tree) = self.trees.get(&commit.id) {
            let Some(entry) = tree.get(path).copied() else {
                return Ok(None);
            };
            return self.read_blob(&entry.oid).map(Some);
        }
        let resp = self.http.send(
            Request::new(
                Method::Get,
                self.project_path(&format!(
                    "/repository/files/{}/raw?{}",
                    urls::segment(path),
                    urls::query(&[("ref", &commit.id.to_string())])
                )),
            )
            .content(),
        )?;
        match resp.status {
            200 => {
                let oid = gensync_core::hash_blob(commit.id.kind(), &resp.body);
                self.blobs.insert(oid, resp.body.clone());
                Ok(Some(resp.body))
            }
            404 => Ok(None),
            _ => Err(self.api_error(&resp, &format!("read {path} at {}", commit.id))),
        }
    }

    fn commit(&mut self, r: &CommitRequest<'_>) -> anyhow::Result<CommitOutcome> {
        let body = self.commit_body(r)?;
        let target = self.project_path("/repository/commits");
        let mut moved = false;
        let sent = self.send_once(
            || Request::new(Method::Post, target.clone()).body(Body::Json(body.clone())),
            |me| match me.read_back(r)? {
                Ok(c) => Ok(Some(Some(c))),
                Err(true) => Ok(Some(None)),
                Err(false) => Ok(None),
            },
        );
        let made = match sent {
            Ok(Err(Some(landed))) => landed,
            Ok(Err(None)) => {
                moved = true;
                CommitJson { id: String::new(), message: String::new(), parent_ids: Vec::new() }
            }
            Ok(Ok(resp)) if resp.status == 201 => resp.json()?,
            Ok(Ok(resp)) if raced(&resp) => return Ok(CommitOutcome::HeadMoved),
            Ok(Ok(resp)) => return Err(self.api_error(&resp, &format!("commit to {}", r.branch))),
            Err(e) => return Err(e.context(format!(
                "committing to {} failed; an attempt whose answer was lost may or may not have taken effect (a rerun finds a landed commit by its build id)",
                r.branch
            ))),
        };
        if moved {
            return Ok(CommitOutcome::HeadMoved);
        }
        Ok(match self.check_parent(r, &made)? {
            Some(id) => CommitOutcome::Committed {
                id,
                via: "commits".into(),
            },
            None => CommitOutcome::HeadMoved,
        })
    }

    fn find_pull_request(
        &mut self,
        branch: &str,
        base: &str,
    ) -> anyhow::Result<Option<PullRequest>> {
        let target = self.project_path(&format!(
            "/merge_requests?{}",
            urls::query(&[
                ("state", "opened"),
                ("source_branch", branch),
                ("target_branch", base),
                ("per_page", "100"),
            ])
        ));
        let mrs: Vec<MergeRequestJson> = self.get_json(&target, "list merge requests")?;
        Ok(mrs.into_iter().next().map(|m| PullRequest {
            number: m.iid,
            url: m.web_url,
        }))
    }

    fn create_pull_request(
        &mut self,
        branch: &str,
        base: &str,
        text: &PullRequestText,
        options: &PullRequestOptions,
    ) -> anyhow::Result<PullRequest> {
        if !options.team_reviewers.is_empty() {
            self.notes.push(
                "GitLab merge requests have no team reviewers: --team-reviewers ignored".into(),
            );
        }
        let mut body = json!({
            "source_branch": branch,
            "target_branch": base,
            "title": if options.draft { format!("Draft: {}", text.title) } else { text.title.clone() },
            "description": text.body,
            "remove_source_branch": false,
        });
        if !options.labels.is_empty() {
            body["labels"] = json!(options.labels.join(","));
        }
        if !options.assignees.is_empty() {
            body["assignee_ids"] = json!(self.user_ids(&options.assignees)?);
        }
        if !options.reviewers.is_empty() {
            body["reviewer_ids"] = json!(self.user_ids(&options.reviewers)?);
        }
        let target = self.project_path("/merge_requests");
        let (b, t) = (branch.to_owned(), base.to_owned());
        let sent = self.send_once(
            || Request::new(Method::Post, target.clone()).body(Body::Json(body.clone())),
            |me| me.find_pull_request(&b, &t),
        )?;
        let resp = match sent {
            Err(found) => return Ok(found),
            Ok(resp) => resp,
        };
        if resp.status == 409 {
            // Opened by a concurrent run (or a lost answer): use it.
            if let Some(pr) = self.find_pull_request(branch, base)? {
                return Ok(pr);
            }
        }
        if resp.status != 201 {
            return Err(self.api_error(&resp, "open the merge request"));
        }
        let m: MergeRequestJson = resp.json()?;
        Ok(PullRequest {
            number: m.iid,
            url: m.web_url,
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
                Method::Put,
                self.project_path(&format!("/merge_requests/{}", pr.number)),
            )
            .body(Body::Json(
                json!({ "title": text.title, "description": text.body }),
            )),
        )?;
        if !resp.is_success() {
            return Err(self.api_error(&resp, "update the merge request"));
        }
        let target = self.project_path(&format!("/merge_requests/{}/notes", pr.number));
        let body = json!({ "body": comment });
        let sent = self.send_once(
            || Request::new(Method::Post, target.clone()).body(Body::Json(body.clone())),
            |me| Ok(me.has_note(pr, marker)?.then_some(())),
        )?;
        match sent {
            Err(()) => Ok(()),
            Ok(resp) if resp.status == 201 => Ok(()),
            Ok(resp) => Err(self.api_error(&resp, "comment on the merge request")),
        }
    }

    fn landed(&mut self, head: &ObjectId) -> anyhow::Result<Option<ObjectId>> {
        if self.unconfirmed.is_empty() {
            return Ok(None);
        }
        let commits: Vec<CommitJson> = self.get_json(
            &self.project_path(&format!(
                "/repository/commits?{}",
                urls::query(&[("ref_name", &head.to_string()), ("per_page", "50")])
            )),
            "list the branch's recent commits",
        )?;
        for message in self.unconfirmed.iter().rev() {
            if let Some(c) = commits
                .iter()
                .find(|c| c.message.trim_end() == message.trim_end())
            {
                return Ok(Some(ObjectId::from_hex(c.id.as_bytes())?));
            }
        }
        Ok(None)
    }

    /// Commits of the branch not in the base, and a difference between their contents.
    fn branch_differs(&mut self, base: &str, branch: &str) -> anyhow::Result<bool> {
        let c: CompareJson = self.get_json(
            &self.project_path(&format!(
                "/repository/compare?{}",
                urls::query(&[("from", base), ("to", branch), ("straight", "true")])
            )),
            "compare branches",
        )?;
        Ok(!c.commits.is_empty() && !c.diffs.is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tree_modes() {
        assert_eq!(tree_mode("blob", "100755"), Some(Mode::Executable));
        assert_eq!(tree_mode("blob", "120000"), Some(Mode::Symlink));
        assert_eq!(tree_mode("tree", "040000"), None);
        assert_eq!(tree_mode("commit", "160000"), None);
    }
}
