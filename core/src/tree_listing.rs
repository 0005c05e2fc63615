//! Reading a branch tree listing in the format of `git ls-tree -r [-z] <commit>`.
//!
//! This lets a person (or the preview page) give gensync the current tree of the sync branch
//! without gensync reading a repository: `git ls-tree -r amplication > tree.txt`.

use gix_hash::ObjectId;

use crate::changeset::{BranchTree, TreeEntry};
use crate::snapshot::Mode;

/// Errors reading a listing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// A record that is not `<mode> <type> <id>\t<path>`.
    #[error("tree listing record {record}: {reason} ({text:?}); expected the output of `git ls-tree -r`")]
    BadRecord {
        /// 1-based record number.
        record: usize,
        /// The record.
        text: String,
        /// What is wrong.
        reason: String,
    },
}

/// Parse `git ls-tree -r` output (newline-separated with git's C-style quoting, or `-z`
/// NUL-separated). Entries that are not blobs (submodules) are skipped.
pub fn parse(bytes: &[u8]) -> Result<BranchTree, Error> {
    let nul = bytes.contains(&0);
    let sep = if nul { 0u8 } else { b'\n' };
    let mut tree = BranchTree::new();
    for (i, record) in bytes.split(|b| *b == sep).enumerate() {
        if record.is_empty() {
            continue;
        }
        let text = String::from_utf8_lossy(record).into_owned();
        let bad = |reason: &str| Error::BadRecord {
            record: i + 1,
            text: text.clone(),
            reason: reason.into(),
        };
        let (meta, path) = text
            .split_once('\t')
            .ok_or_else(|| bad("no tab before the path"))?;
        let mut parts = meta.split(' ');
        let (Some(mode), Some(kind), Some(oid), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(bad("expected \"<mode> <type> <id>\""));
        };
        if kind != "blob" {
            continue;
        }
        let mode = Mode::parse(mode).map_err(|e| bad(&e.to_string()))?;
        let oid = ObjectId::from_hex(oid.as_bytes()).map_err(|_| bad("bad object id"))?;
        let path = if !nul && path.starts_with('"') {
            unquote(path).ok_or_else(|| bad("bad quoted path"))?
        } else {
            path.to_owned()
        };
        tree.insert(path, TreeEntry { mode, oid });
    }
    Ok(tree)
}

/// Undo git's C-style path quoting (`"a\tb\303\251"`).
fn unquote(quoted: &str) -> Option<String> {
    let inner = quoted.strip_prefix('"')?.strip_suffix('"')?.as_bytes();
    let mut out = Vec::with_capacity(inner.len());
    let mut i = 0;
    while i < inner.len() {
        let b = inner[i];
        if b != b'\\' {
            out.push(b);
            i += 1;
            continue;
        }
        let next = *inner.get(i + 1)?;
        i += 2;
        out.push(match next {
            b'n' => b'\n',
            b't' => b'\t',
            b'r' => b'\r',
            b'a' => 7,
            b'b' => 8,
            b'f' => 12,
            b'v' => 11,
            b'"' => b'"',
            b'\\' => b'\\',
            b'0'..=b'3' => {
                let digits = inner.get(i - 1..i + 2)?;
                i += 2;
                u8::from_str_radix(std::str::from_utf8(digits).ok()?, 8).ok()?
            }
            _ => return None,
        });
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_plain_quoted_and_nul_separated() {
        let text = "100644 blob e69de29bb2d1d6434b8b29ae775ad8c2e48c5391\ta b.txt\n100755 blob e69de29bb2d1d6434b8b29ae775ad8c2e48c5391\t\"caf\\303\\251\\tx\"\n160000 commit e69de29bb2d1d6434b8b29ae775ad8c2e48c5391\tsub\n";
        let tree = parse(text.as_bytes()).unwrap();
        assert_eq!(tree.len(), 2);
        assert_eq!(tree["café\tx"].mode, Mode::Executable);
        let z = "120000 blob e69de29bb2d1d6434b8b29ae775ad8c2e48c5391\tl\0";
        assert_eq!(parse(z.as_bytes()).unwrap()["l"].mode, Mode::Symlink);
        assert!(matches!(
            parse(b"junk\n"),
            Err(Error::BadRecord { record: 1, .. })
        ));
    }
}
