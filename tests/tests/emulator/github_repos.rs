//! Repository management: the user, listing and creating repositories.

use gensync_tests::github::GithubConfig;
use serde_json::json;

use crate::support::{emulator, Client, USER_TOKEN};

#[test]
fn repositories_are_listed_paginated_and_created() {
    let emulator = emulator(GithubConfig::default());
    let person = Client::with_token(&emulator, Some(USER_TOKEN));
    let user = person.get("/user");
    assert_eq!(
        (user.status, user.json["login"].as_str()),
        (200, Some("octocat"))
    );
    assert_eq!(Client::of(&emulator).get("/user").status, 403);

    for name in ["one", "two", "three"] {
        let created = person.post(
            "/orgs/acme/repos",
            json!({"name": name, "private": true, "auto_init": name != "three"}),
        );
        assert_eq!(created.status, 201, "{}", created.text);
        assert_eq!(created.json["full_name"], format!("acme/{name}"));
    }
    let exists = person.post("/orgs/acme/repos", json!({"name": "one"}));
    assert_eq!(exists.status, 422);
    assert_eq!(
        exists.json["errors"][0]["message"],
        "name already exists on this account"
    );
    let mine = person.post("/user/repos", json!({"name": "dotfiles"}));
    assert_eq!(mine.json["owner"]["login"], "octocat");
    assert_eq!(mine.json["owner"]["type"], "User");

    let page = person.get("/orgs/acme/repos?per_page=2");
    assert_eq!(page.json.as_array().map(Vec::len), Some(2));
    assert!(page
        .header("link")
        .is_some_and(|l| l.contains("rel=\"last\"")));
    let all = person.get("/user/repos?per_page=100");
    assert_eq!(all.json.as_array().map(Vec::len), Some(4));
    assert_eq!(person.get("/orgs/nobody/repos").status, 404);

    // auto_init gives a README commit; without it the repository is empty.
    assert!(emulator
        .branch_head("acme/one", "main")
        .expect("git")
        .is_some());
    assert!(emulator
        .git("acme/three")
        .expect("repo")
        .is_empty()
        .expect("git"));
    // GITHUB_TOKEN cannot create repositories.
    let denied = Client::of(&emulator).post("/orgs/acme/repos", json!({"name": "four"}));
    assert_eq!(denied.status, 403);
    emulator.assert_no_invalid_requests();
}
