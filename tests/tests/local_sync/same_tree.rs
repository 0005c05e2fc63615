//! The local target and the GitHub backend (through the emulator) end with the same tree for
//! the same input: both edit the branch's tree with the same change set.

use std::process::Command;

use gensync_tests::git::FileChange;
use gensync_tests::github::{GithubConfig, GithubEmulator, RepoSpec, TokenConfig};

use crate::harness::{bin, ok_json, Local};

const TOKEN: &str = "ghs_localTreeTest0123456789";

#[test]
fn local_and_github_end_with_the_same_tree_ids() {
    let emu = GithubEmulator::start(GithubConfig::default().token(TokenConfig::actions(TOKEN)))
        .expect("emulator");
    emu.create_repo(
        &RepoSpec::new("acme/app")
            .file("README.md", "# app\n")
            .file("docs/human.md", "written by a person\n"),
    )
    .expect("repo");
    let local = Local::new(true);
    // Same starting tree.
    let gh_main_tree = String::from_utf8(
        emu.git("acme/app")
            .unwrap()
            .git(&["rev-parse", "main^{tree}"])
            .unwrap(),
    )
    .unwrap();
    assert_eq!(
        local.git(&["rev-parse", "main^{tree}"]).trim(),
        gh_main_tree.trim()
    );
    let github_sync = |build: &str, id: &str| {
        let out = Command::new(bin())
            .args([
                "sync",
                "--repository",
                "acme/app",
                "--output",
                local.build(build).to_str().unwrap(),
                "--message",
                &format!("Build {id}"),
                "--build-id",
                id,
                "--api-url",
                emu.base_url(),
                "--json",
            ])
            .env("GITHUB_TOKEN", TOKEN)
            .env_remove("GITHUB_ACTIONS")
            .env_remove("GITHUB_API_URL")
            .output()
            .unwrap();
        ok_json(&out)
    };
    let person = [
        FileChange::write("README.md", "# Orders service\n\nEdited by a person.\n"),
        FileChange::write("src/mine.ts", "// mine\n"),
    ];
    let gh_tree = || {
        String::from_utf8(
            emu.git("acme/app")
                .unwrap()
                .git(&["rev-parse", "amplication^{tree}"])
                .unwrap(),
        )
        .unwrap()
        .trim()
        .to_owned()
    };
    let local_tree = || {
        local
            .git(&["rev-parse", "amplication^{tree}"])
            .trim()
            .to_owned()
    };
    github_sync("build-1", "1");
    ok_json(&local.sync(&local.build("build-1"), "1", &[]));
    assert_eq!(local_tree(), gh_tree(), "after build 1");
    emu.commit_files("acme/app", "amplication", &person, "person edits")
        .unwrap();
    local.person_commits("amplication", &person);
    github_sync("build-2", "2");
    ok_json(&local.sync(&local.build("build-2"), "2", &[]));
    assert_eq!(
        local_tree(),
        gh_tree(),
        "after build 2 with a person's edits"
    );
    emu.assert_no_invalid_requests();
}
