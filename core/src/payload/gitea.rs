//! Gitea's (and Forgejo's) `POST /repos/{owner}/{repo}/contents` body (`ChangeFilesOptions`):
//! one commit of create, update and delete operations, each update and delete guarded by the
//! blob id the branch holds at that path, and what the API cannot express (file modes).

use base64::Engine as _;
use serde_json::{json, Value};

use super::github::Signature;
use crate::{BranchTree, Mode, ObjectId};

/// One file of a commit: its path, mode and contents.
#[derive(Debug, Clone, Copy)]
pub struct Write<'a> {
    /// Repository path.
    pub path: &'a str,
    /// The mode the build wants.
    pub mode: Mode,
    /// The contents.
    pub content: &'a [u8],
}

/// What the commit carries.
#[derive(Debug, Clone, Copy)]
pub struct ChangeFiles<'a> {
    /// The commit message.
    pub message: &'a str,
    /// The branch the commit is based on (the base branch when `new_branch` is set).
    pub branch: &'a str,
    /// The branch to create from `branch`'s head, if any.
    pub new_branch: Option<&'a str>,
    /// Author and committer (`None`: the token's user).
    pub author: Option<&'a Signature>,
    /// Files to write.
    pub writes: &'a [Write<'a>],
    /// Paths to delete.
    pub deletions: &'a [&'a str],
    /// The tree of the commit the change is built on: an update or delete carries the blob id
    /// found there (`sha`), a path absent there is a `create` (refused if it exists).
    pub parent: &'a BranchTree,
}

/// A path the change deletes is not in the parent's tree: there is no blob id to guard it with.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot delete {path}: it is not in the tree of the commit the change is built on")]
pub struct MissingPath {
    /// The path.
    pub path: String,
}

/// The `ChangeFilesOptions` body.
pub fn change_files(c: &ChangeFiles<'_>) -> Result<Value, MissingPath> {
    let b64 = base64::engine::general_purpose::STANDARD;
    let mut files = Vec::with_capacity(c.writes.len() + c.deletions.len());
    for w in c.writes {
        let mut file = json!({ "path": w.path, "content": b64.encode(w.content) });
        match c.parent.get(w.path) {
            Some(entry) => {
                file["operation"] = json!("update");
                file["sha"] = json!(entry.oid.to_string());
            }
            None => file["operation"] = json!("create"),
        }
        files.push(file);
    }
    for path in c.deletions {
        let entry = c.parent.get(*path).ok_or_else(|| MissingPath {
            path: (*path).to_owned(),
        })?;
        files.push(json!({ "operation": "delete", "path": path, "sha": entry.oid.to_string() }));
    }
    let mut body = json!({ "files": files, "message": c.message, "branch": c.branch });
    if let Some(new) = c.new_branch {
        body["new_branch"] = json!(new);
    }
    if let Some(a) = c.author {
        let who = json!({ "name": a.name, "email": a.email });
        body["author"] = who.clone();
        body["committer"] = who;
    }
    Ok(body)
}

/// The mode each write gets from Gitea, which writes new files as regular files and keeps an
/// existing file's mode: `(path, wanted, written)` for every write that ends up with another mode
/// than the build's (reported, as GitHub's GraphQL mode reports what it cannot do).
pub fn unsupported_modes<'a>(
    writes: &[Write<'a>],
    parent: &BranchTree,
) -> Vec<(&'a str, Mode, Mode)> {
    writes
        .iter()
        .filter_map(|w| {
            let written = parent.get(w.path).map_or(Mode::Regular, |e| e.mode);
            (written != w.mode).then_some((w.path, w.mode, written))
        })
        .collect()
}

/// Whether commit `parents` (the new commit's, as Gitea answered) show it was made on `built_on`:
/// exactly one parent, that one.
pub fn built_on(parents: &[ObjectId], built_on: &ObjectId) -> bool {
    parents == [*built_on]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{HashKind, TreeEntry};

    fn oid(text: &str) -> ObjectId {
        crate::hash_blob(HashKind::Sha1, text.as_bytes())
    }

    fn tree() -> BranchTree {
        let mut t = BranchTree::new();
        t.insert(
            "a.txt".into(),
            TreeEntry {
                mode: Mode::Regular,
                oid: oid("a"),
            },
        );
        t.insert(
            "run.sh".into(),
            TreeEntry {
                mode: Mode::Executable,
                oid: oid("run"),
            },
        );
        t
    }

    #[test]
    fn updates_and_deletes_carry_the_parents_blob_and_new_paths_are_creates() {
        let parent = tree();
        let writes = [
            Write {
                path: "a.txt",
                mode: Mode::Regular,
                content: b"A",
            },
            Write {
                path: "new.txt",
                mode: Mode::Regular,
                content: b"n",
            },
        ];
        let sig = Signature {
            name: "Bot".into(),
            email: "bot@example.com".into(),
        };
        let body = change_files(&ChangeFiles {
            message: "m",
            branch: "main",
            new_branch: Some("sync"),
            author: Some(&sig),
            writes: &writes,
            deletions: &["run.sh"],
            parent: &parent,
        })
        .expect("a body");
        assert_eq!(body["files"][0]["operation"], "update");
        assert_eq!(body["files"][0]["sha"], oid("a").to_string());
        assert_eq!(body["files"][0]["content"], "QQ==");
        assert_eq!(body["files"][1]["operation"], "create");
        assert!(body["files"][1].get("sha").is_none());
        assert_eq!(body["files"][2]["operation"], "delete");
        assert_eq!(body["files"][2]["sha"], oid("run").to_string());
        assert_eq!(body["new_branch"], "sync");
        assert_eq!(body["branch"], "main");
        assert_eq!(body["author"], body["committer"]);
        assert_eq!(body["author"]["email"], "bot@example.com");
        let err = change_files(&ChangeFiles {
            message: "m",
            branch: "main",
            new_branch: None,
            author: None,
            writes: &[],
            deletions: &["gone.txt"],
            parent: &parent,
        })
        .unwrap_err();
        assert_eq!(err.path, "gone.txt");
    }

    #[test]
    fn modes_gitea_cannot_write_are_listed() {
        let parent = tree();
        let writes = [
            Write {
                path: "new.sh",
                mode: Mode::Executable,
                content: b"",
            },
            Write {
                path: "run.sh",
                mode: Mode::Executable,
                content: b"",
            },
            Write {
                path: "a.txt",
                mode: Mode::Symlink,
                content: b"",
            },
        ];
        assert_eq!(
            unsupported_modes(&writes, &parent),
            [
                ("new.sh", Mode::Executable, Mode::Regular),
                ("a.txt", Mode::Symlink, Mode::Regular)
            ]
        );
        assert!(built_on(&[oid("x")], &oid("x")));
        assert!(!built_on(&[oid("y")], &oid("x")));
        assert!(!built_on(&[oid("x"), oid("y")], &oid("x")));
    }
}
