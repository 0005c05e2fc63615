//! How a Bitbucket emulator is started: its root, record file, validation, and the
//! credentials it accepts.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// What a credential may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scopes {
    /// Read repositories (`repository`).
    pub read: bool,
    /// Push commits, create branches (`repository:write`).
    pub write: bool,
    /// Open and edit pull requests, comment (`pullrequest:write`).
    pub pullrequests: bool,
    /// Create repositories (`repository:admin`).
    pub admin: bool,
}

impl Scopes {
    /// Everything.
    pub const ALL: Scopes = Scopes {
        read: true,
        write: true,
        pullrequests: true,
        admin: true,
    };
    /// Reading only.
    pub const READ: Scopes = Scopes {
        read: true,
        write: false,
        pullrequests: false,
        admin: false,
    };

    /// The Bitbucket scope names granted, as the 403 answer lists them.
    pub fn names(&self) -> Vec<&'static str> {
        let mut out = Vec::new();
        if self.read {
            out.push("repository");
        }
        if self.write {
            out.push("repository:write");
        }
        if self.pullrequests {
            out.push("pullrequest:write");
        }
        if self.admin {
            out.push("repository:admin");
        }
        out
    }
}

/// One kind of credential.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum CredentialKind {
    /// A repository or workspace access token, sent as `Bearer`; acts as a bot account.
    AccessToken {
        /// The token.
        token: String,
    },
    /// A user's app password (or API token), sent as Basic `username:password`.
    AppPassword {
        /// The user name.
        username: String,
        /// The password.
        password: String,
    },
    /// An OAuth consumer: `key:secret` as Basic at the token endpoint, for an access token.
    OAuthConsumer {
        /// The consumer key.
        key: String,
        /// The consumer secret.
        secret: String,
    },
}

/// A credential the emulator accepts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CredentialConfig {
    /// What it is.
    pub kind: CredentialKind,
    /// What it may do.
    pub scopes: Scopes,
    /// The account it acts as (`display_name`; commits get `{display_name} <{nickname}@…>`).
    pub display_name: String,
    /// Workspaces it can reach (`None`: every workspace).
    pub workspaces: Option<Vec<String>>,
}

impl CredentialConfig {
    /// A repository access token with every scope (acts as a bot account, as Bitbucket's do).
    pub fn access_token(token: &str) -> CredentialConfig {
        CredentialConfig {
            kind: CredentialKind::AccessToken {
                token: token.to_owned(),
            },
            scopes: Scopes::ALL,
            display_name: "gensync access token".into(),
            workspaces: None,
        }
    }

    /// A user's app password with every scope.
    pub fn app_password(username: &str, password: &str) -> CredentialConfig {
        CredentialConfig {
            kind: CredentialKind::AppPassword {
                username: username.to_owned(),
                password: password.to_owned(),
            },
            scopes: Scopes::ALL,
            display_name: username.to_owned(),
            workspaces: None,
        }
    }

    /// An OAuth consumer with every scope.
    pub fn oauth_consumer(key: &str, secret: &str) -> CredentialConfig {
        CredentialConfig {
            kind: CredentialKind::OAuthConsumer {
                key: key.to_owned(),
                secret: secret.to_owned(),
            },
            scopes: Scopes::ALL,
            display_name: "gensync OAuth consumer".into(),
            workspaces: None,
        }
    }

    /// Replaces the scopes.
    pub fn scopes(mut self, scopes: Scopes) -> CredentialConfig {
        self.scopes = scopes;
        self
    }

    /// Limits it to these workspaces.
    pub fn only_workspaces(mut self, workspaces: &[&str]) -> CredentialConfig {
        self.workspaces = Some(workspaces.iter().map(|w| w.to_string()).collect());
        self
    }

    /// Whether it reaches `workspace`.
    pub fn can_see(&self, workspace: &str) -> bool {
        self.workspaces
            .as_ref()
            .is_none_or(|w| w.iter().any(|w| w.eq_ignore_ascii_case(workspace)))
    }
}

/// The emulator's configuration.
#[derive(Debug, Clone)]
pub struct BitbucketConfig {
    /// Where repositories and state live (`None`: a temporary directory removed on drop).
    pub root: Option<PathBuf>,
    /// Port on 127.0.0.1 (0 picks one).
    pub port: u16,
    /// Also append the request record to this JSON-lines file.
    pub record: Option<PathBuf>,
    /// Validate requests against Bitbucket's official API description.
    pub validate: bool,
    /// Where the validator sidecar lives.
    pub validator_dir: PathBuf,
    /// Accepted credentials.
    pub credentials: Vec<CredentialConfig>,
}

impl Default for BitbucketConfig {
    fn default() -> Self {
        BitbucketConfig {
            root: None,
            port: 0,
            record: None,
            validate: true,
            validator_dir: crate::validator::default_dir(),
            credentials: Vec::new(),
        }
    }
}

/// Building a configuration.
impl BitbucketConfig {
    /// Accepts one more credential.
    pub fn credential(mut self, credential: CredentialConfig) -> BitbucketConfig {
        self.credentials.push(credential);
        self
    }

    /// Keeps repositories and state in `root`.
    pub fn root(mut self, root: impl Into<PathBuf>) -> BitbucketConfig {
        self.root = Some(root.into());
        self
    }

    /// Appends the record to `file`.
    pub fn record(mut self, file: impl Into<PathBuf>) -> BitbucketConfig {
        self.record = Some(file.into());
        self
    }

    /// Does not validate requests (say so explicitly; the default validates).
    pub fn without_validation(mut self) -> BitbucketConfig {
        self.validate = false;
        self
    }
}
