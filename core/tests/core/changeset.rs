//! One test per rule of DESIGN section 2, named after the rule.

use gensync_core::changeset::{
    self, ChangeKind, ChangeSet, ConflictKind, ConflictState, Content, Error, Options,
};
use gensync_core::merge::{MergeLabels, Side};
use gensync_core::{
    hash_blob, BuildManifest, ConflictPolicy, HashKind, IgnoreRules, Mode, ObjectId,
};

use super::{branch, manifest, snap};

fn paths(list: &[gensync_core::changeset::FileChange]) -> Vec<&str> {
    list.iter().map(|f| f.path.as_str()).collect()
}

fn write_paths(c: &ChangeSet) -> Vec<&str> {
    c.writes().iter().map(|w| w.path.as_str()).collect()
}

fn oid(s: &str) -> ObjectId {
    hash_blob(HashKind::Sha1, s.as_bytes())
}

fn compute(
    p: &[(&str, &str)],
    n: &[(&str, &str)],
    b: Option<&[(&str, &str)]>,
    opts: &Options,
) -> Result<ChangeSet, Error> {
    let b = b.map(branch);
    changeset::compute(
        &manifest(p),
        &snap(n),
        &IgnoreRules::new(),
        b.as_ref(),
        opts,
    )
}

/// Resolve pending conflicts with contents looked up among the given texts.
fn resolve(c: &mut ChangeSet, texts: &[&str]) -> Result<(), Error> {
    let texts: Vec<String> = texts.iter().map(|t| t.to_string()).collect();
    c.resolve_conflicts(
        &mut |id| {
            texts
                .iter()
                .find(|t| oid(t) == *id)
                .map(|t| t.clone().into_bytes())
        },
        MergeLabels::default(),
    )
}

#[test]
fn added_are_paths_in_new_build_not_in_previous_manifest() {
    let c = compute(
        &[("a", "1")],
        &[("a", "1"), ("b", "2")],
        None,
        &Options::default(),
    )
    .unwrap();
    assert_eq!(paths(&c.added), ["b"]);
    assert!(c.modified.is_empty() && c.deleted.is_empty());
    assert_eq!(write_paths(&c), ["b"]);
}

#[test]
fn modified_are_paths_in_both_whose_blob_id_differs() {
    let c = compute(
        &[("a", "1"), ("b", "2")],
        &[("a", "1"), ("b", "3")],
        None,
        &Options::default(),
    )
    .unwrap();
    assert_eq!(paths(&c.modified), ["b"]);
    assert_eq!(c.modified[0].previous_oid, Some(oid("2")));
    assert_eq!(c.modified[0].oid, oid("3"));
}

#[test]
fn mode_change_counts_as_modified() {
    let p = manifest(&[("run.sh", "x")]);
    let mut n = gensync_core::Snapshot::new(HashKind::Sha1);
    n.insert_data("run.sh", Mode::Executable, b"x".to_vec())
        .unwrap();
    let c = changeset::compute(&p, &n, &IgnoreRules::new(), None, &Options::default()).unwrap();
    assert_eq!(paths(&c.modified), ["run.sh"]);
    assert_eq!(c.modified[0].previous_mode, Some(Mode::Regular));
    assert_eq!(c.writes()[0].mode, Mode::Executable);
}

#[test]
fn deleted_are_paths_in_previous_manifest_not_in_new_build() {
    let c = compute(
        &[("a", "1"), ("b", "2")],
        &[("a", "1")],
        None,
        &Options::default(),
    )
    .unwrap();
    assert_eq!(paths(&c.deleted), ["b"]);
    assert_eq!(c.deletions(), ["b"]);
}

#[test]
fn renames_pair_a_deleted_and_an_added_path_with_the_same_blob_id() {
    let c = compute(
        &[("old/x", "same"), ("y", "1")],
        &[("new/x", "same"), ("y", "1")],
        None,
        &Options::default(),
    )
    .unwrap();
    assert_eq!(c.renamed.len(), 1);
    assert_eq!(
        (c.renamed[0].from.as_str(), c.renamed[0].to.as_str()),
        ("old/x", "new/x")
    );
    assert!(
        c.added.is_empty() && c.deleted.is_empty(),
        "renamed paths are not listed twice"
    );
    // The commit is the same as a delete plus an add.
    assert_eq!(write_paths(&c), ["new/x"]);
    assert_eq!(c.deletions(), ["old/x"]);
}

#[test]
fn ignored_paths_are_dropped_from_all_lists_and_reported() {
    let ignore = IgnoreRules::from_bytes(b"keep/\n*.local\n");
    let p = manifest(&[("keep/a", "1"), ("gone.local", "x"), ("b", "1")]);
    let n = snap(&[("keep/a", "2"), ("keep/new", "n"), ("b", "2")]);
    let c = changeset::compute(&p, &n, &ignore, None, &Options::default()).unwrap();
    assert_eq!(paths(&c.modified), ["b"]);
    assert!(c.added.is_empty() && c.deleted.is_empty());
    let ignored: Vec<_> = c
        .ignored
        .iter()
        .map(|i| (i.path.as_str(), i.change))
        .collect();
    assert_eq!(
        ignored,
        [
            ("gone.local", ChangeKind::Deleted),
            ("keep/a", ChangeKind::Modified),
            ("keep/new", ChangeKind::Added)
        ]
    );
    assert_eq!(write_paths(&c), ["b"]);
    assert!(c.deletions().is_empty());
}

#[test]
fn ignored_to_writes_the_new_version_of_ignored_files_to_a_side_folder() {
    let ignore = IgnoreRules::from_bytes(b"src/app.ts\n");
    let opts = Options {
        ignored_to: Some(".amplication/ignored".into()),
        ..Default::default()
    };
    let c = changeset::compute(
        &manifest(&[("src/app.ts", "1")]),
        &snap(&[("src/app.ts", "2")]),
        &ignore,
        None,
        &opts,
    )
    .unwrap();
    assert_eq!(write_paths(&c), [".amplication/ignored/src/app.ts"]);
    assert_eq!(
        c.writes()[0].content,
        Content::Generated("src/app.ts".into())
    );
    assert_eq!(
        c.ignored[0].copied_to.as_deref(),
        Some(".amplication/ignored/src/app.ts")
    );
}

#[test]
fn unchanged_path_is_not_touched_even_when_the_branch_differs() {
    let c = compute(
        &[("a", "gen"), ("b", "1")],
        &[("a", "gen"), ("b", "2")],
        Some(&[("a", "edited by a person"), ("b", "1")]),
        &Options::default(),
    )
    .unwrap();
    assert_eq!(write_paths(&c), ["b"]);
    assert_eq!(c.preserved_edits, ["a"]);
}

#[test]
fn write_whose_blob_already_equals_the_branch_is_dropped() {
    let c = compute(
        &[("a", "1")],
        &[("a", "2"), ("b", "3")],
        Some(&[("a", "2"), ("b", "3")]),
        &Options::default(),
    )
    .unwrap();
    assert!(c.is_empty());
    assert_eq!(c.already_on_branch, ["a", "b"]);
}

#[test]
fn deletion_of_a_path_absent_from_the_branch_is_dropped() {
    let c = compute(
        &[("a", "1"), ("b", "1")],
        &[("a", "1")],
        Some(&[("a", "1")]),
        &Options::default(),
    )
    .unwrap();
    assert!(c.deletions().is_empty());
    assert!(c.is_empty(), "nothing left: no commit");
}

#[test]
fn same_build_twice_leaves_nothing_to_commit() {
    let files = [("a", "1"), ("b/c", "2")];
    let c = compute(&files, &files, Some(&files), &Options::default()).unwrap();
    assert!(c.is_empty());
    assert_eq!(c.counts(), Default::default());
}

#[test]
fn deletions_only_of_paths_the_previous_manifest_lists() {
    // A person added `mine.txt` on the branch; the generator never produced it.
    let c = compute(
        &[("a", "1")],
        &[("a", "2")],
        Some(&[("a", "1"), ("mine.txt", "hi")]),
        &Options::default(),
    )
    .unwrap();
    assert!(c.deletions().is_empty());
    assert_eq!(write_paths(&c), ["a"]);
}

#[test]
fn deletions_and_writes_only_inside_the_target_dir() {
    let opts = Options {
        target_dir: "apps/orders".into(),
        ..Default::default()
    };
    let c = compute(
        &[("a", "1"), ("gone", "x")],
        &[("a", "2")],
        Some(&[
            ("apps/orders/a", "1"),
            ("apps/orders/gone", "x"),
            ("apps/billing/a", "1"),
            ("gone", "x"),
        ]),
        &opts,
    )
    .unwrap();
    assert_eq!(write_paths(&c), ["apps/orders/a"]);
    assert_eq!(c.deletions(), ["apps/orders/gone"]);
    assert_eq!(c.manifest_path, "apps/orders/.amplication/manifest");
}

#[test]
fn empty_build_is_refused_unless_allowed() {
    let err = compute(&[("a", "1")], &[], None, &Options::default()).unwrap_err();
    assert_eq!(err, Error::EmptyBuild);
    assert!(err.to_string().contains("--allow-empty"));
    let opts = Options {
        allow_empty: true,
        ..Default::default()
    };
    assert_eq!(
        compute(&[("a", "1")], &[], None, &opts)
            .unwrap()
            .deletions(),
        ["a"]
    );
}

#[test]
fn manifest_path_is_reserved_in_the_build_output() {
    let err = compute(
        &[],
        &[(".amplication/manifest", "x")],
        None,
        &Options::default(),
    )
    .unwrap_err();
    assert!(matches!(err, Error::ReservedPath { .. }), "{err}");
}

#[test]
fn new_manifest_records_every_generated_file_including_ignored_ones() {
    let ignore = IgnoreRules::from_bytes(b"x\n");
    let next = snap(&[("x", "1"), ("y", "2")]);
    let c = changeset::compute(&manifest(&[]), &next, &ignore, None, &Options::default()).unwrap();
    assert!(c.writes().iter().all(|w| w.path != "x"));
    assert_eq!(
        BuildManifest::from_owned_snapshot(next.clone()),
        BuildManifest::from_snapshot(&next)
    );
    let text = BuildManifest::text_of(&next);
    assert_eq!(text, BuildManifest::from_snapshot(&next).to_text());
    assert_eq!(BuildManifest::parse(text.as_bytes()).unwrap().len(), 2);
    assert!(text.contains(" x\n"));
}

#[test]
fn first_sync_overwrites_existing_branch_files_without_conflict() {
    let c = compute(
        &[],
        &[("README.md", "generated")],
        Some(&[("README.md", "# repo")]),
        &Options::default(),
    )
    .unwrap();
    assert!(c.conflicts.is_empty());
    assert_eq!(write_paths(&c), ["README.md"]);
}

const BASE: &str = "a\nb\nc\nd\ne\nf\ng\n";
const PERSON: &str = "a\nPERSON\nc\nd\ne\nf\ng\n";
const GEN_FAR: &str = "a\nb\nc\nd\ne\nf\nGEN\n";
const GEN_NEAR: &str = "a\nGEN\nc\nd\ne\nf\ng\n";

fn conflict_case(generated: &str, policy: ConflictPolicy) -> Result<ChangeSet, Error> {
    let opts = Options {
        conflicts: policy,
        ..Default::default()
    };
    let mut c = compute(
        &[("f.ts", BASE)],
        &[("f.ts", generated)],
        Some(&[("f.ts", PERSON)]),
        &opts,
    )?;
    assert_eq!(c.conflicts.len(), 1);
    assert_eq!(c.conflicts[0].kind, ConflictKind::BothModified);
    assert_eq!(
        c.blobs_needed().len(),
        3,
        "only the conflicting path's three blobs are needed"
    );
    resolve(&mut c, &[BASE, PERSON, generated])?;
    Ok(c)
}

fn written(c: &ChangeSet) -> String {
    match &c.writes()[0].content {
        Content::Merged(d) => String::from_utf8(d.clone()).unwrap(),
        Content::Generated(p) => format!("<generated {p}>"),
    }
}

#[test]
fn conflict_with_a_clean_merge_keeps_the_persons_and_the_generators_edits() {
    let c = conflict_case(GEN_FAR, ConflictPolicy::Markers).unwrap();
    assert_eq!(written(&c), "a\nPERSON\nc\nd\ne\nf\nGEN\n");
    assert_eq!(c.conflicts[0].state, ConflictState::Merged);
    assert_eq!(paths(&c.modified), ["f.ts"]);
}

#[test]
fn conflict_overlapping_under_markers_commits_markers_and_lists_the_path() {
    let c = conflict_case(GEN_NEAR, ConflictPolicy::Markers).unwrap();
    let text = written(&c);
    assert!(
        text.contains("<<<<<<< branch\nPERSON\n=======\nGEN\n>>>>>>> new build\n"),
        "{text}"
    );
    assert_eq!(c.conflicts[0].state, ConflictState::Markers);
    // Issue 13: the summary names the kind as the JSON output does, not its Rust name.
    let summary = gensync_core::message::summary_markdown(&[&c]);
    assert!(
        summary.contains("- `f.ts` (both-modified): **conflict markers committed"),
        "{summary}"
    );
    for kind in [
        ConflictKind::BothModified,
        ConflictKind::BothAdded,
        ConflictKind::DeletedByGenerator,
        ConflictKind::DeletedOnBranch,
        ConflictKind::FileFolder,
    ] {
        let json = serde_json::to_value(kind).expect("a kind serialises");
        assert_eq!(json.as_str(), Some(kind.as_str()));
    }
}

#[test]
fn conflict_overlapping_under_generated_takes_the_generated_hunk() {
    let c = conflict_case(GEN_NEAR, ConflictPolicy::Generated).unwrap();
    assert_eq!(written(&c), "<generated f.ts>");
    assert_eq!(
        c.conflicts[0].state,
        ConflictState::Resolved {
            kept: Side::Generated
        }
    );
}

#[test]
fn conflict_overlapping_under_branch_keeps_the_branch_hunk() {
    let c = conflict_case(GEN_NEAR, ConflictPolicy::Branch).unwrap();
    assert!(
        c.writes().is_empty(),
        "the result equals the branch: nothing to write"
    );
    assert_eq!(
        c.conflicts[0].state,
        ConflictState::Resolved { kept: Side::Branch }
    );
}

#[test]
fn conflict_overlapping_under_fail_refuses_naming_the_path() {
    let err = conflict_case(GEN_NEAR, ConflictPolicy::Fail).unwrap_err();
    assert_eq!(
        err,
        Error::Conflicts {
            paths: vec!["f.ts".into()]
        }
    );
    // A clean merge is not a failure even under `fail`.
    conflict_case(GEN_FAR, ConflictPolicy::Fail).unwrap();
}

#[test]
fn conflict_file_deleted_by_the_generator_but_edited_on_the_branch_is_kept_and_reported() {
    let c = compute(
        &[("a", "1"), ("b", "2")],
        &[("b", "2")],
        Some(&[("a", "edited"), ("b", "2")]),
        &Options::default(),
    )
    .unwrap();
    assert!(c.deletions().is_empty());
    assert_eq!(c.conflicts[0].kind, ConflictKind::DeletedByGenerator);
    assert_eq!(
        c.conflicts[0].state,
        ConflictState::Resolved { kept: Side::Branch }
    );
    let generated_wins = Options {
        conflicts: ConflictPolicy::Generated,
        ..Default::default()
    };
    let c = compute(
        &[("a", "1"), ("b", "2")],
        &[("b", "2")],
        Some(&[("a", "edited"), ("b", "2")]),
        &generated_wins,
    )
    .unwrap();
    assert_eq!(c.deletions(), ["a"]);
}

#[test]
fn conflict_file_changed_by_the_generator_but_deleted_on_the_branch_follows_the_policy() {
    let c = compute(&[("a", "1")], &[("a", "2")], Some(&[]), &Options::default()).unwrap();
    assert_eq!(c.conflicts[0].kind, ConflictKind::DeletedOnBranch);
    assert_eq!(
        write_paths(&c),
        ["a"],
        "markers: the new version comes back, reported"
    );
    let keep_deleted = Options {
        conflicts: ConflictPolicy::Branch,
        ..Default::default()
    };
    assert!(
        compute(&[("a", "1")], &[("a", "2")], Some(&[]), &keep_deleted)
            .unwrap()
            .is_empty()
    );
    let fail = Options {
        conflicts: ConflictPolicy::Fail,
        ..Default::default()
    };
    assert!(matches!(
        compute(&[("a", "1")], &[("a", "2")], Some(&[]), &fail),
        Err(Error::Conflicts { .. })
    ));
}

#[test]
fn conflict_file_added_by_the_generator_where_a_person_created_one_is_merged() {
    let mut c = compute(
        &[("x", "1")],
        &[("x", "1"), ("new", "gen\n")],
        Some(&[("x", "1"), ("new", "mine\n")]),
        &Options::default(),
    )
    .unwrap();
    assert_eq!(c.conflicts[0].kind, ConflictKind::BothAdded);
    resolve(&mut c, &["gen\n", "mine\n"]).unwrap();
    assert_eq!(c.conflicts[0].state, ConflictState::Markers);
    assert!(written(&c).contains("mine\n=======\ngen\n"));
}

#[test]
fn conflict_both_added_with_other_modes_takes_the_mode_of_the_side_that_wins() {
    // A person created an executable where the generator now adds a regular file.
    for (policy, kept_mode) in [
        (ConflictPolicy::Branch, Mode::Executable),
        (ConflictPolicy::Generated, Mode::Regular),
    ] {
        let mut tree = branch(&[("x", "1"), ("new", "mine\n")]);
        tree.get_mut("new").expect("listed").mode = Mode::Executable;
        let opts = Options {
            conflicts: policy,
            ..Default::default()
        };
        let mut c = changeset::compute(
            &manifest(&[("x", "1")]),
            &snap(&[("x", "1"), ("new", "gen\n")]),
            &IgnoreRules::new(),
            Some(&tree),
            &opts,
        )
        .unwrap();
        assert_eq!(c.conflicts[0].kind, ConflictKind::BothAdded);
        resolve(&mut c, &["gen\n", "mine\n"]).unwrap();
        let modes: Vec<Mode> = c.writes().iter().map(|w| w.mode).collect();
        match policy {
            // The branch already has the person's file and mode: nothing to write.
            ConflictPolicy::Branch => assert!(modes.is_empty(), "{modes:?}"),
            _ => assert_eq!(modes, [kept_mode]),
        }
    }
}

#[test]
fn conflict_missing_blob_is_an_error_naming_it() {
    let opts = Options::default();
    let mut c = compute(
        &[("f", BASE)],
        &[("f", GEN_NEAR)],
        Some(&[("f", PERSON)]),
        &opts,
    )
    .unwrap();
    let err = c
        .resolve_conflicts(&mut |_| None, MergeLabels::default())
        .unwrap_err();
    assert!(
        matches!(err, Error::MissingBlob { ref path, .. } if path == "f"),
        "{err}"
    );
}

/// The file/folder conflicts of a change set: `(path, blocked_by)`.
fn file_folder(c: &ChangeSet) -> Vec<(&str, &str)> {
    c.conflicts
        .iter()
        .filter(|k| k.kind == ConflictKind::FileFolder)
        .map(|k| {
            assert_eq!(k.state, ConflictState::Resolved { kept: Side::Branch });
            (k.path.as_str(), k.blocked_by.as_deref().expect("named"))
        })
        .collect()
}

#[test]
fn collision_generated_file_where_a_person_added_a_folder_keeps_the_folder() {
    // Issue 12: a generated `docs` replaced the person's folder `docs/` and reported nothing.
    let c = compute(
        &[("a", "1")],
        &[("a", "1"), ("docs", "gen")],
        Some(&[
            ("a", "1"),
            ("docs/guide.md", "mine"),
            ("docs/x/y.md", "mine"),
        ]),
        &Options::default(),
    )
    .unwrap();
    assert!(write_paths(&c).is_empty());
    assert!(c.added.is_empty());
    assert_eq!(file_folder(&c), [("docs", "docs/guide.md")]);
    assert_eq!(c.counts().conflicts, 1);
    assert!(c.is_empty());
}

#[test]
fn collision_generated_file_below_a_persons_file_keeps_the_file() {
    // Issue 12: a generated `gen/x.ts` deleted the person's file `gen`; at every depth.
    for (generated, person) in [
        ("gen/x.ts", "gen"),
        ("gen/a/b/c/x.ts", "gen"),
        ("gen/a/b/c/x.ts", "gen/a/b"),
    ] {
        let c = compute(
            &[("keep", "1")],
            &[("keep", "1"), (generated, "gen")],
            Some(&[("keep", "1"), (person, "mine")]),
            &Options::default(),
        )
        .unwrap();
        assert!(write_paths(&c).is_empty(), "{generated}");
        assert_eq!(file_folder(&c), [(generated, person)]);
    }
}

#[test]
fn collision_a_folder_of_generated_files_only_may_become_a_file() {
    // The previous build owned everything below `docs/`: it is deleted and `docs` written.
    let c = compute(
        &[("docs/a.md", "1"), ("docs/b/c.md", "2")],
        &[("docs", "file")],
        Some(&[("docs/a.md", "1"), ("docs/b/c.md", "2")]),
        &Options::default(),
    )
    .unwrap();
    assert!(file_folder(&c).is_empty());
    assert_eq!(write_paths(&c), ["docs"]);
    assert_eq!(c.deletions(), ["docs/a.md", "docs/b/c.md"]);
    // A generated file below a generated file: the old file goes, the folder comes.
    let c = compute(
        &[("gen", "1")],
        &[("gen/x.ts", "2")],
        Some(&[("gen", "1")]),
        &Options::default(),
    )
    .unwrap();
    assert!(file_folder(&c).is_empty());
    assert_eq!(write_paths(&c), ["gen/x.ts"]);
    assert_eq!(c.deletions(), ["gen"]);
}

#[test]
fn collision_an_edited_or_ignored_file_kept_in_the_folder_blocks_the_file() {
    // The person edited a generated file below `docs/`: its deletion is refused (kept), so
    // `docs` cannot become a file either.
    let c = compute(
        &[("docs/a.md", "1"), ("docs/b.md", "2")],
        &[("docs", "file")],
        Some(&[("docs/a.md", "edited"), ("docs/b.md", "2")]),
        &Options::default(),
    )
    .unwrap();
    assert_eq!(file_folder(&c), [("docs", "docs/a.md")]);
    assert!(write_paths(&c).is_empty());
    // The person's file kept, the generated write dropped, under `generated` too: content the
    // previous manifest does not own is never replaced. Here `mine` is a person's file.
    let c = compute(
        &[("docs/a.md", "1")],
        &[("docs", "file")],
        Some(&[("docs/a.md", "1"), ("docs/mine.md", "mine")]),
        &Options {
            conflicts: ConflictPolicy::Generated,
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(file_folder(&c), [("docs", "docs/mine.md")]);
    assert_eq!(c.deletions(), ["docs/a.md"]);
    assert!(write_paths(&c).is_empty());
    // An ignored generated file stays on the branch and blocks the same way.
    let mut ignore = IgnoreRules::new();
    ignore.add_file("", b"docs/a.md\n");
    let c = changeset::compute(
        &manifest(&[("docs/a.md", "1")]),
        &snap(&[("docs", "file")]),
        &ignore,
        Some(&branch(&[("docs/a.md", "1")])),
        &Options::default(),
    )
    .unwrap();
    assert_eq!(file_folder(&c), [("docs", "docs/a.md")]);
    assert!(c.is_empty());
}

#[test]
fn collision_deletions_never_remove_a_folder_or_what_is_below_a_persons_file() {
    // A branch view that still lists the generated `gen` (a provider that starts from the
    // previous build) while a person's files sit below it: the deletion would remove them.
    let c = compute(
        &[("gen", "1"), ("k", "1")],
        &[("k", "1")],
        Some(&[("gen", "1"), ("gen/mine.md", "mine"), ("k", "1")]),
        &Options::default(),
    )
    .unwrap();
    assert!(c.deletions().is_empty());
    assert!(c.deleted.is_empty());
    assert_eq!(file_folder(&c), [("gen", "gen/mine.md")]);
    // A deletion below a person's file.
    let c = compute(
        &[("a/b/c", "1"), ("k", "1")],
        &[("k", "1")],
        Some(&[("a/b/c", "1"), ("a", "mine"), ("k", "1")]),
        &Options::default(),
    )
    .unwrap();
    assert!(c.deletions().is_empty());
    assert_eq!(file_folder(&c), [("a/b/c", "a")]);
}

#[test]
fn collision_under_fail_is_refused_naming_the_path() {
    let err = compute(
        &[("a", "1")],
        &[("a", "1"), ("docs", "gen")],
        Some(&[("a", "1"), ("docs/guide.md", "mine")]),
        &Options {
            conflicts: ConflictPolicy::Fail,
            ..Default::default()
        },
    )
    .unwrap_err();
    assert_eq!(
        err,
        Error::Conflicts {
            paths: vec!["docs".into()]
        }
    );
}

#[test]
fn collision_in_a_target_dir_uses_repository_paths() {
    let opts = Options {
        target_dir: "apps/orders".into(),
        ..Default::default()
    };
    // A person's file `apps` above the target dir blocks everything below it.
    let c = compute(
        &[],
        &[("src/x.ts", "gen")],
        Some(&[("apps", "mine")]),
        &opts,
    )
    .unwrap();
    assert_eq!(file_folder(&c), [("apps/orders/src/x.ts", "apps")]);
    assert_eq!(c.conflicts[0].generated.map(|e| e.oid), Some(oid("gen")));
    // A person's folder at a generated file's path inside the target dir; a sibling service's
    // folder with a similar name (`apps/orders-x`) is no collision.
    let c = compute(
        &[],
        &[("docs", "gen"), ("src", "gen")],
        Some(&[
            ("apps/orders/docs/mine.md", "mine"),
            ("apps/orders-x/src", "x"),
        ]),
        &opts,
    )
    .unwrap();
    assert_eq!(
        file_folder(&c),
        [("apps/orders/docs", "apps/orders/docs/mine.md")]
    );
    assert_eq!(write_paths(&c), ["apps/orders/src"]);
}

#[test]
fn collision_a_generated_change_to_a_file_a_person_replaced_by_a_folder() {
    // Generated `gen` changed; the person deleted it and made `gen/` a folder.
    let c = compute(
        &[("gen", "1")],
        &[("gen", "2")],
        Some(&[("gen/notes.md", "mine")]),
        &Options::default(),
    )
    .unwrap();
    assert!(write_paths(&c).is_empty());
    assert_eq!(c.conflicts.len(), 1, "{:?}", c.conflicts);
    assert_eq!(file_folder(&c), [("gen", "gen/notes.md")]);
    assert!(c.modified.is_empty());
}

#[test]
fn collision_kind_is_serialised_as_file_folder() {
    let c = compute(
        &[],
        &[("docs", "gen")],
        Some(&[("docs/guide.md", "mine")]),
        &Options::default(),
    )
    .unwrap();
    let json = serde_json::to_value(&c.conflicts[0]).unwrap();
    assert_eq!(json["kind"], "file-folder");
    assert_eq!(json["blocked_by"], "docs/guide.md");
    assert_eq!(json["state"], "resolved");
}

#[test]
fn ignored_to_outside_the_target_dir_or_into_git_is_refused_naming_it() {
    for dir in ["../../escaped", "/", ".git/x", "a/git~1", "a/.git./b"] {
        let mut ignore = IgnoreRules::new();
        ignore.add_file("", b"a\n");
        let err = changeset::compute(
            &manifest(&[("a", "1")]),
            &snap(&[("a", "2")]),
            &ignore,
            None,
            &Options {
                ignored_to: Some(dir.into()),
                ..Default::default()
            },
        )
        .unwrap_err();
        assert!(
            matches!(&err, Error::IgnoredTo { dir: d, .. } if d == dir),
            "{dir}: {err:?}"
        );
        assert!(err.to_string().contains("--ignored-to"), "{err}");
    }
}
