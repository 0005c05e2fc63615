//! The HTTP layer under the GitHub and Bitbucket providers: ureq 3 with the credential,
//! redirect, retry and logging rules gensync promises (DESIGN.md section 6).
//!
//! # Model
//! An [`HttpClient`] is made from an [`HttpConfig`]: an API base URL, an optional
//! [`Credential`], timeouts, a [`RetryPolicy`]. [`HttpClient::request`] sends a [`Method`] to a
//! path below the base (or an absolute URL the API gave, such as a pagination link) with a
//! [`Body`] (empty, JSON, or `multipart/form-data`), and returns a [`Response`] whatever its
//! status: mapping a 422 or a 409 to a meaningful error is the provider's job. The layer only
//! turns into [`Error`]s what a provider cannot act on: refused URLs, network failures after
//! the retries, rate limits it could not wait out.
//!
//! # Why the rules are what they are
//! - **Credentials go to the API origin only** (scheme, host and port of the API base). An
//!   absolute URL on another origin is refused for an authenticated request
//!   ([`Error::ForeignHost`]) — a compromised or confused response must not be able to
//!   make us hand the token to someone else. [`Request::without_credentials`] is the explicit
//!   way to fetch from elsewhere.
//! - **We follow redirects ourselves** (ureq's own following is off). ureq drops
//!   `Authorization` on a cross-host redirect but keeps other custom headers and decides alone
//!   what to resend; following here lets the same origin rule apply on every hop: the
//!   credential is dropped as soon as a hop leaves the API origin (and never comes back within
//!   that request), https → http downgrades are refused, a 301/302 of a write is returned
//!   rather than turned into a GET, and a 307/308 that would carry an authenticated request's
//!   body to another host is refused.
//! - **No credentials over plain http**, except to loopback hosts (127.0.0.0/8, `::1`,
//!   `localhost`), which nobody else can observe: the test emulators run there. Checked when
//!   the client is built ([`Error::InsecureCredentials`]).
//! - **Secrets never appear in messages.** Credentials are [`Secret`]s (`***` when printed);
//!   every error string is passed through the client's [`Redactor`], which also knows their
//!   base64 and Basic-encoded forms; the body of every non-2xx [`Response`] (the server's text
//!   that providers quote in their errors) is redacted before the provider sees it; URLs are
//!   shown without userinfo and with sensitive query values hidden. Trace events carry no
//!   headers at all. [`redact_known`] scrubs the secrets of every client of the process, for
//!   the final error message.
//! - **Retries** ([`RetryPolicy`]): rate limits (429, GitHub's 403 primary/secondary rate
//!   limits) are retried for every request, because the server did not process it; 5xx (but
//!   501/505), 408, timeouts and lost connections only for idempotent requests, because a
//!   non-idempotent POST may have taken effect (the caller opts in with `idempotent: true`
//!   when it knows better, e.g. a blob upload). Failures to connect at all are retried for
//!   every request: nothing was sent. Waits honour `Retry-After` (seconds or HTTP date) and
//!   `x-ratelimit-reset`, else exponential backoff with full jitter; a wait beyond
//!   `max_delay` or the request's `max_total_wait` fails at once with the time the limit
//!   resets ([`Error::RateLimited`]) instead of hanging a CI job for an hour.
//!   After the last attempt a 5xx is returned as the [`Response`] (with
//!   [`Response::attempts`]) for the provider to report.
//!
//! # Environment
//! - `GENSYNC_RETRY_SCALE` ([`RETRY_SCALE_ENV`]): a float (default `1.0`) multiplying every
//!   retry wait actually slept; `0.001` makes end-to-end tests of `Retry-After: 60` take 60 ms.
//!   The bounds are checked on unscaled waits, so a scaled run decides exactly as a real one.
//!   Read by [`HttpConfig::new`]; an invalid value is an [`Error::InvalidConfig`].
//! - `GENSYNC_HTTP_TIMEOUT` ([`TIMEOUT_ENV`]): seconds (a float) allowed for one whole
//!   exchange (default 60, see [`Timeouts::request`]); the fault-injection tests shorten it to
//!   make slow responses time out. Read by [`HttpConfig::new`] like the retry scale.
//! - `HTTPS_PROXY` / `HTTP_PROXY` / `ALL_PROXY` / `NO_PROXY`: honoured by ureq.
//! - TLS trusts the system store ([`TlsRoots::Platform`], ureq's `platform-verifier`) so
//!   GitHub Enterprise Server with a private CA and TLS-intercepting proxies work; on Linux
//!   `SSL_CERT_FILE` / `SSL_CERT_DIR` point it elsewhere.
//!
//! # Tracing
//! Set [`HttpConfig::trace`] to a callback (or [`TraceRecorder::sink`]) to get one
//! [`TraceEvent`] per exchange on the wire (each attempt and redirect hop): method, URL,
//! status or error, duration, attempt, bytes sent and received, and the wait before a retry.
//! Its `Display` is the `--verbose` line.

// The providers are being written against this module; until they call it, parts are unused.
// Both allows go away once they do.
#![allow(dead_code, unused_imports)]

mod body;
mod client;
mod error;
mod paginate;
mod response;
pub(crate) mod retry;
mod secret;
mod trace;
pub mod urls;

#[cfg(test)]
mod tests;

use std::fmt;
use std::time::Duration;

use url::Url;

pub use body::{Body, Multipart, Part};
pub use client::{is_sensitive_header, HttpClient, Request};
pub use error::Error;
pub use paginate::{next_page, Pages};
pub use response::Response;
pub use retry::{Clock, RetryPolicy, SystemClock, RETRY_SCALE_ENV};
pub use secret::{redact_known, Credential, Redactor, Secret};
pub use trace::{TraceEvent, TraceFn, TraceRecorder, TraceTotals};

/// An HTTP method.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Method {
    /// `GET`
    Get,
    /// `HEAD`
    Head,
    /// `POST`
    Post,
    /// `PUT`
    Put,
    /// `PATCH`
    Patch,
    /// `DELETE`
    Delete,
}

impl Method {
    /// The method's name on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Head => "HEAD",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Patch => "PATCH",
            Method::Delete => "DELETE",
        }
    }

    /// Whether HTTP defines the method as idempotent (RFC 9110 section 9.2.2): GET, HEAD,
    /// PUT, DELETE. The default of [`Request::idempotent`].
    pub fn is_idempotent(self) -> bool {
        matches!(
            self,
            Method::Get | Method::Head | Method::Put | Method::Delete
        )
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Name of the environment variable overriding [`Timeouts::request`], in seconds.
pub const TIMEOUT_ENV: &str = crate::env::HTTP_TIMEOUT;

/// Timeouts of one exchange (each attempt and each redirect hop has its own).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timeouts {
    /// Name resolution, and separately connection setup including TLS. Default 10 s.
    pub connect: Duration,
    /// The whole exchange, from connecting to the end of the response body. Default 60 s.
    pub request: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            connect: Duration::from_secs(10),
            request: Duration::from_secs(60),
        }
    }
}

/// Which certificate authorities TLS trusts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum TlsRoots {
    /// The operating system's trust store (rustls-platform-verifier): private CAs installed
    /// on the machine work.
    #[default]
    Platform,
    /// Mozilla's roots bundled in the binary (webpki-roots), ignoring the system store.
    WebPki,
}

/// Everything an [`HttpClient`] is made from. Start from [`HttpConfig::new`] and set fields.
#[derive(Clone)]
pub struct HttpConfig {
    /// The API base (`https://api.github.com`, `https://ghe.example.com/api/v3`,
    /// `https://api.bitbucket.org/2.0`). Request paths are appended to its path.
    pub api_base: Url,
    /// The credential sent to the API origin, if any.
    pub credential: Option<Credential>,
    /// Timeouts of each exchange.
    pub timeouts: Timeouts,
    /// The retry policy.
    pub retry: RetryPolicy,
    /// The `User-Agent` (GitHub rejects requests without one). Default `gensync/<version>`.
    pub user_agent: String,
    /// Redirects followed per attempt. Default 5.
    pub max_redirects: u32,
    /// Largest answer read for a request that carries file content ([`Request::content`]:
    /// blobs, raw files, GraphQL answers with file texts), in bytes, after decompression.
    /// Default 512 MiB: GitHub's largest file is 100 MiB, ~134 MiB as base64 JSON.
    pub max_response_bytes: u64,
    /// Largest answer read for every other request (JSON metadata: refs, trees, commits, pull
    /// requests, error bodies), in bytes, after decompression; at most `max_response_bytes`.
    /// Default 32 MiB: GitHub's largest tree listing (100 000 entries, then `truncated`) is
    /// about 15 MiB, a page of 100 pull requests well under 1 MiB. A larger or
    /// inflating-past answer is an [`Error::TooLarge`].
    pub max_metadata_bytes: u64,
    /// Page cap of [`HttpClient::pages`]. Default 1000.
    pub max_pages: usize,
    /// Headers sent with every request (e.g. `Accept: application/vnd.github+json`,
    /// `X-GitHub-Api-Version`). Never credentials: put those in `credential`.
    pub default_headers: Vec<(String, String)>,
    /// More secrets to scrub from messages (an App private key, a JWT, a client secret).
    pub extra_secrets: Vec<Secret>,
    /// Certificate authorities trusted.
    pub tls_roots: TlsRoots,
    /// Called with each exchange, see [`TraceEvent`].
    pub trace: Option<TraceFn>,
}

impl fmt::Debug for HttpConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpConfig")
            .field("api_base", &urls::display_url(&self.api_base))
            .field("credential", &self.credential)
            .field("timeouts", &self.timeouts)
            .field("retry", &self.retry)
            .field("user_agent", &self.user_agent)
            .field("max_redirects", &self.max_redirects)
            .field("max_response_bytes", &self.max_response_bytes)
            .field("max_metadata_bytes", &self.max_metadata_bytes)
            .field("max_pages", &self.max_pages)
            .field("default_headers", &self.default_headers)
            .field("extra_secrets", &self.extra_secrets.len())
            .field("tls_roots", &self.tls_roots)
            .field("trace", &self.trace.is_some())
            .finish()
    }
}

impl HttpConfig {
    /// Defaults for `api_base`, with the retry scale from `GENSYNC_RETRY_SCALE` and the request
    /// timeout from `GENSYNC_HTTP_TIMEOUT` when set.
    pub fn new(api_base: &str) -> Result<HttpConfig, Error> {
        let mut config = HttpConfig::with_defaults(api_base)?;
        if let Some(scale) = client::scale_from_env()? {
            config.retry.scale = scale;
        }
        if let Some(timeout) = client::timeout_from_env()? {
            config.timeouts.request = timeout;
        }
        Ok(config)
    }

    /// Defaults for `api_base`, reading no environment variable.
    pub fn with_defaults(api_base: &str) -> Result<HttpConfig, Error> {
        let api_base = urls::parse_http_url(api_base).map_err(|reason| Error::InvalidUrl {
            url: urls::display_url_str(api_base),
            reason,
        })?;
        Ok(HttpConfig {
            api_base,
            credential: None,
            timeouts: Timeouts::default(),
            retry: RetryPolicy::default(),
            user_agent: concat!("gensync/", env!("CARGO_PKG_VERSION")).to_owned(),
            max_redirects: 5,
            max_response_bytes: 512 << 20,
            max_metadata_bytes: 32 << 20,
            max_pages: 1000,
            default_headers: Vec::new(),
            extra_secrets: Vec::new(),
            tls_roots: TlsRoots::default(),
            trace: None,
        })
    }

    /// Sets the credential.
    pub fn credential(mut self, credential: Credential) -> Self {
        self.credential = Some(credential);
        self
    }

    /// Adds a default header.
    pub fn default_header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.default_headers.push((name.into(), value.into()));
        self
    }
}
