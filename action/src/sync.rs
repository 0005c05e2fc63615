//! The sync's shell: [`gensync_core::sync`] decides everything (DESIGN section 3); this loop
//! carries the machine's needs to a [`Provider`], reads the build output, and turns the
//! adapter's errors into neutral failures.

use anyhow::Context;
use std::path::PathBuf;

use gensync_core::changeset;
use gensync_core::sync::{self as machine, Answer, Event, FailureKind, Need, WriteSource};
use gensync_core::{BranchTree, ObjectId};

use crate::build_output::BuildOutput;
use crate::providers::{
    BranchScope, CommitOutcome, CommitRequest, FileWrite, Prefetch, Provider, Refusal,
};

pub use gensync_core::sync::SyncOutcome;

/// Everything one sync needs: the machine's job, and where each service's build output is (its
/// contents are read from there when the machine asks).
pub struct SyncJob {
    /// The machine's job, with the target's capabilities (from its spec).
    pub machine: machine::SyncJob,
    /// Each service's build output folder, in the order of `machine.services`.
    pub outputs: Vec<PathBuf>,
}

impl SyncJob {
    /// The service of a build output: its snapshot goes to the machine, its folder stays here.
    pub fn add_service(
        &mut self,
        name: Option<String>,
        output: BuildOutput,
        extra_ignore: Option<Vec<u8>>,
        options: changeset::Options,
    ) {
        self.machine.services.push(machine::ServiceJob {
            name,
            snapshot: output.snapshot,
            large_files: output.large_files,
            extra_ignore,
            options,
        });
        self.outputs.push(output.root);
    }
}

/// Progress lines for the person watching (stderr, or `::group::` in Actions).
pub trait Log {
    /// A line of progress.
    fn info(&mut self, line: &str);
}

impl<F: FnMut(&str)> Log for F {
    fn info(&mut self, line: &str) {
        self(line)
    }
}

/// The adapter reported that the branch moved ([`CommitOutcome::HeadMoved`]).
#[derive(Debug, thiserror::Error)]
#[error("the branch moved")]
struct HeadMoved;

/// Run the sync: feed the machine's needs to `provider` until it finishes.
pub fn run(
    provider: &mut dyn Provider,
    job: SyncJob,
    log: &mut dyn Log,
) -> anyhow::Result<SyncOutcome> {
    // Only files of LARGE_FILE_BYTES or more are listed; every limit is above that size.
    debug_assert!(job
        .machine
        .capabilities
        .file_size_limit
        .as_ref()
        .is_none_or(|l| l.bytes >= crate::build_output::LARGE_FILE_BYTES));
    let outputs: Vec<Output> = job
        .outputs
        .into_iter()
        .zip(&job.machine.services)
        .map(|(root, s)| Output {
            root,
            hash_kind: s.snapshot.hash_kind(),
        })
        .collect();
    let mut sync = machine::Sync::new(job.machine)?;
    // The last branch view, for the commit's `parent_files`.
    let mut files = BranchTree::new();
    // The adapter's error behind the last failure, returned as it is (with its causes).
    let mut last: Option<anyhow::Error> = None;
    loop {
        while let Some(event) = sync.poll_event() {
            match event {
                Event::Log { line } => log.info(&line),
                Event::Planned { .. } => {}
                Event::Finished { outcome } => return Ok(*outcome),
                Event::Failed { error } => return Err(shell_error(error, last.take())),
            }
        }
        let need = sync
            .poll_need()
            .context("internal error: the sync machine neither asks nor finishes")?;
        match answer(provider, &outputs, &need, &mut files) {
            Ok(answer) => sync.handle(answer),
            Err(err) => {
                sync.handle_failure(machine::Failure::new(
                    failure_kind(&err),
                    format!("{err:#}"),
                ));
                last = Some(err);
            }
        }
    }
}

/// A service's build output as the driver reads it.
struct Output {
    root: PathBuf,
    hash_kind: gensync_core::HashKind,
}

/// One need, carried out.
fn answer(
    provider: &mut dyn Provider,
    outputs: &[Output],
    need: &Need,
    files: &mut BranchTree,
) -> anyhow::Result<Answer> {
    Ok(match need {
        Need::Prepare {
            base,
            branch,
            paths,
            pull_request,
        } => prepare(provider, base.as_deref(), branch, paths, *pull_request)?,
        Need::Repository => Answer::Repository(provider.repository()?),
        Need::InitEmpty { branch } => {
            provider.init_empty(branch)?;
            Answer::Initialized {}
        }
        Need::BranchHead { branch } => Answer::BranchHead {
            id: provider.branch_head(branch)?,
        },
        Need::CommitInfo { id } => Answer::CommitInfo(provider.commit_info(id)?),
        Need::ReadFile { commit, path } => Answer::File {
            content: provider.read_file(commit, path)?,
        },
        Need::BranchFiles { commit, scope } => {
            *files = branch_files(provider, commit, scope)?;
            Answer::BranchFiles {
                files: files.clone(),
            }
        }
        Need::ReadBlob { oid } => Answer::Blob {
            content: provider.read_blob(oid)?,
        },
        Need::ReadGenerated { service, path, .. } => Answer::Generated {
            content: read_output(&outputs[*service], path)?,
        },
        Need::Commit { plan } => commit(provider, outputs, plan, files)?,
        Need::Landed { head } => Answer::Landed {
            id: provider.landed(head)?,
        },
        Need::FindPullRequest { branch, base } => Answer::PullRequest {
            pr: provider.find_pull_request(branch, base)?,
        },
        Need::CreatePullRequest {
            branch,
            base,
            text,
            options,
        } => Answer::PullRequest {
            pr: Some(provider.create_pull_request(branch, base, text, options)?),
        },
        Need::UpdatePullRequest {
            pr,
            text,
            comment,
            marker,
        } => {
            provider.update_pull_request(pr, text, comment, marker)?;
            Answer::Updated {}
        }
        Need::BranchDiffers { base, branch } => Answer::Differs {
            value: provider.branch_differs(base, branch)?,
        },
    })
}

/// Announce an attempt's reads to the adapter ([`Provider::prepare`]).
fn prepare(
    provider: &mut dyn Provider,
    base: Option<&str>,
    branch: &str,
    paths: &[String],
    pull_request: bool,
) -> anyhow::Result<Answer> {
    provider.prepare(&Prefetch {
        base,
        branch,
        paths,
        pull_request,
    })?;
    Ok(Answer::Prepared {})
}

/// The branch's files as the change set needs them ([`Provider::branch_files`]).
fn branch_files(
    provider: &mut dyn Provider,
    commit: &machine::CommitInfo,
    scope: &machine::BranchScope,
) -> anyhow::Result<BranchTree> {
    provider.branch_files(
        commit,
        &BranchScope {
            base_head: &scope.base_head,
            services: &scope.services,
            previous: &scope.previous,
            needed: &scope.needed,
        },
    )
}

/// The machine's commit plan, with its generated contents read from the build outputs.
fn commit(
    provider: &mut dyn Provider,
    outputs: &[Output],
    plan: &machine::CommitPlan,
    files: &BranchTree,
) -> anyhow::Result<Answer> {
    let mut writes = Vec::with_capacity(plan.writes.len());
    for w in &plan.writes {
        // Contents are read even for blobs the repository has: a GraphQL commit carries them.
        let content = match &w.source {
            WriteSource::Generated { service, path } => {
                read_generated(&outputs[*service], path, &w.oid)?
            }
            WriteSource::Inline { content } => content.clone(),
        };
        writes.push(FileWrite {
            path: w.path.clone(),
            mode: w.mode,
            oid: w.oid,
            content,
            exists: w.exists,
        });
    }
    let request = CommitRequest {
        branch: &plan.branch,
        parent: &plan.parent,
        create_branch: plan.create_branch,
        writes: &writes,
        deletions: &plan.deletions,
        message: &plan.message,
        author: plan.author.as_ref(),
        parent_files: files,
    };
    match provider.commit(&request)? {
        CommitOutcome::Committed { id, via } => Ok(Answer::Committed { id, via }),
        CommitOutcome::HeadMoved => Err(HeadMoved.into()),
    }
}

fn read_output(output: &Output, rel: &str) -> anyhow::Result<Vec<u8>> {
    crate::build_output::read_file(&output.root, rel).with_context(|| {
        format!(
            "cannot read {rel} from the build output {}",
            output.root.display()
        )
    })
}

/// A generated file's contents, which must still have the id the build had.
fn read_generated(output: &Output, rel: &str, oid: &ObjectId) -> anyhow::Result<Vec<u8>> {
    let data = read_output(output, rel)?;
    if gensync_core::hash_blob(output.hash_kind, &data) != *oid {
        return Err(machine::Error::GeneratedChanged {
            path: rel.to_owned(),
        }
        .into());
    }
    Ok(data)
}

/// The neutral kind of an adapter's error: a provider's [`Refusal`] or an HTTP failure as the
/// core classifies it. A stale head is only what the adapter reported as one
/// ([`CommitOutcome::HeadMoved`]): an HTTP 409 it let through is a failure, not a rebuild.
fn failure_kind(err: &anyhow::Error) -> FailureKind {
    if err.is::<HeadMoved>() {
        return FailureKind::StaleHead;
    }
    let kind = err.chain().find_map(|e| {
        if let Some(refusal) = e.downcast_ref::<Refusal>() {
            Some(refusal.kind())
        } else {
            e.downcast_ref::<crate::http::Error>()
                .map(|e| machine::classify(e.status(), None))
        }
    });
    match kind {
        Some(FailureKind::StaleHead) | None => FailureKind::Other,
        Some(kind) => kind,
    }
}

/// The machine's error as the commands report it: an adapter's failure as the adapter said it,
/// under [`crate::exit::LandedButPullRequestFailed`] when the commit had landed.
fn shell_error(error: machine::Error, last: Option<anyhow::Error>) -> anyhow::Error {
    match (error, last) {
        (machine::Error::LandedButPullRequestFailed { commit, branch, .. }, Some(err)) => {
            err.context(crate::exit::LandedButPullRequestFailed { commit, branch })
        }
        (machine::Error::Need { .. }, Some(err)) => err,
        (error, _) => error.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refusal(status: u16, code: Option<&str>) -> anyhow::Error {
        anyhow::Error::new(Refusal {
            provider: "Bitbucket",
            action: "commit to amplication".into(),
            status: Some(status),
            code: code.map(str::to_owned),
            message: "refused".into(),
            hint: "",
        })
        .context("while syncing")
    }

    #[test]
    fn refusals_are_classified_by_the_core_through_their_context() {
        assert_eq!(failure_kind(&refusal(404, None)), FailureKind::NotFound);
        assert_eq!(failure_kind(&refusal(403, None)), FailureKind::Forbidden);
        assert_eq!(
            failure_kind(&refusal(403, Some("BRANCH_PERMISSION_VIOLATED"))),
            FailureKind::Protected
        );
        assert_eq!(failure_kind(&refusal(503, None)), FailureKind::Transient);
        // Only the adapter says "the branch moved": a 409 it let through is a failure.
        assert_eq!(failure_kind(&refusal(409, None)), FailureKind::Other);
        assert_eq!(
            failure_kind(&anyhow::Error::new(HeadMoved)),
            FailureKind::StaleHead
        );
        assert_eq!(
            failure_kind(&anyhow::anyhow!("a local read failed")),
            FailureKind::Other
        );
    }
}
