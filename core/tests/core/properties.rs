//! Property tests of the change set.

use std::collections::BTreeMap;

use gensync_core::changeset::{self, Content, Options};
use gensync_core::{BranchTree, BuildManifest, HashKind, IgnoreRules, Mode, Snapshot, TreeEntry};
use proptest::prelude::*;

type Files = BTreeMap<String, (bool, u8)>; // path -> (executable, content byte)

fn files() -> impl Strategy<Value = Files> {
    prop::collection::btree_map(
        prop::sample::select(vec![
            "a", "b", "c/d", "c/e", "f/g/h", "f/i", "j.log", "k/l.log",
        ])
        .prop_map(String::from),
        (any::<bool>(), 0u8..4),
        0..8,
    )
}

fn snapshot(f: &Files) -> Snapshot {
    let mut s = Snapshot::new(HashKind::Sha1);
    for (p, (x, b)) in f {
        s.insert_data(
            p,
            if *x { Mode::Executable } else { Mode::Regular },
            vec![*b],
        )
        .unwrap();
    }
    s
}

fn tree_of(s: &Snapshot) -> BranchTree {
    s.iter()
        .map(|(p, e)| {
            (
                p.to_owned(),
                TreeEntry {
                    mode: e.mode,
                    oid: e.oid,
                },
            )
        })
        .collect()
}

proptest! {
    /// Applying the change set to the previous build gives the new build, except that ignored
    /// paths keep their previous state.
    #[test]
    fn applying_the_change_set_to_the_previous_build_gives_the_new_build_minus_ignored(p in files(), n in files(), ignore_logs in any::<bool>()) {
        let (ps, ns) = (snapshot(&p), snapshot(&n));
        let ignore = if ignore_logs { IgnoreRules::from_bytes(b"*.log\n") } else { IgnoreRules::new() };
        let opts = Options { allow_empty: true, ..Default::default() };
        let c = changeset::compute(&BuildManifest::from_snapshot(&ps), &ns, &ignore, Some(&tree_of(&ps)), &opts).unwrap();
        let mut applied = tree_of(&ps);
        for d in c.deletions() { prop_assert!(applied.remove(d).is_some()); }
        for w in c.writes() {
            prop_assert!(matches!(w.content, Content::Generated(_)));
            applied.insert(w.path.clone(), TreeEntry { mode: w.mode, oid: w.oid });
        }
        let mut expected = tree_of(&ns);
        for path in p.keys().chain(n.keys()) {
            if ignore.is_ignored(path) {
                match ps.get(path) {
                    Some(e) => { expected.insert(path.clone(), TreeEntry { mode: e.mode, oid: e.oid }); }
                    None => { expected.remove(path); }
                }
            }
        }
        prop_assert_eq!(applied, expected);
    }

    /// A file unchanged between builds is never written or deleted, whatever the branch holds.
    #[test]
    fn a_file_unchanged_between_builds_is_never_in_the_change_set(p in files(), n in files(), b in files()) {
        let (ps, ns, bs) = (snapshot(&p), snapshot(&n), snapshot(&b));
        let opts = Options { allow_empty: true, ..Default::default() };
        let c = changeset::compute(&BuildManifest::from_snapshot(&ps), &ns, &IgnoreRules::new(), Some(&tree_of(&bs)), &opts).unwrap();
        for (path, e) in ps.iter() {
            if ns.get(path).map(|x| (x.mode, x.oid)) == Some((e.mode, e.oid)) {
                prop_assert!(!c.writes().iter().any(|w| w.path == path), "{} written", path);
                prop_assert!(!c.deletions().iter().any(|d| d == path), "{} deleted", path);
                prop_assert!(!c.conflicts.iter().any(|k| k.path == path), "{} in conflict", path);
            }
        }
    }
}

proptest! {
    /// Feeding a blob in any pieces gives `hash_blob`'s id; a wrong length gives none.
    #[test]
    fn streamed_blob_ids_equal_whole_ones(
        data in prop::collection::vec(any::<u8>(), 0..4096),
        cuts in prop::collection::vec(any::<prop::sample::Index>(), 0..6),
        off_by in 1u64..3,
    ) {
        use gensync_core::snapshot::{BlobHashError, BlobHasher};
        let mut at: Vec<usize> = cuts.iter().map(|i| i.index(data.len() + 1)).collect();
        at.sort();
        let mut hasher = BlobHasher::new(HashKind::Sha1, data.len() as u64);
        let mut start = 0;
        for end in at.into_iter().chain([data.len()]) {
            hasher.update(&data[start..end]);
            start = end;
        }
        prop_assert_eq!(hasher.finalize(), Ok(gensync_core::hash_blob(HashKind::Sha1, &data)));

        let mut short = BlobHasher::new(HashKind::Sha1, data.len() as u64 + off_by);
        short.update(&data);
        prop_assert_eq!(
            short.finalize(),
            Err(BlobHashError::LengthMismatch { announced: data.len() as u64 + off_by, fed: data.len() as u64 })
        );
    }
}
