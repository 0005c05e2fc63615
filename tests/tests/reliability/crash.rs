//! Crash safety and racing syncs.
//!
//! Crash: a `Delay` fault holds the n-th request of a sync, the test SIGKILLs `gensync` while
//! it waits, lets the held request finish on the server (as a real server would), and reruns
//! the same build: the rerun completes the same result, with one commit for the build id and
//! one pull request. Every request index of a sync is tried, in both commit modes.
//!
//! Race: two syncs of different builds start together on the same branch: both land, in some
//! order, and neither overwrites the other.

use std::time::{Duration, Instant};

use gensync_tests::fault::{FaultAction, FaultRule};

use crate::harness::{check_build_in, ok_json, Env, Provider, BRANCH, PROVIDERS};

const HOLD_MS: u64 = 250;

fn mode_flags(provider: Provider, mode: crate::harness::Mode) -> Vec<&'static str> {
    provider.mode_flags(mode)
}

#[test]
fn a_killed_sync_is_completed_by_its_rerun_without_duplicates() {
    let mut kills = 0;
    for &provider in PROVIDERS {
        let before = kills;
        for &mode in provider.modes() {
            // How many requests a first sync and an incremental sync make.
            let probe = Env::start_with(provider, crate::harness::Seed::Normal, false);
            let flags = mode_flags(provider, mode);
            ok_json(&probe.sync(&probe.build(1), "1", &flags));
            let first = probe.requests().len();
            probe.clear_requests();
            ok_json(&probe.sync(&probe.build(2), "2", &flags));
            let second = probe.requests().len();
            drop(probe);

            for (step, total) in [(1u64, first), (2, second)] {
                for nth in 1..=total as u32 {
                    let env = Env::start_with(provider, crate::harness::Seed::Normal, false);
                    if step == 2 {
                        ok_json(&env.sync(&env.build(1), "1", &flags));
                    }
                    let build = env.build(step);
                    let id = env
                        .add_fault(FaultRule::new("*", "**", FaultAction::delay(HOLD_MS)).nth(nth));
                    let args = env.sync_args(&build, &step.to_string(), &flags);
                    let mut child = env.spawn(&args, &[]);
                    let started = Instant::now();
                    while env.fault_fired(id) == 0 && started.elapsed() < Duration::from_secs(10) {
                        if child.try_wait().expect("wait").is_some() {
                            break;
                        }
                        std::thread::sleep(Duration::from_millis(5));
                    }
                    let killed = child.try_wait().expect("wait").is_none();
                    // SIGKILL: no cleanup, no last words.
                    child.kill().expect("kill");
                    let out = child.wait_with_output().expect("reaped");
                    env.keep(&out);
                    kills += u32::from(killed);
                    // The held request is handled anyway, as on a real server.
                    env.wait_idle();
                    env.clear_faults();

                    let rerun = ok_json(&env.sync(&build, &step.to_string(), &flags));
                    let head = env.head(BRANCH).expect("the branch exists");
                    let ctx = format!("{provider:?} {mode:?} step {step}, killed at request {nth}");
                    if let Err(e) = check_build_in(&env, &head, &build) {
                        panic!("{ctx}: the rerun's branch lacks the build: {e}");
                    }
                    let commits = env.commits_for_build(&head, &step.to_string());
                    assert_eq!(
                        commits.len(),
                        1,
                        "{ctx}: commits for the build: {commits:?}"
                    );
                    assert_eq!(env.pulls().len(), 1, "{ctx}: pull requests");
                    assert_eq!(env.open_pulls_for(BRANCH), 1, "{ctx}: open pull request");
                    if step == 2 {
                        assert_eq!(
                            env.commits_for_build(&head, "1").len(),
                            1,
                            "{ctx}: the first build's commit"
                        );
                    }
                    let _ = rerun;
                    env.assert_no_secret_anywhere();
                }
            }
        }
        println!(
            "crash safety, {}: {} syncs killed mid-flight",
            provider.name(),
            kills - before
        );
    }
    assert!(kills > 20, "only {kills} runs were killed mid-flight");
    println!("crash safety: {kills} syncs killed mid-flight and completed by their rerun");
}

#[test]
fn two_syncs_of_different_builds_racing_on_one_branch_both_land() {
    for &provider in PROVIDERS {
        for &mode in provider.modes() {
            let flags = mode_flags(provider, mode);
            let env = Env::start_with(provider, crate::harness::Seed::Normal, false);
            ok_json(&env.sync(&env.build(1), "1", &flags));
            let mut overlaps = 0;
            for round in 0..4u64 {
                // Two services of one repository (different target dirs), built separately.
                let a = env.build(10 + round);
                let b = env.build(20 + round);
                let (ida, idb) = (format!("a{round}"), format!("b{round}"));
                let mut fa = flags.clone();
                fa.extend(["--target-dir", "services/a"]);
                let mut fb = flags.clone();
                fb.extend(["--target-dir", "services/b"]);
                let args_a = env.sync_args(&a, &ida, &fa);
                let args_b = env.sync_args(&b, &idb, &fb);
                // Force the overlap: the first commit request to arrive is held, so the
                // other sync moves the branch while the first one's view of it goes stale.
                env.add_fault(hold_first_commit(provider, mode));
                let (oa, ob) = std::thread::scope(|s| {
                    let ta = s.spawn(|| env.run(&args_a, &[]));
                    let tb = s.spawn(|| env.run(&args_b, &[]));
                    (ta.join().expect("a"), tb.join().expect("b"))
                });
                env.wait_idle();
                env.clear_faults();
                let (va, vb) = (ok_json(&oa), ok_json(&ob));
                let head = env.head(BRANCH).expect("branch");
                let ctx = format!("{provider:?} {mode:?} round {round}");
                for (v, id) in [(&va, &ida), (&vb, &idb)] {
                    let c = env.commits_for_build(&head, id);
                    assert_eq!(c.len(), 1, "{ctx}: build {id} commits {c:?}");
                    assert_eq!(v["commit_sha"].as_str(), Some(c[0].as_str()), "{ctx}");
                }
                let tree = env.tree(&head);
                for (dir, build) in [("services/a", &a), ("services/b", &b)] {
                    for (rel, path) in crate::harness::list_files(build) {
                        let want = String::from_utf8(
                            std::process::Command::new("git")
                                .arg("hash-object")
                                .arg(&path)
                                .output()
                                .expect("git")
                                .stdout,
                        )
                        .expect("utf-8");
                        let got = tree.get(&format!("{dir}/{rel}")).map(|(_, o)| o.as_str());
                        assert_eq!(got, Some(want.trim()), "{ctx}: {dir}/{rel}");
                    }
                }
                assert_eq!(env.pulls().len(), 1, "{ctx}: one pull request");
                let rebuilt = [&va, &vb]
                    .iter()
                    .filter(|v| v["attempts"].as_u64() > Some(1))
                    .count();
                assert!(
                    rebuilt >= 1,
                    "{ctx}: the syncs did not overlap (neither rebuilt on a moved head): {va}\n{vb}"
                );
                overlaps += rebuilt;
            }
            println!(
                "racing syncs, {} / {}: 4 rounds, {overlaps} rebuilt on a moved head",
                provider.name(),
                mode.flag()
            );
            // Same target dir: both land in order; the later one's files win, the earlier
            // one's commit stays in the history.
            let a = env.build(30);
            let b = env.build(31);
            let args_a = env.sync_args(&a, "same-a", &flags);
            let args_b = env.sync_args(&b, "same-b", &flags);
            let (oa, ob) = std::thread::scope(|s| {
                let ta = s.spawn(|| env.run(&args_a, &[]));
                let tb = s.spawn(|| env.run(&args_b, &[]));
                (ta.join().expect("a"), tb.join().expect("b"))
            });
            ok_json(&oa);
            ok_json(&ob);
            let head = env.head(BRANCH).expect("branch");
            let ca = env.commits_for_build(&head, "same-a");
            let cb = env.commits_for_build(&head, "same-b");
            assert_eq!(
                (ca.len(), cb.len()),
                (1, 1),
                "{provider:?} {mode:?}: both commits"
            );
            let later = if env.is_ancestor(&ca[0], &cb[0]) {
                &b
            } else {
                &a
            };
            check_build_in(&env, &head, later).expect("the later build is the branch's content");
            env.assert_no_secret_anywhere();
        }
    }
}

/// Holds the first request that commits (after the sync read the branch) for 1.5 s: made
/// while both racing syncs are under way, it lets the other one land first.
fn hold_first_commit(provider: Provider, mode: crate::harness::Mode) -> FaultRule {
    use crate::harness::Mode;
    let (method, path, nth) = match (provider, mode) {
        (Provider::Github, Mode::Rest) => ("POST", "/repos/acme/app/git/commits", 1),
        // The two prefetch queries come first, then the first createCommitOnBranch.
        (Provider::Github, _) => ("POST", "/graphql", 3),
        (Provider::Bitbucket, _) => ("POST", "/2.0/repositories/acme/app/src", 1),
    };
    FaultRule::new(method, path, FaultAction::delay(1500)).nth(nth)
}
