//! `--local-clone PATH` (issue 6): the branch tree, manifest and ignore files read from a local
//! checkout with gitoxide instead of the API; commits the clone lacks read from the API.

use std::path::Path;
use std::process::Command;

use gensync_tests::git::FileChange;

use crate::harness::{ok_json, Env, REPO};

/// Object reads sent to the API: commits, trees, blobs.
fn object_reads(env: &Env) -> usize {
    env.emu
        .requests()
        .iter()
        .filter(|r| {
            r.method == "GET"
                && ["/git/commits/", "/git/trees/", "/git/blobs/"]
                    .iter()
                    .any(|p| r.path.contains(p))
        })
        .count()
}

fn clone(env: &Env, dest: &Path) {
    let out = Command::new("git")
        .args(["clone", "-q", "--no-checkout"])
        .arg(env.emu.git_dir(REPO).unwrap())
        .arg(dest)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn a_local_clone_saves_api_reads_and_gives_the_same_commit() {
    let plain = Env::start();
    let cloned = Env::start();
    for env in [&plain, &cloned] {
        ok_json(&env.sync(&env.build("build-1"), "1", &[]));
        env.emu
            .commit_files(
                REPO,
                "amplication",
                &[FileChange::write("README.md", "# edited by a person\n")],
                "person edits",
            )
            .unwrap();
        env.emu.clear_requests();
    }
    let checkout = cloned.work.path().join("checkout");
    clone(&cloned, &checkout);

    ok_json(&plain.sync(&plain.build("build-2"), "2", &[]));
    let out = cloned.sync(
        &cloned.build("build-2"),
        "2",
        &["--local-clone", checkout.to_str().unwrap()],
    );
    ok_json(&out);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("from the clone, 0 from the API"),
        "{stderr}"
    );

    let (api, local) = (object_reads(&plain), object_reads(&cloned));
    assert!(
        api >= 3,
        "the API path reads commits, trees and blobs: {api}"
    );
    assert_eq!(local, 0, "everything the flow read came from the clone");
    let tree = |e: &Env| e.git(&["rev-parse", "amplication^{tree}"]);
    assert_eq!(tree(&plain), tree(&cloned));
    assert_eq!(
        cloned.show("amplication:README.md"),
        "# edited by a person\n",
        "the person's edit survives"
    );
    // Writes and pull requests still go to the API.
    assert_eq!(cloned.emu.pulls(REPO).unwrap().len(), 1);
    cloned.emu.assert_no_invalid_requests();
}

#[test]
fn a_stale_clone_falls_back_to_the_api_for_what_it_lacks() {
    let env = Env::start();
    ok_json(&env.sync(&env.build("build-1"), "1", &[]));
    let checkout = env.work.path().join("checkout");
    clone(&env, &checkout);
    // After the clone: a person's commit the clone does not have.
    env.emu
        .commit_files(
            REPO,
            "amplication",
            &[FileChange::write("src/mine.ts", "// mine\n")],
            "person adds a file",
        )
        .unwrap();
    let head = env.head("amplication").unwrap();
    env.emu.clear_requests();
    let out = env.sync(
        &env.build("build-2"),
        "2",
        &["--local-clone", checkout.to_str().unwrap()],
    );
    ok_json(&out);
    assert!(
        env.emu
            .requests()
            .iter()
            .any(|r| r.path.ends_with(&format!("/git/commits/{head}"))),
        "the missing head commit is read from the API"
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains(", 0 from the API"), "{stderr}");
    let new = env.head("amplication").unwrap();
    assert_eq!(env.git(&["rev-parse", &format!("{new}^")]).trim(), head);
    assert_eq!(env.show(&format!("{new}:src/mine.ts")), "// mine\n");
    env.emu.assert_no_invalid_requests();
}
