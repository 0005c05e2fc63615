//! End-to-end: the real `gensync` binary against the Bitbucket Cloud emulator, results checked
//! with the real `git` CLI on the emulator's bare repositories.
//!
//! The provider-neutral scenarios (`../common/suite.rs`) run against Bitbucket and, to keep them
//! honest about being provider-neutral, against GitHub too; `bitbucket.rs` has what only
//! Bitbucket has (credentials, the branch view's request counts, Pipelines, workspaces).

#[path = "../common/harness.rs"]
mod harness;
#[path = "../common/suite.rs"]
mod suite;

mod bitbucket;

/// The access token of the Bitbucket runs (must never appear in any output).
pub const TOKEN: &str = "bbat_e2eSecretAccessToken0123456789abcdef";

mod on_bitbucket {
    use super::{harness, suite};
    use gensync_tests::forge::BitbucketForge;

    suite::sync_suite!(BitbucketForge::start(super::TOKEN));
}

mod on_github {
    use super::{harness, suite};
    use gensync_tests::forge::GithubForge;

    suite::sync_suite!(GithubForge::start("ghs_e2eSuiteToken0123456789abcdef"));
}

mod on_github_graphql {
    use super::{harness, suite};
    use gensync_tests::forge::GithubForge;

    #[test]
    fn file_folder_collisions_keep_the_persons_side_and_are_reported() {
        suite::file_folder_collisions(
            harness::Env::new(GithubForge::start("ghs_e2eSuiteToken0123456789abcdef")),
            &["--commit-mode", "graphql"],
        );
    }
}
