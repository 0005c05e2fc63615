//! The Git Data API end to end: blobs, trees, commits and refs, checked with git.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use gensync_tests::git::FileChange;
use gensync_tests::github::{GithubConfig, RepoSpec};
use serde_json::json;

use crate::support::{emulator, files_at, git, head, with_repo, Client};

#[test]
fn blob_tree_commit_and_ref_update_land_in_the_bare_repository() {
    let emulator = with_repo(&[
        ("README.md", "# app\n"),
        ("src/old.rs", "old\n"),
        ("src/keep.rs", "keep\n"),
    ]);
    let client = Client::of(&emulator);
    let base = head(&emulator, "acme/app", "main");

    let reference = client.get("/repos/acme/app/git/ref/heads/main");
    assert_eq!(reference.status, 200);
    assert_eq!(reference.json["object"]["sha"], base.as_str());
    let commit = client.get(&format!("/repos/acme/app/git/commits/{base}"));
    let base_tree = commit.json["tree"]["sha"]
        .as_str()
        .expect("tree sha")
        .to_owned();

    let blob = client.post(
        "/repos/acme/app/git/blobs",
        json!({"content": STANDARD.encode(b"binary\x00data\n"), "encoding": "base64"}),
    );
    assert_eq!(blob.status, 201, "{}", blob.text);
    let blob_sha = blob.json["sha"].as_str().expect("blob sha");
    assert_eq!(
        git(&emulator, "acme/app", &["cat-file", "-t", blob_sha]).trim(),
        "blob"
    );

    let tree = client.post(
        "/repos/acme/app/git/trees",
        json!({
            "base_tree": base_tree,
            "tree": [
                {"path": "src/old.rs", "mode": "100644", "type": "blob", "sha": null},
                {"path": "gen/deep/data.bin", "mode": "100644", "type": "blob", "sha": blob_sha},
                {"path": "gen/run.sh", "mode": "100755", "type": "blob", "content": "#!/bin/sh\n"},
                {"path": "README.md", "mode": "100644", "type": "blob", "content": "# app, generated\n"},
            ],
        }),
    );
    assert_eq!(tree.status, 201, "{}", tree.text);
    let tree_sha = tree.json["sha"].as_str().expect("tree sha");

    let commit = client.post(
        "/repos/acme/app/git/commits",
        json!({"message": "Sync build 7\n\nBuild-Id: 7\n", "tree": tree_sha, "parents": [base.as_str()]}),
    );
    assert_eq!(commit.status, 201, "{}", commit.text);
    assert_eq!(commit.json["author"]["name"], "github-actions[bot]");
    assert_eq!(commit.json["verification"]["verified"], true);
    let commit_sha = commit.json["sha"].as_str().expect("commit sha").to_owned();

    let update = client.patch(
        "/repos/acme/app/git/refs/heads/main",
        json!({"sha": commit_sha, "force": false}),
    );
    assert_eq!(update.status, 200, "{}", update.text);
    assert_eq!(update.json["object"]["sha"], commit_sha.as_str());

    // git itself sees exactly the change.
    assert_eq!(head(&emulator, "acme/app", "main").as_str(), commit_sha);
    let files = files_at(&emulator, "acme/app", "main");
    let paths: Vec<&str> = files.iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(
        paths,
        [
            "README.md",
            "gen/deep/data.bin",
            "gen/run.sh",
            "src/keep.rs"
        ]
    );
    assert_eq!(files[0].1, "# app, generated\n");
    let modes = git(
        &emulator,
        "acme/app",
        &["ls-tree", "-r", "main", "gen/run.sh"],
    );
    assert!(modes.starts_with("100755 blob "), "{modes}");
    let log = git(
        &emulator,
        "acme/app",
        &["log", "--format=%an|%cn|%P|%B", "-1", "main"],
    );
    assert_eq!(
        log.trim_end(),
        format!("github-actions[bot]|GitHub|{base}|Sync build 7\n\nBuild-Id: 7")
    );
    assert!(emulator.is_verified("acme/app", &head(&emulator, "acme/app", "main")));

    // Reading back through the API.
    let blob = client.get(&format!("/repos/acme/app/git/blobs/{blob_sha}"));
    let content = blob.json["content"]
        .as_str()
        .expect("content")
        .replace('\n', "");
    assert_eq!(
        STANDARD.decode(content).expect("base64"),
        b"binary\x00data\n"
    );
    let listing = client.get(&format!(
        "/repos/acme/app/git/trees/{commit_sha}?recursive=1"
    ));
    assert_eq!(listing.json["truncated"], false);
    let listed: Vec<&str> = listing.json["tree"]
        .as_array()
        .expect("entries")
        .iter()
        .map(|e| e["path"].as_str().expect("path"))
        .collect();
    assert_eq!(
        listed,
        [
            "README.md",
            "gen",
            "gen/deep",
            "gen/deep/data.bin",
            "gen/run.sh",
            "src",
            "src/keep.rs"
        ]
    );
    emulator.assert_no_invalid_requests();
}

#[test]
fn refs_are_never_moved_backwards_without_force_nor_when_protected() {
    let emulator = with_repo(&[("a.txt", "a\n")]);
    let client = Client::of(&emulator);
    let first = head(&emulator, "acme/app", "main");
    let second = emulator
        .commit_files(
            "acme/app",
            "main",
            &[FileChange::write("a.txt", "b\n")],
            "person edit\n",
        )
        .expect("commit");

    // A commit on the old head is not a fast-forward of the new one.
    let tree = git(
        &emulator,
        "acme/app",
        &["rev-parse", &format!("{first}^{{tree}}")],
    );
    let sibling = client.post(
        "/repos/acme/app/git/commits",
        json!({"message": "stale", "tree": tree.trim(), "parents": [first.as_str()]}),
    );
    assert_eq!(sibling.status, 201);
    let sibling_sha = sibling.json["sha"].as_str().expect("sha");
    let refused = client.patch(
        "/repos/acme/app/git/refs/heads/main",
        json!({"sha": sibling_sha, "force": false}),
    );
    assert_eq!(refused.status, 422);
    assert_eq!(refused.message(), "Update is not a fast forward");
    assert_eq!(
        head(&emulator, "acme/app", "main"),
        second,
        "the branch did not move"
    );

    // Creating an existing ref, updating a missing one.
    let exists = client.post(
        "/repos/acme/app/git/refs",
        json!({"ref": "refs/heads/main", "sha": first.as_str()}),
    );
    assert_eq!(
        (exists.status, exists.message()),
        (422, "Reference already exists")
    );
    let missing = client.patch(
        "/repos/acme/app/git/refs/heads/nope",
        json!({"sha": first.as_str()}),
    );
    assert_eq!(
        (missing.status, missing.message()),
        (422, "Reference does not exist")
    );
    let not_found = client.get("/repos/acme/app/git/ref/heads/nope");
    assert_eq!(not_found.status, 404);

    // A new branch, then a protected one.
    let created = client.post(
        "/repos/acme/app/git/refs",
        json!({"ref": "refs/heads/amplication", "sha": first.as_str()}),
    );
    assert_eq!(created.status, 201, "{}", created.text);
    let matching = client.get("/repos/acme/app/git/matching-refs/heads/amp");
    assert_eq!(matching.json.as_array().map(Vec::len), Some(1));
    emulator
        .protect_branch("acme/app", "main")
        .expect("protect");
    let forced = client.patch(
        "/repos/acme/app/git/refs/heads/main",
        json!({"sha": sibling_sha, "force": true}),
    );
    assert_eq!(forced.status, 422);
    assert_eq!(
        forced.message(),
        "Protected branch update failed for refs/heads/main."
    );
    assert_eq!(head(&emulator, "acme/app", "main"), second);
    emulator
        .unprotect_branch("acme/app", "main")
        .expect("unprotect");
    let forced = client.patch(
        "/repos/acme/app/git/refs/heads/main",
        json!({"sha": sibling_sha, "force": true}),
    );
    assert_eq!(forced.status, 200);

    let deleted = client.send("DELETE", "/repos/acme/app/git/refs/heads/amplication", None);
    assert_eq!(deleted.status, 204);
    assert_eq!(
        emulator
            .branch_head("acme/app", "amplication")
            .expect("git"),
        None
    );
    emulator.assert_no_invalid_requests();
}

#[test]
fn recursive_listings_over_the_limit_are_truncated() {
    let emulator = emulator(GithubConfig::default().tree_entry_limit(3));
    let spec = (0..5).fold(RepoSpec::new("acme/big"), |spec, i| {
        spec.file(&format!("d/f{i}.txt"), format!("{i}\n"))
    });
    emulator.create_repo(&spec).expect("repository");
    let client = Client::of(&emulator);
    let listing = client.get("/repos/acme/big/git/trees/main?recursive=1");
    assert_eq!(listing.status, 200);
    assert_eq!(listing.json["truncated"], true);
    assert_eq!(listing.json["tree"].as_array().map(Vec::len), Some(3));
    // One level is within the limit.
    let top = client.get("/repos/acme/big/git/trees/main");
    assert_eq!(top.json["truncated"], false);
    assert_eq!(top.json["tree"][0]["path"], "d");
    assert_eq!(top.json["tree"][0]["type"], "tree");
    emulator.assert_no_invalid_requests();
}

#[test]
fn tree_entries_are_checked_like_github_does() {
    let emulator = with_repo(&[("a.txt", "a\n")]);
    let client = Client::of(&emulator);
    let base = client.get("/repos/acme/app/git/trees/main");
    let base_tree = base.json["sha"].as_str().expect("sha");
    let delete_missing = client.post(
        "/repos/acme/app/git/trees",
        json!({"base_tree": base_tree, "tree": [{"path": "nope.txt", "mode": "100644", "type": "blob", "sha": null}]}),
    );
    assert_eq!(
        (delete_missing.status, delete_missing.message()),
        (422, "GitRPC::BadObjectState")
    );
    let both = client.post(
        "/repos/acme/app/git/trees",
        json!({"tree": [{"path": "x", "mode": "100644", "type": "blob", "sha": "0123456789012345678901234567890123456789", "content": "x"}]}),
    );
    assert_eq!(both.status, 422);
    assert!(both
        .message()
        .starts_with("Must supply either tree.sha or tree.content"));
    let unknown = client.post(
        "/repos/acme/app/git/trees",
        json!({"tree": [{"path": "x", "mode": "100644", "type": "blob", "sha": "0123456789012345678901234567890123456789"}]}),
    );
    assert_eq!(unknown.status, 422);
    let mismatch = client.post(
        "/repos/acme/app/git/trees",
        json!({"tree": [{"path": "x", "mode": "040000", "type": "blob", "content": "x"}]}),
    );
    assert_eq!(
        (mismatch.status, mismatch.message()),
        (422, "Invalid tree info")
    );
    let bad_path = client.post(
        "/repos/acme/app/git/trees",
        json!({"tree": [{"path": "a/../b", "mode": "100644", "type": "blob", "content": "x"}]}),
    );
    assert_eq!(bad_path.status, 422);
    let bad_parent = client.post(
        "/repos/acme/app/git/commits",
        json!({"message": "m", "tree": base_tree, "parents": ["0123456789012345678901234567890123456789"]}),
    );
    assert_eq!(bad_parent.status, 422);
    emulator.assert_no_invalid_requests();
}

#[test]
fn empty_repositories_answer_409_and_take_a_first_file_through_the_contents_api() {
    let emulator = emulator(GithubConfig::default());
    emulator
        .create_repo(&RepoSpec::new("acme/empty").empty())
        .expect("repository");
    let client = Client::of(&emulator);
    let repo = client.get("/repos/acme/empty");
    assert_eq!(
        (repo.status, repo.json["default_branch"].as_str()),
        (200, Some("main"))
    );
    for reply in [
        client.get("/repos/acme/empty/git/ref/heads/main"),
        client.post("/repos/acme/empty/git/blobs", json!({"content": "x"})),
        client.get("/repos/acme/empty/git/matching-refs/heads/"),
    ] {
        assert_eq!(
            (reply.status, reply.message()),
            (409, "Git Repository is empty.")
        );
    }
    let readme = client.send(
        "PUT",
        "/repos/acme/empty/contents/README.md",
        Some(&json!({"message": "Initial commit", "content": STANDARD.encode("# empty\n")})),
    );
    assert_eq!(readme.status, 201, "{}", readme.text);
    assert_eq!(
        files_at(&emulator, "acme/empty", "main"),
        [("README.md".to_owned(), "# empty\n".to_owned())]
    );
    let again = client.send(
        "PUT",
        "/repos/acme/empty/contents/README.md",
        Some(&json!({"message": "Update", "content": STANDARD.encode("# again\n")})),
    );
    assert_eq!(again.status, 422, "an update needs the current blob sha");
    let read = client.get("/repos/acme/empty/contents/README.md");
    assert_eq!(read.json["type"], "file");
    let content = read.json["content"]
        .as_str()
        .expect("content")
        .replace('\n', "");
    assert_eq!(STANDARD.decode(content).expect("base64"), b"# empty\n");
    emulator.assert_no_invalid_requests();
}

#[test]
fn compare_counts_commits_and_lists_files_from_the_merge_base() {
    let emulator = with_repo(&[("a.txt", "a\n"), ("b.txt", "b\n")]);
    let base = head(&emulator, "acme/app", "main");
    emulator
        .create_branch("acme/app", "amplication", &base)
        .expect("branch");
    emulator
        .commit_files(
            "acme/app",
            "amplication",
            &[
                FileChange::write("c.txt", "c\n"),
                FileChange::delete("b.txt"),
            ],
            "gen\n",
        )
        .expect("commit");
    emulator
        .commit_files(
            "acme/app",
            "main",
            &[FileChange::write("a.txt", "a2\n")],
            "main moves\n",
        )
        .expect("commit");
    let client = Client::of(&emulator);
    let compare = client.get("/repos/acme/app/compare/main...amplication");
    assert_eq!(compare.status, 200, "{}", compare.text);
    assert_eq!(compare.json["status"], "diverged");
    assert_eq!(
        (
            compare.json["ahead_by"].as_u64(),
            compare.json["behind_by"].as_u64()
        ),
        (Some(1), Some(1))
    );
    let files: Vec<(String, String)> = compare.json["files"]
        .as_array()
        .expect("files")
        .iter()
        .map(|f| {
            (
                f["filename"].as_str().expect("name").to_owned(),
                f["status"].as_str().expect("status").to_owned(),
            )
        })
        .collect();
    assert_eq!(
        files,
        [
            ("b.txt".to_owned(), "removed".to_owned()),
            ("c.txt".to_owned(), "added".to_owned())
        ]
    );
    let identical = client.get("/repos/acme/app/compare/main...main");
    assert_eq!(identical.json["status"], "identical");
    emulator.assert_no_invalid_requests();
}

#[test]
fn enterprise_paths_serve_rest_under_api_v3() {
    let emulator = emulator(GithubConfig::default().enterprise());
    emulator
        .create_repo(&RepoSpec::new("acme/app"))
        .expect("repository");
    assert!(emulator.base_url().ends_with("/api/v3"));
    assert!(emulator.graphql_url().ends_with("/api/graphql"));
    let client = Client::of(&emulator);
    let repo = client.get("/repos/acme/app");
    assert_eq!(repo.status, 200);
    assert_eq!(
        repo.json["url"],
        format!("{}/repos/acme/app", emulator.base_url())
    );
    emulator.assert_no_invalid_requests();
}
