//! Responses: status, lowercased headers and the whole body.

use super::error::Error;
use super::Method;

/// A complete response. Non-2xx statuses are responses too: mapping them to provider errors
/// (a 422 "Reference update failed", a 409 "Git Repository is empty") is the caller's job.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Response {
    /// The status code.
    pub status: u16,
    /// Headers in received order, names lowercased; a repeated header appears repeatedly.
    pub headers: Vec<(String, String)>,
    /// The body (decompressed when the server used gzip).
    pub body: Vec<u8>,
    /// The method of the request that produced it (after redirects: `GET` after a 303).
    pub method: Method,
    /// The URL that produced it, after redirects, fit for display (no userinfo, sensitive
    /// query values hidden).
    pub url: String,
    /// Attempts made, the first one included.
    pub attempts: u32,
}

impl Response {
    /// Whether the status is 2xx.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// The first value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Every value of header `name` (case-insensitive), in order.
    pub fn header_all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.headers
            .iter()
            .filter(move |(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body decoded as JSON into `T`, whatever the status.
    pub fn json<T: serde::de::DeserializeOwned>(&self) -> Result<T, Error> {
        serde_json::from_slice(&self.body).map_err(|e| Error::Decode {
            method: self.method,
            url: self.url.clone(),
            status: self.status,
            cause: e.to_string(),
        })
    }

    /// The body as text, invalid UTF-8 replaced.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// A response built by hand, for tests of code that consumes responses.
    #[cfg(test)]
    pub fn for_test(status: u16, headers: &[(&str, &str)], body: Vec<u8>) -> Response {
        Response {
            status,
            headers: headers
                .iter()
                .map(|(k, v)| (k.to_ascii_lowercase(), (*v).to_owned()))
                .collect(),
            body,
            method: Method::Get,
            url: "http://test.invalid/".into(),
            attempts: 1,
        }
    }
}

/// The `message` of a JSON error body (GitHub `{"message": ...}`, Bitbucket
/// `{"error": {"message": ...}}`), else the start of the body as text, on one line.
pub(crate) fn body_excerpt(body: &[u8]) -> String {
    const MAX: usize = 300;
    if let Ok(value) = serde_json::from_slice::<serde_json::Value>(body) {
        let message = value
            .get("message")
            .or_else(|| value.get("error").and_then(|e| e.get("message")))
            .and_then(|m| m.as_str());
        if let Some(message) = message {
            return truncate(message, MAX);
        }
    }
    let text = String::from_utf8_lossy(body);
    let one_line: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.is_empty() {
        "(empty body)".into()
    } else {
        truncate(&one_line, MAX)
    }
}

fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut out: String = text.chars().take(max).collect();
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_are_case_insensitive() {
        let r = Response::for_test(200, &[("Link", "a"), ("link", "b"), ("X-Y", "z")], vec![]);
        assert_eq!(r.header("LINK"), Some("a"));
        assert_eq!(r.header_all("link").collect::<Vec<_>>(), ["a", "b"]);
        assert_eq!(r.header("x-y"), Some("z"));
        assert_eq!(r.header("nope"), None);
        assert!(r.is_success());
    }

    #[test]
    fn json_and_errors() {
        let r = Response::for_test(200, &[], br#"{"a":1}"#.to_vec());
        let v: serde_json::Value = r.json().expect("valid JSON");
        assert_eq!(v["a"], 1);
        let bad = Response::for_test(502, &[], b"<html>Bad gateway</html>".to_vec());
        let err = bad.json::<serde_json::Value>().expect_err("not JSON");
        assert!(err.to_string().contains("502"), "{err}");
    }

    #[test]
    fn excerpts() {
        assert_eq!(
            body_excerpt(br#"{"message":"Not Found","x":1}"#),
            "Not Found"
        );
        assert_eq!(
            body_excerpt(br#"{"type":"error","error":{"message":"Repository not found"}}"#),
            "Repository not found"
        );
        assert_eq!(body_excerpt(b"  a\n  b "), "a b");
        assert_eq!(body_excerpt(b""), "(empty body)");
        assert_eq!(
            body_excerpt("é".repeat(400).as_bytes()).chars().count(),
            301
        );
    }
}
