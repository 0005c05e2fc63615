//! `gensync manifest DIR`: the manifest of a build output folder.

use anyhow::Context;

use crate::cli::ManifestArgs;

/// Run the command.
pub fn run(args: &ManifestArgs) -> anyhow::Result<()> {
    let output = crate::build_output::read(&args.dir, gensync_core::HashKind::Sha1, 0)?;
    let text = gensync_core::BuildManifest::from_snapshot(&output.snapshot).to_text();
    match &args.output {
        Some(path) => std::fs::write(path, text)
            .with_context(|| format!("cannot write {}", path.display()))?,
        None => print!("{text}"),
    }
    Ok(())
}
