//! GitLab (gitlab.com and self-managed): the spec, the backend and the HTTP client.

use anyhow::bail;

use super::{ApiUrl, Backend, Connect, ProviderSpec, RepositorySyntax, SizeLimit, Supports};
use crate::cli::{RepoCreateArgs, RepoListArgs};
use crate::env;
use crate::http::{Credential, HttpClient, HttpConfig, Secret};
use crate::providers::github_repos::Repository;
use crate::providers::gitlab::GitLab;
use crate::providers::Provider;
use crate::settings;

/// How `--repository` names a GitLab project.
pub const REPOSITORY: RepositorySyntax = RepositorySyntax::Namespaced {
    placeholder: "GROUP[/SUBGROUP…]/PROJECT (or a numeric project id)",
};

/// GitLab's spec.
pub static SPEC: ProviderSpec = ProviderSpec {
    name: "gitlab",
    title: "GitLab",
    about: "GitLab.com or self-managed GitLab (`--repository GROUP[/SUBGROUP…]/PROJECT` or a project id)",
    repository: REPOSITORY,
    default_repository_env: Some(env::CI_PROJECT_PATH),
    credential_envs: &env::GITLAB_TOKENS,
    api_url: Some(ApiUrl {
        env: env::CI_API_V4_URL,
        default: crate::providers::gitlab::API_URL,
    }),
    file_size_limit: Some(SizeLimit {
        bytes: crate::providers::gitlab::MAX_FILE_BYTES,
        name: "the 100 MiB file limit gensync applies to GitLab",
    }),
    supports: Supports {
        pull_requests: true,
        draft: true,
        labels: true,
        assignees: true,
        reviewers: true,
        team_reviewers: false,
        signed_commits: false,
        file_modes: true,
        commit_modes: false,
    },
    connect,
    list_repositories,
    create_repository,
};

impl Backend for GitLab {
    fn provider(&mut self) -> &mut dyn Provider {
        self
    }

    fn report(&self, log: &mut dyn crate::sync::Log) {
        for note in &self.notes {
            log.info(note);
        }
    }
}

fn connect(c: &Connect<'_>) -> anyhow::Result<Box<dyn Backend>> {
    let args = c.args;
    let token = match c.token.clone().filter(|t| !t.trim().is_empty()) {
        Some(t) => t,
        None => token_from_env(args.token_env.as_deref(), &|n| std::env::var(n).ok())?,
    };
    let http = http(args.api_url.as_deref(), token, args.verbose)?;
    Ok(Box::new(GitLab::new(http, &c.target.repository.value)?))
}

/// An HTTP client for GitLab's API (`--api-url`, else `CI_API_V4_URL`, else gitlab.com),
/// authenticated with `token` as `Authorization: Bearer` (GitLab takes personal, project and
/// group access tokens there as well as OAuth tokens).
fn http(api_url: Option<&str>, token: String, verbose: bool) -> anyhow::Result<HttpClient> {
    let root =
        settings::api_url(&SPEC, api_url, &|n| std::env::var(n).ok()).expect("GitLab has an API");
    let mut config = HttpConfig::new(&root)?.credential(Credential::Bearer(Secret::new(token)));
    if verbose {
        config.trace = Some(std::sync::Arc::new(|e: &crate::http::TraceEvent| {
            eprintln!("http: {e}")
        }));
    }
    Ok(HttpClient::new(config)?)
}

/// The token from `token_env`, or `GITLAB_TOKEN`, then `GL_TOKEN`. A job token
/// (`CI_JOB_TOKEN`) alone cannot write through the API: the error says which token to create.
fn token_from_env(
    token_env: Option<&str>,
    get: &dyn Fn(&str) -> Option<String>,
) -> anyhow::Result<String> {
    let names: Vec<&str> = match token_env {
        Some(n) => vec![n],
        None => SPEC.credential_envs.to_vec(),
    };
    if let Some(token) = settings::first_set(&names, get) {
        return Ok(token);
    }
    let job = get(env::CI_JOB_TOKEN).is_some_and(|t| !t.trim().is_empty());
    bail!(
        "no GitLab token: set {}{}. {}",
        names.join(" or "),
        if token_env.is_some() {
            ""
        } else {
            " (or name another variable with --token-env)"
        },
        if job {
            "CI_JOB_TOKEN is set, but a job token cannot commit nor open merge requests through the API: create a project access token (Settings → Access tokens) with the `api` scope and the Developer role (Maintainer to push to protected branches), and store it as a masked CI/CD variable GITLAB_TOKEN"
        } else {
            "gensync needs a personal, project or group access token with the `api` scope, or an OAuth token"
        }
    )
}

fn list_repositories(args: &RepoListArgs) -> anyhow::Result<Vec<Repository>> {
    let _ = args;
    bail!("`gensync repo list --provider gitlab` is not available yet: list the group's projects in GitLab (Group → Projects)")
}

fn create_repository(args: &RepoCreateArgs) -> anyhow::Result<Repository> {
    let _ = args;
    bail!("`gensync repo create --provider gitlab` is not available yet: create the project in GitLab (New project), then sync with --init-empty")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_job_token_alone_says_which_token_to_create() {
        let env = |n: &str| (n == "CI_JOB_TOKEN").then(|| "job-secret".to_owned());
        let err = token_from_env(None, &env).unwrap_err().to_string();
        assert!(
            err.contains("CI_JOB_TOKEN is set, but a job token cannot commit"),
            "{err}"
        );
        assert!(
            err.contains("project access token") && err.contains("`api` scope"),
            "{err}"
        );
        assert!(!err.contains("job-secret"), "{err}");
        let env = |n: &str| (n == "GL_TOKEN").then(|| "glpat-x".to_owned());
        assert_eq!(token_from_env(None, &env).expect("a token"), "glpat-x");
    }

    #[test]
    fn repository_syntax_takes_nested_groups_and_ids() {
        for ok in ["acme/app", "acme/platform/sdk/app", "12345"] {
            assert!(REPOSITORY.check(ok).is_ok(), "{ok}");
        }
        for bad in ["app", "/acme/app", "acme/", "acme//app", "./app", "12a"] {
            assert!(REPOSITORY.check(bad).is_err(), "{bad}");
        }
    }
}
