//! Requests are checked against GitHub's official REST description and GraphQL schema.

use gensync_tests::github::{rest_operations, GithubConfig, GithubEmulator};
use gensync_tests::validator::{self, Check, Validator};
use serde_json::json;

use crate::support::{head, with_repo, Client};

#[test]
fn an_invalid_rest_body_is_rejected_and_recorded() {
    let emulator = with_repo(&[("a.txt", "a\n")]);
    let client = Client::of(&emulator);
    let reply = client.post(
        "/repos/acme/app/git/trees",
        json!({"tree": [{"path": "x", "mode": "100645", "type": "blob", "content": "x"}]}),
    );
    assert_eq!(reply.status, 422);
    assert!(
        reply.message().starts_with("Invalid request."),
        "{}",
        reply.text
    );
    assert!(reply.message().contains("mode"), "{}", reply.text);
    let missing = client.patch(
        "/repos/acme/app/git/refs/heads/main",
        json!({"force": false}),
    );
    assert_eq!(missing.status, 422, "sha is required");
    let not_json = client.send("POST", "/repos/acme/app/git/blobs", None);
    assert_eq!(not_json.status, 422, "a required body is missing");

    let invalid = emulator.take_invalid_requests();
    assert_eq!(invalid.len(), 3, "{invalid:#?}");
    assert!(invalid[0]
        .invalid
        .as_deref()
        .is_some_and(|m| m.contains("/tree/0/mode")));
    emulator.assert_no_invalid_requests();
}

#[test]
fn an_invalid_graphql_document_is_an_error_and_recorded() {
    let emulator = with_repo(&[("a.txt", "a\n")]);
    let client = Client::of(&emulator);
    let base = head(&emulator, "acme/app", "main");
    let unknown_field = client.graphql(
        emulator.graphql_url(),
        "mutation($i: CreateCommitOnBranchInput!) { createCommitOnBranch(input: $i) { commit { sha } } }",
        json!({"i": {"branch": {"repositoryNameWithOwner": "acme/app", "branchName": "main"}, "message": {"headline": "h"}, "expectedHeadOid": base.as_str()}}),
    );
    assert_eq!(unknown_field.status, 200);
    assert!(unknown_field.json["errors"][0]["message"]
        .as_str()
        .is_some_and(|m| m.contains("sha")));
    let bad_variables = client.graphql(
        emulator.graphql_url(),
        "mutation($i: CreateCommitOnBranchInput!) { createCommitOnBranch(input: $i) { commit { oid } } }",
        json!({"i": {"branch": {"branchName": "main"}, "message": {"headline": "h"}}}),
    );
    assert!(bad_variables.json["errors"][0]["message"]
        .as_str()
        .is_some_and(|m| m.contains("expectedHeadOid")));
    assert_eq!(
        head(&emulator, "acme/app", "main"),
        base,
        "nothing was committed"
    );
    assert_eq!(emulator.take_invalid_requests().len(), 2);
}

#[test]
fn requests_outside_the_description_are_flagged() {
    let emulator = with_repo(&[("a.txt", "a\n")]);
    let client = Client::of(&emulator);
    assert_eq!(client.get("/repos/acme/app/not-an-endpoint").status, 404);
    let invalid = emulator.take_invalid_requests();
    assert_eq!(invalid.len(), 1);
    assert!(invalid[0]
        .invalid
        .as_deref()
        .is_some_and(|m| m.contains("no such route")));
}

#[test]
fn a_missing_validator_fails_loudly_unless_validation_is_turned_off() {
    let empty = tempfile::tempdir().expect("tempdir");
    let config = GithubConfig {
        validator_dir: empty.path().to_owned(),
        ..GithubConfig::default()
    };
    let error = GithubEmulator::start(config.clone())
        .err()
        .expect("refuses to start");
    assert!(error.to_string().contains("install.sh"), "{error}");
    let unvalidated = GithubEmulator::start(config.without_validation())
        .expect("starts when told not to validate");
    assert_eq!(unvalidated.validator_versions(), None);
}

#[test]
#[should_panic(expected = "rejected by GitHub's official API description")]
fn dropping_an_emulator_that_saw_invalid_requests_fails_the_test() {
    let emulator = with_repo(&[("a.txt", "a\n")]);
    Client::of(&emulator).post("/repos/acme/app/git/blobs", json!({"contents": "typo"}));
}

#[test]
fn every_route_is_an_operation_of_the_official_description() {
    let validator = Validator::shared(&validator::default_dir()).expect("validator installed");
    for (method, template) in rest_operations() {
        let check = Check::Rest {
            method,
            template,
            query: &[],
            body: None,
        };
        let errors = validator
            .check("github", check)
            .expect("the validator answers");
        assert!(
            !errors.iter().any(|e| e.contains("is not an operation")),
            "{method} {template}: {errors:?}"
        );
    }
}

#[test]
fn requests_answered_by_a_fault_are_validated_too() {
    let emulator = with_repo(&[("a.txt", "a\n")]);
    emulator.add_fault(gensync_tests::fault::FaultRule::new(
        "POST",
        "/repos/*/*/git/blobs",
        gensync_tests::github::faults::server_error(),
    ));
    let client = Client::of(&emulator);
    let reply = client.post("/repos/acme/app/git/blobs", json!({"contents": "typo"}));
    assert_eq!(reply.status, 500);
    let invalid = emulator.take_invalid_requests();
    assert_eq!(invalid.len(), 1);
    assert!(invalid[0].fault.is_some());
}
