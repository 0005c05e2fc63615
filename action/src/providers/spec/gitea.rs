//! Gitea and Forgejo (and Codeberg, which runs Forgejo): the spec, the backend, the HTTP client
//! and the `repo` commands.

use anyhow::{bail, Context};
use serde_json::{json, Value};

use super::{ApiUrl, Backend, Connect, ProviderSpec, RepositorySyntax, SizeLimit, Supports};
use crate::cli::{RepoCreateArgs, RepoListArgs, RepoProviderArgs};
use crate::env;
use crate::http::{urls, Body, Credential, HttpClient, HttpConfig, Method, Request, Secret};
use crate::providers::gitea::Gitea;
use crate::providers::github_repos::Repository;
use crate::providers::Provider;
use crate::settings;

/// Gitea's spec.
pub static SPEC: ProviderSpec = ProviderSpec {
    name: "gitea",
    title: "Gitea",
    about: "Gitea or Forgejo (Codeberg): `--api-url https://HOST/api/v1`",
    repository: RepositorySyntax::OwnerName {
        placeholder: "OWNER/REPO",
    },
    default_repository_env: Some(env::GITHUB_REPOSITORY),
    credential_envs: &env::GITEA_TOKENS,
    // No default server: `--api-url`, GITEA_API_URL, or the Actions runner's server.
    api_url: Some(ApiUrl {
        env: env::GITEA_API_URL,
        default: "",
    }),
    file_size_limit: Some(SizeLimit {
        bytes: crate::providers::gitea::MAX_FILE_BYTES,
        name: "the 100 MiB limit gensync keeps for Gitea",
    }),
    supports: Supports {
        pull_requests: true,
        draft: false,
        labels: true,
        assignees: true,
        reviewers: true,
        team_reviewers: false,
        signed_commits: false,
        file_modes: false,
        commit_modes: false,
    },
    connect,
    list_repositories,
    create_repository,
};

impl Backend for Gitea {
    fn provider(&mut self) -> &mut dyn Provider {
        self
    }

    fn report(&self, log: &mut dyn crate::sync::Log) {
        for note in &self.notes {
            log.info(note);
        }
    }
}

/// Whether gensync runs in Gitea or Forgejo Actions.
pub fn in_actions(get: &dyn Fn(&str) -> Option<String>) -> bool {
    [env::GITEA_ACTIONS, env::FORGEJO_ACTIONS]
        .iter()
        .any(|n| get(n).is_some_and(|v| v.trim() == "true"))
}

/// The API root: `--api-url`, else GITEA_API_URL, else (in Gitea/Forgejo Actions) the
/// runner's `GITHUB_SERVER_URL` + `/api/v1`.
pub fn api_url(flag: Option<&str>, get: &dyn Fn(&str) -> Option<String>) -> anyhow::Result<String> {
    let chosen = settings::api_url(&SPEC, flag, &get).unwrap_or_default();
    if !chosen.trim().is_empty() {
        return Ok(chosen.trim().trim_end_matches('/').to_owned());
    }
    if in_actions(get) {
        if let Some(server) = get(env::GITHUB_SERVER_URL).filter(|s| !s.trim().is_empty()) {
            return Ok(format!("{}/api/v1", server.trim().trim_end_matches('/')));
        }
    }
    bail!(
        "--provider gitea needs the server's API root: --api-url https://HOST/api/v1 (or {}); in Gitea or Forgejo Actions it is {}/api/v1",
        env::GITEA_API_URL,
        env::GITHUB_SERVER_URL
    )
}

/// The token: `token_env`, else GITEA_TOKEN, FORGEJO_TOKEN, and in Gitea/Forgejo Actions the
/// job's token (GITHUB_TOKEN, which their runners set like GitHub's).
pub fn token(
    token_env: Option<&str>,
    get: &dyn Fn(&str) -> Option<String>,
) -> anyhow::Result<String> {
    let mut names: Vec<&str> = match token_env {
        Some(n) => vec![n],
        None => SPEC.credential_envs.to_vec(),
    };
    if token_env.is_none() && in_actions(get) {
        names.push(env::GITHUB_TOKENS[0]);
    }
    if let Some(token) = settings::first_set(&names, &get) {
        return Ok(token);
    }
    bail!(
        "no Gitea token: set {} (an access token with the write:repository and write:issue scopes; in Gitea/Forgejo Actions pass `token: ${{{{ secrets.GITHUB_TOKEN }}}}`){}",
        names.join(" or "),
        if token_env.is_some() { "" } else { ", or name another variable with --token-env" }
    )
}

/// An HTTP client for the API at `root`, sending `Authorization: token …`.
fn http(root: &str, token: String, verbose: bool) -> anyhow::Result<HttpClient> {
    let mut config = HttpConfig::new(root)?.credential(Credential::Token(Secret::new(token)));
    if verbose {
        config.trace = Some(std::sync::Arc::new(|e: &crate::http::TraceEvent| {
            eprintln!("http: {e}")
        }));
    }
    Ok(HttpClient::new(config)?)
}

fn connect(c: &Connect<'_>) -> anyhow::Result<Box<dyn Backend>> {
    let get = |name: &str| std::env::var(name).ok();
    let args = c.args;
    let root = api_url(args.api_url.as_deref(), &get)?;
    let token = match c.token.clone().filter(|t| !t.trim().is_empty()) {
        Some(t) => t,
        None => token(args.token_env.as_deref(), &get)?,
    };
    if crate::ci::github_actions::active() {
        crate::ci::github_actions::mask(&token);
    }
    let http = http(&root, token, args.verbose)?;
    Ok(Box::new(Gitea::new(http, &c.target.repository.value)?))
}

fn account(p: &RepoProviderArgs) -> anyhow::Result<HttpClient> {
    let get = |name: &str| std::env::var(name).ok();
    http(
        &api_url(p.api_url.as_deref(), &get)?,
        token(p.token_env.as_deref(), &get)?,
        false,
    )
}

fn repository(v: &Value) -> Repository {
    Repository {
        full_name: v["full_name"].as_str().unwrap_or_default().to_owned(),
        private: v["private"].as_bool().unwrap_or(false),
        default_branch: v["default_branch"]
            .as_str()
            .filter(|b| !b.is_empty())
            .map(str::to_owned),
        html_url: v["html_url"].as_str().map(str::to_owned),
    }
}

/// An organisation's repositories (`--owner ORG`, a user's when ORG is a user), or the
/// token user's.
fn list_repositories(args: &RepoListArgs) -> anyhow::Result<Vec<Repository>> {
    let http = account(&args.provider)?;
    let repos: Vec<Value> = match args.owner.as_deref() {
        None => http.get_all("/user/repos?limit=50", None)?,
        Some(owner) => {
            let org = format!("/orgs/{}/repos?limit=50", urls::segment(owner));
            let first = http.send(Request::new(Method::Get, org.clone()))?;
            if first.status == 404 {
                http.get_all(
                    &format!("/users/{}/repos?limit=50", urls::segment(owner)),
                    None,
                )?
            } else {
                http.get_all(&org, None)?
            }
        }
    };
    Ok(repos.iter().map(repository).collect())
}

/// Creates a repository in organisation `--owner` (or for the token's user when it is the
/// user's own name).
fn create_repository(args: &RepoCreateArgs) -> anyhow::Result<Repository> {
    let http = account(&args.provider)?;
    let user: Value = http
        .send(Request::new(Method::Get, "/user"))?
        .json()
        .context("read the token's user")?;
    let target = if user["login"].as_str() == Some(args.owner.as_str()) {
        "/user/repos".to_owned()
    } else {
        format!("/orgs/{}/repos", urls::segment(&args.owner))
    };
    let mut body = json!({ "name": args.name, "private": args.private, "auto_init": args.init });
    if let Some(d) = &args.description {
        body["description"] = json!(d);
    }
    let resp = http.send(
        Request::new(Method::Post, target)
            .body(Body::Json(body))
            .idempotent(false),
    )?;
    if resp.status != 201 {
        return Err(crate::providers::gitea::api_error(
            &http,
            &resp,
            &format!("create {}/{}", args.owner, args.name),
        ));
    }
    Ok(repository(&resp.json()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| {
            pairs
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| (*v).to_owned())
        }
    }

    #[test]
    fn the_api_root_comes_from_the_flag_the_variable_or_the_actions_runner() {
        let none = env(&[]);
        assert_eq!(
            api_url(Some("https://git.example.com/api/v1/"), &none).unwrap(),
            "https://git.example.com/api/v1"
        );
        let err = api_url(None, &none).unwrap_err().to_string();
        assert!(err.contains("--api-url https://HOST/api/v1"), "{err}");
        let var = env(&[("GITEA_API_URL", "https://a.example/api/v1")]);
        assert_eq!(api_url(None, &var).unwrap(), "https://a.example/api/v1");
        let runner = env(&[
            ("FORGEJO_ACTIONS", "true"),
            ("GITHUB_SERVER_URL", "https://codeberg.org/"),
        ]);
        assert_eq!(
            api_url(None, &runner).unwrap(),
            "https://codeberg.org/api/v1"
        );
        // GitHub's runner sets GITHUB_SERVER_URL too: not a Gitea server.
        let github = env(&[("GITHUB_SERVER_URL", "https://github.com")]);
        assert!(api_url(None, &github).is_err());
    }

    #[test]
    fn gitea_and_forgejo_actions_make_gitea_the_default_provider() {
        use super::super::{default_provider, ProviderKind};
        assert_eq!(default_provider(&env(&[])), ProviderKind::Github);
        assert_eq!(
            default_provider(&env(&[("GITHUB_ACTIONS", "true")])),
            ProviderKind::Github
        );
        for runner in ["GITEA_ACTIONS", "FORGEJO_ACTIONS"] {
            assert_eq!(
                default_provider(&env(&[("GITHUB_ACTIONS", "true"), (runner, "true")])),
                ProviderKind::Gitea
            );
        }
    }

    #[test]
    fn tokens_are_read_in_order_and_the_job_token_only_in_gitea_actions() {
        let both = env(&[("FORGEJO_TOKEN", "f"), ("GITEA_TOKEN", "g")]);
        assert_eq!(token(None, &both).unwrap(), "g");
        let job = env(&[("GITHUB_TOKEN", "job")]);
        let err = token(None, &job).unwrap_err().to_string();
        assert!(err.contains("GITEA_TOKEN or FORGEJO_TOKEN"), "{err}");
        assert!(!err.contains("job"), "{err}");
        let in_actions = env(&[("GITHUB_TOKEN", "job"), ("GITEA_ACTIONS", "true")]);
        assert_eq!(token(None, &in_actions).unwrap(), "job");
        let named = env(&[("MINE", "m"), ("GITEA_TOKEN", "g")]);
        assert_eq!(token(Some("MINE"), &named).unwrap(), "m");
    }
}
