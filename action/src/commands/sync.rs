//! `gensync sync`: resolve flags into a [`SyncJob`], run it, report.

use std::io::Write as _;

use anyhow::{bail, Context};
use gensync_core::message::BuildInfo;
use gensync_core::payload::github::Signature;

use crate::cli::{ProviderKind, Strategy, SyncArgs};
use crate::http::{Credential, HttpClient, HttpConfig, Secret};
use crate::providers::github::GitHub;
use crate::providers::PullRequestOptions;
use crate::sync::{self, ServiceJob, SyncJob, SyncOutcome};

/// Environment variables read for the GitHub token, in order.
pub const GITHUB_TOKEN_ENVS: [&str; 2] = ["GITHUB_TOKEN", "GH_TOKEN"];

/// Run the command. `token` overrides the environment (the Action's `token` input).
pub fn run(args: &SyncArgs, token: Option<String>) -> anyhow::Result<SyncOutcome> {
    let token = match (token, &args.app_id) {
        (Some(t), _) => t,
        (None, Some(app_id)) => app_token(args, app_id)?,
        (None, None) => github_token(args.token_env.as_deref())?,
    };
    let (ignore, options) = crate::commands::changes::resolve_change_options(&args.change)?;
    let _ = ignore; // the sync reads the repository's own ignore files; the local one is added below
    let output = crate::build_output::read(&args.output, gensync_core::HashKind::Sha1, 0)
        .with_context(|| format!("reading the build output {}", args.output.display()))?;
    let template = args.branch.clone().unwrap_or_else(|| {
        match args.strategy {
            Strategy::Single => gensync_core::branch::SINGLE,
            Strategy::PerBuild => gensync_core::branch::PER_BUILD,
        }
        .to_owned()
    });
    let branch =
        gensync_core::branch::render(&template, args.build_id.as_deref(), args.service.as_deref())?;
    let author = match &args.author {
        Some(a) => Some(
            Signature::parse(a)
                .with_context(|| format!("--author {a:?} is not \"Name <email>\""))?,
        ),
        None => None,
    };
    let extra_ignore = match &args.change.ignore_file {
        Some(p) => Some(
            std::fs::read(p)
                .with_context(|| format!("cannot read the ignore file {}", p.display()))?,
        ),
        None => None,
    };
    let job = SyncJob {
        base: args.base.clone(),
        branch,
        build: BuildInfo {
            message: args.message.clone(),
            build_id: args.build_id.clone(),
            build_url: args.build_url.clone(),
        },
        author,
        services: vec![ServiceJob {
            name: args.service.clone(),
            output,
            extra_ignore,
            options,
        }],
        dry_run: args.dry_run,
        init_empty: args.init_empty,
        pull_request: PullRequestOptions {
            draft: args.draft,
            labels: args.labels.clone(),
            assignees: args.assignees.clone(),
            reviewers: args.reviewers.clone(),
            team_reviewers: args.team_reviewers.clone(),
        },
    };
    let verbose = args.verbose;
    let mut config = HttpConfig::new(&args.api_url)?
        .credential(Credential::Bearer(Secret::new(token)))
        .default_header("Accept", "application/vnd.github+json")
        .default_header("X-GitHub-Api-Version", "2022-11-28");
    if verbose {
        config.trace = Some(std::sync::Arc::new(|e: &crate::http::TraceEvent| {
            eprintln!("http: {e}")
        }));
    }
    let http = HttpClient::new(config)?;
    let graphql_url = args
        .graphql_url
        .clone()
        .unwrap_or_else(|| graphql_url_for(&args.api_url));
    let mut log = |line: &str| eprintln!("gensync: {line}");
    match args.provider {
        ProviderKind::Github => {
            let mut provider = GitHub::new(http, graphql_url, &args.repository, args.commit_mode)?;
            let outcome = sync::run(&mut provider, &job, &mut log);
            for note in &provider.notes {
                eprintln!("gensync: {note}");
            }
            outcome
        }
    }
}

/// The environment variable holding a GitHub App's private key (PEM text).
pub const APP_PRIVATE_KEY_ENV: &str = "GITHUB_APP_PRIVATE_KEY";

fn app_token(args: &SyncArgs, app_id: &str) -> anyhow::Result<String> {
    let pem = match &args.app_private_key_file {
        Some(p) => std::fs::read_to_string(p).with_context(|| format!("cannot read the App private key {}", p.display()))?,
        None => std::env::var(APP_PRIVATE_KEY_ENV)
            .with_context(|| format!("--app-id needs the App's private key: --app-private-key-file FILE or {APP_PRIVATE_KEY_ENV}"))?,
    };
    let (owner, repo) = args
        .repository
        .split_once('/')
        .with_context(|| format!("--repository {:?} is not OWNER/REPO", args.repository))?;
    crate::providers::github_app::installation_token(&args.api_url, app_id, &pem, owner, repo)
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

fn github_token(token_env: Option<&str>) -> anyhow::Result<String> {
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

/// Print the outcome: the change set and what happened, as text or JSON.
pub fn report(outcome: &SyncOutcome, json: bool) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    if json {
        writeln!(out, "{}", serde_json::to_string_pretty(outcome)?)?;
        return Ok(());
    }
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
