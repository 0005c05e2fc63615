//! Reading a build output folder into a [`Snapshot`], hashing files in parallel.
//!
//! Memory does not grow with the size of the files: each worker hashes through one fixed
//! buffer ([`BlobHasher`] takes the contents in pieces); what is kept per file is its path,
//! mode and blob id. A sync reads a file again only if it is written.

use std::path::{Component, Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex};

use gensync_core::snapshot::{BlobHashError, BlobHasher, Entry, Snapshot};
use gensync_core::{HashKind, Mode};

mod fsys;

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
    /// A file's contents changed while it was hashed (the generator is still writing).
    #[error("{path:?} in the build output changed while gensync read it ({source}); rerun once the generator has finished")]
    Changing {
        /// The file.
        path: String,
        /// What was seen.
        source: BlobHashError,
    },
    /// A path rejected by the snapshot rules.
    #[error("invalid path in the build output: {0}")]
    Snapshot(#[from] gensync_core::snapshot::Error),
}

/// Files of at least this size are listed in [`BuildOutput::large_files`]; every provider's
/// file-size limit is far above it.
pub const LARGE_FILE_BYTES: u64 = 1 << 20;

/// The read buffer of each worker: files are hashed in pieces of this size, so memory does not
/// grow with the size of a file nor of the build.
const CHUNK: usize = 128 << 10;

/// A build output folder read into a snapshot.
pub struct BuildOutput {
    /// The folder.
    pub root: PathBuf,
    /// Its files (ids only; contents are re-read when needed).
    pub snapshot: Snapshot,
    /// The files of at least [`LARGE_FILE_BYTES`] and their sizes, sorted by path (to refuse
    /// files over a provider's limit before anything is written). Small files are not
    /// listed: a size per file would cost memory in proportion to the build.
    pub large_files: Vec<(String, u64)>,
}

impl BuildOutput {
    /// Read the contents of `rel` (a path of the snapshot).
    pub fn read(&self, rel: &str) -> std::io::Result<Vec<u8>> {
        read_file(&self.root, rel)
    }
}

/// The blob contents of `rel` below the build output folder `root`: a file's bytes, or a
/// symlink's target (what git stores for a link).
pub fn read_file(root: &Path, rel: &str) -> std::io::Result<Vec<u8>> {
    let full = root.join(rel);
    let meta = std::fs::symlink_metadata(&full)?;
    if meta.file_type().is_symlink() {
        let target = std::fs::read_link(&full)?;
        return Ok(target.to_string_lossy().into_owned().into_bytes());
    }
    std::fs::read(full)
}

/// Work for the pool: a folder to list, or a batch of the files of a listed folder to hash
/// (paths relative to the root).
enum Job {
    Dir(String),
    Files(Arc<Listed>, Vec<String>),
}

/// A listed folder whose files are being hashed: its path and its open handle (its files are
/// opened relative to it, so the kernel resolves one name per file, not the whole path).
struct Listed {
    rel: String,
    folder: fsys::Folder,
}

impl Listed {
    /// The path of its entry `name` relative to the root.
    fn child(&self, name: &str) -> String {
        if self.rel.is_empty() {
            name.to_owned()
        } else {
            format!("{}/{name}", self.rel)
        }
    }
}

/// The files of a folder are hashed in batches of this many: a large folder is spread over the
/// workers, a small one costs one job.
const FILES_PER_JOB: usize = 64;

/// The queue the workers share: walking and hashing overlap, so the walk (system calls on
/// many small folders) does not run before the hashing as a separate serial step.
struct Queue {
    jobs: Vec<Job>,
    /// Jobs taken and not finished (a folder being listed may still add jobs).
    busy: usize,
    /// Workers waiting for a job: they are woken only when there are some (a wake is a system
    /// call, and making one per job was most of the run's `futex` calls).
    waiting: usize,
    /// Set once the walk met bad input: the remaining files are not hashed.
    stop: bool,
}

/// What one worker found: files, large files, errors (by path, to report the first in path
/// order whatever the scheduling).
#[derive(Default)]
struct Found {
    files: Vec<(String, Entry)>,
    /// Symlinks and their targets (checked together once the walk ends).
    links: Vec<(String, String)>,
    large: Vec<(String, u64)>,
    walk_errors: Vec<(String, Error)>,
    hash_errors: Vec<(String, Error)>,
}

/// Read every file below `root`. Paths are validated; symlinks must stay inside; special files
/// are refused. Listing folders and hashing files share a pool of `threads` workers (0 = one
/// per core, at most 16), each with one fixed buffer.
pub fn read(root: &Path, hash_kind: HashKind, threads: usize) -> Result<BuildOutput, Error> {
    // The root itself must be a readable folder: its error names it.
    std::fs::read_dir(root).map_err(|source| Error::Io {
        path: root.to_owned(),
        source,
    })?;
    let workers = match threads {
        0 => std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(2)
            .min(16),
        n => n,
    };
    let queue = Mutex::new(Queue {
        jobs: vec![Job::Dir(String::new())],
        busy: 0,
        waiting: 0,
        stop: false,
    });
    let wake = Condvar::new();
    let found: Vec<Found> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..workers)
            .map(|_| s.spawn(|| work(root, hash_kind, &queue, &wake)))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("a hashing worker panicked"))
            .collect()
    });

    let mut walk_errors = Vec::new();
    let mut hash_errors = Vec::new();
    let mut large_files = Vec::new();
    let mut files = Vec::new();
    let mut links = std::collections::BTreeMap::new();
    for f in found {
        links.extend(f.links);
        walk_errors.extend(f.walk_errors);
        hash_errors.extend(f.hash_errors);
        large_files.extend(f.large);
        files.push(f.files);
    }
    // The first bad path in path order, whatever the scheduling (walk errors first: once one
    // is met, hashing stops and its errors are incomplete).
    let first = |errors: Vec<(String, Error)>| errors.into_iter().min_by(|a, b| a.0.cmp(&b.0));
    if let Some((_, e)) = first(walk_errors).or_else(|| first(hash_errors)) {
        return Err(e);
    }
    let mut snapshot = Snapshot::new(hash_kind);
    for (rel, entry) in files.into_iter().flatten() {
        snapshot.insert(rel, entry)?;
    }
    snapshot.check_structure()?;
    // Each link stays inside on its own (checked in the walk); chains through other links too.
    Snapshot::check_links(&links)?;
    large_files.sort();
    Ok(BuildOutput {
        root: root.to_owned(),
        snapshot,
        large_files,
    })
}

/// One worker: takes jobs until the queue is empty and no worker can add more.
fn work(root: &Path, kind: HashKind, queue: &Mutex<Queue>, wake: &Condvar) -> Found {
    let lock = || queue.lock().unwrap_or_else(|p| p.into_inner());
    let mut found = Found::default();
    let mut buf = vec![0u8; CHUNK];
    let mut more = Vec::new();
    loop {
        let job = {
            let mut q = lock();
            loop {
                if q.stop {
                    q.jobs.retain(|j| matches!(j, Job::Dir(_)));
                }
                if let Some(job) = q.jobs.pop() {
                    q.busy += 1;
                    break job;
                }
                if q.busy == 0 {
                    if q.waiting > 0 {
                        wake.notify_all();
                    }
                    return found;
                }
                q.waiting += 1;
                q = wake.wait(q).unwrap_or_else(|p| p.into_inner());
                q.waiting -= 1;
            }
        };
        let unfinished = Unfinished { queue, wake };
        match job {
            Job::Dir(rel) => list(root, rel, kind, &mut more, &mut found),
            Job::Files(listed, names) => {
                hash_files(root, &listed, names, kind, &mut buf, &mut found)
            }
        }
        std::mem::forget(unfinished); // finished: accounted for below
        let walk_failed = !found.walk_errors.is_empty();
        let mut q = lock();
        q.busy -= 1;
        q.stop |= walk_failed;
        let added = !more.is_empty();
        q.jobs.append(&mut more);
        if q.waiting > 0 && (added || q.busy == 0) {
            wake.notify_all();
        }
    }
}

/// A job being worked on. If its worker unwinds (a panic), dropping this gives the job back
/// to the count and stops the pool, so the other workers end instead of waiting for it
/// forever; the panic is reported when the pool is joined.
struct Unfinished<'a> {
    queue: &'a Mutex<Queue>,
    wake: &'a Condvar,
}

impl Drop for Unfinished<'_> {
    fn drop(&mut self) {
        let mut q = self.queue.lock().unwrap_or_else(|p| p.into_inner());
        q.busy -= 1;
        q.stop = true;
        q.jobs.clear();
        self.wake.notify_all();
    }
}

/// Lists folder `rel`: subfolders become jobs, its files batches of jobs, symlinks are hashed
/// here (their blob is the link target), anything else is refused. Every bad entry is recorded
/// (not only the first met), so the error reported is the first in path order whatever the
/// listing order.
fn list(root: &Path, rel: String, kind: HashKind, jobs: &mut Vec<Job>, found: &mut Found) {
    let dir = root.join(&rel);
    let opened = fsys::Folder::open(&dir).and_then(|folder| Ok((folder.list()?, folder)));
    let (entries, folder) = match opened {
        Ok(opened) => opened,
        Err(source) => {
            return found
                .walk_errors
                .push((rel, Error::Io { path: dir, source }))
        }
    };
    let listed = Arc::new(Listed { rel, folder });
    let mut files = Vec::new();
    for (name, entry_kind) in entries {
        let Some(name) = name.to_str() else {
            let path = listed.child(&name.to_string_lossy());
            found
                .walk_errors
                .push((path.clone(), Error::NotUtf8 { path }));
            continue;
        };
        match entry_kind {
            fsys::Kind::Dir => jobs.push(Job::Dir(listed.child(name))),
            fsys::Kind::File => files.push(name.to_owned()),
            fsys::Kind::Symlink => match link_entry(root, &listed, name, kind) {
                Ok((file, target)) => {
                    found.links.push((file.0.clone(), target));
                    found.files.push(file);
                }
                Err((at, e)) => found.walk_errors.push((at, e)),
            },
            fsys::Kind::Other => {
                let path = listed.child(name);
                found
                    .walk_errors
                    .push((path.clone(), Error::SpecialFile { path }));
            }
        }
    }
    while !files.is_empty() {
        let batch = files.split_off(files.len().saturating_sub(FILES_PER_JOB));
        jobs.push(Job::Files(Arc::clone(&listed), batch));
    }
}

/// A symlink met while listing: its snapshot entry and its target text.
type ListedLink = ((String, Entry), String);

/// The symlink `name` of a listed folder, hashed (its blob is its target), or the error with
/// its path.
fn link_entry(
    root: &Path,
    listed: &Listed,
    name: &str,
    kind: HashKind,
) -> Result<ListedLink, (String, Error)> {
    let rel = listed.child(name);
    let target = match listed.folder.read_link(name) {
        Ok(target) => target,
        Err(source) => {
            let path = root.join(&rel);
            return Err((rel, Error::Io { path, source }));
        }
    };
    let Some(target_text) = target.to_str() else {
        return Err((rel.clone(), Error::NotUtf8 { path: rel }));
    };
    if !stays_inside(&rel, &target) {
        let target = target_text.to_owned();
        return Err((rel.clone(), Error::SymlinkEscape { path: rel, target }));
    }
    let entry = Entry {
        mode: Mode::Symlink,
        oid: gensync_core::hash_blob(kind, target_text.as_bytes()),
        data: None,
    };
    Ok(((rel, entry), target_text.to_owned()))
}

/// Hash a batch of the files of a listed folder.
fn hash_files(
    root: &Path,
    listed: &Listed,
    names: Vec<String>,
    kind: HashKind,
    buf: &mut [u8],
    found: &mut Found,
) {
    for name in names {
        let rel = listed.child(&name);
        match hash_file(root, listed, &name, &rel, kind, buf) {
            Ok((entry, size)) => {
                if size >= LARGE_FILE_BYTES {
                    found.large.push((rel.clone(), size));
                }
                found.files.push((rel, entry));
            }
            Err(e) => found.hash_errors.push((rel, e)),
        }
    }
}

/// The blob id, mode and size of file `name` of a listed folder (`rel` below the root), read in
/// pieces through `buf`. The mode and the size come from the open file itself, so they
/// describe the contents hashed.
fn hash_file(
    root: &Path,
    listed: &Listed,
    name: &str,
    rel: &str,
    kind: HashKind,
    buf: &mut [u8],
) -> Result<(Entry, u64), Error> {
    use std::io::Read;
    let io = |source| Error::Io {
        path: root.join(rel),
        source,
    };
    let mut file = listed.folder.open_file(name).map_err(io)?;
    let meta = file.metadata().map_err(io)?;
    let mut hasher = BlobHasher::new(kind, meta.len());
    loop {
        let n = match file.read(buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(io(e)),
        };
        hasher.update(&buf[..n]);
        // A read that stops short of the buffer at exactly the announced length met the end of
        // the file: the read that would return 0 is saved (one system call a file). A file that
        // grew before this read filled past its length and still fails below.
        if n < buf.len() && hasher.fed() == meta.len() {
            break;
        }
    }
    let size = hasher.fed();
    let oid = hasher.finalize().map_err(|source| Error::Changing {
        path: rel.to_owned(),
        source,
    })?;
    let mode = if is_executable(&meta) {
        Mode::Executable
    } else {
        Mode::Regular
    };
    let entry = Entry {
        mode,
        oid,
        data: None,
    };
    Ok((entry, size))
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

    #[cfg(unix)]
    #[test]
    fn link_chains_escaping_through_other_links_are_refused() {
        // Issue 12: `a/b -> ..` and `p -> a/b/a/b/../../../etc/passwd` each stay inside alone.
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir_all(dir.path().join("a")).expect("mkdir");
        std::os::unix::fs::symlink("..", dir.path().join("a/b")).expect("link");
        std::os::unix::fs::symlink("a/b/a/b/../../../etc/passwd", dir.path().join("p"))
            .expect("link");
        match read(dir.path(), HashKind::Sha1, 2) {
            Err(Error::Snapshot(gensync_core::snapshot::Error::LinkEscape { path, .. })) => {
                assert_eq!(path, "p")
            }
            Err(other) => panic!("unexpected error: {other}"),
            Ok(_) => panic!("an escaping chain was accepted"),
        }
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
        assert_eq!(out.large_files, vec![("big.bin".to_owned(), 9 << 20)]);
    }

    #[cfg(unix)]
    #[test]
    fn the_first_bad_path_is_reported_whatever_the_scheduling() {
        let dir = tempfile::tempdir().expect("tempdir");
        for d in ["a", "b", "c/d"] {
            std::fs::create_dir_all(dir.path().join(d)).expect("mkdir");
        }
        for i in 0..50 {
            std::fs::write(dir.path().join(format!("c/d/f{i}")), "x").expect("write");
        }
        std::os::unix::fs::symlink("../../out", dir.path().join("b/link")).expect("link");
        std::os::unix::fs::symlink("../../out", dir.path().join("a/link")).expect("link");
        for threads in [1, 2, 4, 8] {
            for _ in 0..5 {
                match read(dir.path(), HashKind::Sha1, threads) {
                    Err(Error::SymlinkEscape { path, .. }) => assert_eq!(path, "a/link"),
                    Err(other) => panic!("unexpected error: {other}"),
                    Ok(_) => panic!("an escaping link was accepted"),
                }
            }
        }
    }

    #[test]
    fn a_folder_of_many_files_is_hashed_in_batches_by_every_worker() {
        // More files than one job takes (FILES_PER_JOB), of sizes around the read buffer's,
        // so batches are spread over workers and a read that ends exactly at a file's length
        // (or at a buffer's) is met.
        let dir = tempfile::tempdir().expect("tempdir");
        let sizes = |i: usize| match i % 4 {
            0 => CHUNK,
            1 => CHUNK + 1,
            2 => CHUNK - 1,
            _ => i,
        };
        for i in 0..(3 * FILES_PER_JOB + 5) {
            let data = vec![b'a' + (i % 26) as u8; sizes(i)];
            std::fs::write(dir.path().join(format!("f{i}")), data).expect("write");
        }
        for threads in [1, 2, 4] {
            let out = read(dir.path(), HashKind::Sha1, threads).expect("read");
            assert_eq!(out.snapshot.len(), 3 * FILES_PER_JOB + 5);
            for i in 0..(3 * FILES_PER_JOB + 5) {
                let data = vec![b'a' + (i % 26) as u8; sizes(i)];
                assert_eq!(
                    out.snapshot.get(&format!("f{i}")).map(|e| e.oid),
                    Some(gensync_core::hash_blob(HashKind::Sha1, &data)),
                    "f{i} with {threads} workers"
                );
            }
        }
    }

    #[cfg(unix)]
    #[test]
    fn any_number_of_workers_reads_the_same_snapshot() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("tempdir");
        for i in 0..300 {
            let path = dir.path().join(format!("d{}/e{}/f{i}.txt", i % 7, i % 3));
            std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
            std::fs::write(&path, "y".repeat(i * 997)).expect("write");
            if i % 11 == 0 {
                std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755))
                    .expect("chmod");
            }
        }
        std::os::unix::fs::symlink("d1/e1/f1.txt", dir.path().join("link")).expect("link");
        std::fs::write(dir.path().join("empty"), "").expect("write");
        let one = read(dir.path(), HashKind::Sha1, 1).expect("read");
        assert_eq!(one.snapshot.len(), 302);
        assert_eq!(
            one.snapshot.get("d0/e0/f0.txt").map(|e| e.mode),
            Some(Mode::Executable)
        );
        assert_eq!(
            one.snapshot.get("link").map(|e| e.mode),
            Some(Mode::Symlink)
        );
        assert_eq!(
            one.snapshot.get("d5/e2/f299.txt").map(|e| e.oid),
            Some(gensync_core::hash_blob(
                HashKind::Sha1,
                "y".repeat(299 * 997).as_bytes()
            ))
        );
        for threads in [2, 3, 16] {
            let many = read(dir.path(), HashKind::Sha1, threads).expect("read");
            assert_eq!(
                many.snapshot.iter().collect::<Vec<_>>(),
                one.snapshot.iter().collect::<Vec<_>>()
            );
        }
    }
}
