//! A provider emulator as the provider-neutral end-to-end scenarios see it ([`Forge`]): how to
//! point `gensync sync` at it, act as the people around a sync, read its pull requests and
//! inject the faults every provider has (a failed read, a failed write, another writer). One
//! implementation per emulator ([`GithubForge`], [`BitbucketForge`]); a new provider gets the
//! whole scenario suite (`tests/tests/common/suite.rs`) by implementing it.

use std::path::PathBuf;

use crate::azure_devops::{AzureConfig, AzureDevOpsEmulator, Credential as AzureCredential};
use crate::bitbucket::{BitbucketConfig, BitbucketEmulator, CredentialConfig};
use crate::fault::{FaultAction, FaultRule};
use crate::git::{FileChange, Oid};
use crate::github::{GithubConfig, GithubEmulator, TokenConfig};
use crate::record::RecordedRequest;

/// The repository every scenario syncs into.
pub const REPO: &str = "acme/app";

/// A pull request, as the scenarios check it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pull {
    /// Its number (GitHub) or id (Bitbucket).
    pub number: u64,
    /// Title.
    pub title: String,
    /// Body / description.
    pub body: String,
    /// Source branch.
    pub head: String,
    /// Destination branch.
    pub base: String,
    /// Still open.
    pub open: bool,
    /// Comments, oldest first.
    pub comments: Vec<String>,
}

/// What a scenario needs from a provider emulator.
pub trait Forge {
    /// The provider's `--provider` value.
    fn provider(&self) -> &'static str;
    /// The `--repository` value of the scenarios' repository `name` (`acme/app`); a provider
    /// whose repositories have another shape maps it (Azure DevOps: `acme/proj/app`).
    fn repository(&self, name: &str) -> String {
        name.to_owned()
    }
    /// Flags pointing `gensync sync` at the emulator (`--provider`, `--api-url`, …).
    fn flags(&self) -> Vec<String>;
    /// Environment variables with the credentials.
    fn env(&self) -> Vec<(String, String)>;
    /// Secrets that must never appear in gensync's output.
    fn secrets(&self) -> Vec<String>;
    /// Creates a repository with a first commit of `files` on `main` (`None`: empty).
    fn create_repo(&self, full_name: &str, files: Option<&[(&str, &str)]>);
    /// The bare repository of [`REPO`], for checks with git.
    fn git_dir(&self) -> PathBuf;
    /// The head of `branch` of [`REPO`].
    fn head(&self, branch: &str) -> Option<String>;
    /// Another person commits `changes` on `branch` of [`REPO`].
    fn commit_as_person(&self, branch: &str, changes: &[FileChange], message: &str) -> Oid;
    /// Deletes `branch` of [`REPO`].
    fn delete_branch(&self, branch: &str);
    /// Merges pull request `number` of [`REPO`] (squashed or with a merge commit).
    fn merge_pull(&self, number: u64, squash: bool) -> Oid;
    /// The pull requests of [`REPO`], oldest first.
    fn pulls(&self) -> Vec<Pull>;
    /// Adds a fault rule.
    fn add_fault(&self, rule: FaultRule);
    /// Path patterns ([`crate::fault::glob_match`]) of the reads of a sync: (method, path).
    fn read_paths(&self) -> Vec<(&'static str, String)>;
    /// The request that moves the sync branch, or creates it (method, path).
    fn branch_write(&self, branch: &str, create: bool) -> (&'static str, String);
    /// A canned answer refusing the credentials (401).
    fn unauthorized(&self) -> FaultAction;
    /// A canned answer for missing write permission on the branch write (403).
    fn forbidden(&self) -> FaultAction;
    /// The request record.
    fn requests(&self) -> Vec<RecordedRequest>;
    /// Panics if a request broke the provider's API description.
    fn assert_no_invalid_requests(&self);
    /// Whether the provider's API can set file modes (Gitea's contents API and Azure DevOps'
    /// pushes API cannot: a generated executable lands as a regular file, and the sync says so).
    fn sets_file_modes(&self) -> bool {
        true
    }
}

/// The GitHub emulator with an Actions token.
pub struct GithubForge {
    /// The emulator.
    pub emu: GithubEmulator,
    token: String,
}

impl GithubForge {
    /// Starts an emulator accepting `token`.
    pub fn start(token: &str) -> GithubForge {
        let emu = GithubEmulator::start(GithubConfig::default().token(TokenConfig::actions(token)))
            .expect("the GitHub emulator starts");
        GithubForge {
            emu,
            token: token.to_owned(),
        }
    }
}

impl Forge for GithubForge {
    fn provider(&self) -> &'static str {
        "github"
    }

    fn flags(&self) -> Vec<String> {
        [
            "--provider",
            "github",
            "--api-url",
            self.emu.base_url(),
            "--graphql-url",
            self.emu.graphql_url(),
        ]
        .map(String::from)
        .to_vec()
    }

    fn env(&self) -> Vec<(String, String)> {
        vec![("GITHUB_TOKEN".into(), self.token.clone())]
    }

    fn secrets(&self) -> Vec<String> {
        vec![self.token.clone()]
    }

    fn create_repo(&self, full_name: &str, files: Option<&[(&str, &str)]>) {
        let mut spec = crate::github::RepoSpec::new(full_name);
        match files {
            None => spec = spec.empty(),
            Some(files) => {
                for (p, c) in files {
                    spec = spec.file(p, c);
                }
            }
        }
        self.emu.create_repo(&spec).expect("repository created");
    }

    fn git_dir(&self) -> PathBuf {
        self.emu.git_dir(REPO).expect("git dir")
    }

    fn head(&self, branch: &str) -> Option<String> {
        self.emu
            .branch_head(REPO, branch)
            .expect("branch head")
            .map(|o| o.as_str().to_owned())
    }

    fn commit_as_person(&self, branch: &str, changes: &[FileChange], message: &str) -> Oid {
        self.emu
            .commit_files(REPO, branch, changes, message)
            .expect("a person commits")
    }

    fn delete_branch(&self, branch: &str) {
        self.emu
            .delete_branch(REPO, branch)
            .expect("branch deleted");
    }

    fn merge_pull(&self, number: u64, squash: bool) -> Oid {
        let method = if squash {
            crate::github::MergeMethod::Squash
        } else {
            crate::github::MergeMethod::Merge
        };
        self.emu.merge_pull(REPO, number, method).expect("merged")
    }

    fn pulls(&self) -> Vec<Pull> {
        self.emu
            .pulls(REPO)
            .expect("pulls")
            .into_iter()
            .map(|p| Pull {
                number: p.number,
                title: p.title,
                body: p.body.unwrap_or_default(),
                head: p.head,
                base: p.base,
                open: p.state == crate::github::PullState::Open,
                comments: p.comments.into_iter().map(|c| c.body).collect(),
            })
            .collect()
    }

    fn add_fault(&self, rule: FaultRule) {
        self.emu.add_fault(rule);
    }

    fn read_paths(&self) -> Vec<(&'static str, String)> {
        vec![
            ("GET", "/repos/acme/app".into()),
            ("GET", "/repos/acme/app/git/ref/**".into()),
            ("GET", "/repos/acme/app/git/trees/**".into()),
        ]
    }

    /// gensync creates and moves branches with GraphQL `updateRefs` (a compare-and-swap), in
    /// REST commit mode too, where it is the only GraphQL request.
    fn branch_write(&self, _branch: &str, _create: bool) -> (&'static str, String) {
        ("POST", "/graphql".into())
    }

    fn unauthorized(&self) -> FaultAction {
        crate::github::faults::bad_credentials()
    }

    fn forbidden(&self) -> FaultAction {
        crate::github::faults::not_accessible_by_integration()
    }

    fn requests(&self) -> Vec<RecordedRequest> {
        self.emu.requests()
    }

    fn assert_no_invalid_requests(&self) {
        self.emu.assert_no_invalid_requests();
    }
}

/// The Bitbucket emulator with a repository access token.
pub struct BitbucketForge {
    /// The emulator.
    pub emu: BitbucketEmulator,
    token: String,
}

impl BitbucketForge {
    /// Starts an emulator accepting the access token `token`.
    pub fn start(token: &str) -> BitbucketForge {
        let emu = BitbucketEmulator::start(
            BitbucketConfig::default().credential(CredentialConfig::access_token(token)),
        )
        .expect("the Bitbucket emulator starts");
        BitbucketForge {
            emu,
            token: token.to_owned(),
        }
    }
}

impl Forge for BitbucketForge {
    fn provider(&self) -> &'static str {
        "bitbucket"
    }

    fn flags(&self) -> Vec<String> {
        ["--provider", "bitbucket", "--api-url", self.emu.api_url()]
            .map(String::from)
            .to_vec()
    }

    fn env(&self) -> Vec<(String, String)> {
        vec![("BITBUCKET_ACCESS_TOKEN".into(), self.token.clone())]
    }

    fn secrets(&self) -> Vec<String> {
        vec![self.token.clone()]
    }

    fn create_repo(&self, full_name: &str, files: Option<&[(&str, &str)]>) {
        let mut spec = crate::bitbucket::RepoSpec::new(full_name);
        match files {
            None => spec = spec.empty(),
            Some(files) => {
                for (p, c) in files {
                    spec = spec.file(p, c);
                }
            }
        }
        self.emu.create_repo(&spec).expect("repository created");
    }

    fn git_dir(&self) -> PathBuf {
        self.emu.git_dir(REPO).expect("git dir")
    }

    fn head(&self, branch: &str) -> Option<String> {
        self.emu
            .branch_head(REPO, branch)
            .expect("branch head")
            .map(|o| o.as_str().to_owned())
    }

    fn commit_as_person(&self, branch: &str, changes: &[FileChange], message: &str) -> Oid {
        self.emu
            .commit_files(REPO, branch, changes, message)
            .expect("a person commits")
    }

    fn delete_branch(&self, branch: &str) {
        self.emu
            .delete_branch(REPO, branch)
            .expect("branch deleted");
    }

    fn merge_pull(&self, number: u64, squash: bool) -> Oid {
        let method = if squash {
            crate::bitbucket::MergeMethod::Squash
        } else {
            crate::bitbucket::MergeMethod::Merge
        };
        self.emu.merge_pull(REPO, number, method).expect("merged")
    }

    fn pulls(&self) -> Vec<Pull> {
        self.emu
            .pulls(REPO)
            .expect("pulls")
            .into_iter()
            .map(|p| Pull {
                number: p.id,
                title: p.title,
                body: p.description,
                head: p.source,
                base: p.destination,
                open: p.state == crate::bitbucket::PullState::Open,
                comments: p.comments.into_iter().map(|c| c.raw).collect(),
            })
            .collect()
    }

    fn add_fault(&self, rule: FaultRule) {
        self.emu.add_fault(rule);
    }

    fn read_paths(&self) -> Vec<(&'static str, String)> {
        vec![
            ("GET", "/2.0/repositories/acme/app".into()),
            ("GET", "/2.0/repositories/acme/app/refs/branches/**".into()),
            ("GET", "/2.0/repositories/acme/app/src/**".into()),
        ]
    }

    fn branch_write(&self, _branch: &str, _create: bool) -> (&'static str, String) {
        ("POST", "/2.0/repositories/acme/app/src".into())
    }

    fn unauthorized(&self) -> FaultAction {
        crate::bitbucket::faults::unauthorized()
    }

    fn forbidden(&self) -> FaultAction {
        crate::bitbucket::faults::forbidden()
    }

    fn requests(&self) -> Vec<RecordedRequest> {
        self.emu.requests()
    }

    fn assert_no_invalid_requests(&self) {
        self.emu.assert_no_invalid_requests();
    }
}

/// The Gitea emulator with an access token.
pub struct GiteaForge {
    /// The emulator.
    pub emu: crate::gitea::GiteaEmulator,
    token: String,
}

impl GiteaForge {
    /// Starts an emulator accepting `token`.
    pub fn start(token: &str) -> GiteaForge {
        GiteaForge::start_with(token, |_| {})
    }

    /// Starts an emulator accepting `token`, its configuration changed by `edit`.
    pub fn start_with(
        token: &str,
        edit: impl FnOnce(&mut crate::gitea::GiteaConfig),
    ) -> GiteaForge {
        let mut config = crate::gitea::GiteaConfig::default().token(token);
        edit(&mut config);
        let emu = crate::gitea::GiteaEmulator::start(config).expect("the Gitea emulator starts");
        GiteaForge {
            emu,
            token: token.to_owned(),
        }
    }
}

impl Forge for GiteaForge {
    fn provider(&self) -> &'static str {
        "gitea"
    }

    fn flags(&self) -> Vec<String> {
        ["--provider", "gitea", "--api-url", self.emu.api_url()]
            .map(String::from)
            .to_vec()
    }

    fn env(&self) -> Vec<(String, String)> {
        vec![("GITEA_TOKEN".into(), self.token.clone())]
    }

    fn secrets(&self) -> Vec<String> {
        vec![self.token.clone()]
    }

    fn create_repo(&self, full_name: &str, files: Option<&[(&str, &str)]>) {
        let files: Option<Vec<FileChange>> =
            files.map(|f| f.iter().map(|(p, c)| FileChange::write(p, c)).collect());
        self.emu
            .create_repo(full_name, files.as_deref())
            .expect("repository created");
    }

    fn git_dir(&self) -> PathBuf {
        self.emu.git_dir(REPO).expect("git dir")
    }

    fn head(&self, branch: &str) -> Option<String> {
        self.emu
            .branch_head(REPO, branch)
            .expect("branch head")
            .map(|o| o.as_str().to_owned())
    }

    fn commit_as_person(&self, branch: &str, changes: &[FileChange], message: &str) -> Oid {
        self.emu
            .commit_files(REPO, branch, changes, message)
            .expect("a person commits")
    }

    fn delete_branch(&self, branch: &str) {
        self.emu
            .delete_branch(REPO, branch)
            .expect("branch deleted");
    }

    fn merge_pull(&self, number: u64, squash: bool) -> Oid {
        self.emu.merge_pull(REPO, number, squash).expect("merged")
    }

    fn pulls(&self) -> Vec<Pull> {
        self.emu
            .pulls(REPO)
            .expect("pulls")
            .into_iter()
            .map(|p| Pull {
                number: p.number,
                title: p.title,
                body: p.body,
                head: p.head,
                base: p.base,
                open: p.state == "open",
                comments: p.comments,
            })
            .collect()
    }

    fn add_fault(&self, rule: FaultRule) {
        self.emu.add_fault(rule);
    }

    fn read_paths(&self) -> Vec<(&'static str, String)> {
        vec![
            ("GET", "/api/v1/repos/acme/app".into()),
            ("GET", "/api/v1/repos/acme/app/branches/**".into()),
            ("GET", "/api/v1/repos/acme/app/git/trees/**".into()),
        ]
    }

    /// One change-files request commits and moves (or creates) the branch.
    fn branch_write(&self, _branch: &str, _create: bool) -> (&'static str, String) {
        ("POST", "/api/v1/repos/acme/app/contents".into())
    }

    fn unauthorized(&self) -> FaultAction {
        FaultAction::json(
            401,
            &serde_json::json!({"message": "token is required", "url": "https://docs.gitea.com/api"}),
            &[],
        )
    }

    fn forbidden(&self) -> FaultAction {
        FaultAction::json(
            403,
            &serde_json::json!({"message": "token does not have at least one of required scope(s): [write:repository]", "url": "https://docs.gitea.com/api"}),
            &[],
        )
    }

    fn requests(&self) -> Vec<RecordedRequest> {
        self.emu.requests()
    }

    fn assert_no_invalid_requests(&self) {
        self.emu.assert_no_invalid_requests();
    }

    fn sets_file_modes(&self) -> bool {
        false
    }
}

/// The GitLab emulator with a token that has the `api` scope.
pub struct GitlabForge {
    /// The emulator.
    pub emu: crate::gitlab::GitlabEmulator,
    /// The token `gensync` is given.
    pub token: String,
}

impl GitlabForge {
    /// Starts an emulator accepting `token` (scope `api`).
    pub fn start(token: &str) -> GitlabForge {
        let emu = crate::gitlab::GitlabEmulator::start(vec![crate::gitlab::TokenConfig {
            token: token.to_owned(),
            api: true,
        }])
        .expect("the GitLab emulator starts");
        GitlabForge {
            emu,
            token: token.to_owned(),
        }
    }
}

impl Forge for GitlabForge {
    fn provider(&self) -> &'static str {
        "gitlab"
    }

    fn flags(&self) -> Vec<String> {
        ["--provider", "gitlab", "--api-url", self.emu.api_url()]
            .map(String::from)
            .to_vec()
    }

    fn env(&self) -> Vec<(String, String)> {
        vec![("GITLAB_TOKEN".into(), self.token.clone())]
    }

    fn secrets(&self) -> Vec<String> {
        vec![self.token.clone()]
    }

    fn create_repo(&self, full_name: &str, files: Option<&[(&str, &str)]>) {
        let changes: Option<Vec<FileChange>> =
            files.map(|f| f.iter().map(|(p, c)| FileChange::write(p, c)).collect());
        self.emu
            .create_project(full_name, changes.as_deref())
            .expect("project created");
    }

    fn git_dir(&self) -> PathBuf {
        self.emu.git_dir(REPO).expect("git dir")
    }

    fn head(&self, branch: &str) -> Option<String> {
        self.emu
            .branch_head(REPO, branch)
            .expect("branch head")
            .map(|o| o.as_str().to_owned())
    }

    fn commit_as_person(&self, branch: &str, changes: &[FileChange], message: &str) -> Oid {
        self.emu
            .commit_files(REPO, branch, changes, message)
            .expect("a person commits")
    }

    fn delete_branch(&self, branch: &str) {
        self.emu
            .delete_branch(REPO, branch)
            .expect("branch deleted");
    }

    fn merge_pull(&self, number: u64, squash: bool) -> Oid {
        self.emu.merge(REPO, number, squash).expect("merged")
    }

    fn pulls(&self) -> Vec<Pull> {
        self.emu
            .merge_requests(REPO)
            .expect("merge requests")
            .into_iter()
            .map(|m| Pull {
                number: m.iid,
                title: m.title,
                body: m.description,
                head: m.source_branch,
                base: m.target_branch,
                open: m.state == "opened",
                comments: m.notes.into_iter().map(|n| n.body).collect(),
            })
            .collect()
    }

    fn add_fault(&self, rule: FaultRule) {
        self.emu.add_fault(rule);
    }

    fn read_paths(&self) -> Vec<(&'static str, String)> {
        vec![
            ("GET", "/api/v4/projects/acme%2Fapp".into()),
            (
                "GET",
                "/api/v4/projects/acme%2Fapp/repository/branches/**".into(),
            ),
            ("GET", "/api/v4/projects/acme%2Fapp/repository/tree".into()),
        ]
    }

    fn branch_write(&self, _branch: &str, _create: bool) -> (&'static str, String) {
        (
            "POST",
            "/api/v4/projects/acme%2Fapp/repository/commits".into(),
        )
    }

    fn unauthorized(&self) -> FaultAction {
        crate::gitlab::faults::unauthorized()
    }

    fn forbidden(&self) -> FaultAction {
        crate::gitlab::faults::protected_branch()
    }

    fn requests(&self) -> Vec<RecordedRequest> {
        self.emu.requests()
    }

    fn assert_no_invalid_requests(&self) {
        self.emu.assert_no_invalid_requests();
    }
}

/// The Azure DevOps emulator with a personal access token; the scenarios' `acme/app` is the
/// repository `app` of project `proj` in organization `acme`.
pub struct AzureForge {
    /// The emulator.
    pub emu: AzureDevOpsEmulator,
    token: String,
}

/// The project the scenarios' repositories are in.
pub const AZURE_PROJECT: &str = "proj";

impl AzureForge {
    /// Starts an emulator accepting the personal access token `token`.
    pub fn start(token: &str) -> AzureForge {
        let emu = AzureDevOpsEmulator::start(
            AzureConfig::default().credential(AzureCredential::pat(token)),
        )
        .expect("the Azure DevOps emulator starts");
        AzureForge {
            emu,
            token: token.to_owned(),
        }
    }

    fn full(&self, name: &str) -> String {
        let (org, repo) = name.split_once('/').expect("owner/name");
        format!("{org}/{AZURE_PROJECT}/{repo}")
    }
}

impl Forge for AzureForge {
    fn provider(&self) -> &'static str {
        "azure-devops"
    }

    fn repository(&self, name: &str) -> String {
        self.full(name)
    }

    fn sets_file_modes(&self) -> bool {
        false
    }

    fn flags(&self) -> Vec<String> {
        [
            "--provider",
            "azure-devops",
            "--api-url",
            self.emu.api_url(),
        ]
        .map(String::from)
        .to_vec()
    }

    fn env(&self) -> Vec<(String, String)> {
        vec![("AZURE_DEVOPS_TOKEN".into(), self.token.clone())]
    }

    fn secrets(&self) -> Vec<String> {
        vec![self.token.clone()]
    }

    fn create_repo(&self, full_name: &str, files: Option<&[(&str, &str)]>) {
        let files: Option<Vec<FileChange>> =
            files.map(|f| f.iter().map(|(p, c)| FileChange::write(p, c)).collect());
        self.emu
            .create_repo(&self.full(full_name), files.as_deref())
            .expect("repository created");
    }

    fn git_dir(&self) -> PathBuf {
        self.emu.git_dir(&self.full(REPO)).expect("git dir")
    }

    fn head(&self, branch: &str) -> Option<String> {
        self.emu
            .branch_head(&self.full(REPO), branch)
            .expect("branch head")
            .map(|o| o.as_str().to_owned())
    }

    fn commit_as_person(&self, branch: &str, changes: &[FileChange], message: &str) -> Oid {
        self.emu
            .commit_files(&self.full(REPO), branch, changes, message)
            .expect("a person commits")
    }

    fn delete_branch(&self, branch: &str) {
        self.emu
            .delete_branch(&self.full(REPO), branch)
            .expect("branch deleted");
    }

    fn merge_pull(&self, number: u64, squash: bool) -> Oid {
        self.emu
            .merge_pull(&self.full(REPO), number, squash)
            .expect("merged")
    }

    fn pulls(&self) -> Vec<Pull> {
        self.emu
            .pulls(&self.full(REPO))
            .expect("pulls")
            .into_iter()
            .map(|p| Pull {
                number: p.id,
                title: p.title,
                body: p.description,
                head: p.source.trim_start_matches("refs/heads/").to_owned(),
                base: p.target.trim_start_matches("refs/heads/").to_owned(),
                open: p.status == crate::azure_devops::PullStatus::Active,
                comments: p.threads.into_iter().flat_map(|t| t.comments).collect(),
            })
            .collect()
    }

    fn add_fault(&self, rule: FaultRule) {
        self.emu.add_fault(rule);
    }

    fn read_paths(&self) -> Vec<(&'static str, String)> {
        let repo = format!("/acme/{AZURE_PROJECT}/_apis/git/repositories/app");
        vec![
            ("GET", repo.clone()),
            ("GET", format!("{repo}/refs")),
            ("GET", format!("{repo}/items")),
        ]
    }

    fn branch_write(&self, _branch: &str, _create: bool) -> (&'static str, String) {
        (
            "POST",
            format!("/acme/{AZURE_PROJECT}/_apis/git/repositories/app/pushes"),
        )
    }

    fn unauthorized(&self) -> FaultAction {
        crate::azure_devops::faults::unauthorized()
    }

    fn forbidden(&self) -> FaultAction {
        crate::azure_devops::faults::forbidden()
    }

    fn requests(&self) -> Vec<RecordedRequest> {
        self.emu.requests()
    }

    fn assert_no_invalid_requests(&self) {
        self.emu.assert_no_invalid_requests();
    }
}
