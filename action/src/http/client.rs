//! The client: one request = resolve, check the origin, then attempts (each following
//! redirects by hand) separated by bounded waits.

use std::sync::Arc;
use std::time::{Duration, Instant};

use url::Url;

use super::body::Body;
use super::error::Error;
use super::response::{body_excerpt, Response};
use super::retry::{
    classify_status, parse_scale, Clock, Jitter, RetryPolicy, RetryableStatus, SystemClock,
};
use super::secret::{Redactor, Secret};
use super::trace::{TraceEvent, TraceFn};
use super::urls::{
    self, display_url, display_url_str, same_origin, transport_allows_credentials, Origin,
};
use super::{HttpConfig, Method, TlsRoots};

/// One request, for [`HttpClient::send`]. [`HttpClient::request`] and [`HttpClient::get`]
/// cover the common cases.
#[derive(Clone, Debug)]
pub struct Request {
    /// The method.
    pub method: Method,
    /// A path below the API base (`/repos/o/r`), or an absolute URL (a `Link` from the API).
    pub target: String,
    /// The body.
    pub body: Body,
    /// Whether repeating the request is harmless, so that the layer may retry it after a 5xx
    /// or a lost connection. Defaults to [`Method::is_idempotent`].
    pub idempotent: bool,
    /// Extra headers; they replace [`HttpConfig::default_headers`] of the same name.
    /// Credential-carrying headers (`Authorization`, `Cookie`, …, see [`is_sensitive_header`])
    /// follow the same rules as the configured credential, which they replace; but their
    /// values are unknown to the redactor: prefer [`HttpConfig::credential`].
    pub headers: Vec<(String, String)>,
    /// Whether to send the configured credential (default true). When false, the request may
    /// go to any host.
    pub authenticated: bool,
    /// Whether the answer carries file content (a blob, a raw file, file texts in a GraphQL
    /// answer): it may then be as large as [`HttpConfig::max_response_bytes`]; any other
    /// answer (JSON metadata: refs, trees, pull requests, errors) is cut off at
    /// [`HttpConfig::max_metadata_bytes`]. Default false.
    pub content: bool,
}

impl Request {
    /// A request with no body, idempotent as its method is.
    pub fn new(method: Method, target: impl Into<String>) -> Self {
        Request {
            method,
            target: target.into(),
            body: Body::Empty,
            idempotent: method.is_idempotent(),
            headers: Vec::new(),
            authenticated: true,
            content: false,
        }
    }

    /// Sets the body.
    pub fn body(mut self, body: Body) -> Self {
        self.body = body;
        self
    }

    /// Declares whether the request may be repeated (see [`Request::idempotent`]).
    pub fn idempotent(mut self, idempotent: bool) -> Self {
        self.idempotent = idempotent;
        self
    }

    /// Adds a header.
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Declares that the answer carries file content (see [`Request::content`]).
    pub fn content(mut self) -> Self {
        self.content = true;
        self
    }

    /// Sends no credential (e.g. to download from a URL on another host).
    pub fn without_credentials(mut self) -> Self {
        self.authenticated = false;
        self
    }
}

/// The HTTP client of gensync: ureq underneath, with the credential, redirect and retry rules
/// of [`crate::http`]. Cheap to share by reference across threads.
pub struct HttpClient {
    agent: ureq::Agent,
    api_base: Url,
    authorization: Option<Secret>,
    redactor: Redactor,
    retry: RetryPolicy,
    max_redirects: u32,
    max_response_bytes: u64,
    max_metadata_bytes: u64,
    max_pages: usize,
    default_headers: Vec<(String, String)>,
    trace: Option<TraceFn>,
    clock: Arc<dyn Clock>,
    jitter: Jitter,
}

impl std::fmt::Debug for HttpClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpClient")
            .field("api_base", &display_url(&self.api_base))
            .field("authenticated", &self.authorization.is_some())
            .field("retry", &self.retry)
            .finish_non_exhaustive()
    }
}

/// Why an attempt produced no response.
enum Failure {
    /// A network failure, classified for the retry decision.
    Transport {
        kind: TransportKind,
        url: String,
        cause: String,
    },
    /// An error no retry can fix.
    Fatal(Error),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum TransportKind {
    /// Nothing reached the server (DNS, refused, connect timeout): safe to repeat any request.
    Connect,
    /// TLS handshake failure: not retried, a certificate problem does not heal.
    Tls,
    /// Timed out after the request may have been sent.
    Timeout,
    /// Connection lost or garbled after the request may have been sent.
    Dropped,
}

/// A response as read off the wire.
struct Received {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

/// What the retry loop does after an attempt.
enum Next {
    Done(Result<Response, Error>),
    Retry(Duration),
}

/// Setup.
impl HttpClient {
    /// A client on the real clock.
    pub fn new(config: HttpConfig) -> Result<HttpClient, Error> {
        HttpClient::with_clock(config, Arc::new(SystemClock))
    }

    /// A client whose waits go through `clock` (tests pass a clock that does not sleep).
    pub fn with_clock(config: HttpConfig, clock: Arc<dyn Clock>) -> Result<HttpClient, Error> {
        let HttpConfig {
            api_base,
            credential,
            timeouts,
            retry,
            user_agent,
            max_redirects,
            max_response_bytes,
            max_metadata_bytes,
            max_pages,
            default_headers,
            extra_secrets,
            tls_roots,
            trace,
        } = config;

        let mut redactor = Redactor::new();
        for secret in &extra_secrets {
            redactor.add(secret);
        }
        if let Some(credential) = &credential {
            redactor.add_credential(credential);
        }
        super::secret::remember(&redactor);
        let shown = redactor.redact(&display_url(&api_base));
        check_api_base(&api_base, &shown)?;
        let secret_headers = default_headers
            .iter()
            .any(|(name, _)| is_sensitive_header(name));
        if (credential.is_some() || secret_headers) && !transport_allows_credentials(&api_base) {
            return Err(Error::InsecureCredentials { url: shown });
        }
        if !(retry.scale.is_finite() && retry.scale >= 0.0) {
            return Err(Error::InvalidConfig {
                setting: "retry scale".into(),
                value: retry.scale.to_string(),
                reason: "expected a finite number >= 0".into(),
            });
        }

        let agent = agent(&user_agent, &timeouts, tls_roots);
        let jitter = Jitter::new(retry.jitter_seed);
        Ok(HttpClient {
            agent,
            api_base,
            authorization: credential.as_ref().map(|c| c.authorization()),
            redactor,
            retry,
            max_redirects,
            max_response_bytes,
            max_metadata_bytes: max_metadata_bytes.min(max_response_bytes),
            max_pages,
            default_headers,
            trace,
            clock,
            jitter,
        })
    }

    /// The API base URL requests' paths are resolved against.
    pub fn api_base(&self) -> &Url {
        &self.api_base
    }

    /// The redactor knowing the client's secrets, for the caller's own messages.
    pub fn redactor(&self) -> &Redactor {
        &self.redactor
    }

    /// `text` with the client's secrets scrubbed.
    pub fn redact(&self, text: &str) -> String {
        self.redactor.redact(text)
    }

    /// The page cap of [`HttpClient::pages`].
    pub fn max_pages(&self) -> usize {
        self.max_pages
    }
}

/// Requests.
impl HttpClient {
    /// Sends `method target` with `body`; `idempotent` allows retries after 5xx and lost
    /// connections (rate limits are retried for every request).
    pub fn request(
        &self,
        method: Method,
        target: &str,
        body: Body,
        idempotent: bool,
    ) -> Result<Response, Error> {
        self.send(
            Request::new(method, target)
                .body(body)
                .idempotent(idempotent),
        )
    }

    /// `GET target`, retried as idempotent.
    pub fn get(&self, target: &str) -> Result<Response, Error> {
        self.send(Request::new(Method::Get, target))
    }

    /// `response` if 2xx, else a generic [`Error::Status`] quoting the server's message
    /// (redacted). For callers with no provider-specific mapping of the status.
    pub fn error_for_status(&self, response: Response) -> Result<Response, Error> {
        if response.is_success() {
            return Ok(response);
        }
        Err(Error::Status {
            method: response.method,
            url: response.url.clone(),
            status: response.status,
            attempts: response.attempts,
            message: self.redact(&body_excerpt(&response.body)),
        })
    }

    /// Sends `request`, following redirects and retrying as the policy allows. Non-2xx
    /// responses are returned as [`Response`]s, except rate limits the layer gave up on.
    pub fn send(&self, request: Request) -> Result<Response, Error> {
        let Request {
            method,
            target,
            body,
            idempotent,
            headers,
            authenticated,
            content,
        } = request;
        let limit = if content {
            self.max_response_bytes
        } else {
            self.max_metadata_bytes
        };
        let url = urls::resolve(&self.api_base, &target).map_err(|reason| Error::InvalidUrl {
            url: self.redact(&display_url_str(&target)),
            reason,
        })?;
        let secret_headers = headers
            .iter()
            .chain(&self.default_headers)
            .any(|(name, _)| is_sensitive_header(name));
        let with_credentials = authenticated && (self.authorization.is_some() || secret_headers);
        if with_credentials && !same_origin(&url, &self.api_base) {
            return Err(Error::ForeignHost {
                method,
                url: self.shown(&url),
                api: Origin::of(&self.api_base).to_string(),
            });
        }
        if with_credentials && !transport_allows_credentials(&url) {
            // Only reachable with credential headers given per request: the API base is
            // checked at construction.
            return Err(Error::InsecureCredentials {
                url: self.shown(&url),
            });
        }
        let body = body.encode(&self.jitter);

        let mut waited = Duration::ZERO;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let (result, event) = self.attempt(
                method,
                &url,
                &headers,
                body.as_ref(),
                with_credentials,
                (attempt, limit),
            );
            let next = match result {
                Ok(mut response) => {
                    response.attempts = attempt;
                    self.after_response(response, idempotent, attempt, waited)
                }
                Err(Failure::Fatal(error)) => Next::Done(Err(error)),
                Err(Failure::Transport { kind, url, cause }) => {
                    self.after_failure(method, kind, url, cause, idempotent, attempt, waited)
                }
            };
            match next {
                Next::Done(result) => {
                    self.emit(event, None);
                    return result;
                }
                Next::Retry(wait) => {
                    self.emit(event, Some(wait));
                    waited += wait;
                    self.clock.sleep(self.retry.scaled(wait));
                }
            }
        }
    }
}

/// Retry decisions.
impl HttpClient {
    fn after_response(
        &self,
        response: Response,
        idempotent: bool,
        attempt: u32,
        waited: Duration,
    ) -> Next {
        let now = self.clock.now();
        match classify_status(&response, now) {
            None => Next::Done(Ok(response)),
            Some(RetryableStatus::Transient { wait }) => {
                if !idempotent || attempt >= self.retry.max_attempts {
                    return Next::Done(Ok(response));
                }
                match self.plan_wait(wait, attempt, waited) {
                    Some(wait) => Next::Retry(wait),
                    None => Next::Done(Ok(response)),
                }
            }
            Some(RetryableStatus::RateLimited { wait, resets_at }) => {
                // GitHub sends `x-ratelimit-reset` with every response: it tells when the
                // *primary* limit resets, which matters only when that limit is exhausted.
                let primary = response
                    .header("x-ratelimit-remaining")
                    .is_some_and(|v| v.trim() == "0");
                let until = match (primary, resets_at, wait) {
                    (true, Some(at), _) => Some(at),
                    (_, _, Some(wait)) => now.checked_add(wait),
                    (_, at, None) => at,
                };
                let until_text = until.map(httpdate::fmt_http_date);
                let when = match (primary, &until_text, wait) {
                    (true, Some(at), _) => format!("the rate limit resets at {at}"),
                    (_, Some(at), Some(wait)) => {
                        format!("the server asks to wait {} s (until {at})", wait.as_secs())
                    }
                    (_, _, Some(wait)) => format!("the server asks to wait {} s", wait.as_secs()),
                    (_, Some(at), None) => format!("the limit resets at {at}"),
                    (_, None, None) => "try again later".to_owned(),
                };
                let fail = |detail: String| {
                    Next::Done(Err(Error::RateLimited {
                        method: response.method,
                        url: response.url.clone(),
                        status: response.status,
                        attempts: attempt,
                        wait,
                        resets_at: until_text.clone(),
                        detail: self.redact(&detail),
                    }))
                };
                if attempt >= self.retry.max_attempts {
                    return fail(format!("still limited after the last retry; {when}"));
                }
                match (self.plan_wait(wait, attempt, waited), wait) {
                    (Some(wait), _) => Next::Retry(wait),
                    (None, Some(_)) => fail(format!(
                        "{when}, which is longer than gensync waits (at most {} s at once, {} s in \
                         total for one request); run again after that time",
                        self.retry.max_delay.as_secs(),
                        self.retry.max_total_wait.as_secs()
                    )),
                    (None, None) => fail(format!(
                        "gensync waited the most it waits for one request ({} s); {when}",
                        self.retry.max_total_wait.as_secs()
                    )),
                }
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn after_failure(
        &self,
        method: Method,
        kind: TransportKind,
        url: String,
        cause: String,
        idempotent: bool,
        attempt: u32,
        waited: Duration,
    ) -> Next {
        let retryable = match kind {
            TransportKind::Connect => true,
            TransportKind::Tls => false,
            TransportKind::Timeout | TransportKind::Dropped => idempotent,
        };
        if retryable && attempt < self.retry.max_attempts {
            if let Some(wait) = self.plan_wait(None, attempt, waited) {
                return Next::Retry(wait);
            }
        }
        let retried = retryable || kind == TransportKind::Tls;
        Next::Done(Err(match kind {
            TransportKind::Connect => Error::Connect {
                method,
                url,
                attempts: attempt,
                cause,
            },
            TransportKind::Tls => Error::Tls { method, url, cause },
            TransportKind::Timeout => Error::Timeout {
                method,
                url,
                attempts: attempt,
                retried,
                cause,
            },
            TransportKind::Dropped => Error::Transport {
                method,
                url,
                attempts: attempt,
                retried,
                cause,
            },
        }))
    }

    /// The (unscaled) wait before the next attempt, or `None` when the bounds forbid it. A
    /// wait the server asked for is honoured whole or not at all; computed backoff is cut to
    /// what is left of the total budget.
    fn plan_wait(
        &self,
        asked: Option<Duration>,
        attempt: u32,
        waited: Duration,
    ) -> Option<Duration> {
        let budget = self.retry.max_total_wait.saturating_sub(waited);
        match asked {
            Some(wait) => (wait <= self.retry.max_delay && wait <= budget).then_some(wait),
            None => {
                if budget.is_zero() {
                    return None;
                }
                let ceiling = self.retry.backoff_ceiling(attempt);
                Some(self.jitter.up_to(ceiling).min(budget))
            }
        }
    }
}

/// One attempt: exchanges on the wire, following redirects.
impl HttpClient {
    /// Returns the result and the trace event of the last exchange (emitted by the caller once
    /// the retry decision is known); earlier hops are emitted here.
    fn attempt(
        &self,
        method: Method,
        url: &Url,
        headers: &[(String, String)],
        body: Option<&(String, Vec<u8>)>,
        with_credentials: bool,
        (attempt, limit): (u32, u64),
    ) -> (Result<Response, Failure>, Option<TraceEvent>) {
        let mut method = method;
        let mut url = url.clone();
        let mut body = body;
        let mut credentials = with_credentials;
        let first = self.shown(&url);
        for hop in 0..=self.max_redirects {
            credentials = credentials && same_origin(&url, &self.api_base);
            let (result, event) = self.exchange(
                method,
                &url,
                headers,
                body,
                credentials,
                (attempt, limit),
                hop,
            );
            let response = match result {
                Ok(response) if is_followed_redirect(response.status) => response,
                other => return (other, Some(event)),
            };
            let Some(location) = response.header("location") else {
                return (Ok(response), Some(event));
            };
            let refuse = |reason: &str| Error::Redirect {
                method,
                url: self.shown(&url),
                location: self.redact(&display_url_str(location)),
                reason: reason.to_owned(),
            };
            let next = match url.join(location) {
                Ok(next) => next,
                Err(e) => return (Err(Failure::Fatal(refuse(&e.to_string()))), Some(event)),
            };
            if !matches!(next.scheme(), "http" | "https") {
                let error = refuse("only http(s) redirects are followed");
                return (Err(Failure::Fatal(error)), Some(event));
            }
            if url.scheme() == "https" && next.scheme() == "http" {
                let error = refuse("it downgrades https to plain http");
                return (Err(Failure::Fatal(error)), Some(event));
            }
            let (next_method, keep_body) = match response.status {
                // 303 means "see other": fetch it with GET.
                303 if method == Method::Head => (Method::Head, false),
                303 => (Method::Get, false),
                // 301/302 turn POSTs into GETs in browsers; an API client must not silently
                // change a write into a read, so only reads are followed.
                301 | 302 if matches!(method, Method::Get | Method::Head) => (method, false),
                301 | 302 => return (Ok(response), Some(event)),
                // 307/308 repeat the request as it was.
                _ => (method, true),
            };
            let body_to_send = if keep_body { body } else { None };
            if with_credentials && body_to_send.is_some() && !same_origin(&next, &self.api_base) {
                let error = refuse("it would send the request body to another host than the API");
                return (Err(Failure::Fatal(error)), Some(event));
            }
            self.emit(Some(event), None);
            method = next_method;
            body = body_to_send;
            url = next;
        }
        let error = Error::TooManyRedirects {
            method,
            url: first,
            last: self.shown(&url),
            limit: self.max_redirects,
        };
        (Err(Failure::Fatal(error)), None)
    }

    /// One exchange on the wire.
    #[allow(clippy::too_many_arguments)]
    fn exchange(
        &self,
        method: Method,
        url: &Url,
        headers: &[(String, String)],
        body: Option<&(String, Vec<u8>)>,
        credentials: bool,
        (attempt, limit): (u32, u64),
        hop: u32,
    ) -> (Result<Response, Failure>, TraceEvent) {
        let shown = self.shown(url);
        let started = Instant::now();
        let bytes_sent = body.map_or(0, |(_, data)| data.len() as u64);
        let result = self.run(method, url, headers, body, (credentials, limit));
        let result = result.map(|received| Response {
            status: received.status,
            headers: received.headers,
            body: self.server_text(received.status, received.body),
            method,
            url: shown.clone(),
            attempts: attempt,
        });
        let event = TraceEvent {
            method,
            url: shown,
            status: result.as_ref().ok().map(|r| r.status),
            error: result.as_ref().err().map(|f| match f {
                Failure::Transport { cause, .. } => cause.clone(),
                Failure::Fatal(error) => error.to_string(),
            }),
            duration: started.elapsed(),
            attempt,
            redirect: hop,
            bytes_sent,
            bytes_received: result.as_ref().map_or(0, |r| r.body.len() as u64),
            authenticated: credentials,
            retry_in: None,
        };
        (result, event)
    }

    /// Builds the ureq request and reads the whole response.
    fn run(
        &self,
        method: Method,
        url: &Url,
        headers: &[(String, String)],
        body: Option<&(String, Vec<u8>)>,
        (credentials, limit): (bool, u64),
    ) -> Result<Received, Failure> {
        let builder = self.request_head(method, url, headers, credentials);
        let built = match body {
            Some((content_type, data)) => builder
                .header("content-type", content_type.as_str())
                .body(data.as_slice())
                .map(|request| self.agent.run(request)),
            None if matches!(method, Method::Get | Method::Head) => {
                builder.body(()).map(|request| self.agent.run(request))
            }
            // An explicit empty body: `Content-Length: 0`, which some endpoints require.
            None => builder.body(&[][..]).map(|request| self.agent.run(request)),
        };
        let response = match built {
            Ok(Ok(response)) => response,
            Ok(Err(error)) => return Err(self.failure(url, error)),
            Err(error) => {
                return Err(Failure::Fatal(Error::InvalidConfig {
                    setting: "request header".into(),
                    value: String::new(),
                    reason: self.redact(&error.to_string()),
                }))
            }
        };
        let (parts, body) = response.into_parts();
        let mut headers: Vec<(String, String)> = parts
            .headers
            .iter()
            .map(|(name, value)| {
                (
                    name.as_str().to_ascii_lowercase(),
                    String::from_utf8_lossy(value.as_bytes()).into_owned(),
                )
            })
            .collect();
        let raw =
            body.into_with_config()
                .limit(limit)
                .read_to_vec()
                .map_err(|error| match error {
                    ureq::Error::BodyExceedsLimit(_) => {
                        Failure::Fatal(self.too_large(method, url, None, limit))
                    }
                    error => self.failure(url, error),
                })?;
        let body = self.decode(method, url, &mut headers, raw, limit)?;
        Ok(Received {
            status: parts.status.as_u16(),
            headers,
            body,
        })
    }

    /// The request line and headers: the defaults a request does not override, the credential
    /// only where `credentials` allows it, gzip asked for unless a header says otherwise.
    fn request_head(
        &self,
        method: Method,
        url: &Url,
        headers: &[(String, String)],
        credentials: bool,
    ) -> ureq::http::request::Builder {
        let mut builder = ureq::http::Request::builder()
            .method(method.as_str())
            .uri(url.as_str());
        let defaults = self
            .default_headers
            .iter()
            .filter(|(name, _)| !headers.iter().any(|(n, _)| n.eq_ignore_ascii_case(name)));
        let mut has_authorization = false;
        for (name, value) in defaults.chain(headers) {
            if is_sensitive_header(name) {
                if !credentials {
                    continue;
                }
                has_authorization |= name.eq_ignore_ascii_case("authorization");
            }
            builder = builder.header(name.as_str(), value.as_str());
        }
        if let (true, false, Some(authorization)) =
            (credentials, has_authorization, &self.authorization)
        {
            builder = builder.header("authorization", authorization.expose());
        }
        if !defaults_or(headers, &self.default_headers, "accept-encoding") {
            builder = builder.header("accept-encoding", "gzip");
        }
        builder
    }

    /// The body as the caller sees it: decompressed when the answer is gzip (then the
    /// `content-encoding` and `content-length` headers, which describe the wire form, are
    /// dropped), within `limit` either way.
    fn decode(
        &self,
        method: Method,
        url: &Url,
        headers: &mut Vec<(String, String)>,
        raw: Vec<u8>,
        limit: u64,
    ) -> Result<Vec<u8>, Failure> {
        let gzipped = headers.iter().any(|(name, value)| {
            name == "content-encoding"
                && matches!(
                    value.trim().to_ascii_lowercase().as_str(),
                    "gzip" | "x-gzip"
                )
        });
        if !gzipped {
            return Ok(raw);
        }
        let body = gunzip(&raw, limit).map_err(|cause| match cause {
            Gunzip::TooLarge => {
                Failure::Fatal(self.too_large(method, url, Some(("gzip", raw.len() as u64)), limit))
            }
            Gunzip::Corrupt(cause) => Failure::Transport {
                kind: TransportKind::Dropped,
                url: self.shown(url),
                cause: format!("the gzip-compressed answer is corrupt: {cause}"),
            },
        })?;
        // The body is handed over decompressed: these describe the wire form only.
        headers.retain(|(name, _)| name != "content-encoding" && name != "content-length");
        Ok(body)
    }

    fn failure(&self, url: &Url, error: ureq::Error) -> Failure {
        use std::io::ErrorKind;
        use ureq::Timeout;
        let cause = self.redact(&error.to_string());
        let kind = match &error {
            ureq::Error::HostNotFound
            | ureq::Error::ConnectionFailed
            | ureq::Error::ConnectProxyFailed(_) => TransportKind::Connect,
            ureq::Error::Timeout(Timeout::Resolve | Timeout::Connect) => TransportKind::Connect,
            ureq::Error::Timeout(_) => TransportKind::Timeout,
            ureq::Error::Io(io) => match io.kind() {
                ErrorKind::ConnectionRefused
                | ErrorKind::AddrNotAvailable
                | ErrorKind::NetworkUnreachable
                | ErrorKind::HostUnreachable => TransportKind::Connect,
                ErrorKind::TimedOut | ErrorKind::WouldBlock => TransportKind::Timeout,
                ErrorKind::InvalidData if is_tls_message(&cause) => TransportKind::Tls,
                // The system resolver's failure has no kind of its own.
                _ if cause.contains("failed to lookup address") => TransportKind::Connect,
                _ => TransportKind::Dropped,
            },
            ureq::Error::Tls(_)
            | ureq::Error::Pem(_)
            | ureq::Error::Rustls(_)
            | ureq::Error::TlsRequired => TransportKind::Tls,
            ureq::Error::BadUri(_) | ureq::Error::Http(_) | ureq::Error::InvalidProxyUrl => {
                return Failure::Fatal(Error::InvalidUrl {
                    url: self.shown(url),
                    reason: cause,
                })
            }
            _ => TransportKind::Dropped,
        };
        Failure::Transport {
            kind,
            url: self.shown(url),
            cause,
        }
    }
}

/// Helpers.
impl HttpClient {
    /// The body of a response as the caller gets it: a 2xx answer is data (a blob may hold any
    /// bytes) and stays as it is; any other answer is the server's text about a failure (a
    /// JSON `message`, an HTML error page, a proxy's page), which every provider quotes in its
    /// errors, so it is redacted here, once for all of them: a server that echoes the
    /// request's `Authorization` cannot make a message print the credential.
    fn server_text(&self, status: u16, body: Vec<u8>) -> Vec<u8> {
        if (200..300).contains(&status) || self.redactor.is_empty() {
            return body;
        }
        match String::from_utf8(body) {
            Ok(text) => self.redactor.redact(&text).into_bytes(),
            Err(e) => self
                .redactor
                .redact(&String::from_utf8_lossy(e.as_bytes()))
                .into_bytes(),
        }
    }

    /// The error for an answer cut off at `limit` bytes: a compressed one that inflates past
    /// it is named as such (a gzip bomb, or a broken server), with its size on the wire when
    /// the server said it.
    fn too_large(
        &self,
        method: Method,
        url: &Url,
        compressed: Option<(&str, u64)>,
        limit: u64,
    ) -> Error {
        Error::TooLarge {
            method,
            url: self.shown(url),
            limit,
            encoding: compressed.map(|(encoding, _)| encoding.to_owned()),
            wire_bytes: compressed.map(|(_, bytes)| bytes),
        }
    }

    /// `url` for messages: display-safe and redacted.
    fn shown(&self, url: &Url) -> String {
        self.redact(&display_url(url))
    }

    fn emit(&self, event: Option<TraceEvent>, retry_in: Option<Duration>) {
        if let (Some(trace), Some(mut event)) = (&self.trace, event) {
            event.retry_in = retry_in;
            trace(&event);
        }
    }
}

/// Whether a header carries credentials, and so is sent only where the configured credential
/// would be: `Authorization`, `Proxy-Authorization`, `Cookie`, `Private-Token`, `X-Api-Key`.
pub fn is_sensitive_header(name: &str) -> bool {
    const SENSITIVE: &[&str] = &[
        "authorization",
        "proxy-authorization",
        "cookie",
        "private-token",
        "x-api-key",
    ];
    SENSITIVE.iter().any(|s| name.eq_ignore_ascii_case(s))
}

/// Whether `name` is among the request's headers or the defaults.
fn defaults_or(headers: &[(String, String)], defaults: &[(String, String)], name: &str) -> bool {
    headers
        .iter()
        .chain(defaults)
        .any(|(n, _)| n.eq_ignore_ascii_case(name))
}

/// Why a gzip body could not be decompressed.
enum Gunzip {
    /// It inflates past the cap.
    TooLarge,
    /// It is not valid gzip.
    Corrupt(String),
}

/// `data` gunzipped, refusing to produce more than `limit` bytes (a compression bomb is
/// stopped after `limit + 1` bytes, whatever its ratio). Concatenated members are read, as
/// RFC 1952 allows.
fn gunzip(data: &[u8], limit: u64) -> Result<Vec<u8>, Gunzip> {
    use std::io::Read as _;
    let mut out = Vec::new();
    flate2::read::MultiGzDecoder::new(data)
        .take(limit.saturating_add(1))
        .read_to_end(&mut out)
        .map_err(|e| Gunzip::Corrupt(e.to_string()))?;
    if out.len() as u64 > limit {
        return Err(Gunzip::TooLarge);
    }
    Ok(out)
}

fn is_followed_redirect(status: u16) -> bool {
    matches!(status, 301 | 302 | 303 | 307 | 308)
}

fn is_tls_message(cause: &str) -> bool {
    let lower = cause.to_ascii_lowercase();
    lower.contains("certificate") || lower.contains("tls") || lower.contains("handshake")
}

/// Reads [`super::TIMEOUT_ENV`]: `Ok(None)` when unset.
pub(crate) fn timeout_from_env() -> Result<Option<Duration>, Error> {
    timeout_from(std::env::var(super::TIMEOUT_ENV).ok())
}

/// Parses a [`super::TIMEOUT_ENV`] value (seconds, a float > 0), if any.
pub(crate) fn timeout_from(value: Option<String>) -> Result<Option<Duration>, Error> {
    let Some(value) = value else {
        return Ok(None);
    };
    let parsed = value
        .trim()
        .parse::<f64>()
        .ok()
        .filter(|s| s.is_finite() && *s > 0.0 && *s < 1e9);
    match parsed {
        Some(seconds) => Ok(Some(Duration::from_secs_f64(seconds))),
        None => Err(Error::InvalidConfig {
            setting: super::TIMEOUT_ENV.into(),
            value,
            reason: "expected a number of seconds > 0 such as 60 or 0.5".into(),
        }),
    }
}

/// Reads [`super::retry::RETRY_SCALE_ENV`]: `Ok(None)` when unset.
pub(crate) fn scale_from_env() -> Result<Option<f64>, Error> {
    scale_from(std::env::var(super::retry::RETRY_SCALE_ENV).ok())
}

/// Parses a [`super::retry::RETRY_SCALE_ENV`] value, if any.
pub(crate) fn scale_from(value: Option<String>) -> Result<Option<f64>, Error> {
    let Some(value) = value else {
        return Ok(None);
    };
    parse_scale(&value)
        .map(Some)
        .map_err(|reason| Error::InvalidConfig {
            setting: super::retry::RETRY_SCALE_ENV.into(),
            value,
            reason,
        })
}

/// The API root's own rules: http(s) with a host, no query or fragment, no user information.
fn check_api_base(api_base: &Url, shown: &str) -> Result<(), Error> {
    let invalid = |reason: &str| {
        Err(Error::InvalidUrl {
            url: shown.to_owned(),
            reason: reason.into(),
        })
    };
    if !matches!(api_base.scheme(), "http" | "https") || api_base.host_str().is_none() {
        return invalid("the API URL must be an http(s) URL with a host");
    }
    if api_base.query().is_some() || api_base.fragment().is_some() {
        return invalid("the API URL must not have a query or fragment");
    }
    if !api_base.username().is_empty() || api_base.password().is_some() {
        return invalid(
            "the API URL must not carry a user name or password; pass credentials \
             through the token options",
        );
    }
    Ok(())
}

/// The ureq agent: statuses as data, no redirects of its own, the timeouts and TLS roots.
fn agent(user_agent: &str, timeouts: &super::Timeouts, tls_roots: TlsRoots) -> ureq::Agent {
    let mut tls = ureq::tls::TlsConfig::builder();
    if tls_roots == TlsRoots::Platform {
        tls = tls.root_certs(ureq::tls::RootCerts::PlatformVerifier);
    }
    ureq::Agent::config_builder()
        // Statuses are data for the caller, not errors.
        .http_status_as_error(false)
        // Redirects are followed here, where the credential rules live (module docs).
        .max_redirects(0)
        .user_agent(user_agent)
        .timeout_resolve(Some(timeouts.connect))
        .timeout_connect(Some(timeouts.connect))
        .timeout_global(Some(timeouts.request))
        .tls_config(tls.build())
        .build()
        .new_agent()
}
