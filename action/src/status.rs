//! The process's exit statuses (uv's `ExitStatus`, ripgrep's `main.rs`): `main` picks one from
//! the outcome, so a pipeline can tell "nothing was written" from "the commit landed but the pull
//! request did not follow".
//!
//! | status | meaning |
//! |---|---|
//! | 0 | success |
//! | 1 | failure (bad input, refused or failed sync; nothing of this run landed, or the error says what did) |
//! | 2 | usage: the command line, or the CI inputs it was built from, do not parse (clap's own code) |
//! | 3 | the commit landed on the sync branch but the pull-request step failed: rerun to open it |

use std::process::ExitCode;

use crate::exit::LandedButPullRequestFailed;

/// How the process ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    /// Everything asked for was done.
    Success = 0,
    /// The command failed; the message says why.
    Failure = 1,
    /// The command line (or the CI inputs it was built from) does not parse.
    Usage = 2,
    /// The sync's commit landed on its branch but the pull-request step failed afterwards.
    PullRequestFailed = 3,
}

/// A command line that does not parse, built by a CI adapter from its inputs (the `github-action`
/// and `bitbucket-pipe` commands): exits with [`ExitStatus::Usage`], as clap does for a command
/// line typed by a person.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct UsageError {
    /// What is wrong, naming the input.
    pub message: String,
}

impl ExitStatus {
    /// The status a failed command ends with: [`ExitStatus::PullRequestFailed`] when a
    /// [`LandedButPullRequestFailed`] is anywhere in the chain (the first one wins over a usage
    /// error: a commit landed), [`ExitStatus::Usage`] for a [`UsageError`] or a clap error,
    /// [`ExitStatus::Failure`] otherwise.
    pub fn of_error(err: &anyhow::Error) -> ExitStatus {
        // anyhow finds a context value through every layer of context above it; a value
        // wrapped as an error source (`#[source]`) is found in the chain.
        if err.downcast_ref::<LandedButPullRequestFailed>().is_some()
            || err
                .chain()
                .any(|e| e.downcast_ref::<LandedButPullRequestFailed>().is_some())
        {
            return ExitStatus::PullRequestFailed;
        }
        let usage = |e: &(dyn std::error::Error + 'static)| {
            e.downcast_ref::<UsageError>().is_some() || e.downcast_ref::<clap::Error>().is_some()
        };
        if err.downcast_ref::<UsageError>().is_some()
            || err.downcast_ref::<clap::Error>().is_some()
            || err.chain().any(usage)
        {
            return ExitStatus::Usage;
        }
        ExitStatus::Failure
    }
}

impl From<ExitStatus> for ExitCode {
    fn from(status: ExitStatus) -> Self {
        ExitCode::from(status as u8)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_are_found_anywhere_in_the_chain() {
        let landed = anyhow::Error::new(std::io::Error::other("pull request refused"))
            .context(LandedButPullRequestFailed {
                commit: "abc".into(),
                branch: "amplication".into(),
            })
            .context("syncing acme/app (branch amplication) failed");
        assert_eq!(ExitStatus::of_error(&landed), ExitStatus::PullRequestFailed);
        assert!(
            crate::commands::error_text(&landed).contains("commit abc landed on amplication"),
            "{landed:#}"
        );
        let usage = anyhow::Error::new(UsageError {
            message: "the action's input `message` is required".into(),
        });
        assert_eq!(ExitStatus::of_error(&usage), ExitStatus::Usage);
        let usage = usage.context("running as the GitHub Action");
        assert_eq!(ExitStatus::of_error(&usage), ExitStatus::Usage);
        let clap = <crate::cli::Cli as clap::Parser>::try_parse_from(["gensync", "sync"])
            .expect_err("sync needs --message");
        assert_eq!(
            ExitStatus::of_error(&anyhow::Error::new(clap)),
            ExitStatus::Usage
        );
        let plain = anyhow::anyhow!("no GitHub token").context("syncing");
        assert_eq!(ExitStatus::of_error(&plain), ExitStatus::Failure);
        assert_eq!(
            ExitCode::from(ExitStatus::PullRequestFailed),
            ExitCode::from(3)
        );
    }
}
