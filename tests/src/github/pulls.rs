//! Pull requests and the issue endpoints used on them (comments, labels, assignees), with
//! GitHub's validation answers.

use serde_json::{json, Value};

use super::api::{created, ok, ApiError, ApiResult, Ctx};
use super::config::TokenKind;
use super::render;
use super::state::{Comment, PullRequest, PullState};
use crate::emulator::RepoRecord as _;
use crate::http::Response;

/// GitHub's 403 when the repository or organisation setting forbids Actions to open pull
/// requests.
pub const ACTIONS_NOT_PERMITTED: &str =
    "GitHub Actions is not permitted to create or approve pull requests.";

fn custom_error(message: &str) -> ApiError {
    ApiError::validation(json!([{"resource": "PullRequest", "code": "custom", "message": message}]))
}

fn field_error(field: &str) -> ApiError {
    ApiError::validation(json!([{"resource": "PullRequest", "field": field, "code": "invalid"}]))
}

fn number(ctx: &Ctx<'_>, name: &str) -> Result<u64, ApiError> {
    ctx.param(name).parse().map_err(|_| ApiError::not_found())
}

fn pull_of<'a>(ctx: &'a Ctx<'_>, name: &str) -> Result<&'a PullRequest, ApiError> {
    let n = number(ctx, name)?;
    ctx.repo()?.pull(n).ok_or_else(ApiError::not_found)
}

/// `GET /repos/{owner}/{repo}/pulls`: filters `state`, `head` (`owner:branch`), `base`;
/// newest first unless `direction=asc`; paginated.
pub fn list(ctx: &mut Ctx<'_>) -> ApiResult {
    let repo = ctx.repo()?;
    let state = ctx.query("state").unwrap_or_else(|| "open".into());
    let head = ctx.query("head");
    let base = ctx.query("base");
    let mut pulls: Vec<&PullRequest> = repo
        .pulls
        .iter()
        .filter(|p| state == "all" || p.state.as_str() == state)
        .filter(|p| match &head {
            Some(head) => match head.split_once(':') {
                Some((owner, branch)) => {
                    owner.eq_ignore_ascii_case(&p.head_owner) && branch == p.head
                }
                None => head.eq_ignore_ascii_case(&p.head_owner),
            },
            None => true,
        })
        .filter(|p| base.as_ref().is_none_or(|b| *b == p.base))
        .collect();
    if ctx.query("direction").as_deref() != Some("asc") {
        pulls.reverse();
    }
    let items: Vec<Value> = pulls
        .into_iter()
        .map(|p| render::pull(ctx, repo, p))
        .collect();
    Ok(ctx.paginated(items))
}

/// `GET /repos/{owner}/{repo}/pulls/{pull_number}`.
pub fn get(ctx: &mut Ctx<'_>) -> ApiResult {
    let pull = pull_of(ctx, "pull_number")?;
    ok(render::pull(ctx, ctx.repo()?, pull))
}

/// `POST /repos/{owner}/{repo}/pulls`.
pub fn create(ctx: &mut Ctx<'_>) -> ApiResult {
    let git = ctx.git()?;
    let repo = ctx.repo()?;
    let owner = repo.owner.clone();
    let head_spec = ctx.body_str("head").unwrap_or_default().to_owned();
    let base = ctx.body_str("base").unwrap_or_default().to_owned();
    let head = match head_spec.split_once(':') {
        Some((head_owner, branch)) if head_owner.eq_ignore_ascii_case(&owner) => branch.to_owned(),
        Some(_) => return Err(field_error("head")),
        None => head_spec.clone(),
    };
    let token = ctx.token().ok_or_else(ApiError::not_found)?;
    if token.kind == TokenKind::Actions && !repo.actions_can_create_pull_requests {
        return Err(ApiError::forbidden(ACTIONS_NOT_PERMITTED));
    }
    let user = token.identity.login.clone();
    let Some(base_sha) = git.branch(&base)? else {
        return Err(field_error("base"));
    };
    let Some(head_sha) = git.branch(&head)? else {
        return Err(field_error("head"));
    };
    if repo
        .pulls
        .iter()
        .any(|p| p.state == PullState::Open && p.head == head && p.base == base)
    {
        return Err(custom_error(&format!(
            "A pull request already exists for {owner}:{head}."
        )));
    }
    if git.count_commits(&head_sha, &base_sha)? == 0 {
        return Err(custom_error(&format!(
            "No commits between {base} and {head}"
        )));
    }
    let now = crate::time::now_rfc3339();
    let id = ctx.state.next_id();
    let repo = ctx.repo_mut()?;
    let number = repo.next_number;
    repo.next_number += 1;
    let pull = PullRequest {
        id,
        number,
        title: ctx.body_str("title").unwrap_or_default().to_owned(),
        body: ctx.body_str("body").map(str::to_owned),
        state: PullState::Open,
        draft: ctx
            .body
            .get("draft")
            .and_then(Value::as_bool)
            .unwrap_or(false),
        head_owner: owner,
        head,
        base,
        head_sha: head_sha.to_string(),
        base_sha: base_sha.to_string(),
        user,
        labels: Vec::new(),
        assignees: Vec::new(),
        requested_reviewers: Vec::new(),
        requested_teams: Vec::new(),
        comments: Vec::new(),
        merged: false,
        merge_commit_sha: None,
        maintainer_can_modify: ctx
            .body
            .get("maintainer_can_modify")
            .and_then(Value::as_bool)
            .unwrap_or(true),
        created_at: now.clone(),
        updated_at: now,
        closed_at: None,
        merged_at: None,
    };
    let repo = ctx.repo_mut()?;
    repo.pulls.push(pull);
    let repo = ctx.repo()?;
    let value = render::pull(ctx, repo, repo.pull(number).expect("just added"));
    let mut response = Response::json(201, &value);
    response.set_header(
        "location",
        ctx.api_url(&format!("/repos/{}/pulls/{number}", repo.full_name())),
    );
    Ok(response)
}

/// `PATCH /repos/{owner}/{repo}/pulls/{pull_number}`: title, body, state, base.
pub fn update(ctx: &mut Ctx<'_>) -> ApiResult {
    let git = ctx.git()?;
    let pull = pull_of(ctx, "pull_number")?.clone();
    let mut updated = pull.clone();
    if let Some(title) = ctx.body_str("title") {
        updated.title = title.to_owned();
    }
    if let Some(body) = ctx.body.get("body") {
        updated.body = body.as_str().map(str::to_owned);
    }
    if let Some(base) = ctx.body_str("base") {
        if git.branch(base)?.is_none() {
            return Err(field_error("base"));
        }
        updated.base = base.to_owned();
    }
    if let Some(flag) = ctx
        .body
        .get("maintainer_can_modify")
        .and_then(Value::as_bool)
    {
        updated.maintainer_can_modify = flag;
    }
    let now = crate::time::now_rfc3339();
    match ctx.body_str("state") {
        Some("closed") if pull.state == PullState::Open => {
            updated.state = PullState::Closed;
            updated.closed_at = Some(now.clone());
        }
        Some("open") if pull.state == PullState::Closed => {
            if pull.merged {
                return Err(ApiError::unprocessable(
                    "Cannot reopen a merged pull request",
                ));
            }
            if git.branch(&pull.head)?.is_none() {
                return Err(custom_error(
                    "Cannot reopen this pull request: its head branch was deleted",
                ));
            }
            let repo = ctx.repo()?;
            if repo.pulls.iter().any(|p| {
                p.state == PullState::Open && p.head == pull.head && p.base == updated.base
            }) {
                return Err(custom_error(&format!(
                    "A pull request already exists for {}:{}.",
                    pull.head_owner, pull.head
                )));
            }
            updated.state = PullState::Open;
            updated.closed_at = None;
        }
        _ => {}
    }
    updated.updated_at = now;
    let number = pull.number;
    *ctx.repo_mut()?.pull_mut(number).expect("found above") = updated;
    let repo = ctx.repo()?;
    ok(render::pull(
        ctx,
        repo,
        repo.pull(number).expect("found above"),
    ))
}

/// `POST /repos/{owner}/{repo}/pulls/{pull_number}/requested_reviewers`.
pub fn request_reviewers(ctx: &mut Ctx<'_>) -> ApiResult {
    let pull = pull_of(ctx, "pull_number")?.clone();
    let names = |field: &str| -> Vec<String> {
        ctx.body
            .get(field)
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default()
    };
    let (reviewers, teams) = (names("reviewers"), names("team_reviewers"));
    if reviewers.iter().any(|r| r.eq_ignore_ascii_case(&pull.user)) {
        return Err(ApiError::unprocessable(
            "Review cannot be requested from pull request author.",
        ));
    }
    let number = pull.number;
    let stored = ctx.repo_mut()?.pull_mut(number).expect("found above");
    add_unique(&mut stored.requested_reviewers, reviewers);
    add_unique(&mut stored.requested_teams, teams);
    stored.updated_at = crate::time::now_rfc3339();
    let repo = ctx.repo()?;
    created(render::pull(
        ctx,
        repo,
        repo.pull(number).expect("found above"),
    ))
}

fn add_unique(list: &mut Vec<String>, new: Vec<String>) {
    for item in new {
        if !list.iter().any(|i| i.eq_ignore_ascii_case(&item)) {
            list.push(item);
        }
    }
}

/// `GET /repos/{owner}/{repo}/issues/{issue_number}/comments`, oldest first, paginated.
pub fn list_comments(ctx: &mut Ctx<'_>) -> ApiResult {
    let pull = pull_of(ctx, "issue_number")?;
    let full_name = ctx.full_name();
    let items: Vec<Value> = pull
        .comments
        .iter()
        .map(|c| render::comment(ctx, &full_name, pull.number, c))
        .collect();
    Ok(ctx.paginated(items))
}

/// `POST /repos/{owner}/{repo}/issues/{issue_number}/comments`.
pub fn create_comment(ctx: &mut Ctx<'_>) -> ApiResult {
    let number = pull_of(ctx, "issue_number")?.number;
    let user = ctx
        .token()
        .map(|t| t.identity.login.clone())
        .unwrap_or_default();
    let comment = Comment {
        id: ctx.state.next_id(),
        body: ctx.body_str("body").unwrap_or_default().to_owned(),
        user,
        created_at: crate::time::now_rfc3339(),
    };
    let full_name = ctx.full_name();
    let value = render::comment(ctx, &full_name, number, &comment);
    let pull = ctx.repo_mut()?.pull_mut(number).expect("found above");
    pull.comments.push(comment);
    pull.updated_at = crate::time::now_rfc3339();
    let mut response = Response::json(201, &value);
    response.set_header("location", value["url"].as_str().unwrap_or_default());
    Ok(response)
}

/// `POST /repos/{owner}/{repo}/issues/{issue_number}/labels`: `{"labels": [...]}` or a bare
/// array, of names or `{"name"}` objects; unknown labels are created. Answers every label.
pub fn add_labels(ctx: &mut Ctx<'_>) -> ApiResult {
    let number = pull_of(ctx, "issue_number")?.number;
    let list = match &ctx.body {
        Value::Array(items) => items.clone(),
        other => other
            .get("labels")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default(),
    };
    let names: Vec<String> = list
        .iter()
        .filter_map(|l| l.as_str().or_else(|| l.get("name").and_then(Value::as_str)))
        .map(str::to_owned)
        .collect();
    let pull = ctx.repo_mut()?.pull_mut(number).expect("found above");
    add_unique(&mut pull.labels, names);
    let labels = pull.labels.clone();
    let full_name = ctx.full_name();
    ok(Value::Array(
        labels
            .iter()
            .map(|l| render::label(ctx, &full_name, l))
            .collect(),
    ))
}

/// `POST /repos/{owner}/{repo}/issues/{issue_number}/assignees`.
pub fn add_assignees(ctx: &mut Ctx<'_>) -> ApiResult {
    let number = pull_of(ctx, "issue_number")?.number;
    let names: Vec<String> = ctx
        .body
        .get("assignees")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    let pull = ctx.repo_mut()?.pull_mut(number).expect("found above");
    add_unique(&mut pull.assignees, names);
    let repo = ctx.repo()?;
    created(render::issue(
        ctx,
        repo,
        repo.pull(number).expect("found above"),
    ))
}
