//! WebAssembly wrapper over `gensync-core` (see issue 5).
