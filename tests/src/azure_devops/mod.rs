//! An Azure DevOps Repos emulator for end-to-end tests: the Git REST API 7.1 operations gensync
//! uses (repositories, refs, items, blobs, commits, pushes, commit diffs, pull requests and
//! their threads), served on `127.0.0.1` over real bare git repositories on disk.
//!
//! Model:
//! - each `organization/project/repository` is a bare repository
//!   `{root}/{organization}/{project}/{repository}.git`, written and read only with the `git` CLI
//!   ([`crate::git`]); its default branch is its `HEAD`. Pull requests, their threads and branch
//!   policies live in `{root}/azure-devops-emulator.json`;
//! - the API is served at the root (`/{organization}/{project}/_apis/git/…`), so the client's
//!   `--api-url` is [`AzureDevOpsEmulator::api_url`], as `https://dev.azure.com` is;
//! - answers use Azure DevOps' documented shapes (`{"count", "value"}` lists, `GitPush`,
//!   `GitItem`, `GitPullRequest`, …) and its error shape `{"message", "typeKey", …}` with the
//!   service's TF codes: 401 for refused credentials, 403 for a missing permission
//!   ("Contribute", "Create branch", "Contribute to pull requests"), 404 for unknown
//!   repositories, commits and blobs, 409 for a push whose `oldObjectId` is stale (TF401028) or
//!   that a branch policy refuses (TF402455), 400 for malformed requests;
//! - the pushes API carries no file mode: an added file is a regular file, an edited one keeps
//!   its mode (as the service does);
//! - every request is recorded ([`crate::record`]) and checked against the official
//!   description of the Git API 7.1 (Swagger 2.0, vendored in `tests/validator/vendor/` with
//!   its hash pinned by `tests/validator/install.sh`): query parameters (`api-version`
//!   required) and JSON bodies. An invalid request is answered 400 and fails the test;
//! - faults are injected by rule ([`crate::fault`], canned answers in [`faults`]).

pub mod faults;
mod handlers;
mod server;
pub mod state;

pub use crate::emulator::Error;
pub use server::Emulator;
pub use state::{PullRequest, PullStatus};

use crate::emulator::control::{init_repo, owner_signature, person_signature, Merge};
use crate::emulator::{RepoRecord as _, Running, Setup};
use crate::git::{FileChange, Oid, RefExpectation};

/// A running Azure DevOps emulator.
pub type AzureDevOpsEmulator = Running<Emulator>;

/// A credential the emulator accepts, and what its identity may do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credential {
    /// The token (a personal access token, sent as Basic; or a bearer token).
    pub token: String,
    /// Whether it is a bearer token (Azure Pipelines' `System.AccessToken`, Entra ID).
    pub bearer: bool,
    /// "Contribute" on the repository (pushes to existing branches).
    pub contribute: bool,
    /// "Create branch".
    pub create_branch: bool,
    /// "Contribute to pull requests".
    pub pull_requests: bool,
    /// The identity's display name.
    pub name: String,
}

impl Credential {
    /// A personal access token with every permission gensync needs.
    pub fn pat(token: &str) -> Credential {
        Credential {
            token: token.to_owned(),
            bearer: false,
            contribute: true,
            create_branch: true,
            pull_requests: true,
            name: "Sync Bot".into(),
        }
    }

    /// A bearer token (the build service's) with every permission gensync needs.
    pub fn bearer(token: &str) -> Credential {
        Credential {
            bearer: true,
            name: "Project Collection Build Service".into(),
            ..Credential::pat(token)
        }
    }
}

/// How the emulator starts.
#[derive(Debug, Clone)]
pub struct AzureConfig {
    /// Accepted credentials.
    pub credentials: Vec<Credential>,
    /// Root directory (`None`: a temporary one).
    pub root: Option<std::path::PathBuf>,
    /// Port (0: any free one).
    pub port: u16,
    /// Request record file.
    pub record: Option<std::path::PathBuf>,
    /// Validate requests against the official description.
    pub validate: bool,
    /// The validator's directory.
    pub validator_dir: std::path::PathBuf,
}

impl Default for AzureConfig {
    fn default() -> Self {
        AzureConfig {
            credentials: Vec::new(),
            root: None,
            port: 0,
            record: None,
            validate: true,
            validator_dir: crate::validator::default_dir(),
        }
    }
}

impl AzureConfig {
    /// Accepts `credential` too.
    pub fn credential(mut self, credential: Credential) -> Self {
        self.credentials.push(credential);
        self
    }
}

/// Starting and addresses.
impl Running<Emulator> {
    /// Starts serving on `127.0.0.1` with `config`.
    pub fn start(config: AzureConfig) -> Result<AzureDevOpsEmulator, Error> {
        let setup = Setup {
            root: config.root.as_deref(),
            port: config.port,
            record: config.record.as_deref(),
            validate: config.validate,
            validator_dir: &config.validator_dir,
        };
        Running::serve(setup, |core, port| {
            Emulator::new(config.clone(), core, port)
        })
    }

    /// The API root, `http://127.0.0.1:PORT` (the client's `--api-url`).
    pub fn api_url(&self) -> &str {
        &self.inner.base
    }
}

/// Seeding and acting as other people.
impl Running<Emulator> {
    /// Creates `organization/project/repository` with a first commit of `files` on `main`
    /// (`None`: an empty repository; an empty list: a `README.md`).
    pub fn create_repo(&self, full_name: &str, files: Option<&[FileChange]>) -> Result<(), Error> {
        let parts: Vec<&str> = full_name.split('/').collect();
        let [organization, project, name] = parts[..] else {
            return Err(Error::BadRepoName {
                name: full_name.to_owned(),
                expected: "ORGANIZATION/PROJECT/REPOSITORY",
            });
        };
        let mut state = self.inner.core.lock_state();
        if state.repo(full_name).is_some() {
            return Err(Error::RepoExists {
                name: full_name.to_owned(),
            });
        }
        let id = state::guid(state.next_id());
        let repo = state::RepoState {
            id,
            owner: format!("{organization}/{project}"),
            name: name.to_owned(),
            pulls: Vec::new(),
            policies: Vec::new(),
        };
        init_repo(
            &self.inner.core.root,
            &repo.git_dir(&self.inner.core.root),
            "main",
            files,
            name,
        )?;
        state.insert(repo);
        self.inner.core.save(&state).map_err(Error::Save)
    }

    /// "Another Person" commits `changes` on `branch`; the commit.
    pub fn commit_files(
        &self,
        full_name: &str,
        branch: &str,
        changes: &[FileChange],
        message: &str,
    ) -> Result<Oid, Error> {
        Ok(self
            .git(full_name)?
            .commit_files(branch, changes, message, &person_signature())?)
    }

    /// Deletes `branch`.
    pub fn delete_branch(&self, full_name: &str, branch: &str) -> Result<(), Error> {
        Ok(self
            .git(full_name)?
            .delete_ref(&format!("refs/heads/{branch}"), &RefExpectation::Any)?)
    }

    /// A branch policy on `branch`: pushes to it must go through pull requests (TF402455).
    pub fn require_pull_requests(&self, full_name: &str, branch: &str) -> Result<(), Error> {
        let mut state = self.inner.core.lock_state();
        let repo = state
            .repo_mut(full_name)
            .ok_or_else(|| Error::UnknownRepo {
                name: full_name.to_owned(),
            })?;
        repo.policies.push(branch.to_owned());
        self.inner.core.save(&state).map_err(Error::Save)
    }

    /// Completes active pull request `id` (squashed or with a merge commit); the target's new
    /// head.
    pub fn merge_pull(&self, full_name: &str, id: u64, squash: bool) -> Result<Oid, Error> {
        let mut state = self.inner.core.lock_state();
        let git = self.inner.core.git(&state, full_name)?;
        let repo = state
            .repo_mut(full_name)
            .ok_or_else(|| Error::UnknownRepo {
                name: full_name.to_owned(),
            })?;
        let pull = repo
            .pulls
            .iter_mut()
            .find(|p| p.id == id && p.status == PullStatus::Active)
            .ok_or_else(|| Error::UnknownPull {
                repo: full_name.to_owned(),
                number: id,
            })?;
        let (source, target) = (state::short(&pull.source), state::short(&pull.target));
        let merge = Merge::prepare(&git, full_name, target, source)?;
        let parents = if squash {
            vec![merge.base.clone()]
        } else {
            vec![merge.base.clone(), merge.head.clone()]
        };
        let message = format!("Merged PR {id}: {}", pull.title);
        let who = owner_signature();
        let commit = git.write_commit(&merge.tree, &parents, &message, &who, &who)?;
        merge.land(&git, target, &commit)?;
        pull.status = PullStatus::Completed;
        self.inner.core.save(&state).map_err(Error::Save)?;
        Ok(commit)
    }

    /// Accepts one more credential.
    pub fn add_credential(&self, credential: Credential) {
        self.inner
            .credentials
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(credential);
    }

    /// The pull requests of `full_name`, oldest first.
    pub fn pulls(&self, full_name: &str) -> Result<Vec<PullRequest>, Error> {
        let state = self.inner.core.lock_state();
        Ok(state
            .repo(full_name)
            .ok_or_else(|| Error::UnknownRepo {
                name: full_name.to_owned(),
            })?
            .pulls
            .clone())
    }
}
