//! Fault injection: canned answers, delays, dropped connections, another writer.

use std::time::{Duration, Instant};

use gensync_tests::fault::{FaultAction, FaultRule};
use gensync_tests::github::faults;
use serde_json::json;

use crate::support::{head, with_repo, Client};

#[test]
fn the_nth_matching_request_gets_the_canned_answer() {
    let emulator = with_repo(&[("a.txt", "a\n")]);
    let client = Client::of(&emulator);
    let id = emulator
        .add_fault(FaultRule::new("GET", "/repos/*/*/git/ref/**", faults::server_error()).nth(2));
    let rate = emulator.add_fault(FaultRule::new(
        "POST",
        "/repos/**",
        faults::secondary_rate_limit(7),
    ));
    let statuses: Vec<u16> = (0..3)
        .map(|_| client.get("/repos/acme/app/git/ref/heads/main").status)
        .collect();
    assert_eq!(statuses, [200, 500, 200]);
    assert_eq!(emulator.fault_fired(id), 1);

    let limited = client.post("/repos/acme/app/git/blobs", json!({"content": "x"}));
    assert_eq!(limited.status, 403);
    assert_eq!(limited.header("retry-after"), Some("7"));
    assert!(limited.message().contains("secondary rate limit"));
    assert_eq!(emulator.fault_fired(rate), 1);
    assert_eq!(
        client
            .post("/repos/acme/app/git/blobs", json!({"content": "x"}))
            .status,
        201
    );

    emulator.add_fault(FaultRule::new(
        "*",
        "/repos/acme/app",
        faults::too_many_requests(1),
    ));
    let too_many = client.get("/repos/acme/app");
    assert_eq!(
        (too_many.status, too_many.header("retry-after")),
        (429, Some("1"))
    );
    emulator.add_fault(FaultRule::new(
        "*",
        "/repos/acme/app",
        faults::bad_gateway(),
    ));
    let gateway = client.get("/repos/acme/app");
    assert_eq!(gateway.status, 502);
    assert!(gateway.text.contains("<html>"));
    let recorded = emulator.requests();
    assert_eq!(recorded.iter().filter(|r| r.fault.is_some()).count(), 4);
    emulator.assert_no_invalid_requests();
}

#[test]
fn delays_and_dropped_connections() {
    let emulator = with_repo(&[("a.txt", "a\n")]);
    let client = Client::of(&emulator);
    emulator.add_fault(FaultRule::new(
        "GET",
        "/repos/acme/app",
        FaultAction::delay(300),
    ));
    let started = Instant::now();
    assert_eq!(client.get("/repos/acme/app").status, 200);
    assert!(started.elapsed() >= Duration::from_millis(300));

    emulator.add_fault(FaultRule::new("GET", "/repos/acme/app", FaultAction::Drop));
    assert!(
        client.try_send("GET", "/repos/acme/app", None).is_err(),
        "the connection is dropped unanswered"
    );
    assert_eq!(
        client.get("/repos/acme/app").status,
        200,
        "the next request is served"
    );

    // Dropped after handling: the write happened although the client saw no answer.
    emulator.add_fault(FaultRule::new(
        "POST",
        "/repos/*/*/git/blobs",
        FaultAction::DropAfterHandling,
    ));
    assert!(client
        .try_send(
            "POST",
            "/repos/acme/app/git/blobs",
            Some(&json!({"content": "landed\n"}))
        )
        .is_err());
    let git = emulator.git("acme/app").expect("repo");
    let oid = git.write_blob(b"landed\n").expect("hash");
    assert_eq!(
        git.object_kind(&oid).expect("git"),
        Some(gensync_tests::git::ObjectKind::Blob)
    );
    let last = emulator.requests().pop().expect("recorded");
    assert_eq!(last.status, None);
    assert!(
        last.fault
            .as_deref()
            .is_some_and(|f| f.contains("handled: 201")),
        "{:?}",
        last.fault
    );
    emulator.assert_no_invalid_requests();
}

#[test]
fn another_writer_moves_the_branch_before_the_update() {
    let emulator = with_repo(&[("a.txt", "a\n")]);
    let client = Client::of(&emulator);
    let base = head(&emulator, "acme/app", "main");
    let tree = client.get("/repos/acme/app/git/trees/main").json["sha"].clone();
    let commit = client.post(
        "/repos/acme/app/git/commits",
        json!({"message": "ours", "tree": tree, "parents": [base.as_str()]}),
    );
    emulator.add_fault(FaultRule::new(
        "PATCH",
        "/repos/*/*/git/refs/heads/main",
        FaultAction::move_branch("main"),
    ));
    let update = client.patch(
        "/repos/acme/app/git/refs/heads/main",
        json!({"sha": commit.json["sha"], "force": false}),
    );
    assert_eq!(
        (update.status, update.message()),
        (422, "Update is not a fast forward")
    );
    let moved = head(&emulator, "acme/app", "main");
    assert_ne!(moved, base);
    let author = crate::support::git(
        &emulator,
        "acme/app",
        &["log", "-1", "--format=%an", "main"],
    );
    assert_eq!(author.trim(), "Another Writer");
    emulator.assert_no_invalid_requests();
}

#[test]
fn random_faults_are_reproducible_for_a_seed() {
    let run = || {
        let emulator = with_repo(&[("a.txt", "a\n")]);
        emulator.add_fault(
            FaultRule::new("GET", "/repos/**", faults::service_unavailable()).random(0.5, 42),
        );
        let client = Client::of(&emulator);
        let statuses: Vec<u16> = (0..12)
            .map(|_| client.get("/repos/acme/app").status)
            .collect();
        emulator.assert_no_invalid_requests();
        statuses
    };
    let first = run();
    assert_eq!(first, run());
    assert!(first.contains(&503) && first.contains(&200), "{first:?}");
}
