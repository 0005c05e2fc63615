//! GitHub Actions: inputs from `INPUT_*`, outputs to `$GITHUB_OUTPUT`, a summary table to
//! `$GITHUB_STEP_SUMMARY`, workflow commands (`::add-mask::`, `::group::`, `::error::`).
//!
//! `action.yml` passes every input as `INPUT_<NAME>` with the input's own (hyphenated) name in
//! upper case, exactly as the runner does for JavaScript actions, so the binary reads one
//! convention whichever way it runs. A test checks that action.yml and [`INPUTS`] / [`OUTPUTS`]
//! agree in both directions.

use std::io::Write as _;

use anyhow::Context;

use crate::env;
use crate::sync::SyncOutcome;

/// The environment variable that says we run in GitHub Actions.
pub const ACTIONS_ENV: &str = env::GITHUB_ACTIONS;

/// How an input maps to a `gensync sync` flag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputKind {
    /// `--name VALUE`.
    Value,
    /// `--name` when the value is `true`.
    Switch,
    /// `--name ITEM` for each item of a comma-separated value.
    List,
    /// Read by the adapter itself (not a flag).
    Special,
}

/// Every input the binary reads: `(input name, kind)`. The flag is `--<input name>`.
pub const INPUTS: &[(&str, InputKind)] = &[
    ("token", InputKind::Special),
    ("repository", InputKind::Value),
    ("output", InputKind::Value),
    ("config", InputKind::Value),
    ("service", InputKind::List),
    ("target-dir", InputKind::Value),
    ("message", InputKind::Value),
    ("build-id", InputKind::Value),
    ("build-url", InputKind::Value),
    ("strategy", InputKind::Value),
    ("branch", InputKind::Value),
    ("base", InputKind::Value),
    ("api-url", InputKind::Value),
    ("graphql-url", InputKind::Value),
    ("commit-mode", InputKind::Value),
    ("author", InputKind::Value),
    ("ignore-file", InputKind::Value),
    ("ignored-to", InputKind::Value),
    ("conflicts", InputKind::Value),
    ("draft", InputKind::Switch),
    ("labels", InputKind::Value),
    ("assignees", InputKind::Value),
    ("reviewers", InputKind::Value),
    ("team-reviewers", InputKind::Value),
    ("local-clone", InputKind::Value),
    ("dry-run", InputKind::Switch),
    ("init-empty", InputKind::Switch),
    ("allow-empty", InputKind::Switch),
];

/// Every output the binary writes.
pub const OUTPUTS: &[&str] = &[
    "operation",
    "pull-request-operation",
    "commit-sha",
    "branch",
    "pull-request-number",
    "pull-request-url",
    "added",
    "modified",
    "deleted",
    "renamed",
    "ignored",
    "conflicts",
];

/// The environment variable of an input, as the runner names it.
pub fn input_env(name: &str) -> String {
    format!(
        "{}{}",
        env::INPUT_PREFIX,
        name.to_uppercase().replace(' ', "_")
    )
}

/// Whether gensync runs inside GitHub Actions.
pub fn active() -> bool {
    std::env::var(ACTIONS_ENV).is_ok_and(|v| v == "true")
}

/// `gensync sync` arguments from the `INPUT_*` variables, and the token input if set.
/// Empty inputs are left out (the runner passes unset optional inputs as empty strings).
pub fn sync_args_from_env(get: impl Fn(&str) -> Option<String>) -> (Vec<String>, Option<String>) {
    let mut args = vec!["gensync".to_owned(), "sync".to_owned()];
    // A project file says where each service goes (GitHub unless it names another provider).
    let with_config = get(&input_env("config")).is_some_and(|c| !c.trim().is_empty());
    if !with_config {
        args.extend(["--provider".to_owned(), "github".to_owned()]);
    }
    let mut token = None;
    for (name, kind) in INPUTS {
        let Some(value) = get(&input_env(name)).filter(|v| !v.trim().is_empty()) else {
            continue;
        };
        match kind {
            InputKind::Special => token = Some(value.trim().to_owned()),
            InputKind::Switch => {
                if value.trim().eq_ignore_ascii_case("true") {
                    args.push(format!("--{name}"));
                }
            }
            InputKind::List => {
                for item in crate::cli::comma_list(&[&value]) {
                    args.push(format!("--{name}"));
                    args.push(item);
                }
            }
            InputKind::Value => {
                args.push(format!("--{name}"));
                args.push(if *name == "message" {
                    value
                } else {
                    value.trim().to_owned()
                });
            }
        }
    }
    (args, token)
}

/// A command-line error of the adapter's own `gensync sync` arguments, in the action's words:
/// the inputs (`message`) rather than flags (`--message`), and without clap's usage text, which
/// a workflow author cannot act on.
pub fn input_error(err: &clap::Error) -> crate::status::UsageError {
    use clap::error::{ContextKind, ContextValue, ErrorKind};
    // `--message <MESSAGE>` → `message`.
    let input = |arg: &str| {
        let name = arg.trim_start_matches('-');
        name.split([' ', '=']).next().unwrap_or(name).to_owned()
    };
    let inputs: Vec<String> = match err.get(ContextKind::InvalidArg) {
        Some(ContextValue::String(a)) => vec![input(a)],
        Some(ContextValue::Strings(a)) => a.iter().map(|a| input(a)).collect(),
        _ => Vec::new(),
    };
    let quoted = inputs
        .iter()
        .map(|i| format!("`{i}`"))
        .collect::<Vec<_>>()
        .join(", ");
    let text = match err.kind() {
        ErrorKind::MissingRequiredArgument if !inputs.is_empty() => format!(
            "the action's input {quoted} is required: set it under `with:` in the workflow step"
        ),
        ErrorKind::InvalidValue | ErrorKind::ValueValidation if !inputs.is_empty() => {
            let value = match err.get(ContextKind::InvalidValue) {
                Some(ContextValue::String(v)) => format!(" {v:?}"),
                _ => String::new(),
            };
            let mut text = format!("the action's input {quoted}:{value} is not valid");
            if let Some(ContextValue::Strings(valid)) = err.get(ContextKind::ValidValue) {
                text.push_str(&format!(" (one of {})", valid.join(", ")));
            }
            if let Some(source) = std::error::Error::source(err) {
                text.push_str(&format!(": {source}"));
            }
            text
        }
        _ => {
            // Clap's own sentence, first paragraph only (no usage, no `--help` hint), flags
            // named as inputs.
            let full = err.to_string();
            let first = full.split("\n\n").next().unwrap_or(&full);
            let mut text = first.trim_start_matches("error: ").trim().to_owned();
            for (name, _) in INPUTS {
                text = text.replace(&format!("--{name}"), &format!("input `{name}`"));
            }
            text
        }
    };
    crate::status::UsageError { message: text }
}

/// Hide `secret` in the job log from now on.
pub fn mask(secret: &str) {
    println!("::add-mask::{secret}");
}

/// Start a collapsible log group.
pub fn group(title: &str) {
    println!("::group::{title}");
}

/// End the log group.
pub fn end_group() {
    println!("::endgroup::");
}

/// An error annotation (the message's newlines escaped as the runner requires).
pub fn error(message: &str) {
    let escaped = message
        .replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A");
    println!("::error title=gensync::{escaped}");
}

/// The output values of a sync, in [`OUTPUTS`] order.
pub fn output_values(o: &SyncOutcome) -> Vec<(&'static str, String)> {
    let sum = |f: fn(&gensync_core::changeset::Counts) -> usize| {
        o.changes.iter().map(|c| f(&c.counts())).sum::<usize>()
    };
    let values = vec![
        ("operation", o.operation.as_str().to_owned()),
        ("pull-request-operation", o.operation.as_str().to_owned()),
        ("commit-sha", o.commit_sha.clone().unwrap_or_default()),
        ("branch", o.branch.clone()),
        (
            "pull-request-number",
            o.pull_request
                .as_ref()
                .map(|p| p.number.to_string())
                .unwrap_or_default(),
        ),
        (
            "pull-request-url",
            o.pull_request
                .as_ref()
                .map(|p| p.url.clone())
                .unwrap_or_default(),
        ),
        ("added", sum(|c| c.added).to_string()),
        ("modified", sum(|c| c.modified).to_string()),
        ("deleted", sum(|c| c.deleted).to_string()),
        ("renamed", sum(|c| c.renamed).to_string()),
        ("ignored", sum(|c| c.ignored).to_string()),
        ("conflicts", sum(|c| c.conflicts).to_string()),
    ];
    debug_assert!(
        values.iter().map(|(k, _)| *k).eq(OUTPUTS.iter().copied()),
        "OUTPUTS lists every output"
    );
    values
}

/// Append the outputs to `$GITHUB_OUTPUT` and the summary to `$GITHUB_STEP_SUMMARY`.
pub fn write_outputs(o: &SyncOutcome) -> anyhow::Result<()> {
    if let Ok(path) = std::env::var(env::GITHUB_OUTPUT) {
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .create(true)
            .open(&path)
            .with_context(|| format!("cannot open $GITHUB_OUTPUT ({path})"))?;
        for (k, v) in output_values(o) {
            writeln!(f, "{k}={v}")?;
        }
    }
    if let Ok(path) = std::env::var(env::GITHUB_STEP_SUMMARY) {
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .create(true)
            .open(&path)
            .with_context(|| format!("cannot open $GITHUB_STEP_SUMMARY ({path})"))?;
        f.write_all(summary(o, workflow_token_in_use()).as_bytes())?;
    }
    Ok(())
}

/// Whether the sync pushed with the workflow's own `GITHUB_TOKEN`: action.yml says the `token`
/// input is `github.token`, and no GitHub App (whose installation token wins) is configured.
fn workflow_token_in_use() -> bool {
    let set = |name: &str| std::env::var(name).is_ok_and(|v| !v.trim().is_empty());
    std::env::var(env::WORKFLOW_TOKEN_IN_USE).is_ok_and(|v| v.trim() == "true")
        && !set(env::GITHUB_APP_ID)
}

/// The step summary: what happened, then the change-set table and lists; with
/// `workflow_token`, the note that commits pushed with the workflow's `GITHUB_TOKEN` do not
/// trigger other workflows.
pub fn summary(o: &SyncOutcome, workflow_token: bool) -> String {
    let mut s = String::from("## gensync\n\n");
    let pr = match &o.pull_request {
        Some(p) => format!("[#{}]({}) ({})", p.number, p.url, o.operation.as_str()),
        None => "none".to_owned(),
    };
    s.push_str(&format!(
        "- Branch: `{}`\n- Commit: {}\n- Pull request: {}\n{}\n",
        o.branch,
        o.commit_sha
            .as_deref()
            .map(|c| format!("`{c}`"))
            .unwrap_or_else(|| "none (nothing changed)".into()),
        pr,
        if o.dry_run {
            "- Dry run: nothing was written\n"
        } else {
            ""
        }
    ));
    s.push_str(&gensync_core::message::summary_markdown(
        &o.changes.iter().collect::<Vec<_>>(),
    ));
    if o.commit_sha.is_some() && workflow_token {
        s.push_str(
            "\n> Commits pushed with the workflow's `GITHUB_TOKEN` do not trigger other workflows \
             (such as checks on the pull request). Use a GitHub App or a personal token to have them run.\n",
        );
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn input_errors_name_inputs_not_flags_and_print_no_usage() {
        use clap::Parser as _;
        let parse = |vars: &[(&str, &str)]| {
            let (argv, _) = sync_args_from_env(|k| {
                vars.iter()
                    .find(|(n, _)| input_env(n) == k)
                    .map(|(_, v)| (*v).to_owned())
            });
            let err = crate::cli::Cli::try_parse_from(&argv).unwrap_err();
            input_error(&err).to_string()
        };
        let text = parse(&[("output", "dist")]);
        assert!(text.contains("input `message` is required"), "{text}");
        assert!(
            !text.contains("--message") && !text.contains("Usage") && !text.contains("--help"),
            "{text}"
        );
        let text = parse(&[("output", "dist"), ("message", "m"), ("strategy", "weekly")]);
        assert!(
            text.contains("input `strategy`: \"weekly\"") && text.contains("per-build"),
            "{text}"
        );
        assert!(
            !text.contains("--strategy") && !text.contains("Usage"),
            "{text}"
        );
    }

    /// The repository's `action.yml`, parsed.
    fn action_yml() -> yaml_rust2::Yaml {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../action.yml");
        let text = std::fs::read_to_string(path).expect("action.yml at the repository root");
        yaml_rust2::YamlLoader::load_from_str(&text)
            .expect("valid YAML")
            .remove(0)
    }

    /// The inputs a project file also sets have no default in action.yml: a default passed
    /// as a flag would override the file (flag > environment > file > default).
    #[test]
    fn action_yml_sets_no_default_that_would_override_the_project_file() {
        let doc = &action_yml();
        for name in [
            "repository",
            "base",
            "strategy",
            "branch",
            "author",
            "commit-mode",
            "output",
            "target-dir",
            "ignore-file",
        ] {
            assert!(
                doc["inputs"][name]["default"].is_badvalue(),
                "input {name} has a default: {:?}",
                doc["inputs"][name]["default"]
            );
        }
    }

    /// action.yml declares exactly the inputs the binary reads and the outputs it writes, and
    /// passes every input to the binary as `INPUT_<NAME>`.
    #[test]
    fn action_yml_matches_the_binary_in_both_directions() {
        let doc = &action_yml();
        let keys = |node: &yaml_rust2::Yaml| -> Vec<String> {
            node.as_hash()
                .expect("a mapping")
                .keys()
                .map(|k| k.as_str().expect("string keys").to_owned())
                .collect()
        };
        let mut declared = keys(&doc["inputs"]);
        declared.sort();
        let mut read: Vec<String> = INPUTS.iter().map(|(n, _)| n.to_string()).collect();
        read.sort();
        assert_eq!(declared, read, "action.yml inputs vs INPUTS");
        let mut outputs = keys(&doc["outputs"]);
        outputs.sort();
        let mut written: Vec<String> = OUTPUTS.iter().map(|n| n.to_string()).collect();
        written.sort();
        assert_eq!(outputs, written, "action.yml outputs vs OUTPUTS");
        for o in OUTPUTS {
            let value = doc["outputs"][*o]["value"].as_str().expect("output value");
            assert_eq!(
                value,
                format!("${{{{ steps.sync.outputs.{o} }}}}"),
                "output {o} comes from the sync step"
            );
        }
        let steps = doc["runs"]["steps"].as_vec().expect("composite steps");
        let sync = steps
            .iter()
            .find(|s| s["id"].as_str() == Some("sync"))
            .expect("a step with id sync");
        for (name, _) in INPUTS {
            let env = sync["env"][input_env(name).as_str()]
                .as_str()
                .unwrap_or_else(|| panic!("{} not passed", input_env(name)));
            assert_eq!(env, format!("${{{{ inputs.{name} }}}}"));
        }
        assert!(sync["run"]
            .as_str()
            .unwrap()
            .contains("gensync github-action"));
    }

    #[test]
    fn a_config_input_leaves_the_provider_to_the_file_and_services_become_flags() {
        let env = |k: &str| match k {
            "INPUT_CONFIG" => Some("gensync.toml".to_owned()),
            "INPUT_SERVICE" => Some(" api, web ,,".to_owned()),
            "INPUT_MESSAGE" => Some("Title".to_owned()),
            _ => None,
        };
        let (args, _) = sync_args_from_env(env);
        assert_eq!(
            args,
            [
                "gensync",
                "sync",
                "--config",
                "gensync.toml",
                "--service",
                "api",
                "--service",
                "web",
                "--message",
                "Title"
            ]
        );
    }

    #[test]
    fn inputs_become_flags_and_empty_ones_are_skipped() {
        let env = |k: &str| match k {
            "INPUT_REPOSITORY" => Some("o/r".to_owned()),
            "INPUT_BUILD-ID" => Some(" 42 ".to_owned()),
            "INPUT_DRAFT" => Some("true".to_owned()),
            "INPUT_DRY-RUN" => Some("false".to_owned()),
            "INPUT_BASE" => Some("".to_owned()),
            "INPUT_TOKEN" => Some("t0k".to_owned()),
            "INPUT_MESSAGE" => Some("Title\n\nBody".to_owned()),
            _ => None,
        };
        let (args, token) = sync_args_from_env(env);
        assert_eq!(token.as_deref(), Some("t0k"));
        assert_eq!(
            args,
            [
                "gensync",
                "sync",
                "--provider",
                "github",
                "--repository",
                "o/r",
                "--message",
                "Title\n\nBody",
                "--build-id",
                "42",
                "--draft"
            ]
        );
    }
}
