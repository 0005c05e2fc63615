//! End-to-end: `gensync repo list` and `gensync repo create` against the GitHub emulator
//! (pagination, token kinds, organisation vs user accounts), and the empty-repository rule on a
//! repository gensync created.

use std::path::Path;
use std::process::{Command, Output};

use gensync_tests::cli::bin;
use gensync_tests::github::{GithubConfig, GithubEmulator, RepoSpec, TokenConfig};

const PERSONAL: &str = "ghp_repoMgmtPersonal0123456789";
const ACTIONS: &str = "ghs_repoMgmtActions0123456789";

/// The emulator with `org_repos` repositories in organisation `acme` and two of user octocat.
fn emulator(org_repos: usize) -> GithubEmulator {
    let emu = GithubEmulator::start(
        GithubConfig::default()
            .token(TokenConfig::personal(PERSONAL, "octocat"))
            .token(TokenConfig::actions(ACTIONS)),
    )
    .expect("emulator");
    for i in 0..org_repos {
        emu.create_repo(&RepoSpec::new(&format!("acme/svc-{i:03}")).file("README.md", "# svc\n"))
            .expect("repo");
    }
    emu.create_repo(&RepoSpec::new("octocat/dotfiles").file("README.md", "# mine\n"))
        .expect("repo");
    emu.create_repo(
        &RepoSpec::new("octocat/secret")
            .private(true)
            .file("README.md", "# secret\n"),
    )
    .expect("repo");
    emu
}

fn gensync(emu: &GithubEmulator, token: &str, args: &[&str]) -> Output {
    let out = Command::new(bin())
        .args(args)
        .args(["--api-url", emu.base_url()])
        .env("GITHUB_TOKEN", token)
        .env("GENSYNC_RETRY_SCALE", "0.001")
        .env_remove("GH_TOKEN")
        .env_remove("GITHUB_ACTIONS")
        .env_remove("GITHUB_API_URL")
        .output()
        .expect("gensync runs");
    for stream in [&out.stdout, &out.stderr] {
        let text = String::from_utf8_lossy(stream);
        assert!(!text.contains(token), "the token leaked: {text}");
    }
    out
}

fn listed(out: &Output) -> Vec<String> {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    v.as_array()
        .expect("array")
        .iter()
        .map(|r| r["full_name"].as_str().unwrap().to_owned())
        .collect()
}

fn stderr(out: &Output) -> String {
    assert!(!out.status.success(), "expected failure");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn list_an_organisation_follows_every_page() {
    // 101 repositories: two pages of 100.
    let emu = emulator(101);
    let repos = listed(&gensync(
        &emu,
        PERSONAL,
        &[
            "repo",
            "list",
            "--provider",
            "github",
            "--owner",
            "acme",
            "--json",
        ],
    ));
    assert_eq!(repos.len(), 101);
    assert_eq!(repos[0], "acme/svc-000");
    assert_eq!(repos[100], "acme/svc-100");
    let pages: Vec<String> = emu
        .requests()
        .iter()
        .filter(|r| r.path == "/orgs/acme/repos")
        .map(|r| r.query.clone())
        .collect();
    assert_eq!(pages.len(), 2, "{pages:?}");
    assert!(pages[1].contains("page=2"), "{pages:?}");
    emu.assert_no_invalid_requests();
}

#[test]
fn list_without_owner_uses_the_tokens_reach() {
    let emu = emulator(101);
    // A personal token: its user's repositories (all of them, private included).
    let mine = listed(&gensync(&emu, PERSONAL, &["repo", "list", "--json"]));
    assert_eq!(mine.len(), 103);
    assert!(mine.contains(&"octocat/secret".to_owned()));
    // GITHUB_TOKEN (an installation): the installation's repositories.
    let installation = listed(&gensync(&emu, ACTIONS, &["repo", "list", "--json"]));
    assert_eq!(installation.len(), 103);
    assert!(emu
        .requests()
        .iter()
        .any(|r| r.path == "/installation/repositories"));
    // A user owner: that user's public repositories; text output is one line each.
    let out = gensync(&emu, PERSONAL, &["repo", "list", "--owner", "octocat"]);
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "octocat/dotfiles\tpublic\tmain\n"
    );
    let err = stderr(&gensync(
        &emu,
        PERSONAL,
        &["repo", "list", "--owner", "nobody"],
    ));
    assert!(err.contains("no GitHub account \"nobody\""), "{err}");
    emu.assert_no_invalid_requests();
}

#[test]
fn create_in_an_organisation_then_sync_into_the_empty_repository() {
    let emu = emulator(3);
    let out = gensync(
        &emu,
        PERSONAL,
        &[
            "repo",
            "create",
            "--provider",
            "github",
            "--owner",
            "acme",
            "--name",
            "fresh",
            "--private",
            "--description",
            "generated code",
            "--json",
        ],
    );
    assert_eq!(listed(&out), ["acme/fresh"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("--init-empty"));
    let git = emu.git("acme/fresh").unwrap();
    assert!(git.is_empty().unwrap(), "created empty");
    let created = emu
        .requests()
        .into_iter()
        .find(|r| r.method == "POST" && r.path == "/orgs/acme/repos")
        .expect("create request");
    let body: serde_json::Value = serde_json::from_str(&created.body).unwrap_or_default();
    assert_eq!(body["private"], true, "{body}");
    // The empty-repository rule of the sync: refused with the fix, then initialised.
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/build-1");
    let sync = |extra: &[&str]| {
        let mut args = vec![
            "sync",
            "--repository",
            "acme/fresh",
            "--output",
            examples.to_str().unwrap(),
            "-m",
            "Build 1",
            "--json",
        ];
        args.extend_from_slice(extra);
        gensync(&emu, PERSONAL, &args)
    };
    let err = stderr(&sync(&[]));
    assert!(
        err.contains("empty") && err.contains("--init-empty"),
        "{err}"
    );
    let out = sync(&["--init-empty"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(emu
        .branch_head("acme/fresh", "amplication")
        .unwrap()
        .is_some());
    emu.assert_no_invalid_requests();
}

#[test]
fn create_for_a_user_account_is_refused_with_the_reason() {
    let emu = emulator(3);
    let err = stderr(&gensync(
        &emu,
        PERSONAL,
        &["repo", "create", "--owner", "octocat", "--name", "new"],
    ));
    assert!(
        err.contains("octocat is a user account")
            && err.contains("only existing repositories can be used"),
        "{err}"
    );
    assert!(emu.git("octocat/new").is_err() || emu.branch_head("octocat/new", "main").is_err());
    assert!(
        !emu.requests().iter().any(|r| r.method == "POST"),
        "nothing created"
    );
}

#[test]
fn create_errors_say_what_github_said() {
    let emu = emulator(3);
    let err = stderr(&gensync(
        &emu,
        PERSONAL,
        &["repo", "create", "--owner", "acme", "--name", "svc-001"],
    ));
    assert!(
        err.contains("422") && err.contains("already exists"),
        "{err}"
    );
    // GITHUB_TOKEN cannot create repositories.
    let err = stderr(&gensync(
        &emu,
        ACTIONS,
        &["repo", "create", "--owner", "acme", "--name", "other"],
    ));
    assert!(
        err.contains("403") && err.contains("administration"),
        "{err}"
    );
}
