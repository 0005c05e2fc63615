//! Repository management on GitHub, as the product docs describe it: list the repositories the
//! credentials can reach, create a repository in an organisation.
//!
//! - Listing follows every page (`Link: rel="next"`). With an owner: the organisation's
//!   repositories (`/orgs/{org}/repos`), or a user's (`/users/{user}/repos`) when the owner is a
//!   person. Without: a personal token's repositories (`/user/repos`), or, for an installation
//!   token (`GITHUB_TOKEN`, a GitHub App), the installation's (`/installation/repositories`).
//! - Creating is for organisations only (`POST /orgs/{org}/repos`). A user account is refused
//!   with the reason: gensync works with that user's existing repositories.

use anyhow::{anyhow, bail};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::http::{urls, Body, HttpClient, Method, Request, Response};

/// A repository as listed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Repository {
    /// `owner/name`.
    pub full_name: String,
    /// Private (or internal).
    #[serde(default)]
    pub private: bool,
    /// The default branch (absent for some empty repositories).
    #[serde(default)]
    pub default_branch: Option<String>,
    /// The web page.
    #[serde(default)]
    pub html_url: Option<String>,
}

/// What to create.
#[derive(Debug, Clone)]
pub struct NewRepository<'a> {
    /// The organisation.
    pub owner: &'a str,
    /// The name.
    pub name: &'a str,
    /// Private.
    pub private: bool,
    /// A description.
    pub description: Option<&'a str>,
    /// With a first commit (README.md), so pull requests can be opened right away.
    pub init: bool,
}

/// The kind of an account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountKind {
    /// An organisation.
    Organization,
    /// A person (or a bot).
    User,
}

/// The GitHub account API over `http` (based at the REST API root).
pub struct GitHubAccount {
    http: HttpClient,
}

fn failure(resp: &Response, what: &str) -> anyhow::Error {
    #[derive(Deserialize)]
    struct Message {
        message: Option<String>,
        #[serde(default)]
        errors: Vec<serde_json::Value>,
    }
    let parsed = resp.json::<Message>().ok();
    let mut message = parsed
        .as_ref()
        .and_then(|m| m.message.clone())
        .unwrap_or_else(|| resp.text().chars().take(200).collect());
    if let Some(details) = parsed.as_ref().map(|m| {
        m.errors
            .iter()
            .filter_map(|e| e.get("message").and_then(|v| v.as_str()))
            .collect::<Vec<_>>()
            .join("; ")
    }) {
        if !details.is_empty() {
            message.push_str(&format!(" ({details})"));
        }
    }
    let hint = match resp.status {
        401 => " — the token is invalid or expired: check GITHUB_TOKEN / GH_TOKEN / --token-env",
        403 => " — the token lacks permission: creating needs an organisation member's token with `repo` (classic) or `administration: write` (fine-grained / App)",
        _ => "",
    };
    super::Refusal {
        provider: "GitHub",
        action: what.to_owned(),
        status: Some(resp.status),
        code: None,
        message,
        hint,
    }
    .into()
}

impl GitHubAccount {
    /// The API over `http`.
    pub fn new(http: HttpClient) -> Self {
        GitHubAccount { http }
    }

    fn get(&self, path: &str) -> anyhow::Result<Response> {
        Ok(self
            .http
            .send(Request::new(Method::Get, path).idempotent(true))?)
    }

    /// Every page of a listing whose pages are arrays (or `items_key` objects).
    fn list(
        &self,
        path: &str,
        items_key: Option<&str>,
        what: &str,
    ) -> anyhow::Result<Option<Vec<Repository>>> {
        let mut out = Vec::new();
        for page in self.http.pages(path) {
            let page = page?;
            if page.status == 404 {
                return Ok(None);
            }
            if !page.is_success() {
                return Err(failure(&page, what));
            }
            let value: serde_json::Value = page.json()?;
            let items = match items_key {
                Some(k) => value.get(k).cloned().unwrap_or_default(),
                None => value,
            };
            out.extend(serde_json::from_value::<Vec<Repository>>(items)?);
        }
        Ok(Some(out))
    }

    /// Whether `login` is an organisation or a user (`None`: no such account).
    pub fn account_kind(&self, login: &str) -> anyhow::Result<Option<AccountKind>> {
        #[derive(Deserialize)]
        struct Account {
            #[serde(rename = "type")]
            kind: String,
        }
        let resp = self.get(&format!("/users/{}", urls::segment(login)))?;
        match resp.status {
            404 => Ok(None),
            200 => Ok(Some(match resp.json::<Account>()?.kind.as_str() {
                "Organization" => AccountKind::Organization,
                _ => AccountKind::User,
            })),
            _ => Err(failure(&resp, &format!("read the account {login}"))),
        }
    }

    /// The repositories the credentials reach, or `owner`'s.
    pub fn list_repositories(&self, owner: Option<&str>) -> anyhow::Result<Vec<Repository>> {
        match owner {
            Some(owner) => {
                let path = match self.account_kind(owner)? {
                    None => {
                        bail!("there is no GitHub account {owner:?} (or the token cannot see it)")
                    }
                    Some(AccountKind::Organization) => {
                        format!("/orgs/{}/repos?per_page=100", urls::segment(owner))
                    }
                    Some(AccountKind::User) => {
                        format!("/users/{}/repos?per_page=100", urls::segment(owner))
                    }
                };
                self.list(&path, None, &format!("list the repositories of {owner}"))?
                    .ok_or_else(|| {
                        anyhow!("there is no GitHub account {owner:?} (or the token cannot see it)")
                    })
            }
            None => {
                // A personal token lists its user's repositories; an installation token (Actions,
                // Apps) is refused there (403) and lists the installation's instead.
                let first = self.get("/user/repos?per_page=1")?;
                if first.status == 403 {
                    return self
                        .list(
                            "/installation/repositories?per_page=100",
                            Some("repositories"),
                            "list the installation's repositories",
                        )?
                        .ok_or_else(|| anyhow!("GitHub has no installation for this token"));
                }
                if !first.is_success() {
                    return Err(failure(&first, "list your repositories"));
                }
                self.list("/user/repos?per_page=100", None, "list your repositories")?
                    .ok_or_else(|| anyhow!("GitHub did not find /user/repos"))
            }
        }
    }

    /// Create a repository in an organisation; a user account is refused with the reason.
    pub fn create_repository(&self, new: &NewRepository<'_>) -> anyhow::Result<Repository> {
        match self.account_kind(new.owner)? {
            Some(AccountKind::Organization) => {}
            Some(AccountKind::User) => bail!(
                "{owner} is a user account: gensync creates repositories only in organisations \
                 (as the product does). With a user account only existing repositories can be used: \
                 create {owner}/{name} on GitHub yourself, then sync into it with --repository {owner}/{name}",
                owner = new.owner,
                name = new.name
            ),
            None => bail!(
                "there is no GitHub organisation {:?} (or the token cannot see it)",
                new.owner
            ),
        }
        let mut body = json!({
            "name": new.name,
            "private": new.private,
            "auto_init": new.init,
        });
        if let Some(d) = new.description {
            body["description"] = json!(d);
        }
        let resp = self.http.send(
            Request::new(
                Method::Post,
                format!("/orgs/{}/repos", urls::segment(new.owner)),
            )
            .body(Body::Json(body)),
        )?;
        if resp.status != 201 {
            return Err(failure(
                &resp,
                &format!("create {}/{}", new.owner, new.name),
            ));
        }
        Ok(resp.json()?)
    }
}
