//! GitLab's `POST /projects/:id/repository/commits` body: one action per changed path.
//!
//! The choice of action is pure logic: a path the parent has is `update`d (or only `chmod`ed
//! when its content is the same), a new path is `create`d, a deleted path is `delete`d. Text
//! travels as is, anything that is not UTF-8 as base64. GitLab's commits API cannot write
//! symbolic links, so a symlink is refused here ([`ActionError::Symlink`]) before anything is
//! sent.

use std::collections::BTreeMap;

use base64::Engine as _;
use serde_json::{json, Value};

use crate::{Mode, ObjectId, TreeEntry};

/// One file the commit writes.
#[derive(Debug, Clone, Copy)]
pub struct Write<'a> {
    /// Repository path.
    pub path: &'a str,
    /// Its mode.
    pub mode: Mode,
    /// Its blob id.
    pub oid: &'a ObjectId,
    /// Its contents.
    pub content: &'a [u8],
}

/// A change GitLab's commits API cannot express.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ActionError {
    /// A symbolic link (the API writes regular and executable files only).
    #[error("{path} is a symbolic link, which GitLab's commits API cannot create; replace it by a regular file in the generator's output or sync with --provider local")]
    Symlink {
        /// The path.
        path: String,
    },
}

/// The `actions` array for `writes` and `deletions` over the parent's files `parent`.
pub fn actions(
    writes: &[Write<'_>],
    deletions: &[String],
    parent: &BTreeMap<String, TreeEntry>,
) -> Result<Vec<Value>, ActionError> {
    let mut out = Vec::with_capacity(writes.len() + deletions.len());
    for w in writes {
        if w.mode == Mode::Symlink {
            return Err(ActionError::Symlink {
                path: w.path.to_owned(),
            });
        }
        let executable = w.mode == Mode::Executable;
        match parent.get(w.path) {
            Some(old) if old.oid == *w.oid && old.mode != w.mode => out.push(json!({
                "action": "chmod",
                "file_path": w.path,
                "execute_filemode": executable,
            })),
            found => {
                let action = if found.is_some() { "update" } else { "create" };
                let mut a = json!({ "action": action, "file_path": w.path });
                match std::str::from_utf8(w.content) {
                    Ok(text) => a["content"] = json!(text),
                    Err(_) => {
                        a["content"] =
                            json!(base64::engine::general_purpose::STANDARD.encode(w.content));
                        a["encoding"] = json!("base64");
                    }
                }
                // GitLab keeps a file's mode on update unless told: say it whenever it matters.
                if executable || found.is_some_and(|o| o.mode == Mode::Executable) {
                    a["execute_filemode"] = json!(executable);
                }
                out.push(a);
            }
        }
    }
    for path in deletions {
        out.push(json!({ "action": "delete", "file_path": path }));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{hash_blob, HashKind};

    fn entry(mode: Mode, data: &[u8]) -> TreeEntry {
        TreeEntry {
            mode,
            oid: hash_blob(HashKind::Sha1, data),
        }
    }

    #[test]
    fn chooses_create_update_chmod_delete_and_encodes_binary() {
        let parent: BTreeMap<String, TreeEntry> = [
            ("a.txt".to_owned(), entry(Mode::Regular, b"old")),
            ("run.sh".to_owned(), entry(Mode::Regular, b"#!/bin/sh\n")),
            ("tool".to_owned(), entry(Mode::Executable, b"x")),
        ]
        .into();
        let ids: Vec<ObjectId> = [&b"new"[..], b"#!/bin/sh\n", b"\xff\x00", b"y"]
            .iter()
            .map(|d| hash_blob(HashKind::Sha1, d))
            .collect();
        let writes = [
            Write {
                path: "a.txt",
                mode: Mode::Regular,
                oid: &ids[0],
                content: b"new",
            },
            Write {
                path: "run.sh",
                mode: Mode::Executable,
                oid: &ids[1],
                content: b"#!/bin/sh\n",
            },
            Write {
                path: "bin.dat",
                mode: Mode::Regular,
                oid: &ids[2],
                content: b"\xff\x00",
            },
            Write {
                path: "tool",
                mode: Mode::Regular,
                oid: &ids[3],
                content: b"y",
            },
        ];
        let got = actions(&writes, &["gone.txt".to_owned()], &parent).expect("actions");
        assert_eq!(
            got[0],
            json!({"action": "update", "file_path": "a.txt", "content": "new"})
        );
        assert_eq!(
            got[1],
            json!({"action": "chmod", "file_path": "run.sh", "execute_filemode": true})
        );
        assert_eq!(
            got[2],
            json!({"action": "create", "file_path": "bin.dat", "content": "/wA=", "encoding": "base64"})
        );
        assert_eq!(
            got[3],
            json!({"action": "update", "file_path": "tool", "content": "y", "execute_filemode": false})
        );
        assert_eq!(got[4], json!({"action": "delete", "file_path": "gone.txt"}));
    }

    #[test]
    fn refuses_symlinks_by_path() {
        let oid = hash_blob(HashKind::Sha1, b"target");
        let w = [Write {
            path: "link",
            mode: Mode::Symlink,
            oid: &oid,
            content: b"target",
        }];
        let err = actions(&w, &[], &BTreeMap::new()).unwrap_err();
        assert_eq!(
            err,
            ActionError::Symlink {
                path: "link".into()
            }
        );
        assert!(err.to_string().starts_with("link is a symbolic link"));
    }
}
