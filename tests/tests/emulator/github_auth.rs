//! Tokens, permissions, rate-limit headers and GitHub App installation tokens.

use gensync_tests::github::{AppConfig, AppKey, GithubConfig, GithubEmulator, RepoSpec};
use serde_json::json;

use crate::support::{head, with_repo, Client, READ_TOKEN};

#[test]
fn missing_unknown_and_read_only_tokens_are_refused_like_github() {
    let emulator = with_repo(&[("a.txt", "a\n")]);
    let anonymous = Client::with_token(&emulator, None).get("/repos/acme/app");
    assert_eq!(
        (anonymous.status, anonymous.message()),
        (401, "Requires authentication")
    );
    let unknown = Client::with_token(&emulator, Some("ghs_unknown")).get("/repos/acme/app");
    assert_eq!(
        (unknown.status, unknown.message()),
        (401, "Bad credentials")
    );
    assert!(unknown.json["documentation_url"]
        .as_str()
        .is_some_and(|u| u.starts_with("https://docs.github.com/")));

    let reader = Client::with_token(&emulator, Some(READ_TOKEN));
    let repo = reader.get("/repos/acme/app");
    assert_eq!(repo.status, 200);
    assert_eq!(repo.json["permissions"]["push"], false);
    let write = reader.post("/repos/acme/app/git/blobs", json!({"content": "x"}));
    assert_eq!(
        (write.status, write.message()),
        (403, "Resource not accessible by integration")
    );

    let client = Client::of(&emulator);
    let first = client.get("/repos/acme/app");
    let second = client.get("/repos/acme/app");
    assert_eq!(first.header("x-ratelimit-limit"), Some("5000"));
    let remaining = |r: &crate::support::Reply| {
        r.header("x-ratelimit-remaining")
            .and_then(|v| v.parse::<u32>().ok())
    };
    assert_eq!(remaining(&second), remaining(&first).map(|r| r - 1));
    assert!(first
        .header("x-ratelimit-reset")
        .is_some_and(|v| v.parse::<i64>().is_ok()));
    assert_eq!(Client::of(&emulator).get("/repos/acme/nope").status, 404);
    emulator.assert_no_invalid_requests();
}

#[test]
fn a_github_app_gets_an_installation_token_that_signs_its_commits() {
    let key = AppKey::generate();
    let config = GithubConfig::default().app(AppConfig::new(
        4242,
        "gensync-bot",
        &key.public_key_pem(),
        "acme",
    ));
    let emulator = GithubEmulator::start(config).expect("emulator");
    emulator
        .create_repo(&RepoSpec::new("acme/app"))
        .expect("repository");
    let now = gensync_tests::time::now();

    let app = Client::new(
        emulator.base_url(),
        Some(&key.jwt(4242, now - 30, now + 540)),
    );
    let installation = app.get("/repos/acme/app/installation");
    assert_eq!(installation.status, 200, "{}", installation.text);
    let id = installation.json["id"].as_u64().expect("installation id");
    let token = app.post(&format!("/app/installations/{id}/access_tokens"), json!({}));
    assert_eq!(token.status, 201, "{}", token.text);
    let token = token.json["token"].as_str().expect("token").to_owned();
    assert!(token.starts_with("ghs_"));

    let forged = Client::new(
        emulator.base_url(),
        Some(&AppKey::generate().jwt(4242, now, now + 60)),
    );
    assert_eq!(forged.get("/repos/acme/app/installation").status, 401);
    let too_long = Client::new(emulator.base_url(), Some(&key.jwt(4242, now, now + 3600)));
    assert_eq!(too_long.get("/repos/acme/app/installation").status, 401);

    let bot = Client::new(emulator.base_url(), Some(&token));
    let base = head(&emulator, "acme/app", "main");
    let tree = bot.get("/repos/acme/app/git/trees/main").json["sha"].clone();
    let commit = bot.post(
        "/repos/acme/app/git/commits",
        json!({"message": "m", "tree": tree, "parents": [base.as_str()]}),
    );
    assert_eq!(commit.status, 201, "{}", commit.text);
    assert_eq!(commit.json["author"]["name"], "gensync-bot[bot]");
    assert_eq!(commit.json["verification"]["verified"], true);
    assert_eq!(
        bot.get("/user").status,
        403,
        "integrations cannot read /user"
    );
    assert_eq!(bot.get("/installation/repositories").json["total_count"], 1);
    emulator.assert_no_invalid_requests();
}
