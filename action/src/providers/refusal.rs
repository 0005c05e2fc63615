//! A provider's refusal of a request, typed: which provider, what gensync asked, the HTTP
//! status and the provider's error code, its (redacted) message and how to fix it. The driver
//! reads its neutral kind with [`gensync_core::sync::classify`], so which status or code means
//! what is decided once, in the core.

use gensync_core::sync::{classify, FailureKind};

/// A provider refused a request.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{provider} refused to {action}: {}{message}{hint}", status_prefix(*.status))]
pub struct Refusal {
    /// The provider's name in messages (`GitHub`).
    pub provider: &'static str,
    /// What gensync asked (`create a commit`).
    pub action: String,
    /// The HTTP status, or `None` for an error inside a successful answer (GraphQL `errors`).
    pub status: Option<u16>,
    /// The provider's error code (GraphQL `type`, Bitbucket's `error.data.key`), if any.
    pub code: Option<String>,
    /// The provider's message, redacted.
    pub message: String,
    /// How to fix it (` — …`), or empty.
    pub hint: &'static str,
}

fn status_prefix(status: Option<u16>) -> String {
    status.map(|s| format!("{s} ")).unwrap_or_default()
}

impl Refusal {
    /// Its neutral kind. An error inside a successful answer is classified by its code and
    /// message only: without a status it is never taken for a transport failure.
    pub fn kind(&self) -> FailureKind {
        let code = match &self.code {
            Some(code) => format!("{code} {}", self.message),
            None => self.message.clone(),
        };
        match classify(self.status.or(Some(200)), Some(&code)) {
            FailureKind::Other if self.status.is_none() => graphql_kind(self.code.as_deref()),
            kind => kind,
        }
    }
}

/// GitHub GraphQL's error `type`s that name a neutral kind.
fn graphql_kind(code: Option<&str>) -> FailureKind {
    match code {
        Some("NOT_FOUND") => FailureKind::NotFound,
        Some("FORBIDDEN") => FailureKind::Forbidden,
        _ => FailureKind::Other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refusal(status: Option<u16>, code: Option<&str>, message: &str) -> Refusal {
        Refusal {
            provider: "GitHub",
            action: "create a commit".into(),
            status,
            code: code.map(str::to_owned),
            message: message.into(),
            hint: " — fix it",
        }
    }

    #[test]
    fn message_names_provider_action_status_and_hint() {
        let r = refusal(Some(422), None, "Reference update failed");
        assert_eq!(
            r.to_string(),
            "GitHub refused to create a commit: 422 Reference update failed — fix it"
        );
        let r = refusal(None, Some("STALE_DATA"), "Expected branch to point to x");
        assert_eq!(
            r.to_string(),
            "GitHub refused to create a commit: Expected branch to point to x — fix it"
        );
    }

    #[test]
    fn kinds_come_from_the_core() {
        let kind = |s, c, m| refusal(s, c, m).kind();
        assert_eq!(kind(Some(409), None, "x"), FailureKind::StaleHead);
        assert_eq!(kind(None, Some("STALE_DATA"), "x"), FailureKind::StaleHead);
        assert_eq!(
            kind(None, None, "Expected branch to point to abc"),
            FailureKind::StaleHead
        );
        assert_eq!(kind(Some(404), None, "x"), FailureKind::NotFound);
        assert_eq!(kind(None, Some("NOT_FOUND"), "x"), FailureKind::NotFound);
        assert_eq!(kind(None, Some("FORBIDDEN"), "x"), FailureKind::Forbidden);
        assert_eq!(kind(Some(403), None, "x"), FailureKind::Forbidden);
        assert_eq!(
            kind(Some(422), None, "the branch is protected"),
            FailureKind::Protected
        );
        assert_eq!(kind(Some(502), None, "x"), FailureKind::Transient);
        assert_eq!(kind(None, None, "something"), FailureKind::Other);
        assert_eq!(kind(Some(400), None, "bad"), FailureKind::Other);
    }
}
