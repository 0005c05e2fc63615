//! Git tree objects for a set of files, computed the way `git write-tree` does.
//!
//! Used to predict the tree id a sync will produce (tests compare it with the providers' result)
//! and by the local-repository target to write trees.

use std::collections::BTreeMap;

use gix_hash::ObjectId;
use gix_object::WriteTo;

use crate::snapshot::Mode;

/// One encoded tree object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TreeObject {
    /// The tree's id.
    pub oid: ObjectId,
    /// The folder it describes (`""` for the root).
    pub path: String,
    /// The encoded tree object (without the `tree <len>\0` header).
    pub data: Vec<u8>,
}

#[derive(Default)]
struct Dir<'a> {
    files: Vec<(&'a str, Mode, ObjectId)>,
    dirs: BTreeMap<&'a str, Dir<'a>>,
}

/// Build every tree object of the files `(path, mode, blob id)` (paths normalised, unique) and
/// return them children first; the last one is the root tree.
pub fn trees<'a>(
    hash_kind: gix_hash::Kind,
    files: impl IntoIterator<Item = (&'a str, Mode, ObjectId)>,
) -> Vec<TreeObject> {
    let mut root = Dir::default();
    for (path, mode, oid) in files {
        let mut dir = &mut root;
        let mut rest = path;
        while let Some((head, tail)) = rest.split_once('/') {
            dir = dir.dirs.entry(head).or_default();
            rest = tail;
        }
        dir.files.push((rest, mode, oid));
    }
    let mut out = Vec::new();
    write_dir(hash_kind, "", root, &mut out);
    out
}

/// The id of the root tree of the files, as `git write-tree` would give it.
pub fn tree_id<'a>(
    hash_kind: gix_hash::Kind,
    files: impl IntoIterator<Item = (&'a str, Mode, ObjectId)>,
) -> ObjectId {
    trees(hash_kind, files)
        .pop()
        .map(|t| t.oid)
        .expect("the root tree is always produced")
}

fn write_dir(
    hash_kind: gix_hash::Kind,
    path: &str,
    dir: Dir<'_>,
    out: &mut Vec<TreeObject>,
) -> ObjectId {
    let mut entries = Vec::with_capacity(dir.files.len() + dir.dirs.len());
    for (name, sub) in dir.dirs {
        let sub_path = crate::path::join(path, name);
        let oid = write_dir(hash_kind, &sub_path, sub, out);
        entries.push(gix_object::tree::Entry {
            mode: gix_object::tree::EntryKind::Tree.into(),
            filename: name.into(),
            oid,
        });
    }
    for (name, mode, oid) in dir.files {
        entries.push(gix_object::tree::Entry {
            mode: mode.entry_kind().into(),
            filename: name.into(),
            oid,
        });
    }
    // git orders tree entries by name, with folders compared as if they ended in '/'.
    entries.sort();
    let tree = gix_object::Tree { entries };
    let mut data = Vec::new();
    tree.write_to(&mut data)
        .expect("writing to a Vec cannot fail");
    let oid = gix_object::compute_hash(hash_kind, gix_object::Kind::Tree, &data)
        .expect("hashing in-memory data cannot fail unless a SHA-1 collision attack is detected");
    out.push(TreeObject {
        oid,
        path: path.to_owned(),
        data,
    });
    oid
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_tree_has_gits_well_known_id() {
        let id = tree_id(gix_hash::Kind::Sha1, []);
        assert_eq!(id.to_string(), "4b825dc642cb6eb9a060e54bf8d69288fbee4904");
    }
}
