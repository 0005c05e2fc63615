//! End-to-end: the real `gensync` binary against the GitLab emulator, results checked with the
//! real `git` CLI on the emulator's bare repositories: the provider-neutral scenarios
//! (`../common/suite.rs`) and what only GitLab has (`gitlab.rs`).

#[path = "../common/harness.rs"]
mod harness;
#[path = "../common/suite.rs"]
mod suite;

mod gitlab;

/// The token of the GitLab runs (must never appear in any output).
pub const TOKEN: &str = "glpat-e2eSecretToken0123456789abcdef";

mod on_gitlab {
    use super::{harness, suite};
    use gensync_tests::forge::GitlabForge;

    suite::sync_suite!(GitlabForge::start(super::TOKEN));
}
