//! The Gitea emulator's operations, in Gitea's documented shapes.

use base64::Engine as _;
use serde_json::{json, Value};

use super::server::{matches, ApiError, ApiResult, Ctx, PullRequest};
use crate::git::{BareRepo, ObjectKind, Oid, RefExpectation, Signature, TreeEdit, MODE_FILE};
use crate::http::Response;

fn b64() -> base64::engine::GeneralPurpose {
    base64::engine::general_purpose::STANDARD
}

fn not_found(what: &str) -> ApiError {
    ApiError::new(404, format!("{what} does not exist"))
}

/// A commit id or branch name of the request, resolved.
fn resolve(git: &BareRepo, rev: &str) -> Result<Option<Oid>, ApiError> {
    if let Some(oid) = Oid::parse(rev) {
        if git.object_kind(&oid)?.is_some() {
            return Ok(Some(oid));
        }
    }
    Ok(git.branch(rev)?)
}

fn page_params(ctx: &Ctx<'_>, size_name: &str, default: usize) -> (usize, usize) {
    let page = ctx
        .req
        .query_param("page")
        .and_then(|p| p.parse().ok())
        .filter(|p: &usize| *p >= 1)
        .unwrap_or(1);
    let size = ctx
        .req
        .query_param(size_name)
        .and_then(|p| p.parse().ok())
        .filter(|s: &usize| *s >= 1)
        .unwrap_or(default)
        .min(default.max(50));
    (page, size)
}

/// `items` cut to page `page` of `size`, with Gitea's `Link` and `X-Total-Count` headers.
fn paged(ctx: &Ctx<'_>, items: Vec<Value>, size_name: &str, default: usize) -> Response {
    let (page, size) = page_params(ctx, size_name, default);
    let total = items.len();
    let chunk: Vec<Value> = items
        .into_iter()
        .skip((page - 1) * size)
        .take(size)
        .collect();
    let mut resp =
        Response::json(200, &Value::Array(chunk)).with_header("x-total-count", total.to_string());
    if page * size < total {
        let mut query: Vec<(String, String)> = ctx
            .req
            .query_pairs()
            .into_iter()
            .filter(|(k, _)| k != "page")
            .collect();
        query.push(("page".into(), (page + 1).to_string()));
        let q: Vec<String> = query
            .iter()
            .map(|(k, v)| format!("{k}={}", crate::http::percent_encode(v)))
            .collect();
        resp = resp.with_header(
            "link",
            format!(
                "<{}{}?{}>; rel=\"next\"",
                ctx.emu.web,
                ctx.req.path,
                q.join("&")
            ),
        );
    }
    resp
}

/// `GET /repos/{owner}/{repo}`.
pub fn get_repo(ctx: &mut Ctx<'_>) -> ApiResult {
    let repo = ctx.repo()?;
    let git = ctx.git()?;
    Ok(Response::json(
        200,
        &json!({
            "id": repo.id,
            "name": repo.name,
            "full_name": format!("{}/{}", repo.owner, repo.name),
            "owner": { "login": repo.owner },
            "default_branch": repo.default_branch,
            "empty": git.is_empty()?,
            "private": true,
            "html_url": format!("{}/{}/{}", ctx.emu.web, repo.owner, repo.name),
        }),
    ))
}

/// `GET /repos/{owner}/{repo}/branches/{branch}`.
pub fn get_branch(ctx: &mut Ctx<'_>) -> ApiResult {
    let branch = ctx.param("branch").to_owned();
    let git = ctx.git()?;
    let head = git.branch(&branch)?.ok_or_else(|| not_found("branch"))?;
    let commit = git.read_commit(&head)?;
    let protected = ctx.repo()?.protected.iter().any(|p| matches(p, &branch));
    Ok(Response::json(
        200,
        &json!({
            "name": branch,
            "commit": { "id": head.as_str(), "message": commit.message },
            "protected": protected,
        }),
    ))
}

/// `GET /repos/{owner}/{repo}/git/commits/{sha}`.
pub fn get_commit(ctx: &mut Ctx<'_>) -> ApiResult {
    let git = ctx.git()?;
    let id = resolve(&git, ctx.param("sha"))?.ok_or_else(|| not_found("commit"))?;
    if git.object_kind(&id)? != Some(ObjectKind::Commit) {
        return Err(not_found("commit"));
    }
    let c = git.read_commit(&id)?;
    let who = |s: &Signature| json!({ "name": s.name, "email": s.email, "date": s.date_rfc3339() });
    Ok(Response::json(
        200,
        &json!({
            "sha": id.as_str(),
            "commit": {
                "message": c.message,
                "tree": { "sha": c.tree.as_str() },
                "author": who(&c.author),
                "committer": who(&c.committer),
            },
            "parents": c.parents.iter().map(|p| json!({ "sha": p.as_str() })).collect::<Vec<_>>(),
        }),
    ))
}

/// `GET /repos/{owner}/{repo}/git/trees/{sha}` (`recursive`, `page`, `per_page`; `truncated`
/// when entries follow the page).
pub fn get_tree(ctx: &mut Ctx<'_>) -> ApiResult {
    let git = ctx.git()?;
    let mut id = resolve(&git, ctx.param("sha"))?.ok_or_else(|| not_found("tree"))?;
    if git.object_kind(&id)? == Some(ObjectKind::Commit) {
        id = git.read_commit(&id)?.tree;
    }
    if git.object_kind(&id)? != Some(ObjectKind::Tree) {
        return Err(not_found("tree"));
    }
    let recursive = ctx.req.query_param("recursive").as_deref() == Some("true");
    let entries = git.read_tree(&id, recursive)?;
    let (page, size) = page_params(ctx, "per_page", 1000);
    let total = entries.len();
    let tree: Vec<Value> = entries
        .iter()
        .skip((page - 1) * size)
        .take(size)
        .map(|e| {
            json!({
                "path": e.path, "mode": e.mode, "type": e.kind.as_str(),
                "size": e.size.unwrap_or(0), "sha": e.oid.as_str(),
            })
        })
        .collect();
    Ok(Response::json(
        200,
        &json!({
            "sha": id.as_str(), "tree": tree, "truncated": page * size < total,
            "page": page, "total_count": total,
        }),
    ))
}

/// `GET /repos/{owner}/{repo}/git/blobs/{sha}`.
pub fn get_blob(ctx: &mut Ctx<'_>) -> ApiResult {
    let git = ctx.git()?;
    let id = Oid::parse(ctx.param("sha")).ok_or_else(|| not_found("blob"))?;
    if git.object_kind(&id)? != Some(ObjectKind::Blob) {
        return Err(not_found("blob"));
    }
    let data = git.read_blob(&id)?;
    Ok(Response::json(
        200,
        &json!({ "sha": id.as_str(), "size": data.len(), "encoding": "base64", "content": b64().encode(&data) }),
    ))
}

/// `GET /repos/{owner}/{repo}/raw/{filepath}?ref=`.
pub fn get_raw(ctx: &mut Ctx<'_>) -> ApiResult {
    let git = ctx.git()?;
    let rev = ctx.req.query_param("ref").unwrap_or_else(|| {
        ctx.repo()
            .map(|r| r.default_branch.clone())
            .unwrap_or_default()
    });
    let commit = resolve(&git, &rev)?.ok_or_else(|| not_found("ref"))?;
    let path = ctx.param("filepath");
    let blob = git.rev_parse(&format!("{}:{path}", commit.as_str()))?;
    match blob {
        Some(b) if git.object_kind(&b)? == Some(ObjectKind::Blob) => Ok(Response {
            status: 200,
            headers: vec![("content-type".into(), "application/octet-stream".into())],
            body: git.read_blob(&b)?,
        }),
        _ => Err(not_found("file")),
    }
}

/// The branch the commit goes to, its head (the base's when `new_branch` creates it).
fn commit_target(ctx: &Ctx<'_>, git: &BareRepo) -> Result<(String, Oid, bool), ApiError> {
    let repo = ctx.repo()?;
    let from = ctx.body["branch"]
        .as_str()
        .unwrap_or(&repo.default_branch)
        .to_owned();
    let head = git.branch(&from)?;
    match ctx.body["new_branch"].as_str().filter(|b| !b.is_empty()) {
        Some(new) => {
            if git.branch(new)?.is_some() {
                return Err(ApiError::new(
                    422,
                    format!("branch already exists [name: {new}]"),
                ));
            }
            let head = head.ok_or_else(|| {
                ApiError::new(404, format!("branch does not exist [name: {from}]"))
            })?;
            Ok((new.to_owned(), head, true))
        }
        None => {
            let head = head.ok_or_else(|| {
                ApiError::new(404, format!("branch does not exist [name: {from}]"))
            })?;
            Ok((from, head, false))
        }
    }
}

/// The tree edits of the operations on `head`, each checked against what is there.
fn edits(ctx: &Ctx<'_>, git: &BareRepo, head: Option<&Oid>) -> Result<Vec<TreeEdit>, ApiError> {
    let max = ctx.emu.config.max_file_bytes;
    let mut out = Vec::new();
    for f in ctx.body["files"].as_array().into_iter().flatten() {
        let path = f["path"].as_str().unwrap_or_default().to_owned();
        let existing = match head {
            Some(h) => git
                .read_tree(&git.read_commit(h)?.tree, true)?
                .into_iter()
                .find(|e| e.path == path && e.kind == ObjectKind::Blob),
            None => None,
        };
        let op = f["operation"].as_str().unwrap_or_default();
        match (op, &existing) {
            ("create", Some(_)) => {
                return Err(ApiError::new(
                    422,
                    format!("repository file already exists [path: {path}]"),
                ))
            }
            ("update" | "delete", None) => {
                return Err(ApiError::new(
                    404,
                    format!("file does not exist [path: {path}]"),
                ))
            }
            ("update" | "delete", Some(e)) if Some(e.oid.as_str()) != f["sha"].as_str() => {
                return Err(ApiError::new(
                    409,
                    format!(
                        "sha does not match [given: {}, expected: {}]",
                        f["sha"].as_str().unwrap_or(""),
                        e.oid.as_str()
                    ),
                ))
            }
            _ => {}
        }
        if op == "delete" {
            out.push(TreeEdit { path, entry: None });
            continue;
        }
        let data = b64()
            .decode(f["content"].as_str().unwrap_or_default())
            .map_err(|_| ApiError::new(422, "content is not base64"))?;
        if data.len() as u64 > max {
            return Err(ApiError::new(
                413,
                format!("file {path} is too large (over {max} bytes)"),
            ));
        }
        let mode = existing.map_or_else(|| MODE_FILE.to_owned(), |e| e.mode);
        out.push(TreeEdit {
            path,
            entry: Some((mode, git.write_blob(&data)?)),
        });
    }
    Ok(out)
}

fn identity(v: &Value, fallback: &Signature) -> Signature {
    match (v["name"].as_str(), v["email"].as_str()) {
        (Some(n), Some(e)) => Signature::now(n, e),
        _ => fallback.clone(),
    }
}

/// `POST /repos/{owner}/{repo}/contents`: one commit of the operations on the branch's current
/// head (no expected head: Gitea has none), each update and delete guarded by its `sha`.
pub fn change_files(ctx: &mut Ctx<'_>) -> ApiResult {
    let git = ctx.git()?;
    let empty = git.is_empty()?;
    let (branch, head, _) = if empty {
        let b = ctx.body["branch"].as_str().unwrap_or("main").to_owned();
        (b, Oid::null(), false)
    } else {
        commit_target(ctx, &git)?
    };
    if ctx.repo()?.protected.iter().any(|p| matches(p, &branch)) {
        return Err(ApiError::new(
            403,
            format!("branch {branch} is protected: user is not allowed to push to it"),
        ));
    }
    let head = (!empty).then_some(head);
    let edits = edits(ctx, &git, head.as_ref())?;
    let base_tree = match &head {
        Some(h) => Some(git.read_commit(h)?.tree),
        None => None,
    };
    let tree = git.edit_tree(base_tree.as_ref(), &edits)?;
    let bot = Signature::now("gitea-bot", "bot@gitea.example");
    let author = identity(&ctx.body["author"], &bot);
    let committer = identity(&ctx.body["committer"], &author);
    let message = ctx.body["message"]
        .as_str()
        .unwrap_or("Update files")
        .to_owned();
    let parents: Vec<Oid> = head.iter().cloned().collect();
    let commit = git.write_commit(&tree, &parents, &message, &author, &committer)?;
    let expected = match &head {
        Some(h) if git.branch(&branch)?.is_some() => RefExpectation::At(h.clone()),
        _ => RefExpectation::Absent,
    };
    git.update_ref(&format!("refs/heads/{branch}"), &commit, &expected)
        .map_err(|e| ApiError::new(409, format!("the branch moved: {e}")))?;
    if empty {
        if let Ok(repo) = ctx.repo_mut() {
            repo.default_branch = branch.clone();
        }
    }
    Ok(Response::json(
        201,
        &json!({
            "files": [],
            "commit": {
                "sha": commit.as_str(),
                "message": message,
                "parents": parents.iter().map(|p| json!({ "sha": p.as_str() })).collect::<Vec<_>>(),
            },
        }),
    ))
}

fn pull_json(ctx: &Ctx<'_>, p: &PullRequest) -> Result<Value, ApiError> {
    let repo = ctx.repo()?;
    Ok(json!({
        "id": p.number, "number": p.number, "title": p.title, "body": p.body, "state": p.state,
        "merged": p.merged,
        "html_url": format!("{}/{}/{}/pulls/{}", ctx.emu.web, repo.owner, repo.name, p.number),
        "head": { "ref": p.head, "label": p.head, "repo_id": repo.id },
        "base": { "ref": p.base, "label": p.base, "repo_id": repo.id },
        "assignees": p.assignees.iter().map(|a| json!({ "login": a })).collect::<Vec<_>>(),
        "labels": p.labels.iter().map(|l| json!({ "id": l })).collect::<Vec<_>>(),
    }))
}

/// `GET /repos/{owner}/{repo}/pulls` (`state`, `page`, `limit`).
pub fn list_pulls(ctx: &mut Ctx<'_>) -> ApiResult {
    let state = ctx
        .req
        .query_param("state")
        .unwrap_or_else(|| "open".into());
    let pulls = ctx.repo()?.pulls.clone();
    let mut items = Vec::new();
    for p in pulls
        .iter()
        .rev()
        .filter(|p| state == "all" || p.state == state)
    {
        items.push(pull_json(ctx, p)?);
    }
    Ok(paged(ctx, items, "limit", 50))
}

fn pull_mut<'a>(ctx: &'a mut Ctx<'_>) -> Result<&'a mut PullRequest, ApiError> {
    let number: u64 = ctx
        .param("index")
        .parse()
        .map_err(|_| not_found("pull request"))?;
    ctx.repo_mut()?
        .pulls
        .iter_mut()
        .find(|p| p.number == number)
        .ok_or_else(|| not_found("pull request"))
}

/// `POST /repos/{owner}/{repo}/pulls`: 409 when an open one from `head` to `base` exists.
pub fn create_pull(ctx: &mut Ctx<'_>) -> ApiResult {
    let b = ctx.body.clone();
    let (head, base) = (
        b["head"].as_str().unwrap_or_default().to_owned(),
        b["base"].as_str().unwrap_or_default().to_owned(),
    );
    let git = ctx.git()?;
    if git.branch(&head)?.is_none() || git.branch(&base)?.is_none() {
        return Err(not_found("branch"));
    }
    if ctx
        .repo()?
        .pulls
        .iter()
        .any(|p| p.state == "open" && p.head == head && p.base == base)
    {
        return Err(ApiError::new(
            409,
            "pull request already exists for these targets",
        ));
    }
    let labels: Vec<u64> = b["labels"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_u64)
        .collect();
    let known: Vec<u64> = ctx.repo()?.labels.iter().map(|(id, _)| *id).collect();
    if let Some(l) = labels.iter().find(|l| !known.contains(l)) {
        return Err(ApiError::new(
            422,
            format!("label does not exist [id: {l}]"),
        ));
    }
    let number = ctx.state.next_id();
    let pull = PullRequest {
        number,
        title: b["title"].as_str().unwrap_or_default().to_owned(),
        body: b["body"].as_str().unwrap_or_default().to_owned(),
        head,
        base,
        state: "open".into(),
        merged: false,
        labels,
        assignees: b["assignees"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|a| a.as_str().map(str::to_owned))
            .collect(),
        reviewers: Vec::new(),
        comments: Vec::new(),
    };
    ctx.repo_mut()?.pulls.push(pull.clone());
    Ok(Response::json(201, &pull_json(ctx, &pull)?))
}

/// `PATCH /repos/{owner}/{repo}/pulls/{index}`.
pub fn edit_pull(ctx: &mut Ctx<'_>) -> ApiResult {
    let b = ctx.body.clone();
    let p = pull_mut(ctx)?;
    if let Some(t) = b["title"].as_str() {
        p.title = t.to_owned();
    }
    if let Some(t) = b["body"].as_str() {
        p.body = t.to_owned();
    }
    let p = p.clone();
    Ok(Response::json(201, &pull_json(ctx, &p)?))
}

/// `POST /repos/{owner}/{repo}/pulls/{index}/requested_reviewers`.
pub fn request_reviews(ctx: &mut Ctx<'_>) -> ApiResult {
    let reviewers: Vec<String> = ctx.body["reviewers"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|a| a.as_str().map(str::to_owned))
        .collect();
    let p = pull_mut(ctx)?;
    p.reviewers.extend(reviewers.iter().cloned());
    Ok(Response::json(
        201,
        &Value::Array(
            reviewers
                .iter()
                .map(|r| json!({ "user": { "login": r }, "state": "REQUEST_REVIEW" }))
                .collect(),
        ),
    ))
}

/// `GET /repos/{owner}/{repo}/labels`.
pub fn list_labels(ctx: &mut Ctx<'_>) -> ApiResult {
    let items = ctx
        .repo()?
        .labels
        .iter()
        .map(|(id, name)| json!({ "id": id, "name": name, "color": "ee0701" }))
        .collect();
    Ok(paged(ctx, items, "limit", 50))
}

/// `GET /repos/{owner}/{repo}/issues/{index}/comments`.
pub fn list_comments(ctx: &mut Ctx<'_>) -> ApiResult {
    let comments = pull_mut(ctx)?.comments.clone();
    let items = comments
        .iter()
        .enumerate()
        .map(|(i, c)| json!({ "id": i + 1, "body": c }))
        .collect();
    Ok(Response::json(200, &Value::Array(items)))
}

/// `POST /repos/{owner}/{repo}/issues/{index}/comments`.
pub fn create_comment(ctx: &mut Ctx<'_>) -> ApiResult {
    let body = ctx.body["body"].as_str().unwrap_or_default().to_owned();
    let p = pull_mut(ctx)?;
    p.comments.push(body.clone());
    let id = p.comments.len();
    Ok(Response::json(201, &json!({ "id": id, "body": body })))
}

/// The token's user (the emulator has one: `gensync-bot`).
pub const USER: &str = "gensync-bot";

/// `GET /user`.
pub fn get_user(_ctx: &mut Ctx<'_>) -> ApiResult {
    Ok(Response::json(200, &json!({ "id": 1, "login": USER })))
}

fn repo_summary(ctx: &Ctx<'_>, r: &super::server::RepoState) -> Value {
    json!({
        "id": r.id, "name": r.name, "full_name": format!("{}/{}", r.owner, r.name),
        "owner": { "login": r.owner }, "default_branch": r.default_branch, "private": true,
        "html_url": format!("{}/{}/{}", ctx.emu.web, r.owner, r.name),
    })
}

fn repos_of(ctx: &Ctx<'_>, owner: &str) -> Vec<Value> {
    ctx.state
        .repos
        .values()
        .filter(|r| r.owner.eq_ignore_ascii_case(owner))
        .map(|r| repo_summary(ctx, r))
        .collect()
}

/// `GET /user/repos`.
pub fn list_user_repos(ctx: &mut Ctx<'_>) -> ApiResult {
    let items = repos_of(ctx, USER);
    Ok(paged(ctx, items, "limit", 50))
}

/// `GET /orgs/{org}/repos`.
pub fn list_org_repos(ctx: &mut Ctx<'_>) -> ApiResult {
    let org = ctx.param("org").to_owned();
    if org.eq_ignore_ascii_case(USER) {
        return Err(not_found("organization"));
    }
    let items = repos_of(ctx, &org);
    Ok(paged(ctx, items, "limit", 50))
}

/// `POST /user/repos` and `POST /orgs/{org}/repos` (`auto_init`: a first commit with a README).
pub fn create_repo(ctx: &mut Ctx<'_>) -> ApiResult {
    let owner = match ctx.param("org") {
        "" => USER.to_owned(),
        org => org.to_owned(),
    };
    let name = ctx.body["name"].as_str().unwrap_or_default().to_owned();
    let full = format!("{owner}/{name}");
    if ctx.state.repo(&full).is_some() {
        return Err(ApiError::new(
            409,
            "The repository with the same name already exists.",
        ));
    }
    let files = ctx.body["auto_init"]
        .as_bool()
        .unwrap_or(false)
        .then(Vec::new);
    super::server::create_repo(ctx.emu, ctx.state, &full, files.as_deref())
        .map_err(|e| ApiError::new(422, e.to_string()))?;
    let repo = ctx
        .state
        .repo(&full)
        .cloned()
        .ok_or_else(|| not_found("repository"))?;
    Ok(Response::json(201, &repo_summary(ctx, &repo)))
}
