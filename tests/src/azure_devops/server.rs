//! The request pipeline of the Azure DevOps emulator: route → authenticate → validate against
//! the official description → permissions → handler.

use base64::Engine as _;
use serde_json::Value;

use super::faults::error_body;
use super::handlers;
use super::state::{RepoState, State, STATE_FILE};
use super::{AzureConfig, Credential};
use crate::emulator::control::Outcome;
use crate::emulator::cors::CorsPolicy;
use crate::emulator::routes::{self, Greedy, Params};
use crate::emulator::{Core, Provider};
use crate::git::BareRepo;
use crate::http::{Request, Response};
use crate::validator::Check;

/// An error answer in Azure DevOps' shape.
#[derive(Debug, Clone)]
pub struct ApiError {
    /// Status code.
    pub status: u16,
    /// The JSON body.
    pub body: Value,
}

impl ApiError {
    /// `status` with `message` and the exception's `typeKey`.
    pub fn new(status: u16, message: &str, type_key: &str) -> ApiError {
        ApiError {
            status,
            body: error_body(message, type_key),
        }
    }

    /// 400.
    pub fn bad_request(message: &str) -> ApiError {
        ApiError::new(400, message, "InvalidArgumentValueException")
    }

    /// 500 for a failure of the emulator itself.
    pub fn internal(what: impl std::fmt::Display) -> ApiError {
        ApiError::new(
            500,
            &format!("emulator failure: {what}"),
            "VssServiceException",
        )
    }

    /// The answer.
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

/// What a route requires of the caller (pushes check "Contribute" and "Create branch"
/// themselves, by what they do).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    /// Read access.
    Read,
    /// Pushes.
    Push,
    /// "Contribute to pull requests".
    PullRequests,
}

/// A handler.
pub type Handler = fn(&mut Ctx<'_>) -> ApiResult;

/// One operation.
pub struct Route {
    /// HTTP method.
    pub method: &'static str,
    /// The path template exactly as the description spells it.
    pub template: &'static str,
    /// What the caller needs.
    pub need: Need,
    /// The handler.
    pub handler: Handler,
}

/// How the emulator answers browsers.
const CORS: CorsPolicy = CorsPolicy {
    allow_methods: "GET, POST, PATCH",
    allow_headers: "Authorization, Content-Type, Accept",
    expose_headers: "Retry-After, ActivityId",
    max_age: 3600,
};

#[cfg(test)]
const REPO: &str = "/{organization}/{project}/_apis/git/repositories/{repositoryId}";

macro_rules! r {
    ($method:literal, $rest:literal, $need:ident, $handler:path) => {
        Route {
            method: $method,
            template: concat!(
                "/{organization}/{project}/_apis/git/repositories/{repositoryId}",
                $rest
            ),
            need: Need::$need,
            handler: $handler,
        }
    };
}

/// Every operation the emulator implements.
pub static ROUTES: &[Route] = &[
    Route {
        method: "GET",
        template: "/{organization}/{project}/_apis/git/repositories",
        need: Need::Read,
        handler: handlers::list_repos,
    },
    r!("GET", "", Read, handlers::get_repo),
    r!("GET", "/refs", Read, handlers::list_refs),
    r!("GET", "/items", Read, handlers::list_items),
    r!("GET", "/blobs/{sha1}", Read, handlers::get_blob),
    r!("GET", "/commits/{commitId}", Read, handlers::get_commit),
    r!("POST", "/pushes", Push, handlers::create_push),
    r!("GET", "/diffs/commits", Read, handlers::diff_commits),
    r!("GET", "/pullrequests", Read, handlers::list_pulls),
    r!("POST", "/pullrequests", PullRequests, handlers::create_pull),
    r!(
        "PATCH",
        "/pullrequests/{pullRequestId}",
        PullRequests,
        handlers::update_pull
    ),
    r!(
        "GET",
        "/pullRequests/{pullRequestId}/threads",
        Read,
        handlers::list_threads
    ),
    r!(
        "POST",
        "/pullRequests/{pullRequestId}/threads",
        PullRequests,
        handlers::create_thread
    ),
];

crate::route_operation!(Route);

const GREEDY: Greedy = Greedy {
    names: &[],
    may_be_empty: &[],
};

/// The route for `method` and the decoded path segments, with its parameters.
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
    /// The caller.
    pub caller: Credential,
    /// The JSON body (`Null` without one).
    pub body: Value,
}

impl Ctx<'_> {
    /// Path parameter `name`.
    pub fn param(&self, name: &str) -> &str {
        routes::param(&self.params, name)
    }

    /// The request's repository (by name or id), 404 in the service's words.
    pub fn repo(&self) -> Result<&RepoState, ApiError> {
        let owner = format!("{}/{}", self.param("organization"), self.param("project"));
        let id = self.param("repositoryId");
        self.state
            .repos
            .values()
            .find(|r| {
                r.owner.eq_ignore_ascii_case(&owner)
                    && (r.name.eq_ignore_ascii_case(id) || r.id.eq_ignore_ascii_case(id))
            })
            .ok_or_else(|| {
                ApiError::new(
                    404,
                    &format!("TF401019: The Git repository with name or identifier {id} does not exist or you do not have permissions for the operation you are attempting."),
                    "GitRepositoryNotFoundException",
                )
            })
    }

    /// The request's repository, mutable.
    pub fn repo_mut(&mut self) -> Result<&mut RepoState, ApiError> {
        let key = {
            let r = self.repo()?;
            format!("{}/{}", r.owner, r.name)
        };
        self.state
            .repo_mut(&key)
            .ok_or_else(|| ApiError::internal("repository vanished"))
    }

    /// The request's bare repository.
    pub fn git(&self) -> Result<BareRepo, ApiError> {
        Ok(BareRepo::open(&crate::emulator::RepoRecord::git_dir(
            self.repo()?,
            &self.emu.core.root,
        )))
    }

    /// The API URL of `rest` below the repository.
    pub fn repo_url(&self, rest: &str) -> String {
        let r = self.repo().map(|r| r.id.clone()).unwrap_or_default();
        format!(
            "{}/{}/{}/_apis/git/repositories/{r}{rest}",
            self.emu.base,
            self.param("organization"),
            self.param("project")
        )
    }

    /// Refuses unless the caller has `permission` (403 in the service's words).
    pub fn require(&self, granted: bool, permission: &str) -> Result<(), ApiError> {
        if granted {
            return Ok(());
        }
        Err(ApiError::new(
            403,
            &format!(
                "TF401027: You need the Git '{permission}' permission to perform this action. Details: identity '{}', scope 'repository'.",
                self.caller.name
            ),
            "GitNeedsPermissionException",
        ))
    }
}

/// The emulator's internals.
pub struct Emulator {
    /// The configuration.
    pub config: AzureConfig,
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    /// The shared core.
    pub core: Core<RepoState>,
    /// Accepted credentials (configured and added later).
    pub credentials: std::sync::Mutex<Vec<Credential>>,
}

impl Emulator {
    /// Internals for `config` over `core`, serving on `port`.
    pub fn new(config: AzureConfig, core: Core<RepoState>, port: u16) -> Emulator {
        Emulator {
            credentials: std::sync::Mutex::new(config.credentials.clone()),
            config,
            base: format!("http://127.0.0.1:{port}"),
            core,
        }
    }

    /// What the official description finds wrong with `request`.
    fn problems(&self, request: &Request) -> Vec<String> {
        let segments = request.path_segments();
        let Some((route, _)) = find(&request.method, &segments) else {
            return vec![format!(
                "no such route in the emulator: {} {} (not an Azure DevOps Git 7.1 operation, or one the emulator does not implement)",
                request.method, request.path
            )];
        };
        let mut problems = Vec::new();
        let mut body = None;
        if !request.body.is_empty() {
            match serde_json::from_slice::<Value>(&request.body) {
                Ok(v) => body = Some(v),
                Err(_) => problems.push("the body is not JSON".into()),
            }
        }
        if let Some(validator) = &self.core.validator {
            let query = request.query_pairs();
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
        problems
    }

    fn route(&self, request: &Request, invalid: &mut Option<String>) -> ApiResult {
        let problems = self.problems(request);
        if !problems.is_empty() {
            *invalid = Some(problems.join("; "));
        }
        let segments = request.path_segments();
        let Some((route, params)) = find(&request.method, &segments) else {
            return Err(ApiError::new(
                404,
                "The controller for path was not found or does not implement IController.",
                "HttpException",
            ));
        };
        let caller = self.authenticate(request)?;
        if !problems.is_empty() {
            return Err(ApiError::bad_request(&problems.join("; ")));
        }
        let body = if request.body.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&request.body)
                .map_err(|_| ApiError::bad_request("The body is not valid JSON"))?
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
        if route.need == Need::PullRequests {
            ctx.repo()?;
            ctx.require(ctx.caller.pull_requests, "PullRequestContribute")?;
        }
        let result = (route.handler)(&mut ctx);
        if request.method != "GET" && result.is_ok() {
            self.core.save(&state).map_err(ApiError::internal)?;
        }
        result
    }

    /// The caller: a personal access token as Basic (any user name), or a bearer token.
    fn authenticate(&self, request: &Request) -> Result<Credential, ApiError> {
        let unauthorized = || {
            ApiError::new(
                401,
                "TF400813: The user '' is not authorized to access this resource.",
                "UnauthorizedRequestException",
            )
        };
        let header = request.header("authorization").ok_or_else(unauthorized)?;
        let (scheme, value) = header.split_once(' ').ok_or_else(unauthorized)?;
        let (bearer, token) = if scheme.eq_ignore_ascii_case("bearer") {
            (true, value.trim().to_owned())
        } else if scheme.eq_ignore_ascii_case("basic") {
            let decoded = base64::engine::general_purpose::STANDARD
                .decode(value.trim())
                .ok()
                .and_then(|b| String::from_utf8(b).ok())
                .ok_or_else(unauthorized)?;
            let (_, pat) = decoded.split_once(':').ok_or_else(unauthorized)?;
            (false, pat.to_owned())
        } else {
            return Err(unauthorized());
        };
        self.credentials
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .find(|c| c.bearer == bearer && c.token == token)
            .cloned()
            .ok_or_else(unauthorized)
    }

    /// The repository (`organization/project/repository`) a request's path names.
    fn repository_of(&self, request: &Request) -> Option<String> {
        let segments = request.path_segments();
        let (_, params) = find(&request.method, &segments)?;
        let id = routes::param(&params, "repositoryId");
        let owner = format!(
            "{}/{}",
            routes::param(&params, "organization"),
            routes::param(&params, "project")
        );
        let state = self.core.lock_state();
        state
            .repos
            .values()
            .find(|r| {
                r.owner.eq_ignore_ascii_case(&owner)
                    && (r.name.eq_ignore_ascii_case(id) || r.id.eq_ignore_ascii_case(id))
            })
            .map(|r| format!("{}/{}", r.owner, r.name))
    }
}

impl Provider for Emulator {
    type Repo = RepoState;
    const NAME: &'static str = "Azure DevOps";
    const JUDGE: &'static str = "Azure DevOps' official Git 7.1 API description";
    const SPEC: &'static str = "azure-devops";
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
            |why| ApiError::internal(why).into_response(),
        )
    }

    fn problems(&self, request: &Request) -> Option<String> {
        let problems = Emulator::problems(self, request);
        (!problems.is_empty()).then(|| problems.join("; "))
    }

    fn repo_of(&self, request: &Request) -> Option<String> {
        self.repository_of(request)
    }

    fn control(&self, request: &Request, _parts: &[&str], _body: &Value) -> Outcome {
        Err(crate::emulator::control::unknown(request))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::emulator::routes::segments;

    #[test]
    fn matches_templates() {
        let (r, p) = find("GET", &segments("/o/p/_apis/git/repositories/r/items")).expect("route");
        assert_eq!(r.template, format!("{REPO}/items"));
        assert_eq!(routes::param(&p, "repositoryId"), "r");
        assert!(find(
            "PATCH",
            &segments("/o/p/_apis/git/repositories/r/pullrequests/3")
        )
        .is_some());
        assert!(find("GET", &segments("/o/p/_apis/git/repositories/r/nope")).is_none());
    }
}
