//! The request pipeline of the Gitea emulator: route → authenticate → validate (the official
//! description; the change-files body against Gitea's documented rules) → handler; its state;
//! seeding and merging.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::handlers;
use super::GiteaConfig;
use crate::emulator::control::{init_repo, owner_signature, split_name, Merge, Outcome};
use crate::emulator::cors::CorsPolicy;
use crate::emulator::routes::{self, Greedy, Params};
use crate::emulator::{Core, Error, Provider, RepoRecord};
use crate::git::{BareRepo, FileChange, Oid};
use crate::http::{Request, Response};
use crate::validator::Check;

/// The API root's path.
pub const API_PREFIX: &str = "/api/v1";
/// The state file.
pub const STATE_FILE: &str = "gitea-emulator.json";

/// A pull request as the emulator keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PullRequest {
    /// Its number (shared with issues).
    pub number: u64,
    /// Title.
    pub title: String,
    /// Body.
    pub body: String,
    /// Head branch.
    pub head: String,
    /// Base branch.
    pub base: String,
    /// `open` or `closed`.
    pub state: String,
    /// Whether it was merged.
    pub merged: bool,
    /// Label ids.
    pub labels: Vec<u64>,
    /// Assignees.
    pub assignees: Vec<String>,
    /// Requested reviewers.
    pub reviewers: Vec<String>,
    /// Comment bodies, oldest first.
    pub comments: Vec<String>,
}

/// A repository's record.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RepoState {
    /// Its id.
    pub id: u64,
    /// Owner.
    pub owner: String,
    /// Name.
    pub name: String,
    /// The default branch.
    pub default_branch: String,
    /// Branch patterns nobody may commit to through the API.
    #[serde(default)]
    pub protected: Vec<String>,
    /// Labels: (id, name).
    #[serde(default)]
    pub labels: Vec<(u64, String)>,
    /// Pull requests, oldest first.
    #[serde(default)]
    pub pulls: Vec<PullRequest>,
}

impl RepoRecord for RepoState {
    fn owner_and_name(&self) -> (&str, &str) {
        (&self.owner, &self.name)
    }
}

/// The emulator's state.
pub type State = crate::emulator::State<RepoState>;

/// An error answer in Gitea's shape (`{"message", "url"}`).
#[derive(Debug, Clone)]
pub struct ApiError {
    /// Status.
    pub status: u16,
    /// Message.
    pub message: String,
}

impl ApiError {
    /// `status` with `message`.
    pub fn new(status: u16, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            message: message.into(),
        }
    }

    /// The answer to send.
    pub fn into_response(self) -> Response {
        Response::json(
            self.status,
            &json!({ "message": self.message, "url": "https://docs.gitea.com/api" }),
        )
    }
}

impl From<crate::git::Error> for ApiError {
    fn from(e: crate::git::Error) -> Self {
        ApiError::new(500, format!("emulator failure: {e}"))
    }
}

impl From<crate::git::EditError> for ApiError {
    fn from(e: crate::git::EditError) -> Self {
        ApiError::new(422, format!("invalid change: {e}"))
    }
}

/// A handler's result.
pub type ApiResult = Result<Response, ApiError>;

/// A handler.
pub type Handler = fn(&mut Ctx<'_>) -> ApiResult;

/// One operation.
pub struct Route {
    /// HTTP method.
    pub method: &'static str,
    /// The path template as Gitea's description spells it (below `/api/v1`).
    pub template: &'static str,
    /// Whether it writes.
    pub write: bool,
    /// Whether the official description has it (else Gitea's documented rules check it).
    pub described: bool,
    /// The handler.
    pub handler: Handler,
}

crate::route_operation!(Route);

const fn read(template: &'static str, handler: Handler) -> Route {
    Route {
        method: "GET",
        template,
        write: false,
        described: true,
        handler,
    }
}

const fn write(method: &'static str, template: &'static str, handler: Handler) -> Route {
    Route {
        method,
        template,
        write: true,
        described: true,
        handler,
    }
}

/// Every operation the emulator implements.
pub static ROUTES: &[Route] = &[
    read("/user", handlers::get_user),
    read("/user/repos", handlers::list_user_repos),
    write("POST", "/user/repos", handlers::create_repo),
    read("/orgs/{org}/repos", handlers::list_org_repos),
    write("POST", "/orgs/{org}/repos", handlers::create_repo),
    read("/repos/{owner}/{repo}", handlers::get_repo),
    read(
        "/repos/{owner}/{repo}/branches/{branch}",
        handlers::get_branch,
    ),
    read(
        "/repos/{owner}/{repo}/git/commits/{sha}",
        handlers::get_commit,
    ),
    read("/repos/{owner}/{repo}/git/trees/{sha}", handlers::get_tree),
    read("/repos/{owner}/{repo}/git/blobs/{sha}", handlers::get_blob),
    read("/repos/{owner}/{repo}/raw/{filepath}", handlers::get_raw),
    Route {
        method: "POST",
        template: "/repos/{owner}/{repo}/contents",
        write: true,
        described: false,
        handler: handlers::change_files,
    },
    read("/repos/{owner}/{repo}/pulls", handlers::list_pulls),
    write("POST", "/repos/{owner}/{repo}/pulls", handlers::create_pull),
    write(
        "PATCH",
        "/repos/{owner}/{repo}/pulls/{index}",
        handlers::edit_pull,
    ),
    write(
        "POST",
        "/repos/{owner}/{repo}/pulls/{index}/requested_reviewers",
        handlers::request_reviews,
    ),
    read("/repos/{owner}/{repo}/labels", handlers::list_labels),
    read(
        "/repos/{owner}/{repo}/issues/{index}/comments",
        handlers::list_comments,
    ),
    write(
        "POST",
        "/repos/{owner}/{repo}/issues/{index}/comments",
        handlers::create_comment,
    ),
];

const GREEDY: Greedy = Greedy {
    names: &["branch", "filepath"],
    may_be_empty: &[],
};

/// The route for `method` and the decoded segments below `/api/v1`.
pub fn find(method: &str, segments: &[String]) -> Option<(&'static Route, Params)> {
    routes::find(ROUTES, &GREEDY, method, segments)
}

/// How the emulator answers browsers (Gitea's `[cors]` settings when enabled).
pub const CORS: CorsPolicy = CorsPolicy {
    allow_methods: "GET, POST, PATCH, PUT, DELETE",
    allow_headers: "Authorization, Content-Type, Accept",
    expose_headers: "Link, X-Total-Count",
    max_age: 600,
};

/// The context of one request.
pub struct Ctx<'a> {
    /// The emulator.
    pub emu: &'a Emulator,
    /// The locked state.
    pub state: &'a mut State,
    /// The request.
    pub req: &'a Request,
    /// Path parameters.
    pub params: Params,
    /// The JSON body (`Null` without one).
    pub body: Value,
}

impl Ctx<'_> {
    /// Path parameter `name`.
    pub fn param(&self, name: &str) -> &str {
        routes::param(&self.params, name)
    }

    /// `owner/repo` of the request.
    pub fn full_name(&self) -> String {
        format!("{}/{}", self.param("owner"), self.param("repo"))
    }

    /// The request's repository (404 when unknown).
    pub fn repo(&self) -> Result<&RepoState, ApiError> {
        self.state
            .repo(&self.full_name())
            .ok_or_else(|| ApiError::new(404, "The target couldn't be found."))
    }

    /// The request's repository, mutable.
    pub fn repo_mut(&mut self) -> Result<&mut RepoState, ApiError> {
        let name = self.full_name();
        self.state
            .repo_mut(&name)
            .ok_or_else(|| ApiError::new(404, "The target couldn't be found."))
    }

    /// Its bare repository.
    pub fn git(&self) -> Result<BareRepo, ApiError> {
        let repo = self.repo()?;
        Ok(BareRepo::open(&repo.git_dir(&self.emu.core.root)))
    }
}

/// The emulator's internals.
pub struct Emulator {
    /// Its configuration.
    pub config: GiteaConfig,
    /// `http://127.0.0.1:PORT`.
    pub web: String,
    /// `{web}/api/v1`.
    pub api: String,
    /// The shared core.
    pub core: Core<RepoState>,
}

impl Emulator {
    /// Internals for `config` over `core` on `port`.
    pub fn new(config: GiteaConfig, core: Core<RepoState>, port: u16) -> Emulator {
        let web = format!("http://127.0.0.1:{port}");
        Emulator {
            config,
            api: format!("{web}{API_PREFIX}"),
            web,
            core,
        }
    }

    fn api_segments(request: &Request) -> Option<Vec<String>> {
        let segments = request.path_segments();
        (segments.len() >= 2 && segments[0] == "api" && segments[1] == "v1")
            .then(|| segments[2..].to_vec())
    }

    /// What the description (or Gitea's documented rules) finds wrong with `request`.
    fn problems(&self, request: &Request) -> Vec<String> {
        let Some(segments) = Self::api_segments(request) else {
            return vec![format!(
                "{} {} is outside {API_PREFIX}",
                request.method, request.path
            )];
        };
        let Some((route, _)) = find(&request.method, &segments) else {
            return vec![format!(
                "no such route in the emulator: {} {}",
                request.method, request.path
            )];
        };
        let body = if request.body.is_empty() {
            None
        } else {
            match serde_json::from_slice::<Value>(&request.body) {
                Ok(v) => Some(v),
                Err(_) => return vec!["the body is not JSON".into()],
            }
        };
        let mut problems = Vec::new();
        if !route.described {
            problems.extend(change_files_problems(body.as_ref()));
            if !request.query.is_empty() {
                problems.push("POST /contents takes no query parameters".into());
            }
            return problems;
        }
        if let Some(validator) = &self.core.validator {
            let check = Check::Rest {
                method: &request.method,
                template: route.template,
                query: &request.query_pairs(),
                body: body.as_ref(),
            };
            match validator.check(<Emulator as Provider>::SPEC, check) {
                Ok(errors) => problems.extend(errors),
                Err(e) => problems.push(format!("the validator failed: {e}")),
            }
        }
        problems
    }

    fn authenticate(&self, request: &Request) -> Result<bool, ApiError> {
        let header = request.header("authorization").unwrap_or_default();
        let token = header
            .strip_prefix("token ")
            .or_else(|| header.strip_prefix("Bearer "))
            .unwrap_or_default()
            .trim();
        if self.config.tokens.iter().any(|t| t == token) {
            return Ok(true);
        }
        if self.config.read_only_tokens.iter().any(|t| t == token) {
            return Ok(false);
        }
        Err(ApiError::new(401, "token is required"))
    }

    fn route(&self, request: &Request, invalid: &mut Option<String>) -> ApiResult {
        let problems = self.problems(request);
        if !problems.is_empty() {
            *invalid = Some(problems.join("; "));
        }
        let segments = Self::api_segments(request).unwrap_or_default();
        let Some((route, params)) = find(&request.method, &segments) else {
            return Err(ApiError::new(404, "not found"));
        };
        let can_write = self.authenticate(request)?;
        if !problems.is_empty() {
            return Err(ApiError::new(422, problems.join("; ")));
        }
        if route.write && !can_write {
            return Err(ApiError::new(
                403,
                "token does not have at least one of required scope(s): [write:repository]",
            ));
        }
        let body = if request.body.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&request.body).unwrap_or(Value::Null)
        };
        let mut state = self.core.lock_state();
        let mut ctx = Ctx {
            emu: self,
            state: &mut state,
            req: request,
            params,
            body,
        };
        let result = (route.handler)(&mut ctx);
        if route.write && result.is_ok() {
            self.core
                .save(&state)
                .map_err(|e| ApiError::new(500, e.to_string()))?;
        }
        result
    }
}

/// What Gitea's documented `ChangeFilesOptions` rules find wrong with a change-files body:
/// `files` (required, non-empty) of `{operation: create|update|delete, path, content (base64,
/// required for create and update), sha (required for update and delete), from_path}`, and the
/// `FileOptions` fields `message`, `branch`, `new_branch`, `author`, `committer` (`{name,
/// email}`), `dates`, `signoff`; nothing else.
pub fn change_files_problems(body: Option<&Value>) -> Vec<String> {
    use base64::Engine as _;
    let mut out = Vec::new();
    let Some(Value::Object(body)) = body else {
        return vec!["body: ChangeFilesOptions (a JSON object) is required".into()];
    };
    let known = [
        "files",
        "message",
        "branch",
        "new_branch",
        "author",
        "committer",
        "dates",
        "signoff",
    ];
    for key in body.keys().filter(|k| !known.contains(&k.as_str())) {
        out.push(format!("body: unknown field {key:?}"));
    }
    for key in ["message", "branch", "new_branch"] {
        if body.get(key).is_some_and(|v| !v.is_string()) {
            out.push(format!("body.{key} must be a string"));
        }
    }
    for key in ["author", "committer"] {
        if let Some(who) = body.get(key) {
            let ok = who.as_object().is_some_and(|o| {
                o.keys().all(|k| k == "name" || k == "email") && o.values().all(Value::is_string)
            });
            if !ok {
                out.push(format!("body.{key} must be an Identity {{name, email}}"));
            }
        }
    }
    let Some(files) = body.get("files").and_then(Value::as_array) else {
        out.push("body.files (an array) is required".into());
        return out;
    };
    if files.is_empty() {
        out.push("body.files must not be empty".into());
    }
    for (i, f) in files.iter().enumerate() {
        let op = f["operation"].as_str().unwrap_or_default();
        if !["create", "update", "delete"].contains(&op) {
            out.push(format!(
                "body.files[{i}].operation must be create, update or delete"
            ));
        }
        if f["path"].as_str().is_none_or(str::is_empty) {
            out.push(format!("body.files[{i}].path is required"));
        }
        if let Some(o) = f.as_object() {
            for key in o.keys() {
                if !["operation", "path", "content", "sha", "from_path"].contains(&key.as_str()) {
                    out.push(format!("body.files[{i}]: unknown field {key:?}"));
                }
            }
        }
        match f.get("content").map(|c| c.as_str()) {
            Some(Some(c)) if base64::engine::general_purpose::STANDARD.decode(c).is_err() => {
                out.push(format!("body.files[{i}].content is not base64"))
            }
            Some(Some(_)) => {}
            Some(None) => out.push(format!("body.files[{i}].content must be a string")),
            None if op != "delete" => {
                out.push(format!("body.files[{i}].content is required for {op}"))
            }
            None => {}
        }
        if op != "create" && f["sha"].as_str().is_none() {
            out.push(format!("body.files[{i}].sha is required for {op}"));
        }
    }
    out
}

impl Provider for Emulator {
    type Repo = RepoState;
    const NAME: &'static str = "Gitea";
    const JUDGE: &'static str = "Gitea's API description or documented rules";
    const SPEC: &'static str = "gitea";
    const STATE_FILE: &'static str = STATE_FILE;
    const CORS: CorsPolicy = CORS;

    fn core(&self) -> &Core<RepoState> {
        &self.core
    }

    fn answer(&self, request: &Request, _seq: u64) -> (Response, Option<String>) {
        crate::emulator::catching(
            |invalid| {
                self.route(request, invalid)
                    .unwrap_or_else(ApiError::into_response)
            },
            |why| ApiError::new(500, why).into_response(),
        )
    }

    fn problems(&self, request: &Request) -> Option<String> {
        let problems = Emulator::problems(self, request);
        (!problems.is_empty()).then(|| problems.join("; "))
    }

    fn repo_of(&self, request: &Request) -> Option<String> {
        match Self::api_segments(request)?.as_slice() {
            [repos, owner, repo, ..] if repos == "repos" => Some(format!("{owner}/{repo}")),
            _ => None,
        }
    }

    fn control(&self, request: &Request, _parts: &[&str], _body: &Value) -> Outcome {
        Err(crate::emulator::control::unknown(request))
    }
}

/// Creates `full_name` with a first commit of `files` on `main` (`None`: empty).
pub fn create_repo(
    emu: &Emulator,
    state: &mut State,
    full_name: &str,
    files: Option<&[FileChange]>,
) -> Result<(), Error> {
    let (owner, name) = split_name(full_name, "OWNER/REPO")?;
    if state.repo(full_name).is_some() {
        return Err(Error::RepoExists {
            name: full_name.to_owned(),
        });
    }
    let repo = RepoState {
        id: state.next_id(),
        owner: owner.to_owned(),
        name: name.to_owned(),
        default_branch: "main".into(),
        protected: Vec::new(),
        labels: Vec::new(),
        pulls: Vec::new(),
    };
    init_repo(
        &emu.core.root,
        &repo.git_dir(&emu.core.root),
        "main",
        files,
        name,
    )?;
    state.insert(repo);
    emu.core.save(state).map_err(Error::Save)
}

/// Merges open pull request `number` and closes it; the base's new head.
pub fn merge_pull(
    emu: &Emulator,
    state: &mut State,
    full_name: &str,
    number: u64,
    squash: bool,
) -> Result<Oid, Error> {
    let git = emu.core.git(state, full_name)?;
    let repo = state.repo(full_name).expect("git() checked it");
    let pull = repo
        .pulls
        .iter()
        .find(|p| p.number == number && p.state == "open")
        .cloned()
        .ok_or_else(|| Error::PullNotOpen {
            repo: full_name.to_owned(),
            number,
        })?;
    let merge = Merge::prepare(&git, full_name, &pull.base, &pull.head)?;
    let (parents, message) = if squash {
        (
            vec![merge.base.clone()],
            format!("{} (#{number})\n", pull.title),
        )
    } else {
        (
            vec![merge.base.clone(), merge.head.clone()],
            format!("Merge pull request '{}' (#{number})\n", pull.title),
        )
    };
    let who = owner_signature();
    let commit = git.write_commit(&merge.tree, &parents, &message, &who, &who)?;
    merge.land(&git, &pull.base, &commit)?;
    let p = state
        .repo_mut(full_name)
        .and_then(|r| r.pulls.iter_mut().find(|p| p.number == number))
        .expect("checked above");
    p.state = "closed".into();
    p.merged = true;
    emu.core.save(state).map_err(Error::Save)?;
    Ok(commit)
}

/// Whether `branch` matches a protection `pattern` (`*` matches any run of characters).
pub fn matches(pattern: &str, branch: &str) -> bool {
    crate::fault::glob_match(pattern, branch)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::emulator::routes::segments;

    #[test]
    fn routes_match_and_change_files_rules_are_checked() {
        let (r, p) = find("GET", &segments("/repos/o/r/branches/feature/x")).expect("a route");
        assert_eq!(r.template, "/repos/{owner}/{repo}/branches/{branch}");
        assert_eq!(routes::param(&p, "branch"), "feature/x");
        assert!(find("POST", &segments("/repos/o/r/contents")).is_some());
        let ok = json!({"files": [{"operation": "create", "path": "a", "content": "QQ=="}], "branch": "main"});
        assert!(change_files_problems(Some(&ok)).is_empty());
        let bad = json!({"files": [{"operation": "update", "path": "a", "content": "??"}], "force": true});
        let problems = change_files_problems(Some(&bad));
        assert_eq!(problems.len(), 3, "{problems:?}");
        assert!(change_files_problems(Some(&json!({"files": []})))
            .iter()
            .any(|p| p.contains("empty")));
    }
}
