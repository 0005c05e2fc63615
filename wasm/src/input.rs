//! Reading the JavaScript arguments into core types, with errors that name the bad field.

use gensync_core::branch::Strategy;
use gensync_core::changeset::{self, BranchTree};
use gensync_core::message::BuildInfo;
use gensync_core::snapshot::{Entry, Snapshot};
use gensync_core::{hash_blob, BuildManifest, ConflictPolicy, HashKind, Mode};
use js_sys::{Array, Object, Reflect, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};

/// The object format of every id (what gensync's manifests support).
pub const HASH_KIND: HashKind = HashKind::Sha1;

/// An input error: the message a JS exception carries.
#[derive(Debug)]
pub struct Error(pub String);

impl<E: std::fmt::Display> From<E> for Error {
    fn from(e: E) -> Self {
        Error(e.to_string())
    }
}

fn fail<T>(message: impl Into<String>) -> Result<T, Error> {
    Err(Error(message.into()))
}

/// The keys of `obj`, refused if any is not in `known` (a misspelt key would otherwise be
/// silently ignored and the preview would answer another question).
fn check_keys(obj: &JsValue, what: &str, known: &[&str]) -> Result<(), Error> {
    if !obj.is_object() || Array::is_array(obj) {
        return fail(format!("{what} must be an object"));
    }
    for key in Object::keys(obj.unchecked_ref::<Object>()).iter() {
        let key = key.as_string().unwrap_or_default();
        if !known.contains(&key.as_str()) {
            return fail(format!(
                "unknown key {key:?} in {what}; expected one of: {}",
                known.join(", ")
            ));
        }
    }
    Ok(())
}

/// `obj[key]`, or `None` when absent, `undefined` or `null`.
fn get(obj: &JsValue, key: &str) -> Option<JsValue> {
    Reflect::get(obj, &JsValue::from_str(key))
        .ok()
        .filter(|v| !v.is_undefined() && !v.is_null())
}

fn string(obj: &JsValue, key: &str, what: &str) -> Result<Option<String>, Error> {
    match get(obj, key) {
        None => Ok(None),
        Some(v) => match v.as_string() {
            Some(s) => Ok(Some(s)),
            None => fail(format!("{what}.{key} must be a string")),
        },
    }
}

fn boolean(obj: &JsValue, key: &str, what: &str) -> Result<bool, Error> {
    match get(obj, key) {
        None => Ok(false),
        Some(v) => match v.as_bool() {
            Some(b) => Ok(b),
            None => fail(format!("{what}.{key} must be a boolean")),
        },
    }
}

/// File contents: a `Uint8Array` (also a Node `Buffer`) or a string (UTF-8 encoded).
pub fn bytes(value: &JsValue, what: &str) -> Result<Vec<u8>, Error> {
    if let Some(text) = value.as_string() {
        return Ok(text.into_bytes());
    }
    match value.dyn_ref::<Uint8Array>() {
        Some(array) => Ok(array.to_vec()),
        None => fail(format!("{what} must be a Uint8Array or a string")),
    }
}

/// One `FileInput`: path, contents, and the mode if known.
pub struct File {
    /// The path as given.
    pub path: String,
    /// The contents.
    pub data: Vec<u8>,
    /// The mode, `None` when unknown.
    pub mode: Option<Mode>,
}

/// Read a `FileInput[]`.
pub fn files(value: &JsValue, what: &str) -> Result<Vec<File>, Error> {
    if !Array::is_array(value) {
        return fail(format!(
            "{what} must be an array of {{ path, data, mode? }} objects"
        ));
    }
    let array: &Array = value.unchecked_ref();
    let mut out = Vec::with_capacity(array.length() as usize);
    for (i, item) in array.iter().enumerate() {
        let at = format!("{what}[{i}]");
        check_keys(&item, &at, &["path", "data", "mode"])?;
        let Some(path) = string(&item, "path", &at)? else {
            return fail(format!("{at}.path is missing"));
        };
        let Some(data) = get(&item, "data") else {
            return fail(format!("{at}.data is missing (file {path:?})"));
        };
        let data = bytes(&data, &format!("{at}.data"))?;
        let mode = string(&item, "mode", &at)?
            .map(|m| Mode::parse(&m).map_err(|e| Error(format!("{at} ({path:?}): {e}"))))
            .transpose()?;
        out.push(File { path, data, mode });
    }
    Ok(out)
}

/// A snapshot of `files`, keeping the contents. A file of unknown mode takes `mode_of(path)`.
pub fn snapshot(files: Vec<File>, mode_of: impl Fn(&str) -> Mode) -> Result<Snapshot, Error> {
    let mut snapshot = Snapshot::new(HASH_KIND);
    for f in files {
        let mode = f.mode.unwrap_or_else(|| mode_of(&f.path));
        let oid = hash_blob(HASH_KIND, &f.data);
        snapshot.insert(
            &f.path,
            Entry {
                mode,
                oid,
                data: Some(f.data),
            },
        )?;
    }
    snapshot.check_structure()?;
    Ok(snapshot)
}

/// The previous build as given.
pub enum Previous {
    /// No previous build (a first sync).
    None,
    /// Its manifest.
    Manifest(BuildManifest),
    /// Its files.
    Files(Snapshot),
}

/// Everything `preview()` was given, read.
pub struct PreviewInput {
    /// The previous build.
    pub previous: Previous,
    /// The new build.
    pub next: Snapshot,
    /// The ignore file's text (it sits at the target dir, as with `--ignore-file`).
    pub ignore: Option<Vec<u8>>,
    /// The sync branch's tree.
    pub branch: Option<BranchTree>,
    /// Extra contents (the branch's versions of edited files).
    pub branch_blobs: Vec<Vec<u8>>,
    /// The preview options.
    pub options: gensync_core::preview::Options,
}

const INPUT_KEYS: &[&str] = &[
    "previous_manifest",
    "previous_files",
    "files",
    "branch_tree",
    "branch_blobs",
    "ignore",
    "options",
];

const OPTION_KEYS: &[&str] = &[
    "target_dir",
    "conflicts",
    "allow_empty",
    "ignored_to",
    "message",
    "build_id",
    "build_url",
    "strategy",
    "branch_template",
    "service",
    "context_lines",
];

/// Read a `PreviewInput` object.
pub fn preview_input(value: &JsValue) -> Result<PreviewInput, Error> {
    check_keys(value, "the preview input", INPUT_KEYS)?;
    let options = match get(value, "options") {
        Some(o) => options(&o)?,
        None => gensync_core::preview::Options::default(),
    };
    let previous = match (
        get(value, "previous_manifest"),
        get(value, "previous_files"),
    ) {
        (Some(_), Some(_)) => {
            return fail("give previous_manifest or previous_files, not both");
        }
        (Some(m), None) => {
            let text = bytes(&m, "previous_manifest")?;
            let manifest = BuildManifest::parse(&text)
                .map_err(|e| Error(format!("previous manifest: {e}")))?;
            Previous::Manifest(manifest)
        }
        (None, Some(f)) => {
            Previous::Files(snapshot(files(&f, "previous_files")?, |_| Mode::Regular)?)
        }
        (None, None) => Previous::None,
    };
    let Some(next) = get(value, "files") else {
        return fail("files (the new build) is missing");
    };
    let next_files = files(&next, "files")?;
    // A mode the caller does not know (a browser cannot see the executable bit) is taken to be
    // unchanged: the previous build's mode for the path, else a regular file.
    let next = snapshot(next_files, |path| match &previous {
        Previous::Manifest(m) => m.get(path).map_or(Mode::Regular, |e| e.mode),
        Previous::Files(s) => s.get(path).map_or(Mode::Regular, |e| e.mode),
        Previous::None => Mode::Regular,
    })?;
    let ignore = ignore(value, &options)?;
    let branch = match get(value, "branch_tree") {
        None => None,
        Some(v) if v.is_string() || v.is_instance_of::<Uint8Array>() => Some(
            gensync_core::tree_listing::parse(&bytes(&v, "branch_tree")?)
                .map_err(|e| Error(format!("branch_tree: {e}")))?,
        ),
        Some(v) => {
            let json = js_sys::JSON::stringify(&v)
                .map_err(|_| Error("branch_tree cannot be read as JSON".into()))?;
            let json: String = json.into();
            Some(
                serde_json::from_str::<BranchTree>(&json)
                    .map_err(|e| Error(format!("branch_tree: {e}")))?,
            )
        }
    };
    let branch_blobs = match get(value, "branch_blobs") {
        None => Vec::new(),
        Some(v) if Array::is_array(&v) => {
            let array: &Array = v.unchecked_ref();
            array
                .iter()
                .enumerate()
                .map(|(i, b)| bytes(&b, &format!("branch_blobs[{i}]")))
                .collect::<Result<_, _>>()?
        }
        Some(_) => return fail("branch_blobs must be an array of Uint8Array or strings"),
    };
    Ok(PreviewInput {
        previous,
        next,
        ignore,
        branch,
        branch_blobs,
        options,
    })
}

/// The `ignore` text of an input, its target dir checked.
fn ignore(
    value: &JsValue,
    options: &gensync_core::preview::Options,
) -> Result<Option<Vec<u8>>, Error> {
    let Some(text) = get(value, "ignore") else {
        return Ok(None);
    };
    gensync_core::path::normalise_dir(&options.changes.target_dir)
        .map_err(|e| Error(format!("options.target_dir: {e}")))?;
    Ok(Some(bytes(&text, "ignore")?))
}

/// Everything `new SyncMachine(job)` was given, read.
pub struct MachineJob {
    /// The new build.
    pub next: Snapshot,
    /// The local ignore file's text.
    pub ignore: Option<Vec<u8>>,
    /// The sync's options.
    pub options: gensync_core::preview::Options,
}

/// Read a `SyncMachineJob` object.
pub fn machine_job(value: &JsValue) -> Result<MachineJob, Error> {
    check_keys(
        value,
        "the sync machine's job",
        &["files", "ignore", "options"],
    )?;
    let options = match get(value, "options") {
        Some(o) => options(&o)?,
        None => gensync_core::preview::Options::default(),
    };
    let Some(next) = get(value, "files") else {
        return fail("files (the new build) is missing");
    };
    let next = snapshot(files(&next, "files")?, |_| Mode::Regular)?;
    let ignore = ignore(value, &options)?;
    Ok(MachineJob {
        next,
        ignore,
        options,
    })
}

fn options(value: &JsValue) -> Result<gensync_core::preview::Options, Error> {
    const WHAT: &str = "options";
    check_keys(value, WHAT, OPTION_KEYS)?;
    let conflicts = match string(value, "conflicts", WHAT)?.as_deref() {
        None | Some("markers") => ConflictPolicy::Markers,
        Some("generated") => ConflictPolicy::Generated,
        Some("branch") => ConflictPolicy::Branch,
        Some("fail") => ConflictPolicy::Fail,
        Some(other) => {
            return fail(format!(
                "options.conflicts {other:?}: expected markers, generated, branch or fail"
            ))
        }
    };
    let strategy = match string(value, "strategy", WHAT)?.as_deref() {
        None | Some("single") => Strategy::Single,
        Some("per-build") => Strategy::PerBuild,
        Some(other) => {
            return fail(format!(
                "options.strategy {other:?}: expected single or per-build"
            ))
        }
    };
    let message = string(value, "message", WHAT)?;
    let build_id = string(value, "build_id", WHAT)?;
    let build_url = string(value, "build_url", WHAT)?;
    let build = BuildInfo {
        message: message.unwrap_or_default(),
        build_id,
        build_url,
    };
    let context_lines = match get(value, "context_lines") {
        None => gensync_core::diff::DEFAULT_CONTEXT_LINES,
        Some(v) => match v.as_f64() {
            Some(n) if (0.0..=1000.0).contains(&n) && n.fract() == 0.0 => n as u32,
            _ => return fail("options.context_lines must be a whole number from 0 to 1000"),
        },
    };
    Ok(gensync_core::preview::Options {
        changes: changeset::Options {
            target_dir: string(value, "target_dir", WHAT)?.unwrap_or_default(),
            allow_empty: boolean(value, "allow_empty", WHAT)?,
            ignored_to: string(value, "ignored_to", WHAT)?,
            conflicts,
        },
        build,
        strategy,
        branch_template: string(value, "branch_template", WHAT)?,
        service: string(value, "service", WHAT)?,
        context_lines,
    })
}
