//! The GitHub-only sync scenarios of issue 3: both commit modes, the Actions adapter, truncated
//! listings, pull request options, App credentials, GraphQL request counts. The
//! provider-neutral scenarios (first sync, second build, same build twice, per-build branches,
//! a branch deleted after its merge, ignore file and monorepo targets, dry run, empty
//! repository, races, faults, permanent errors) run against GitHub from `../common/suite.rs`
//! (`bitbucket_sync::on_github`), written once for both providers.

use gensync_tests::git::FileChange;

use crate::harness::{copy_dir, examples, ok_json, Env, REPO, TOKEN};

#[test]
fn both_commit_modes_produce_the_same_tree() {
    let rest = Env::start();
    let graphql = Env::start();
    // Build 1 has no executable: GraphQL carries it. Build 2 has one: GraphQL falls back to REST.
    for (env, mode) in [(&rest, "rest"), (&graphql, "graphql")] {
        let o1 = ok_json(&env.sync(&env.build("build-1"), "1", &["--commit-mode", mode]));
        assert_eq!(o1["commit_via"], mode);
    }
    let tree = |e: &Env| e.git(&["rev-parse", "amplication^{tree}"]);
    assert_eq!(tree(&rest), tree(&graphql));
    let head = graphql.head("amplication").unwrap();
    assert!(
        graphql
            .emu
            .is_verified(REPO, &gensync_tests::git::Oid::parse(&head).unwrap()),
        "GraphQL commits are verified"
    );
    for (env, mode) in [(&rest, "rest"), (&graphql, "graphql")] {
        let o2 = ok_json(&env.sync(&env.build("build-2"), "2", &["--commit-mode", mode]));
        assert!(
            o2["commit_via"].as_str().unwrap().starts_with("rest"),
            "{}",
            o2["commit_via"]
        );
    }
    assert_eq!(tree(&rest), tree(&graphql));
    rest.emu.assert_no_invalid_requests();
    graphql.emu.assert_no_invalid_requests();
}

#[test]
fn actions_mode_writes_outputs_and_a_step_summary_and_masks_the_token() {
    let env = Env::start();
    let outputs = env.work.path().join("outputs");
    let summary = env.work.path().join("summary.md");
    let build = env.build("build-1");
    let vars = [
        ("GITHUB_ACTIONS", "true"),
        ("GITHUB_OUTPUT", outputs.to_str().unwrap()),
        ("GITHUB_STEP_SUMMARY", summary.to_str().unwrap()),
        ("INPUT_TOKEN", TOKEN),
        ("INPUT_REPOSITORY", REPO),
        ("INPUT_OUTPUT", build.to_str().unwrap()),
        ("INPUT_MESSAGE", "Build 7\n\nFrom Actions"),
        ("INPUT_BUILD-ID", "7"),
        ("INPUT_API-URL", env.emu.base_url()),
        ("INPUT_GRAPHQL-URL", env.emu.graphql_url()),
        ("INPUT_DRAFT", "true"),
        ("INPUT_DRY-RUN", "false"),
        ("INPUT_LABELS", "generated,bot"),
    ];
    let out = env.run(&["github-action".to_owned()], &vars);
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("::add-mask::"), "the token is masked first");
    assert!(stdout.contains("::group::gensync sync") && stdout.contains("::endgroup::"));
    let outputs = std::fs::read_to_string(&outputs).unwrap();
    let head = env.head("amplication").unwrap();
    let pr = &env.emu.pulls(REPO).unwrap()[0];
    assert!(pr.draft);
    for line in [
        "operation=created".to_owned(),
        "pull-request-operation=created".to_owned(),
        format!("commit-sha={head}"),
        "branch=amplication".to_owned(),
        format!("pull-request-number={}", pr.number),
        "added=8".to_owned(),
        "modified=0".to_owned(),
        "deleted=0".to_owned(),
        "ignored=0".to_owned(),
    ] {
        assert!(
            outputs.lines().any(|l| l == line),
            "missing {line} in:\n{outputs}"
        );
    }
    let summary = std::fs::read_to_string(&summary).unwrap();
    assert!(
        summary.contains("| Added | 8 |") && summary.contains(&head),
        "{summary}"
    );
    for text in [&outputs, &summary] {
        assert!(!text.contains(TOKEN));
    }
    // Issue 13: a personal token or an App does trigger workflows: no warning for it.
    const NO_TRIGGER: &str = "do not trigger other workflows";
    assert!(!summary.contains(NO_TRIGGER), "{summary}");
    // With the workflow's own token (action.yml says so), the summary warns.
    let summary_2 = env.work.path().join("summary-2.md");
    let build_2 = env.build("build-2");
    let mut vars_2 = vars.to_vec();
    vars_2.retain(|(k, _)| {
        !matches!(
            *k,
            "GITHUB_STEP_SUMMARY" | "INPUT_OUTPUT" | "INPUT_BUILD-ID"
        )
    });
    vars_2.extend([
        ("GITHUB_STEP_SUMMARY", summary_2.to_str().unwrap()),
        ("INPUT_OUTPUT", build_2.to_str().unwrap()),
        ("INPUT_BUILD-ID", "8"),
        ("GENSYNC_WORKFLOW_TOKEN_IN_USE", "true"),
    ]);
    let out = env.run(&["github-action".to_owned()], &vars_2);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let summary_2 = std::fs::read_to_string(summary_2).unwrap();
    assert!(summary_2.contains(NO_TRIGGER), "{summary_2}");
}

#[test]
fn actions_mode_with_a_project_file_takes_its_settings_and_the_workflows_repository() {
    let env = Env::start();
    let outputs = env.work.path().join("outputs");
    // The project file names no repository (the workflow's is the default) and settings the
    // action must not override with defaults of its own.
    let project = env.work.path().join("project");
    std::fs::create_dir_all(&project).unwrap();
    copy_dir(&examples().join("build-1"), &project.join("out/api"));
    copy_dir(&examples().join("build-2"), &project.join("out/web"));
    copy_dir(&examples().join("build-2"), &project.join("out/docs"));
    std::fs::write(
        project.join("gensync.toml"),
        r#"[project]
strategy = "per-build"
commit-mode = "graphql"

[[service]]
name = "api"
output = "out/api"
target-dir = "services/api"

[[service]]
name = "web"
output = "out/web"
target-dir = "services/web"

[[service]]
name = "docs"
output = "out/docs"
target-dir = "services/docs"
"#,
    )
    .unwrap();
    let config = project.join("gensync.toml");
    let vars = [
        ("GITHUB_ACTIONS", "true"),
        ("GITHUB_REPOSITORY", REPO),
        ("GITHUB_API_URL", env.emu.base_url()),
        ("GITHUB_GRAPHQL_URL", env.emu.graphql_url()),
        ("GITHUB_OUTPUT", outputs.to_str().unwrap()),
        ("INPUT_TOKEN", TOKEN),
        ("INPUT_CONFIG", config.to_str().unwrap()),
        ("INPUT_SERVICE", "api, web"),
        ("INPUT_MESSAGE", "Build 12"),
        ("INPUT_BUILD-ID", "12"),
        ("INPUT_CONFLICTS", "markers"),
    ];
    let out = env.run(&["github-action".to_owned()], &vars);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let outputs = std::fs::read_to_string(&outputs).unwrap();
    assert!(
        outputs.lines().any(|l| l == "branch=amplication-build-12"),
        "the file's per-build strategy: {outputs}"
    );
    let head = env
        .head("amplication-build-12")
        .expect("the per-build branch");
    let files = env.git(&["ls-tree", "-r", "--name-only", &head]);
    assert!(
        files.contains("services/api/.amplication/manifest"),
        "{files}"
    );
    assert!(
        files.contains("services/web/.amplication/manifest"),
        "{files}"
    );
    assert!(
        !files.contains("services/docs/"),
        "docs was not picked: {files}"
    );
    // One commit for both services, made by createCommitOnBranch (the file's commit mode):
    // GitHub signs it, with the web-flow committer.
    let committer = env.git(&["log", "-1", "--format=%cn", &head]);
    assert_eq!(
        committer.trim(),
        "GitHub",
        "graphql commit mode from the file"
    );
    assert_eq!(
        env.git(&["rev-list", "--count", &format!("main..{head}")])
            .trim(),
        "1"
    );
}

#[test]
fn actions_mode_failure_is_an_error_annotation() {
    let env = Env::start();
    let build = env.build("build-1");
    let vars = [
        ("GITHUB_ACTIONS", "true"),
        ("INPUT_TOKEN", TOKEN),
        ("INPUT_REPOSITORY", "acme/missing"),
        ("INPUT_OUTPUT", build.to_str().unwrap()),
        ("INPUT_MESSAGE", "Build"),
        ("INPUT_API-URL", env.emu.base_url()),
    ];
    let out = env.run(&["github-action".to_owned()], &vars);
    assert!(!out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("::error title=gensync::") && stdout.contains("404"),
        "{stdout}"
    );
}

#[test]
fn truncated_tree_listings_are_walked_by_subtree() {
    use gensync_tests::github::{GithubConfig, GithubEmulator, RepoSpec, TokenConfig};
    let emu = GithubEmulator::start(
        GithubConfig::default()
            .token(TokenConfig::actions(TOKEN))
            .tree_entry_limit(5),
    )
    .unwrap();
    let mut spec = RepoSpec::new(REPO);
    for i in 0..12 {
        spec = spec.file(&format!("human/{}/f{i}.txt", i % 3), format!("{i}\n"));
    }
    emu.create_repo(&spec).unwrap();
    let env = Env {
        emu,
        work: tempfile::tempdir().unwrap(),
    };
    ok_json(&env.sync(&env.build("build-1"), "1", &[]));
    // A person edits a generated file; the next build changes another one. The edit is only
    // visible in a walked (not truncated) listing, and must survive.
    env.emu
        .commit_files(
            REPO,
            "amplication",
            &[FileChange::write(
                "src/orders/orders.service.ts",
                "// mine\n",
            )],
            "edit",
        )
        .unwrap();
    let out = ok_json(&env.sync(&env.build("build-2"), "2", &["--conflicts", "branch"]));
    let head = env.head("amplication").unwrap();
    assert_eq!(
        env.show(&format!("{head}:src/orders/orders.service.ts")),
        "// mine\n",
        "{out}"
    );
    assert!(env
        .emu
        .requests()
        .iter()
        .any(|r| r.path.contains("/git/trees/") && r.query.is_empty()));
}

#[test]
fn pull_request_options_are_applied_to_a_new_pull_request() {
    let env = Env::start();
    ok_json(&env.sync(
        &env.build("build-1"),
        "1",
        &[
            "--draft",
            "--labels",
            "generated,bot",
            "--assignees",
            "octocat",
            "--reviewers",
            "hubot",
        ],
    ));
    let pr = &env.emu.pulls(REPO).unwrap()[0];
    assert!(pr.draft);
    assert_eq!(pr.labels, ["generated", "bot"]);
    assert_eq!(pr.assignees, ["octocat"]);
    assert_eq!(pr.requested_reviewers, ["hubot"]);
    env.emu.assert_no_invalid_requests();
}

#[test]
fn github_app_credentials_get_an_installation_token() {
    use gensync_tests::github::{AppConfig, AppKey, GithubConfig, GithubEmulator, RepoSpec};
    let key = AppKey::generate();
    let emu = GithubEmulator::start(GithubConfig::default().app(AppConfig::new(
        77,
        "gensync-bot",
        &key.public_key_pem(),
        "acme",
    )))
    .unwrap();
    emu.create_repo(&RepoSpec::new(REPO).file("README.md", "# app\n"))
        .unwrap();
    let env = Env {
        emu,
        work: tempfile::tempdir().unwrap(),
    };
    let pem = env.work.path().join("key.pem");
    std::fs::write(&pem, key.private_key_pem()).unwrap();
    let args: Vec<String> = [
        "sync",
        "--repository",
        REPO,
        "--message",
        "From an App",
        "--api-url",
        env.emu.base_url(),
        "--json",
        "--app-id",
        "77",
        "--app-private-key-file",
        pem.to_str().unwrap(),
        "--output",
    ]
    .iter()
    .map(|s| s.to_string())
    .chain([env.build("build-1").to_str().unwrap().to_owned()])
    .collect();
    let out = env.run(&args, &[("GITHUB_TOKEN", "")]);
    let v = ok_json(&out);
    assert_eq!(v["operation"], "created");
    let head = env.head("amplication").unwrap();
    assert!(env
        .emu
        .is_verified(REPO, &gensync_tests::git::Oid::parse(&head).unwrap()));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("PRIVATE KEY"));
    // The installation token was asked with what a sync needs and nothing more.
    let asked: Vec<serde_json::Value> = env
        .emu
        .requests()
        .iter()
        .filter(|r| r.method == "POST" && r.path.ends_with("/access_tokens"))
        .map(|r| serde_json::from_str(&r.body).expect("a JSON body"))
        .collect();
    assert_eq!(asked.len(), 1);
    assert_eq!(
        asked[0]["permissions"],
        serde_json::json!({"contents": "write", "pull_requests": "write", "metadata": "read"})
    );
    assert_eq!(asked[0]["repositories"], serde_json::json!(["app"]));

    // In GitHub Actions, an empty GITHUB_TOKEN (and an Action `token` input left empty) does
    // not shadow the App: the App's token is minted, masked before use, and commits.
    let outputs = env.work.path().join("outputs");
    let build = env.build("build-2");
    let out = env.run(
        &["github-action".to_owned()],
        &[
            ("GITHUB_TOKEN", ""),
            ("GITHUB_ACTIONS", "true"),
            ("GITHUB_OUTPUT", outputs.to_str().unwrap()),
            ("INPUT_TOKEN", ""),
            ("INPUT_REPOSITORY", REPO),
            ("INPUT_OUTPUT", build.to_str().unwrap()),
            ("INPUT_MESSAGE", "From an App in Actions"),
            ("INPUT_API-URL", env.emu.base_url()),
            ("GITHUB_APP_ID", "77"),
            ("GITHUB_APP_PRIVATE_KEY", &key.private_key_pem()),
        ],
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    let masked: Vec<&str> = stdout
        .lines()
        .filter_map(|l| l.strip_prefix("::add-mask::"))
        .collect();
    assert_eq!(masked.len(), 1, "{stdout}");
    let minted = masked[0];
    assert!(minted.starts_with("ghs_") && minted.len() == 40, "{minted}");
    let rest: String = stdout
        .lines()
        .filter(|l| !l.starts_with("::add-mask::"))
        .collect();
    assert!(!rest.contains(minted) && !stderr.contains(minted));
    let head = env.head("amplication").unwrap();
    let message = env.git(&["log", "-1", "--format=%s", &head]);
    assert_eq!(message.trim(), "From an App in Actions");
    assert!(env
        .emu
        .is_verified(REPO, &gensync_tests::git::Oid::parse(&head).unwrap()));
}

/// Issue 8: in GraphQL mode an update is four requests: one query for the reads, the tree
/// listing, the commit, and one mutation that refreshes the pull request and comments on it.
#[test]
fn graphql_mode_reads_in_one_query_and_updates_the_pull_request_in_one_mutation() {
    let env = Env::start();
    ok_json(&env.sync(&env.build("build-1"), "1", &["--commit-mode", "graphql"]));
    env.emu
        .commit_files(
            REPO,
            "amplication",
            &[FileChange::write(
                "src/customers/customer.dto.ts",
                "// edited by a person\n",
            )],
            "person edits",
        )
        .unwrap();
    let before = env.head("amplication").unwrap();
    let b = env.build("build-1");
    let orders = b.join("src/orders/orders.service.ts");
    let mut text = std::fs::read_to_string(&orders).unwrap();
    text.push_str("// build 2\n");
    std::fs::write(&orders, text).unwrap();
    std::fs::remove_file(b.join("src/customers/customers.controller.ts")).unwrap();
    std::fs::write(b.join("src/new.ts"), "export const added = 2;\n").unwrap();
    env.emu.clear_requests();

    let out = ok_json(&env.sync(&b, "2", &["--commit-mode", "graphql"]));
    assert_eq!(out["operation"], "updated");
    assert_eq!(out["commit_via"], "graphql");
    let requests: Vec<(String, String, String)> = env
        .emu
        .requests()
        .iter()
        .map(|r| (r.method.clone(), r.path.clone(), r.query.clone()))
        .collect();
    let tree = env.git(&["rev-parse", &format!("{before}^{{tree}}")]);
    let listing = format!("/repos/{REPO}/git/trees/{}", tree.trim());
    let expected: Vec<(&str, &str, &str)> = vec![
        ("POST", "/graphql", ""),
        ("GET", &listing, "recursive=1"),
        ("POST", "/graphql", ""),
        ("POST", "/graphql", ""),
    ];
    assert_eq!(
        requests
            .iter()
            .map(|(m, p, q)| (m.as_str(), p.as_str(), q.as_str()))
            .collect::<Vec<_>>(),
        expected
    );
    let head = env.head("amplication").unwrap();
    assert_eq!(
        env.diff(&before, &head),
        [
            "A\tsrc/new.ts",
            "D\tsrc/customers/customers.controller.ts",
            "M\t.amplication/manifest",
            "M\tsrc/orders/orders.service.ts",
        ]
    );
    assert_eq!(
        env.show(&format!("{head}:src/customers/customer.dto.ts")),
        "// edited by a person\n"
    );
    let pulls = env.emu.pulls(REPO).unwrap();
    assert_eq!(pulls.len(), 1, "the open pull request is reused");
    assert!(pulls[0]
        .body
        .as_deref()
        .unwrap()
        .contains("https://builds.example.com/2"));
    assert_eq!(pulls[0].comments.len(), 1);
    assert!(pulls[0].comments[0].body.starts_with("New build 2: "));
    env.emu.assert_no_invalid_requests();
}

#[test]
fn graphql_mode_reads_through_rest_when_the_query_fails() {
    let env = Env::start();
    ok_json(&env.sync(&env.build("build-1"), "1", &["--commit-mode", "graphql"]));
    env.emu.add_fault(
        gensync_tests::fault::FaultRule::new(
            "POST",
            "/graphql",
            gensync_tests::fault::FaultAction::json(
                200,
                &serde_json::json!({"errors": [{"message": "Something went wrong while executing your query."}]}),
                &[],
            ),
        )
        .nth(1),
    );
    let b = env.build("build-1");
    std::fs::write(b.join("README.md"), "changed\n").unwrap();
    env.emu.clear_requests();
    let out = env.sync(&b, "2", &["--commit-mode", "graphql"]);
    let v = ok_json(&out);
    assert_eq!(v["operation"], "updated");
    assert_eq!(v["commit_via"], "graphql");
    assert!(String::from_utf8_lossy(&out.stderr).contains("reading through REST"));
    assert!(env
        .emu
        .requests()
        .iter()
        .any(|r| r.is("GET", &format!("/repos/{REPO}/git/ref/heads/amplication"))));
    let head = env.head("amplication").unwrap();
    assert_eq!(env.show(&format!("{head}:README.md")), "changed\n");
    assert_eq!(env.emu.pulls(REPO).unwrap()[0].comments.len(), 1);
    env.emu.assert_no_invalid_requests();
}

#[test]
fn graphql_mode_with_an_explicit_base_reads_and_updates_in_four_requests() {
    let env = Env::start();
    let main = env.emu.branch_head(REPO, "main").unwrap().unwrap();
    env.emu.create_branch(REPO, "develop", &main).unwrap();
    let flags = ["--commit-mode", "graphql", "--base", "develop"];
    let first = ok_json(&env.sync(&env.build("build-1"), "1", &flags));
    assert_eq!(first["operation"], "created");
    let b = env.build("build-1");
    std::fs::write(b.join("README.md"), "changed\n").unwrap();
    env.emu.clear_requests();
    let out = ok_json(&env.sync(&b, "2", &flags));
    assert_eq!(out["operation"], "updated");
    assert_eq!(out["base"], "develop");
    let kinds: Vec<(String, bool)> = env
        .emu
        .requests()
        .iter()
        .map(|r| (r.method.clone(), r.path == "/graphql"))
        .collect();
    assert_eq!(
        kinds,
        [
            ("POST".to_owned(), true),
            ("GET".to_owned(), false),
            ("POST".to_owned(), true),
            ("POST".to_owned(), true)
        ]
    );
    let pulls = env.emu.pulls(REPO).unwrap();
    assert_eq!((pulls.len(), pulls[0].base.as_str()), (1, "develop"));
    assert_eq!(pulls[0].comments.len(), 1);
    env.emu.assert_no_invalid_requests();
}
