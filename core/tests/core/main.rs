//! API tests of gensync-core, one module per concept.

mod branch_view;
mod changeset;
mod git_baseline;
mod properties;
mod robustness;

use gensync_core::{BranchTree, BuildManifest, Mode, Snapshot, TreeEntry};

/// A snapshot from `(path, content)` pairs (regular files).
pub fn snap(files: &[(&str, &str)]) -> Snapshot {
    let mut s = Snapshot::new(gensync_core::HashKind::Sha1);
    for (p, c) in files {
        s.insert_data(p, Mode::Regular, c.as_bytes().to_vec())
            .expect("valid test path");
    }
    s
}

/// The manifest of `(path, content)` pairs.
pub fn manifest(files: &[(&str, &str)]) -> BuildManifest {
    BuildManifest::from_snapshot(&snap(files))
}

/// A branch tree of `(repository path, content)` pairs.
pub fn branch(files: &[(&str, &str)]) -> BranchTree {
    files
        .iter()
        .map(|(p, c)| {
            (
                p.to_string(),
                TreeEntry {
                    mode: Mode::Regular,
                    oid: gensync_core::hash_blob(gensync_core::HashKind::Sha1, c.as_bytes()),
                },
            )
        })
        .collect()
}
