//! Issue 12 item 5: every URL segment and query value is percent-encoded. A branch named
//! `…#x%41-ü` (a valid ref: `#`, `%` and non-ASCII are allowed) and files named with `#`, `%`,
//! `?`, spaces and non-ASCII reach exactly that ref and those paths on every provider and
//! commit mode, as real `git` sees them in the emulator's bare repository; the ref before the
//! `#` is never touched.

use crate::harness::{ok_json, Env, Provider, PROVIDERS};

/// Files whose names break an unencoded URL: a fragment, a bad or double-decoded escape, a
/// query, spaces, non-ASCII (precomposed and not).
const ODD_FILES: &[(&str, &str)] = &[
    ("docs/a#b.md", "hash\n"),
    ("docs/100% ready?.md", "percent and query\n"),
    ("docs/%41.txt", "an escape that must stay literal\n"),
    ("docs/with space/and+plus.txt", "space and plus\n"),
    ("docs/ünïcødé ✓.ts", "non-ASCII\n"),
];

fn branch_names(env: &Env) -> Vec<String> {
    env.git(&["for-each-ref", "--format=%(refname)", "refs/heads"])
        .lines()
        .map(str::to_owned)
        .filter(|r| r.starts_with("refs/heads/") && r != "refs/heads/main")
        .collect()
}

fn paths_at(env: &Env, rev: &str) -> Vec<String> {
    env.git(&["ls-tree", "-r", "-z", "--name-only", "--full-tree", rev])
        .split('\0')
        .filter(|p| !p.is_empty())
        .map(str::to_owned)
        .collect()
}

#[test]
fn branch_and_file_names_with_url_metacharacters_reach_exactly_that_ref_and_those_paths() {
    for &provider in PROVIDERS {
        for &mode in provider.modes() {
            let env = Env::start(provider);
            let branch = format!("gen/amplication#x%41-ü-{}", mode.flag());
            let mut flags = provider.mode_flags(mode);
            flags.extend(["--branch", branch.as_str()]);
            let mut first_head = String::new();
            for k in 1..=2u64 {
                let build = env.build(k);
                for (path, content) in ODD_FILES {
                    let file = build.join(path);
                    std::fs::create_dir_all(file.parent().expect("parent")).expect("mkdir");
                    std::fs::write(file, format!("{content}build {k}\n")).expect("write");
                }
                let v = ok_json(&env.sync(&build, &k.to_string(), &flags));
                assert_eq!(v["branch"], branch.as_str(), "{provider:?} {mode:?}: {v:#}");
                let refs = branch_names(&env);
                assert_eq!(
                    refs,
                    [format!("refs/heads/{branch}")],
                    "{provider:?} {mode:?} build {k}: exactly the named branch exists"
                );
                let tip = format!("refs/heads/{branch}");
                let paths = paths_at(&env, &tip);
                for (path, content) in ODD_FILES {
                    assert!(
                        paths.iter().any(|p| p == path),
                        "{provider:?} {mode:?} build {k}: {path:?} missing from {paths:?}"
                    );
                    let blob = env.git(&["show", &format!("{tip}:{path}")]);
                    assert_eq!(blob, format!("{content}build {k}\n"), "{path}");
                }
                // Nothing was written at a truncated or decoded-twice name.
                for wrong in ["docs/a", "docs/100", "docs/A.txt", "docs/with"] {
                    assert!(
                        !paths.iter().any(|p| p == wrong),
                        "{provider:?} {mode:?}: {wrong} was written"
                    );
                }
                assert!(env.head("gen/amplication").is_none());
                assert!(env.head("amplication").is_none());
                let head = env.git(&["rev-parse", &tip]).trim().to_owned();
                if k == 1 {
                    first_head = head;
                } else {
                    // The second build updated the branch it read: one commit on top of the
                    // first, and one open pull request from that very branch.
                    let parent = env.git(&["rev-parse", &format!("{tip}^")]);
                    assert_eq!(parent.trim(), first_head, "{provider:?} {mode:?}");
                    assert_eq!(env.open_pulls_for(&branch), 1, "{:?}", env.pulls());
                }
            }
            env.assert_no_invalid_requests();
            if provider == Provider::Github {
                // The requests named the branch encoded, never cut at `#`.
                assert!(env
                    .requests()
                    .iter()
                    .all(|r| !r.path.ends_with("/heads/gen/amplication")));
            }
        }
    }
}
