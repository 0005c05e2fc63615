//! `gensync changes`: the change set between a previous build and a new one.

use std::io::Write;
use std::path::Path;

use anyhow::Context;
use gensync_core::changeset::{self, ChangeSet, ConflictState};
use gensync_core::{BuildManifest, HashKind, IgnoreRules};

use crate::cli::{ChangeOptions, ChangesArgs, Format};

/// Run the command.
pub fn run(args: &ChangesArgs) -> anyhow::Result<()> {
    let kind = HashKind::Sha1;
    let next = crate::build_output::read(&args.next, kind, 0)?;
    let previous = match &args.previous {
        None => Previous::None,
        Some(p) if p.is_dir() => {
            // Only its ids are needed (and its files, for a merge): the paths move into the
            // manifest instead of being copied.
            let out = crate::build_output::read(p, kind, 0)?;
            Previous::Folder {
                root: out.root,
                manifest: BuildManifest::from_owned_snapshot(out.snapshot),
            }
        }
        Some(p) => {
            let bytes = std::fs::read(p)
                .with_context(|| format!("cannot read the previous manifest {}", p.display()))?;
            Previous::Manifest(
                BuildManifest::parse(&bytes)
                    .with_context(|| format!("in manifest {}", p.display()))?,
            )
        }
    };
    // Borrowed, not copied: at 100k files a manifest is ~10 MB.
    let recorded;
    let manifest = match &previous {
        Previous::None => {
            recorded = BuildManifest::empty(kind);
            &recorded
        }
        Previous::Folder { manifest, .. } | Previous::Manifest(manifest) => manifest,
    };
    let branch = match &args.branch_tree {
        Some(p) => {
            let bytes = std::fs::read(p)
                .with_context(|| format!("cannot read the branch tree {}", p.display()))?;
            Some(
                gensync_core::tree_listing::parse(&bytes)
                    .with_context(|| format!("in {}", p.display()))?,
            )
        }
        None => None,
    };
    let (ignore, options) = resolve_change_options(&args.change)?;
    let mut changes =
        changeset::compute(manifest, &next.snapshot, &ignore, branch.as_ref(), &options)?;
    // Conflicts can be merged here only when every side's contents are local (a previous
    // folder gives the base; the branch side must be a generated version too). Otherwise they
    // are listed as needing a merge, which a sync does with the repository's blobs.
    if let Previous::Folder { root, manifest } = &previous {
        changes.resolve_conflicts_if_known(
            &mut local_blobs(&next, root, manifest),
            Default::default(),
        )?;
    }
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    match args.format {
        Format::Json => {
            serde_json::to_writer_pretty(&mut out, &changes)?;
            writeln!(out)?;
        }
        Format::Text => write!(out, "{}", text_report(&changes))?,
    }
    out.flush()?;
    Ok(())
}

enum Previous {
    None,
    /// A previous build folder: where it is and what it holds.
    Folder {
        root: std::path::PathBuf,
        manifest: BuildManifest,
    },
    Manifest(BuildManifest),
}

/// Resolve the change-set flags into ignore rules and core options.
pub fn resolve_change_options(
    opts: &ChangeOptions,
) -> anyhow::Result<(IgnoreRules, changeset::Options)> {
    let target_dir = gensync_core::path::normalise_dir(&opts.target_dir).context("--target-dir")?;
    let mut ignore = IgnoreRules::new();
    if let Some(file) = &opts.ignore_file {
        ignore.add_file(&target_dir, &read_file(file, "ignore file")?);
    }
    let options = changeset::Options {
        target_dir,
        allow_empty: opts.allow_empty,
        ignored_to: opts.ignored_to.clone(),
        conflicts: opts.conflicts.into(),
    };
    Ok((ignore, options))
}

fn read_file(path: &Path, what: &str) -> anyhow::Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("cannot read the {what} {}", path.display()))
}

/// Contents by blob id from the two build folders (for merges when all sides are local).
fn local_blobs<'a>(
    next: &'a crate::build_output::BuildOutput,
    previous_root: &'a Path,
    previous: &'a BuildManifest,
) -> impl FnMut(&gensync_core::ObjectId) -> Option<Vec<u8>> + 'a {
    move |oid| {
        if let Some((path, _)) = next.snapshot.iter().find(|(_, e)| e.oid == *oid) {
            return next.read(path).ok();
        }
        let (path, _) = previous.iter().find(|(_, e)| e.oid == *oid)?;
        crate::build_output::read_file(previous_root, path).ok()
    }
}

/// The human-readable listing: one `A/M/D/R/I/C` line per path, then a summary line.
pub fn text_report(c: &ChangeSet) -> String {
    let mut lines: Vec<(String, String)> = Vec::new();
    for f in &c.added {
        lines.push((f.path.clone(), format!("A  {}", f.path)));
    }
    for f in &c.modified {
        let mode = match f.previous_mode {
            Some(m) if m != f.mode => format!(" (mode {m} -> {})", f.mode),
            _ => String::new(),
        };
        lines.push((f.path.clone(), format!("M  {}{mode}", f.path)));
    }
    for f in &c.deleted {
        lines.push((f.path.clone(), format!("D  {}", f.path)));
    }
    for r in &c.renamed {
        lines.push((r.to.clone(), format!("R  {} -> {}", r.from, r.to)));
    }
    for i in &c.ignored {
        let copied = i
            .copied_to
            .as_ref()
            .map(|p| format!(", new version in {p}"))
            .unwrap_or_default();
        lines.push((
            i.path.clone(),
            format!(
                "I  {} ({} by the generator; ignored{copied})",
                i.path,
                format!("{:?}", i.change).to_lowercase()
            ),
        ));
    }
    for k in &c.conflicts {
        let state = match &k.state {
            ConflictState::Pending => "needs a merge".to_owned(),
            ConflictState::Merged => "merged cleanly".to_owned(),
            ConflictState::Markers => "conflict markers".to_owned(),
            ConflictState::Resolved { kept } => format!("{kept:?} side kept").to_lowercase(),
        };
        let kind = k.kind;
        lines.push((k.path.clone(), format!("C  {} ({kind}: {state})", k.path)));
    }
    lines.sort();
    let mut out: String = lines.into_iter().map(|(_, l)| l + "\n").collect();
    let n = c.counts();
    out.push_str(&format!(
        "{} added, {} modified, {} deleted, {} renamed, {} ignored, {} conflicts",
        n.added, n.modified, n.deleted, n.renamed, n.ignored, n.conflicts
    ));
    if !c.preserved_edits.is_empty() {
        out.push_str(&format!(
            ", {} edited on the branch and kept",
            c.preserved_edits.len()
        ));
    }
    if c.is_empty() {
        out.push_str(" (nothing to commit)");
    }
    out.push('\n');
    out
}
