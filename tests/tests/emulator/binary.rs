//! The `emulator` binary: prints its base URL first, serves until killed, and takes control
//! requests over HTTP.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use serde_json::{json, Value};

use crate::support::Client;

/// Kills the emulator process when the test ends, however it ends.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn the_binary_serves_github_and_its_control_endpoint() {
    let dir = tempfile::tempdir().expect("tempdir");
    let record = dir.path().join("record.jsonl");
    let mut child = Command::new(env!("CARGO_BIN_EXE_emulator"))
        .args(["--provider", "github", "--root"])
        .arg(dir.path().join("root"))
        .arg("--record")
        .arg(&record)
        .args([
            "--repo",
            "acme/app",
            "--repo",
            "acme/empty:empty",
            "--token",
            "ghs_bin",
            "--token",
            "ghs_ro:read",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("the emulator binary starts");
    let stdout = child.stdout.take().expect("piped");
    let running = Running(child);
    let mut first = String::new();
    BufReader::new(stdout)
        .read_line(&mut first)
        .expect("first line");
    let base = first.trim().to_owned();
    assert!(base.starts_with("http://127.0.0.1:"), "{base:?}");

    let client = Client::new(&base, Some("ghs_bin"));
    assert_eq!(client.get("/repos/acme/app").json["default_branch"], "main");
    assert_eq!(
        client.get("/repos/acme/empty/git/ref/heads/main").status,
        409
    );
    let reader = Client::new(&base, Some("ghs_ro"));
    assert_eq!(
        reader
            .post("/repos/acme/app/git/blobs", json!({"content": "x"}))
            .status,
        403
    );

    let control = Client::new(&base, None);
    let rule = json!({"method": "GET", "path": "/repos/acme/app", "action": {"kind": "respond", "status": 502}});
    let added = control.post("/_emulator/faults", rule);
    assert_eq!(added.status, 201, "{}", added.text);
    assert_eq!(client.get("/repos/acme/app").status, 502);
    let fired = control.get(&format!("/_emulator/faults/{}", added.json["id"]));
    assert_eq!(fired.json["fired"], 1);

    let commit = control.post(
        "/_emulator/repos/acme/app/commits",
        json!({"branch": "main", "files": {"x.txt": "x\n"}}),
    );
    assert_eq!(commit.status, 201, "{}", commit.text);
    assert_eq!(
        client.get("/repos/acme/app/git/ref/heads/main").json["object"]["sha"],
        commit.json["sha"]
    );

    let recorded = control.get("/_emulator/requests");
    let requests: &Vec<Value> = recorded.json.as_array().expect("a list");
    assert_eq!(requests.len(), 5, "control requests are not recorded");
    let lines = std::fs::read_to_string(&record).expect("record file");
    assert_eq!(lines.lines().count(), 5);
    assert!(!lines.contains("ghs_bin"));
    assert_eq!(control.get("/_emulator/requests/invalid").json, json!([]));
    drop(running);
}

#[test]
fn the_binary_serves_bitbucket_and_its_control_routes_as_documented() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut child = Command::new(env!("CARGO_BIN_EXE_emulator"))
        .args(["--provider", "bitbucket", "--root"])
        .arg(dir.path().join("root"))
        .args(["--repo", "acme/app", "--token", "bb_bin"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("the emulator binary starts");
    let stdout = child.stdout.take().expect("piped");
    let running = Running(child);
    let mut first = String::new();
    BufReader::new(stdout)
        .read_line(&mut first)
        .expect("first line");
    // The first line is the API root (below /2.0); the control endpoint is at the server's root.
    let api = first.trim().to_owned();
    let base = api.strip_suffix("/2.0").unwrap_or(&api).to_owned();
    let client = Client::new(&base, Some("bb_bin"));
    let control = Client::new(&base, None);
    // The routes of tests/src/bitbucket/control.rs's table, below /_emulator/repos like GitHub's.
    let commit = control.post(
        "/_emulator/repos/acme/app/commits",
        json!({"branch": "main", "files": {"x.txt": "x\n"}}),
    );
    assert_eq!(commit.status, 201, "{}", commit.text);
    let branch = client.get("/2.0/repositories/acme/app/refs/branches/main");
    assert_eq!(branch.json["target"]["hash"], commit.json["hash"]);
    let pulls = control.get("/_emulator/repos/acme/app/pullrequests");
    assert_eq!(pulls.status, 200, "{}", pulls.text);
    assert_eq!(pulls.json, json!([]));
    drop(running);
}
