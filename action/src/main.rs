//! The `gensync` binary: a thin shell over `gensync-core` that reads folders, talks to the
//! providers and reports. The core decides; this crate does the I/O.

use clap::Parser;

mod build_output;
mod cli;
mod commands;
mod http;
mod providers;
mod sync;

fn main() -> std::process::ExitCode {
    let cli = cli::Cli::parse();
    let result = match &cli.command {
        cli::Command::Manifest(args) => commands::manifest::run(args),
        cli::Command::Changes(args) => commands::changes::run(args),
        cli::Command::Sync(args) => commands::sync::run(args).and_then(|o| commands::sync::report(&o, args.json)),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
