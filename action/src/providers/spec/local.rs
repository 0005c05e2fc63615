//! A git repository on disk: the spec and the backend (no API, no pull requests).

use std::path::Path;

use anyhow::bail;

use super::{Backend, Connect, ProviderSpec, RepositorySyntax, Supports};
use crate::cli::{RepoCreateArgs, RepoListArgs};
use crate::providers::github_repos::Repository;
use crate::providers::Provider;
use crate::target::local::LocalRepo;

/// The local target's spec.
pub static SPEC: ProviderSpec = ProviderSpec {
    name: "local",
    title: "The local repository",
    about: "A git repository on disk (`--repository PATH`), written with gitoxide; nothing pushed, no pull request",
    repository: RepositorySyntax::Path,
    default_repository_env: None,
    credential_envs: &[],
    api_url: None,
    // git itself has no limit; the machine's memory is the bound.
    file_size_limit: None,
    supports: Supports {
        pull_requests: false,
        draft: false,
        labels: false,
        assignees: false,
        reviewers: false,
        team_reviewers: false,
        signed_commits: false,
        file_modes: true,
        commit_modes: false,
    },
    connect,
    list_repositories,
    create_repository,
};

impl Backend for LocalRepo {
    fn provider(&mut self) -> &mut dyn Provider {
        self
    }
}

fn connect(c: &Connect<'_>) -> anyhow::Result<Box<dyn Backend>> {
    if c.args.local_clone.is_some() {
        bail!("--local-clone is for remote providers; --provider local already reads the repository itself");
    }
    Ok(Box::new(LocalRepo::open(Path::new(
        &c.target.repository.value,
    ))?))
}

fn list_repositories(_: &RepoListArgs) -> anyhow::Result<Vec<Repository>> {
    bail!(
        "--provider local has no repository list: a local repository is any folder `git init` made"
    )
}

fn create_repository(_: &RepoCreateArgs) -> anyhow::Result<Repository> {
    bail!("--provider local creates no repository: run `git init --bare PATH` (or `git init PATH`) and sync into it")
}
