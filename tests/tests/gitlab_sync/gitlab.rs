//! What only GitLab has: nested groups and numeric ids, the commit's guarantee when another
//! writer commits in between (no compare-and-swap on the branch), a lost commit answer, file
//! modes and binary files through `actions`, protected branches, scopes and the job token.

use gensync_tests::fault::{FaultAction, FaultRule};
use gensync_tests::forge::{Forge, GitlabForge, REPO};
use gensync_tests::git::FileChange;
use gensync_tests::gitlab::{GitlabEmulator, TokenConfig};

use crate::harness::{failure, ok_json, Env};
use crate::TOKEN;

const COMMITS: &str = "/api/v4/projects/acme%2Fapp/repository/commits";

fn env() -> Env<GitlabForge> {
    Env::new(GitlabForge::start(TOKEN))
}

/// `args` with the `--repository` value replaced by `repository`.
fn with_repository(mut args: Vec<String>, repository: &str) -> Vec<String> {
    let i = args
        .iter()
        .position(|a| a == "--repository")
        .expect("--repository")
        + 1;
    args[i] = repository.to_owned();
    args
}

#[test]
fn nested_groups_and_numeric_ids_name_the_project() {
    let env = env();
    let id = env
        .forge
        .emu
        .create_project(
            "acme/platform/sdk",
            Some(&[FileChange::write("README.md", "# sdk\n")]),
        )
        .expect("project");
    let build = env.build("build-1");
    let args = with_repository(env.sync_args(&build, "1", &[]), "acme/platform/sdk");
    let out = ok_json(&env.run(&args, &[]));
    assert_eq!(out["operation"], "created", "{out}");
    let git = env.forge.emu.git("acme/platform/sdk").expect("git");
    let head = git
        .branch("amplication")
        .expect("read")
        .expect("branch made");
    // The same project by its numeric id: the same build again changes nothing.
    let args = with_repository(env.sync_args(&build, "1", &[]), &id.to_string());
    ok_json(&env.run(&args, &[]));
    assert_eq!(git.branch("amplication").expect("read"), Some(head));
    assert_eq!(
        env.forge
            .emu
            .merge_requests("acme/platform/sdk")
            .expect("mrs")
            .len(),
        1
    );
    env.forge.assert_no_invalid_requests();
}

#[test]
fn another_writer_on_a_path_the_build_writes_is_reported_not_hidden() {
    let env = env();
    ok_json(&env.sync(&env.build("build-1"), "1", &[]));
    let notes_before = env.forge.pulls()[0].comments.len();
    env.forge.add_fault(FaultRule::new(
        "POST",
        COMMITS,
        FaultAction::MoveBranch {
            branch: "amplication".into(),
            path: Some("src/app.module.ts".into()),
            content: Some("// theirs\n".into()),
        },
    ));
    let err = failure(&env.sync(&env.build("build-2"), "2", &[]));
    assert!(
        err.contains("someone committed to amplication while gensync did"),
        "{err}"
    );
    assert!(
        err.contains("src/app.module.ts") && err.contains("Nothing was forced"),
        "{err}"
    );
    // Theirs is the parent of ours: in the history, never rewritten.
    let head = env.head("amplication").expect("branch");
    let parent = env.parent(&head);
    assert_eq!(
        env.show(&format!("{parent}:src/app.module.ts")),
        "// theirs\n"
    );
    assert!(env
        .git(&["log", "-1", "--format=%s", &parent])
        .starts_with("Another writer's change"));
    // The merge request was not touched after the doubtful commit.
    assert_eq!(env.forge.pulls()[0].comments.len(), notes_before);
    env.forge.assert_no_invalid_requests();
}

#[test]
fn a_lost_commit_answer_is_read_back_and_not_committed_twice() {
    let env = env();
    ok_json(&env.sync(&env.build("build-1"), "1", &[]));
    let before = env.head("amplication").expect("branch");
    env.forge.add_fault(FaultRule::new(
        "POST",
        COMMITS,
        FaultAction::DropAfterHandling,
    ));
    let out = ok_json(&env.sync(&env.build("build-2"), "2", &[]));
    let head = env.head("amplication").expect("branch");
    assert_eq!(
        env.parent(&head),
        before,
        "exactly one commit on top: {out}"
    );
    assert_eq!(out["commit_sha"], head.as_str(), "{out}");
    let posts = env
        .forge
        .requests()
        .iter()
        .filter(|r| r.method == "POST" && r.path == COMMITS)
        .count();
    assert_eq!(
        posts, 2,
        "one per build: the read-back found the lost one, no resend"
    );
    env.forge.assert_no_invalid_requests();
}

#[test]
fn executables_and_binary_files_travel_as_actions() {
    let env = env();
    let build = env.build("build-1");
    std::fs::write(build.join("logo.bin"), [0u8, 0xff, 0x10, 0x80]).expect("write");
    std::fs::create_dir_all(build.join("bin")).expect("mkdir");
    std::fs::write(build.join("bin/run.sh"), "#!/bin/sh\necho hi\n").expect("write");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(
            build.join("bin/run.sh"),
            std::fs::Permissions::from_mode(0o755),
        )
        .expect("chmod");
    }
    ok_json(&env.sync(&build, "1", &[]));
    let head = env.head("amplication").expect("branch");
    let tree = env.git(&["ls-tree", "-r", &head]);
    assert!(
        tree.lines()
            .any(|l| l.starts_with("100755") && l.ends_with("\tbin/run.sh")),
        "{tree}"
    );
    let bytes = std::process::Command::new("git")
        .arg("--git-dir")
        .arg(env.forge.git_dir())
        .args(["cat-file", "blob", &format!("{head}:logo.bin")])
        .output()
        .expect("git");
    assert_eq!(bytes.stdout, vec![0u8, 0xff, 0x10, 0x80]);
    let commit = env
        .forge
        .requests()
        .into_iter()
        .find(|r| r.method == "POST" && r.path == COMMITS)
        .expect("a commit");
    let body: serde_json::Value = serde_json::from_str(&commit.body).expect("json");
    let logo = body["actions"]
        .as_array()
        .expect("actions")
        .iter()
        .find(|a| a["file_path"] == "logo.bin")
        .expect("logo");
    assert_eq!(logo["encoding"], "base64");
    env.forge.assert_no_invalid_requests();
}

#[test]
fn a_protected_branch_is_refused_with_the_fix_and_nothing_is_written() {
    let env = env();
    env.forge
        .emu
        .protect(REPO, "amplication")
        .expect("protected");
    let err = failure(&env.sync(&env.build("build-1"), "1", &[]));
    assert!(
        err.contains("You are not allowed to push into this branch"),
        "{err}"
    );
    assert!(
        err.contains("Protected branches") && err.contains("--branch"),
        "{err}"
    );
    assert!(env.forge.pulls().is_empty());
    env.forge.assert_no_invalid_requests();
}

#[test]
fn a_token_without_the_api_scope_is_refused_with_the_scope_to_add() {
    let emu = GitlabEmulator::start(vec![TokenConfig {
        token: TOKEN.into(),
        api: false,
    }])
    .expect("emulator");
    let forge = GitlabForge {
        emu,
        token: TOKEN.into(),
    };
    let env = Env::new(forge);
    let err = failure(&env.sync(&env.build("build-1"), "1", &[]));
    assert!(err.contains("403") && err.contains("`api` scope"), "{err}");
    assert_eq!(env.head("amplication"), None);
    assert!(env.forge.pulls().is_empty());
}

#[test]
fn a_job_token_alone_says_which_token_to_create() {
    let env = env();
    let args = env.sync_args(&env.build("build-1"), "1", &[]);
    let err = failure(&env.run(
        &args,
        &[("GITLAB_TOKEN", ""), ("CI_JOB_TOKEN", "job-token-secret")],
    ));
    assert!(err.contains("a job token cannot commit"), "{err}");
    assert!(
        err.contains("project access token") && err.contains("GITLAB_TOKEN"),
        "{err}"
    );
    assert!(!err.contains("job-token-secret"), "{err}");
    assert!(env.forge.requests().is_empty(), "nothing was sent");
}
