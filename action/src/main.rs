//! The `gensync` binary: a thin shell over `gensync-core` that reads folders, talks to the
//! providers and reports. The core decides; this crate does the I/O.

use clap::Parser;

mod build_output;
mod cli;
mod commands;
mod http;

fn main() -> std::process::ExitCode {
    let cli = cli::Cli::parse();
    let result = match &cli.command {
        cli::Command::Manifest(args) => commands::manifest::run(args),
        cli::Command::Changes(args) => commands::changes::run(args),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
