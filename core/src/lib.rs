//! gensync-core: the pure, sans-I/O heart of gensync.
//!
//! gensync keeps a folder of generated code in sync with a git repository through a bot branch
//! and a pull request. This crate decides *what* to commit; it never touches the disk, the
//! network, the clock or threads, so the same code runs in the CLI and, as WebAssembly, in a
//! browser preview.
//!
//! The model:
//! - a [`Snapshot`] is a build's files: normalised relative paths (validated by
//!   [`path::validate`]) to mode and git blob id ([`hash_blob`], identical to
//!   `git hash-object`);
//! - a [`BuildManifest`] records what the last build generated; it is committed next to the
//!   code, sorted, one line per file;
//! - [`IgnoreRules`] come from `.amplicationignore` files (gitignore syntax);
//! - [`changeset::compute`] derives the [`ChangeSet`] *between builds*: a file the generator did
//!   not change is never touched, so a person's edit on the bot branch survives; conflicts with
//!   such edits are three-way merged ([`merge`]).
//!
//! ```
//! use gensync_core::{changeset, BuildManifest, IgnoreRules, Mode, Snapshot};
//! let kind = gix_hash::Kind::Sha1;
//! let mut first = Snapshot::new(kind);
//! first.insert_data("src/a.ts", Mode::Regular, b"a\n".to_vec())?;
//! first.insert_data("src/b.ts", Mode::Regular, b"b\n".to_vec())?;
//! let previous = BuildManifest::from_snapshot(&first);
//!
//! let mut next = Snapshot::new(kind);
//! next.insert_data("src/a.ts", Mode::Regular, b"a2\n".to_vec())?;
//! next.insert_data("src/c.ts", Mode::Regular, b"c\n".to_vec())?;
//!
//! let changes = changeset::compute(&previous, &next, &IgnoreRules::new(), None, &Default::default())?;
//! assert_eq!(changes.modified[0].path, "src/a.ts");
//! assert_eq!(changes.added[0].path, "src/c.ts");
//! assert_eq!(changes.deleted[0].path, "src/b.ts");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub mod branch;
pub mod changeset;
pub mod diff;
pub mod ignore;
pub mod manifest;
pub mod merge;
pub mod message;
pub mod objects;
pub mod path;
pub mod payload;
pub mod preview;
pub mod serde_oid;
pub mod snapshot;
pub mod sync;
pub mod tree_listing;

pub use changeset::{BranchTree, ChangeSet, TreeEntry};
pub use gix_hash::{Kind as HashKind, ObjectId};
pub use ignore::IgnoreRules;
pub use manifest::BuildManifest;
pub use merge::ConflictPolicy;
pub use snapshot::{hash_blob, Mode, Snapshot};
