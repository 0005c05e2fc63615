#!/usr/bin/env bash
# The README's main command: keep a folder of generated code in sync with a git repository,
# on the two bundled example builds, with the local target (no account, no network).
#
#   1. creates a demo repository (`git init`; gensync makes its first commit: --init-empty),
#   2. syncs example build 1, then example build 2, onto the bot branch `amplication` with
#      `gensync sync --provider local` (gitoxide; nothing pushed),
#   3. prints each change set and then `git log --stat main..amplication`: the second commit
#      holds exactly what changed between the builds.
#
# Usage: scripts/demo.sh [DIR]   (default: target/demo; recreated on every run)
set -euo pipefail
cd "$(dirname "$0")/.."

demo="${1:-target/demo}"
cargo build -q -p gensync
gensync="${CARGO_TARGET_DIR:-target}/debug/gensync"

rm -rf "$demo"
mkdir -p "$demo"
repo="$demo/orders-service"
git init -q -b main "$repo"

sync() { # sync <build> <id> [flags…]
    local build="$1" id="$2"
    shift 2
    echo
    echo "== gensync sync: examples/$build -> $repo (branch amplication)"
    "$gensync" sync --provider local --repository "$repo" \
        --output "examples/$build" --ignore-file examples/.amplicationignore \
        --message "Build $id: update the orders service" \
        --build-id "$id" --build-url "https://builds.example.com/orders/$id" "$@"
}

sync build-1 1 --init-empty
sync build-2 2

echo
echo "== git log --stat main..amplication"
git -C "$repo" --no-pager log --stat main..amplication
git -C "$repo" fsck --strict --no-dangling
echo "The repository is at $repo: try \`git -C $repo diff main amplication\`."
