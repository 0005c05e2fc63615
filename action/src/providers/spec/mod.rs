//! One spec per provider: everything the CLI, settings, `config check`, `sync` and `repo` need
//! to know about a hosting service, in one value ([`ProviderSpec`]), so that no code outside
//! this module matches on a [`ProviderKind`].
//!
//! A new provider is its adapter module(s) in `providers/`, one file here (`spec/<name>.rs`,
//! its [`ProviderSpec`] and the functions it points to), a variant of [`ProviderKind`] with its
//! line in [`ProviderKind::spec`] and [`ALL`], and its environment variable names in
//! [`crate::env`].

use clap::builder::PossibleValue;
use clap::ValueEnum;

use crate::cli::{RepoCreateArgs, RepoListArgs, SyncArgs};
use crate::providers::github_repos::Repository;
use crate::providers::Provider;
use crate::settings;

mod azure_devops;
mod bitbucket;
pub mod gitea;
mod github;
mod gitlab;
mod local;

pub use gitlab::REPOSITORY as GITLAB_REPOSITORY;

/// The providers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ProviderKind {
    /// GitHub or GitHub Enterprise Server.
    Github,
    /// Bitbucket Cloud.
    Bitbucket,
    /// GitLab.com or self-managed GitLab.
    Gitlab,
    /// A git repository on disk.
    Local,
    /// Gitea or Forgejo.
    Gitea,
    /// Azure DevOps Services or Server (Azure Repos).
    AzureDevops,
}

/// The provider when no flag, variable or project file names one.
pub const DEFAULT: ProviderKind = ProviderKind::Github;

/// The provider when nothing names one, given the environment: Gitea in Gitea or Forgejo
/// Actions (whose runners run GitHub-style actions), else [`DEFAULT`].
pub fn default_provider(env: &dyn Fn(&str) -> Option<String>) -> ProviderKind {
    if gitea::in_actions(env) {
        ProviderKind::Gitea
    } else {
        DEFAULT
    }
}

/// Every provider, in the order `--help` lists them.
pub const ALL: [ProviderKind; 6] = [
    ProviderKind::Github,
    ProviderKind::Bitbucket,
    ProviderKind::Gitlab,
    ProviderKind::Local,
    ProviderKind::Gitea,
    ProviderKind::AzureDevops,
];

impl ProviderKind {
    /// Its spec.
    pub fn spec(self) -> &'static ProviderSpec {
        match self {
            ProviderKind::Github => &github::SPEC,
            ProviderKind::Bitbucket => &bitbucket::SPEC,
            ProviderKind::Gitlab => &gitlab::SPEC,
            ProviderKind::Local => &local::SPEC,
            ProviderKind::Gitea => &gitea::SPEC,
            ProviderKind::AzureDevops => &azure_devops::SPEC,
        }
    }

    /// Its name on the command line and in `gensync.toml` (`github`).
    pub fn name(self) -> &'static str {
        self.spec().name
    }
}

impl ValueEnum for ProviderKind {
    fn value_variants<'a>() -> &'a [Self] {
        &ALL
    }

    fn to_possible_value(&self) -> Option<PossibleValue> {
        let spec = self.spec();
        Some(PossibleValue::new(spec.name).help(spec.about))
    }
}

/// What a provider is and how gensync talks to it.
pub struct ProviderSpec {
    /// The name on the command line and in `gensync.toml` (`github`).
    pub name: &'static str,
    /// Its name in messages and notes (`GitHub`).
    pub title: &'static str,
    /// One line for `--help`.
    pub about: &'static str,
    /// How `--repository` names a repository.
    pub repository: RepositorySyntax,
    /// A variable a CI runner sets to the current repository, the default `--repository`
    /// below the project file (GitHub Actions' `GITHUB_REPOSITORY`).
    pub default_repository_env: Option<&'static str>,
    /// The variables a token is read from, in order (without `--token-env`).
    pub credential_envs: &'static [&'static str],
    /// The API root: `--api-url`, else this variable, else this default (`None`: no API).
    pub api_url: Option<ApiUrl>,
    /// The largest file the provider accepts (`None`: no limit).
    pub file_size_limit: Option<SizeLimit>,
    /// What it supports.
    pub supports: Supports,
    /// Builds the backend of a sync target.
    pub connect: fn(&Connect<'_>) -> anyhow::Result<Box<dyn Backend>>,
    /// `gensync repo list`.
    pub list_repositories: fn(&RepoListArgs) -> anyhow::Result<Vec<Repository>>,
    /// `gensync repo create`.
    pub create_repository: fn(&RepoCreateArgs) -> anyhow::Result<Repository>,
}

impl ProviderSpec {
    /// What the sync machine knows of the target: whether it has pull requests, its size
    /// limit, the pull-request options it honours (the machine drops the others with a note).
    pub fn capabilities(&self) -> gensync_core::sync::Capabilities {
        let s = self.supports;
        gensync_core::sync::Capabilities {
            pull_requests: s.pull_requests,
            file_size_limit: self.file_size_limit.map(|l| gensync_core::sync::SizeLimit {
                bytes: l.bytes,
                name: l.name.to_owned(),
            }),
            options: gensync_core::sync::OptionSupport {
                target: self.title.to_owned(),
                draft: s.draft,
                labels: s.labels,
                assignees: s.assignees,
                reviewers: s.reviewers,
                team_reviewers: s.team_reviewers,
            },
        }
    }
}

/// Where a provider's API is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ApiUrl {
    /// The variable that overrides the default (`GITHUB_API_URL`).
    pub env: &'static str,
    /// The default root.
    pub default: &'static str,
}

/// A size limit and how an error names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SizeLimit {
    /// The largest file, in bytes.
    pub bytes: u64,
    /// `the 100 MiB limit of GitHub`.
    pub name: &'static str,
}

/// What a provider can do; a flag it cannot honour is ignored with a note.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Supports {
    /// Pull requests at all (a local repository has none).
    pub pull_requests: bool,
    /// Draft pull requests.
    pub draft: bool,
    /// Labels on pull requests.
    pub labels: bool,
    /// Assignees of pull requests.
    pub assignees: bool,
    /// Requested reviewers.
    pub reviewers: bool,
    /// Requested team reviewers.
    pub team_reviewers: bool,
    /// Commits the service signs as verified (GitHub's token identity).
    pub signed_commits: bool,
    /// Executable files and symlinks.
    pub file_modes: bool,
    /// A choice of commit modes (`--commit-mode`).
    pub commit_modes: bool,
}

/// How a provider names a repository.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RepositorySyntax {
    /// Two non-empty segments, `OWNER/REPO`; `placeholder` names them in messages.
    OwnerName {
        /// `OWNER/REPO`, `WORKSPACE/REPO_SLUG`.
        placeholder: &'static str,
    },
    /// A path on disk (written in `gensync.toml`: relative to the file).
    Path,
    /// Two or more non-empty segments (`GROUP[/SUBGROUP…]/PROJECT`: GitLab's nested groups),
    /// or a numeric id.
    Namespaced {
        /// How messages name it.
        placeholder: &'static str,
    },
    /// Three non-empty segments, `ORGANIZATION/PROJECT/REPOSITORY`.
    ThreeSegments {
        /// `ORGANIZATION/PROJECT/REPOSITORY`.
        placeholder: &'static str,
    },
}

/// A `--repository` value the provider's syntax refuses.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{value:?} is not {placeholder}{}", if *.looks_like_a_path { "; for a repository on disk, add --provider local (or `provider = \"local\"` in gensync.toml)" } else { "" })]
pub struct RepositoryError {
    /// The value.
    pub value: String,
    /// What it should look like.
    pub placeholder: &'static str,
    /// Whether it names a directory (the hint then says how to sync into one).
    pub looks_like_a_path: bool,
}

impl RepositorySyntax {
    /// Check `value` (already trimmed).
    pub fn check(&self, value: &str) -> Result<(), RepositoryError> {
        let (placeholder, ok) = match *self {
            RepositorySyntax::Path => return Ok(()),
            RepositorySyntax::Namespaced { placeholder } => (placeholder, namespaced(value)),
            RepositorySyntax::OwnerName { placeholder } => (placeholder, owner_name(value)),
            RepositorySyntax::ThreeSegments { placeholder } => (placeholder, three_segments(value)),
        };
        if ok {
            return Ok(());
        }
        Err(RepositoryError {
            value: value.to_owned(),
            placeholder,
            looks_like_a_path: looks_like_a_path(value),
        })
    }

    /// Whether the repository is a path (relative to the project file when written there).
    pub fn is_path(&self) -> bool {
        matches!(self, RepositorySyntax::Path)
    }
}

/// `OWNER/REPO`: two non-empty segments.
fn owner_name(value: &str) -> bool {
    value
            .split_once('/')
            .is_some_and(|(o, n)| !o.is_empty() && !n.is_empty() && !n.contains('/'))
            // `./repo` and `~/repo` split in two, but no owner starts with `.` or `~`.
            && !value.starts_with(['.', '/', '~'])
}

/// `ORGANIZATION/PROJECT/REPOSITORY`: three non-empty segments, the first not starting with `.`
/// or `~`.
fn three_segments(value: &str) -> bool {
    value.split('/').count() == 3
        && value.split('/').all(|s| !s.is_empty())
        && !value.starts_with(['.', '/', '~'])
}

/// `GROUP[/SUBGROUP…]/PROJECT` (two or more non-empty segments, none starting with `.` or `~`)
/// or a numeric id.
fn namespaced(value: &str) -> bool {
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        return true;
    }
    let segments: Vec<&str> = value.split('/').collect();
    segments.len() >= 2
        && segments
            .iter()
            .all(|s| !s.is_empty() && !s.starts_with(['.', '~']))
}

/// Whether a `--repository` value names a directory rather than `OWNER/REPO`: it starts with
/// `.`, `/` or `~`, or is an existing directory.
fn looks_like_a_path(value: &str) -> bool {
    value.starts_with(['.', '/', '~']) || std::path::Path::new(value).is_dir()
}

/// What building a target's backend is given.
pub struct Connect<'a> {
    /// The sync's flags.
    pub args: &'a SyncArgs,
    /// The resolved target.
    pub target: &'a settings::Target,
    /// A token that overrides the environment (the Action's `token` input).
    pub token: Option<String>,
}

/// A provider's backend for one target, and what it reports after the sync.
pub trait Backend {
    /// The backend the sync flow drives.
    fn provider(&mut self) -> &mut dyn Provider;
    /// Lines to log once the flow ended, successfully or not (notes, request statistics).
    fn report(&self, log: &mut dyn crate::sync::Log) {
        let _ = log;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_parse_back() {
        for kind in ALL {
            let spec = kind.spec();
            assert_eq!(
                ProviderKind::from_str(spec.name, true).expect("its own name"),
                kind
            );
            assert_eq!(
                ALL.iter().filter(|k| k.name() == spec.name).count(),
                1,
                "{}",
                spec.name
            );
            // A provider without pull requests supports none of their options.
            if !spec.supports.pull_requests {
                let s = spec.supports;
                assert!(!(s.draft || s.labels || s.assignees || s.reviewers || s.team_reviewers));
            }
            // Owner/name repositories travel over an API; a path does not.
            assert_eq!(
                spec.api_url.is_some(),
                !spec.repository.is_path(),
                "{}",
                spec.name
            );
        }
        assert!(ProviderKind::from_str("sourcehut", true).is_err());
    }

    #[test]
    fn repository_syntax_names_the_value_and_hints_at_local() {
        let github = ProviderKind::Github.spec().repository;
        assert!(github.check("acme/app").is_ok());
        for bad in ["nope", "a/b/c", "/a", "a/"] {
            assert!(github.check(bad).is_err(), "{bad}");
        }
        let err = github.check("nope").unwrap_err().to_string();
        assert_eq!(err, "\"nope\" is not OWNER/REPO");
        let err = ProviderKind::Bitbucket
            .spec()
            .repository
            .check("./repo")
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("\"./repo\" is not WORKSPACE/REPO_SLUG; for a repository on disk, add --provider local"),
            "{err}"
        );
        assert!(ProviderKind::Local
            .spec()
            .repository
            .check("./anything")
            .is_ok());
        let azure = ProviderKind::AzureDevops.spec().repository;
        assert!(azure.check("org/project/repo").is_ok());
        for bad in ["org/repo", "o/p/r/x", "o//r", "./o/p"] {
            assert!(azure.check(bad).is_err(), "{bad}");
        }
    }
}

#[cfg(test)]
mod capabilities {
    use super::*;

    /// The machine is told what the spec says: one source for each capability.
    #[test]
    fn the_machine_gets_the_specs_capabilities() {
        for kind in ALL {
            let spec = kind.spec();
            let c = spec.capabilities();
            assert_eq!(c.pull_requests, spec.supports.pull_requests);
            assert_eq!(
                c.file_size_limit.map(|l| (l.bytes, l.name)),
                spec.file_size_limit.map(|l| (l.bytes, l.name.to_owned()))
            );
            assert_eq!(c.options.target, spec.title);
            assert_eq!(c.options.labels, spec.supports.labels);
            assert_eq!(c.options.draft, spec.supports.draft);
        }
        let bitbucket = ProviderKind::Bitbucket.spec().capabilities().options;
        assert!(!bitbucket.labels && !bitbucket.assignees && bitbucket.reviewers);
    }
}
