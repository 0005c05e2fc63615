//! Bare git repositories on disk, read and written only through the real `git` CLI plumbing
//! (`hash-object`, `mktree`, `commit-tree`, `update-ref`, `ls-tree`, `cat-file`, …).
//!
//! The emulators keep their repositories here so that a test can check any result with git
//! itself, independently of gensync's own object code. Every command runs with the user's and
//! the system's git configuration ignored, so results do not depend on the machine.

use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde::{Deserialize, Serialize};

/// A git object id in lower-case hex (SHA-1 today, SHA-256 ready).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Oid(String);

impl Oid {
    /// Parses a full hex object id (40 or 64 hex digits, any case).
    pub fn parse(text: &str) -> Option<Oid> {
        let valid = matches!(text.len(), 40 | 64) && text.bytes().all(|b| b.is_ascii_hexdigit());
        valid.then(|| Oid(text.to_ascii_lowercase()))
    }

    /// The all-zero id of the same length, git's "no object".
    pub fn null() -> Oid {
        Oid("0".repeat(40))
    }

    /// The id as hex text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Oid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for Oid {
    type Error = String;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Oid::parse(&value).ok_or_else(|| format!("not an object id: {value:?}"))
    }
}

impl From<Oid> for String {
    fn from(oid: Oid) -> String {
        oid.0
    }
}

/// The kind of a git object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ObjectKind {
    /// File contents.
    Blob,
    /// A directory listing.
    Tree,
    /// A commit (also a submodule entry in a tree).
    Commit,
    /// An annotated tag.
    Tag,
}

impl ObjectKind {
    /// The name git uses (`blob`, `tree`, `commit`, `tag`).
    pub fn as_str(self) -> &'static str {
        match self {
            ObjectKind::Blob => "blob",
            ObjectKind::Tree => "tree",
            ObjectKind::Commit => "commit",
            ObjectKind::Tag => "tag",
        }
    }

    /// Parses git's name of a kind.
    pub fn parse(name: &str) -> Option<ObjectKind> {
        Some(match name {
            "blob" => ObjectKind::Blob,
            "tree" => ObjectKind::Tree,
            "commit" => ObjectKind::Commit,
            "tag" => ObjectKind::Tag,
            _ => return None,
        })
    }

    /// The kind of object a tree entry of `mode` points to.
    pub fn for_mode(mode: &str) -> Option<ObjectKind> {
        Some(match mode {
            "100644" | "100755" | "120000" => ObjectKind::Blob,
            "040000" | "40000" => ObjectKind::Tree,
            "160000" => ObjectKind::Commit,
            _ => return None,
        })
    }
}

/// Mode of a directory entry, as git's `ls-tree` prints it.
pub const MODE_TREE: &str = "040000";
/// Mode of a regular file.
pub const MODE_FILE: &str = "100644";
/// Mode of an executable file.
pub const MODE_EXECUTABLE: &str = "100755";
/// Mode of a symbolic link.
pub const MODE_SYMLINK: &str = "120000";

/// One entry of a tree listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TreeEntry {
    /// Path relative to the listed tree (`/`-separated in recursive listings).
    pub path: String,
    /// Six-digit mode (`100644`, `100755`, `120000`, `040000`, `160000`).
    pub mode: String,
    /// What the entry points to.
    pub kind: ObjectKind,
    /// The object the entry points to.
    pub oid: Oid,
    /// The size of a blob; `None` for trees and submodules.
    pub size: Option<u64>,
}

/// Who made a commit, and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Signature {
    /// Display name.
    pub name: String,
    /// E-mail address.
    pub email: String,
    /// Seconds since the Unix epoch.
    pub time: i64,
    /// Offset from UTC in minutes.
    pub offset_minutes: i32,
}

impl Signature {
    /// A signature dated now, in UTC.
    pub fn now(name: &str, email: &str) -> Signature {
        Signature {
            name: name.to_owned(),
            email: email.to_owned(),
            time: jiff::Timestamp::now().as_second(),
            offset_minutes: 0,
        }
    }

    /// The date in RFC 3339 form, in UTC (`2024-01-02T03:04:05Z`), as GitHub shows it.
    pub fn date_rfc3339(&self) -> String {
        crate::time::rfc3339(self.time)
    }

    fn git_date(&self) -> String {
        let sign = if self.offset_minutes < 0 { '-' } else { '+' };
        let minutes = self.offset_minutes.unsigned_abs();
        format!("{} {sign}{:02}{:02}", self.time, minutes / 60, minutes % 60)
    }

    fn parse_git(line: &str) -> Option<Signature> {
        let (name, rest) = line.split_once(" <")?;
        let (email, rest) = rest.split_once("> ")?;
        let (time, offset) = rest.trim().split_once(' ')?;
        let sign = if offset.starts_with('-') { -1 } else { 1 };
        let digits = offset.trim_start_matches(['+', '-']);
        let hours: i32 = digits.get(..2)?.parse().ok()?;
        let minutes: i32 = digits.get(2..4)?.parse().ok()?;
        Some(Signature {
            name: name.to_owned(),
            email: email.to_owned(),
            time: time.parse().ok()?,
            offset_minutes: sign * (hours * 60 + minutes),
        })
    }
}

/// A commit as read from the repository.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Commit {
    /// The commit's id.
    pub oid: Oid,
    /// Its root tree.
    pub tree: Oid,
    /// Its parents, in order.
    pub parents: Vec<Oid>,
    /// The author.
    pub author: Signature,
    /// The committer.
    pub committer: Signature,
    /// The message, exactly as stored.
    pub message: String,
}

/// What to expect of a ref before updating it (compare-and-swap, as `git update-ref` does).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefExpectation {
    /// Update whatever the ref points to.
    Any,
    /// The ref must not exist yet.
    Absent,
    /// The ref must point to this commit.
    At(Oid),
}

/// A change to apply to a tree with [`BareRepo::edit_tree`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TreeEdit {
    /// `/`-separated path; intermediate directories are created or pruned as needed.
    pub path: String,
    /// `Some((mode, oid))` to write the entry, `None` to delete whatever is at `path`.
    pub entry: Option<(String, Oid)>,
}

/// A file change for [`BareRepo::commit_files`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileChange {
    /// `/`-separated path.
    pub path: String,
    /// New contents and mode, or `None` to delete the path.
    pub content: Option<(String, Vec<u8>)>,
}

/// Building changes.
impl FileChange {
    /// Writes `content` at `path` as a regular file.
    pub fn write(path: &str, content: impl AsRef<[u8]>) -> FileChange {
        FileChange {
            path: path.to_owned(),
            content: Some((MODE_FILE.to_owned(), content.as_ref().to_vec())),
        }
    }

    /// Writes `content` at `path` as an executable file.
    pub fn write_executable(path: &str, content: impl AsRef<[u8]>) -> FileChange {
        FileChange {
            path: path.to_owned(),
            content: Some((MODE_EXECUTABLE.to_owned(), content.as_ref().to_vec())),
        }
    }

    /// Deletes `path`.
    pub fn delete(path: &str) -> FileChange {
        FileChange {
            path: path.to_owned(),
            content: None,
        }
    }
}

/// One changed path between two trees, from `git diff-tree -M`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiffEntry {
    /// `A`dded, `M`odified, `D`eleted, `R`enamed, `T`ype changed, `C`opied.
    pub status: char,
    /// The path after the change.
    pub path: String,
    /// The path before a rename.
    pub old_path: Option<String>,
    /// Blob id after the change (null id for deletions).
    pub new_oid: Oid,
    /// Added lines (`None` for binary files).
    pub additions: Option<u64>,
    /// Deleted lines (`None` for binary files).
    pub deletions: Option<u64>,
}

/// Errors of git commands.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// git could not be started.
    #[error("could not run `git {args}`")]
    Spawn {
        /// The arguments.
        args: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// git exited with an error.
    #[error("`git {args}` failed ({status}): {stderr}")]
    Failed {
        /// The arguments.
        args: String,
        /// The exit status.
        status: String,
        /// What git printed on stderr.
        stderr: String,
    },
    /// git's output could not be understood.
    #[error("unexpected output from `git {args}`: {output:?}")]
    BadOutput {
        /// The arguments.
        args: String,
        /// The output.
        output: String,
    },
    /// The object does not exist or is not of the expected kind.
    #[error("{oid} is not a {expected}")]
    NotFound {
        /// The id looked up.
        oid: Oid,
        /// What was expected (`blob`, `tree`, `commit`).
        expected: &'static str,
    },
    /// A compare-and-swap ref update found the ref elsewhere.
    #[error("{name} is at {actual:?}, expected {expected:?}")]
    StaleRef {
        /// The full ref name.
        name: String,
        /// What the caller expected.
        expected: RefExpectation,
        /// Where the ref is (`None` when it does not exist).
        actual: Option<Oid>,
    },
}

/// Errors of [`BareRepo::edit_tree`].
#[derive(Debug, thiserror::Error)]
pub enum EditError {
    /// The path is empty or has an empty, `.`, `..` or `.git` component or a NUL.
    #[error("malformed path component in {path:?}")]
    MalformedPath {
        /// The offending path.
        path: String,
    },
    /// A deletion names a path that is not in the base tree.
    #[error("{path:?} does not exist in the base tree")]
    MissingPath {
        /// The offending path.
        path: String,
    },
    /// The mode is not one git trees use.
    #[error("invalid mode {mode:?} for {path:?}")]
    InvalidMode {
        /// The offending path.
        path: String,
        /// The mode given.
        mode: String,
    },
    /// A git command failed (for example an entry points to a missing object).
    #[error(transparent)]
    Git(#[from] Error),
}

/// A bare repository driven through the `git` CLI.
#[derive(Debug, Clone)]
pub struct BareRepo {
    git_dir: PathBuf,
}

/// Construction.
impl BareRepo {
    /// Creates a bare repository at `git_dir` whose `HEAD` names `initial_branch`.
    pub fn init(git_dir: &Path, initial_branch: &str) -> Result<BareRepo, Error> {
        let dir = git_dir.to_string_lossy().into_owned();
        let branch = format!("--initial-branch={initial_branch}");
        run(
            base_command(None),
            &["init", "--quiet", "--bare", &branch, &dir],
            None,
        )?;
        Ok(BareRepo::open(git_dir))
    }

    /// Uses the existing bare repository at `git_dir`.
    pub fn open(git_dir: &Path) -> BareRepo {
        BareRepo {
            git_dir: git_dir.to_owned(),
        }
    }

    /// The repository's directory.
    pub fn git_dir(&self) -> &Path {
        &self.git_dir
    }

    /// Runs `git args…` in this repository and returns its stdout (for checks in tests).
    pub fn git(&self, args: &[&str]) -> Result<Vec<u8>, Error> {
        run(self.command(), args, None)
    }

    fn command(&self) -> Command {
        base_command(Some(&self.git_dir))
    }

    fn run_text(&self, args: &[&str], stdin: Option<&[u8]>) -> Result<String, Error> {
        let out = run(self.command(), args, stdin)?;
        String::from_utf8(out).map_err(|e| Error::BadOutput {
            args: args.join(" "),
            output: String::from_utf8_lossy(e.as_bytes()).into_owned(),
        })
    }

    /// Runs a command whose exit status 1 means "no" rather than failure.
    fn run_maybe(&self, args: &[&str]) -> Result<Option<String>, Error> {
        match self.run_text(args, None) {
            Ok(out) => Ok(Some(out)),
            Err(Error::Failed { status, .. }) if status == "exit status: 1" => Ok(None),
            Err(e) => Err(e),
        }
    }
}

/// Objects.
impl BareRepo {
    /// Writes `data` as a blob (`git hash-object -w --stdin`).
    pub fn write_blob(&self, data: &[u8]) -> Result<Oid, Error> {
        let out = self.run_text(&["hash-object", "-w", "--stdin"], Some(data))?;
        parse_oid(&["hash-object"], out.trim())
    }

    /// The kind of object `oid`, or `None` when it does not exist.
    pub fn object_kind(&self, oid: &Oid) -> Result<Option<ObjectKind>, Error> {
        if self.run_maybe(&["cat-file", "-e", oid.as_str()])?.is_none() {
            return Ok(None);
        }
        let out = self.run_text(&["cat-file", "-t", oid.as_str()], None)?;
        Ok(ObjectKind::parse(out.trim()))
    }

    /// The contents of blob `oid` (`git cat-file blob`).
    pub fn read_blob(&self, oid: &Oid) -> Result<Vec<u8>, Error> {
        self.expect_kind(oid, ObjectKind::Blob)?;
        run(self.command(), &["cat-file", "blob", oid.as_str()], None)
    }

    fn expect_kind(&self, oid: &Oid, kind: ObjectKind) -> Result<(), Error> {
        if self.object_kind(oid)? == Some(kind) {
            Ok(())
        } else {
            Err(Error::NotFound {
                oid: oid.clone(),
                expected: kind.as_str(),
            })
        }
    }

    /// Writes a tree of exactly `entries` (single path components) with `git mktree`.
    pub fn write_tree(&self, entries: &[TreeEntry]) -> Result<Oid, Error> {
        let mut input = Vec::new();
        for e in entries {
            input.extend_from_slice(
                format!("{} {} {}\t{}", e.mode, e.kind.as_str(), e.oid, e.path).as_bytes(),
            );
            input.push(0);
        }
        let out = self.run_text(&["mktree", "-z"], Some(&input))?;
        parse_oid(&["mktree"], out.trim())
    }

    /// The entries of tree `oid`; with `recursive`, subtrees are listed and descended into
    /// (`git ls-tree -r -t`), parents before their contents.
    pub fn read_tree(&self, oid: &Oid, recursive: bool) -> Result<Vec<TreeEntry>, Error> {
        self.expect_kind(oid, ObjectKind::Tree)?;
        let mut args = vec!["ls-tree", "-z", "--long"];
        if recursive {
            args.extend(["-r", "-t"]);
        }
        args.push(oid.as_str());
        let out = self.run_text(&args, None)?;
        out.split('\0')
            .filter(|l| !l.is_empty())
            .map(|line| parse_ls_tree_line(line).ok_or_else(|| bad_output(&args, line)))
            .collect()
    }

    /// Writes a commit with `git commit-tree` and returns its id.
    pub fn write_commit(
        &self,
        tree: &Oid,
        parents: &[Oid],
        message: &str,
        author: &Signature,
        committer: &Signature,
    ) -> Result<Oid, Error> {
        let mut command = self.command();
        command
            .env("GIT_AUTHOR_NAME", &author.name)
            .env("GIT_AUTHOR_EMAIL", &author.email)
            .env("GIT_AUTHOR_DATE", author.git_date())
            .env("GIT_COMMITTER_NAME", &committer.name)
            .env("GIT_COMMITTER_EMAIL", &committer.email)
            .env("GIT_COMMITTER_DATE", committer.git_date());
        let mut args = vec!["commit-tree".to_owned(), tree.to_string()];
        for p in parents {
            args.push("-p".into());
            args.push(p.to_string());
        }
        args.extend(["-F".into(), "-".into()]);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = run(command, &args, Some(message.as_bytes()))?;
        parse_oid(&args, String::from_utf8_lossy(&out).trim())
    }

    /// Reads commit `oid` (`git cat-file commit`).
    pub fn read_commit(&self, oid: &Oid) -> Result<Commit, Error> {
        self.expect_kind(oid, ObjectKind::Commit)?;
        let raw = self.run_text(&["cat-file", "commit", oid.as_str()], None)?;
        let bad = || bad_output(&["cat-file", "commit"], &raw);
        let (headers, message) = raw.split_once("\n\n").unwrap_or((raw.as_str(), ""));
        let (mut tree, mut parents, mut author, mut committer) = (None, Vec::new(), None, None);
        for line in headers.lines() {
            if let Some(v) = line.strip_prefix("tree ") {
                tree = Oid::parse(v);
            } else if let Some(v) = line.strip_prefix("parent ") {
                parents.push(Oid::parse(v).ok_or_else(bad)?);
            } else if let Some(v) = line.strip_prefix("author ") {
                author = Signature::parse_git(v);
            } else if let Some(v) = line.strip_prefix("committer ") {
                committer = Signature::parse_git(v);
            }
        }
        Ok(Commit {
            oid: oid.clone(),
            tree: tree.ok_or_else(bad)?,
            parents,
            author: author.ok_or_else(bad)?,
            committer: committer.ok_or_else(bad)?,
            message: message.to_owned(),
        })
    }

    /// Applies `edits` to `base` (or to an empty tree) and writes the result, creating and
    /// pruning intermediate directories; only the directories on edited paths are rewritten.
    pub fn edit_tree(&self, base: Option<&Oid>, edits: &[TreeEdit]) -> Result<Oid, EditError> {
        let mut root = Dir::load(self, base)?;
        for edit in edits {
            let components = split_path(&edit.path)?;
            if let Some((mode, _)) = &edit.entry {
                if ObjectKind::for_mode(mode).is_none() {
                    return Err(EditError::InvalidMode {
                        path: edit.path.clone(),
                        mode: mode.clone(),
                    });
                }
            }
            root.apply(self, &components, edit)?;
        }
        Ok(root.write(self)?.unwrap_or(self.write_tree(&[])?))
    }
}

/// Refs.
impl BareRepo {
    /// The commit `refs/heads/{branch}` points to.
    pub fn branch(&self, branch: &str) -> Result<Option<Oid>, Error> {
        self.resolve_ref(&format!("refs/heads/{branch}"))
    }

    /// The object the full ref `name` points to.
    pub fn resolve_ref(&self, name: &str) -> Result<Option<Oid>, Error> {
        let full = format!("{name}^{{object}}");
        match self.run_maybe(&[
            "rev-parse",
            "--verify",
            "--quiet",
            "--end-of-options",
            &full,
        ])? {
            Some(out) => Ok(Some(parse_oid(&["rev-parse"], out.trim())?)),
            None => Ok(None),
        }
    }

    /// The object a revision expression names (`main`, `HEAD~1`, `main:src/app.ts`, an id),
    /// as `git rev-parse --verify` resolves it; `None` when it names nothing.
    pub fn rev_parse(&self, expression: &str) -> Result<Option<Oid>, Error> {
        match self.run_maybe(&[
            "rev-parse",
            "--verify",
            "--quiet",
            "--end-of-options",
            expression,
        ])? {
            Some(out) => Ok(Some(parse_oid(&["rev-parse"], out.trim())?)),
            None => Ok(None),
        }
    }

    /// All refs whose full name starts with `prefix` (plain string prefix), sorted by name.
    pub fn refs(&self, prefix: &str) -> Result<Vec<(String, Oid)>, Error> {
        let out = self.run_text(
            &["for-each-ref", "--format=%(objectname) %(refname)", "refs/"],
            None,
        )?;
        let mut refs = Vec::new();
        for line in out.lines() {
            let (oid, name) = line
                .split_once(' ')
                .ok_or_else(|| bad_output(&["for-each-ref"], line))?;
            if name.starts_with(prefix) {
                refs.push((name.to_owned(), parse_oid(&["for-each-ref"], oid)?));
            }
        }
        Ok(refs)
    }

    /// Whether the repository has no branch at all.
    pub fn is_empty(&self) -> Result<bool, Error> {
        Ok(self.refs("refs/heads/")?.is_empty())
    }

    /// Points ref `name` at `new` if it is where `expected` says (`git update-ref name new old`).
    pub fn update_ref(
        &self,
        name: &str,
        new: &Oid,
        expected: &RefExpectation,
    ) -> Result<(), Error> {
        let mut args = vec!["update-ref", "-m", "emulator", name, new.as_str()];
        let null = Oid::null();
        match expected {
            RefExpectation::Any => {}
            RefExpectation::Absent => args.push(null.as_str()),
            RefExpectation::At(old) => args.push(old.as_str()),
        }
        self.cas(name, expected, &args)
    }

    /// Applies every change of `changes` or none (one `git update-ref --stdin` transaction):
    /// each ref `name` is set to `new` (`None`: deleted) if it is where `expected` says. A
    /// refusal because a ref is elsewhere is [`Error::StaleRef`] naming the first such ref.
    pub fn update_refs(
        &self,
        changes: &[(String, Option<Oid>, RefExpectation)],
    ) -> Result<(), Error> {
        let null = Oid::null();
        let mut script = String::from("start\n");
        for (name, new, expected) in changes {
            let old = match expected {
                RefExpectation::Any => String::new(),
                RefExpectation::Absent => format!(" {}", null.as_str()),
                RefExpectation::At(old) => format!(" {}", old.as_str()),
            };
            match new {
                Some(new) => script.push_str(&format!("update {name} {}{old}\n", new.as_str())),
                None => script.push_str(&format!("delete {name}{old}\n")),
            }
        }
        script.push_str("commit\n");
        match self.run_text(
            &["update-ref", "-m", "emulator", "--stdin"],
            Some(script.as_bytes()),
        ) {
            Ok(_) => Ok(()),
            Err(error @ Error::Failed { .. }) => {
                for (name, _, expected) in changes {
                    let actual = self.resolve_ref(name)?;
                    let stale = match expected {
                        RefExpectation::Any => false,
                        RefExpectation::Absent => actual.is_some(),
                        RefExpectation::At(old) => actual.as_ref() != Some(old),
                    };
                    if stale {
                        return Err(Error::StaleRef {
                            name: name.clone(),
                            expected: expected.clone(),
                            actual,
                        });
                    }
                }
                Err(error)
            }
            Err(e) => Err(e),
        }
    }

    /// Deletes ref `name` if it is where `expected` says.
    pub fn delete_ref(&self, name: &str, expected: &RefExpectation) -> Result<(), Error> {
        let mut args = vec!["update-ref", "-d", name];
        if let RefExpectation::At(old) = expected {
            args.push(old.as_str());
        }
        self.cas(name, expected, &args)
    }

    fn cas(&self, name: &str, expected: &RefExpectation, args: &[&str]) -> Result<(), Error> {
        match self.run_text(args, None) {
            Ok(_) => Ok(()),
            Err(error @ Error::Failed { .. }) => {
                let actual = self.resolve_ref(name)?;
                let stale = match expected {
                    RefExpectation::Any => false,
                    RefExpectation::Absent => actual.is_some(),
                    RefExpectation::At(old) => actual.as_ref() != Some(old),
                };
                if stale {
                    Err(Error::StaleRef {
                        name: name.to_owned(),
                        expected: expected.clone(),
                        actual,
                    })
                } else {
                    Err(error)
                }
            }
            Err(e) => Err(e),
        }
    }

    /// The branch `HEAD` names (the default branch).
    pub fn head_branch(&self) -> Result<String, Error> {
        let out = self.run_text(&["symbolic-ref", "HEAD"], None)?;
        Ok(out.trim().trim_start_matches("refs/heads/").to_owned())
    }

    /// Makes `HEAD` name `branch`.
    pub fn set_head_branch(&self, branch: &str) -> Result<(), Error> {
        let full = format!("refs/heads/{branch}");
        self.run_text(&["symbolic-ref", "HEAD", &full], None)
            .map(drop)
    }
}

/// History.
impl BareRepo {
    /// Whether `ancestor` is reachable from `descendant` (`git merge-base --is-ancestor`).
    pub fn is_ancestor(&self, ancestor: &Oid, descendant: &Oid) -> Result<bool, Error> {
        let args = [
            "merge-base",
            "--is-ancestor",
            ancestor.as_str(),
            descendant.as_str(),
        ];
        Ok(self.run_maybe(&args)?.is_some())
    }

    /// The best common ancestor of `a` and `b` (`git merge-base`).
    pub fn merge_base(&self, a: &Oid, b: &Oid) -> Result<Option<Oid>, Error> {
        match self.run_maybe(&["merge-base", a.as_str(), b.as_str()])? {
            Some(out) => Ok(Some(parse_oid(&["merge-base"], out.trim())?)),
            None => Ok(None),
        }
    }

    /// Commits reachable from `include` but not from `exclude`, oldest first
    /// (`git rev-list --reverse`).
    pub fn rev_list(&self, include: &Oid, exclude: Option<&Oid>) -> Result<Vec<Oid>, Error> {
        let not = exclude.map(|e| format!("^{e}"));
        let mut args = vec!["rev-list", "--reverse", include.as_str()];
        if let Some(not) = &not {
            args.push(not);
        }
        let out = self.run_text(&args, None)?;
        out.lines().map(|l| parse_oid(&args, l)).collect()
    }

    /// The number of commits reachable from `include` but not from `exclude`.
    pub fn count_commits(&self, include: &Oid, exclude: &Oid) -> Result<u64, Error> {
        let not = format!("^{exclude}");
        let args = ["rev-list", "--count", include.as_str(), &not];
        let out = self.run_text(&args, None)?;
        out.trim().parse().map_err(|_| bad_output(&args, &out))
    }

    /// The paths that differ between trees (or commits) `from` and `to`, renames detected
    /// (`git diff-tree -r -M`), with line counts (`--numstat`).
    pub fn diff(&self, from: &Oid, to: &Oid) -> Result<Vec<DiffEntry>, Error> {
        let raw_args = [
            "diff-tree",
            "-r",
            "-z",
            "-M",
            "--no-abbrev",
            "--raw",
            from.as_str(),
            to.as_str(),
        ];
        let raw = self.run_text(&raw_args, None)?;
        let num_args = [
            "diff-tree",
            "-r",
            "-z",
            "-M",
            "--numstat",
            from.as_str(),
            to.as_str(),
        ];
        let numstat = self.run_text(&num_args, None)?;
        let mut entries = Vec::new();
        let mut fields = raw.split('\0').filter(|f| !f.is_empty());
        while let Some(meta) = fields.next() {
            // ":old_mode new_mode old_oid new_oid STATUS"
            let parts: Vec<&str> = meta.trim_start_matches(':').split(' ').collect();
            let [_, _, _, new_oid, status] = parts[..] else {
                return Err(bad_output(&raw_args, meta));
            };
            let status = status
                .chars()
                .next()
                .ok_or_else(|| bad_output(&raw_args, meta))?;
            let first = fields.next().ok_or_else(|| bad_output(&raw_args, meta))?;
            let (path, old_path) = if matches!(status, 'R' | 'C') {
                let second = fields.next().ok_or_else(|| bad_output(&raw_args, meta))?;
                (second.to_owned(), Some(first.to_owned()))
            } else {
                (first.to_owned(), None)
            };
            entries.push(DiffEntry {
                status,
                path,
                old_path,
                new_oid: parse_oid(&raw_args, new_oid)?,
                additions: None,
                deletions: None,
            });
        }
        // numstat lists the same paths in the same order: "added\tdeleted\tpath" or, for a
        // rename, "added\tdeleted\t" followed by the old and new paths as separate fields.
        let mut fields = numstat.split('\0').filter(|f| !f.is_empty());
        for entry in &mut entries {
            let Some(counts) = fields.next() else { break };
            let mut parts = counts.splitn(3, '\t');
            entry.additions = parts.next().and_then(|n| n.parse().ok());
            entry.deletions = parts.next().and_then(|n| n.parse().ok());
            if parts.next().is_some_and(str::is_empty) {
                fields.next();
                fields.next();
            }
        }
        Ok(entries)
    }

    /// Merges commits `ours` and `theirs` without a work tree (`git merge-tree --write-tree`);
    /// the merged tree, or the conflicting paths.
    pub fn merge_trees(&self, ours: &Oid, theirs: &Oid) -> Result<Result<Oid, Vec<String>>, Error> {
        let args = [
            "merge-tree",
            "--write-tree",
            "--name-only",
            "--no-messages",
            ours.as_str(),
            theirs.as_str(),
        ];
        let mut command = self.command();
        command.args(args).stdin(Stdio::null());
        let out = command.output().map_err(|source| Error::Spawn {
            args: args.join(" "),
            source,
        })?;
        let text = String::from_utf8_lossy(&out.stdout);
        let mut lines = text.lines();
        match out.status.code() {
            Some(0) => Ok(Ok(parse_oid(&args, lines.next().unwrap_or_default())?)),
            // Exit status 1: conflicts, listed after the tree id.
            Some(1) => Ok(Err(lines.skip(1).map(str::to_owned).collect())),
            _ => Err(Error::Failed {
                args: args.join(" "),
                status: out.status.to_string(),
                stderr: String::from_utf8_lossy(&out.stderr).trim().to_owned(),
            }),
        }
    }

    /// Commits `changes` on top of `branch` (a root commit when the branch does not exist) and
    /// moves the branch there only if it did not move meanwhile; returns the new commit.
    pub fn commit_files(
        &self,
        branch: &str,
        changes: &[FileChange],
        message: &str,
        author: &Signature,
    ) -> Result<Oid, EditError> {
        let head = self.branch(branch)?;
        let base_tree = match &head {
            Some(head) => Some(self.read_commit(head)?.tree),
            None => None,
        };
        let mut edits = Vec::with_capacity(changes.len());
        for change in changes {
            let entry = match &change.content {
                Some((mode, bytes)) => Some((mode.clone(), self.write_blob(bytes)?)),
                None => None,
            };
            edits.push(TreeEdit {
                path: change.path.clone(),
                entry,
            });
        }
        let tree = self.edit_tree(base_tree.as_ref(), &edits)?;
        let parents: Vec<Oid> = head.iter().cloned().collect();
        let commit = self.write_commit(&tree, &parents, message, author, author)?;
        let expected = match head {
            Some(head) => RefExpectation::At(head),
            None => RefExpectation::Absent,
        };
        self.update_ref(&format!("refs/heads/{branch}"), &commit, &expected)?;
        Ok(commit)
    }
}

/// A directory being edited: entries by name; subdirectories are loaded only when an edit
/// reaches into them.
struct Dir {
    entries: std::collections::BTreeMap<String, Node>,
}

enum Node {
    /// An entry kept as it is (a blob, a submodule or an untouched subtree).
    Entry {
        mode: String,
        kind: ObjectKind,
        oid: Oid,
    },
    /// A subtree some edit reaches into.
    Dir(Dir),
}

impl Dir {
    fn load(repo: &BareRepo, tree: Option<&Oid>) -> Result<Dir, Error> {
        let mut entries = std::collections::BTreeMap::new();
        if let Some(tree) = tree {
            for e in repo.read_tree(tree, false)? {
                entries.insert(
                    e.path,
                    Node::Entry {
                        mode: e.mode,
                        kind: e.kind,
                        oid: e.oid,
                    },
                );
            }
        }
        Ok(Dir { entries })
    }

    fn apply(
        &mut self,
        repo: &BareRepo,
        components: &[&str],
        edit: &TreeEdit,
    ) -> Result<(), EditError> {
        let (name, rest) = components
            .split_first()
            .expect("split_path never returns no component");
        if rest.is_empty() {
            match &edit.entry {
                Some((mode, oid)) => {
                    let mode = if mode == "40000" {
                        MODE_TREE.to_owned()
                    } else {
                        mode.clone()
                    };
                    let kind = ObjectKind::for_mode(&mode).expect("mode checked by edit_tree");
                    self.entries.insert(
                        (*name).to_owned(),
                        Node::Entry {
                            mode,
                            kind,
                            oid: oid.clone(),
                        },
                    );
                }
                None => {
                    if self.entries.remove(*name).is_none() {
                        return Err(EditError::MissingPath {
                            path: edit.path.clone(),
                        });
                    }
                }
            }
            return Ok(());
        }
        let child = match self.entries.remove(*name) {
            Some(Node::Dir(dir)) => dir,
            Some(Node::Entry {
                kind: ObjectKind::Tree,
                oid,
                ..
            }) => Dir::load(repo, Some(&oid))?,
            // A file (or nothing) where a directory is needed: a write replaces it.
            Some(Node::Entry { .. }) | None if edit.entry.is_some() => Dir {
                entries: Default::default(),
            },
            previous => {
                if let Some(previous) = previous {
                    self.entries.insert((*name).to_owned(), previous);
                }
                return Err(EditError::MissingPath {
                    path: edit.path.clone(),
                });
            }
        };
        let mut child = child;
        let result = child.apply(repo, rest, edit);
        self.entries.insert((*name).to_owned(), Node::Dir(child));
        result
    }

    /// Writes this directory and its loaded subdirectories; `None` when it ended up empty.
    fn write(self, repo: &BareRepo) -> Result<Option<Oid>, Error> {
        let mut entries = Vec::with_capacity(self.entries.len());
        for (name, node) in self.entries {
            match node {
                Node::Entry { mode, kind, oid } => entries.push(TreeEntry {
                    path: name,
                    mode,
                    kind,
                    oid,
                    size: None,
                }),
                Node::Dir(dir) => {
                    if let Some(oid) = dir.write(repo)? {
                        entries.push(TreeEntry {
                            path: name,
                            mode: MODE_TREE.to_owned(),
                            kind: ObjectKind::Tree,
                            oid,
                            size: None,
                        });
                    }
                }
            }
        }
        if entries.is_empty() {
            return Ok(None);
        }
        repo.write_tree(&entries).map(Some)
    }
}

fn split_path(path: &str) -> Result<Vec<&str>, EditError> {
    let components: Vec<&str> = path.split('/').collect();
    let malformed = path.is_empty()
        || path.contains('\0')
        || components
            .iter()
            .any(|c| c.is_empty() || *c == "." || *c == ".." || c.eq_ignore_ascii_case(".git"));
    if malformed {
        return Err(EditError::MalformedPath {
            path: path.to_owned(),
        });
    }
    Ok(components)
}

fn parse_ls_tree_line(line: &str) -> Option<TreeEntry> {
    let (meta, path) = line.split_once('\t')?;
    let mut parts = meta.split_whitespace();
    let mode = parts.next()?.to_owned();
    let kind = ObjectKind::parse(parts.next()?)?;
    let oid = Oid::parse(parts.next()?)?;
    let size = parts.next().and_then(|s| s.parse().ok());
    Some(TreeEntry {
        path: path.to_owned(),
        mode,
        kind,
        oid,
        size,
    })
}

fn parse_oid(args: &[&str], text: &str) -> Result<Oid, Error> {
    Oid::parse(text).ok_or_else(|| bad_output(args, text))
}

fn bad_output(args: &[&str], output: &str) -> Error {
    Error::BadOutput {
        args: args.join(" "),
        output: output.to_owned(),
    }
}

/// A `git` command isolated from the environment's configuration and repository variables.
fn base_command(git_dir: Option<&Path>) -> Command {
    let mut command = Command::new("git");
    for var in [
        "GIT_DIR",
        "GIT_WORK_TREE",
        "GIT_INDEX_FILE",
        "GIT_OBJECT_DIRECTORY",
        "GIT_ALTERNATE_OBJECT_DIRECTORIES",
        "GIT_NAMESPACE",
        "GIT_CEILING_DIRECTORIES",
    ] {
        command.env_remove(var);
    }
    command
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_TERMINAL_PROMPT", "0")
        .env("LC_ALL", "C");
    if let Some(dir) = git_dir {
        command.arg("--git-dir").arg(dir);
    }
    command
}

fn run(mut command: Command, args: &[&str], stdin: Option<&[u8]>) -> Result<Vec<u8>, Error> {
    let describe = || args.join(" ");
    command
        .args(args)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command.spawn().map_err(|source| Error::Spawn {
        args: describe(),
        source,
    })?;
    let writer = match (stdin, child.stdin.take()) {
        (Some(data), Some(mut pipe)) => {
            let data = data.to_vec();
            // Written from a thread so a large input cannot deadlock against a full stdout pipe.
            Some(std::thread::spawn(move || pipe.write_all(&data)))
        }
        _ => None,
    };
    let output = child.wait_with_output().map_err(|source| Error::Spawn {
        args: describe(),
        source,
    })?;
    if let Some(writer) = writer {
        // A failed write shows up as a failed command below; the status says more.
        let _ = writer.join();
    }
    if !output.status.success() {
        return Err(Error::Failed {
            args: describe(),
            status: output.status.to_string(),
            stderr: String::from_utf8_lossy(&output.stderr).trim().to_owned(),
        });
    }
    Ok(output.stdout)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(repo: &BareRepo, text: &str) -> Option<(String, Oid)> {
        Some((
            MODE_FILE.to_owned(),
            repo.write_blob(text.as_bytes()).expect("blob"),
        ))
    }

    fn edit(path: &str, entry: Option<(String, Oid)>) -> TreeEdit {
        TreeEdit {
            path: path.to_owned(),
            entry,
        }
    }

    #[test]
    fn edits_nested_trees_and_prunes_empty_directories() {
        let dir = tempfile::tempdir().expect("tempdir");
        let repo = BareRepo::init(&dir.path().join("r.git"), "main").expect("init");
        let base = repo
            .edit_tree(
                None,
                &[
                    edit("a/b/c.txt", file(&repo, "c")),
                    edit("a/d.txt", file(&repo, "d")),
                    edit("top", file(&repo, "t")),
                ],
            )
            .expect("base tree");
        let listing: Vec<String> = repo
            .read_tree(&base, true)
            .expect("list")
            .into_iter()
            .map(|e| e.path)
            .collect();
        assert_eq!(listing, ["a", "a/b", "a/b/c.txt", "a/d.txt", "top"]);

        let edited = repo
            .edit_tree(
                Some(&base),
                &[edit("a/b/c.txt", None), edit("new/x", file(&repo, "x"))],
            )
            .expect("edit");
        let listing: Vec<String> = repo
            .read_tree(&edited, true)
            .expect("list")
            .into_iter()
            .map(|e| e.path)
            .collect();
        assert_eq!(listing, ["a", "a/d.txt", "new", "new/x", "top"]);

        let missing = repo.edit_tree(Some(&base), &[edit("nope", None)]);
        assert!(matches!(missing, Err(EditError::MissingPath { .. })));
        let malformed = repo.edit_tree(Some(&base), &[edit("a/../b", file(&repo, "x"))]);
        assert!(matches!(malformed, Err(EditError::MalformedPath { .. })));
    }

    #[test]
    fn commits_and_moves_refs_with_compare_and_swap() {
        let dir = tempfile::tempdir().expect("tempdir");
        let repo = BareRepo::init(&dir.path().join("r.git"), "main").expect("init");
        assert!(repo.is_empty().expect("empty"));
        let person = Signature::now("A Person", "person@example.com");
        let change = |text: &str| FileChange {
            path: "f.txt".into(),
            content: Some((MODE_FILE.into(), text.as_bytes().to_vec())),
        };
        let first = repo
            .commit_files("main", &[change("1")], "one\n", &person)
            .expect("first");
        let second = repo
            .commit_files("main", &[change("2")], "two\n", &person)
            .expect("second");
        let commit = repo.read_commit(&second).expect("read");
        assert_eq!(commit.parents, vec![first.clone()]);
        assert_eq!(commit.message, "two\n");
        assert_eq!(commit.author, person);
        assert!(repo.is_ancestor(&first, &second).expect("ancestry"));
        assert_eq!(repo.count_commits(&second, &first).expect("count"), 1);

        let stale = repo.update_ref(
            "refs/heads/main",
            &first,
            &RefExpectation::At(first.clone()),
        );
        assert!(matches!(stale, Err(Error::StaleRef { actual: Some(ref a), .. }) if *a == second));
        let other = {
            let tree = repo.read_commit(&first).expect("read").tree;
            let blob = repo.write_blob(b"3").expect("blob");
            let edit = TreeEdit {
                path: "f.txt".into(),
                entry: Some((MODE_FILE.into(), blob)),
            };
            let tree = repo.edit_tree(Some(&tree), &[edit]).expect("tree");
            repo.write_commit(
                &tree,
                std::slice::from_ref(&first),
                "three\n",
                &person,
                &person,
            )
            .expect("commit")
        };
        let conflicts = repo
            .merge_trees(&second, &other)
            .expect("git")
            .expect_err("both changed f.txt");
        assert_eq!(conflicts, ["f.txt"]);
        assert!(repo.merge_trees(&second, &first).expect("git").is_ok());
        let diff = repo.diff(&first, &second).expect("diff");
        assert_eq!(diff.len(), 1);
        assert_eq!((diff[0].status, diff[0].path.as_str()), ('M', "f.txt"));
        assert_eq!((diff[0].additions, diff[0].deletions), (Some(1), Some(1)));
    }
}
