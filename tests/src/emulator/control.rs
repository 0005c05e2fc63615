//! The control endpoint `/_emulator/...` every emulator serves (neither authenticated nor
//! recorded), for driving the emulator binary from outside the process, and the repository
//! operations the providers' control APIs share (seeding a bare repository, merging a pull
//! request's branches). These routes are the same for every provider:
//!
//! | request | effect |
//! | --- | --- |
//! | `GET /_emulator/requests` | the request record (JSON array) |
//! | `GET /_emulator/requests/invalid` | the requests that failed validation |
//! | `GET /_emulator/preflights` | the CORS preflights answered (not in the record) |
//! | `DELETE /_emulator/requests` | forgets the record (and the preflights) |
//! | `POST /_emulator/faults` (a [`FaultRule`]) | adds a rule, answers `{"id"}` |
//! | `GET /_emulator/faults/{id}` | `{"fired": n}` |
//! | `DELETE /_emulator/faults[/{id}]` | removes all rules (or one) |
//!
//! A provider adds its own (seeding repositories, acting as other people) through
//! [`super::Provider::control`]. Errors are answered `{"error": message}`.

use std::path::Path;

use serde_json::{json, Value};

use super::{Core, Error, Provider, RepoRecord};
use crate::fault::{FaultId, FaultRule};
use crate::git::{BareRepo, FileChange, Oid, RefExpectation, Signature};
use crate::http::{Request, Response};

/// The answer to a control request, or its status and message.
pub type Outcome = Result<Response, (u16, String)>;

/// A 400 with `message`.
pub fn bad(message: impl std::fmt::Display) -> (u16, String) {
    (400, message.to_string())
}

/// `error` with the status [`Error::status`] gives it.
pub fn failed(error: Error) -> (u16, String) {
    (error.status(), error.to_string())
}

/// The 404 of a control request no operation answers.
pub fn unknown(request: &Request) -> (u16, String) {
    (
        404,
        format!("no control operation {} {}", request.method, request.path),
    )
}

/// `value` as a JSON answer with `status`.
pub fn json(status: u16, value: impl serde::Serialize) -> Outcome {
    let value = serde_json::to_value(value).map_err(|e| (500, e.to_string()))?;
    Ok(Response::json(status, &value))
}

/// Answers one control request.
pub fn handle<P: Provider>(provider: &P, request: &Request) -> Response {
    let segments = request.path_segments();
    let parts: Vec<&str> = segments.iter().skip(1).map(String::as_str).collect();
    let outcome = (|| {
        let body: Value = if request.body.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&request.body).map_err(bad)?
        };
        shared(provider.core(), &request.method, &parts, &body)
            .unwrap_or_else(|| provider.control(request, &parts, &body))
    })();
    outcome.unwrap_or_else(|(status, message)| Response::json(status, &json!({ "error": message })))
}

/// The routes every emulator has: the record and the fault rules.
fn shared<R: RepoRecord>(
    core: &Core<R>,
    method: &str,
    parts: &[&str],
    body: &Value,
) -> Option<Outcome> {
    let fault_id = |text: &str| text.parse().map(FaultId).map_err(bad);
    Some(match (method, parts) {
        ("GET", ["requests"]) => json(200, core.recorder.entries()),
        ("GET", ["requests", "invalid"]) => json(200, core.recorder.invalid()),
        ("GET", ["preflights"]) => json(200, core.recorder.preflights()),
        ("DELETE", ["requests"]) => {
            core.recorder.clear();
            Ok(Response::empty(204))
        }
        ("POST", ["faults"]) => serde_json::from_value::<FaultRule>(body.clone())
            .map_err(bad)
            .and_then(|rule| json(201, json!({ "id": core.faults.add(rule).0 }))),
        ("GET", ["faults", id]) => {
            fault_id(id).and_then(|id| json(200, json!({ "fired": core.faults.fired(id) })))
        }
        ("DELETE", ["faults"]) => {
            core.faults.clear();
            Ok(Response::empty(204))
        }
        ("DELETE", ["faults", id]) => fault_id(id).map(|id| {
            core.faults.remove(id);
            Response::empty(204)
        }),
        _ => return None,
    })
}

/// `{"path": "text" | null}` as file changes (null deletes).
pub fn changes(files: &Value) -> Result<Vec<FileChange>, (u16, String)> {
    let Some(files) = files.as_object() else {
        return Ok(Vec::new());
    };
    files
        .iter()
        .map(|(path, content)| match content {
            Value::String(text) => Ok(FileChange::write(path, text)),
            Value::Null => Ok(FileChange::delete(path)),
            _ => Err(bad(format!(
                "the content of {path} must be a string or null"
            ))),
        })
        .collect()
}

/// The person who seeds repositories and merges pull requests.
pub fn owner_signature() -> Signature {
    Signature::now("Repository Owner", "owner@example.com")
}

/// The person who edits branches "by hand" in tests.
pub fn person_signature() -> Signature {
    Signature::now("Another Person", "another.person@example.com")
}

/// `owner/name` split, each part a valid name; `expected` spells the shape in the error.
pub fn split_name<'a>(
    full_name: &'a str,
    expected: &'static str,
) -> Result<(&'a str, &'a str), Error> {
    let valid_part = |s: &str| {
        !s.is_empty()
            && s != "."
            && s != ".."
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
    };
    match full_name.split_once('/') {
        Some((owner, name)) if valid_part(owner) && valid_part(name) => Ok((owner, name)),
        _ => Err(Error::BadRepoName {
            name: full_name.to_owned(),
            expected,
        }),
    }
}

/// Creates the bare repository `git_dir` below `root` with `default_branch` and, unless
/// `files` is `None` (an empty repository), one commit by the owner holding `files` (a
/// `README.md` of `# {name}` when the list is empty).
pub fn init_repo(
    root: &Path,
    git_dir: &Path,
    default_branch: &str,
    files: Option<&[FileChange]>,
    name: &str,
) -> Result<BareRepo, Error> {
    let parent = git_dir
        .parent()
        .expect("a repository directory has a parent");
    std::fs::create_dir_all(parent).map_err(|source| Error::Root {
        path: root.to_owned(),
        source,
    })?;
    let git = BareRepo::init(git_dir, default_branch)?;
    if let Some(files) = files {
        let readme = [FileChange::write("README.md", format!("# {name}\n"))];
        let files = if files.is_empty() { &readme[..] } else { files };
        git.commit_files(
            default_branch,
            files,
            "Initial commit\n",
            &owner_signature(),
        )?;
    }
    Ok(git)
}

/// A merge of a pull request's head branch into its base, before its commit is written.
#[derive(Debug, Clone)]
pub struct Merge {
    /// The base branch's head.
    pub base: Oid,
    /// The head branch's head.
    pub head: Oid,
    /// The merged tree.
    pub tree: Oid,
}

impl Merge {
    /// Merges the trees of `head` into `base` in `git` (of `full_name`): missing branches and
    /// conflicts are errors.
    pub fn prepare(
        git: &BareRepo,
        full_name: &str,
        base: &str,
        head: &str,
    ) -> Result<Merge, Error> {
        let missing = |branch: &str| Error::UnknownBranch {
            repo: full_name.to_owned(),
            branch: branch.to_owned(),
        };
        let base_head = git.branch(base)?.ok_or_else(|| missing(base))?;
        let head_head = git.branch(head)?.ok_or_else(|| missing(head))?;
        let tree =
            git.merge_trees(&base_head, &head_head)?
                .map_err(|paths| Error::MergeConflict {
                    head: head.to_owned(),
                    base: base.to_owned(),
                    paths,
                })?;
        Ok(Merge {
            base: base_head,
            head: head_head,
            tree,
        })
    }

    /// Moves `base_branch` from the base head to `commit` (written by the provider).
    pub fn land(&self, git: &BareRepo, base_branch: &str, commit: &Oid) -> Result<(), Error> {
        Ok(git.update_ref(
            &format!("refs/heads/{base_branch}"),
            commit,
            &RefExpectation::At(self.base.clone()),
        )?)
    }
}
