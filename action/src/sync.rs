//! The sync flow of DESIGN section 3, provider-neutral: the core decides what to commit, the
//! [`Provider`] carries it out.

use std::collections::{BTreeSet, HashSet};

use anyhow::{bail, Context};
use gensync_core::changeset::{self, ChangeSet, Content};
use gensync_core::merge::MergeLabels;
use gensync_core::message::{self, BuildInfo, PullRequestText};
use gensync_core::payload::github::Signature;
use gensync_core::{manifest, BranchTree, BuildManifest, IgnoreRules, ObjectId};

use crate::build_output::BuildOutput;
use crate::providers::{
    BranchScope, CommitInfo, CommitOutcome, CommitRequest, FileWrite, ManifestOrigin, Prefetch,
    Provider, PullRequest, PullRequestOptions, ServiceScope,
};

/// How many times the flow rebuilds on a moved head before giving up.
pub const MAX_ATTEMPTS: u32 = 5;

/// One build output mapped to a folder of the repository.
pub struct ServiceJob {
    /// The service's name (for `{service}` in branch templates and messages).
    pub name: Option<String>,
    /// The build output.
    pub output: BuildOutput,
    /// A local ignore file's bytes, added to the repository's own `.amplicationignore` files.
    pub extra_ignore: Option<Vec<u8>>,
    /// Change-set options (target dir, policies).
    pub options: changeset::Options,
}

/// Everything one sync needs.
pub struct SyncJob {
    /// The pull requests' base, or `None` for the repository's default branch.
    pub base: Option<String>,
    /// The sync branch's name (already rendered from its template).
    pub branch: String,
    /// Message, build id and link.
    pub build: BuildInfo,
    /// Commit author, or `None` for the token's identity.
    pub author: Option<Signature>,
    /// The services committed together (one commit, one pull request).
    pub services: Vec<ServiceJob>,
    /// Do every read, write nothing.
    pub dry_run: bool,
    /// Create a first commit in an empty repository instead of failing.
    pub init_empty: bool,
    /// Pull-request options.
    pub pull_request: PullRequestOptions,
}

/// What the pull-request step did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Operation {
    /// A pull request was opened.
    Created,
    /// The open pull request was updated.
    Updated,
    /// Nothing was needed.
    None,
}

impl Operation {
    /// The output value.
    pub fn as_str(&self) -> &'static str {
        match self {
            Operation::Created => "created",
            Operation::Updated => "updated",
            Operation::None => "none",
        }
    }
}

/// The result of a sync.
#[derive(Debug, serde::Serialize)]
pub struct SyncOutcome {
    /// The pull-request operation.
    pub operation: Operation,
    /// The new commit, if one was made.
    pub commit_sha: Option<String>,
    /// The sync branch.
    pub branch: String,
    /// The base branch.
    pub base: String,
    /// The pull request, if any.
    pub pull_request: Option<PullRequest>,
    /// How the commit was made.
    pub commit_via: Option<String>,
    /// Attempts made (more than one when the head moved underneath us).
    pub attempts: u32,
    /// True for a dry run: nothing was written.
    pub dry_run: bool,
    /// The commit message that was (or would be) used.
    pub commit_message: String,
    /// The pull request's text.
    pub pull_request_text: PullRequestText,
    /// The change set of each service.
    pub changes: Vec<ChangeSet>,
    /// Explanations for the person (e.g. why there is no pull request).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
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

/// Run the sync.
pub fn run(
    provider: &mut dyn Provider,
    job: &SyncJob,
    log: &mut dyn Log,
) -> anyhow::Result<SyncOutcome> {
    let commit_message = message::commit_message(&job.build)?;
    check_sizes(job, provider.file_size_limit())?;

    let paths = read_paths(job);
    let pull_request = provider.has_pull_requests();
    provider.prepare(&Prefetch {
        base: job.base.as_deref(),
        branch: &job.branch,
        paths: &paths,
        pull_request,
    })?;
    let repo = provider.repository()?;
    let base = job.base.clone().unwrap_or(repo.default_branch.clone());
    if repo.empty {
        if !job.init_empty {
            bail!(
                "the repository is empty (it has no commit, so there is no {base:?} branch to open a pull request into); \
                 push a first commit to it, or rerun with --init-empty to let gensync create one (a README.md on {base:?})"
            );
        }
        if job.dry_run {
            bail!("the repository is empty; --init-empty would create a first commit, which a dry run does not do");
        }
        log.info(&format!(
            "repository is empty: creating a first commit on {base}"
        ));
        provider.init_empty(&base)?;
    }
    let base_head = provider
        .branch_head(&base)?
        .with_context(|| format!("the base branch {base:?} does not exist; check --base"))?;

    let mut attempts = 0;
    // The change sets of the last commit attempt answered "head moved": if that commit
    // landed after all (its answer was lost), they are what it holds.
    let mut attempted: Option<Vec<ChangeSet>> = None;
    let (changes, committed) = loop {
        attempts += 1;
        if attempts > 1 {
            provider.prepare(&Prefetch {
                base: Some(base.as_str()),
                branch: &job.branch,
                paths: &paths,
                pull_request,
            })?;
        }
        let head = provider.branch_head(&job.branch)?;
        let start_id = head.unwrap_or(base_head);
        let start = provider.commit_info(&start_id)?;
        log.info(&match head {
            Some(h) => format!("branch {} at {h}", job.branch),
            None => format!(
                "branch {} does not exist: building on {base} at {start_id}",
                job.branch
            ),
        });
        let mut base_commit = None;
        let mut inputs = Vec::with_capacity(job.services.len());
        for service in &job.services {
            let (previous, origin) = read_manifest(
                provider,
                &start,
                head.is_some(),
                &base_head,
                &mut base_commit,
                &service.options,
            )?;
            let ignore = ignore_rules(provider, &start, service)?;
            inputs.push((previous, origin, ignore));
        }
        let scope = branch_scope(job, &inputs)?;
        let files = provider.branch_files(
            &start,
            &BranchScope {
                base_head: &base_head,
                services: &scope.services,
                previous: &scope.previous,
                needed: &scope.needed,
            },
        )?;
        let mut changes = Vec::with_capacity(job.services.len());
        for (service, (previous, _, ignore)) in job.services.iter().zip(&inputs) {
            let mut c = changeset::compute(
                previous,
                &service.output.snapshot,
                ignore,
                Some(&files),
                &service.options,
            )
            .with_context(|| service_label(service))?;
            if !c.blobs_needed().is_empty() {
                log.info(&format!(
                    "{} conflict(s) with edits on the branch: merging",
                    c.conflicts
                        .iter()
                        .filter(|k| k.state == changeset::ConflictState::Pending)
                        .count()
                ));
                let mut fetched = Vec::new();
                for oid in c.blobs_needed() {
                    fetched.push((oid, blob_content(provider, service, &oid)?));
                }
                let labels = MergeLabels {
                    base: "previous build",
                    branch: &job.branch,
                    generated: "new build",
                };
                c.resolve_conflicts(
                    &mut |oid| {
                        fetched
                            .iter()
                            .find(|(o, _)| o == oid)
                            .map(|(_, d)| d.clone())
                    },
                    labels,
                )
                .with_context(|| service_label(service))?;
            }
            changes.push(c);
        }
        if changes.iter().all(ChangeSet::is_empty) {
            // After a rebuild, the build may be there because our own commit landed before
            // its answer was lost: name it.
            if let (true, Some(h)) = (attempts > 1, head) {
                if let Some(id) = provider.landed(&h)? {
                    log.info(&format!(
                        "commit {id} landed (its answer was lost); the branch has this build"
                    ));
                    break (
                        attempted.take().unwrap_or(changes),
                        Some((id, "rest (confirmed after a lost answer)".to_owned())),
                    );
                }
            }
            log.info("nothing to commit: the branch already has this build");
            break (changes, None);
        }
        if job.dry_run {
            log.info("dry run: not committing");
            break (changes, None);
        }
        let (writes, deletions) = commit_contents(job, &changes, &files)?;
        let request = CommitRequest {
            branch: &job.branch,
            parent: &start,
            create_branch: head.is_none(),
            writes: &writes,
            deletions: &deletions,
            message: &commit_message,
            author: job.author.as_ref(),
            parent_files: &files,
        };
        match provider.commit(&request)? {
            CommitOutcome::Committed { id, via } => {
                log.info(&format!("committed {id} on {} ({via})", job.branch));
                break (changes, Some((id, via)));
            }
            CommitOutcome::HeadMoved if attempts < MAX_ATTEMPTS => {
                log.info(&format!("{} moved while we were committing: rebuilding on its new head", job.branch));
                attempted = Some(changes);
            }
            CommitOutcome::HeadMoved => bail!(
                "{} kept moving under us ({attempts} attempts): another writer is pushing to it; nothing was overwritten, rerun later",
                job.branch
            ),
        }
    };

    let text = message::pull_request(&job.build, &changes.iter().collect::<Vec<_>>())?;
    let mut outcome = SyncOutcome {
        operation: Operation::None,
        commit_sha: committed.as_ref().map(|(id, _)| id.to_string()),
        branch: job.branch.clone(),
        base: base.clone(),
        pull_request: None,
        commit_via: committed.as_ref().map(|(_, via)| via.clone()),
        attempts,
        dry_run: job.dry_run,
        commit_message,
        pull_request_text: text,
        changes,
        notes: Vec::new(),
    };
    if !provider.has_pull_requests() {
        let note = format!(
            "no pull request: the target has none; review the branch with `git log --stat {base}..{}`",
            job.branch
        );
        log.info(&note);
        outcome.notes.push(note);
        return Ok(outcome);
    }
    let pr_step = pull_request_step(provider, job, &base, &mut outcome);
    if let Err(err) = pr_step {
        return Err(match &outcome.commit_sha {
            Some(sha) => err.context(crate::exit::LandedButPullRequestFailed {
                commit: sha.clone(),
                branch: job.branch.clone(),
            }),
            None => err,
        });
    }
    Ok(outcome)
}

fn pull_request_step(
    provider: &mut dyn Provider,
    job: &SyncJob,
    base: &str,
    outcome: &mut SyncOutcome,
) -> anyhow::Result<()> {
    let existing = provider.find_pull_request(&job.branch, base)?;
    if job.dry_run {
        outcome.pull_request = existing;
        return Ok(());
    }
    match (&outcome.commit_sha, existing) {
        (Some(sha), Some(pr)) => {
            let marker = message::build_marker(job.build.build_id.as_deref().unwrap_or(sha));
            let comment = pull_request_comment(&job.build, &outcome.changes, &marker);
            provider.update_pull_request(&pr, &outcome.pull_request_text, &comment, &marker)?;
            outcome.operation = Operation::Updated;
            outcome.pull_request = Some(pr);
        }
        (Some(_), None) => {
            let pr = provider.create_pull_request(
                &job.branch,
                base,
                &outcome.pull_request_text,
                &job.pull_request,
            )?;
            outcome.operation = Operation::Created;
            outcome.pull_request = Some(pr);
        }
        (None, Some(pr)) => outcome.pull_request = Some(pr),
        (None, None) => {
            // A previous run may have died after its commit: finish its work.
            if provider.branch_head(&job.branch)?.is_some()
                && provider.branch_differs(base, &job.branch)?
            {
                let pr = provider.create_pull_request(
                    &job.branch,
                    base,
                    &outcome.pull_request_text,
                    &job.pull_request,
                )?;
                outcome.operation = Operation::Created;
                outcome.pull_request = Some(pr);
            }
        }
    }
    Ok(())
}

/// The comment on an updated pull request; it ends with the build's hidden `marker`.
fn pull_request_comment(build: &BuildInfo, changes: &[ChangeSet], marker: &str) -> String {
    let mut out = format!(
        "New build{}: {}\n\n",
        build
            .build_id
            .as_ref()
            .map(|i| format!(" {i}"))
            .unwrap_or_default(),
        build.message.lines().next().unwrap_or("")
    );
    if let Some(url) = &build.build_url {
        out.push_str(&format!("```\n{}\n```\n\n", message::build_link(url)));
    }
    out.push_str(&message::summary_markdown(
        &changes.iter().collect::<Vec<_>>(),
    ));
    if !out.ends_with('\n') {
        out.push('\n');
    }
    out.push_str(marker);
    out.push('\n');
    out
}

fn service_label(service: &ServiceJob) -> String {
    match &service.name {
        Some(n) => format!("service {n} (target dir {:?})", service.options.target_dir),
        None => format!("target dir {:?}", service.options.target_dir),
    }
}

fn manifest_path(options: &changeset::Options) -> String {
    gensync_core::path::join(&options.target_dir, manifest::PATH)
}

/// The previous manifest: from the commit we build on, else (for an existing branch that has
/// none) from the base branch, else none (first sync); and where it came from.
fn read_manifest(
    provider: &mut dyn Provider,
    start: &CommitInfo,
    on_branch: bool,
    base_head: &ObjectId,
    base_commit: &mut Option<CommitInfo>,
    options: &changeset::Options,
) -> anyhow::Result<(BuildManifest, ManifestOrigin)> {
    let path = manifest_path(options);
    let mut found = provider
        .read_file(start, &path)?
        .map(|b| (b, ManifestOrigin::Start));
    if found.is_none() && on_branch {
        if base_commit.is_none() {
            *base_commit = Some(provider.commit_info(base_head)?);
        }
        let base = base_commit.as_ref().expect("set above");
        found = provider
            .read_file(base, &path)?
            .map(|b| (b, ManifestOrigin::Base));
    }
    match found {
        None => Ok((
            BuildManifest::empty(gensync_core::HashKind::Sha1),
            ManifestOrigin::None,
        )),
        Some((bytes, origin)) => {
            let manifest = BuildManifest::parse(&bytes).with_context(|| {
                format!("the manifest {path} in the repository is damaged; fix or delete it (a deleted manifest makes the next sync a first sync)")
            })?;
            Ok((manifest, origin))
        }
    }
}

/// The files each attempt reads from the repository: every service's manifest and
/// `.amplicationignore` files, sorted, without repeats.
fn read_paths(job: &SyncJob) -> Vec<String> {
    let mut paths = BTreeSet::new();
    for service in &job.services {
        paths.insert(manifest_path(&service.options));
        paths.extend(ignore_dirs(service).iter().map(|dir| ignore_path(dir)));
    }
    paths.into_iter().collect()
}

/// The folders whose `.amplicationignore` applies to `service`: the root and its target dir.
fn ignore_dirs(service: &ServiceJob) -> Vec<String> {
    let target = &service.options.target_dir;
    let mut dirs = vec![String::new()];
    if !target.is_empty() {
        dirs.push(target.clone());
    }
    dirs
}

fn ignore_path(dir: &str) -> String {
    gensync_core::path::join(dir, gensync_core::ignore::FILE_NAME)
}

/// The repository's `.amplicationignore` files (root and target dir) plus a local one.
fn ignore_rules(
    provider: &mut dyn Provider,
    start: &CommitInfo,
    service: &ServiceJob,
) -> anyhow::Result<IgnoreRules> {
    let mut rules = IgnoreRules::new();
    let target = &service.options.target_dir;
    for dir in ignore_dirs(service) {
        if let Some(bytes) = provider.read_file(start, &ignore_path(&dir))? {
            rules.add_file(&dir, &bytes);
        }
    }
    if let Some(extra) = &service.extra_ignore {
        rules.add_file(target, extra);
    }
    Ok(rules)
}

/// What [`Provider::branch_files`] is told, owned.
struct Scope {
    services: Vec<ServiceScope>,
    previous: BranchTree,
    needed: BTreeSet<String>,
}

/// The previous builds by repository path, and the paths whose state on the branch the change
/// set needs: those it writes or deletes when the branch holds exactly the previous build.
fn branch_scope(
    job: &SyncJob,
    inputs: &[(BuildManifest, ManifestOrigin, IgnoreRules)],
) -> anyhow::Result<Scope> {
    let mut scope = Scope {
        services: Vec::with_capacity(inputs.len()),
        previous: BranchTree::new(),
        needed: BTreeSet::new(),
    };
    for (service, (previous, origin, ignore)) in job.services.iter().zip(inputs) {
        let target = &service.options.target_dir;
        for (path, e) in previous.iter() {
            scope.previous.insert(
                gensync_core::path::join(target, path),
                gensync_core::TreeEntry {
                    mode: e.mode,
                    oid: e.oid,
                },
            );
        }
        let c = changeset::compute(
            previous,
            &service.output.snapshot,
            ignore,
            None,
            &service.options,
        )
        .with_context(|| service_label(service))?;
        scope
            .needed
            .extend(c.writes().iter().map(|w| w.path.clone()));
        scope.needed.extend(c.deletions().iter().cloned());
        scope.services.push(ServiceScope {
            manifest_path: manifest_path(&service.options),
            origin: *origin,
        });
    }
    Ok(scope)
}

/// A blob a merge needs: from the build output if it is a generated one, else the repository.
fn blob_content(
    provider: &mut dyn Provider,
    service: &ServiceJob,
    oid: &ObjectId,
) -> anyhow::Result<Vec<u8>> {
    if let Some((path, _)) = service.output.snapshot.iter().find(|(_, e)| e.oid == *oid) {
        return read_generated(&service.output, path, oid);
    }
    provider.read_blob(oid)
}

fn read_generated(output: &BuildOutput, rel: &str, oid: &ObjectId) -> anyhow::Result<Vec<u8>> {
    let data = output.read(rel).with_context(|| {
        format!(
            "cannot read {rel} from the build output {}",
            output.root.display()
        )
    })?;
    let actual = gensync_core::hash_blob(output.snapshot.hash_kind(), &data);
    if actual != *oid {
        bail!("{rel} in the build output changed while gensync was running; rerun once the generator has finished");
    }
    Ok(data)
}

/// Refuse files over the target's limit before anything is written.
fn check_sizes(job: &SyncJob, limit: Option<(u64, &str)>) -> anyhow::Result<()> {
    let Some((max, what)) = limit else {
        return Ok(());
    };
    // Only files of LARGE_FILE_BYTES or more are listed; every limit is above that size.
    debug_assert!(max >= crate::build_output::LARGE_FILE_BYTES);
    for s in &job.services {
        if let Some((path, size)) = s.output.large_files.iter().find(|(_, size)| *size > max) {
            bail!(
                "{path} in the build output is {size} bytes, over {what}; \
                 exclude it from the build or add it to .amplicationignore (large files belong in Git LFS)"
            );
        }
    }
    Ok(())
}

/// The files and deletions of the commit: every service's writes and deletions plus its manifest.
fn commit_contents(
    job: &SyncJob,
    changes: &[ChangeSet],
    files: &BranchTree,
) -> anyhow::Result<(Vec<FileWrite>, Vec<String>)> {
    let existing: HashSet<ObjectId> = files.values().map(|e| e.oid).collect();
    let mut writes = Vec::new();
    let mut deletions = Vec::new();
    for (service, c) in job.services.iter().zip(changes) {
        if c.is_empty() {
            continue;
        }
        for w in c.writes() {
            // Contents are read even for blobs the repository has: a GraphQL commit carries them.
            let exists = existing.contains(&w.oid);
            let content = match &w.content {
                Content::Generated(rel) => read_generated(&service.output, rel, &w.oid)?,
                Content::Merged(data) => data.clone(),
            };
            writes.push(FileWrite {
                path: w.path.clone(),
                mode: w.mode,
                oid: w.oid,
                content,
                exists,
            });
        }
        deletions.extend(c.deletions().iter().cloned());
        let text = BuildManifest::text_of(&service.output.snapshot).into_bytes();
        let oid = gensync_core::hash_blob(gensync_core::HashKind::Sha1, &text);
        writes.push(FileWrite {
            path: c.manifest_path.clone(),
            mode: gensync_core::Mode::Regular,
            oid,
            exists: existing.contains(&oid),
            content: text,
        });
    }
    writes.sort_by(|a, b| a.path.cmp(&b.path));
    Ok((writes, deletions))
}
