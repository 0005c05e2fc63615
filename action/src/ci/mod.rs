//! CI runtime adapters: how gensync reads its inputs and reports inside a CI system.

pub mod bitbucket_pipelines;
pub mod github_actions;
