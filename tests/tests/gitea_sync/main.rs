//! End-to-end: the real `gensync` binary against the Gitea emulator, results checked with the
//! real `git` CLI on the emulator's bare repositories.
//!
//! The provider-neutral scenarios (`../common/suite.rs`) run against Gitea; `gitea.rs` has what
//! only Gitea has (the branch guard after a commit, refusals, the Actions runner).

#[path = "../common/harness.rs"]
mod harness;
#[path = "../common/suite.rs"]
mod suite;

mod gitea;

/// The access token of the Gitea runs (must never appear in any output).
pub const TOKEN: &str = "gta_e2eSecretAccessToken0123456789abcdef";

mod on_gitea {
    use super::{harness, suite};
    use gensync_tests::forge::GiteaForge;

    suite::sync_suite!(GiteaForge::start(super::TOKEN));
}
