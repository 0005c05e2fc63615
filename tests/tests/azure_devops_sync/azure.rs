//! What only Azure DevOps has: file modes the pushes API cannot set, branch policies, a lost
//! push answer read back, credentials (PAT as Basic, the job token as Bearer), and refusals.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use gensync_tests::fault::{FaultAction, FaultRule};
use gensync_tests::forge::{AzureForge, Forge, AZURE_PROJECT, REPO};

use crate::harness::{failure, ok_json, Env};

const BRANCH: &str = "amplication";

fn env() -> Env<AzureForge> {
    Env::new(AzureForge::start(crate::TOKEN))
}

fn pushes() -> String {
    format!("/acme/{AZURE_PROJECT}/_apis/git/repositories/app/pushes")
}

/// A build with a regular and an executable file.
fn build_with_script(dir: &Path, version: &str) {
    std::fs::create_dir_all(dir.join("bin")).expect("mkdir");
    std::fs::write(dir.join("README.md"), format!("# v{version}\n")).expect("write");
    let script = dir.join("bin/run.sh");
    std::fs::write(&script, format!("#!/bin/sh\necho {version}\n")).expect("write");
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).expect("chmod");
}

#[test]
fn an_executable_lands_as_a_regular_file_the_outcome_says_so_and_the_next_run_does_not_churn() {
    let env = env();
    let build = env.work.path().join("b1");
    build_with_script(&build, "1");
    let out = ok_json(&env.sync(&build, "1", &[]));
    let head = env.head(BRANCH).expect("branch created");
    let via = out["commit_via"].as_str().unwrap_or_default();
    assert!(
        via.contains("sets no file modes") && via.contains("bin/run.sh"),
        "{out}"
    );
    assert!(env
        .git(&["ls-tree", &head, "bin/run.sh"])
        .starts_with("100644 "));
    // The same build again: the branch holds it (the mode aside, which no push can change).
    let out = ok_json(&env.sync(&build, "2", &[]));
    assert_eq!(out["operation"], "none", "{out}");
    assert_eq!(env.head(BRANCH).as_deref(), Some(head.as_str()));
    env.forge.assert_no_invalid_requests();
}

#[test]
fn a_branch_policy_refuses_the_push_clearly_and_nothing_is_written() {
    let env = env();
    ok_json(&env.sync(&env.build("build-1"), "1", &[]));
    let before = env.head(BRANCH).expect("branch");
    let full = env.forge.repository(REPO);
    env.forge
        .emu
        .require_pull_requests(&full, BRANCH)
        .expect("policy");
    let err = failure(&env.sync(&env.build("build-2"), "2", &[]));
    assert!(
        err.contains("TF402455") && err.contains("branch policy") && err.contains("--branch"),
        "{err}"
    );
    assert_eq!(env.head(BRANCH), Some(before));
    env.forge.assert_no_invalid_requests();
}

#[test]
fn a_lost_push_answer_is_not_pushed_twice() {
    let env = env();
    env.forge
        .add_fault(FaultRule::new("POST", &pushes(), FaultAction::DropAfterHandling).times(1));
    let out = ok_json(&env.sync(&env.build("build-1"), "1", &[]));
    let head = env.head(BRANCH).expect("branch");
    assert_eq!(out["commit_sha"], head.as_str(), "{out}");
    let main = env.head("main").expect("main");
    assert_eq!(env.parent(&head), main, "exactly one commit on the base");
    assert_eq!(env.forge.pulls().len(), 1);
    env.forge.assert_no_invalid_requests();
}

#[test]
fn the_job_token_travels_as_bearer_and_a_pat_as_basic() {
    let env = env();
    let job = "eyJhbGciOi.jobTokenPayload.signature0123456789";
    env.forge
        .emu
        .add_credential(gensync_tests::azure_devops::Credential::bearer(job));
    let args = env.sync_args(&env.build("build-1"), "1", &[]);
    let out = env.run(
        &args,
        &[("AZURE_DEVOPS_TOKEN", ""), ("SYSTEM_ACCESSTOKEN", job)],
    );
    crate::harness::assert_no_secret(&out, &[job.to_owned()]);
    ok_json(&out);
    let scheme = |want: &str| {
        let all: Vec<Option<String>> = env
            .forge
            .requests()
            .iter()
            .map(|r| r.auth_scheme.clone())
            .collect();
        assert!(
            !all.is_empty()
                && all
                    .iter()
                    .all(|s| s.as_deref().is_some_and(|s| s.eq_ignore_ascii_case(want))),
            "{want}: {all:?}"
        );
    };
    scheme("bearer");
    // Without the job token, the PAT of the forge's environment is sent as Basic.
    env.forge.emu.clear_requests();
    ok_json(&env.sync(&env.build("build-2"), "2", &[]));
    scheme("basic");
    env.forge.assert_no_invalid_requests();
}

#[test]
fn bad_input_is_refused_with_what_to_fix() {
    let env = env();
    // Two segments: the repository syntax names the three it needs.
    let mut args = env.sync_args(&env.build("build-1"), "1", &[]);
    let at = args.iter().position(|a| a == "--repository").expect("flag") + 1;
    args[at] = "acme/app".into();
    let err = failure(&env.run(&args, &[]));
    assert!(err.contains("ORGANIZATION/PROJECT/REPOSITORY"), "{err}");
    // A repository that does not exist: 404 with what to check.
    args[at] = format!("acme/{AZURE_PROJECT}/nope");
    let err = failure(&env.run(&args, &[]));
    assert!(
        err.contains("404") && err.contains("TF401019") && err.contains("--repository"),
        "{err}"
    );
    // No credential at all.
    let args = env.sync_args(&env.build("build-1"), "1", &[]);
    let err = failure(&env.run(&args, &[("AZURE_DEVOPS_TOKEN", "")]));
    assert!(
        err.contains("AZURE_DEVOPS_TOKEN") && err.contains("SYSTEM_ACCESSTOKEN"),
        "{err}"
    );
    assert_eq!(env.head(BRANCH), None);
    env.forge.assert_no_invalid_requests();
}
