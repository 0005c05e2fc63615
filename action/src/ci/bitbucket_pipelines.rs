//! Bitbucket Pipelines: defaults from the pipeline's own variables, the pipe's variables as
//! `gensync sync` flags, and the outcome written to files a later step can read.
//!
//! - With `BITBUCKET_BUILD_NUMBER` set ([`active`]), unset settings default to the pipeline's
//!   variables ([`Defaults`]): provider `bitbucket`, repository
//!   `$BITBUCKET_WORKSPACE/$BITBUCKET_REPO_SLUG`, build id `$BITBUCKET_BUILD_NUMBER`, and a build
//!   link made from `$BITBUCKET_GIT_HTTP_ORIGIN` and the build number. Flags, `GENSYNC_*`
//!   variables and `gensync.toml` still win (precedence flag > environment > file > default).
//! - `gensync bitbucket-pipe` (the pipe's entry point, `bitbucket/pipe.yml`) reads its
//!   configuration from the pipe's variables ([`VARIABLES`]: `OUTPUT`, `MESSAGE`, …); the
//!   credentials come from `BITBUCKET_ACCESS_TOKEN`, `BITBUCKET_USERNAME` +
//!   `BITBUCKET_APP_PASSWORD`, or `BITBUCKET_OAUTH_CLIENT_ID` + `BITBUCKET_OAUTH_CLIENT_SECRET`,
//!   which the binary reads itself (Pipelines masks secured variables in the log).
//! - In Pipelines every sync writes `gensync.env` (`GENSYNC_OPERATION=created`, …: `source` it,
//!   or declare it an artifact) and `gensync.json` (the outcome as `--json` prints it) into
//!   `$GENSYNC_RESULTS_DIR`, else `$BITBUCKET_CLONE_DIR`, else the current folder
//!   ([`write_results`]); with Bitbucket's variable sharing (`$BITBUCKET_PIPELINES_VARIABLES_PATH`
//!   set, the step listing them under `output-variables`), the same `GENSYNC_*` values are also
//!   appended there, so later steps get them as variables ([`shared_variables`]).

use std::io::Write as _;
use std::path::PathBuf;

use anyhow::Context;

use crate::sync::SyncOutcome;

/// Set by Pipelines in every step: the build number.
pub const BUILD_NUMBER_ENV: &str = crate::env::BITBUCKET_BUILD_NUMBER;
/// The workspace of the repository the pipeline runs for.
pub const WORKSPACE_ENV: &str = crate::env::BITBUCKET_WORKSPACE;
/// The slug of the repository the pipeline runs for.
pub const REPO_SLUG_ENV: &str = crate::env::BITBUCKET_REPO_SLUG;
/// The repository's web address (`http://bitbucket.org/workspace/slug`).
pub const GIT_HTTP_ORIGIN_ENV: &str = crate::env::BITBUCKET_GIT_HTTP_ORIGIN;
/// Where the step's clone is (artifacts are collected from there).
pub const CLONE_DIR_ENV: &str = crate::env::BITBUCKET_CLONE_DIR;
/// Overrides where the result files go.
pub const RESULTS_DIR_ENV: &str = crate::env::RESULTS_DIR;
/// The result file with `KEY=value` lines.
pub const RESULTS_ENV_FILE: &str = "gensync.env";
/// The result file with the outcome as JSON.
pub const RESULTS_JSON_FILE: &str = "gensync.json";
/// Bitbucket's variable sharing: `KEY=value` lines appended to this file are set in the later
/// steps, for the names the step lists under `output-variables`.
pub const SHARED_VARIABLES_ENV: &str = crate::env::BITBUCKET_PIPELINES_VARIABLES_PATH;

/// Whether gensync runs in a Bitbucket Pipelines step.
pub fn active() -> bool {
    std::env::var(BUILD_NUMBER_ENV).is_ok_and(|v| !v.trim().is_empty())
}

/// What the pipeline's variables give as defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Defaults {
    /// `workspace/slug` of the pipeline's repository, if both variables are set.
    pub repository: Option<String>,
    /// The build number, as the build id.
    pub build_id: String,
    /// `{origin}/pipelines/results/{build number}` (https), if the origin is set.
    pub build_url: Option<String>,
}

impl Defaults {
    /// The defaults, or `None` outside Pipelines (no `BITBUCKET_BUILD_NUMBER`).
    pub fn from_env(get: &dyn Fn(&str) -> Option<String>) -> Option<Defaults> {
        let set = |name: &str| {
            get(name)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        let build_id = set(BUILD_NUMBER_ENV)?;
        let repository = match (set(WORKSPACE_ENV), set(REPO_SLUG_ENV)) {
            (Some(w), Some(r)) => Some(format!("{w}/{r}")),
            _ => None,
        };
        let build_url = set(GIT_HTTP_ORIGIN_ENV).map(|origin| {
            let origin = match origin.strip_prefix("http://") {
                Some(rest) => format!("https://{rest}"),
                None => origin,
            };
            format!(
                "{}/pipelines/results/{build_id}",
                origin.trim_end_matches('/')
            )
        });
        Some(Defaults {
            repository,
            build_id,
            build_url,
        })
    }

    /// The value standing in for the settings variable `name` ([`crate::env`]).
    pub fn setting(&self, name: &str) -> Option<String> {
        match name {
            crate::env::PROVIDER => Some(
                crate::providers::spec::ProviderKind::Bitbucket
                    .name()
                    .into(),
            ),
            crate::env::REPOSITORY => self.repository.clone(),
            _ => None,
        }
    }
}

/// How a pipe variable maps to a `gensync sync` flag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VariableKind {
    /// `--flag VALUE`.
    Value,
    /// `--flag` when the value is `true`.
    Switch,
}

/// The pipe's variables: `(variable, flag, kind)`. Secrets are not among them: the binary
/// reads `BITBUCKET_ACCESS_TOKEN`, `BITBUCKET_APP_PASSWORD` and
/// `BITBUCKET_OAUTH_CLIENT_SECRET` from the environment itself.
pub const VARIABLES: &[(&str, &str, VariableKind)] = &[
    ("REPOSITORY", "repository", VariableKind::Value),
    ("OUTPUT", "output", VariableKind::Value),
    ("CONFIG", "config", VariableKind::Value),
    ("TARGET_DIR", "target-dir", VariableKind::Value),
    ("MESSAGE", "message", VariableKind::Value),
    ("BUILD_ID", "build-id", VariableKind::Value),
    ("BUILD_URL", "build-url", VariableKind::Value),
    ("STRATEGY", "strategy", VariableKind::Value),
    ("BRANCH", "branch", VariableKind::Value),
    ("BASE", "base", VariableKind::Value),
    ("API_URL", "api-url", VariableKind::Value),
    ("AUTHOR", "author", VariableKind::Value),
    ("IGNORE_FILE", "ignore-file", VariableKind::Value),
    ("IGNORED_TO", "ignored-to", VariableKind::Value),
    ("CONFLICTS", "conflicts", VariableKind::Value),
    ("REVIEWERS", "reviewers", VariableKind::Value),
    (
        crate::env::BITBUCKET_USERNAME,
        "username",
        VariableKind::Value,
    ),
    (
        crate::env::BITBUCKET_OAUTH_CLIENT_ID,
        "oauth-client-id",
        VariableKind::Value,
    ),
    ("OAUTH_TOKEN_URL", "oauth-token-url", VariableKind::Value),
    ("DRAFT", "draft", VariableKind::Switch),
    ("DRY_RUN", "dry-run", VariableKind::Switch),
    ("INIT_EMPTY", "init-empty", VariableKind::Switch),
    ("ALLOW_EMPTY", "allow-empty", VariableKind::Switch),
    ("DEBUG", "verbose", VariableKind::Switch),
];

/// `gensync sync --provider bitbucket` arguments from the pipe's variables (empty ones left
/// out; `REPOSITORY` defaults to the pipeline's repository through [`Defaults`]).
pub fn sync_args_from_env(get: impl Fn(&str) -> Option<String>) -> Vec<String> {
    let mut args = vec!["gensync".to_owned(), "sync".to_owned()];
    // A project file says where each service goes; in Pipelines the provider still defaults to
    // Bitbucket ([`Defaults`]), below the file.
    if get("CONFIG").is_none_or(|c| c.trim().is_empty()) {
        args.extend(["--provider".to_owned(), "bitbucket".to_owned()]);
    }
    for (variable, flag, kind) in VARIABLES {
        let Some(value) = get(variable).filter(|v| !v.trim().is_empty()) else {
            continue;
        };
        match kind {
            VariableKind::Switch => {
                if value.trim().eq_ignore_ascii_case("true") {
                    args.push(format!("--{flag}"));
                }
            }
            VariableKind::Value => {
                args.push(format!("--{flag}"));
                args.push(if *flag == "message" {
                    value
                } else {
                    value.trim().to_owned()
                });
            }
        }
    }
    args
}

/// The `KEY=value` lines of `gensync.env` for one outcome (values on one line each).
pub fn env_lines(o: &SyncOutcome) -> Vec<(String, String)> {
    super::github_actions::output_values(o)
        .into_iter()
        .map(|(k, v)| {
            (
                format!("GENSYNC_{}", k.to_uppercase().replace('-', "_")),
                v.replace(['\n', '\r'], " "),
            )
        })
        .collect()
}

/// The text appended to `$BITBUCKET_PIPELINES_VARIABLES_PATH`: one `KEY=value` line per value
/// of every outcome in turn (the last one standing, as Pipelines keeps the last write). Values
/// are written as they are (Pipelines takes the rest of the line), on one line each.
pub fn shared_variables(outcomes: &[SyncOutcome]) -> String {
    outcomes
        .iter()
        .flat_map(env_lines)
        .map(|(k, v)| format!("{k}={v}\n"))
        .collect()
}

/// Where the result files go.
pub fn results_dir() -> PathBuf {
    std::env::var(RESULTS_DIR_ENV)
        .ok()
        .filter(|v| !v.trim().is_empty())
        .or_else(|| {
            std::env::var(CLONE_DIR_ENV)
                .ok()
                .filter(|v| !v.trim().is_empty())
        })
        .map_or_else(|| PathBuf::from("."), PathBuf::from)
}

/// Writes `gensync.env` (the last outcome's values; with several targets, each target's values
/// in turn, the last one standing, as in GitHub Actions) and `gensync.json` (every outcome).
pub fn write_results(outcomes: &[SyncOutcome]) -> anyhow::Result<PathBuf> {
    let dir = results_dir();
    let env_path = dir.join(RESULTS_ENV_FILE);
    let mut env = std::fs::File::create(&env_path)
        .with_context(|| format!("cannot write {}", env_path.display()))?;
    for o in outcomes {
        for (k, v) in env_lines(o) {
            // Shell-quoted, so that `source gensync.env` works with any value.
            writeln!(env, "{k}='{}'", v.replace('\'', "'\\''"))?;
        }
    }
    let json_path = dir.join(RESULTS_JSON_FILE);
    let json = match outcomes {
        [one] => serde_json::to_string_pretty(one)?,
        _ => serde_json::to_string_pretty(outcomes)?,
    };
    std::fs::write(&json_path, json + "\n")
        .with_context(|| format!("cannot write {}", json_path.display()))?;
    if let Some(shared) = std::env::var_os(SHARED_VARIABLES_ENV).filter(|v| !v.is_empty()) {
        let shared = PathBuf::from(shared);
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&shared)
            .and_then(|mut f| f.write_all(shared_variables(outcomes).as_bytes()))
            .with_context(|| {
                format!(
                    "cannot append the output variables to {} (${SHARED_VARIABLES_ENV})",
                    shared.display()
                )
            })?;
    }
    Ok(dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The repository's `bitbucket/pipe.yml`, parsed.
    fn pipe_yml() -> yaml_rust2::Yaml {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../bitbucket/pipe.yml");
        let text = std::fs::read_to_string(path).expect("bitbucket/pipe.yml");
        yaml_rust2::YamlLoader::load_from_str(&text)
            .expect("valid YAML")
            .remove(0)
    }

    fn env(vars: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |k| {
            vars.iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn defaults_come_from_the_pipeline() {
        let d = Defaults::from_env(&env(&[
            ("BITBUCKET_BUILD_NUMBER", "42"),
            ("BITBUCKET_WORKSPACE", "acme"),
            ("BITBUCKET_REPO_SLUG", "app"),
            ("BITBUCKET_GIT_HTTP_ORIGIN", "http://bitbucket.org/acme/app"),
        ]))
        .expect("in Pipelines");
        assert_eq!(d.repository.as_deref(), Some("acme/app"));
        assert_eq!(d.build_id, "42");
        assert_eq!(
            d.build_url.as_deref(),
            Some("https://bitbucket.org/acme/app/pipelines/results/42")
        );
        assert_eq!(
            d.setting(crate::env::PROVIDER).as_deref(),
            Some("bitbucket")
        );
        assert_eq!(
            Defaults::from_env(&env(&[("BITBUCKET_WORKSPACE", "acme")])),
            None
        );
    }

    #[test]
    fn pipe_variables_become_flags() {
        let args = sync_args_from_env(env(&[
            ("OUTPUT", "dist"),
            ("MESSAGE", "Build 7\n\nbody"),
            ("DRAFT", "true"),
            ("DRY_RUN", "false"),
            ("BASE", " "),
            ("BITBUCKET_USERNAME", "bot"),
        ]));
        assert_eq!(
            args,
            [
                "gensync",
                "sync",
                "--provider",
                "bitbucket",
                "--output",
                "dist",
                "--message",
                "Build 7\n\nbody",
                "--username",
                "bot",
                "--draft"
            ]
        );
    }

    #[test]
    fn with_a_config_the_file_and_the_pipeline_choose_the_provider() {
        let args = sync_args_from_env(env(&[
            ("CONFIG", "gensync.toml"),
            ("MESSAGE", "Build 7"),
            ("STRATEGY", ""),
        ]));
        assert_eq!(
            args,
            [
                "gensync",
                "sync",
                "--config",
                "gensync.toml",
                "--message",
                "Build 7"
            ]
        );
    }

    /// No setting of pipe.yml has a default of its own: a default passed as a flag would
    /// override the project file (flag > environment > file > default).
    #[test]
    fn pipe_yml_sets_no_default_that_would_override_the_project_file() {
        let doc = &pipe_yml();
        for v in doc["variables"].as_vec().expect("a list of variables") {
            let name = v["name"].as_str().expect("a name");
            let default = v["default"].as_str().unwrap_or_default();
            assert!(
                default.is_empty() || default == "false",
                "{name} defaults to {default:?}"
            );
        }
    }

    /// Atlassian's convention: every variable says what it is, its default and whether it is
    /// required.
    #[test]
    fn pipe_yml_describes_every_variable() {
        let doc = &pipe_yml();
        for v in doc["variables"].as_vec().expect("a list of variables") {
            let name = v["name"].as_str().expect("a name");
            let description = v["description"].as_str().unwrap_or_default();
            assert!(description.len() > 10, "{name} has no description");
            assert!(
                v["required"].as_bool().is_some(),
                "{name}: required missing"
            );
            assert!(v["default"].as_str().is_some(), "{name}: default missing");
        }
        let required: Vec<&str> = doc["variables"]
            .as_vec()
            .unwrap()
            .iter()
            .filter(|v| v["required"].as_bool() == Some(true))
            .filter_map(|v| v["name"].as_str())
            .collect();
        assert_eq!(required, ["MESSAGE"]);
    }

    /// The output variables pipe.yml tells users to list under `output-variables` are exactly
    /// the names gensync writes (the GitHub outputs, as `GENSYNC_*`).
    #[test]
    fn pipe_yml_lists_the_shared_output_variables() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../bitbucket/pipe.yml");
        let text = std::fs::read_to_string(path).expect("bitbucket/pipe.yml");
        let header: String = text
            .lines()
            .take_while(|l| l.starts_with('#'))
            .collect::<Vec<_>>()
            .join(" ");
        let (_, listed) = header
            .split_once("`output-variables` (")
            .expect("the output variables are listed");
        let listed: Vec<&str> = listed
            .split(')')
            .next()
            .unwrap()
            .split(|c: char| c == ',' || c.is_whitespace() || c == '#')
            .filter(|w| !w.is_empty())
            .collect();
        let written: Vec<String> = super::super::github_actions::OUTPUTS
            .iter()
            .map(|o| format!("GENSYNC_{}", o.to_uppercase().replace('-', "_")))
            .collect();
        assert_eq!(listed, written);
    }

    /// bitbucket/pipe.yml declares exactly the variables the binary reads, plus the secrets
    /// and the results folder it reads from the environment itself.
    #[test]
    fn pipe_yml_matches_the_binary() {
        let doc = &pipe_yml();
        let mut declared: Vec<String> = doc["variables"]
            .as_vec()
            .expect("a list of variables")
            .iter()
            .map(|v| v["name"].as_str().expect("a name").to_owned())
            .collect();
        declared.sort();
        let mut read: Vec<String> = VARIABLES.iter().map(|(v, _, _)| v.to_string()).collect();
        read.extend(
            [
                "BITBUCKET_ACCESS_TOKEN",
                "BITBUCKET_APP_PASSWORD",
                "BITBUCKET_OAUTH_CLIENT_SECRET",
                RESULTS_DIR_ENV,
            ]
            .map(String::from),
        );
        read.sort();
        assert_eq!(declared, read, "pipe.yml variables vs VARIABLES");
    }
}
