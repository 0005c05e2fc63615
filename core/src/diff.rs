//! Unified diffs with line counts, in the format `git diff` prints (for the change preview).
//!
//! Lines are compared with gitoxide's blob diff (imara-diff, histogram algorithm, git's
//! indent-based slider heuristics), the same diff machinery the three-way [`merge`](crate::merge)
//! uses. [`lines()`] diffs two contents into hunks and counts; [`FilePatch`] adds the
//! `diff --git` header (new/deleted file, mode change, rename, `Binary files … differ`) so a
//! renderer such as diff2html, or `git apply`, reads the result as one file of a git patch.
//!
//! ```
//! let diff = gensync_core::diff::lines(b"a\nb\nc\n", b"a\nB\nc\nd\n", 3);
//! assert_eq!((diff.added, diff.removed), (2, 1));
//! assert_eq!(diff.hunks, "@@ -1,3 +1,4 @@\n a\n-b\n+B\n c\n+d\n");
//! ```

use gix_diff::blob::{Algorithm, Diff, InternedInput};
use gix_hash::ObjectId;

use crate::snapshot::Mode;

/// The number of unchanged lines shown around each change by default, as `git diff`.
pub const DEFAULT_CONTEXT_LINES: u32 = 3;

/// A line diff of two contents.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LineDiff {
    /// Lines only in the new content.
    pub added: u32,
    /// Lines only in the old content.
    pub removed: u32,
    /// The hunks in unified format (`@@ -a,b +c,d @@` headers, ` `/`-`/`+` lines, and
    /// `\ No newline at end of file` where git prints it); empty when the contents are equal.
    /// Invalid UTF-8 is replaced (the counts are exact regardless).
    pub hunks: String,
}

/// Whether content is binary the way git decides it (a NUL in the first 8000 bytes).
pub fn is_binary(data: &[u8]) -> bool {
    crate::merge::is_binary(data)
}

/// Diff `old` and `new` line by line, with `context` unchanged lines around each change.
pub fn lines(old: &[u8], new: &[u8], context: u32) -> LineDiff {
    let input = InternedInput::new(old, new);
    let mut diff = Diff::compute(Algorithm::Histogram, &input);
    diff.postprocess_lines(&input);
    let mut out = LineDiff {
        added: diff.count_additions(),
        removed: diff.count_removals(),
        hunks: String::new(),
    };
    if out.added == 0 && out.removed == 0 {
        return out;
    }
    // Group changes whose context overlaps into one hunk, as git does.
    let changes: Vec<_> = diff.hunks().collect();
    let (n_before, n_after) = (input.before.len() as u32, input.after.len() as u32);
    let old_line = |t: u32| -> &[u8] { input.interner[input.before[t as usize]] };
    // git's hunk headers carry the nearest line above the hunk that looks like a function
    // (xdiff's default: it starts with a letter, `_` or `$`), searched back to the previous
    // hunk's start and kept from the previous hunk when none is found there.
    let mut function = String::new();
    let mut searched_to: Option<u32> = None; // the previous hunk's first line
    let mut i = 0;
    while i < changes.len() {
        let mut j = i;
        while j + 1 < changes.len()
            && changes[j + 1].before.start - changes[j].before.end <= 2 * context
        {
            j += 1;
        }
        let first = &changes[i];
        let last = &changes[j];
        let lead = context.min(first.before.start);
        let trail = context.min(n_before - last.before.end);
        let before = (first.before.start - lead)..(last.before.end + trail);
        let after = (first.after.start - lead)..(last.after.end + trail).min(n_after);
        let mut l = before.start;
        while l > searched_to.unwrap_or(0) {
            l -= 1;
            if let Some(name) = function_name(old_line(l)) {
                function = name;
                break;
            }
        }
        searched_to = Some(before.start);
        push_header(&mut out.hunks, before.clone(), after.clone(), &function);
        let mut pos = before.start;
        for change in &changes[i..=j] {
            for t in pos..change.before.start {
                push_line(
                    &mut out.hunks,
                    ' ',
                    input.interner[input.before[t as usize]],
                );
            }
            for t in change.before.clone() {
                push_line(
                    &mut out.hunks,
                    '-',
                    input.interner[input.before[t as usize]],
                );
            }
            for t in change.after.clone() {
                push_line(&mut out.hunks, '+', input.interner[input.after[t as usize]]);
            }
            pos = change.before.end;
        }
        for t in pos..before.end {
            push_line(
                &mut out.hunks,
                ' ',
                input.interner[input.before[t as usize]],
            );
        }
        i = j + 1;
    }
    out
}

/// `@@ -start,len +start,len @@` as git writes it: a length of 1 is left out, and an empty
/// range names the line before it.
fn push_header(
    out: &mut String,
    before: std::ops::Range<u32>,
    after: std::ops::Range<u32>,
    function: &str,
) {
    fn range(r: std::ops::Range<u32>) -> String {
        match r.end - r.start {
            0 => format!("{},0", r.start),
            1 => format!("{}", r.start + 1),
            n => format!("{},{n}", r.start + 1),
        }
    }
    out.push_str(&format!("@@ -{} +{} @@", range(before), range(after)));
    if !function.is_empty() {
        out.push(' ');
        out.push_str(function);
    }
    out.push('\n');
}

/// xdiff's default function-line rule: a line starting with a letter, `_` or `$`, cut to 80
/// bytes, trailing whitespace removed.
fn function_name(line: &[u8]) -> Option<String> {
    let first = *line.first()?;
    if !(first.is_ascii_alphabetic() || first == b'_' || first == b'$') {
        return None;
    }
    let mut cut = &line[..line.len().min(80)];
    while let Some((last, rest)) = cut.split_last() {
        if !last.is_ascii_whitespace() {
            break;
        }
        cut = rest;
    }
    Some(String::from_utf8_lossy(cut).into_owned())
}

fn push_line(out: &mut String, prefix: char, line: &[u8]) {
    out.push(prefix);
    match line.strip_suffix(b"\n") {
        Some(body) => {
            out.push_str(&String::from_utf8_lossy(body));
            out.push('\n');
        }
        None => {
            out.push_str(&String::from_utf8_lossy(line));
            out.push_str("\n\\ No newline at end of file\n");
        }
    }
}

/// One side of a [`FilePatch`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Side<'a> {
    /// Repository path.
    pub path: &'a str,
    /// Mode.
    pub mode: Mode,
    /// Blob id.
    pub oid: ObjectId,
    /// The contents, when known.
    pub data: Option<&'a [u8]>,
}

/// One file's change as a `git diff` patch: header plus hunks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilePatch {
    /// The patch text (`diff --git a/… b/…`, mode/rename/index lines, `---`/`+++`, hunks).
    /// When a side's contents are unknown there are no hunks.
    pub text: String,
    /// Whether either side is binary (then no lines are compared).
    pub binary: bool,
    /// Whether both sides' contents were known (absent sides count as known and empty).
    pub contents_known: bool,
    /// Lines added (0 when binary or unknown).
    pub added: u32,
    /// Lines removed (0 when binary or unknown).
    pub removed: u32,
}

impl FilePatch {
    /// The patch from `old` to `new` (`None` = the file does not exist on that side), with
    /// `context` lines around each change.
    ///
    /// Panics if both sides are `None`.
    pub fn new(old: Option<Side<'_>>, new: Option<Side<'_>>, context: u32) -> Self {
        let any = old.or(new).expect("a patch needs at least one side");
        let (a, b) = (
            old.map_or(any.path, |s| s.path),
            new.map_or(any.path, |s| s.path),
        );
        let mut text = format!("diff --git a/{a} b/{b}\n");
        let null = ObjectId::null(any.oid.kind());
        match (old, new) {
            (None, Some(n)) => text.push_str(&format!("new file mode {}\n", n.mode)),
            (Some(o), None) => text.push_str(&format!("deleted file mode {}\n", o.mode)),
            (Some(o), Some(n)) => {
                if o.mode != n.mode {
                    text.push_str(&format!("old mode {}\nnew mode {}\n", o.mode, n.mode));
                }
                if o.path != n.path {
                    let similarity = if o.oid == n.oid { "100%" } else { "" };
                    if !similarity.is_empty() {
                        text.push_str(&format!("similarity index {similarity}\n"));
                    }
                    text.push_str(&format!("rename from {}\nrename to {}\n", o.path, n.path));
                }
            }
            (None, None) => unreachable!("checked above"),
        }
        let old_oid = old.map_or(null, |s| s.oid);
        let new_oid = new.map_or(null, |s| s.oid);
        let (old_data, new_data) = (
            old.map_or(Some(&b""[..]), |s| s.data),
            new.map_or(Some(&b""[..]), |s| s.data),
        );
        let contents_known = old_data.is_some() && new_data.is_some();
        let binary = old_data.is_some_and(is_binary) || new_data.is_some_and(is_binary);
        let mut patch = FilePatch {
            text: String::new(),
            binary,
            contents_known,
            added: 0,
            removed: 0,
        };
        if old_oid != new_oid {
            text.push_str(&format!(
                "index {}..{}",
                old_oid.to_hex_with_len(7),
                new_oid.to_hex_with_len(7)
            ));
            match (old, new) {
                (Some(o), Some(n)) if o.mode == n.mode => text.push_str(&format!(" {}\n", o.mode)),
                _ => text.push('\n'),
            }
            let a_name = if old.is_some() {
                format!("a/{a}")
            } else {
                "/dev/null".into()
            };
            let b_name = if new.is_some() {
                format!("b/{b}")
            } else {
                "/dev/null".into()
            };
            if binary {
                text.push_str(&format!("Binary files {a_name} and {b_name} differ\n"));
            } else {
                text.push_str(&format!("--- {a_name}\n+++ {b_name}\n"));
                if let (Some(o), Some(n)) = (old_data, new_data) {
                    let diff = lines(o, n, context);
                    text.push_str(&diff.hunks);
                    patch.added = diff.added;
                    patch.removed = diff.removed;
                }
            }
        }
        patch.text = text;
        patch
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hash_blob;

    fn side<'a>(path: &'a str, data: &'a [u8]) -> Side<'a> {
        Side {
            path,
            mode: Mode::Regular,
            oid: hash_blob(gix_hash::Kind::Sha1, data),
            data: Some(data),
        }
    }

    #[test]
    fn hunks_merge_when_context_overlaps_and_split_otherwise() {
        let old: Vec<u8> = (1..=20)
            .flat_map(|i| format!("{i}\n").into_bytes())
            .collect();
        let new: String = (1..=20)
            .map(|i| match i {
                2 => "two\n".to_owned(),
                18 => "eighteen\n".to_owned(),
                i => format!("{i}\n"),
            })
            .collect();
        let diff = lines(&old, new.as_bytes(), 3);
        assert_eq!((diff.added, diff.removed), (2, 2));
        assert_eq!(
            diff.hunks,
            "@@ -1,5 +1,5 @@\n 1\n-2\n+two\n 3\n 4\n 5\n@@ -15,6 +15,6 @@\n 15\n 16\n 17\n-18\n+eighteen\n 19\n 20\n"
        );
        let joined = lines(&old, new.as_bytes(), 8);
        assert_eq!(joined.hunks.matches("@@ -").count(), 1, "{}", joined.hunks);
    }

    #[test]
    fn hunk_headers_name_the_function_above_as_git_does() {
        let old = b"fn a() {\n  1\n  2\n  3\n  4\n  5\n}\n";
        let new = b"fn a() {\n  1\n  2\n  3\n  4\n  five\n}\n";
        assert!(lines(old, new, 1)
            .hunks
            .starts_with("@@ -5,3 +5,3 @@ fn a() {\n"));
        assert!(lines(old, new, 8).hunks.starts_with("@@ -1,7 +1,7 @@\n"));
    }

    #[test]
    fn missing_final_newline_is_marked() {
        let diff = lines(b"a\nb", b"a\nb\n", 3);
        assert_eq!(
            diff.hunks,
            "@@ -1,2 +1,2 @@\n a\n-b\n\\ No newline at end of file\n+b\n"
        );
    }

    #[test]
    fn new_and_deleted_files_have_git_headers() {
        let p = FilePatch::new(None, Some(side("x.txt", b"1\n2\n")), 3);
        assert_eq!(
            p.text,
            "diff --git a/x.txt b/x.txt\nnew file mode 100644\nindex 0000000..1191247\n--- /dev/null\n+++ b/x.txt\n@@ -0,0 +1,2 @@\n+1\n+2\n"
        );
        assert_eq!((p.added, p.removed), (2, 0));
        let p = FilePatch::new(Some(side("x.txt", b"1\n")), None, 3);
        assert!(p.text.contains("deleted file mode 100644\nindex d00491f..0000000\n--- a/x.txt\n+++ /dev/null\n@@ -1 +0,0 @@\n-1\n"), "{}", p.text);
    }

    #[test]
    fn binary_unknown_mode_only_and_rename() {
        let p = FilePatch::new(Some(side("b.bin", b"\0a")), Some(side("b.bin", b"\0b")), 3);
        assert!(
            p.binary
                && p.text
                    .ends_with("Binary files a/b.bin and b/b.bin differ\n"),
            "{}",
            p.text
        );
        let mut unknown = side("u.txt", b"old\n");
        unknown.data = None;
        let p = FilePatch::new(Some(unknown), Some(side("u.txt", b"new\n")), 3);
        assert!(
            !p.contents_known && p.text.ends_with("+++ b/u.txt\n"),
            "{}",
            p.text
        );
        let mut exec = side("run.sh", b"x\n");
        exec.mode = Mode::Executable;
        let p = FilePatch::new(Some(side("run.sh", b"x\n")), Some(exec), 3);
        assert_eq!(
            p.text,
            "diff --git a/run.sh b/run.sh\nold mode 100644\nnew mode 100755\n"
        );
        let p = FilePatch::new(Some(side("a/x", b"x\n")), Some(side("b/x", b"x\n")), 3);
        assert_eq!(
            p.text,
            "diff --git a/a/x b/b/x\nsimilarity index 100%\nrename from a/x\nrename to b/x\n"
        );
    }
}
