//! Reading a build output folder into a [`Snapshot`], hashing files in parallel.
//!
//! Memory stays bounded by the largest file (one buffer per worker thread), not by the size of
//! the build: contents are hashed and dropped; a sync reads a file again only if it is written.

use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use gensync_core::snapshot::{Entry, Snapshot};
use gensync_core::{HashKind, Mode};

/// Errors reading a build output folder.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The folder cannot be read.
    #[error("cannot read build output folder {path}: {source}")]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// A name is not UTF-8.
    #[error("file name {path:?} in the build output is not valid UTF-8; git paths here must be UTF-8: rename it")]
    NotUtf8 {
        /// The lossy rendering of the path.
        path: String,
    },
    /// A symlink points outside the build output.
    #[error("symlink {path:?} points to {target:?}, outside the build output folder; a synced link must stay inside")]
    SymlinkEscape {
        /// The link.
        path: String,
        /// Its target.
        target: String,
    },
    /// A FIFO, socket or device.
    #[error("{path:?} in the build output is not a regular file, folder or symlink (a FIFO, socket or device); remove it")]
    SpecialFile {
        /// The offending path.
        path: String,
    },
    /// A path rejected by the snapshot rules.
    #[error("invalid path in the build output: {0}")]
    Snapshot(#[from] gensync_core::snapshot::Error),
}

/// A build output folder read into a snapshot.
pub struct BuildOutput {
    /// The folder.
    pub root: PathBuf,
    /// Its files (ids only; contents are re-read when needed).
    pub snapshot: Snapshot,
    /// Size of each file in bytes, by path (to refuse files over a provider's limit early).
    #[allow(dead_code)] // read by the providers' size checks
    pub sizes: std::collections::HashMap<String, u64>,
}

impl BuildOutput {
    /// Read the contents of `rel` (a path of the snapshot).
    pub fn read(&self, rel: &str) -> std::io::Result<Vec<u8>> {
        let full = self.root.join(rel);
        let meta = std::fs::symlink_metadata(&full)?;
        if meta.file_type().is_symlink() {
            let target = std::fs::read_link(&full)?;
            return Ok(target.to_string_lossy().into_owned().into_bytes());
        }
        std::fs::read(full)
    }
}

/// One hashed file (index into the walk's list) and its entry and size.
type Hashed = (usize, Result<(Entry, u64), Error>);

enum Found {
    File { rel: String, executable: bool },
    Symlink { rel: String, target: String },
}

/// Read every file below `root`. Paths are validated; symlinks must stay inside; special files
/// are refused. Hashing uses up to `threads` workers (0 = one per core, at most 16).
pub fn read(root: &Path, hash_kind: HashKind, threads: usize) -> Result<BuildOutput, Error> {
    let mut found = Vec::new();
    walk(root, root, &mut found)?;
    let workers = match threads {
        0 => std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(2)
            .min(16),
        n => n,
    }
    .min(found.len().max(1));
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Hashed>> = Mutex::new(Vec::with_capacity(found.len()));
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| {
                let mut local = Vec::new();
                let mut buf = Vec::new();
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(item) = found.get(i) else { break };
                    local.push((i, hash_one(root, item, hash_kind, &mut buf)));
                }
                results
                    .lock()
                    .expect("no worker panics while holding the lock")
                    .extend(local);
            });
        }
    });
    let mut results = results.into_inner().expect("workers are done");
    results.sort_by_key(|(i, _)| *i);
    let mut snapshot = Snapshot::new(hash_kind);
    let mut sizes = std::collections::HashMap::with_capacity(found.len());
    for ((_, result), item) in results.into_iter().zip(&found) {
        let (entry, size) = result?;
        let rel = match item {
            Found::File { rel, .. } | Found::Symlink { rel, .. } => rel,
        };
        snapshot.insert(rel, entry)?;
        sizes.insert(rel.clone(), size);
    }
    snapshot.check_structure()?;
    Ok(BuildOutput {
        root: root.to_owned(),
        snapshot,
        sizes,
    })
}

fn hash_one(
    root: &Path,
    item: &Found,
    kind: HashKind,
    buf: &mut Vec<u8>,
) -> Result<(Entry, u64), Error> {
    match item {
        Found::File { rel, executable } => {
            use std::io::Read;
            let full = root.join(rel);
            let io = |source| Error::Io {
                path: full.clone(),
                source,
            };
            buf.clear();
            std::fs::File::open(&full)
                .and_then(|mut f| f.read_to_end(buf))
                .map_err(io)?;
            let oid = gensync_core::hash_blob(kind, buf);
            // Measured before the buffer is dropped below: a large file must not read as empty
            // to the providers' size limits.
            let size = buf.len() as u64;
            if buf.capacity() > 8 << 20 {
                *buf = Vec::new(); // do not keep a huge buffer around after a large file
            }
            let mode = if *executable {
                Mode::Executable
            } else {
                Mode::Regular
            };
            Ok((
                Entry {
                    mode,
                    oid,
                    data: None,
                },
                size,
            ))
        }
        Found::Symlink { target, .. } => Ok((
            Entry {
                mode: Mode::Symlink,
                oid: gensync_core::hash_blob(kind, target.as_bytes()),
                data: None,
            },
            target.len() as u64,
        )),
    }
}

fn rel_of(root: &Path, path: &Path) -> Result<String, Error> {
    let rel = path.strip_prefix(root).expect("walk stays below root");
    let text = rel.to_str().ok_or_else(|| Error::NotUtf8 {
        path: rel.to_string_lossy().into_owned(),
    })?;
    Ok(text.replace(std::path::MAIN_SEPARATOR, "/"))
}

fn walk(root: &Path, dir: &Path, out: &mut Vec<Found>) -> Result<(), Error> {
    let io = |path: &Path| {
        let path = path.to_owned();
        move |source| Error::Io { path, source }
    };
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .map_err(io(dir))?
        .collect::<Result<_, _>>()
        .map_err(io(dir))?;
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let path = entry.path();
        let ft = entry.file_type().map_err(io(&path))?;
        let rel = rel_of(root, &path)?;
        if ft.is_dir() {
            walk(root, &path, out)?;
        } else if ft.is_symlink() {
            let target = std::fs::read_link(&path).map_err(io(&path))?;
            let target_text = target
                .to_str()
                .ok_or_else(|| Error::NotUtf8 { path: rel.clone() })?
                .to_owned();
            if !stays_inside(&rel, &target) {
                return Err(Error::SymlinkEscape {
                    path: rel,
                    target: target_text,
                });
            }
            out.push(Found::Symlink {
                rel,
                target: target_text,
            });
        } else if ft.is_file() {
            out.push(Found::File {
                rel,
                executable: is_executable(&entry.metadata().map_err(io(&path))?),
            });
        } else {
            return Err(Error::SpecialFile { path: rel });
        }
    }
    Ok(())
}

/// Whether a link at `rel` (relative to the build root) pointing to `target` resolves inside
/// the root, judged lexically (the target may not exist yet in the repository).
fn stays_inside(rel: &str, target: &Path) -> bool {
    let mut depth: i64 = rel.matches('/').count() as i64;
    for c in target.components() {
        match c {
            Component::Normal(_) => depth += 1,
            Component::CurDir => {}
            Component::ParentDir => {
                depth -= 1;
                if depth < 0 {
                    return false;
                }
            }
            Component::RootDir | Component::Prefix(_) => return false,
        }
    }
    true
}

#[cfg(unix)]
fn is_executable(meta: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::PermissionsExt;
    // git looks at the owner's execute bit only.
    meta.permissions().mode() & 0o100 != 0
}

#[cfg(not(unix))]
fn is_executable(_meta: &std::fs::Metadata) -> bool {
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn symlink_escape_is_lexical() {
        assert!(stays_inside("a/link", Path::new("../b")));
        assert!(stays_inside("link", Path::new("./b/c")));
        assert!(!stays_inside("link", Path::new("../b")));
        assert!(!stays_inside("a/link", Path::new("../../b")));
        assert!(!stays_inside("a/link", Path::new("/etc/passwd")));
        assert!(!stays_inside("a/link", Path::new("b/../../..")));
    }

    #[test]
    fn sizes_of_large_files_are_kept() {
        // Regression (issue 7): the size was taken after the read buffer of a file over 8 MiB
        // was released, so every large file measured 0 bytes and passed the 100 MiB check.
        let dir = tempfile::tempdir().expect("tempdir");
        let f = std::fs::File::create(dir.path().join("big.bin")).expect("create");
        f.set_len(9 << 20).expect("sparse file");
        std::fs::write(dir.path().join("small.txt"), "abc").expect("write");
        let out = read(dir.path(), HashKind::Sha1, 1).expect("read");
        assert_eq!(out.sizes["big.bin"], 9 << 20);
        assert_eq!(out.sizes["small.txt"], 3);
    }
}
