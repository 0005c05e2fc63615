//! End-to-end: the real `gensync` binary against the Azure DevOps emulator, results checked
//! with the real `git` CLI on the emulator's bare repositories.
//!
//! The provider-neutral scenarios (`../common/suite.rs`) run against Azure DevOps; `azure.rs`
//! has what only Azure DevOps has (the push's compare-and-swap against another writer, file
//! modes the pushes API cannot set, branch policies, credentials, bad input).

#[path = "../common/harness.rs"]
mod harness;
#[path = "../common/suite.rs"]
mod suite;

mod azure;

/// The personal access token of the runs (must never appear in any output).
pub const TOKEN: &str = "azdopat0e2eSecretPersonalAccessToken0123456789abcdefgh";

mod on_azure_devops {
    use super::{harness, suite};
    use gensync_tests::forge::AzureForge;

    suite::sync_suite!(AzureForge::start(super::TOKEN));
}
