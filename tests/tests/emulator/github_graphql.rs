//! The GraphQL `createCommitOnBranch` mutation.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use gensync_tests::git::FileChange;
use serde_json::{json, Value};

use crate::support::{files_at, git, head, with_repo, Client};

const MUTATION: &str = "mutation Sync($input: CreateCommitOnBranchInput!) {
  createCommitOnBranch(input: $input) { commit { oid url tree { oid } } ref: ref { name } }
}";

fn input(branch: &str, expected: &str, additions: &[(&str, &str)], deletions: &[&str]) -> Value {
    json!({"input": {
        "branch": {"repositoryNameWithOwner": "acme/app", "branchName": branch},
        "message": {"headline": "Sync build 9", "body": "Build-Id: 9"},
        "expectedHeadOid": expected,
        "fileChanges": {
            "additions": additions.iter().map(|(p, c)| json!({"path": p, "contents": STANDARD.encode(c)})).collect::<Vec<_>>(),
            "deletions": deletions.iter().map(|p| json!({"path": p})).collect::<Vec<_>>(),
        },
    }})
}

#[test]
fn commits_additions_and_deletions_on_the_expected_head() {
    let emulator = with_repo(&[("old.txt", "old\n"), ("keep/x.txt", "x\n")]);
    let client = Client::of(&emulator);
    let base = head(&emulator, "acme/app", "main");
    let reply = client.graphql(
        emulator.graphql_url(),
        MUTATION,
        input(
            "main",
            base.as_str(),
            &[("gen/new.txt", "new\n")],
            &["old.txt"],
        ),
    );
    assert_eq!(reply.status, 200);
    assert_eq!(reply.json.get("errors"), None, "{}", reply.text);
    let payload = &reply.json["data"]["createCommitOnBranch"];
    let oid = payload["commit"]["oid"].as_str().expect("oid");
    assert_eq!(payload["ref"]["name"], "main");
    assert_eq!(head(&emulator, "acme/app", "main").as_str(), oid);
    let files = files_at(&emulator, "acme/app", "main");
    assert_eq!(
        files,
        [
            ("gen/new.txt".to_owned(), "new\n".to_owned()),
            ("keep/x.txt".to_owned(), "x\n".to_owned())
        ]
    );
    let log = git(
        &emulator,
        "acme/app",
        &["log", "--format=%an|%cn|%P|%B", "-1", "main"],
    );
    assert_eq!(
        log.trim_end(),
        format!("github-actions[bot]|GitHub|{base}|Sync build 9\n\nBuild-Id: 9")
    );
    assert_eq!(
        payload["commit"]["tree"]["oid"].as_str(),
        Some(git(&emulator, "acme/app", &["rev-parse", "main^{tree}"]).trim())
    );
    emulator.assert_no_invalid_requests();
}

#[test]
fn a_stale_expected_head_is_refused_and_nothing_moves() {
    let emulator = with_repo(&[("a.txt", "a\n")]);
    let client = Client::of(&emulator);
    let stale = head(&emulator, "acme/app", "main");
    let moved = emulator
        .commit_files(
            "acme/app",
            "main",
            &[FileChange::write("a.txt", "person\n")],
            "person\n",
        )
        .expect("commit");
    let reply = client.graphql(
        emulator.graphql_url(),
        MUTATION,
        input("main", stale.as_str(), &[("b.txt", "b\n")], &[]),
    );
    assert_eq!(reply.status, 200);
    assert_eq!(reply.json["data"]["createCommitOnBranch"], Value::Null);
    assert_eq!(reply.json["errors"][0]["type"], "STALE_DATA");
    assert_eq!(
        reply.json["errors"][0]["message"],
        format!("Expected branch to point to \"{stale}\" but it did not. Pull and try again.")
    );
    assert_eq!(head(&emulator, "acme/app", "main"), moved);

    let missing = client.graphql(
        emulator.graphql_url(),
        MUTATION,
        input("main", moved.as_str(), &[], &["nope.txt"]),
    );
    assert!(missing.json["errors"][0]["message"]
        .as_str()
        .is_some_and(|m| m.starts_with("A path was requested for deletion which does not exist")));
    assert_eq!(head(&emulator, "acme/app", "main"), moved);
    emulator.assert_no_invalid_requests();
}

#[test]
fn rest_and_graphql_give_the_same_tree_for_the_same_change() {
    let emulator = with_repo(&[("a.txt", "a\n"), ("d/b.txt", "b\n")]);
    let client = Client::of(&emulator);
    let base = head(&emulator, "acme/app", "main");
    emulator
        .create_branch("acme/app", "rest", &base)
        .expect("branch");

    let graphql = client.graphql(
        emulator.graphql_url(),
        MUTATION,
        input("main", base.as_str(), &[("d/c.txt", "c\n")], &["a.txt"]),
    );
    let graphql_tree =
        graphql.json["data"]["createCommitOnBranch"]["commit"]["tree"]["oid"].clone();

    let base_tree = git(&emulator, "acme/app", &["rev-parse", "rest^{tree}"]);
    let tree = client.post(
        "/repos/acme/app/git/trees",
        json!({"base_tree": base_tree.trim(), "tree": [
            {"path": "d/c.txt", "mode": "100644", "type": "blob", "content": "c\n"},
            {"path": "a.txt", "mode": "100644", "type": "blob", "sha": null},
        ]}),
    );
    assert_eq!(tree.json["sha"], graphql_tree);
    emulator.assert_no_invalid_requests();
}

#[test]
fn unknown_repositories_and_read_only_tokens_are_graphql_errors() {
    let emulator = with_repo(&[("a.txt", "a\n")]);
    let base = head(&emulator, "acme/app", "main");
    let reader = Client::with_token(&emulator, Some(crate::support::READ_TOKEN));
    let forbidden = reader.graphql(
        emulator.graphql_url(),
        MUTATION,
        input("main", base.as_str(), &[("b", "b")], &[]),
    );
    assert_eq!(forbidden.json["errors"][0]["type"], "FORBIDDEN");
    let anonymous = Client::with_token(&emulator, None);
    let unauthorized = anonymous.graphql(
        emulator.graphql_url(),
        MUTATION,
        input("main", base.as_str(), &[], &[]),
    );
    assert_eq!(unauthorized.status, 401);
    assert_eq!(head(&emulator, "acme/app", "main"), base);
    emulator.assert_no_invalid_requests();
}

const UPDATE_REFS: &str = "mutation Refs($input: UpdateRefsInput!) {
  updateRefs(input: $input) { clientMutationId }
}";

const ZERO: &str = "0000000000000000000000000000000000000000";

fn ref_update(name: &str, before: &str, after: &str) -> Value {
    json!({"name": name, "beforeOid": before, "afterOid": after, "force": false})
}

fn update_refs(
    client: &Client,
    emulator: &gensync_tests::github::GithubEmulator,
    updates: Vec<Value>,
) -> Value {
    let repository_id = client
        .graphql(
            emulator.graphql_url(),
            "query { repository(owner: \"acme\", name: \"app\") { id } }",
            json!({}),
        )
        .json["data"]["repository"]["id"]
        .clone();
    let reply = client.graphql(
        emulator.graphql_url(),
        UPDATE_REFS,
        json!({"input": {"repositoryId": repository_id, "refUpdates": updates}}),
    );
    assert_eq!(reply.status, 200, "{}", reply.text);
    reply.json
}

#[test]
fn update_refs_is_an_atomic_compare_and_swap() {
    let emulator = with_repo(&[("a.txt", "a\n")]);
    let client = Client::of(&emulator);
    let base = head(&emulator, "acme/app", "main");
    let next = emulator
        .commit_files(
            "acme/app",
            "main",
            &[FileChange::write("b.txt", "b\n")],
            "next\n",
        )
        .expect("commit");
    // Zeros as beforeOid: create only if absent.
    let created = update_refs(
        &client,
        &emulator,
        vec![ref_update("refs/heads/sync", ZERO, base.as_str())],
    );
    assert_eq!(created.get("errors"), None, "{created}");
    assert_eq!(head(&emulator, "acme/app", "sync"), base);
    let again = update_refs(
        &client,
        &emulator,
        vec![ref_update("refs/heads/sync", ZERO, next.as_str())],
    );
    assert_eq!(again["errors"][0]["type"], "STALE_DATA", "{again}");
    assert_eq!(head(&emulator, "acme/app", "sync"), base);
    // A wrong beforeOid refuses every update of the list (atomic): `other` is not created.
    let mixed = update_refs(
        &client,
        &emulator,
        vec![
            ref_update("refs/heads/other", ZERO, base.as_str()),
            ref_update("refs/heads/sync", next.as_str(), next.as_str()),
        ],
    );
    assert_eq!(mixed["errors"][0]["type"], "STALE_DATA", "{mixed}");
    assert_eq!(emulator.branch_head("acme/app", "other").unwrap(), None);
    // The right beforeOid moves it (a fast-forward).
    let moved = update_refs(
        &client,
        &emulator,
        vec![ref_update("refs/heads/sync", base.as_str(), next.as_str())],
    );
    assert_eq!(moved.get("errors"), None, "{moved}");
    assert_eq!(head(&emulator, "acme/app", "sync"), next);
    // Without force, a rewind is refused even from the right beforeOid.
    let rewind = update_refs(
        &client,
        &emulator,
        vec![ref_update("refs/heads/sync", next.as_str(), base.as_str())],
    );
    assert_eq!(rewind["errors"][0]["type"], "UNPROCESSABLE", "{rewind}");
    assert_eq!(head(&emulator, "acme/app", "sync"), next);
    // Zeros as afterOid delete it, only from the right beforeOid.
    let stale_delete = update_refs(
        &client,
        &emulator,
        vec![ref_update("refs/heads/sync", base.as_str(), ZERO)],
    );
    assert_eq!(stale_delete["errors"][0]["type"], "STALE_DATA");
    let deleted = update_refs(
        &client,
        &emulator,
        vec![ref_update("refs/heads/sync", next.as_str(), ZERO)],
    );
    assert_eq!(deleted.get("errors"), None, "{deleted}");
    assert_eq!(emulator.branch_head("acme/app", "sync").unwrap(), None);
    emulator.assert_no_invalid_requests();
}
