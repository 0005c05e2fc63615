//! `gensync sync`: resolve flags into a [`SyncJob`], run it, report.

use std::io::Write as _;
use std::path::Path;

use anyhow::{bail, Context};
use gensync_core::message::BuildInfo;

use crate::cli::{ProviderKind, SyncArgs};
use crate::config;
use crate::http::{Credential, HttpClient, HttpConfig, Secret};
use crate::providers::bitbucket::Bitbucket;
use crate::providers::bitbucket_auth;
use crate::providers::github::GitHub;
use crate::providers::{Provider, PullRequestOptions};
use crate::settings;
use crate::sync::{self, ServiceJob, SyncJob, SyncOutcome};
use crate::target::clone::WithLocalClone;
use crate::target::local::LocalRepo;

/// Environment variables read for the GitHub token, in order.
pub const GITHUB_TOKEN_ENVS: [&str; 2] = ["GITHUB_TOKEN", "GH_TOKEN"];

/// What `gensync sync` did: one outcome per target that synced, and the first failure (the
/// other targets still ran: they are independent repositories).
pub struct Runs {
    /// The targets that synced, in plan order.
    pub outcomes: Vec<SyncOutcome>,
    /// Failures, each naming its target.
    pub error: Option<anyhow::Error>,
}

/// Run the command. `token` overrides the environment (the Action's `token` input).
pub fn run(args: &SyncArgs, token: Option<String>) -> anyhow::Result<Runs> {
    let file = args.config.as_deref().map(config::load).transpose()?;
    let mut flags = settings::Flags::from(args);
    // In Bitbucket Pipelines the pipeline's variables stand in for unset settings.
    let pipelines =
        crate::ci::bitbucket_pipelines::Defaults::from_env(&|name| std::env::var(name).ok());
    if flags.build_id.is_none() {
        flags.build_id = pipelines.as_ref().map(|d| d.build_id.clone());
    }
    let plan = settings::resolve(
        &flags,
        &|name| {
            std::env::var(name)
                .ok()
                .or_else(|| pipelines.as_ref().and_then(|d| d.setting(name)))
        },
        file.as_ref(),
    )?;
    let mut runs = Runs {
        outcomes: Vec::new(),
        error: None,
    };
    let several = plan.targets.len() > 1;
    for target in &plan.targets {
        if several {
            eprintln!(
                "gensync: == {} branch {} ({} service(s))",
                target.repository.value,
                target.branch.value,
                target.services.len()
            );
        }
        match run_target(args, target, token.clone()) {
            Ok(o) => runs.outcomes.push(o),
            Err(e) if !several => return Err(e),
            Err(e) => {
                let e = e.context(format!(
                    "syncing {} (branch {}) failed",
                    target.repository.value, target.branch.value
                ));
                eprintln!("error: {}", crate::commands::error_text(&e));
                runs.error.get_or_insert(e);
            }
        }
    }
    Ok(runs)
}

/// Build the job of one target (read its build outputs) and run it with its provider.
fn run_target(
    args: &SyncArgs,
    target: &settings::Target,
    token: Option<String>,
) -> anyhow::Result<SyncOutcome> {
    let (_, options) = crate::commands::changes::resolve_change_options(&args.change)?;
    let mut services = Vec::with_capacity(target.services.len());
    for s in &target.services {
        let output = crate::build_output::read(&s.output, gensync_core::HashKind::Sha1, 0)
            .with_context(|| format!("reading the build output {}", s.output.display()))?;
        // The sync reads the repository's own ignore files; a local one is added to them.
        let extra_ignore = match &s.ignore_file {
            Some(p) => Some(
                std::fs::read(p)
                    .with_context(|| format!("cannot read the ignore file {}", p.display()))?,
            ),
            None => None,
        };
        services.push(ServiceJob {
            name: s.name.clone(),
            output,
            extra_ignore,
            options: gensync_core::changeset::Options {
                target_dir: s.target_dir.clone(),
                ..options.clone()
            },
        });
    }
    let job = SyncJob {
        base: target.base.value.clone(),
        branch: target.branch.value.clone(),
        build: {
            let pipelines = crate::ci::bitbucket_pipelines::Defaults::from_env(&|name| {
                std::env::var(name).ok()
            });
            BuildInfo {
                message: args.message.clone(),
                build_id: args
                    .build_id
                    .clone()
                    .or_else(|| pipelines.as_ref().map(|d| d.build_id.clone())),
                build_url: args
                    .build_url
                    .clone()
                    .or_else(|| pipelines.as_ref().and_then(|d| d.build_url.clone())),
            }
        },
        author: target.author.value.clone(),
        services,
        dry_run: args.dry_run,
        init_empty: args.init_empty,
        pull_request: PullRequestOptions {
            draft: args.draft,
            labels: crate::cli::comma_list(&args.labels),
            assignees: crate::cli::comma_list(&args.assignees),
            reviewers: crate::cli::comma_list(&args.reviewers),
            team_reviewers: crate::cli::comma_list(&args.team_reviewers),
        },
    };
    let repository = target.repository.value.as_str();
    let mut log = |line: &str| eprintln!("gensync: {line}");
    match target.provider.value {
        ProviderKind::Github => {
            let mut provider = github_provider(args, repository, target, token)?;
            let outcome = run_flow(&mut provider, args, &job, &mut log);
            for note in &provider.notes {
                eprintln!("gensync: {note}");
            }
            outcome
        }
        ProviderKind::Bitbucket => {
            let mut provider = bitbucket_provider(args, repository, token)?;
            let outcome = run_flow(&mut provider, args, &job, &mut log);
            let stats = provider.stats;
            sync::Log::info(&mut log, &format!(
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
            for note in &provider.notes {
                eprintln!("gensync: {note}");
            }
            outcome
        }
        ProviderKind::Local => {
            if args.local_clone.is_some() {
                bail!("--local-clone is for remote providers; --provider local already reads the repository itself");
            }
            let mut provider = LocalRepo::open(Path::new(repository))?;
            run_flow(&mut provider, args, &job, &mut log)
        }
    }
}

/// Run the flow, through `--local-clone` when given.
fn run_flow(
    provider: &mut dyn Provider,
    args: &SyncArgs,
    job: &SyncJob,
    log: &mut dyn sync::Log,
) -> anyhow::Result<SyncOutcome> {
    let Some(path) = &args.local_clone else {
        return sync::run(provider, job, log);
    };
    let mut with_clone = WithLocalClone::open(path, provider)?;
    let outcome = sync::run(&mut with_clone, job, log);
    let reads = with_clone.reads;
    log.info(&format!(
        "local clone {}: {} read(s) from the clone, {} from the API (objects the clone lacks)",
        path.display(),
        reads.local,
        reads.fallback
    ));
    outcome
}

fn github_provider(
    args: &SyncArgs,
    repository: &str,
    target: &settings::Target,
    token: Option<String>,
) -> anyhow::Result<GitHub> {
    // An App, when configured, wins over every token: the Action's `token` input defaults to
    // the workflow's GITHUB_TOKEN, which would otherwise always shadow it.
    let token = match (&args.app_id, token.filter(|t| !t.trim().is_empty())) {
        (Some(app_id), _) if !app_id.trim().is_empty() => {
            let token = app_token(args, repository, app_id.trim())?;
            if crate::ci::github_actions::active() {
                crate::ci::github_actions::mask(&token);
            }
            token
        }
        (_, Some(t)) => t,
        _ => {
            let token = github_token(args.token_env.as_deref())?;
            if crate::ci::github_actions::active() {
                crate::ci::github_actions::mask(&token);
            }
            token
        }
    };
    let api_url = github_api_url(args.api_url.as_deref());
    let http = github_http(&api_url, token, args.verbose)?;
    let graphql_url = args
        .graphql_url
        .clone()
        .unwrap_or_else(|| graphql_url_for(&api_url));
    GitHub::new(http, graphql_url, repository, target.commit_mode.value)
}

/// An HTTP client for GitHub's REST API at `api_url`, authenticated with `token`.
pub fn github_http(api_url: &str, token: String, verbose: bool) -> anyhow::Result<HttpClient> {
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

/// The environment variable holding a GitHub App's private key (PEM text).
pub const APP_PRIVATE_KEY_ENV: &str = "GITHUB_APP_PRIVATE_KEY";

fn app_token(args: &SyncArgs, repository: &str, app_id: &str) -> anyhow::Result<String> {
    let pem = match &args.app_private_key_file {
        Some(p) => std::fs::read_to_string(p).with_context(|| format!("cannot read the App private key {}", p.display()))?,
        None => std::env::var(APP_PRIVATE_KEY_ENV)
            .with_context(|| format!("--app-id needs the App's private key: --app-private-key-file FILE or {APP_PRIVATE_KEY_ENV}"))?,
    };
    let (owner, repo) = repository
        .split_once('/')
        .with_context(|| format!("--repository {repository:?} is not OWNER/REPO"))?;
    crate::providers::github_app::installation_token(
        &github_api_url(args.api_url.as_deref()),
        app_id,
        &pem,
        owner,
        repo,
    )
}

/// GitHub's REST root: `--api-url`, else `GITHUB_API_URL`, else `https://api.github.com`.
pub fn github_api_url(flag: Option<&str>) -> String {
    flag.map(str::to_owned)
        .or_else(|| {
            std::env::var("GITHUB_API_URL")
                .ok()
                .filter(|v| !v.trim().is_empty())
        })
        .unwrap_or_else(|| "https://api.github.com".to_owned())
}

/// Bitbucket's API root: `--api-url`, else `BITBUCKET_API_URL`, else
/// `https://api.bitbucket.org/2.0`.
pub fn bitbucket_api_url(flag: Option<&str>) -> String {
    flag.map(str::to_owned)
        .or_else(|| {
            std::env::var(bitbucket_auth::API_URL_ENV)
                .ok()
                .filter(|v| !v.trim().is_empty())
        })
        .unwrap_or_else(|| crate::providers::bitbucket::API_URL.to_owned())
}

/// An HTTP client for Bitbucket's API, with the credential the flags and the environment
/// select (`token` overrides them: the pipe's variable).
pub fn bitbucket_http(
    api_url: Option<&str>,
    auth: &crate::cli::BitbucketAuthArgs,
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
    let mut config = HttpConfig::new(&bitbucket_api_url(api_url))?.credential(credential);
    config.extra_secrets = extra;
    if verbose {
        config.trace = Some(std::sync::Arc::new(|e: &crate::http::TraceEvent| {
            eprintln!("http: {e}")
        }));
    }
    Ok(HttpClient::new(config)?)
}

fn bitbucket_provider(
    args: &SyncArgs,
    repository: &str,
    token: Option<String>,
) -> anyhow::Result<Bitbucket> {
    let http = bitbucket_http(
        args.api_url.as_deref(),
        &args.bitbucket,
        args.token_env.as_deref(),
        token,
        args.verbose,
    )?;
    Bitbucket::new(http, repository)
}

/// `https://api.github.com` → `https://api.github.com/graphql`;
/// `https://HOST/api/v3` → `https://HOST/api/graphql` (Enterprise Server).
pub fn graphql_url_for(api_url: &str) -> String {
    let trimmed = api_url.trim_end_matches('/');
    match trimmed.strip_suffix("/api/v3") {
        Some(host) => format!("{host}/api/graphql"),
        None => format!("{trimmed}/graphql"),
    }
}

/// The GitHub token from `token_env`, or `GITHUB_TOKEN`, then `GH_TOKEN`; a variable that is
/// set but empty (or blank) counts as unset.
pub fn github_token(token_env: Option<&str>) -> anyhow::Result<String> {
    let names: Vec<&str> = match token_env {
        Some(n) => vec![n],
        None => GITHUB_TOKEN_ENVS.to_vec(),
    };
    for name in &names {
        if let Ok(v) = std::env::var(name) {
            if !v.trim().is_empty() {
                return Ok(v.trim().to_owned());
            }
        }
    }
    bail!(
        "no GitHub token: set {} (in a workflow: `env: GITHUB_TOKEN: ${{{{ secrets.GITHUB_TOKEN }}}}`){}",
        names.join(" or "),
        if token_env.is_some() { "" } else { ", or name another variable with --token-env" }
    )
}

/// Print the outcomes: the change set and what happened, as text or JSON (one object, or with
/// `list` an array: `--config` runs may have several targets).
pub fn report(outcomes: &[SyncOutcome], json: bool, list: bool) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    if json {
        let text = match outcomes {
            [one] if !list => serde_json::to_string_pretty(one)?,
            _ => serde_json::to_string_pretty(outcomes)?,
        };
        writeln!(out, "{text}")?;
        return Ok(());
    }
    for (i, outcome) in outcomes.iter().enumerate() {
        if i > 0 {
            writeln!(out)?;
        }
        report_one(&mut out, outcome)?;
    }
    Ok(())
}

fn report_one(out: &mut impl std::io::Write, outcome: &SyncOutcome) -> anyhow::Result<()> {
    for c in &outcome.changes {
        write!(out, "{}", crate::commands::changes::text_report(c))?;
    }
    if outcome.dry_run {
        writeln!(
            out,
            "\ndry run: nothing was written. Commit message:\n\n{}",
            outcome.commit_message
        )?;
        writeln!(
            out,
            "Pull request title: {}\n\n{}",
            outcome.pull_request_text.title, outcome.pull_request_text.body
        )?;
    }
    writeln!(out, "branch: {}", outcome.branch)?;
    writeln!(
        out,
        "commit: {}",
        outcome.commit_sha.as_deref().unwrap_or("none")
    )?;
    match &outcome.pull_request {
        Some(pr) => writeln!(
            out,
            "pull request: #{} {} ({})",
            pr.number,
            pr.url,
            outcome.operation.as_str()
        )?,
        None => writeln!(out, "pull request: none")?,
    }
    for note in &outcome.notes {
        writeln!(out, "note: {note}")?;
    }
    Ok(())
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
