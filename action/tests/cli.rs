//! The real `gensync` binary on the bundled examples and on bad input.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn gensync(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_gensync"))
        .args(args)
        .current_dir(repo_root())
        .output()
        .expect("gensync runs")
}

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace root")
        .to_owned()
}

fn stdout(o: &Output) -> String {
    assert!(
        o.status.success(),
        "gensync failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout.clone()).expect("utf-8")
}

fn stderr_of_failure(o: &Output) -> String {
    assert!(
        !o.status.success(),
        "expected a failure, got: {}",
        String::from_utf8_lossy(&o.stdout)
    );
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn changes_between_the_bundled_examples_as_text() {
    let out = stdout(&gensync(&[
        "changes",
        "--previous",
        "examples/build-1",
        "--next",
        "examples/build-2",
        "--ignore-file",
        "examples/.amplicationignore",
    ]));
    assert_eq!(
        out,
        "M  package.json\n\
         M  scripts/migrate.sh (mode 100644 -> 100755)\n\
         I  src/app.module.ts (modified by the generator; ignored)\n\
         D  src/customers/customers.controller.ts\n\
         D  src/customers/customers.service.ts\n\
         A  src/invoices/invoices.service.ts\n\
         R  src/customers/customer.dto.ts -> src/orders/customer.dto.ts\n\
         M  src/orders/orders.service.ts\n\
         1 added, 3 modified, 2 deleted, 1 renamed, 1 ignored, 0 conflicts\n"
    );
}

#[test]
fn changes_as_json_from_a_manifest_with_a_target_dir() {
    let tmp = tempfile::tempdir().unwrap();
    let manifest = tmp.path().join("manifest");
    stdout(&gensync(&[
        "manifest",
        "examples/build-1",
        "-o",
        manifest.to_str().unwrap(),
    ]));
    let out = stdout(&gensync(&[
        "changes",
        "--previous",
        manifest.to_str().unwrap(),
        "--next",
        "examples/build-2",
        "--target-dir",
        "services/orders",
        "--format",
        "json",
    ]));
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let paths = |key: &str| -> Vec<String> {
        v[key]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["path"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(
        paths("added"),
        ["services/orders/src/invoices/invoices.service.ts"]
    );
    assert_eq!(paths("deleted").len(), 2);
    assert_eq!(
        paths("modified").len(),
        4,
        "app.module.ts is not ignored without the ignore file"
    );
    assert_eq!(
        v["renamed"][0]["from"],
        "services/orders/src/customers/customer.dto.ts"
    );
    assert_eq!(v["added"][0]["mode"], "100644");
    assert_eq!(v["added"][0]["oid"].as_str().unwrap().len(), 40);
    assert_eq!(v["manifest_path"], "services/orders/.amplication/manifest");
}

#[test]
fn manifest_ids_equal_git_hash_object() {
    let out = stdout(&gensync(&["manifest", "examples/build-2"]));
    for line in out.lines().skip(2) {
        let mut parts = line.splitn(3, ' ');
        let (_mode, oid, path) = (
            parts.next().unwrap(),
            parts.next().unwrap(),
            parts.next().unwrap(),
        );
        let git = Command::new("git")
            .args(["hash-object", &format!("examples/build-2/{path}")])
            .current_dir(repo_root())
            .output()
            .unwrap();
        assert_eq!(String::from_utf8(git.stdout).unwrap().trim(), oid, "{path}");
    }
}

#[test]
fn a_symlink_pointing_outside_the_build_is_an_error_naming_it() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::create_dir(tmp.path().join("src")).unwrap();
    std::os::unix::fs::symlink("../../etc/passwd", tmp.path().join("src/evil")).unwrap();
    let err = stderr_of_failure(&gensync(&["manifest", tmp.path().to_str().unwrap()]));
    assert!(
        err.contains("\"src/evil\"") && err.contains("outside the build output"),
        "{err}"
    );
}

#[test]
fn a_git_folder_in_the_build_is_an_error_naming_the_path() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::create_dir(tmp.path().join(".git")).unwrap();
    std::fs::write(tmp.path().join(".git/config"), "[core]").unwrap();
    let err = stderr_of_failure(&gensync(&["manifest", tmp.path().to_str().unwrap()]));
    assert!(
        err.contains("\".git/config\"") && err.contains(".git"),
        "{err}"
    );
}

#[test]
fn a_special_file_is_an_error_naming_it() {
    let tmp = tempfile::tempdir().unwrap();
    let fifo = tmp.path().join("pipe");
    assert!(Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success());
    let err = stderr_of_failure(&gensync(&["manifest", tmp.path().to_str().unwrap()]));
    assert!(err.contains("\"pipe\"") && err.contains("FIFO"), "{err}");
}

#[test]
fn a_non_utf8_name_is_an_error() {
    use std::os::unix::ffi::OsStrExt;
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(
        tmp.path().join(std::ffi::OsStr::from_bytes(b"bad\xffname")),
        "x",
    )
    .unwrap();
    let err = stderr_of_failure(&gensync(&["manifest", tmp.path().to_str().unwrap()]));
    assert!(
        err.contains("bad\u{fffd}name") && err.contains("UTF-8"),
        "{err}"
    );
}

#[test]
fn a_malformed_manifest_line_is_an_error_naming_the_line() {
    let tmp = tempfile::tempdir().unwrap();
    let manifest = tmp.path().join("m");
    std::fs::write(
        &manifest,
        "# gensync manifest v1 sha1\n100644 nothex README.md\n",
    )
    .unwrap();
    let err = stderr_of_failure(&gensync(&[
        "changes",
        "--previous",
        manifest.to_str().unwrap(),
        "--next",
        "examples/build-2",
    ]));
    assert!(err.contains("line 2") && err.contains("nothex"), "{err}");
}

#[test]
fn a_manifest_from_a_newer_gensync_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let manifest = tmp.path().join("m");
    std::fs::write(&manifest, "# gensync manifest v9 sha1\n").unwrap();
    let err = stderr_of_failure(&gensync(&[
        "changes",
        "--previous",
        manifest.to_str().unwrap(),
        "--next",
        "examples/build-2",
    ]));
    assert!(
        err.contains("version 9") && err.contains("upgrade gensync"),
        "{err}"
    );
}

#[test]
fn an_empty_build_is_refused_unless_allowed() {
    let tmp = tempfile::tempdir().unwrap();
    let err = stderr_of_failure(&gensync(&[
        "changes",
        "--previous",
        "examples/build-1",
        "--next",
        tmp.path().to_str().unwrap(),
    ]));
    assert!(
        err.contains("empty") && err.contains("--allow-empty"),
        "{err}"
    );
    let out = stdout(&gensync(&[
        "changes",
        "--previous",
        "examples/build-1",
        "--next",
        tmp.path().to_str().unwrap(),
        "--allow-empty",
    ]));
    assert!(out.contains("0 added, 0 modified, 8 deleted"), "{out}");
}

#[test]
fn a_branch_tree_drops_no_op_writes_and_finds_conflicts() {
    // The branch already has build 2's package.json, and a person edited orders.service.ts.
    let tmp = tempfile::tempdir().unwrap();
    let tree = tmp.path().join("tree");
    let manifest = stdout(&gensync(&["manifest", "examples/build-1"]));
    let mut listing = String::new();
    for line in manifest.lines().skip(2) {
        let mut parts = line.splitn(3, ' ');
        let (mode, mut oid, path) = (
            parts.next().unwrap(),
            parts.next().unwrap().to_owned(),
            parts.next().unwrap(),
        );
        if path == "package.json" {
            oid = "25f6b91d4bd54934a5ee2bf282a97a2b4244e55b".into(); // build 2's
        }
        if path == "src/orders/orders.service.ts" {
            oid = "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391".into(); // emptied by a person
        }
        listing.push_str(&format!("{mode} blob {oid}\t{path}\n"));
    }
    std::fs::write(&tree, listing).unwrap();
    let out = stdout(&gensync(&[
        "changes",
        "--previous",
        "examples/build-1",
        "--next",
        "examples/build-2",
        "--branch-tree",
        tree.to_str().unwrap(),
    ]));
    assert!(!out.contains("M  package.json"), "{out}");
    assert!(
        out.contains("C  src/orders/orders.service.ts (both-modified: needs a merge)"),
        "{out}"
    );
}

#[test]
fn changes_between_two_folders_merge_a_conflict_whose_three_sides_are_local() {
    let tmp = tempfile::tempdir().unwrap();
    let (prev, next) = (tmp.path().join("prev"), tmp.path().join("next"));
    std::fs::create_dir_all(&prev).unwrap();
    std::fs::create_dir_all(&next).unwrap();
    let base = "a\nb\nc\nd\ne\nf\ng\n";
    let person = "a\nPERSON\nc\nd\ne\nf\ng\n";
    std::fs::write(prev.join("f.txt"), base).unwrap();
    // The branch's version of f.txt is a blob only the previous folder holds (as other.txt).
    std::fs::write(prev.join("other.txt"), person).unwrap();
    std::fs::write(next.join("f.txt"), "a\nb\nc\nd\ne\nf\nGEN\n").unwrap();
    std::fs::write(next.join("other.txt"), "changed\n").unwrap();
    let manifest = stdout(&gensync(&["manifest", prev.to_str().unwrap()]));
    let person_oid = manifest
        .lines()
        .find(|l| l.ends_with(" other.txt"))
        .and_then(|l| l.split(' ').nth(1))
        .unwrap()
        .to_owned();
    let tree = tmp.path().join("tree");
    std::fs::write(
        &tree,
        format!("100644 blob {person_oid}\tf.txt\n100644 blob {person_oid}\tother.txt\n"),
    )
    .unwrap();
    let out = stdout(&gensync(&[
        "changes",
        "--previous",
        prev.to_str().unwrap(),
        "--next",
        next.to_str().unwrap(),
        "--branch-tree",
        tree.to_str().unwrap(),
    ]));
    assert!(
        out.contains("C  f.txt (both-modified: merged cleanly)"),
        "{out}"
    );
}

#[test]
fn the_action_names_a_missing_input_not_a_flag_and_prints_no_usage() {
    let o = Command::new(env!("CARGO_BIN_EXE_gensync"))
        .arg("github-action")
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("INPUT_OUTPUT", "dist")
        .current_dir(repo_root())
        .output()
        .expect("gensync runs");
    let err = stderr_of_failure(&o);
    // A usage error, as clap's own (README "Exit statuses").
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("input `message` is required"), "{err}");
    assert!(
        !err.contains("--message") && !err.contains("Usage") && !err.contains("--help"),
        "{err}"
    );
}

#[test]
fn the_readme_workflow_pins_the_canonical_action_and_runs_on_the_default_branch() {
    let readme = std::fs::read_to_string(repo_root().join("README.md")).expect("README.md");
    let uses: Vec<&str> = readme
        .lines()
        .filter_map(|l| l.trim().strip_prefix("- uses: "))
        .filter(|u| u.contains("gensync@"))
        .collect();
    assert!(!uses.is_empty(), "the README shows the action");
    for u in uses {
        assert_eq!(
            u, "gensync/gensync@v1",
            "the README's `uses:` pins the canonical slug"
        );
    }
    let workflow = readme
        .split("```yaml\n")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .expect("a workflow snippet");
    assert!(
        !workflow.contains("on: push\n") && workflow.contains("branches: [main]"),
        "the workflow's `on: push` is limited to the default branch:\n{workflow}"
    );
}

#[test]
fn exit_statuses_tell_usage_errors_from_failures() {
    // A command line that does not parse: 2 (clap's usage status).
    for argv in [
        &["sync", "--output", "examples/build-1"][..],
        &["sync", "-m", "m", "--strategy", "weekly"][..],
        &["no-such-command"][..],
    ] {
        let o = gensync(argv);
        let err = stderr_of_failure(&o);
        assert_eq!(o.status.code(), Some(2), "{argv:?}: {err}");
    }
    // A command line that parses but cannot run: 1, the culprit named.
    let o = gensync(&["changes", "--next", "examples/no-such-build"]);
    let err = stderr_of_failure(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("no-such-build"), "{err}");
    let o = Command::new(env!("CARGO_BIN_EXE_gensync"))
        .args(["sync", "-m", "m", "--output", "examples/build-1"])
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .current_dir(repo_root())
        .output()
        .expect("gensync runs");
    let err = stderr_of_failure(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("no repository"), "{err}");
}

#[test]
fn a_bad_input_of_the_action_is_named_as_the_input() {
    let o = Command::new(env!("CARGO_BIN_EXE_gensync"))
        .arg("github-action")
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("INPUT_OUTPUT", "examples/build-1")
        .env("INPUT_MESSAGE", "m")
        .env("INPUT_REPOSITORY", "not-a-repository")
        .current_dir(repo_root())
        .output()
        .expect("gensync runs");
    let err = stderr_of_failure(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        err.contains(
            "repository (action input `with: repository`): \"not-a-repository\" is not OWNER/REPO"
        ),
        "{err}"
    );
    assert!(!err.contains("--repository"), "{err}");
}
