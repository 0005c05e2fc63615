#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(s) = std::str::from_utf8(data) {
        if gensync_core::path::validate(s).is_ok() {
            assert!(!s.starts_with('/') && !s.split('/').any(|p| p.is_empty() || p == ".." || p == "."));
        }
        let _ = gensync_core::path::normalise_dir(s);
    }
});
