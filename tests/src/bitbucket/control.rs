//! Test control: seeding repositories and acting as the people around a sync (committing to
//! the bot branch, deleting it, merging the pull request), in process and over the HTTP control
//! endpoint of the emulator binary:
//!
//! | request | effect |
//! | --- | --- |
//! | `GET /_emulator/requests` | the request record (JSON array) |
//! | `GET /_emulator/requests/invalid` | the requests that failed validation |
//! | `GET /_emulator/preflights` | the CORS preflights answered (not in the record) |
//! | `DELETE /_emulator/requests` | forgets the record (and the preflights) |
//! | `POST /_emulator/faults` (a [`FaultRule`]) | adds a rule, answers `{"id"}` |
//! | `DELETE /_emulator/faults` | removes every rule |
//! | `POST /_emulator/repos` `{"full_name", "empty", "files": {path: text}}` | creates a repository |
//! | `POST /_emulator/repos/{w}/{r}/commits` `{"branch", "message", "files": {path: text or null}}` | another person commits; `{"hash"}` |
//! | `GET /_emulator/repos/{w}/{r}/pullrequests` | the stored pull requests |
//! | `POST /_emulator/repos/{w}/{r}/pullrequests/{id}/merge` `{"method": "merge" or "squash"}` | merges; `{"hash"}` |

use serde_json::{json, Value};

use super::server::Emulator;
use super::state::{PullState, RepoState, State};
use crate::fault::FaultRule;
use crate::git::{BareRepo, FileChange, Oid, RefExpectation, Signature, MODE_EXECUTABLE};
use crate::http::{Request, Response};

/// Errors of the control operations.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The root directory could not be used.
    #[error("could not set up the emulator root {}", path.display())]
    Root {
        /// The root.
        path: std::path::PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The port could not be bound.
    #[error("could not listen on 127.0.0.1:{port}")]
    Listen {
        /// The port.
        port: u16,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The record file could not be created.
    #[error("could not create the request record {}", path.display())]
    Record {
        /// The file.
        path: std::path::PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The validator is missing or broken.
    #[error(transparent)]
    Validator(#[from] crate::validator::Error),
    /// The state could not be saved.
    #[error("could not save the emulator state")]
    Save(#[source] std::io::Error),
    /// Not `WORKSPACE/SLUG`.
    #[error("invalid repository name {name:?} (expected WORKSPACE/REPO_SLUG)")]
    BadRepoName {
        /// The name.
        name: String,
    },
    /// No such repository.
    #[error("repository {name} does not exist")]
    UnknownRepo {
        /// The name.
        name: String,
    },
    /// The repository exists.
    #[error("repository {name} already exists")]
    RepoExists {
        /// The name.
        name: String,
    },
    /// No such branch.
    #[error("branch {branch} does not exist in {repo}")]
    UnknownBranch {
        /// The repository.
        repo: String,
        /// The branch.
        branch: String,
    },
    /// No such pull request, or not open.
    #[error("pull request {id} of {repo} is not open")]
    PullNotOpen {
        /// The repository.
        repo: String,
        /// Its id.
        id: u64,
    },
    /// The merge conflicts.
    #[error("merging {source_branch} into {destination} conflicts at {paths:?}")]
    MergeConflict {
        /// Source branch.
        source_branch: String,
        /// Destination branch.
        destination: String,
        /// The paths.
        paths: Vec<String>,
    },
    /// git failed.
    #[error(transparent)]
    Git(#[from] crate::git::Error),
    /// A tree edit failed.
    #[error(transparent)]
    Edit(#[from] crate::git::EditError),
}

/// A repository to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepoSpec {
    /// `workspace/slug`.
    pub full_name: String,
    /// Display name.
    pub name: String,
    /// Private.
    pub private: bool,
    /// Description.
    pub description: String,
    /// The main branch (`main`).
    pub default_branch: String,
    /// Files of the first commit on the main branch; `None` for an empty repository (an empty
    /// list gets a `README.md`).
    pub files: Option<Vec<FileChange>>,
}

/// What [`super::handlers::create_repo`] makes.
pub type NewRepo = RepoSpec;

/// Building a spec.
impl RepoSpec {
    /// A private repository whose `main` has one commit (a `README.md` unless files are added).
    pub fn new(full_name: &str) -> RepoSpec {
        RepoSpec {
            full_name: full_name.to_owned(),
            name: full_name.rsplit('/').next().unwrap_or(full_name).to_owned(),
            private: true,
            description: String::new(),
            default_branch: "main".into(),
            files: Some(Vec::new()),
        }
    }

    /// No commit at all.
    pub fn empty(mut self) -> RepoSpec {
        self.files = None;
        self
    }

    /// Adds a regular file to the first commit.
    pub fn file(mut self, path: &str, content: impl AsRef<[u8]>) -> RepoSpec {
        self.files
            .get_or_insert_with(Vec::new)
            .push(FileChange::write(path, content));
        self
    }

    /// Adds an executable file to the first commit.
    pub fn executable(mut self, path: &str, content: impl AsRef<[u8]>) -> RepoSpec {
        self.files.get_or_insert_with(Vec::new).push(FileChange {
            path: path.to_owned(),
            content: Some((MODE_EXECUTABLE.to_owned(), content.as_ref().to_vec())),
        });
        self
    }
}

/// How a pull request is merged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MergeMethod {
    /// A merge commit.
    Merge,
    /// One commit with the merged tree on the destination.
    Squash,
}

/// The person who seeds repositories.
pub fn owner_signature() -> Signature {
    Signature::now("Repository Owner", "owner@example.com")
}

fn split_name(full_name: &str) -> Result<(&str, &str), Error> {
    let ok = |s: &str| {
        !s.is_empty()
            && s != "."
            && s != ".."
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
    };
    match full_name.split_once('/') {
        Some((w, r)) if ok(w) && ok(r) => Ok((w, r)),
        _ => Err(Error::BadRepoName {
            name: full_name.to_owned(),
        }),
    }
}

/// Creates a repository (and its bare git repository).
pub fn create_repo(emu: &Emulator, state: &mut State, spec: &RepoSpec) -> Result<RepoState, Error> {
    let (workspace, slug) = split_name(&spec.full_name)?;
    if state.repo(&spec.full_name).is_some() {
        return Err(Error::RepoExists {
            name: spec.full_name.clone(),
        });
    }
    let repo = RepoState {
        uuid: state.next_uuid(),
        workspace: workspace.to_owned(),
        slug: slug.to_owned(),
        name: spec.name.clone(),
        private: spec.private,
        description: spec.description.clone(),
        created_on: crate::time::now_rfc3339(),
        pulls: Vec::new(),
        push_restrictions: Vec::new(),
    };
    let git_dir = repo.git_dir(&emu.root);
    let parent = git_dir
        .parent()
        .expect("a repository directory has a parent");
    std::fs::create_dir_all(parent).map_err(|source| Error::Root {
        path: emu.root.clone(),
        source,
    })?;
    let git = BareRepo::init(&git_dir, &spec.default_branch)?;
    if let Some(files) = &spec.files {
        let readme = [FileChange::write("README.md", format!("# {slug}\n"))];
        let files = if files.is_empty() {
            &readme[..]
        } else {
            &files[..]
        };
        git.commit_files(
            &spec.default_branch,
            files,
            "Initial commit\n",
            &owner_signature(),
        )?;
    }
    state
        .repos
        .insert(spec.full_name.to_ascii_lowercase(), repo.clone());
    emu.save(state).map_err(Error::Save)?;
    Ok(repo)
}

/// The bare repository of `full_name`.
pub fn git(emu: &Emulator, state: &State, full_name: &str) -> Result<BareRepo, Error> {
    let repo = state.repo(full_name).ok_or_else(|| Error::UnknownRepo {
        name: full_name.to_owned(),
    })?;
    Ok(BareRepo::open(&repo.git_dir(&emu.root)))
}

/// Merges open pull request `id` and marks it merged; the destination's new head.
pub fn merge_pull(
    emu: &Emulator,
    state: &mut State,
    full_name: &str,
    id: u64,
    method: MergeMethod,
) -> Result<Oid, Error> {
    let git = git(emu, state, full_name)?;
    let repo = state.repo(full_name).expect("git() checked it");
    let pull = repo
        .pull(id)
        .filter(|p| p.state == PullState::Open)
        .ok_or_else(|| Error::PullNotOpen {
            repo: full_name.to_owned(),
            id,
        })?
        .clone();
    let missing = |branch: &str| Error::UnknownBranch {
        repo: full_name.to_owned(),
        branch: branch.to_owned(),
    };
    let dst = git
        .branch(&pull.destination)?
        .ok_or_else(|| missing(&pull.destination))?;
    let src = git
        .branch(&pull.source)?
        .ok_or_else(|| missing(&pull.source))?;
    let tree = git
        .merge_trees(&dst, &src)?
        .map_err(|paths| Error::MergeConflict {
            source_branch: pull.source.clone(),
            destination: pull.destination.clone(),
            paths,
        })?;
    let (parents, message) = match method {
        MergeMethod::Merge => (
            vec![dst.clone(), src.clone()],
            format!(
                "Merged in {} (pull request #{id})\n\n{}\n",
                pull.source, pull.title
            ),
        ),
        MergeMethod::Squash => (
            vec![dst.clone()],
            format!(
                "{} (pull request #{id})\n\n{}\n",
                pull.title, pull.description
            ),
        ),
    };
    let merger = owner_signature();
    let commit = git.write_commit(&tree, &parents, &message, &merger, &merger)?;
    git.update_ref(
        &format!("refs/heads/{}", pull.destination),
        &commit,
        &RefExpectation::At(dst),
    )?;
    let repo = state.repo_mut(full_name).expect("checked above");
    let p = repo.pull_mut(id).expect("checked above");
    p.state = PullState::Merged;
    p.merge_commit = Some(commit.to_string());
    p.updated_on = crate::time::now_rfc3339();
    emu.save(state).map_err(Error::Save)?;
    Ok(commit)
}

/// Answers one request to the HTTP control endpoint (neither authenticated nor recorded).
pub fn handle_http(emu: &Emulator, request: &Request) -> Response {
    let fail = |status: u16, message: String| Response::json(status, &json!({ "error": message }));
    let segments = request.path_segments();
    let parts: Vec<&str> = segments.iter().skip(1).map(String::as_str).collect();
    let body: Value = if request.body.is_empty() {
        Value::Null
    } else {
        match serde_json::from_slice(&request.body) {
            Ok(v) => v,
            Err(e) => return fail(400, e.to_string()),
        }
    };
    let files_of = |v: &Value| -> Vec<FileChange> {
        v.as_object()
            .map(|m| {
                m.iter()
                    .map(|(path, text)| match text.as_str() {
                        Some(t) => FileChange::write(path, t),
                        None => FileChange::delete(path),
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    let result: Result<Response, (u16, String)> =
        (|| match (request.method.as_str(), parts.as_slice()) {
            ("GET", ["requests"]) => Ok(Response::json(
                200,
                &serde_json::to_value(emu.recorder.entries()).map_err(|e| (500, e.to_string()))?,
            )),
            ("GET", ["requests", "invalid"]) => Ok(Response::json(
                200,
                &serde_json::to_value(emu.recorder.invalid()).map_err(|e| (500, e.to_string()))?,
            )),
            ("GET", ["preflights"]) => Ok(Response::json(
                200,
                &serde_json::to_value(emu.recorder.preflights())
                    .map_err(|e| (500, e.to_string()))?,
            )),
            ("DELETE", ["requests"]) => {
                emu.recorder.clear();
                Ok(Response::empty(204))
            }
            ("POST", ["faults"]) => {
                let rule: FaultRule =
                    serde_json::from_value(body.clone()).map_err(|e| (400, e.to_string()))?;
                let id = emu.faults.add(rule);
                Ok(Response::json(201, &json!({ "id": id.0 })))
            }
            ("DELETE", ["faults"]) => {
                emu.faults.clear();
                Ok(Response::empty(204))
            }
            ("POST", ["repos"]) => {
                let name = body["full_name"]
                    .as_str()
                    .ok_or((400, "full_name".to_owned()))?;
                let mut spec = RepoSpec::new(name);
                if body["empty"].as_bool() == Some(true) {
                    spec = spec.empty();
                } else {
                    spec.files = Some(files_of(&body["files"]));
                }
                let mut state = emu.lock_state();
                let repo = create_repo(emu, &mut state, &spec).map_err(|e| (409, e.to_string()))?;
                Ok(Response::json(
                    201,
                    &json!({ "full_name": repo.full_name() }),
                ))
            }
            ("POST", [ws, slug, "commits"]) => {
                let full = format!("{ws}/{slug}");
                let state = emu.lock_state();
                let git = git(emu, &state, &full).map_err(|e| (404, e.to_string()))?;
                let branch = body["branch"].as_str().unwrap_or("main");
                let message = body["message"].as_str().unwrap_or("A person's change");
                let author = Signature::now("Another Person", "another.person@example.com");
                let hash = git
                    .commit_files(branch, &files_of(&body["files"]), message, &author)
                    .map_err(|e| (409, e.to_string()))?;
                Ok(Response::json(201, &json!({ "hash": hash.as_str() })))
            }
            ("GET", [ws, slug, "pullrequests"]) => {
                let state = emu.lock_state();
                let repo = state
                    .repo(&format!("{ws}/{slug}"))
                    .ok_or((404, "no such repository".to_owned()))?;
                Ok(Response::json(
                    200,
                    &serde_json::to_value(&repo.pulls).map_err(|e| (500, e.to_string()))?,
                ))
            }
            ("POST", [ws, slug, "pullrequests", id, "merge"]) => {
                let id: u64 = id.parse().map_err(|_| (400, "id".to_owned()))?;
                let method = match body["method"].as_str() {
                    Some("squash") => MergeMethod::Squash,
                    _ => MergeMethod::Merge,
                };
                let mut state = emu.lock_state();
                let hash = merge_pull(emu, &mut state, &format!("{ws}/{slug}"), id, method)
                    .map_err(|e| (409, e.to_string()))?;
                Ok(Response::json(200, &json!({ "hash": hash.as_str() })))
            }
            _ => Err((
                404,
                format!("no control operation {} {}", request.method, request.path),
            )),
        })();
    result.unwrap_or_else(|(status, message)| fail(status, message))
}
