//! Command-line flags as given (raw). Resolution into settings happens in the commands.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

/// gensync keeps generated code in sync with a git repository: it commits only what changed
/// between builds onto a bot branch and opens or updates a pull request.
#[derive(Debug, Parser)]
#[command(name = "gensync", version, about, max_term_width = 100)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print the manifest (path, mode, blob id of every file) of a build output folder.
    Manifest(ManifestArgs),
    /// Show what changed between a previous build and a new one, as a sync would commit it.
    Changes(ChangesArgs),
    /// Commit what changed since the last build onto the sync branch and open or update a pull
    /// request.
    #[command(after_help = SYNC_ENVIRONMENT)]
    Sync(Box<SyncArgs>),
    /// Run as the GitHub Action: `gensync sync` with flags from the `INPUT_*` variables, outputs
    /// to `$GITHUB_OUTPUT` and a summary to `$GITHUB_STEP_SUMMARY` (see action.yml).
    GithubAction,
    /// Run as the Bitbucket Pipelines pipe: `gensync sync --provider bitbucket` with flags from
    /// the pipe's variables (`OUTPUT`, `MESSAGE`, …), defaults from the Pipelines variables, and
    /// the outcome written to `gensync.env` and `gensync.json` (see bitbucket/pipe.yml).
    BitbucketPipe,
    /// The project file `gensync.toml`.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// List or create repositories on a provider.
    #[command(subcommand)]
    Repo(RepoCommand),
}

/// The variables `gensync sync --help` lists besides those of its flags. A flag's own variable
/// (`[env: GENSYNC_STRATEGY]`) is read by [`crate::settings`], not by clap, so that a bad value
/// names the variable and its source stays known; a test checks that `--help` names every
/// `GENSYNC_*` variable of [`crate::env`].
const SYNC_ENVIRONMENT: &str = "Environment:
  GENSYNC_HTTP_TIMEOUT           seconds allowed for one HTTP exchange (default 60)
  GENSYNC_RETRY_SCALE            multiplies every retry wait (default 1; tests use 0.001)
  GENSYNC_RESULTS_DIR            Bitbucket Pipelines: where gensync.env and gensync.json go
  GENSYNC_WORKFLOW_TOKEN_IN_USE  set by action.yml: the token input is the workflow's GITHUB_TOKEN
Precedence: flag > environment > gensync.toml > default. Exit statuses: 0 success, 1 failure,
2 usage, 3 the commit landed but the pull-request step failed.";

/// `gensync config`.
#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Validate the project file and print the resolved plan: each target repository and
    /// branch, where every setting came from, and the services committed together.
    Check(ConfigCheckArgs),
}

/// `gensync config check`.
#[derive(Debug, clap::Args)]
pub struct ConfigCheckArgs {
    /// The project file.
    #[arg(long, value_name = "FILE", default_value = "gensync.toml")]
    pub config: PathBuf,
    /// Only these services (repeatable).
    #[arg(long, value_name = "NAME")]
    pub service: Vec<String>,
    /// A build id, for `{id}` in branch templates.
    #[arg(long, value_name = "ID")]
    pub build_id: Option<String>,
    /// Print the plan as JSON.
    #[arg(long)]
    pub json: bool,
}

/// `gensync repo`.
#[derive(Debug, Subcommand)]
pub enum RepoCommand {
    /// List the repositories the credentials can reach (all pages).
    List(RepoListArgs),
    /// Create a repository (GitHub: in an organisation; Bitbucket: in a workspace).
    Create(RepoCreateArgs),
}

/// Flags every `gensync repo` subcommand shares.
#[derive(Debug, clap::Args)]
pub struct RepoProviderArgs {
    /// The hosting service.
    #[arg(long, value_enum, default_value_t = crate::providers::spec::DEFAULT)]
    pub provider: ProviderKind,
    /// The REST API root [default: GitHub: $GITHUB_API_URL or `https://api.github.com`
    /// (Enterprise Server: `https://HOST/api/v3`); Bitbucket: $BITBUCKET_API_URL or
    /// `https://api.bitbucket.org/2.0`; GitLab: $CI_API_V4_URL or `https://gitlab.com/api/v4`;
    /// Azure DevOps: $AZURE_DEVOPS_API_URL or `https://dev.azure.com`].
    #[arg(long, value_name = "URL")]
    pub api_url: Option<String>,
    /// The environment variable holding the token (default: GITHUB_TOKEN, then GH_TOKEN;
    /// Bitbucket: BITBUCKET_ACCESS_TOKEN, then BITBUCKET_TOKEN, or the app password with
    /// --username; GitLab: GITLAB_TOKEN, then GL_TOKEN).
    #[arg(long, value_name = "NAME")]
    pub token_env: Option<String>,
    /// Bitbucket credentials besides access tokens.
    #[command(flatten)]
    pub bitbucket: BitbucketAuthArgs,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// Bitbucket Cloud credentials other than an access token (which comes from the environment,
/// see `providers::bitbucket_auth`).
#[derive(Debug, Clone, Default, clap::Args)]
pub struct BitbucketAuthArgs {
    /// Bitbucket: authenticate with this user's app password (or API token), read from
    /// BITBUCKET_APP_PASSWORD, BITBUCKET_API_TOKEN or --token-env [env: BITBUCKET_USERNAME].
    #[arg(long, value_name = "USER")]
    pub username: Option<String>,
    /// Bitbucket: authenticate as this OAuth consumer (key), with its secret from
    /// BITBUCKET_OAUTH_CLIENT_SECRET (client credentials grant) [env: BITBUCKET_OAUTH_CLIENT_ID].
    #[arg(long, value_name = "KEY")]
    pub oauth_client_id: Option<String>,
    /// Bitbucket: the OAuth token endpoint.
    #[arg(
        long,
        value_name = "URL",
        default_value = crate::providers::bitbucket_auth::OAUTH_TOKEN_URL
    )]
    pub oauth_token_url: String,
}

/// `gensync repo list`.
#[derive(Debug, clap::Args)]
pub struct RepoListArgs {
    /// Provider and credentials.
    #[command(flatten)]
    pub provider: RepoProviderArgs,
    /// Only this owner's repositories (an organisation or a user); Bitbucket: the workspace
    /// (required there).
    #[arg(long, value_name = "OWNER", visible_alias = "workspace")]
    pub owner: Option<String>,
}

/// `gensync repo create`.
#[derive(Debug, clap::Args)]
pub struct RepoCreateArgs {
    /// Provider and credentials.
    #[command(flatten)]
    pub provider: RepoProviderArgs,
    /// The organisation to create it in; Bitbucket: the workspace.
    #[arg(long, value_name = "ORG", visible_alias = "workspace")]
    pub owner: String,
    /// The repository's name.
    #[arg(long, value_name = "NAME")]
    pub name: String,
    /// Make it private.
    #[arg(long)]
    pub private: bool,
    /// A short description.
    #[arg(long, value_name = "TEXT")]
    pub description: Option<String>,
    /// Create it with a first commit (README.md), so a sync can open pull requests right away.
    #[arg(long)]
    pub init: bool,
}

/// `gensync manifest`.
#[derive(Debug, clap::Args)]
pub struct ManifestArgs {
    /// The build output folder.
    pub dir: PathBuf,
    /// Write the manifest to this file instead of standard output.
    #[arg(long, short)]
    pub output: Option<PathBuf>,
}

/// Output formats of `gensync changes`.
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum Format {
    /// `A/M/D/R` lines and a summary.
    Text,
    /// The change set as JSON.
    Json,
}

/// Conflict policies (see `gensync_core::ConflictPolicy`).
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq, Default)]
pub enum Conflicts {
    /// Commit conflict markers and list the paths for a person to resolve.
    #[default]
    Markers,
    /// Overlapping parts take the generated version.
    Generated,
    /// Overlapping parts keep the branch version.
    Branch,
    /// Refuse to sync.
    Fail,
}

impl From<Conflicts> for gensync_core::ConflictPolicy {
    fn from(c: Conflicts) -> Self {
        match c {
            Conflicts::Markers => Self::Markers,
            Conflicts::Generated => Self::Generated,
            Conflicts::Branch => Self::Branch,
            Conflicts::Fail => Self::Fail,
        }
    }
}

/// Options shared by every command that computes a change set.
#[derive(Debug, Clone, clap::Args)]
pub struct ChangeOptions {
    /// The repository folder the build output maps to (default: the repository root).
    #[arg(long, value_name = "DIR", default_value = "")]
    pub target_dir: String,
    /// A `.amplicationignore` file (gitignore syntax) whose paths are never written or deleted.
    /// Its patterns are relative to the target dir.
    #[arg(long, value_name = "FILE")]
    pub ignore_file: Option<PathBuf>,
    /// Write the new version of ignored generated files below this folder of the target dir
    /// (e.g. `.amplication/ignored`) so a person can compare.
    #[arg(long, value_name = "DIR")]
    pub ignored_to: Option<String>,
    /// What to do when a file the generator changed was also edited on the branch and the
    /// edits overlap.
    #[arg(long, value_enum, default_value_t = Conflicts::Markers)]
    pub conflicts: Conflicts,
    /// Accept an empty build output (it deletes every previously generated file).
    #[arg(long)]
    pub allow_empty: bool,
}

/// `gensync changes`.
#[derive(Debug, clap::Args)]
pub struct ChangesArgs {
    /// The previous build: its output folder, or its manifest file. Omit for a first build.
    #[arg(long, value_name = "PATH")]
    pub previous: Option<PathBuf>,
    /// The new build's output folder.
    #[arg(long, value_name = "DIR")]
    pub next: PathBuf,
    /// The sync branch's current tree, as printed by `git ls-tree -r [-z] <branch>`, to drop
    /// no-op writes and find conflicts with edits made on the branch.
    #[arg(long, value_name = "FILE")]
    pub branch_tree: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Change set options.
    #[command(flatten)]
    pub change: ChangeOptions,
}

/// Providers: one [`crate::providers::spec::ProviderSpec`] each, which also gives their
/// possible values and help.
pub use crate::providers::spec::ProviderKind;

/// Branch strategies.
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Strategy {
    /// One long-lived branch `amplication`, new commits on top.
    #[default]
    Single,
    /// A fresh branch `amplication-build-{id}` and pull request per build.
    PerBuild,
}

/// `gensync sync`.
#[derive(Debug, clap::Args)]
pub struct SyncArgs {
    /// The hosting service [default: github] [env: GENSYNC_PROVIDER].
    #[arg(long, value_enum)]
    pub provider: Option<ProviderKind>,
    /// The repository: `OWNER/REPO`, or the repository's path with `--provider local`
    /// [env: GENSYNC_REPOSITORY].
    #[arg(long, value_name = "OWNER/REPO|PATH")]
    pub repository: Option<String>,
    /// The build output folder (without --config).
    #[arg(long, value_name = "DIR")]
    pub output: Option<PathBuf>,
    /// The project file: project defaults and the services to sync (see docs/configuration.md).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Read the sync branch's tree, manifest and ignore files from this local clone of the
    /// repository with gitoxide instead of the API; commits it lacks are read from the API.
    #[arg(long, value_name = "PATH")]
    pub local_clone: Option<PathBuf>,
    /// The commit message: first line = commit and pull-request title, rest = description.
    #[arg(long, short)]
    pub message: String,
    /// The build id (trailer `Build-Id`, `{id}` in branch templates).
    #[arg(long, value_name = "ID")]
    pub build_id: Option<String>,
    /// A link to the build, put in a code block in the commit message and pull request.
    #[arg(long, value_name = "URL")]
    pub build_url: Option<String>,
    /// The branch strategy [default: single] [env: GENSYNC_STRATEGY].
    #[arg(long, value_enum)]
    pub strategy: Option<Strategy>,
    /// The sync branch name template (`{id}`, `{service}`); default per strategy
    /// [env: GENSYNC_BRANCH].
    #[arg(long, value_name = "TEMPLATE")]
    pub branch: Option<String>,
    /// A service name, for `{service}` in the branch template; with --config, the services to
    /// sync (repeatable; default: all).
    #[arg(long, value_name = "NAME")]
    pub service: Vec<String>,
    /// The pull requests' base branch (default: the repository's default branch)
    /// [env: GENSYNC_BASE].
    #[arg(long, value_name = "BRANCH")]
    pub base: Option<String>,
    /// The REST API root [default: GitHub: $GITHUB_API_URL or `https://api.github.com`
    /// (Enterprise Server: `https://HOST/api/v3`); Bitbucket: $BITBUCKET_API_URL or
    /// `https://api.bitbucket.org/2.0`; GitLab: $CI_API_V4_URL or `https://gitlab.com/api/v4`;
    /// Azure DevOps: $AZURE_DEVOPS_API_URL or `https://dev.azure.com`].
    #[arg(long, value_name = "URL")]
    pub api_url: Option<String>,
    /// The GraphQL endpoint (default: derived from --api-url).
    #[arg(long, env = crate::env::GITHUB_GRAPHQL_URL, value_name = "URL")]
    pub graphql_url: Option<String>,
    /// How commits are made [default: rest] [env: GENSYNC_COMMIT_MODE].
    #[arg(long, value_enum)]
    pub commit_mode: Option<crate::providers::github::CommitMode>,
    /// Commit author and committer, `Name <email>` (default: the token's identity, which
    /// GitHub signs as verified; `gensync <gensync@localhost>` in a local repository)
    /// [env: GENSYNC_AUTHOR].
    #[arg(long, value_name = "NAME <EMAIL>")]
    pub author: Option<String>,
    /// Authenticate as this GitHub App (with its private key from --app-private-key-file or
    /// the GITHUB_APP_PRIVATE_KEY variable) instead of a token: the App wins over the Action's
    /// `token` input, GITHUB_TOKEN and GH_TOKEN. Its installation token is requested with
    /// `contents: write`, `pull_requests: write` and `metadata: read` only.
    #[arg(long, value_name = "ID", env = crate::env::GITHUB_APP_ID)]
    pub app_id: Option<String>,
    /// The GitHub App's private key file (PEM).
    #[arg(long, value_name = "FILE")]
    pub app_private_key_file: Option<PathBuf>,
    /// The environment variable holding the token (default: GITHUB_TOKEN, then GH_TOKEN;
    /// Bitbucket: BITBUCKET_ACCESS_TOKEN, then BITBUCKET_TOKEN, or the app password with
    /// --username; GitLab: GITLAB_TOKEN, then GL_TOKEN).
    #[arg(long, value_name = "NAME")]
    pub token_env: Option<String>,
    /// Bitbucket credentials besides access tokens.
    #[command(flatten)]
    pub bitbucket: BitbucketAuthArgs,
    /// Do every read, print what would be committed, write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Print the outcome as JSON.
    #[arg(long)]
    pub json: bool,
    /// In an empty repository, create a first commit (README.md) on the default branch.
    #[arg(long)]
    pub init_empty: bool,
    /// Open pull requests as drafts.
    #[arg(long)]
    pub draft: bool,
    /// Labels for a new pull request (comma-separated).
    #[arg(long, value_name = "LABELS")]
    pub labels: Vec<String>,
    /// Assignees of a new pull request (comma-separated).
    #[arg(long, value_name = "USERS")]
    pub assignees: Vec<String>,
    /// Reviewers of a new pull request (comma-separated).
    #[arg(long, value_name = "USERS")]
    pub reviewers: Vec<String>,
    /// Team reviewers of a new pull request (comma-separated team slugs).
    #[arg(long, value_name = "TEAMS")]
    pub team_reviewers: Vec<String>,
    /// Print every HTTP exchange (method, URL, status, timing; never credentials). On by
    /// itself when a GitHub Actions run is re-run with debug logging (`RUNNER_DEBUG=1`).
    #[arg(long, short, env = crate::env::RUNNER_DEBUG, value_parser = clap::builder::FalseyValueParser::new())]
    pub verbose: bool,
    /// Change set options.
    #[command(flatten)]
    pub change: ChangeOptions,
}

/// The items of comma-separated lists (`--labels bug,generated`, the action's `labels: bug,
/// generated`, repeated flags): split on commas, trimmed, empty items dropped, so
/// `bug, generated` is `["bug", "generated"]`, never `" generated"`.
pub fn comma_list<S: AsRef<str>>(values: &[S]) -> Vec<String> {
    values
        .iter()
        .flat_map(|value| value.as_ref().split(','))
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .map(str::to_owned)
        .collect()
}

#[cfg(test)]
mod tests {
    use clap::Parser as _;

    #[test]
    fn comma_lists_are_trimmed_and_empty_items_dropped() {
        let cli = super::Cli::try_parse_from([
            "gensync",
            "sync",
            "--message",
            "m",
            "--labels",
            "bug, generated,,",
            "--labels",
            " docs ",
        ])
        .unwrap();
        let super::Command::Sync(args) = cli.command else {
            panic!("not sync");
        };
        assert_eq!(
            super::comma_list(&args.labels),
            ["bug", "generated", "docs"]
        );
        assert!(super::comma_list(&[" , "]).is_empty());
    }

    #[test]
    fn sync_help_names_every_gensync_variable() {
        use clap::CommandFactory as _;
        let help = super::Cli::command()
            .find_subcommand_mut("sync")
            .expect("sync")
            .render_long_help()
            .to_string();
        // Help text wraps: compare with every run of white space as one space.
        let help = help.split_whitespace().collect::<Vec<_>>().join(" ");
        let source = include_str!("env.rs");
        let names: Vec<&str> = source
            .split('"')
            .skip(1)
            .step_by(2)
            .filter(|s| s.starts_with("GENSYNC_"))
            .collect();
        assert!(names.len() >= 11, "{names:?}");
        for name in names {
            let shown = format!("[env: {name}]");
            assert!(
                help.contains(&shown) || help.contains(&format!(" {name} ")),
                "`gensync sync --help` does not name {name}:\n{help}"
            );
        }
    }

    #[test]
    fn runner_debug_turns_on_verbose() {
        use clap::CommandFactory as _;
        let command = super::Cli::command();
        let sync = command.find_subcommand("sync").unwrap();
        let verbose = sync
            .get_arguments()
            .find(|a| a.get_id() == "verbose")
            .unwrap();
        assert_eq!(
            verbose.get_env(),
            Some(std::ffi::OsStr::new(crate::env::RUNNER_DEBUG))
        );
        let cli =
            super::Cli::try_parse_from(["gensync", "sync", "--message", "m", "--verbose"]).unwrap();
        let super::Command::Sync(args) = cli.command else {
            panic!("not sync");
        };
        assert!(args.verbose);
    }
}
