//! GraphQL reads (`repository { … }`) and the pull-request mutations (`updatePullRequest`,
//! `addComment`), checked against git and the REST view of the same state.

use gensync_tests::git::FileChange;
use gensync_tests::github::RepoSpec;
use serde_json::{json, Value};

use crate::support::{emulator, git, head, with_repo, Client, READ_TOKEN};

/// The shape of query gensync sends: heads, trees and files read in the head commits, and the
/// open pull requests from the sync branch.
const PREFETCH: &str = "query Prefetch($owner: String!, $name: String!, $branch: String!, $head: String!, $p0: String!, $p1: String!) {
  repository(owner: $owner, name: $name) {
    isEmpty
    defaultBranchRef { ...Head }
    branch: ref(qualifiedName: $branch) { ...Head }
    missing: ref(qualifiedName: \"refs/heads/nope\") { name }
    pullRequests(headRefName: $head, states: [OPEN], first: 20) {
      nodes { id number url baseRefName isCrossRepository }
      pageInfo { hasNextPage }
    }
  }
}
fragment Head on Ref {
  name
  target {
    oid
    ... on Commit {
      tree { oid }
      f0: file(path: $p0) { ...File }
      f1: file(path: $p1) { ...File }
    }
  }
}
fragment File on TreeEntry { path mode type object { ... on Blob { oid byteSize isBinary isTruncated text } } }";

fn prefetch_variables(branch: &str) -> Value {
    json!({"owner": "acme", "name": "app", "branch": format!("refs/heads/{branch}"), "head": branch,
           "p0": ".amplication/manifest", "p1": "src/.amplicationignore"})
}

fn rev(emulator: &gensync_tests::github::GithubEmulator, spec: &str) -> String {
    git(emulator, "acme/app", &["rev-parse", spec])
        .trim()
        .to_owned()
}

#[test]
fn a_query_answers_heads_trees_files_and_open_pull_requests() {
    let emulator = with_repo(&[
        ("README.md", "# app\n"),
        ("src/.amplicationignore", "dist/\n"),
    ]);
    let base = head(&emulator, "acme/app", "main");
    emulator
        .create_branch("acme/app", "amplication", &base)
        .expect("branch");
    emulator
        .commit_files(
            "acme/app",
            "amplication",
            &[FileChange::write(
                ".amplication/manifest",
                "# gensync manifest v1 sha1\n",
            )],
            "build 1\n",
        )
        .expect("commit");
    let client = Client::of(&emulator);
    let pr = client.post(
        "/repos/acme/app/pulls",
        json!({"title": "Build 1", "head": "amplication", "base": "main", "body": "b"}),
    );
    assert_eq!(pr.status, 201, "{}", pr.text);

    let reply = client.graphql(
        emulator.graphql_url(),
        PREFETCH,
        prefetch_variables("amplication"),
    );
    assert_eq!(reply.json.get("errors"), None, "{}", reply.text);
    let repo = &reply.json["data"]["repository"];
    assert_eq!(repo["isEmpty"], false);
    assert_eq!(repo["missing"], Value::Null, "a missing ref is null");

    let main = &repo["defaultBranchRef"];
    assert_eq!(main["name"], "main");
    assert_eq!(main["target"]["oid"], base.as_str());
    assert_eq!(main["target"]["tree"]["oid"], rev(&emulator, "main^{tree}"));
    assert_eq!(main["target"]["f0"], Value::Null, "no manifest on main");
    assert_eq!(main["target"]["f1"]["path"], "src/.amplicationignore");
    assert_eq!(main["target"]["f1"]["mode"], 0o100644);
    assert_eq!(main["target"]["f1"]["type"], "blob");
    let ignore = &main["target"]["f1"]["object"];
    assert_eq!(ignore["oid"], rev(&emulator, "main:src/.amplicationignore"));
    assert_eq!(ignore["text"], "dist/\n");
    assert_eq!(ignore["byteSize"], 6);
    assert_eq!(
        (&ignore["isBinary"], &ignore["isTruncated"]),
        (&json!(false), &json!(false))
    );

    let branch = &repo["branch"];
    assert_eq!(branch["name"], "amplication");
    assert_eq!(
        branch["target"]["oid"],
        head(&emulator, "acme/app", "amplication").as_str()
    );
    assert_eq!(
        branch["target"]["f0"]["object"]["text"],
        "# gensync manifest v1 sha1\n"
    );
    assert_eq!(
        branch["target"]["f0"]["object"]["oid"],
        rev(&emulator, "amplication:.amplication/manifest")
    );

    let pulls = &repo["pullRequests"];
    assert_eq!(pulls["pageInfo"]["hasNextPage"], false);
    let node = &pulls["nodes"][0];
    assert_eq!(
        node["id"], pr.json["node_id"],
        "GraphQL ids are the REST node ids"
    );
    assert_eq!(node["number"], pr.json["number"]);
    assert_eq!(node["url"], pr.json["html_url"]);
    assert_eq!(
        (&node["baseRefName"], &node["isCrossRepository"]),
        (&json!("main"), &json!(false))
    );

    // Filters: another head, another base, closed pull requests.
    let filtered = client.graphql(
        emulator.graphql_url(),
        "query($h: String!, $b: String) { repository(owner: \"acme\", name: \"app\") {
           pullRequests(headRefName: $h, baseRefName: $b, states: OPEN, first: 5) { totalCount nodes { number } } } }",
        json!({"h": "amplication", "b": "develop"}),
    );
    assert_eq!(
        filtered.json["data"]["repository"]["pullRequests"]["totalCount"],
        0
    );
    let number = pr.json["number"].as_u64().expect("number");
    client.patch(
        &format!("/repos/acme/app/pulls/{number}"),
        json!({"state": "closed"}),
    );
    let closed = client.graphql(
        emulator.graphql_url(),
        PREFETCH,
        prefetch_variables("amplication"),
    );
    assert_eq!(
        closed.json["data"]["repository"]["pullRequests"]["nodes"],
        json!([])
    );
    emulator.assert_no_invalid_requests();
}

#[test]
fn objects_by_expression_interfaces_and_missing_things_are_null() {
    let emulator = with_repo(&[("src/app.ts", "export {};\n")]);
    let client = Client::of(&emulator);
    let query = "query($e: String!) { repository(owner: \"acme\", name: \"app\") {
        object(expression: $e) { __typename ... on GitObject { oid } ... on Blob { text } ... on Commit { tree { oid } file(path: \"src/nope.ts\") { oid } } } } }";
    let ask = |e: &str| {
        let reply = client.graphql(emulator.graphql_url(), query, json!({"e": e}));
        assert_eq!(reply.json.get("errors"), None, "{}", reply.text);
        reply.json["data"]["repository"]["object"].clone()
    };
    let blob = ask("main:src/app.ts");
    assert_eq!(blob["__typename"], "Blob");
    assert_eq!(blob["oid"], rev(&emulator, "main:src/app.ts"));
    assert_eq!(blob["text"], "export {};\n");
    assert_eq!(ask("HEAD:src/app.ts"), blob, "HEAD is the default branch");
    let commit = ask("main");
    assert_eq!(commit["__typename"], "Commit");
    assert_eq!(commit["oid"], rev(&emulator, "main"));
    assert_eq!(commit["tree"]["oid"], rev(&emulator, "main^{tree}"));
    assert_eq!(commit["file"], Value::Null);
    let tree = ask("main:src");
    assert_eq!(
        (&tree["__typename"], &tree["oid"]),
        (&json!("Tree"), &json!(rev(&emulator, "main:src")))
    );
    assert_eq!(ask("main:src/nope.ts"), Value::Null);
    assert_eq!(ask("nope:src/app.ts"), Value::Null);

    // A folder is a tree entry without a blob; a path under a file is nothing.
    let file = |path: &str| {
        let reply = client.graphql(
            emulator.graphql_url(),
            "query($p: String!) { repository(owner: \"acme\", name: \"app\") { defaultBranchRef { target { ... on Commit { file(path: $p) { name type extension object { __typename } } } } } } }",
            json!({"p": path}),
        );
        reply.json["data"]["repository"]["defaultBranchRef"]["target"]["file"].clone()
    };
    assert_eq!(
        file("src"),
        json!({"name": "src", "type": "tree", "extension": null, "object": {"__typename": "Tree"}})
    );
    assert_eq!(file("src/app.ts")["extension"], ".ts");
    assert_eq!(file("src/app.ts/x"), Value::Null);
    emulator.assert_no_invalid_requests();
}

#[test]
fn blob_text_is_null_for_binary_and_cut_at_512000_bytes() {
    let emulator = with_repo(&[("a.txt", "a\n")]);
    let big = "0123456789\n".repeat(60_000);
    emulator
        .commit_files(
            "acme/app",
            "main",
            &[
                FileChange::write("big.txt", big.as_bytes()),
                FileChange::write("logo.png", [0x89u8, b'P', b'N', b'G', 0, 1, 2]),
            ],
            "files\n",
        )
        .expect("commit");
    let client = Client::of(&emulator);
    let reply = client.graphql(
        emulator.graphql_url(),
        "{ repository(owner: \"acme\", name: \"app\") {
            big: object(expression: \"main:big.txt\") { ... on Blob { byteSize isBinary isTruncated text } }
            logo: object(expression: \"main:logo.png\") { ... on Blob { byteSize isBinary isTruncated text } } } }",
        json!({}),
    );
    let repo = &reply.json["data"]["repository"];
    assert_eq!(repo["big"]["byteSize"], big.len());
    assert_eq!(repo["big"]["isTruncated"], true);
    assert_eq!(repo["big"]["text"].as_str().map(str::len), Some(512_000));
    assert_eq!(
        repo["logo"],
        json!({"byteSize": 7, "isBinary": true, "isTruncated": false, "text": null})
    );
    emulator.assert_no_invalid_requests();
}

#[test]
fn unknown_and_empty_repositories() {
    let emulator = emulator(Default::default());
    emulator
        .create_repo(&RepoSpec::new("acme/empty").empty())
        .expect("repository");
    let client = Client::of(&emulator);
    let query = "query($n: String!) { repository(owner: \"acme\", name: $n) { isEmpty defaultBranchRef { name } } }";
    let empty = client.graphql(emulator.graphql_url(), query, json!({"n": "empty"}));
    assert_eq!(
        empty.json,
        json!({"data": {"repository": {"isEmpty": true, "defaultBranchRef": null}}})
    );
    let unknown = client.graphql(emulator.graphql_url(), query, json!({"n": "nope"}));
    assert_eq!(unknown.json["data"]["repository"], Value::Null);
    assert_eq!(unknown.json["errors"][0]["type"], "NOT_FOUND");
    assert_eq!(
        unknown.json["errors"][0]["message"],
        "Could not resolve to a Repository with the name 'acme/nope'."
    );
    assert_eq!(unknown.json["errors"][0]["path"], json!(["repository"]));
    let unbounded = client.graphql(
        emulator.graphql_url(),
        "{ repository(owner: \"acme\", name: \"empty\") { pullRequests(states: OPEN) { totalCount } } }",
        json!({}),
    );
    assert_eq!(
        unbounded.json["errors"][0]["type"],
        "MISSING_PAGINATION_BOUNDARIES"
    );
    emulator.assert_no_invalid_requests();
}

const UPDATE: &str = "mutation($id: ID!, $title: String!, $body: String!, $comment: String!) {
  updatePullRequest(input: {pullRequestId: $id, title: $title, body: $body}) { pullRequest { number title body } }
  addComment(input: {subjectId: $id, body: $comment}) { commentEdge { node { id body author { login } } } subject { id } }
}";

#[test]
fn one_mutation_updates_a_pull_request_and_comments_on_it() {
    let emulator = with_repo(&[("a.txt", "a\n")]);
    let base = head(&emulator, "acme/app", "main");
    emulator
        .create_branch("acme/app", "amplication", &base)
        .expect("branch");
    emulator
        .commit_files(
            "acme/app",
            "amplication",
            &[FileChange::write("b.txt", "b\n")],
            "b\n",
        )
        .expect("commit");
    let client = Client::of(&emulator);
    let pr = client.post(
        "/repos/acme/app/pulls",
        json!({"title": "Build 1", "head": "amplication", "base": "main", "body": "one"}),
    );
    let (id, number) = (
        pr.json["node_id"].as_str().expect("node id").to_owned(),
        pr.json["number"].as_u64().expect("number"),
    );
    let reply = client.graphql(
        emulator.graphql_url(),
        UPDATE,
        json!({"id": id, "title": "Build 2", "body": "two", "comment": "New build 2"}),
    );
    assert_eq!(reply.json.get("errors"), None, "{}", reply.text);
    let data = &reply.json["data"];
    assert_eq!(
        data["updatePullRequest"]["pullRequest"],
        json!({"number": number, "title": "Build 2", "body": "two"})
    );
    let comment = &data["addComment"]["commentEdge"]["node"];
    assert_eq!(comment["body"], "New build 2");
    assert_eq!(comment["author"]["login"], "github-actions");
    assert_eq!(data["addComment"]["subject"]["id"], id.as_str());

    // The REST view agrees.
    let rest = client.get(&format!("/repos/acme/app/pulls/{number}"));
    assert_eq!(
        (&rest.json["title"], &rest.json["body"]),
        (&json!("Build 2"), &json!("two"))
    );
    let comments = client.get(&format!("/repos/acme/app/issues/{number}/comments"));
    assert_eq!(comments.json[0]["body"], "New build 2");
    assert_eq!(comments.json[0]["node_id"], comment["id"]);

    // A reader may not; an unknown id is not found; nothing changes.
    let reader = Client::with_token(&emulator, Some(READ_TOKEN));
    let forbidden = reader.graphql(
        emulator.graphql_url(),
        UPDATE,
        json!({"id": id, "title": "x", "body": "x", "comment": "x"}),
    );
    assert_eq!(forbidden.json["errors"][0]["type"], "FORBIDDEN");
    assert_eq!(forbidden.json["errors"][1]["type"], "FORBIDDEN");
    assert_eq!(
        forbidden.json["data"],
        json!({"updatePullRequest": null, "addComment": null})
    );
    let unknown = client.graphql(
        emulator.graphql_url(),
        UPDATE,
        json!({"id": "PR_999999", "title": "x", "body": "x", "comment": "x"}),
    );
    assert_eq!(unknown.json["errors"][0]["type"], "NOT_FOUND");
    assert_eq!(
        unknown.json["errors"][0]["message"],
        "Could not resolve to a node with the global id of 'PR_999999'."
    );
    let pulls = emulator.pulls("acme/app").expect("pulls");
    assert_eq!(
        (pulls[0].title.as_str(), pulls[0].comments.len()),
        ("Build 2", 1)
    );
    emulator.assert_no_invalid_requests();
}
