//! The machine driven against a fake repository held as data (quinn's `Pair` style): branches,
//! commits and files; it answers every need, and can fail the n-th need with any [`Failure`].

use std::collections::BTreeMap;

use super::*;
use crate::changeset::Options;
use crate::message::BuildInfo;
use crate::{hash_blob, HashKind, Mode, Snapshot, TreeEntry};

type Files = BTreeMap<String, Vec<u8>>;

/// A repository as data, answering needs.
#[derive(Debug, Clone, Default)]
struct Repo {
    default_branch: String,
    empty: bool,
    has_prs: bool,
    branches: BTreeMap<String, ObjectId>,
    commits: BTreeMap<ObjectId, Files>,
    next_id: u32,
    prs: Vec<(PullRequest, String)>,
    comments: Vec<String>,
    /// Fail the n-th need (0-based) with this failure.
    fault: Option<(usize, Failure)>,
    /// Another writer moves the branch before each of this many commits.
    moves: u32,
    /// The next commit lands but its answer says the head moved (a lost answer).
    lose_next_commit: bool,
    unconfirmed: Option<ObjectId>,
    /// Every need asked, by kind.
    asked: Vec<&'static str>,
    /// The options of the last pull request created.
    created_with: Option<PullRequestOptions>,
}

impl Repo {
    fn new(main: &[(&str, &str)]) -> Repo {
        let mut repo = Repo {
            default_branch: "main".into(),
            has_prs: true,
            ..Repo::default()
        };
        let id = repo.add_commit(files(main));
        repo.branches.insert("main".into(), id);
        repo
    }

    fn add_commit(&mut self, files: Files) -> ObjectId {
        self.next_id += 1;
        let id = hash_blob(
            HashKind::Sha1,
            format!("commit {}", self.next_id).as_bytes(),
        );
        self.commits.insert(id, files);
        id
    }

    fn head_files(&self, branch: &str) -> &Files {
        &self.commits[&self.branches[branch]]
    }

    /// A person (or another writer) commits `edits` on `branch` (`None` deletes a path).
    fn push(&mut self, branch: &str, edits: &[(&str, Option<&str>)]) {
        let mut f = self.head_files(branch).clone();
        for (path, content) in edits {
            match content {
                Some(c) => f.insert((*path).into(), c.as_bytes().to_vec()),
                None => f.remove(*path),
            };
        }
        let id = self.add_commit(f);
        self.branches.insert(branch.into(), id);
    }

    fn info(&self, id: ObjectId) -> CommitInfo {
        CommitInfo { id, tree: id }
    }

    fn tree(&self, id: &ObjectId) -> BranchTree {
        self.commits[id]
            .iter()
            .map(|(p, d)| {
                let entry = TreeEntry {
                    mode: Mode::Regular,
                    oid: hash_blob(HashKind::Sha1, d),
                };
                (p.clone(), entry)
            })
            .collect()
    }

    fn answer(&mut self, need: &Need, build: &[Files]) -> Result<Answer, Failure> {
        let n = self.asked.len();
        self.asked.push(need.kind());
        if let Some((at, failure)) = &self.fault {
            if *at == n {
                return Err(failure.clone());
            }
        }
        Ok(match need {
            Need::Prepare { .. } => Answer::Prepared {},
            Need::Repository => Answer::Repository(RepoInfo {
                default_branch: self.default_branch.clone(),
                empty: self.empty,
            }),
            Need::InitEmpty { branch } => {
                let id = self.add_commit(files(&[("README.md", "# repo\n")]));
                self.branches.insert(branch.clone(), id);
                self.empty = false;
                Answer::Initialized {}
            }
            Need::BranchHead { branch } => Answer::BranchHead {
                id: self.branches.get(branch).copied(),
            },
            Need::CommitInfo { id } => Answer::CommitInfo(self.info(*id)),
            Need::ReadFile { commit, path } => Answer::File {
                content: self.commits[&commit.id].get(path).cloned(),
            },
            Need::BranchFiles { commit, .. } => Answer::BranchFiles {
                files: self.tree(&commit.id),
            },
            Need::ReadBlob { oid } => Answer::Blob {
                content: self
                    .blob(oid)
                    .ok_or_else(|| Failure::new(FailureKind::NotFound, "no blob"))?,
            },
            Need::ReadGenerated { service, path, .. } => Answer::Generated {
                content: build[*service][path].clone(),
            },
            Need::Commit { plan } => return self.commit(plan, build),
            Need::Landed { head } => Answer::Landed {
                id: self.unconfirmed.filter(|id| self.reaches(*head, *id)),
            },
            Need::FindPullRequest { branch, .. } => Answer::PullRequest {
                pr: self
                    .prs
                    .iter()
                    .find(|(_, b)| b == branch)
                    .map(|(p, _)| p.clone()),
            },
            Need::CreatePullRequest {
                branch, options, ..
            } => {
                self.created_with = Some(options.clone());
                let number = self.prs.len() as u64 + 1;
                let pr = PullRequest {
                    number,
                    url: format!("https://example.test/pull/{number}"),
                };
                self.prs.push((pr.clone(), branch.clone()));
                Answer::PullRequest { pr: Some(pr) }
            }
            Need::UpdatePullRequest { comment, .. } => {
                self.comments.push(comment.clone());
                Answer::Updated {}
            }
            Need::BranchDiffers { base, branch } => Answer::Differs {
                value: self.head_files(base) != self.head_files(branch),
            },
        })
    }

    fn blob(&self, oid: &ObjectId) -> Option<Vec<u8>> {
        self.commits
            .values()
            .flat_map(|f| f.values())
            .find(|d| hash_blob(HashKind::Sha1, d) == *oid)
            .cloned()
    }

    /// Whether `id` is `head` (the fake's history is linear per branch: a later commit whose
    /// files include `id`'s is taken as reaching it).
    fn reaches(&self, head: ObjectId, id: ObjectId) -> bool {
        head == id || self.commits.contains_key(&id)
    }

    fn commit(&mut self, plan: &CommitPlan, build: &[Files]) -> Result<Answer, Failure> {
        let stale = Failure::new(FailureKind::StaleHead, "the branch moved");
        if self.moves > 0 {
            self.moves -= 1;
            let b = plan.branch.clone();
            if self.branches.contains_key(&b) {
                self.push(
                    &b,
                    &[("other.txt", Some(&format!("writer {}\n", self.moves)))],
                );
            } else {
                let main = self.branches["main"];
                self.branches.insert(b, main);
            }
            return Err(stale);
        }
        let head = self.branches.get(&plan.branch).copied();
        if head != (!plan.create_branch).then_some(plan.parent.id) {
            return Err(stale);
        }
        let mut f = self.commits[&plan.parent.id].clone();
        for w in &plan.writes {
            let data = match &w.source {
                WriteSource::Generated { service, path } => build[*service][path].clone(),
                WriteSource::Inline { content } => content.clone(),
            };
            assert_eq!(hash_blob(HashKind::Sha1, &data), w.oid, "{}", w.path);
            f.insert(w.path.clone(), data);
        }
        for d in &plan.deletions {
            f.remove(d);
        }
        let id = self.add_commit(f);
        self.branches.insert(plan.branch.clone(), id);
        if std::mem::take(&mut self.lose_next_commit) {
            self.unconfirmed = Some(id);
            return Err(stale);
        }
        Ok(Answer::Committed {
            id,
            via: "fake".into(),
        })
    }
}

fn files(list: &[(&str, &str)]) -> Files {
    list.iter()
        .map(|(p, c)| ((*p).to_owned(), c.as_bytes().to_vec()))
        .collect()
}

fn snapshot(build: &Files) -> Snapshot {
    let mut s = Snapshot::new(HashKind::Sha1);
    for (path, data) in build {
        s.insert_data(path, Mode::Regular, data.clone()).unwrap();
    }
    s
}

fn job(build: &Files) -> SyncJob {
    SyncJob {
        base: None,
        branch: "gensync".into(),
        build: BuildInfo {
            message: "Build 7\n\nmore text".into(),
            build_id: Some("b7".into()),
            build_url: Some("https://ci.example/b/7".into()),
        },
        author: None,
        services: vec![ServiceJob {
            name: None,
            snapshot: snapshot(build),
            large_files: Vec::new(),
            extra_ignore: None,
            options: Options {
                target_dir: "gen".into(),
                ..Options::default()
            },
        }],
        dry_run: false,
        init_empty: false,
        pull_request: PullRequestOptions::default(),
        capabilities: Capabilities {
            pull_requests: true,
            file_size_limit: Some(SizeLimit {
                bytes: 1000,
                name: "the test limit".into(),
            }),
            options: OptionSupport::all("Test"),
        },
    }
}

/// What a run left: its result, log lines and plans.
struct Run {
    result: Result<SyncOutcome, Error>,
    logs: Vec<String>,
    plans: Vec<CommitPlan>,
}

/// Drive a sync against `repo` until it finishes.
fn drive(repo: &mut Repo, mut job: SyncJob, build: &Files) -> Run {
    let build = std::slice::from_ref(build);
    repo.asked.clear();
    job.capabilities.pull_requests = repo.has_prs;
    let mut run = Run {
        result: Err(Error::EmptyDryRun),
        logs: Vec::new(),
        plans: Vec::new(),
    };
    let mut sync = match Sync::new(job) {
        Ok(s) => s,
        Err(e) => {
            run.result = Err(e);
            return run;
        }
    };
    for _ in 0..1000 {
        while let Some(event) = sync.poll_event() {
            match event {
                Event::Log { line } => run.logs.push(line),
                Event::Planned { plan } => run.plans.push(plan),
                Event::Finished { outcome } => {
                    run.result = Ok(*outcome);
                    assert!(sync.poll_need().is_none());
                    return run;
                }
                Event::Failed { error } => {
                    run.result = Err(error);
                    assert!(sync.poll_need().is_none());
                    return run;
                }
            }
        }
        let need = sync.poll_need().expect("a need or a final event");
        assert!(sync.poll_need().is_none(), "a need is given once");
        match repo.answer(&need, build) {
            Ok(answer) => sync.handle(answer),
            Err(failure) => sync.handle_failure(failure),
        }
    }
    panic!("the sync did not finish");
}

/// The build output in the repository, under `gen/`.
fn gen(build: &Files) -> Files {
    build
        .iter()
        .map(|(p, d)| (format!("gen/{p}"), d.clone()))
        .collect()
}

fn build1() -> Files {
    files(&[("a.ts", "a\n"), ("b.ts", "one\ntwo\nthree\n")])
}

fn build2() -> Files {
    files(&[
        ("a.ts", "a2\n"),
        ("b.ts", "one\ntwo\nTHREE\n"),
        ("c.ts", "c\n"),
    ])
}

/// A repository where the first build was synced and its pull request opened.
fn synced() -> Repo {
    let mut repo = Repo::new(&[("README.md", "hi\n")]);
    let b1 = build1();
    drive(&mut repo, job(&b1), &b1).result.unwrap();
    repo
}

#[test]
fn first_sync_creates_branch_and_pull_request() {
    let mut repo = Repo::new(&[("README.md", "hi\n")]);
    let b1 = build1();
    let run = drive(&mut repo, job(&b1), &b1);
    let out = run.result.unwrap();
    assert_eq!(out.operation, Operation::Created);
    assert_eq!(out.base, "main");
    assert_eq!(out.attempts, 1);
    assert_eq!(out.commit_sha, Some(repo.branches["gensync"].to_string()));
    assert_eq!(out.pull_request_text.title, "Build 7");
    let head = repo.head_files("gensync");
    for (p, d) in gen(&b1) {
        assert_eq!(head[&p], d);
    }
    assert!(head.contains_key("gen/.amplication/manifest"));
    assert_eq!(head["README.md"], b"hi\n");
    assert!(run.logs[0].starts_with("branch gensync does not exist: building on main at "));
    assert!(repo.comments.is_empty());
}

#[test]
fn update_commits_the_change_and_comments_with_a_guarded_link() {
    let mut repo = synced();
    let b2 = build2();
    let mut j = job(&b2);
    j.build.build_url = Some("https://ci.example/b/`x`".into());
    let out = drive(&mut repo, j, &b2).result.unwrap();
    assert_eq!(out.operation, Operation::Updated);
    assert_eq!(out.pull_request.unwrap().number, 1);
    assert_eq!(repo.head_files("gensync")["gen/c.ts"], b"c\n");
    let comment = &repo.comments[0];
    assert!(
        comment.starts_with("New build b7: Build 7\n\n"),
        "{comment}"
    );
    assert!(comment.ends_with(&format!("{}\n", message::build_marker("b7"))));
    // The link goes through the commit message's code block (backticks are escaped).
    assert!(
        comment.contains("\n```\nhttps://ci.example/b/%60x%60\n```\n"),
        "{comment}"
    );
}

#[test]
fn same_build_again_is_nothing_to_commit_and_reuses_the_pull_request() {
    let mut repo = synced();
    let head = repo.branches["gensync"];
    let b1 = build1();
    let run = drive(&mut repo, job(&b1), &b1);
    let out = run.result.unwrap();
    assert_eq!(out.operation, Operation::None);
    assert_eq!(out.commit_sha, None);
    assert_eq!(out.pull_request.unwrap().number, 1);
    assert_eq!(repo.branches["gensync"], head);
    assert!(run
        .logs
        .iter()
        .any(|l| l == "nothing to commit: the branch already has this build"));
    assert!(!repo.asked.contains(&"commit"));
}

#[test]
fn a_persons_edit_survives_and_a_conflict_is_merged_with_the_sync_labels() {
    let mut repo = synced();
    // An edit of a file the build does not change, and one that overlaps the build's change.
    repo.push(
        "gensync",
        &[
            ("gen/a.ts", Some("a\n")),
            ("gen/b.ts", Some("one\ntwo\nthree-mine\n")),
            ("notes.md", Some("n\n")),
        ],
    );
    let b2 = files(&[("a.ts", "a\n"), ("b.ts", "one\ntwo\nTHREE\n")]);
    let run = drive(&mut repo, job(&b2), &b2);
    let out = run.result.unwrap();
    assert!(run
        .logs
        .iter()
        .any(|l| l == "1 conflict(s) with edits on the branch: merging"));
    let merged = String::from_utf8(repo.head_files("gensync")["gen/b.ts"].clone()).unwrap();
    assert!(merged.contains("<<<<<<< gensync"), "{merged}");
    assert!(merged.contains(">>>>>>> new build"), "{merged}");
    assert!(
        merged.contains("three-mine") && merged.contains("THREE"),
        "{merged}"
    );
    assert_eq!(repo.head_files("gensync")["notes.md"], b"n\n");
    assert_eq!(out.changes[0].conflicts.len(), 1);
    assert!(repo.asked.contains(&"read_blob") && repo.asked.contains(&"read_generated"));
}

#[test]
fn a_dry_run_without_the_branch_blob_leaves_the_conflict_pending_and_plans_nothing() {
    let person = [("gen/b.ts", Some("one\ntwo\nthree-mine\n"))];
    let b2 = files(&[("a.ts", "a\n"), ("b.ts", "one\ntwo\nTHREE\n")]);
    // Which need reads the branch's blob.
    let mut probe = synced();
    probe.push("gensync", &person);
    let mut dry = job(&b2);
    dry.dry_run = true;
    drive(&mut probe, dry.clone(), &b2).result.unwrap();
    let at = probe.asked.iter().position(|k| *k == "read_blob").unwrap();
    let not_found = Failure::new(FailureKind::NotFound, "blob not given");

    let mut repo = synced();
    repo.push("gensync", &person);
    repo.fault = Some((at, not_found.clone()));
    let run = drive(&mut repo, dry, &b2);
    let out = run.result.unwrap();
    assert!(run.plans.is_empty(), "no plan without the merge");
    assert_eq!(out.operation, Operation::None);
    assert!(out.commit_sha.is_none());
    assert_eq!(out.changes[0].conflicts.len(), 1);
    assert_eq!(out.changes[0].conflicts[0].state, ConflictState::Pending);
    assert!(run.logs.iter().any(|l| l.contains("stays pending")));
    assert!(!repo.asked.contains(&"commit"));

    // A real sync does not guess: the same failure ends it, nothing committed.
    let mut repo = synced();
    repo.push("gensync", &person);
    let before = repo.branches["gensync"];
    repo.fault = Some((at, not_found));
    let err = drive(&mut repo, job(&b2), &b2).result.unwrap_err();
    assert!(
        matches!(
            err,
            Error::Need {
                need: "read_blob",
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(repo.branches["gensync"], before);
}

#[test]
fn a_generated_file_that_changed_while_running_is_refused() {
    let mut repo = synced();
    repo.push("gensync", &[("gen/b.ts", Some("one\ntwo\nthree-mine\n"))]);
    let b2 = files(&[("a.ts", "a\n"), ("b.ts", "one\ntwo\nTHREE\n")]);
    let mut changed = b2.clone();
    changed.insert("b.ts".into(), b"edited meanwhile\n".to_vec());
    let err = drive(&mut repo, job(&b2), &changed).result.unwrap_err();
    assert_eq!(
        err,
        Error::GeneratedChanged {
            path: "b.ts".into()
        }
    );
}

#[test]
fn dry_run_plans_and_writes_nothing() {
    let mut repo = synced();
    let before = repo.branches.clone();
    let b2 = build2();
    let mut j = job(&b2);
    j.dry_run = true;
    let run = drive(&mut repo, j, &b2);
    let out = run.result.unwrap();
    assert!(out.dry_run);
    assert_eq!(out.operation, Operation::None);
    assert_eq!(out.pull_request.unwrap().number, 1);
    assert_eq!(run.plans.len(), 1);
    assert_eq!(run.plans[0].parent.id, before["gensync"]);
    assert!(run.plans[0].writes.iter().any(|w| w.path == "gen/c.ts"));
    assert_eq!(repo.branches, before);
    assert!(!repo.asked.contains(&"commit") && repo.comments.is_empty());
}

#[test]
fn empty_repository_needs_init_empty_and_no_dry_run() {
    let b1 = build1();
    let mut empty = Repo::new(&[]);
    empty.branches.clear();
    empty.empty = true;
    let err = drive(&mut empty.clone(), job(&b1), &b1).result.unwrap_err();
    assert_eq!(
        err,
        Error::EmptyRepository {
            base: "main".into()
        }
    );
    let mut j = job(&b1);
    j.init_empty = true;
    j.dry_run = true;
    let err = drive(&mut empty.clone(), j.clone(), &b1)
        .result
        .unwrap_err();
    assert_eq!(err, Error::EmptyDryRun);
    j.dry_run = false;
    let out = drive(&mut empty, j, &b1).result.unwrap();
    assert_eq!(out.operation, Operation::Created);
    assert_eq!(empty.asked[2], "init_empty");
    assert_eq!(empty.head_files("main")["README.md"], b"# repo\n");
}

#[test]
fn missing_base_is_named() {
    let mut repo = Repo::new(&[("README.md", "hi\n")]);
    let b1 = build1();
    let mut j = job(&b1);
    j.base = Some("develop".into());
    let err = drive(&mut repo, j, &b1).result.unwrap_err();
    assert_eq!(
        err,
        Error::BaseMissing {
            base: "develop".into()
        }
    );
    assert_eq!(
        err.to_string(),
        "the base branch \"develop\" does not exist; check --base"
    );
}

#[test]
fn an_existing_branch_without_manifest_reads_the_base_one() {
    let mut repo = synced();
    // The bot branch lost its manifest (a person deleted it), main has one (an earlier merge).
    let manifest = repo.head_files("gensync")["gen/.amplication/manifest"].clone();
    repo.push("main", &[]);
    let main = repo.branches["main"];
    repo.commits
        .get_mut(&main)
        .unwrap()
        .insert("gen/.amplication/manifest".into(), manifest);
    repo.push("gensync", &[("gen/.amplication/manifest", None)]);
    let b1 = build1();
    let out = drive(&mut repo, job(&b1), &b1).result.unwrap();
    // The base's manifest is the previous build, which the branch holds: nothing to commit.
    assert_eq!(out.commit_sha, None);
    assert_eq!(out.changes[0].counts().added, 0);
    let asked = &repo.asked;
    let i = asked.iter().position(|k| *k == "read_file").unwrap();
    assert_eq!(&asked[i..i + 3], &["read_file", "commit_info", "read_file"]);
}

#[test]
fn damaged_manifest_and_oversized_file_are_refused_before_writing() {
    let mut repo = synced();
    repo.push(
        "gensync",
        &[("gen/.amplication/manifest", Some("garbage\n"))],
    );
    let b1 = build1();
    let err = drive(&mut repo, job(&b1), &b1).result.unwrap_err();
    assert!(
        matches!(err, Error::DamagedManifest { ref path, .. } if path == "gen/.amplication/manifest"),
        "{err}"
    );
    let mut j = job(&b1);
    j.services[0].large_files = vec![("big.bin".into(), 5000)];
    let err = drive(&mut repo, j, &b1).result.unwrap_err();
    assert!(err
        .to_string()
        .starts_with("big.bin in the build output is 5000 bytes, over the test limit"));
}

#[test]
fn head_moved_once_rebuilds_and_always_gives_up() {
    let mut repo = synced();
    repo.moves = 1;
    let b2 = build2();
    let run = drive(&mut repo, job(&b2), &b2);
    let out = run.result.unwrap();
    assert_eq!(out.attempts, 2);
    assert!(run
        .logs
        .iter()
        .any(|l| l == "gensync moved while we were committing: rebuilding on its new head"));
    // The other writer's file survives: the rebuild was on its head.
    assert!(repo.head_files("gensync").contains_key("other.txt"));

    let mut repo = synced();
    repo.moves = 99;
    let err = drive(&mut repo, job(&b2), &b2).result.unwrap_err();
    assert_eq!(
        err,
        Error::KeptMoving {
            branch: "gensync".into(),
            attempts: MAX_ATTEMPTS
        }
    );
    assert_eq!(
        repo.asked.iter().filter(|k| **k == "commit").count(),
        MAX_ATTEMPTS as usize
    );
}

#[test]
fn a_new_branch_someone_created_first_is_a_moved_head() {
    let mut repo = Repo::new(&[("README.md", "hi\n")]);
    repo.moves = 1;
    let b1 = build1();
    let out = drive(&mut repo, job(&b1), &b1).result.unwrap();
    assert_eq!(out.attempts, 2);
}

#[test]
fn a_lost_answer_is_confirmed_as_landed() {
    let mut repo = synced();
    repo.lose_next_commit = true;
    let b2 = build2();
    let run = drive(&mut repo, job(&b2), &b2);
    let out = run.result.unwrap();
    let landed = repo.unconfirmed.unwrap();
    assert_eq!(out.commit_sha, Some(landed.to_string()));
    assert_eq!(out.commit_via.as_deref(), Some(CONFIRMED_VIA));
    assert_eq!(out.attempts, 2);
    // The outcome lists what that commit carried, not the empty rebuild.
    assert!(!out.changes[0].is_empty());
    assert_eq!(out.operation, Operation::Updated);
    assert_eq!(repo.asked.iter().filter(|k| **k == "landed").count(), 1);
}

#[test]
fn a_rerun_finishes_a_run_that_died_after_its_commit() {
    let mut repo = synced();
    repo.prs.clear(); // the previous run committed, then died before its pull request
    let b1 = build1();
    let out = drive(&mut repo, job(&b1), &b1).result.unwrap();
    assert_eq!(out.operation, Operation::Created);
    assert_eq!(out.commit_sha, None);
    // A branch that holds what the base holds needs no pull request.
    let mut repo = synced();
    repo.prs.clear();
    let head = repo.branches["gensync"];
    repo.branches.insert("main".into(), head);
    let out = drive(&mut repo, job(&b1), &b1).result.unwrap();
    assert_eq!(out.operation, Operation::None);
    assert!(out.pull_request.is_none());
}

#[test]
fn a_target_without_pull_requests_stops_after_the_commit_with_a_note() {
    let mut repo = Repo::new(&[("README.md", "hi\n")]);
    repo.has_prs = false;
    let b1 = build1();
    let run = drive(&mut repo, job(&b1), &b1);
    let out = run.result.unwrap();
    assert_eq!(out.operation, Operation::None);
    assert!(out.commit_sha.is_some());
    assert_eq!(
        out.notes,
        vec!["no pull request: the target has none; review the branch with `git log --stat main..gensync`"]
    );
    assert!(!repo.asked.contains(&"find_pull_request"));
}

#[test]
fn options_the_target_lacks_are_dropped_with_a_note_when_the_pull_request_is_created() {
    let mut repo = Repo::new(&[("README.md", "hi\n")]);
    let b1 = build1();
    let mut job1 = job(&b1);
    job1.pull_request = PullRequestOptions {
        draft: true,
        labels: vec!["bot".into()],
        assignees: vec!["ann".into()],
        reviewers: vec!["bob".into()],
        team_reviewers: vec!["core".into()],
    };
    job1.capabilities.options = OptionSupport {
        labels: false,
        team_reviewers: false,
        ..OptionSupport::all("Test")
    };
    let run = drive(&mut repo, job1.clone(), &b1);
    let out = run.result.unwrap();
    assert_eq!(out.operation, Operation::Created);
    let notes = [
        "Test pull requests have no labels: --labels ignored",
        "Test pull requests have no team reviewers: --team-reviewers ignored",
    ];
    assert_eq!(out.notes, notes);
    assert!(notes.iter().all(|n| run.logs.iter().any(|l| l == n)));
    assert_eq!(
        repo.created_with.take().unwrap(),
        PullRequestOptions {
            draft: true,
            labels: vec![],
            assignees: vec!["ann".into()],
            reviewers: vec!["bob".into()],
            team_reviewers: vec![],
        }
    );
    // Updating the pull request carries no options: no note.
    let out = drive(&mut repo, job(&build2()), &build2()).result.unwrap();
    assert_eq!(out.operation, Operation::Updated);
    assert!(out.notes.is_empty(), "{:?}", out.notes);
    // Nothing unsupported given: no note.
    let mut fresh = Repo::new(&[("README.md", "hi\n")]);
    job1.pull_request = PullRequestOptions::default();
    let out = drive(&mut fresh, job1, &b1).result.unwrap();
    assert!(out.notes.is_empty());
}

#[test]
fn every_failure_at_every_step_ends_the_sync_saying_whether_the_commit_landed() {
    let kinds = [
        FailureKind::StaleHead,
        FailureKind::NotFound,
        FailureKind::Forbidden,
        FailureKind::Protected,
        FailureKind::Transient,
        FailureKind::LostAnswer,
        FailureKind::Other,
    ];
    let b2 = build2();
    let clean = synced();
    let mut probe = clean.clone();
    probe.push("gensync", &[("gen/b.ts", Some("one\ntwo\nthree-mine\n"))]);
    let base = probe.clone();
    drive(&mut probe, job(&b2), &b2).result.unwrap();
    let steps = probe.asked.len();
    assert!(steps >= 10, "{:?}", probe.asked);
    for n in 0..steps {
        for kind in kinds {
            let mut repo = base.clone();
            repo.fault = Some((n, Failure::new(kind, "injected")));
            let result = drive(&mut repo, job(&b2), &b2).result;
            let need = probe.asked[n];
            let commit_at = probe.asked.iter().position(|k| *k == "commit").unwrap();
            match (need, kind) {
                ("commit", FailureKind::StaleHead) => {
                    assert_eq!(result.unwrap().attempts, 2);
                }
                _ if n > commit_at => {
                    let err = result.unwrap_err();
                    let Error::LandedButPullRequestFailed {
                        commit,
                        branch,
                        failure,
                    } = &err
                    else {
                        panic!("{need} {kind:?}: {err}");
                    };
                    assert_eq!(commit, &repo.branches["gensync"].to_string());
                    assert_eq!(branch, "gensync");
                    assert_eq!(failure.kind, kind);
                    assert_eq!(err.committed(), Some(commit.as_str()));
                }
                _ => {
                    let err = result.unwrap_err();
                    assert_eq!(
                        err,
                        Error::Need {
                            need,
                            failure: Failure::new(kind, "injected")
                        }
                    );
                    assert_eq!(err.committed(), None);
                    if n < commit_at {
                        assert_eq!(repo.branches, base.branches, "{need} {kind:?}");
                    }
                }
            }
        }
    }
}

#[test]
fn an_answer_of_the_wrong_kind_is_a_protocol_error() {
    let b1 = build1();
    let mut sync = Sync::new(job(&b1)).unwrap();
    assert!(matches!(sync.poll_need(), Some(Need::Prepare { .. })));
    sync.handle(Answer::Updated {});
    let Some(Event::Failed { error }) = sync.poll_event() else {
        panic!("a failure")
    };
    assert_eq!(
        error,
        Error::Protocol {
            need: "prepare",
            answer: "updated"
        }
    );
    assert!(sync.poll_need().is_none());
}

#[test]
fn needs_answers_and_errors_have_their_json_forms() {
    let b1 = build1();
    let mut sync = Sync::new(job(&b1)).unwrap();
    let need = serde_json::to_value(sync.poll_need().unwrap()).unwrap();
    assert_eq!(need["kind"], "prepare");
    assert_eq!(need["branch"], "gensync");
    assert_eq!(
        need["paths"],
        serde_json::json!([
            ".amplicationignore",
            "gen/.amplication/manifest",
            "gen/.amplicationignore"
        ])
    );
    let answer: Answer = serde_json::from_str(r#"{"kind":"prepared"}"#).unwrap();
    sync.handle(answer);
    let answer: Answer =
        serde_json::from_str(r#"{"kind":"repository","default_branch":"main","empty":false}"#)
            .unwrap();
    assert_eq!(sync.poll_need(), Some(Need::Repository));
    sync.handle(answer);
    let need = serde_json::to_value(sync.poll_need().unwrap()).unwrap();
    assert_eq!(
        need,
        serde_json::json!({"kind": "branch_head", "branch": "main"})
    );
    let id = "0123456789012345678901234567890123456789";
    let head: Answer =
        serde_json::from_str(&format!(r#"{{"kind":"branch_head","id":"{id}"}}"#)).unwrap();
    assert_eq!(
        head,
        Answer::BranchHead {
            id: Some(ObjectId::from_hex(id.as_bytes()).unwrap())
        }
    );
    let file: Answer = serde_json::from_str(r#"{"kind":"file","content_base64":"aGk="}"#).unwrap();
    assert_eq!(
        file,
        Answer::File {
            content: Some(b"hi".to_vec())
        }
    );
    let none: Answer = serde_json::from_str(r#"{"kind":"file","content_base64":null}"#).unwrap();
    assert_eq!(none, Answer::File { content: None });
    let failure: Failure =
        serde_json::from_str(r#"{"kind":"stale_head","message":"moved"}"#).unwrap();
    assert_eq!(failure.kind, FailureKind::StaleHead);
    let err = Error::LandedButPullRequestFailed {
        commit: id.into(),
        branch: "gensync".into(),
        failure,
    };
    let json = serde_json::to_value(&err).unwrap();
    assert_eq!(json["kind"], "landed_but_pull_request_failed");
    assert_eq!(json["committed"], id);
    assert!(json["message"]
        .as_str()
        .unwrap()
        .ends_with("rerun to open the pull request: moved"));
}

#[test]
fn dry_run_plan_serializes_sources() {
    let mut repo = synced();
    let b2 = build2();
    let mut j = job(&b2);
    j.dry_run = true;
    let run = drive(&mut repo, j, &b2);
    let plan = serde_json::to_value(&run.plans[0]).unwrap();
    let c = plan["writes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["path"] == "gen/c.ts")
        .unwrap();
    assert_eq!(c["mode"], "100644");
    assert_eq!(
        c["source"],
        serde_json::json!({"generated": {"service": 0, "path": "c.ts"}})
    );
    let m = plan["writes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["path"] == "gen/.amplication/manifest")
        .unwrap();
    assert!(m["source"]["inline"]["content_base64"].is_string());
}

#[test]
fn classify_maps_statuses_and_codes_to_kinds() {
    let cases: [(Option<u16>, Option<&str>, FailureKind); 13] = [
        (Some(200), Some("STALE_DATA"), FailureKind::StaleHead),
        (
            Some(200),
            Some("Expected branch to point to \"abc\""),
            FailureKind::StaleHead,
        ),
        (
            Some(422),
            Some("Update is not a fast forward"),
            FailureKind::StaleHead,
        ),
        (Some(409), None, FailureKind::StaleHead),
        (Some(404), None, FailureKind::NotFound),
        (Some(410), None, FailureKind::NotFound),
        (Some(403), None, FailureKind::Forbidden),
        (
            Some(403),
            Some("Protected branch update failed"),
            FailureKind::Protected,
        ),
        (
            Some(422),
            Some("Repository rule violations found"),
            FailureKind::Protected,
        ),
        (
            Some(403),
            Some("BRANCH_PERMISSION_VIOLATED"),
            FailureKind::Protected,
        ),
        (Some(503), None, FailureKind::Transient),
        (None, None, FailureKind::Transient),
        (Some(400), Some("bad"), FailureKind::Other),
    ];
    for (status, code, kind) in cases {
        assert_eq!(classify(status, code), kind, "{status:?} {code:?}");
    }
}
