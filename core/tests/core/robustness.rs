//! No input makes a parser panic: arbitrary bytes and strings through every parser of the core.
//! (The same functions are cargo-fuzz targets in `fuzz/` for longer runs.)

use gensync_core::{
    branch, manifest::BuildManifest, message, path, tree_listing, IgnoreRules, Mode,
};
use proptest::prelude::*;

fn pathish() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop::sample::select(vec![
            "a", "..", ".", "", "/", ".git", ".GIT", "\0", "\n", "ü", "\\", "b c", "*", "!", "#",
        ]),
        0..8,
    )
    .prop_map(|parts| parts.concat())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn path_validation_never_panics_and_accepted_paths_are_normal(p in prop_oneof![pathish(), any::<String>()]) {
        if path::validate(&p).is_ok() {
            prop_assert!(!p.starts_with('/') && !p.contains("//") && !p.split('/').any(|s| s == ".." || s == "." || s.eq_ignore_ascii_case(".git")));
            prop_assert!(!p.bytes().any(|b| b < 0x20));
        }
    }

    #[test]
    fn manifest_parsing_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..400), lines in prop::collection::vec(pathish(), 0..6)) {
        let _ = BuildManifest::parse(&bytes);
        let text = format!("# gensync manifest v1 sha1\n{}", lines.iter().map(|l| format!("100644 e69de29bb2d1d6434b8b29ae775ad8c2e48c5391 {l}\n")).collect::<String>());
        if let Ok(m) = BuildManifest::parse(text.as_bytes()) {
            // Whatever parses, round-trips.
            prop_assert_eq!(BuildManifest::parse(m.to_text().as_bytes()).expect("round trip"), m);
        }
    }

    #[test]
    fn ignore_parsing_and_matching_never_panic(rules in prop::collection::vec(pathish(), 0..6), bytes in prop::collection::vec(any::<u8>(), 0..200), p in pathish()) {
        let r = IgnoreRules::from_bytes(rules.join("\n").as_bytes());
        let _ = r.is_ignored(&p);
        let r = IgnoreRules::from_bytes(&bytes);
        let _ = r.is_ignored("a/b/c");
    }

    #[test]
    fn tree_listing_parsing_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..300), p in pathish()) {
        let _ = tree_listing::parse(&bytes);
        let _ = tree_listing::parse(format!("100644 blob e69de29bb2d1d6434b8b29ae775ad8c2e48c5391\t\"{p}\"\n").as_bytes());
    }

    #[test]
    fn small_parsers_never_panic(s in any::<String>(), t in "[a-z{}#. /-]{0,20}") {
        let _ = Mode::parse(&s);
        let _ = message::parse_trailers(&s);
        let _ = branch::render(&t, Some(&s), Some("svc"));
        let _ = gensync_core::payload::github::Signature::parse(&s);
    }
}
