//! Snapshots: a set of files `path -> (mode, blob id[, bytes])`.

use std::collections::BTreeMap;

use gix_hash::ObjectId;

use crate::path;

/// The file modes git tracks for files.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub enum Mode {
    /// A regular file, `100644`.
    #[serde(rename = "100644")]
    Regular,
    /// An executable file, `100755`.
    #[serde(rename = "100755")]
    Executable,
    /// A symbolic link, `120000`; the blob holds the link target.
    #[serde(rename = "120000")]
    Symlink,
}

/// Parsing a [`Mode`] from its octal text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown file mode {text:?}: expected 100644, 100755 or 120000")]
pub struct ParseModeError {
    /// The text that is not a mode.
    pub text: String,
}

impl Mode {
    /// The octal text git uses (`100644`, `100755`, `120000`).
    pub fn as_str(&self) -> &'static str {
        match self {
            Mode::Regular => "100644",
            Mode::Executable => "100755",
            Mode::Symlink => "120000",
        }
    }

    /// Parse the octal text git uses. `100664` (old git) reads as regular, as git does.
    pub fn parse(text: &str) -> Result<Self, ParseModeError> {
        match text {
            "100644" | "100664" => Ok(Mode::Regular),
            "100755" => Ok(Mode::Executable),
            "120000" => Ok(Mode::Symlink),
            _ => Err(ParseModeError { text: text.into() }),
        }
    }

    /// The gitoxide tree entry kind of this mode.
    pub fn entry_kind(&self) -> gix_object::tree::EntryKind {
        match self {
            Mode::Regular => gix_object::tree::EntryKind::Blob,
            Mode::Executable => gix_object::tree::EntryKind::BlobExecutable,
            Mode::Symlink => gix_object::tree::EntryKind::Link,
        }
    }
}

impl std::fmt::Display for Mode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Mode {
    type Err = ParseModeError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Mode::parse(s)
    }
}

/// Compute the git blob id of `data`, byte-identical to `git hash-object`.
///
/// `kind` is the repository's object format: SHA-1 today, SHA-256 when gix-hash's `sha256`
/// feature is on.
pub fn hash_blob(kind: gix_hash::Kind, data: &[u8]) -> ObjectId {
    gix_object::compute_hash(kind, gix_object::Kind::Blob, data)
        .expect("hashing in-memory data cannot fail unless a SHA-1 collision attack is detected")
}

/// The git blob id of contents fed in pieces: the streaming form of [`hash_blob`], so a
/// caller hashes a file of any size with a fixed buffer (memory bound by the buffer, not the
/// file). The length is announced first, as git's object header carries it.
///
/// ```
/// use gensync_core::snapshot::{hash_blob, BlobHasher};
/// use gensync_core::HashKind;
///
/// let mut hasher = BlobHasher::new(HashKind::Sha1, 11);
/// hasher.update(b"hello ");
/// hasher.update(b"world");
/// assert_eq!(hasher.finalize(), Ok(hash_blob(HashKind::Sha1, b"hello world")));
/// ```
pub struct BlobHasher {
    inner: gix_hash::Hasher,
    announced: u64,
    fed: u64,
}

/// Why [`BlobHasher::finalize`] gave no id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BlobHashError {
    /// More or fewer bytes were fed than announced (a file that grew or shrank while read).
    #[error("{announced} bytes were announced but {fed} were fed (the contents changed while being read)")]
    LengthMismatch {
        /// The length given to [`BlobHasher::new`].
        announced: u64,
        /// The bytes fed.
        fed: u64,
    },
    /// SHA-1 collision detection found an attack pattern in the contents.
    #[error("the contents carry a SHA-1 collision attack pattern; refusing to compute their id")]
    CollisionAttack,
}

impl BlobHasher {
    /// A hasher for a blob of exactly `len` bytes in a repository of `kind`.
    pub fn new(kind: gix_hash::Kind, len: u64) -> Self {
        let mut inner = gix_hash::hasher(kind);
        inner.update(&gix_object::encode::loose_header(
            gix_object::Kind::Blob,
            len,
        ));
        BlobHasher {
            inner,
            announced: len,
            fed: 0,
        }
    }

    /// Feeds the next piece of the contents.
    pub fn update(&mut self, bytes: &[u8]) {
        self.fed += bytes.len() as u64;
        self.inner.update(bytes);
    }

    /// The bytes fed so far.
    pub fn fed(&self) -> u64 {
        self.fed
    }

    /// The blob id, if exactly the announced number of bytes was fed.
    pub fn finalize(self) -> Result<ObjectId, BlobHashError> {
        if self.fed != self.announced {
            return Err(BlobHashError::LengthMismatch {
                announced: self.announced,
                fed: self.fed,
            });
        }
        self.inner
            .try_finalize()
            .map_err(|_| BlobHashError::CollisionAttack)
    }
}

/// One file of a [`Snapshot`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The file's mode.
    pub mode: Mode,
    /// The git blob id of the file's contents.
    pub oid: ObjectId,
    /// The contents, when the snapshot keeps them (the CLI does not, to bound memory; the
    /// preview does, to diff).
    pub data: Option<Vec<u8>>,
}

/// Errors when adding files to a [`Snapshot`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// The path is not a safe repository path.
    #[error(transparent)]
    Path(#[from] path::Error),
    /// The same path was added twice.
    #[error("path {path:?} appears twice in the build output")]
    Duplicate {
        /// The offending path.
        path: String,
    },
    /// A path is used both as a file and as a folder (`a` and `a/b`).
    #[error("path {path:?} is a file but {child:?} uses it as a folder")]
    FileIsFolder {
        /// The file.
        path: String,
        /// A path that needs `path` to be a folder.
        child: String,
    },
    /// A `.gitmodules` file (in any spelling git reads as one): it would declare submodules.
    #[error("path {path:?} is a '.gitmodules' file, which would declare submodules in the repository; the generator must not produce it (remove it from the build output)")]
    GitModules {
        /// The offending path.
        path: String,
    },
    /// A symlink that leaves the build output once the snapshot's own links on its way are
    /// followed (`a/b -> ..`, `p -> a/b/a/b/../../../etc/passwd`).
    #[error("symlink {path:?} points to {target:?}, which leaves the build output once the links on its way are followed; a synced link must stay inside")]
    LinkEscape {
        /// The link.
        path: String,
        /// Its target.
        target: String,
    },
    /// A symlink whose resolution takes more than [`MAX_LINK_HOPS`] links (a loop).
    #[error("symlink {path:?} points to {target:?}, which takes more than {MAX_LINK_HOPS} links to resolve (a loop?); fix the link")]
    LinkLoop {
        /// The link.
        path: String,
        /// Its target.
        target: String,
    },
    /// A path reserved for gensync's own records.
    #[error("path {path:?} is reserved for gensync's manifest; the generator must not produce it")]
    Reserved {
        /// The offending path.
        path: String,
    },
}

/// How many links one symlink's resolution may follow (Linux's limit is 40).
pub const MAX_LINK_HOPS: usize = 40;

/// Resolve the link at `link` with target `target` through the links of `targets`; an error if
/// it leaves the root or loops. Returns the resolved path (`""` for the root).
fn resolve_link<'a>(
    targets: &'a BTreeMap<String, String>,
    link: &'a str,
    target: &'a str,
) -> Result<String, Error> {
    let escape = || Error::LinkEscape {
        path: link.into(),
        target: target.into(),
    };
    let mut stack: Vec<&str> = link.split('/').collect();
    stack.pop();
    let mut pending: std::collections::VecDeque<&str> = std::collections::VecDeque::new();
    fn push_target<'a>(pending: &mut std::collections::VecDeque<&'a str>, t: &'a str) -> bool {
        if t.starts_with('/') || t.starts_with('\\') || t.as_bytes().get(1) == Some(&b':') {
            return false; // absolute (or a Windows drive)
        }
        for c in t.split('/').rev() {
            pending.push_front(c);
        }
        true
    }
    if !push_target(&mut pending, target) {
        return Err(escape());
    }
    let mut hops = 0;
    while let Some(c) = pending.pop_front() {
        match c {
            "" | "." => {}
            ".." => {
                if stack.pop().is_none() {
                    return Err(escape());
                }
            }
            name => {
                stack.push(name);
                if let Some(next) = targets.get(&stack.join("/")) {
                    hops += 1;
                    if hops > MAX_LINK_HOPS {
                        return Err(Error::LinkLoop {
                            path: link.into(),
                            target: target.into(),
                        });
                    }
                    stack.pop();
                    if !push_target(&mut pending, next) {
                        return Err(escape());
                    }
                }
            }
        }
    }
    Ok(stack.join("/"))
}

/// A set of files, keyed by validated, normalised, `/`-separated relative path, sorted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Snapshot {
    hash_kind: gix_hash::Kind,
    entries: BTreeMap<String, Entry>,
}

impl Snapshot {
    /// An empty snapshot whose ids are of `hash_kind`.
    pub fn new(hash_kind: gix_hash::Kind) -> Self {
        Snapshot {
            hash_kind,
            entries: BTreeMap::new(),
        }
    }

    /// The object format of this snapshot's ids.
    pub fn hash_kind(&self) -> gix_hash::Kind {
        self.hash_kind
    }

    /// Add a file with its contents, computing its blob id. The contents are kept.
    pub fn insert_data(
        &mut self,
        path: &str,
        mode: Mode,
        data: Vec<u8>,
    ) -> Result<ObjectId, Error> {
        let oid = hash_blob(self.hash_kind, &data);
        self.insert(
            path,
            Entry {
                mode,
                oid,
                data: Some(data),
            },
        )?;
        Ok(oid)
    }

    /// Add a file whose blob id is already known (hashed by the caller, perhaps in parallel).
    pub fn insert(&mut self, path: impl Into<String>, entry: Entry) -> Result<(), Error> {
        let path = path.into();
        path::validate(&path)?;
        if path.split('/').any(path::is_gitmodules) {
            return Err(Error::GitModules { path });
        }
        if self.entries.contains_key(&path) {
            return Err(Error::Duplicate { path });
        }
        self.entries.insert(path, entry);
        Ok(())
    }

    /// Check that no path is used both as a file and a folder. Call once after all inserts.
    pub fn check_structure(&self) -> Result<(), Error> {
        let mut previous: Option<&str> = None;
        for path in self.entries.keys() {
            if let Some(prev) = previous {
                if path.len() > prev.len()
                    && path.starts_with(prev)
                    && path.as_bytes()[prev.len()] == b'/'
                {
                    return Err(Error::FileIsFolder {
                        path: prev.into(),
                        child: path.clone(),
                    });
                }
            }
            previous = Some(path);
        }
        // `a` vs `a/b` are not always adjacent (`a`, `a-x`, `a/b`): check every folder prefix.
        for path in self.entries.keys() {
            let mut end = 0;
            while let Some(pos) = path[end..].find('/') {
                let dir = &path[..end + pos];
                if self.entries.contains_key(dir) {
                    return Err(Error::FileIsFolder {
                        path: dir.into(),
                        child: path.clone(),
                    });
                }
                end += pos + 1;
            }
        }
        Ok(())
    }

    /// Check that every symlink stays inside the snapshot when the links on its way are followed
    /// too, as a file system would (the links are the snapshot's own; `targets` gives each
    /// link's target text, keyed by the link's path). A lexical check of each link alone misses
    /// chains: `a/b -> ..` with `p -> a/b/a/b/../../../etc/passwd`.
    pub fn check_links(targets: &BTreeMap<String, String>) -> Result<(), Error> {
        for (link, target) in targets {
            resolve_link(targets, link, target)?;
        }
        Ok(())
    }

    /// The file at `path`.
    pub fn get(&self, path: &str) -> Option<&Entry> {
        self.entries.get(path)
    }

    /// Remove and return the file at `path`.
    pub fn remove(&mut self, path: &str) -> Option<Entry> {
        self.entries.remove(path)
    }

    /// All files, sorted by path, taken out of the snapshot (no copy of the paths).
    pub fn into_entries(self) -> impl Iterator<Item = (String, Entry)> {
        self.entries.into_iter()
    }

    /// All files, sorted by path.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Entry)> {
        self.entries.iter().map(|(p, e)| (p.as_str(), e))
    }

    /// The number of files.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True if there are no files.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn links(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    #[test]
    fn link_chains_that_escape_after_earlier_links_are_refused() {
        // Issue 12: each link alone stays inside, together they reach /etc/passwd.
        let t = links(&[("a/b", ".."), ("p", "a/b/a/b/../../../etc/passwd")]);
        match Snapshot::check_links(&t) {
            Err(Error::LinkEscape { path, .. }) => assert_eq!(path, "p"),
            other => panic!("{other:?}"),
        }
        // A link through a link to a folder outside.
        let t = links(&[("d/up", ".."), ("x/y", "../d/up/../z")]);
        assert!(matches!(
            Snapshot::check_links(&t),
            Err(Error::LinkEscape { path, .. }) if path == "x/y"
        ));
        assert!(matches!(
            Snapshot::check_links(&links(&[("a", "/etc")])),
            Err(Error::LinkEscape { .. })
        ));
        // Loops end.
        let t = links(&[("a", "b"), ("b", "a")]);
        assert!(matches!(
            Snapshot::check_links(&t),
            Err(Error::LinkLoop { .. })
        ));
        // Chains that stay inside are fine.
        let t = links(&[
            ("a/b", ".."),
            ("p", "a/b/a/x"),
            ("q", "p"),
            ("d/l", "../a/b/q"),
        ]);
        Snapshot::check_links(&t).expect("inside");
        assert_eq!(resolve_link(&t, "d/l", "../a/b/q").unwrap(), "a/x");
    }

    #[test]
    fn gitmodules_in_a_build_output_is_refused() {
        let mut s = Snapshot::new(gix_hash::Kind::Sha1);
        for p in [".gitmodules", "sub/.GITMODULES", "gitmod~1"] {
            assert!(
                matches!(
                    s.insert_data(p, Mode::Regular, vec![]),
                    Err(Error::GitModules { .. })
                ),
                "{p}"
            );
        }
        s.insert_data(".gitignore", Mode::Regular, vec![])
            .expect("fine");
    }
}
