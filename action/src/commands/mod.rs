//! One module per subcommand.

pub mod changes;
pub mod config;
pub mod manifest;
pub mod repo;
pub mod sync;
