//! The sync of DESIGN section 3 as a deterministic, sans-I/O state machine (quinn-proto's
//! shape).
//!
//! A [`Sync`] is made from a [`SyncJob`] and then driven: [`Sync::poll_need`] yields the next
//! provider-neutral [`Need`] (the repository, a branch head, a file, the branch view, a blob,
//! "commit this plan on this expected head", the pull request, …); the driver answers it with
//! [`Sync::handle`] or reports a neutral [`Failure`] with [`Sync::handle_failure`];
//! [`Sync::poll_event`] yields log lines, the dry run's plan and finally the outcome. The
//! machine asks one thing at a time, and every decision is here: where the previous manifest
//! comes from, the ignore rules, the change sets and their merges, when to rebuild on a moved
//! head, how a lost answer is confirmed, and the pull-request table (create, update, reuse, or
//! finish what a previous run left). A driver only translates needs into requests.
//!
//! The driver loop, in any language: `while let Some(need) = sync.poll_need() { answer it }`,
//! draining `poll_event()` after each answer, until [`Event::Finished`] or [`Event::Failed`].

use std::collections::VecDeque;

use crate::changeset::{ChangeSet, ConflictState};
use crate::merge::MergeLabels;
use crate::message;
use crate::{BranchTree, ObjectId};

pub mod failure;
mod flow;
#[cfg(test)]
mod tests;
mod types;

pub use failure::{classify, Error, Failure, FailureKind};
pub use flow::pull_request_comment;
pub use types::*;

use flow::{Input, Reads};

/// How many times the sync rebuilds on a moved head before giving up.
pub const MAX_ATTEMPTS: u32 = 5;

/// How the outcome names a commit confirmed after its answer was lost.
const CONFIRMED_VIA: &str = "rest (confirmed after a lost answer)";

/// A sync in progress. See the [module documentation](self).
#[derive(Debug)]
pub struct Sync {
    job: SyncJob,
    message: String,
    paths: Vec<String>,
    pending: Option<Pending>,
    events: VecDeque<Event>,
    setup: Setup,
    attempts: u32,
    attempt: Attempt,
    /// The change sets of the last commit answered "head moved": if that commit landed after
    /// all (its answer was lost), they are what it holds.
    attempted: Option<Vec<ChangeSet>>,
    settled: Option<SyncOutcome>,
    pr: PullRequestStep,
    /// Notes about the pull-request options the target lacks, given when it is created.
    option_notes: Vec<String>,
}

/// The need asked and where its answer goes.
#[derive(Debug)]
struct Pending {
    slot: Slot,
    need: Need,
    issued: bool,
}

/// Where an answer is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Slot {
    Prepare,
    Repository,
    InitEmpty,
    BaseHead,
    AttemptPrepare,
    Head,
    Start,
    BaseCommit,
    StartManifest,
    BaseManifest,
    Ignore,
    BranchFiles,
    Blob,
    Landed,
    Commit,
    FindPr,
    WritePr(Operation),
    PrHead,
    Differs,
}

/// What the steps before the attempts learnt.
#[derive(Debug, Default)]
struct Setup {
    prepared: bool,
    repo: Option<RepoInfo>,
    initialized: bool,
    base_head: Option<Option<ObjectId>>,
}

/// What one attempt learnt (forgotten when the head moved).
#[derive(Debug, Default)]
struct Attempt {
    prepared: bool,
    head: Option<Option<ObjectId>>,
    start: Option<CommitInfo>,
    base_commit: Option<CommitInfo>,
    reads: Reads,
    inputs: Vec<Input>,
    scope: Option<BranchScope>,
    files: Option<BranchTree>,
    changes: Vec<ChangeSet>,
    merging: Option<ChangeSet>,
    blobs: Vec<(ObjectId, Vec<u8>)>,
    landed: Option<Option<ObjectId>>,
    /// A dry run could not read a blob a merge needs: its conflicts stay pending, no plan.
    unmerged: bool,
}

/// What the pull-request step learnt.
#[derive(Debug, Default)]
struct PullRequestStep {
    found: Option<Option<PullRequest>>,
    head: Option<Option<ObjectId>>,
    differs: Option<bool>,
    done: Option<(Operation, PullRequest)>,
}

/// The next thing to do: ask, or finish.
enum Step {
    Ask(Slot, Need),
    Done(SyncOutcome),
}

fn ask(slot: Slot, need: Need) -> Result<Option<Step>, Error> {
    Ok(Some(Step::Ask(slot, need)))
}

impl Sync {
    /// Start a sync: checks the commit message and the sizes against the target's limit.
    pub fn new(mut job: SyncJob) -> Result<Sync, Error> {
        let message = message::commit_message(&job.build)?;
        let (options, option_notes) =
            flow::supported_options(&job.pull_request, &job.capabilities.options);
        job.pull_request = options;
        flow::check_sizes(&job)?;
        let paths = flow::read_paths(&job);
        let mut sync = Sync {
            job,
            message,
            paths,
            pending: None,
            events: VecDeque::new(),
            setup: Setup::default(),
            attempts: 1,
            attempt: Attempt::default(),
            attempted: None,
            settled: None,
            pr: PullRequestStep::default(),
            option_notes,
        };
        sync.advance()?;
        Ok(sync)
    }

    /// The next need, once; `None` while a need waits for its answer or when finished.
    pub fn poll_need(&mut self) -> Option<Need> {
        let pending = self.pending.as_mut()?;
        if pending.issued {
            return None;
        }
        pending.issued = true;
        Some(pending.need.clone())
    }

    /// The answer to the last need.
    pub fn handle(&mut self, answer: Answer) {
        let Some(pending) = self.pending.take() else {
            return self.fail(Error::Protocol {
                need: "none",
                answer: answer.kind(),
            });
        };
        if let Err(err) = self.store(pending, answer).and_then(|()| self.advance()) {
            self.fail(err);
        }
    }

    /// The last need failed.
    pub fn handle_failure(&mut self, failure: Failure) {
        let Some(pending) = self.pending.take() else {
            return self.fail(Error::Protocol {
                need: "none",
                answer: "failure",
            });
        };
        if let Err(err) = self.recover(pending, failure).and_then(|()| self.advance()) {
            self.fail(err);
        }
    }

    /// The next event: log lines, a dry run's plan, then [`Event::Finished`] or [`Event::Failed`].
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// The job being synced.
    pub fn job(&self) -> &SyncJob {
        &self.job
    }

    fn log(&mut self, line: String) {
        self.events.push_back(Event::Log { line });
    }

    fn fail(&mut self, error: Error) {
        self.pending = None;
        self.events.push_back(Event::Failed { error });
    }

    fn advance(&mut self) -> Result<(), Error> {
        match self.step()? {
            Step::Ask(slot, need) => {
                self.pending = Some(Pending {
                    slot,
                    need,
                    issued: false,
                })
            }
            Step::Done(outcome) => self.events.push_back(Event::Finished {
                outcome: Box::new(outcome),
            }),
        }
        Ok(())
    }

    /// The base branch (known once the repository was read).
    fn base(&self) -> String {
        match (&self.job.base, &self.setup.repo) {
            (Some(base), _) => base.clone(),
            (None, Some(repo)) => repo.default_branch.clone(),
            (None, None) => String::new(),
        }
    }

    fn prepare_need(&self, base: Option<String>) -> Need {
        Need::Prepare {
            base,
            branch: self.job.branch.clone(),
            paths: self.paths.clone(),
            pull_request: self.job.capabilities.pull_requests,
        }
    }

    /// Walk the flow from the top to the first thing not known yet.
    fn step(&mut self) -> Result<Step, Error> {
        if let Some(step) = self.setup_step()? {
            return Ok(step);
        }
        if self.settled.is_none() {
            if let Some(step) = self.attempt_step()? {
                return Ok(step);
            }
        }
        self.pull_request_step()
    }

    /// The repository, an empty repository's first commit, the base head.
    fn setup_step(&mut self) -> Result<Option<Step>, Error> {
        if !self.setup.prepared {
            return ask(Slot::Prepare, self.prepare_need(self.job.base.clone()));
        }
        let Some(repo) = &self.setup.repo else {
            return ask(Slot::Repository, Need::Repository);
        };
        let base = self.base();
        if repo.empty && !self.setup.initialized {
            if !self.job.init_empty {
                return Err(Error::EmptyRepository { base });
            }
            if self.job.dry_run {
                return Err(Error::EmptyDryRun);
            }
            self.log(format!(
                "repository is empty: creating a first commit on {base}"
            ));
            return ask(Slot::InitEmpty, Need::InitEmpty { branch: base });
        }
        match self.setup.base_head {
            None => ask(Slot::BaseHead, Need::BranchHead { branch: base }),
            Some(None) => Err(Error::BaseMissing { base }),
            Some(Some(_)) => Ok(None),
        }
    }

    fn base_head(&self) -> ObjectId {
        self.setup
            .base_head
            .flatten()
            .expect("the setup step found the base head")
    }

    /// One attempt: the branch, the reads, the branch view, the merges, then commit or settle.
    fn attempt_step(&mut self) -> Result<Option<Step>, Error> {
        let base_head = self.base_head();
        if self.attempts > 1 && !self.attempt.prepared {
            return ask(Slot::AttemptPrepare, self.prepare_need(Some(self.base())));
        }
        let Some(head) = self.attempt.head else {
            let branch = self.job.branch.clone();
            return ask(Slot::Head, Need::BranchHead { branch });
        };
        let Some(start) = self.attempt.start.clone() else {
            let id = head.unwrap_or(base_head);
            return ask(Slot::Start, Need::CommitInfo { id });
        };
        let a = &mut self.attempt;
        if let Some(step) = read_inputs(&self.job, a, base_head, &start, head.is_some())? {
            return Ok(Some(step));
        }
        if a.scope.is_none() {
            a.scope = Some(flow::branch_scope(&self.job, &a.inputs, base_head)?);
        }
        if a.files.is_none() {
            let scope = a.scope.clone().expect("set above");
            return ask(
                Slot::BranchFiles,
                Need::BranchFiles {
                    commit: start,
                    scope,
                },
            );
        };
        if let Some(step) = merge_step(&self.job, a, &mut self.events)? {
            return Ok(Some(step));
        }
        if a.unmerged {
            self.log(
                "dry run: a conflict's branch version is not available, so it stays pending and there is no commit plan"
                    .to_owned(),
            );
            let changes = std::mem::take(&mut self.attempt.changes);
            self.settle(changes, None)?;
            return Ok(None);
        }
        if a.changes.iter().all(ChangeSet::is_empty) {
            return self.settle_unchanged(head);
        }
        let files = a.files.as_ref().expect("read above");
        let plan = flow::commit_plan(
            &self.job,
            &self.message,
            &start,
            head.is_none(),
            &a.changes,
            files,
        );
        if self.job.dry_run {
            self.log("dry run: not committing".to_owned());
            self.events.push_back(Event::Planned { plan });
            let changes = std::mem::take(&mut self.attempt.changes);
            self.settle(changes, None)?;
            return Ok(None);
        }
        ask(Slot::Commit, Need::Commit { plan })
    }

    /// Nothing to commit. After a rebuild, the build may be there because our own commit landed
    /// before its answer was lost: ask, and name it.
    fn settle_unchanged(&mut self, head: Option<ObjectId>) -> Result<Option<Step>, Error> {
        let changes = std::mem::take(&mut self.attempt.changes);
        if let (true, Some(head)) = (self.attempts > 1, head) {
            match self.attempt.landed {
                None => {
                    self.attempt.changes = changes;
                    return ask(Slot::Landed, Need::Landed { head });
                }
                Some(Some(id)) => {
                    self.log(format!(
                        "commit {id} landed (its answer was lost); the branch has this build"
                    ));
                    let changes = self.attempted.take().unwrap_or(changes);
                    self.settle(changes, Some((id, CONFIRMED_VIA.to_owned())))?;
                    return Ok(None);
                }
                Some(None) => {}
            }
        }
        self.log("nothing to commit: the branch already has this build".to_owned());
        self.settle(changes, None)?;
        Ok(None)
    }

    /// The attempts are over: the outcome so far.
    fn settle(
        &mut self,
        changes: Vec<ChangeSet>,
        committed: Option<(ObjectId, String)>,
    ) -> Result<(), Error> {
        let text = message::pull_request(&self.job.build, &changes.iter().collect::<Vec<_>>())?;
        self.settled = Some(SyncOutcome {
            operation: Operation::None,
            commit_sha: committed.as_ref().map(|(id, _)| id.to_string()),
            branch: self.job.branch.clone(),
            base: self.base(),
            pull_request: None,
            commit_via: committed.map(|(_, via)| via),
            attempts: self.attempts,
            dry_run: self.job.dry_run,
            commit_message: self.message.clone(),
            pull_request_text: text,
            changes,
            notes: Vec::new(),
        });
        Ok(())
    }

    /// Create, update, reuse, or finish what a previous run left (DESIGN section 3, step 5).
    fn pull_request_step(&mut self) -> Result<Step, Error> {
        let branch = self.job.branch.clone();
        let base = self.base();
        let mut outcome = self.settled.take().expect("the attempts settled");
        if !self.job.capabilities.pull_requests {
            let note = format!(
                "no pull request: the target has none; review the branch with `git log --stat {base}..{branch}`"
            );
            self.log(note.clone());
            outcome.notes.push(note);
            return Ok(Step::Done(outcome));
        }
        let Some(existing) = self.pr.found.clone() else {
            self.settled = Some(outcome);
            return Ok(Step::Ask(
                Slot::FindPr,
                Need::FindPullRequest { branch, base },
            ));
        };
        if self.job.dry_run {
            outcome.pull_request = existing;
            return Ok(Step::Done(outcome));
        }
        if let Some((operation, pr)) = self.pr.done.take() {
            outcome.operation = operation;
            outcome.pull_request = Some(pr);
            return Ok(Step::Done(outcome));
        }
        let create = Need::CreatePullRequest {
            branch: branch.clone(),
            base: base.clone(),
            text: outcome.pull_request_text.clone(),
            options: self.job.pull_request.clone(),
        };
        let need = match (&outcome.commit_sha, existing) {
            (Some(sha), Some(pr)) => {
                let marker =
                    message::build_marker(self.job.build.build_id.as_deref().unwrap_or(sha));
                let comment = pull_request_comment(&self.job.build, &outcome.changes, &marker);
                let text = outcome.pull_request_text.clone();
                let update = Need::UpdatePullRequest {
                    pr,
                    text,
                    comment,
                    marker,
                };
                (Slot::WritePr(Operation::Updated), update)
            }
            (Some(_), None) => (Slot::WritePr(Operation::Created), create),
            (None, Some(pr)) => {
                outcome.pull_request = Some(pr);
                return Ok(Step::Done(outcome));
            }
            // A previous run may have died after its commit: finish its work.
            (None, None) => match (self.pr.head, self.pr.differs) {
                (None, _) => (Slot::PrHead, Need::BranchHead { branch }),
                (Some(None), _) | (Some(Some(_)), Some(false)) => return Ok(Step::Done(outcome)),
                (Some(Some(_)), None) => (Slot::Differs, Need::BranchDiffers { base, branch }),
                (Some(Some(_)), Some(true)) => (Slot::WritePr(Operation::Created), create),
            },
        };
        if need.0 == Slot::WritePr(Operation::Created) {
            for note in std::mem::take(&mut self.option_notes) {
                self.log(note.clone());
                outcome.notes.push(note);
            }
        }
        self.settled = Some(outcome);
        Ok(Step::Ask(need.0, need.1))
    }

    /// Store an answer where the need's slot says.
    fn store(&mut self, pending: Pending, answer: Answer) -> Result<(), Error> {
        let a = &mut self.attempt;
        match (pending.slot, answer) {
            (Slot::Prepare, Answer::Prepared {}) => self.setup.prepared = true,
            (Slot::Repository, Answer::Repository(repo)) => self.setup.repo = Some(repo),
            (Slot::InitEmpty, Answer::Initialized {}) => self.setup.initialized = true,
            (Slot::BaseHead, Answer::BranchHead { id }) => self.setup.base_head = Some(id),
            (Slot::AttemptPrepare, Answer::Prepared {}) => a.prepared = true,
            (Slot::Head, Answer::BranchHead { id }) => a.head = Some(id),
            (Slot::Start, Answer::CommitInfo(start)) => {
                let line = match a.head.flatten() {
                    Some(h) => format!("branch {} at {h}", self.job.branch),
                    None => format!(
                        "branch {} does not exist: building on {} at {}",
                        self.job.branch,
                        self.base(),
                        start.id
                    ),
                };
                self.attempt.start = Some(start);
                self.log(line);
            }
            (Slot::BaseCommit, Answer::CommitInfo(c)) => a.base_commit = Some(c),
            (Slot::StartManifest, Answer::File { content }) => a.reads.start = Some(content),
            (Slot::BaseManifest, Answer::File { content }) => a.reads.base = Some(content),
            (Slot::Ignore, Answer::File { content }) => a.reads.ignores.push(content),
            (Slot::BranchFiles, Answer::BranchFiles { files }) => a.files = Some(files),
            (Slot::Blob, answer @ (Answer::Blob { .. } | Answer::Generated { .. })) => {
                let blob = self.blob(&pending.need, answer)?;
                self.attempt.blobs.push(blob);
            }
            (Slot::Landed, Answer::Landed { id }) => a.landed = Some(id),
            (Slot::Commit, Answer::Committed { id, via }) => {
                self.log(format!("committed {id} on {} ({via})", self.job.branch));
                let changes = std::mem::take(&mut self.attempt.changes);
                self.settle(changes, Some((id, via)))?;
            }
            (Slot::FindPr, Answer::PullRequest { pr }) => self.pr.found = Some(pr),
            (Slot::WritePr(Operation::Created), Answer::PullRequest { pr: Some(pr) }) => {
                self.pr.done = Some((Operation::Created, pr))
            }
            (Slot::WritePr(Operation::Updated), Answer::Updated {}) => {
                let Need::UpdatePullRequest { pr, .. } = pending.need else {
                    unreachable!("the update slot holds an update need")
                };
                self.pr.done = Some((Operation::Updated, pr));
            }
            (Slot::PrHead, Answer::BranchHead { id }) => self.pr.head = Some(id),
            (Slot::Differs, Answer::Differs { value }) => self.pr.differs = Some(value),
            (_, answer) => {
                return Err(Error::Protocol {
                    need: pending.need.kind(),
                    answer: answer.kind(),
                })
            }
        }
        Ok(())
    }

    /// A blob for a merge; a generated one must still have the id the build had.
    fn blob(&self, need: &Need, answer: Answer) -> Result<(ObjectId, Vec<u8>), Error> {
        match (need, answer) {
            (Need::ReadBlob { oid }, Answer::Blob { content }) => Ok((*oid, content)),
            (Need::ReadGenerated { service, path, oid }, Answer::Generated { content }) => {
                let kind = self.job.services[*service].snapshot.hash_kind();
                if crate::hash_blob(kind, &content) != *oid {
                    return Err(Error::GeneratedChanged { path: path.clone() });
                }
                Ok((*oid, content))
            }
            (need, answer) => Err(Error::Protocol {
                need: need.kind(),
                answer: answer.kind(),
            }),
        }
    }

    /// A failed need: a moved head on commit rebuilds (bounded); anything else ends the sync,
    /// saying whether the commit landed.
    fn recover(&mut self, pending: Pending, failure: Failure) -> Result<(), Error> {
        let branch = self.job.branch.clone();
        match pending.slot {
            Slot::Commit if failure.kind == FailureKind::StaleHead => {
                if self.attempts >= MAX_ATTEMPTS {
                    return Err(Error::KeptMoving {
                        branch,
                        attempts: self.attempts,
                    });
                }
                self.log(format!(
                    "{branch} moved while we were committing: rebuilding on its new head"
                ));
                self.attempted = Some(std::mem::take(&mut self.attempt.changes));
                self.attempt = Attempt::default();
                self.attempts += 1;
                Ok(())
            }
            // A dry run shows what it can: the change set, with the conflict left pending.
            Slot::Blob if self.job.dry_run && failure.kind == FailureKind::NotFound => {
                let a = &mut self.attempt;
                let unmerged = a.merging.take().expect("a merge asked for the blob");
                a.changes.push(unmerged);
                a.blobs.clear();
                a.unmerged = true;
                Ok(())
            }
            Slot::FindPr | Slot::WritePr(_) | Slot::PrHead | Slot::Differs => {
                match self.settled.as_ref().and_then(|o| o.commit_sha.clone()) {
                    Some(commit) => Err(Error::LandedButPullRequestFailed {
                        commit,
                        branch,
                        failure,
                    }),
                    None => Err(Error::Need {
                        need: pending.need.kind(),
                        failure,
                    }),
                }
            }
            _ => Err(Error::Need {
                need: pending.need.kind(),
                failure,
            }),
        }
    }
}

/// Each service's reads in order: its manifest at the commit built on, else (for an existing
/// branch that has none) at the base head, then its ignore files.
fn read_inputs(
    job: &SyncJob,
    a: &mut Attempt,
    base_head: ObjectId,
    start: &CommitInfo,
    on_branch: bool,
) -> Result<Option<Step>, Error> {
    while a.inputs.len() < job.services.len() {
        let service = &job.services[a.inputs.len()];
        let path = flow::manifest_path(&service.options);
        let Some(at_start) = &a.reads.start else {
            let commit = start.clone();
            return ask(Slot::StartManifest, Need::ReadFile { commit, path });
        };
        if at_start.is_none() && on_branch {
            let Some(base) = &a.base_commit else {
                return ask(Slot::BaseCommit, Need::CommitInfo { id: base_head });
            };
            if a.reads.base.is_none() {
                let commit = base.clone();
                return ask(Slot::BaseManifest, Need::ReadFile { commit, path });
            }
        }
        let dirs = flow::ignore_dirs(&service.options);
        if let Some(dir) = dirs.get(a.reads.ignores.len()) {
            let commit = start.clone();
            let path = flow::ignore_path(dir);
            return ask(Slot::Ignore, Need::ReadFile { commit, path });
        }
        let input = flow::input(service, std::mem::take(&mut a.reads))?;
        a.inputs.push(input);
    }
    Ok(None)
}

/// Each service's change set against the branch; pending conflicts are merged with the blobs
/// they need (generated ones from the build output, the others from the repository).
fn merge_step(
    job: &SyncJob,
    a: &mut Attempt,
    events: &mut VecDeque<Event>,
) -> Result<Option<Step>, Error> {
    let files = a.files.as_ref().expect("the branch view was read");
    while a.changes.len() < job.services.len() {
        let index = a.changes.len();
        let service = &job.services[index];
        if a.merging.is_none() {
            let c = flow::change_set(service, &a.inputs[index], Some(files))?;
            if !c.blobs_needed().is_empty() {
                let pending = c
                    .conflicts
                    .iter()
                    .filter(|k| k.state == ConflictState::Pending)
                    .count();
                events.push_back(Event::Log {
                    line: format!("{pending} conflict(s) with edits on the branch: merging"),
                });
            }
            a.merging = Some(c);
            a.blobs.clear();
        }
        let needed = a.merging.as_ref().expect("set above").blobs_needed();
        if let Some(oid) = needed.get(a.blobs.len()).copied() {
            let generated = service.snapshot.iter().find(|(_, e)| e.oid == oid);
            let need = match generated {
                Some((path, _)) => Need::ReadGenerated {
                    service: index,
                    path: path.to_owned(),
                    oid,
                },
                None => Need::ReadBlob { oid },
            };
            return ask(Slot::Blob, need);
        }
        let mut c = a.merging.take().expect("set above");
        if !needed.is_empty() {
            let labels = MergeLabels {
                base: "previous build",
                branch: &job.branch,
                generated: "new build",
            };
            let blobs = &a.blobs;
            let mut fetch =
                |oid: &ObjectId| blobs.iter().find(|(o, _)| o == oid).map(|(_, d)| d.clone());
            c.resolve_conflicts(&mut fetch, labels)
                .map_err(|source| Error::ChangeSet {
                    service: flow::service_label(service),
                    source,
                })?;
        }
        a.changes.push(c);
    }
    Ok(None)
}
