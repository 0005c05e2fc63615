//! Bitbucket Cloud credentials: repository/workspace access tokens (Bearer), app passwords or
//! API tokens with a user name (Basic), and OAuth consumers (client credentials grant → an
//! access token, Bearer).
//!
//! Which one is used: `--username` (or `BITBUCKET_USERNAME`) selects Basic with the password
//! from `--token-env NAME`, else `BITBUCKET_APP_PASSWORD`, else `BITBUCKET_API_TOKEN`; else
//! an OAuth consumer key (`--oauth-client-id` / `BITBUCKET_OAUTH_CLIENT_ID`) selects the client
//! credentials grant with the secret from `BITBUCKET_OAUTH_CLIENT_SECRET`; else the access
//! token from `--token-env NAME`, else `BITBUCKET_ACCESS_TOKEN`, else `BITBUCKET_TOKEN`.
//! Values are read from the environment only (never from a flag's value, which would show in
//! process listings and CI logs) and travel as [`Secret`]s.

use anyhow::{bail, Context};
use serde::Deserialize;

use crate::http::{Body, Credential, HttpClient, HttpConfig, Method, Request, Secret};

/// Variables read for an access token, in order.
pub const ACCESS_TOKEN_ENVS: [&str; 2] = crate::env::BITBUCKET_ACCESS_TOKENS;
/// Variables read for an app password (or API token) with a user name, in order.
pub const APP_PASSWORD_ENVS: [&str; 2] = crate::env::BITBUCKET_APP_PASSWORDS;
/// The user name of an app password.
pub const USERNAME_ENV: &str = crate::env::BITBUCKET_USERNAME;
/// The OAuth consumer's key.
pub const OAUTH_CLIENT_ID_ENV: &str = crate::env::BITBUCKET_OAUTH_CLIENT_ID;
/// The OAuth consumer's secret.
pub const OAUTH_CLIENT_SECRET_ENV: &str = crate::env::BITBUCKET_OAUTH_CLIENT_SECRET;
/// Bitbucket's OAuth token endpoint.
pub const OAUTH_TOKEN_URL: &str = "https://bitbucket.org/site/oauth2/access_token";

/// How to authenticate, as resolved from flags and the environment (no secret yet).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthMethod {
    /// Bearer access token from this variable.
    AccessToken {
        /// The variable.
        env: String,
    },
    /// Basic with a user name and the password from this variable.
    AppPassword {
        /// The user name.
        username: String,
        /// The variable.
        env: String,
    },
    /// The OAuth client credentials grant.
    OAuth {
        /// The consumer key.
        client_id: String,
    },
}

/// The flags that choose the credential.
#[derive(Debug, Clone, Default)]
pub struct AuthFlags<'a> {
    /// `--username`.
    pub username: Option<&'a str>,
    /// `--token-env`.
    pub token_env: Option<&'a str>,
    /// `--oauth-client-id`.
    pub oauth_client_id: Option<&'a str>,
}

fn present(get: &dyn Fn(&str) -> Option<String>, name: &str) -> Option<String> {
    get(name)
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
}

/// Which credential the flags and variables select (see the module docs).
pub fn choose(
    flags: &AuthFlags<'_>,
    get: &dyn Fn(&str) -> Option<String>,
) -> anyhow::Result<AuthMethod> {
    let first_set = |names: &[&str]| {
        names
            .iter()
            .find(|n| present(get, n).is_some())
            .map(|n| n.to_string())
    };
    let username = flags
        .username
        .map(str::to_owned)
        .or_else(|| present(get, USERNAME_ENV));
    if let Some(username) = username {
        let env = match flags.token_env {
            Some(n) => n.to_owned(),
            None => first_set(&APP_PASSWORD_ENVS).with_context(|| {
                format!(
                    "--username {username} needs its app password (or API token) in {}, or name the variable with --token-env",
                    APP_PASSWORD_ENVS.join(" or ")
                )
            })?,
        };
        return Ok(AuthMethod::AppPassword { username, env });
    }
    let client_id = flags
        .oauth_client_id
        .map(str::to_owned)
        .or_else(|| present(get, OAUTH_CLIENT_ID_ENV));
    if let Some(client_id) = client_id {
        return Ok(AuthMethod::OAuth { client_id });
    }
    let env = match flags.token_env {
        Some(n) => n.to_owned(),
        None => first_set(&ACCESS_TOKEN_ENVS).with_context(|| {
            format!(
                "no Bitbucket credentials: set {} (a repository or workspace access token), or \
                 --username with {} (an app password), or {OAUTH_CLIENT_ID_ENV} and \
                 {OAUTH_CLIENT_SECRET_ENV} (an OAuth consumer)",
                ACCESS_TOKEN_ENVS.join(" or "),
                APP_PASSWORD_ENVS[0]
            )
        })?,
    };
    Ok(AuthMethod::AccessToken { env })
}

/// The credential itself, and the secrets that must be scrubbed besides it: reads the chosen
/// variables and, for an OAuth consumer, exchanges the key and secret for an access token at
/// `token_url`.
pub fn credential(
    method: &AuthMethod,
    token_url: &str,
    get: &dyn Fn(&str) -> Option<String>,
    config: impl Fn(&str) -> anyhow::Result<HttpConfig>,
) -> anyhow::Result<(Credential, Vec<Secret>)> {
    let read = |env: &str| {
        present(get, env)
            .map(Secret::new)
            .with_context(|| format!("{env} is not set (or empty)"))
    };
    Ok(match method {
        AuthMethod::AccessToken { env } => (Credential::Bearer(read(env)?), Vec::new()),
        AuthMethod::AppPassword { username, env } => (
            Credential::Basic {
                username: username.clone(),
                password: read(env)?,
            },
            Vec::new(),
        ),
        AuthMethod::OAuth { client_id } => {
            let secret = read(OAUTH_CLIENT_SECRET_ENV)?;
            let token = client_credentials(token_url, client_id, &secret, config)?;
            (Credential::Bearer(token), vec![secret])
        }
    })
}

/// The OAuth 2.0 client credentials grant (RFC 6749 section 4.4) against Bitbucket's token
/// endpoint: `POST` with the consumer as Basic credentials and `grant_type=client_credentials`.
pub fn client_credentials(
    token_url: &str,
    client_id: &str,
    secret: &Secret,
    config: impl Fn(&str) -> anyhow::Result<HttpConfig>,
) -> anyhow::Result<Secret> {
    #[derive(Deserialize)]
    struct Token {
        access_token: String,
    }
    let mut cfg = config(token_url)?;
    cfg.credential = Some(Credential::Basic {
        username: client_id.to_owned(),
        password: secret.clone(),
    });
    let http = HttpClient::new(cfg)?;
    let resp = http.send(
        Request::new(Method::Post, token_url)
            .body(Body::Bytes {
                content_type: "application/x-www-form-urlencoded".into(),
                data: b"grant_type=client_credentials".to_vec(),
            })
            .idempotent(true),
    )?;
    if !resp.is_success() {
        let text = http.redact(&resp.text().chars().take(200).collect::<String>());
        bail!(
            "Bitbucket refused the OAuth consumer {client_id:?}: {} {text} — check {OAUTH_CLIENT_ID_ENV} / \
             {OAUTH_CLIENT_SECRET_ENV} and that the consumer is private (client credentials need a private consumer)",
            resp.status
        );
    }
    let token: Token = resp
        .json()
        .context("Bitbucket's token endpoint answered without an access_token")?;
    Ok(Secret::new(token.access_token))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(vars: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |k| {
            vars.iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn username_selects_an_app_password() {
        let get = env(&[
            ("BITBUCKET_APP_PASSWORD", "pw"),
            ("BITBUCKET_ACCESS_TOKEN", "t"),
        ]);
        let flags = AuthFlags {
            username: Some("me"),
            ..Default::default()
        };
        assert_eq!(
            choose(&flags, &get).unwrap(),
            AuthMethod::AppPassword {
                username: "me".into(),
                env: "BITBUCKET_APP_PASSWORD".into()
            }
        );
    }

    #[test]
    fn oauth_then_access_tokens() {
        let get = env(&[
            ("BITBUCKET_OAUTH_CLIENT_ID", "key"),
            ("BITBUCKET_TOKEN", "t"),
        ]);
        assert_eq!(
            choose(&AuthFlags::default(), &get).unwrap(),
            AuthMethod::OAuth {
                client_id: "key".into()
            }
        );
        let get = env(&[("BITBUCKET_TOKEN", "t"), ("BITBUCKET_ACCESS_TOKEN", " ")]);
        assert_eq!(
            choose(&AuthFlags::default(), &get).unwrap(),
            AuthMethod::AccessToken {
                env: "BITBUCKET_TOKEN".into()
            }
        );
        let err = choose(&AuthFlags::default(), &env(&[])).unwrap_err();
        assert!(err.to_string().contains("BITBUCKET_ACCESS_TOKEN"), "{err}");
    }

    #[test]
    fn token_env_names_the_variable() {
        let flags = AuthFlags {
            token_env: Some("MY_TOKEN"),
            ..Default::default()
        };
        assert_eq!(
            choose(&flags, &env(&[])).unwrap(),
            AuthMethod::AccessToken {
                env: "MY_TOKEN".into()
            }
        );
    }
}
