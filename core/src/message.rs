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

fn code_block(text: &str) -> String {
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
        out.push_str(&code_block(url));
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
        body.push_str(&code_block(url));
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
            format!("- `{}` ({}): {what}", c.path, c.kind)
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
}
