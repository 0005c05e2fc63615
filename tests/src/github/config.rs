//! Configuration of the GitHub emulator: where repositories live, which tokens and GitHub Apps
//! it accepts, and its limits.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// How much a token may do in one area (GitHub's fine-grained permission levels).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Access {
    /// Nothing.
    None,
    /// Reading.
    Read,
    /// Reading and writing.
    Write,
}

/// What a token may do, by GitHub permission.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Permissions {
    /// `contents`: git data, refs, commits, the contents API and GraphQL commits.
    pub contents: Access,
    /// `pull_requests`: pull requests and their comments, labels, assignees and reviewers.
    pub pull_requests: Access,
    /// `administration`: creating repositories.
    pub administration: Access,
}

impl Permissions {
    /// Everything writable.
    pub const WRITE_ALL: Permissions = Permissions {
        contents: Access::Write,
        pull_requests: Access::Write,
        administration: Access::Write,
    };
    /// Everything readable, nothing writable.
    pub const READ_ALL: Permissions = Permissions {
        contents: Access::Read,
        pull_requests: Access::Read,
        administration: Access::Read,
    };

    /// Parses the CLI form: `read`, `write`, or a comma list such as
    /// `contents=write,pull_requests=read,administration=none`.
    pub fn parse(text: &str) -> Option<Permissions> {
        match text {
            "read" => return Some(Permissions::READ_ALL),
            "write" => return Some(Permissions::WRITE_ALL),
            _ => {}
        }
        let mut permissions = Permissions {
            contents: Access::None,
            pull_requests: Access::None,
            administration: Access::None,
        };
        for item in text.split(',') {
            let (name, level) = item.split_once('=')?;
            let level = match level {
                "none" => Access::None,
                "read" => Access::Read,
                "write" => Access::Write,
                _ => return None,
            };
            match name {
                "contents" => permissions.contents = level,
                "pull_requests" => permissions.pull_requests = level,
                "administration" => permissions.administration = level,
                _ => return None,
            }
        }
        Some(permissions)
    }
}

/// Who a token acts as.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Identity {
    /// Login (`github-actions[bot]`, `octocat`).
    pub login: String,
    /// Numeric user id.
    pub id: u64,
    /// Display name used for commits.
    pub name: String,
    /// E-mail used for commits.
    pub email: String,
    /// A bot (GitHub Actions or an App installation) rather than a person.
    pub bot: bool,
}

impl Identity {
    /// The identity of GitHub Actions' `GITHUB_TOKEN`.
    pub fn github_actions() -> Identity {
        Identity {
            login: "github-actions[bot]".into(),
            id: 41_898_282,
            name: "github-actions[bot]".into(),
            email: "41898282+github-actions[bot]@users.noreply.github.com".into(),
            bot: true,
        }
    }

    /// A person with `login`.
    pub fn user(login: &str) -> Identity {
        let id = stable_id(login);
        Identity {
            login: login.to_owned(),
            id,
            name: login.to_owned(),
            email: format!("{id}+{login}@users.noreply.github.com"),
            bot: false,
        }
    }

    /// The bot of GitHub App `slug`.
    pub fn app_bot(slug: &str) -> Identity {
        let login = format!("{slug}[bot]");
        let id = stable_id(&login);
        Identity {
            email: format!("{id}+{login}@users.noreply.github.com"),
            name: login.clone(),
            login,
            id,
            bot: true,
        }
    }
}

/// A deterministic numeric id for a login or name (FNV-1a, kept positive and below 2^31 so it
/// looks like a GitHub id).
pub fn stable_id(text: &str) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for b in text.to_ascii_lowercase().bytes() {
        hash ^= u64::from(b);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash % 2_000_000_000 + 1_000
}

/// What kind of credential a token is; decides some of GitHub's answers (for instance
/// `GITHUB_TOKEN` may be forbidden to create pull requests, and `GET /user` is refused to
/// integrations).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenKind {
    /// GitHub Actions' `GITHUB_TOKEN`.
    Actions,
    /// A personal access token.
    Personal,
    /// A GitHub App installation token.
    Installation {
        /// The installation.
        installation_id: u64,
    },
}

/// A token the emulator accepts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenConfig {
    /// The secret (never logged nor recorded).
    pub token: String,
    /// The kind of credential.
    pub kind: TokenKind,
    /// Who it acts as.
    pub identity: Identity,
    /// What it may do.
    pub permissions: Permissions,
    /// The repositories (`owner/name`, or `owner/*` for all of an owner's) it may see; `None`
    /// for all.
    pub repositories: Option<Vec<String>>,
    /// Unix time after which it is refused (`None`: never expires).
    pub expires_at: Option<i64>,
}

impl TokenConfig {
    /// A `GITHUB_TOKEN` of GitHub Actions: acts as `github-actions[bot]`, may write contents
    /// and pull requests but not create repositories.
    pub fn actions(token: &str) -> TokenConfig {
        TokenConfig {
            token: token.to_owned(),
            kind: TokenKind::Actions,
            identity: Identity::github_actions(),
            permissions: Permissions {
                contents: Access::Write,
                pull_requests: Access::Write,
                administration: Access::None,
            },
            repositories: None,
            expires_at: None,
        }
    }

    /// A personal access token of `login` that may do everything.
    pub fn personal(token: &str, login: &str) -> TokenConfig {
        TokenConfig {
            token: token.to_owned(),
            kind: TokenKind::Personal,
            identity: Identity::user(login),
            permissions: Permissions::WRITE_ALL,
            repositories: None,
            expires_at: None,
        }
    }

    /// The same token, limited to reading.
    pub fn read_only(mut self) -> TokenConfig {
        self.permissions = Permissions::READ_ALL;
        self
    }

    /// The same token with `permissions`.
    pub fn with_permissions(mut self, permissions: Permissions) -> TokenConfig {
        self.permissions = permissions;
        self
    }

    /// The same token, limited to `repositories` (`owner/name`).
    pub fn only_repositories(mut self, repositories: &[&str]) -> TokenConfig {
        self.repositories = Some(repositories.iter().map(|r| (*r).to_owned()).collect());
        self
    }

    /// Whether the token may see `full_name` (`owner/*` in the list covers all of `owner`'s).
    pub fn can_see(&self, full_name: &str) -> bool {
        let owner = full_name.split('/').next().unwrap_or_default();
        self.repositories.as_ref().is_none_or(|list| {
            list.iter().any(|r| {
                r.eq_ignore_ascii_case(full_name)
                    || r.strip_suffix("/*")
                        .is_some_and(|o| o.eq_ignore_ascii_case(owner))
            })
        })
    }
}

/// A GitHub App whose JWTs the emulator accepts, installed once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppConfig {
    /// The App id (the JWT's `iss`).
    pub id: u64,
    /// The App slug; its bot is `{slug}[bot]`.
    pub slug: String,
    /// PEM of the App's public key (`BEGIN PUBLIC KEY` or `BEGIN RSA PUBLIC KEY`), or of its
    /// private key (the public half is derived), to verify RS256 JWT signatures.
    pub key_pem: String,
    /// The id of the App's installation.
    pub installation_id: u64,
    /// The account the App is installed on (the owner of the repositories).
    pub account: String,
    /// Repositories (`owner/name`) the installation may reach; `None` for all of `account`'s.
    pub repositories: Option<Vec<String>>,
    /// What installation tokens may do.
    pub permissions: Permissions,
}

impl AppConfig {
    /// An App `id` called `slug`, installed on `account` with write access to contents and
    /// pull requests, verifying JWTs with `key_pem`.
    pub fn new(id: u64, slug: &str, key_pem: &str, account: &str) -> AppConfig {
        AppConfig {
            id,
            slug: slug.to_owned(),
            key_pem: key_pem.to_owned(),
            installation_id: id * 1000 + 1,
            account: account.to_owned(),
            repositories: None,
            permissions: Permissions {
                contents: Access::Write,
                pull_requests: Access::Write,
                administration: Access::None,
            },
        }
    }

    /// Whether the installation covers `full_name`.
    pub fn covers(&self, full_name: &str) -> bool {
        match &self.repositories {
            Some(list) => list.iter().any(|r| r.eq_ignore_ascii_case(full_name)),
            None => full_name
                .split_once('/')
                .is_some_and(|(owner, _)| owner.eq_ignore_ascii_case(&self.account)),
        }
    }
}

/// Everything [`super::GithubEmulator::start`] needs. All fields have defaults.
#[derive(Debug, Clone)]
pub struct GithubConfig {
    /// Directory of the repositories (`{root}/{owner}/{name}.git`) and the emulator's state
    /// file; `None` makes a temporary directory removed with the emulator.
    pub root: Option<PathBuf>,
    /// Port on 127.0.0.1; 0 picks a free one.
    pub port: u16,
    /// Accepted tokens.
    pub tokens: Vec<TokenConfig>,
    /// Accepted GitHub Apps.
    pub apps: Vec<AppConfig>,
    /// Also append the request record to this file, one JSON object per line.
    pub record: Option<PathBuf>,
    /// Validate every request against GitHub's official descriptions (default on; startup
    /// fails when the validator is not installed).
    pub validate: bool,
    /// The validator directory (default `tests/validator` of this source tree).
    pub validator_dir: PathBuf,
    /// Recursive tree listings with more entries than this are cut and marked `truncated`
    /// (GitHub: 100,000).
    pub tree_entry_limit: usize,
    /// Requests per hour per token (`x-ratelimit-limit`); past it, 403 rate limit exceeded.
    pub rate_limit: u32,
    /// Serve like GitHub Enterprise Server: REST under `/api/v3`, GraphQL at `/api/graphql`.
    pub enterprise: bool,
}

impl Default for GithubConfig {
    fn default() -> Self {
        GithubConfig {
            root: None,
            port: 0,
            tokens: Vec::new(),
            apps: Vec::new(),
            record: None,
            validate: true,
            validator_dir: crate::validator::default_dir(),
            tree_entry_limit: 100_000,
            rate_limit: 5_000,
            enterprise: false,
        }
    }
}

impl GithubConfig {
    /// Adds an accepted token.
    pub fn token(mut self, token: TokenConfig) -> GithubConfig {
        self.tokens.push(token);
        self
    }

    /// Adds an accepted GitHub App.
    pub fn app(mut self, app: AppConfig) -> GithubConfig {
        self.apps.push(app);
        self
    }

    /// Uses `root` for repositories and state (kept after the emulator stops).
    pub fn root(mut self, root: impl Into<PathBuf>) -> GithubConfig {
        self.root = Some(root.into());
        self
    }

    /// Records requests to `file` too.
    pub fn record(mut self, file: impl Into<PathBuf>) -> GithubConfig {
        self.record = Some(file.into());
        self
    }

    /// Turns request validation off (explicitly; it is on by default).
    pub fn without_validation(mut self) -> GithubConfig {
        self.validate = false;
        self
    }

    /// Sets the recursive tree listing limit.
    pub fn tree_entry_limit(mut self, limit: usize) -> GithubConfig {
        self.tree_entry_limit = limit;
        self
    }

    /// Serves under GitHub Enterprise Server paths.
    pub fn enterprise(mut self) -> GithubConfig {
        self.enterprise = true;
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_permissions() {
        assert_eq!(Permissions::parse("read"), Some(Permissions::READ_ALL));
        let p = Permissions::parse("contents=write,pull_requests=read").expect("valid");
        assert_eq!(
            (p.contents, p.pull_requests, p.administration),
            (Access::Write, Access::Read, Access::None)
        );
        assert_eq!(Permissions::parse("contents=maybe"), None);
    }
}
