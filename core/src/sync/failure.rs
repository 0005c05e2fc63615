//! Why a need failed ([`Failure`], in neutral kinds) and why a sync failed ([`Error`]).

use crate::{changeset, manifest, message};

/// The neutral kind of a failed need; the machine decides what it means at each step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FailureKind {
    /// The branch is no longer at the expected head (a commit must be rebuilt).
    StaleHead,
    /// The thing asked for does not exist (or the token may not see it).
    NotFound,
    /// The credentials lack a permission.
    Forbidden,
    /// A branch protection or rule refused the write.
    Protected,
    /// The service failed for a while (5xx, 429, timeouts) and retries were spent.
    Transient,
    /// A write's answer was lost and reading back could not tell whether it took effect.
    LostAnswer,
    /// Anything else (bad input, a local read that failed).
    Other,
}

impl FailureKind {
    /// The kind's name, as in JSON.
    pub fn as_str(&self) -> &'static str {
        match self {
            FailureKind::StaleHead => "stale_head",
            FailureKind::NotFound => "not_found",
            FailureKind::Forbidden => "forbidden",
            FailureKind::Protected => "protected",
            FailureKind::Transient => "transient",
            FailureKind::LostAnswer => "lost_answer",
            FailureKind::Other => "other",
        }
    }
}

/// A need that failed: its kind and the adapter's explanation.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, serde::Serialize, serde::Deserialize)]
#[error("{message}")]
pub struct Failure {
    /// The neutral kind.
    pub kind: FailureKind,
    /// What the adapter says (for the person).
    pub message: String,
}

impl Failure {
    /// A failure of `kind`.
    pub fn new(kind: FailureKind, message: impl Into<String>) -> Failure {
        Failure {
            kind,
            message: message.into(),
        }
    }
}

/// Provider error codes that say "the branch moved" whatever the status.
const STALE_HEAD_CODES: [&str; 3] = ["STALE_DATA", "Expected branch to point to", "stale_head"];

/// The neutral kind of an HTTP answer: `status` and the provider's error `code` (GitHub's
/// GraphQL `type`, a message fragment, Bitbucket's `error.message` key), when there is one.
///
/// - a code naming a stale head (GraphQL `STALE_DATA` or "Expected branch to point to", a
///   mismatched `expectedHeadOid`), REST's 422 "not a fast forward", or a 409 (Bitbucket's
///   answer to a commit whose `parents` is no longer the head): [`FailureKind::StaleHead`];
/// - 404, 410: [`FailureKind::NotFound`]; 401, 403: [`FailureKind::Forbidden`], unless the code
///   names a protection, a rule or a restriction (Bitbucket's `BRANCH_PERMISSION_VIOLATED`):
///   [`FailureKind::Protected`];
/// - 408, 429, 5xx: [`FailureKind::Transient`]; everything else: [`FailureKind::Other`].
pub fn classify(status: Option<u16>, code: Option<&str>) -> FailureKind {
    let code = code.unwrap_or("");
    if STALE_HEAD_CODES.iter().any(|c| code.contains(c))
        || code.contains("not a fast forward")
        || code.contains("fast-forward")
    {
        return FailureKind::StaleHead;
    }
    let protected = [
        "protected",
        "rule",
        "restricted",
        "branch_permission_violated",
    ]
    .iter()
    .any(|w| code.to_ascii_lowercase().contains(w));
    match status {
        None => FailureKind::Transient,
        Some(409) => FailureKind::StaleHead,
        Some(404 | 410) => FailureKind::NotFound,
        Some(401 | 403 | 422) if protected => FailureKind::Protected,
        Some(401 | 403) => FailureKind::Forbidden,
        Some(408 | 429 | 500..=599) => FailureKind::Transient,
        Some(_) => FailureKind::Other,
    }
}

/// Why a sync failed. Each variant names its culprit.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// The build's message cannot make a commit message.
    #[error(transparent)]
    Message(#[from] message::Error),
    /// A generated file is over the target's size limit.
    #[error(
        "{path} in the build output is {size} bytes, over {limit}; \
         exclude it from the build or add it to .amplicationignore (large files belong in Git LFS)"
    )]
    TooLarge {
        /// The file.
        path: String,
        /// Its size.
        size: u64,
        /// The limit's name.
        limit: String,
    },
    /// The repository has no commit and `init_empty` was not given.
    #[error(
        "the repository is empty (it has no commit, so there is no {base:?} branch to open a pull request into); \
         push a first commit to it, or rerun with --init-empty to let gensync create one (a README.md on {base:?})"
    )]
    EmptyRepository {
        /// The base branch that does not exist.
        base: String,
    },
    /// A dry run on an empty repository (initialising it would write).
    #[error("the repository is empty; --init-empty would create a first commit, which a dry run does not do")]
    EmptyDryRun,
    /// The base branch does not exist.
    #[error("the base branch {base:?} does not exist; check --base")]
    BaseMissing {
        /// The base branch.
        base: String,
    },
    /// A manifest in the repository does not parse.
    #[error("the manifest {path} in the repository is damaged; fix or delete it (a deleted manifest makes the next sync a first sync)")]
    DamagedManifest {
        /// Its repository path.
        path: String,
        /// Why it does not parse.
        #[source]
        source: manifest::Error,
    },
    /// A service's change set cannot be computed or merged.
    #[error("{service}")]
    ChangeSet {
        /// The service (name and target dir).
        service: String,
        /// Why.
        #[source]
        source: changeset::Error,
    },
    /// A file of the build output no longer has the id it had when the build was read.
    #[error("{path} in the build output changed while gensync was running; rerun once the generator has finished")]
    GeneratedChanged {
        /// The path in the build output.
        path: String,
    },
    /// The branch moved under every attempt.
    #[error("{branch} kept moving under us ({attempts} attempts): another writer is pushing to it; nothing was overwritten, rerun later")]
    KeptMoving {
        /// The sync branch.
        branch: String,
        /// Attempts made.
        attempts: u32,
    },
    /// A need failed before anything was committed (or in a dry run).
    #[error("{need}: {failure}")]
    Need {
        /// The need's kind.
        need: &'static str,
        /// The failure.
        failure: Failure,
    },
    /// The commit landed, then a pull-request need failed.
    #[error("commit {commit} landed on {branch} but the pull request step failed; rerun to open the pull request")]
    LandedButPullRequestFailed {
        /// The commit that landed.
        commit: String,
        /// The sync branch.
        branch: String,
        /// The failure of the pull-request step.
        #[source]
        failure: Failure,
    },
    /// The driver answered a need with the answer of another (a bug in the driver).
    #[error("the sync machine asked {need} and was answered {answer}")]
    Protocol {
        /// What was asked (`none` when nothing was).
        need: &'static str,
        /// The answer's kind.
        answer: &'static str,
    },
}

impl Error {
    /// The error's kind, as in JSON.
    pub fn kind(&self) -> &'static str {
        match self {
            Error::Message(_) => "message",
            Error::TooLarge { .. } => "too_large",
            Error::EmptyRepository { .. } => "empty_repository",
            Error::EmptyDryRun => "empty_dry_run",
            Error::BaseMissing { .. } => "base_missing",
            Error::DamagedManifest { .. } => "damaged_manifest",
            Error::ChangeSet { .. } => "change_set",
            Error::GeneratedChanged { .. } => "generated_changed",
            Error::KeptMoving { .. } => "kept_moving",
            Error::Need { .. } => "need",
            Error::LandedButPullRequestFailed { .. } => "landed_but_pull_request_failed",
            Error::Protocol { .. } => "protocol",
        }
    }

    /// The commit that landed before the failure, if one did.
    pub fn committed(&self) -> Option<&str> {
        match self {
            Error::LandedButPullRequestFailed { commit, .. } => Some(commit),
            _ => None,
        }
    }

    /// The failure of a need this error passes on, if it is one.
    pub fn failure(&self) -> Option<&Failure> {
        match self {
            Error::Need { failure, .. } | Error::LandedButPullRequestFailed { failure, .. } => {
                Some(failure)
            }
            _ => None,
        }
    }
}

/// JSON: `{kind, message, committed?, failure?}`, the message with its causes.
impl serde::Serialize for Error {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct as _;
        let mut message = self.to_string();
        let mut source = std::error::Error::source(self);
        while let Some(cause) = source {
            message.push_str(": ");
            message.push_str(&cause.to_string());
            source = cause.source();
        }
        let mut st = s.serialize_struct("Error", 4)?;
        st.serialize_field("kind", self.kind())?;
        st.serialize_field("message", &message)?;
        st.serialize_field("committed", &self.committed())?;
        st.serialize_field("failure", &self.failure())?;
        st.end()
    }
}
