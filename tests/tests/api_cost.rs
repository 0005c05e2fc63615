//! API cost of one incremental sync (issue 8, item 3): how many requests the real `gensync`
//! binary sends and how many bytes it uploads, per provider (GitHub, Bitbucket: see
//! [`providers`]) and commit mode, read from the emulators' request records.
//!
//! Each case is a deterministic synthetic service (sizes log-normal around 6 KB of text): a
//! first build is synced (setup, not measured), then a second build with some files changed
//! (80 % modified, 10 % added, 10 % deleted) is synced on top of it and measured. The branch is
//! reset to the first build's commit between commit modes, so every mode starts from the same
//! state: the sync branch and its open pull request exist.
//!
//! Asserted (structure, not speed):
//! - GitHub, GraphQL mode, 300 files with 10 changed: at most 6 requests, and at most 1.4× the
//!   bytes the commit writes uploaded (the changed and added files plus the new manifest, which
//!   lists every file and is part of the commit);
//! - every provider and mode: the request count does not depend on the number of unchanged
//!   files. Requests of a per-file kind (uploads of large files, bounded tree requests: see
//!   [`Provider::per_file`]) number at most the files the commit writes or deletes; every other
//!   kind is sent the same number of times for 300 files with 10 changed, 5,000 files with 10
//!   changed and 5,000 files with 500 changed, and no other kind appears. (The manifest is one
//!   of the written files and lists every file: over GitHub's 256 KiB inline limit, REST uploads
//!   it as a blob, one per-file request.) A provider with a known [`Provider::deviation`] gets
//!   only the second half checked, and the deviation is printed with the table.
//!
//! `cargo test -p gensync-tests --test api_cost -- --nocapture` prints the table;
//! with `GENSYNC_WRITE_BENCHMARKS=1` it is also written into `BENCHMARKS.md` between
//! `<!-- api-cost:begin -->` and `<!-- api-cost:end -->`. `GENSYNC_BIN` measures another
//! build of the binary (e.g. an older commit's, for a before/after comparison).

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use gensync_tests::cli::bin;
use gensync_tests::forge::{BitbucketForge, Forge, GithubForge, REPO};
use gensync_tests::record::RecordedRequest;

const BRANCH: &str = "amplication";

/// A hosting service whose emulator the cost is measured on ([`Forge`]), with what the
/// measurement must know of its API. A new provider is one more implementation listed in
/// [`providers`].
trait Provider {
    /// Its name in the table.
    fn name(&self) -> &'static str;
    /// Its commit modes: the name in the table and the `--commit-mode` value (`None`: the
    /// provider has one way to commit and no such flag). The first also makes the setup commit.
    fn modes(&self) -> &'static [(&'static str, Option<&'static str>)];
    /// A fresh emulator holding [`REPO`] (a `README.md` on `main`).
    fn start(&self) -> Box<dyn Forge>;
    /// The path prefix of the repository's API, left out of the table.
    fn repo_prefix(&self) -> &'static str;
    /// Whether requests of `kind` ([`kind`]) are spent per file the commit writes or deletes
    /// (an upload of a large file, one more bounded request of tree entries): their number may
    /// follow the size of the change, never the number of unchanged files.
    fn per_file(&self, mode: &str, kind: &str) -> bool;
    /// Where the provider's request count is known to depend on unchanged files after all
    /// (shown with the table; the per-file bound is then not asserted for it).
    fn deviation(&self) -> Option<&'static str> {
        None
    }
}

fn providers() -> Vec<Box<dyn Provider>> {
    vec![Box::new(GitHub), Box::new(Bitbucket)]
}

struct GitHub;

impl Provider for GitHub {
    fn name(&self) -> &'static str {
        "GitHub"
    }

    fn modes(&self) -> &'static [(&'static str, Option<&'static str>)] {
        &[("rest", Some("rest")), ("graphql", Some("graphql"))]
    }

    fn start(&self) -> Box<dyn Forge> {
        Box::new(GithubForge::start("ghs_apiCostToken0123456789abcdefabcd"))
    }

    fn repo_prefix(&self) -> &'static str {
        "/repos/acme/app"
    }

    fn per_file(&self, mode: &str, kind: &str) -> bool {
        // Blobs over the inline limit (or not UTF-8) are uploaded one by one; tree entries go in
        // requests of at most 1,000 entries and 4 MiB.
        mode == "rest" && matches!(kind, "POST /git/blobs" | "POST /git/trees")
    }
}

struct Bitbucket;

impl Provider for Bitbucket {
    fn name(&self) -> &'static str {
        "Bitbucket"
    }

    fn modes(&self) -> &'static [(&'static str, Option<&'static str>)] {
        &[("src", None)]
    }

    fn start(&self) -> Box<dyn Forge> {
        Box::new(BitbucketForge::start("bbat_apiCostToken0123456789abcdef"))
    }

    fn repo_prefix(&self) -> &'static str {
        "/2.0/repositories/acme/app"
    }

    fn per_file(&self, _mode: &str, kind: &str) -> bool {
        // The branch view learns the state of each path it must read (the manifest, added
        // files, files people edited) by listing its folder when that takes fewer requests
        // than the paths (pages grow with the folder's entries), else one by one.
        matches!(
            kind,
            "GET /src/{sha}/{dir}/" | "GET /src/{sha}/{path}?format=meta"
        )
    }
}

/// Runs `gensync sync` of `output` as build `build_id` with `--commit-mode mode` if given;
/// panics with the binary's stderr when it fails.
fn sync(forge: &dyn Forge, output: &Path, build_id: &str, mode: Option<&str>) {
    let mut cmd = Command::new(bin());
    cmd.arg("sync")
        .args(forge.flags())
        .args(["--repository", REPO, "--output"])
        .arg(output)
        .args(["--target-dir", "services/orders"])
        .args([
            "--message",
            &format!("Build {build_id}\n\nSynthetic build."),
        ])
        .args(["--build-id", build_id])
        .args([
            "--build-url",
            &format!("https://builds.example.com/{build_id}"),
        ])
        .arg("--json")
        .env("GENSYNC_RETRY_SCALE", "0.001");
    if let Some(mode) = mode {
        cmd.args(["--commit-mode", mode]);
    }
    for (name, _) in std::env::vars_os() {
        let name = name.to_string_lossy().into_owned();
        if name.starts_with("GITHUB_") || name.starts_with("BITBUCKET_") || name == "GH_TOKEN" {
            cmd.env_remove(name);
        }
    }
    for (k, v) in forge.env() {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("gensync runs");
    assert!(
        out.status.success(),
        "gensync sync (build {build_id}, {mode:?}) failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `git` in the repository's bare directory, as text.
fn git(forge: &dyn Forge, args: &[&str]) -> String {
    let out = Command::new("git")
        .arg("--git-dir")
        .arg(forge.git_dir())
        .args(args)
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8 output")
}

/// How a request is counted in the table: its method and path below the repository, ids and
/// numbers replaced by placeholders.
fn kind(provider: &dyn Provider, request: &RecordedRequest) -> String {
    let path = request
        .path
        .strip_prefix(provider.repo_prefix())
        .unwrap_or(&request.path);
    let mut template: Vec<String> = Vec::new();
    let mut segments = path.split('/');
    while let Some(segment) = segments.next() {
        if segment.len() >= 40 && segment.bytes().all(|b| b.is_ascii_hexdigit()) {
            template.push("{sha}".to_owned());
            // A path inside a commit (Bitbucket's `/src/{commit}/{path}`): a file or a folder.
            let rest: Vec<&str> = segments.by_ref().collect();
            match rest.last() {
                None => {}
                Some(&"") => template.push("{dir}/".to_owned()),
                Some(_) => template.push("{path}".to_owned()),
            }
        } else if !segment.is_empty() && segment.bytes().all(|b| b.is_ascii_digit()) {
            template.push("{n}".to_owned());
        } else {
            template.push(segment.to_owned());
        }
    }
    let mut template = match template.join("/").replace("{dir}//", "{dir}/") {
        t if t.is_empty() => "(repository)".to_owned(),
        t => t,
    };
    // A path's metadata (Bitbucket's `format=meta`) is another kind than its contents.
    if request.query.split('&').any(|p| p == "format=meta") {
        template.push_str("?format=meta");
    }
    format!("{} {template}", request.method)
}

/// splitmix64: small, deterministic, good enough for synthetic content.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

/// The standard normal quantile function (Acklam's rational approximation, relative error
/// below 1.2e-9).
fn probit(p: f64) -> f64 {
    const A: [f64; 6] = [
        -3.969_683_028_665_376e1,
        2.209_460_984_245_205e2,
        -2.759_285_104_469_687e2,
        1.383_577_518_672_69e2,
        -3.066_479_806_614_716e1,
        2.506_628_277_459_239,
    ];
    const B: [f64; 5] = [
        -5.447_609_879_822_406e1,
        1.615_858_368_580_409e2,
        -1.556_989_798_598_866e2,
        6.680_131_188_771_972e1,
        -1.328_068_155_288_572e1,
    ];
    const C: [f64; 6] = [
        -7.784_894_002_430_293e-3,
        -3.223_964_580_411_365e-1,
        -2.400_758_277_161_838,
        -2.549_732_539_343_734,
        4.374_664_141_464_968,
        2.938_163_982_698_783,
    ];
    const D: [f64; 4] = [
        7.784_695_709_041_462e-3,
        3.224_671_290_700_398e-1,
        2.445_134_137_142_996,
        3.754_408_661_907_416,
    ];
    let tail = |q: f64| {
        (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    };
    if p < 0.024_25 {
        tail((-2.0 * p.ln()).sqrt())
    } else if p > 1.0 - 0.024_25 {
        -tail((-2.0 * (1.0 - p).ln()).sqrt())
    } else {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    }
}

/// The size of the `i`-th of `n` files: the log-normal's quantile `(i + ½) / n` (median 4.5 KB,
/// σ 0.75, mean about 6 KB, within 200 B – 200 KB). Quantiles rather than draws, so that even
/// ten files have sizes like the distribution's, whatever the seed.
fn size(i: usize, n: usize) -> usize {
    let q = (i as f64 + 0.5) / n as f64;
    (4500.0 * (0.75 * probit(q)).exp()).clamp(200.0, 200_000.0) as usize
}

/// Generated-looking TypeScript text of about `size` bytes.
fn content(rng: &mut Rng, size: usize) -> Vec<u8> {
    let mut out = String::with_capacity(size + 64);
    let mut line = 0;
    while out.len() < size {
        line += 1;
        out.push_str(&format!(
            "export const field{line}_{:012x} = {};\n",
            rng.next() & 0xffff_ffff_ffff,
            rng.next() % 100_000
        ));
    }
    out.into_bytes()
}

fn path(i: usize) -> String {
    const KINDS: [&str; 5] = ["controller", "service", "dto", "module", "resolver"];
    format!(
        "src/module-{:02}/entity-{:04}.{}.ts",
        i % 40,
        i,
        KINDS[i % KINDS.len()]
    )
}

/// A service of `files` files, as the first build generates it.
fn first_build(files: usize) -> BTreeMap<String, Vec<u8>> {
    let mut rng = Rng(files as u64);
    // 7919 is prime: `i * 7919 % files` visits every quantile once, in a scattered order.
    (0..files)
        .map(|i| (path(i), content(&mut rng, size(i * 7919 % files, files))))
        .collect()
}

/// The second build: `changed` files of `first` changed.
struct SecondBuild {
    files: BTreeMap<String, Vec<u8>>,
    /// Files added or modified, and their bytes.
    written: usize,
    written_bytes: usize,
    /// Files deleted.
    deleted: usize,
}

/// 80 % of the changes modify a file, 10 % add one, 10 % delete one, spread over the service.
fn second_build(first: &BTreeMap<String, Vec<u8>>, changed: usize) -> SecondBuild {
    let mut rng = Rng(first.len() as u64 * 7919 + changed as u64);
    let (deleted, added) = (changed / 10, changed / 10);
    let modified = changed - deleted - added;
    let mut files = first.clone();
    let mut written_bytes = 0;
    let step = first.len() / changed;
    for k in 0..modified + deleted {
        // Every step-th file, shifted so that all kinds of file are among them.
        let p = path(k * step + k % step);
        if k < modified {
            let data = content(&mut rng, size(k, modified + added));
            written_bytes += data.len();
            files.insert(p, data);
        } else {
            files.remove(&p);
        }
    }
    for k in 0..added {
        let data = content(&mut rng, size(modified + k, modified + added));
        written_bytes += data.len();
        files.insert(path(first.len() + k), data);
    }
    SecondBuild {
        files,
        written: modified + added,
        written_bytes,
        deleted,
    }
}

fn write_build(dir: &Path, files: &BTreeMap<String, Vec<u8>>) {
    for (p, data) in files {
        let file = dir.join(p);
        std::fs::create_dir_all(file.parent().expect("a parent")).expect("mkdir");
        std::fs::write(file, data).expect("write");
    }
}

/// One measured sync.
struct Row {
    provider: &'static str,
    mode: &'static str,
    files: usize,
    changed: usize,
    /// Files the commit writes or deletes (the manifest included).
    touched: usize,
    requests: usize,
    kinds: BTreeMap<String, usize>,
    uploaded: usize,
    /// Bytes of the files the commit writes (changed and added files, new manifest).
    written: usize,
    /// Of which the manifest.
    manifest: usize,
}

/// Body bytes of a request that uploads (POST, PATCH, PUT): its `content-length`, else the
/// recorded body.
fn uploaded(request: &RecordedRequest) -> usize {
    if !matches!(request.method.as_str(), "POST" | "PATCH" | "PUT") {
        return 0;
    }
    request
        .headers
        .iter()
        .find(|(n, _)| n == "content-length")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(request.body.len())
}

/// The paths and sizes the head commit of the sync branch writes relative to `before`, and
/// how many it deletes.
fn commit_writes(forge: &dyn Forge, before: &str) -> (BTreeMap<String, usize>, usize) {
    let raw = git(forge, &["diff-tree", "-r", "--no-renames", before, BRANCH]);
    let sizes: BTreeMap<String, usize> = git(forge, &["ls-tree", "-r", "-l", BRANCH])
        .lines()
        .filter_map(|l| {
            let (meta, p) = l.split_once('\t')?;
            Some((p.to_owned(), meta.split_whitespace().nth(3)?.parse().ok()?))
        })
        .collect();
    let mut written = BTreeMap::new();
    let mut deleted = 0;
    for line in raw.lines() {
        let (meta, p) = line.split_once('\t').expect("diff-tree line");
        match meta.rsplit(' ').next() {
            Some("D") => deleted += 1,
            _ => {
                written.insert(p.to_owned(), sizes[p]);
            }
        }
    }
    (written, deleted)
}

/// Syncs a first build of `files` files (setup), then for each count in `changes` and each
/// commit mode a second build on top of it (the branch reset to the first build's commit).
fn measure(provider: &dyn Provider, files: usize, changes: &[usize], work: &Path) -> Vec<Row> {
    let first = first_build(files);
    let first_dir = work.join(format!("{files}-1"));
    write_build(&first_dir, &first);
    let forge = provider.start();
    let forge = forge.as_ref();
    forge.create_repo(REPO, Some(&[("README.md", "# app\n")]));
    sync(forge, &first_dir, "1", provider.modes()[0].1);
    let before = git(forge, &["rev-parse", BRANCH]).trim().to_owned();
    let mut rows = Vec::new();
    for &changed in changes {
        let second = second_build(&first, changed);
        let second_dir = work.join(format!("{files}-{changed}-2"));
        write_build(&second_dir, &second.files);
        for (mode, flag) in provider.modes() {
            git(
                forge,
                &["update-ref", &format!("refs/heads/{BRANCH}"), &before],
            );
            let seen = forge.requests().len();
            sync(forge, &second_dir, "2", *flag);
            let requests = forge.requests().split_off(seen);
            forge.assert_no_invalid_requests();
            let (written, deleted) = commit_writes(forge, &before);
            assert_eq!(
                (written.len(), deleted),
                (second.written + 1, second.deleted),
                "{mode}: the commit writes the changed files and the manifest, and deletes the removed ones"
            );
            let manifest = written["services/orders/.amplication/manifest"];
            assert_eq!(
                written.values().sum::<usize>(),
                second.written_bytes + manifest
            );
            let mut kinds = BTreeMap::new();
            for r in &requests {
                *kinds.entry(kind(provider, r)).or_insert(0) += 1;
            }
            rows.push(Row {
                provider: provider.name(),
                mode,
                files,
                changed,
                touched: written.len() + deleted,
                requests: requests.len(),
                kinds,
                uploaded: requests.iter().map(uploaded).sum(),
                written: second.written_bytes + manifest,
                manifest,
            });
        }
    }
    rows
}

fn table(rows: &[Row]) -> String {
    let mut out = String::from(
        "| provider | commit mode | files | changed | requests | bytes uploaded | bytes written (of which manifest) | uploaded / written | requests by kind |\n|---|---|---:|---:|---:|---:|---:|---:|---|\n",
    );
    for r in rows {
        let kinds: Vec<String> = r.kinds.iter().map(|(k, n)| format!("`{k}` ×{n}")).collect();
        out.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} | {} ({}) | {:.2}× | {} |\n",
            r.provider,
            r.mode,
            r.files,
            r.changed,
            r.requests,
            r.uploaded,
            r.written,
            r.manifest,
            r.uploaded as f64 / r.written as f64,
            kinds.join(", ")
        ));
    }
    out
}

const BEGIN: &str = "<!-- api-cost:begin -->";
const END: &str = "<!-- api-cost:end -->";

/// Replaces (or appends) the API cost section of BENCHMARKS.md, leaving the rest as it is.
fn write_section(table: &str, notes: &str) {
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("../BENCHMARKS.md");
    let old = std::fs::read_to_string(&file).unwrap_or_else(|_| "# Benchmarks\n".to_owned());
    let section = format!(
        "{BEGIN}
## API cost: requests and bytes uploaded per sync

One incremental sync of a synthetic service whose sync branch and open pull request exist:
the second build changes the given number of files (80 % modified, 10 % added, 10 % deleted).
Deterministic text files whose sizes are the quantiles of a log-normal around 6 KB (median
4.5 KB, σ 0.75). Counted from the emulator's request record, with the real binary:
*requests* are every request of the sync; *bytes uploaded* are the bodies of POST, PATCH and
PUT requests; *bytes written* are the files the commit writes (the changed and added files plus
the new manifest, which lists every generated file and so grows with the service). GraphQL
carries file contents in Base64 (4/3 of their size); REST sends text inline in the tree
request (large or binary files as Base64 blobs); Bitbucket's `/src` is multipart with the raw
bytes. Paths in *requests by kind* are below the repository's API path
(`/repos/{{owner}}/{{repo}}`, `/2.0/repositories/{{workspace}}/{{repo}}`).

Asserted by the test: GitHub, GraphQL mode, 300 files / 10 changed: at most 6 requests and at
most 1.4× the bytes written uploaded; for every provider and mode, the requests other than
per-file ones are the same for 300 files with 10 changed, 5,000 with 10 and 5,000 with 500;
and the per-file ones number at most the files written or deleted (GitHub: REST blob uploads
and tree requests; Bitbucket: the folder listings and single-path lookups of the paths whose
state on the branch the sync must know, whichever takes fewer requests per folder: a listing
takes a page per 100 entries, so a large folder is not listed for one added file). The one
per-file request that appears with 5,000 files in GitHub's REST
mode is the manifest itself (424 KB, over the 256 KiB inline limit, so uploaded as a blob). In
GraphQL mode the manifest is read within the one query while it is under GitHub's
512,000-byte `Blob.text` limit (about 6,000 files with paths like these); a larger one costs
one REST blob read.

Command: `GENSYNC_WRITE_BENCHMARKS=1 cargo test -p gensync-tests --test api_cost -- --nocapture`

{table}{notes}
{END}
"
    );
    let new = match (old.find(BEGIN), old.find(END)) {
        (Some(b), Some(e)) if e > b => {
            format!(
                "{}{section}{}",
                &old[..b],
                old[e + END.len()..].trim_start_matches('\n')
            )
        }
        _ => format!(
            "{}\n{section}",
            old.trim_end_matches('\n').to_owned() + "\n"
        ),
    };
    std::fs::write(&file, new).expect("BENCHMARKS.md is writable");
}

#[test]
fn api_cost_of_an_incremental_sync() {
    let work = tempfile::tempdir().expect("tempdir");
    // (files, changed files): 5,000 with 10 changed isolates the effect of unchanged files.
    let cases: [(usize, &[usize]); 2] = [(300, &[10]), (5000, &[10, 500])];
    let mut rows = Vec::new();
    for provider in providers() {
        for (files, changes) in cases {
            rows.extend(measure(provider.as_ref(), files, changes, work.path()));
        }
    }
    let table = table(&rows);
    let notes: String = providers()
        .iter()
        .filter_map(|p| {
            p.deviation()
                .map(|d| format!("\nNot independent of unchanged files yet: {d}\n"))
        })
        .collect();
    println!("{table}{notes}");
    if std::env::var_os("GENSYNC_WRITE_BENCHMARKS").is_some() {
        write_section(&table, &notes);
    }

    let find = |provider: &str, mode: &str, files: usize, changed: usize| {
        rows.iter()
            .find(|r| (r.provider, r.mode, r.files, r.changed) == (provider, mode, files, changed))
            .expect("measured")
    };
    let small = find("GitHub", "graphql", 300, 10);
    assert!(
        small.requests <= 6,
        "GitHub GraphQL, 300 files / 10 changed: {} requests (target ≤ 6)",
        small.requests
    );
    assert!(
        small.uploaded as f64 <= 1.4 * small.written as f64,
        "GitHub GraphQL, 300 files / 10 changed: {} bytes uploaded for {} written (target ≤ 1.4×)",
        small.uploaded,
        small.written
    );
    for provider in providers() {
        let name = provider.name();
        for (mode, _) in provider.modes() {
            let measured = [
                find(name, mode, 300, 10),
                find(name, mode, 5000, 10),
                find(name, mode, 5000, 500),
            ];
            let fixed = |row: &Row| -> BTreeMap<String, usize> {
                row.kinds
                    .iter()
                    .filter(|(k, _)| !provider.per_file(mode, k))
                    .map(|(k, n)| (k.clone(), *n))
                    .collect()
            };
            for row in &measured[1..] {
                assert_eq!(
                    fixed(row),
                    fixed(measured[0]),
                    "{name} {mode}, {} files / {} changed: requests other than per-file ones must be those of 300 files / 10 changed",
                    row.files,
                    row.changed
                );
            }
            if provider.deviation().is_some() {
                continue;
            }
            for row in measured {
                let per_file: usize = row
                    .kinds
                    .iter()
                    .filter(|(k, _)| provider.per_file(mode, k))
                    .map(|(_, n)| n)
                    .sum();
                assert!(
                    per_file <= row.touched,
                    "{name} {mode}, {} files / {} changed: {per_file} per-file requests for {} files written or deleted",
                    row.files,
                    row.changed,
                    row.touched
                );
            }
        }
    }
}

#[test]
fn sizes_follow_the_log_normal() {
    assert!(probit(0.5).abs() < 1e-9);
    assert!((probit(0.975) - 1.959_963_985).abs() < 1e-6);
    assert!((probit(0.001) + 3.090_232_306).abs() < 1e-6);
    let mean = |n: usize| (0..n).map(|i| size(i, n)).sum::<usize>() as f64 / n as f64;
    assert!((5_500.0..6_100.0).contains(&mean(10)), "{}", mean(10));
    assert!((5_900.0..6_100.0).contains(&mean(5000)), "{}", mean(5000));
}
