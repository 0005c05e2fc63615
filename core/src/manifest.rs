//! The build manifest: what the last build generated, path by path.
//!
//! It lives in the repository next to the generated code ([`PATH`] below the target dir) and is
//! the only source of truth for "what did the last build produce". The text format is made to
//! diff well in review: a version header, then one `<mode> <blob id> <path>` line per file,
//! sorted by path (byte order), `\n` line ends.
//!
//! ```text
//! # gensync manifest v1 sha1
//! # Written by gensync: the files the last build generated. Do not edit.
//! 100644 3b18e512dba79e4c8300dd08aeb37f8e728b8dad README.md
//! 100755 e69de29bb2d1d6434b8b29ae775ad8c2e48c5391 bin/run
//! ```

use std::collections::BTreeMap;

use gix_hash::ObjectId;

use crate::path;
use crate::snapshot::{Mode, Snapshot};

/// Where the manifest lives, relative to the target dir.
pub const PATH: &str = ".amplication/manifest";

/// The folder gensync keeps its own records in, relative to the target dir. Generated files may
/// not live here.
pub const RECORDS_DIR: &str = ".amplication";

/// The manifest format version this gensync writes and reads.
pub const VERSION: u32 = 1;

const HEADER_PREFIX: &str = "# gensync manifest v";
const COMMENT: &str = "# Written by gensync: the files the last build generated. Do not edit.";

/// One generated file as recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ManifestEntry {
    /// The file's mode as generated.
    pub mode: Mode,
    /// The blob id as generated.
    pub oid: ObjectId,
}

/// The record of what a build generated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildManifest {
    hash_kind: gix_hash::Kind,
    entries: BTreeMap<String, ManifestEntry>,
}

/// A line of a manifest that could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadLine {
    /// 1-based line number.
    pub line: usize,
    /// The line's text.
    pub text: String,
    /// What is wrong with it.
    pub reason: String,
}

impl std::fmt::Display for BadLine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}: {} ({:?})", self.line, self.reason, self.text)
    }
}

/// Errors reading a manifest.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// The first line is not a gensync manifest header.
    #[error("not a gensync manifest: line 1 is {first_line:?}, expected \"{HEADER_PREFIX}{VERSION} sha1\"")]
    MissingHeader {
        /// What line 1 holds.
        first_line: String,
    },
    /// The manifest was written by a newer gensync.
    #[error("the manifest is format version {version}, newer than this gensync reads ({VERSION}); upgrade gensync")]
    NewerVersion {
        /// The version found.
        version: u32,
    },
    /// The header names an object format this build does not support.
    #[error("the manifest uses object format {name:?}; this gensync supports sha1")]
    UnsupportedHashKind {
        /// The object format named in the header.
        name: String,
    },
    /// One or more entry lines are malformed; all of them are listed.
    #[error("malformed manifest: {}", .lines.iter().map(|l| l.to_string()).collect::<Vec<_>>().join("; "))]
    BadLines {
        /// Every bad line.
        lines: Vec<BadLine>,
    },
    /// The manifest is not UTF-8.
    #[error("the manifest is not UTF-8 text (byte offset {offset})")]
    NotUtf8 {
        /// Where the first invalid byte is.
        offset: usize,
    },
}

fn hash_kind_name(kind: gix_hash::Kind) -> &'static str {
    match kind {
        gix_hash::Kind::Sha1 => "sha1",
        #[allow(unreachable_patterns)]
        _ => "sha256",
    }
}

/// Construction and queries.
impl BuildManifest {
    /// An empty manifest (no previous build).
    pub fn empty(hash_kind: gix_hash::Kind) -> Self {
        BuildManifest {
            hash_kind,
            entries: BTreeMap::new(),
        }
    }

    /// The manifest of what `snapshot` holds, taking its paths instead of copying them (for a
    /// snapshot that is not needed any more: a previous build read from a folder).
    pub fn from_owned_snapshot(snapshot: Snapshot) -> Self {
        BuildManifest {
            hash_kind: snapshot.hash_kind(),
            entries: snapshot
                .into_entries()
                .map(|(p, e)| {
                    (
                        p,
                        ManifestEntry {
                            mode: e.mode,
                            oid: e.oid,
                        },
                    )
                })
                .collect(),
        }
    }

    /// The manifest of what `snapshot` holds.
    pub fn from_snapshot(snapshot: &Snapshot) -> Self {
        BuildManifest {
            hash_kind: snapshot.hash_kind(),
            entries: snapshot
                .iter()
                .map(|(p, e)| {
                    (
                        p.to_owned(),
                        ManifestEntry {
                            mode: e.mode,
                            oid: e.oid,
                        },
                    )
                })
                .collect(),
        }
    }

    /// Record a generated file (the path must be valid; it replaces any previous record).
    pub fn insert(&mut self, path: &str, entry: ManifestEntry) -> Result<(), path::Error> {
        path::validate(path)?;
        self.entries.insert(path.to_owned(), entry);
        Ok(())
    }

    /// The object format of the recorded ids.
    pub fn hash_kind(&self) -> gix_hash::Kind {
        self.hash_kind
    }

    /// The record of `path`.
    pub fn get(&self, path: &str) -> Option<&ManifestEntry> {
        self.entries.get(path)
    }

    /// All records, sorted by path.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &ManifestEntry)> {
        self.entries.iter().map(|(p, e)| (p.as_str(), e))
    }

    /// The number of recorded files.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True if no file is recorded.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// The text format.
impl BuildManifest {
    /// The manifest as text: header, then one sorted line per file.
    pub fn to_text(&self) -> String {
        render(
            self.hash_kind,
            self.entries.len(),
            self.entries
                .iter()
                .map(|(p, e)| (p.as_str(), e.mode, &e.oid)),
        )
    }

    /// The text of the manifest of `snapshot` (what a sync commits for that build), rendered
    /// straight from the snapshot: equal to `from_snapshot(snapshot).to_text()` without the
    /// copy of every path.
    pub fn text_of(snapshot: &Snapshot) -> String {
        render(
            snapshot.hash_kind(),
            snapshot.len(),
            snapshot.iter().map(|(p, e)| (p, e.mode, &e.oid)),
        )
    }

    /// Read a manifest. Every malformed line is reported, by number, in one error.
    pub fn parse(bytes: &[u8]) -> Result<Self, Error> {
        let text = std::str::from_utf8(bytes).map_err(|e| Error::NotUtf8 {
            offset: e.valid_up_to(),
        })?;
        let mut lines = text.lines().enumerate();
        let first = lines.next().map(|(_, l)| l).unwrap_or("");
        let rest = first
            .strip_prefix(HEADER_PREFIX)
            .ok_or_else(|| Error::MissingHeader {
                first_line: first.into(),
            })?;
        let (version, kind_name) = rest.split_once(' ').unwrap_or((rest, "sha1"));
        let version: u32 = version.trim().parse().map_err(|_| Error::MissingHeader {
            first_line: first.into(),
        })?;
        if version > VERSION {
            return Err(Error::NewerVersion { version });
        }
        let hash_kind = match kind_name.trim() {
            "sha1" => gix_hash::Kind::Sha1,
            other => return Err(Error::UnsupportedHashKind { name: other.into() }),
        };
        let mut entries = BTreeMap::new();
        let mut bad = Vec::new();
        for (idx, line) in lines {
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let line_no = idx + 1;
            match parse_entry(line, hash_kind) {
                Ok((path, entry)) => {
                    if entries.insert(path.to_owned(), entry).is_some() {
                        bad.push(BadLine {
                            line: line_no,
                            text: line.into(),
                            reason: format!("path {path:?} is listed twice"),
                        });
                    }
                }
                Err(reason) => bad.push(BadLine {
                    line: line_no,
                    text: line.into(),
                    reason,
                }),
            }
        }
        if !bad.is_empty() {
            return Err(Error::BadLines { lines: bad });
        }
        Ok(BuildManifest { hash_kind, entries })
    }
}

fn parse_entry(line: &str, hash_kind: gix_hash::Kind) -> Result<(&str, ManifestEntry), String> {
    let mut parts = line.splitn(3, ' ');
    let (Some(mode), Some(oid), Some(path)) = (parts.next(), parts.next(), parts.next()) else {
        return Err("expected \"<mode> <blob id> <path>\"".into());
    };
    let mode = Mode::parse(mode).map_err(|e| e.to_string())?;
    if oid.len() != hash_kind.len_in_hex() {
        return Err(format!(
            "{oid:?} is not a {}-character blob id",
            hash_kind.len_in_hex()
        ));
    }
    let oid = ObjectId::from_hex(oid.as_bytes())
        .map_err(|_| format!("{oid:?} is not a hexadecimal blob id"))?;
    path::validate(path).map_err(|e| e.to_string())?;
    if path == PATH {
        return Err(format!("path {path:?} is the manifest itself"));
    }
    Ok((path, ManifestEntry { mode, oid }))
}

/// The manifest text of `len` entries given in path order.
fn render<'a>(
    hash_kind: gix_hash::Kind,
    len: usize,
    entries: impl Iterator<Item = (&'a str, Mode, &'a ObjectId)>,
) -> String {
    use std::fmt::Write;
    let hex_len = hash_kind.len_in_hex();
    let mut out = String::with_capacity(80 + len * (hex_len + 40));
    out.push_str(HEADER_PREFIX);
    out.push_str(&VERSION.to_string());
    out.push(' ');
    out.push_str(hash_kind_name(hash_kind));
    out.push('\n');
    out.push_str(COMMENT);
    out.push('\n');
    for (path, mode, oid) in entries {
        out.push_str(mode.as_str());
        out.push(' ');
        write!(out, "{oid}").expect("writing to a String cannot fail");
        out.push(' ');
        out.push_str(path);
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> BuildManifest {
        let mut s = Snapshot::new(gix_hash::Kind::Sha1);
        s.insert_data("src/b.ts", Mode::Regular, b"b\n".to_vec())
            .unwrap();
        s.insert_data("a b.txt", Mode::Executable, b"".to_vec())
            .unwrap();
        BuildManifest::from_snapshot(&s)
    }

    #[test]
    fn round_trips_sorted() {
        let m = sample();
        let text = m.to_text();
        assert!(text.starts_with("# gensync manifest v1 sha1\n"));
        let lines: Vec<_> = text.lines().skip(2).collect();
        assert_eq!(
            lines[0],
            "100755 e69de29bb2d1d6434b8b29ae775ad8c2e48c5391 a b.txt"
        );
        assert!(lines[1].ends_with(" src/b.ts"));
        assert_eq!(BuildManifest::parse(text.as_bytes()).unwrap(), m);
    }

    #[test]
    fn malformed_lines_are_all_named() {
        let text = "# gensync manifest v1 sha1\n100644 e69de29bb2d1d6434b8b29ae775ad8c2e48c5391 ok\nbogus\n100644 zz ../x\n";
        let err = BuildManifest::parse(text.as_bytes()).unwrap_err();
        let Error::BadLines { lines } = &err else {
            panic!("{err}")
        };
        assert_eq!(lines.iter().map(|l| l.line).collect::<Vec<_>>(), vec![3, 4]);
        assert!(err.to_string().contains("line 3"), "{err}");
    }

    #[test]
    fn newer_version_and_missing_header() {
        assert_eq!(
            BuildManifest::parse(b"# gensync manifest v7 sha1\n"),
            Err(Error::NewerVersion { version: 7 })
        );
        assert!(matches!(
            BuildManifest::parse(b"hello\n"),
            Err(Error::MissingHeader { .. })
        ));
        assert!(matches!(
            BuildManifest::parse(b"# gensync manifest v1 md5\n"),
            Err(Error::UnsupportedHashKind { .. })
        ));
    }
}
