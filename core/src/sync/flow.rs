//! The pure decisions of a sync, as functions over data: which files an attempt reads, where a
//! previous manifest comes from, the branch view's scope, the commit plan, the comment text.

use std::collections::{BTreeSet, HashSet};

use crate::changeset::{self, ChangeSet, Content};
use crate::message::{self, BuildInfo};
use crate::{manifest, BranchTree, BuildManifest, IgnoreRules, ObjectId, TreeEntry};

use super::types::{
    BranchScope, CommitInfo, CommitPlan, ManifestOrigin, OptionSupport, PlannedWrite,
    PullRequestOptions, ServiceJob, ServiceScope, SyncJob, WriteSource,
};
use super::Error;

/// How a service is named in errors.
pub(crate) fn service_label(service: &ServiceJob) -> String {
    match &service.name {
        Some(n) => format!("service {n} (target dir {:?})", service.options.target_dir),
        None => format!("target dir {:?}", service.options.target_dir),
    }
}

/// The repository path of a service's manifest.
pub(crate) fn manifest_path(options: &changeset::Options) -> String {
    crate::path::join(&options.target_dir, manifest::PATH)
}

/// The folders whose `.amplicationignore` applies to a service: the root and its target dir.
pub(crate) fn ignore_dirs(options: &changeset::Options) -> Vec<String> {
    let target = &options.target_dir;
    let mut dirs = vec![String::new()];
    if !target.is_empty() {
        dirs.push(target.clone());
    }
    dirs
}

/// The path of the ignore file in `dir`.
pub(crate) fn ignore_path(dir: &str) -> String {
    crate::path::join(dir, crate::ignore::FILE_NAME)
}

/// The files each attempt reads from the repository: every service's manifest and
/// `.amplicationignore` files, sorted, without repeats.
pub(crate) fn read_paths(job: &SyncJob) -> Vec<String> {
    let mut paths = BTreeSet::new();
    for service in &job.services {
        paths.insert(manifest_path(&service.options));
        paths.extend(ignore_dirs(&service.options).iter().map(|d| ignore_path(d)));
    }
    paths.into_iter().collect()
}

/// Refuse files over the target's limit before anything is written.
pub(crate) fn check_sizes(job: &SyncJob) -> Result<(), Error> {
    let Some(limit) = &job.capabilities.file_size_limit else {
        return Ok(());
    };
    for s in &job.services {
        if let Some((path, size)) = s.large_files.iter().find(|(_, size)| *size > limit.bytes) {
            return Err(Error::TooLarge {
                path: path.clone(),
                size: *size,
                limit: limit.name.clone(),
            });
        }
    }
    Ok(())
}

/// What one service's reads gave: the previous manifest, where it came from, the ignore rules.
#[derive(Debug)]
pub(crate) struct Input {
    pub(crate) previous: BuildManifest,
    pub(crate) origin: ManifestOrigin,
    pub(crate) ignore: IgnoreRules,
}

/// The answers to one service's reads, in the order they are asked.
#[derive(Debug, Default)]
pub(crate) struct Reads {
    /// The manifest at the commit built on.
    pub(crate) start: Option<Option<Vec<u8>>>,
    /// The manifest at the base head (read only when the existing branch has none).
    pub(crate) base: Option<Option<Vec<u8>>>,
    /// The ignore files of [`ignore_dirs`], in order.
    pub(crate) ignores: Vec<Option<Vec<u8>>>,
}

/// The previous manifest (from the commit built on, else the base, else none: a first sync)
/// and the ignore rules (the repository's files plus a local one).
pub(crate) fn input(service: &ServiceJob, reads: Reads) -> Result<Input, Error> {
    let found = match (reads.start.flatten(), reads.base.flatten()) {
        (Some(bytes), _) => Some((bytes, ManifestOrigin::Start)),
        (None, Some(bytes)) => Some((bytes, ManifestOrigin::Base)),
        (None, None) => None,
    };
    let (previous, origin) = match found {
        None => (
            BuildManifest::empty(crate::HashKind::Sha1),
            ManifestOrigin::None,
        ),
        Some((bytes, origin)) => {
            let previous =
                BuildManifest::parse(&bytes).map_err(|source| Error::DamagedManifest {
                    path: manifest_path(&service.options),
                    source,
                })?;
            (previous, origin)
        }
    };
    let mut ignore = IgnoreRules::new();
    for (dir, bytes) in ignore_dirs(&service.options).iter().zip(&reads.ignores) {
        if let Some(bytes) = bytes {
            ignore.add_file(dir, bytes);
        }
    }
    if let Some(extra) = &service.extra_ignore {
        ignore.add_file(&service.options.target_dir, extra);
    }
    Ok(Input {
        previous,
        origin,
        ignore,
    })
}

/// A service's change set against `branch` (`None`: assume the branch holds the previous build).
pub(crate) fn change_set(
    service: &ServiceJob,
    input: &Input,
    branch: Option<&BranchTree>,
) -> Result<ChangeSet, Error> {
    changeset::compute(
        &input.previous,
        &service.snapshot,
        &input.ignore,
        branch,
        &service.options,
    )
    .map_err(|source| Error::ChangeSet {
        service: service_label(service),
        source,
    })
}

/// The previous builds by repository path, and the paths whose state on the branch the change
/// set needs: those it writes or deletes when the branch holds exactly the previous build.
pub(crate) fn branch_scope(
    job: &SyncJob,
    inputs: &[Input],
    base_head: ObjectId,
) -> Result<BranchScope, Error> {
    let mut scope = BranchScope {
        base_head,
        services: Vec::with_capacity(inputs.len()),
        previous: BranchTree::new(),
        needed: BTreeSet::new(),
    };
    for (service, input) in job.services.iter().zip(inputs) {
        let target = &service.options.target_dir;
        for (path, e) in input.previous.iter() {
            scope.previous.insert(
                crate::path::join(target, path),
                TreeEntry {
                    mode: e.mode,
                    oid: e.oid,
                },
            );
        }
        let c = change_set(service, input, None)?;
        scope
            .needed
            .extend(c.writes().iter().map(|w| w.path.clone()));
        scope.needed.extend(c.deletions().iter().cloned());
        scope.services.push(ServiceScope {
            manifest_path: manifest_path(&service.options),
            origin: input.origin,
        });
    }
    Ok(scope)
}

/// The commit of the change sets on `parent`: every service's writes and deletions plus its new
/// manifest, writes sorted by path; a write whose blob the branch has is marked `exists`.
pub(crate) fn commit_plan(
    job: &SyncJob,
    message: &str,
    parent: &CommitInfo,
    create_branch: bool,
    changes: &[ChangeSet],
    files: &BranchTree,
) -> CommitPlan {
    let existing: HashSet<ObjectId> = files.values().map(|e| e.oid).collect();
    let mut writes = Vec::new();
    let mut deletions = Vec::new();
    for (index, (service, c)) in job.services.iter().zip(changes).enumerate() {
        if c.is_empty() {
            continue;
        }
        for w in c.writes() {
            let source = match &w.content {
                Content::Generated(rel) => WriteSource::Generated {
                    service: index,
                    path: rel.clone(),
                },
                Content::Merged(data) => WriteSource::Inline {
                    content: data.clone(),
                },
            };
            writes.push(PlannedWrite {
                path: w.path.clone(),
                mode: w.mode,
                oid: w.oid,
                exists: existing.contains(&w.oid),
                source,
            });
        }
        deletions.extend(c.deletions().iter().cloned());
        let text = BuildManifest::text_of(&service.snapshot).into_bytes();
        let oid = crate::hash_blob(crate::HashKind::Sha1, &text);
        writes.push(PlannedWrite {
            path: c.manifest_path.clone(),
            mode: crate::Mode::Regular,
            oid,
            exists: existing.contains(&oid),
            source: WriteSource::Inline { content: text },
        });
    }
    writes.sort_by(|a, b| a.path.cmp(&b.path));
    CommitPlan {
        branch: job.branch.clone(),
        parent: parent.clone(),
        create_branch,
        writes,
        deletions,
        message: message.to_owned(),
        author: job.author.clone(),
    }
}

/// The comment on an updated pull request: the build's id and first line, its link in a code
/// block guarded against backticks, the summary; it ends with the build's hidden `marker`.
pub fn pull_request_comment(build: &BuildInfo, changes: &[ChangeSet], marker: &str) -> String {
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
        out.push_str(&message::code_block(&message::build_link(url)));
        out.push_str("\n\n");
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

/// The pull-request options `support` honours, and a note for each option given that it
/// does not (`Bitbucket pull requests have no labels: --labels ignored`).
pub(crate) fn supported_options(
    options: &PullRequestOptions,
    support: &OptionSupport,
) -> (PullRequestOptions, Vec<String>) {
    let mut kept = options.clone();
    let mut notes = Vec::new();
    let mut honour = |honoured: bool, given: bool, what: &str, flag: &str| {
        if given && !honoured {
            notes.push(format!(
                "{} pull requests have no {what}: --{flag} ignored",
                support.target
            ));
        }
        honoured
    };
    if !honour(support.draft, options.draft, "drafts", "draft") {
        kept.draft = false;
    }
    let lists = [
        (support.labels, &mut kept.labels, "labels", "labels"),
        (
            support.assignees,
            &mut kept.assignees,
            "assignees",
            "assignees",
        ),
        (
            support.reviewers,
            &mut kept.reviewers,
            "reviewers",
            "reviewers",
        ),
        (
            support.team_reviewers,
            &mut kept.team_reviewers,
            "team reviewers",
            "team-reviewers",
        ),
    ];
    for (honoured, values, what, flag) in lists {
        if !honour(honoured, !values.is_empty(), what, flag) {
            values.clear();
        }
    }
    (kept, notes)
}
