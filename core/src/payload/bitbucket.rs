//! Bitbucket Cloud request payloads: the `/src` commit form and the pull-request, comment and
//! repository bodies (serde values and plain data, no I/O).
//!
//! `POST /2.0/repositories/{workspace}/{repo_slug}/src` takes a `multipart/form-data` form:
//! one *file* field per written file, named by its repository path, with the file's bytes;
//! one `files` *text* field per deleted path (a `files` entry without a file field of the same
//! name deletes it); and the text fields `message`, `author`, `branch` and `parents`. The mode
//! travels in the `Content-Disposition` parameter `x-attributes` (`executable`, or `link` for a
//! symlink whose content is its target). Bitbucket tells file fields from meta data fields by
//! their `filename` parameter; a file whose path is a meta data name (`message` at the
//! repository root) still gets a leading `/`, which Bitbucket also accepts, so no reader can
//! mistake it.
//!
//! ```
//! use gensync_core::payload::bitbucket::{src_form, Field, SrcCommit, SrcFile};
//! use gensync_core::{HashKind, Mode, ObjectId};
//! let parent = ObjectId::null(HashKind::Sha1);
//! let form = src_form(&SrcCommit {
//!     message: "Build 1",
//!     author: None,
//!     branch: "amplication",
//!     parent: &parent,
//!     files: &[SrcFile { path: "bin/run.sh", mode: Mode::Executable, data: b"#!/bin/sh\n" }],
//!     deletions: &["old.txt"],
//! });
//! assert_eq!(form[0], Field::Text { name: "message", value: "Build 1".into() });
//! assert!(form.contains(&Field::Text { name: "files", value: "old.txt".into() }));
//! assert!(matches!(form.last(), Some(Field::File { name, attributes: Some("executable"), .. }) if name == "bin/run.sh"));
//! ```

use gix_hash::ObjectId;
use serde_json::{json, Value};

use super::github::Signature;
use crate::snapshot::Mode;

/// The names of the `/src` form's meta data fields.
pub const META_FIELDS: [&str; 5] = ["message", "author", "branch", "parents", "files"];

/// One file the commit writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SrcFile<'a> {
    /// Repository path.
    pub path: &'a str,
    /// Mode.
    pub mode: Mode,
    /// Content (for a symlink: its target).
    pub data: &'a [u8],
}

/// A commit through `/src`.
#[derive(Debug, Clone, Copy)]
pub struct SrcCommit<'a> {
    /// The full commit message.
    pub message: &'a str,
    /// Author, or `None` for the credential's account.
    pub author: Option<&'a Signature>,
    /// The branch to advance, or to create at the new commit.
    pub branch: &'a str,
    /// The commit built on. Bitbucket answers 409 if the branch exists and this is not its
    /// head, so a moved head never gets overwritten; for a new branch it is the new commit's
    /// parent.
    pub parent: &'a ObjectId,
    /// Files written.
    pub files: &'a [SrcFile<'a>],
    /// Paths deleted.
    pub deletions: &'a [&'a str],
}

/// One field of the form, in the order sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Field<'a> {
    /// A meta data field.
    Text {
        /// One of [`META_FIELDS`].
        name: &'static str,
        /// Its value.
        value: String,
    },
    /// A file field.
    File {
        /// The field name: the repository path (with a leading `/` when it is a meta data name).
        name: String,
        /// `executable` or `link`, else `None` for a regular file.
        attributes: Option<&'static str>,
        /// The content.
        data: &'a [u8],
    },
}

/// The `x-attributes` value of a mode.
pub fn attributes(mode: Mode) -> Option<&'static str> {
    match mode {
        Mode::Regular => None,
        Mode::Executable => Some("executable"),
        Mode::Symlink => Some("link"),
    }
}

/// The form of a `/src` commit: `message`, `author` (if any), `branch`, `parents`, one `files`
/// field per deletion, then the file fields.
pub fn src_form<'a>(commit: &SrcCommit<'a>) -> Vec<Field<'a>> {
    let mut form = vec![Field::Text {
        name: "message",
        value: commit.message.to_owned(),
    }];
    if let Some(a) = commit.author {
        form.push(Field::Text {
            name: "author",
            value: format!("{} <{}>", a.name, a.email),
        });
    }
    form.push(Field::Text {
        name: "branch",
        value: commit.branch.to_owned(),
    });
    form.push(Field::Text {
        name: "parents",
        value: commit.parent.to_string(),
    });
    for path in commit.deletions {
        form.push(Field::Text {
            name: "files",
            value: (*path).to_owned(),
        });
    }
    for f in commit.files {
        let name = if META_FIELDS.contains(&f.path) {
            format!("/{}", f.path)
        } else {
            f.path.to_owned()
        };
        form.push(Field::File {
            name,
            attributes: attributes(f.mode),
            data: f.data,
        });
    }
    form
}

/// Reviewers as Bitbucket accounts: `{uuid}` values (curly braces included) are account UUIDs,
/// anything else an Atlassian account id.
pub fn reviewers(users: &[String]) -> Vec<Value> {
    users
        .iter()
        .map(|u| {
            if u.starts_with('{') && u.ends_with('}') {
                json!({ "type": "user", "uuid": u })
            } else {
                json!({ "type": "user", "account_id": u })
            }
        })
        .collect()
}

/// The body of `POST .../pullrequests`: from `branch` into `base` of the same repository.
pub fn create_pull_request(
    title: &str,
    description: &str,
    branch: &str,
    base: &str,
    reviewers_: &[String],
    draft: bool,
) -> Value {
    let mut v = json!({
        "type": "pullrequest",
        "title": title,
        "description": description,
        "source": { "branch": { "name": branch } },
        "destination": { "branch": { "name": base } },
    });
    if !reviewers_.is_empty() {
        v["reviewers"] = Value::Array(reviewers(reviewers_));
    }
    if draft {
        v["draft"] = json!(true);
    }
    v
}

/// The body of `PUT .../pullrequests/{id}`: a new title and description.
pub fn update_pull_request(title: &str, description: &str) -> Value {
    json!({ "type": "pullrequest", "title": title, "description": description })
}

/// The body of `POST .../pullrequests/{id}/comments` (Markdown).
pub fn comment(markdown: &str) -> Value {
    json!({ "type": "pullrequest_comment", "content": { "raw": markdown } })
}

/// The body of `POST /repositories/{workspace}/{repo_slug}`: a git repository.
pub fn create_repository(name: &str, private: bool) -> Value {
    json!({ "type": "repository", "scm": "git", "name": name, "is_private": private })
}

/// The repository slug Bitbucket derives from a name: lower case, runs of characters other than
/// letters, digits, `-`, `_` and `.` become one `-`, no `-` at either end.
pub fn slug(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.trim().chars() {
        let c = c.to_ascii_lowercase();
        if c.is_ascii_alphanumeric() || matches!(c, '_' | '.') || c == '-' {
            out.push(c);
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    out.trim_matches('-').to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn meta_named_files_get_a_leading_slash_and_modes_become_attributes() {
        let parent = ObjectId::null(gix_hash::Kind::Sha1);
        let files = [
            SrcFile {
                path: "message",
                mode: Mode::Regular,
                data: b"x",
            },
            SrcFile {
                path: "link",
                mode: Mode::Symlink,
                data: b"target",
            },
        ];
        let author = Signature {
            name: "Bot".into(),
            email: "bot@example.com".into(),
        };
        let form = src_form(&SrcCommit {
            message: "m",
            author: Some(&author),
            branch: "b",
            parent: &parent,
            files: &files,
            deletions: &[],
        });
        assert_eq!(
            form[1],
            Field::Text {
                name: "author",
                value: "Bot <bot@example.com>".into()
            }
        );
        assert!(
            matches!(&form[4], Field::File { name, attributes: None, .. } if name == "/message")
        );
        assert!(
            matches!(&form[5], Field::File { name, attributes: Some("link"), .. } if name == "link")
        );
    }

    #[test]
    fn slugs() {
        assert_eq!(slug("My New Repo!"), "my-new-repo");
        assert_eq!(slug("  a__b.c  "), "a__b.c");
        assert_eq!(slug("--x--"), "x");
    }
}
