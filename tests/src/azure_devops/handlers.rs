//! The Git API 7.1 operations, over the bare repositories, in the service's shapes.

use base64::Engine as _;
use serde_json::{json, Value};

use super::server::{ApiError, ApiResult, Ctx};
use super::state::{short, PullRequest, PullStatus, Thread};
use crate::git::{Oid, RefExpectation, Signature, TreeEdit, MODE_FILE};
use crate::http::Response;

const ZERO: &str = "0000000000000000000000000000000000000000";

fn list(values: Vec<Value>) -> Response {
    Response::json(200, &json!({ "count": values.len(), "value": values }))
}

fn not_found(what: &str) -> ApiError {
    ApiError::new(404, what, "GitItemNotFoundException")
}

fn repo_json(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let repo = ctx.repo()?;
    let git = ctx.git()?;
    let (org, project) = (ctx.param("organization"), ctx.param("project"));
    let mut v = json!({
        "id": repo.id,
        "name": repo.name,
        "url": ctx.repo_url(""),
        "project": { "id": super::state::guid(0), "name": project, "state": "wellFormed", "visibility": "private" },
        "size": 0,
        "remoteUrl": format!("{}/{org}/{project}/_git/{}", ctx.emu.base, repo.name),
        "webUrl": format!("{}/{org}/{project}/_git/{}", ctx.emu.base, repo.name),
        "isDisabled": false,
    });
    if !git.is_empty()? {
        v["defaultBranch"] = json!(format!("refs/heads/{}", git.head_branch()?));
    }
    Ok(v)
}

/// `GET …/repositories`.
pub fn list_repos(ctx: &mut Ctx<'_>) -> ApiResult {
    let owner = format!("{}/{}", ctx.param("organization"), ctx.param("project"));
    let names: Vec<String> = ctx
        .state
        .repos
        .values()
        .filter(|r| r.owner.eq_ignore_ascii_case(&owner))
        .map(|r| r.name.clone())
        .collect();
    let mut values = Vec::new();
    for name in names {
        ctx.params.retain(|(n, _)| *n != "repositoryId");
        ctx.params.push(("repositoryId", name));
        values.push(repo_json(ctx)?);
    }
    Ok(list(values))
}

/// `GET …/repositories/{repositoryId}`.
pub fn get_repo(ctx: &mut Ctx<'_>) -> ApiResult {
    Ok(Response::json(200, &repo_json(ctx)?))
}

/// `GET …/refs?filter=heads/…`: refs whose name below `refs/` starts with the filter.
pub fn list_refs(ctx: &mut Ctx<'_>) -> ApiResult {
    let filter = ctx.req.query_param("filter").unwrap_or_default();
    let prefix = format!("refs/{filter}");
    let values = ctx
        .git()?
        .refs(&prefix)?
        .into_iter()
        .map(|(name, oid)| json!({ "name": name, "objectId": oid.as_str(), "url": ctx.repo_url(&format!("/refs?filter={}", &name[5..])) }))
        .collect();
    Ok(list(values))
}

fn commit_of(ctx: &Ctx<'_>, version: &str) -> Result<Oid, ApiError> {
    let git = ctx.git()?;
    let unknown = || {
        ApiError::new(
            404,
            &format!("TF401175: The version descriptor <Commit: {version}> could not be resolved to a version on the repository."),
            "GitUnresolvableToCommitException",
        )
    };
    let oid = Oid::parse(version).ok_or_else(unknown)?;
    match git.object_kind(&oid)? {
        Some(crate::git::ObjectKind::Commit) => Ok(oid),
        _ => Err(unknown()),
    }
}

/// `GET …/items?scopePath=/&recursionLevel=full&versionDescriptor.version=…`.
pub fn list_items(ctx: &mut Ctx<'_>) -> ApiResult {
    let q = |n: &str| ctx.req.query_param(n);
    if q("versionDescriptor.versionType").as_deref() != Some("commit") {
        return Err(ApiError::bad_request(
            "the emulator serves items at a commit only (versionDescriptor.versionType=commit)",
        ));
    }
    if q("scopePath").as_deref() != Some("/") || q("recursionLevel").as_deref() != Some("full") {
        return Err(ApiError::bad_request(
            "the emulator lists the whole tree only (scopePath=/, recursionLevel=full)",
        ));
    }
    let version = q("versionDescriptor.version").unwrap_or_default();
    let commit = commit_of(ctx, &version)?;
    let git = ctx.git()?;
    let tree = git.read_commit(&commit)?.tree;
    let url = ctx.repo_url("/items");
    let mut values = vec![json!({
        "objectId": tree.as_str(), "gitObjectType": "tree", "commitId": commit.as_str(),
        "path": "/", "isFolder": true, "url": url,
    })];
    for e in git.read_tree(&tree, true)? {
        let mut item = json!({
            "objectId": e.oid.as_str(),
            "gitObjectType": e.kind.as_str(),
            "commitId": commit.as_str(),
            "path": format!("/{}", e.path),
            "url": url,
        });
        if e.mode == "040000" {
            item["isFolder"] = json!(true);
        }
        if e.mode == crate::git::MODE_SYMLINK {
            item["isSymLink"] = json!(true);
        }
        values.push(item);
    }
    Ok(list(values))
}

/// `GET …/blobs/{sha1}`: the bytes with `$format=octetstream` (or `Accept:
/// application/octet-stream`), else a `GitBlobRef`.
pub fn get_blob(ctx: &mut Ctx<'_>) -> ApiResult {
    let sha = ctx.param("sha1").to_owned();
    let git = ctx.git()?;
    let missing = || {
        not_found(&format!(
            "TF401174: The item {sha} could not be found in the repository."
        ))
    };
    let oid = Oid::parse(&sha).ok_or_else(missing)?;
    if git.object_kind(&oid)? != Some(crate::git::ObjectKind::Blob) {
        return Err(missing());
    }
    let data = git.read_blob(&oid)?;
    let raw = ctx.req.query_param("$format").as_deref() == Some("octetstream")
        || ctx
            .req
            .header("accept")
            .is_some_and(|a| a.contains("application/octet-stream"));
    if raw {
        let mut r = Response::empty(200).with_header("content-type", "application/octet-stream");
        r.body = data;
        return Ok(r);
    }
    Ok(Response::json(
        200,
        &json!({ "objectId": sha, "size": data.len(), "url": ctx.repo_url(&format!("/blobs/{sha}")) }),
    ))
}

fn person(s: &Signature) -> Value {
    json!({ "name": s.name, "email": s.email, "date": s.date_rfc3339() })
}

/// `GET …/commits/{commitId}`.
pub fn get_commit(ctx: &mut Ctx<'_>) -> ApiResult {
    let id = ctx.param("commitId").to_owned();
    let oid = commit_of(ctx, &id)?;
    let c = ctx.git()?.read_commit(&oid)?;
    Ok(Response::json(
        200,
        &json!({
            "commitId": c.oid.as_str(),
            "treeId": c.tree.as_str(),
            "parents": c.parents.iter().map(Oid::as_str).collect::<Vec<_>>(),
            "author": person(&c.author),
            "committer": person(&c.committer),
            "comment": c.message,
            "url": ctx.repo_url(&format!("/commits/{}", c.oid.as_str())),
        }),
    ))
}

fn stale(name: &str) -> ApiError {
    ApiError::new(
        409,
        &format!("TF401028: The reference '{name}' has already been updated by another client, so you cannot update it. Please try again."),
        "GitReferenceStaleException",
    )
}

/// The tree edits of a push commit's `changes`, on `base` (the parent's tree entries).
fn edits(
    git: &crate::git::BareRepo,
    base: Option<&Oid>,
    changes: &[Value],
) -> Result<Vec<TreeEdit>, ApiError> {
    let entries = match base {
        Some(tree) => git.read_tree(tree, true)?,
        None => Vec::new(),
    };
    let mode_of = |path: &str| {
        entries
            .iter()
            .find(|e| e.path == path)
            .map(|e| e.mode.clone())
    };
    let mut out = Vec::new();
    for change in changes {
        let kind = change["changeType"].as_str().unwrap_or_default();
        let path = change["item"]["path"].as_str().unwrap_or_default();
        let path = path.strip_prefix('/').unwrap_or(path).to_owned();
        if path.is_empty() {
            return Err(ApiError::bad_request("a change names no item path"));
        }
        let existing = mode_of(&path);
        let entry = match kind {
            "delete" => {
                if existing.is_none() {
                    return Err(not_found(&format!(
                        "TF401174: The item /{path} could not be found in the repository."
                    )));
                }
                None
            }
            "add" | "edit" => {
                if kind == "add" && existing.is_some() {
                    return Err(ApiError::new(
                        400,
                        &format!("TF402459: The path /{path} already exists; use changeType edit."),
                        "GitPathAlreadyExistsException",
                    ));
                }
                if kind == "edit" && existing.is_none() {
                    return Err(not_found(&format!(
                        "TF401174: The item /{path} could not be found in the repository."
                    )));
                }
                let content = &change["newContent"];
                let text = content["content"].as_str().unwrap_or_default();
                let data = match content["contentType"].as_str() {
                    Some("base64Encoded") => base64::engine::general_purpose::STANDARD
                        .decode(text)
                        .map_err(|_| ApiError::bad_request("newContent is not base64"))?,
                    _ => text.as_bytes().to_vec(),
                };
                // No mode in the API: an added file is regular, an edited one keeps its mode.
                let mode = existing.unwrap_or_else(|| MODE_FILE.to_owned());
                Some((mode, git.write_blob(&data)?))
            }
            other => {
                return Err(ApiError::bad_request(&format!(
                    "the emulator does not take changeType {other:?}"
                )))
            }
        };
        out.push(TreeEdit { path, entry });
    }
    Ok(out)
}

/// `POST …/pushes`: one ref update (compare-and-swap on `oldObjectId`) and one commit.
pub fn create_push(ctx: &mut Ctx<'_>) -> ApiResult {
    let body = ctx.body.clone();
    let (Some([update]), Some([commit])) = (
        body["refUpdates"].as_array().map(Vec::as_slice),
        body["commits"].as_array().map(Vec::as_slice),
    ) else {
        return Err(ApiError::bad_request(
            "the emulator takes pushes of one ref update and one commit",
        ));
    };
    let name = update["name"].as_str().unwrap_or_default().to_owned();
    let old = update["oldObjectId"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let branch = short(&name).to_owned();
    let git = ctx.git()?;
    let head = git.resolve_ref(&name)?;
    // Permissions: creating a branch needs "Create branch", moving one "Contribute".
    if head.is_none() {
        ctx.require(ctx.caller.create_branch, "CreateBranch")?;
    } else {
        ctx.require(ctx.caller.contribute, "GenericContribute")?;
    }
    let parent = match (&head, old.as_str()) {
        (Some(h), o) if h.as_str() != o => return Err(stale(&name)),
        (Some(h), _) => Some(h.clone()),
        (None, ZERO) => None,
        // A new branch starting at an existing commit ("update a file in a new branch").
        (None, o) => Some(commit_of(ctx, o).map_err(|_| stale(&name))?),
    };
    if ctx.repo()?.policies.contains(&branch) {
        return Err(ApiError::new(
            409,
            "TF402455: Pushes to this branch are not permitted; you must use a pull request to update this branch.",
            "GitRefUpdateRejectedByPolicyException",
        ));
    }
    let base_tree = match &parent {
        Some(p) => Some(git.read_commit(p)?.tree),
        None => None,
    };
    let changes = commit["changes"].as_array().cloned().unwrap_or_default();
    let edits = edits(&git, base_tree.as_ref(), &changes)?;
    let tree = git
        .edit_tree(base_tree.as_ref(), &edits)
        .map_err(|e| ApiError::bad_request(&e.to_string()))?;
    let who = |v: &Value| -> Signature {
        match (v["name"].as_str(), v["email"].as_str()) {
            (Some(n), Some(e)) => Signature::now(n, e),
            _ => Signature::now(&ctx.caller.name, "sync-bot@example.com"),
        }
    };
    let author = who(&commit["author"]);
    let committer = who(&commit["committer"]);
    let message = commit["comment"].as_str().unwrap_or_default();
    let parents: Vec<Oid> = parent.iter().cloned().collect();
    let new = git.write_commit(&tree, &parents, message, &author, &committer)?;
    let expected = match &head {
        Some(h) => RefExpectation::At(h.clone()),
        None => RefExpectation::Absent,
    };
    match git.update_ref(&name, &new, &expected) {
        Ok(()) => {}
        Err(crate::git::Error::StaleRef { .. }) => return Err(stale(&name)),
        Err(e) => return Err(e.into()),
    }
    let id = ctx.state.next_id();
    let repo_id = ctx.repo()?.id.clone();
    Ok(Response::json(
        201,
        &json!({
            "pushId": id,
            "date": author.date_rfc3339(),
            "pushedBy": { "displayName": ctx.caller.name, "id": super::state::guid(1) },
            "commits": [{
                "commitId": new.as_str(),
                "author": person(&author),
                "committer": person(&committer),
                "comment": message,
                "url": ctx.repo_url(&format!("/commits/{}", new.as_str())),
            }],
            "refUpdates": [{
                "repositoryId": repo_id,
                "name": name,
                "oldObjectId": head.as_ref().map_or(ZERO, Oid::as_str),
                "newObjectId": new.as_str(),
            }],
            "url": ctx.repo_url(&format!("/pushes/{id}")),
        }),
    ))
}

/// `GET …/diffs/commits?baseVersion=…&targetVersion=…&diffCommonCommit=…` (branches).
pub fn diff_commits(ctx: &mut Ctx<'_>) -> ApiResult {
    let q = |n: &str| ctx.req.query_param(n).unwrap_or_default();
    let git = ctx.git()?;
    let resolve = |name: &str| -> Result<Oid, ApiError> {
        git.branch(name)?.ok_or_else(|| {
            ApiError::new(404, &format!("TF401175: The version descriptor <Branch: {name}> could not be resolved to a version on the repository."), "GitUnresolvableToCommitException")
        })
    };
    let base = resolve(&q("baseVersion"))?;
    let target = resolve(&q("targetVersion"))?;
    let common = git.merge_base(&base, &target)?;
    let from = if q("diffCommonCommit") == "false" {
        base.clone()
    } else {
        common.clone().unwrap_or(base.clone())
    };
    let changes: Vec<Value> = git
        .diff(&from, &target)?
        .into_iter()
        .map(|d| {
            let kind = match d.status {
                'A' => "add",
                'D' => "delete",
                'R' => "rename",
                _ => "edit",
            };
            json!({ "item": { "path": format!("/{}", d.path), "gitObjectType": "blob" }, "changeType": kind })
        })
        .collect();
    Ok(Response::json(
        200,
        &json!({
            "allChangesIncluded": true,
            "changeCounts": {},
            "changes": changes,
            "commonCommit": common.as_ref().map(Oid::as_str),
            "baseCommit": base.as_str(),
            "targetCommit": target.as_str(),
            "aheadCount": 0,
            "behindCount": 0,
        }),
    ))
}

fn pull_json(ctx: &Ctx<'_>, p: &PullRequest) -> Value {
    json!({
        "pullRequestId": p.id,
        "codeReviewId": p.id,
        "status": p.status.as_str(),
        "title": p.title,
        "description": p.description,
        "sourceRefName": p.source,
        "targetRefName": p.target,
        "isDraft": p.is_draft,
        "createdBy": { "displayName": p.created_by },
        "reviewers": p.reviewers.iter().map(|r| json!({ "id": r, "vote": 0 })).collect::<Vec<_>>(),
        "labels": p.labels.iter().map(|l| json!({ "name": l, "active": true })).collect::<Vec<_>>(),
        "url": ctx.repo_url(&format!("/pullRequests/{}", p.id)),
    })
}

/// `GET …/pullrequests?searchCriteria.…`.
pub fn list_pulls(ctx: &mut Ctx<'_>) -> ApiResult {
    let q = |n: &str| ctx.req.query_param(n);
    let (source, target) = (
        q("searchCriteria.sourceRefName"),
        q("searchCriteria.targetRefName"),
    );
    let status = q("searchCriteria.status").unwrap_or_else(|| "active".into());
    let values = ctx
        .repo()?
        .pulls
        .iter()
        .filter(|p| source.as_ref().is_none_or(|s| *s == p.source))
        .filter(|p| target.as_ref().is_none_or(|t| *t == p.target))
        .filter(|p| status == "all" || p.status.as_str() == status)
        .map(|p| pull_json(ctx, p))
        .collect();
    Ok(list(values))
}

/// `POST …/pullrequests`.
pub fn create_pull(ctx: &mut Ctx<'_>) -> ApiResult {
    let b = ctx.body.clone();
    let text = |n: &str| b[n].as_str().unwrap_or_default().to_owned();
    let (source, target) = (text("sourceRefName"), text("targetRefName"));
    let git = ctx.git()?;
    for r in [&source, &target] {
        if git.resolve_ref(r)?.is_none() {
            return Err(ApiError::new(404, &format!("TF401398: The pull request cannot be activated because the source and/or the target branch no longer exists ({r})."), "GitPullRequestCannotBeActivated"));
        }
    }
    if ctx
        .repo()?
        .pulls
        .iter()
        .any(|p| p.status == PullStatus::Active && p.source == source && p.target == target)
    {
        return Err(ApiError::new(
            409,
            "TF401179: An active pull request for the source and target branch already exists.",
            "GitPullRequestExistsException",
        ));
    }
    let names = |key: &str, field: &str| -> Vec<String> {
        b[key]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|v| v[field].as_str().map(str::to_owned))
            .collect()
    };
    let id = ctx.state.next_id();
    let pull = PullRequest {
        id,
        title: text("title"),
        description: text("description"),
        source,
        target,
        status: PullStatus::Active,
        is_draft: b["isDraft"].as_bool().unwrap_or(false),
        reviewers: names("reviewers", "id"),
        labels: names("labels", "name"),
        created_by: ctx.caller.name.clone(),
        threads: Vec::new(),
    };
    let answer = pull_json(ctx, &pull);
    ctx.repo_mut()?.pulls.push(pull);
    Ok(Response::json(201, &answer))
}

fn pull_mut<'a>(ctx: &'a mut Ctx<'_>) -> Result<&'a mut PullRequest, ApiError> {
    let id: u64 = ctx.param("pullRequestId").parse().unwrap_or(0);
    ctx.repo_mut()?
        .pulls
        .iter_mut()
        .find(|p| p.id == id)
        .ok_or_else(|| {
            ApiError::new(
                404,
                &format!("TF401180: The requested pull request was not found ({id})."),
                "GitPullRequestNotFoundException",
            )
        })
}

/// `PATCH …/pullrequests/{pullRequestId}`: title, description, status.
pub fn update_pull(ctx: &mut Ctx<'_>) -> ApiResult {
    let b = ctx.body.clone();
    let pull = pull_mut(ctx)?;
    if let Some(t) = b["title"].as_str() {
        pull.title = t.to_owned();
    }
    if let Some(d) = b["description"].as_str() {
        pull.description = d.to_owned();
    }
    if b["status"].as_str() == Some("abandoned") {
        pull.status = PullStatus::Abandoned;
    }
    let pull = pull.clone();
    Ok(Response::json(200, &pull_json(ctx, &pull)))
}

fn thread_json(t: &Thread) -> Value {
    json!({
        "id": t.id,
        "status": t.status,
        "comments": t.comments.iter().enumerate().map(|(i, c)| json!({
            "id": i + 1, "parentCommentId": 0, "content": c, "commentType": "text",
        })).collect::<Vec<_>>(),
    })
}

/// `GET …/pullRequests/{pullRequestId}/threads`.
pub fn list_threads(ctx: &mut Ctx<'_>) -> ApiResult {
    let threads: Vec<Value> = pull_mut(ctx)?.threads.iter().map(thread_json).collect();
    Ok(list(threads))
}

/// `POST …/pullRequests/{pullRequestId}/threads`.
pub fn create_thread(ctx: &mut Ctx<'_>) -> ApiResult {
    let b = ctx.body.clone();
    let comments: Vec<String> = b["comments"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| c["content"].as_str().map(str::to_owned))
        .collect();
    if comments.is_empty() {
        return Err(ApiError::bad_request(
            "a thread needs a comment with content",
        ));
    }
    let id = ctx.state.next_id();
    let thread = Thread {
        id,
        comments,
        status: b["status"].as_str().unwrap_or("active").to_owned(),
    };
    let answer = thread_json(&thread);
    pull_mut(ctx)?.threads.push(thread);
    Ok(Response::json(200, &answer))
}
