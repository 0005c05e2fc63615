//! Local repositories made and checked with the real `git` CLI, and the `gensync` binary.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub use gensync_tests::cli::{bin, copy_dir, examples, failure, ok_json};
use gensync_tests::git::{BareRepo, FileChange, Signature};

/// Run git in `dir` (`git -C dir …`) and return stdout; panics with stderr on failure.
pub fn git_in(dir: &Path, args: &[&str]) -> String {
    let out = git_output(dir, args);
    assert!(
        out.status.success(),
        "git {args:?} in {}: {}",
        dir.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8")
}

pub fn git_output(dir: &Path, args: &[&str]) -> Output {
    Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .env("GIT_AUTHOR_NAME", "A Person")
        .env("GIT_AUTHOR_EMAIL", "person@example.com")
        .env("GIT_COMMITTER_NAME", "A Person")
        .env("GIT_COMMITTER_EMAIL", "person@example.com")
        .env_remove("GIT_DIR")
        .env_remove("GIT_INDEX_FILE")
        .output()
        .expect("git runs")
}

/// A local repository (bare or not) seeded like the GitHub suite's `acme/app`: `README.md` and
/// `docs/human.md` on `main`.
pub struct Local {
    pub work: tempfile::TempDir,
    /// The path given to `--repository`.
    pub repo: PathBuf,
    pub bare: bool,
}

impl Local {
    pub fn new(bare: bool) -> Local {
        let work = tempfile::tempdir().expect("tempdir");
        let repo = if bare {
            work.path().join("app.git")
        } else {
            work.path().join("app")
        };
        let mut args = vec!["init", "-q", "-b", "main"];
        if bare {
            args.push("--bare");
        }
        let repo_str = repo.to_str().expect("utf-8 path").to_owned();
        args.push(&repo_str);
        git_in(work.path(), &args);
        let local = Local { work, repo, bare };
        if bare {
            local
                .plumbing()
                .commit_files(
                    "main",
                    &[
                        FileChange::write("README.md", "# app\n"),
                        FileChange::write("docs/human.md", "written by a person\n"),
                    ],
                    "Initial commit",
                    &person(),
                )
                .expect("seed commit");
        } else {
            std::fs::write(local.repo.join("README.md"), "# app\n").unwrap();
            std::fs::create_dir_all(local.repo.join("docs")).unwrap();
            std::fs::write(local.repo.join("docs/human.md"), "written by a person\n").unwrap();
            local.git(&["add", "-A"]);
            local.git(&["commit", "-q", "-m", "Initial commit"]);
        }
        local
    }

    /// An empty repository (no commit).
    pub fn empty(bare: bool) -> Local {
        let work = tempfile::tempdir().expect("tempdir");
        let repo = work.path().join(if bare { "empty.git" } else { "empty" });
        let repo_str = repo.to_str().unwrap().to_owned();
        let mut args = vec!["init", "-q", "-b", "main"];
        if bare {
            args.push("--bare");
        }
        args.push(&repo_str);
        git_in(work.path(), &args);
        Local { work, repo, bare }
    }

    /// The repository's git dir, for plumbing edits (as another writer would make them).
    pub fn plumbing(&self) -> BareRepo {
        BareRepo::open(&if self.bare {
            self.repo.clone()
        } else {
            self.repo.join(".git")
        })
    }

    pub fn git(&self, args: &[&str]) -> String {
        git_in(&self.repo, args)
    }

    pub fn head(&self, branch: &str) -> Option<String> {
        let out = git_output(
            &self.repo,
            &[
                "rev-parse",
                "--verify",
                "-q",
                &format!("refs/heads/{branch}"),
            ],
        );
        out.status
            .success()
            .then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
    }

    /// `git diff --name-status --no-renames A B`, sorted.
    pub fn diff(&self, a: &str, b: &str) -> Vec<String> {
        let mut v: Vec<String> = self
            .git(&["diff", "--name-status", "--no-renames", a, b])
            .lines()
            .map(str::to_owned)
            .collect();
        v.sort();
        v
    }

    pub fn show(&self, rev_path: &str) -> String {
        self.git(&["show", rev_path])
    }

    /// A person commits `changes` on `branch` (plumbing: no working tree involved).
    pub fn person_commits(&self, branch: &str, changes: &[FileChange]) -> String {
        self.plumbing()
            .commit_files(branch, changes, "person edits", &person())
            .expect("person's commit")
            .as_str()
            .to_owned()
    }

    /// A copy of a bundled example build.
    pub fn build(&self, name: &str) -> PathBuf {
        let dest = self.work.path().join(format!("{name}-{}", next()));
        copy_dir(&examples().join(name), &dest);
        dest
    }

    /// `gensync sync --provider local --repository <repo> --output <output> …`.
    pub fn sync(&self, output: &Path, build_id: &str, extra: &[&str]) -> Output {
        let mut args: Vec<String> = vec![
            "sync".into(),
            "--provider".into(),
            "local".into(),
            "--repository".into(),
            self.repo.to_str().unwrap().into(),
            "--output".into(),
            output.to_str().unwrap().into(),
            "--message".into(),
            format!("Build {build_id}: update generated code\n\nGenerated by the e2e test."),
            "--build-id".into(),
            build_id.into(),
            "--build-url".into(),
            format!("https://builds.example.com/{build_id}"),
            "--json".into(),
        ];
        args.extend(extra.iter().map(|s| s.to_string()));
        run(&args, self.work.path())
    }
}

pub fn person() -> Signature {
    Signature::now("A Person", "person@example.com")
}

/// Run gensync with `args` in `cwd`, with no GitHub settings from the environment.
pub fn run(args: &[String], cwd: &Path) -> Output {
    Command::new(bin())
        .args(args)
        .current_dir(cwd)
        .env_remove("GITHUB_ACTIONS")
        .env_remove("GITHUB_TOKEN")
        .env_remove("GH_TOKEN")
        .env_remove("GENSYNC_PROVIDER")
        .env_remove("GENSYNC_REPOSITORY")
        .output()
        .expect("gensync runs")
}

fn next() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    N.fetch_add(1, Ordering::Relaxed)
}
