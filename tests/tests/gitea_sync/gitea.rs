//! What only Gitea has: the branch guard after a commit (the API commits on whatever the head
//! is), the per-file guard, refusals (protected branch, file over the server's limit, a read-only
//! token), and the Gitea/Forgejo Actions runner (server and job token from its variables).

use gensync_tests::fault::{FaultAction, FaultRule};
use gensync_tests::forge::{Forge, GiteaForge, REPO};

use crate::harness::{failure, ok_json, Env};
use crate::TOKEN;

fn env() -> Env<GiteaForge> {
    Env::new(GiteaForge::start(TOKEN))
}

/// Another writer commits a file gensync does not touch right before the change-files request:
/// Gitea puts gensync's commit on top of theirs (it has no expected head), gensync sees from the
/// answer's parent that the head moved, rebuilds on the new head, finds nothing left to commit
/// and reports the commit that carried the build. Nothing of theirs is lost, one commit of ours.
#[test]
fn a_commit_gitea_put_on_another_writers_head_is_rebuilt_and_reported() {
    let env = env();
    ok_json(&env.sync(&env.build("build-1"), "1", &[]));
    let before = env.head("amplication").expect("branch");
    env.forge.add_fault(FaultRule::new(
        "POST",
        "/api/v1/repos/acme/app/contents",
        FaultAction::MoveBranch {
            branch: "amplication".into(),
            path: Some("unrelated/theirs.txt".into()),
            content: Some("theirs\n".into()),
        },
    ));
    let out = ok_json(&env.sync(&env.build("build-2"), "2", &[]));
    let head = env.head("amplication").expect("branch");
    assert_eq!(out["attempts"], 2, "{out}");
    assert_eq!(out["commit_sha"], head.as_str(), "{out}");
    let theirs = env.parent(&head);
    assert_eq!(env.parent(&theirs), before, "theirs sits between: {out}");
    assert_eq!(
        env.show(&format!("{head}:unrelated/theirs.txt")),
        "theirs\n"
    );
    assert!(env
        .show(&format!("{head}:src/invoices/invoices.service.ts"))
        .contains("InvoicesService"));
    let posts = env
        .forge
        .requests()
        .iter()
        .filter(|r| r.method == "POST" && r.path.ends_with("/contents"))
        .count();
    assert_eq!(posts, 2, "the first sync's commit and this one");
    env.git(&["fsck", "--strict"]);
    env.forge.assert_no_invalid_requests();
}

/// A protected sync branch: a clear error naming the fix, the branch as it was, no pull request.
#[test]
fn a_protected_branch_is_refused_with_the_fix() {
    let env = env();
    ok_json(&env.sync(&env.build("build-1"), "1", &[]));
    let before = env.head("amplication");
    env.forge
        .emu
        .protect_branch(REPO, "amplica*")
        .expect("protected");
    let err = failure(&env.sync(&env.build("build-2"), "2", &[]));
    assert!(
        err.contains("403") && err.contains("protected") && err.contains("--branch"),
        "{err}"
    );
    assert_eq!(env.head("amplication"), before);
    assert_eq!(env.forge.pulls().len(), 1);
    env.forge.assert_no_invalid_requests();
}

/// A file over the server's limit: the server's 413 is a clear error, nothing is written.
#[test]
fn a_file_over_the_servers_limit_is_refused_and_nothing_is_written() {
    let forge = GiteaForge::start_with(TOKEN, |c| c.max_file_bytes = 1024);
    let env = Env::new(forge);
    let build = env.build("build-1");
    std::fs::write(build.join("big.bin"), vec![b'x'; 4096]).expect("write");
    let err = failure(&env.sync(&build, "1", &[]));
    assert!(err.contains("413") && err.contains("limit"), "{err}");
    assert_eq!(env.head("amplication"), None);
    assert!(env.forge.pulls().is_empty());
    env.forge.assert_no_invalid_requests();
}

/// A read-only token: 403 on the commit, with the scope to add.
#[test]
fn a_read_only_token_is_refused_with_the_scope_to_add() {
    let forge = GiteaForge::start_with("gta_other", |c| c.read_only_tokens.push(TOKEN.into()));
    let env = Env::new(forge);
    let out = env.run(
        &env.sync_args(&env.build("build-1"), "1", &[]),
        &[("GITEA_TOKEN", TOKEN)],
    );
    let err = failure(&out);
    assert!(
        err.contains("403") && err.contains("write:repository"),
        "{err}"
    );
    assert_eq!(env.head("amplication"), None);
    env.forge.assert_no_invalid_requests();
}

/// In Gitea or Forgejo Actions, the server comes from GITHUB_SERVER_URL and the job token from
/// GITHUB_TOKEN: no --api-url, no GITEA_TOKEN. Outside them, the missing server is an error.
#[test]
fn the_actions_runner_gives_the_server_and_the_job_token() {
    let env = env();
    let web = env.forge.emu.web_url().to_owned();
    let args: Vec<String> = env
        .sync_args(&env.build("build-1"), "1", &[])
        .into_iter()
        .filter(|a| a != "--api-url" && !a.starts_with(&web))
        .collect();
    let err = failure(&env.run(&args, &[]));
    assert!(err.contains("--api-url https://HOST/api/v1"), "{err}");
    let out = env.run(
        &args,
        &[
            ("FORGEJO_ACTIONS", "true"),
            ("GITHUB_SERVER_URL", &web),
            ("GITHUB_TOKEN", TOKEN),
            ("GITEA_TOKEN", ""),
        ],
    );
    let v = ok_json(&out);
    assert_eq!(v["operation"], "created", "{v}");
    assert_eq!(env.head("amplication").as_deref(), v["commit_sha"].as_str());
    env.forge.assert_no_invalid_requests();
}

/// Build 2 makes `scripts/migrate.sh` executable, which Gitea's contents API cannot do: the file
/// stays as the branch has it (checked with git), the rest of the build lands, and the log says
/// which mode was not set.
#[test]
fn a_mode_the_api_cannot_set_is_reported() {
    let env = env();
    ok_json(&env.sync(&env.build("build-1"), "1", &[]));
    let out = env.sync(&env.build("build-2"), "2", &[]);
    let log = String::from_utf8_lossy(&out.stderr).into_owned();
    let v = ok_json(&out);
    let head = v["commit_sha"].as_str().expect("a commit").to_owned();
    assert!(
        log.contains("scripts/migrate.sh has mode 100755 in the build, but Gitea's contents API writes it as 100644"),
        "{log}"
    );
    assert!(env
        .git(&["ls-tree", &head, "scripts/migrate.sh"])
        .starts_with("100644 "));
    assert!(env
        .show(&format!("{head}:src/invoices/invoices.service.ts"))
        .contains("InvoicesService"));
    env.forge.assert_no_invalid_requests();
}

/// The per-file guard: another writer changes `package.json`, which the build also changes,
/// right before the change-files request. Gitea refuses it (the update's `sha` is stale) and
/// nothing of ours lands; gensync rebuilds on the new head and their edit is merged, not lost.
#[test]
fn a_stale_file_sha_is_refused_and_the_sync_rebuilds_on_the_new_head() {
    let env = env();
    ok_json(&env.sync(&env.build("build-1"), "1", &[]));
    env.forge.add_fault(
        FaultRule::new(
            "POST",
            "/api/v1/repos/acme/app/contents",
            FaultAction::MoveBranch {
                branch: "amplication".into(),
                path: Some("package.json".into()),
                content: Some("{\"theirs\": true}\n".into()),
            },
        )
        .nth(1),
    );
    let before = env.head("amplication").expect("branch");
    let out = ok_json(&env.sync(&env.build("build-2"), "2", &[]));
    assert_eq!(out["attempts"], 2, "{out}");
    let head = env.head("amplication").expect("branch");
    let theirs = env.parent(&head);
    assert_eq!(
        env.parent(&theirs),
        before,
        "one commit of theirs, ours on top"
    );
    let refused = env
        .forge
        .requests()
        .iter()
        .filter(|r| r.method == "POST" && r.path.ends_with("/contents") && r.status == Some(409))
        .count();
    assert_eq!(refused, 1, "the stale update was refused once");
    let conflicts = out["changes"][0]["conflicts"]
        .as_array()
        .expect("conflicts");
    assert!(
        conflicts.iter().any(|c| c["path"] == "package.json"),
        "their edit of a file the build changes is a conflict: {out}"
    );
    env.git(&["fsck", "--strict"]);
    env.forge.assert_no_invalid_requests();
}

fn repo_command(env: &Env<GiteaForge>, args: &[&str]) -> serde_json::Value {
    let mut all: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
    all.extend(
        [
            "--provider",
            "gitea",
            "--api-url",
            env.forge.emu.api_url(),
            "--json",
        ]
        .map(String::from),
    );
    let out = env.run(&all, &[]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON")
}

/// `gensync repo create|list --provider gitea`: in an organisation and for the token's user,
/// `--init` gives a first commit (checked with git), without it the repository is empty and a
/// sync needs `--init-empty`.
#[test]
fn repositories_are_created_and_listed_in_an_organisation_and_for_the_user() {
    let env = env();
    let made = repo_command(
        &env,
        &[
            "repo", "create", "--owner", "acme", "--name", "lib", "--init",
        ],
    );
    assert_eq!(made[0]["full_name"], "acme/lib", "{made}");
    let mine = repo_command(
        &env,
        &[
            "repo",
            "create",
            "--owner",
            "gensync-bot",
            "--name",
            "scratch",
        ],
    );
    assert_eq!(mine[0]["full_name"], "gensync-bot/scratch", "{mine}");
    let git = env.forge.emu.git("acme/lib").expect("a repository");
    assert!(
        git.branch("main").expect("git").is_some(),
        "--init makes a first commit"
    );
    let scratch = env
        .forge
        .emu
        .git("gensync-bot/scratch")
        .expect("a repository");
    assert!(
        scratch.is_empty().expect("git"),
        "without --init it is empty"
    );
    let org: Vec<String> = repo_command(&env, &["repo", "list", "--owner", "acme"])
        .as_array()
        .expect("a list")
        .iter()
        .map(|r| r["full_name"].as_str().expect("a name").to_owned())
        .collect();
    assert_eq!(org, ["acme/app", "acme/lib"]);
    let user = repo_command(&env, &["repo", "list"]);
    assert_eq!(user[0]["full_name"], "gensync-bot/scratch", "{user}");
    env.forge.assert_no_invalid_requests();
}
