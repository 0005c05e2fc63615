//! GraphQL mutations on pull requests: `updatePullRequest` (title, body, base, state,
//! `maintainerCanModify`) and `addComment` (a conversation comment on a pull request), found by
//! node id (`PR_…`, or the issue's `I_…` for comments), as the REST pulls and issues endpoints
//! store them.

use serde_json::{json, Value};

use super::read::{actor, pull_data};
use super::FieldError;
use crate::emulator::RepoRecord as _;
use crate::github::api::Caller;
use crate::github::config::{Access, TokenConfig, TokenKind};
use crate::github::server::Emulator;
use crate::github::state::{Comment, PullState, State};

/// The token, if it may write pull requests.
fn writer(caller: &Caller) -> Result<&TokenConfig, FieldError> {
    let Caller::Token(token) = caller else {
        return Err(FieldError::new(
            "FORBIDDEN",
            "Resource not accessible by integration",
        ));
    };
    if token.permissions.pull_requests != Access::Write {
        let message = match token.kind {
            TokenKind::Personal => "Resource not accessible by personal access token",
            _ => "Resource not accessible by integration",
        };
        return Err(FieldError::new("FORBIDDEN", message));
    }
    Ok(token)
}

/// The repository key and number of the pull request with node id `id` (`PR_{id}`, or with
/// `issue` also its issue's `I_{id}`) that `token` can see.
fn find(
    state: &State,
    token: &TokenConfig,
    id: &str,
    issue: bool,
) -> Result<(String, u64), FieldError> {
    let not_found = || {
        FieldError::new(
            "NOT_FOUND",
            format!("Could not resolve to a node with the global id of '{id}'."),
        )
    };
    let database_id = id
        .strip_prefix("PR_")
        .or_else(|| id.strip_prefix("I_").filter(|_| issue))
        .and_then(|n| n.parse::<u64>().ok())
        .ok_or_else(not_found)?;
    state
        .repos
        .iter()
        .filter(|(_, repo)| token.can_see(&repo.full_name()))
        .find_map(|(key, repo)| {
            repo.pulls
                .iter()
                .find(|p| p.id == database_id)
                .map(|p| (key.clone(), p.number))
        })
        .ok_or_else(not_found)
}

/// `updatePullRequest(input: {pullRequestId, title, body, baseRefName, state,
/// maintainerCanModify})`.
pub(super) fn update_pull_request(
    emu: &Emulator,
    state: &mut State,
    caller: &Caller,
    input: &Value,
) -> Result<Value, FieldError> {
    let token = writer(caller)?;
    let id = input["pullRequestId"].as_str().unwrap_or_default();
    let (key, number) = find(state, token, id, false)?;
    for unmodelled in ["assigneeIds", "labelIds", "milestoneId", "projectIds"] {
        if !input[unmodelled].is_null() {
            return Err(FieldError::new(
                "EMULATOR_UNSUPPORTED",
                format!("The emulator does not implement updatePullRequest's {unmodelled}."),
            ));
        }
    }
    let repo = &state.repos[&key];
    let git = crate::git::BareRepo::open(&repo.git_dir(&emu.core.root));
    let internal =
        |e: crate::git::Error| FieldError::new("INTERNAL", format!("emulator failure: {e}"));
    let mut updated = repo.pull(number).expect("found above").clone();
    if let Some(title) = input["title"].as_str() {
        updated.title = title.to_owned();
    }
    if let Some(body) = input.get("body") {
        updated.body = body.as_str().map(str::to_owned);
    }
    if let Some(base) = input["baseRefName"].as_str() {
        if git.branch(base).map_err(internal)?.is_none() {
            return Err(FieldError::new(
                "UNPROCESSABLE",
                format!("Proposed base branch '{base}' was not found"),
            ));
        }
        updated.base = base.to_owned();
    }
    if let Some(flag) = input["maintainerCanModify"].as_bool() {
        updated.maintainer_can_modify = flag;
    }
    let now = crate::time::now_rfc3339();
    match input["state"].as_str() {
        Some("CLOSED") if updated.state == PullState::Open => {
            updated.state = PullState::Closed;
            updated.closed_at = Some(now.clone());
        }
        Some("OPEN") if updated.state == PullState::Closed => {
            if updated.merged {
                return Err(FieldError::new(
                    "UNPROCESSABLE",
                    "Cannot reopen a merged pull request",
                ));
            }
            if git.branch(&updated.head).map_err(internal)?.is_none() {
                return Err(FieldError::new(
                    "UNPROCESSABLE",
                    "Cannot reopen this pull request: its head branch was deleted",
                ));
            }
            if repo.pulls.iter().any(|p| {
                p.state == PullState::Open && p.head == updated.head && p.base == updated.base
            }) {
                return Err(FieldError::new(
                    "UNPROCESSABLE",
                    format!(
                        "A pull request already exists for {}:{}.",
                        updated.head_owner, updated.head
                    ),
                ));
            }
            updated.state = PullState::Open;
            updated.closed_at = None;
        }
        _ => {}
    }
    updated.updated_at = now;
    let repo = state.repos.get_mut(&key).expect("found above");
    *repo.pull_mut(number).expect("found above") = updated;
    let repo = &state.repos[&key];
    Ok(json!({
        "__typename": "UpdatePullRequestPayload",
        "clientMutationId": input.get("clientMutationId").cloned().unwrap_or(Value::Null),
        "actor": actor(&token.identity.login),
        "pullRequest": pull_data(emu, repo, repo.pull(number).expect("found above")),
    }))
}

/// `addComment(input: {subjectId, body})` on a pull request.
pub(super) fn add_comment(
    emu: &Emulator,
    state: &mut State,
    caller: &Caller,
    input: &Value,
) -> Result<Value, FieldError> {
    let token = writer(caller)?;
    let id = input["subjectId"].as_str().unwrap_or_default();
    let (key, number) = find(state, token, id, true)?;
    let body = input["body"].as_str().unwrap_or_default();
    if body.trim().is_empty() {
        return Err(FieldError::new("UNPROCESSABLE", "Body can't be blank"));
    }
    let comment = Comment {
        id: state.next_id(),
        body: body.to_owned(),
        user: token.identity.login.clone(),
        created_at: crate::time::now_rfc3339(),
    };
    let repo = state.repos.get_mut(&key).expect("found above");
    let full_name = repo.full_name();
    let node = json!({
        "__typename": "IssueComment",
        "id": format!("IC_{}", comment.id),
        "databaseId": comment.id,
        "body": comment.body,
        "url": format!("{}/{full_name}/pull/{number}#issuecomment-{}", emu.urls.web, comment.id),
        "createdAt": comment.created_at,
        "author": actor(&comment.user),
    });
    let pull = repo.pull_mut(number).expect("found above");
    pull.comments.push(comment);
    pull.updated_at = crate::time::now_rfc3339();
    let repo = &state.repos[&key];
    let cursor = |kind: &str| {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD.encode(format!("{kind}:{}", node["databaseId"]))
    };
    Ok(json!({
        "__typename": "AddCommentPayload",
        "clientMutationId": input.get("clientMutationId").cloned().unwrap_or(Value::Null),
        "commentEdge": {"__typename": "IssueCommentEdge", "cursor": cursor("comment"), "node": node},
        "timelineEdge": {"__typename": "IssueTimelineItemEdge", "cursor": cursor("timeline"), "node": node},
        "subject": pull_data(emu, repo, repo.pull(number).expect("found above")),
    }))
}
