//! End-to-end: the GitHub Action's install step (`scripts/install-action.sh`, run by
//! action.yml) against a release folder served over local HTTP (`GENSYNC_DOWNLOAD_URL`), made
//! of real archives of the `gensync` binary built here, with the version and SHA-256 committed
//! in the action's `dist/` as the release writes them.
//!
//! A good asset installs and `gensync --version` prints the release's version; a tampered asset
//! is refused and nothing is installed; a missing asset, and a version without a committed
//! checksum on a runner without cargo, fail with a message saying what and why.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::{Arc, Mutex};

use gensync_tests::cli;
use gensync_tests::http::{Reply, Request, Response, Server};

/// The runner architecture GitHub names for this machine, and the Linux target of its asset.
fn runner_arch() -> (&'static str, &'static str) {
    match std::env::consts::ARCH {
        "aarch64" => ("ARM64", "aarch64-unknown-linux-musl"),
        _ => ("X64", "x86_64-unknown-linux-musl"),
    }
}

/// The version the binary under test reports (`gensync X.Y.Z`).
fn binary_version() -> String {
    let out = Command::new(cli::bin())
        .arg("--version")
        .output()
        .expect("run gensync --version");
    let text = String::from_utf8(out.stdout).expect("utf-8");
    text.trim()
        .strip_prefix("gensync ")
        .expect("`gensync X.Y.Z`")
        .to_owned()
}

fn sha256(path: &Path) -> String {
    let out = Command::new("sha256sum")
        .arg(path)
        .output()
        .expect("sha256sum");
    assert!(out.status.success());
    String::from_utf8(out.stdout).expect("utf-8")[..64].to_owned()
}

/// A release folder `<root>/v<version>/<asset>` holding a real archive of the binary.
fn release_archive(root: &Path, version: &str, asset: &str) -> PathBuf {
    let stage = root.join("stage");
    std::fs::create_dir_all(&stage).unwrap();
    std::fs::copy(cli::bin(), stage.join("gensync")).unwrap();
    let dir = root.join(format!("v{version}"));
    std::fs::create_dir_all(&dir).unwrap();
    let archive = dir.join(asset);
    // gzip -1: the debug binary is large, and the level does not matter to the test.
    let status = Command::new("bash")
        .arg("-c")
        .arg(r#"tar -cf - -C "$1" gensync | gzip -1 > "$2""#)
        .arg("-")
        .arg(&stage)
        .arg(&archive)
        .status()
        .unwrap();
    assert!(status.success(), "tar | gzip");
    std::fs::remove_dir_all(&stage).unwrap();
    archive
}

/// A copy of the action as `uses:` checks it out: the real install script and the `dist/`
/// files the release commits.
fn action_dir(root: &Path, release: &str, sums: &str) -> PathBuf {
    let action = root.join("action");
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    std::fs::create_dir_all(action.join("scripts")).unwrap();
    std::fs::create_dir_all(action.join("dist")).unwrap();
    std::fs::copy(
        repo.join("scripts/install-action.sh"),
        action.join("scripts/install-action.sh"),
    )
    .unwrap();
    let env = std::fs::read_to_string(repo.join("dist/release.env")).unwrap();
    let env: String = env
        .lines()
        .map(|l| {
            if l.starts_with("GENSYNC_RELEASE=") {
                format!("GENSYNC_RELEASE={release}\n")
            } else {
                format!("{l}\n")
            }
        })
        .collect();
    std::fs::write(action.join("dist/release.env"), env).unwrap();
    std::fs::write(action.join("dist/SHA256SUMS"), sums).unwrap();
    action
}

/// Serves `root`'s files (GET only) and records the paths asked for.
fn serve(root: &Path) -> (Server, Arc<Mutex<Vec<String>>>) {
    let root = root.to_owned();
    let asked = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&asked);
    let server = Server::start(
        TcpListener::bind("127.0.0.1:0").unwrap(),
        Arc::new(move |req: Request| {
            log.lock().unwrap().push(req.path.clone());
            let rel = req.path.trim_start_matches('/');
            let file = root.join(rel);
            let body = (req.method == "GET" && !rel.contains(".."))
                .then(|| std::fs::read(&file).ok())
                .flatten();
            Reply::Respond(match body {
                Some(body) => Response {
                    status: 200,
                    headers: vec![("content-type".into(), "application/gzip".into())],
                    body,
                },
                None => Response::empty(404),
            })
        }),
    )
    .unwrap();
    (server, asked)
}

struct Run {
    out: Output,
    tool_cache: PathBuf,
    github_path: String,
}

impl Run {
    fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.out.stderr).into_owned()
    }
    fn installed(&self) -> Vec<PathBuf> {
        let mut found = Vec::new();
        let mut stack = vec![self.tool_cache.clone()];
        while let Some(dir) = stack.pop() {
            for e in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
                let p = e.path();
                if p.is_dir() {
                    stack.push(p);
                } else {
                    found.push(p);
                }
            }
        }
        found
    }
}

/// Runs the install step as a Linux runner would, with `path` as PATH.
fn install(root: &Path, action: &Path, url: &str, path: &str) -> Run {
    let tool_cache = root.join("toolcache");
    std::fs::create_dir_all(&tool_cache).unwrap();
    let github_path = root.join("github_path");
    std::fs::write(&github_path, "").unwrap();
    let out = Command::new("bash")
        .arg(action.join("scripts/install-action.sh"))
        .env_clear()
        .env("PATH", path)
        .env("HOME", root)
        .env("RUNNER_OS", "Linux")
        .env("RUNNER_ARCH", runner_arch().0)
        .env("RUNNER_TOOL_CACHE", &tool_cache)
        .env("GITHUB_PATH", &github_path)
        .env("GITHUB_ACTION_PATH", action)
        .env("GENSYNC_DOWNLOAD_URL", url)
        .output()
        .unwrap();
    Run {
        out,
        tool_cache,
        github_path: std::fs::read_to_string(&github_path).unwrap(),
    }
}

/// PATH of the machine's tools without cargo (a runner with no Rust).
const SYSTEM_PATH: &str = "/usr/local/bin:/usr/bin:/bin";

#[test]
fn a_good_asset_installs_and_reports_the_release_version() {
    let tmp = tempfile::tempdir().unwrap();
    let version = binary_version();
    let asset = format!("gensync-v{version}-{}.tar.gz", runner_arch().1);
    let archive = release_archive(&tmp.path().join("release"), &version, &asset);
    let sums = format!("{}  {asset}\n", sha256(&archive));
    let action = action_dir(tmp.path(), &version, &sums);
    let (server, asked) = serve(&tmp.path().join("release"));
    let url = format!("http://{}", server.addr());

    let run = install(tmp.path(), &action, &url, SYSTEM_PATH);
    assert!(run.out.status.success(), "install failed: {}", run.stderr());
    assert_eq!(
        *asked.lock().unwrap(),
        [format!("/v{version}/{asset}")],
        "one download, from GENSYNC_DOWNLOAD_URL"
    );
    let dir = PathBuf::from(run.github_path.trim());
    assert!(dir.starts_with(&run.tool_cache), "{dir:?} added to PATH");
    let out = Command::new(dir.join("gensync"))
        .arg("--version")
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        format!("gensync {version}")
    );
    assert_eq!(run.installed(), [dir.join("gensync")], "only the binary");

    // A second job on the same runner reuses it without downloading.
    let again = install(tmp.path(), &action, &url, SYSTEM_PATH);
    assert!(again.out.status.success(), "{}", again.stderr());
    assert_eq!(asked.lock().unwrap().len(), 1, "no second download");
    assert_eq!(again.github_path.trim(), dir.to_str().unwrap());
}

#[test]
fn a_tampered_asset_is_refused_and_nothing_is_installed() {
    let tmp = tempfile::tempdir().unwrap();
    let version = binary_version();
    let asset = format!("gensync-v{version}-{}.tar.gz", runner_arch().1);
    let archive = release_archive(&tmp.path().join("release"), &version, &asset);
    let good = sha256(&archive);
    // The mirror serves a different archive (still a valid one) than the release's.
    let mut bytes = std::fs::read(&archive).unwrap();
    bytes.extend_from_slice(&[0; 512]);
    std::fs::write(&archive, bytes).unwrap();
    let bad = sha256(&archive);
    let action = action_dir(tmp.path(), &version, &format!("{good}  {asset}\n"));
    let (server, _) = serve(&tmp.path().join("release"));

    let run = install(
        tmp.path(),
        &action,
        &format!("http://{}", server.addr()),
        SYSTEM_PATH,
    );
    assert!(!run.out.status.success(), "a tampered asset installed");
    let err = run.stderr();
    assert!(err.contains("SHA-256 mismatch"), "{err}");
    assert!(
        err.contains(&good) && err.contains(&bad),
        "both sums named: {err}"
    );
    assert!(err.contains("nothing was installed"), "{err}");
    assert_eq!(run.installed(), Vec::<PathBuf>::new(), "nothing installed");
    assert_eq!(run.github_path, "", "PATH untouched");
}

#[test]
fn a_missing_asset_is_a_clear_error() {
    let tmp = tempfile::tempdir().unwrap();
    let version = binary_version();
    let asset = format!("gensync-v{version}-{}.tar.gz", runner_arch().1);
    let sums = format!("{}  {asset}\n", "0".repeat(64));
    let action = action_dir(tmp.path(), &version, &sums);
    std::fs::create_dir_all(tmp.path().join("empty")).unwrap();
    let (server, _) = serve(&tmp.path().join("empty"));
    let url = format!("http://{}", server.addr());

    let run = install(tmp.path(), &action, &url, SYSTEM_PATH);
    assert!(!run.out.status.success());
    let err = run.stderr();
    assert!(
        err.contains(&format!(
            "cannot download {url}/v{version}/{asset} (HTTP 404)"
        )),
        "{err}"
    );
    assert!(
        err.contains("GENSYNC_DOWNLOAD_URL"),
        "says how to fix: {err}"
    );
    assert_eq!(run.installed(), Vec::<PathBuf>::new());
}

#[test]
fn without_a_committed_checksum_it_says_why_it_would_build_from_source() {
    let tmp = tempfile::tempdir().unwrap();
    let version = binary_version();
    // A release whose checksums do not list this runner's asset; no cargo on PATH.
    let action = action_dir(tmp.path(), &version, "");
    let (server, asked) = serve(tmp.path());

    let run = install(
        tmp.path(),
        &action,
        &format!("http://{}", server.addr()),
        SYSTEM_PATH,
    );
    assert!(!run.out.status.success());
    let err = run.stderr();
    let asset = format!("gensync-v{version}-{}.tar.gz", runner_arch().1);
    assert!(
        err.contains(&format!(
            "no SHA-256 of {asset} is committed in dist/SHA256SUMS"
        )),
        "{err}"
    );
    assert!(err.contains("cargo is not installed"), "{err}");
    assert!(asked.lock().unwrap().is_empty(), "nothing downloaded");

    // Before the first release (no version committed) the reason says so.
    let action = action_dir(&tmp.path().join("unreleased"), "", "");
    let run = install(tmp.path(), &action, "http://127.0.0.1:9", SYSTEM_PATH);
    assert!(!run.out.status.success());
    assert!(
        run.stderr().contains("predates gensync's first release"),
        "{}",
        run.stderr()
    );
}
