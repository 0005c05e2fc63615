//! What a `gensync sync` does, resolved once from its sources: flags, then the environment
//! ([`crate::env`]), then the project file ([`crate::config`]), then built-in defaults.
//!
//! No I/O here (uv's `settings.rs`): the caller reads the environment (a lookup function) and the
//! file, and gets back a [`Plan`]: the sync targets, each one repository and branch with the
//! services committed together (one commit, one pull request).
//!
//! Rules:
//! - Project-level settings (provider, repository, base, strategy, branch, author, commit mode)
//!   take the first of: flag, environment variable, `[project]` key, default.
//! - A service's own `provider`/`repository`/`branch` keys override the project value for that
//!   service, whatever its source: they are explicit per-service choices. A service that changes
//!   the provider must name its repository too.
//! - Without `--config` there is one service, from `--output`, `--target-dir`, `--service`,
//!   `--ignore-file`. With it, those come from the file (the flags are refused) and `--service`
//!   selects services by name.
//! - Services with the same provider, repository, base and rendered branch are one target.
//! - Paths written in the file are relative to its folder; paths in flags and the environment
//!   to the working directory.

use std::fmt;
use std::path::PathBuf;

use clap::ValueEnum;
use gensync_core::payload::github::Signature;

use crate::cli::{ProviderKind, Strategy, SyncArgs};
use crate::config::{self, Loaded};
use crate::env;
use crate::providers::github::CommitMode;

/// Errors resolving settings.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A value from a flag or the environment is not valid.
    #[error("{source_name}: {message}")]
    Invalid {
        /// `--strategy`, `GENSYNC_STRATEGY`, …
        source_name: String,
        /// What is wrong.
        message: String,
    },
    /// A required setting has no value anywhere.
    #[error("{0}")]
    Missing(String),
    /// Flags that cannot be combined.
    #[error("{0}")]
    Conflict(String),
    /// A problem in the project file.
    #[error(transparent)]
    File(#[from] config::Error),
}

/// Where a value came from.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case", tag = "kind")]
pub enum Source {
    /// A command-line flag.
    Flag {
        /// `--name`.
        flag: String,
    },
    /// An environment variable.
    Env {
        /// Its name.
        name: String,
    },
    /// The project file.
    File {
        /// 1-based line.
        line: usize,
    },
    /// Built in.
    Default,
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Flag { flag } => write!(f, "flag {flag}"),
            Source::Env { name } => write!(f, "environment {name}"),
            Source::File { line } => write!(f, "project file line {line}"),
            Source::Default => write!(f, "default"),
        }
    }
}

/// A resolved value and its source.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Value<T> {
    /// The value.
    pub value: T,
    /// Where it came from.
    pub source: Source,
}

impl<T> Value<T> {
    fn new(value: T, source: Source) -> Self {
        Value { value, source }
    }
}

/// The raw flag values settings are resolved from (what `gensync sync` and `gensync config
/// check` were given).
#[derive(Debug, Clone, Default)]
pub struct Flags {
    /// `--provider`.
    pub provider: Option<ProviderKind>,
    /// `--repository`.
    pub repository: Option<String>,
    /// `--base`.
    pub base: Option<String>,
    /// `--strategy`.
    pub strategy: Option<Strategy>,
    /// `--branch`.
    pub branch: Option<String>,
    /// `--author`.
    pub author: Option<String>,
    /// `--commit-mode`.
    pub commit_mode: Option<CommitMode>,
    /// `--build-id`.
    pub build_id: Option<String>,
    /// `--service` (repeatable).
    pub services: Vec<String>,
    /// `--output`.
    pub output: Option<PathBuf>,
    /// `--target-dir` (empty: not given).
    pub target_dir: String,
    /// `--ignore-file`.
    pub ignore_file: Option<PathBuf>,
}

impl From<&SyncArgs> for Flags {
    fn from(a: &SyncArgs) -> Self {
        Flags {
            provider: a.provider,
            repository: a.repository.clone(),
            base: a.base.clone(),
            strategy: a.strategy,
            branch: a.branch.clone(),
            author: a.author.clone(),
            commit_mode: a.commit_mode,
            build_id: a.build_id.clone(),
            services: a.service.clone(),
            output: a.output.clone(),
            target_dir: a.change.target_dir.clone(),
            ignore_file: a.change.ignore_file.clone(),
        }
    }
}

/// One service of a target.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ServicePlan {
    /// Its name (`None` for a single unnamed service from flags).
    pub name: Option<String>,
    /// The build output folder.
    pub output: PathBuf,
    /// The repository folder it maps to (`""`: the root).
    pub target_dir: String,
    /// A local ignore file added to the repository's own.
    pub ignore_file: Option<PathBuf>,
}

/// One repository and branch: one commit and one pull request per sync.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Target {
    /// The provider.
    pub provider: Value<ProviderKind>,
    /// `OWNER/REPO`, or the repository's path for `local`.
    pub repository: Value<String>,
    /// The base branch (`None`: the repository's default branch).
    pub base: Value<Option<String>>,
    /// The branch strategy.
    pub strategy: Value<Strategy>,
    /// The sync branch (rendered).
    pub branch: Value<String>,
    /// Author and committer (`None`: the provider's default).
    pub author: Value<Option<Signature>>,
    /// How GitHub commits are made.
    pub commit_mode: Value<CommitMode>,
    /// The services committed together.
    pub services: Vec<ServicePlan>,
}

/// Every target of a sync.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Plan {
    /// The targets, in the order of their first service.
    pub targets: Vec<Target>,
}

fn parse_enum<T: ValueEnum>(text: &str) -> Result<T, String> {
    T::from_str(text.trim(), true).map_err(|_| {
        let names: Vec<String> = T::value_variants()
            .iter()
            .filter_map(|v| v.to_possible_value().map(|p| p.get_name().to_owned()))
            .collect();
        format!("{:?} is not one of {}", text.trim(), names.join(", "))
    })
}

fn parse_author(text: &str) -> Result<Signature, String> {
    Signature::parse(text).ok_or_else(|| format!("{text:?} is not \"Name <email>\""))
}

/// One project-level setting: flag > environment > `[project]` > default.
fn pick<T: Clone>(
    flag: (Option<&T>, &str),
    env_name: &str,
    env: &dyn Fn(&str) -> Option<String>,
    file: Option<(&Loaded, &toml::Spanned<String>)>,
    key: &str,
    parse: impl Fn(&str) -> Result<T, String>,
) -> Result<Option<Value<T>>, Error> {
    if let Some(v) = flag.0 {
        return Ok(Some(Value::new(
            v.clone(),
            Source::Flag {
                flag: flag.1.to_owned(),
            },
        )));
    }
    if let Some(text) = env(env_name).filter(|v| !v.trim().is_empty()) {
        let v = parse(&text).map_err(|message| Error::Invalid {
            source_name: env_name.to_owned(),
            message,
        })?;
        return Ok(Some(Value::new(
            v,
            Source::Env {
                name: env_name.to_owned(),
            },
        )));
    }
    if let Some((l, s)) = file {
        let v = parse(s.get_ref()).map_err(|m| l.invalid(&s.span(), key, m))?;
        return Ok(Some(Value::new(
            v,
            Source::File {
                line: l.line(&s.span()),
            },
        )));
    }
    Ok(None)
}

/// Resolve the plan from `flags`, the environment (`env` looks a variable up) and the project
/// file.
pub fn resolve(
    flags: &Flags,
    env: &dyn Fn(&str) -> Option<String>,
    file: Option<&Loaded>,
) -> Result<Plan, Error> {
    let at = |get: fn(&config::Project) -> Option<&toml::Spanned<String>>| {
        file.and_then(|l| get(&l.file.project).map(|s| (l, s)))
    };
    let provider = pick(
        (flags.provider.as_ref(), "--provider"),
        env::PROVIDER,
        env,
        at(|p| p.provider.as_ref()),
        "project.provider",
        parse_enum::<ProviderKind>,
    )?
    .unwrap_or(Value::new(ProviderKind::Github, Source::Default));
    let keep = |s: &str| Ok(s.trim().to_owned());
    let repository = pick(
        (flags.repository.as_ref(), "--repository"),
        env::REPOSITORY,
        env,
        at(|p| p.repository.as_ref()),
        "project.repository",
        keep,
    )?
    .or_else(|| {
        // In GitHub Actions the workflow's own repository is the natural default (below the
        // project file, so a `gensync.toml` naming another repository wins).
        (provider.value == ProviderKind::Github)
            .then(|| env(env::GITHUB_REPOSITORY))
            .flatten()
            .filter(|r| !r.trim().is_empty())
            .map(|r| {
                Value::new(
                    r.trim().to_owned(),
                    Source::Env {
                        name: env::GITHUB_REPOSITORY.into(),
                    },
                )
            })
    });
    let base = pick(
        (flags.base.as_ref(), "--base"),
        env::BASE,
        env,
        at(|p| p.base.as_ref()),
        "project.base",
        keep,
    )?;
    let strategy = pick(
        (flags.strategy.as_ref(), "--strategy"),
        env::STRATEGY,
        env,
        at(|p| p.strategy.as_ref()),
        "project.strategy",
        parse_enum::<Strategy>,
    )?
    .unwrap_or(Value::new(Strategy::Single, Source::Default));
    let branch = pick(
        (flags.branch.as_ref(), "--branch"),
        env::BRANCH,
        env,
        at(|p| p.branch.as_ref()),
        "project.branch",
        keep,
    )?;
    let author = match &flags.author {
        Some(a) => Some(Value::new(
            parse_author(a).map_err(|message| Error::Invalid {
                source_name: "--author".into(),
                message,
            })?,
            Source::Flag {
                flag: "--author".into(),
            },
        )),
        None => pick(
            (None, "--author"),
            env::AUTHOR,
            env,
            at(|p| p.author.as_ref()),
            "project.author",
            parse_author,
        )?,
    };
    let commit_mode = pick(
        (flags.commit_mode.as_ref(), "--commit-mode"),
        env::COMMIT_MODE,
        env,
        at(|p| p.commit_mode.as_ref()),
        "project.commit-mode",
        parse_enum::<CommitMode>,
    )?
    .unwrap_or(Value::new(CommitMode::Rest, Source::Default));
    let branch_template = branch.unwrap_or_else(|| {
        let t = match strategy.value {
            Strategy::Single => gensync_core::branch::SINGLE,
            Strategy::PerBuild => gensync_core::branch::PER_BUILD,
        };
        Value::new(t.to_owned(), Source::Default)
    });

    // The services, each with its own provider, repository and branch template.
    struct Resolved {
        provider: Value<ProviderKind>,
        repository: Value<String>,
        template: Value<String>,
        service: ServicePlan,
    }
    let missing_repository = || {
        Error::Missing(format!(
            "no repository: pass --repository (OWNER/REPO, or a path with --provider local), set {}, \
             or set `repository` in the [project] table of gensync.toml (GitHub Actions: the \
             workflow's repository, {}, is the default)",
            env::REPOSITORY,
            env::GITHUB_REPOSITORY
        ))
    };
    let mut resolved = Vec::new();
    match file {
        None => {
            if flags.services.len() > 1 {
                return Err(Error::Conflict(
                    "--service names one service without --config; to sync several, list them in gensync.toml".into(),
                ));
            }
            let output = flags.output.clone().ok_or_else(|| {
                Error::Missing(
                    "--output DIR is required (or --config gensync.toml listing the services)"
                        .into(),
                )
            })?;
            resolved.push(Resolved {
                provider: provider.clone(),
                repository: repository.clone().ok_or_else(missing_repository)?,
                template: branch_template.clone(),
                service: ServicePlan {
                    name: flags.services.first().cloned(),
                    output,
                    target_dir: normalise_target_dir(&flags.target_dir).map_err(|message| {
                        Error::Invalid {
                            source_name: "--target-dir".into(),
                            message,
                        }
                    })?,
                    ignore_file: flags.ignore_file.clone(),
                },
            });
        }
        Some(l) => {
            for (given, flag) in [
                (flags.output.is_some(), "--output"),
                (!flags.target_dir.is_empty(), "--target-dir"),
                (flags.ignore_file.is_some(), "--ignore-file"),
            ] {
                if given {
                    return Err(Error::Conflict(format!(
                        "{flag} cannot be combined with --config: set it per service in {}",
                        l.path.display()
                    )));
                }
            }
            let names: Vec<&str> = l
                .file
                .services
                .iter()
                .map(|s| s.name.get_ref().as_str())
                .collect();
            for wanted in &flags.services {
                if !names.contains(&wanted.as_str()) {
                    return Err(Error::Invalid {
                        source_name: "--service".into(),
                        message: format!(
                            "{wanted:?} is not a service of {} (it has: {})",
                            l.path.display(),
                            names.join(", ")
                        ),
                    });
                }
            }
            for s in &l.file.services {
                let name = s.name.get_ref();
                if !flags.services.is_empty() && !flags.services.contains(name) {
                    continue;
                }
                let file_line = |sp: &toml::Spanned<String>| Source::File {
                    line: l.line(&sp.span()),
                };
                let own_provider = match &s.provider {
                    Some(p) => Some(Value::new(
                        parse_enum::<ProviderKind>(p.get_ref())
                            .map_err(|m| l.invalid(&p.span(), "service.provider", m))?,
                        file_line(p),
                    )),
                    None => None,
                };
                let repo = match (&s.repository, &own_provider) {
                    (Some(r), _) => Value::new(r.get_ref().trim().to_owned(), file_line(r)),
                    (None, Some(p)) if p.value != provider.value => {
                        return Err(l
                            .invalid(
                                &s.provider.as_ref().expect("own provider").span(),
                                "service.provider",
                                format!(
                                    "service {name:?} moves to another provider but names no `repository` for it"
                                ),
                            )
                            .into())
                    }
                    (None, _) => repository.clone().ok_or_else(missing_repository)?,
                };
                // A local repository path written in the file is relative to the file.
                let provider_value = own_provider.unwrap_or_else(|| provider.clone());
                let repo = if provider_value.value == ProviderKind::Local
                    && matches!(repo.source, Source::File { .. })
                {
                    Value::new(
                        l.resolve_path(&repo.value).to_string_lossy().into_owned(),
                        repo.source,
                    )
                } else {
                    repo
                };
                let template = match &s.branch {
                    Some(b) => Value::new(b.get_ref().trim().to_owned(), file_line(b)),
                    None => branch_template.clone(),
                };
                let target_dir = match &s.target_dir {
                    Some(t) => normalise_target_dir(t.get_ref())
                        .map_err(|m| l.invalid(&t.span(), "service.target-dir", m))?,
                    None => String::new(),
                };
                resolved.push(Resolved {
                    provider: provider_value,
                    repository: repo,
                    template,
                    service: ServicePlan {
                        name: Some(name.clone()),
                        output: l.resolve_path(s.output.get_ref()),
                        target_dir,
                        ignore_file: s.ignore_file.as_ref().map(|f| l.resolve_path(f.get_ref())),
                    },
                });
            }
        }
    }

    let mut targets: Vec<Target> = Vec::new();
    for r in resolved {
        if matches!(
            r.provider.value,
            ProviderKind::Github | ProviderKind::Bitbucket
        ) {
            let ok = r
                .repository
                .value
                .split_once('/')
                .is_some_and(|(o, n)| !o.is_empty() && !n.is_empty() && !n.contains('/'))
                // `./repo` and `~/repo` split in two, but no owner starts with `.` or `~`.
                && !r.repository.value.starts_with(['.', '/', '~']);
            if !ok {
                let mut message = match r.provider.value {
                    ProviderKind::Bitbucket => {
                        format!("{:?} is not WORKSPACE/REPO_SLUG", r.repository.value)
                    }
                    _ => format!("{:?} is not OWNER/REPO", r.repository.value),
                };
                if looks_like_a_path(&r.repository.value) {
                    message.push_str(
                        "; for a repository on disk, add --provider local (or `provider = \"local\"` in gensync.toml)",
                    );
                }
                return Err(Error::Invalid {
                    source_name: format!("repository ({})", r.repository.source),
                    message,
                });
            }
        }
        let rendered = gensync_core::branch::render(
            &r.template.value,
            flags.build_id.as_deref(),
            r.service.name.as_deref(),
        )
        .map_err(|e| Error::Invalid {
            source_name: format!("branch ({})", r.template.source),
            message: e.to_string(),
        })?;
        let branch = Value::new(rendered, r.template.source.clone());
        let base_value = Value::new(
            base.as_ref().map(|b| b.value.clone()),
            base.as_ref().map_or(Source::Default, |b| b.source.clone()),
        );
        let same = |t: &Target| {
            t.provider.value == r.provider.value
                && t.repository.value == r.repository.value
                && t.branch.value == branch.value
        };
        match targets.iter_mut().find(|t| same(t)) {
            Some(t) => {
                if let Some(other) = t
                    .services
                    .iter()
                    .find(|s| s.target_dir == r.service.target_dir)
                {
                    return Err(Error::Conflict(format!(
                        "services {} and {} both map to target dir {:?} of {} on branch {}: \
                         give each its own target-dir (each keeps its own manifest there)",
                        other.name.as_deref().unwrap_or("?"),
                        r.service.name.as_deref().unwrap_or("?"),
                        r.service.target_dir,
                        t.repository.value,
                        t.branch.value
                    )));
                }
                t.services.push(r.service);
            }
            None => targets.push(Target {
                provider: r.provider,
                repository: r.repository,
                base: base_value,
                strategy: strategy.clone(),
                branch,
                author: Value::new(
                    author.as_ref().map(|a| a.value.clone()),
                    author
                        .as_ref()
                        .map_or(Source::Default, |a| a.source.clone()),
                ),
                commit_mode: commit_mode.clone(),
                services: vec![r.service],
            }),
        }
    }
    Ok(Plan { targets })
}

fn normalise_target_dir(dir: &str) -> Result<String, String> {
    gensync_core::path::normalise_dir(dir).map_err(|e| e.to_string())
}

/// The plan as text, for `gensync config check`.
pub fn describe(plan: &Plan) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    for (i, t) in plan.targets.iter().enumerate() {
        let _ = writeln!(
            out,
            "target {}: {} {}  ({})",
            i + 1,
            t.provider
                .value
                .to_possible_value()
                .map(|p| p.get_name().to_owned())
                .unwrap_or_default(),
            t.repository.value,
            t.repository.source
        );
        let _ = writeln!(
            out,
            "  branch {}  ({}), base {}  ({})",
            t.branch.value,
            t.branch.source,
            t.base.value.as_deref().unwrap_or("<default branch>"),
            t.base.source
        );
        let _ = write!(
            out,
            "  author {}  ({})",
            t.author
                .value
                .as_ref()
                .map_or("<provider default>".to_owned(), |a| format!(
                    "{} <{}>",
                    a.name, a.email
                )),
            t.author.source,
        );
        if t.provider.value == ProviderKind::Github {
            let _ = write!(
                out,
                ", commit mode {}  ({})",
                t.commit_mode
                    .value
                    .to_possible_value()
                    .map(|p| p.get_name().to_owned())
                    .unwrap_or_default(),
                t.commit_mode.source
            );
        }
        let _ = writeln!(out);
        let _ = writeln!(
            out,
            "  one commit{}:",
            if t.provider.value == ProviderKind::Local {
                ""
            } else {
                " and one pull request"
            }
        );
        for s in &t.services {
            let _ = writeln!(
                out,
                "    service {}: {} -> {}{}",
                s.name.as_deref().unwrap_or("(unnamed)"),
                s.output.display(),
                if s.target_dir.is_empty() {
                    "/"
                } else {
                    &s.target_dir
                },
                s.ignore_file
                    .as_ref()
                    .map(|f| format!(" (ignore file {})", f.display()))
                    .unwrap_or_default()
            );
        }
    }
    out
}

/// Whether a `--repository` value names a directory rather than `OWNER/REPO`: it starts with
/// `.`, `/` or `~`, or is an existing directory.
fn looks_like_a_path(value: &str) -> bool {
    value.starts_with(['.', '/', '~']) || std::path::Path::new(value).is_dir()
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::path::Path;

    use clap::Parser;

    use super::*;
    use crate::cli::{Cli, Command};

    fn flags(argv: &[&str]) -> Flags {
        let mut full = vec!["gensync", "sync", "-m", "msg"];
        full.extend_from_slice(argv);
        match Cli::try_parse_from(full).expect("flags parse").command {
            Command::Sync(a) => Flags::from(a.as_ref()),
            _ => unreachable!("a sync command line"),
        }
    }

    fn env(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k| map.get(k).cloned()
    }

    fn file(text: &str) -> Loaded {
        config::parse(Path::new("proj/gensync.toml"), text.to_owned()).expect("valid file")
    }

    const THREE: &str = r#"
[project]
provider = "github"
repository = "acme/platform"
strategy = "single"

[[service]]
name = "orders"
output = "build/orders"
target-dir = "apps/orders"

[[service]]
name = "billing"
output = "build/billing"
target-dir = "apps/billing"

[[service]]
name = "docs"
output = "build/docs"
provider = "local"
repository = "../docs.git"
branch = "docs-{service}"
"#;

    #[test]
    fn flags_beat_environment_beat_file_beat_defaults() {
        let f = file(
            "[project]\nrepository = \"file/repo\"\nbase = \"develop\"\nstrategy = \"per-build\"\n\n[[service]]\nname = \"a\"\noutput = \"o\"\n",
        );
        let e = env(&[
            ("GENSYNC_REPOSITORY", "env/repo"),
            ("GENSYNC_BASE", "env-base"),
        ]);
        let plan = resolve(
            &flags(&["--repository", "flag/repo", "--build-id", "7"]),
            &e,
            Some(&f),
        )
        .unwrap();
        let t = &plan.targets[0];
        assert_eq!(t.repository.value, "flag/repo");
        assert_eq!(
            t.repository.source,
            Source::Flag {
                flag: "--repository".into()
            }
        );
        assert_eq!(t.base.value.as_deref(), Some("env-base"));
        assert_eq!(
            t.base.source,
            Source::Env {
                name: "GENSYNC_BASE".into()
            }
        );
        assert_eq!(t.strategy.value, Strategy::PerBuild);
        assert_eq!(t.strategy.source, Source::File { line: 4 });
        assert_eq!(t.branch.value, "amplication-build-7");
        assert_eq!(t.commit_mode.source, Source::Default);
        assert_eq!(t.provider.value, ProviderKind::Github);
        assert_eq!(t.services[0].output, Path::new("proj/o"));
    }

    #[test]
    fn services_sharing_a_repository_and_branch_are_one_target_and_overrides_their_own() {
        let plan = resolve(&flags(&[]), &env(&[]), Some(&file(THREE))).unwrap();
        assert_eq!(plan.targets.len(), 2);
        let shared = &plan.targets[0];
        assert_eq!(shared.repository.value, "acme/platform");
        assert_eq!(shared.branch.value, "amplication");
        let dirs: Vec<&str> = shared
            .services
            .iter()
            .map(|s| s.target_dir.as_str())
            .collect();
        assert_eq!(dirs, ["apps/orders", "apps/billing"]);
        let docs = &plan.targets[1];
        assert_eq!(docs.provider.value, ProviderKind::Local);
        assert_eq!(docs.repository.value, "proj/../docs.git");
        assert_eq!(docs.branch.value, "docs-docs");
        assert_eq!(docs.branch.source, Source::File { line: 22 });
        let text = describe(&plan);
        assert!(
            text.contains("service billing: proj/build/billing -> apps/billing"),
            "{text}"
        );
    }

    #[test]
    fn service_selection_and_flag_overrides_of_project_values() {
        let plan = resolve(
            &flags(&["--service", "billing", "--repository", "acme/test"]),
            &env(&[("GENSYNC_REPOSITORY", "ignored/by-flag")]),
            Some(&file(THREE)),
        )
        .unwrap();
        assert_eq!(plan.targets.len(), 1);
        assert_eq!(plan.targets[0].repository.value, "acme/test");
        assert_eq!(plan.targets[0].services.len(), 1);
        let err = resolve(
            &flags(&["--service", "nope"]),
            &env(&[]),
            Some(&file(THREE)),
        )
        .unwrap_err();
        assert!(err.to_string().contains("orders, billing, docs"), "{err}");
    }

    #[test]
    fn a_service_template_splits_branches() {
        let f = file("[project]\nrepository = \"a/b\"\nbranch = \"gen-{service}\"\n[[service]]\nname = \"x\"\noutput = \"o\"\n[[service]]\nname = \"y\"\noutput = \"p\"\n");
        let plan = resolve(&flags(&[]), &env(&[]), Some(&f)).unwrap();
        let branches: Vec<&str> = plan
            .targets
            .iter()
            .map(|t| t.branch.value.as_str())
            .collect();
        assert_eq!(branches, ["gen-x", "gen-y"]);
    }

    #[test]
    fn invalid_values_name_their_source() {
        let err = resolve(
            &flags(&["--output", "o", "--repository", "a/b"]),
            &env(&[("GENSYNC_STRATEGY", "weekly")]),
            None,
        )
        .unwrap_err();
        assert!(
            err.to_string()
                .starts_with("GENSYNC_STRATEGY: \"weekly\" is not one of single, per-build"),
            "{err}"
        );
        let f = file("[project]\nrepository = \"a/b\"\n\ncommit-mode = \"ftp\"\n[[service]]\nname = \"x\"\noutput = \"o\"\n");
        let err = resolve(&flags(&[]), &env(&[]), Some(&f))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("line 4")
                && err.contains("project.commit-mode")
                && err.contains("rest, graphql"),
            "{err}"
        );
        let f =
            file("[project]\nprovider = \"gitlab\"\n[[service]]\nname = \"x\"\noutput = \"o\"\n");
        let err = resolve(&flags(&[]), &env(&[]), Some(&f))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("line 2") && err.contains("\"gitlab\""),
            "{err}"
        );
        let err = resolve(
            &flags(&["--output", "o", "--repository", "nope"]),
            &env(&[]),
            None,
        )
        .unwrap_err();
        assert!(err.to_string().contains("not OWNER/REPO"), "{err}");
        assert!(!err.to_string().contains("--provider local"), "{err}");
        for path in ["./repo", "/srv/repo", "~/repo"] {
            let err = resolve(
                &flags(&["--output", "o", "--repository", path]),
                &env(&[]),
                None,
            )
            .unwrap_err()
            .to_string();
            assert!(
                err.contains("not OWNER/REPO") && err.contains("add --provider local"),
                "{err}"
            );
        }
        let f = file("[project]\nrepository = \"a/b\"\n[[service]]\nname = \"x\"\noutput = \"o\"\nprovider = \"local\"\n");
        let err = resolve(&flags(&[]), &env(&[]), Some(&f))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("line 6") && err.contains("names no `repository`"),
            "{err}"
        );
        let f = file("[project]\nauthor = \"nobody\"\nrepository = \"a/b\"\n[[service]]\nname = \"x\"\noutput = \"o\"\n");
        let err = resolve(&flags(&[]), &env(&[]), Some(&f))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("line 2") && err.contains("project.author"),
            "{err}"
        );
    }

    #[test]
    fn flags_that_belong_to_services_are_refused_with_a_file_and_required_without() {
        let err = resolve(&flags(&["--output", "x"]), &env(&[]), Some(&file(THREE))).unwrap_err();
        assert!(err
            .to_string()
            .contains("--output cannot be combined with --config"));
        let err = resolve(&flags(&["--repository", "a/b"]), &env(&[]), None).unwrap_err();
        assert!(err.to_string().contains("--output DIR is required"));
        let err = resolve(&flags(&["--output", "o"]), &env(&[]), None).unwrap_err();
        assert!(err.to_string().contains("no repository"));
        let f = file("[project]\nrepository = \"a/b\"\n[[service]]\nname = \"x\"\noutput = \"o\"\n[[service]]\nname = \"y\"\noutput = \"p\"\n");
        let err = resolve(&flags(&[]), &env(&[]), Some(&f)).unwrap_err();
        assert!(err.to_string().contains("both map to target dir"), "{err}");
    }
}
