//! Canned Bitbucket answers for fault rules ([`crate::fault`]), in Bitbucket's error shape
//! `{"type": "error", "error": {"message"}}`.

use serde_json::json;

use crate::fault::FaultAction;

fn error(status: u16, message: &str, headers: &[(&str, &str)]) -> FaultAction {
    FaultAction::json(
        status,
        &json!({"type": "error", "error": {"message": message}}),
        headers,
    )
}

/// 500.
pub fn server_error() -> FaultAction {
    error(500, "Something went wrong", &[])
}

/// 502 (Bitbucket's edge answers HTML; the client must not need JSON).
pub fn bad_gateway() -> FaultAction {
    FaultAction::Respond {
        status: 502,
        headers: vec![("content-type".into(), "text/html".into())],
        body: "<html><body><h1>502 Bad Gateway</h1></body></html>".into(),
    }
}

/// 503.
pub fn service_unavailable() -> FaultAction {
    error(503, "Service unavailable", &[])
}

/// 429 with `Retry-After`.
pub fn rate_limited(retry_after_seconds: u32) -> FaultAction {
    let value = retry_after_seconds.to_string();
    error(
        429,
        "Rate limit for this resource has been exceeded",
        &[("retry-after", value.as_str())],
    )
}

/// 401 for refused credentials.
pub fn unauthorized() -> FaultAction {
    error(
        401,
        "Token is invalid, expired, or not supported for this endpoint.",
        &[],
    )
}

/// 403 for missing scopes.
pub fn forbidden() -> FaultAction {
    FaultAction::json(
        403,
        &json!({"type": "error", "error": {"message": "Your credentials lack one or more required privilege scopes.", "detail": "required: repository:write"}}),
        &[],
    )
}

/// 404 for a repository.
pub fn repository_not_found() -> FaultAction {
    error(404, "Repository not found", &[])
}

/// 409 for a stale `parents` on `/src`.
pub fn stale_parent() -> FaultAction {
    error(
        409,
        "Changes were committed to this branch since the commit you are editing",
        &[],
    )
}
