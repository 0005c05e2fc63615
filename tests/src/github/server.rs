//! The request pipeline of the GitHub emulator: record → faults → route → authenticate →
//! rate limit → parse → validate against the official description → permissions → handler →
//! GitHub's response headers.

use std::collections::HashMap;
use std::sync::Mutex;

use serde_json::{json, Value};

use super::api::{ApiError, Caller, Ctx};
use super::auth::{credential, looks_like_jwt, verify_jwt, Credential};
use super::config::{Access, GithubConfig, TokenConfig, TokenKind};
use super::router::{self, Need};
use super::state::{RepoState, STATE_FILE};
use super::{control_http, graphql};
use crate::emulator::control::Outcome;
use crate::emulator::cors::CorsPolicy;
use crate::emulator::{Core, Provider};
use crate::http::{Request, Response};
use crate::validator::Check;

/// The URLs the emulator answers on.
#[derive(Debug, Clone)]
pub struct Urls {
    /// `127.0.0.1:PORT`.
    pub host: String,
    /// The web root, `http://127.0.0.1:PORT` (html_url of repositories and pull requests).
    pub web: String,
    /// The REST root (the web root, or `{web}/api/v3` for Enterprise).
    pub api: String,
    /// The GraphQL endpoint (`{web}/graphql`, or `{web}/api/graphql` for Enterprise).
    pub graphql: String,
}

impl Urls {
    /// The URLs of an emulator on `port`.
    pub fn new(port: u16, enterprise: bool) -> Urls {
        let host = format!("127.0.0.1:{port}");
        let web = format!("http://{host}");
        let (api, graphql) = if enterprise {
            (format!("{web}/api/v3"), format!("{web}/api/graphql"))
        } else {
            (web.clone(), format!("{web}/graphql"))
        };
        Urls {
            host,
            web,
            api,
            graphql,
        }
    }
}

/// The operation a request is for.
enum Target {
    /// A REST route and its path parameters.
    Rest(&'static router::Route, Vec<(&'static str, String)>),
    /// The GraphQL endpoint.
    Graphql,
}

/// Requests per hour of one token, in the current window.
struct RateWindow {
    used: u32,
    reset: i64,
}

/// The GitHub emulator's internals, used from every connection thread.
pub struct Emulator {
    /// The configuration it was started with.
    pub config: GithubConfig,
    /// Its URLs.
    pub urls: Urls,
    /// Root, state (settings, pull requests), request record, faults and validator.
    pub core: Core<RepoState>,
    /// Accepted tokens: the configured ones, those added later and those issued to Apps.
    pub tokens: Mutex<Vec<TokenConfig>>,
    rate: Mutex<HashMap<String, RateWindow>>,
}

impl Emulator {
    /// Internals for `config` over `core`, serving at `urls`.
    pub fn new(config: GithubConfig, core: Core<RepoState>, urls: Urls) -> Emulator {
        Emulator {
            tokens: Mutex::new(config.tokens.clone()),
            config,
            urls,
            core,
            rate: Mutex::new(HashMap::new()),
        }
    }

    /// Whether a personal token acts as `login` (then `login` is a user, not an organisation).
    pub fn is_person(&self, login: &str) -> bool {
        self.tokens
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .any(|t| t.kind == TokenKind::Personal && t.identity.login.eq_ignore_ascii_case(login))
    }

    /// Answers a request; also says why it is invalid, if it is (a handler panic becomes a 500
    /// and an invalid request).
    fn answer_request(&self, request: &Request, seq: u64) -> (Response, Option<String>) {
        let (mut response, invalid) = crate::emulator::catching(
            |invalid| {
                self.route(request, invalid)
                    .unwrap_or_else(ApiError::into_response)
            },
            |why| ApiError::internal(why).into_response(),
        );
        response.set_header("x-github-request-id", format!("EMU0:{seq}"));
        response.set_header("x-github-api-version-selected", "2022-11-28");
        response.set_header("x-github-media-type", "github.v3; format=json");
        (response, invalid)
    }

    /// Which operation `request` is: a REST route with its parameters, or GraphQL; otherwise
    /// why there is none (the request is answered 404 and flagged).
    fn target(&self, request: &Request) -> Result<Target, String> {
        let mut segments = request.path_segments();
        if self.config.enterprise {
            match segments.as_slice() {
                [api, graphql] if api == "api" && graphql == "graphql" => {
                    segments = vec!["graphql".into()]
                }
                [api, v3, ..] if api == "api" && v3 == "v3" => {
                    segments.drain(..2);
                }
                _ => {
                    return Err(format!(
                        "{} {} is outside the Enterprise API root /api/v3",
                        request.method, request.path
                    ))
                }
            }
        }
        if segments == ["graphql"] && request.method == "POST" {
            return Ok(Target::Graphql);
        }
        router::find(&request.method, &segments)
            .map(|(route, params)| Target::Rest(route, params))
            .ok_or_else(|| {
                format!(
                    "no such route in the emulator: {} {} (not a GitHub REST operation, or one the emulator does not implement)",
                    request.method, request.path
                )
            })
    }

    /// What GitHub's official descriptions find wrong with `request` (empty when valid, or
    /// when validation is off).
    fn problems(&self, request: &Request, target: &Target) -> Vec<String> {
        let Ok(body) = parse_body(request) else {
            return vec!["the body is not JSON".into()];
        };
        let Some(validator) = &self.core.validator else {
            return Vec::new();
        };
        let query = request.query_pairs();
        let check = match target {
            Target::Rest(route, _) => Check::Rest {
                method: &request.method,
                template: route.template,
                query: &query,
                body: (!request.body.is_empty()).then_some(&body),
            },
            Target::Graphql => Check::Graphql {
                query: body["query"].as_str().unwrap_or_default(),
                variables: body.get("variables").filter(|v| !v.is_null()),
                operation_name: body["operationName"].as_str(),
            },
        };
        validator
            .check(<Emulator as Provider>::SPEC, check)
            .unwrap_or_else(|e| vec![format!("the validator failed: {e}")])
    }

    /// Validates a request that a fault answers instead of the emulator: the client sent it,
    /// so it must be valid all the same.
    fn problems_of(&self, request: &Request) -> Option<String> {
        let problems = match self.target(request) {
            Ok(target) => self.problems(request, &target),
            Err(why) => vec![why],
        };
        (!problems.is_empty()).then(|| problems.join("; "))
    }

    fn route(&self, request: &Request, invalid: &mut Option<String>) -> Result<Response, ApiError> {
        let target = self.target(request).map_err(|why| {
            *invalid = Some(why);
            ApiError::not_found()
        })?;
        let (route, params) = match target {
            Target::Graphql => return self.graphql(request, invalid),
            Target::Rest(route, params) => (route, params),
        };
        let doc = format!("{}/{}", super::api::DOCS, route.doc);
        let caller = self
            .authenticate(request, route.need)
            .map_err(|e| with_doc(e, &doc))?;
        // Asking for the rate-limit status does not count against it.
        let rate_headers = self.count_rate(&caller, "core", route.template != "/rate_limit");
        let result = self.run(request, route, params, caller, invalid);
        let mut response = match result {
            Ok(response) => response,
            Err(error) => with_doc(error, &doc).into_response(),
        };
        for (name, value) in rate_headers {
            response.set_header(&name, value);
        }
        Ok(response)
    }

    fn run(
        &self,
        request: &Request,
        route: &'static router::Route,
        params: Vec<(&'static str, String)>,
        caller: Caller,
        invalid: &mut Option<String>,
    ) -> Result<Response, ApiError> {
        if self.rate_snapshot(&caller, "core").1 > self.config.rate_limit {
            let mut error = ApiError::forbidden(&format!(
                "API rate limit exceeded for {}.",
                caller_name(&caller)
            ));
            error.body["documentation_url"] =
                json!("https://docs.github.com/rest/overview/rate-limits-for-the-rest-api");
            return Err(error);
        }
        let problems = self.problems(request, &Target::Rest(route, Vec::new()));
        if !problems.is_empty() {
            *invalid = Some(problems.join("; "));
            parse_body(request)?;
            return Err(ApiError::unprocessable(&format!(
                "Invalid request.\n\n{}",
                problems.join("\n")
            )));
        }
        let body = parse_body(request)?;
        permit(&caller, route.need)?;
        let mut state = self.core.lock_state();
        let mut ctx = Ctx {
            emu: self,
            state: &mut state,
            req: request,
            params,
            caller,
            body,
        };
        if route.git_data && ctx.git()?.is_empty()? {
            return Err(ApiError::conflict("Git Repository is empty."));
        }
        let result = (route.handler)(&mut ctx);
        if request.method != "GET" && result.is_ok() {
            self.core.save(&state).map_err(ApiError::internal)?;
        }
        result
    }

    fn graphql(
        &self,
        request: &Request,
        invalid: &mut Option<String>,
    ) -> Result<Response, ApiError> {
        let unauthorized = |message: &str| {
            let mut error = ApiError::unauthorized(message);
            error.body =
                json!({"message": message, "documentation_url": "https://docs.github.com/graphql"});
            error
        };
        let caller = match self.authenticate(request, Need::Read) {
            Ok(caller) => caller,
            Err(e) if e.status == 401 && e.body["message"] == "Requires authentication" => {
                return Err(unauthorized(
                    "This endpoint requires you to be authenticated.",
                ));
            }
            Err(_) => return Err(unauthorized("Bad credentials")),
        };
        let rate_headers = self.count_rate(&caller, "graphql", true);
        let problems = self.problems(request, &Target::Graphql);
        let answer = if problems.is_empty() {
            let body = parse_body(request)?;
            let operation = graphql::Operation {
                query: body["query"].as_str().unwrap_or_default(),
                variables: body.get("variables").filter(|v| !v.is_null()),
                operation_name: body["operationName"].as_str(),
            };
            let mut state = self.core.lock_state();
            let answer = graphql::execute(self, &mut state, &caller, &operation);
            self.core.save(&state).map_err(ApiError::internal)?;
            answer
        } else {
            *invalid = Some(problems.join("; "));
            parse_body(request)?;
            // GitHub answers an invalid document with 200 and `errors`, without `data`.
            let errors: Vec<Value> = problems.iter().map(|e| json!({"message": e})).collect();
            json!({ "errors": errors })
        };
        let mut response = Response::json(200, &answer);
        for (name, value) in rate_headers {
            response.set_header(&name, value);
        }
        Ok(response)
    }

    /// Who is calling, as `need` requires.
    fn authenticate(&self, request: &Request, need: Need) -> Result<Caller, ApiError> {
        let token = match credential(request.header("authorization")) {
            Credential::Missing => return Err(ApiError::unauthorized("Requires authentication")),
            Credential::Malformed => return Err(ApiError::unauthorized("Bad credentials")),
            Credential::Token(token) => token,
        };
        if need == Need::Jwt {
            if !looks_like_jwt(&token) {
                return Err(ApiError::unauthorized(
                    "A JSON web token could not be decoded",
                ));
            }
            return verify_jwt(&self.config.apps, &token, crate::time::now())
                .map(|app| Caller::App(app.clone()))
                .map_err(|message| ApiError::unauthorized(&message));
        }
        let now = crate::time::now();
        let valid = |t: &&TokenConfig| t.token == token && t.expires_at.is_none_or(|at| at > now);
        let found = self
            .tokens
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .find(valid)
            .cloned();
        found
            .map(Caller::Token)
            .ok_or_else(|| ApiError::unauthorized("Bad credentials"))
    }

    /// Counts a request (when `count`) against the caller's hourly budget of `resource`;
    /// GitHub's rate-limit headers.
    fn count_rate(&self, caller: &Caller, resource: &str, count: bool) -> Vec<(String, String)> {
        let key = format!("{resource}:{}", caller_key(caller));
        let now = crate::time::now();
        let mut rate = self.rate.lock().unwrap_or_else(|p| p.into_inner());
        let window = rate.entry(key).or_insert(RateWindow {
            used: 0,
            reset: now + 3600,
        });
        if now >= window.reset {
            *window = RateWindow {
                used: 0,
                reset: now + 3600,
            };
        }
        if count {
            window.used = window.used.saturating_add(1);
        }
        let limit = self.config.rate_limit;
        vec![
            ("x-ratelimit-limit".into(), limit.to_string()),
            (
                "x-ratelimit-remaining".into(),
                limit.saturating_sub(window.used).to_string(),
            ),
            ("x-ratelimit-reset".into(), window.reset.to_string()),
            (
                "x-ratelimit-used".into(),
                window.used.min(limit).to_string(),
            ),
            ("x-ratelimit-resource".into(), resource.into()),
        ]
    }

    /// The caller's budget of `resource`: limit, used, reset time.
    pub fn rate_snapshot(&self, caller: &Caller, resource: &str) -> (u32, u32, i64) {
        let key = format!("{resource}:{}", caller_key(caller));
        let rate = self.rate.lock().unwrap_or_else(|p| p.into_inner());
        let (used, reset) = rate
            .get(&key)
            .map_or((0, crate::time::now() + 3600), |w| (w.used, w.reset));
        (self.config.rate_limit, used, reset)
    }

    /// The repository a request names: in its REST path, or as GraphQL's
    /// `repositoryNameWithOwner`.
    fn repository_of(request: &Request) -> Option<String> {
        let segments = request.path_segments();
        match segments.iter().position(|s| s == "repos") {
            Some(i) if segments.len() > i + 2 => {
                Some(format!("{}/{}", segments[i + 1], segments[i + 2]))
            }
            _ => find_string(
                &parse_body(request).unwrap_or(Value::Null),
                "repositoryNameWithOwner",
            ),
        }
    }
}

/// A stable key for the caller's rate-limit window (not the token itself).
fn caller_key(caller: &Caller) -> String {
    match caller {
        Caller::Token(token) => format!(
            "token:{}:{}",
            token.identity.login,
            crate::github::config::stable_id(&token.token)
        ),
        Caller::App(app) => format!("app:{}", app.id),
    }
}

fn caller_name(caller: &Caller) -> String {
    match caller {
        Caller::Token(token) => match token.kind {
            TokenKind::Installation { installation_id } => {
                format!("installation ID {installation_id}")
            }
            _ => format!("user ID {}", token.identity.id),
        },
        Caller::App(app) => format!("app ID {}", app.id),
    }
}

/// Refuses writes the caller's permissions do not allow, with GitHub's messages.
fn permit(caller: &Caller, need: Need) -> Result<(), ApiError> {
    let Caller::Token(token) = caller else {
        return Ok(());
    };
    let level = match need {
        Need::Read | Need::Jwt => return Ok(()),
        Need::Contents => token.permissions.contents,
        Need::Pulls => token.permissions.pull_requests,
        Need::Admin => token.permissions.administration,
    };
    if level == Access::Write {
        return Ok(());
    }
    Err(ApiError::forbidden(match token.kind {
        TokenKind::Personal => "Resource not accessible by personal access token",
        _ => "Resource not accessible by integration",
    }))
}

fn with_doc(mut error: ApiError, doc: &str) -> ApiError {
    if error.body["documentation_url"] == json!(super::api::DOCS) {
        error.body["documentation_url"] = json!(doc);
    }
    error
}

/// The JSON body (`Null` when empty); 400 "Problems parsing JSON" otherwise.
fn parse_body(request: &Request) -> Result<Value, ApiError> {
    if request.body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Value::Null);
    }
    serde_json::from_slice(&request.body).map_err(|_| ApiError::new(400, "Problems parsing JSON"))
}

/// The first string value of `key` anywhere in `value`.
fn find_string(value: &Value, key: &str) -> Option<String> {
    match value {
        Value::Object(map) => map
            .get(key)
            .and_then(Value::as_str)
            .map(str::to_owned)
            .or_else(|| map.values().find_map(|v| find_string(v, key))),
        Value::Array(items) => items.iter().find_map(|v| find_string(v, key)),
        _ => None,
    }
}

impl Provider for Emulator {
    type Repo = RepoState;
    const NAME: &'static str = "GitHub";
    const JUDGE: &'static str = "GitHub's official API description";
    const SPEC: &'static str = "github";
    const STATE_FILE: &'static str = STATE_FILE;
    const CORS: CorsPolicy = crate::emulator::cors::GITHUB;

    fn core(&self) -> &Core<RepoState> {
        &self.core
    }

    fn answer(&self, request: &Request, seq: u64) -> (Response, Option<String>) {
        self.answer_request(request, seq)
    }

    fn problems(&self, request: &Request) -> Option<String> {
        self.problems_of(request)
    }

    fn repo_of(&self, request: &Request) -> Option<String> {
        Emulator::repository_of(request)
    }

    fn stamp(&self, response: &mut Response, seq: u64) {
        response.set_header("x-github-request-id", format!("EMU0:{seq}"));
    }

    fn control(&self, request: &Request, parts: &[&str], body: &Value) -> Outcome {
        control_http::route(self, request, parts, body)
    }
}
