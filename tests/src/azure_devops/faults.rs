//! Canned Azure DevOps answers for fault rules ([`crate::fault`]), in the service's error shape.

use serde_json::json;

use crate::fault::FaultAction;

/// An error body as Azure DevOps sends it.
pub fn error_body(message: &str, type_key: &str) -> serde_json::Value {
    json!({
        "$id": "1",
        "innerException": null,
        "message": message,
        "typeName": format!("Microsoft.TeamFoundation.Git.Server.{type_key}, Microsoft.TeamFoundation.Git.Server"),
        "typeKey": type_key,
        "errorCode": 0,
        "eventId": 3000,
    })
}

/// 500.
pub fn server_error() -> FaultAction {
    FaultAction::json(
        500,
        &error_body(
            "VS402371: An unexpected error occurred.",
            "VssServiceException",
        ),
        &[],
    )
}

/// 503.
pub fn service_unavailable() -> FaultAction {
    FaultAction::json(
        503,
        &error_body(
            "The service is unavailable.",
            "VssServiceUnavailableException",
        ),
        &[],
    )
}

/// 429 with `Retry-After`.
pub fn rate_limited(retry_after_seconds: u32) -> FaultAction {
    let value = retry_after_seconds.to_string();
    FaultAction::json(
        429,
        &error_body(
            "TF400733: The request has been throttled.",
            "RequestBlockedException",
        ),
        &[("retry-after", value.as_str())],
    )
}

/// 401 for a refused token (the service answers without a JSON body).
pub fn unauthorized() -> FaultAction {
    FaultAction::Respond {
        status: 401,
        headers: vec![("content-type".into(), "text/plain".into())],
        body: "Access Denied: The Personal Access Token used has expired.".into(),
    }
}

/// 403: the identity lacks "Contribute".
pub fn forbidden() -> FaultAction {
    FaultAction::json(
        403,
        &error_body(
            "TF401027: You need the Git 'GenericContribute' permission to perform this action. Details: identity 'Build\\sync', scope 'repository'.",
            "GitNeedsPermissionException",
        ),
        &[],
    )
}

/// 404 for the repository.
pub fn repository_not_found() -> FaultAction {
    FaultAction::json(
        404,
        &error_body(
            "TF401019: The Git repository with name or identifier app does not exist or you do not have permissions for the operation you are attempting.",
            "GitRepositoryNotFoundException",
        ),
        &[],
    )
}
