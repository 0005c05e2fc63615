//! The Git Data API: refs, trees, blobs and commits, on the real bare repository.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use serde_json::{json, Value};

use super::api::{created, ok, ApiError, ApiResult, Ctx};
use super::render;
use crate::git::{
    BareRepo, EditError, ObjectKind, Oid, RefExpectation, Signature, TreeEdit, TreeEntry,
};
use crate::http::Response;

/// The committer GitHub uses for the commits it signs.
pub fn web_flow() -> Signature {
    Signature::now("GitHub", "noreply@github.com")
}

/// `GET /repos/{owner}/{repo}/git/ref/{ref}`.
pub fn get_ref(ctx: &mut Ctx<'_>) -> ApiResult {
    let git = ctx.git()?;
    let name = format!("refs/{}", ctx.param("ref"));
    let oid = git.resolve_ref(&name)?.ok_or_else(ApiError::not_found)?;
    ok(ref_json(ctx, &git, &name, &oid)?)
}

/// `GET /repos/{owner}/{repo}/git/matching-refs/{ref}`: refs whose name starts with it.
pub fn matching_refs(ctx: &mut Ctx<'_>) -> ApiResult {
    let git = ctx.git()?;
    let prefix = format!("refs/{}", ctx.param("ref"));
    let mut refs = Vec::new();
    for (name, oid) in git.refs(&prefix)? {
        refs.push(ref_json(ctx, &git, &name, &oid)?);
    }
    ok(Value::Array(refs))
}

fn ref_json(ctx: &Ctx<'_>, git: &BareRepo, name: &str, oid: &Oid) -> Result<Value, ApiError> {
    let kind = git.object_kind(oid)?.unwrap_or(ObjectKind::Commit);
    Ok(render::git_ref(
        ctx,
        &ctx.full_name(),
        name,
        oid.as_str(),
        kind.as_str(),
    ))
}

/// `POST /repos/{owner}/{repo}/git/refs`.
pub fn create_ref(ctx: &mut Ctx<'_>) -> ApiResult {
    let git = ctx.git()?;
    let name = ctx.body_str("ref").unwrap_or_default().to_owned();
    let sha = ctx.body_str("sha").unwrap_or_default().to_owned();
    let valid_name = name.starts_with("refs/")
        && name.matches('/').count() >= 2
        && git.git(&["check-ref-format", &name]).is_ok();
    if !valid_name {
        return Err(ApiError::unprocessable("Reference name is not valid"));
    }
    let oid = existing_object(&git, &sha)?
        .ok_or_else(|| ApiError::unprocessable("Object does not exist"))?;
    match git.update_ref(&name, &oid, &RefExpectation::Absent) {
        Ok(()) => {}
        Err(crate::git::Error::StaleRef { .. }) => {
            return Err(ApiError::unprocessable("Reference already exists"))
        }
        Err(e) => return Err(e.into()),
    }
    let mut response = Response::json(201, &ref_json(ctx, &git, &name, &oid)?);
    response.set_header(
        "location",
        ctx.api_url(&format!("/repos/{}/git/{}", ctx.full_name(), name)),
    );
    Ok(response)
}

/// `PATCH /repos/{owner}/{repo}/git/refs/{ref}`: never a non-fast-forward unless `force`,
/// never a protected branch.
pub fn update_ref(ctx: &mut Ctx<'_>) -> ApiResult {
    let git = ctx.git()?;
    let name = format!("refs/{}", ctx.param("ref"));
    let force = ctx
        .body
        .get("force")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let current = git
        .resolve_ref(&name)?
        .ok_or_else(|| ApiError::unprocessable("Reference does not exist"))?;
    let sha = ctx.body_str("sha").unwrap_or_default().to_owned();
    let new = existing_object(&git, &sha)?
        .ok_or_else(|| ApiError::unprocessable("Object does not exist"))?;
    check_unprotected(ctx, &name)?;
    if name.starts_with("refs/heads/") && git.object_kind(&new)? != Some(ObjectKind::Commit) {
        return Err(ApiError::unprocessable("Object does not exist"));
    }
    if !force && !git.is_ancestor(&current, &new)? {
        return Err(ApiError::unprocessable("Update is not a fast forward"));
    }
    match git.update_ref(&name, &new, &RefExpectation::At(current)) {
        Ok(()) => {}
        Err(crate::git::Error::StaleRef { .. }) => {
            return Err(ApiError::unprocessable("Reference cannot be updated"))
        }
        Err(e) => return Err(e.into()),
    }
    ok(ref_json(ctx, &git, &name, &new)?)
}

/// `DELETE /repos/{owner}/{repo}/git/refs/{ref}`.
pub fn delete_ref(ctx: &mut Ctx<'_>) -> ApiResult {
    let git = ctx.git()?;
    let name = format!("refs/{}", ctx.param("ref"));
    let current = git
        .resolve_ref(&name)?
        .ok_or_else(|| ApiError::unprocessable("Reference does not exist"))?;
    check_unprotected(ctx, &name)?;
    git.delete_ref(&name, &RefExpectation::At(current))?;
    Ok(Response::empty(204))
}

fn check_unprotected(ctx: &Ctx<'_>, name: &str) -> Result<(), ApiError> {
    let protected = name.strip_prefix("refs/heads/").is_some_and(|branch| {
        ctx.repo()
            .is_ok_and(|r| r.protected_branches.contains(branch))
    });
    if protected {
        return Err(ApiError::unprocessable(&format!(
            "Protected branch update failed for {name}."
        )));
    }
    Ok(())
}

/// The object `sha` names, if it is a full id of an existing object.
fn existing_object(git: &BareRepo, sha: &str) -> Result<Option<Oid>, ApiError> {
    let Some(oid) = Oid::parse(sha) else {
        return Ok(None);
    };
    Ok(git.object_kind(&oid)?.map(|_| oid))
}

/// `GET /repos/{owner}/{repo}/git/trees/{tree_sha}[?recursive=…]`: any value of `recursive`
/// recurses; listings over the configured limit are cut and marked `truncated`.
pub fn get_tree(ctx: &mut Ctx<'_>) -> ApiResult {
    let git = ctx.git()?;
    let tree = resolve_tree(&git, ctx.param("tree_sha"))?.ok_or_else(ApiError::not_found)?;
    let recursive = ctx.query("recursive").is_some();
    let mut entries = git.read_tree(&tree, recursive)?;
    let truncated = entries.len() > ctx.emu.config.tree_entry_limit;
    entries.truncate(ctx.emu.config.tree_entry_limit);
    ok(tree_json(ctx, &tree, &entries, truncated))
}

/// A tree id from a tree id, a commit id or a branch name.
fn resolve_tree(git: &BareRepo, spec: &str) -> Result<Option<Oid>, ApiError> {
    let oid = match Oid::parse(spec) {
        Some(oid) => oid,
        None => match git.branch(spec)? {
            Some(oid) => oid,
            None => return Ok(None),
        },
    };
    Ok(match git.object_kind(&oid)? {
        Some(ObjectKind::Tree) => Some(oid),
        Some(ObjectKind::Commit) => Some(git.read_commit(&oid)?.tree),
        _ => None,
    })
}

fn tree_json(ctx: &Ctx<'_>, tree: &Oid, entries: &[TreeEntry], truncated: bool) -> Value {
    let full_name = ctx.full_name();
    let items: Vec<Value> = entries
        .iter()
        .map(|e| {
            let mut item = json!({"path": e.path, "mode": e.mode, "type": e.kind.as_str(), "sha": e.oid.as_str()});
            if let Some(size) = e.size {
                item["size"] = json!(size);
            }
            if matches!(e.kind, ObjectKind::Blob | ObjectKind::Tree) {
                item["url"] = json!(ctx.api_url(&format!("/repos/{full_name}/git/{}s/{}", e.kind.as_str(), e.oid)));
            }
            item
        })
        .collect();
    json!({
        "sha": tree.as_str(),
        "url": ctx.api_url(&format!("/repos/{full_name}/git/trees/{tree}")),
        "tree": items,
        "truncated": truncated,
    })
}

/// `GET /repos/{owner}/{repo}/git/blobs/{file_sha}`: base64 with a line break every 60
/// characters, as GitHub sends it.
pub fn get_blob(ctx: &mut Ctx<'_>) -> ApiResult {
    let git = ctx.git()?;
    let oid = Oid::parse(ctx.param("file_sha")).ok_or_else(ApiError::not_found)?;
    if git.object_kind(&oid)? != Some(ObjectKind::Blob) {
        return Err(ApiError::not_found());
    }
    let data = git.read_blob(&oid)?;
    ok(json!({
        "sha": oid.as_str(),
        "node_id": format!("B_{}", &oid.as_str()[..12]),
        "size": data.len(),
        "url": ctx.api_url(&format!("/repos/{}/git/blobs/{oid}", ctx.full_name())),
        "content": base64_lines(&data),
        "encoding": "base64",
    }))
}

/// Base64 broken into lines of 60 characters, each ending in `\n`.
pub fn base64_lines(data: &[u8]) -> String {
    let encoded = STANDARD.encode(data);
    let mut out = String::with_capacity(encoded.len() + encoded.len() / 60 + 1);
    for chunk in encoded.as_bytes().chunks(60) {
        out.push_str(std::str::from_utf8(chunk).expect("base64 is ASCII"));
        out.push('\n');
    }
    out
}

/// Decodes base64 as GitHub accepts it (whitespace and line breaks ignored).
pub fn decode_base64(text: &str) -> Option<Vec<u8>> {
    let compact: String = text.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    STANDARD.decode(compact).ok()
}

/// `POST /repos/{owner}/{repo}/git/blobs`.
pub fn create_blob(ctx: &mut Ctx<'_>) -> ApiResult {
    let git = ctx.git()?;
    let content = ctx.body_str("content").unwrap_or_default();
    let data = match ctx.body_str("encoding").unwrap_or("utf-8") {
        "utf-8" | "utf8" => content.as_bytes().to_vec(),
        "base64" => decode_base64(content)
            .ok_or_else(|| ApiError::unprocessable("content is not valid Base64"))?,
        other => {
            return Err(ApiError::unprocessable(&format!(
                "encoding must be utf-8 or base64, not {other}"
            )))
        }
    };
    let oid = git.write_blob(&data)?;
    let url = ctx.api_url(&format!("/repos/{}/git/blobs/{oid}", ctx.full_name()));
    let mut response = Response::json(201, &json!({"sha": oid.as_str(), "url": url}));
    response.set_header("location", url);
    Ok(response)
}

/// `POST /repos/{owner}/{repo}/git/trees`: entries by path over an optional `base_tree`;
/// `sha: null` deletes, `content` writes a blob, nested paths create and prune subtrees.
pub fn create_tree(ctx: &mut Ctx<'_>) -> ApiResult {
    const EITHER: &str = "Must supply either tree.sha or tree.content. Request will be rejected if both are present.";
    let git = ctx.git()?;
    let base = match ctx.body.get("base_tree").and_then(Value::as_str) {
        Some(sha) => match Oid::parse(sha) {
            Some(oid) if git.object_kind(&oid)? == Some(ObjectKind::Tree) => Some(oid),
            _ => {
                return Err(ApiError::unprocessable(&format!(
                    "base_tree {sha} is not a valid tree oid"
                )))
            }
        },
        None => None,
    };
    let items = ctx
        .body
        .get("tree")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let mut edits = Vec::with_capacity(items.len());
    for item in &items {
        let path = item["path"].as_str().unwrap_or_default().to_owned();
        let mode = item["mode"].as_str().unwrap_or_default().to_owned();
        let kind = ObjectKind::for_mode(&mode)
            .ok_or_else(|| ApiError::unprocessable("Invalid tree info"))?;
        if item
            .get("type")
            .and_then(Value::as_str)
            .is_some_and(|t| t != kind.as_str())
        {
            return Err(ApiError::unprocessable("Invalid tree info"));
        }
        let sha = item.get("sha");
        let content = item.get("content").and_then(Value::as_str);
        let entry = match (sha, content) {
            (Some(Value::String(_)), Some(_)) | (None, None) => {
                return Err(ApiError::unprocessable(EITHER))
            }
            (Some(Value::Null), None) => None,
            (_, Some(text)) => {
                if kind != ObjectKind::Blob {
                    return Err(ApiError::unprocessable("Invalid tree info"));
                }
                Some((mode, git.write_blob(text.as_bytes())?))
            }
            (Some(sha), None) => {
                let sha = sha.as_str().unwrap_or_default();
                let invalid = || {
                    ApiError::unprocessable(&format!(
                        "tree.sha {sha} is not a valid {}",
                        kind.as_str()
                    ))
                };
                let oid = Oid::parse(sha).ok_or_else(invalid)?;
                // Submodule entries name commits of other repositories: not checked.
                if kind != ObjectKind::Commit && git.object_kind(&oid)? != Some(kind) {
                    return Err(invalid());
                }
                Some((mode, oid))
            }
        };
        edits.push(TreeEdit { path, entry });
    }
    let tree = git.edit_tree(base.as_ref(), &edits).map_err(|e| match e {
        EditError::MissingPath { .. } => ApiError::unprocessable("GitRPC::BadObjectState"),
        EditError::MalformedPath { .. } => {
            ApiError::unprocessable("tree.path contains a malformed path component")
        }
        EditError::InvalidMode { .. } => ApiError::unprocessable("Invalid tree info"),
        EditError::Git(e) => ApiError::internal(e),
    })?;
    let entries = git.read_tree(&tree, false)?;
    let mut response = Response::json(201, &tree_json(ctx, &tree, &entries, false));
    response.set_header(
        "location",
        ctx.api_url(&format!("/repos/{}/git/trees/{tree}", ctx.full_name())),
    );
    Ok(response)
}

/// `GET /repos/{owner}/{repo}/git/commits/{commit_sha}`.
pub fn get_commit(ctx: &mut Ctx<'_>) -> ApiResult {
    let git = ctx.git()?;
    let oid = Oid::parse(ctx.param("commit_sha")).ok_or_else(ApiError::not_found)?;
    if git.object_kind(&oid)? != Some(ObjectKind::Commit) {
        return Err(ApiError::not_found());
    }
    let commit = git.read_commit(&oid)?;
    ok(render::git_commit(ctx, ctx.repo()?, &commit))
}

/// `POST /repos/{owner}/{repo}/git/commits`: without `author` and `committer`, a bot's commit
/// is signed by GitHub (verified) with the token's identity as author.
pub fn create_commit(ctx: &mut Ctx<'_>) -> ApiResult {
    let git = ctx.git()?;
    let tree = ctx.body_str("tree").and_then(Oid::parse);
    let tree = match tree {
        Some(oid) if git.object_kind(&oid)? == Some(ObjectKind::Tree) => oid,
        _ => return Err(ApiError::unprocessable("Tree SHA does not exist")),
    };
    let mut parents = Vec::new();
    for parent in ctx
        .body
        .get("parents")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default()
    {
        match parent.as_str().and_then(Oid::parse) {
            Some(oid) if git.object_kind(&oid)? == Some(ObjectKind::Commit) => parents.push(oid),
            _ => {
                return Err(ApiError::unprocessable(
                    "Parent SHA does not exist or is not a commit object",
                ))
            }
        }
    }
    let message = ctx.body_str("message").unwrap_or_default().to_owned();
    let token = ctx.token().ok_or_else(ApiError::not_found)?;
    let identity = Signature::now(&token.identity.name, &token.identity.email);
    let author = person(ctx.body.get("author"))?;
    let committer = person(ctx.body.get("committer"))?;
    let verified = token.identity.bot && author.is_none() && committer.is_none();
    let author_sig = author.clone().unwrap_or_else(|| identity.clone());
    let committer_sig = match (committer, author) {
        (Some(c), _) => c,
        (None, Some(a)) => a,
        (None, None) if verified => web_flow(),
        (None, None) => identity,
    };
    let oid = git.write_commit(&tree, &parents, &message, &author_sig, &committer_sig)?;
    if verified {
        ctx.repo_mut()?.verified_commits.insert(oid.to_string());
    }
    let commit = git.read_commit(&oid)?;
    let value = render::git_commit(ctx, ctx.repo()?, &commit);
    let mut response = created(value)?;
    response.set_header(
        "location",
        ctx.api_url(&format!("/repos/{}/git/commits/{oid}", ctx.full_name())),
    );
    Ok(response)
}

/// An `author`/`committer` object of a request (`name`, `email`, optional `date`).
pub fn person(value: Option<&Value>) -> Result<Option<Signature>, ApiError> {
    let Some(value) = value.filter(|v| !v.is_null()) else {
        return Ok(None);
    };
    let (Some(name), Some(email)) = (value["name"].as_str(), value["email"].as_str()) else {
        return Err(ApiError::unprocessable(
            "Invalid request.\n\nname and email are required for author and committer.",
        ));
    };
    let mut signature = Signature::now(name, email);
    if let Some(date) = value["date"].as_str() {
        let (time, offset) = crate::time::parse_rfc3339(date).ok_or_else(|| {
            ApiError::unprocessable(&format!(
                "Invalid request.\n\n{date:?} is not a valid date-time."
            ))
        })?;
        signature.time = time;
        signature.offset_minutes = offset;
    }
    Ok(Some(signature))
}
