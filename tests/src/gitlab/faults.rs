//! Canned GitLab answers for fault rules ([`crate::fault`]), in GitLab's error shapes
//! (`{"message": …}`, `{"error": …, "error_description": …}`).

use serde_json::json;

use crate::fault::FaultAction;

/// 500.
pub fn server_error() -> FaultAction {
    FaultAction::json(500, &json!({"message": "500 Internal Server Error"}), &[])
}

/// 502 (GitLab's workhorse answers HTML).
pub fn bad_gateway() -> FaultAction {
    FaultAction::Respond {
        status: 502,
        headers: vec![("content-type".into(), "text/html".into())],
        body: "<html><body><h1>502 Whoops, GitLab is taking too much time to respond.</h1></body></html>".into(),
    }
}

/// 429 with `Retry-After`.
pub fn rate_limited(retry_after_seconds: u32) -> FaultAction {
    let value = retry_after_seconds.to_string();
    FaultAction::json(
        429,
        &json!({"message": "429 Too Many Requests"}),
        &[("retry-after", value.as_str())],
    )
}

/// 401 for a refused token.
pub fn unauthorized() -> FaultAction {
    FaultAction::json(401, &json!({"message": "401 Unauthorized"}), &[])
}

/// 403 for a token without the `api` scope.
pub fn insufficient_scope() -> FaultAction {
    FaultAction::json(
        403,
        &json!({"error": "insufficient_scope", "error_description": "The request requires higher privileges than provided by the access token.", "scope": "api"}),
        &[],
    )
}

/// 403 for a protected branch.
pub fn protected_branch() -> FaultAction {
    FaultAction::json(
        403,
        &json!({"message": "You are not allowed to push into this branch"}),
        &[],
    )
}
