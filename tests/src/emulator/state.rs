//! The state an emulator keeps besides its git repositories: its repositories' records (settings,
//! pull requests, …, each provider's own type) by lower-case full name, and one id sequence. Kept
//! as one JSON file in the root, so the emulator binary can be restarted on the same directory.
//! No secret is kept here: credentials live in memory only.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// What the core needs of a provider's repository record.
pub trait RepoRecord: Clone + Serialize + DeserializeOwned + Send + 'static {
    /// Its owner (GitHub) or workspace (Bitbucket), and its name or slug, as created.
    fn owner_and_name(&self) -> (&str, &str);

    /// `owner/name` (or `workspace/slug`), as created.
    fn full_name(&self) -> String {
        let (owner, name) = self.owner_and_name();
        format!("{owner}/{name}")
    }

    /// Where its bare repository lives under `root`: `{root}/{owner}/{name}.git`.
    fn git_dir(&self, root: &Path) -> PathBuf {
        let (owner, name) = self.owner_and_name();
        root.join(owner).join(format!("{name}.git"))
    }
}

/// The whole state of one emulator.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(bound = "R: RepoRecord")]
pub struct State<R> {
    /// Last id handed out (one sequence for every kind of object).
    pub last_id: u64,
    /// Repositories by lower-case full name.
    pub repos: BTreeMap<String, R>,
}

impl<R> Default for State<R> {
    fn default() -> Self {
        State {
            last_id: 0,
            repos: BTreeMap::new(),
        }
    }
}

impl<R: RepoRecord> State<R> {
    /// Reads the state file `file` in `root`, or an empty state when there is none yet.
    pub fn load(root: &Path, file: &str) -> std::io::Result<State<R>> {
        match std::fs::read(root.join(file)) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(State::default()),
            Err(e) => Err(e),
        }
    }

    /// Writes the state to `file` in `root` (atomically: temporary file, then rename).
    pub fn save(&self, root: &Path, file: &str) -> std::io::Result<()> {
        let bytes = serde_json::to_vec_pretty(self).map_err(std::io::Error::other)?;
        let tmp = root.join(format!("{file}.tmp"));
        std::fs::write(&tmp, bytes)?;
        std::fs::rename(tmp, root.join(file))
    }

    /// Hands out a new id.
    pub fn next_id(&mut self) -> u64 {
        self.last_id += 1;
        self.last_id
    }

    /// Repository `full_name` (case-insensitive).
    pub fn repo(&self, full_name: &str) -> Option<&R> {
        self.repos.get(&full_name.to_ascii_lowercase())
    }

    /// Repository `full_name` (case-insensitive), mutable.
    pub fn repo_mut(&mut self, full_name: &str) -> Option<&mut R> {
        self.repos.get_mut(&full_name.to_ascii_lowercase())
    }

    /// Adds (or replaces) a repository.
    pub fn insert(&mut self, repo: R) {
        self.repos
            .insert(repo.full_name().to_ascii_lowercase(), repo);
    }
}
