//! GitHub (and GitHub Enterprise Server): the spec, the backend and the HTTP client.

use anyhow::{bail, Context};

use super::{ApiUrl, Backend, Connect, ProviderSpec, RepositorySyntax, SizeLimit, Supports};
use crate::cli::{RepoCreateArgs, RepoListArgs, RepoProviderArgs, SyncArgs};
use crate::env;
use crate::http::{Credential, HttpClient, HttpConfig, Secret};
use crate::providers::github::GitHub;
use crate::providers::github_repos::{GitHubAccount, NewRepository, Repository};
use crate::providers::Provider;
use crate::settings;

/// GitHub's spec.
pub static SPEC: ProviderSpec = ProviderSpec {
    name: "github",
    title: "GitHub",
    about: "GitHub or GitHub Enterprise Server",
    repository: RepositorySyntax::OwnerName {
        placeholder: "OWNER/REPO",
    },
    default_repository_env: Some(env::GITHUB_REPOSITORY),
    credential_envs: &env::GITHUB_TOKENS,
    api_url: Some(ApiUrl {
        env: env::GITHUB_API_URL,
        default: "https://api.github.com",
    }),
    file_size_limit: Some(SizeLimit {
        bytes: gensync_core::payload::github::MAX_FILE_BYTES,
        name: "the 100 MiB limit of GitHub",
    }),
    supports: Supports {
        pull_requests: true,
        draft: true,
        labels: true,
        assignees: true,
        reviewers: true,
        team_reviewers: true,
        signed_commits: true,
        file_modes: true,
        commit_modes: true,
    },
    connect,
    list_repositories,
    create_repository,
};

impl Backend for GitHub {
    fn provider(&mut self) -> &mut dyn Provider {
        self
    }

    fn report(&self, log: &mut dyn crate::sync::Log) {
        for note in &self.notes {
            log.info(note);
        }
    }
}

fn connect(c: &Connect<'_>) -> anyhow::Result<Box<dyn Backend>> {
    let args = c.args;
    let repository = c.target.repository.value.as_str();
    // An App, when configured, wins over every token: the Action's `token` input defaults to
    // the workflow's GITHUB_TOKEN, which would otherwise always shadow it.
    let token = match (
        &args.app_id,
        c.token.clone().filter(|t| !t.trim().is_empty()),
    ) {
        (Some(app_id), _) if !app_id.trim().is_empty() => {
            let token = app_token(args, repository, app_id.trim())?;
            mask(&token);
            token
        }
        (_, Some(t)) => t,
        _ => {
            let token = token_from_env(args.token_env.as_deref())?;
            mask(&token);
            token
        }
    };
    let api_url = api_url(args.api_url.as_deref());
    let http = http(&api_url, token, args.verbose)?;
    let graphql_url = args
        .graphql_url
        .clone()
        .unwrap_or_else(|| graphql_url_for(&api_url));
    Ok(Box::new(GitHub::new(
        http,
        graphql_url,
        repository,
        c.target.commit_mode.value,
    )?))
}

fn mask(token: &str) {
    if crate::ci::github_actions::active() {
        crate::ci::github_actions::mask(token);
    }
}

/// An HTTP client for GitHub's REST API at `api_url`, authenticated with `token`.
fn http(api_url: &str, token: String, verbose: bool) -> anyhow::Result<HttpClient> {
    let mut config = HttpConfig::new(api_url)?
        .credential(Credential::Bearer(Secret::new(token)))
        .default_header("Accept", "application/vnd.github+json")
        .default_header("X-GitHub-Api-Version", "2022-11-28");
    if verbose {
        config.trace = Some(std::sync::Arc::new(|e: &crate::http::TraceEvent| {
            eprintln!("http: {e}")
        }));
    }
    Ok(HttpClient::new(config)?)
}

fn app_token(args: &SyncArgs, repository: &str, app_id: &str) -> anyhow::Result<String> {
    let pem = match &args.app_private_key_file {
        Some(p) => std::fs::read_to_string(p)
            .with_context(|| format!("cannot read the App private key {}", p.display()))?,
        None => std::env::var(env::GITHUB_APP_PRIVATE_KEY).with_context(|| {
            format!(
                "--app-id needs the App's private key: --app-private-key-file FILE or {}",
                env::GITHUB_APP_PRIVATE_KEY
            )
        })?,
    };
    let (owner, repo) = repository
        .split_once('/')
        .with_context(|| format!("--repository {repository:?} is not OWNER/REPO"))?;
    crate::providers::github_app::installation_token(
        &api_url(args.api_url.as_deref()),
        app_id,
        &pem,
        owner,
        repo,
    )
}

/// GitHub's REST root: `--api-url`, else `GITHUB_API_URL`, else `https://api.github.com`.
fn api_url(flag: Option<&str>) -> String {
    settings::api_url(&SPEC, flag, &|name| std::env::var(name).ok()).expect("GitHub has an API")
}

/// `https://api.github.com` → `https://api.github.com/graphql`;
/// `https://HOST/api/v3` → `https://HOST/api/graphql` (Enterprise Server).
fn graphql_url_for(api_url: &str) -> String {
    let trimmed = api_url.trim_end_matches('/');
    match trimmed.strip_suffix("/api/v3") {
        Some(host) => format!("{host}/api/graphql"),
        None => format!("{trimmed}/graphql"),
    }
}

/// The GitHub token from `token_env`, or `GITHUB_TOKEN`, then `GH_TOKEN`; a variable that is
/// set but empty (or blank) counts as unset.
fn token_from_env(token_env: Option<&str>) -> anyhow::Result<String> {
    let names: Vec<&str> = match token_env {
        Some(n) => vec![n],
        None => SPEC.credential_envs.to_vec(),
    };
    if let Some(token) = settings::first_set(&names, &|name| std::env::var(name).ok()) {
        return Ok(token);
    }
    bail!(
        "no GitHub token: set {} (in a workflow: `env: GITHUB_TOKEN: ${{{{ secrets.GITHUB_TOKEN }}}}`){}",
        names.join(" or "),
        if token_env.is_some() { "" } else { ", or name another variable with --token-env" }
    )
}

fn account(p: &RepoProviderArgs) -> anyhow::Result<GitHubAccount> {
    let token = token_from_env(p.token_env.as_deref())?;
    Ok(GitHubAccount::new(http(
        &api_url(p.api_url.as_deref()),
        token,
        false,
    )?))
}

fn list_repositories(args: &RepoListArgs) -> anyhow::Result<Vec<Repository>> {
    account(&args.provider)?.list_repositories(args.owner.as_deref())
}

fn create_repository(args: &RepoCreateArgs) -> anyhow::Result<Repository> {
    account(&args.provider)?.create_repository(&NewRepository {
        owner: &args.owner,
        name: &args.name,
        private: args.private,
        description: args.description.as_deref(),
        init: args.init,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn graphql_url_is_derived_for_cloud_and_enterprise() {
        assert_eq!(
            graphql_url_for("https://api.github.com"),
            "https://api.github.com/graphql"
        );
        assert_eq!(
            graphql_url_for("https://ghe.example.com/api/v3/"),
            "https://ghe.example.com/api/graphql"
        );
    }
}
