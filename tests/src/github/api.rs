//! What every REST handler works with: the request context, GitHub's error answers, and
//! pagination with `Link` headers.

use serde_json::{json, Value};

use super::config::{AppConfig, TokenConfig};
use super::server::Emulator;
use super::state::{RepoState, State};
use crate::emulator::routes::Context;
use crate::emulator::RepoRecord as _;
use crate::git::BareRepo;
use crate::http::Response;

/// Documentation root used in `documentation_url`.
pub const DOCS: &str = "https://docs.github.com/rest";

/// An error answer in GitHub's shape: `{"message", "documentation_url", "status"}`, plus
/// `errors` for validation failures.
#[derive(Debug, Clone)]
pub struct ApiError {
    /// Status code.
    pub status: u16,
    /// The JSON body.
    pub body: Value,
    /// Extra headers.
    pub headers: Vec<(String, String)>,
}

impl ApiError {
    /// `status` with `message`.
    pub fn new(status: u16, message: &str) -> ApiError {
        ApiError {
            status,
            body: json!({"message": message, "documentation_url": DOCS, "status": status.to_string()}),
            headers: Vec::new(),
        }
    }

    /// 404 Not Found.
    pub fn not_found() -> ApiError {
        ApiError::new(404, "Not Found")
    }

    /// 422 with `message`.
    pub fn unprocessable(message: &str) -> ApiError {
        ApiError::new(422, message)
    }

    /// 409 with `message`.
    pub fn conflict(message: &str) -> ApiError {
        ApiError::new(409, message)
    }

    /// 403 with `message`.
    pub fn forbidden(message: &str) -> ApiError {
        ApiError::new(403, message)
    }

    /// 401 with `message`.
    pub fn unauthorized(message: &str) -> ApiError {
        ApiError::new(401, message)
    }

    /// 422 "Validation Failed" with GitHub's `errors` list.
    pub fn validation(errors: Value) -> ApiError {
        let mut error = ApiError::new(422, "Validation Failed");
        error.body["errors"] = errors;
        error
    }

    /// 500 for a failure of the emulator itself (a bug or a broken repository on disk).
    pub fn internal(what: impl std::fmt::Display) -> ApiError {
        ApiError::new(500, &format!("emulator failure: {what}"))
    }

    /// The answer to send.
    pub fn into_response(self) -> Response {
        let mut response = Response::json(self.status, &self.body);
        for (name, value) in self.headers {
            response.set_header(&name, value);
        }
        response
    }
}

impl From<crate::git::Error> for ApiError {
    fn from(error: crate::git::Error) -> Self {
        ApiError::internal(error)
    }
}

/// Result of a handler.
pub type ApiResult = Result<Response, ApiError>;

/// Who is calling.
#[derive(Debug, Clone)]
pub enum Caller {
    /// A token (configured or issued to an App installation).
    Token(TokenConfig),
    /// A GitHub App, authenticated with a JWT.
    App(AppConfig),
}

/// The context of one REST request (the emulator core's [`Context`]).
pub type Ctx<'a> = Context<'a, Emulator, State, Caller>;

impl Ctx<'_> {
    /// `owner/repo` from the path.
    pub fn full_name(&self) -> String {
        format!("{}/{}", self.param("owner"), self.param("repo"))
    }

    /// The token calling (installation tokens included); `None` for App JWTs.
    pub fn token(&self) -> Option<&TokenConfig> {
        match &self.caller {
            Caller::Token(token) => Some(token),
            Caller::App(_) => None,
        }
    }

    /// Whether the caller may see repository `full_name`.
    pub fn can_see(&self, full_name: &str) -> bool {
        match &self.caller {
            Caller::Token(token) => token.can_see(full_name),
            Caller::App(app) => app.covers(full_name),
        }
    }

    /// The repository named in the path; 404 when it does not exist or the caller cannot see it.
    pub fn repo(&self) -> Result<&RepoState, ApiError> {
        let full_name = self.full_name();
        match self.state.repo(&full_name) {
            Some(repo) if self.can_see(&full_name) => Ok(repo),
            _ => Err(ApiError::not_found()),
        }
    }

    /// The repository named in the path, mutable.
    pub fn repo_mut(&mut self) -> Result<&mut RepoState, ApiError> {
        self.repo()?;
        let full_name = self.full_name();
        Ok(self.state.repo_mut(&full_name).expect("checked by repo()"))
    }

    /// The bare repository named in the path.
    pub fn git(&self) -> Result<BareRepo, ApiError> {
        let repo = self.repo()?;
        Ok(BareRepo::open(&repo.git_dir(&self.emu.core.root)))
    }

    /// An API URL for `path` (`/repos/o/r/...`).
    pub fn api_url(&self, path: &str) -> String {
        format!("{}{path}", self.emu.urls.api)
    }

    /// A web URL for `path` (`/o/r/pull/1`).
    pub fn html_url(&self, path: &str) -> String {
        format!("{}{path}", self.emu.urls.web)
    }

    /// A string field of the body.
    pub fn body_str(&self, field: &str) -> Option<&str> {
        self.body.get(field).and_then(Value::as_str)
    }

    /// `page` and `per_page` of the query (GitHub: default 30, at most 100).
    pub fn page(&self) -> (usize, usize) {
        let per_page = self
            .query("per_page")
            .and_then(|v| v.parse().ok())
            .unwrap_or(30usize)
            .clamp(1, 100);
        let page = self
            .query("page")
            .and_then(|v| v.parse().ok())
            .unwrap_or(1usize)
            .max(1);
        (page, per_page)
    }

    /// The page of `items` the query asks for, as a 200 answer with GitHub's `Link` header.
    pub fn paginated(&self, items: Vec<Value>) -> Response {
        let (page, per_page) = self.page();
        let last = items.len().div_ceil(per_page).max(1);
        let slice: Vec<Value> = items
            .into_iter()
            .skip((page - 1) * per_page)
            .take(per_page)
            .collect();
        let mut response = Response::json(200, &Value::Array(slice));
        if let Some(link) = self.link_header(page, last) {
            response.set_header("link", link);
        }
        response
    }

    /// GitHub's `Link` header for page `page` of `last` (`None` for a single page).
    pub fn link_header(&self, page: usize, last: usize) -> Option<String> {
        let url_for = |n: usize| {
            let mut pairs: Vec<(String, String)> = self
                .req
                .query_pairs()
                .into_iter()
                .filter(|(k, _)| k != "page")
                .collect();
            pairs.push(("page".into(), n.to_string()));
            let query: Vec<String> = pairs
                .iter()
                .map(|(k, v)| {
                    format!(
                        "{}={}",
                        crate::http::percent_encode(k),
                        crate::http::percent_encode(v)
                    )
                })
                .collect();
            format!("{}{}?{}", self.emu.urls.web, self.req.path, query.join("&"))
        };
        let mut links = Vec::new();
        if page > 1 {
            links.push(format!("<{}>; rel=\"prev\"", url_for(page - 1)));
        }
        if page < last {
            links.push(format!("<{}>; rel=\"next\"", url_for(page + 1)));
            links.push(format!("<{}>; rel=\"last\"", url_for(last)));
        }
        if page > 1 {
            links.push(format!("<{}>; rel=\"first\"", url_for(1)));
        }
        (!links.is_empty()).then(|| links.join(", "))
    }
}

/// 200 with `value`.
pub fn ok(value: Value) -> ApiResult {
    Ok(Response::json(200, &value))
}

/// 201 with `value`.
pub fn created(value: Value) -> ApiResult {
    Ok(Response::json(201, &value))
}
