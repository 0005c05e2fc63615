//! Environment variable names gensync reads for its settings (uv's `env_vars.rs`): one place,
//! no scattered literals. Precedence: flag > environment > `gensync.toml` > default
//! ([`crate::settings`]).
//!
//! Two adapters read variables named by their interface rather than by gensync, each from one
//! table next to its code: the GitHub Action's inputs (`INPUT_<NAME>`,
//! [`crate::ci::github_actions::INPUTS`]) and the Bitbucket pipe's variables (`OUTPUT`,
//! `MESSAGE`, …, [`crate::ci::bitbucket_pipelines::VARIABLES`]). Tests may use literals.

/// The provider (`github`, `local`, …): `--provider`.
pub const PROVIDER: &str = "GENSYNC_PROVIDER";
/// The repository (`OWNER/REPO`, or a path for `local`): `--repository`.
pub const REPOSITORY: &str = "GENSYNC_REPOSITORY";
/// The workflow's repository, set by the GitHub Actions runner: the default repository on
/// GitHub when neither a flag, [`REPOSITORY`] nor the project file names one.
pub const GITHUB_REPOSITORY: &str = "GITHUB_REPOSITORY";
/// The pull requests' base branch: `--base`.
pub const BASE: &str = "GENSYNC_BASE";
/// The branch strategy (`single`, `per-build`): `--strategy`.
pub const STRATEGY: &str = "GENSYNC_STRATEGY";
/// The sync branch template: `--branch`.
pub const BRANCH: &str = "GENSYNC_BRANCH";
/// The commit author, `Name <email>`: `--author`.
pub const AUTHOR: &str = "GENSYNC_AUTHOR";
/// The GitHub commit mode (`rest`, `graphql`): `--commit-mode`.
pub const COMMIT_MODE: &str = "GENSYNC_COMMIT_MODE";
/// Set to `1` by GitHub Actions when a run is re-run with debug logging: turns on `--verbose`
/// (any value but `0`, `false`, `no`, `off` or empty).
pub const RUNNER_DEBUG: &str = "RUNNER_DEBUG";
/// Set by action.yml to `true` when the action's `token` input is the workflow's own
/// `GITHUB_TOKEN` (`${{ inputs.token == github.token }}`): only then does the step summary warn
/// that its commits do not trigger other workflows.
pub const WORKFLOW_TOKEN_IN_USE: &str = "GENSYNC_WORKFLOW_TOKEN_IN_USE";
/// A GitHub App's id (`--app-id`): an App's installation token is used instead of any token.
pub const GITHUB_APP_ID: &str = "GITHUB_APP_ID";
/// The GitHub App's private key (PEM text), when `--app-private-key-file` is not given.
pub const GITHUB_APP_PRIVATE_KEY: &str = "GITHUB_APP_PRIVATE_KEY";
/// The variables a GitHub token is read from, in order (without `--token-env`).
pub const GITHUB_TOKENS: [&str; 2] = ["GITHUB_TOKEN", "GH_TOKEN"];
/// GitHub's REST API root (set by the Actions runner; `--api-url` wins).
pub const GITHUB_API_URL: &str = "GITHUB_API_URL";
/// GitHub's GraphQL endpoint (set by the Actions runner; `--graphql-url` wins).
pub const GITHUB_GRAPHQL_URL: &str = "GITHUB_GRAPHQL_URL";

// ---- GitHub Actions (crate::ci::github_actions) ----

/// `true` when gensync runs in GitHub Actions.
pub const GITHUB_ACTIONS: &str = "GITHUB_ACTIONS";
/// The file the step's outputs are appended to.
pub const GITHUB_OUTPUT: &str = "GITHUB_OUTPUT";
/// The file the step summary is appended to.
pub const GITHUB_STEP_SUMMARY: &str = "GITHUB_STEP_SUMMARY";
/// The prefix of the action's inputs (`INPUT_MESSAGE`), as the runner names them.
pub const INPUT_PREFIX: &str = "INPUT_";

// ---- Azure DevOps (crate::providers::azure_devops) ----

/// Overrides Azure DevOps' API root (`https://dev.azure.com`; a Server's `https://host/tfs`)
/// (`--api-url` wins).
pub const AZURE_DEVOPS_API_URL: &str = "AZURE_DEVOPS_API_URL";
/// A personal access token (sent as Basic with an empty user name).
pub const AZURE_DEVOPS_TOKEN: &str = "AZURE_DEVOPS_TOKEN";
/// The job's OAuth token inside Azure Pipelines (sent as Bearer); also a Microsoft Entra ID
/// token put there.
pub const SYSTEM_ACCESSTOKEN: &str = "SYSTEM_ACCESSTOKEN";
/// The variables an Azure DevOps credential is read from, in order.
pub const AZURE_DEVOPS_TOKENS: [&str; 2] = [AZURE_DEVOPS_TOKEN, SYSTEM_ACCESSTOKEN];

// ---- Bitbucket Cloud (crate::providers::bitbucket_auth) ----

/// Overrides Bitbucket's API root (`--api-url` wins).
pub const BITBUCKET_API_URL: &str = "BITBUCKET_API_URL";
/// The variables a Bitbucket access token is read from, in order.
pub const BITBUCKET_ACCESS_TOKENS: [&str; 2] = ["BITBUCKET_ACCESS_TOKEN", "BITBUCKET_TOKEN"];
/// The variables an app password (or API token) is read from with a user name, in order.
pub const BITBUCKET_APP_PASSWORDS: [&str; 2] = ["BITBUCKET_APP_PASSWORD", "BITBUCKET_API_TOKEN"];
/// The user name of an app password (`--username` wins).
pub const BITBUCKET_USERNAME: &str = "BITBUCKET_USERNAME";
/// An OAuth consumer's key (`--oauth-client-id` wins).
pub const BITBUCKET_OAUTH_CLIENT_ID: &str = "BITBUCKET_OAUTH_CLIENT_ID";
/// An OAuth consumer's secret.
pub const BITBUCKET_OAUTH_CLIENT_SECRET: &str = "BITBUCKET_OAUTH_CLIENT_SECRET";

// ---- GitLab (crate::providers::spec::gitlab) ----

/// The variables a GitLab token is read from, in order (without `--token-env`).
pub const GITLAB_TOKENS: [&str; 2] = ["GITLAB_TOKEN", "GL_TOKEN"];
/// GitLab CI's API root (`https://HOST/api/v4`): the default `--api-url` of `--provider gitlab`.
pub const CI_API_V4_URL: &str = "CI_API_V4_URL";
/// GitLab CI's project path (`group/subgroup/project`): the default `--repository` on GitLab.
pub const CI_PROJECT_PATH: &str = "CI_PROJECT_PATH";
/// GitLab CI's job token, which cannot write through the API: only named in an error.
pub const CI_JOB_TOKEN: &str = "CI_JOB_TOKEN";

// ---- Bitbucket Pipelines (crate::ci::bitbucket_pipelines) ----

/// Set by Pipelines in every step: the build number.
pub const BITBUCKET_BUILD_NUMBER: &str = "BITBUCKET_BUILD_NUMBER";
/// The workspace of the repository the pipeline runs for.
pub const BITBUCKET_WORKSPACE: &str = "BITBUCKET_WORKSPACE";
/// The slug of the repository the pipeline runs for.
pub const BITBUCKET_REPO_SLUG: &str = "BITBUCKET_REPO_SLUG";
/// The repository's web address (`http://bitbucket.org/workspace/slug`).
pub const BITBUCKET_GIT_HTTP_ORIGIN: &str = "BITBUCKET_GIT_HTTP_ORIGIN";
/// Where the step's clone is (artifacts are collected from there).
pub const BITBUCKET_CLONE_DIR: &str = "BITBUCKET_CLONE_DIR";
/// Bitbucket's variable sharing: `KEY=value` lines appended to this file are set in the later
/// steps.
pub const BITBUCKET_PIPELINES_VARIABLES_PATH: &str = "BITBUCKET_PIPELINES_VARIABLES_PATH";
/// Overrides where the pipe's result files go.
pub const RESULTS_DIR: &str = "GENSYNC_RESULTS_DIR";

// ---- HTTP (crate::http) ----

/// The per-request timeout in seconds.
pub const HTTP_TIMEOUT: &str = "GENSYNC_HTTP_TIMEOUT";
/// Scales every retry delay (tests set it to `0` to run fault suites fast).
pub const RETRY_SCALE: &str = "GENSYNC_RETRY_SCALE";

// ---- Gitea and Forgejo (crate::providers::spec::gitea) ----

/// Gitea's (or Forgejo's) API root, `https://HOST/api/v1` (`--api-url` wins).
pub const GITEA_API_URL: &str = "GITEA_API_URL";
/// The variables a Gitea or Forgejo token is read from, in order (without `--token-env`).
pub const GITEA_TOKENS: [&str; 2] = ["GITEA_TOKEN", "FORGEJO_TOKEN"];
/// `true` when gensync runs in Gitea Actions.
pub const GITEA_ACTIONS: &str = "GITEA_ACTIONS";
/// `true` when gensync runs in Forgejo Actions.
pub const FORGEJO_ACTIONS: &str = "FORGEJO_ACTIONS";
/// The server's web root, set by GitHub-compatible runners (Gitea/Forgejo Actions set it to
/// their own server: the API is `{GITHUB_SERVER_URL}/api/v1`).
pub const GITHUB_SERVER_URL: &str = "GITHUB_SERVER_URL";
