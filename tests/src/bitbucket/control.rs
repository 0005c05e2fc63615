//! Test control: seeding repositories and acting as the people around a sync (committing to
//! the bot branch, deleting it, merging the pull request), in process and over the HTTP control
//! endpoint of the emulator binary:
//!
//! | request | effect |
//! | --- | --- |
//! | (the record, preflights and fault rules) | see [`crate::emulator::control`] |
//! | `POST /_emulator/repos` `{"full_name", "empty", "files": {path: text}}` | creates a repository |
//! | `POST /_emulator/repos/{w}/{r}/commits` `{"branch", "message", "files": {path: text or null}}` | another person commits; `{"hash"}` |
//! | `GET /_emulator/repos/{w}/{r}/pullrequests` | the stored pull requests |
//! | `POST /_emulator/repos/{w}/{r}/pullrequests/{id}/merge` `{"method": "merge" or "squash"}` | merges; `{"hash"}` |

use serde_json::{json, Value};

use super::server::Emulator;
use super::state::{next_uuid, PullState, RepoState, State};
use crate::emulator::control::{
    changes, init_repo, json, owner_signature, person_signature, split_name, unknown, Merge,
    Outcome,
};
pub use crate::emulator::Error;
use crate::emulator::RepoRecord as _;
use crate::git::{FileChange, Oid, MODE_EXECUTABLE};
use crate::http::Request;

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

/// Creates a repository (and its bare git repository).
pub fn create_repo(emu: &Emulator, state: &mut State, spec: &RepoSpec) -> Result<RepoState, Error> {
    let (workspace, slug) = split_name(&spec.full_name, "WORKSPACE/REPO_SLUG")?;
    if state.repo(&spec.full_name).is_some() {
        return Err(Error::RepoExists {
            name: spec.full_name.clone(),
        });
    }
    let repo = RepoState {
        uuid: next_uuid(state),
        workspace: workspace.to_owned(),
        slug: slug.to_owned(),
        name: spec.name.clone(),
        private: spec.private,
        description: spec.description.clone(),
        created_on: crate::time::now_rfc3339(),
        pulls: Vec::new(),
        push_restrictions: Vec::new(),
    };
    init_repo(
        &emu.core.root,
        &repo.git_dir(&emu.core.root),
        &spec.default_branch,
        spec.files.as_deref(),
        slug,
    )?;
    state.insert(repo.clone());
    emu.core.save(state).map_err(Error::Save)?;
    Ok(repo)
}

/// Merges open pull request `id` and marks it merged; the destination's new head.
pub fn merge_pull(
    emu: &Emulator,
    state: &mut State,
    full_name: &str,
    id: u64,
    method: MergeMethod,
) -> Result<Oid, Error> {
    let git = emu.core.git(state, full_name)?;
    let repo = state.repo(full_name).expect("git() checked it");
    let pull = repo
        .pull(id)
        .filter(|p| p.state == PullState::Open)
        .ok_or_else(|| Error::PullNotOpen {
            repo: full_name.to_owned(),
            number: id,
        })?
        .clone();
    let merge = Merge::prepare(&git, full_name, &pull.destination, &pull.source)?;
    let (dst, src) = (merge.base.clone(), merge.head.clone());
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
    let commit = git.write_commit(&merge.tree, &parents, &message, &merger, &merger)?;
    merge.land(&git, &pull.destination, &commit)?;
    let repo = state.repo_mut(full_name).expect("checked above");
    let p = repo.pull_mut(id).expect("checked above");
    p.state = PullState::Merged;
    p.merge_commit = Some(commit.to_string());
    p.updated_on = crate::time::now_rfc3339();
    emu.core.save(state).map_err(Error::Save)?;
    Ok(commit)
}

/// Answers the Bitbucket emulator's own control requests (`parts`: the path below
/// `/_emulator`).
pub fn route(emu: &Emulator, request: &Request, parts: &[&str], body: &Value) -> Outcome {
    match (request.method.as_str(), parts) {
        ("POST", ["repos"]) => {
            let name = body["full_name"]
                .as_str()
                .ok_or((400, "full_name".to_owned()))?;
            let mut spec = RepoSpec::new(name);
            if body["empty"].as_bool() == Some(true) {
                spec = spec.empty();
            } else {
                spec.files = Some(changes(&body["files"])?);
            }
            let mut state = emu.core.lock_state();
            let repo = create_repo(emu, &mut state, &spec).map_err(|e| (409, e.to_string()))?;
            json(201, json!({ "full_name": repo.full_name() }))
        }
        ("POST", ["repos", ws, slug, "commits"]) => {
            let full = format!("{ws}/{slug}");
            let state = emu.core.lock_state();
            let git = emu
                .core
                .git(&state, &full)
                .map_err(|e| (404, e.to_string()))?;
            let branch = body["branch"].as_str().unwrap_or("main");
            let message = body["message"].as_str().unwrap_or("A person's change");
            let hash = git
                .commit_files(
                    branch,
                    &changes(&body["files"])?,
                    message,
                    &person_signature(),
                )
                .map_err(|e| (409, e.to_string()))?;
            json(201, json!({ "hash": hash.as_str() }))
        }
        ("GET", ["repos", ws, slug, "pullrequests"]) => {
            let state = emu.core.lock_state();
            let repo = state
                .repo(&format!("{ws}/{slug}"))
                .ok_or((404, "no such repository".to_owned()))?;
            json(200, &repo.pulls)
        }
        ("POST", ["repos", ws, slug, "pullrequests", id, "merge"]) => {
            let id: u64 = id.parse().map_err(|_| (400, "id".to_owned()))?;
            let method = match body["method"].as_str() {
                Some("squash") => MergeMethod::Squash,
                _ => MergeMethod::Merge,
            };
            let mut state = emu.core.lock_state();
            let hash = merge_pull(emu, &mut state, &format!("{ws}/{slug}"), id, method)
                .map_err(|e| (409, e.to_string()))?;
            json(200, json!({ "hash": hash.as_str() }))
        }
        _ => Err(unknown(request)),
    }
}
