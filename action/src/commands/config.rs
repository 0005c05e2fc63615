//! `gensync config check`: validate `gensync.toml` and print the resolved plan.

use std::io::Write as _;

use crate::cli::ConfigCheckArgs;
use crate::{config, settings};

/// Run the command.
pub fn check(args: &ConfigCheckArgs) -> anyhow::Result<()> {
    let file = config::load(&args.config)?;
    let flags = settings::Flags {
        build_id: args.build_id.clone(),
        services: args.service.clone(),
        ..Default::default()
    };
    let plan = settings::resolve(&flags, &|name| std::env::var(name).ok(), Some(&file))?;
    let mut out = std::io::stdout().lock();
    if args.json {
        writeln!(out, "{}", serde_json::to_string_pretty(&plan)?)?;
    } else {
        writeln!(
            out,
            "{}: valid, {} target(s)",
            args.config.display(),
            plan.targets.len()
        )?;
        write!(out, "{}", settings::describe(&plan))?;
    }
    Ok(())
}
