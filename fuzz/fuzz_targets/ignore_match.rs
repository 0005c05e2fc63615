#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let split = data.iter().position(|b| *b == 0xff).unwrap_or(data.len());
    let rules = gensync_core::IgnoreRules::from_bytes(&data[..split]);
    if let Ok(path) = std::str::from_utf8(data.get(split + 1..).unwrap_or_default()) {
        let _ = rules.is_ignored(path);
    }
});
