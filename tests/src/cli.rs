//! Running the real `gensync` binary from the end-to-end tests: where it is, the bundled
//! examples, and reading its outcome. One copy shared by every test binary's harness.

use std::path::{Path, PathBuf};
use std::process::Output;

/// The `gensync` binary under test: `GENSYNC_BIN` if set, else the one `cargo test
/// --workspace` builds next to the running test's own executable (`target/<profile>/gensync`).
///
/// `cargo test -p gensync-tests` alone does not rebuild that binary: a binary older than the
/// sources it is built from is refused with the command that rebuilds it, rather than tested
/// silently.
pub fn bin() -> PathBuf {
    if let Some(bin) = std::env::var_os("GENSYNC_BIN") {
        return PathBuf::from(bin);
    }
    let exe = std::env::current_exe().expect("test executable path");
    let dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("target/<profile>");
    let bin = dir.join("gensync");
    let built = std::fs::metadata(&bin).and_then(|m| m.modified());
    let Ok(built) = built else {
        panic!(
            "{} is missing: run `cargo build -p gensync` (cargo test --workspace builds it)",
            bin.display()
        );
    };
    if let Some((source, _)) = newest_source().filter(|(_, changed)| *changed > built) {
        panic!(
            "{} is older than {}: run `cargo build -p gensync` (cargo test -p gensync-tests does not rebuild it), or set GENSYNC_BIN",
            bin.display(),
            source.display()
        );
    }
    bin
}

/// The most recently modified source file of the binary (`action/`, `core/`: sources and
/// manifests), once per test process.
fn newest_source() -> Option<(PathBuf, std::time::SystemTime)> {
    static NEWEST: std::sync::OnceLock<Option<(PathBuf, std::time::SystemTime)>> =
        std::sync::OnceLock::new();
    NEWEST
        .get_or_init(|| {
            let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
            let mut newest: Option<(PathBuf, std::time::SystemTime)> = None;
            let mut stack: Vec<PathBuf> = [
                "action/src",
                "core/src",
                "action/Cargo.toml",
                "core/Cargo.toml",
            ]
            .iter()
            .map(|p| root.join(p))
            .collect();
            while let Some(path) = stack.pop() {
                let Ok(meta) = std::fs::metadata(&path) else {
                    continue;
                };
                if meta.is_dir() {
                    if let Ok(entries) = std::fs::read_dir(&path) {
                        stack.extend(entries.flatten().map(|e| e.path()));
                    }
                } else if let Ok(changed) = meta.modified() {
                    if newest.as_ref().is_none_or(|(_, t)| changed > *t) {
                        newest = Some((path, changed));
                    }
                }
            }
            newest
        })
        .clone()
}

/// The bundled example builds (`examples/` at the repository root).
pub fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples")
}

/// The JSON outcome of a run that must have succeeded.
pub fn ok_json(out: &Output) -> serde_json::Value {
    assert!(
        out.status.success(),
        "gensync failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&out.stdout)))
}

/// The standard error of a run that must have failed.
pub fn failure(out: &Output) -> String {
    assert!(
        !out.status.success(),
        "expected failure, got:\n{}",
        String::from_utf8_lossy(&out.stdout)
    );
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Copy the folder `from` to `to` (files and folders; used to modify example builds freely).
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create the destination folder");
    for e in std::fs::read_dir(from).expect("read the source folder") {
        let e = e.expect("a folder entry");
        let dest = to.join(e.file_name());
        if e.file_type().expect("the entry's type").is_dir() {
            copy_dir(&e.path(), &dest);
        } else {
            std::fs::copy(e.path(), &dest).expect("copy a file");
        }
    }
}
