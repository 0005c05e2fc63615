//! Cross-origin resource sharing as the real APIs answer browsers, so a page (the preview)
//! can `fetch` an emulator from another origin exactly as it would fetch the real API.
//!
//! What the providers document (checked with the search tool's docs and pages corpora):
//! - GitHub ("Using CORS and JSONP to make cross-origin requests", docs.github.com/rest): the
//!   REST API supports CORS "for AJAX requests from any origin". Every answer carries
//!   `Access-Control-Allow-Origin: *` and `Access-Control-Expose-Headers: ETag, Link,
//!   X-RateLimit-*, X-OAuth-Scopes, …`; a preflight (`OPTIONS`) is answered `204` with
//!   `Access-Control-Allow-Headers: Authorization, Content-Type, If-Match, If-Modified-Since,
//!   If-None-Match, If-Unmodified-Since, X-Requested-With`, `Access-Control-Allow-Methods: GET,
//!   POST, PATCH, PUT, DELETE` and `Access-Control-Max-Age: 86400`. `X-GitHub-Api-Version` was
//!   missing from the allowed headers in 2023 (github/docs#24706: browsers refused Octokit's
//!   requests) and is allowed since; `Accept` is a CORS-safelisted header, listed here as well.
//!   The GraphQL endpoint answers the same way.
//! - Bitbucket Cloud: its REST reference has a section "CORS and hypermedia": the API answers
//!   cross-origin requests from any origin (`Access-Control-Allow-Origin: *`). The exact header
//!   lists were not found in the corpora (an old tracker entry, site/master#8300, reported
//!   `OPTIONS` answered 405 and was closed "Won't Fix" before the 2.0 API gained CORS), so the
//!   emulator allows the request headers a client of the 2.0 API sends (`Authorization`,
//!   `Content-Type`, `Accept`, conditional headers) and exposes `ETag`, `Location` and
//!   `Retry-After`.
//!
//! A preflight is not an API request: it is answered before the request record, the fault
//! rules and the validator see it, and is kept in a record of its own
//! ([`crate::record::Recorder::preflights`]), so API-cost tests count what they always counted.

use crate::http::{Request, Response};

/// How one provider answers browsers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CorsPolicy {
    /// `Access-Control-Allow-Methods` of a preflight.
    pub allow_methods: &'static str,
    /// `Access-Control-Allow-Headers` of a preflight.
    pub allow_headers: &'static str,
    /// `Access-Control-Expose-Headers` of every answer.
    pub expose_headers: &'static str,
    /// `Access-Control-Max-Age` of a preflight, in seconds.
    pub max_age: u32,
}

/// GitHub's REST and GraphQL APIs.
pub const GITHUB: CorsPolicy = CorsPolicy {
    allow_methods: "GET, POST, PATCH, PUT, DELETE",
    allow_headers: "Authorization, Content-Type, If-Match, If-Modified-Since, If-None-Match, \
                    If-Unmodified-Since, X-Requested-With, X-GitHub-OTP, X-GitHub-Api-Version, Accept",
    expose_headers: "ETag, Link, Location, Retry-After, X-GitHub-OTP, X-RateLimit-Limit, \
                     X-RateLimit-Remaining, X-RateLimit-Used, X-RateLimit-Resource, X-RateLimit-Reset, \
                     X-OAuth-Scopes, X-Accepted-OAuth-Scopes, X-Poll-Interval, X-GitHub-Media-Type, \
                     X-GitHub-SSO, X-GitHub-Request-Id, Deprecation, Sunset",
    max_age: 86400,
};

/// Bitbucket Cloud's REST API 2.0 (and, on the emulator's single origin, its token endpoint).
pub const BITBUCKET: CorsPolicy = CorsPolicy {
    allow_methods: "GET, POST, PUT, DELETE",
    allow_headers: "Authorization, Content-Type, Accept, If-Match, If-None-Match, X-Requested-With",
    expose_headers: "ETag, Location, Retry-After",
    max_age: 86400,
};

/// Whether `request` is a CORS preflight (every `OPTIONS` request is answered as one, as
/// GitHub answers `curl -X OPTIONS` with an `Origin` and nothing else).
pub fn is_preflight(request: &Request) -> bool {
    request.method.eq_ignore_ascii_case("OPTIONS")
}

impl CorsPolicy {
    /// The answer to a preflight: `204` with the allowed methods and headers.
    pub fn preflight(&self) -> Response {
        let mut response = Response::empty(204)
            .with_header("access-control-allow-methods", self.allow_methods)
            .with_header("access-control-allow-headers", self.allow_headers)
            .with_header("access-control-max-age", self.max_age.to_string());
        self.decorate(&mut response);
        response
    }

    /// Adds the headers every answer carries (allowed origin, exposed headers).
    pub fn decorate(&self, response: &mut Response) {
        response.set_header("access-control-allow-origin", "*");
        response.set_header("access-control-expose-headers", self.expose_headers);
    }

    /// Whether a browser would send the request a preflight asked for: `method` is allowed and
    /// every header of `request_headers` (a preflight's `Access-Control-Request-Headers`) is
    /// allowed. For tests; the emulator answers every preflight the same, as the APIs do.
    pub fn allows(&self, method: &str, request_headers: &str) -> bool {
        let listed = |list: &str, item: &str| {
            list.split(',')
                .any(|allowed| allowed.trim().eq_ignore_ascii_case(item.trim()))
        };
        let simple = ["GET", "HEAD", "POST"]
            .iter()
            .any(|m| m.eq_ignore_ascii_case(method));
        (simple || listed(self.allow_methods, method))
            && request_headers
                .split(',')
                .filter(|h| !h.trim().is_empty())
                .all(|h| listed(self.allow_headers, h))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bitbucket::{BitbucketConfig, BitbucketEmulator, CredentialConfig};
    use crate::fault::{FaultAction, FaultRule};
    use crate::github::{GithubConfig, GithubEmulator, RepoSpec, TokenConfig};

    /// Status and headers of `method url` sent as a browser on another origin would.
    fn send(method: &str, url: &str, headers: &[(&str, &str)]) -> (u16, Vec<(String, String)>) {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .into();
        let mut builder = ureq::http::Request::builder()
            .method(method)
            .uri(url)
            .header("origin", "http://preview.example");
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        let response = agent
            .run(builder.body(Vec::new()).expect("a valid request"))
            .unwrap_or_else(|e| panic!("{method} {url}: {e}"));
        let headers = response
            .headers()
            .iter()
            .map(|(n, v)| (n.as_str().to_owned(), v.to_str().unwrap_or("").to_owned()))
            .collect();
        (response.status().as_u16(), headers)
    }

    fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
        headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    const PREFLIGHT: &[(&str, &str)] = &[
        ("access-control-request-method", "GET"),
        (
            "access-control-request-headers",
            "authorization,x-github-api-version",
        ),
    ];

    #[test]
    fn the_github_emulator_answers_browsers_as_github_does() {
        let emulator = GithubEmulator::start(
            GithubConfig::default().token(TokenConfig::actions("ghs_corstoken")),
        )
        .expect("the emulator starts (run tests/validator/install.sh first)");
        emulator
            .create_repo(&RepoSpec::new("acme/app").file("a.txt", "a\n"))
            .expect("repository created");
        let base = emulator.base_url().to_owned();
        for url in [
            format!("{base}/repos/acme/app"),
            emulator.graphql_url().to_owned(),
        ] {
            let (status, headers) = send("OPTIONS", &url, PREFLIGHT);
            assert_eq!(status, 204, "{url}");
            assert_eq!(header(&headers, "access-control-allow-origin"), Some("*"));
            let allowed = header(&headers, "access-control-allow-headers").unwrap_or("");
            assert!(GITHUB.allows("GET", "authorization,x-github-api-version"));
            assert_eq!(allowed, GITHUB.allow_headers);
        }
        let auth = [
            ("authorization", "Bearer ghs_corstoken"),
            ("x-github-api-version", "2022-11-28"),
        ];
        let (status, headers) = send("GET", &format!("{base}/repos/acme/app"), &auth);
        assert_eq!(status, 200);
        assert_eq!(header(&headers, "access-control-allow-origin"), Some("*"));
        assert!(header(&headers, "access-control-expose-headers")
            .is_some_and(|v| v.contains("X-RateLimit-Remaining") && v.contains("ETag")));
        // Errors and canned (fault) answers carry the headers too, so a page can read them.
        let (status, headers) = send("GET", &format!("{base}/repos/acme/app"), &[]);
        assert_eq!(status, 401);
        assert_eq!(header(&headers, "access-control-allow-origin"), Some("*"));
        emulator.add_fault(FaultRule::new(
            "GET",
            "/repos/acme/app",
            FaultAction::status(502),
        ));
        let (status, headers) = send("GET", &format!("{base}/repos/acme/app"), &auth);
        assert_eq!(status, 502);
        assert_eq!(header(&headers, "access-control-allow-origin"), Some("*"));
        // Preflights are neither API requests nor validated: the record holds the three GETs.
        let requests = emulator.requests();
        assert_eq!(requests.len(), 3, "{requests:?}");
        assert!(requests.iter().all(|r| r.method == "GET"));
        let preflights = emulator.preflights();
        assert_eq!(preflights.len(), 2);
        assert_eq!((preflights[1].seq, preflights[1].status), (2, Some(204)));
        emulator.assert_no_invalid_requests();
    }

    #[test]
    fn the_bitbucket_emulator_answers_browsers() {
        let emulator = BitbucketEmulator::start(
            BitbucketConfig::default().credential(CredentialConfig::access_token("bb_cors")),
        )
        .expect("the emulator starts (run tests/validator/install.sh first)");
        emulator
            .create_repo(&crate::bitbucket::RepoSpec::new("acme/app").file("a.txt", "a\n"))
            .expect("repository created");
        let url = format!("{}/repositories/acme/app", emulator.api_url());
        let (status, headers) = send(
            "OPTIONS",
            &url,
            &[
                ("access-control-request-method", "GET"),
                ("access-control-request-headers", "authorization"),
            ],
        );
        assert_eq!(status, 204);
        assert_eq!(header(&headers, "access-control-allow-origin"), Some("*"));
        assert_eq!(
            header(&headers, "access-control-allow-headers"),
            Some(BITBUCKET.allow_headers)
        );
        let (status, headers) = send("GET", &url, &[("authorization", "Bearer bb_cors")]);
        assert_eq!(status, 200);
        assert_eq!(header(&headers, "access-control-allow-origin"), Some("*"));
        assert_eq!(emulator.requests().len(), 1);
        assert_eq!(emulator.preflights().len(), 1);
        emulator.assert_no_invalid_requests();
    }

    #[test]
    fn a_preflight_allows_what_the_preview_sends_to_github() {
        let answer = GITHUB.preflight();
        assert_eq!(answer.status, 204);
        assert_eq!(answer.header("access-control-allow-origin"), Some("*"));
        let allowed = answer.header("access-control-allow-headers").unwrap();
        assert!(GITHUB.allows(
            "GET",
            "authorization, content-type, accept, x-github-api-version, if-none-match"
        ));
        assert!(GITHUB.allows("PATCH", "authorization"));
        assert!(!GITHUB.allows("GET", "x-secret-header"), "{allowed}");
        assert!(!GITHUB.allows("TRACE", ""));
        assert!(answer
            .header("access-control-expose-headers")
            .unwrap()
            .contains("X-RateLimit-Remaining"));
    }

    #[test]
    fn bitbucket_allows_a_bearer_token_and_json() {
        assert!(BITBUCKET.allows("PUT", "Authorization, Content-Type"));
        assert!(!BITBUCKET.allows("PATCH", "authorization"));
        assert!(!BITBUCKET.allows("GET", "x-github-api-version"));
    }
}
