//! Running the real `gensync` binary from the end-to-end tests: where it is, the bundled
//! examples, and reading its outcome. One copy shared by every test binary's harness.

use std::path::{Path, PathBuf};
use std::process::Output;

/// The `gensync` binary that `cargo test --workspace` builds next to the running test's own
/// executable (`target/<profile>/gensync`).
pub fn bin() -> PathBuf {
    let exe = std::env::current_exe().expect("test executable path");
    let dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("target/<profile>");
    let bin = dir.join("gensync");
    assert!(
        bin.exists(),
        "{} is missing: run `cargo build -p gensync` (cargo test --workspace builds it)",
        bin.display()
    );
    bin
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
