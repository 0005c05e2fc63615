//! The request record: in memory and as JSON lines, never with the token.

use gensync_tests::github::GithubConfig;
use gensync_tests::record::RecordedRequest;
use serde_json::json;

use crate::support::{emulator, Client, TOKEN};

#[test]
fn every_request_is_recorded_without_its_authorization() {
    let dir = tempfile::tempdir().expect("tempdir");
    let record = dir.path().join("requests.jsonl");
    let emulator = emulator(GithubConfig::default().record(&record));
    emulator
        .create_repo(&gensync_tests::github::RepoSpec::new("acme/app"))
        .expect("repository");
    let client = Client::of(&emulator);
    client.get("/repos/acme/app?x=1");
    client.post("/repos/acme/app/git/blobs", json!({"content": "hello"}));
    Client::with_token(&emulator, Some("ghs_wrong")).get("/repos/acme/app");

    let requests = emulator.requests();
    assert_eq!(requests.len(), 3);
    assert!(requests[0].is("GET", "/repos/acme/app"));
    assert_eq!(requests[0].query, "x=1");
    assert_eq!(requests[0].auth_scheme.as_deref(), Some("Bearer"));
    assert_eq!(requests[1].json_body(), Some(json!({"content": "hello"})));
    assert_eq!(
        requests.iter().map(|r| r.status).collect::<Vec<_>>(),
        [Some(200), Some(201), Some(401)]
    );
    assert!(requests
        .iter()
        .all(|r| r.headers.iter().all(|(n, _)| n != "authorization")));

    let text = std::fs::read_to_string(&record).expect("record file");
    assert!(
        !text.contains(TOKEN) && !text.contains("ghs_wrong"),
        "no token in the record"
    );
    let lines: Vec<RecordedRequest> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON object per line"))
        .collect();
    assert_eq!(lines, requests);
    emulator.clear_requests();
    assert!(emulator.requests().is_empty());
    emulator.assert_no_invalid_requests();
}
