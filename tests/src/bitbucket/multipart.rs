//! A strict `multipart/form-data` parser (RFC 7578) for the `/src` endpoint, and the rules
//! Bitbucket's documentation of `POST /2.0/repositories/{workspace}/{repo_slug}/src` states
//! for its form (checked by [`check_src_form`]; the official OpenAPI description lists the meta
//! data fields but cannot describe a form whose field names are file paths).

/// One part of a form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    /// The `name` parameter of `Content-Disposition`.
    pub name: String,
    /// The `filename` parameter: present for file fields.
    pub filename: Option<String>,
    /// The `x-attributes` parameter (`executable`, `link`).
    pub attributes: Option<String>,
    /// The part's bytes.
    pub data: Vec<u8>,
}

/// The boundary of a `multipart/form-data` content type.
pub fn boundary(content_type: &str) -> Option<String> {
    let (kind, params) = content_type.split_once(';')?;
    if !kind.trim().eq_ignore_ascii_case("multipart/form-data") {
        return None;
    }
    params.split(';').find_map(|p| {
        let (k, v) = p.split_once('=')?;
        k.trim()
            .eq_ignore_ascii_case("boundary")
            .then(|| v.trim().trim_matches('"').to_owned())
    })
}

/// Parses a form body; the reason when it is malformed.
pub fn parse(boundary: &str, body: &[u8]) -> Result<Vec<Part>, String> {
    let delimiter = format!("--{boundary}");
    let mut rest = body;
    if !rest.starts_with(delimiter.as_bytes()) {
        return Err("the body does not start with the boundary delimiter".into());
    }
    let mut parts = Vec::new();
    loop {
        rest = &rest[delimiter.len()..];
        if rest.starts_with(b"--") {
            return Ok(parts);
        }
        rest = rest
            .strip_prefix(b"\r\n")
            .ok_or("no CRLF after a boundary delimiter")?;
        let header_end = find(rest, b"\r\n\r\n").ok_or("a part's headers do not end")?;
        let headers = std::str::from_utf8(&rest[..header_end])
            .map_err(|_| "a part's headers are not UTF-8".to_owned())?;
        rest = &rest[header_end + 4..];
        let end = find(rest, format!("\r\n{delimiter}").as_bytes())
            .ok_or("a part is not closed by the boundary")?;
        let data = rest[..end].to_vec();
        rest = &rest[end + 2..];
        let mut disposition = None;
        for line in headers.split("\r\n") {
            let (key, value) = line
                .split_once(':')
                .ok_or_else(|| format!("bad part header line {line:?}"))?;
            if key.trim().eq_ignore_ascii_case("content-disposition") {
                disposition = Some(value.trim().to_owned());
            }
        }
        let disposition = disposition.ok_or("a part has no Content-Disposition")?;
        let params = disposition_params(&disposition)?;
        let get = |k: &str| {
            params
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case(k))
                .map(|(_, v)| v.clone())
        };
        parts.push(Part {
            name: get("name").ok_or("a part has no name")?,
            filename: get("filename"),
            attributes: get("x-attributes"),
            data,
        });
    }
}

/// `form-data; name="a"; filename="b"` → `[("name","a"), ("filename","b")]`, with the
/// `%22`, `%0D`, `%0A` escapes browsers use in quoted values decoded.
fn disposition_params(value: &str) -> Result<Vec<(String, String)>, String> {
    let kind_end = value.find(';').unwrap_or(value.len());
    if !value[..kind_end].trim().eq_ignore_ascii_case("form-data") {
        return Err(format!("Content-Disposition is not form-data: {value:?}"));
    }
    let mut params = Vec::new();
    let rest = &value[kind_end..];
    let mut i = 0;
    let bytes = rest.as_bytes();
    while i < bytes.len() {
        while i < bytes.len() && (bytes[i] == b';' || bytes[i] == b' ') {
            i += 1;
        }
        if i >= bytes.len() {
            break;
        }
        let eq = rest[i..]
            .find('=')
            .map(|e| i + e)
            .ok_or_else(|| format!("bad parameter in {value:?}"))?;
        let key = rest[i..eq].trim().to_owned();
        i = eq + 1;
        let val = if bytes.get(i) == Some(&b'"') {
            let close = rest[i + 1..]
                .find('"')
                .map(|c| i + 1 + c)
                .ok_or_else(|| format!("unterminated quoted value in {value:?}"))?;
            let v = rest[i + 1..close].to_owned();
            i = close + 1;
            v.replace("%22", "\"")
                .replace("%0D", "\r")
                .replace("%0A", "\n")
        } else {
            let end = rest[i..].find(';').map_or(rest.len(), |e| i + e);
            let v = rest[i..end].trim().to_owned();
            i = end;
            v
        };
        params.push((key, val));
    }
    Ok(params)
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// The meta data fields of the `/src` form.
pub const META_FIELDS: [&str; 5] = ["message", "author", "parents", "files", "branch"];

/// A `/src` form, read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SrcForm {
    /// `message`.
    pub message: Option<String>,
    /// `author`.
    pub author: Option<String>,
    /// `parents`, split at commas.
    pub parents: Vec<String>,
    /// `branch`.
    pub branch: Option<String>,
    /// `files` values (paths without a leading `/`).
    pub files: Vec<String>,
    /// File fields: (path without a leading `/`, x-attributes, bytes).
    pub uploads: Vec<(String, Option<String>, Vec<u8>)>,
}

/// Reads a `/src` form and checks it against the documented rules; the problems found (the
/// request is invalid when there is any).
pub fn check_src_form(parts: &[Part]) -> (SrcForm, Vec<String>) {
    let mut form = SrcForm::default();
    let mut problems = Vec::new();
    let mut seen_meta = Vec::new();
    for p in parts {
        match &p.filename {
            None => {
                let name = p.name.as_str();
                let Ok(value) = String::from_utf8(p.data.clone()) else {
                    problems.push(format!("meta data field {name:?} is not UTF-8"));
                    continue;
                };
                if !META_FIELDS.contains(&name) {
                    problems.push(format!(
                        "field {name:?} has no filename, so it is meta data, but /src has no such meta data field (file fields need a filename)"
                    ));
                    continue;
                }
                if name != "files" && seen_meta.contains(&name) {
                    problems.push(format!("meta data field {name:?} is repeated"));
                }
                seen_meta.push(name);
                match name {
                    "message" => form.message = Some(value),
                    "author" => {
                        let ok = value.split_once('<').is_some_and(|(n, e)| {
                            !n.trim().is_empty() && e.ends_with('>') && e.contains('@')
                        });
                        if !ok {
                            problems.push(format!(
                                "author {value:?} is not `Name <email>` (Bitbucket's raw author string)"
                            ));
                        }
                        form.author = Some(value);
                    }
                    "parents" => {
                        for parent in value.split(',') {
                            let parent = parent.trim();
                            if parent.len() != 40 || !parent.bytes().all(|b| b.is_ascii_hexdigit())
                            {
                                problems.push(format!("parents: {parent:?} is not a full SHA-1"));
                            }
                            form.parents.push(parent.to_ascii_lowercase());
                        }
                    }
                    "branch" => form.branch = Some(value),
                    "files" => form.files.push(value.trim_start_matches('/').to_owned()),
                    _ => unreachable!("checked against META_FIELDS"),
                }
            }
            Some(_) => {
                let path = p.name.trim_start_matches('/').to_owned();
                if META_FIELDS.contains(&path.as_str()) && !p.name.starts_with('/') {
                    problems.push(format!(
                        "file field {:?} clashes with a meta data field: write it as \"/{path}\"",
                        p.name
                    ));
                }
                if let Some(why) = bad_path(&path) {
                    problems.push(format!("file field {:?}: {why}", p.name));
                }
                match p.attributes.as_deref() {
                    None | Some("executable") | Some("link") => {}
                    Some(other) => problems.push(format!(
                        "file field {:?}: x-attributes {other:?} is neither \"executable\" nor \"link\"",
                        p.name
                    )),
                }
                if uploads_contain(&form.uploads, &path) {
                    problems.push(format!("file {path:?} is uploaded twice"));
                }
                form.uploads
                    .push((path, p.attributes.clone(), p.data.clone()));
            }
        }
    }
    for f in &form.files {
        if let Some(why) = bad_path(f) {
            problems.push(format!("files: {f:?}: {why}"));
        }
    }
    (form, problems)
}

fn uploads_contain(uploads: &[(String, Option<String>, Vec<u8>)], path: &str) -> bool {
    uploads.iter().any(|(p, _, _)| p == path)
}

/// Why `path` cannot be a repository file path, if it cannot.
pub fn bad_path(path: &str) -> Option<String> {
    if path.is_empty() {
        return Some("empty path".into());
    }
    if path.ends_with('/') || path.contains("//") {
        return Some("empty path segment".into());
    }
    for segment in path.split('/') {
        if segment == "." || segment == ".." {
            return Some(format!("segment {segment:?}"));
        }
        if segment.eq_ignore_ascii_case(".git") {
            return Some("a .git segment".into());
        }
    }
    if path.contains('\0') {
        return Some("NUL in the path".into());
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_curl_like_forms() {
        let body = b"--XyZ\r\nContent-Disposition: form-data; name=\"message\"\r\n\r\nHello\r\n\
--XyZ\r\nContent-Disposition: form-data; name=\"bin/run.sh\"; filename=\"run.sh\"; x-attributes=\"executable\"\r\nContent-Type: application/octet-stream\r\n\r\n#!/bin/sh\n\r\n\
--XyZ\r\nContent-Disposition: form-data; name=\"files\"\r\n\r\nold.txt\r\n--XyZ--\r\n";
        let parts = parse("XyZ", body).expect("valid");
        assert_eq!(parts.len(), 3);
        assert_eq!(parts[1].attributes.as_deref(), Some("executable"));
        assert_eq!(parts[1].data, b"#!/bin/sh\n");
        let (form, problems) = check_src_form(&parts);
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(form.files, ["old.txt"]);
        assert_eq!(
            boundary("multipart/form-data; boundary=XyZ").as_deref(),
            Some("XyZ")
        );
    }

    #[test]
    fn flags_undocumented_fields() {
        let parts = vec![
            Part {
                name: "mesage".into(),
                filename: None,
                attributes: None,
                data: b"x".to_vec(),
            },
            Part {
                name: "../x".into(),
                filename: Some("x".into()),
                attributes: Some("exec".into()),
                data: vec![],
            },
        ];
        let (_, problems) = check_src_form(&parts);
        assert_eq!(problems.len(), 3, "{problems:?}");
    }
}
