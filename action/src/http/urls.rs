//! URL rules: which origin gets credentials, what plain http is allowed for, how URLs are shown.

use std::net::IpAddr;

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use url::{Host, Url};

/// What a path segment or query value keeps as it is: RFC 3986's unreserved characters
/// (`A-Z a-z 0-9 - . _ ~`). Everything else, `/ # ? % + &` and spaces and every non-ASCII
/// byte of the UTF-8 form included, is percent-encoded, so a branch `amplication#x` reaches
/// the server as `amplication%23x`, not as `amplication` with a fragment.
const UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// One path segment, percent-encoded (a `/` inside becomes `%2F`): an owner, a repository
/// name, a commit id, a workspace.
pub fn segment(text: &str) -> String {
    utf8_percent_encode(text, UNRESERVED).to_string()
}

/// A `/`-separated name (a branch `feature/x`, a file path `src/a b.rs`) as path segments:
/// each part percent-encoded with [`segment`], the `/`s kept as separators.
pub fn segments(text: &str) -> String {
    text.split('/').map(segment).collect::<Vec<_>>().join("/")
}

/// A query string (without the `?`) from name/value pairs, each percent-encoded with the
/// unreserved set of [`segment`] (a space is `%20`, never `+`, which servers disagree on).
pub fn query(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(name, value)| format!("{}={}", segment(name), segment(value)))
        .collect::<Vec<_>>()
        .join("&")
}

/// Builds a request path below the API base from literal parts and encoded values, so that
/// no value reaches the URL unencoded:
/// `ApiPath::new("/repos").segment(owner).segment(repo).literal("/git/refs/heads").segments(branch)`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ApiPath {
    path: String,
    query: Vec<(String, String)>,
}

impl ApiPath {
    /// A path starting with `literal` (taken as written: only constants belong here).
    pub fn new(literal: &'static str) -> ApiPath {
        ApiPath {
            path: literal.to_owned(),
            query: Vec::new(),
        }
    }

    /// Appends `literal` as written (e.g. `/git/refs/heads`).
    pub fn literal(mut self, literal: &'static str) -> ApiPath {
        self.path.push_str(literal);
        self
    }

    /// Appends `/` and `value` as one encoded segment (see [`segment`]).
    pub fn segment(mut self, value: &str) -> ApiPath {
        self.path.push('/');
        self.path.push_str(&segment(value));
        self
    }

    /// Appends `/` and `value` as `/`-separated encoded segments (see [`segments`]).
    pub fn segments(mut self, value: &str) -> ApiPath {
        self.path.push('/');
        self.path.push_str(&segments(value));
        self
    }

    /// Appends `value` encoded to the current segment, without a separator (the `...head`
    /// of GitHub's `compare/{base}...{head}`).
    pub fn append(mut self, value: &str) -> ApiPath {
        self.path.push_str(&segments(value));
        self
    }

    /// Adds the query parameter `name=value` (both encoded, see [`query`]).
    pub fn query(mut self, name: &str, value: impl ToString) -> ApiPath {
        self.query.push((name.to_owned(), value.to_string()));
        self
    }

    /// The path with its query.
    pub fn build(&self) -> String {
        if self.query.is_empty() {
            return self.path.clone();
        }
        let pairs: Vec<(&str, &str)> = self
            .query
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        format!("{}?{}", self.path, query(&pairs))
    }
}

impl std::fmt::Display for ApiPath {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.build())
    }
}

/// Query parameters whose values are never shown (some APIs and proxies accept credentials in
/// the query string; pre-signed download URLs carry signatures).
const SENSITIVE_QUERY_PARAMS: &[&str] = &[
    "access_token",
    "token",
    "client_secret",
    "client_id",
    "code",
    "password",
    "secret",
    "signature",
    "sig",
    "jwt",
    "key",
    "api_key",
    "x-amz-signature",
    "x-amz-credential",
    "x-amz-security-token",
];

/// `scheme://host:port` with the port made explicit, the unit credentials are scoped to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Origin {
    scheme: String,
    host: String,
    port: Option<u16>,
}

impl Origin {
    /// The origin of `url`.
    pub fn of(url: &Url) -> Origin {
        Origin {
            scheme: url.scheme().to_ascii_lowercase(),
            host: url.host_str().unwrap_or("").to_ascii_lowercase(),
            port: url.port_or_known_default(),
        }
    }
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}://{}", self.scheme, self.host)?;
        if let Some(port) = self.port {
            let default = match self.scheme.as_str() {
                "https" => Some(443),
                "http" => Some(80),
                _ => None,
            };
            if Some(port) != default {
                write!(f, ":{port}")?;
            }
        }
        Ok(())
    }
}

/// Whether `url` and `other` share scheme, host and port.
pub fn same_origin(url: &Url, other: &Url) -> bool {
    Origin::of(url) == Origin::of(other)
}

/// Whether `url`'s host is the local machine: `localhost` (and `*.localhost`), 127.0.0.0/8 or
/// `::1`. Plain http to these cannot be observed by anyone else on the network.
pub fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(Host::Domain(domain)) => {
            let domain = domain.trim_end_matches('.').to_ascii_lowercase();
            domain == "localhost" || domain.ends_with(".localhost")
        }
        Some(Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        None => false,
    }
}

/// Whether credentials may travel to `url` at all as far as transport security goes: https
/// anywhere, plain http only to loopback.
pub fn transport_allows_credentials(url: &Url) -> bool {
    match url.scheme() {
        "https" => true,
        "http" => is_loopback(url),
        _ => false,
    }
}

/// Parses an absolute http(s) URL, refusing other schemes and URLs without a host.
pub fn parse_http_url(text: &str) -> Result<Url, String> {
    let url = Url::parse(text).map_err(|e| e.to_string())?;
    match url.scheme() {
        "http" | "https" => {}
        other => return Err(format!("unsupported scheme `{other}` (use https)")),
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err("the URL has no host".into());
    }
    Ok(url)
}

/// Whether `target` is an absolute http(s) URL rather than a path below the API base.
pub fn is_absolute(target: &str) -> bool {
    let lower = target.get(..8).unwrap_or(target).to_ascii_lowercase();
    lower.starts_with("http://") || lower.starts_with("https://")
}

/// Resolves `target` against the API base. A path is appended to the base's path (so
/// `/repos/o/r` under `https://ghe.example.com/api/v3` gives `.../api/v3/repos/o/r`, which
/// `Url::join` would not); an absolute URL is parsed as is.
pub fn resolve(base: &Url, target: &str) -> Result<Url, String> {
    if is_absolute(target) {
        return parse_http_url(target);
    }
    let mut text = base.as_str().to_owned();
    // The base carries no query or fragment (checked when the config is made).
    while text.ends_with('/') {
        text.pop();
    }
    text.push('/');
    text.push_str(target.trim_start_matches('/'));
    parse_http_url(&text)
}

/// `url` fit for messages and logs: no userinfo, no fragment, values of sensitive query
/// parameters replaced by `***`.
pub fn display_url(url: &Url) -> String {
    let mut shown = url.clone();
    let _ = shown.set_username("");
    let _ = shown.set_password(None);
    shown.set_fragment(None);
    if shown.query().is_some() {
        let pairs: Vec<(String, String)> = shown
            .query_pairs()
            .map(|(k, v)| {
                let hide = SENSITIVE_QUERY_PARAMS
                    .iter()
                    .any(|s| k.eq_ignore_ascii_case(s));
                let value = if hide {
                    super::secret::REDACTED.to_owned()
                } else {
                    v.into_owned()
                };
                (k.into_owned(), value)
            })
            .collect();
        if pairs.is_empty() {
            shown.set_query(None);
        } else {
            let mut query = String::new();
            for (i, (k, v)) in pairs.iter().enumerate() {
                if i > 0 {
                    query.push('&');
                }
                query.push_str(k);
                query.push('=');
                query.push_str(v);
            }
            shown.set_query(Some(&query));
        }
    }
    shown.to_string()
}

/// Like [`display_url`] for text that may not even parse: userinfo is cut by hand.
pub fn display_url_str(text: &str) -> String {
    match Url::parse(text) {
        Ok(url) => display_url(&url),
        Err(_) => match (text.find("://"), text.rfind('@')) {
            (Some(scheme_end), Some(at)) if at > scheme_end => {
                format!("{}{}", &text[..scheme_end + 3], &text[at + 1..])
            }
            _ => text.to_owned(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn u(s: &str) -> Url {
        Url::parse(s).expect("test URL parses")
    }

    #[test]
    fn origins() {
        assert!(same_origin(
            &u("https://api.github.com/x"),
            &u("https://API.github.com:443/y?z")
        ));
        assert!(!same_origin(
            &u("https://api.github.com/"),
            &u("http://api.github.com/")
        ));
        assert!(!same_origin(
            &u("https://api.github.com/"),
            &u("https://api.github.com:8443/")
        ));
        assert!(!same_origin(
            &u("https://api.github.com/"),
            &u("https://github.com/")
        ));
        assert!(!same_origin(
            &u("http://127.0.0.1:8080/"),
            &u("http://127.0.0.2:8080/")
        ));
        assert!(!same_origin(
            &u("http://127.0.0.1:8080/"),
            &u("http://localhost:8080/")
        ));
        assert_eq!(
            Origin::of(&u("https://h.example:443/a")).to_string(),
            "https://h.example"
        );
        assert_eq!(
            Origin::of(&u("http://127.0.0.1:9/a")).to_string(),
            "http://127.0.0.1:9"
        );
    }

    #[test]
    fn loopback() {
        for yes in [
            "http://localhost:1/",
            "http://LOCALHOST./",
            "http://api.localhost/",
            "http://127.0.0.1/",
            "http://127.200.3.4/",
            "http://[::1]:80/",
        ] {
            assert!(is_loopback(&u(yes)), "{yes}");
            assert!(transport_allows_credentials(&u(yes)), "{yes}");
        }
        for no in [
            "http://example.com/",
            "http://localhost.example.com/",
            "http://10.0.0.1/",
            "http://[::2]/",
            "http://128.0.0.1/",
        ] {
            assert!(!is_loopback(&u(no)), "{no}");
            assert!(!transport_allows_credentials(&u(no)), "{no}");
        }
        assert!(transport_allows_credentials(&u("https://example.com/")));
    }

    #[test]
    fn resolves_paths_below_the_base_path() {
        let ghe = u("https://ghe.example.com/api/v3/");
        assert_eq!(
            resolve(&ghe, "/repos/o/r?per_page=100")
                .expect("resolves")
                .as_str(),
            "https://ghe.example.com/api/v3/repos/o/r?per_page=100"
        );
        assert_eq!(
            resolve(&u("https://ghe.example.com/api/v3"), "repos/o/r")
                .expect("resolves")
                .as_str(),
            "https://ghe.example.com/api/v3/repos/o/r"
        );
        assert_eq!(
            resolve(&u("https://api.github.com"), "/user")
                .expect("resolves")
                .as_str(),
            "https://api.github.com/user"
        );
        assert_eq!(
            resolve(&ghe, "HTTPS://other.example/x")
                .expect("resolves")
                .as_str(),
            "https://other.example/x"
        );
        assert!(resolve(&ghe, "ftp://x/").is_ok(), "a path, not a URL");
        assert!(parse_http_url("ftp://x/").is_err());
        assert!(parse_http_url("file:///etc/passwd").is_err());
    }

    #[test]
    fn every_segment_and_query_value_is_encoded() {
        assert_eq!(segment("amplication#x"), "amplication%23x");
        assert_eq!(segment("a/b"), "a%2Fb");
        assert_eq!(segments("feature/ü x?%"), "feature/%C3%BC%20x%3F%25");
        assert_eq!(segments("a-b_c.d~e"), "a-b_c.d~e");
        let path = ApiPath::new("/repos")
            .segment("o")
            .segment("r")
            .literal("/git/refs/heads")
            .segments("amplication#x/y z")
            .query("head", "o:amplication#x")
            .query("per_page", 100)
            .build();
        assert_eq!(
            path,
            "/repos/o/r/git/refs/heads/amplication%23x/y%20z?head=o%3Aamplication%23x&per_page=100"
        );
        // What the URL parser makes of it: no fragment, the whole name in the path.
        let url = resolve(&u("https://api.github.com"), &path).expect("resolves");
        assert_eq!(url.fragment(), None);
        assert_eq!(
            url.path(),
            "/repos/o/r/git/refs/heads/amplication%23x/y%20z"
        );
        let pairs: Vec<(String, String)> = url.query_pairs().into_owned().collect();
        assert_eq!(pairs[0], ("head".into(), "o:amplication#x".into()));
        assert_eq!(
            ApiPath::new("/compare")
                .segments("main")
                .literal("...")
                .append("a#b")
                .to_string(),
            "/compare/main...a%23b"
        );
    }

    #[test]
    fn display_hides_userinfo_and_sensitive_query() {
        assert_eq!(
            display_url(&u(
                "https://user:pw@h.example/p?access_token=abc&page=2&Signature=s#frag"
            )),
            "https://h.example/p?access_token=***&page=2&Signature=***"
        );
        assert_eq!(
            display_url_str("https://user:pw@h.example/p"),
            "https://h.example/p"
        );
        assert_eq!(display_url_str("::not a url::"), "::not a url::");
        assert_eq!(display_url_str("x://a:b@c d"), "x://c d");
    }
}
