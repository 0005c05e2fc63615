//! The reliability suite's harness: one [`Env`] per test, parameterised by [`Provider`], that
//! starts the provider's emulator, runs the real `gensync` binary and reads results with the
//! real `git` CLI on the emulator's bare repository.
//!
//! Every run's stdout and stderr (and the Actions files a test registers) are kept so that
//! [`Env::assert_no_secret_anywhere`] can grep them, together with the emulator's request
//! record, for the token and its base64 forms.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::Mutex;
use std::time::Duration;

use gensync_tests::bitbucket::{
    BitbucketConfig, BitbucketEmulator, CredentialConfig, RepoSpec as BitbucketRepoSpec, Scopes,
};
pub use gensync_tests::cli::bin;
use gensync_tests::fault::{FaultId, FaultRule};
use gensync_tests::git::FileChange;
use gensync_tests::github::{GithubConfig, GithubEmulator, RepoSpec, TokenConfig};
use gensync_tests::record::RecordedRequest;

pub const TOKEN: &str = "ghs_reliabilitySecret0123456789ABCDEFxyz";
pub const REPO: &str = "acme/app";
pub const BRANCH: &str = "amplication";
/// The author of the commits the emulators' `MoveBranch` fault makes.
pub const OTHER_WRITER: &str = "Another Writer";

/// A hosting provider the suite runs against.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Provider {
    Github,
    Bitbucket,
}

/// The providers every parameterised test runs against.
pub const PROVIDERS: &[Provider] = &[Provider::Github, Provider::Bitbucket];

/// How a provider commits (`--commit-mode`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Rest,
    Graphql,
    /// Bitbucket's only way: one multipart `POST /src` per commit (no `--commit-mode`).
    Src,
}

impl Provider {
    pub fn name(self) -> &'static str {
        match self {
            Provider::Github => "github",
            Provider::Bitbucket => "bitbucket",
        }
    }

    pub fn modes(self) -> &'static [Mode] {
        match self {
            Provider::Github => &[Mode::Rest, Mode::Graphql],
            Provider::Bitbucket => &[Mode::Src],
        }
    }

    /// `(method, path pattern)` of the requests that move the sync branch in `mode`.
    pub fn branch_writes(self, mode: Mode) -> Vec<(&'static str, &'static str)> {
        match (self, mode) {
            // The ref update is a GraphQL `updateRefs` in both modes (a compare-and-swap).
            (Provider::Github, Mode::Rest | Mode::Graphql) => vec![("POST", "/graphql")],
            // Creates the branch or moves it (409 when `parents` is no longer its head).
            (Provider::Bitbucket, _) => vec![("POST", "/2.0/repositories/acme/app/src")],
            (Provider::Github, Mode::Src) => unreachable!("GitHub has no /src mode"),
        }
    }

    /// The flags that select `mode`.
    pub fn mode_flags(self, mode: Mode) -> Vec<&'static str> {
        match self {
            Provider::Github => vec!["--commit-mode", mode.flag()],
            Provider::Bitbucket => Vec::new(),
        }
    }
}

impl Mode {
    pub fn flag(self) -> &'static str {
        match self {
            Mode::Rest => "rest",
            Mode::Graphql => "graphql",
            Mode::Src => "src",
        }
    }
}

/// The emulator of one provider.
pub enum Forge {
    Github(GithubEmulator),
    Bitbucket(BitbucketEmulator),
}

/// The starting state of the repository.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Seed {
    /// `main` with a README and a person's file.
    Normal,
    /// No commit at all.
    Empty,
}

pub struct Env {
    pub provider: Provider,
    pub forge: Forge,
    pub work: tempfile::TempDir,
    /// stdout and stderr of every run, for the secrets check.
    pub transcripts: Mutex<Vec<Vec<u8>>>,
    /// Files written by runs (Actions outputs, step summaries), for the secrets check.
    pub written: Mutex<Vec<PathBuf>>,
}

/// Starting and the repository.
impl Env {
    pub fn start(provider: Provider) -> Env {
        Env::start_with(provider, Seed::Normal, true)
    }

    /// `validate`: check requests against the provider's official API description (slower;
    /// the fault suite turns it off for speed, the other tests keep it on).
    pub fn start_with(provider: Provider, seed: Seed, validate: bool) -> Env {
        let forge = match provider {
            Provider::Github => {
                let mut config = GithubConfig::default().token(TokenConfig::actions(TOKEN));
                if !validate {
                    config = config.without_validation();
                }
                let emu = GithubEmulator::start(config).expect("emulator starts");
                let spec = match seed {
                    Seed::Normal => RepoSpec::new(REPO)
                        .file("README.md", "# app\n")
                        .file("docs/human.md", "written by a person\n"),
                    Seed::Empty => RepoSpec::new(REPO).empty(),
                };
                emu.create_repo(&spec).expect("repo");
                Forge::Github(emu)
            }
            Provider::Bitbucket => {
                let mut config =
                    BitbucketConfig::default().credential(CredentialConfig::access_token(TOKEN));
                if !validate {
                    config = config.without_validation();
                }
                let emu = BitbucketEmulator::start(config).expect("emulator starts");
                let spec = match seed {
                    Seed::Normal => BitbucketRepoSpec::new(REPO)
                        .file("README.md", "# app\n")
                        .file("docs/human.md", "written by a person\n"),
                    Seed::Empty => BitbucketRepoSpec::new(REPO).empty(),
                };
                emu.create_repo(&spec).expect("repo");
                Forge::Bitbucket(emu)
            }
        };
        Env {
            provider,
            forge,
            work: tempfile::tempdir().expect("tempdir"),
            transcripts: Mutex::new(Vec::new()),
            written: Mutex::new(Vec::new()),
        }
    }

    pub fn git_dir(&self) -> PathBuf {
        match &self.forge {
            Forge::Github(e) => e.git_dir(REPO).expect("git dir"),
            Forge::Bitbucket(e) => e.git_dir(REPO).expect("git dir"),
        }
    }

    pub fn head(&self, branch: &str) -> Option<String> {
        match &self.forge {
            Forge::Github(e) => e.branch_head(REPO, branch).expect("branch head"),
            Forge::Bitbucket(e) => e.branch_head(REPO, branch).expect("branch head"),
        }
        .map(|o| o.as_str().to_owned())
    }

    /// Every branch and its head.
    pub fn heads(&self) -> BTreeMap<String, String> {
        self.git_opt(&[
            "for-each-ref",
            "--format=%(refname:short) %(objectname)",
            "refs/heads",
        ])
        .unwrap_or_default()
        .lines()
        .filter_map(|l| l.split_once(' '))
        .map(|(b, o)| (b.to_owned(), o.to_owned()))
        .collect()
    }

    /// `(number, head branch, open)` of every pull request.
    pub fn pulls(&self) -> Vec<(u64, String, bool)> {
        match &self.forge {
            Forge::Github(e) => e
                .pulls(REPO)
                .expect("pulls")
                .into_iter()
                .map(|p| {
                    let open = p.state == gensync_tests::github::PullState::Open;
                    (p.number, p.head, open)
                })
                .collect(),
            Forge::Bitbucket(e) => e
                .pulls(REPO)
                .expect("pulls")
                .into_iter()
                .map(|p| {
                    let open = p.state == gensync_tests::bitbucket::PullState::Open;
                    (p.id, p.source, open)
                })
                .collect(),
        }
    }

    /// How many pull-request comments (on every pull request) contain `text`.
    pub fn comments_containing(&self, text: &str) -> usize {
        match &self.forge {
            Forge::Github(e) => e
                .pulls(REPO)
                .expect("pulls")
                .iter()
                .flat_map(|p| &p.comments)
                .filter(|c| c.body.contains(text))
                .count(),
            Forge::Bitbucket(e) => e
                .pulls(REPO)
                .expect("pulls")
                .iter()
                .flat_map(|p| &p.comments)
                .filter(|c| c.raw.contains(text))
                .count(),
        }
    }

    pub fn open_pulls_for(&self, branch: &str) -> usize {
        self.pulls()
            .iter()
            .filter(|(_, h, open)| h == branch && *open)
            .count()
    }

    /// Another writer commits `path` on `branch`.
    pub fn other_writer_commit(&self, branch: &str, path: &str, content: &str) -> String {
        let changes = [FileChange::write(path, content)];
        let message = "A person's change\n";
        match &self.forge {
            Forge::Github(e) => e
                .commit_files(REPO, branch, &changes, message)
                .expect("commit"),
            Forge::Bitbucket(e) => e
                .commit_files(REPO, branch, &changes, message)
                .expect("commit"),
        }
        .as_str()
        .to_owned()
    }

    /// Accepts `token`, which may read but not write contents or pull requests.
    pub fn add_read_only_token(&self, token: &str) {
        match &self.forge {
            Forge::Github(e) => e.add_token(TokenConfig::actions(token).read_only()),
            Forge::Bitbucket(e) => {
                e.add_credential(CredentialConfig::access_token(token).scopes(Scopes::READ))
            }
        }
    }

    /// Protects `branch`: the API refuses to move it (GitHub's emulator only; the Bitbucket
    /// emulator has no branch restrictions, its cases use a canned refusal instead).
    pub fn protect(&self, branch: &str) {
        match &self.forge {
            Forge::Github(e) => e.protect_branch(REPO, branch).expect("protect"),
            Forge::Bitbucket(e) => e.restrict_pushes(REPO, branch).expect("restrict"),
        }
    }

    pub fn add_fault(&self, rule: FaultRule) -> FaultId {
        match &self.forge {
            Forge::Github(e) => e.add_fault(rule),
            Forge::Bitbucket(e) => e.add_fault(rule),
        }
    }

    pub fn fault_fired(&self, id: FaultId) -> u32 {
        match &self.forge {
            Forge::Github(e) => e.fault_fired(id),
            Forge::Bitbucket(e) => e.fault_fired(id),
        }
    }

    /// Waits until the emulator handles no request (a delayed one the client gave up on
    /// acts late: the repository is looked at only after it did). Panics after 30 s.
    pub fn wait_idle(&self) {
        let limit = Duration::from_secs(30);
        let idle = match &self.forge {
            Forge::Github(e) => e.wait_idle(limit),
            Forge::Bitbucket(e) => e.wait_idle(limit),
        };
        assert!(idle, "the emulator still handles a request after {limit:?}");
    }

    pub fn clear_faults(&self) {
        match &self.forge {
            Forge::Github(e) => e.clear_faults(),
            Forge::Bitbucket(e) => e.clear_faults(),
        }
    }

    pub fn requests(&self) -> Vec<RecordedRequest> {
        match &self.forge {
            Forge::Github(e) => e.requests(),
            Forge::Bitbucket(e) => e.requests(),
        }
    }

    pub fn clear_requests(&self) {
        match &self.forge {
            Forge::Github(e) => e.clear_requests(),
            Forge::Bitbucket(e) => e.clear_requests(),
        }
    }

    pub fn assert_no_invalid_requests(&self) {
        match &self.forge {
            Forge::Github(e) => e.assert_no_invalid_requests(),
            Forge::Bitbucket(e) => e.assert_no_invalid_requests(),
        }
    }

    /// Forgets requests the test made invalid on purpose (bad inputs never reach the API, but a
    /// canned fault may answer an otherwise valid one).
    pub fn take_invalid_requests(&self) -> Vec<RecordedRequest> {
        match &self.forge {
            Forge::Github(e) => e.take_invalid_requests(),
            Forge::Bitbucket(e) => e.take_invalid_requests(),
        }
    }

    /// The provider's flags that point gensync at the emulator.
    pub fn provider_args(&self) -> Vec<String> {
        match &self.forge {
            Forge::Github(e) => vec![
                "--provider".into(),
                "github".into(),
                "--api-url".into(),
                e.base_url().into(),
                "--graphql-url".into(),
                e.graphql_url().into(),
            ],
            Forge::Bitbucket(e) => vec![
                "--provider".into(),
                "bitbucket".into(),
                "--api-url".into(),
                e.api_url().into(),
            ],
        }
    }

    /// The Actions inputs that point gensync at the emulator.
    pub fn provider_inputs(&self) -> Vec<(String, String)> {
        match &self.forge {
            Forge::Github(e) => vec![
                ("INPUT_API-URL".into(), e.base_url().into()),
                ("INPUT_GRAPHQL-URL".into(), e.graphql_url().into()),
            ],
            Forge::Bitbucket(e) => vec![("BITBUCKET_API_URL".into(), e.api_url().into())],
        }
    }

    /// The token variables gensync reads for this provider.
    pub fn token_env(&self) -> Vec<(&'static str, &'static str)> {
        match self.provider {
            Provider::Github => vec![("GITHUB_TOKEN", TOKEN)],
            Provider::Bitbucket => vec![("BITBUCKET_ACCESS_TOKEN", TOKEN)],
        }
    }
}

/// git on the emulator's bare repository.
impl Env {
    pub fn git(&self, args: &[&str]) -> String {
        self.git_opt(args)
            .unwrap_or_else(|e| panic!("git {args:?}: {e}"))
    }

    /// How many objects the emulator's repository holds, loose and packed (`git count-objects -v`).
    pub fn object_count(&self) -> u64 {
        self.git(&["count-objects", "-v"])
            .lines()
            .filter_map(|l| {
                let (key, value) = l.split_once(": ")?;
                matches!(key, "count" | "in-pack").then(|| value.trim().parse::<u64>().ok())?
            })
            .sum()
    }

    pub fn git_opt(&self, args: &[&str]) -> Result<String, String> {
        let out = Command::new("git")
            .arg("--git-dir")
            .arg(self.git_dir())
            .args(args)
            .output()
            .expect("git runs");
        if out.status.success() {
            Ok(String::from_utf8(out.stdout).expect("utf-8"))
        } else {
            Err(String::from_utf8_lossy(&out.stderr).into_owned())
        }
    }

    /// `path -> (mode, blob id)` of `commit`'s tree, recursively.
    pub fn tree(&self, commit: &str) -> BTreeMap<String, (String, String)> {
        self.git(&["ls-tree", "-r", "--full-tree", commit])
            .lines()
            .filter_map(|l| {
                let (meta, path) = l.split_once('\t')?;
                let mut f = meta.split(' ');
                let mode = f.next()?.to_owned();
                let _kind = f.next()?;
                let oid = f.next()?.to_owned();
                Some((path.to_owned(), (mode, oid)))
            })
            .collect()
    }

    /// Whether `ancestor` is an ancestor of (or equal to) `descendant`.
    pub fn is_ancestor(&self, ancestor: &str, descendant: &str) -> bool {
        Command::new("git")
            .arg("--git-dir")
            .arg(self.git_dir())
            .args(["merge-base", "--is-ancestor", ancestor, descendant])
            .status()
            .expect("git runs")
            .success()
    }

    /// The commits on `rev`'s history whose `Build-Id` trailer is `build_id`.
    pub fn commits_for_build(&self, rev: &str, build_id: &str) -> Vec<String> {
        self.git(&[
            "log",
            "--format=%H%x09%(trailers:key=Build-Id,valueonly,separator=%x2C)",
            rev,
        ])
        .lines()
        .filter_map(|l| l.split_once('\t'))
        .filter(|(_, id)| id.trim() == build_id)
        .map(|(c, _)| c.to_owned())
        .collect()
    }

    /// `(created, lost)`: every commit of the other writer in the object database, and those
    /// of them not reachable from `rev` (overwritten by somebody).
    pub fn other_writer_commits_lost(&self, rev: Option<&str>) -> (usize, usize) {
        let all: Vec<String> = self
            .git(&[
                "cat-file",
                "--batch-all-objects",
                "--batch-check=%(objectname) %(objecttype)",
            ])
            .lines()
            .filter_map(|l| l.strip_suffix(" commit"))
            .map(str::to_owned)
            .collect();
        if all.is_empty() {
            return (0, 0);
        }
        let mut args = vec!["log", "--no-walk=unsorted", "--format=%H %an"];
        args.extend(all.iter().map(String::as_str));
        let theirs: Vec<String> = self
            .git(&args)
            .lines()
            .filter_map(|l| l.split_once(' '))
            .filter(|(_, a)| *a == OTHER_WRITER)
            .map(|(c, _)| c.to_owned())
            .collect();
        let reachable: std::collections::HashSet<String> = match rev {
            Some(r) => self
                .git(&["rev-list", &format!("--author={OTHER_WRITER}"), r])
                .lines()
                .map(str::to_owned)
                .collect(),
            None => Default::default(),
        };
        let lost = theirs.iter().filter(|c| !reachable.contains(*c)).count();
        (theirs.len(), lost)
    }
}

/// Builds.
impl Env {
    /// A fresh folder for a build.
    pub fn dir(&self, name: &str) -> PathBuf {
        let dir = self.work.path().join(format!("{name}-{}", unique()));
        std::fs::create_dir_all(&dir).expect("build dir");
        dir
    }

    /// A small build that differs from its neighbours: a constant file, one per build, a
    /// rotating set (so builds add and delete), and a file that changes every other build.
    pub fn build(&self, k: u64) -> PathBuf {
        let dir = self.dir(&format!("build-{k}"));
        write_build(&dir, k);
        dir
    }
}

/// The build `k` written into `dir`.
pub fn write_build(dir: &Path, k: u64) {
    let files = build_files(k);
    for (path, content) in files {
        let p = dir.join(path);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(p, content).expect("write");
    }
}

pub fn build_files(k: u64) -> Vec<(String, String)> {
    let mut v = vec![
        (
            "src/common.ts".to_owned(),
            "export const app = 1;\n".to_owned(),
        ),
        (
            "src/build.ts".to_owned(),
            format!("export const build = {k};\n"),
        ),
        (
            format!("src/rotating/m{}.ts", k % 3),
            format!("export const m = {};\n", k % 3),
        ),
        (
            "README.generated.md".to_owned(),
            format!("# generated, generation {}\n", k / 2),
        ),
    ];
    if k.is_multiple_of(4) {
        v.push((
            "src/extra.ts".to_owned(),
            "export const extra = true;\n".to_owned(),
        ));
    }
    v
}

/// Running gensync.
impl Env {
    /// `gensync sync` of `output` as build `build_id` with `extra` flags.
    pub fn sync(&self, output: &Path, build_id: &str, extra: &[&str]) -> Output {
        self.run(&self.sync_args(output, build_id, extra), &[])
    }

    pub fn sync_args(&self, output: &Path, build_id: &str, extra: &[&str]) -> Vec<String> {
        let mut args: Vec<String> = vec![
            "sync".into(),
            "--repository".into(),
            REPO.into(),
            "--output".into(),
            output.to_str().expect("utf-8 path").into(),
            "--message".into(),
            format!(
                "Build {build_id}: update generated code\n\nGenerated by the reliability suite."
            ),
            "--build-id".into(),
            build_id.into(),
            "--build-url".into(),
            format!("https://builds.example.com/{build_id}"),
            "--json".into(),
        ];
        args.extend(self.provider_args());
        args.extend(extra.iter().map(|s| s.to_string()));
        args
    }

    pub fn command(&self, args: &[String], env: &[(&str, &str)]) -> Command {
        let mut cmd = Command::new(bin());
        cmd.args(args)
            .env("GENSYNC_RETRY_SCALE", "0.001")
            .env_remove("GH_TOKEN")
            .env_remove("GITHUB_TOKEN")
            .env_remove("GITHUB_ACTIONS")
            .env_remove("GITHUB_API_URL")
            .env_remove("GITHUB_REPOSITORY")
            .env_remove("GITHUB_GRAPHQL_URL")
            .env_remove("BITBUCKET_BUILD_NUMBER");
        for var in [
            "BITBUCKET_ACCESS_TOKEN",
            "BITBUCKET_TOKEN",
            "BITBUCKET_USERNAME",
            "BITBUCKET_APP_PASSWORD",
            "BITBUCKET_API_TOKEN",
            "BITBUCKET_OAUTH_CLIENT_ID",
            "BITBUCKET_OAUTH_CLIENT_SECRET",
            "BITBUCKET_API_URL",
            "BITBUCKET_CLONE_DIR",
            "BITBUCKET_GIT_HTTP_ORIGIN",
            "BITBUCKET_REPO_SLUG",
            "BITBUCKET_WORKSPACE",
        ] {
            cmd.env_remove(var);
        }
        for (k, v) in self.token_env() {
            cmd.env(k, v);
        }
        for (k, v) in env {
            cmd.env(k, v);
        }
        cmd
    }

    /// Runs gensync to the end; keeps its output for the secrets check.
    pub fn run(&self, args: &[String], env: &[(&str, &str)]) -> Output {
        let out = self.command(args, env).output().expect("gensync runs");
        self.keep(&out);
        out
    }

    /// Starts gensync without waiting (the crash tests kill it).
    pub fn spawn(&self, args: &[String], env: &[(&str, &str)]) -> Child {
        self.command(args, env)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("gensync starts")
    }

    pub fn keep(&self, out: &Output) {
        let mut t = self.transcripts.lock().expect("lock");
        t.push(out.stdout.clone());
        t.push(out.stderr.clone());
    }

    /// Every transcript, written file and recorded request field (headers minus
    /// `Authorization`, path, query, body) must be free of the token and its base64 forms.
    pub fn assert_no_secret_anywhere(&self) -> usize {
        let needles = secret_forms(TOKEN);
        let mut checked = 0;
        let check = |what: &str, text: &str| {
            for n in &needles {
                assert!(
                    !text.contains(n.as_str()),
                    "the token leaked in {what}: {text}"
                );
            }
        };
        for t in self.transcripts.lock().expect("lock").iter() {
            // The one line where the token must appear: the runner consumes `::add-mask::`.
            let text: String = String::from_utf8_lossy(t)
                .lines()
                .filter(|l| !l.starts_with("::add-mask::"))
                .map(|l| format!("{l}\n"))
                .collect();
            check("a gensync output stream", &text);
            checked += 1;
        }
        for f in self.written.lock().expect("lock").iter() {
            let text = std::fs::read(f).unwrap_or_default();
            check(&f.display().to_string(), &String::from_utf8_lossy(&text));
            checked += 1;
        }
        for r in self.requests() {
            let mut text = format!("{} {}?{}\n{}\n", r.method, r.path, r.query, r.body);
            for (n, v) in &r.headers {
                text.push_str(&format!("{n}: {v}\n"));
            }
            text.push_str(&format!("{:?} {:?}", r.fault, r.invalid));
            check(&format!("recorded request {} {}", r.method, r.path), &text);
            checked += 1;
        }
        checked
    }
}

/// The token, its base64 forms (standard, URL-safe, unpadded) and its Basic-auth forms.
pub fn secret_forms(token: &str) -> Vec<String> {
    use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
    use base64::Engine;
    let mut v = vec![token.to_owned()];
    for plain in [
        token.to_owned(),
        format!("x-access-token:{token}"),
        format!("x-token-auth:{token}"),
    ] {
        for engine in [&STANDARD, &STANDARD_NO_PAD, &URL_SAFE, &URL_SAFE_NO_PAD] {
            v.push(engine.encode(&plain));
        }
    }
    v.sort();
    v.dedup();
    v
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

pub fn ok_json(out: &Output) -> serde_json::Value {
    assert!(
        out.status.success(),
        "gensync failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&out.stdout)))
}

pub fn failure(out: &Output) -> String {
    assert!(
        !out.status.success(),
        "expected failure, got:\n{}",
        String::from_utf8_lossy(&out.stdout)
    );
    stderr(out)
}

fn unique() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    N.fetch_add(1, Ordering::Relaxed)
}

/// Checks that `commit` holds build `k` completely: every file of the build with git's blob id
/// (computed by `git hash-object`), no generated file of another build under `src/`, and the
/// manifest. Returns a description of the first difference.
pub fn check_build_in(env: &Env, commit: &str, build_dir: &Path) -> Result<(), String> {
    let tree = env.tree(commit);
    let files = list_files(build_dir);
    let mut cmd = Command::new("git");
    cmd.arg("hash-object").args(files.iter().map(|(_, p)| p));
    let out = cmd.output().expect("git hash-object");
    let ids = String::from_utf8(out.stdout).expect("utf-8");
    for ((rel, _), id) in files.iter().zip(ids.lines()) {
        match tree.get(rel) {
            Some((_, oid)) if oid == id => {}
            other => return Err(format!("{rel}: expected {id}, found {other:?}")),
        }
    }
    let expected: std::collections::BTreeSet<&str> =
        files.iter().map(|(r, _)| r.as_str()).collect();
    for path in tree.keys().filter(|p| p.starts_with("src/")) {
        if !expected.contains(path.as_str()) {
            return Err(format!("{path} should have been deleted"));
        }
    }
    let Some((manifest_path, (_, manifest_id))) = tree
        .iter()
        .find(|(p, _)| p.ends_with(".amplication/manifest"))
    else {
        return Err("no manifest".into());
    };
    // The manifest's content, not only its presence: exactly the build's files with their ids.
    let prefix = manifest_path.trim_end_matches(".amplication/manifest");
    let text = env.git(&["cat-file", "blob", manifest_id]);
    let listed: std::collections::BTreeMap<String, String> = text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .filter_map(|l| {
            let mut f = l.splitn(3, ' ');
            let _mode = f.next()?;
            let id = f.next()?.to_owned();
            Some((format!("{prefix}{}", f.next()?), id))
        })
        .collect();
    let built: std::collections::BTreeMap<String, String> = files
        .iter()
        .zip(ids.lines())
        .map(|((rel, _), id)| (rel.clone(), id.to_owned()))
        .collect();
    if listed != built {
        return Err(format!(
            "{manifest_path} lists {} file(s) that do not match the build's {} (first difference: {:?})",
            listed.len(),
            built.len(),
            listed
                .iter()
                .zip(built.iter())
                .find(|(a, b)| a != b)
                .map(|(a, b)| (a.0.clone(), b.0.clone()))
        ));
    }
    Ok(())
}

/// `(relative path, absolute path)` of every file below `dir`, sorted.
pub fn list_files(dir: &Path) -> Vec<(String, PathBuf)> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<(String, PathBuf)>) {
        for e in std::fs::read_dir(dir).expect("read dir") {
            let e = e.expect("entry");
            let p = e.path();
            if e.file_type().expect("type").is_dir() {
                walk(root, &p, out);
            } else {
                let rel = p.strip_prefix(root).expect("below root");
                out.push((rel.to_string_lossy().replace('\\', "/"), p));
            }
        }
    }
    let mut v = Vec::new();
    walk(dir, dir, &mut v);
    v.sort();
    v
}
