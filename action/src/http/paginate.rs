//! Paginated GET listings: GitHub's `Link: <…>; rel="next"` header and Bitbucket's JSON `next`.

use std::collections::HashSet;

use super::client::{HttpClient, Request};
use super::error::Error;
use super::response::Response;
use super::urls::{display_url_str, is_absolute};
use super::Method;

/// The pages of a listing, each a [`Response`]. Iteration ends after the last page, after a
/// non-2xx page (yielded, for the caller to map), or with an error past the page cap.
#[derive(Debug)]
pub struct Pages<'a> {
    client: &'a HttpClient,
    first: String,
    next: Option<String>,
    fetched: usize,
    max_pages: usize,
    seen: HashSet<String>,
}

impl HttpClient {
    /// The pages of the listing at `target`, at most [`HttpClient::max_pages`] of them.
    pub fn pages(&self, target: &str) -> Pages<'_> {
        Pages {
            client: self,
            first: target.to_owned(),
            next: Some(target.to_owned()),
            fetched: 0,
            max_pages: self.max_pages(),
            seen: HashSet::new(),
        }
    }

    /// Every item of the listing at `target`. Each page's items are the JSON array under
    /// `items_key`, or, with `None`, the page itself when it is an array (GitHub) or its
    /// `values` array (Bitbucket). A non-2xx page is an [`Error::Status`]; use
    /// [`HttpClient::pages`] to map statuses yourself.
    pub fn get_all<T: serde::de::DeserializeOwned>(
        &self,
        target: &str,
        items_key: Option<&str>,
    ) -> Result<Vec<T>, Error> {
        let mut items = Vec::new();
        for page in self.pages(target) {
            let page = self.error_for_status(page?)?;
            let value: serde_json::Value = page.json()?;
            let list = match items_key {
                Some(key) => value.get(key),
                None if value.is_array() => Some(&value),
                None => value.get("values"),
            };
            let Some(serde_json::Value::Array(list)) = list else {
                return Err(Error::Decode {
                    method: page.method,
                    url: page.url.clone(),
                    status: page.status,
                    cause: format!(
                        "expected a JSON array{}",
                        items_key.map_or(String::new(), |k| format!(" under `{k}`"))
                    ),
                });
            };
            for item in list {
                items.push(T::deserialize(item).map_err(|e| Error::Decode {
                    method: page.method,
                    url: page.url.clone(),
                    status: page.status,
                    cause: e.to_string(),
                })?);
            }
        }
        Ok(items)
    }
}

impl Pages<'_> {
    /// Changes the page cap.
    pub fn max_pages(mut self, max_pages: usize) -> Self {
        self.max_pages = max_pages;
        self
    }
}

impl Iterator for Pages<'_> {
    type Item = Result<Response, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        let target = self.next.take()?;
        if self.fetched >= self.max_pages {
            return Some(Err(Error::TooManyPages {
                url: self.client.redact(&display_url_str(&self.first)),
                max_pages: self.max_pages,
            }));
        }
        if !self.seen.insert(target.clone()) {
            return Some(Err(Error::InvalidUrl {
                url: self.client.redact(&display_url_str(&target)),
                reason: "the listing's next page is a page already read".into(),
            }));
        }
        let response = match self.client.send(Request::new(Method::Get, target)) {
            Ok(response) => response,
            Err(error) => return Some(Err(error)),
        };
        self.fetched += 1;
        if response.is_success() {
            self.next = next_page(&response).map(|next| {
                if is_absolute(&next) {
                    next
                } else {
                    // A relative link is relative to the server, not to the API base path.
                    self.client
                        .api_base()
                        .join(&next)
                        .map_or(next, |url| url.to_string())
                }
            });
        }
        Some(Ok(response))
    }
}

/// The next page of a listing response: the `Link` header's `rel="next"` target, else the
/// string `next` field of a JSON object body.
pub fn next_page(response: &Response) -> Option<String> {
    if let Some(next) = response.header_all("link").find_map(link_next) {
        return Some(next);
    }
    // Cheap test first: most pages are not Bitbucket pages.
    if !response.body.windows(6).any(|w| w == b"\"next\"") {
        return None;
    }
    let value: serde_json::Value = serde_json::from_slice(&response.body).ok()?;
    value
        .get("next")
        .and_then(|n| n.as_str())
        .filter(|n| !n.is_empty())
        .map(str::to_owned)
}

/// The target of the `rel="next"` link in a `Link` header value (RFC 8288).
pub fn link_next(header: &str) -> Option<String> {
    let mut rest = header;
    loop {
        let open = rest.find('<')?;
        let close = open + rest[open..].find('>')?;
        let target = &rest[open + 1..close];
        rest = &rest[close + 1..];
        // Parameters run to the next link (a comma outside quotes) or the end.
        let mut end = rest.len();
        let mut quoted = false;
        for (i, c) in rest.char_indices() {
            match c {
                '"' => quoted = !quoted,
                ',' if !quoted => {
                    end = i;
                    break;
                }
                _ => {}
            }
        }
        let params = &rest[..end];
        rest = &rest[end..];
        let is_next = params.split(';').any(|param| {
            let Some((key, value)) = param.split_once('=') else {
                return false;
            };
            key.trim().eq_ignore_ascii_case("rel")
                && value
                    .trim()
                    .trim_matches('"')
                    .split_ascii_whitespace()
                    .any(|rel| rel.eq_ignore_ascii_case("next"))
        });
        if is_next {
            return Some(target.trim().to_owned());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn link_headers() {
        let github = r#"<https://api.github.com/repositories/1/pulls?page=2>; rel="next", <https://api.github.com/repositories/1/pulls?page=5>; rel="last""#;
        assert_eq!(
            link_next(github).as_deref(),
            Some("https://api.github.com/repositories/1/pulls?page=2")
        );
        let last_page = r#"<https://x/?page=1>; rel="first", <https://x/?page=4>; rel="prev""#;
        assert_eq!(link_next(last_page), None);
        assert_eq!(
            link_next(r#"<https://x/a,b?page=3>; title="a, b"; REL=next"#).as_deref(),
            Some("https://x/a,b?page=3")
        );
        assert_eq!(
            link_next(r#"<https://x/p>; rel="prev next""#).as_deref(),
            Some("https://x/p")
        );
        assert_eq!(link_next(r#"<https://x/p>; rel="nextish""#), None);
        assert_eq!(link_next(""), None);
        assert_eq!(link_next("<unterminated"), None);
    }

    #[test]
    fn next_from_header_or_body() {
        let r = Response::for_test(
            200,
            &[("Link", r#"<https://x/2>; rel="next""#)],
            b"[]".to_vec(),
        );
        assert_eq!(next_page(&r).as_deref(), Some("https://x/2"));
        let bitbucket = Response::for_test(
            200,
            &[],
            br#"{"values":[],"page":1,"next":"https://api.bitbucket.org/2.0/x?page=2"}"#.to_vec(),
        );
        assert_eq!(
            next_page(&bitbucket).as_deref(),
            Some("https://api.bitbucket.org/2.0/x?page=2")
        );
        let end = Response::for_test(200, &[], br#"{"values":[],"page":2}"#.to_vec());
        assert_eq!(next_page(&end), None);
        let odd = Response::for_test(200, &[], br#"{"values":["\"next\""]}"#.to_vec());
        assert_eq!(next_page(&odd), None);
    }
}
