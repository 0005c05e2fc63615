//! `gensync repo list` and `gensync repo create`: repository management, through the
//! provider's spec ([`crate::providers::spec::ProviderSpec::list_repositories`] and
//! [`crate::providers::spec::ProviderSpec::create_repository`]).

use std::io::Write as _;

use crate::cli::{RepoCreateArgs, RepoListArgs};
use crate::providers::github_repos::Repository;

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
    let repos = (args.provider.provider.spec().list_repositories)(args)?;
    print(&repos, args.provider.json)
}

/// `gensync repo create`.
pub fn create(args: &RepoCreateArgs) -> anyhow::Result<()> {
    let repo = (args.provider.provider.spec().create_repository)(args)?;
    if !args.init {
        eprintln!(
            "gensync: {} is empty: the first sync needs --init-empty (or push a first commit)",
            repo.full_name
        );
    }
    print(std::slice::from_ref(&repo), args.provider.json)
}
