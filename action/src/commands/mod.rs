//! One module per subcommand.

pub mod changes;
pub mod manifest;
pub mod sync;
