//! Shared helpers for the end-to-end tests and the provider emulators.
//!
//! The emulators stand in for the hosting providers (GitHub, Bitbucket Cloud) in tests:
//! HTTP servers on `127.0.0.1` over real bare git repositories, checked with the `git` CLI.
//! Provider-independent pieces have modules of their own:
//! - [`http`]: the small HTTP/1.1 server (one thread per connection, droppable connections);
//! - [`git`]: bare repositories through git's plumbing commands;
//! - [`record`]: the request record (JSON lines, secrets in `Authorization` never kept);
//! - [`fault`]: fault-injection rules;
//! - [`emulator`]: the core every provider's emulator is built on (server, request path with
//!   CORS, record and faults, control API, state over bare repositories, errors);
//! - [`forge`]: an emulator as the provider-neutral end-to-end scenarios see it;
//! - [`validator`]: the sidecar that checks requests against the providers' official API
//!   descriptions;
//! - [`time`]: timestamps as GitHub writes them.
//!
//! Providers: [`github`], [`bitbucket`].

#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub mod azure_devops;
pub mod bitbucket;
pub mod cli;
pub mod emulator;
pub mod fault;
pub mod forge;
pub mod git;
pub mod gitea;
pub mod github;
pub mod gitlab;
pub mod http;
pub mod record;
pub mod time;
pub mod validator;

pub use emulator::cors;
