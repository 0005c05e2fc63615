//! A small HTTP client for the emulator and git helpers.

use gensync_tests::git::Oid;
use gensync_tests::github::{GithubConfig, GithubEmulator, RepoSpec, TokenConfig};
use serde_json::Value;

/// The write token every test emulator accepts (a GITHUB_TOKEN stand-in).
pub const TOKEN: &str = "ghs_emulatortesttoken0000000000000000";
/// A read-only token.
pub const READ_TOKEN: &str = "ghs_emulatorreadonly00000000000000000";
/// A personal token of `octocat`.
pub const USER_TOKEN: &str = "ghp_emulatorpersonal00000000000000000";

/// An emulator with the three test tokens.
pub fn emulator(config: GithubConfig) -> GithubEmulator {
    let config = config
        .token(TokenConfig::actions(TOKEN))
        .token(TokenConfig::actions(READ_TOKEN).read_only())
        .token(TokenConfig::personal(USER_TOKEN, "octocat"));
    GithubEmulator::start(config)
        .expect("the emulator starts (run tests/validator/install.sh first)")
}

/// An emulator with `acme/app` holding `files` on `main`.
pub fn with_repo(files: &[(&str, &str)]) -> GithubEmulator {
    let emulator = emulator(GithubConfig::default());
    let mut spec = RepoSpec::new("acme/app");
    for (path, content) in files {
        spec = spec.file(path, content);
    }
    emulator.create_repo(&spec).expect("repository created");
    emulator
}

/// One answer.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub json: Value,
    pub text: String,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn message(&self) -> &str {
        self.json["message"].as_str().unwrap_or_default()
    }
}

/// A client of one emulator with one token.
pub struct Client {
    agent: ureq::Agent,
    base: String,
    token: Option<String>,
}

impl Client {
    pub fn new(base: &str, token: Option<&str>) -> Client {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .build()
            .into();
        Client {
            agent,
            base: base.to_owned(),
            token: token.map(str::to_owned),
        }
    }

    pub fn of(emulator: &GithubEmulator) -> Client {
        Client::new(emulator.base_url(), Some(TOKEN))
    }

    pub fn with_token(emulator: &GithubEmulator, token: Option<&str>) -> Client {
        Client::new(emulator.base_url(), token)
    }

    /// Sends a request; `path` is below the base URL, or absolute.
    pub fn try_send(
        &self,
        method: &str,
        path: &str,
        body: Option<&Value>,
    ) -> Result<Reply, ureq::Error> {
        let url = if path.starts_with("http") {
            path.to_owned()
        } else {
            format!("{}{path}", self.base)
        };
        let mut builder = ureq::http::Request::builder()
            .method(method)
            .uri(url)
            .header("accept", "application/vnd.github+json")
            .header("x-github-api-version", "2022-11-28");
        if let Some(token) = &self.token {
            builder = builder.header("authorization", format!("Bearer {token}"));
        }
        let bytes = match body {
            Some(body) => {
                builder = builder.header("content-type", "application/json");
                serde_json::to_vec(body).expect("JSON")
            }
            None => Vec::new(),
        };
        let request = builder.body(bytes).expect("a valid request");
        let mut response = self.agent.run(request)?;
        let status = response.status().as_u16();
        let headers = response
            .headers()
            .iter()
            .map(|(n, v)| {
                (
                    n.as_str().to_owned(),
                    v.to_str().unwrap_or_default().to_owned(),
                )
            })
            .collect();
        let text = response.body_mut().read_to_string().unwrap_or_default();
        let json = serde_json::from_str(&text).unwrap_or(Value::Null);
        Ok(Reply {
            status,
            headers,
            json,
            text,
        })
    }

    pub fn send(&self, method: &str, path: &str, body: Option<&Value>) -> Reply {
        self.try_send(method, path, body)
            .unwrap_or_else(|e| panic!("{method} {path}: {e}"))
    }

    pub fn get(&self, path: &str) -> Reply {
        self.send("GET", path, None)
    }

    pub fn post(&self, path: &str, body: Value) -> Reply {
        self.send("POST", path, Some(&body))
    }

    pub fn patch(&self, path: &str, body: Value) -> Reply {
        self.send("PATCH", path, Some(&body))
    }

    /// POSTs a GraphQL request to `url`.
    pub fn graphql(&self, url: &str, query: &str, variables: Value) -> Reply {
        self.send(
            "POST",
            url,
            Some(&serde_json::json!({"query": query, "variables": variables})),
        )
    }
}

/// `git args…` in `git_dir`, as text.
pub fn git(emulator: &GithubEmulator, repo: &str, args: &[&str]) -> String {
    let repo = emulator.git(repo).expect("repository exists");
    String::from_utf8(repo.git(args).expect("git succeeds")).expect("UTF-8 output")
}

/// The files of `rev` as `path -> content`, read with `git ls-tree -r` and `git cat-file`.
pub fn files_at(emulator: &GithubEmulator, repo: &str, rev: &str) -> Vec<(String, String)> {
    let listing = git(emulator, repo, &["ls-tree", "-r", "--name-only", rev]);
    listing
        .lines()
        .map(|path| {
            let spec = format!("{rev}:{path}");
            (
                path.to_owned(),
                git(emulator, repo, &["cat-file", "-p", &spec]),
            )
        })
        .collect()
}

/// The head of `branch`.
pub fn head(emulator: &GithubEmulator, repo: &str, branch: &str) -> Oid {
    emulator
        .branch_head(repo, branch)
        .expect("git works")
        .expect("the branch exists")
}
