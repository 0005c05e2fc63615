//! The branch view planner (`gensync_core::branch_view`) against a canned host: which reads it
//! makes for each choice, and what the answers make of the view.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use gensync_core::branch_view::{
    anchor, list_folder, listed_mode, listing_pages, paths_to_read, Answer, BranchViewPlan, Error,
    History, HistoryCommit, Listed, Manifest, Origin, Outcome, Read, Scope,
};
use gensync_core::{hash_blob, BranchTree, HashKind, Mode, ObjectId, TreeEntry};
use serde_json::json;

fn id(n: u8) -> ObjectId {
    ObjectId::from_hex(format!("{n:02x}").repeat(20).as_bytes()).expect("hex")
}

fn blob(content: &str) -> ObjectId {
    hash_blob(HashKind::Sha1, content.as_bytes())
}

fn regular(content: &str) -> TreeEntry {
    TreeEntry {
        mode: Mode::Regular,
        oid: blob(content),
    }
}

fn tree(files: &[(&str, &str)]) -> BranchTree {
    files
        .iter()
        .map(|(p, c)| (p.to_string(), regular(c)))
        .collect()
}

fn set(paths: &[&str]) -> BTreeSet<String> {
    paths.iter().map(|p| p.to_string()).collect()
}

const START: u8 = 1;
const BASE: u8 = 2;
/// A gensync commit's message (its trailers).
const OURS: &str = "Sync build 7\n\nBuild-Id: 7\nGenerated-By: gensync";

/// A host: files by commit, the branch's history and diffstats; it records every read.
#[derive(Default)]
struct Host {
    files: HashMap<ObjectId, BTreeMap<String, (Mode, String)>>,
    history: Option<History>,
    diffstats: HashMap<(String, String), Vec<String>>,
    reads: Vec<Read>,
}

impl Host {
    fn with(mut self, commit: u8, files: &[(&str, Mode, &str)]) -> Self {
        self.files.insert(
            id(commit),
            files
                .iter()
                .map(|(p, m, c)| (p.to_string(), (*m, c.to_string())))
                .collect(),
        );
        self
    }

    fn listing(&self, commit: &ObjectId, dir: &str) -> Option<Vec<Listed>> {
        let files = self.files.get(commit)?;
        let prefix = if dir.is_empty() {
            String::new()
        } else {
            format!("{dir}/")
        };
        let mut out: BTreeMap<String, Option<Mode>> = BTreeMap::new();
        for (path, (mode, _)) in files.range(prefix.clone()..) {
            let Some(rest) = path.strip_prefix(&prefix) else {
                break;
            };
            match rest.split_once('/') {
                None => out.insert(path.clone(), Some(*mode)),
                Some((folder, _)) => out.insert(format!("{prefix}{folder}"), None),
            };
        }
        if out.is_empty() && !dir.is_empty() {
            return None;
        }
        Some(
            out.into_iter()
                .map(|(path, mode)| Listed { path, mode })
                .collect(),
        )
    }

    fn answer(&mut self, read: &Read) -> Answer {
        self.reads.push(read.clone());
        match read {
            Read::History { start, exclude } => {
                assert_eq!((*start, *exclude), (id(START), id(BASE)));
                Answer::History(self.history.clone().expect("a history"))
            }
            Read::Diffstat { top, below } => Answer::Diffstat(
                self.diffstats
                    .get(&(top.clone(), below.clone()))
                    .cloned()
                    .expect("a diffstat"),
            ),
            Read::Listing { commit, dir } => Answer::Listing(self.listing(commit, dir)),
            Read::Meta { commit, path } => {
                let file = self.files.get(commit).and_then(|f| f.get(path));
                Answer::Meta(file.map(|(mode, _)| *mode))
            }
            Read::Download { commit, path } => {
                let file = self.files.get(commit).and_then(|f| f.get(path));
                Answer::Download(file.map(|(_, c)| blob(c)))
            }
        }
    }
}

/// Runs the plan against `host`; no listing is ever asked twice.
fn drive(scope: Scope<'_>, host: &mut Host) -> Outcome {
    let mut plan = BranchViewPlan::new(scope);
    let mut listings = HashSet::new();
    while let Some(read) = plan.poll_read().expect("no error") {
        if let Read::Listing { commit, dir } = &read {
            assert!(
                listings.insert((*commit, dir.clone())),
                "listed twice: {read:?}"
            );
        }
        let answer = host.answer(&read);
        plan.handle(answer).expect("fits");
    }
    plan.finish().expect("finished")
}

fn scope<'a>(
    previous: &'a BranchTree,
    needed: &'a BTreeSet<String>,
    manifests: &'a [Manifest],
) -> Scope<'a> {
    Scope {
        start: id(START),
        base_head: id(BASE),
        previous,
        needed,
        manifests,
        listed: BTreeSet::new(),
    }
}

fn start_manifest() -> Vec<Manifest> {
    vec![Manifest {
        path: ".amplication/manifest".into(),
        origin: Origin::Start,
    }]
}

fn commit(hash: u8, message: &str, parent: u8) -> HistoryCommit {
    HistoryCommit {
        hash: id(hash).to_string(),
        message: message.into(),
        parents: vec![id(parent).to_string()],
    }
}

fn listing(commit: u8, dir: &str) -> Read {
    Read::Listing {
        commit: id(commit),
        dir: dir.into(),
    }
}

fn download(path: &str) -> Read {
    Read::Download {
        commit: id(START),
        path: path.into(),
    }
}

fn meta(path: &str) -> Read {
    Read::Meta {
        commit: id(START),
        path: path.into(),
    }
}

/// START (a person) → 4 (gensync) → BASE, and the manifest
/// absent at BASE: anchored, people touched what the diffstat START..4 says.
fn anchored_host(touched: &[&str], files: &[(&str, Mode, &str)]) -> Host {
    let mut host = Host::default()
        .with(START, files)
        .with(BASE, &[("README", Mode::Regular, "r")]);
    host.history = Some(History::Commits(vec![
        commit(START, "a person's edit", 4),
        commit(4, OURS, BASE),
    ]));
    host.diffstats.insert(
        (id(START).to_string(), id(4).to_string()),
        touched.iter().map(|t| t.to_string()).collect(),
    );
    host
}

#[test]
fn nothing_needed_reads_nothing_and_keeps_the_previous_build() {
    let previous = tree(&[("a", "1")]);
    let needed = BTreeSet::new();
    let manifests = start_manifest();
    let mut host = Host::default();
    let out = drive(scope(&previous, &needed, &manifests), &mut host);
    assert_eq!(out.view, previous);
    assert_eq!(out.anchored, None);
    assert!(host.reads.is_empty());
}

#[test]
fn first_sync_reads_no_history_and_walks_to_each_needed_path() {
    let previous = BranchTree::new();
    let needed = set(&["src/a.ts", "top.txt"]);
    let manifests = [Manifest {
        path: "manifest".into(),
        origin: Origin::None,
    }];
    let mut host = Host::default().with(
        START,
        &[
            ("src/a.ts", Mode::Regular, "a"),
            ("link", Mode::Symlink, "target"),
        ],
    );
    let out = drive(scope(&previous, &needed, &manifests), &mut host);
    assert_eq!(out.anchored, Some(true));
    assert!(out.notes.is_empty());
    assert_eq!(
        host.reads,
        vec![
            listing(START, ""),
            listing(START, "src"),
            // top.txt is absent from the root listing: only src/a.ts is downloaded.
            download("src/a.ts"),
        ]
    );
    assert_eq!(out.view, tree(&[("src/a.ts", "a")]));
}

#[test]
fn anchored_history_reads_only_touched_and_new_paths() {
    // x changed by the generator, untouched: the previous build stands for it. y generated
    // and touched by a person: read (a preserved edit). n new in this build: read.
    let previous = tree(&[("x", "x1"), ("y", "y1")]);
    let needed = set(&["n", "x"]);
    let manifests = start_manifest();
    let mut host = anchored_host(
        &["y"],
        &[
            ("x", Mode::Regular, "x1"),
            ("y", Mode::Executable, "y2"),
            (".amplication/manifest", Mode::Regular, "m"),
        ],
    );
    let out = drive(scope(&previous, &needed, &manifests), &mut host);
    assert_eq!(out.anchored, Some(true));
    assert_eq!(
        host.reads,
        vec![
            Read::History {
                start: id(START),
                exclude: id(BASE)
            },
            Read::Diffstat {
                top: id(START).to_string(),
                below: id(4).to_string()
            },
            // Is the manifest absent where the anchor starts? (BASE has no .amplication.)
            listing(BASE, ".amplication"),
            // The root: 2 entries = 1 page, 2 paths read: one listing.
            listing(START, ""),
            download("y"),
        ]
    );
    let mut want = previous.clone();
    want.insert(
        "y".into(),
        TreeEntry {
            mode: Mode::Executable,
            oid: blob("y2"),
        },
    );
    assert_eq!(out.view, want, "n is absent, y as edited, x as generated");
}

#[test]
fn a_manifest_present_before_the_anchor_proves_nothing() {
    let previous = tree(&[("x", "x1")]);
    let needed = set(&["x"]);
    let manifests = start_manifest();
    let mut host = anchored_host(&[], &[("x", Mode::Regular, "x2")]);
    host = host.with(BASE, &[(".amplication/manifest", Mode::Regular, "m")]);
    let out = drive(scope(&previous, &needed, &manifests), &mut host);
    assert_eq!(out.anchored, Some(false));
    assert_eq!(out.notes.len(), 1, "{:?}", out.notes);
    assert_eq!(out.view, tree(&[("x", "x2")]));
}

#[test]
fn a_touched_manifest_proves_nothing_and_is_not_looked_up() {
    let previous = tree(&[("x", "x1")]);
    let needed = set(&["x"]);
    let manifests = start_manifest();
    let mut host = anchored_host(&[".amplication/manifest"], &[("x", Mode::Regular, "x2")]);
    let out = drive(scope(&previous, &needed, &manifests), &mut host);
    assert_eq!(out.anchored, Some(false));
    assert!(!host
        .reads
        .iter()
        .any(|r| matches!(r, Read::Listing { commit, .. } if *commit == id(BASE))));
}

#[test]
fn a_manifest_from_the_base_branch_reads_every_needed_path() {
    let previous = tree(&[("x", "x1"), ("z", "z1")]);
    let needed = set(&["x", "z"]);
    let manifests = [Manifest {
        path: "m".into(),
        origin: Origin::Base,
    }];
    let mut host = anchored_host(&[], &[("x", Mode::Regular, "x1")]);
    let out = drive(scope(&previous, &needed, &manifests), &mut host);
    assert_eq!(out.anchored, Some(false));
    assert_eq!(
        out.notes,
        vec!["no gensync commit on the sync branch proves the previous build: reading every path the build changes"]
    );
    assert_eq!(out.view, tree(&[("x", "x1")]), "z deleted on the branch");
}

#[test]
fn a_too_long_history_is_not_walked() {
    let previous = tree(&[("x", "x1")]);
    let needed = set(&["x"]);
    let manifests = start_manifest();
    let mut host = Host::default().with(START, &[("x", Mode::Regular, "x1")]);
    host.history = Some(History::Truncated { limit: 1000 });
    let out = drive(scope(&previous, &needed, &manifests), &mut host);
    assert_eq!(out.anchored, Some(false));
    assert_eq!(
        out.notes[0],
        "the sync branch has over 1000 commits of its own: reading every changed path instead of its history"
    );
    assert!(!host
        .reads
        .iter()
        .any(|r| matches!(r, Read::Diffstat { .. })));
}

#[test]
fn a_branch_without_gensync_commits_or_history_is_unanchored() {
    for history in [
        History::Missing,
        History::Commits(vec![commit(START, "a person's edit", BASE)]),
    ] {
        let previous = tree(&[("x", "x1")]);
        let needed = set(&["x"]);
        let manifests = start_manifest();
        let mut host = Host::default().with(START, &[("x", Mode::Regular, "x1")]);
        host.history = Some(history);
        let out = drive(scope(&previous, &needed, &manifests), &mut host);
        assert_eq!(out.anchored, Some(false));
        assert_eq!(out.view, previous);
    }
}

#[test]
fn the_branch_at_the_base_head_has_no_history_to_read() {
    let previous = tree(&[("x", "x1")]);
    let needed = set(&["x"]);
    let manifests = start_manifest();
    let mut host = Host::default().with(START, &[("x", Mode::Regular, "x1")]);
    let mut s = scope(&previous, &needed, &manifests);
    s.base_head = id(START);
    let out = drive(s, &mut host);
    assert_eq!(out.anchored, Some(false));
    assert!(!host.reads.iter().any(|r| matches!(r, Read::History { .. })));
}

#[test]
fn per_folder_a_listing_or_a_lookup_whichever_costs_fewer_requests() {
    // gen/ has 250 entries in the previous build: a listing takes 3 pages.
    let names: Vec<String> = (0..250).map(|i| format!("gen/f{i:03}")).collect();
    let files: Vec<(&str, &str)> = names.iter().map(|n| (n.as_str(), "1")).collect();
    let previous = tree(&files);
    assert_eq!(listing_pages(&previous, "gen"), 3);
    assert_eq!(listing_pages(&previous, ""), 1, "one folder at the root");
    assert_eq!(listing_pages(&previous, "none"), 1);
    assert!(!list_folder(&previous, "gen", 2, false));
    assert!(list_folder(&previous, "gen", 3, false));
    assert!(
        list_folder(&previous, "gen", 1, true),
        "a listing held costs nothing"
    );

    let manifests = start_manifest();
    let host_files: Vec<(&str, Mode, &str)> = names
        .iter()
        .map(|n| (n.as_str(), Mode::Regular, "2"))
        .collect();
    for (touched, want_metas, want_listings) in [
        (vec!["gen/f001", "gen/f002"], 2, 1),
        (vec!["gen/f001", "gen/f002", "gen/f003"], 0, 2),
    ] {
        let needed: BTreeSet<String> = touched.iter().map(|t| t.to_string()).collect();
        let mut host = anchored_host(&touched, &host_files);
        let out = drive(scope(&previous, &needed, &manifests), &mut host);
        let metas = host
            .reads
            .iter()
            .filter(|r| matches!(r, Read::Meta { .. }))
            .count();
        let listings = host
            .reads
            .iter()
            .filter(|r| matches!(r, Read::Listing { .. }))
            .count();
        assert_eq!(
            (metas, listings),
            (want_metas, want_listings),
            "{touched:?}"
        );
        for t in &touched {
            assert_eq!(out.view[*t], regular("2"));
        }
    }
}

#[test]
fn a_folder_listed_before_is_read_by_listing() {
    let names: Vec<String> = (0..250).map(|i| format!("gen/f{i:03}")).collect();
    let files: Vec<(&str, &str)> = names.iter().map(|n| (n.as_str(), "1")).collect();
    let previous = tree(&files);
    let needed = set(&["gen/f001"]);
    let manifests = start_manifest();
    let mut host = anchored_host(&["gen/f001"], &[("gen/f001", Mode::Regular, "2")]);
    let mut s = scope(&previous, &needed, &manifests);
    s.listed = set(&["gen"]);
    drive(s, &mut host);
    assert!(host.reads.contains(&listing(START, "gen")));
    assert!(!host.reads.iter().any(|r| matches!(r, Read::Meta { .. })));
}

#[test]
fn a_lookup_that_finds_nothing_or_a_folder_downloads_nothing() {
    let names: Vec<String> = (0..250).map(|i| format!("gen/f{i:03}")).collect();
    let files: Vec<(&str, &str)> = names.iter().map(|n| (n.as_str(), "1")).collect();
    let previous = tree(&files);
    let needed = set(&["gen/f001"]);
    let manifests = start_manifest();
    let mut host = anchored_host(&["gen/f001"], &[("other", Mode::Regular, "o")]);
    let out = drive(scope(&previous, &needed, &manifests), &mut host);
    assert_eq!(host.reads.last(), Some(&meta("gen/f001")));
    assert!(!out.view.contains_key("gen/f001"), "deleted on the branch");
}

#[test]
fn anchored_a_touched_file_above_a_needed_path_blocks_it() {
    // A person replaced the folder gen/ with a file gen: the diffstat names both.
    let previous = tree(&[("gen/a.ts", "a1"), ("gen/b.ts", "b1")]);
    let needed = set(&["gen/a.ts"]);
    let manifests = start_manifest();
    let mut host = anchored_host(
        &["gen", "gen/a.ts", "gen/b.ts"],
        &[("gen", Mode::Regular, "a file")],
    );
    let out = drive(scope(&previous, &needed, &manifests), &mut host);
    assert_eq!(out.anchored, Some(true));
    assert_eq!(out.view, tree(&[("gen", "a file")]));
    // Nothing below the file is asked for.
    assert!(!host.reads.iter().any(|r| match r {
        Read::Listing { dir, .. } => dir.starts_with("gen"),
        Read::Meta { path, .. } | Read::Download { path, .. } => path.starts_with("gen/"),
        _ => false,
    }));
}

#[test]
fn anchored_a_touched_file_below_a_needed_path_is_read() {
    // The generator now writes a file `doc` where a person created doc/notes.md.
    let previous = tree(&[("x", "x1")]);
    let needed = set(&["doc"]);
    let manifests = start_manifest();
    let mut host = anchored_host(&["doc/notes.md"], &[("doc/notes.md", Mode::Regular, "n")]);
    let out = drive(scope(&previous, &needed, &manifests), &mut host);
    assert_eq!(out.view["doc/notes.md"], regular("n"));
    assert!(!out.view.contains_key("doc"));
}

#[test]
fn unanchored_a_file_above_and_a_folder_at_needed_paths_are_found() {
    let previous = tree(&[("lib/a.ts", "a1"), ("out", "o1")]);
    let needed = set(&["lib/a.ts", "out"]);
    let manifests = [Manifest {
        path: "m".into(),
        origin: Origin::Base,
    }];
    let mut host = anchored_host(
        &[],
        &[
            ("lib", Mode::Regular, "a file"),
            ("out/one", Mode::Regular, "1"),
            ("out/deep/two", Mode::Executable, "2"),
            ("out/link", Mode::Symlink, "one"),
        ],
    );
    let out = drive(scope(&previous, &needed, &manifests), &mut host);
    assert_eq!(out.anchored, Some(false));
    let mut want = tree(&[("lib", "a file"), ("out/one", "1")]);
    want.insert(
        "out/deep/two".into(),
        TreeEntry {
            mode: Mode::Executable,
            oid: blob("2"),
        },
    );
    want.insert(
        "out/link".into(),
        TreeEntry {
            mode: Mode::Symlink,
            oid: blob("one"),
        },
    );
    assert_eq!(out.view, want);
    assert!(!host.reads.contains(&download("lib/a.ts")), "below a file");
}

#[test]
fn unanchored_a_missing_folder_ends_the_walk() {
    let previous = tree(&[("a/b/c/d.ts", "1")]);
    let needed = set(&["a/b/c/d.ts"]);
    let manifests = [Manifest {
        path: "m".into(),
        origin: Origin::Base,
    }];
    let mut host = anchored_host(&[], &[("README", Mode::Regular, "r")]);
    let out = drive(scope(&previous, &needed, &manifests), &mut host);
    assert!(out.view.is_empty());
    // The root says a/ is missing: the walk stops; the path's own folder is still listed
    // (the caller answers a folder below a missing one without a request).
    assert_eq!(
        host.reads
            .iter()
            .filter(|r| matches!(r, Read::Download { .. }))
            .count(),
        0
    );
}

#[test]
fn anchors_are_the_oldest_gensync_commit_and_runs_the_people_above_it() {
    // Newest first: P1 G1 P2 P3 G2 (oldest gensync) P4 → base 9.
    let commits = vec![
        commit(10, "p1", 11),
        commit(11, OURS, 12),
        commit(12, "p2", 13),
        commit(13, "p3", 14),
        commit(14, OURS, 15),
        commit(15, "p4", 9),
    ];
    let a = anchor(&commits, &id(10).to_string()).unwrap().unwrap();
    assert_eq!(a.parent, id(15));
    assert_eq!(
        a.runs,
        vec![
            (id(10).to_string(), id(11).to_string()),
            (id(12).to_string(), id(14).to_string()),
        ]
    );
    // The oldest gensync commit's parent is off the branch: the base's commit below it.
    let a = anchor(&commits[..5], &id(10).to_string()).unwrap().unwrap();
    assert_eq!(a.parent, id(15));
    // A root gensync commit: nothing to compare with.
    let root = vec![HistoryCommit {
        hash: id(10).to_string(),
        message: OURS.into(),
        parents: vec![],
    }];
    assert_eq!(anchor(&root, &id(10).to_string()), Ok(None));
    // Merges are walked along first parents only.
    let merge = vec![
        HistoryCommit {
            hash: id(10).to_string(),
            message: "merge".into(),
            parents: vec![id(11).to_string(), id(20).to_string()],
        },
        commit(20, OURS, 9),
        commit(11, "p", 9),
    ];
    assert_eq!(anchor(&merge, &id(10).to_string()), Ok(None));
    let bad = vec![HistoryCommit {
        hash: id(10).to_string(),
        message: OURS.into(),
        parents: vec!["not-a-hash".into()],
    }];
    assert_eq!(
        anchor(&bad, &id(10).to_string()),
        Err(Error::InvalidHash {
            hash: "not-a-hash".into()
        })
    );
}

#[test]
fn paths_read_are_touched_new_or_all_when_unanchored() {
    let previous = tree(&[("g1", "1"), ("g2", "2"), ("g3", "3")]);
    let needed = set(&["g1", "g2", "new"]);
    let touched = set(&["g2", "g3", "person"]);
    assert_eq!(
        paths_to_read(&needed, &previous, &touched, true),
        set(&["g2", "g3", "new"])
    );
    assert_eq!(
        paths_to_read(&needed, &previous, &touched, false),
        set(&["g1", "g2", "g3", "new"])
    );
}

#[test]
fn listed_modes_follow_bitbucket_types_and_attributes() {
    assert_eq!(listed_mode("commit_file", &json!([])), Some(Mode::Regular));
    assert_eq!(
        listed_mode("commit_file", &json!(null)),
        Some(Mode::Regular)
    );
    assert_eq!(
        listed_mode("commit_file", &json!(["executable"])),
        Some(Mode::Executable)
    );
    assert_eq!(
        listed_mode("commit_file", &json!("link")),
        Some(Mode::Symlink)
    );
    assert_eq!(listed_mode("commit_file", &json!(["subrepository"])), None);
    assert_eq!(listed_mode("commit_directory", &json!([])), None);
}

#[test]
fn a_wrong_answer_or_an_early_finish_is_an_error() {
    let previous = BranchTree::new();
    let needed = set(&["a"]);
    let mut plan = BranchViewPlan::new(scope(&previous, &needed, &[]));
    let read = plan.poll_read().unwrap().expect("a read");
    assert_eq!(read, listing(START, ""));
    assert_eq!(
        plan.poll_read().unwrap(),
        Some(read.clone()),
        "repeated until answered"
    );
    assert!(matches!(
        plan.handle(Answer::Meta(None)),
        Err(Error::UnexpectedAnswer { expected: Some(r), .. }) if r == read
    ));
    assert!(matches!(plan.finish(), Err(Error::Unfinished)));
}
