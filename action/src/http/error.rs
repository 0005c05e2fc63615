//! The errors of the HTTP layer.
//!
//! Every string in a variant has been through the client's [`super::Redactor`] and URLs through
//! [`super::urls::display_url`] (no userinfo, sensitive query values hidden) before the error is
//! built, so `Display` and `Debug` are safe to print. This is also why causes are kept as
//! strings rather than as `source` errors: a source could render a secret we never saw.

use std::time::Duration;

use super::Method;

/// An error of the HTTP layer. Non-2xx responses are *not* errors (see
/// [`super::Response`]) except where the layer itself gave up retrying a rate limit.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A URL (API base, request target, `Location`) that cannot be used.
    #[error("invalid URL `{url}`: {reason}")]
    InvalidUrl {
        /// The URL as given (userinfo removed).
        url: String,
        /// Why it is refused.
        reason: String,
    },
    /// A configuration value that cannot be used.
    #[error("invalid HTTP setting {setting} = `{value}`: {reason}")]
    InvalidConfig {
        /// The setting (or environment variable) name.
        setting: String,
        /// Its value.
        value: String,
        /// Why it is refused.
        reason: String,
    },
    /// Credentials would travel over plain http to a host that is not loopback.
    #[error(
        "refusing to send credentials to {url} over plain http: use an https:// URL \
         (plain http is only allowed for loopback hosts such as 127.0.0.1 or localhost) — check --api-url"
    )]
    InsecureCredentials {
        /// The URL.
        url: String,
    },
    /// An authenticated request to an absolute URL on another origin than the API's.
    #[error(
        "refusing {method} {url}: the request carries credentials and the URL is not on the API \
         host {api}; credentials are only sent to the API host — check --api-url"
    )]
    ForeignHost {
        /// The method.
        method: Method,
        /// The refused URL.
        url: String,
        /// The API origin.
        api: String,
    },
    /// A redirect that is not followed (and whose response is not usable either).
    #[error("refusing to follow the redirect of {method} {url} to {location}: {reason}")]
    Redirect {
        /// The method of the redirected request.
        method: Method,
        /// The URL that answered with the redirect.
        url: String,
        /// The `Location` it gave.
        location: String,
        /// Why it is not followed.
        reason: String,
    },
    /// More redirects than allowed.
    #[error("{method} {url}: more than {limit} redirects (last to {last})")]
    TooManyRedirects {
        /// The method.
        method: Method,
        /// The first URL.
        url: String,
        /// The last `Location`.
        last: String,
        /// The limit.
        limit: u32,
    },
    /// No connection could be made (DNS, refused, connect timeout, proxy).
    #[error(
        "could not connect to {url} after {attempts} attempt(s): {cause} — check --api-url / network"
    )]
    Connect {
        /// The method.
        method: Method,
        /// The URL.
        url: String,
        /// Attempts made.
        attempts: u32,
        /// The last cause.
        cause: String,
    },
    /// The TLS handshake failed (certificate not trusted, protocol mismatch). Not retried.
    #[error(
        "TLS error talking to {url}: {cause} — if the server uses a private certificate authority \
         (GitHub Enterprise Server, a TLS-intercepting proxy), add it to the system trust store"
    )]
    Tls {
        /// The method.
        method: Method,
        /// The URL.
        url: String,
        /// The cause.
        cause: String,
    },
    /// The request timed out (after it was sent or while waiting for the answer).
    #[error(
        "{method} {url} timed out after {attempts} attempt(s) ({cause}){} — check the network or the server's health",
        not_retried_note(*.retried)
    )]
    Timeout {
        /// The method.
        method: Method,
        /// The URL.
        url: String,
        /// Attempts made.
        attempts: u32,
        /// Whether the layer retried (false for a non-idempotent request).
        retried: bool,
        /// The last cause.
        cause: String,
    },
    /// The connection failed after the request may have been sent (reset, closed early,
    /// invalid HTTP).
    #[error(
        "{method} {url} failed after {attempts} attempt(s): {cause}{}",
        not_retried_note(*.retried)
    )]
    Transport {
        /// The method.
        method: Method,
        /// The URL.
        url: String,
        /// Attempts made.
        attempts: u32,
        /// Whether the layer retried (false for a non-idempotent request).
        retried: bool,
        /// The last cause.
        cause: String,
    },
    /// Rate limited, and waiting longer is beyond the retry bounds, or retries ran out.
    #[error(
        "{method} {url}: rate limited (status {status}) after {attempts} attempt(s); {detail}"
    )]
    RateLimited {
        /// The method.
        method: Method,
        /// The URL.
        url: String,
        /// The last status (429 or 403).
        status: u16,
        /// Attempts made.
        attempts: u32,
        /// The wait the server asked for, if any.
        wait: Option<Duration>,
        /// When the limit resets, as an HTTP date, if known.
        resets_at: Option<String>,
        /// What to do, e.g. "the limit resets at Thu, 05 Nov 2026 10:00:00 GMT".
        detail: String,
    },
    /// A response body that is not the expected JSON.
    #[error("{method} {url}: the response (status {status}) is not the expected JSON: {cause}")]
    Decode {
        /// The method.
        method: Method,
        /// The URL.
        url: String,
        /// The status.
        status: u16,
        /// The decoding error.
        cause: String,
    },
    /// A non-2xx response turned into an error by a caller with no specific mapping.
    #[error("{method} {url} returned {status} after {attempts} attempt(s): {message}")]
    Status {
        /// The method.
        method: Method,
        /// The URL.
        url: String,
        /// The status.
        status: u16,
        /// Attempts made.
        attempts: u32,
        /// The server's message (redacted, shortened).
        message: String,
    },
    /// An answer larger than the cap of its kind ([`super::HttpConfig::max_metadata_bytes`]
    /// or, for file content, [`super::HttpConfig::max_response_bytes`]). Not retried.
    #[error(
        "{method}: the answer from {url} {} {} — refusing to read on{}",
        if encoding.is_some() { "decompresses past" } else { "is larger than" },
        mib(*limit),
        too_large_detail(encoding.as_deref(), *wire_bytes)
    )]
    TooLarge {
        /// The method.
        method: Method,
        /// The URL.
        url: String,
        /// The cap, in bytes.
        limit: u64,
        /// The answer's `Content-Encoding` (`gzip`, …) when it was compressed.
        encoding: Option<String>,
        /// Its `Content-Length`, the bytes on the wire, when given.
        wire_bytes: Option<u64>,
    },
    /// A paginated listing did not end within the page cap.
    #[error("{url}: the listing has more than {max_pages} pages; refusing to read on")]
    TooManyPages {
        /// The first page's URL.
        url: String,
        /// The cap.
        max_pages: usize,
    },
}

/// `n` bytes in MiB for messages (`32 MiB`, `0.5 MiB`).
fn mib(n: u64) -> String {
    let value = n as f64 / (1 << 20) as f64;
    if value.fract() == 0.0 {
        format!("{value} MiB")
    } else {
        format!("{value:.2} MiB")
    }
}

fn too_large_detail(encoding: Option<&str>, wire_bytes: Option<u64>) -> String {
    match (encoding, wire_bytes) {
        (Some(encoding), Some(wire)) => format!(
            " ({encoding}-compressed, {wire} bytes on the wire: a compression bomb or a broken \
             server)"
        ),
        (Some(encoding), None) => {
            format!(" ({encoding}-compressed: a compression bomb or a broken server)")
        }
        (None, _) => " (a broken server or proxy, or --api-url points elsewhere)".to_owned(),
    }
}

fn not_retried_note(retried: bool) -> &'static str {
    if retried {
        ""
    } else {
        "; not retried because the request is not idempotent: it may or may not have taken effect, \
         check before running again"
    }
}

impl Error {
    /// The status of the response behind the error, if there was one.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::RateLimited { status, .. }
            | Error::Decode { status, .. }
            | Error::Status { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// Whether the error is a network-level failure (no usable response).
    pub fn is_transport(&self) -> bool {
        matches!(
            self,
            Error::Connect { .. }
                | Error::Tls { .. }
                | Error::Timeout { .. }
                | Error::Transport { .. }
        )
    }
}
