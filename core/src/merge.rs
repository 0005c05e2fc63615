//! Three-way merges of a file the generator changed and a person edited on the branch.
//!
//! base = the previously generated blob, ours = the branch's blob (the person's edit),
//! theirs = the newly generated blob. The text merge is gitoxide's (gix-merge's built-in text
//! driver, the one `git merge-file` mirrors); what happens to overlapping edits is the
//! [`ConflictPolicy`].

use bstr::BStr;
use gix_merge::blob::builtin_driver::text::{Conflict, ConflictStyle, Labels, Options};
use gix_merge::blob::Resolution;

/// What to do when a person's edit and the generator's change overlap.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum ConflictPolicy {
    /// Commit the file with conflict markers and list it; the person resolves it on the branch.
    #[default]
    Markers,
    /// Overlapping hunks take the generated side; the person's other edits are kept.
    Generated,
    /// Overlapping hunks keep the branch side; the generator's other changes are applied.
    Branch,
    /// Refuse the sync, naming the conflicting paths; nothing is pushed.
    Fail,
}

impl ConflictPolicy {
    /// The policy's name on the command line.
    pub fn as_str(&self) -> &'static str {
        match self {
            ConflictPolicy::Markers => "markers",
            ConflictPolicy::Generated => "generated",
            ConflictPolicy::Branch => "branch",
            ConflictPolicy::Fail => "fail",
        }
    }
}

/// How a three-way merge ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MergeOutcome {
    /// No overlapping edits: the result keeps both sides' changes.
    Clean(Vec<u8>),
    /// Overlapping edits, resolved by the policy: with markers, or with one side's hunks.
    Conflicted {
        /// The content to commit.
        data: Vec<u8>,
        /// Whether `data` holds conflict markers.
        markers: bool,
    },
    /// Binary content cannot be merged by lines; the policy picked a whole side.
    Binary {
        /// The side's content, or `None` under [`ConflictPolicy::Fail`].
        data: Option<Vec<u8>>,
        /// Which side was kept.
        kept: Side,
    },
    /// Overlapping edits under [`ConflictPolicy::Fail`]: nothing may be written.
    Refused,
}

/// A side of a merge.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Side {
    /// The branch (the person's edit).
    Branch,
    /// The new build.
    Generated,
    /// Neither (refused).
    None,
}

/// Labels written next to conflict markers.
#[derive(Debug, Clone, Copy)]
pub struct MergeLabels<'a> {
    /// The previous build.
    pub base: &'a str,
    /// The branch.
    pub branch: &'a str,
    /// The new build.
    pub generated: &'a str,
}

impl Default for MergeLabels<'_> {
    fn default() -> Self {
        MergeLabels {
            base: "previous build",
            branch: "branch",
            generated: "new build",
        }
    }
}

/// Whether content looks binary the way git decides it (a NUL in the first 8000 bytes).
pub fn is_binary(data: &[u8]) -> bool {
    data[..data.len().min(8000)].contains(&0)
}

/// Merge `branch` and `generated`, both derived from `base`, under `policy`.
pub fn merge_blobs(
    base: &[u8],
    branch: &[u8],
    generated: &[u8],
    policy: ConflictPolicy,
    labels: MergeLabels<'_>,
) -> MergeOutcome {
    if is_binary(base) || is_binary(branch) || is_binary(generated) {
        return match policy {
            ConflictPolicy::Markers | ConflictPolicy::Branch => MergeOutcome::Binary {
                data: Some(branch.to_vec()),
                kept: Side::Branch,
            },
            ConflictPolicy::Generated => MergeOutcome::Binary {
                data: Some(generated.to_vec()),
                kept: Side::Generated,
            },
            ConflictPolicy::Fail => MergeOutcome::Refused,
        };
    }
    let conflict = match policy {
        ConflictPolicy::Markers | ConflictPolicy::Fail => Conflict::Keep {
            style: ConflictStyle::Merge,
            marker_size: std::num::NonZeroU8::new(Conflict::DEFAULT_MARKER_SIZE)
                .expect("7 is not zero"),
        },
        ConflictPolicy::Generated => Conflict::ResolveWithTheirs,
        ConflictPolicy::Branch => Conflict::ResolveWithOurs,
    };
    let mut out = Vec::new();
    let mut input = gix_diff::blob::InternedInput::default();
    let resolution = gix_merge::blob::builtin_driver::text(
        &mut out,
        &mut input,
        Labels {
            ancestor: Some(BStr::new(labels.base)),
            current: Some(BStr::new(labels.branch)),
            other: Some(BStr::new(labels.generated)),
        },
        branch,
        base,
        generated,
        Options {
            diff_algorithm: gix_diff::blob::Algorithm::Histogram,
            conflict,
        },
    );
    match (resolution, policy) {
        (Resolution::Complete, _) => MergeOutcome::Clean(out),
        (_, ConflictPolicy::Fail) => MergeOutcome::Refused,
        (Resolution::Conflict, _) => MergeOutcome::Conflicted {
            data: out,
            markers: true,
        },
        (Resolution::CompleteWithAutoResolvedConflict, _) => MergeOutcome::Conflicted {
            data: out,
            markers: false,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &[u8] = b"a\nb\nc\nd\ne\n";

    #[test]
    fn clean_merge_keeps_both_edits() {
        let branch = b"a\nPERSON\nc\nd\ne\n";
        let generated = b"a\nb\nc\nd\nGENERATOR\n";
        let out = merge_blobs(
            BASE,
            branch,
            generated,
            ConflictPolicy::Markers,
            MergeLabels::default(),
        );
        assert_eq!(
            out,
            MergeOutcome::Clean(b"a\nPERSON\nc\nd\nGENERATOR\n".to_vec())
        );
    }

    #[test]
    fn overlapping_edit_follows_each_policy() {
        let branch = b"a\nPERSON\nc\nd\ne\n";
        let generated = b"a\nGEN\nc\nd\ne\n";
        let l = MergeLabels::default();
        let MergeOutcome::Conflicted {
            data,
            markers: true,
        } = merge_blobs(BASE, branch, generated, ConflictPolicy::Markers, l)
        else {
            panic!("expected markers")
        };
        let text = String::from_utf8(data).unwrap();
        assert!(
            text.contains("<<<<<<< branch\nPERSON\n=======\nGEN\n>>>>>>> new build\n"),
            "{text}"
        );
        assert_eq!(
            merge_blobs(BASE, branch, generated, ConflictPolicy::Generated, l),
            MergeOutcome::Conflicted {
                data: generated.to_vec(),
                markers: false
            }
        );
        assert_eq!(
            merge_blobs(BASE, branch, generated, ConflictPolicy::Branch, l),
            MergeOutcome::Conflicted {
                data: branch.to_vec(),
                markers: false
            }
        );
        assert_eq!(
            merge_blobs(BASE, branch, generated, ConflictPolicy::Fail, l),
            MergeOutcome::Refused
        );
    }

    #[test]
    fn binary_keeps_a_whole_side() {
        let out = merge_blobs(
            b"\0a",
            b"\0b",
            b"\0c",
            ConflictPolicy::Markers,
            MergeLabels::default(),
        );
        assert_eq!(
            out,
            MergeOutcome::Binary {
                data: Some(b"\0b".to_vec()),
                kept: Side::Branch
            }
        );
    }
}
