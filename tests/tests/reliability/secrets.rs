//! Secrets: the token (and its base64 forms) appears in no output stream, no written file and
//! no recorded request field but `Authorization`; credentials never follow a redirect to
//! another host.

use std::net::TcpListener;
use std::sync::{Arc, Mutex};

use gensync_tests::fault::{FaultAction, FaultRule};
use gensync_tests::github::faults as canned;
use gensync_tests::http::{Reply, Request, Response, Server};

use crate::harness::{secret_forms, Env, Provider, PROVIDERS, REPO, TOKEN};

/// A second tiny server on another loopback host: it records every request with all its
/// headers (Authorization included) and answers 401.
struct Foreign {
    server: Server,
    seen: Arc<Mutex<Vec<Request>>>,
}

impl Foreign {
    fn start(host: &str) -> Foreign {
        let listener = TcpListener::bind((host, 0)).expect("bind a second loopback host");
        let seen: Arc<Mutex<Vec<Request>>> = Arc::default();
        let record = Arc::clone(&seen);
        let server = Server::start(
            listener,
            Arc::new(move |r: Request| {
                record.lock().expect("lock").push(r);
                Reply::Respond(Response::json(
                    401,
                    &serde_json::json!({"message": "Requires authentication"}),
                ))
            }),
        )
        .expect("serve");
        Foreign { server, seen }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.server.addr())
    }
}

fn redirect(status: u16, location: &str) -> FaultAction {
    FaultAction::Respond {
        status,
        headers: vec![("location".into(), location.into())],
        body: String::new(),
    }
}

/// The representative runs: successes in both modes, verbose and dry runs, failures, faults,
/// Actions mode with its outputs file and step summary.
fn representative_runs(env: &Env) {
    let b1 = env.build(1);
    let _ = env.sync(&b1, "1", &["--verbose"]);
    let b2 = env.build(2);
    let _ = env.sync(&b2, "2", &["--commit-mode", "graphql", "--verbose"]);
    let _ = env.sync(&env.build(3), "3", &["--dry-run", "--verbose"]);
    env.add_fault(FaultRule::new("*", "**", canned::server_error()).random(0.2, 7));
    env.add_fault(FaultRule::new("*", "**", FaultAction::Drop).random(0.1, 8));
    let _ = env.sync(&env.build(4), "4", &["--verbose"]);
    env.clear_faults();
    env.add_fault(FaultRule::new("*", "**", canned::bad_credentials()).always());
    let _ = env.sync(&env.build(5), "5", &["--verbose"]);
    env.clear_faults();
    let mut args = env.sync_args(&env.build(6), "6", &["--verbose"]);
    let at = args.iter().position(|a| a == REPO).expect("repository");
    args[at] = "acme/missing".into();
    let _ = env.run(&args, &[]);

    match env.provider {
        Provider::Github => {
            for (n, fail) in [(7, false), (8, true)] {
                let outputs = env.work.path().join(format!("outputs-{n}"));
                let summary = env.work.path().join(format!("summary-{n}.md"));
                let build = env.build(n);
                let mut vars: Vec<(String, String)> = vec![
                    ("GITHUB_ACTIONS".into(), "true".into()),
                    ("GITHUB_OUTPUT".into(), outputs.display().to_string()),
                    ("GITHUB_STEP_SUMMARY".into(), summary.display().to_string()),
                    ("INPUT_TOKEN".into(), TOKEN.into()),
                    ("INPUT_REPOSITORY".into(), REPO.into()),
                    ("INPUT_OUTPUT".into(), build.display().to_string()),
                    ("INPUT_MESSAGE".into(), format!("Build {n}\n\nFrom Actions")),
                    ("INPUT_BUILD-ID".into(), n.to_string()),
                ];
                vars.extend(env.provider_inputs());
                if fail {
                    // A token revoked mid-run: the pull-request step is refused.
                    env.add_fault(
                        FaultRule::new("*", "/repos/*/*/pulls**", canned::bad_credentials())
                            .always(),
                    );
                }
                let vars: Vec<(&str, &str)> =
                    vars.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
                let out = env.run(&["github-action".to_owned()], &vars);
                env.clear_faults();
                assert_eq!(out.status.success(), !fail, "Actions run {n}");
                let stdout = String::from_utf8_lossy(&out.stdout);
                assert!(stdout.contains("::add-mask::"), "the token is masked");
                let mut written = env.written.lock().expect("lock");
                written.push(outputs);
                written.push(summary);
            }
        }
    }
}

#[test]
fn the_token_is_nowhere_but_in_authorization() {
    for &provider in PROVIDERS {
        let env = Env::start(provider);
        representative_runs(&env);
        let checked = env.assert_no_secret_anywhere();
        assert!(
            checked > 50,
            "only {checked} streams, files and requests checked"
        );
        // And the emulator did get it where it belongs.
        assert!(env.requests().iter().any(|r| r.auth_scheme.is_some()));
        env.take_invalid_requests();
    }
}

#[test]
fn credentials_never_follow_a_redirect_to_another_host() {
    for &provider in PROVIDERS {
        let foreign = Foreign::start("127.0.0.2");
        let env = Env::start(provider);
        let emu_port = {
            let base = env.provider_args()[3].clone();
            base.rsplit(':')
                .next()
                .and_then(|p| p.split('/').next())
                .expect("port")
                .to_owned()
        };
        let other_host_same_port = format!("http://localhost:{emu_port}");
        let cases: Vec<(&str, &str, u16, String)> = vec![
            (
                "GET",
                "/repos/acme/app",
                302,
                foreign.url("/repos/acme/app"),
            ),
            (
                "GET",
                "/repos/acme/app",
                307,
                foreign.url("/repos/acme/app"),
            ),
            (
                "GET",
                "/repos/acme/app",
                301,
                foreign.url("/repos/acme/app"),
            ),
            (
                "GET",
                "/repos/acme/app",
                308,
                foreign.url("/repos/acme/app"),
            ),
            (
                "GET",
                "/repos/acme/app",
                307,
                format!("{other_host_same_port}/repos/acme/app"),
            ),
            (
                "POST",
                "/repos/acme/app/git/blobs",
                307,
                foreign.url("/blobs"),
            ),
            (
                "POST",
                "/repos/acme/app/git/trees",
                307,
                foreign.url("/trees"),
            ),
            ("POST", "/graphql", 307, foreign.url("/graphql")),
        ];
        for (method, path, status, location) in cases {
            env.clear_faults();
            env.add_fault(FaultRule::new(method, path, redirect(status, &location)).always());
            let build = env.build(1);
            // A binary file makes the sync upload a blob, so the blob redirect is reached.
            std::fs::write(build.join("logo.png"), [0x89, b'P', b'N', b'G', 0, 1]).unwrap();
            let mode = if path == "/graphql" {
                "graphql"
            } else {
                "rest"
            };
            let out = env.sync(&build, "1", &["--commit-mode", mode]);
            let err = String::from_utf8_lossy(&out.stderr).into_owned();
            assert!(
                !out.status.success(),
                "{method} {path} → {status} {location}: the sync cannot succeed: {err}"
            );
        }
        env.clear_faults();
        let seen = foreign.seen.lock().expect("lock");
        assert!(
            !seen.is_empty(),
            "the redirects were followed to the other host"
        );
        for r in seen.iter() {
            assert!(
                r.header("authorization").is_none(),
                "credentials sent to another host: {} {}",
                r.method,
                r.path
            );
            let all = format!("{:?} {}", r.headers, String::from_utf8_lossy(&r.body));
            for n in secret_forms(TOKEN) {
                assert!(!all.contains(&n), "the token reached another host: {all}");
            }
        }
        // The hop to `localhost` reached the emulator itself, without credentials.
        let unauthenticated = env
            .requests()
            .iter()
            .filter(|r| r.is("GET", "/repos/acme/app") && r.auth_scheme.is_none())
            .count();
        assert!(
            unauthenticated >= 1,
            "the redirect to localhost was followed without credentials"
        );
        env.assert_no_secret_anywhere();
        env.take_invalid_requests();
    }
}
