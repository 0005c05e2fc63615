//! One emulator core for every provider: the HTTP server ([`crate::http`]: listener, one thread
//! per connection, shutdown), the request path ([`intercept`]: CORS preflights, the request
//! record [`crate::record`], fault rules [`crate::fault`], validation against the provider's
//! official API description [`crate::validator`]), the control API ([`control`]: record, faults
//! and state over HTTP for the emulator binary), the state over real bare repositories
//! ([`state`], [`Core`]), the route matcher ([`routes`]), the errors ([`Error`]) and the running
//! emulator's Rust surface ([`Running`]: record, faults, idle wait, the invalid-request check on
//! drop).
//!
//! # What a provider's emulator provides
//!
//! 1. **Its handlers** (and its route table, matched by [`routes::find`]): the operations of its
//!    API over [`Core`]'s state and bare repositories, answered in its documented shapes.
//! 2. **Its API description**: [`Provider::SPEC`], the name under which the validator
//!    (`tests/validator/validator.mjs`, installed by `tests/validator/install.sh`) finds the
//!    official description requests are checked against.
//! 3. **One line in the registry** [`PROVIDERS`], and an implementation of [`Provider`]: its
//!    name, its CORS policy, its repository record ([`RepoRecord`]: owner and name), how it
//!    answers a request, which repository a request is about, its own control routes. Its
//!    public type is then `pub type XEmulator = Running<Emulator>` with its own seeding and
//!    URL methods. Outside its module: `pub mod x;` in `lib.rs`, and in the emulator binary
//!    (`src/bin/emulator.rs`) its `--provider` value (a test checks it against [`PROVIDERS`]),
//!    its flags and a `Seed` impl.
//!
//! Everything else (starting on a port or a temporary root, the record, faults, preflights,
//! the control endpoint's record and fault routes, seeding bare repositories, saving the state
//! file) is here, once. [`crate::github`] and [`crate::bitbucket`] are the two providers.

pub mod control;
mod core;
pub mod cors;
mod error;
pub mod intercept;
pub mod routes;
pub mod state;

pub use self::core::{catching, Core, Running, Setup};
pub use error::Error;
pub use state::{RepoRecord, State};

use crate::http::{Request, Response};

/// The providers that have an emulator: `(name on the command line, what it emulates)`.
pub const PROVIDERS: &[(&str, &str)] = &[
    ("github", "GitHub REST and GraphQL APIs"),
    (
        "bitbucket",
        "Bitbucket Cloud's REST API 2.0 (below /2.0) and OAuth token endpoint",
    ),
];

/// What a provider's emulator gives the core (see the module documentation).
pub trait Provider: Send + Sync + Sized + 'static {
    /// Its repository record, kept in the state file.
    type Repo: RepoRecord;
    /// Its name in messages (`GitHub`).
    const NAME: &'static str;
    /// What rejects an invalid request, in messages (`GitHub's official API description`).
    const JUDGE: &'static str;
    /// The validator's name of its official API description (`github`, `bitbucket`).
    const SPEC: &'static str;
    /// The state file's name in the root.
    const STATE_FILE: &'static str;
    /// How it answers browsers.
    const CORS: cors::CorsPolicy;

    /// The shared internals.
    fn core(&self) -> &Core<Self::Repo>;
    /// Answers a request no fault answered (request number `seq`), and says why the request
    /// is invalid if it is (see [`catching`]).
    fn answer(&self, request: &Request, seq: u64) -> (Response, Option<String>);
    /// Why a request that a fault answered is invalid: the client sent it all the same.
    fn problems(&self, request: &Request) -> Option<String>;
    /// The repository (`owner/name`) `request` is about, if it names one (a fault's "another
    /// writer" acts there; without one, on the only repository).
    fn repo_of(&self, request: &Request) -> Option<String>;
    /// Headers the provider puts on every answer (a request id), set on canned answers too.
    fn stamp(&self, _response: &mut Response, _seq: u64) {}
    /// Its own control operations (`parts`: the path below `/_emulator`, `body`: the JSON
    /// body); [`control::unknown`] when `parts` names none of them.
    fn control(
        &self,
        request: &Request,
        parts: &[&str],
        body: &serde_json::Value,
    ) -> control::Outcome;
}

/// Handles one request: the entry point of the HTTP server for every provider.
pub fn handle<P: Provider>(provider: &P, request: Request) -> crate::http::Reply {
    if request.path == "/_emulator" || request.path.starts_with("/_emulator/") {
        return crate::http::Reply::Respond(control::handle(provider, &request));
    }
    intercept::serve(provider, request)
}
