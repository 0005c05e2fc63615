//! Commit messages and pull-request texts (DESIGN section 3).
//!
//! The title is the first line of the person's message; the build link goes into a code block
//! (so chat tools and PR renderers do not unfurl or mangle it); trailers let gensync recognise
//! its own commits later (`Build-Id: <id>`).

use crate::changeset::{ChangeSet, ConflictState};

/// The trailer naming the build a commit came from.
pub const BUILD_ID_TRAILER: &str = "Build-Id";
/// The trailer marking a commit as gensync's.
pub const GENERATED_BY_TRAILER: &str = "Generated-By";
/// The value of [`GENERATED_BY_TRAILER`].
pub const GENERATED_BY: &str = "gensync";

/// GitHub refuses pull-request bodies over 65,536 characters; keep well below.
const MAX_BODY_CHARS: usize = 60_000;
/// How many paths a body lists per section before summarising the rest.
const MAX_LISTED: usize = 50;

/// Errors building texts.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// The message has no text.
    #[error("the commit message is empty: pass --message with at least a title line")]
    EmptyMessage,
}

/// What a build says about itself.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BuildInfo {
    /// The person's message: first line = title, rest = description.
    pub message: String,
    /// The build id.
    pub build_id: Option<String>,
    /// A link to the build.
    pub build_url: Option<String>,
}

/// Whether a query (or fragment) parameter named `name` may carry a credential: tokens,
/// passwords, secrets, keys and signatures by their usual names, and every parameter of a
/// pre-signed URL (`X-Amz-*` on S3, `X-Goog-*` on Google Cloud Storage).
fn is_credential_param(name: &str) -> bool {
    const NAMES: &[&str] = &[
        "token",
        "access_token",
        "id_token",
        "refresh_token",
        "private_token",
        "auth",
        "authorization",
        "code",
        "jwt",
        "key",
        "api_key",
        "apikey",
        "password",
        "passwd",
        "pwd",
        "pass",
        "secret",
        "client_secret",
        "sig",
        "signature",
        "session",
        "sessionid",
        "credential",
        "credentials",
    ];
    let name = name.to_ascii_lowercase();
    NAMES.contains(&name.as_str())
        || name.starts_with("x-amz-")
        || name.starts_with("x-goog-")
        || [
            "token",
            "secret",
            "password",
            "signature",
            "_key",
            "-key",
            "apikey",
        ]
        .iter()
        .any(|end| name.ends_with(end))
}

/// `pairs` (`a=1&b=2`) without the credential-like parameters; `None` when nothing is left.
fn without_credential_params(pairs: &str) -> Option<String> {
    let kept: Vec<(String, String)> = url::form_urlencoded::parse(pairs.as_bytes())
        .filter(|(name, _)| !is_credential_param(name))
        .map(|(n, v)| (n.into_owned(), v.into_owned()))
        .collect();
    (!kept.is_empty()).then(|| {
        url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(kept)
            .finish()
    })
}

/// The build link as it goes into a commit message, a pull-request body or comment: without
/// userinfo (`https://user:token@ci.example/…`) and without credential-like query or fragment
/// parameters (`?token=`, `access_token`, `sig`, `signature`, `key`, `password`, `secret`,
/// `X-Amz-*`, … see the source), which a commit would otherwise publish for good. Text that is
/// not an absolute URL is kept, with anything up to an `@` after a `://` cut.
pub fn build_link(link: &str) -> String {
    let link = link.trim();
    let Ok(mut parsed) = url::Url::parse(link) else {
        return match (link.find("://"), link.rfind('@')) {
            (Some(scheme_end), Some(at)) if at > scheme_end => {
                format!("{}{}", &link[..scheme_end + 3], &link[at + 1..])
            }
            _ => link.to_owned(),
        };
    };
    if parsed.cannot_be_a_base() {
        return link.to_owned();
    }
    let _ = parsed.set_username("");
    let _ = parsed.set_password(None);
    if let Some(query) = parsed.query().map(str::to_owned) {
        parsed.set_query(without_credential_params(&query).as_deref());
    }
    if let Some(fragment) = parsed.fragment().map(str::to_owned) {
        // `#access_token=…` (OAuth's implicit flow) is a parameter list too.
        if fragment.contains('=') {
            parsed.set_fragment(without_credential_params(&fragment).as_deref());
        }
    }
    parsed.to_string()
}

fn split_message(message: &str) -> Result<(&str, &str), Error> {
    let message = message.trim();
    if message.is_empty() {
        return Err(Error::EmptyMessage);
    }
    Ok(match message.split_once('\n') {
        Some((title, rest)) => (title.trim(), rest.trim()),
        None => (message, ""),
    })
}

/// `text` in a fenced code block whose fence is longer than any backtick run inside, so the
/// text (a URL) cannot close it.
pub fn code_block(text: &str) -> String {
    // A fence longer than any backtick run inside, so a URL cannot close it.
    let longest = text.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest.max(2) + 1);
    format!("{fence}\n{text}\n{fence}")
}

/// The commit message: title, description, build link in a code block, trailers.
pub fn commit_message(build: &BuildInfo) -> Result<String, Error> {
    let (title, rest) = split_message(&build.message)?;
    let mut out = String::from(title);
    out.push_str("\n\n");
    if !rest.is_empty() {
        out.push_str(rest);
        out.push_str("\n\n");
    }
    if let Some(url) = &build.build_url {
        out.push_str(&code_block(&build_link(url)));
        out.push_str("\n\n");
    }
    if let Some(id) = &build.build_id {
        out.push_str(&format!("{BUILD_ID_TRAILER}: {id}\n"));
    }
    out.push_str(&format!("{GENERATED_BY_TRAILER}: {GENERATED_BY}\n"));
    Ok(out)
}

/// The value of `Build-Id` if `message` is a gensync commit's, `Some(None)` if it is gensync's
/// without a build id, `None` if it is not gensync's.
pub fn parse_trailers(message: &str) -> Option<Option<String>> {
    let last = message.trim_end().rsplit("\n\n").next()?;
    let mut ours = false;
    let mut build_id = None;
    for line in last.lines() {
        if let Some((k, v)) = line.split_once(": ") {
            if k == GENERATED_BY_TRAILER && v.trim() == GENERATED_BY {
                ours = true;
            } else if k == BUILD_ID_TRAILER {
                build_id = Some(v.trim().to_owned());
            }
        }
    }
    ours.then_some(build_id)
}

/// The hidden marker ending every pull-request comment gensync writes for a build: `key` is
/// the build id (or, without one, the commit's id). After a comment request failed or lost its
/// answer, the comments are read back and the marker tells whether this build's comment is
/// already there ([`has_build_marker`]), so a retry never posts it twice.
pub fn build_marker(key: &str) -> String {
    format!("<!-- gensync:build={} -->", marker_escape(key))
}

/// Whether `comment` carries the [`build_marker`] of `key`.
pub fn has_build_marker(comment: &str, key: &str) -> bool {
    comment.contains(&build_marker(key))
}

/// `key` safe inside an HTML comment: characters outside `[A-Za-z0-9._:/+=-]`, and a `-` that
/// follows another (`--` may end a comment), are percent-encoded.
fn marker_escape(key: &str) -> String {
    let mut out = String::with_capacity(key.len());
    let mut previous_dash = false;
    for c in key.chars() {
        let plain =
            c.is_ascii_alphanumeric() || "._:/+=".contains(c) || (c == '-' && !previous_dash);
        if plain {
            out.push(c);
        } else {
            let mut buf = [0u8; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                out.push_str(&format!("%{b:02X}"));
            }
        }
        previous_dash = c == '-';
    }
    out
}

/// A pull request's title and body.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PullRequestText {
    /// The first line of the message.
    pub title: String,
    /// The rest of the message, the build link, and a summary of the change.
    pub body: String,
}

/// The pull request's title and body for a build and the change sets it commits.
pub fn pull_request(build: &BuildInfo, changes: &[&ChangeSet]) -> Result<PullRequestText, Error> {
    let (title, rest) = split_message(&build.message)?;
    let mut body = String::new();
    if !rest.is_empty() {
        body.push_str(rest);
        body.push_str("\n\n");
    }
    if let Some(url) = &build.build_url {
        body.push_str("Build:\n\n");
        body.push_str(&code_block(&build_link(url)));
        body.push_str("\n\n");
    }
    body.push_str(&summary_markdown(changes));
    if body.chars().count() > MAX_BODY_CHARS {
        body = body.chars().take(MAX_BODY_CHARS).collect();
        body.push_str("\n\n…(truncated)\n");
    }
    Ok(PullRequestText {
        title: title.to_owned(),
        body,
    })
}

/// A markdown summary of change sets: a counts table, then conflicts and changed paths.
pub fn summary_markdown(changes: &[&ChangeSet]) -> String {
    let mut out = String::from("| | files |\n|---|---:|\n");
    let sum = |f: fn(&ChangeSet) -> usize| changes.iter().map(|c| f(c)).sum::<usize>();
    for (label, n) in [
        ("Added", sum(|c| c.added.len())),
        ("Modified", sum(|c| c.modified.len())),
        ("Deleted", sum(|c| c.deleted.len())),
        ("Renamed", sum(|c| c.renamed.len())),
        ("Ignored", sum(|c| c.ignored.len())),
        ("Conflicts", sum(|c| c.conflicts.len())),
    ] {
        out.push_str(&format!("| {label} | {n} |\n"));
    }
    let conflicts: Vec<String> = changes
        .iter()
        .flat_map(|c| c.conflicts.iter())
        .map(|c| {
            let what = match &c.state {
                ConflictState::Pending => "not merged yet".to_owned(),
                ConflictState::Merged => "merged: both edits kept".to_owned(),
                ConflictState::Markers => {
                    "**conflict markers committed: resolve on this branch**".to_owned()
                }
                ConflictState::Resolved { kept } => {
                    format!("overlap resolved, {kept:?} side kept").to_lowercase()
                }
            };
            match &c.blocked_by {
                Some(b) => format!(
                    "- `{}` (file/folder collision with `{b}` on the branch): not written, the branch's side kept",
                    c.path
                ),
                None => format!("- `{}` ({}): {what}", c.path, c.kind),
            }
        })
        .collect();
    if !conflicts.is_empty() {
        out.push_str("\n**Edited on the branch and changed by the generator:**\n\n");
        push_capped(&mut out, conflicts);
    }
    let mut lines = Vec::new();
    for c in changes {
        lines.extend(c.added.iter().map(|f| format!("- A `{}`", f.path)));
        lines.extend(c.modified.iter().map(|f| format!("- M `{}`", f.path)));
        lines.extend(c.deleted.iter().map(|f| format!("- D `{}`", f.path)));
        lines.extend(
            c.renamed
                .iter()
                .map(|r| format!("- R `{}` → `{}`", r.from, r.to)),
        );
    }
    if !lines.is_empty() {
        out.push_str("\n<details><summary>Changed files</summary>\n\n");
        push_capped(&mut out, lines);
        out.push_str("\n</details>\n");
    }
    out
}

fn push_capped(out: &mut String, lines: Vec<String>) {
    let n = lines.len();
    for l in lines.into_iter().take(MAX_LISTED) {
        out.push_str(&l);
        out.push('\n');
    }
    if n > MAX_LISTED {
        out.push_str(&format!("- … and {} more\n", n - MAX_LISTED));
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn build_links_lose_userinfo_and_credential_parameters() {
        for (given, kept) in [
            (
                "https://bot:s3cret@ci.example.com/builds/42?tab=logs&token=abc#top",
                "https://ci.example.com/builds/42?tab=logs#top",
            ),
            (
                "https://bucket.s3.amazonaws.com/log.txt?X-Amz-Algorithm=AWS4&X-Amz-Credential=AKIA&X-Amz-Signature=ff&X-Amz-Security-Token=t",
                "https://bucket.s3.amazonaws.com/log.txt",
            ),
            (
                "https://ci.example.com/b/1?access_token=a&sig=b&signature=c&key=d&password=e&secret=f&api_key=g&page=2",
                "https://ci.example.com/b/1?page=2",
            ),
            (
                "https://ci.example.com/b/1#access_token=xyz&state=ok",
                "https://ci.example.com/b/1#state=ok",
            ),
            ("https://ci.example.com/b/1", "https://ci.example.com/b/1"),
            ("not a url user:pw@x", "not a url user:pw@x"),
            ("ci://user:pw@host path", "ci://host path"),
        ] {
            assert_eq!(build_link(given), kept, "{given}");
        }
        let build = BuildInfo {
            message: "Title".into(),
            build_id: Some("1".into()),
            build_url: Some("https://u:hunter2@ci.example.com/b?token=hunter3".into()),
        };
        let commit = commit_message(&build).unwrap();
        let pr = pull_request(&build, &[]).unwrap();
        for text in [&commit, &pr.body] {
            assert!(text.contains("https://ci.example.com/b\n"), "{text}");
            assert!(!text.contains("hunter"), "{text}");
        }
    }

    use super::*;

    fn build() -> BuildInfo {
        BuildInfo {
            message: "Add orders service\n\nGenerated from the new schema.".into(),
            build_id: Some("42".into()),
            build_url: Some("https://app.example.com/builds/42".into()),
        }
    }

    #[test]
    fn commit_message_has_title_rest_link_block_and_trailers() {
        let m = commit_message(&build()).unwrap();
        assert_eq!(
            m,
            "Add orders service\n\nGenerated from the new schema.\n\n```\nhttps://app.example.com/builds/42\n```\n\nBuild-Id: 42\nGenerated-By: gensync\n"
        );
        assert_eq!(parse_trailers(&m), Some(Some("42".into())));
        assert_eq!(parse_trailers("fix: typo\n\nSigned-off-by: x"), None);
    }

    #[test]
    fn empty_message_is_refused() {
        assert_eq!(
            commit_message(&BuildInfo::default()),
            Err(Error::EmptyMessage)
        );
    }

    #[test]
    fn code_block_fence_outlasts_backticks_inside() {
        assert_eq!(code_block("a```b"), "````\na```b\n````");
    }

    #[test]
    fn pull_request_title_is_first_line_and_body_has_link() {
        let pr = pull_request(&build(), &[]).unwrap();
        assert_eq!(pr.title, "Add orders service");
        assert!(pr.body.starts_with("Generated from the new schema.\n\nBuild:\n\n```\nhttps://app.example.com/builds/42\n```\n"));
        assert!(pr.body.contains("| Added | 0 |"));
    }

    #[test]
    fn build_markers_are_hidden_unique_and_safe() {
        assert_eq!(build_marker("rest-1"), "<!-- gensync:build=rest-1 -->");
        assert_eq!(
            build_marker("a-->b c"),
            "<!-- gensync:build=a-%2D%3Eb%20c -->"
        );
        assert!(has_build_marker(
            "New build\n\n<!-- gensync:build=7 -->\n",
            "7"
        ));
        assert!(!has_build_marker("<!-- gensync:build=17 -->", "7"));
        assert!(!has_build_marker("<!-- gensync:build=7x -->", "7"));
    }
}
