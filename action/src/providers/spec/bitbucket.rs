//! Bitbucket Cloud: the spec, the backend and the HTTP client.

use anyhow::Context;

use super::{ApiUrl, Backend, Connect, ProviderSpec, RepositorySyntax, SizeLimit, Supports};
use crate::cli::{BitbucketAuthArgs, RepoCreateArgs, RepoListArgs, RepoProviderArgs};
use crate::env;
use crate::http::{Credential, HttpClient, HttpConfig, Secret};
use crate::providers::bitbucket::Bitbucket;
use crate::providers::bitbucket_auth;
use crate::providers::bitbucket_repos::BitbucketAccount;
use crate::providers::github_repos::Repository;
use crate::providers::Provider;
use crate::settings;

/// Bitbucket's spec.
pub static SPEC: ProviderSpec = ProviderSpec {
    name: "bitbucket",
    title: "Bitbucket",
    about: "Bitbucket Cloud (`--repository WORKSPACE/REPO_SLUG`)",
    repository: RepositorySyntax::OwnerName {
        placeholder: "WORKSPACE/REPO_SLUG",
    },
    default_repository_env: None,
    credential_envs: &env::BITBUCKET_ACCESS_TOKENS,
    api_url: Some(ApiUrl {
        env: env::BITBUCKET_API_URL,
        default: crate::providers::bitbucket::API_URL,
    }),
    // The backend keeps the flow's default limit (GitHub's), as before the spec.
    file_size_limit: Some(SizeLimit {
        bytes: gensync_core::payload::github::MAX_FILE_BYTES,
        name: "the 100 MiB limit of GitHub",
    }),
    supports: Supports {
        pull_requests: true,
        draft: true,
        labels: false,
        assignees: false,
        reviewers: true,
        team_reviewers: false,
        signed_commits: false,
        file_modes: true,
        commit_modes: false,
    },
    connect,
    list_repositories,
    create_repository,
};

impl Backend for Bitbucket {
    fn provider(&mut self) -> &mut dyn Provider {
        self
    }

    fn report(&self, log: &mut dyn crate::sync::Log) {
        let stats = &self.stats;
        log.info(&format!(
            "Bitbucket branch view: {} file(s) downloaded, {} folder listing(s), {} single-path lookup(s), {} diffstat(s){}",
            stats.downloads,
            stats.listings,
            stats.metas,
            stats.diffstats,
            if stats.anchored {
                ""
            } else {
                " (no gensync commit on the branch to build on: every changed path read)"
            }
        ));
        for note in &self.notes {
            log.info(note);
        }
    }
}

fn connect(c: &Connect<'_>) -> anyhow::Result<Box<dyn Backend>> {
    let args = c.args;
    let http = http(
        args.api_url.as_deref(),
        &args.bitbucket,
        args.token_env.as_deref(),
        c.token.clone(),
        args.verbose,
    )?;
    Ok(Box::new(Bitbucket::new(http, &c.target.repository.value)?))
}

/// An HTTP client for Bitbucket's API, with the credential the flags and the environment
/// select (`token` overrides them: the pipe's variable).
fn http(
    api_url: Option<&str>,
    auth: &BitbucketAuthArgs,
    token_env: Option<&str>,
    token: Option<String>,
    verbose: bool,
) -> anyhow::Result<HttpClient> {
    let get = |name: &str| std::env::var(name).ok();
    let (credential, extra) = match token {
        Some(t) => (Credential::Bearer(Secret::new(t)), Vec::new()),
        None => {
            let method = bitbucket_auth::choose(
                &bitbucket_auth::AuthFlags {
                    username: auth.username.as_deref(),
                    token_env,
                    oauth_client_id: auth.oauth_client_id.as_deref(),
                },
                &get,
            )?;
            bitbucket_auth::credential(&method, &auth.oauth_token_url, &get, |url| {
                Ok(HttpConfig::new(url)?)
            })?
        }
    };
    let root = settings::api_url(&SPEC, api_url, &get).expect("Bitbucket has an API");
    let mut config = HttpConfig::new(&root)?.credential(credential);
    config.extra_secrets = extra;
    if verbose {
        config.trace = Some(std::sync::Arc::new(|e: &crate::http::TraceEvent| {
            eprintln!("http: {e}")
        }));
    }
    Ok(HttpClient::new(config)?)
}

fn account(p: &RepoProviderArgs) -> anyhow::Result<BitbucketAccount> {
    Ok(BitbucketAccount::new(http(
        p.api_url.as_deref(),
        &p.bitbucket,
        p.token_env.as_deref(),
        None,
        false,
    )?))
}

fn list_repositories(args: &RepoListArgs) -> anyhow::Result<Vec<Repository>> {
    account(&args.provider)?.list_repositories(args.owner.as_deref().context(
        "--provider bitbucket lists the repositories of a workspace: pass --workspace W",
    )?)
}

fn create_repository(args: &RepoCreateArgs) -> anyhow::Result<Repository> {
    account(&args.provider)?.create_repository(
        &args.owner,
        &args.name,
        args.private,
        args.description.as_deref(),
        args.init,
    )
}
