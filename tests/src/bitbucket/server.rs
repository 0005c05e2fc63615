//! The request pipeline of the Bitbucket emulator: record → faults → route → authenticate →
//! validate against the official description (and the documented `/src` form rules) → scopes →
//! handler.

use std::sync::Mutex;

use base64::Engine as _;
use serde_json::{json, Value};

use super::config::{BitbucketConfig, CredentialConfig, CredentialKind, Scopes};
use super::handlers;
use super::state::{RepoState, State, STATE_FILE};
use crate::emulator::control::Outcome;
use crate::emulator::cors::CorsPolicy;
use crate::emulator::routes::{self, Context, Greedy, Params};
use crate::emulator::RepoRecord as _;
use crate::emulator::{Core, Provider};
use crate::git::{BareRepo, Signature};
use crate::http::{Request, Response};
use crate::validator::Check;

/// The API root's path.
pub const API_PREFIX: &str = "/2.0";
/// The OAuth token endpoint's path.
pub const TOKEN_PATH: &str = "/site/oauth2/access_token";

/// An error answer in Bitbucket's shape: `{"type": "error", "error": {"message", "detail"}}`.
#[derive(Debug, Clone)]
pub struct ApiError {
    /// Status code.
    pub status: u16,
    /// The JSON body.
    pub body: Value,
}

impl ApiError {
    /// `status` with `message`.
    pub fn new(status: u16, message: &str) -> ApiError {
        ApiError {
            status,
            body: json!({"type": "error", "error": {"message": message}}),
        }
    }

    /// `status` with `message` and `detail`.
    pub fn detailed(status: u16, message: &str, detail: &str) -> ApiError {
        ApiError {
            status,
            body: json!({"type": "error", "error": {"message": message, "detail": detail}}),
        }
    }

    /// 404 with `message`.
    pub fn not_found(message: &str) -> ApiError {
        ApiError::new(404, message)
    }

    /// 400 with `message`.
    pub fn bad_request(message: &str) -> ApiError {
        ApiError::new(400, message)
    }

    /// 500 for a failure of the emulator itself.
    pub fn internal(what: impl std::fmt::Display) -> ApiError {
        ApiError::new(500, &format!("emulator failure: {what}"))
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

/// What a route requires of the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    /// Read access.
    Read,
    /// `repository:write`.
    Write,
    /// `pullrequest:write`.
    PullRequests,
    /// `repository:admin`.
    Admin,
}

/// A REST handler.
pub type Handler = fn(&mut Ctx<'_>) -> ApiResult;

/// One operation.
pub struct Route {
    /// HTTP method.
    pub method: &'static str,
    /// The path template exactly as Bitbucket's OpenAPI description spells it (below `/2.0`).
    pub template: &'static str,
    /// What the caller needs.
    pub need: Need,
    /// The handler.
    pub handler: Handler,
}

const fn route(
    method: &'static str,
    template: &'static str,
    need: Need,
    handler: Handler,
) -> Route {
    Route {
        method,
        template,
        need,
        handler,
    }
}

/// Every operation the emulator implements.
pub static ROUTES: &[Route] = &[
    route(
        "GET",
        "/repositories/{workspace}",
        Need::Read,
        handlers::list_repos,
    ),
    route(
        "GET",
        "/repositories/{workspace}/{repo_slug}",
        Need::Read,
        handlers::get_repo,
    ),
    route(
        "POST",
        "/repositories/{workspace}/{repo_slug}",
        Need::Admin,
        handlers::create_repo,
    ),
    route(
        "GET",
        "/repositories/{workspace}/{repo_slug}/refs/branches",
        Need::Read,
        handlers::list_branches,
    ),
    route(
        "GET",
        "/repositories/{workspace}/{repo_slug}/refs/branches/{name}",
        Need::Read,
        handlers::get_branch,
    ),
    route(
        "GET",
        "/repositories/{workspace}/{repo_slug}/commit/{commit}",
        Need::Read,
        handlers::get_commit,
    ),
    route(
        "GET",
        "/repositories/{workspace}/{repo_slug}/commits/{revision}",
        Need::Read,
        handlers::list_commits,
    ),
    route(
        "GET",
        "/repositories/{workspace}/{repo_slug}/src/{commit}/{path}",
        Need::Read,
        handlers::get_src,
    ),
    route(
        "POST",
        "/repositories/{workspace}/{repo_slug}/src",
        Need::Write,
        handlers::post_src,
    ),
    route(
        "GET",
        "/repositories/{workspace}/{repo_slug}/diffstat/{spec}",
        Need::Read,
        handlers::diffstat,
    ),
    route(
        "GET",
        "/repositories/{workspace}/{repo_slug}/filehistory/{commit}/{path}",
        Need::Read,
        handlers::filehistory,
    ),
    route(
        "GET",
        "/repositories/{workspace}/{repo_slug}/pullrequests",
        Need::Read,
        handlers::list_pulls,
    ),
    route(
        "POST",
        "/repositories/{workspace}/{repo_slug}/pullrequests",
        Need::PullRequests,
        handlers::create_pull,
    ),
    route(
        "GET",
        "/repositories/{workspace}/{repo_slug}/pullrequests/{pull_request_id}",
        Need::Read,
        handlers::get_pull,
    ),
    route(
        "PUT",
        "/repositories/{workspace}/{repo_slug}/pullrequests/{pull_request_id}",
        Need::PullRequests,
        handlers::update_pull,
    ),
    route(
        "GET",
        "/repositories/{workspace}/{repo_slug}/pullrequests/{pull_request_id}/comments",
        Need::Read,
        handlers::list_comments,
    ),
    route(
        "POST",
        "/repositories/{workspace}/{repo_slug}/pullrequests/{pull_request_id}/comments",
        Need::PullRequests,
        handlers::create_comment,
    ),
];

crate::route_operation!(Route);

/// Parameters that take the rest of the path, slashes included; `src/{commit}/` lists the root
/// folder: an empty path.
const GREEDY: Greedy = Greedy {
    names: &["name", "revision", "path", "spec"],
    may_be_empty: &["path"],
};

/// The route for `method` and the decoded path segments below `/2.0`, with its parameters.
pub fn find(method: &str, segments: &[String]) -> Option<(&'static Route, Params)> {
    routes::find(ROUTES, &GREEDY, method, segments)
}

/// Who is calling.
#[derive(Debug, Clone)]
pub struct Caller {
    /// The credential.
    pub credential: CredentialConfig,
}

impl Caller {
    /// The author string of commits the caller makes without an `author` field.
    pub fn author(&self) -> Signature {
        let nick: String = self
            .credential
            .display_name
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() {
                    c.to_ascii_lowercase()
                } else {
                    '-'
                }
            })
            .collect();
        Signature::now(
            &self.credential.display_name,
            &format!("{nick}@users.noreply.bitbucket.example"),
        )
    }
}

/// The context of one REST request (the emulator core's [`Context`]).
pub type Ctx<'a> = Context<'a, Emulator, State, Caller>;

impl Ctx<'_> {
    /// `workspace/slug` of the request.
    pub fn full_name(&self) -> String {
        format!("{}/{}", self.param("workspace"), self.param("repo_slug"))
    }

    /// The request's repository, 404 in Bitbucket's words when it does not exist or the
    /// caller cannot see its workspace.
    pub fn repo(&self) -> Result<&super::state::RepoState, ApiError> {
        let full = self.full_name();
        match self.state.repo(&full) {
            Some(r) if self.caller.credential.can_see(&r.workspace) => Ok(r),
            _ => Err(ApiError::not_found(&format!("Repository {full} not found"))),
        }
    }

    /// The request's bare repository.
    pub fn git(&self) -> Result<BareRepo, ApiError> {
        let repo = self.repo()?;
        Ok(BareRepo::open(&repo.git_dir(&self.emu.core.root)))
    }

    /// The API URL of `path` (below `/2.0`).
    pub fn api_url(&self, path: &str) -> String {
        format!("{}{path}", self.emu.api)
    }

    /// The web URL of `path`.
    pub fn web_url(&self, path: &str) -> String {
        format!("{}{path}", self.emu.web)
    }
}

/// The Bitbucket emulator's internals, used from every connection thread.
pub struct Emulator {
    /// The configuration it was started with.
    pub config: BitbucketConfig,
    /// `http://127.0.0.1:PORT`.
    pub web: String,
    /// `{web}/2.0`.
    pub api: String,
    /// Root, state (repositories, pull requests), request record, faults and validator.
    pub core: Core<RepoState>,
    /// Accepted credentials (configured and added later).
    pub credentials: Mutex<Vec<CredentialConfig>>,
    /// Access tokens issued to OAuth consumers: (token, consumer credential).
    pub issued: Mutex<Vec<(String, CredentialConfig)>>,
}

impl Emulator {
    /// Internals for `config` over `core`, serving on `port`.
    pub fn new(config: BitbucketConfig, core: Core<RepoState>, port: u16) -> Emulator {
        let web = format!("http://127.0.0.1:{port}");
        Emulator {
            credentials: Mutex::new(config.credentials.clone()),
            config,
            api: format!("{web}{API_PREFIX}"),
            web,
            core,
            issued: Mutex::new(Vec::new()),
        }
    }

    /// Answers a request; also says why it is invalid, if it is. A handler panic becomes a 500
    /// and an invalid request.
    fn answer_request(&self, request: &Request) -> (Response, Option<String>) {
        crate::emulator::catching(
            |invalid| {
                self.route(request, invalid)
                    .unwrap_or_else(ApiError::into_response)
            },
            |why| ApiError::internal(why).into_response(),
        )
    }

    /// The segments below `/2.0`, or `None` for a path outside the API.
    fn api_segments(request: &Request) -> Option<Vec<String>> {
        let segments = request.path_segments();
        (segments.first().map(String::as_str) == Some("2.0")).then(|| segments[1..].to_vec())
    }

    /// What the official description and the documented rules find wrong with `request`, and
    /// the parsed `/src` form if it is one.
    fn problems(&self, request: &Request) -> (Vec<String>, Option<super::multipart::SrcForm>) {
        if request.path == TOKEN_PATH {
            return (handlers::token_request_problems(request), None);
        }
        let Some(segments) = Self::api_segments(request) else {
            return (
                vec![format!(
                    "{} {} is outside the API root {API_PREFIX}",
                    request.method, request.path
                )],
                None,
            );
        };
        let Some((route, _)) = find(&request.method, &segments) else {
            return (
                vec![format!(
                    "no such route in the emulator: {} {} (not a Bitbucket Cloud operation, or one the emulator does not implement)",
                    request.method, request.path
                )],
                None,
            );
        };
        let mut problems = Vec::new();
        let mut form = None;
        let mut query = request.query_pairs();
        let mut body = None;
        if route.template.ends_with("/src") && request.method == "POST" {
            // A form: its meta data fields are the operation's declared parameters.
            match request
                .header("content-type")
                .and_then(super::multipart::boundary)
            {
                None => problems.push(
                    "POST /src must be multipart/form-data with a boundary (the emulator does not take the urlencoded form)"
                        .into(),
                ),
                Some(b) => match super::multipart::parse(&b, &request.body) {
                    Err(why) => problems.push(format!("malformed multipart body: {why}")),
                    Ok(parts) => {
                        let (f, rules) = super::multipart::check_src_form(&parts);
                        problems.extend(rules);
                        for p in parts.iter().filter(|p| p.filename.is_none()) {
                            query.push((p.name.clone(), String::from_utf8_lossy(&p.data).into()));
                        }
                        form = Some(f);
                    }
                },
            }
        } else if !request.body.is_empty() {
            match serde_json::from_slice::<Value>(&request.body) {
                Ok(v) => body = Some(v),
                Err(_) => problems.push("the body is not JSON".into()),
            }
        }
        if let Some(validator) = &self.core.validator {
            let check = Check::Rest {
                method: &request.method,
                template: route.template,
                query: &query,
                body: body.as_ref(),
            };
            match validator.check(<Emulator as Provider>::SPEC, check) {
                Ok(errors) => problems.extend(errors),
                Err(e) => problems.push(format!("the validator failed: {e}")),
            }
        }
        (problems, form)
    }

    fn route(&self, request: &Request, invalid: &mut Option<String>) -> ApiResult {
        let (problems, form) = self.problems(request);
        if !problems.is_empty() {
            *invalid = Some(problems.join("; "));
        }
        if request.path == TOKEN_PATH && request.method == "POST" {
            return handlers::issue_token(self, request);
        }
        let segments = Self::api_segments(request).unwrap_or_default();
        let Some((route, params)) = find(&request.method, &segments) else {
            return Err(ApiError::not_found("Resource not found"));
        };
        let caller = self.authenticate(request)?;
        if !problems.is_empty() {
            return Err(ApiError::detailed(400, "Bad request", &problems.join("; ")));
        }
        permit(&caller, route.need)?;
        let body = match form {
            Some(form) => serde_json::to_value(FormBody::from(form)).unwrap_or(Value::Null),
            None if request.body.is_empty() => Value::Null,
            None => serde_json::from_slice(&request.body)
                .map_err(|_| ApiError::bad_request("The body is not valid JSON"))?,
        };
        let mut state = self.core.lock_state();
        let mut ctx = Ctx {
            emu: self,
            state: &mut state,
            req: request,
            params,
            caller,
            body,
        };
        let result = (route.handler)(&mut ctx);
        if request.method != "GET" && result.is_ok() {
            self.core.save(&state).map_err(ApiError::internal)?;
        }
        result
    }

    /// The caller of `request`: 401 in Bitbucket's words without valid credentials.
    pub fn authenticate(&self, request: &Request) -> Result<Caller, ApiError> {
        let unauthorized =
            || ApiError::new(401, "Access denied. You must have write or admin access.");
        let header = request.header("authorization").ok_or_else(unauthorized)?;
        let (scheme, value) = header.split_once(' ').ok_or_else(unauthorized)?;
        let credentials = self
            .credentials
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        if scheme.eq_ignore_ascii_case("bearer") {
            let value = value.trim();
            if let Some(c) = credentials.iter().find(
                |c| matches!(&c.kind, CredentialKind::AccessToken { token } if token == value),
            ) {
                return Ok(Caller {
                    credential: c.clone(),
                });
            }
            let issued = self.issued.lock().unwrap_or_else(|p| p.into_inner());
            if let Some((_, c)) = issued.iter().find(|(t, _)| t == value) {
                return Ok(Caller {
                    credential: c.clone(),
                });
            }
            return Err(ApiError::new(
                401,
                "Token is invalid, expired, or not supported for this endpoint.",
            ));
        }
        if scheme.eq_ignore_ascii_case("basic") {
            let decoded = base64::engine::general_purpose::STANDARD
                .decode(value.trim())
                .ok()
                .and_then(|b| String::from_utf8(b).ok())
                .ok_or_else(unauthorized)?;
            let (user, password) = decoded.split_once(':').ok_or_else(unauthorized)?;
            if let Some(c) = credentials.iter().find(|c| {
                matches!(&c.kind, CredentialKind::AppPassword { username, password: p }
                    if username == user && p == password)
            }) {
                return Ok(Caller {
                    credential: c.clone(),
                });
            }
        }
        Err(unauthorized())
    }

    /// The repository a request's path names (`/2.0/repositories/{workspace}/{slug}/…`).
    fn repository_of(request: &Request) -> Option<String> {
        match request.path_segments().as_slice() {
            [v, repositories, ws, slug, ..] if v == "2.0" && repositories == "repositories" => {
                Some(format!("{ws}/{slug}"))
            }
            _ => None,
        }
    }
}

/// The `/src` form as handlers read it from [`Ctx::body`].
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct FormBody {
    /// `message`.
    pub message: Option<String>,
    /// `author`.
    pub author: Option<String>,
    /// `parents`.
    pub parents: Vec<String>,
    /// `branch`.
    pub branch: Option<String>,
    /// `files`.
    pub files: Vec<String>,
    /// (path, attributes, base64 bytes).
    pub uploads: Vec<(String, Option<String>, String)>,
}

impl From<super::multipart::SrcForm> for FormBody {
    fn from(f: super::multipart::SrcForm) -> Self {
        FormBody {
            message: f.message,
            author: f.author,
            parents: f.parents,
            branch: f.branch,
            files: f.files,
            uploads: f
                .uploads
                .into_iter()
                .map(|(p, a, d)| (p, a, base64::engine::general_purpose::STANDARD.encode(d)))
                .collect(),
        }
    }
}

/// Refuses what the caller's scopes do not allow, in Bitbucket's words.
fn permit(caller: &Caller, need: Need) -> Result<(), ApiError> {
    let s: Scopes = caller.credential.scopes;
    let (ok, required) = match need {
        Need::Read => (s.read, "repository"),
        Need::Write => (s.write, "repository:write"),
        Need::PullRequests => (s.pullrequests, "pullrequest:write"),
        Need::Admin => (s.admin, "repository:admin"),
    };
    if ok {
        return Ok(());
    }
    Err(ApiError::detailed(
        403,
        "Your credentials lack one or more required privilege scopes.",
        &format!("required: {required}; granted: {}", s.names().join(", ")),
    ))
}

impl Provider for Emulator {
    type Repo = RepoState;
    const NAME: &'static str = "Bitbucket";
    const JUDGE: &'static str = "Bitbucket's API description or documented rules";
    const SPEC: &'static str = "bitbucket";
    const STATE_FILE: &'static str = STATE_FILE;
    const CORS: CorsPolicy = crate::emulator::cors::BITBUCKET;

    fn core(&self) -> &Core<RepoState> {
        &self.core
    }

    fn answer(&self, request: &Request, _seq: u64) -> (Response, Option<String>) {
        self.answer_request(request)
    }

    fn problems(&self, request: &Request) -> Option<String> {
        let (problems, _) = Emulator::problems(self, request);
        (!problems.is_empty()).then(|| problems.join("; "))
    }

    fn repo_of(&self, request: &Request) -> Option<String> {
        Emulator::repository_of(request)
    }

    fn control(&self, request: &Request, parts: &[&str], body: &Value) -> Outcome {
        super::control::route(self, request, parts, body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::emulator::routes::segments;

    #[test]
    fn matches_templates() {
        let (r, p) = find("GET", &segments("/repositories/w/r/src/abc/a/b.txt")).expect("route");
        assert_eq!(
            r.template,
            "/repositories/{workspace}/{repo_slug}/src/{commit}/{path}"
        );
        assert_eq!(p[3], ("path", "a/b.txt".to_owned()));
        let (_, p) = find("GET", &segments("/repositories/w/r/src/abc/")).expect("root listing");
        assert_eq!(p[3], ("path", String::new()));
        let (r, p) = find(
            "GET",
            &segments("/repositories/w/r/refs/branches/feature/x"),
        )
        .expect("branch");
        assert_eq!(
            r.template,
            "/repositories/{workspace}/{repo_slug}/refs/branches/{name}"
        );
        assert_eq!(p[2].1, "feature/x");
        assert!(find("POST", &segments("/repositories/w/r/src")).is_some());
        assert!(find("GET", &segments("/repositories/w/r/nope")).is_none());
    }
}
