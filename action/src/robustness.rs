//! No-panic property tests of what gensync parses from outside (issue 7): the project file
//! (`gensync.toml`) and provider responses (JSON bodies, `Link` pagination, `Retry-After` and
//! rate-limit headers). The cargo-fuzz targets in `fuzz/` cover the core's parsers; these run
//! in every `cargo test --workspace`.

use std::path::Path;
use std::time::{Duration, SystemTime};

use proptest::prelude::*;

use crate::http::{next_page, Method, Response};

fn response(status: u16, headers: Vec<(String, String)>, body: Vec<u8>) -> Response {
    Response {
        status,
        headers,
        body,
        method: Method::Get,
        url: "https://api.github.com/repos/o/r".into(),
        attempts: 1,
    }
}

/// Text that looks like TOML often enough to reach past the syntax check.
fn tomlish() -> impl Strategy<Value = String> {
    let line = prop_oneof![
        Just("[project]".to_owned()),
        Just("[[services]]".to_owned()),
        "[a-z_]{1,12} = \"[ -~]{0,20}\"",
        "[a-z_]{1,12} = [0-9]{1,4}",
        "[a-z_]{1,12} = (true|false)",
        "[a-z_]{1,12} = \\[\"[a-z/.]{0,10}\"\\]",
        "[ -~]{0,30}",
    ];
    prop::collection::vec(line, 0..12).prop_map(|l| l.join("\n"))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, ..ProptestConfig::default() })]

    #[test]
    fn project_file_parsing_never_panics(text in any::<String>()) {
        let _ = crate::config::parse(Path::new("/work/gensync.toml"), text);
    }

    #[test]
    fn tomlish_project_files_never_panic(text in tomlish()) {
        let _ = crate::config::parse(Path::new("gensync.toml"), text);
    }

    #[test]
    fn response_bodies_never_panic(body in prop::collection::vec(any::<u8>(), 0..256), status in 100u16..600) {
        let r = response(status, Vec::new(), body);
        let _ = r.json::<serde_json::Value>();
        let _ = r.json::<std::collections::BTreeMap<String, String>>();
    }

    #[test]
    fn pagination_and_rate_limit_headers_never_panic(
        link in "[ -~]{0,120}",
        retry_after in "[ -~]{0,40}",
        reset in "[0-9a-zA-Z :,-]{0,30}",
        remaining in "[0-9a-z-]{0,6}",
        status in prop::sample::select(vec![200u16, 301, 403, 408, 429, 500, 502, 503]),
        now in 0u64..4_000_000_000,
    ) {
        let r = response(
            status,
            vec![
                ("link".into(), link.clone()),
                ("link".into(), format!("<{link}>; rel=\"next\"")),
                ("retry-after".into(), retry_after.clone()),
                ("x-ratelimit-reset".into(), reset.clone()),
                ("x-ratelimit-remaining".into(), remaining),
            ],
            br#"{"message": "You have exceeded a secondary rate limit"}"#.to_vec(),
        );
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(now);
        let _ = next_page(&r);
        let _ = crate::http::retry::classify_status(&r, now);
        let _ = crate::http::retry::parse_retry_after(&retry_after, now);
        let _ = crate::http::retry::parse_reset(&reset);
    }
}
