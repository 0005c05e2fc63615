//! `gensync sync`: resolve flags into a [`SyncJob`], run it, report.

use std::io::Write as _;

use anyhow::Context;

use crate::cli::SyncArgs;
use crate::config;
use crate::providers::spec::Connect;
use crate::providers::{Provider, PullRequestOptions};
use crate::settings;
use crate::sync::{self, SyncJob, SyncOutcome};
use crate::target::clone::WithLocalClone;
use gensync_core::sync as machine;

/// What `gensync sync` did: one outcome per target that synced, and the first failure (the
/// other targets still ran: they are independent repositories).
pub struct Runs {
    /// The targets that synced, in plan order.
    pub outcomes: Vec<SyncOutcome>,
    /// Failures, each naming its target.
    pub error: Option<anyhow::Error>,
}

/// Run the command. `token` overrides the environment (the Action's `token` input); `origin`
/// says who wrote `args` (the Action's inputs: errors name them).
pub fn run(
    args: &SyncArgs,
    token: Option<String>,
    origin: settings::FlagOrigin,
) -> anyhow::Result<Runs> {
    let file = args.config.as_deref().map(config::load).transpose()?;
    let mut flags = settings::Flags {
        origin,
        ..settings::Flags::from(args)
    };
    // In Bitbucket Pipelines the pipeline's variables stand in for unset settings.
    let pipelines =
        crate::ci::bitbucket_pipelines::Defaults::from_env(&|name| std::env::var(name).ok());
    if flags.build_id.is_none() {
        flags.build_id = pipelines.as_ref().map(|d| d.build_id.clone());
    }
    // In Azure Pipelines the build's id stands in for an unset --build-id.
    if flags.build_id.is_none() {
        let azure =
            crate::ci::azure_pipelines::Defaults::from_env(&|name| std::env::var(name).ok());
        flags.build_id = azure.map(|d| d.build_id);
    }
    let process_env = |name: &str| std::env::var(name).ok();
    let env = settings::with_ci_defaults(&process_env, pipelines.as_ref());
    let plan = settings::resolve(&flags, &env, file.as_ref())?;
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
    let spec = target.provider.value.spec();
    let mut job = SyncJob {
        machine: machine::SyncJob {
            base: target.base.value.clone(),
            branch: target.branch.value.clone(),
            build: settings::build_info(
                args,
                crate::ci::bitbucket_pipelines::Defaults::from_env(&|name| {
                    std::env::var(name).ok()
                })
                .as_ref(),
            ),
            author: target.author.value.clone(),
            services: Vec::with_capacity(target.services.len()),
            dry_run: args.dry_run,
            init_empty: args.init_empty,
            pull_request: PullRequestOptions {
                draft: args.draft,
                labels: crate::cli::comma_list(&args.labels),
                assignees: crate::cli::comma_list(&args.assignees),
                reviewers: crate::cli::comma_list(&args.reviewers),
                team_reviewers: crate::cli::comma_list(&args.team_reviewers),
            },
            capabilities: spec.capabilities(),
        },
        outputs: Vec::with_capacity(target.services.len()),
    };
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
        let options = gensync_core::changeset::Options {
            target_dir: s.target_dir.clone(),
            ..options.clone()
        };
        job.add_service(s.name.clone(), output, extra_ignore, options);
    }
    let mut log = |line: &str| eprintln!("gensync: {line}");
    let mut backend = (spec.connect)(&Connect {
        args,
        target,
        token,
    })?;
    let outcome = run_flow(backend.provider(), args, job, &mut log);
    backend.report(&mut log);
    outcome
}

/// Run the flow, through `--local-clone` when given.
fn run_flow(
    provider: &mut dyn Provider,
    args: &SyncArgs,
    job: SyncJob,
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
