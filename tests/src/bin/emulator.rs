//! Runs a provider emulator by hand:
//!
//! ```text
//! cargo run -p gensync-tests --bin emulator -- --provider github --root /tmp/gh \
//!     --repo acme/app --repo acme/empty:empty --token ghs_test --token ghs_ro:read
//! cargo run -p gensync-tests --bin emulator -- --provider bitbucket --root /tmp/bb \
//!     --repo acme/app --token bb_test --app-password bot=pw --oauth-consumer key=secret
//! ```
//!
//! Prints the REST base URL on the first line of stdout, then serves until killed. The
//! emulator's `/_emulator/...` control endpoint seeds repositories, injects faults and returns
//! the request record (see `gensync_tests::github` for the list).

use std::path::PathBuf;

use anyhow::{bail, Context as _};
use clap::{Parser, ValueEnum};
use gensync_tests::bitbucket::{
    BitbucketConfig, BitbucketEmulator, CredentialConfig, RepoSpec as BbRepoSpec, Scopes,
};
use gensync_tests::github::{
    AppConfig, GithubConfig, GithubEmulator, Permissions, RepoSpec, TokenConfig,
};

/// The hosting provider to emulate.
#[derive(Debug, Clone, Copy, ValueEnum)]
enum Provider {
    /// GitHub REST and GraphQL APIs.
    Github,
    /// Bitbucket Cloud's REST API 2.0 (below `/2.0`) and OAuth token endpoint.
    Bitbucket,
}

/// Serve a provider API emulator on 127.0.0.1 over bare git repositories.
#[derive(Debug, Parser)]
#[command(name = "emulator")]
struct Cli {
    /// Which provider to emulate.
    #[arg(long, value_enum)]
    provider: Provider,
    /// Directory of the bare repositories and the emulator's state (kept between runs).
    #[arg(long)]
    root: PathBuf,
    /// Append every request as a JSON line to this file (Authorization is never written).
    #[arg(long)]
    record: Option<PathBuf>,
    /// Create OWNER/REPO unless it exists (`:empty` for a repository without commits).
    #[arg(long = "repo", value_name = "OWNER/REPO[:empty]")]
    repos: Vec<String>,
    /// Accept a GITHUB_TOKEN-like token (acts as github-actions[bot]). PERMS: `read`, `write`
    /// (default) or e.g. `contents=write,pull_requests=read`. Bitbucket: an access token
    /// (`:read` for reading only).
    #[arg(long = "token", value_name = "TOKEN[:PERMS]")]
    tokens: Vec<String>,
    /// Accept a personal access token of LOGIN (may also create repositories).
    #[arg(long = "user-token", value_name = "LOGIN=TOKEN[:PERMS]")]
    user_tokens: Vec<String>,
    /// Accept JWTs of a GitHub App installed on ACCOUNT, verified with the PEM key in KEYFILE.
    #[arg(long = "app", value_name = "ID:SLUG:ACCOUNT:KEYFILE")]
    apps: Vec<String>,
    /// Port on 127.0.0.1 (0 picks a free one).
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// Cut recursive tree listings above this many entries (GitHub: 100000).
    #[arg(long, default_value_t = 100_000)]
    tree_limit: usize,
    /// Serve under GitHub Enterprise Server paths (/api/v3, /api/graphql).
    #[arg(long)]
    enterprise: bool,
    /// Bitbucket: accept USER's app password.
    #[arg(long = "app-password", value_name = "USER=PASSWORD")]
    app_passwords: Vec<String>,
    /// Bitbucket: accept an OAuth consumer (client credentials grant).
    #[arg(long = "oauth-consumer", value_name = "KEY=SECRET")]
    oauth_consumers: Vec<String>,
    /// Do not validate requests against GitHub's official descriptions (by default the
    /// emulator refuses to start when the validator is not installed).
    #[arg(long)]
    no_validate: bool,
}

/// What the binary does with a started emulator, whichever the provider.
trait Served {
    /// Whether `full_name` exists.
    fn has_repo(&self, full_name: &str) -> bool;
    /// Creates `full_name` (`empty`: without commits).
    fn seed(&self, full_name: &str, empty: bool) -> anyhow::Result<()>;
    /// The client's base URL (printed first), then `(label, value)` lines for stderr.
    fn urls(&self) -> (String, Vec<(&'static str, String)>);
    /// The root directory and the validated descriptions.
    fn about(&self) -> (PathBuf, Option<String>);
}

impl<P: gensync_tests::emulator::Provider> Served for gensync_tests::emulator::Running<P>
where
    Self: Seed,
{
    fn has_repo(&self, full_name: &str) -> bool {
        self.git(full_name).is_ok()
    }

    fn seed(&self, full_name: &str, empty: bool) -> anyhow::Result<()> {
        Seed::create(self, full_name, empty).with_context(|| format!("creating {full_name}"))
    }

    fn urls(&self) -> (String, Vec<(&'static str, String)>) {
        Seed::urls(self)
    }

    fn about(&self) -> (PathBuf, Option<String>) {
        (self.root().to_owned(), self.validator_versions())
    }
}

/// The provider-specific part of [`Served`]: each provider's own repository spec and URLs.
trait Seed {
    fn create(&self, full_name: &str, empty: bool) -> Result<(), gensync_tests::emulator::Error>;
    fn urls(&self) -> (String, Vec<(&'static str, String)>);
}

impl Seed for GithubEmulator {
    fn create(&self, full_name: &str, empty: bool) -> Result<(), gensync_tests::emulator::Error> {
        let spec = RepoSpec::new(full_name);
        self.create_repo(&if empty { spec.empty() } else { spec })
    }

    fn urls(&self) -> (String, Vec<(&'static str, String)>) {
        let lines = vec![
            ("GraphQL", self.graphql_url().to_owned()),
            ("web", self.web_url().to_owned()),
        ];
        (self.base_url().to_owned(), lines)
    }
}

impl Seed for BitbucketEmulator {
    fn create(&self, full_name: &str, empty: bool) -> Result<(), gensync_tests::emulator::Error> {
        let spec = BbRepoSpec::new(full_name);
        self.create_repo(&if empty { spec.empty() } else { spec })
    }

    fn urls(&self) -> (String, Vec<(&'static str, String)>) {
        (self.api_url().to_owned(), vec![("OAuth", self.token_url())])
    }
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let emulator: Box<dyn Served> = match cli.provider {
        Provider::Github => Box::new(
            GithubEmulator::start(github_config(&cli)?).context("starting the GitHub emulator")?,
        ),
        Provider::Bitbucket => Box::new(
            BitbucketEmulator::start(bitbucket_config(&cli)?)
                .context("starting the Bitbucket emulator")?,
        ),
    };
    for spec in &cli.repos {
        let (name, empty) = match spec.strip_suffix(":empty") {
            Some(name) => (name, true),
            None => (spec.as_str(), false),
        };
        if !emulator.has_repo(name) {
            emulator.seed(name, empty)?;
        }
    }
    let (base, lines) = emulator.urls();
    println!("{base}");
    for (label, url) in lines {
        eprintln!("{:<9}{url}", format!("{label}:"));
    }
    let (root, versions) = emulator.about();
    eprintln!("root:    {}", root.display());
    if let Some(versions) = versions {
        eprintln!("validating against {versions}");
    }
    loop {
        std::thread::park();
    }
}

fn split_permissions(spec: &str) -> anyhow::Result<(&str, Permissions)> {
    match spec.rsplit_once(':') {
        Some((token, perms)) => match Permissions::parse(perms) {
            Some(permissions) => Ok((token, permissions)),
            None => bail!("unknown permissions {perms:?} (use read, write or contents=write,pull_requests=read)"),
        },
        None => Ok((spec, Permissions::WRITE_ALL)),
    }
}

fn github_config(cli: &Cli) -> anyhow::Result<GithubConfig> {
    let mut config = GithubConfig::default().root(&cli.root);
    config.port = cli.port;
    config.record = cli.record.clone();
    config.validate = !cli.no_validate;
    config.tree_entry_limit = cli.tree_limit;
    config.enterprise = cli.enterprise;
    for spec in &cli.tokens {
        let (token, permissions) = split_permissions(spec)?;
        let mut token = TokenConfig::actions(token);
        if spec.contains(':') {
            token = token.with_permissions(permissions);
        }
        config.tokens.push(token);
    }
    for spec in &cli.user_tokens {
        let (login, rest) = spec
            .split_once('=')
            .context("--user-token takes LOGIN=TOKEN[:PERMS]")?;
        let (token, permissions) = split_permissions(rest)?;
        config
            .tokens
            .push(TokenConfig::personal(token, login).with_permissions(permissions));
    }
    for spec in &cli.apps {
        let parts: Vec<&str> = spec.splitn(4, ':').collect();
        let [id, slug, account, keyfile] = parts[..] else {
            bail!("--app takes ID:SLUG:ACCOUNT:KEYFILE, not {spec:?}");
        };
        let id: u64 = id.parse().context("the App id must be a number")?;
        let key = std::fs::read_to_string(keyfile)
            .with_context(|| format!("reading the App key {keyfile}"))?;
        config.apps.push(AppConfig::new(id, slug, &key, account));
    }
    Ok(config)
}

fn bitbucket_config(cli: &Cli) -> anyhow::Result<BitbucketConfig> {
    let mut config = BitbucketConfig::default().root(&cli.root);
    config.port = cli.port;
    config.record = cli.record.clone();
    config.validate = !cli.no_validate;
    for spec in &cli.tokens {
        let (token, scopes) = match spec.rsplit_once(':') {
            Some((t, "read")) => (t, Scopes::READ),
            Some((_, other)) => bail!("unknown scope set {other:?} (only `read`)"),
            None => (spec.as_str(), Scopes::ALL),
        };
        config
            .credentials
            .push(CredentialConfig::access_token(token).scopes(scopes));
    }
    for spec in &cli.app_passwords {
        let (user, password) = spec
            .split_once('=')
            .context("--app-password takes USER=PASSWORD")?;
        config
            .credentials
            .push(CredentialConfig::app_password(user, password));
    }
    for spec in &cli.oauth_consumers {
        let (key, secret) = spec
            .split_once('=')
            .context("--oauth-consumer takes KEY=SECRET")?;
        config
            .credentials
            .push(CredentialConfig::oauth_consumer(key, secret));
    }
    Ok(config)
}

#[cfg(test)]
mod tests {
    use clap::ValueEnum as _;

    /// The registry of emulators (`gensync_tests::emulator::PROVIDERS`) and the binary's
    /// `--provider` values are the same list.
    #[test]
    fn every_registered_provider_can_be_run() {
        let values: Vec<String> = super::Provider::value_variants()
            .iter()
            .filter_map(|p| p.to_possible_value().map(|v| v.get_name().to_owned()))
            .collect();
        let registered: Vec<&str> = gensync_tests::emulator::PROVIDERS
            .iter()
            .map(|(name, _)| *name)
            .collect();
        assert_eq!(values, registered);
    }
}
