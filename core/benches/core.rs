//! Micro-benchmarks of the core, so regressions show in review: `cargo bench -p gensync-core`.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use gensync_core::changeset::{self, BranchTree, Options};
use gensync_core::snapshot::BlobHasher;
use gensync_core::{hash_blob, BuildManifest, HashKind, IgnoreRules, Mode, Snapshot, TreeEntry};

fn data(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 31 % 251) as u8).collect()
}

/// Git blob ids: gitoxide's collision-detecting SHA-1 (sha1dc, hardware-accelerated where the
/// CPU has SHA instructions) against plain SHA-1 (the `sha1` crate, no detection).
fn hashing(c: &mut Criterion) {
    let mut group = c.benchmark_group("hash_blob");
    for len in [6 * 1024, 1 << 20] {
        let d = data(len);
        group.throughput(Throughput::Bytes(len as u64));
        group.bench_with_input(BenchmarkId::new("sha1dc (gix)", len), &d, |b, d| {
            b.iter(|| hash_blob(HashKind::Sha1, d))
        });
        group.bench_with_input(
            BenchmarkId::new("sha1dc streamed, 128 KiB pieces", len),
            &d,
            |b, d| {
                b.iter(|| {
                    let mut h = BlobHasher::new(HashKind::Sha1, d.len() as u64);
                    for piece in d.chunks(128 << 10) {
                        h.update(piece);
                    }
                    h.finalize().expect("announced length")
                })
            },
        );
        group.bench_with_input(BenchmarkId::new("sha1 (no detection)", len), &d, |b, d| {
            b.iter(|| {
                use sha1::Digest;
                let mut h = sha1::Sha1::new();
                h.update(format!("blob {}\0", d.len()).as_bytes());
                h.update(d);
                h.finalize()
            })
        });
    }
    group.finish();
}

fn snapshot(n: usize, salt: u8) -> Snapshot {
    let mut s = Snapshot::new(HashKind::Sha1);
    for i in 0..n {
        let content = if i % 10 == 0 {
            vec![salt, i as u8]
        } else {
            vec![0, i as u8]
        };
        let path = format!("src/m{}/d{}/file{i}.ts", i % 97, i % 13);
        s.insert(
            &path,
            gensync_core::snapshot::Entry {
                mode: Mode::Regular,
                oid: hash_blob(HashKind::Sha1, &content),
                data: None,
            },
        )
        .expect("valid path");
    }
    s
}

fn manifest(c: &mut Criterion) {
    let snap = snapshot(100_000, 1);
    let m = BuildManifest::from_snapshot(&snap);
    let text = m.to_text();
    let mut group = c.benchmark_group("manifest_100k");
    group.throughput(Throughput::Bytes(text.len() as u64));
    group.bench_function("format", |b| b.iter(|| m.to_text()));
    group.bench_function("format from the snapshot (text_of)", |b| {
        b.iter(|| BuildManifest::text_of(&snap))
    });
    group.bench_function("parse", |b| {
        b.iter(|| BuildManifest::parse(text.as_bytes()).expect("valid"))
    });
    group.finish();
}

fn change_set(c: &mut Criterion) {
    let previous = BuildManifest::from_snapshot(&snapshot(100_000, 1));
    let next = snapshot(100_000, 2);
    let branch: BranchTree = previous
        .iter()
        .map(|(p, e)| {
            (
                p.to_owned(),
                TreeEntry {
                    mode: e.mode,
                    oid: e.oid,
                },
            )
        })
        .collect();
    let ignore = IgnoreRules::from_bytes(b"*.log\nsrc/m1/\n!src/m1/keep.ts\n");
    let opts = Options::default();
    let mut group = c.benchmark_group("changeset_100k_10pct");
    group.sample_size(20);
    group.bench_function("no branch", |b| {
        b.iter(|| {
            changeset::compute(&previous, &next, &IgnoreRules::new(), None, &opts).expect("ok")
        })
    });
    group.bench_function("branch + ignore", |b| {
        b.iter(|| changeset::compute(&previous, &next, &ignore, Some(&branch), &opts).expect("ok"))
    });
    group.finish();
}

criterion_group!(benches, hashing, manifest, change_set);
criterion_main!(benches);
