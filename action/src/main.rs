//! The `gensync` binary: a thin shell over `gensync-core` that reads folders, talks to the
//! providers and reports. The core decides; this crate does the I/O.

use clap::Parser;

mod build_output;
mod ci;
mod cli;
mod commands;
mod config;
mod env;
mod exit;
mod http;
mod providers;
#[cfg(test)]
mod robustness;
mod settings;
mod status;
mod sync;
mod target;

fn main() -> std::process::ExitCode {
    let cli = cli::Cli::parse();
    let result = match &cli.command {
        cli::Command::Manifest(args) => commands::manifest::run(args),
        cli::Command::Changes(args) => commands::changes::run(args),
        cli::Command::Sync(args) => run_sync(args, None, settings::FlagOrigin::CommandLine),
        cli::Command::GithubAction => github_action(),
        cli::Command::BitbucketPipe => bitbucket_pipe(),
        cli::Command::Config(cli::ConfigCommand::Check(args)) => commands::config::check(args),
        cli::Command::Repo(cli::RepoCommand::List(args)) => commands::repo::list(args),
        cli::Command::Repo(cli::RepoCommand::Create(args)) => commands::repo::create(args),
    };
    match result {
        Ok(()) => status::ExitStatus::Success.into(),
        Err(err) => {
            // Every message carrying server text was redacted where it was built (the HTTP
            // layer); this is the last line of defence for the whole chain.
            let text = http::redact_known(&commands::error_text(&err));
            if ci::github_actions::active() {
                ci::github_actions::error(&text);
            }
            if ci::azure_pipelines::active() {
                ci::azure_pipelines::error(&text);
            }
            eprintln!("error: {text}");
            status::ExitStatus::of_error(&err).into()
        }
    }
}

fn run_sync(
    args: &cli::SyncArgs,
    token: Option<String>,
    origin: settings::FlagOrigin,
) -> anyhow::Result<()> {
    let actions = ci::github_actions::active();
    if actions {
        ci::github_actions::group("gensync sync");
    }
    let runs = commands::sync::run(args, token, origin);
    if actions {
        ci::github_actions::end_group();
    }
    let runs = runs?;
    if actions {
        // With several targets (--config), each writes its outputs in turn: the last one's
        // values stand, and the step summary has a table per target.
        for outcome in &runs.outcomes {
            ci::github_actions::write_outputs(outcome)?;
        }
    }
    if ci::azure_pipelines::active() {
        for outcome in &runs.outcomes {
            ci::azure_pipelines::write_outputs(outcome);
        }
    }
    if ci::bitbucket_pipelines::active() && !runs.outcomes.is_empty() {
        let dir = ci::bitbucket_pipelines::write_results(&runs.outcomes)?;
        eprintln!(
            "gensync: results in {} and {} (in {})",
            ci::bitbucket_pipelines::RESULTS_ENV_FILE,
            ci::bitbucket_pipelines::RESULTS_JSON_FILE,
            dir.display()
        );
    }
    commands::sync::report(&runs.outcomes, args.json, args.config.is_some())?;
    match runs.error {
        Some(err) => Err(err),
        None => Ok(()),
    }
}

fn github_action() -> anyhow::Result<()> {
    // The `token` input (empty means unset); without it the sync reads GITHUB_TOKEN, then
    // GH_TOKEN, skipping empty ones, or mints an App token: all masked where they are read.
    let (argv, token) = ci::github_actions::sync_args_from_env(|k| std::env::var(k).ok());
    if let Some(t) = &token {
        ci::github_actions::mask(t);
    }
    let cli = cli::Cli::try_parse_from(&argv).map_err(|e| ci::github_actions::input_error(&e))?;
    let cli::Command::Sync(args) = cli.command else {
        unreachable!("the adapter always builds a sync command line")
    };
    run_sync(&args, token, settings::FlagOrigin::ActionInputs)
}

fn bitbucket_pipe() -> anyhow::Result<()> {
    let argv = ci::bitbucket_pipelines::sync_args_from_env(|k| std::env::var(k).ok());
    let cli = cli::Cli::try_parse_from(&argv)?;
    let cli::Command::Sync(args) = cli.command else {
        unreachable!("the adapter always builds a sync command line")
    };
    run_sync(&args, None, settings::FlagOrigin::CommandLine)
}
