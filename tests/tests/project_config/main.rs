//! End-to-end: `gensync sync --config gensync.toml` with three services (two sharing a GitHub
//! repository and branch: one commit, one pull request; one overriding provider and repository
//! to a local repository), `--service` selection, `gensync config check`, and bad files.

use std::path::Path;
use std::process::{Command, Output};

use gensync_tests::cli::bin;
use gensync_tests::github::{GithubConfig, GithubEmulator, RepoSpec, TokenConfig};

const TOKEN: &str = "ghs_projectConfig0123456789abc";

fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .output()
        .expect("git");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

struct Project {
    emu: GithubEmulator,
    dir: tempfile::TempDir,
}

impl Project {
    /// A project folder with builds of three services and a local bare repository for docs.
    fn new(config: &str) -> Project {
        let emu = GithubEmulator::start(GithubConfig::default().token(TokenConfig::actions(TOKEN)))
            .expect("emulator");
        emu.create_repo(&RepoSpec::new("acme/platform").file("README.md", "# platform\n"))
            .expect("repo");
        let dir = tempfile::tempdir().expect("tempdir");
        let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples");
        for (name, build) in [
            ("orders", "build-1"),
            ("billing", "build-2"),
            ("docs", "build-1"),
        ] {
            copy_dir(&examples.join(build), &dir.path().join("out").join(name));
        }
        git(
            dir.path(),
            &["init", "-q", "--bare", "-b", "main", "docs-site.git"],
        );
        let seed = gensync_tests::git::BareRepo::open(&dir.path().join("docs-site.git"));
        seed.commit_files(
            "main",
            &[gensync_tests::git::FileChange::write(
                "index.md", "# docs\n",
            )],
            "Initial commit",
            &gensync_tests::git::Signature::now("A Person", "person@example.com"),
        )
        .expect("seed");
        std::fs::write(dir.path().join("gensync.toml"), config).unwrap();
        Project { emu, dir }
    }

    fn run(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
        let mut cmd = Command::new(bin());
        cmd.args(args)
            .current_dir(self.dir.path())
            .env("GITHUB_TOKEN", TOKEN)
            .env("GITHUB_API_URL", self.emu.base_url())
            .env("GITHUB_GRAPHQL_URL", self.emu.graphql_url())
            .env("GENSYNC_RETRY_SCALE", "0.001")
            .env_remove("GITHUB_ACTIONS")
            .env_remove("GH_TOKEN");
        for var in [
            "GENSYNC_PROVIDER",
            "GENSYNC_REPOSITORY",
            "GENSYNC_BASE",
            "GENSYNC_STRATEGY",
            "GENSYNC_BRANCH",
            "GENSYNC_AUTHOR",
            "GENSYNC_COMMIT_MODE",
        ] {
            cmd.env_remove(var);
        }
        for (k, v) in env {
            cmd.env(k, v);
        }
        cmd.output().expect("gensync runs")
    }

    fn sync(&self, extra: &[&str]) -> Output {
        let mut args = vec![
            "sync",
            "--config",
            "gensync.toml",
            "-m",
            "Build 5: all services",
            "--build-id",
            "5",
            "--json",
        ];
        args.extend_from_slice(extra);
        self.run(&args, &[])
    }

    fn platform(&self, args: &[&str]) -> String {
        git(&self.emu.git_dir("acme/platform").unwrap(), args)
    }

    fn docs(&self, args: &[&str]) -> String {
        git(&self.dir.path().join("docs-site.git"), args)
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let dest = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &dest);
        } else {
            std::fs::copy(e.path(), &dest).unwrap();
        }
    }
}

const THREE_SERVICES: &str = r#"
[project]
provider = "github"
repository = "acme/platform"
author = "Platform Bot <bot@acme.example>"

[[service]]
name = "orders"
output = "out/orders"
target-dir = "apps/orders"

[[service]]
name = "billing"
output = "out/billing"
target-dir = "apps/billing"

[[service]]
name = "docs"
output = "out/docs"
provider = "local"
repository = "docs-site.git"
branch = "generated-{service}"
"#;

fn ok_json(out: &Output) -> serde_json::Value {
    assert!(
        out.status.success(),
        "gensync failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&out.stdout)))
}

fn failure(out: &Output) -> String {
    assert!(
        !out.status.success(),
        "expected failure:\n{}",
        String::from_utf8_lossy(&out.stdout)
    );
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn three_services_two_share_one_commit_and_one_pull_request_one_goes_local() {
    let p = Project::new(THREE_SERVICES);
    let main = p.platform(&["rev-parse", "main"]).trim().to_owned();
    let v = ok_json(&p.sync(&[]));
    let outcomes = v.as_array().expect("an array of outcomes with --config");
    assert_eq!(outcomes.len(), 2);
    // Target 1: GitHub, both services in ONE commit on top of main and ONE pull request.
    let shared = &outcomes[0];
    assert_eq!(shared["operation"], "created");
    assert_eq!(shared["changes"].as_array().unwrap().len(), 2);
    let head = p.platform(&["rev-parse", "amplication"]).trim().to_owned();
    assert_eq!(shared["commit_sha"], head.as_str());
    assert_eq!(
        p.platform(&["rev-parse", "amplication^"]).trim(),
        main,
        "one commit"
    );
    let changed = p.platform(&["diff", "--name-only", &main, &head]);
    assert!(changed.contains("apps/orders/.amplication/manifest\n"));
    assert!(changed.contains("apps/billing/.amplication/manifest\n"));
    assert!(changed.contains("apps/billing/src/invoices/invoices.service.ts\n"));
    assert!(changed
        .lines()
        .all(|l| l.starts_with("apps/orders/") || l.starts_with("apps/billing/")));
    assert_eq!(
        p.platform(&["log", "-1", "--format=%an <%ae>", &head])
            .trim(),
        "Platform Bot <bot@acme.example>"
    );
    let pulls = p.emu.pulls("acme/platform").unwrap();
    assert_eq!(pulls.len(), 1, "one pull request");
    assert_eq!(pulls[0].title, "Build 5: all services");
    // Target 2: the docs service in its own (local) repository and branch.
    let docs = &outcomes[1];
    assert_eq!(docs["branch"], "generated-docs");
    assert_eq!(docs["operation"], "none");
    let docs_head = p.docs(&["rev-parse", "generated-docs"]).trim().to_owned();
    assert_eq!(docs["commit_sha"], docs_head.as_str());
    assert_eq!(
        p.docs(&["rev-parse", "generated-docs^"]).trim(),
        p.docs(&["rev-parse", "main"]).trim()
    );
    assert!(p
        .docs(&["ls-tree", "-r", "--name-only", "generated-docs"])
        .contains("src/orders/orders.service.ts"));
    p.docs(&["fsck", "--strict", "--no-dangling"]);
    // Nothing of docs went to GitHub, nothing of orders/billing to the docs repository.
    assert!(!p
        .platform(&["ls-tree", "-r", "--name-only", &head])
        .contains("generated-docs"));
    p.emu.assert_no_invalid_requests();
}

#[test]
fn service_selection_syncs_only_the_named_services() {
    let p = Project::new(THREE_SERVICES);
    let v = ok_json(&p.sync(&["--service", "billing"]));
    assert_eq!(v.as_array().unwrap().len(), 1);
    let main = p.platform(&["rev-parse", "main"]).trim().to_owned();
    let changed = p.platform(&["diff", "--name-only", &main, "amplication"]);
    assert!(
        changed.lines().all(|l| l.starts_with("apps/billing/")),
        "{changed}"
    );
    let docs = Command::new("git")
        .args(["-C", p.dir.path().join("docs-site.git").to_str().unwrap()])
        .args(["rev-parse", "--verify", "-q", "generated-docs"])
        .output()
        .unwrap();
    assert!(!docs.status.success(), "docs not synced");
    let err = failure(&p.sync(&["--service", "nope"]));
    assert!(
        err.contains("\"nope\" is not a service") && err.contains("orders, billing, docs"),
        "{err}"
    );
}

#[test]
fn config_check_prints_the_resolved_plan_with_sources() {
    let p = Project::new(THREE_SERVICES);
    let out = p.run(
        &["config", "check", "--build-id", "5"],
        &[("GENSYNC_STRATEGY", "per-build")],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    for expected in [
        "gensync.toml: valid, 2 target(s)",
        "target 1: github acme/platform  (project file line 4)",
        "branch amplication-build-5  (default)",
        "service orders: ./out/orders -> apps/orders",
        "service billing: ./out/billing -> apps/billing",
        "target 2: local ./docs-site.git  (project file line 21)",
        "branch generated-docs  (project file line 22)",
        "author Platform Bot <bot@acme.example>  (project file line 5)",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in:\n{text}");
    }
    assert!(p.emu.requests().is_empty(), "config check makes no request");
    let json = p.run(&["config", "check", "--json"], &[]);
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).expect("JSON plan");
    assert_eq!(v["targets"][0]["strategy"]["source"]["kind"], "default");
    assert_eq!(v["targets"][1]["provider"]["value"], "local");
}

#[test]
fn bad_project_files_are_clear_errors_naming_the_key_and_line() {
    let cases: &[(&str, &[&str])] = &[
        (
            "[project]\nrepository = \"acme/platform\"\nrepo = \"x\"\n[[service]]\nname = \"a\"\noutput = \"out/orders\"\n",
            &["line 3", "unknown field `repo`"],
        ),
        (
            "[project]\nrepository = \"acme/platform\"\nstrategy = \"weekly\"\n[[service]]\nname = \"a\"\noutput = \"out/orders\"\n",
            &["line 3", "project.strategy", "\"weekly\" is not one of single, per-build"],
        ),
        (
            "[project]\nrepository = \"acme/platform\"\n[[service]]\nname = \"a\"\noutput = \"out/orders\"\n[[service]]\nname = \"a\"\noutput = \"out/billing\"\n",
            &["line 7", "service.name", "unique"],
        ),
        (
            "[project]\nrepository = \"acme/platform\"\n[[service]]\nname = \"a\"\n",
            &["line 3", "missing field `output`"],
        ),
        (
            "[project]\nrepository = \"acme/platform\"\n[[service]]\nname = \"a\"\noutput = \"out/orders\"\ntarget-dir = \"../outside\"\n",
            &["line 6", "service.target-dir"],
        ),
        (
            "[project]\nrepository = \"acme/platform\"\n[[service]]\nname = \"a\"\noutput = \"out/orders\"\nprovider = \"local\"\n",
            &["line 6", "names no `repository`"],
        ),
        (
            "[project]\nprovider = \"sourcehut\"\n[[service]]\nname = \"a\"\noutput = \"out/orders\"\n",
            &["line 2", "project.provider", "\"sourcehut\""],
        ),
        ("[project\n", &["line 1"]),
    ];
    let p = Project::new(THREE_SERVICES);
    for (text, expected) in cases {
        std::fs::write(p.dir.path().join("gensync.toml"), text).unwrap();
        for args in [
            vec!["sync", "--config", "gensync.toml", "-m", "x"],
            vec!["config", "check"],
        ] {
            let err = failure(&p.run(&args, &[]));
            for e in *expected {
                assert!(err.contains(e), "{args:?}: missing {e:?} in:\n{err}");
            }
            assert!(err.contains("gensync.toml"), "names the file: {err}");
        }
    }
    assert!(p.emu.requests().is_empty(), "nothing sent for a bad file");
    let err = failure(&p.run(&["config", "check", "--config", "missing.toml"], &[]));
    assert!(
        err.contains("cannot read the project file missing.toml"),
        "{err}"
    );
}

#[test]
fn flags_and_environment_override_the_file() {
    let p = Project::new(THREE_SERVICES);
    // The environment redirects the project repository; the docs override stays local.
    p.emu
        .create_repo(&RepoSpec::new("acme/staging").file("README.md", "# staging\n"))
        .unwrap();
    let out = p.run(
        &[
            "sync",
            "--config",
            "gensync.toml",
            "-m",
            "Build 6",
            "--service",
            "orders",
            "--json",
        ],
        &[("GENSYNC_REPOSITORY", "acme/staging")],
    );
    ok_json(&out);
    assert!(p
        .emu
        .branch_head("acme/staging", "amplication")
        .unwrap()
        .is_some());
    assert!(p
        .emu
        .branch_head("acme/platform", "amplication")
        .unwrap()
        .is_none());
    // A flag beats the environment.
    let out = p.run(
        &[
            "sync",
            "--config",
            "gensync.toml",
            "-m",
            "Build 7",
            "--service",
            "billing",
            "--repository",
            "acme/platform",
            "--json",
        ],
        &[("GENSYNC_REPOSITORY", "acme/staging")],
    );
    ok_json(&out);
    assert!(p
        .emu
        .branch_head("acme/platform", "amplication")
        .unwrap()
        .is_some());
    // Flags that belong to services are refused with --config.
    let err = failure(&p.run(
        &[
            "sync",
            "--config",
            "gensync.toml",
            "-m",
            "x",
            "--output",
            "out/orders",
        ],
        &[],
    ));
    assert!(
        err.contains("--output cannot be combined with --config"),
        "{err}"
    );
}
