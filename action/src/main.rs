//! The `gensync` binary.
fn main() {}
