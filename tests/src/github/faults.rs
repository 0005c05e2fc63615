//! Canned GitHub answers for fault rules: what GitHub sends when it fails, limits or refuses.
//!
//! ```no_run
//! # use gensync_tests::fault::FaultRule;
//! # use gensync_tests::github::{faults, GithubConfig, GithubEmulator};
//! # let emulator = GithubEmulator::start(GithubConfig::default()).unwrap();
//! emulator.add_fault(FaultRule::new("PATCH", "/repos/*/*/git/refs/**", faults::server_error()));
//! emulator.add_fault(FaultRule::new("*", "/repos/**", faults::secondary_rate_limit(1)).nth(3));
//! ```

use serde_json::json;

use super::api::DOCS;
use crate::fault::FaultAction;

fn message(status: u16, message: &str, headers: &[(&str, &str)]) -> FaultAction {
    FaultAction::json(
        status,
        &json!({"message": message, "documentation_url": DOCS, "status": status.to_string()}),
        headers,
    )
}

/// 500 `{"message": "Server Error"}`.
pub fn server_error() -> FaultAction {
    message(500, "Server Error", &[])
}

/// 502 with an HTML page, as GitHub's front end sends it (not JSON).
pub fn bad_gateway() -> FaultAction {
    FaultAction::Respond {
        status: 502,
        headers: vec![("content-type".into(), "text/html; charset=utf-8".into())],
        body: "<!DOCTYPE html>\n<html><head><title>Unicorn! &middot; GitHub</title></head><body>\
               <p>We had issues producing the response to your request.</p></body></html>\n"
            .into(),
    }
}

/// 503 `{"message": "Service Unavailable"}`.
pub fn service_unavailable() -> FaultAction {
    message(503, "Service Unavailable", &[])
}

/// 401 Bad credentials (for instance a token revoked mid-run).
pub fn bad_credentials() -> FaultAction {
    message(401, "Bad credentials", &[])
}

/// 403 for a token without the needed permission.
pub fn not_accessible_by_integration() -> FaultAction {
    message(403, "Resource not accessible by integration", &[])
}

/// 403 when Actions may not open pull requests (the repository/organisation setting).
pub fn actions_not_permitted() -> FaultAction {
    message(403, super::pulls::ACTIONS_NOT_PERMITTED, &[])
}

/// 404 Not Found.
pub fn not_found() -> FaultAction {
    message(404, "Not Found", &[])
}

/// 409 with `text`.
pub fn conflict(text: &str) -> FaultAction {
    message(409, text, &[])
}

/// 422 with `text` (e.g. "Update is not a fast forward", "Reference update failed").
pub fn unprocessable(text: &str) -> FaultAction {
    message(422, text, &[])
}

/// 403 primary rate limit exhausted: `x-ratelimit-remaining: 0` and a reset `reset_in`
/// seconds after the rule is made.
pub fn rate_limit_exceeded(reset_in: i64) -> FaultAction {
    let reset = (crate::time::now() + reset_in).to_string();
    message(
        403,
        "API rate limit exceeded for installation ID 1.",
        &[
            ("x-ratelimit-limit", "5000"),
            ("x-ratelimit-remaining", "0"),
            ("x-ratelimit-used", "5000"),
            ("x-ratelimit-reset", &reset),
            ("x-ratelimit-resource", "core"),
        ],
    )
}

const SECONDARY: &str = "You have exceeded a secondary rate limit. Please wait a few minutes before you try again. \
                         If you reach out to GitHub Support for help, please include the request ID EMU0:0.";

/// 403 secondary rate limit with `retry-after: seconds`.
pub fn secondary_rate_limit(retry_after: u64) -> FaultAction {
    message(403, SECONDARY, &[("retry-after", &retry_after.to_string())])
}

/// 429 Too Many Requests with `retry-after: seconds`.
pub fn too_many_requests(retry_after: u64) -> FaultAction {
    message(429, SECONDARY, &[("retry-after", &retry_after.to_string())])
}
