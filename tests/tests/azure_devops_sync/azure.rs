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

/// Sends `body` to `POST …/pushes` with `query`, as a PAT; the status and body.
fn push(env: &Env<AzureForge>, query: &str, body: &serde_json::Value) -> (u16, serde_json::Value) {
    use base64::Engine;
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let auth = base64::engine::general_purpose::STANDARD.encode(format!(":{}", crate::TOKEN));
    let request = ureq::http::Request::builder()
        .method("POST")
        .uri(format!("{}{}{query}", env.forge.emu.api_url(), pushes()))
        .header("authorization", format!("Basic {auth}"))
        .header("content-type", "application/json")
        .body(serde_json::to_vec(body).expect("JSON"))
        .expect("a request");
    let mut response = agent.run(request).expect("an answer");
    let status = response.status().as_u16();
    let text = response.body_mut().read_to_string().unwrap_or_default();
    (status, serde_json::from_str(&text).unwrap_or_default())
}

#[test]
fn the_emulator_refuses_what_the_description_refuses_and_a_stale_old_object_id() {
    let env = env();
    let main = env.head("main").expect("main");
    let change = |path: serde_json::Value| {
        serde_json::json!({
            "refUpdates": [{ "name": "refs/heads/main", "oldObjectId": main }],
            "commits": [{ "comment": "x", "changes": [{
                "changeType": "add", "item": { "path": path },
                "newContent": { "content": "hi", "contentType": "rawText" },
            }]}],
        })
    };
    // No api-version, and an item path that is not a string: 400, flagged, nothing written.
    let (status, _) = push(&env, "", &change(serde_json::json!(5)));
    assert_eq!(status, 400);
    let invalid = env.forge.emu.take_invalid_requests();
    let why = invalid[0].invalid.clone().unwrap_or_default();
    assert!(
        why.contains("api-version") && why.contains("item/path"),
        "{why}"
    );
    assert_eq!(env.head("main").as_deref(), Some(main.as_str()));
    // A valid push lands once; the same push again is stale (TF401028, 409).
    let (status, body) = push(
        &env,
        "?api-version=7.1",
        &change(serde_json::json!("/x.txt")),
    );
    assert_eq!(status, 201, "{body}");
    let new = body["commits"][0]["commitId"]
        .as_str()
        .expect("commit")
        .to_owned();
    assert_eq!(env.head("main").as_deref(), Some(new.as_str()));
    assert_eq!(env.show(&format!("{new}:x.txt")), "hi");
    let (status, body) = push(
        &env,
        "?api-version=7.1",
        &change(serde_json::json!("/y.txt")),
    );
    assert_eq!(status, 409, "{body}");
    assert_eq!(body["typeKey"], "GitReferenceStaleException");
    assert_eq!(env.head("main").as_deref(), Some(new.as_str()));
    env.forge.assert_no_invalid_requests();
}

#[test]
fn a_new_pull_request_carries_draft_labels_and_reviewers() {
    let env = env();
    let reviewer = "3f7a4c2e-0000-4000-8000-000000000001";
    let out = ok_json(&env.sync(
        &env.build("build-1"),
        "1",
        &[
            "--draft",
            "--labels",
            "generated,bot",
            "--reviewers",
            reviewer,
        ],
    ));
    assert_eq!(out["operation"], "created", "{out}");
    let full = env.forge.repository(REPO);
    let pulls = env.forge.emu.pulls(&full).expect("pulls");
    assert_eq!(pulls.len(), 1);
    assert!(pulls[0].is_draft);
    assert_eq!(pulls[0].labels, ["generated", "bot"]);
    assert_eq!(pulls[0].reviewers, [reviewer]);
    let url = out["pull_request"]["url"].as_str().unwrap_or_default();
    assert!(
        url.ends_with(&format!(
            "/acme/{AZURE_PROJECT}/_git/app/pullrequest/{}",
            pulls[0].id
        )),
        "{url}"
    );
    env.forge.assert_no_invalid_requests();
}

#[test]
fn in_azure_pipelines_the_token_is_masked_and_outcomes_and_errors_use_logging_commands() {
    let env = env();
    let job = [("TF_BUILD", "True"), ("BUILD_BUILDID", "77")];
    let args = env.sync_args(&env.build("build-1"), "1", &[]);
    let out = env.run(&args, &job);
    ok_json(&out);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!("##vso[task.setsecret]{}", crate::TOKEN)),
        "{stderr}"
    );
    assert!(
        stderr.contains("##vso[task.setvariable variable=GENSYNC_OPERATION;isOutput=true]created"),
        "{stderr}"
    );
    let mut args = args;
    let at = args.iter().position(|a| a == "--repository").expect("flag") + 1;
    args[at] = format!("acme/{AZURE_PROJECT}/nope");
    let out = env.run(&args, &job);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains("##vso[task.logissue type=error]") && stderr.contains("TF401019"),
        "{stderr}"
    );
    env.forge.assert_no_invalid_requests();
}
