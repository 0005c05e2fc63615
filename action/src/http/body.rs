//! Request bodies: JSON and `multipart/form-data`.
//!
//! Bodies are encoded to bytes once, before the first attempt, so that retries and 307/308
//! redirects resend exactly the same bytes. Multipart is written here rather than with ureq's
//! `multipart` feature because Bitbucket's `/src` endpoint needs full control of the field
//! names (one field per file, named by the file's repository path, which may contain any
//! character) and we want a boundary proven absent from every part.

use super::retry::Jitter;

/// The body of a request.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum Body {
    /// No body.
    #[default]
    Empty,
    /// A JSON document, sent as `application/json`.
    Json(serde_json::Value),
    /// Bytes with their content type (e.g. JSON already serialised with [`Body::json`]).
    Bytes {
        /// The `Content-Type` header value.
        content_type: String,
        /// The bytes sent.
        data: Vec<u8>,
    },
    /// A `multipart/form-data` form.
    Multipart(Multipart),
}

impl Body {
    /// Serialises `value` to a JSON body without building a `serde_json::Value` first.
    pub fn json<T: serde::Serialize + ?Sized>(value: &T) -> Result<Body, serde_json::Error> {
        Ok(Body::Bytes {
            content_type: JSON.to_owned(),
            data: serde_json::to_vec(value)?,
        })
    }

    /// The content type and bytes to send (`None` for [`Body::Empty`]).
    pub(crate) fn encode(self, rng: &Jitter) -> Option<(String, Vec<u8>)> {
        match self {
            Body::Empty => None,
            Body::Json(value) => Some((
                JSON.to_owned(),
                serde_json::to_vec(&value).expect("a serde_json::Value always serialises"),
            )),
            Body::Bytes { content_type, data } => Some((content_type, data)),
            Body::Multipart(form) => {
                let boundary = form.pick_boundary(rng);
                Some((
                    format!("multipart/form-data; boundary={boundary}"),
                    form.encode(&boundary),
                ))
            }
        }
    }
}

const JSON: &str = "application/json";

/// One part of a multipart form.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Part {
    /// The field name (for Bitbucket `/src` file fields: the file's path in the repository).
    pub name: String,
    /// The `filename` parameter; set for file fields, `None` for text fields.
    pub filename: Option<String>,
    /// The part's `Content-Type`; `None` for text fields.
    pub content_type: Option<String>,
    /// Bitbucket's `x-attributes` parameter of `Content-Disposition` (`executable`, `link`),
    /// which makes a `/src` upload an executable or a symlink.
    pub attributes: Option<String>,
    /// The value.
    pub data: Vec<u8>,
}

/// A `multipart/form-data` form (RFC 7578), built part by part, in order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Multipart {
    /// The parts, in the order they are sent.
    pub parts: Vec<Part>,
}

impl Multipart {
    /// An empty form.
    pub fn new() -> Self {
        Multipart::default()
    }

    /// Adds a text field.
    pub fn text(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.parts.push(Part {
            name: name.into(),
            filename: None,
            content_type: None,
            attributes: None,
            data: value.into().into_bytes(),
        });
        self
    }

    /// Adds a file field named `name` (e.g. `src/main.rs`) with `data` as its content, as
    /// `curl -F 'src/main.rs=@file'` sends it: `filename` is the last segment of `name`,
    /// content type `application/octet-stream`.
    pub fn file(self, name: impl Into<String>, data: impl Into<Vec<u8>>) -> Self {
        let name = name.into();
        let filename = name.rsplit('/').next().unwrap_or(&name).to_owned();
        self.file_with(name, filename, "application/octet-stream", data)
    }

    /// Adds a file field with an explicit file name and content type.
    pub fn file_with(
        mut self,
        name: impl Into<String>,
        filename: impl Into<String>,
        content_type: impl Into<String>,
        data: impl Into<Vec<u8>>,
    ) -> Self {
        self.parts.push(Part {
            name: name.into(),
            filename: Some(filename.into()),
            content_type: Some(content_type.into()),
            attributes: None,
            data: data.into(),
        });
        self
    }

    /// Adds a file field like [`Multipart::file`] carrying Bitbucket's `x-attributes`
    /// (`executable` or `link`) in its `Content-Disposition`.
    pub fn file_with_attributes(
        self,
        name: impl Into<String>,
        data: impl Into<Vec<u8>>,
        attributes: impl Into<String>,
    ) -> Self {
        let mut form = self.file(name, data);
        if let Some(part) = form.parts.last_mut() {
            part.attributes = Some(attributes.into());
        }
        form
    }

    /// A boundary that occurs in no part (names, file names and data), drawn from `rng`.
    pub(crate) fn pick_boundary(&self, rng: &Jitter) -> String {
        const ALPHABET: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
        loop {
            let mut boundary = String::from("gensync-");
            for _ in 0..32 {
                boundary.push(ALPHABET[(rng.next_u64() % ALPHABET.len() as u64) as usize] as char);
            }
            if !self.contains(boundary.as_bytes()) {
                return boundary;
            }
        }
    }

    fn contains(&self, needle: &[u8]) -> bool {
        self.parts.iter().any(|p| {
            contains(&p.data, needle)
                || contains(p.name.as_bytes(), needle)
                || p.filename
                    .as_ref()
                    .is_some_and(|f| contains(f.as_bytes(), needle))
        })
    }

    /// The encoded form with `boundary` (which must not occur in any part).
    pub fn encode(&self, boundary: &str) -> Vec<u8> {
        debug_assert!(!self.contains(boundary.as_bytes()));
        let size: usize = self
            .parts
            .iter()
            .map(|p| p.data.len() + p.name.len() + 128 + boundary.len())
            .sum();
        let mut out = Vec::with_capacity(size + boundary.len() + 8);
        for part in &self.parts {
            out.extend_from_slice(b"--");
            out.extend_from_slice(boundary.as_bytes());
            out.extend_from_slice(b"\r\nContent-Disposition: form-data; name=\"");
            out.extend_from_slice(escape_quoted(&part.name).as_bytes());
            out.push(b'"');
            if let Some(filename) = &part.filename {
                out.extend_from_slice(b"; filename=\"");
                out.extend_from_slice(escape_quoted(filename).as_bytes());
                out.push(b'"');
            }
            if let Some(attributes) = &part.attributes {
                out.extend_from_slice(b"; x-attributes=\"");
                out.extend_from_slice(escape_quoted(attributes).as_bytes());
                out.push(b'"');
            }
            out.extend_from_slice(b"\r\n");
            if let Some(content_type) = &part.content_type {
                out.extend_from_slice(b"Content-Type: ");
                out.extend_from_slice(content_type.as_bytes());
                out.extend_from_slice(b"\r\n");
            }
            out.extend_from_slice(b"\r\n");
            out.extend_from_slice(&part.data);
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(b"--");
        out.extend_from_slice(boundary.as_bytes());
        out.extend_from_slice(b"--\r\n");
        out
    }
}

/// Escapes a field name or file name for a quoted `Content-Disposition` parameter the way
/// browsers do (WHATWG HTML, "multipart/form-data encoding algorithm"): `"`, CR and LF become
/// `%22`, `%0D` and `%0A`; everything else, UTF-8 included, is sent as is.
fn escape_quoted(value: &str) -> String {
    value
        .replace('"', "%22")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    needle.is_empty() || haystack.windows(needle.len()).any(|w| w == needle)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A parsed part: (name, filename, content type, data).
    pub(crate) type ParsedPart = (String, Option<String>, Option<String>, Vec<u8>);

    /// A small, strict multipart parser for tests (independent of the encoder's code).
    pub(crate) fn parse(content_type: &str, body: &[u8]) -> Vec<ParsedPart> {
        let boundary = content_type
            .split("boundary=")
            .nth(1)
            .expect("content type names a boundary");
        let delimiter = format!("--{boundary}");
        let mut parts = Vec::new();
        let mut rest = body;
        assert!(
            rest.starts_with(delimiter.as_bytes()),
            "starts with the delimiter"
        );
        loop {
            rest = &rest[delimiter.len()..];
            if rest == b"--\r\n" {
                return parts;
            }
            assert!(rest.starts_with(b"\r\n"), "CRLF after the delimiter");
            rest = &rest[2..];
            let header_end = find(rest, b"\r\n\r\n").expect("part headers end");
            let headers = std::str::from_utf8(&rest[..header_end]).expect("UTF-8 headers");
            rest = &rest[header_end + 4..];
            let end = find(rest, format!("\r\n{delimiter}").as_bytes()).expect("part ends");
            let data = rest[..end].to_vec();
            rest = &rest[end + 2..];
            let (mut name, mut filename, mut ctype) = (None, None, None);
            for line in headers.split("\r\n") {
                let (key, value) = line.split_once(": ").expect("header line");
                match key.to_ascii_lowercase().as_str() {
                    "content-disposition" => {
                        for param in value.split("; ").skip(1) {
                            let (k, v) = param.split_once('=').expect("param");
                            let v = v.trim_matches('"').to_owned();
                            match k {
                                "name" => name = Some(v),
                                "filename" => filename = Some(v),
                                other => panic!("unexpected param {other}"),
                            }
                        }
                    }
                    "content-type" => ctype = Some(value.to_owned()),
                    other => panic!("unexpected header {other}"),
                }
            }
            parts.push((name.expect("part has a name"), filename, ctype, data));
        }
    }

    fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
        haystack.windows(needle.len()).position(|w| w == needle)
    }

    #[test]
    fn encodes_text_and_file_fields() {
        let form = Multipart::new()
            .text("message", "Sync build 42\n\nbody")
            .text("branch", "amplication")
            .file(
                "src/main.rs",
                b"fn main() {}\r\n--not-a-boundary\r\n".to_vec(),
            )
            .file("dir/ünïcode \"quoted\".txt", vec![0u8, 255, 13, 10])
            .text("files", "old/deleted.txt");
        let (ctype, bytes) = Body::Multipart(form.clone())
            .encode(&Jitter::new(Some(1)))
            .expect("a body");
        let parts = parse(&ctype, &bytes);
        assert_eq!(parts.len(), 5);
        assert_eq!(
            parts[0],
            (
                "message".into(),
                None,
                None,
                b"Sync build 42\n\nbody".to_vec()
            )
        );
        assert_eq!(parts[1].3, b"amplication");
        assert_eq!(parts[2].0, "src/main.rs");
        assert_eq!(parts[2].1.as_deref(), Some("main.rs"));
        assert_eq!(parts[2].2.as_deref(), Some("application/octet-stream"));
        assert_eq!(parts[2].3, form.parts[2].data);
        assert_eq!(parts[3].0, "dir/ünïcode %22quoted%22.txt");
        assert_eq!(parts[3].3, vec![0u8, 255, 13, 10]);
        assert_eq!(
            parts[4],
            ("files".into(), None, None, b"old/deleted.txt".to_vec())
        );
    }

    #[test]
    fn exact_bytes() {
        let form = Multipart::new().text("a", "1").file("d/f", b"x".to_vec());
        assert_eq!(
            String::from_utf8(form.encode("B")).expect("ASCII"),
            "--B\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n\
             --B\r\nContent-Disposition: form-data; name=\"d/f\"; filename=\"f\"\r\n\
             Content-Type: application/octet-stream\r\n\r\nx\r\n--B--\r\n"
        );
        assert_eq!(
            String::from_utf8(Multipart::new().encode("B")).expect("ASCII"),
            "--B--\r\n"
        );
    }

    #[test]
    fn boundary_avoids_part_contents() {
        // Find the boundary a seeded generator would pick, put it in the data, and check that
        // the same seed now yields another one.
        let first = Multipart::new()
            .text("a", "b")
            .pick_boundary(&Jitter::new(Some(9)));
        let form = Multipart::new().file("f", format!("xx{first}yy").into_bytes());
        let second = form.pick_boundary(&Jitter::new(Some(9)));
        assert_ne!(first, second);
        assert!(!contains(&form.parts[0].data, second.as_bytes()));
        assert!(second.len() <= 70, "RFC 2046 limit");
    }

    #[test]
    fn json_bodies() {
        let (ctype, bytes) = Body::json(&serde_json::json!({"a": [1, 2]}))
            .expect("serialises")
            .encode(&Jitter::new(Some(1)))
            .expect("a body");
        assert_eq!(ctype, "application/json");
        assert_eq!(bytes, br#"{"a":[1,2]}"#);
        assert_eq!(Body::Empty.encode(&Jitter::new(Some(1))), None);
        let (_, bytes) = Body::Json(serde_json::json!(null))
            .encode(&Jitter::new(Some(1)))
            .expect("a body");
        assert_eq!(bytes, b"null");
    }
}
