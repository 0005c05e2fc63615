//! CI runtime adapters: how gensync reads its inputs and reports inside a CI system.

pub mod azure_pipelines;
pub mod bitbucket_pipelines;
pub mod github_actions;
