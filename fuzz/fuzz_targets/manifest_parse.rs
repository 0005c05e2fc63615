#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(m) = gensync_core::BuildManifest::parse(data) {
        let again = gensync_core::BuildManifest::parse(m.to_text().as_bytes()).expect("a parsed manifest round-trips");
        assert_eq!(again, m);
    }
});
