//! Environment variable names gensync reads for its settings (uv's `env_vars.rs`): one place,
//! no scattered literals. Precedence: flag > environment > `gensync.toml` > default
//! ([`crate::settings`]).

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
