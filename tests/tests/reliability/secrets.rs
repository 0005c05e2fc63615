//! Secrets: the token (and its base64 forms) appears in no output stream, no written file and
//! no recorded request field but `Authorization`; credentials never follow a redirect to
//! another host.

use std::net::TcpListener;
use std::sync::{Arc, Mutex};

use gensync_tests::bitbucket::faults as bitbucket;
use gensync_tests::fault::{FaultAction, FaultRule};
use gensync_tests::github::faults as github;
use gensync_tests::http::{Reply, Request, Response, Server};

use crate::harness::{secret_forms, Env, Mode, Provider, PROVIDERS, REPO, TOKEN};

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

/// The provider's answer refusing the credentials (401).
fn bad_credentials(provider: Provider) -> FaultAction {
    match provider {
        Provider::Github => github::bad_credentials(),
        Provider::Bitbucket => bitbucket::unauthorized(),
    }
}

/// The representative runs: successes in every commit mode, verbose and dry runs, failures,
/// faults, CI mode (GitHub Actions with its outputs file and step summary; the Bitbucket
/// Pipelines pipe with its `gensync.env` and `gensync.json`).
fn representative_runs(env: &Env) {
    let b1 = env.build(1);
    let _ = env.sync(&b1, "1", &["--verbose"]);
    let b2 = env.build(2);
    let mut second = env
        .provider
        .mode_flags(*env.provider.modes().last().expect("a mode"));
    second.push("--verbose");
    let _ = env.sync(&b2, "2", &second);
    let _ = env.sync(&env.build(3), "3", &["--dry-run", "--verbose"]);
    let server_error = match env.provider {
        Provider::Github => github::server_error(),
        Provider::Bitbucket => bitbucket::server_error(),
    };
    env.add_fault(FaultRule::new("*", "**", server_error).random(0.2, 7));
    env.add_fault(FaultRule::new("*", "**", FaultAction::Drop).random(0.1, 8));
    let _ = env.sync(&env.build(4), "4", &["--verbose"]);
    env.clear_faults();
    env.add_fault(FaultRule::new("*", "**", bad_credentials(env.provider)).always());
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
                        FaultRule::new("*", "/repos/*/*/pulls**", github::bad_credentials())
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
        Provider::Bitbucket => {
            for (n, fail) in [(7, false), (8, true)] {
                let results = env.dir(&format!("results-{n}"));
                let build = env.build(n);
                let vars: Vec<(String, String)> = vec![
                    ("BITBUCKET_BUILD_NUMBER".into(), n.to_string()),
                    ("BITBUCKET_WORKSPACE".into(), "acme".into()),
                    ("BITBUCKET_REPO_SLUG".into(), "app".into()),
                    ("GENSYNC_RESULTS_DIR".into(), results.display().to_string()),
                    ("OUTPUT".into(), build.display().to_string()),
                    ("MESSAGE".into(), format!("Build {n}\n\nFrom Pipelines")),
                    ("API_URL".into(), env.provider_args()[3].clone()),
                    ("DEBUG".into(), "true".into()),
                ];
                if fail {
                    // A token revoked mid-run: the pull-request step is refused.
                    env.add_fault(
                        FaultRule::new(
                            "*",
                            "/2.0/repositories/*/*/pullrequests**",
                            bitbucket::unauthorized(),
                        )
                        .always(),
                    );
                }
                let vars: Vec<(&str, &str)> =
                    vars.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
                let out = env.run(&["bitbucket-pipe".to_owned()], &vars);
                env.clear_faults();
                assert_eq!(out.status.success(), !fail, "pipe run {n}");
                let mut written = env.written.lock().expect("lock");
                for f in ["gensync.env", "gensync.json"] {
                    let file = results.join(f);
                    assert_eq!(file.exists(), !fail, "pipe run {n}: {f}");
                    written.push(file);
                }
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
        let (repo_path, write_path) = match provider {
            Provider::Github => ("/repos/acme/app", "/repos/acme/app/git/blobs"),
            Provider::Bitbucket => (
                "/2.0/repositories/acme/app",
                "/2.0/repositories/acme/app/src",
            ),
        };
        let mut cases: Vec<(&str, &str, u16, String)> = vec![
            ("GET", repo_path, 302, foreign.url(repo_path)),
            ("GET", repo_path, 307, foreign.url(repo_path)),
            ("GET", repo_path, 301, foreign.url(repo_path)),
            ("GET", repo_path, 308, foreign.url(repo_path)),
            (
                "GET",
                repo_path,
                307,
                format!("{other_host_same_port}{repo_path}"),
            ),
            ("POST", write_path, 307, foreign.url("/write")),
        ];
        if provider == Provider::Github {
            cases.extend([
                (
                    "POST",
                    "/repos/acme/app/git/trees",
                    307,
                    foreign.url("/trees"),
                ),
                ("POST", "/graphql", 307, foreign.url("/graphql")),
            ]);
        }
        for (method, path, status, location) in cases {
            env.clear_faults();
            env.add_fault(FaultRule::new(method, path, redirect(status, &location)).always());
            let build = env.build(1);
            // A binary file makes the sync upload a blob, so the blob redirect is reached.
            std::fs::write(build.join("logo.png"), [0x89, b'P', b'N', b'G', 0, 1]).unwrap();
            let mode = match path {
                "/graphql" => Mode::Graphql,
                _ if provider == Provider::Github => Mode::Rest,
                _ => Mode::Src,
            };
            let out = env.sync(&build, "1", &provider.mode_flags(mode));
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
            .filter(|r| r.is("GET", repo_path) && r.auth_scheme.is_none())
            .count();
        assert!(
            unauthenticated >= 1,
            "the redirect to localhost was followed without credentials"
        );
        env.assert_no_secret_anywhere();
        env.take_invalid_requests();
    }
}

/// Issue 12 item 4: a server that echoes the request's credential in every kind of error
/// answer (a REST JSON error, GraphQL `errors` in a 200, an HTML 5xx page, a repository
/// listing's error; the raw token and the whole `Authorization` value) never makes gensync
/// print it, in plain runs, verbose runs, Actions and Pipelines runs with their output files.
#[test]
fn a_server_echoing_credentials_in_error_bodies_leaks_nothing() {
    use gensync_tests::fault::{ECHO_AUTHORIZATION as AUTH, ECHO_CREDENTIAL as CRED};
    for &provider in PROVIDERS {
        let env = Env::start(provider);
        let json_error = |status: u16| {
            let message = format!("Bad credentials {AUTH} (token {CRED})");
            let body = match provider {
                Provider::Github => serde_json::json!({ "message": message }),
                Provider::Bitbucket => serde_json::json!({
                    "type": "error",
                    "error": { "message": message, "detail": format!("seen {CRED}") }
                }),
            };
            FaultAction::echo(status, "application/json", &body.to_string())
        };
        let html = FaultAction::echo(
            502,
            "text/html",
            &format!("<html><body><h1>502 Bad Gateway</h1><pre>{AUTH}\n{CRED}</pre></body></html>"),
        );
        let (repo_path, pulls, listing) = match provider {
            Provider::Github => ("/repos/acme/app", "/repos/*/*/pulls**", "/**repos**"),
            Provider::Bitbucket => (
                "/2.0/repositories/acme/app",
                "/2.0/repositories/*/*/pullrequests**",
                "/2.0/repositories**",
            ),
        };
        let mut failures = Vec::new();
        let mut run =
            |env: &Env, rules: Vec<FaultRule>, args: Vec<String>, vars: &[(&str, &str)]| {
                env.clear_faults();
                for rule in rules {
                    env.add_fault(rule);
                }
                let out = env.run(&args, vars);
                env.clear_faults();
                // GraphQL mode may fall back to REST and succeed: its echo is in a note.
                let may_succeed = args.iter().any(|a| a == "graphql");
                failures.push((args.join(" "), out, may_succeed));
            };
        let base_args = |env: &Env, n: u64, extra: &[&str]| {
            let mut extra = extra.to_vec();
            extra.push("--verbose");
            env.sync_args(&env.build(n), &n.to_string(), &extra)
        };
        // A REST JSON error on the first read, every status kind.
        for (n, status) in [(1, 401), (2, 403), (3, 404), (4, 422)] {
            run(
                &env,
                vec![FaultRule::new("GET", repo_path, json_error(status)).always()],
                base_args(&env, n, &[]),
                &[],
            );
        }
        // An HTML 5xx page on every request (retried, then reported).
        run(
            &env,
            vec![FaultRule::new("*", "**", html.clone()).always()],
            base_args(&env, 5, &[]),
            &[],
        );
        // The pull-request step refused with the echo, after the commit landed.
        run(
            &env,
            vec![FaultRule::new("*", pulls, json_error(422)).always()],
            base_args(&env, 6, &[]),
            &[],
        );
        // GraphQL `errors` in a 200 answer: the reads fall back to REST, the commit fails.
        if provider == Provider::Github {
            let body = serde_json::json!({
                "data": null,
                "errors": [{ "type": "FORBIDDEN", "message": format!("Resource not accessible by {AUTH} / {CRED}") }]
            });
            run(
                &env,
                vec![FaultRule::new(
                    "POST",
                    "/graphql",
                    FaultAction::echo(200, "application/json", &body.to_string()),
                )
                .always()],
                base_args(&env, 7, &["--commit-mode", "graphql"]),
                &[],
            );
        }
        // The repository listing refused, as JSON and as an HTML page.
        let mut list: Vec<String> = vec!["repo".into(), "list".into()];
        list.extend(env.provider_args().into_iter().take(4));
        if provider == Provider::Bitbucket {
            list.extend(["--workspace".to_owned(), "acme".to_owned()]);
        }
        for action in [json_error(403), html.clone()] {
            run(
                &env,
                vec![FaultRule::new("GET", listing, action).always()],
                list.clone(),
                &[],
            );
        }
        // CI mode with its output files, the pull-request step refused with the echo.
        let n = 8;
        let build = env.build(n);
        match provider {
            Provider::Github => {
                let outputs = env.work.path().join("echo-outputs");
                let summary = env.work.path().join("echo-summary.md");
                let mut vars: Vec<(String, String)> = vec![
                    ("GITHUB_ACTIONS".into(), "true".into()),
                    ("GITHUB_OUTPUT".into(), outputs.display().to_string()),
                    ("GITHUB_STEP_SUMMARY".into(), summary.display().to_string()),
                    ("INPUT_TOKEN".into(), TOKEN.into()),
                    ("INPUT_REPOSITORY".into(), REPO.into()),
                    ("INPUT_OUTPUT".into(), build.display().to_string()),
                    ("INPUT_MESSAGE".into(), "Build 8".into()),
                ];
                vars.extend(env.provider_inputs());
                let vars: Vec<(&str, &str)> =
                    vars.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
                run(
                    &env,
                    vec![FaultRule::new("*", pulls, json_error(403)).always()],
                    vec!["github-action".into()],
                    &vars,
                );
                let mut written = env.written.lock().expect("lock");
                written.push(outputs);
                written.push(summary);
            }
            Provider::Bitbucket => {
                let results = env.dir("echo-results");
                let api = env.provider_args()[3].clone();
                let vars = [
                    ("BITBUCKET_BUILD_NUMBER", "8"),
                    ("BITBUCKET_WORKSPACE", "acme"),
                    ("BITBUCKET_REPO_SLUG", "app"),
                    ("GENSYNC_RESULTS_DIR", results.to_str().expect("utf-8")),
                    ("OUTPUT", build.to_str().expect("utf-8")),
                    ("MESSAGE", "Build 8"),
                    ("API_URL", api.as_str()),
                    ("DEBUG", "true"),
                ];
                run(
                    &env,
                    vec![FaultRule::new("*", pulls, json_error(403)).always()],
                    vec!["bitbucket-pipe".into()],
                    &vars,
                );
                let mut written = env.written.lock().expect("lock");
                for f in ["gensync.env", "gensync.json"] {
                    written.push(results.join(f));
                }
            }
        }
        // Every run failed, and each said what the server said, with the credential redacted:
        // the echo did happen (the test can fail), and the redactor caught it.
        for (args, out, may_succeed) in &failures {
            let text = format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
            assert!(
                *may_succeed || !out.status.success(),
                "{args}: the run cannot succeed:\n{text}"
            );
            assert!(
                text.contains("***"),
                "{args}: the server's text is quoted, redacted:\n{text}"
            );
        }
        let checked = env.assert_no_secret_anywhere();
        assert!(
            checked > 20,
            "only {checked} streams, files and requests checked"
        );
        env.take_invalid_requests();
    }
}
