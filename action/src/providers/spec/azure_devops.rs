//! Azure DevOps (Services, or Server for on-premises): the spec, the backend and the HTTP
//! client.

use anyhow::bail;

use super::{ApiUrl, Backend, Connect, ProviderSpec, RepositorySyntax, SizeLimit, Supports};
use crate::cli::{RepoCreateArgs, RepoListArgs};
use crate::env;
use crate::http::{Credential, HttpClient, HttpConfig, Secret};
use crate::providers::azure_devops::{self, AzureDevOps};
use crate::providers::github_repos::Repository;
use crate::providers::Provider;
use crate::settings;

/// Azure DevOps' spec.
pub static SPEC: ProviderSpec = ProviderSpec {
    name: "azure-devops",
    title: "Azure DevOps",
    about: "Azure DevOps Services or Server (`--repository ORGANIZATION/PROJECT/REPOSITORY`)",
    repository: RepositorySyntax::ThreeSegments {
        placeholder: "ORGANIZATION/PROJECT/REPOSITORY",
    },
    default_repository_env: None,
    credential_envs: &env::AZURE_DEVOPS_TOKENS,
    api_url: Some(ApiUrl {
        env: env::AZURE_DEVOPS_API_URL,
        default: azure_devops::API_URL,
    }),
    file_size_limit: Some(SizeLimit {
        bytes: azure_devops::MAX_FILE_BYTES,
        name: azure_devops::MAX_FILE_NAME,
    }),
    supports: Supports {
        pull_requests: true,
        draft: true,
        labels: true,
        assignees: false,
        reviewers: true,
        team_reviewers: false,
        signed_commits: false,
        // The pushes API carries no file mode (module doc of `providers::azure_devops`).
        file_modes: false,
        commit_modes: false,
    },
    connect,
    list_repositories,
    create_repository,
};

impl Backend for AzureDevOps {
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
    let get = |name: &str| std::env::var(name).ok();
    let credential = match c.token.clone().filter(|t| !t.trim().is_empty()) {
        Some(t) => credential(None, t),
        None => from_env(args.token_env.as_deref(), &get)?,
    };
    let root =
        settings::api_url(&SPEC, args.api_url.as_deref(), &get).expect("Azure DevOps has an API");
    let mut config = HttpConfig::new(&root)?.credential(credential);
    if args.verbose {
        config.trace = Some(std::sync::Arc::new(|e: &crate::http::TraceEvent| {
            eprintln!("http: {e}")
        }));
    }
    Ok(Box::new(AzureDevOps::new(
        HttpClient::new(config)?,
        &c.target.repository.value,
    )?))
}

/// The credential of `token` read from variable `var`: a personal access token travels as
/// Basic with an empty user name; `SYSTEM_ACCESSTOKEN` (Azure Pipelines' job token) and a
/// Microsoft Entra ID token (a JWT) as Bearer.
pub fn credential(var: Option<&str>, token: String) -> Credential {
    let jwt = token.starts_with("eyJ") && token.split('.').count() == 3;
    if jwt || var.is_none() || var == Some(env::SYSTEM_ACCESSTOKEN) {
        Credential::Bearer(Secret::new(token))
    } else {
        Credential::Basic {
            username: String::new(),
            password: Secret::new(token),
        }
    }
}

/// The credential from `--token-env NAME`, else the first of [`env::AZURE_DEVOPS_TOKENS`] set.
fn from_env(token_env: Option<&str>, get: settings::Env<'_>) -> anyhow::Result<Credential> {
    let names: Vec<&str> = match token_env {
        Some(n) => vec![n],
        None => SPEC.credential_envs.to_vec(),
    };
    for name in &names {
        if let Some(token) = get(name).filter(|t| !t.trim().is_empty()) {
            if crate::ci::azure_pipelines::active() {
                crate::ci::azure_pipelines::mask(token.trim());
            }
            return Ok(credential(Some(name), token.trim().to_owned()));
        }
    }
    bail!(
        "no Azure DevOps credential: set {} (a personal access token with the Code (Read & write) scope; in Azure Pipelines `env: SYSTEM_ACCESSTOKEN: $(System.AccessToken)`){}",
        names.join(" or "),
        if token_env.is_some() { "" } else { ", or name another variable with --token-env" }
    )
}

fn list_repositories(_: &RepoListArgs) -> anyhow::Result<Vec<Repository>> {
    bail!("gensync repo list does not support --provider azure-devops yet: list a project's repositories in its web page (Repos → Files → the repository menu)")
}

fn create_repository(_: &RepoCreateArgs) -> anyhow::Result<Repository> {
    bail!("gensync repo create does not support --provider azure-devops yet: create the repository in the project's web page (Repos → New repository), then sync into it")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_travel_as_the_service_expects() {
        let auth = |var, token: &str| {
            credential(var, token.into())
                .authorization()
                .expose()
                .to_owned()
        };
        // A PAT: Basic with an empty user name (":pat" in base64).
        assert_eq!(auth(Some(env::AZURE_DEVOPS_TOKEN), "pat"), "Basic OnBhdA==");
        assert_eq!(auth(Some(env::SYSTEM_ACCESSTOKEN), "job"), "Bearer job");
        assert_eq!(
            auth(Some(env::AZURE_DEVOPS_TOKEN), "eyJa.b.c"),
            "Bearer eyJa.b.c"
        );
        assert_eq!(auth(None, "input"), "Bearer input");
    }

    #[test]
    fn the_credential_comes_from_the_first_variable_set() {
        let vars = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                pairs
                    .iter()
                    .find(|(n, _)| *n == name)
                    .map(|(_, v)| (*v).to_owned())
            }
        };
        let got = from_env(None, &vars(&[("SYSTEM_ACCESSTOKEN", "job")])).unwrap();
        assert_eq!(got.authorization().expose(), "Bearer job");
        let got = from_env(
            None,
            &vars(&[("SYSTEM_ACCESSTOKEN", "job"), ("AZURE_DEVOPS_TOKEN", "pat")]),
        )
        .unwrap();
        assert_eq!(got.authorization().expose(), "Basic OnBhdA==");
        let err = from_env(None, &vars(&[])).unwrap_err().to_string();
        assert!(
            err.contains("AZURE_DEVOPS_TOKEN or SYSTEM_ACCESSTOKEN"),
            "{err}"
        );
        assert!(SPEC.repository.check("org/project/repo").is_ok());
        assert!(SPEC.repository.check("org/repo").is_err());
    }
}
