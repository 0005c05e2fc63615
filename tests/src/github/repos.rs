//! Users and repositories: the authenticated user, listing and creating repositories, a
//! repository, a branch, and the rate-limit status.

use serde_json::{json, Value};

use super::api::{ok, ApiError, ApiResult, Caller, Ctx};
use super::config::TokenKind;
use super::control::{self, RepoSpec};
use super::render;
use crate::emulator::RepoRecord as _;
use crate::http::Response;

const INTEGRATION: &str = "Resource not accessible by integration";

fn require_person(ctx: &Ctx<'_>) -> Result<String, ApiError> {
    match ctx.token() {
        Some(token) if token.kind == TokenKind::Personal => Ok(token.identity.login.clone()),
        _ => Err(ApiError::forbidden(INTEGRATION)),
    }
}

/// `GET /user`: people only; integrations (Actions, App installations) get 403.
pub fn get_user(ctx: &mut Ctx<'_>) -> ApiResult {
    require_person(ctx)?;
    let token = ctx.token().expect("checked by require_person");
    let mut user = render::user(ctx, &token.identity.login);
    user["name"] = json!(token.identity.name);
    user["email"] = json!(token.identity.email);
    ok(user)
}

/// `GET /user/repos`: every repository the personal token can see, by full name.
pub fn list_user_repos(ctx: &mut Ctx<'_>) -> ApiResult {
    require_person(ctx)?;
    let visibility = ctx.query("visibility").unwrap_or_else(|| "all".into());
    let mut repos: Vec<_> = ctx
        .state
        .repos
        .values()
        .filter(|r| ctx.can_see(&r.full_name()))
        .filter(|r| match visibility.as_str() {
            "public" => !r.private,
            "private" => r.private,
            _ => true,
        })
        .collect();
    repos.sort_by_key(|r| r.full_name().to_ascii_lowercase());
    let items: Vec<Value> = repos.into_iter().map(|r| render::repo(ctx, r)).collect();
    Ok(ctx.paginated(items))
}

/// Whether `login` is an account: a person with a token, or the owner of a repository.
fn account_exists(ctx: &Ctx<'_>, login: &str) -> bool {
    ctx.emu.is_person(login)
        || ctx
            .state
            .repos
            .values()
            .any(|r| r.owner.eq_ignore_ascii_case(login))
}

/// `GET /users/{username}`: the account (`type` says `User` or `Organization`: an owner is an
/// organisation unless a personal token acts as it); 404 for an unknown login.
pub fn get_account(ctx: &mut Ctx<'_>) -> ApiResult {
    let login = ctx.param("username").to_owned();
    if !account_exists(ctx, &login) {
        return Err(ApiError::not_found());
    }
    ok(render::user(ctx, &login))
}

/// `GET /users/{username}/repos`: the account's public repositories, by full name.
pub fn list_account_repos(ctx: &mut Ctx<'_>) -> ApiResult {
    let login = ctx.param("username").to_owned();
    if !account_exists(ctx, &login) {
        return Err(ApiError::not_found());
    }
    let mut repos: Vec<_> = ctx
        .state
        .repos
        .values()
        .filter(|r| r.owner.eq_ignore_ascii_case(&login) && !r.private)
        .collect();
    repos.sort_by_key(|r| r.full_name().to_ascii_lowercase());
    let items: Vec<Value> = repos.into_iter().map(|r| render::repo(ctx, r)).collect();
    Ok(ctx.paginated(items))
}

/// `GET /orgs/{org}/repos`: the organisation's repositories, oldest first; 404 for an owner
/// with no repositories and for a person's login (not an organisation).
pub fn list_org_repos(ctx: &mut Ctx<'_>) -> ApiResult {
    let org = ctx.param("org").to_owned();
    if ctx.emu.is_person(&org) {
        return Err(ApiError::not_found());
    }
    let all: Vec<_> = ctx
        .state
        .repos
        .values()
        .filter(|r| r.owner.eq_ignore_ascii_case(&org))
        .collect();
    if all.is_empty() {
        return Err(ApiError::not_found());
    }
    let kind = ctx.query("type").unwrap_or_else(|| "all".into());
    let mut repos: Vec<_> = all
        .into_iter()
        .filter(|r| ctx.can_see(&r.full_name()))
        .filter(|r| match kind.as_str() {
            "public" => !r.private,
            "private" => r.private,
            _ => true,
        })
        .collect();
    repos.sort_by_key(|r| r.id);
    let items: Vec<Value> = repos.into_iter().map(|r| render::repo(ctx, r)).collect();
    Ok(ctx.paginated(items))
}

/// `GET /installation/repositories`: for installation tokens (and `GITHUB_TOKEN`).
pub fn list_installation_repos(ctx: &mut Ctx<'_>) -> ApiResult {
    if ctx.token().is_none_or(|t| t.kind == TokenKind::Personal) {
        return Err(ApiError::forbidden(
            "You must authenticate with an installation access token in order to list repositories for an installation.",
        ));
    }
    let mut repos: Vec<_> = ctx
        .state
        .repos
        .values()
        .filter(|r| ctx.can_see(&r.full_name()))
        .collect();
    repos.sort_by_key(|r| r.id);
    let total = repos.len();
    let (page, per_page) = ctx.page();
    let items: Vec<Value> = repos
        .into_iter()
        .skip((page - 1) * per_page)
        .take(per_page)
        .map(|r| render::repo(ctx, r))
        .collect();
    let selection = if ctx.token().is_some_and(|t| t.repositories.is_some()) {
        "selected"
    } else {
        "all"
    };
    let mut response = Response::json(
        200,
        &json!({"total_count": total, "repository_selection": selection, "repositories": items}),
    );
    if let Some(link) = ctx.link_header(page, total.div_ceil(per_page).max(1)) {
        response.set_header("link", link);
    }
    Ok(response)
}

/// `POST /orgs/{org}/repos`; 404 for a person's login, as GitHub answers.
pub fn create_org_repo(ctx: &mut Ctx<'_>) -> ApiResult {
    let owner = ctx.param("org").to_owned();
    if ctx.emu.is_person(&owner) {
        return Err(ApiError::not_found());
    }
    create_repo(ctx, &owner)
}

/// `POST /user/repos`: a repository of the token's user.
pub fn create_user_repo(ctx: &mut Ctx<'_>) -> ApiResult {
    let owner = require_person(ctx)?;
    create_repo(ctx, &owner)
}

fn create_repo(ctx: &mut Ctx<'_>, owner: &str) -> ApiResult {
    let name = ctx.body_str("name").unwrap_or_default().to_owned();
    let valid = !name.is_empty()
        && name != "."
        && name != ".."
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if !valid {
        return Err(repo_creation_failed(
            "name",
            &format!("name {name:?} is not a valid repository name"),
        ));
    }
    let full_name = format!("{owner}/{name}");
    if ctx.state.repo(&full_name).is_some() {
        return Err(repo_creation_failed(
            "name",
            "name already exists on this account",
        ));
    }
    let private = ctx
        .body
        .get("private")
        .and_then(Value::as_bool)
        .unwrap_or(false)
        || matches!(ctx.body_str("visibility"), Some("private" | "internal"));
    let mut spec = RepoSpec::new(&full_name).private(private);
    spec.description = ctx.body_str("description").map(str::to_owned);
    if !ctx
        .body
        .get("auto_init")
        .and_then(Value::as_bool)
        .unwrap_or(false)
    {
        spec = spec.empty();
    }
    let repo = control::create_repo(ctx.emu, ctx.state, &spec).map_err(ApiError::internal)?;
    let mut value = render::repo(ctx, &repo);
    value["permissions"] =
        json!({"admin": true, "maintain": true, "push": true, "triage": true, "pull": true});
    let mut response = Response::json(201, &value);
    response.set_header("location", ctx.api_url(&format!("/repos/{full_name}")));
    Ok(response)
}

fn repo_creation_failed(field: &str, message: &str) -> ApiError {
    let mut error = ApiError::unprocessable("Repository creation failed.");
    error.body["errors"] =
        json!([{"resource": "Repository", "code": "custom", "field": field, "message": message}]);
    error
}

/// `GET /repos/{owner}/{repo}`.
pub fn get_repo(ctx: &mut Ctx<'_>) -> ApiResult {
    let repo = ctx.repo()?;
    ok(render::repo(ctx, repo))
}

/// `GET /repos/{owner}/{repo}/branches/{branch}`.
pub fn get_branch(ctx: &mut Ctx<'_>) -> ApiResult {
    let git = ctx.git()?;
    let repo = ctx.repo()?;
    let full_name = repo.full_name();
    let branch = ctx.param("branch").to_owned();
    let Some(head) = git.branch(&branch)? else {
        return Err(ApiError::new(404, "Branch not found"));
    };
    let commit = git.read_commit(&head)?;
    let protected = repo.protected_branches.contains(&branch);
    ok(json!({
        "name": branch,
        "commit": render::commit_resource(ctx, repo, &commit),
        "_links": {
            "self": ctx.api_url(&format!("/repos/{full_name}/branches/{branch}")),
            "html": ctx.html_url(&format!("/{full_name}/tree/{branch}")),
        },
        "protected": protected,
        "protection": {"enabled": protected, "required_status_checks": {"enforcement_level": "off", "contexts": [], "checks": []}},
        "protection_url": ctx.api_url(&format!("/repos/{full_name}/branches/{branch}/protection")),
    }))
}

/// `GET /rate_limit`: the caller's budgets (this request is not counted, as on GitHub).
pub fn rate_limit(ctx: &mut Ctx<'_>) -> ApiResult {
    let caller: &Caller = &ctx.caller;
    let core = ctx.emu.rate_snapshot(caller, "core");
    let graphql = ctx.emu.rate_snapshot(caller, "graphql");
    let budget = |(limit, used, reset): (u32, u32, i64)| json!({"limit": limit, "used": used, "remaining": limit.saturating_sub(used), "reset": reset});
    ok(json!({
        "resources": {"core": budget(core), "graphql": budget(graphql)},
        "rate": budget(core),
    }))
}
