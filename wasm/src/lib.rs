//! gensync's change preview for JavaScript: the same `gensync-core` code a sync runs, compiled to
//! WebAssembly with wasm-bindgen.
//!
//! Three functions and a class are exported (TypeScript types are generated into the package):
//! - `preview(input)`: the change set (the JSON `gensync changes --format json` prints), a
//!   `git diff` patch with line counts for every file the sync commit writes or deletes, totals,
//!   the sync branch's name, the commit message and the pull request's title and body;
//! - `manifest(files)`: the manifest text gensync would commit for a build;
//! - `hashBlob(data)`: a git blob id, as `git hash-object` prints it;
//! - `SyncMachine`: the sync's own state machine in dry run, whose needs a page answers from a
//!   real repository (see `www/remote.js`), and whose `preview()` answers as `preview()` does.
//!
//! `preview()` runs the same machine, its needs answered from the input: its branch, commit
//! plan, texts, conflicts and merges are a sync's by construction.
//!
//! Errors are thrown as JavaScript `Error`s carrying the core's message (a bad path, every bad
//! manifest line, an empty build, an invalid branch name) or naming the malformed input field.
//!
//! Keys are snake_case, in the input as in the output, because the output's `changes` must be
//! exactly the CLI's JSON. Modes are git's octal strings; a file whose mode is not given (a
//! browser cannot see the executable bit) keeps the mode the previous build recorded for its
//! path, else `100644`.
#![deny(missing_docs)]
#![forbid(unsafe_code)]

use gensync_core::preview::{self, Previous};
use gensync_core::{hash_blob as core_hash_blob, BuildManifest, Mode};
use wasm_bindgen::prelude::*;

mod input;
mod machine;

pub use machine::SyncMachine;

#[wasm_bindgen(typescript_custom_section)]
const TYPES: &'static str = r#"
/** A git file mode. */
export type FileMode = "100644" | "100755" | "120000";

/** One file of a build. */
export interface FileInput {
  /** Relative, `/`-separated, normalised path (no `.`, `..`, `.git`, leading `/`). */
  path: string;
  /** The contents; a string is encoded as UTF-8. */
  data: Uint8Array | string;
  /**
   * The mode. Omit it when unknown (browsers cannot see the executable bit): the file then
   * keeps the mode the previous build recorded for its path, else `100644`.
   */
  mode?: FileMode;
}

/** What to preview: the previous build, the new build, and the repository's state. */
export interface PreviewInput {
  /** The previous build's manifest text (`.amplication/manifest`). Exclusive with `previous_files`. */
  previous_manifest?: string | Uint8Array;
  /** The previous build's files; their contents make the diffs of modified and deleted files. */
  previous_files?: FileInput[];
  /** The new build's files. */
  files: FileInput[];
  /**
   * The sync branch's current tree: the text of `git ls-tree -r [-z] <branch>` (as
   * `gensync changes --branch-tree`), or an object `{ [repoPath]: { mode, oid } }`.
   */
  branch_tree?: string | Uint8Array | Record<string, { mode: FileMode; oid: string }>;
  /** Contents of branch blobs (found by their id): lets edited files be merged and diffed. */
  branch_blobs?: (Uint8Array | string)[];
  /** The `.amplicationignore` text; its patterns are relative to the target dir. */
  ignore?: string | Uint8Array;
  /** Everything else a sync is told. */
  options?: PreviewOptions;
}

/** Options of a preview (the sync's flags). */
export interface PreviewOptions {
  /** The repository folder the build maps to (default: the root). */
  target_dir?: string;
  /** Overlapping edits: `markers` (default), `generated`, `branch` or `fail`. */
  conflicts?: "markers" | "generated" | "branch" | "fail";
  /** Accept an empty build (it deletes every generated file). */
  allow_empty?: boolean;
  /** Write new versions of ignored files below this folder of the target dir. */
  ignored_to?: string;
  /** The build's message: first line = title. Without it there are no commit/PR texts. */
  message?: string;
  /** The build id (`Build-Id` trailer, `{id}` in branch templates). */
  build_id?: string;
  /** A link to the build. */
  build_url?: string;
  /** `single` (branch `amplication`, default) or `per-build` (`amplication-build-{id}`). */
  strategy?: "single" | "per-build";
  /** A branch template overriding the strategy's, e.g. `amplication-{service}`. */
  branch_template?: string;
  /** The service name for `{service}`. */
  service?: string;
  /** Unchanged lines around each change in the diffs (default 3). */
  context_lines?: number;
}

/** A file written or deleted, as the change set lists it. */
export interface FileChange {
  path: string;
  mode: FileMode;
  oid: string;
  previous_mode?: FileMode;
  previous_oid?: string;
}

/** A tree entry (mode and blob id). */
export interface TreeEntry {
  mode: FileMode;
  oid: string;
}

/** The change set, exactly as `gensync changes --format json` prints it. */
export interface ChangeSet {
  target_dir: string;
  added: FileChange[];
  modified: FileChange[];
  deleted: FileChange[];
  renamed: { from: string; to: string; mode: FileMode; oid: string }[];
  ignored: {
    path: string;
    change: "added" | "modified" | "deleted";
    mode: FileMode;
    oid: string;
    copied_to?: string;
  }[];
  conflicts: {
    path: string;
    kind: "both-modified" | "both-added" | "deleted-by-generator" | "deleted-on-branch" | "file-folder";
    base: TreeEntry | null;
    branch: TreeEntry | null;
    generated: TreeEntry | null;
    blocked_by?: string;
    state: "pending" | "merged" | "markers" | "resolved";
    kept?: "branch" | "generated" | "none";
  }[];
  already_on_branch: string[];
  preserved_edits: string[];
  manifest_path: string;
}

/** One file of the sync commit with its diff. */
export interface FileDiff {
  /** Repository path (the new path of a rename). */
  path: string;
  /** The old path of a rename. */
  old_path?: string;
  status: "added" | "modified" | "deleted" | "renamed";
  old_mode: FileMode | null;
  new_mode: FileMode | null;
  old_oid: string | null;
  new_oid: string | null;
  /** Either side is binary: flagged, not diffed. */
  binary: boolean;
  /** Both sides' contents were known, so lines were compared. */
  contents_known: boolean;
  added_lines: number;
  removed_lines: number;
  /** The file's `git diff` patch (hunks only when contents are known and not binary). */
  patch: string;
}

/** What a sync of the build would do. */
export interface Preview {
  changes: ChangeSet;
  /** False: nothing to commit (operation `none`, no commit, no pull request). */
  would_commit: boolean;
  counts: { added: number; modified: number; deleted: number; renamed: number; ignored: number; conflicts: number };
  files: FileDiff[];
  totals: { files: number; added_lines: number; removed_lines: number; binary_files: number; unknown_files: number };
  /** The sync branch. */
  branch: string;
  /** The commit message (null without a build message). */
  commit_message: string | null;
  /** The pull request's title and body (null without a build message). */
  pull_request: { title: string; body: string } | null;
  /** The new manifest's text, committed at `changes.manifest_path`. */
  manifest: string;
  /**
   * The commit the sync would make, as its machine plans it (null: nothing to commit, no
   * message, or a conflict that needs the branch's version of a file to merge).
   */
  plan: CommitPlan | null;
}

/** A write of a commit plan; its contents are a file of the build or inline (base64). */
export interface PlannedWrite {
  path: string;
  mode: FileMode;
  oid: string;
  /** The repository already has the blob. */
  exists: boolean;
  source: { generated: { service: number; path: string } } | { inline: { content_base64: string } };
}

/** The commit a sync would make. */
export interface CommitPlan {
  branch: string;
  parent: { id: string; tree: string };
  create_branch: boolean;
  writes: PlannedWrite[];
  deletions: string[];
  message: string;
  author: { name: string; email: string } | null;
}
"#;

fn js_error(e: impl std::fmt::Display) -> JsError {
    JsError::new(&e.to_string())
}

/// Preview what a sync of the new build would commit: change set, diffs, branch, texts.
///
/// Throws an `Error` with the core's message when a sync would stop (bad path, bad manifest
/// line, empty build, invalid branch name, conflicts under `conflicts: "fail"`), or naming the
/// malformed input field.
#[wasm_bindgen(unchecked_return_type = "Preview")]
pub fn preview(
    #[wasm_bindgen(unchecked_param_type = "PreviewInput")] input: JsValue,
) -> Result<JsValue, JsError> {
    let input = input::preview_input(&input).map_err(|e| JsError::new(&e.0))?;
    let empty;
    let previous = match &input.previous {
        input::Previous::None => {
            empty = BuildManifest::empty(input::HASH_KIND);
            Previous::Manifest(&empty)
        }
        input::Previous::Manifest(m) => Previous::Manifest(m),
        input::Previous::Files(s) => Previous::Files(s),
    };
    let extra: Vec<&[u8]> = input.branch_blobs.iter().map(Vec::as_slice).collect();
    let result = preview::preview(
        &preview::Input {
            previous,
            next: &input.next,
            ignore: input.ignore.as_deref(),
            branch: input.branch.as_ref(),
            extra_blobs: &extra,
        },
        &input.options,
    )
    .map_err(js_error)?;
    let json = serde_json::to_string(&result).map_err(js_error)?;
    js_sys::JSON::parse(&json).map_err(|_| JsError::new("cannot hand the preview to JavaScript"))
}

/// The manifest text gensync would commit for a build's files (sorted, one line per file).
///
/// Files without a mode are regular (`100644`). Throws on an invalid or duplicate path.
#[wasm_bindgen]
pub fn manifest(
    #[wasm_bindgen(unchecked_param_type = "FileInput[]")] files: JsValue,
) -> Result<String, JsError> {
    let files = input::files(&files, "files").map_err(|e| JsError::new(&e.0))?;
    let snapshot = input::snapshot(files, |_| Mode::Regular).map_err(|e| JsError::new(&e.0))?;
    Ok(BuildManifest::from_snapshot(&snapshot).to_text())
}

/// The git blob id (lowercase hex) of `data`, as `git hash-object` prints it.
#[wasm_bindgen(js_name = hashBlob)]
pub fn hash_blob(
    #[wasm_bindgen(unchecked_param_type = "Uint8Array | string")] data: JsValue,
) -> Result<String, JsError> {
    let data = input::bytes(&data, "data").map_err(|e| JsError::new(&e.0))?;
    Ok(core_hash_blob(input::HASH_KIND, &data).to_string())
}
