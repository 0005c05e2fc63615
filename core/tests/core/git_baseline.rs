//! Differential tests against the real `git` CLI: blob ids, tree ids and the change set
//! between two builds must be exactly git's.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use gensync_core::{changeset, objects, BuildManifest, HashKind, IgnoreRules, Mode, Snapshot};

/// A tiny deterministic generator (xorshift64*), so failures reproduce from the seed.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

#[derive(Clone, PartialEq)]
struct File {
    mode: Mode,
    data: Vec<u8>,
}

type Build = BTreeMap<String, File>;

const NAMES: &[&str] = &[
    "a",
    "b.txt",
    "ünï",
    "файл.rs",
    "with space",
    "z-9",
    "x.bin",
    "empty",
    "日本",
];

fn random_build(rng: &mut Rng, n: usize) -> Build {
    let mut build = Build::new();
    while build.len() < n {
        let depth = rng.below(3);
        let mut path = String::new();
        for _ in 0..depth {
            path.push_str(["src", "lib", "dir one", "ß"][rng.below(4) as usize]);
            path.push('/');
        }
        path.push_str(NAMES[rng.below(NAMES.len() as u64) as usize]);
        path.push_str(&rng.below(5).to_string());
        // No path may be both a file and a folder.
        if build
            .keys()
            .any(|k| k.starts_with(&format!("{path}/")) || path.starts_with(&format!("{k}/")))
        {
            continue;
        }
        build.insert(path, random_file(rng));
    }
    build
}

fn random_file(rng: &mut Rng) -> File {
    let (mode, data) = match rng.below(8) {
        0 => (Mode::Executable, b"#!/bin/sh\necho hi\n".to_vec()),
        1 => (Mode::Regular, Vec::new()),
        2 => (
            Mode::Regular,
            (0..rng.below(300)).map(|_| rng.next() as u8).collect(),
        ),
        3 => (Mode::Symlink, b"../target".to_vec()),
        _ => (
            Mode::Regular,
            format!("line {}\nmore {}\n", rng.below(4), rng.below(3)).into_bytes(),
        ),
    };
    File { mode, data }
}

fn mutate(rng: &mut Rng, build: &Build) -> Build {
    let mut next = Build::new();
    for (p, f) in build {
        match rng.below(6) {
            0 => {} // deleted
            1 => {
                next.insert(p.clone(), random_file(rng));
            } // modified (maybe same)
            2 => {
                next.insert(
                    p.clone(),
                    File {
                        mode: if f.mode == Mode::Regular {
                            Mode::Executable
                        } else {
                            f.mode
                        },
                        data: f.data.clone(),
                    },
                );
            }
            _ => {
                next.insert(p.clone(), f.clone());
            }
        }
    }
    for (p, f) in random_build(rng, 4) {
        if !next
            .keys()
            .any(|k| k.starts_with(&format!("{p}/")) || p.starts_with(&format!("{k}/")))
        {
            next.entry(p).or_insert(f);
        }
    }
    next
}

fn snapshot(build: &Build) -> Snapshot {
    let mut s = Snapshot::new(HashKind::Sha1);
    for (p, f) in build {
        s.insert_data(p, f.mode, f.data.clone())
            .expect("generated paths are valid");
    }
    s
}

fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args([
            "-c",
            "core.quotePath=false",
            "-c",
            "core.symlinks=true",
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@e",
        ])
        .args(args)
        .current_dir(dir)
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8 output")
}

fn write_build(dir: &Path, build: &Build) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let entry = entry.unwrap();
        if entry.file_name() != ".git" {
            let p = entry.path();
            if p.is_dir() && !p.is_symlink() {
                std::fs::remove_dir_all(p).unwrap()
            } else {
                std::fs::remove_file(p).unwrap()
            }
        }
    }
    for (p, f) in build {
        let full = dir.join(p);
        std::fs::create_dir_all(full.parent().unwrap()).unwrap();
        match f.mode {
            Mode::Symlink => {
                std::os::unix::fs::symlink(std::str::from_utf8(&f.data).unwrap(), &full).unwrap()
            }
            mode => {
                std::fs::write(&full, &f.data).unwrap();
                use std::os::unix::fs::PermissionsExt;
                let bits = if mode == Mode::Executable {
                    0o755
                } else {
                    0o644
                };
                std::fs::set_permissions(&full, std::fs::Permissions::from_mode(bits)).unwrap();
            }
        }
    }
}

fn commit(dir: &Path, build: &Build) -> String {
    write_build(dir, build);
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "-q", "--allow-empty", "-m", "build"]);
    git(dir, &["rev-parse", "HEAD"]).trim().to_owned()
}

#[test]
fn blob_and_tree_ids_equal_git_and_change_sets_equal_git_diff() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    git(dir, &["init", "-q"]);
    for seed in 1..=12u64 {
        let mut rng = Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15));
        let first = random_build(&mut rng, 12);
        let second = mutate(&mut rng, &first);
        let c1 = commit(dir, &first);
        let s1 = snapshot(&first);

        // Blob ids: git hash-object of every regular file.
        for (p, e) in s1.iter().filter(|(_, e)| e.mode != Mode::Symlink) {
            assert_eq!(
                git(dir, &["hash-object", "--", p]).trim(),
                e.oid.to_string(),
                "seed {seed}: blob id of {p}"
            );
        }
        // Tree id: git write-tree of the same files.
        let ours = objects::tree_id(HashKind::Sha1, s1.iter().map(|(p, e)| (p, e.mode, e.oid)));
        assert_eq!(
            git(dir, &["write-tree"]).trim(),
            ours.to_string(),
            "seed {seed}: tree id"
        );

        // Change set vs git diff --name-status --no-renames.
        let c2 = commit(dir, &second);
        let s2 = snapshot(&second);
        let cs = changeset::compute(
            &BuildManifest::from_snapshot(&s1),
            &s2,
            &IgnoreRules::new(),
            None,
            &changeset::Options {
                allow_empty: true,
                ..Default::default()
            },
        )
        .unwrap();
        let mut ours: Vec<String> = Vec::new();
        ours.extend(cs.added.iter().map(|f| format!("A\t{}", f.path)));
        ours.extend(cs.modified.iter().map(|f| format!("M\t{}", f.path)));
        ours.extend(cs.deleted.iter().map(|f| format!("D\t{}", f.path)));
        for r in &cs.renamed {
            ours.push(format!("A\t{}", r.to));
            ours.push(format!("D\t{}", r.from));
        }
        ours.sort();
        let diff = git(
            dir,
            &["diff", "--name-status", "--no-renames", "-z", &c1, &c2],
        );
        let fields: Vec<&str> = diff.split('\0').filter(|s| !s.is_empty()).collect();
        let mut theirs: Vec<String> = fields
            .chunks(2)
            // git reports a file <-> symlink change as a type change; for us it is a mode change.
            .map(|c| format!("{}\t{}", if c[0] == "T" { "M" } else { c[0] }, c[1]))
            .collect();
        theirs.sort();
        assert_eq!(ours, theirs, "seed {seed}: change set vs git diff");
    }
}
