//! What only Bitbucket has: credentials (app passwords, OAuth consumers, scopes), the branch view
//! built from the manifest and diffstats (its request counts), the Pipelines pipe, workspaces.

use std::path::Path;

use gensync_tests::bitbucket::{CredentialConfig, Scopes};
use gensync_tests::forge::{BitbucketForge, Forge, REPO};
use gensync_tests::git::FileChange;
use gensync_tests::record::RecordedRequest;

use crate::harness::{failure, ok_json, Env};
use crate::TOKEN;

fn env() -> Env<BitbucketForge> {
    Env::new(BitbucketForge::start(TOKEN))
}

/// A file download: `GET …/src/{commit}/{path}` answered with a file (not a folder listing,
/// not metadata, not a 404 for a file that is not there).
fn is_download(r: &RecordedRequest) -> bool {
    r.method == "GET"
        && r.status == Some(200)
        && r.path.contains("/src/")
        && !r.path.ends_with('/')
        && !r.query.contains("format=meta")
}

/// A generated file: a first line a person may edit, three stable lines, the generated value.
fn content(i: usize, value: u32, first_line: &str) -> String {
    format!(
        "{first_line}\nexport const name{i} = \"file {i}\";\nexport const a{i} = 1;\nexport const b{i} = 2;\nexport const value{i} = {value};\n"
    )
}

/// Writes a generated build of `files` files (`gen/mod{i}/file{j}.ts`, ten per folder), with
/// `changed` of them changed for a second build.
fn make_build(dir: &Path, files: usize, changed: usize, version: u32) {
    for i in 0..files {
        let path = dir.join(format!("gen/mod{}/file{i}.ts", i / 10));
        std::fs::create_dir_all(path.parent().expect("a folder")).expect("mkdir");
        let v = if i < changed { version } else { 1 };
        std::fs::write(&path, content(i, v, "// generated")).expect("write");
    }
}

/// The cost of a second sync: (downloads, all requests), with `edited` generated files edited
/// by a person on the branch first (half of them files the second build also changes).
fn second_sync_cost(files: usize, edited: usize) -> (usize, usize) {
    let env = env();
    let b1 = env.work.path().join("b1");
    make_build(&b1, files, 0, 1);
    ok_json(&env.sync(&b1, "1", &[]));
    // The person edits files at both ends: the first ones the build changes (merged), the last
    // ones it does not (preserved).
    let mut changes = Vec::new();
    for k in 0..edited {
        let i = if k % 2 == 0 { k / 2 } else { files - 1 - k / 2 };
        changes.push(FileChange::write(
            &format!("gen/mod{}/file{i}.ts", i / 10),
            content(i, 1, "// edited by a person"),
        ));
    }
    if !changes.is_empty() {
        env.forge
            .commit_as_person("amplication", &changes, "a person's edits");
    }
    let b2 = env.work.path().join("b2");
    make_build(&b2, files, 4, 2);
    env.forge.emu.clear_requests();
    let out = ok_json(&env.sync(&b2, "2", &[]));
    let head = env.head("amplication").expect("branch");
    // Correct result: the four changes land, every edit survives (merged or preserved).
    for k in 0..edited {
        let i = if k % 2 == 0 { k / 2 } else { files - 1 - k / 2 };
        let text = env.show(&format!("{head}:gen/mod{}/file{i}.ts", i / 10));
        assert!(text.starts_with("// edited by a person\n"), "{text}");
        if i < 4 {
            assert!(text.contains(&format!("value{i} = 2")), "{text}\n{out}");
        }
    }
    assert!(env
        .show(&format!("{head}:gen/mod0/file3.ts"))
        .contains("= 2;"));
    let requests = env.forge.requests();
    let downloads = requests.iter().filter(|r| is_download(r)).count();
    env.forge.assert_no_invalid_requests();
    (downloads, requests.len())
}

#[test]
fn downloads_grow_with_the_paths_people_edited_not_with_the_size_of_the_repository() {
    let mut table = Vec::new();
    for files in [40, 400] {
        for edited in [0, 2, 6] {
            let (downloads, requests) = second_sync_cost(files, edited);
            table.push((files, edited, downloads, requests));
        }
    }
    eprintln!("generated files | edited paths | downloads | requests");
    for (f, e, d, r) in &table {
        eprintln!("{f:>15} | {e:>12} | {d:>9} | {r:>8}");
    }
    let cost = |files: usize, edited: usize| {
        table
            .iter()
            .find(|(f, e, _, _)| *f == files && *e == edited)
            .map(|(_, _, d, r)| (*d, *r))
            .expect("measured")
    };
    for edited in [0, 2, 6] {
        assert_eq!(
            cost(40, edited),
            cost(400, edited),
            "ten times the repository, the same requests ({edited} edited paths)"
        );
    }
    // The manifest, then per edited path its branch version, plus for each one the build also
    // changes the previously generated version (the merge base).
    let base = cost(40, 0).0;
    assert_eq!(base, 1, "only the manifest when nobody edited the branch");
    for (edited, merged) in [(2, 1), (6, 3)] {
        assert_eq!(
            cost(40, edited).0,
            base + edited + merged,
            "downloads grow with the edited paths ({edited} edited, {merged} merged)"
        );
    }
}

#[test]
fn app_passwords_and_oauth_consumers_authenticate() {
    let env = env();
    env.forge.emu.add_credential(CredentialConfig::app_password(
        "gensync-bot",
        "appPw_secret123456",
    ));
    env.forge
        .emu
        .add_credential(CredentialConfig::oauth_consumer(
            "consumerKey01",
            "consumerSecret_0123456789",
        ));
    let mut args = env.sync_args(&env.build("build-1"), "1", &["--username", "gensync-bot"]);
    let out = env.run(
        &args,
        &[
            ("BITBUCKET_ACCESS_TOKEN", ""),
            ("BITBUCKET_APP_PASSWORD", "appPw_secret123456"),
        ],
    );
    crate::harness::assert_no_secret(&out, &["appPw_secret123456".into()]);
    assert_eq!(ok_json(&out)["operation"], "created");
    assert!(env
        .forge
        .requests()
        .iter()
        .all(|r| r.auth_scheme.as_deref() == Some("Basic")));
    let head = env.head("amplication").expect("branch");
    let author = env.git(&["log", "-1", "--format=%an", &head]);
    assert_eq!(author.trim(), "gensync-bot");

    env.forge.emu.clear_requests();
    args = env.sync_args(
        &env.build("build-2"),
        "2",
        &[
            "--oauth-client-id",
            "consumerKey01",
            "--oauth-token-url",
            &env.forge.emu.token_url(),
        ],
    );
    let out = env.run(
        &args,
        &[
            ("BITBUCKET_ACCESS_TOKEN", ""),
            ("BITBUCKET_OAUTH_CLIENT_SECRET", "consumerSecret_0123456789"),
        ],
    );
    crate::harness::assert_no_secret(&out, &["consumerSecret_0123456789".into()]);
    assert_eq!(ok_json(&out)["operation"], "updated");
    let requests = env.forge.requests();
    assert!(requests[0].path.ends_with("/site/oauth2/access_token"));
    assert_eq!(requests[0].auth_scheme.as_deref(), Some("Basic"));
    assert!(requests[1..]
        .iter()
        .all(|r| r.auth_scheme.as_deref() == Some("Bearer")));
    let err = failure(&env.run(
        &env.sync_args(
            &env.build("build-2"),
            "3",
            &[
                "--oauth-client-id",
                "consumerKey01",
                "--oauth-token-url",
                &env.forge.emu.token_url(),
            ],
        ),
        &[
            ("BITBUCKET_ACCESS_TOKEN", ""),
            ("BITBUCKET_OAUTH_CLIENT_SECRET", "wrong-secret-value"),
        ],
    ));
    assert!(err.contains("OAuth consumer"), "{err}");
    env.forge.assert_no_invalid_requests();
}

#[test]
fn credentials_without_write_scopes_get_a_clear_error_and_change_nothing() {
    let env = env();
    env.forge.emu.add_credential(
        CredentialConfig::access_token("bbat_readOnlyToken0123456789").scopes(Scopes::READ),
    );
    let err = failure(&env.run(
        &env.sync_args(&env.build("build-1"), "1", &[]),
        &[("BITBUCKET_ACCESS_TOKEN", "bbat_readOnlyToken0123456789")],
    ));
    assert!(
        err.contains("403") && err.contains("repository:write"),
        "{err}"
    );
    assert_eq!(env.head("amplication"), None);
    let err = failure(&env.run(
        &env.sync_args(&env.build("build-1"), "1", &[]),
        &[("BITBUCKET_ACCESS_TOKEN", "bbat_notAKnownToken012345")],
    ));
    assert!(
        err.contains("401") && err.contains("BITBUCKET_ACCESS_TOKEN"),
        "{err}"
    );
    env.forge.assert_no_invalid_requests();
}

#[test]
fn a_stale_parent_answers_409_and_the_sync_retries_on_the_new_head() {
    let env = env();
    ok_json(&env.sync(&env.build("build-1"), "1", &[]));
    env.forge.add_fault(gensync_tests::fault::FaultRule::new(
        "POST",
        "/2.0/repositories/acme/app/src",
        gensync_tests::fault::FaultAction::move_branch("amplication"),
    ));
    env.forge.emu.clear_requests();
    let out = ok_json(&env.sync(&env.build("build-2"), "2", &[]));
    let statuses: Vec<Option<u16>> = env
        .forge
        .requests()
        .iter()
        .filter(|r| r.method == "POST" && r.path.ends_with("/src"))
        .map(|r| r.status)
        .collect();
    assert_eq!(statuses, [Some(409), Some(201)]);
    assert_eq!(out["attempts"], 2);
    env.forge.assert_no_invalid_requests();
}

#[test]
fn the_pipe_takes_its_variables_and_pipelines_defaults_and_writes_results() {
    let env = env();
    let build = env.build("build-1");
    let clone = env.work.path().join("clone");
    std::fs::create_dir_all(&clone).expect("mkdir");
    // Bitbucket's variable sharing: an earlier line of the step stays; gensync appends.
    let shared = env.work.path().join("pipelines-variables");
    std::fs::write(&shared, "EARLIER=1\n").expect("write");
    let vars = [
        (
            "BITBUCKET_PIPELINES_VARIABLES_PATH",
            shared.to_str().expect("utf-8"),
        ),
        ("BITBUCKET_BUILD_NUMBER", "77"),
        ("BITBUCKET_WORKSPACE", "acme"),
        ("BITBUCKET_REPO_SLUG", "app"),
        ("BITBUCKET_GIT_HTTP_ORIGIN", "http://bitbucket.org/acme/app"),
        ("BITBUCKET_CLONE_DIR", clone.to_str().expect("utf-8")),
        ("OUTPUT", build.to_str().expect("utf-8")),
        ("MESSAGE", "Regenerate the service\n\nFrom Pipelines."),
        ("API_URL", env.forge.emu.api_url()),
        ("DRY_RUN", "false"),
        ("DRAFT", "true"),
    ];
    let out = env.run(&["bitbucket-pipe".to_owned()], &vars);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("pull request: #1"),
        "a human-readable log: {stdout}"
    );
    let head = env.head("amplication").expect("branch");
    let message = env.git(&["log", "-1", "--format=%B", &head]);
    assert!(message.contains("Build-Id: 77\n"), "{message}");
    assert!(
        message.contains("https://bitbucket.org/acme/app/pipelines/results/77"),
        "{message}"
    );
    let pulls = env.forge.pulls();
    assert_eq!(pulls[0].title, "Regenerate the service");
    let results = std::fs::read_to_string(clone.join("gensync.env")).expect("gensync.env");
    for line in [
        "GENSYNC_OPERATION='created'".to_owned(),
        format!("GENSYNC_COMMIT_SHA='{head}'"),
        "GENSYNC_BRANCH='amplication'".to_owned(),
        "GENSYNC_PULL_REQUEST_NUMBER='1'".to_owned(),
        "GENSYNC_ADDED='8'".to_owned(),
    ] {
        assert!(results.lines().any(|l| l == line), "{line} in:\n{results}");
    }
    let shared = std::fs::read_to_string(&shared).expect("shared variables");
    assert!(shared.starts_with("EARLIER=1\n"), "{shared}");
    for line in [
        "GENSYNC_OPERATION=created".to_owned(),
        format!("GENSYNC_COMMIT_SHA={head}"),
        "GENSYNC_BRANCH=amplication".to_owned(),
        "GENSYNC_PULL_REQUEST_URL=".to_owned(),
        "GENSYNC_ADDED=8".to_owned(),
    ] {
        assert!(
            shared.lines().any(|l| l.starts_with(&line)),
            "{line} in:\n{shared}"
        );
    }
    assert_eq!(
        shared.lines().count(),
        13,
        "EARLIER and the 12 outputs:\n{shared}"
    );
    let json: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(clone.join("gensync.json")).expect("gensync.json"),
    )
    .expect("JSON");
    assert_eq!(json["commit_sha"], head.as_str());
    for text in [&results, &json.to_string()] {
        assert!(!text.contains(TOKEN));
    }
    // A plain `gensync sync` in a step gets the same defaults: repository, build id and link.
    let mut args: Vec<String> = vec!["sync".into()];
    args.extend(["--api-url", env.forge.emu.api_url()].map(String::from));
    args.extend(
        [
            "--output",
            env.build("build-2").to_str().expect("utf-8"),
            "--message",
            "Next",
            "--json",
        ]
        .map(String::from),
    );
    let v = ok_json(&env.run(&args, &vars[..5]));
    assert_eq!(v["operation"], "updated");
    env.forge.assert_no_invalid_requests();
}

#[test]
fn repositories_of_a_workspace_are_listed_and_created() {
    let env = env();
    let api = env.forge.emu.api_url().to_owned();
    let create: Vec<String> = [
        "repo",
        "create",
        "--provider",
        "bitbucket",
        "--workspace",
        "acme",
        "--name",
        "Orders Service",
        "--private",
        "--init",
        "--api-url",
        &api,
        "--json",
    ]
    .map(String::from)
    .to_vec();
    let out = env.run(&create, &[]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(env.forge.emu.is_private("acme/orders-service"), Some(true));
    let git = env.forge.emu.git("acme/orders-service").expect("created");
    let main = git.branch("main").expect("git").expect("initialised");
    let readme = git
        .git(&["show", &format!("{}:README.md", main.as_str())])
        .expect("README");
    assert_eq!(String::from_utf8_lossy(&readme), "# Orders Service\n");
    let list: Vec<String> = [
        "repo",
        "list",
        "--provider",
        "bitbucket",
        "--workspace",
        "acme",
        "--api-url",
        &api,
        "--json",
    ]
    .map(String::from)
    .to_vec();
    let v = ok_json(&env.run(&list, &[]));
    let names: Vec<&str> = v
        .as_array()
        .expect("a list")
        .iter()
        .map(|r| r["full_name"].as_str().expect("name"))
        .collect();
    assert_eq!(names, [REPO, "acme/orders-service"]);
    // A sync into the new repository works right away.
    let mut args: Vec<String> = vec!["sync".into()];
    args.extend(env.forge.flags());
    args.extend(
        [
            "--repository",
            "acme/orders-service",
            "--output",
            env.build("build-1").to_str().expect("utf-8"),
            "--message",
            "First",
            "--json",
        ]
        .map(String::from),
    );
    assert_eq!(ok_json(&env.run(&args, &[]))["operation"], "created");
    env.forge.assert_no_invalid_requests();
}

/// The requests of `GET …/src/…` kinds in the record: (listings of folder `dir`,
/// `format=meta` lookups).
fn lookups(requests: &[RecordedRequest], dir: &str) -> (usize, usize) {
    let listing = format!("/{dir}/");
    let listings = requests
        .iter()
        .filter(|r| r.method == "GET" && r.path.contains("/src/") && r.path.ends_with(&listing))
        .count();
    let metas = requests
        .iter()
        .filter(|r| r.method == "GET" && r.query.contains("format=meta"))
        .count();
    (listings, metas)
}

#[test]
fn paths_in_a_large_folder_are_looked_up_alone_and_many_paths_by_listing_it() {
    let env = env();
    // One folder of 350 generated files: listing it takes 4 pages of 100.
    let b1 = env.work.path().join("b1");
    for i in 0..350 {
        let path = b1.join(format!("gen/big/file{i:03}.ts"));
        std::fs::create_dir_all(path.parent().expect("a folder")).expect("mkdir");
        std::fs::write(&path, content(i, 1, "// generated")).expect("write");
    }
    ok_json(&env.sync(&b1, "1", &[]));

    // Two added paths a person already wrote on the branch (one identical to what the
    // generator now writes, one executable with other contents), one that is not there.
    let same = content(900, 1, "// generated");
    env.forge.commit_as_person(
        "amplication",
        &[
            FileChange::write("gen/big/same.ts", same.clone()),
            FileChange {
                path: "gen/big/tool.sh".into(),
                content: Some(("100755".into(), b"#!/bin/sh\necho person\n".to_vec())),
            },
        ],
        "a person's files",
    );
    let b2 = env.work.path().join("b2");
    gensync_tests::cli::copy_dir(&b1, &b2);
    std::fs::write(b2.join("gen/big/same.ts"), &same).expect("write");
    std::fs::write(b2.join("gen/big/tool.sh"), "#!/bin/sh\necho generated\n").expect("write");
    std::fs::write(b2.join("gen/big/new.ts"), "export const n = 1;\n").expect("write");
    env.forge.emu.clear_requests();
    let out = ok_json(&env.sync(&b2, "2", &["--conflicts", "branch"]));
    let requests = env.forge.requests();
    env.forge.assert_no_invalid_requests();
    assert_eq!(
        lookups(&requests, "gen/big"),
        (0, 3),
        "three added paths in a folder of four pages: looked up alone\n{out}"
    );
    let head = env.head("amplication").expect("branch");
    // The identical file was already there (not rewritten), the person's executable was kept
    // (--conflicts branch) with its mode, the new file landed.
    let parent = env.parent(&head);
    assert_eq!(
        env.diff(&parent, &head),
        vec![
            "A\tgen/big/new.ts".to_owned(),
            "M\t.amplication/manifest".to_owned()
        ],
        "{out}"
    );
    let ls = env.git(&["ls-tree", &head, "gen/big/tool.sh"]);
    assert!(ls.starts_with("100755 "), "{ls}");
    assert_eq!(
        env.show(&format!("{head}:gen/big/tool.sh")),
        "#!/bin/sh\necho person\n"
    );
    assert_eq!(env.show(&format!("{head}:gen/big/same.ts")), same);

    // Eight added paths in the same folder: one listing (4 pages of 100) is cheaper than 8
    // lookups.
    let b3 = env.work.path().join("b3");
    gensync_tests::cli::copy_dir(&b2, &b3);
    for i in 0..8 {
        std::fs::write(b3.join(format!("gen/big/more{i}.ts")), format!("// {i}\n")).expect("write");
    }
    env.forge.emu.clear_requests();
    let out = ok_json(&env.sync(&b3, "3", &["--conflicts", "branch"]));
    let requests = env.forge.requests();
    assert_eq!(
        lookups(&requests, "gen/big"),
        (4, 0),
        "eight added paths in a folder of four pages: listed\n{out}"
    );
    let head = env.head("amplication").expect("branch");
    for i in 0..8 {
        assert_eq!(
            env.show(&format!("{head}:gen/big/more{i}.ts")),
            format!("// {i}\n")
        );
    }
}

#[test]
fn options_bitbucket_lacks_are_dropped_with_a_note_in_the_outcome() {
    let env = env();
    let out = ok_json(&env.sync(
        &env.build("build-1"),
        "1",
        &["--labels", "bot, generated", "--assignees", "ann"],
    ));
    assert_eq!(out["operation"], "created");
    let notes: Vec<&str> = out["notes"]
        .as_array()
        .expect("notes")
        .iter()
        .filter_map(|n| n.as_str())
        .collect();
    assert_eq!(
        notes,
        [
            "Bitbucket pull requests have no labels: --labels ignored",
            "Bitbucket pull requests have no assignees: --assignees ignored",
        ]
    );
    assert_eq!(env.forge.pulls().len(), 1);
    // A second build updates the pull request: nothing is created, so no note.
    let out = ok_json(&env.sync(&env.build("build-2"), "2", &["--labels", "bot"]));
    assert_eq!(out["operation"], "updated");
    assert!(out.get("notes").is_none(), "{out}");
    env.forge.assert_no_invalid_requests();
}
