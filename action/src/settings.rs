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
use crate::providers::spec::{self, ProviderSpec, RepositoryError};

/// Errors resolving settings. Each names the culprit: the value and where it came from.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A value from a flag or the environment is not valid.
    #[error("{source_name}: {message}")]
    Invalid {
        /// `--strategy`, `GENSYNC_STRATEGY`, …
        source_name: String,
        /// The value as given.
        value: String,
        /// What is wrong.
        message: String,
    },
    /// A repository its provider's syntax refuses.
    #[error("repository ({origin}): {error}")]
    Repository {
        /// Where the value came from.
        origin: Source,
        /// The value and what it should look like.
        error: RepositoryError,
    },
    /// A branch template that does not render.
    #[error("branch ({origin}): {error}")]
    Branch {
        /// Where the template came from.
        origin: Source,
        /// The template's problem.
        error: gensync_core::branch::Error,
    },
    /// No repository anywhere.
    #[error(
        "no repository: pass --repository (OWNER/REPO, or a path with --provider local), set {}, \
         or set `repository` in the [project] table of gensync.toml (GitHub Actions: the \
         workflow's repository, {}, is the default)",
        env::REPOSITORY,
        env::GITHUB_REPOSITORY
    )]
    MissingRepository,
    /// No build output without a project file.
    #[error("{output} is required (or {config} listing the services)")]
    MissingOutput {
        /// `--output DIR`, or the action input.
        output: String,
        /// `--config gensync.toml`, or the action input.
        config: String,
    },
    /// Several `--service` flags without a project file.
    #[error(
        "--service names one service without --config; to sync several, list them in gensync.toml"
    )]
    SeveralServicesWithoutConfig {
        /// The names given.
        names: Vec<String>,
    },
    /// A per-service flag given with `--config`.
    #[error("{flag} cannot be combined with {config}: set it per service in {}", file.display())]
    FlagWithConfig {
        /// `--output`, `--target-dir`, `--ignore-file` (or their action inputs).
        flag: String,
        /// `--config` (or its action input).
        config: String,
        /// The project file.
        file: PathBuf,
    },
    /// `--service NAME` that the project file does not list.
    #[error("{flag}: {name:?} is not a service of {} (it has: {})", file.display(), known.join(", "))]
    UnknownService {
        /// `--service` (or its action input).
        flag: String,
        /// The name given.
        name: String,
        /// The project file.
        file: PathBuf,
        /// The services it has.
        known: Vec<String>,
    },
    /// Two services of one target mapping to the same folder.
    #[error(
        "services {} and {} both map to target dir {target_dir:?} of {repository} on branch {branch}: \
         give each its own target-dir (each keeps its own manifest there)",
        first.as_deref().unwrap_or("?"),
        second.as_deref().unwrap_or("?")
    )]
    SharedTargetDir {
        /// The first service.
        first: Option<String>,
        /// The second.
        second: Option<String>,
        /// The folder both map to.
        target_dir: String,
        /// The repository.
        repository: String,
        /// The branch.
        branch: String,
    },
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
    /// An input of the GitHub Action (`with: repository`), which the action passes as a flag.
    Input {
        /// The input's name.
        input: String,
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
            Source::Input { input } => write!(f, "action input `with: {input}`"),
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

/// Who wrote the flags: a person (or script) on the command line, or the GitHub Action, which
/// turns its inputs into flags. Errors and sources name what the user wrote.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum FlagOrigin {
    /// The command line: errors name `--flag`.
    #[default]
    CommandLine,
    /// The GitHub Action's inputs: errors name `with: input`.
    ActionInputs,
}

impl FlagOrigin {
    /// Where a value given as `flag` (`--target-dir`) came from.
    pub fn source(self, flag: &str) -> Source {
        match self {
            FlagOrigin::CommandLine => Source::Flag {
                flag: flag.to_owned(),
            },
            FlagOrigin::ActionInputs => Source::Input {
                input: flag.trim_start_matches('-').to_owned(),
            },
        }
    }

    /// How a message names `flag`: `--target-dir`, or ``action input `with: target-dir` ``.
    pub fn name(self, flag: &str) -> String {
        match self {
            FlagOrigin::CommandLine => flag.to_owned(),
            origin => origin.source(flag).to_string(),
        }
    }
}

/// The raw flag values settings are resolved from (what `gensync sync` and `gensync config
/// check` were given).
#[derive(Debug, Clone, Default)]
pub struct Flags {
    /// Who wrote them.
    pub origin: FlagOrigin,
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
            origin: FlagOrigin::CommandLine,
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

fn keep(text: &str) -> Result<String, String> {
    Ok(text.trim().to_owned())
}

/// The environment settings read: a lookup function (the process's variables, or a test's).
pub type Env<'a> = &'a dyn Fn(&str) -> Option<String>;

/// The first of `names` set to a non-blank value, trimmed (a variable set but empty counts as
/// unset: CI systems pass unset inputs as empty strings).
pub fn first_set(names: &[&str], env: Env<'_>) -> Option<String> {
    names
        .iter()
        .filter_map(|name| env(name))
        .map(|v| v.trim().to_owned())
        .find(|v| !v.is_empty())
}

/// A provider's API root: `--api-url`, else the spec's variable, else its default (`None`: the
/// provider has no API).
pub fn api_url(spec: &ProviderSpec, flag: Option<&str>, env: Env<'_>) -> Option<String> {
    let api = spec.api_url?;
    Some(
        flag.map(str::to_owned)
            .or_else(|| env(api.env).filter(|v| !v.trim().is_empty()))
            .unwrap_or_else(|| api.default.to_owned()),
    )
}

/// The environment with a CI system's defaults below it: Bitbucket Pipelines' variables stand
/// in for unset settings ([`crate::ci::bitbucket_pipelines::Defaults::setting`]).
pub fn with_ci_defaults<'a>(
    env: Env<'a>,
    pipelines: Option<&'a crate::ci::bitbucket_pipelines::Defaults>,
) -> impl Fn(&str) -> Option<String> + 'a {
    move |name| env(name).or_else(|| pipelines.and_then(|d| d.setting(name)))
}

/// The build's identity for the commit message: the flags, else the CI system's (Bitbucket
/// Pipelines' build number and results page).
pub fn build_info(
    args: &SyncArgs,
    pipelines: Option<&crate::ci::bitbucket_pipelines::Defaults>,
) -> gensync_core::message::BuildInfo {
    gensync_core::message::BuildInfo {
        message: args.message.clone(),
        build_id: args
            .build_id
            .clone()
            .or_else(|| pipelines.map(|d| d.build_id.clone())),
        build_url: args
            .build_url
            .clone()
            .or_else(|| pipelines.and_then(|d| d.build_url.clone())),
    }
}

/// Where one project-level setting is given: its flag, variable and `[project]` key.
struct Names {
    flag: &'static str,
    env: &'static str,
    key: &'static str,
    get: fn(&config::Project) -> Option<&toml::Spanned<String>>,
}

const PROVIDER: Names = Names {
    flag: "--provider",
    env: env::PROVIDER,
    key: "project.provider",
    get: |p| p.provider.as_ref(),
};
const REPOSITORY: Names = Names {
    flag: "--repository",
    env: env::REPOSITORY,
    key: "project.repository",
    get: |p| p.repository.as_ref(),
};
const BASE: Names = Names {
    flag: "--base",
    env: env::BASE,
    key: "project.base",
    get: |p| p.base.as_ref(),
};
const STRATEGY: Names = Names {
    flag: "--strategy",
    env: env::STRATEGY,
    key: "project.strategy",
    get: |p| p.strategy.as_ref(),
};
const BRANCH: Names = Names {
    flag: "--branch",
    env: env::BRANCH,
    key: "project.branch",
    get: |p| p.branch.as_ref(),
};
const AUTHOR: Names = Names {
    flag: "--author",
    env: env::AUTHOR,
    key: "project.author",
    get: |p| p.author.as_ref(),
};
const COMMIT_MODE: Names = Names {
    flag: "--commit-mode",
    env: env::COMMIT_MODE,
    key: "project.commit-mode",
    get: |p| p.commit_mode.as_ref(),
};

/// What project-level settings are read from besides flags.
struct Sources<'a> {
    origin: FlagOrigin,
    env: Env<'a>,
    file: Option<&'a Loaded>,
}

impl Sources<'_> {
    /// flag > environment > `[project]`; `None` when none gives it. A flag's value is parsed
    /// by `parse` too when it is text (`--author`).
    fn pick<T: Clone>(
        &self,
        flag: Option<&T>,
        names: &Names,
        parse: impl Fn(&str) -> Result<T, String>,
    ) -> Result<Option<Value<T>>, Error> {
        if let Some(v) = flag {
            return Ok(Some(Value::new(v.clone(), self.origin.source(names.flag))));
        }
        if let Some(text) = (self.env)(names.env).filter(|v| !v.trim().is_empty()) {
            let v = parse(&text).map_err(|message| Error::Invalid {
                source_name: names.env.to_owned(),
                value: text.clone(),
                message,
            })?;
            let name = names.env.to_owned();
            return Ok(Some(Value::new(v, Source::Env { name })));
        }
        let Some((l, s)) = self
            .file
            .and_then(|l| (names.get)(&l.file.project).map(|s| (l, s)))
        else {
            return Ok(None);
        };
        let v = parse(s.get_ref()).map_err(|m| l.invalid(&s.span(), names.key, m))?;
        let line = l.line(&s.span());
        Ok(Some(Value::new(v, Source::File { line })))
    }

    /// `--author` (text, parsed here), else the environment or the file.
    fn author(&self, flag: Option<&String>) -> Result<Option<Value<Signature>>, Error> {
        let Some(a) = flag else {
            return self.pick(None, &AUTHOR, parse_author);
        };
        let author = parse_author(a).map_err(|message| Error::Invalid {
            source_name: self.origin.name(AUTHOR.flag),
            value: a.clone(),
            message,
        })?;
        Ok(Some(Value::new(author, self.origin.source(AUTHOR.flag))))
    }
}

/// The project-level settings, each from flag, environment, `[project]` or default.
struct Project {
    provider: Value<ProviderKind>,
    repository: Option<Value<String>>,
    base: Value<Option<String>>,
    strategy: Value<Strategy>,
    template: Value<String>,
    author: Value<Option<Signature>>,
    commit_mode: Value<CommitMode>,
}

fn or_default<T>(value: Option<Value<T>>) -> Value<Option<T>> {
    match value {
        Some(v) => Value::new(Some(v.value), v.source),
        None => Value::new(None, Source::Default),
    }
}

/// Step 1: the project-level settings.
fn project(flags: &Flags, env: Env<'_>, file: Option<&Loaded>) -> Result<Project, Error> {
    let src = Sources {
        origin: flags.origin,
        env,
        file,
    };
    let provider = src
        .pick(
            flags.provider.as_ref(),
            &PROVIDER,
            parse_enum::<ProviderKind>,
        )?
        .unwrap_or(Value::new(spec::default_provider(env), Source::Default));
    let repository = src
        .pick(flags.repository.as_ref(), &REPOSITORY, keep)?
        .or_else(|| ci_repository(provider.value.spec(), env));
    let base = src.pick(flags.base.as_ref(), &BASE, keep)?;
    let strategy = src
        .pick(flags.strategy.as_ref(), &STRATEGY, parse_enum::<Strategy>)?
        .unwrap_or(Value::new(Strategy::Single, Source::Default));
    let branch = src.pick(flags.branch.as_ref(), &BRANCH, keep)?;
    let author = src.author(flags.author.as_ref())?;
    let commit_mode = src
        .pick(
            flags.commit_mode.as_ref(),
            &COMMIT_MODE,
            parse_enum::<CommitMode>,
        )?
        .unwrap_or(Value::new(CommitMode::Rest, Source::Default));
    let template = branch.unwrap_or_else(|| {
        let t = match strategy.value {
            Strategy::Single => gensync_core::branch::SINGLE,
            Strategy::PerBuild => gensync_core::branch::PER_BUILD,
        };
        Value::new(t.to_owned(), Source::Default)
    });
    Ok(Project {
        provider,
        repository,
        base: or_default(base),
        strategy,
        template,
        author: or_default(author),
        commit_mode,
    })
}

/// The repository a CI runner names (GitHub Actions: the workflow's own), the natural default
/// below the project file, so a `gensync.toml` naming another repository wins.
fn ci_repository(spec: &ProviderSpec, env: Env<'_>) -> Option<Value<String>> {
    let name = spec.default_repository_env?;
    let value = env(name).filter(|r| !r.trim().is_empty())?;
    Some(Value::new(
        value.trim().to_owned(),
        Source::Env { name: name.into() },
    ))
}

/// A service with its own provider, repository and branch template.
struct Resolved {
    provider: Value<ProviderKind>,
    repository: Value<String>,
    template: Value<String>,
    service: ServicePlan,
}

/// Step 2 without a project file: the one service the flags describe.
fn service_from_flags(flags: &Flags, project: &Project) -> Result<Resolved, Error> {
    if flags.services.len() > 1 {
        return Err(Error::SeveralServicesWithoutConfig {
            names: flags.services.clone(),
        });
    }
    let output = flags.output.clone().ok_or_else(|| Error::MissingOutput {
        output: match flags.origin {
            FlagOrigin::CommandLine => "--output DIR".into(),
            origin => origin.name("--output"),
        },
        config: match flags.origin {
            FlagOrigin::CommandLine => "--config gensync.toml".into(),
            origin => origin.name("--config"),
        },
    })?;
    let repository = project.repository.clone().ok_or(Error::MissingRepository)?;
    let target_dir = normalise_target_dir(&flags.target_dir).map_err(|message| Error::Invalid {
        source_name: flags.origin.name("--target-dir"),
        value: flags.target_dir.clone(),
        message,
    })?;
    Ok(Resolved {
        provider: project.provider.clone(),
        repository,
        template: project.template.clone(),
        service: ServicePlan {
            name: flags.services.first().cloned(),
            output,
            target_dir,
            ignore_file: flags.ignore_file.clone(),
        },
    })
}

/// Step 2 with a project file: its services, those `--service` selects.
fn services_from_file(
    flags: &Flags,
    project: &Project,
    l: &Loaded,
) -> Result<Vec<Resolved>, Error> {
    for (given, flag) in [
        (flags.output.is_some(), "--output"),
        (!flags.target_dir.is_empty(), "--target-dir"),
        (flags.ignore_file.is_some(), "--ignore-file"),
    ] {
        if given {
            return Err(Error::FlagWithConfig {
                flag: flags.origin.name(flag),
                config: flags.origin.name("--config"),
                file: l.path.clone(),
            });
        }
    }
    let names: Vec<&str> = l
        .file
        .services
        .iter()
        .map(|s| s.name.get_ref().as_str())
        .collect();
    if let Some(wanted) = flags.services.iter().find(|w| !names.contains(&w.as_str())) {
        return Err(Error::UnknownService {
            flag: flags.origin.name("--service"),
            name: wanted.clone(),
            file: l.path.clone(),
            known: names.iter().map(|n| n.to_string()).collect(),
        });
    }
    l.file
        .services
        .iter()
        .filter(|s| flags.services.is_empty() || flags.services.contains(s.name.get_ref()))
        .map(|s| file_service(s, project, l))
        .collect()
}

/// One `[[service]]`, its own keys over the project's.
fn file_service(s: &config::Service, project: &Project, l: &Loaded) -> Result<Resolved, Error> {
    let name = s.name.get_ref();
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
        (None, Some(p)) if p.value != project.provider.value => {
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
        (None, _) => project.repository.clone().ok_or(Error::MissingRepository)?,
    };
    let provider = own_provider.unwrap_or_else(|| project.provider.clone());
    // A repository path written in the file is relative to the file.
    let repo = if provider.value.spec().repository.is_path()
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
        None => project.template.clone(),
    };
    let target_dir = match &s.target_dir {
        Some(t) => normalise_target_dir(t.get_ref())
            .map_err(|m| l.invalid(&t.span(), "service.target-dir", m))?,
        None => String::new(),
    };
    Ok(Resolved {
        provider,
        repository: repo,
        template,
        service: ServicePlan {
            name: Some(name.clone()),
            output: l.resolve_path(s.output.get_ref()),
            target_dir,
            ignore_file: s.ignore_file.as_ref().map(|f| l.resolve_path(f.get_ref())),
        },
    })
}

/// Step 3: each service into its target (same provider, repository and rendered branch: one
/// target), its repository checked against its provider's syntax.
fn add_to_targets(
    targets: &mut Vec<Target>,
    r: Resolved,
    project: &Project,
    build_id: Option<&str>,
) -> Result<(), Error> {
    r.provider
        .value
        .spec()
        .repository
        .check(&r.repository.value)
        .map_err(|error| Error::Repository {
            origin: r.repository.source.clone(),
            error,
        })?;
    let rendered =
        gensync_core::branch::render(&r.template.value, build_id, r.service.name.as_deref())
            .map_err(|error| Error::Branch {
                origin: r.template.source.clone(),
                error,
            })?;
    let branch = Value::new(rendered, r.template.source.clone());
    let same = |t: &Target| {
        t.provider.value == r.provider.value
            && t.repository.value == r.repository.value
            && t.branch.value == branch.value
    };
    let Some(t) = targets.iter_mut().find(|t| same(t)) else {
        targets.push(Target {
            provider: r.provider,
            repository: r.repository,
            base: project.base.clone(),
            strategy: project.strategy.clone(),
            branch,
            author: project.author.clone(),
            commit_mode: project.commit_mode.clone(),
            services: vec![r.service],
        });
        return Ok(());
    };
    if let Some(other) = t
        .services
        .iter()
        .find(|s| s.target_dir == r.service.target_dir)
    {
        return Err(Error::SharedTargetDir {
            first: other.name.clone(),
            second: r.service.name.clone(),
            target_dir: r.service.target_dir.clone(),
            repository: t.repository.value.clone(),
            branch: t.branch.value.clone(),
        });
    }
    t.services.push(r.service);
    Ok(())
}

/// Resolve the plan from `flags`, the environment (`env` looks a variable up) and the project
/// file: the project-level settings, then the services, then the targets they form.
pub fn resolve(flags: &Flags, env: Env<'_>, file: Option<&Loaded>) -> Result<Plan, Error> {
    let project = project(flags, env, file)?;
    let services = match file {
        None => vec![service_from_flags(flags, &project)?],
        Some(l) => services_from_file(flags, &project, l)?,
    };
    let mut targets = Vec::new();
    for r in services {
        add_to_targets(&mut targets, r, &project, flags.build_id.as_deref())?;
    }
    Ok(Plan { targets })
}

fn normalise_target_dir(dir: &str) -> Result<String, String> {
    gensync_core::path::normalise_dir(dir).map_err(|e| e.to_string())
}

/// The plan as text, for `gensync config check`.
pub fn describe(plan: &Plan) -> String {
    let mut out = String::new();
    for (i, t) in plan.targets.iter().enumerate() {
        describe_target(&mut out, i + 1, t);
    }
    out
}

/// One target of [`describe`]: where it goes, its settings and sources, its services.
fn describe_target(out: &mut String, number: usize, t: &Target) {
    use std::fmt::Write as _;
    let spec = t.provider.value.spec();
    let _ = writeln!(
        out,
        "target {number}: {} {}  ({})",
        spec.name, t.repository.value, t.repository.source
    );
    let _ = writeln!(
        out,
        "  branch {}  ({}), base {}  ({})",
        t.branch.value,
        t.branch.source,
        t.base.value.as_deref().unwrap_or("<default branch>"),
        t.base.source
    );
    let author = t.author.value.as_ref().map_or_else(
        || "<provider default>".to_owned(),
        |a| format!("{} <{}>", a.name, a.email),
    );
    let _ = write!(out, "  author {author}  ({})", t.author.source);
    if spec.supports.commit_modes {
        let mode = t.commit_mode.value.to_possible_value();
        let _ = write!(
            out,
            ", commit mode {}  ({})",
            mode.as_ref().map_or("", |p| p.get_name()),
            t.commit_mode.source
        );
    }
    let _ = writeln!(out);
    let _ = match spec.file_size_limit {
        Some(limit) => writeln!(
            out,
            "  files up to {} MiB ({})",
            limit.bytes >> 20,
            limit.name
        ),
        None => writeln!(out, "  files of any size"),
    };
    let pull_request = if spec.supports.pull_requests {
        " and one pull request"
    } else {
        ""
    };
    let _ = writeln!(out, "  one commit{pull_request}:");
    for s in &t.services {
        let dir = if s.target_dir.is_empty() {
            "/"
        } else {
            &s.target_dir
        };
        let ignore = s
            .ignore_file
            .as_ref()
            .map(|f| format!(" (ignore file {})", f.display()))
            .unwrap_or_default();
        let name = s.name.as_deref().unwrap_or("(unnamed)");
        let output = s.output.display();
        let _ = writeln!(out, "    service {name}: {output} -> {dir}{ignore}");
    }
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
        assert!(
            text.contains("  files up to 100 MiB (the 100 MiB limit of GitHub)\n")
                && text.contains("  files of any size\n"),
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
        let f = file(
            "[project]\nprovider = \"sourcehut\"\n[[service]]\nname = \"x\"\noutput = \"o\"\n",
        );
        let err = resolve(&flags(&[]), &env(&[]), Some(&f))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("line 2") && err.contains("\"sourcehut\""),
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
    fn errors_in_github_actions_name_the_input_not_the_flag() {
        let action = |argv: &[&str]| Flags {
            origin: FlagOrigin::ActionInputs,
            ..flags(argv)
        };
        let err = resolve(
            &action(&["--output", "o", "--repository", "nope"]),
            &env(&[]),
            None,
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.starts_with(
                "repository (action input `with: repository`): \"nope\" is not OWNER/REPO"
            ),
            "{err}"
        );
        let err = resolve(
            &action(&[
                "--output",
                "o",
                "--repository",
                "a/b",
                "--target-dir",
                "../x",
            ]),
            &env(&[]),
            None,
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.starts_with("action input `with: target-dir`: ") && !err.contains("--"),
            "{err}"
        );
        let err = resolve(&action(&["--repository", "a/b"]), &env(&[]), None)
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with(
                "action input `with: output` is required (or action input `with: config`"
            ),
            "{err}"
        );
        let err = resolve(&action(&["--output", "x"]), &env(&[]), Some(&file(THREE)))
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with(
                "action input `with: output` cannot be combined with action input `with: config`"
            ),
            "{err}"
        );
        let plan = resolve(
            &action(&["--service", "docs"]),
            &env(&[]),
            Some(&file(THREE)),
        )
        .unwrap();
        let err = resolve(
            &action(&["--service", "nope"]),
            &env(&[]),
            Some(&file(THREE)),
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.starts_with("action input `with: service`: \"nope\""),
            "{err}"
        );
        assert_eq!(plan.targets[0].provider.source, Source::File { line: 20 });
        let plan = resolve(
            &action(&[
                "--output",
                "o",
                "--repository",
                "a/b",
                "--author",
                "A <a@b.c>",
            ]),
            &env(&[]),
            None,
        )
        .unwrap();
        assert_eq!(
            plan.targets[0].repository.source,
            Source::Input {
                input: "repository".into()
            }
        );
        assert_eq!(
            plan.targets[0].author.source.to_string(),
            "action input `with: author`"
        );
        // On the command line, the same values name the flags.
        let err = resolve(&flags(&["--repository", "a/b"]), &env(&[]), None)
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("--output DIR is required (or --config gensync.toml"),
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
