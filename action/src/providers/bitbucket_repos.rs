//! Bitbucket Cloud repository management: list a workspace's repositories, create one
//! (optionally with a first commit, so a sync can open pull requests right away).

use anyhow::Context;
use serde_json::Value;

use super::bitbucket::{api_error, encode_segment};
use super::github_repos::Repository;
use crate::http::{Body, HttpClient, Method, Multipart, Request};

/// A Bitbucket account (what its credentials reach).
pub struct BitbucketAccount {
    http: HttpClient,
}

fn repository(v: &Value) -> Repository {
    Repository {
        full_name: v["full_name"].as_str().unwrap_or_default().to_owned(),
        private: v["is_private"].as_bool().unwrap_or(false),
        default_branch: v["mainbranch"]["name"].as_str().map(str::to_owned),
        html_url: v["links"]["html"]["href"].as_str().map(str::to_owned),
    }
}

impl BitbucketAccount {
    /// An account over `http` (whose base is the API root).
    pub fn new(http: HttpClient) -> Self {
        BitbucketAccount { http }
    }

    /// Every repository of `workspace` the credentials can see (all pages).
    pub fn list_repositories(&self, workspace: &str) -> anyhow::Result<Vec<Repository>> {
        let target = format!("/repositories/{}?pagelen=100", encode_segment(workspace));
        let mut out = Vec::new();
        for page in self.http.pages(&target) {
            let page = page?;
            if !page.is_success() {
                return Err(api_error(
                    &self.http,
                    &page,
                    &format!("list the repositories of workspace {workspace}"),
                ));
            }
            let v: Value = page.json()?;
            for r in v["values"].as_array().into_iter().flatten() {
                out.push(repository(r));
            }
        }
        Ok(out)
    }

    /// Creates `workspace/slug(name)` (private or not); with `init`, a first commit with a
    /// `README.md` on its main branch.
    pub fn create_repository(
        &self,
        workspace: &str,
        name: &str,
        private: bool,
        description: Option<&str>,
        init: bool,
    ) -> anyhow::Result<Repository> {
        let slug = gensync_core::payload::bitbucket::slug(name);
        anyhow::ensure!(!slug.is_empty(), "{name:?} gives an empty repository slug");
        let mut body = gensync_core::payload::bitbucket::create_repository(name, private);
        if let Some(d) = description {
            body["description"] = Value::String(d.to_owned());
        }
        let path = format!(
            "/repositories/{}/{}",
            encode_segment(workspace),
            encode_segment(&slug)
        );
        let resp = self.http.send(
            Request::new(Method::Post, &path)
                .body(Body::Json(body))
                .idempotent(false),
        )?;
        if !resp.is_success() {
            return Err(api_error(
                &self.http,
                &resp,
                &format!("create repository {workspace}/{slug}"),
            ));
        }
        let mut repo = repository(&resp.json()?);
        if init {
            let branch = repo.default_branch.clone().unwrap_or_else(|| "main".into());
            let form = Multipart::new()
                .text("message", "Initial commit")
                .text("branch", branch.clone())
                .file("README.md", format!("# {name}\n").into_bytes());
            let resp = self.http.send(
                Request::new(Method::Post, format!("{path}/src"))
                    .body(Body::Multipart(form))
                    .idempotent(false),
            )?;
            if resp.status != 201 {
                return Err(api_error(&self.http, &resp, "create the first commit"))
                    .context(format!("{workspace}/{slug} was created, empty"));
            }
            repo.default_branch = Some(branch);
        }
        Ok(repo)
    }
}
