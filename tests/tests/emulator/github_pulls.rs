//! Pull requests, their comments, labels, assignees and reviewers; merging as a person would.

use gensync_tests::git::FileChange;
use gensync_tests::github::{MergeMethod, PullState, ACTIONS_NOT_PERMITTED};
use serde_json::json;

use crate::support::{head, with_repo, Client};

fn branch_with_change(emulator: &gensync_tests::github::GithubEmulator, branch: &str) {
    let base = head(emulator, "acme/app", "main");
    emulator
        .create_branch("acme/app", branch, &base)
        .expect("branch");
    emulator
        .commit_files(
            "acme/app",
            branch,
            &[FileChange::write(&format!("{branch}.txt"), "x\n")],
            "change\n",
        )
        .expect("commit");
}

#[test]
fn pull_requests_are_created_once_found_by_head_and_decorated() {
    let emulator = with_repo(&[("a.txt", "a\n")]);
    branch_with_change(&emulator, "amplication");
    let client = Client::of(&emulator);
    let body = json!({"title": "Sync build 1", "head": "amplication", "base": "main", "body": "```\nhttp://ci/1\n```", "draft": false});
    let created = client.post("/repos/acme/app/pulls", body.clone());
    assert_eq!(created.status, 201, "{}", created.text);
    let number = created.json["number"].as_u64().expect("number");
    assert_eq!(
        created.json["html_url"],
        format!("{}/acme/app/pull/{number}", emulator.web_url())
    );
    assert_eq!(
        created.json["head"]["sha"],
        head(&emulator, "acme/app", "amplication").as_str()
    );
    assert_eq!(created.json["user"]["login"], "github-actions[bot]");

    let again = client.post("/repos/acme/app/pulls", body);
    assert_eq!(again.status, 422);
    assert_eq!(
        again.json["errors"][0]["message"],
        "A pull request already exists for acme:amplication."
    );

    let found = client.get("/repos/acme/app/pulls?state=open&head=acme:amplication&base=main");
    assert_eq!(found.json.as_array().map(Vec::len), Some(1));
    let other = client.get("/repos/acme/app/pulls?state=open&head=acme:other");
    assert_eq!(other.json.as_array().map(Vec::len), Some(0));

    let path = |what: &str| format!("/repos/acme/app/issues/{number}/{what}");
    assert_eq!(
        client
            .post(&path("comments"), json!({"body": "Build 2 is here"}))
            .status,
        201
    );
    let labels = client.post(&path("labels"), json!({"labels": ["generated", "bot"]}));
    assert_eq!(labels.json.as_array().map(Vec::len), Some(2));
    assert_eq!(
        client
            .post(&path("assignees"), json!({"assignees": ["octocat"]}))
            .status,
        201
    );
    let reviewers = client.post(
        &format!("/repos/acme/app/pulls/{number}/requested_reviewers"),
        json!({"reviewers": ["hubot"], "team_reviewers": ["platform"]}),
    );
    assert_eq!(reviewers.status, 201, "{}", reviewers.text);
    let updated = client.patch(
        &format!("/repos/acme/app/pulls/{number}"),
        json!({"body": "new summary"}),
    );
    assert_eq!(updated.json["body"], "new summary");

    let stored = &emulator.pulls("acme/app").expect("pulls")[0];
    assert_eq!(stored.labels, ["generated", "bot"]);
    assert_eq!(stored.assignees, ["octocat"]);
    assert_eq!(stored.requested_reviewers, ["hubot"]);
    assert_eq!(stored.requested_teams, ["platform"]);
    assert_eq!(stored.comments[0].body, "Build 2 is here");
    let comments = client.get(&path("comments"));
    assert_eq!(comments.json[0]["user"]["login"], "github-actions[bot]");

    // Merged by a person (squash), then the branch is deleted.
    let merged = emulator
        .merge_pull("acme/app", number, MergeMethod::Squash)
        .expect("merge");
    assert_eq!(head(&emulator, "acme/app", "main"), merged);
    emulator
        .delete_branch("acme/app", "amplication")
        .expect("delete");
    let closed = client.get(&format!("/repos/acme/app/pulls/{number}"));
    assert_eq!(
        (
            closed.json["state"].as_str(),
            closed.json["merged"].as_bool()
        ),
        (Some("closed"), Some(true))
    );
    assert_eq!(
        emulator.pulls("acme/app").expect("pulls")[0].state,
        PullState::Closed
    );
    emulator.assert_no_invalid_requests();
}

#[test]
fn pull_request_refusals_match_github() {
    let emulator = with_repo(&[("a.txt", "a\n")]);
    let client = Client::of(&emulator);
    let base = head(&emulator, "acme/app", "main");
    emulator
        .create_branch("acme/app", "same", &base)
        .expect("branch");
    let nothing = client.post(
        "/repos/acme/app/pulls",
        json!({"title": "t", "head": "same", "base": "main"}),
    );
    assert_eq!(nothing.status, 422);
    assert_eq!(
        nothing.json["errors"][0]["message"],
        "No commits between main and same"
    );
    let missing = client.post(
        "/repos/acme/app/pulls",
        json!({"title": "t", "head": "ghost", "base": "main"}),
    );
    assert_eq!(
        (missing.status, missing.json["errors"][0]["field"].as_str()),
        (422, Some("head"))
    );

    branch_with_change(&emulator, "amplication");
    emulator
        .set_actions_can_create_pull_requests("acme/app", false)
        .expect("setting");
    let refused = client.post(
        "/repos/acme/app/pulls",
        json!({"title": "t", "head": "amplication", "base": "main"}),
    );
    assert_eq!(
        (refused.status, refused.message()),
        (403, ACTIONS_NOT_PERMITTED)
    );
    // A personal token is not GitHub Actions.
    let person = Client::with_token(&emulator, Some(crate::support::USER_TOKEN));
    let created = person.post(
        "/repos/acme/app/pulls",
        json!({"title": "t", "head": "amplication", "base": "main"}),
    );
    assert_eq!(created.status, 201);
    emulator.assert_no_invalid_requests();
}

#[test]
fn listings_are_paginated_with_link_headers() {
    let emulator = with_repo(&[("a.txt", "a\n")]);
    let client = Client::of(&emulator);
    for i in 0..3 {
        let branch = format!("b{i}");
        branch_with_change(&emulator, &branch);
        let created = client.post(
            "/repos/acme/app/pulls",
            json!({"title": branch, "head": branch, "base": "main"}),
        );
        assert_eq!(created.status, 201);
    }
    let first = client.get("/repos/acme/app/pulls?per_page=2");
    assert_eq!(first.json.as_array().map(Vec::len), Some(2));
    let link = first.header("link").expect("a Link header");
    assert!(
        link.contains("rel=\"next\"") && link.contains("page=2"),
        "{link}"
    );
    let next = link
        .split(',')
        .find(|l| l.contains("rel=\"next\""))
        .and_then(|l| l.split(['<', '>']).nth(1))
        .expect("next URL");
    let second = client.get(next);
    assert_eq!(second.json.as_array().map(Vec::len), Some(1));
    assert_eq!(second.json[0]["title"], "b0", "newest first");
    assert!(second
        .header("link")
        .is_some_and(|l| !l.contains("rel=\"next\"")));
    emulator.assert_no_invalid_requests();
}
