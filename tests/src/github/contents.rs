//! The contents API: reading a file or directory at a ref, and creating or updating one file
//! with a commit — the only way to put a first commit into an empty repository over the API.

use serde_json::{json, Value};

use super::api::{ok, ApiError, ApiResult, Ctx};
use super::git_data::{base64_lines, decode_base64, person, web_flow};
use super::render;
use crate::git::{
    BareRepo, ObjectKind, Oid, RefExpectation, Signature, TreeEdit, TreeEntry, MODE_FILE,
    MODE_SYMLINK,
};
use crate::http::Response;

/// The entry at `path` in `tree`, walking one directory at a time.
fn lookup(git: &BareRepo, tree: &Oid, path: &str) -> Result<Option<TreeEntry>, ApiError> {
    let mut current = tree.clone();
    let components: Vec<&str> = path.split('/').filter(|c| !c.is_empty()).collect();
    for (i, component) in components.iter().enumerate() {
        let Some(entry) = git
            .read_tree(&current, false)?
            .into_iter()
            .find(|e| e.path == *component)
        else {
            return Ok(None);
        };
        if i == components.len() - 1 {
            return Ok(Some(TreeEntry {
                path: components.join("/"),
                ..entry
            }));
        }
        if entry.kind != ObjectKind::Tree {
            return Ok(None);
        }
        current = entry.oid;
    }
    Ok(None)
}

fn entry_type(entry: &TreeEntry) -> &'static str {
    match (entry.kind, entry.mode.as_str()) {
        (ObjectKind::Tree, _) => "dir",
        (ObjectKind::Commit, _) => "submodule",
        (_, MODE_SYMLINK) => "symlink",
        _ => "file",
    }
}

fn entry_json(ctx: &Ctx<'_>, entry: &TreeEntry, reference: &str) -> Value {
    let full_name = ctx.full_name();
    let name = entry.path.rsplit('/').next().unwrap_or_default();
    let kind = entry_type(entry);
    let url = ctx.api_url(&format!(
        "/repos/{full_name}/contents/{}?ref={reference}",
        entry.path
    ));
    let git_url = ctx.api_url(&format!(
        "/repos/{full_name}/git/{}s/{}",
        entry.kind.as_str(),
        entry.oid
    ));
    let html_url = ctx.html_url(&format!("/{full_name}/blob/{reference}/{}", entry.path));
    let download_url = (kind == "file")
        .then(|| ctx.html_url(&format!("/{full_name}/raw/{reference}/{}", entry.path)));
    json!({
        "type": kind,
        "size": entry.size.unwrap_or(0),
        "name": name,
        "path": entry.path,
        "sha": entry.oid.as_str(),
        "url": url,
        "git_url": git_url,
        "html_url": html_url,
        "download_url": download_url,
        "_links": {"self": url, "git": git_url, "html": html_url},
    })
}

/// `GET /repos/{owner}/{repo}/contents/{path}[?ref=…]`: a file (base64), a symlink (with its
/// target) or a directory listing.
pub fn get(ctx: &mut Ctx<'_>) -> ApiResult {
    let git = ctx.git()?;
    if git.is_empty()? {
        return Err(ApiError::new(404, "This repository is empty."));
    }
    let reference = ctx.query("ref").unwrap_or(git.head_branch()?);
    let commit = match Oid::parse(&reference) {
        Some(oid) => Some(oid),
        None => git.branch(&reference)?,
    };
    let commit = commit
        .ok_or_else(|| ApiError::new(404, &format!("No commit found for the ref {reference}")))?;
    let tree = git.read_commit(&commit)?.tree;
    let path = ctx.param("path").trim_matches('/').to_owned();
    let entry = lookup(&git, &tree, &path)?.ok_or_else(ApiError::not_found)?;
    if entry.kind == ObjectKind::Tree {
        let listing: Vec<Value> = git
            .read_tree(&entry.oid, false)?
            .into_iter()
            .map(|e| {
                let child = TreeEntry {
                    path: format!("{path}/{}", e.path),
                    ..e
                };
                entry_json(ctx, &child, &reference)
            })
            .collect();
        return ok(Value::Array(listing));
    }
    let mut value = entry_json(ctx, &entry, &reference);
    if entry.kind == ObjectKind::Blob {
        let data = git.read_blob(&entry.oid)?;
        if entry.mode == MODE_SYMLINK {
            value["target"] = json!(String::from_utf8_lossy(&data));
        } else {
            value["content"] = json!(base64_lines(&data));
            value["encoding"] = json!("base64");
        }
    }
    ok(value)
}

/// `PUT /repos/{owner}/{repo}/contents/{path}`: one file, one commit; `sha` must name the
/// current blob when the file exists. Works on an empty repository (a root commit on the
/// branch, by default the default branch).
pub fn put(ctx: &mut Ctx<'_>) -> ApiResult {
    let git = ctx.git()?;
    let path = ctx.param("path").trim_matches('/').to_owned();
    let data = decode_base64(ctx.body_str("content").unwrap_or_default())
        .ok_or_else(|| ApiError::unprocessable("content is not valid Base64"))?;
    let branch = match ctx.body_str("branch") {
        Some(branch) => branch.to_owned(),
        None => git.head_branch()?,
    };
    let head = git.branch(&branch)?;
    if head.is_none() && !git.is_empty()? {
        return Err(ApiError::new(404, &format!("Branch {branch} not found")));
    }
    let base_tree = match &head {
        Some(head) => Some(git.read_commit(head)?.tree),
        None => None,
    };
    let existing = match &base_tree {
        Some(tree) => lookup(&git, tree, &path)?,
        None => None,
    };
    if let Some(existing) = &existing {
        match ctx.body_str("sha") {
            None => {
                return Err(ApiError::unprocessable(
                    "Invalid request.\n\n\"sha\" wasn't supplied.",
                ))
            }
            Some(sha) if sha != existing.oid.as_str() => {
                return Err(ApiError::conflict(&format!("{path} does not match {sha}")));
            }
            Some(_) => {}
        }
    }
    let mode = existing
        .as_ref()
        .filter(|e| e.kind == ObjectKind::Blob)
        .map_or_else(|| MODE_FILE.to_owned(), |e| e.mode.clone());
    let blob = git.write_blob(&data)?;
    let edit = TreeEdit {
        path: path.clone(),
        entry: Some((mode, blob)),
    };
    let tree = git
        .edit_tree(base_tree.as_ref(), &[edit])
        .map_err(|_| ApiError::unprocessable("path contains a malformed path component"))?;
    let token = ctx.token().ok_or_else(ApiError::not_found)?;
    let identity = Signature::now(&token.identity.name, &token.identity.email);
    let author = person(ctx.body.get("author"))?;
    let committer = person(ctx.body.get("committer"))?;
    let verified = token.identity.bot && author.is_none() && committer.is_none();
    let committer_sig = match (&committer, &author) {
        (Some(c), _) => c.clone(),
        (None, Some(a)) => a.clone(),
        (None, None) if verified => web_flow(),
        (None, None) => identity.clone(),
    };
    let author_sig = author.or(committer).unwrap_or(identity);
    let message = ctx.body_str("message").unwrap_or_default().to_owned();
    let parents: Vec<Oid> = head.iter().cloned().collect();
    let commit = git.write_commit(&tree, &parents, &message, &author_sig, &committer_sig)?;
    let expected = match head {
        Some(head) => RefExpectation::At(head),
        None => RefExpectation::Absent,
    };
    git.update_ref(&format!("refs/heads/{branch}"), &commit, &expected)?;
    if verified {
        ctx.repo_mut()?.verified_commits.insert(commit.to_string());
    }
    let entry = lookup(&git, &tree, &path)?
        .ok_or_else(|| ApiError::internal("the written file is missing"))?;
    let value = json!({
        "content": entry_json(ctx, &entry, &branch),
        "commit": render::git_commit(ctx, ctx.repo()?, &git.read_commit(&commit)?),
    });
    Ok(Response::json(
        if existing.is_some() { 200 } else { 201 },
        &value,
    ))
}
