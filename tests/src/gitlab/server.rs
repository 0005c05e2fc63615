//! The request pipeline of the GitLab emulator: record → faults → route → authenticate →
//! check against the documented request shapes → scope → handler.

use serde_json::{json, Value};

use super::handlers;
use super::state::{ProjectState, State, STATE_FILE};
use crate::emulator::control::Outcome;
use crate::emulator::cors::CorsPolicy;
use crate::emulator::routes::{self, Greedy, Params};
use crate::emulator::{Core, Provider};
use crate::git::BareRepo;
use crate::http::{Request, Response};

/// The API root's path.
pub const API_PREFIX: &str = "/api/v4";

/// An error answer in GitLab's shape, `{"message": …}`.
#[derive(Debug, Clone)]
pub struct ApiError {
    /// Status code.
    pub status: u16,
    /// The JSON body.
    pub body: Value,
}

impl ApiError {
    /// `status` with `message`.
    pub fn new(status: u16, message: impl Into<Value>) -> ApiError {
        ApiError {
            status,
            body: json!({ "message": message.into() }),
        }
    }

    /// 404 `404 {what} Not Found`.
    pub fn not_found(what: &str) -> ApiError {
        ApiError::new(404, format!("404 {what} Not Found"))
    }

    /// 400 with `message`.
    pub fn bad_request(message: impl Into<Value>) -> ApiError {
        ApiError::new(400, message)
    }

    /// 500 for a failure of the emulator itself.
    pub fn internal(what: impl std::fmt::Display) -> ApiError {
        ApiError::new(500, format!("emulator failure: {what}"))
    }

    /// The answer to send.
    pub fn into_response(self) -> Response {
        Response::json(self.status, &self.body)
    }
}

impl From<crate::git::Error> for ApiError {
    fn from(error: crate::git::Error) -> Self {
        ApiError::internal(error)
    }
}

/// Result of a handler.
pub type ApiResult = Result<Response, ApiError>;

/// A handler.
pub type Handler = fn(&mut Ctx<'_>) -> ApiResult;

/// One operation.
pub struct Route {
    /// HTTP method.
    pub method: &'static str,
    /// The path template below `/api/v4`, as GitLab's documentation spells it.
    pub template: &'static str,
    /// Whether it writes (needs the `api` scope).
    pub write: bool,
    /// The body fields the documentation lists (`None`: no body).
    pub fields: Option<&'static [&'static str]>,
    /// The handler.
    pub handler: Handler,
}

const fn route(
    method: &'static str,
    template: &'static str,
    write: bool,
    fields: Option<&'static [&'static str]>,
    handler: Handler,
) -> Route {
    Route {
        method,
        template,
        write,
        fields,
        handler,
    }
}

/// The body fields of `POST /projects/:id/repository/commits` (doc/api/commits.md).
pub const COMMIT_FIELDS: &[&str] = &[
    "branch",
    "commit_message",
    "start_branch",
    "start_sha",
    "start_project",
    "actions",
    "author_email",
    "author_name",
    "stats",
    "force",
];

/// Every operation the emulator implements.
pub static ROUTES: &[Route] = &[
    route("GET", "/projects/{id}", false, None, handlers::get_project),
    route(
        "GET",
        "/projects/{id}/repository/branches/{branch}",
        false,
        None,
        handlers::get_branch,
    ),
    route(
        "GET",
        "/projects/{id}/repository/tree",
        false,
        None,
        handlers::tree,
    ),
    route(
        "GET",
        "/projects/{id}/repository/files/{file_path}/raw",
        false,
        None,
        handlers::raw_file,
    ),
    route(
        "GET",
        "/projects/{id}/repository/blobs/{sha}/raw",
        false,
        None,
        handlers::raw_blob,
    ),
    route(
        "GET",
        "/projects/{id}/repository/commits/{sha}",
        false,
        None,
        handlers::get_commit,
    ),
    route(
        "GET",
        "/projects/{id}/repository/commits",
        false,
        None,
        handlers::list_commits,
    ),
    route(
        "POST",
        "/projects/{id}/repository/commits",
        true,
        Some(COMMIT_FIELDS),
        handlers::create_commit,
    ),
    route(
        "GET",
        "/projects/{id}/repository/compare",
        false,
        None,
        handlers::compare,
    ),
    route(
        "GET",
        "/projects/{id}/merge_requests",
        false,
        None,
        handlers::list_mrs,
    ),
    route(
        "POST",
        "/projects/{id}/merge_requests",
        true,
        Some(&[
            "source_branch",
            "target_branch",
            "title",
            "description",
            "labels",
            "assignee_ids",
            "reviewer_ids",
            "remove_source_branch",
            "squash",
            "target_project_id",
            "milestone_id",
            "allow_collaboration",
        ]),
        handlers::create_mr,
    ),
    route(
        "PUT",
        "/projects/{id}/merge_requests/{merge_request_iid}",
        true,
        Some(&[
            "title",
            "description",
            "labels",
            "assignee_ids",
            "reviewer_ids",
            "target_branch",
            "state_event",
            "remove_source_branch",
        ]),
        handlers::update_mr,
    ),
    route(
        "GET",
        "/projects/{id}/merge_requests/{merge_request_iid}/notes",
        false,
        None,
        handlers::list_notes,
    ),
    route(
        "POST",
        "/projects/{id}/merge_requests/{merge_request_iid}/notes",
        true,
        Some(&[
            "body",
            "created_at",
            "internal",
            "merge_request_diff_head_sha",
        ]),
        handlers::create_note,
    ),
    route("GET", "/users", false, None, handlers::users),
];

crate::route_operation!(Route);

const GREEDY: Greedy = Greedy {
    names: &[],
    may_be_empty: &[],
};

/// The route for `method` and the decoded path segments below `/api/v4`.
pub fn find(method: &str, segments: &[String]) -> Option<(&'static Route, Params)> {
    routes::find(ROUTES, &GREEDY, method, segments)
}

/// The context of one request.
pub struct Ctx<'a> {
    /// The emulator.
    pub emu: &'a Emulator,
    /// Its state, locked for the request.
    pub state: &'a mut State,
    /// The request.
    pub req: &'a Request,
    /// Path parameters, decoded.
    pub params: Params,
    /// The parsed JSON body (`Null` when there is none).
    pub body: Value,
}

impl Ctx<'_> {
    /// Path parameter `name`.
    pub fn param(&self, name: &str) -> &str {
        routes::param(&self.params, name)
    }

    /// The full path of the request's project (`id` is a path or a numeric id).
    pub fn full_name(&self) -> Result<String, ApiError> {
        let id = self.param("id");
        if let Ok(n) = id.parse::<u64>() {
            return self
                .state
                .repos
                .values()
                .find(|p| p.id == n)
                .map(|p| format!("{}/{}", p.namespace, p.path))
                .ok_or_else(|| ApiError::not_found("Project"));
        }
        Ok(id.to_owned())
    }

    /// The request's project.
    pub fn project(&self) -> Result<&ProjectState, ApiError> {
        let name = self.full_name()?;
        self.state
            .repo(&name)
            .ok_or_else(|| ApiError::not_found("Project"))
    }

    /// The request's project, mutable.
    pub fn project_mut(&mut self) -> Result<&mut ProjectState, ApiError> {
        let name = self.full_name()?;
        self.state
            .repo_mut(&name)
            .ok_or_else(|| ApiError::not_found("Project"))
    }

    /// Its bare repository.
    pub fn git(&self) -> Result<BareRepo, ApiError> {
        use crate::emulator::RepoRecord as _;
        Ok(BareRepo::open(
            &self.project()?.git_dir(&self.emu.core.root),
        ))
    }
}

/// A token the emulator accepts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenConfig {
    /// The token.
    pub token: String,
    /// Whether it has the `api` scope (else `read_api` only).
    pub api: bool,
}

/// The GitLab emulator's internals.
pub struct Emulator {
    /// `http://127.0.0.1:PORT`.
    pub web: String,
    /// `{web}/api/v4`.
    pub api: String,
    /// Root, state, record, faults.
    pub core: Core<ProjectState>,
    /// Accepted tokens.
    pub tokens: Vec<TokenConfig>,
}

impl Emulator {
    /// Internals over `core`, serving on `port`.
    pub fn new(tokens: Vec<TokenConfig>, core: Core<ProjectState>, port: u16) -> Emulator {
        let web = format!("http://127.0.0.1:{port}");
        Emulator {
            api: format!("{web}{API_PREFIX}"),
            web,
            core,
            tokens,
        }
    }

    fn api_segments(request: &Request) -> Option<Vec<String>> {
        let segments = request.path_segments();
        (segments.len() >= 2 && segments[0] == "api" && segments[1] == "v4")
            .then(|| segments[2..].to_vec())
    }

    /// What the documentation finds wrong with `request`.
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
        let mut problems = Vec::new();
        if request.header("private-token").is_none()
            && !request
                .header("authorization")
                .is_some_and(|a| a.starts_with("Bearer "))
        {
            problems.push("no PRIVATE-TOKEN nor Authorization: Bearer header".into());
        }
        match (route.fields, request.body.is_empty()) {
            (None, false) => {
                problems.push(format!("{} {} takes no body", route.method, route.template))
            }
            (Some(fields), false) => match serde_json::from_slice::<Value>(&request.body) {
                Ok(Value::Object(map)) => {
                    for key in map.keys() {
                        if !fields.contains(&key.as_str()) {
                            problems.push(format!(
                                "body field {key:?} is not a parameter of {} {}",
                                route.method, route.template
                            ));
                        }
                    }
                    if route.template.ends_with("/repository/commits") {
                        problems.extend(handlers::commit_problems(&Value::Object(map)));
                    }
                }
                _ => problems.push("the body is not a JSON object".into()),
            },
            _ => {}
        }
        problems
    }

    fn route(&self, request: &Request, invalid: &mut Option<String>) -> ApiResult {
        let problems = self.problems(request);
        if !problems.is_empty() {
            *invalid = Some(problems.join("; "));
        }
        let segments = Self::api_segments(request).unwrap_or_default();
        let Some((route, params)) = find(&request.method, &segments) else {
            return Err(ApiError::new(404, "404 Not Found"));
        };
        let token = request
            .header("private-token")
            .map(str::to_owned)
            .or_else(|| {
                request
                    .header("authorization")
                    .and_then(|a| a.strip_prefix("Bearer "))
                    .map(str::to_owned)
            });
        let Some(token) = token.and_then(|t| self.tokens.iter().find(|c| c.token == t)) else {
            return Err(ApiError::new(401, "401 Unauthorized"));
        };
        if !problems.is_empty() {
            return Err(ApiError::bad_request(problems.join("; ")));
        }
        if route.write && !token.api {
            return Err(ApiError {
                status: 403,
                body: json!({"error": "insufficient_scope", "error_description": "The request requires higher privileges than provided by the access token.", "scope": "api"}),
            });
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
        if request.method != "GET" && result.is_ok() {
            self.core.save(&state).map_err(ApiError::internal)?;
        }
        result
    }
}

impl Provider for Emulator {
    type Repo = ProjectState;
    const NAME: &'static str = "GitLab";
    const JUDGE: &'static str = "GitLab's API documentation";
    const SPEC: &'static str = "gitlab";
    const STATE_FILE: &'static str = STATE_FILE;
    const CORS: CorsPolicy = crate::emulator::cors::BITBUCKET;

    fn core(&self) -> &Core<ProjectState> {
        &self.core
    }

    fn answer(&self, request: &Request, _seq: u64) -> (Response, Option<String>) {
        crate::emulator::catching(
            |invalid| {
                self.route(request, invalid)
                    .unwrap_or_else(ApiError::into_response)
            },
            |why| ApiError::internal(why).into_response(),
        )
    }

    fn problems(&self, request: &Request) -> Option<String> {
        let problems = Emulator::problems(self, request);
        (!problems.is_empty()).then(|| problems.join("; "))
    }

    fn repo_of(&self, request: &Request) -> Option<String> {
        let segments = Self::api_segments(request)?;
        match segments.as_slice() {
            [projects, id, ..] if projects == "projects" => {
                let state = self.core.lock_state();
                match id.parse::<u64>() {
                    Ok(n) => state
                        .repos
                        .values()
                        .find(|p| p.id == n)
                        .map(|p| format!("{}/{}", p.namespace, p.path)),
                    Err(_) => Some(id.clone()),
                }
            }
            _ => None,
        }
    }

    fn control(&self, request: &Request, _parts: &[&str], _body: &Value) -> Outcome {
        Err(crate::emulator::control::unknown(request))
    }
}
