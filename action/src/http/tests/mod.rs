//! The client against real sockets: a scripted loopback server per test, a clock that does not
//! sleep, and checks of what went over the wire.

mod server;

use std::net::{IpAddr, Ipv4Addr, TcpListener};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use base64::Engine as _;

use super::body::tests::parse as parse_multipart;
use super::*;
use server::{Action, Server};

const TOKEN: &str = "ghs_T0pS3cretInstallationToken42";

/// A clock at a fixed wall time that records sleeps and advances instead of sleeping.
struct FakeClock {
    now: Mutex<SystemTime>,
    sleeps: Mutex<Vec<Duration>>,
}

impl FakeClock {
    fn new() -> Arc<FakeClock> {
        Arc::new(FakeClock {
            now: Mutex::new(SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000)),
            sleeps: Mutex::new(Vec::new()),
        })
    }

    fn sleeps(&self) -> Vec<Duration> {
        self.sleeps.lock().expect("clock lock").clone()
    }

    fn epoch_secs(&self) -> u64 {
        self.now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .expect("after the epoch")
            .as_secs()
    }
}

impl Clock for FakeClock {
    fn now(&self) -> SystemTime {
        *self.now.lock().expect("clock lock")
    }
    fn sleep(&self, duration: Duration) {
        self.sleeps.lock().expect("clock lock").push(duration);
        *self.now.lock().expect("clock lock") += duration;
    }
}

fn config(base: &str) -> HttpConfig {
    let mut config = HttpConfig::with_defaults(base).expect("valid base URL");
    config.retry.jitter_seed = Some(42);
    config.timeouts = Timeouts {
        connect: Duration::from_secs(5),
        request: Duration::from_secs(10),
    };
    config
}

fn authed(base: &str) -> HttpConfig {
    config(base).credential(Credential::Bearer(Secret::new(TOKEN)))
}

fn make_client(config: HttpConfig) -> (HttpClient, Arc<FakeClock>) {
    let clock = FakeClock::new();
    let client = HttpClient::with_clock(config, clock.clone()).expect("valid config");
    (client, clock)
}

fn assert_no_token(text: &str) {
    assert!(!text.contains(TOKEN), "token leaked: {text}");
    let b64 = base64::engine::general_purpose::STANDARD.encode(TOKEN);
    assert!(!text.contains(&b64[..20]), "base64 token leaked: {text}");
}

#[test]
fn retries_5xx_then_succeeds() {
    let server = Server::scripted(vec![
        Action::status(500),
        Action::status(502),
        Action::json(200, r#"{"ok":true}"#),
    ]);
    let (client, clock) = make_client(authed(&server.base));
    let response = client.get("/repos/o/r").expect("succeeds after retries");
    assert_eq!(response.status, 200);
    assert_eq!(response.attempts, 3);
    assert_eq!(
        response.json::<serde_json::Value>().expect("JSON")["ok"],
        true
    );
    let sleeps = clock.sleeps();
    assert_eq!(sleeps.len(), 2);
    assert!(sleeps[0] <= Duration::from_secs(1), "{sleeps:?}");
    assert!(sleeps[1] <= Duration::from_secs(2), "{sleeps:?}");
    let seen = server.seen();
    assert_eq!(seen.len(), 3);
    assert!(seen
        .iter()
        .all(|s| s.path == "/repos/o/r" && s.method == "GET"));
    assert_eq!(
        seen[0].header("authorization"),
        Some(&*format!("Bearer {TOKEN}"))
    );
    assert!(seen[0]
        .header("user-agent")
        .is_some_and(|ua| ua.starts_with("gensync/")));
    assert_eq!(seen[0].header("content-length"), None);
}

#[test]
fn exhausted_5xx_is_returned_as_the_response() {
    let server = Server::scripted(vec![Action::json(503, r#"{"message":"busy"}"#); 3]);
    let mut config = authed(&server.base);
    config.retry.max_attempts = 3;
    let (client, clock) = make_client(config);
    let response = client.get("/x").expect("a response, not an error");
    assert_eq!((response.status, response.attempts), (503, 3));
    assert_eq!(clock.sleeps().len(), 2);
    let error = client.error_for_status(response).expect_err("503");
    assert_eq!(
        error.to_string(),
        format!(
            "GET {}/x returned 503 after 3 attempt(s): busy",
            server.base
        )
    );
}

#[test]
fn post_is_retried_on_5xx_only_when_declared_idempotent() {
    let server = Server::scripted(vec![
        Action::status(500),
        Action::status(500),
        Action::status(201),
    ]);
    let (client, clock) = make_client(authed(&server.base));
    let body = Body::Json(serde_json::json!({"content": "x"}));
    let response = client
        .request(Method::Post, "/blobs", body.clone(), false)
        .expect("a response");
    assert_eq!((response.status, response.attempts), (500, 1));
    assert!(clock.sleeps().is_empty());
    let response = client
        .request(Method::Post, "/blobs", body, true)
        .expect("a response");
    assert_eq!((response.status, response.attempts), (201, 2));
    let seen = server.seen();
    assert_eq!(seen.len(), 3);
    assert!(seen.iter().all(|s| s.body == br#"{"content":"x"}"#));
    assert_eq!(seen[0].header("content-type"), Some("application/json"));
}

#[test]
fn honours_retry_after_scaled() {
    let server = Server::scripted(vec![
        Action::status(429).with_header("Retry-After", "2"),
        Action::status(200),
    ]);
    let mut config = authed(&server.base);
    config.retry.scale = 0.5;
    let (client, clock) = make_client(config);
    // Rate limits are retried even for a non-idempotent POST: the server did not process it.
    let response = client
        .request(Method::Post, "/pulls", Body::Empty, false)
        .expect("succeeds");
    assert_eq!(response.status, 200);
    assert_eq!(clock.sleeps(), [Duration::from_secs(1)]);
    assert_eq!(server.seen()[0].header("content-length"), Some("0"));
}

#[test]
fn retry_scale_shortens_real_sleeps() {
    let server = Server::scripted(vec![
        Action::status(429).with_header("Retry-After", "3"),
        Action::status(200),
    ]);
    let mut config = authed(&server.base);
    config.retry.scale = 0.02;
    let client = HttpClient::new(config).expect("valid config");
    let started = Instant::now();
    assert_eq!(client.get("/x").expect("succeeds").status, 200);
    let elapsed = started.elapsed();
    assert!(elapsed >= Duration::from_millis(60), "{elapsed:?}");
    assert!(elapsed < Duration::from_secs(3), "{elapsed:?}");
}

#[test]
fn retry_after_http_date_and_secondary_rate_limit() {
    let clock = FakeClock::new();
    let in_3s = httpdate::fmt_http_date(clock.now() + Duration::from_secs(3));
    let server = Server::scripted(vec![
        Action::status(503).with_header("Retry-After", &in_3s),
        Action::json(
            403,
            r#"{"message":"You have exceeded a secondary rate limit"}"#,
        )
        .with_header("Retry-After", "60"),
        Action::status(403)
            .with_header("X-RateLimit-Remaining", "0")
            .with_header(
                "X-RateLimit-Reset",
                &(clock.epoch_secs() + 63 + 10).to_string(),
            ),
        Action::status(200),
    ]);
    let client = HttpClient::with_clock(authed(&server.base), clock.clone()).expect("valid config");
    let response = client.get("/x").expect("succeeds");
    assert_eq!((response.status, response.attempts), (200, 4));
    // 3 s (date), 60 s (secondary limit), then until the reset 10 s later + 1 s of slack.
    assert_eq!(
        clock.sleeps(),
        [
            Duration::from_secs(3),
            Duration::from_secs(60),
            Duration::from_secs(11)
        ]
    );
}

#[test]
fn rate_limit_beyond_the_bounds_fails_saying_when_it_resets() {
    let clock = FakeClock::new();
    let reset = clock.epoch_secs() + 3600;
    let server = Server::scripted(vec![Action::json(
        403,
        r#"{"message":"API rate limit exceeded"}"#,
    )
    .with_header("X-RateLimit-Remaining", "0")
    .with_header("X-RateLimit-Reset", &reset.to_string())]);
    let client = HttpClient::with_clock(authed(&server.base), clock.clone()).expect("valid config");
    let error = client.get("/x").expect_err("an hour is too long to wait");
    let reset_date = httpdate::fmt_http_date(SystemTime::UNIX_EPOCH + Duration::from_secs(reset));
    let message = error.to_string();
    assert!(
        matches!(
            error,
            Error::RateLimited {
                status: 403,
                attempts: 1,
                ..
            }
        ),
        "{error:?}"
    );
    assert!(
        message.contains(&format!("the rate limit resets at {reset_date}")),
        "{message}"
    );
    assert!(message.contains("run again after that time"), "{message}");
    assert!(clock.sleeps().is_empty());
    assert_eq!(server.seen().len(), 1);
}

#[test]
fn rate_limit_retries_run_out() {
    let server = Server::scripted(vec![Action::status(429), Action::status(429)]);
    let mut config = authed(&server.base);
    config.retry.max_attempts = 2;
    let (client, clock) = make_client(config);
    let error = client.get("/x").expect_err("still limited");
    assert!(
        matches!(
            error,
            Error::RateLimited {
                status: 429,
                attempts: 2,
                ..
            }
        ),
        "{error:?}"
    );
    assert!(error.to_string().contains("still limited"), "{error}");
    assert_eq!(clock.sleeps().len(), 1);
}

#[test]
fn total_wait_budget_bounds_retries() {
    let server = Server::scripted(vec![
        Action::status(429).with_header("Retry-After", "40"),
        Action::status(429).with_header("Retry-After", "40"),
    ]);
    let mut config = authed(&server.base);
    config.retry.max_total_wait = Duration::from_secs(60);
    let (client, clock) = make_client(config);
    let error = client
        .get("/x")
        .expect_err("the second wait exceeds the budget");
    assert!(
        matches!(error, Error::RateLimited { attempts: 2, .. }),
        "{error:?}"
    );
    let message = error.to_string();
    assert!(message.contains("60 s in total"), "{message}");
    assert!(
        message.contains("the server asks to wait 40 s (until "),
        "{message}"
    );
    assert_eq!(clock.sleeps(), [Duration::from_secs(40)]);
}

#[test]
fn dropped_connection_is_retried_for_get_not_for_post() {
    let server = Server::scripted(vec![
        Action::Drop,
        Action::json(200, "[]"),
        Action::Drop,
        Action::Drop,
        Action::status(201),
    ]);
    let (client, _clock) = make_client(authed(&server.base));
    assert_eq!(client.get("/list").expect("retried").attempts, 2);

    let error = client
        .request(
            Method::Post,
            "/git/commits",
            Body::Json(serde_json::json!({})),
            false,
        )
        .expect_err("not retried");
    assert!(
        matches!(
            error,
            Error::Transport {
                attempts: 1,
                retried: false,
                ..
            }
        ),
        "{error:?}"
    );
    let message = error.to_string();
    assert!(
        message.starts_with(&format!("POST {}/git/commits failed", server.base)),
        "{message}"
    );
    assert!(message.contains("not idempotent"), "{message}");
    assert_eq!(server.seen().len(), 3, "the POST was sent once");

    let response = client
        .request(
            Method::Post,
            "/git/blobs",
            Body::Json(serde_json::json!({})),
            true,
        )
        .expect("retried when declared idempotent");
    assert_eq!((response.status, response.attempts), (201, 2));
}

#[test]
fn connection_refused_is_retried_even_for_post() {
    let port = {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind");
        listener.local_addr().expect("address").port()
    };
    let base = format!("http://127.0.0.1:{port}");
    let mut config = authed(&base);
    config.retry.max_attempts = 3;
    let recorder = TraceRecorder::new();
    config.trace = Some(recorder.sink());
    let (client, clock) = make_client(config);
    let error = client
        .request(Method::Post, "/x", Body::Empty, false)
        .expect_err("nothing listens");
    assert!(
        matches!(error, Error::Connect { attempts: 3, .. }),
        "{error:?}"
    );
    let message = error.to_string();
    assert!(
        message.starts_with(&format!(
            "could not connect to {base}/x after 3 attempt(s): "
        )),
        "{message}"
    );
    assert!(
        message.ends_with("— check --api-url / network"),
        "{message}"
    );
    assert_eq!(clock.sleeps().len(), 2);
    let events = recorder.events();
    assert_eq!(events.len(), 3);
    assert!(events[0].retry_in.is_some() && events[2].retry_in.is_none());
    assert!(events
        .iter()
        .all(|e| e.status.is_none() && e.error.is_some()));
}

#[test]
fn slow_server_times_out() {
    let server = Server::scripted(vec![Action::Stall(Duration::from_millis(1500))]);
    let mut config = authed(&server.base);
    config.timeouts.request = Duration::from_millis(300);
    config.retry.max_attempts = 1;
    let (client, _clock) = make_client(config);
    let started = Instant::now();
    let error = client.get("/slow").expect_err("times out");
    assert!(started.elapsed() < Duration::from_millis(1400));
    assert!(
        matches!(
            error,
            Error::Timeout {
                attempts: 1,
                retried: true,
                ..
            }
        ),
        "{error:?}"
    );
    assert!(error.to_string().contains("timed out"), "{error}");
}

#[test]
fn redirect_to_another_host_drops_authorization() {
    let other = Server::other_host(|_, _| Action::json(200, r#"{"from":"other"}"#));
    let target = other.url("/archive.zip");
    let api = Server::start(
        IpAddr::V4(Ipv4Addr::LOCALHOST),
        None,
        move |seen, base| match seen.path.as_str() {
            "/old" => Action::status(301).with_header("Location", "/new?x=1"),
            "/new?x=1" => Action::status(302).with_header("Location", &target),
            _ => Action::status(404).with_header("X-Base", base),
        },
    );
    let recorder = TraceRecorder::new();
    let mut config = authed(&api.base).default_header("X-GitHub-Api-Version", "2022-11-28");
    config.trace = Some(recorder.sink());
    let (client, _clock) = make_client(config);
    let response = client.get("/old").expect("followed");
    assert_eq!(response.status, 200);
    assert_eq!(response.url, other.url("/archive.zip"));
    let api_seen = api.seen();
    assert_eq!(api_seen.len(), 2);
    let bearer = format!("Bearer {TOKEN}");
    assert!(api_seen
        .iter()
        .all(|s| s.header("authorization") == Some(&*bearer)));
    let other_seen = other.seen();
    assert_eq!(other_seen.len(), 1);
    assert_eq!(
        other_seen[0].header("authorization"),
        None,
        "{:?}",
        other_seen[0]
    );
    assert!(other_seen[0]
        .headers
        .iter()
        .all(|(_, v)| !v.contains(TOKEN)));
    let events = recorder.events();
    assert_eq!(
        events
            .iter()
            .map(|e| (e.redirect, e.authenticated, e.status))
            .collect::<Vec<_>>(),
        [
            (0, true, Some(301)),
            (1, true, Some(302)),
            (2, false, Some(200))
        ]
    );
}

#[test]
fn redirects_of_writes() {
    let other = Server::other_host(|_, _| Action::status(200));
    let other_url = other.url("/elsewhere");
    let api = Server::start(
        IpAddr::V4(Ipv4Addr::LOCALHOST),
        None,
        move |seen, _| match seen.path.as_str() {
            "/moved-here" => Action::status(307).with_header("Location", "/here"),
            "/moved-away" => Action::status(307).with_header("Location", &other_url),
            "/found" => Action::status(302).with_header("Location", "/here"),
            "/see-other" => Action::status(303).with_header("Location", "/result"),
            "/loop" => Action::status(308).with_header("Location", "/loop"),
            _ => Action::status(201),
        },
    );
    let (client, _clock) = make_client(authed(&api.base));
    let body = || Body::Json(serde_json::json!({"sha": "abc"}));

    // 307 on the same host: same method, same body, same credential.
    let response = client
        .request(Method::Patch, "/moved-here", body(), false)
        .expect("followed");
    assert_eq!(response.status, 201);
    let seen = api.seen();
    assert_eq!(
        (seen[1].method.as_str(), seen[1].path.as_str()),
        ("PATCH", "/here")
    );
    assert_eq!(seen[1].body, br#"{"sha":"abc"}"#);
    assert!(seen[1].header("authorization").is_some());

    // 307 to another host would carry the body there: refused.
    let error = client
        .request(Method::Post, "/moved-away", body(), false)
        .expect_err("refused");
    assert!(matches!(error, Error::Redirect { .. }), "{error:?}");
    assert!(
        error.to_string().contains("request body to another host"),
        "{error}"
    );
    assert!(other.seen().is_empty());

    // A 302 of a write is the caller's to handle, not silently turned into a GET.
    let response = client
        .request(Method::Post, "/found", body(), false)
        .expect("a response");
    assert_eq!(response.status, 302);

    // 303: GET without the body.
    let response = client
        .request(Method::Post, "/see-other", body(), false)
        .expect("followed");
    assert_eq!((response.status, response.method), (201, Method::Get));
    let last = api.seen().pop().expect("a request");
    assert_eq!(
        (last.method.as_str(), last.path.as_str(), last.body.len()),
        ("GET", "/result", 0)
    );

    let error = client.get("/loop").expect_err("loops");
    assert!(
        matches!(error, Error::TooManyRedirects { limit: 5, .. }),
        "{error:?}"
    );
}

#[test]
fn absolute_urls_on_another_host_get_no_credentials() {
    let other = Server::other_host(|_, _| Action::status(200));
    let api = Server::scripted(vec![]);
    let (client, _clock) = make_client(authed(&api.base));
    let error = client.get(&other.url("/x")).expect_err("refused");
    assert!(matches!(error, Error::ForeignHost { .. }), "{error:?}");
    assert!(error.to_string().contains("not on the API host"), "{error}");
    assert!(other.seen().is_empty());

    let response = client
        .send(Request::new(Method::Get, other.url("/x")).without_credentials())
        .expect("explicitly unauthenticated");
    assert_eq!(response.status, 200);
    assert_eq!(other.seen()[0].header("authorization"), None);

    // Same origin as an absolute URL (a pagination link) is fine.
    let response = client.get(&api.url("/page2")).expect("same host");
    assert_eq!(response.status, 500);
    assert!(api.seen()[0].header("authorization").is_some());
}

#[test]
fn plain_http_credentials_only_for_loopback() {
    for base in [
        "http://example.com/api",
        "http://10.1.2.3:8080",
        "http://[::2]/",
    ] {
        let error = HttpClient::new(authed(base)).expect_err("refused");
        assert!(
            matches!(error, Error::InsecureCredentials { .. }),
            "{error:?}"
        );
        let message = error.to_string();
        assert!(message.contains("plain http"), "{message}");
        assert!(message.contains("https://"), "{message}");
    }
    for base in [
        "https://example.com/api",
        "http://127.0.0.1:9",
        "http://localhost:9",
        "http://[::1]:9",
    ] {
        HttpClient::new(authed(base)).expect("allowed");
    }
    HttpClient::new(config("http://example.com/api")).expect("no credential, no risk");
    let error = HttpClient::new(authed("https://user:pw@example.com/")).expect_err("userinfo");
    assert!(!error.to_string().contains("pw@"), "{error}");
    assert!(HttpConfig::with_defaults("ftp://example.com").is_err());
    assert!(HttpConfig::with_defaults("not a url").is_err());
}

#[test]
fn multipart_body_arrives_intact() {
    let server = Server::scripted(vec![Action::status(201)]);
    let (client, _clock) = make_client(authed(&server.base));
    let form = Multipart::new()
        .text("message", "Build 7\n\nhttps://ci/7")
        .text("branch", "amplication")
        .text("parents", "0123abcd")
        .file("apps/orders/src/main.ts", b"console.log(1)\n".to_vec())
        .file("apps/orders/bin/tool", vec![0, 1, 2, 255])
        .text("files", "apps/orders/old.ts");
    let response = client
        .request(
            Method::Post,
            "/2.0/repositories/w/r/src",
            Body::Multipart(form.clone()),
            false,
        )
        .expect("sent");
    assert_eq!(response.status, 201);
    let seen = &server.seen()[0];
    let content_type = seen.header("content-type").expect("content type");
    assert!(content_type.starts_with("multipart/form-data; boundary=gensync-"));
    let parts = parse_multipart(content_type, &seen.body);
    let expected: Vec<_> = form
        .parts
        .iter()
        .map(|p| {
            (
                p.name.clone(),
                p.filename.clone(),
                p.content_type.clone(),
                p.data.clone(),
            )
        })
        .collect();
    assert_eq!(parts, expected);
    assert_eq!(parts[3].1.as_deref(), Some("main.ts"));
}

#[test]
fn github_pagination_follows_link_headers() {
    let server = Server::start(IpAddr::V4(Ipv4Addr::LOCALHOST), None, |seen, base| {
        let page: u32 = seen
            .path
            .split_once("&page=")
            .and_then(|(_, p)| p.parse().ok())
            .unwrap_or(1);
        let body = format!("[{}, {}]", 2 * page - 1, 2 * page);
        let action = Action::json(200, &body);
        if page < 3 {
            let link = format!(
                r#"<{base}/repos/o/r/pulls?per_page=2&page={}>; rel="next", <{base}/repos/o/r/pulls?per_page=2&page=3>; rel="last""#,
                page + 1
            );
            action.with_header("Link", &link)
        } else {
            action
        }
    });
    let (client, _clock) = make_client(authed(&server.base));
    let all: Vec<u32> = client
        .get_all("/repos/o/r/pulls?per_page=2", None)
        .expect("three pages");
    assert_eq!(all, [1, 2, 3, 4, 5, 6]);
    assert_eq!(server.seen().len(), 3);
    assert!(server
        .seen()
        .iter()
        .all(|s| s.header("authorization").is_some()));

    let error = client
        .pages("/repos/o/r/pulls?per_page=2")
        .max_pages(2)
        .collect::<Result<Vec<_>, _>>()
        .expect_err("over the cap");
    assert!(
        matches!(error, Error::TooManyPages { max_pages: 2, .. }),
        "{error:?}"
    );
}

#[test]
fn bitbucket_pagination_follows_next_fields() {
    let server = Server::start(IpAddr::V4(Ipv4Addr::LOCALHOST), None, |seen, base| {
        match seen.path.as_str() {
            "/2.0/repositories/w?pagelen=2" => Action::json(
                200,
                &format!(
                    r#"{{"values":[{{"slug":"a"}},{{"slug":"b"}}],"next":"{base}/2.0/repositories/w?pagelen=2&page=2"}}"#
                ),
            ),
            // A relative next link is resolved against the server, not the base path.
            "/2.0/repositories/w?pagelen=2&page=2" => Action::json(
                200,
                r#"{"values":[{"slug":"c"}],"next":"/2.0/repositories/w?pagelen=2&page=3"}"#,
            ),
            "/2.0/repositories/w?pagelen=2&page=3" => Action::json(200, r#"{"values":[]}"#),
            _ => Action::json(404, r#"{"type":"error","error":{"message":"nope"}}"#),
        }
    });
    let (client, _clock) = make_client(authed(&format!("{}/2.0", server.base)));
    #[derive(Debug, serde::Deserialize)]
    struct Repo {
        slug: String,
    }
    let repos: Vec<Repo> = client
        .get_all("/repositories/w?pagelen=2", None)
        .expect("listing");
    assert_eq!(
        repos.iter().map(|r| r.slug.as_str()).collect::<Vec<_>>(),
        ["a", "b", "c"]
    );

    let error = client
        .get_all::<Repo>("/repositories/missing", None)
        .expect_err("404");
    assert_eq!(error.status(), Some(404));
    assert!(error.to_string().ends_with(": nope"), "{error}");
}

#[test]
fn secrets_never_reach_messages_or_traces() {
    let basic = Credential::Basic {
        username: "bot".into(),
        password: Secret::new("app-pass-9f8e7d6c"),
    };
    let echo = |seen: &server::Seen, _: &str| {
        let auth = seen.header("authorization").unwrap_or_default().to_owned();
        Action::json(401, &format!(r#"{{"message":"bad credentials: {auth}"}}"#))
            .with_header("X-Echo", &auth)
    };
    let server = Server::start(IpAddr::V4(Ipv4Addr::LOCALHOST), None, echo);
    for credential in [Credential::Bearer(Secret::new(TOKEN)), basic] {
        let recorder = TraceRecorder::new();
        let mut config = config(&server.base).credential(credential.clone());
        config.trace = Some(recorder.sink());
        let (client, _clock) = make_client(config);
        let response = client
            .get("/user?access_token=leaky")
            .expect("a 401 response");
        assert!(response.text().contains("bad credentials: "));
        let error = client.error_for_status(response).expect_err("401");
        let message = format!("{error} {error:?}");
        assert_no_token(&message);
        assert!(!message.contains("app-pass-9f8e7d6c"), "{message}");
        assert!(!message
            .contains(&base64::engine::general_purpose::STANDARD.encode("bot:app-pass-9f8e7d6c")));
        assert!(!message.contains("leaky"), "{message}");
        assert!(message.contains("bad credentials: "), "{message}");
        for event in recorder.events() {
            let line = format!("{event} {event:?}");
            assert_no_token(&line);
            assert!(!line.contains("leaky"), "{line}");
        }
        assert_no_token(&format!("{client:?}"));
    }
}

#[test]
fn trace_counts_requests_and_bytes() {
    let server = Server::scripted(vec![Action::status(500), Action::json(200, r#"{"a":1}"#)]);
    let recorder = TraceRecorder::new();
    let mut config = authed(&server.base);
    config.trace = Some(recorder.sink());
    let (client, clock) = make_client(config);
    client
        .request(
            Method::Put,
            "/x",
            Body::Json(serde_json::json!({"k": "v"})),
            true,
        )
        .expect("retried");
    let events = recorder.events();
    assert_eq!(events.len(), 2);
    assert_eq!(events[0].retry_in, Some(clock.sleeps()[0]));
    assert_eq!(events[0].status, Some(500));
    assert_eq!(
        recorder.totals(),
        TraceTotals {
            exchanges: 2,
            bytes_sent: 2 * br#"{"k":"v"}"#.len() as u64,
            bytes_received: 7
        }
    );
    let line = events[1].to_string();
    assert!(
        line.starts_with(&format!("PUT {}/x -> 200 in ", server.base)),
        "{line}"
    );
    assert!(
        line.ends_with("(attempt 2, 9 B sent, 7 B received)"),
        "{line}"
    );
}

#[test]
fn request_timeout_from_the_environment() {
    assert_eq!(
        client::timeout_from(Some("0.5".into())).expect("valid"),
        Some(std::time::Duration::from_millis(500))
    );
    assert_eq!(client::timeout_from(None).expect("valid"), None);
    for bad in ["0", "-1", "soon", "inf"] {
        let error = client::timeout_from(Some(bad.into())).expect_err("invalid");
        assert!(
            error.to_string().contains("GENSYNC_HTTP_TIMEOUT"),
            "{error}"
        );
    }
}

#[test]
fn retry_scale_from_the_environment() {
    // The variable itself is not set here: tests share the process environment.
    assert_eq!(
        client::scale_from(Some("0.25".into())).expect("valid"),
        Some(0.25)
    );
    assert_eq!(client::scale_from(None).expect("valid"), None);
    let error = client::scale_from(Some("quick".into())).expect_err("not a number");
    assert_eq!(
        error.to_string(),
        "invalid HTTP setting GENSYNC_RETRY_SCALE = `quick`: expected a number such as 1.0 or 0.01"
    );
}

#[test]
fn credential_headers_given_per_request_follow_the_same_rules() {
    let other = Server::other_host(|_, _| Action::status(200));
    let target = other.url("/x");
    let api = Server::start(IpAddr::V4(Ipv4Addr::LOCALHOST), None, move |_, _| {
        Action::status(302).with_header("Location", &target)
    });
    // No configured credential; an App JWT given on the request instead.
    let (client, _clock) = make_client(config(&api.base));
    let response = client
        .send(
            Request::new(Method::Get, "/app").header("Authorization", "Bearer header.payload.sig"),
        )
        .expect("followed");
    assert_eq!(response.status, 200);
    assert_eq!(
        api.seen()[0].header("authorization"),
        Some("Bearer header.payload.sig")
    );
    assert_eq!(other.seen()[0].header("authorization"), None);

    // A per-request Authorization replaces the configured one rather than doubling it.
    let (client, _clock) = make_client(authed(&api.base));
    client
        .send(Request::new(Method::Get, "/app").header("authorization", "Bearer jwt"))
        .expect("followed");
    let seen = api.seen().pop().expect("a request");
    assert_eq!(
        seen.headers
            .iter()
            .filter(|(k, _)| k == "authorization")
            .count(),
        1
    );
    assert_eq!(seen.header("authorization"), Some("Bearer jwt"));

    // And they are refused over plain http to a non-loopback host.
    let error = HttpClient::new(config("http://example.com").default_header("Cookie", "s=1"))
        .expect_err("refused");
    assert!(
        matches!(error, Error::InsecureCredentials { .. }),
        "{error:?}"
    );
    let (client, _clock) = make_client(config("http://example.com"));
    let error = client
        .send(Request::new(Method::Get, "/x").header("Authorization", "Bearer jwt"))
        .expect_err("refused");
    assert!(
        matches!(error, Error::InsecureCredentials { .. }),
        "{error:?}"
    );
}

#[test]
fn client_is_shareable_across_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<HttpClient>();
    assert_send_sync::<Error>();
    assert_send_sync::<Response>();
}

#[test]
fn secondary_limit_message_names_the_wait_not_the_primary_reset() {
    let clock = FakeClock::new();
    let primary_reset = (clock.epoch_secs() + 1800).to_string();
    let server = Server::scripted(vec![Action::json(
        403,
        r#"{"message":"secondary rate limit"}"#,
    )
    .with_header("Retry-After", "600")
    .with_header("X-RateLimit-Remaining", "4000")
    .with_header("X-RateLimit-Reset", &primary_reset)]);
    let client = HttpClient::with_clock(authed(&server.base), clock.clone()).expect("valid config");
    let error = client.get("/x").expect_err("600 s is more than max_delay");
    let until = httpdate::fmt_http_date(clock.now() + Duration::from_secs(600));
    let message = error.to_string();
    assert!(
        message.contains(&format!("the server asks to wait 600 s (until {until})")),
        "{message}"
    );
    assert!(matches!(&error, Error::RateLimited { resets_at: Some(at), .. } if *at == until));
}

fn gzip(data: &[u8]) -> Vec<u8> {
    use std::io::Write as _;
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(data).expect("compresses");
    encoder.finish().expect("compresses")
}

fn answer(body: Vec<u8>, gzipped: bool) -> Action {
    let mut headers = vec![("Content-Type".to_owned(), "application/json".to_owned())];
    if gzipped {
        headers.push(("Content-Encoding".into(), "gzip".into()));
    }
    Action::Respond {
        status: 200,
        headers,
        body,
    }
}

#[test]
fn metadata_answers_have_a_lower_cap_than_content() {
    let big = vec![b' '; 3 << 20];
    let server = Server::scripted(vec![
        answer(big.clone(), false),
        answer(big.clone(), false),
        answer(big.clone(), false),
    ]);
    let mut config = authed(&server.base);
    config.max_metadata_bytes = 2 << 20;
    config.max_response_bytes = 4 << 20;
    let (client, _clock) = make_client(config);
    let error = client.get("/repos/o/r/git/trees/x").expect_err("too large");
    assert!(matches!(error, Error::TooLarge { limit, encoding: None, .. } if limit == 2 << 20));
    let message = error.to_string();
    assert!(
        message.contains("is larger than 2 MiB") && message.contains("/repos/o/r/git/trees/x"),
        "{message}"
    );
    assert!(!message.contains("invalid HTTP setting"), "{message}");
    // Not retried: the same answer would come back.
    assert_eq!(server.seen().len(), 1);
    let blob = client
        .send(Request::new(Method::Get, "/repos/o/r/git/blobs/y").content())
        .expect("a blob may be larger");
    assert_eq!(blob.body.len(), big.len());
    // The content cap holds too.
    let mut config = authed(&server.base);
    config.max_response_bytes = 1 << 20;
    let (client, _clock) = make_client(config);
    let error = client
        .send(Request::new(Method::Get, "/blob").content())
        .expect_err("too large");
    assert!(
        error.to_string().contains("is larger than 1 MiB"),
        "{error}"
    );
    assert_eq!(
        HttpConfig::with_defaults("https://x.example")
            .unwrap()
            .max_metadata_bytes,
        32 << 20
    );
}

#[test]
fn a_gzip_bomb_is_reported_as_such() {
    let bomb = gzip(&vec![0u8; 16 << 20]);
    assert!(bomb.len() < 100 << 10, "{} bytes compressed", bomb.len());
    let server = Server::scripted(vec![
        answer(bomb.clone(), true),
        answer(gzip(br#"{"ok":true}"#), true),
    ]);
    let mut config = authed(&server.base);
    config.max_metadata_bytes = 1 << 20;
    let (client, _clock) = make_client(config);
    let error = client.get("/repos/o/r").expect_err("a bomb");
    let message = error.to_string();
    assert!(
        message.contains(&format!(
            "the answer from {}/repos/o/r decompresses past 1 MiB",
            server.base
        )),
        "{message}"
    );
    assert!(message.contains("gzip-compressed"), "{message}");
    assert!(
        message.contains(&format!("{} bytes on the wire", bomb.len())),
        "{message}"
    );
    assert!(!message.contains("invalid HTTP setting"), "{message}");
    // A small gzipped answer is read, decompressed.
    let ok = client.get("/repos/o/r").expect("small");
    assert_eq!(ok.body, br#"{"ok":true}"#);
}

#[test]
fn error_bodies_are_redacted_at_the_root() {
    // A server echoing the request's credential in every kind of error answer: JSON, an HTML
    // page, plain text, a non-UTF-8 body.
    let echo = |seen: &server::Seen, _: &str| {
        let auth = seen.header("authorization").unwrap_or_default().to_owned();
        match seen.path.as_str() {
            "/json" => Action::json(422, &format!(r#"{{"message":"no: {auth}"}}"#)),
            "/html" => Action::Respond {
                status: 502,
                headers: vec![("Content-Type".into(), "text/html".into())],
                body: format!("<html><body>upstream saw {auth}</body></html>").into_bytes(),
            },
            "/bytes" => Action::Respond {
                status: 500,
                headers: Vec::new(),
                body: [&[0xff, 0xfe][..], auth.as_bytes()].concat(),
            },
            _ => Action::json(200, &format!(r#"{{"data":"{auth}"}}"#)),
        }
    };
    let server = Server::start(IpAddr::V4(Ipv4Addr::LOCALHOST), None, echo);
    let mut config = authed(&server.base);
    config.retry.max_attempts = 1;
    let (client, _clock) = make_client(config);
    for path in ["/json", "/html", "/bytes"] {
        let response = client.get(path).expect("an answer");
        assert!(!response.is_success());
        let text = response.text();
        assert_no_token(&text);
        assert!(text.contains("Bearer ***"), "{path}: {text}");
    }
    // A 2xx answer is data and stays as it is (a blob may hold any bytes).
    let ok = client.get("/data").expect("an answer");
    assert!(ok.text().contains(TOKEN));
    // Whatever reaches the final message is scrubbed with every client's secrets.
    assert_eq!(redact_known(&format!("x {TOKEN} y")), "x *** y");
}
