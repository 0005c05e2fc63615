//! GitHub App endpoints, authenticated with the App's JWT: finding the installation for a
//! repository, organisation or user, and issuing short-lived installation tokens.

use serde_json::{json, Value};

use super::api::{created, ok, ApiError, ApiResult, Caller, Ctx};
use super::auth::new_installation_token;
use super::config::{Access, AppConfig, Identity, Permissions, TokenConfig, TokenKind};
use super::render;

/// How long installation tokens live (GitHub: one hour).
const TOKEN_LIFETIME: i64 = 3600;

fn app(ctx: &Ctx<'_>) -> Result<AppConfig, ApiError> {
    match &ctx.caller {
        Caller::App(app) => Ok(app.clone()),
        Caller::Token(_) => Err(ApiError::unauthorized(
            "A JSON web token could not be decoded",
        )),
    }
}

fn access_name(access: Access) -> Option<&'static str> {
    match access {
        Access::None => None,
        Access::Read => Some("read"),
        Access::Write => Some("write"),
    }
}

fn permissions_json(p: &Permissions) -> Value {
    let mut map = serde_json::Map::new();
    map.insert("metadata".into(), json!("read"));
    for (name, access) in [
        ("contents", p.contents),
        ("pull_requests", p.pull_requests),
        ("administration", p.administration),
    ] {
        if let Some(level) = access_name(access) {
            map.insert(name.into(), json!(level));
        }
    }
    Value::Object(map)
}

fn installation_json(ctx: &Ctx<'_>, app: &AppConfig) -> Value {
    let id = app.installation_id;
    json!({
        "id": id,
        "account": render::user(ctx, &app.account),
        "access_tokens_url": ctx.api_url(&format!("/app/installations/{id}/access_tokens")),
        "repositories_url": ctx.api_url("/installation/repositories"),
        "html_url": ctx.html_url(&format!("/organizations/{}/settings/installations/{id}", app.account)),
        "app_id": app.id,
        "app_slug": app.slug,
        "target_id": crate::github::config::stable_id(&app.account),
        "target_type": "Organization",
        "permissions": permissions_json(&app.permissions),
        "events": [],
        "created_at": "2024-01-01T00:00:00Z",
        "updated_at": "2024-01-01T00:00:00Z",
        "single_file_name": null,
        "repository_selection": if app.repositories.is_some() { "selected" } else { "all" },
        "suspended_at": null,
        "suspended_by": null,
    })
}

/// `GET /repos/{owner}/{repo}/installation`.
pub fn repo_installation(ctx: &mut Ctx<'_>) -> ApiResult {
    let app = app(ctx)?;
    let full_name = ctx.full_name();
    if ctx.state.repo(&full_name).is_none() || !app.covers(&full_name) {
        return Err(ApiError::not_found());
    }
    ok(installation_json(ctx, &app))
}

/// `GET /orgs/{org}/installation`.
pub fn org_installation(ctx: &mut Ctx<'_>) -> ApiResult {
    let app = app(ctx)?;
    if !app.account.eq_ignore_ascii_case(ctx.param("org")) {
        return Err(ApiError::not_found());
    }
    ok(installation_json(ctx, &app))
}

/// `GET /users/{username}/installation`.
pub fn user_installation(ctx: &mut Ctx<'_>) -> ApiResult {
    let app = app(ctx)?;
    if !app.account.eq_ignore_ascii_case(ctx.param("username")) {
        return Err(ApiError::not_found());
    }
    ok(installation_json(ctx, &app))
}

/// `GET /app`.
pub fn get_app(ctx: &mut Ctx<'_>) -> ApiResult {
    let app = app(ctx)?;
    ok(json!({
        "id": app.id,
        "slug": app.slug,
        "node_id": format!("A_{}", app.id),
        "owner": render::user(ctx, &app.account),
        "name": app.slug,
        "description": "",
        "external_url": ctx.html_url(&format!("/apps/{}", app.slug)),
        "html_url": ctx.html_url(&format!("/apps/{}", app.slug)),
        "created_at": "2024-01-01T00:00:00Z",
        "updated_at": "2024-01-01T00:00:00Z",
        "permissions": permissions_json(&app.permissions),
        "events": [],
    }))
}

/// `POST /app/installations/{installation_id}/access_tokens`: a token valid for an hour,
/// limited to the requested repositories and permissions (never more than the installation's).
pub fn create_access_token(ctx: &mut Ctx<'_>) -> ApiResult {
    let app = app(ctx)?;
    if ctx.param("installation_id") != app.installation_id.to_string() {
        return Err(ApiError::not_found());
    }
    let requested: Option<Vec<String>> = ctx
        .body
        .get("repositories")
        .and_then(Value::as_array)
        .map(|names| {
            names
                .iter()
                .filter_map(Value::as_str)
                .map(|name| format!("{}/{name}", app.account))
                .collect()
        });
    if let Some(names) = &requested {
        if let Some(missing) = names
            .iter()
            .find(|n| !app.covers(n) || ctx.state.repo(n).is_none())
        {
            return Err(ApiError::unprocessable(&format!(
                "There is at least one repository that does not exist or is not accessible to the parent installation: {missing}"
            )));
        }
    }
    let mut permissions = app.permissions;
    if let Some(wanted) = ctx.body.get("permissions").and_then(Value::as_object) {
        let level = |name: &str, max: Access| -> Result<Access, ApiError> {
            let wanted = match wanted.get(name).and_then(Value::as_str) {
                None => return Ok(Access::None),
                Some("read") => Access::Read,
                Some("write") => Access::Write,
                Some(other) => {
                    return Err(ApiError::unprocessable(&format!(
                        "Unknown permission level {other} for {name}"
                    )))
                }
            };
            if wanted > max {
                return Err(ApiError::unprocessable(&format!(
                    "The permissions requested are not granted to this installation: {name}"
                )));
            }
            Ok(wanted)
        };
        // Metadata is read-only and every installation has it: asking to write it is refused.
        match wanted.get("metadata").and_then(Value::as_str) {
            None | Some("read") => {}
            Some(other) => {
                return Err(ApiError::unprocessable(&format!(
                    "The permissions requested are not granted to this installation: metadata ({other})"
                )))
            }
        }
        permissions = Permissions {
            contents: level("contents", app.permissions.contents)?,
            pull_requests: level("pull_requests", app.permissions.pull_requests)?,
            administration: level("administration", app.permissions.administration)?,
        };
    }
    let repositories = requested
        .clone()
        .or_else(|| app.repositories.clone())
        .unwrap_or_else(|| vec![format!("{}/*", app.account)]);
    let expires_at = crate::time::now() + TOKEN_LIFETIME;
    let token = TokenConfig {
        token: new_installation_token(),
        kind: TokenKind::Installation {
            installation_id: app.installation_id,
        },
        identity: Identity::app_bot(&app.slug),
        permissions,
        repositories: Some(repositories),
        expires_at: Some(expires_at),
    };
    let mut value = json!({
        "token": token.token,
        "expires_at": crate::time::rfc3339(expires_at),
        "permissions": permissions_json(&permissions),
        "repository_selection": if requested.is_some() || app.repositories.is_some() { "selected" } else { "all" },
    });
    if let Some(names) = &requested {
        let repos: Vec<Value> = names
            .iter()
            .filter_map(|n| ctx.state.repo(n))
            .map(|r| render::repo(ctx, r))
            .collect();
        value["repositories"] = Value::Array(repos);
    }
    // Kept in memory only: secrets are never written to the root directory.
    let mut tokens = ctx.emu.tokens.lock().unwrap_or_else(|p| p.into_inner());
    tokens.retain(|t| t.expires_at.is_none_or(|at| at > crate::time::now()));
    tokens.push(token);
    created(value)
}
