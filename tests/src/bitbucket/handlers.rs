//! The REST operations: repositories, branches, commits, source (`/src` reads and the
//! multipart commit), diffstats, file history, pull requests and comments, and the OAuth token
//! endpoint. Answers follow the shapes of Bitbucket's documentation and OpenAPI description;
//! lists are paginated with `page`, `pagelen`, `size` and an absolute `next` link.

use base64::Engine as _;
use serde_json::{json, Value};

use super::server::{ApiError, ApiResult, Ctx, Emulator, FormBody};
use super::state::{Comment, PullRequest, PullState, RepoState};
use crate::emulator::RepoRecord as _;
use crate::git::{
    BareRepo, Error as GitError, ObjectKind, Oid, RefExpectation, Signature, TreeEdit,
    MODE_EXECUTABLE, MODE_FILE, MODE_SYMLINK,
};
use crate::http::{percent_encode, Request, Response};

/// git's empty tree (a root commit's diff base).
const EMPTY_TREE: &str = "4b825dc642cb6eb9a060e54bf8d69288fbee4904";

// ---------------------------------------------------------------------------------------------
// Shapes and helpers

/// A page of `values` as Bitbucket paginates: `page`/`pagelen` query parameters, `next` link.
fn page(ctx: &Ctx<'_>, values: Vec<Value>, default_len: usize, max_len: usize) -> ApiResult {
    let query = ctx.req.query_pairs();
    let number = |name: &str| {
        query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.parse::<usize>())
    };
    let page = match number("page") {
        None => 1,
        Some(Ok(n)) if n >= 1 => n,
        Some(_) => return Err(ApiError::bad_request("Invalid page")),
    };
    let pagelen = match number("pagelen") {
        None => default_len,
        Some(Ok(n)) if n >= 1 => n.min(max_len),
        Some(_) => return Err(ApiError::bad_request("Invalid pagelen")),
    };
    let size = values.len();
    let start = (page - 1) * pagelen;
    let items: Vec<Value> = values.into_iter().skip(start).take(pagelen).collect();
    let mut body = json!({ "pagelen": pagelen, "size": size, "page": page, "values": items });
    if start + pagelen < size {
        let mut pairs: Vec<(String, String)> =
            query.into_iter().filter(|(k, _)| k != "page").collect();
        pairs.push(("page".into(), (page + 1).to_string()));
        let q: Vec<String> = pairs
            .iter()
            .map(|(k, v)| format!("{}={}", percent_encode(k), percent_encode(v)))
            .collect();
        body["next"] = json!(format!("{}{}?{}", ctx.emu.web, ctx.req.path, q.join("&")));
    }
    Ok(Response::json(200, &body))
}

fn link(href: String) -> Value {
    json!({ "href": href })
}

fn repo_json(ctx: &Ctx<'_>, r: &RepoState, main: Option<&str>) -> Value {
    let full = r.full_name();
    json!({
        "type": "repository",
        "uuid": r.uuid,
        "full_name": full,
        "name": r.name,
        "slug": r.slug,
        "is_private": r.private,
        "scm": "git",
        "description": r.description,
        "created_on": r.created_on,
        "updated_on": r.created_on,
        "fork_policy": "allow_forks",
        "has_issues": false,
        "has_wiki": false,
        "mainbranch": main.map(|m| json!({ "type": "branch", "name": m })),
        "workspace": { "type": "workspace", "slug": r.workspace, "name": r.workspace },
        "links": {
            "self": link(ctx.api_url(&format!("/repositories/{full}"))),
            "html": link(ctx.web_url(&format!("/{full}"))),
            "clone": [{ "name": "https", "href": ctx.web_url(&format!("/{full}.git")) }],
        },
    })
}

fn commit_json(ctx: &Ctx<'_>, git: &BareRepo, oid: &Oid) -> Result<Value, ApiError> {
    let c = git.read_commit(oid)?;
    let full = ctx.full_name();
    let parents: Vec<Value> = c
        .parents
        .iter()
        .map(|p| {
            json!({
                "type": "commit",
                "hash": p.as_str(),
                "links": { "self": link(ctx.api_url(&format!("/repositories/{full}/commit/{p}"))) },
            })
        })
        .collect();
    Ok(json!({
        "type": "commit",
        "hash": oid.as_str(),
        "date": c.committer.date_rfc3339(),
        "message": c.message,
        "summary": { "raw": c.message, "markup": "markdown", "html": "" },
        "author": { "type": "author", "raw": format!("{} <{}>", c.author.name, c.author.email) },
        "parents": parents,
        "links": {
            "self": link(ctx.api_url(&format!("/repositories/{full}/commit/{oid}"))),
            "html": link(ctx.web_url(&format!("/{full}/commits/{oid}"))),
        },
    }))
}

fn branch_json(ctx: &Ctx<'_>, git: &BareRepo, name: &str, target: &Oid) -> Result<Value, ApiError> {
    let full = ctx.full_name();
    Ok(json!({
        "type": "branch",
        "name": name,
        "target": commit_json(ctx, git, target)?,
        "merge_strategies": ["merge_commit", "squash", "fast_forward"],
        "default_merge_strategy": "merge_commit",
        "links": {
            "self": link(ctx.api_url(&format!("/repositories/{full}/refs/branches/{name}"))),
            "html": link(ctx.web_url(&format!("/{full}/branch/{name}"))),
        },
    }))
}

/// A commit named by full or abbreviated hash, or by branch name.
fn resolve(git: &BareRepo, rev: &str) -> Result<Option<Oid>, ApiError> {
    if rev.is_empty() || rev.starts_with('-') {
        return Ok(None);
    }
    if let Some(oid) = git.branch(rev)? {
        return Ok(Some(oid));
    }
    if !rev.bytes().all(|b| b.is_ascii_hexdigit()) || rev.len() < 4 {
        return Ok(None);
    }
    let spec = format!("{rev}^{{commit}}");
    match git.git(&[
        "rev-parse",
        "--verify",
        "--quiet",
        "--end-of-options",
        &spec,
    ]) {
        Ok(out) => Ok(Oid::parse(String::from_utf8_lossy(&out).trim())),
        Err(GitError::Failed { .. }) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

fn commit_not_found(rev: &str) -> ApiError {
    ApiError::not_found(&format!("Commit not found: {rev}"))
}

/// A tree entry: mode, kind, object, size.
type Entry = (String, ObjectKind, Oid, Option<u64>);

/// The entry at `path` in `commit`'s tree; the root for `""`.
fn entry_at(git: &BareRepo, commit: &Oid, path: &str) -> Result<Option<Entry>, ApiError> {
    let tree = git.read_commit(commit)?.tree;
    let mut current = (
        crate::git::MODE_TREE.to_owned(),
        ObjectKind::Tree,
        tree,
        None,
    );
    for segment in path.split('/').filter(|s| !s.is_empty()) {
        if current.1 != ObjectKind::Tree {
            return Ok(None);
        }
        let entries = git.read_tree(&current.2, false)?;
        match entries.into_iter().find(|e| e.path == segment) {
            Some(e) => current = (e.mode, e.kind, e.oid, e.size),
            None => return Ok(None),
        }
    }
    Ok(Some(current))
}

fn attributes(mode: &str, kind: ObjectKind) -> Vec<&'static str> {
    match (mode, kind) {
        (_, ObjectKind::Commit) => vec!["subrepository"],
        (MODE_EXECUTABLE, _) => vec!["executable"],
        (MODE_SYMLINK, _) => vec!["link"],
        _ => vec![],
    }
}

fn file_json(
    ctx: &Ctx<'_>,
    commit: &Oid,
    path: &str,
    mode: &str,
    kind: ObjectKind,
    size: Option<u64>,
) -> Value {
    let full = ctx.full_name();
    let self_href = ctx.api_url(&format!(
        "/repositories/{full}/src/{commit}/{}",
        encode_path(path)
    ));
    if kind == ObjectKind::Tree {
        return json!({
            "type": "commit_directory",
            "path": path,
            "commit": { "type": "commit", "hash": commit.as_str() },
            "links": { "self": link(format!("{self_href}/")), "meta": link(format!("{self_href}/?format=meta")) },
        });
    }
    json!({
        "type": "commit_file",
        "path": path,
        "escaped_path": path,
        "commit": { "type": "commit", "hash": commit.as_str() },
        "attributes": attributes(mode, kind),
        "size": size.unwrap_or(0),
        "mimetype": Value::Null,
        "links": { "self": link(self_href.clone()), "meta": link(format!("{self_href}?format=meta")) },
    })
}

fn encode_path(path: &str) -> String {
    path.split('/')
        .map(percent_encode)
        .collect::<Vec<_>>()
        .join("/")
}

fn query_all(req: &Request, name: &str) -> Vec<String> {
    req.query_pairs()
        .into_iter()
        .filter(|(k, _)| k == name)
        .map(|(_, v)| v)
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Repositories

/// `GET /repositories/{workspace}`.
pub fn list_repos(ctx: &mut Ctx<'_>) -> ApiResult {
    let workspace = ctx.param("workspace").to_owned();
    if !ctx.caller.credential.can_see(&workspace) {
        return Err(ApiError::not_found(&format!(
            "Workspace {workspace} not found"
        )));
    }
    let repos: Vec<RepoState> = ctx
        .state
        .repos
        .values()
        .filter(|r| r.workspace.eq_ignore_ascii_case(&workspace))
        .cloned()
        .collect();
    let mut values = Vec::new();
    for r in &repos {
        let git = BareRepo::open(&r.git_dir(&ctx.emu.core.root));
        let main = git.head_branch()?;
        values.push(repo_json(ctx, r, Some(&main)));
    }
    page(ctx, values, 10, 100)
}

/// `GET /repositories/{workspace}/{repo_slug}`.
pub fn get_repo(ctx: &mut Ctx<'_>) -> ApiResult {
    let repo = ctx.repo()?.clone();
    let main = ctx.git()?.head_branch()?;
    Ok(Response::json(200, &repo_json(ctx, &repo, Some(&main))))
}

/// `POST /repositories/{workspace}/{repo_slug}`: an empty git repository.
pub fn create_repo(ctx: &mut Ctx<'_>) -> ApiResult {
    let workspace = ctx.param("workspace").to_owned();
    let slug = ctx.param("repo_slug").to_owned();
    if !ctx.caller.credential.can_see(&workspace) {
        return Err(ApiError::new(
            403,
            &format!("You do not have access to workspace {workspace}"),
        ));
    }
    if ctx.body.get("scm").is_some_and(|s| s != "git") {
        return Err(ApiError::bad_request("scm: only git is supported"));
    }
    let full = format!("{workspace}/{slug}");
    if ctx.state.repo(&full).is_some() {
        return Err(ApiError::bad_request(
            "Repository with this Slug and Owner already exists.",
        ));
    }
    let spec = super::control::NewRepo {
        full_name: full.clone(),
        name: ctx.body["name"].as_str().unwrap_or(&slug).to_owned(),
        private: ctx.body["is_private"].as_bool().unwrap_or(true),
        description: ctx.body["description"].as_str().unwrap_or("").to_owned(),
        default_branch: "main".into(),
        files: None,
    };
    let repo = super::control::create_repo(ctx.emu, ctx.state, &spec)
        .map_err(|e| ApiError::bad_request(&e.to_string()))?;
    Ok(Response::json(200, &repo_json(ctx, &repo, Some("main"))))
}

// ---------------------------------------------------------------------------------------------
// Refs and commits

/// `GET .../refs/branches`.
pub fn list_branches(ctx: &mut Ctx<'_>) -> ApiResult {
    let git = ctx.git()?;
    let mut values = Vec::new();
    for (name, oid) in git.refs("refs/heads/")? {
        let name = name.trim_start_matches("refs/heads/").to_owned();
        values.push(branch_json(ctx, &git, &name, &oid)?);
    }
    page(ctx, values, 10, 100)
}

/// `GET .../refs/branches/{name}`.
pub fn get_branch(ctx: &mut Ctx<'_>) -> ApiResult {
    let git = ctx.git()?;
    let name = ctx.param("name").to_owned();
    match git.branch(&name)? {
        Some(oid) => Ok(Response::json(200, &branch_json(ctx, &git, &name, &oid)?)),
        None => Err(ApiError::not_found(&format!("Branch \"{name}\" not found"))),
    }
}

/// `GET .../commit/{commit}`.
pub fn get_commit(ctx: &mut Ctx<'_>) -> ApiResult {
    let git = ctx.git()?;
    let rev = ctx.param("commit").to_owned();
    let oid = resolve(&git, &rev)?.ok_or_else(|| commit_not_found(&rev))?;
    Ok(Response::json(200, &commit_json(ctx, &git, &oid)?))
}

/// `GET .../commits/{revision}` with `include`, `exclude` and `path`, newest first (as
/// `git log --topo-order`).
pub fn list_commits(ctx: &mut Ctx<'_>) -> ApiResult {
    let git = ctx.git()?;
    let rev = ctx.param("revision").to_owned();
    let mut args: Vec<String> = vec!["rev-list".into(), "--topo-order".into()];
    args.push(
        resolve(&git, &rev)?
            .ok_or_else(|| commit_not_found(&rev))?
            .to_string(),
    );
    for include in query_all(ctx.req, "include") {
        args.push(
            resolve(&git, &include)?
                .ok_or_else(|| commit_not_found(&include))?
                .to_string(),
        );
    }
    for exclude in query_all(ctx.req, "exclude") {
        let oid = resolve(&git, &exclude)?.ok_or_else(|| commit_not_found(&exclude))?;
        args.push(format!("^{oid}"));
    }
    let paths = query_all(ctx.req, "path");
    if !paths.is_empty() {
        args.push("--".into());
        args.extend(paths);
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = String::from_utf8_lossy(&git.git(&args)?).into_owned();
    let mut values = Vec::new();
    for line in out.lines() {
        let oid = Oid::parse(line).ok_or_else(|| ApiError::internal("rev-list output"))?;
        values.push(commit_json(ctx, &git, &oid)?);
    }
    page(ctx, values, 30, 100)
}

// ---------------------------------------------------------------------------------------------
// Source

/// `GET .../src/{commit}/{path}`: raw file contents, a folder listing, or `format=meta`.
pub fn get_src(ctx: &mut Ctx<'_>) -> ApiResult {
    let git = ctx.git()?;
    let rev = ctx.param("commit").to_owned();
    let commit = resolve(&git, &rev)?.ok_or_else(|| commit_not_found(&rev))?;
    let path = ctx.param("path").trim_end_matches('/').to_owned();
    let format = ctx.req.query_param("format");
    let Some((mode, kind, oid, size)) = entry_at(&git, &commit, &path)? else {
        return Err(ApiError::not_found(&format!(
            "No such file or directory: {path}"
        )));
    };
    if format.as_deref() == Some("meta") {
        return Ok(Response::json(
            200,
            &file_json(ctx, &commit, &path, &mode, kind, size),
        ));
    }
    match kind {
        ObjectKind::Tree => {
            let mut values = Vec::new();
            for e in git.read_tree(&oid, false)? {
                let child = if path.is_empty() {
                    e.path.clone()
                } else {
                    format!("{path}/{}", e.path)
                };
                values.push(file_json(ctx, &commit, &child, &e.mode, e.kind, e.size));
            }
            page(ctx, values, 10, 100)
        }
        ObjectKind::Blob => {
            let data = git.read_blob(&oid)?;
            let kind = if data.contains(&0) || std::str::from_utf8(&data).is_err() {
                "application/octet-stream"
            } else {
                "text/plain"
            };
            Ok(Response {
                status: 200,
                headers: vec![
                    ("content-type".into(), kind.into()),
                    ("content-disposition".into(), "attachment".into()),
                    ("etag".into(), format!("\"{oid}\"")),
                ],
                body: data,
            })
        }
        _ => Err(ApiError::not_found(&format!(
            "No such file or directory: {path}"
        ))),
    }
}

/// `POST .../src`: a commit from a multipart form (see the module docs of
/// [`super::multipart`]); 201 with the new commit in `Location`, 409 when `parents` is not
/// the branch's head.
pub fn post_src(ctx: &mut Ctx<'_>) -> ApiResult {
    let form: FormBody = serde_json::from_value(ctx.body.clone()).map_err(ApiError::internal)?;
    let git = ctx.git()?;
    let empty = git.is_empty()?;
    let main = git.head_branch()?;
    let branch = form.branch.clone().unwrap_or_else(|| main.clone());
    if crate::git::Oid::parse(&branch).is_some() || branch.is_empty() {
        return Err(ApiError::bad_request(&format!(
            "branch: {branch:?} is not a branch name"
        )));
    }
    if let Some(pattern) = ctx
        .repo()?
        .push_restrictions
        .iter()
        .find(|p| crate::fault::glob_match(p, &branch))
    {
        return Err(branch_permission_violated(&format!(
            "You are not allowed to push to the branch {branch:?}, which matches the branch restriction {pattern:?}."
        )));
    }
    let tip = git.branch(&branch)?;
    let mut parents = Vec::new();
    for p in &form.parents {
        let oid = match Oid::parse(p) {
            Some(o) if git.object_kind(&o)? == Some(ObjectKind::Commit) => o,
            _ => {
                return Err(ApiError::bad_request(&format!(
                    "parents: commit {p} not found"
                )))
            }
        };
        parents.push(oid);
    }
    let stale = |tip: &Oid| {
        ApiError::detailed(
            409,
            "Changes were committed to this branch since the commit you are editing",
            &format!("{branch} is at {tip}, not at the parent given"),
        )
    };
    let (parent, expected) =
        match (&tip, parents.first()) {
            (Some(t), Some(p)) if p != t => return Err(stale(t)),
            (Some(t), _) => (Some(t.clone()), RefExpectation::At(t.clone())),
            (None, Some(p)) => (Some(p.clone()), RefExpectation::Absent),
            (None, None) if empty => (None, RefExpectation::Absent),
            (None, None) => match (&form.branch, git.branch(&main)?) {
                (Some(_), Some(m)) => (Some(m), RefExpectation::Absent),
                _ => return Err(ApiError::bad_request(
                    "This API cannot be used to create additional root commits in non-empty repos.",
                )),
            },
        };
    if empty && !parents.is_empty() {
        return Err(ApiError::bad_request(
            "parents: the repository is empty, a root commit has no parents",
        ));
    }
    let mut edits = Vec::new();
    for (path, attributes, data) in &form.uploads {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(data)
            .map_err(ApiError::internal)?;
        let mode = match attributes.as_deref() {
            Some("executable") => MODE_EXECUTABLE,
            Some("link") => MODE_SYMLINK,
            _ => MODE_FILE,
        };
        edits.push(TreeEdit {
            path: path.clone(),
            entry: Some((mode.to_owned(), git.write_blob(&bytes)?)),
        });
    }
    let base_tree = match &parent {
        Some(p) => Some(git.read_commit(p)?.tree),
        None => None,
    };
    for path in &form.files {
        if form.uploads.iter().any(|(p, _, _)| p == path) {
            continue; // declared and uploaded: a write
        }
        edits.push(TreeEdit {
            path: path.clone(),
            entry: None,
        });
    }
    let tree = git
        .edit_tree(base_tree.as_ref(), &edits)
        .map_err(|e| ApiError::bad_request(&e.to_string()))?;
    let committer = ctx.caller.author();
    let author = match &form.author {
        Some(raw) => {
            let (name, email) = raw
                .split_once('<')
                .map(|(n, e)| (n.trim(), e.trim_end_matches('>').trim()))
                .ok_or_else(|| ApiError::bad_request("author: expected `Name <email>`"))?;
            Signature::now(name, email)
        }
        None => committer.clone(),
    };
    let message = form
        .message
        .clone()
        .unwrap_or_else(|| "Edited online with Bitbucket".into());
    let parents_out: Vec<Oid> = parent.iter().cloned().collect();
    let commit = git.write_commit(&tree, &parents_out, &message, &author, &committer)?;
    match git.update_ref(&format!("refs/heads/{branch}"), &commit, &expected) {
        Ok(()) => {}
        Err(GitError::StaleRef { actual, .. }) => {
            return Err(stale(&actual.unwrap_or_else(Oid::null)))
        }
        Err(e) => return Err(e.into()),
    }
    let location = ctx.api_url(&format!(
        "/repositories/{}/commit/{commit}",
        ctx.full_name()
    ));
    Ok(Response::empty(201).with_header("location", location))
}

// ---------------------------------------------------------------------------------------------
// Diffs and history

/// `GET .../diffstat/{spec}`: `A..B` is what A has relative to its merge base with B
/// (`topic=false`: relative to B itself); a single commit, relative to its first parent.
pub fn diffstat(ctx: &mut Ctx<'_>) -> ApiResult {
    let git = ctx.git()?;
    let spec = ctx.param("spec").to_owned();
    let (a, b) = match spec.split_once("..") {
        Some((a, b)) => (a.to_owned(), Some(b.to_owned())),
        None => (spec.clone(), None),
    };
    let to = resolve(&git, &a)?.ok_or_else(|| commit_not_found(&a))?;
    let topic = ctx.req.query_param("topic").is_none_or(|t| t != "false");
    let from = match b {
        Some(b) => {
            let b = resolve(&git, &b)?.ok_or_else(|| commit_not_found(&b))?;
            if topic {
                git.merge_base(&to, &b)?.unwrap_or(b)
            } else {
                b
            }
        }
        None => git
            .read_commit(&to)?
            .parents
            .first()
            .cloned()
            .unwrap_or_else(|| Oid::parse(EMPTY_TREE).expect("a valid id")),
    };
    let only = ctx.req.query_param("path");
    let mut values = Vec::new();
    for d in git.diff(&from, &to)? {
        let old_path = match d.status {
            'A' => None,
            'R' | 'C' => d.old_path.clone(),
            _ => Some(d.path.clone()),
        };
        let new_path = (d.status != 'D').then(|| d.path.clone());
        if let Some(only) = &only {
            if old_path.as_deref() != Some(only) && new_path.as_deref() != Some(only) {
                continue;
            }
        }
        let status = match d.status {
            'A' => "added",
            'D' => "removed",
            'R' => "renamed",
            _ => "modified",
        };
        let side = |p: Option<String>| {
            p.map(|p| json!({ "type": "commit_file", "path": p, "escaped_path": p }))
        };
        values.push(json!({
            "type": "diffstat",
            "status": status,
            "lines_added": d.additions.unwrap_or(0),
            "lines_removed": d.deletions.unwrap_or(0),
            "old": side(old_path),
            "new": side(new_path),
        }));
    }
    page(ctx, values, 500, 5000)
}

/// `GET .../filehistory/{commit}/{path}`: the commits that changed the file, newest first.
pub fn filehistory(ctx: &mut Ctx<'_>) -> ApiResult {
    let git = ctx.git()?;
    let rev = ctx.param("commit").to_owned();
    let commit = resolve(&git, &rev)?.ok_or_else(|| commit_not_found(&rev))?;
    let path = ctx.param("path").to_owned();
    let out = git.git(&["rev-list", "--topo-order", commit.as_str(), "--", &path])?;
    let mut values = Vec::new();
    for line in String::from_utf8_lossy(&out).lines() {
        let oid = Oid::parse(line).ok_or_else(|| ApiError::internal("rev-list output"))?;
        let (mode, kind, size) = match entry_at(&git, &oid, &path)? {
            Some((m, k, _, s)) => (m, k, s),
            None => (MODE_FILE.to_owned(), ObjectKind::Blob, None),
        };
        let mut v = file_json(ctx, &oid, &path, &mode, kind, size);
        v["commit"] = commit_json(ctx, &git, &oid)?;
        values.push(v);
    }
    page(ctx, values, 50, 100)
}

// ---------------------------------------------------------------------------------------------
// Pull requests

fn pull_json(ctx: &Ctx<'_>, git: &BareRepo, p: &PullRequest) -> Result<Value, ApiError> {
    let full = ctx.full_name();
    let endpoint = |branch: &str| -> Result<Value, ApiError> {
        let commit = git
            .branch(branch)?
            .map(|o| json!({ "type": "commit", "hash": o.as_str() }));
        Ok(json!({
            "branch": { "name": branch },
            "commit": commit,
            "repository": { "type": "repository", "full_name": full },
        }))
    };
    let reviewers: Vec<Value> = p
        .reviewers
        .iter()
        .map(|r| json!({ "type": "user", "uuid": r, "display_name": r }))
        .collect();
    Ok(json!({
        "type": "pullrequest",
        "id": p.id,
        "title": p.title,
        "description": p.description,
        "summary": { "raw": p.description, "markup": "markdown", "html": "" },
        "state": p.state.as_str(),
        "draft": p.draft,
        "source": endpoint(&p.source)?,
        "destination": endpoint(&p.destination)?,
        "author": { "type": "user", "display_name": p.author },
        "reviewers": reviewers,
        "comment_count": p.comments.len(),
        "close_source_branch": false,
        "created_on": p.created_on,
        "updated_on": p.updated_on,
        "merge_commit": p.merge_commit.as_ref().map(|h| json!({ "type": "commit", "hash": h })),
        "links": {
            "self": link(ctx.api_url(&format!("/repositories/{full}/pullrequests/{}", p.id))),
            "html": link(ctx.web_url(&format!("/{full}/pull-requests/{}", p.id))),
        },
    }))
}

/// A BBQL filter of the subset the emulator understands: `field = "value"` and
/// `field != "value"` joined by `AND`, on `source.branch.name`, `destination.branch.name`,
/// `state`, `title`, `id`.
fn bbql(q: &str) -> Result<Vec<(String, bool, String)>, String> {
    let mut terms = Vec::new();
    let mut rest = q.trim();
    loop {
        let op_at = rest
            .find(['=', '!'])
            .ok_or_else(|| format!("no comparison in {rest:?}"))?;
        let field = rest[..op_at].trim().to_owned();
        let (equal, after) = if rest[op_at..].starts_with("!=") {
            (false, &rest[op_at + 2..])
        } else {
            (true, &rest[op_at + 1..])
        };
        let after = after.trim_start();
        let value;
        if let Some(inner) = after.strip_prefix('"') {
            let mut out = String::new();
            let mut chars = inner.char_indices();
            let mut end = None;
            while let Some((i, c)) = chars.next() {
                match c {
                    '\\' => {
                        if let Some((_, n)) = chars.next() {
                            out.push(n);
                        }
                    }
                    '"' => {
                        end = Some(i);
                        break;
                    }
                    c => out.push(c),
                }
            }
            let end = end.ok_or("unterminated string")?;
            value = out;
            rest = inner[end + 1..].trim_start();
        } else {
            let end = after.find(' ').unwrap_or(after.len());
            value = after[..end].to_owned();
            rest = after[end..].trim_start();
        }
        if ![
            "source.branch.name",
            "destination.branch.name",
            "state",
            "title",
            "id",
        ]
        .contains(&field.as_str())
        {
            return Err(format!("the emulator's BBQL has no field {field:?}"));
        }
        terms.push((field, equal, value));
        if rest.is_empty() {
            return Ok(terms);
        }
        rest = rest
            .strip_prefix("AND ")
            .or_else(|| rest.strip_prefix("and "))
            .ok_or_else(|| format!("expected AND before {rest:?}"))?;
    }
}

/// `GET .../pullrequests` with `state` (repeatable; default `OPEN`) and `q` (BBQL).
pub fn list_pulls(ctx: &mut Ctx<'_>) -> ApiResult {
    let git = ctx.git()?;
    let states = query_all(ctx.req, "state");
    let states: Vec<String> = if states.is_empty() {
        vec!["OPEN".into()]
    } else {
        states
    };
    let terms = match ctx.req.query_param("q") {
        Some(q) => {
            bbql(&q).map_err(|why| ApiError::bad_request(&format!("Invalid query: {why}")))?
        }
        None => Vec::new(),
    };
    let pulls = ctx.repo()?.pulls.clone();
    let mut values = Vec::new();
    for p in &pulls {
        if !states
            .iter()
            .any(|s| s.eq_ignore_ascii_case(p.state.as_str()))
        {
            continue;
        }
        let keep = terms.iter().all(|(field, equal, value)| {
            let actual = match field.as_str() {
                "source.branch.name" => p.source.clone(),
                "destination.branch.name" => p.destination.clone(),
                "state" => p.state.as_str().to_owned(),
                "title" => p.title.clone(),
                _ => p.id.to_string(),
            };
            (actual == *value) == *equal
        });
        if keep {
            values.push(pull_json(ctx, &git, p)?);
        }
    }
    page(ctx, values, 10, 50)
}

/// `POST .../pullrequests`.
pub fn create_pull(ctx: &mut Ctx<'_>) -> ApiResult {
    let git = ctx.git()?;
    let title = ctx.body["title"].as_str().unwrap_or("").to_owned();
    if title.trim().is_empty() {
        return Err(ApiError::detailed(
            400,
            "title: This field is required.",
            "",
        ));
    }
    let source = ctx.body["source"]["branch"]["name"]
        .as_str()
        .ok_or_else(|| ApiError::bad_request("source: This field is required."))?
        .to_owned();
    let destination = match ctx.body["destination"]["branch"]["name"].as_str() {
        Some(d) => d.to_owned(),
        None => git.head_branch()?,
    };
    let src = git
        .branch(&source)?
        .ok_or_else(|| ApiError::bad_request(&format!("source: branch not found: {source}")))?;
    let dst = git.branch(&destination)?.ok_or_else(|| {
        ApiError::bad_request(&format!("destination: branch not found: {destination}"))
    })?;
    if ctx
        .repo()?
        .pulls
        .iter()
        .any(|p| p.state == PullState::Open && p.source == source && p.destination == destination)
    {
        return Err(ApiError::bad_request(
            "Only one pull request may be open for a given source and target branch",
        ));
    }
    if git.count_commits(&src, &dst)? == 0 {
        return Err(ApiError::bad_request("There are no changes to be pulled"));
    }
    let reviewers = ctx.body["reviewers"]
        .as_array()
        .map(|rs| {
            rs.iter()
                .filter_map(|r| r["uuid"].as_str().or(r["account_id"].as_str()))
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    let now = crate::time::now_rfc3339();
    let author = ctx.caller.credential.display_name.clone();
    let repo = ctx
        .state
        .repo_mut(&ctx.full_name())
        .expect("checked by ctx.repo()");
    let id = repo.pulls.len() as u64 + 1;
    let pull = PullRequest {
        id,
        title,
        description: ctx.body["description"].as_str().unwrap_or("").to_owned(),
        source,
        destination,
        state: PullState::Open,
        draft: ctx.body["draft"].as_bool().unwrap_or(false),
        reviewers,
        author,
        comments: Vec::new(),
        created_on: now.clone(),
        updated_on: now,
        merge_commit: None,
    };
    repo.pulls.push(pull.clone());
    Ok(Response::json(201, &pull_json(ctx, &git, &pull)?))
}

fn pull_id(ctx: &Ctx<'_>) -> Result<u64, ApiError> {
    ctx.param("pull_request_id")
        .parse()
        .map_err(|_| ApiError::not_found("Pull request not found"))
}

/// `GET .../pullrequests/{id}`.
pub fn get_pull(ctx: &mut Ctx<'_>) -> ApiResult {
    let git = ctx.git()?;
    let id = pull_id(ctx)?;
    let pull = ctx
        .repo()?
        .pull(id)
        .cloned()
        .ok_or_else(|| ApiError::not_found("Pull request not found"))?;
    Ok(Response::json(200, &pull_json(ctx, &git, &pull)?))
}

/// `PUT .../pullrequests/{id}`: title, description, destination, reviewers.
pub fn update_pull(ctx: &mut Ctx<'_>) -> ApiResult {
    let git = ctx.git()?;
    let id = pull_id(ctx)?;
    ctx.repo()?
        .pull(id)
        .ok_or_else(|| ApiError::not_found("Pull request not found"))?;
    let body = ctx.body.clone();
    let full = ctx.full_name();
    let repo = ctx.state.repo_mut(&full).expect("checked above");
    let pull = repo.pull_mut(id).expect("checked above");
    if pull.state != PullState::Open {
        return Err(ApiError::bad_request(
            "Only open pull requests can be updated",
        ));
    }
    if let Some(t) = body["title"].as_str() {
        pull.title = t.to_owned();
    }
    if let Some(d) = body["description"].as_str() {
        pull.description = d.to_owned();
    }
    if let Some(d) = body["destination"]["branch"]["name"].as_str() {
        pull.destination = d.to_owned();
    }
    pull.updated_on = crate::time::now_rfc3339();
    let pull = pull.clone();
    Ok(Response::json(200, &pull_json(ctx, &git, &pull)?))
}

fn comment_json(ctx: &Ctx<'_>, id: u64, c: &Comment) -> Value {
    json!({
        "type": "pullrequest_comment",
        "id": c.id,
        "content": { "raw": c.raw, "markup": "markdown", "html": "" },
        "user": { "type": "user", "display_name": c.author },
        "created_on": c.created_on,
        "updated_on": c.created_on,
        "deleted": false,
        "links": {
            "self": link(ctx.api_url(&format!(
                "/repositories/{}/pullrequests/{id}/comments/{}",
                ctx.full_name(),
                c.id
            ))),
        },
    })
}

/// `GET .../pullrequests/{id}/comments`.
pub fn list_comments(ctx: &mut Ctx<'_>) -> ApiResult {
    let id = pull_id(ctx)?;
    let pull = ctx
        .repo()?
        .pull(id)
        .cloned()
        .ok_or_else(|| ApiError::not_found("Pull request not found"))?;
    let values = pull
        .comments
        .iter()
        .map(|c| comment_json(ctx, id, c))
        .collect();
    page(ctx, values, 10, 100)
}

/// `POST .../pullrequests/{id}/comments`.
pub fn create_comment(ctx: &mut Ctx<'_>) -> ApiResult {
    let id = pull_id(ctx)?;
    ctx.repo()?
        .pull(id)
        .ok_or_else(|| ApiError::not_found("Pull request not found"))?;
    let raw = ctx.body["content"]["raw"]
        .as_str()
        .filter(|r| !r.trim().is_empty())
        .ok_or_else(|| ApiError::bad_request("content.raw: This field is required."))?
        .to_owned();
    let author = ctx.caller.credential.display_name.clone();
    let full = ctx.full_name();
    ctx.state.last_id += 1;
    let comment_id = ctx.state.last_id;
    let repo = ctx.state.repo_mut(&full).expect("checked above");
    let pull = repo.pull_mut(id).expect("checked above");
    let comment = Comment {
        id: comment_id,
        raw,
        author,
        created_on: crate::time::now_rfc3339(),
    };
    pull.comments.push(comment.clone());
    Ok(Response::json(201, &comment_json(ctx, id, &comment)))
}

// ---------------------------------------------------------------------------------------------
// OAuth

/// What RFC 6749 and Bitbucket's OAuth documentation say is wrong with a token request (the
/// token endpoint is not part of the API description).
pub fn token_request_problems(request: &Request) -> Vec<String> {
    let mut problems = Vec::new();
    if request.method != "POST" {
        problems.push("the token endpoint takes POST".into());
    }
    if !request
        .header("content-type")
        .is_some_and(|c| c.starts_with("application/x-www-form-urlencoded"))
    {
        problems
            .push("a token request is application/x-www-form-urlencoded (RFC 6749 4.4.2)".into());
    }
    let form = crate::http::parse_query(&String::from_utf8_lossy(&request.body));
    if !form
        .iter()
        .any(|(k, v)| k == "grant_type" && v == "client_credentials")
    {
        problems.push("grant_type=client_credentials is missing".into());
    }
    if !request
        .header("authorization")
        .is_some_and(|a| a.to_ascii_lowercase().starts_with("basic "))
    {
        problems.push("the consumer authenticates with Basic key:secret (RFC 6749 2.3.1)".into());
    }
    problems
}

/// `POST /site/oauth2/access_token` with the client credentials grant.
pub fn issue_token(emu: &Emulator, request: &Request) -> ApiResult {
    let invalid = || {
        Response::json(
            400,
            &json!({ "error": "invalid_client", "error_description": "Invalid OAuth client credentials" }),
        )
    };
    let Some(header) = request.header("authorization") else {
        return Ok(invalid());
    };
    let decoded = header
        .split_once(' ')
        .and_then(|(_, v)| {
            base64::engine::general_purpose::STANDARD
                .decode(v.trim())
                .ok()
        })
        .and_then(|b| String::from_utf8(b).ok())
        .unwrap_or_default();
    let Some((key, secret)) = decoded.split_once(':') else {
        return Ok(invalid());
    };
    let credentials = emu
        .credentials
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .clone();
    let Some(consumer) = credentials.into_iter().find(|c| {
        matches!(&c.kind, super::config::CredentialKind::OAuthConsumer { key: k, secret: s }
            if k == key && s == secret)
    }) else {
        return Ok(invalid());
    };
    if !token_request_problems(request).is_empty() {
        return Ok(Response::json(
            400,
            &json!({ "error": "unsupported_grant_type", "error_description": "Only client_credentials is supported here" }),
        ));
    }
    let token = format!("bbo_{:032x}", random_u128());
    emu.issued
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .push((token.clone(), consumer.clone()));
    Ok(Response::json(
        200,
        &json!({
            "access_token": token,
            "scopes": consumer.scopes.names().join(" "),
            "expires_in": 7200,
            "refresh_token": format!("bbr_{:032x}", random_u128()),
            "token_type": "bearer",
            "state": "client_credentials",
        }),
    ))
}

fn random_u128() -> u128 {
    use std::hash::{BuildHasher, Hasher};
    let mut out = 0u128;
    for _ in 0..2 {
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u64(crate::time::now() as u64);
        out = (out << 64) | h.finish() as u128;
    }
    out
}

/// A write a branch restriction refuses. The body has the shape and `data.key` Bitbucket
/// Cloud gives (Atlassian's tracker, BCLOUD-20121: `{"type": "error", "error": {"message",
/// "data": {"key": "BRANCH_PERMISSION_VIOLATED"}}, "data": {"key": …}}`); the status (403) and
/// the wording for a push are the emulator's: a client must go by the key.
fn branch_permission_violated(message: &str) -> ApiError {
    let data = json!({"key": "BRANCH_PERMISSION_VIOLATED"});
    ApiError {
        status: 403,
        body: json!({"type": "error", "data": data, "error": {"message": message, "data": data}}),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bbql_subset() {
        let terms =
            bbql(r#"source.branch.name="a\"b" AND destination.branch.name = "main""#).unwrap();
        assert_eq!(terms[0], ("source.branch.name".into(), true, "a\"b".into()));
        assert_eq!(terms[1].2, "main");
        assert!(bbql("author.uuid=\"x\"").is_err());
        assert!(!bbql("state != \"OPEN\"").unwrap()[0].1);
    }
}
