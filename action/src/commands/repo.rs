//! `gensync repo list` and `gensync repo create`: repository management per provider.
//!
//! Each subcommand matches on the provider; a provider adds its arm here and its API in
//! `providers/`.

use std::io::Write as _;

use anyhow::{bail, Context};

use crate::cli::{ProviderKind, RepoCreateArgs, RepoListArgs, RepoProviderArgs};
use crate::providers::bitbucket_repos::BitbucketAccount;
use crate::providers::github_repos::{GitHubAccount, NewRepository, Repository};

fn bitbucket(p: &RepoProviderArgs) -> anyhow::Result<BitbucketAccount> {
    Ok(BitbucketAccount::new(
        crate::commands::sync::bitbucket_http(
            p.api_url.as_deref(),
            &p.bitbucket,
            p.token_env.as_deref(),
            None,
            false,
        )?,
    ))
}

fn github(p: &RepoProviderArgs) -> anyhow::Result<GitHubAccount> {
    let token = crate::commands::sync::github_token(p.token_env.as_deref())?;
    Ok(GitHubAccount::new(crate::commands::sync::github_http(
        &crate::commands::sync::github_api_url(p.api_url.as_deref()),
        token,
        false,
    )?))
}

fn print(repos: &[Repository], json: bool) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    if json {
        writeln!(out, "{}", serde_json::to_string_pretty(repos)?)?;
        return Ok(());
    }
    for r in repos {
        writeln!(
            out,
            "{}\t{}\t{}",
            r.full_name,
            if r.private { "private" } else { "public" },
            r.default_branch.as_deref().unwrap_or("-")
        )?;
    }
    Ok(())
}

/// `gensync repo list`.
pub fn list(args: &RepoListArgs) -> anyhow::Result<()> {
    let repos = match args.provider.provider {
        ProviderKind::Github => github(&args.provider)?.list_repositories(args.owner.as_deref())?,
        ProviderKind::Bitbucket => bitbucket(&args.provider)?.list_repositories(
            args.owner
                .as_deref()
                .context("--provider bitbucket lists the repositories of a workspace: pass --workspace W")?,
        )?,
        ProviderKind::Local => bail!(
            "--provider local has no repository list: a local repository is any folder `git init` made"
        ),
    };
    print(&repos, args.provider.json)
}

/// `gensync repo create`.
pub fn create(args: &RepoCreateArgs) -> anyhow::Result<()> {
    let repo = match args.provider.provider {
        ProviderKind::Github => github(&args.provider)?.create_repository(&NewRepository {
            owner: &args.owner,
            name: &args.name,
            private: args.private,
            description: args.description.as_deref(),
            init: args.init,
        })?,
        ProviderKind::Bitbucket => bitbucket(&args.provider)?.create_repository(
            &args.owner,
            &args.name,
            args.private,
            args.description.as_deref(),
            args.init,
        )?,
        ProviderKind::Local => bail!(
            "--provider local creates no repository: run `git init --bare PATH` (or `git init PATH`) and sync into it"
        ),
    };
    if !args.init {
        eprintln!(
            "gensync: {} is empty: the first sync needs --init-empty (or push a first commit)",
            repo.full_name
        );
    }
    print(std::slice::from_ref(&repo), args.provider.json)
}
