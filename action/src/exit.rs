//! The error types that select a distinct exit status.

/// A sync whose commit landed on the branch but whose pull-request step failed afterwards; the
/// process exits with `ExitStatus::PullRequestFailed` (action/src/status.rs) so a pipeline can
/// tell it from a failure that wrote nothing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("commit {commit} landed on {branch} but the pull request step failed; rerun to open the pull request")]
pub struct LandedButPullRequestFailed {
    /// The commit that landed.
    pub commit: String,
    /// The sync branch it landed on.
    pub branch: String,
}
