//! Request payloads of the providers' APIs, built from a change set (serde, no I/O).

pub mod bitbucket;
pub mod gitea;
pub mod github;
pub mod gitlab;
