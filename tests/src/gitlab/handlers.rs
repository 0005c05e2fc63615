//! The GitLab REST API v4 operations, over the project's bare repository, answered in the
//! shapes of GitLab's documentation (doc/api/projects.md, repositories.md, repository_files.md,
//! commits.md, branches.md, merge_requests.md, notes.md).

use std::collections::BTreeMap;

use base64::Engine as _;
use serde_json::{json, Value};

use super::server::{ApiError, ApiResult, Ctx};
use super::state::{MergeRequest, Note};
use crate::git::{BareRepo, Oid, Signature, TreeEdit, MODE_EXECUTABLE, MODE_FILE};
use crate::http::{percent_encode, Response};

/// The fields an action of `POST …/repository/commits` may have (doc/api/commits.md).
const ACTION_FIELDS: &[&str] = &[
    "action",
    "file_path",
    "previous_path",
    "content",
    "encoding",
    "last_commit_id",
    "execute_filemode",
];

/// What commits.md's parameter table finds wrong with a commit request body.
pub fn commit_problems(body: &Value) -> Vec<String> {
    let mut out = Vec::new();
    for key in ["branch", "commit_message"] {
        if !body[key].is_string() {
            out.push(format!("{key} is required and must be a string"));
        }
    }
    let Some(actions) = body["actions"].as_array() else {
        out.push("actions is required and must be an array".into());
        return out;
    };
    for (i, a) in actions.iter().enumerate() {
        let Some(map) = a.as_object() else {
            out.push(format!("actions[{i}] is not an object"));
            continue;
        };
        for key in map.keys() {
            if !ACTION_FIELDS.contains(&key.as_str()) {
                out.push(format!("actions[{i}].{key} is not an action field"));
            }
        }
        let kind = a["action"].as_str().unwrap_or_default();
        if !["create", "update", "delete", "move", "chmod"].contains(&kind) {
            out.push(format!(
                "actions[{i}].action {kind:?} is not create, update, delete, move or chmod"
            ));
        }
        if !a["file_path"].is_string() {
            out.push(format!("actions[{i}].file_path is required"));
        }
        if let Some(e) = a.get("encoding") {
            if !matches!(e.as_str(), Some("text" | "base64")) {
                out.push(format!("actions[{i}].encoding must be text or base64"));
            }
        }
        if a.get("execute_filemode").is_some_and(|v| !v.is_boolean()) {
            out.push(format!("actions[{i}].execute_filemode must be a boolean"));
        }
        if kind == "chmod" && !a["execute_filemode"].is_boolean() {
            out.push(format!("actions[{i}]: chmod needs execute_filemode"));
        }
    }
    out
}

fn project_json(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let p = ctx.project()?;
    let git = ctx.git()?;
    let empty = git.is_empty()?;
    let full = format!("{}/{}", p.namespace, p.path);
    Ok(json!({
        "id": p.id,
        "name": p.path,
        "path": p.path,
        "path_with_namespace": full,
        "default_branch": if empty { Value::Null } else { json!(git.head_branch()?) },
        "empty_repo": empty,
        "web_url": format!("{}/{full}", ctx.emu.web),
    }))
}

/// `GET /projects/:id`.
pub fn get_project(ctx: &mut Ctx<'_>) -> ApiResult {
    Ok(Response::json(200, &project_json(ctx)?))
}

fn commit_json(git: &BareRepo, oid: &Oid) -> Result<Value, ApiError> {
    let c = git.read_commit(oid)?;
    Ok(json!({
        "id": oid.as_str(),
        "short_id": &oid.as_str()[..8],
        "title": c.message.lines().next().unwrap_or_default(),
        "message": c.message,
        "parent_ids": c.parents.iter().map(|p| p.as_str().to_owned()).collect::<Vec<_>>(),
        "author_name": c.author.name,
        "author_email": c.author.email,
        "committer_name": c.committer.name,
        "committer_email": c.committer.email,
        "authored_date": c.author.date_rfc3339(),
        "committed_date": c.committer.date_rfc3339(),
    }))
}

/// `GET /projects/:id/repository/branches/:branch`.
pub fn get_branch(ctx: &mut Ctx<'_>) -> ApiResult {
    let git = ctx.git()?;
    let name = ctx.param("branch").to_owned();
    let head = git
        .branch(&name)?
        .ok_or_else(|| ApiError::not_found("Branch"))?;
    let protected = ctx.project()?.protected.contains(&name);
    Ok(Response::json(
        200,
        &json!({ "name": name, "commit": commit_json(&git, &head)?, "protected": protected, "merged": false, "default": git.head_branch()? == name }),
    ))
}

/// A commit-ish (`ref` parameters: a sha, a branch), `None` when it names nothing.
fn resolve(git: &BareRepo, name: &str) -> Result<Option<Oid>, ApiError> {
    if let Some(oid) = Oid::parse(name) {
        if git.object_kind(&oid)?.is_some() {
            return Ok(Some(oid));
        }
    }
    Ok(git.branch(name)?)
}

/// `GET /projects/:id/repository/tree` (`recursive`, keyset pagination with `page_token`).
pub fn tree(ctx: &mut Ctx<'_>) -> ApiResult {
    let git = ctx.git()?;
    let reference = ctx.req.query_param("ref").unwrap_or(git.head_branch()?);
    let commit = resolve(&git, &reference)?.ok_or_else(|| ApiError::not_found("Tree"))?;
    let tree = git.read_commit(&commit)?.tree;
    let recursive = ctx.req.query_param("recursive").as_deref() == Some("true");
    let per_page: usize = ctx
        .req
        .query_param("per_page")
        .and_then(|p| p.parse().ok())
        .unwrap_or(20)
        .clamp(1, 100);
    let after = ctx.req.query_param("page_token");
    let entries = git.read_tree(&tree, recursive)?;
    let rest: Vec<_> = entries
        .iter()
        .filter(|e| after.as_deref().is_none_or(|a| e.path.as_str() > a))
        .collect();
    let page: Vec<Value> = rest
        .iter()
        .take(per_page)
        .map(|e| {
            json!({
                "id": e.oid.as_str(),
                "name": e.path.rsplit('/').next().unwrap_or_default(),
                "type": e.kind.as_str(),
                "path": e.path,
                "mode": e.mode,
            })
        })
        .collect();
    let mut resp = Response::json(200, &Value::Array(page));
    if rest.len() > per_page {
        let last = &rest[per_page - 1].path;
        let mut query: Vec<(String, String)> = ctx
            .req
            .query_pairs()
            .into_iter()
            .filter(|(k, _)| k != "page_token")
            .collect();
        query.push(("page_token".into(), last.clone()));
        let q: Vec<String> = query
            .iter()
            .map(|(k, v)| format!("{k}={}", percent_encode(v)))
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
    Ok(resp)
}

/// `GET /projects/:id/repository/files/:file_path/raw?ref=`.
pub fn raw_file(ctx: &mut Ctx<'_>) -> ApiResult {
    let git = ctx.git()?;
    let reference = ctx.req.query_param("ref").unwrap_or(git.head_branch()?);
    let commit = resolve(&git, &reference)?.ok_or_else(|| ApiError::not_found("Commit"))?;
    let path = ctx.param("file_path");
    let found = git.rev_parse(&format!("{}:{path}", commit.as_str()))?;
    let Some(oid) =
        found.filter(|o| matches!(git.object_kind(o), Ok(Some(crate::git::ObjectKind::Blob))))
    else {
        return Err(ApiError::not_found("File"));
    };
    Ok(raw(git.read_blob(&oid)?))
}

fn raw(data: Vec<u8>) -> Response {
    Response {
        status: 200,
        headers: vec![("content-type".into(), "text/plain; charset=utf-8".into())],
        body: data,
    }
}

/// `GET /projects/:id/repository/blobs/:sha/raw`.
pub fn raw_blob(ctx: &mut Ctx<'_>) -> ApiResult {
    let git = ctx.git()?;
    let oid = Oid::parse(ctx.param("sha")).ok_or_else(|| ApiError::not_found("Blob"))?;
    if git.object_kind(&oid)? != Some(crate::git::ObjectKind::Blob) {
        return Err(ApiError::not_found("Blob"));
    }
    Ok(raw(git.read_blob(&oid)?))
}

/// `GET /projects/:id/repository/commits/:sha`.
pub fn get_commit(ctx: &mut Ctx<'_>) -> ApiResult {
    let git = ctx.git()?;
    let oid = resolve(&git, ctx.param("sha"))?.ok_or_else(|| ApiError::not_found("Commit"))?;
    Ok(Response::json(200, &commit_json(&git, &oid)?))
}

/// `GET /projects/:id/repository/commits?ref_name=&per_page=`.
pub fn list_commits(ctx: &mut Ctx<'_>) -> ApiResult {
    let git = ctx.git()?;
    let reference = ctx
        .req
        .query_param("ref_name")
        .unwrap_or(git.head_branch()?);
    let Some(head) = resolve(&git, &reference)? else {
        return Ok(Response::json(200, &json!([])));
    };
    let per_page: usize = ctx
        .req
        .query_param("per_page")
        .and_then(|p| p.parse().ok())
        .unwrap_or(20);
    let list: Result<Vec<Value>, ApiError> = git
        .rev_list(&head, None)?
        .iter()
        .take(per_page)
        .map(|c| commit_json(&git, c))
        .collect();
    Ok(Response::json(200, &Value::Array(list?)))
}

/// The files of `commit`: path → (mode, blob).
fn files_at(
    git: &BareRepo,
    commit: Option<&Oid>,
) -> Result<BTreeMap<String, (String, Oid)>, ApiError> {
    let Some(commit) = commit else {
        return Ok(BTreeMap::new());
    };
    let tree = git.read_commit(commit)?.tree;
    Ok(git
        .read_tree(&tree, true)?
        .into_iter()
        .filter(|e| e.kind == crate::git::ObjectKind::Blob)
        .map(|e| (e.path, (e.mode, e.oid)))
        .collect())
}

/// Applies `actions` to `files`, in GitLab's words when one does not fit.
fn apply_actions(
    git: &BareRepo,
    files: &mut BTreeMap<String, (String, Oid)>,
    actions: &[Value],
) -> Result<Vec<TreeEdit>, ApiError> {
    let mut edits = Vec::new();
    for a in actions {
        let path = a["file_path"].as_str().unwrap_or_default().to_owned();
        let kind = a["action"].as_str().unwrap_or_default();
        let existing = files.get(&path).cloned();
        let content = || -> Result<Vec<u8>, ApiError> {
            let text = a["content"].as_str().unwrap_or_default();
            if a["encoding"].as_str() == Some("base64") {
                base64::engine::general_purpose::STANDARD
                    .decode(text)
                    .map_err(|_| ApiError::bad_request("content is not valid base64"))
            } else {
                Ok(text.as_bytes().to_vec())
            }
        };
        let mode_for = |old: Option<&str>| match a["execute_filemode"].as_bool() {
            Some(true) => MODE_EXECUTABLE.to_owned(),
            Some(false) => MODE_FILE.to_owned(),
            None => old.unwrap_or(MODE_FILE).to_owned(),
        };
        let missing =
            || ApiError::bad_request(format!("A file with this name doesn't exist: {path}"));
        let entry = match kind {
            "create" => {
                if existing.is_some() {
                    return Err(ApiError::bad_request(format!(
                        "A file with this name already exists: {path}"
                    )));
                }
                Some((mode_for(None), git.write_blob(&content()?)?))
            }
            "update" => {
                let (old, _) = existing.ok_or_else(missing)?;
                Some((mode_for(Some(&old)), git.write_blob(&content()?)?))
            }
            "chmod" => {
                let (old, oid) = existing.ok_or_else(missing)?;
                Some((mode_for(Some(&old)), oid))
            }
            "delete" => {
                existing.ok_or_else(missing)?;
                None
            }
            other => {
                return Err(ApiError::bad_request(format!(
                    "the emulator does not implement action {other}"
                )))
            }
        };
        match &entry {
            Some(e) => files.insert(path.clone(), e.clone()),
            None => files.remove(&path),
        };
        edits.push(TreeEdit { path, entry });
    }
    Ok(edits)
}

/// `POST /projects/:id/repository/commits`: the actions applied on the branch's current head
/// (or on `start_sha` for a new branch), without any check of the head the client saw.
pub fn create_commit(ctx: &mut Ctx<'_>) -> ApiResult {
    let git = ctx.git()?;
    let branch = ctx.body["branch"].as_str().unwrap_or_default().to_owned();
    if ctx.project()?.protected.contains(&branch) {
        return Err(ApiError::new(
            403,
            "You are not allowed to push into this branch",
        ));
    }
    let head = git.branch(&branch)?;
    let base = match (ctx.body["start_sha"].as_str(), &head) {
        (Some(_), Some(_)) => {
            return Err(ApiError::bad_request(format!(
                "A branch called '{branch}' already exists. Switch to that branch in order to make changes"
            )))
        }
        (Some(sha), None) => Some(resolve(&git, sha)?.ok_or_else(|| ApiError::bad_request("Invalid start_sha"))?),
        (None, Some(h)) => Some(h.clone()),
        (None, None) if git.is_empty()? => None,
        (None, None) => {
            return Err(ApiError::bad_request("You can only create or edit files when you are on a branch"))
        }
    };
    let actions = ctx.body["actions"].as_array().cloned().unwrap_or_default();
    let mut files = files_at(&git, base.as_ref())?;
    let edits = apply_actions(&git, &mut files, &actions)?;
    let base_tree = match &base {
        Some(b) => Some(git.read_commit(b)?.tree),
        None => None,
    };
    let tree = git
        .edit_tree(base_tree.as_ref(), &edits)
        .map_err(|e| ApiError::bad_request(e.to_string()))?;
    let author = match (
        ctx.body["author_name"].as_str(),
        ctx.body["author_email"].as_str(),
    ) {
        (Some(n), Some(e)) => Signature::now(n, e),
        _ => Signature::now("gensync bot", "bot@gitlab.example"),
    };
    let committer = Signature::now("gensync bot", "bot@gitlab.example");
    let message = ctx.body["commit_message"].as_str().unwrap_or_default();
    let parents: Vec<Oid> = base.iter().cloned().collect();
    let commit = git.write_commit(&tree, &parents, message, &author, &committer)?;
    let expected = match head {
        Some(h) => crate::git::RefExpectation::At(h),
        None => crate::git::RefExpectation::Absent,
    };
    git.update_ref(&format!("refs/heads/{branch}"), &commit, &expected)
        .map_err(|e| ApiError::bad_request(format!("Could not update {branch}: {e}")))?;
    Ok(Response::json(201, &commit_json(&git, &commit)?))
}

/// `GET /projects/:id/repository/compare?from=&to=&straight=`.
pub fn compare(ctx: &mut Ctx<'_>) -> ApiResult {
    let git = ctx.git()?;
    let get = |name: &str| ctx.req.query_param(name).unwrap_or_default();
    let from = resolve(&git, &get("from"))?.ok_or_else(|| ApiError::not_found("Ref"))?;
    let to = resolve(&git, &get("to"))?.ok_or_else(|| ApiError::not_found("Ref"))?;
    let start = if get("straight") == "true" {
        from.clone()
    } else {
        git.merge_base(&from, &to)?.unwrap_or(from.clone())
    };
    let commits: Result<Vec<Value>, ApiError> = git
        .rev_list(&to, Some(&from))?
        .iter()
        .map(|c| commit_json(&git, c))
        .collect();
    let diffs: Vec<Value> = git
        .diff(&start, &to)?
        .into_iter()
        .map(|d| {
            json!({
                "old_path": d.old_path.clone().unwrap_or(d.path.clone()),
                "new_path": d.path,
                "new_file": d.status == 'A',
                "deleted_file": d.status == 'D',
                "renamed_file": d.status == 'R',
                "diff": "",
            })
        })
        .collect();
    Ok(Response::json(
        200,
        &json!({ "commit": commit_json(&git, &to)?, "commits": commits?, "diffs": diffs, "compare_timeout": false, "compare_same_ref": from == to }),
    ))
}

fn mr_json(ctx: &Ctx<'_>, m: &MergeRequest) -> Result<Value, ApiError> {
    let p = ctx.project()?;
    Ok(json!({
        "id": m.id,
        "iid": m.iid,
        "project_id": p.id,
        "title": m.title,
        "description": m.description,
        "state": m.state,
        "source_branch": m.source_branch,
        "target_branch": m.target_branch,
        "draft": m.title.starts_with("Draft:"),
        "labels": m.labels,
        "web_url": format!("{}/{}/{}/-/merge_requests/{}", ctx.emu.web, p.namespace, p.path, m.iid),
    }))
}

/// `GET /projects/:id/merge_requests?state=&source_branch=&target_branch=`.
pub fn list_mrs(ctx: &mut Ctx<'_>) -> ApiResult {
    let q = |n: &str| ctx.req.query_param(n);
    let (state, source, target) = (q("state"), q("source_branch"), q("target_branch"));
    let mut out = Vec::new();
    for m in ctx.project()?.merge_requests.iter().rev() {
        let state_ok = match state.as_deref() {
            None | Some("all") => true,
            Some(s) => m.state == s,
        };
        if state_ok
            && source.as_deref().is_none_or(|s| s == m.source_branch)
            && target.as_deref().is_none_or(|t| t == m.target_branch)
        {
            out.push(mr_json(ctx, m)?);
        }
    }
    Ok(Response::json(200, &Value::Array(out)))
}

fn ids(v: &Value) -> Vec<u64> {
    v.as_array()
        .map(|a| a.iter().filter_map(Value::as_u64).collect())
        .unwrap_or_default()
}

/// `POST /projects/:id/merge_requests`.
pub fn create_mr(ctx: &mut Ctx<'_>) -> ApiResult {
    let b = ctx.body.clone();
    let (source, target, title) = (
        b["source_branch"].as_str().unwrap_or_default().to_owned(),
        b["target_branch"].as_str().unwrap_or_default().to_owned(),
        b["title"].as_str().unwrap_or_default().to_owned(),
    );
    if source.is_empty() || target.is_empty() || title.is_empty() {
        return Err(ApiError::bad_request(
            "source_branch, target_branch and title are required",
        ));
    }
    let git = ctx.git()?;
    if git.branch(&source)?.is_none() || git.branch(&target)?.is_none() {
        return Err(ApiError::bad_request(json!([
            "Source branch or target branch does not exist"
        ])));
    }
    if let Some(m) = ctx
        .project()?
        .merge_requests
        .iter()
        .find(|m| m.state == "opened" && m.source_branch == source && m.target_branch == target)
    {
        return Err(ApiError::new(
            409,
            json!([format!(
                "Another open merge request already exists for this source branch: !{}",
                m.iid
            )]),
        ));
    }
    let id = ctx.state.next_id();
    let project = ctx.project_mut()?;
    let m = MergeRequest {
        id,
        iid: project.merge_requests.len() as u64 + 1,
        title,
        description: b["description"].as_str().unwrap_or_default().to_owned(),
        source_branch: source,
        target_branch: target,
        state: "opened".into(),
        labels: b["labels"]
            .as_str()
            .map(|l| {
                l.split(',')
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default(),
        assignee_ids: ids(&b["assignee_ids"]),
        reviewer_ids: ids(&b["reviewer_ids"]),
        notes: Vec::new(),
    };
    project.merge_requests.push(m.clone());
    Ok(Response::json(201, &mr_json(ctx, &m)?))
}

fn mr_index(ctx: &Ctx<'_>) -> Result<usize, ApiError> {
    let iid: u64 = ctx
        .param("merge_request_iid")
        .parse()
        .map_err(|_| ApiError::not_found("Merge Request"))?;
    ctx.project()?
        .merge_requests
        .iter()
        .position(|m| m.iid == iid)
        .ok_or_else(|| ApiError::not_found("Merge Request"))
}

/// `PUT /projects/:id/merge_requests/:merge_request_iid`.
pub fn update_mr(ctx: &mut Ctx<'_>) -> ApiResult {
    let i = mr_index(ctx)?;
    let b = ctx.body.clone();
    let m = &mut ctx.project_mut()?.merge_requests[i];
    if let Some(t) = b["title"].as_str() {
        m.title = t.to_owned();
    }
    if let Some(d) = b["description"].as_str() {
        m.description = d.to_owned();
    }
    let m = m.clone();
    Ok(Response::json(200, &mr_json(ctx, &m)?))
}

/// `GET /projects/:id/merge_requests/:merge_request_iid/notes`.
pub fn list_notes(ctx: &mut Ctx<'_>) -> ApiResult {
    let i = mr_index(ctx)?;
    let notes: Vec<Value> = ctx.project()?.merge_requests[i]
        .notes
        .iter()
        .rev()
        .map(|n| json!({ "id": n.id, "body": n.body, "system": false, "noteable_type": "MergeRequest" }))
        .collect();
    Ok(Response::json(200, &Value::Array(notes)))
}

/// `POST /projects/:id/merge_requests/:merge_request_iid/notes`.
pub fn create_note(ctx: &mut Ctx<'_>) -> ApiResult {
    let i = mr_index(ctx)?;
    let Some(body) = ctx.body["body"].as_str().map(str::to_owned) else {
        return Err(ApiError::bad_request("400 Bad request - body is missing"));
    };
    let id = ctx.state.next_id();
    ctx.project_mut()?.merge_requests[i].notes.push(Note {
        id,
        body: body.clone(),
    });
    Ok(Response::json(
        201,
        &json!({ "id": id, "body": body, "system": false, "noteable_type": "MergeRequest" }),
    ))
}

/// `GET /users?username=`: every user name exists, with an id derived from it.
pub fn users(ctx: &mut Ctx<'_>) -> ApiResult {
    let Some(name) = ctx.req.query_param("username") else {
        return Ok(Response::json(200, &json!([])));
    };
    let id = name
        .bytes()
        .fold(7u64, |h, b| h.wrapping_mul(31).wrapping_add(u64::from(b)))
        % 1_000_000;
    Ok(Response::json(
        200,
        &json!([{ "id": id, "username": name, "name": name, "state": "active" }]),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::emulator::routes::segments;

    #[test]
    fn commit_bodies_are_checked_against_commits_md() {
        let good = json!({"branch": "b", "commit_message": "m", "actions": [
            {"action": "create", "file_path": "a", "content": "x"},
            {"action": "chmod", "file_path": "a", "execute_filemode": true},
        ]});
        assert!(commit_problems(&good).is_empty());
        let bad = json!({"branch": "b", "actions": [
            {"action": "copy", "file_path": "a", "mode": "100755"},
            {"action": "update", "file_path": "a", "encoding": "hex"},
            {"action": "chmod", "file_path": "a"},
        ]});
        let problems = commit_problems(&bad).join("\n");
        for expected in [
            "commit_message is required",
            "\"copy\" is not create",
            "actions[0].mode is not an action field",
            "actions[1].encoding must be text or base64",
            "chmod needs execute_filemode",
        ] {
            assert!(problems.contains(expected), "{expected}: {problems}");
        }
    }

    #[test]
    fn routes_take_an_encoded_project_path_as_one_segment() {
        let request = crate::http::Request {
            method: "GET".into(),
            path: "/api/v4/projects/acme%2Fplatform%2Fapp/repository/files/src%2Fa.ts/raw".into(),
            query: String::new(),
            headers: Vec::new(),
            body: Vec::new(),
        };
        let decoded = request.path_segments();
        let (r, p) = super::super::server::find("GET", &decoded[2..]).expect("route");
        assert_eq!(
            r.template,
            "/projects/{id}/repository/files/{file_path}/raw"
        );
        assert_eq!(p[0].1, "acme/platform/app");
        assert_eq!(p[1].1, "src/a.ts");
        assert!(super::super::server::find("DELETE", &segments("/projects/1")).is_none());
    }
}
