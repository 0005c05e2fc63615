//! Faults: transient ones are survived, permanent ones end in a clear error and no partial update.

use gensync_tests::fault::{FaultAction, FaultRule};
use gensync_tests::git::FileChange;
use gensync_tests::github::faults as canned;

use crate::harness::{failure, ok_json, Env, REPO};

#[test]
fn transient_faults_on_reads_and_writes_are_retried_to_the_correct_result() {
    let env = Env::start();
    env.emu.add_fault(
        FaultRule::new("GET", "/repos/acme/app/git/trees/*", canned::server_error()).nth(1),
    );
    env.emu.add_fault(
        FaultRule::new("GET", "/repos/acme/app/git/ref/*", canned::bad_gateway()).nth(2),
    );
    env.emu
        .add_fault(FaultRule::new("POST", "/repos/acme/app/git/trees", FaultAction::Drop).nth(1));
    env.emu.add_fault(
        FaultRule::new(
            "POST",
            "/repos/acme/app/git/blobs",
            canned::service_unavailable(),
        )
        .nth(1),
    );
    env.emu.add_fault(FaultRule::new(
        "POST",
        "/repos/acme/app/git/commits",
        FaultAction::json(
            429,
            &serde_json::json!({"message": "API rate limit exceeded"}),
            &[("retry-after", "2")],
        ),
    ));
    env.emu.add_fault(FaultRule::new(
        "POST",
        "/graphql",
        FaultAction::json(
            403,
            &serde_json::json!({"message": "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."}),
            &[("retry-after", "3")],
        ),
    ));
    ok_json(&env.sync(&env.build("build-1"), "1", &[]));
    // A binary file forces a blob upload on the second sync.
    let b2 = env.build("build-2");
    std::fs::write(b2.join("logo.png"), [0x89, b'P', b'N', b'G', 0, 1, 2, 3]).unwrap();
    let before = env.head("amplication").unwrap();
    let out = ok_json(&env.sync(&b2, "2", &[]));
    let head = env.head("amplication").unwrap();
    assert_eq!(out["commit_sha"], head.as_str());
    assert_eq!(env.git(&["rev-parse", &format!("{head}^")]).trim(), before);
    assert_eq!(
        env.git(&["cat-file", "-s", &format!("{head}:logo.png")])
            .trim(),
        "8"
    );
    assert_eq!(env.emu.pulls(REPO).unwrap().len(), 1);
    env.emu.assert_no_invalid_requests();
}

#[test]
fn head_moved_by_another_writer_is_rebuilt_on_top_and_nothing_is_lost() {
    let env = Env::start();
    ok_json(&env.sync(&env.build("build-1"), "1", &[]));
    // Another writer commits to the branch right before our ref update.
    env.emu.add_fault(FaultRule::new(
        "POST",
        "/graphql",
        FaultAction::MoveBranch {
            branch: "amplication".into(),
            path: Some("other/writer.txt".into()),
            content: Some("theirs\n".into()),
        },
    ));
    let out = ok_json(&env.sync(&env.build("build-2"), "2", &[]));
    assert_eq!(out["attempts"], 2);
    let head = env.head("amplication").unwrap();
    assert_eq!(
        env.show(&format!("{head}:other/writer.txt")),
        "theirs\n",
        "the other writer's commit survives"
    );
    let parent = env.git(&["log", "-1", "--format=%s", &format!("{head}^")]);
    assert!(
        !parent.starts_with("Build 2"),
        "our commit sits on top of theirs"
    );
    assert!(env
        .show(&format!("{head}:src/invoices/invoices.service.ts"))
        .contains("InvoicesService"));
}

#[test]
fn graphql_expected_head_mismatch_is_rebuilt_on_top() {
    let env = Env::start();
    ok_json(&env.sync(&env.build("build-1"), "1", &["--commit-mode", "graphql"]));
    // The second GraphQL request is the commit (the first reads the branches).
    env.emu.add_fault(
        FaultRule::new(
            "POST",
            "/graphql",
            FaultAction::MoveBranch {
                branch: "amplication".into(),
                path: None,
                content: None,
            },
        )
        .nth(2),
    );
    let b = env.build("build-1");
    std::fs::write(b.join("README.md"), "changed\n").unwrap();
    let out = ok_json(&env.sync(&b, "3", &["--commit-mode", "graphql"]));
    assert_eq!(out["attempts"], 2);
    assert_eq!(out["commit_via"], "graphql");
    env.emu.assert_no_invalid_requests();
}

fn assert_untouched(env: &Env, before: &Option<String>) {
    assert_eq!(&env.head("amplication"), before, "no partial branch update");
}

#[test]
fn permanent_errors_are_clear_and_leave_the_branch_as_it_was() {
    let cases: Vec<(&str, &str, FaultAction, &[&str])> = vec![
        (
            "GET",
            "/repos/acme/app",
            canned::bad_credentials(),
            &["401", "token"],
        ),
        (
            "POST",
            "/repos/acme/app/git/trees",
            canned::not_accessible_by_integration(),
            &["403", "contents: write"],
        ),
        (
            "GET",
            "/repos/acme/app",
            FaultAction::status(404),
            &["404", "--repository"],
        ),
        (
            "POST",
            "/graphql",
            FaultAction::json(
                200,
                &serde_json::json!({"data": {"updateRefs": null}, "errors": [{"type": "UNPROCESSABLE", "path": ["updateRefs"], "message": "Protected branch update failed for refs/heads/amplication."}]}),
                &[],
            ),
            &["protected", "--branch"],
        ),
    ];
    for (method, path, action, needles) in cases {
        let env = Env::start();
        let before = env.head("amplication");
        env.emu
            .add_fault(FaultRule::new(method, path, action).always());
        let err = failure(&env.sync(&env.build("build-1"), "1", &[]));
        for n in needles {
            assert!(
                err.contains(n),
                "{method} {path}: {n:?} missing from: {err}"
            );
        }
        assert_untouched(&env, &before);
        assert!(env.emu.pulls(REPO).unwrap().is_empty());
    }
}

#[test]
fn protected_branch_rejection_on_update_is_an_error_not_a_retry() {
    let env = Env::start();
    ok_json(&env.sync(&env.build("build-1"), "1", &[]));
    env.emu.protect_branch(REPO, "amplication").unwrap();
    let before = env.head("amplication");
    let err = failure(&env.sync(&env.build("build-2"), "2", &[]));
    assert!(err.contains("protected"), "{err}");
    assert_untouched(&env, &before);
}

#[test]
fn pull_request_creation_forbidden_for_actions_says_how_to_fix_and_names_the_commit() {
    let env = Env::start();
    env.emu
        .set_actions_can_create_pull_requests(REPO, false)
        .unwrap();
    let out = env.sync(&env.build("build-1"), "1", &[]);
    // Exit status 3 (README "Exit statuses"): the commit landed, the pull request did not.
    assert_eq!(out.status.code(), Some(3), "{out:?}");
    let err = failure(&out);
    assert!(
        err.contains("Allow GitHub Actions to create and approve pull requests"),
        "{err}"
    );
    let head = env.head("amplication").expect("the commit landed");
    assert!(
        err.contains(&head),
        "the error names the landed commit: {err}"
    );
    // Once allowed, a rerun opens the pull request without a new commit.
    env.emu
        .set_actions_can_create_pull_requests(REPO, true)
        .unwrap();
    let out = ok_json(&env.sync(&env.build("build-1"), "1", &[]));
    assert_eq!(out["operation"], "created");
    assert_eq!(env.head("amplication").unwrap(), head);
    let _ = FileChange::delete("unused");
}

#[test]
fn a_commit_whose_answer_was_lost_is_named_once_found_on_the_branch() {
    let env = Env::start();
    ok_json(&env.sync(&env.build("build-1"), "1", &[]));
    // The ref update lands but its answer is lost; before the retry another writer commits on
    // top, so the retried update is refused and the rebuild finds the build already there.
    env.emu
        .add_fault(FaultRule::new("POST", "/graphql", FaultAction::DropAfterHandling).nth(1));
    env.emu.add_fault(
        FaultRule::new(
            "POST",
            "/graphql",
            FaultAction::MoveBranch {
                branch: "amplication".into(),
                path: Some("other/writer.txt".into()),
                content: Some("theirs\n".into()),
            },
        )
        .nth(2),
    );
    let out = ok_json(&env.sync(&env.build("build-2"), "2", &[]));
    let head = env.head("amplication").unwrap();
    let ours = env
        .git(&["rev-parse", &format!("{head}^")])
        .trim()
        .to_owned();
    assert_eq!(
        out["commit_sha"],
        ours.as_str(),
        "the outcome names the commit that carried the build: {out}"
    );
    assert_eq!(out["operation"], "updated");
    assert!(env
        .git(&["log", "-1", "--format=%B", &ours])
        .contains("Build-Id: 2"));
    // The outcome lists what that commit changed (not the empty rebuild that found it).
    let listed = |k: &str| out["changes"][0][k].as_array().map_or(0, Vec::len);
    let diff: Vec<String> = env
        .diff(&format!("{ours}^"), &ours)
        .into_iter()
        .filter(|l| !l.ends_with(".amplication/manifest"))
        .collect();
    assert!(!diff.is_empty());
    assert_eq!(
        listed("added") + listed("modified") + listed("deleted") + 2 * listed("renamed"),
        diff.len(),
        "{diff:?}\n{out}"
    );
}

#[test]
fn a_branch_rewound_between_read_and_update_is_not_resurrected() {
    let env = Env::start();
    ok_json(&env.sync(&env.build("build-1"), "1", &[]));
    let ours = env.head("amplication").unwrap();
    // Another writer adds a commit, then (while the next sync builds on it) drops it again
    // with a force-push. REST's `PATCH git/refs` with `force: false` would accept the sync's
    // commit (a fast-forward of the rewound head) and bring the dropped commit back.
    env.emu
        .commit_files(
            REPO,
            "amplication",
            &[FileChange::write("dropped/by-them.txt", "dropped\n")],
            "A commit its author drops\n",
        )
        .unwrap();
    let dropped = env.head("amplication").unwrap();
    let rewind = env.emu.add_fault(FaultRule::new(
        "POST",
        "/repos/acme/app/git/commits",
        FaultAction::rewind_branch("amplication"),
    ));
    let out = ok_json(&env.sync(&env.build("build-2"), "2", &[]));
    assert_eq!(env.emu.fault_fired(rewind), 1);
    assert_eq!(
        out["attempts"], 2,
        "the sync rebuilt on the new head: {out}"
    );
    let head = env.head("amplication").unwrap();
    assert_eq!(out["commit_sha"], head.as_str());
    assert_eq!(
        env.git(&["rev-parse", &format!("{head}^")]).trim(),
        ours,
        "built on the rewound head"
    );
    let reachable = env.git(&["rev-list", &head]);
    assert!(
        !reachable.lines().any(|c| c == dropped),
        "the dropped commit is not back"
    );
    assert!(!env
        .git(&["ls-tree", "-r", "--name-only", &head])
        .lines()
        .any(|p| p == "dropped/by-them.txt"));
    env.emu.assert_no_invalid_requests();
}

#[test]
fn a_truncated_tree_that_lists_itself_is_refused_after_a_few_requests() {
    let env = Env::start();
    let root = env.git(&["rev-parse", "main^{tree}"]).trim().to_owned();
    // A hostile server: the root tree's listing is truncated and names the root as a subtree.
    let listing = serde_json::json!({
        "sha": root,
        "url": format!("https://api.github.com/repos/acme/app/git/trees/{root}"),
        "tree": [{"path": "loop", "mode": "040000", "type": "tree", "sha": root,
                  "url": format!("https://api.github.com/repos/acme/app/git/trees/{root}")}],
        "truncated": true,
    });
    env.emu.add_fault(
        FaultRule::new(
            "GET",
            &format!("/repos/acme/app/git/trees/{root}"),
            FaultAction::json(200, &listing, &[]),
        )
        .always(),
    );
    let before = env.head("amplication");
    let err = failure(&env.sync(&env.build("build-1"), "1", &[]));
    assert!(
        err.contains(&root) && err.contains("inside itself"),
        "{err}"
    );
    let listings = env
        .emu
        .requests()
        .iter()
        .filter(|r| r.path.contains("/git/trees/"))
        .count();
    assert!(listings <= 4, "{listings} tree listings before giving up");
    assert_untouched(&env, &before);
    env.emu.take_invalid_requests();
}
