#!/usr/bin/env bash
# CI for the WebAssembly preview (wasm/): installs what it needs, builds wasm/pkg, runs the Node
# tests (against the CLI's JSON, and the preview's commit plan against a real local sync), the
# headless Chromium tests of the preview page (folders; and the real bot branch read through the
# sync machine from the GitHub and Bitbucket emulators), and rejects a module that imports from
# "env" (build.sh checks it). Called from .ci/run.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR=never

echo "== wasm: tools"
if [ ! -x /usr/bin/chromium ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null
fi
rustup target add wasm32-unknown-unknown
want="$(grep -A1 '^name = "wasm-bindgen"$' Cargo.lock | sed -n 's/^version = "\(.*\)"$/\1/p')"
have="$(wasm-bindgen --version 2>/dev/null | awk '{print $2}' || true)"
if [ "$want" != "$have" ]; then
  echo "installing wasm-bindgen-cli $want (found '${have:-none}')"
  # --locked pins the CLI's own dependencies; if the registry lacks one of those exact
  # versions, fall back to a fresh resolution of the same CLI version.
  cargo install --locked wasm-bindgen-cli --version "$want" \
    || cargo install wasm-bindgen-cli --version "$want"
fi
(cd wasm && npm ci --no-audit --no-fund)

echo "== wasm: the CLI the Node tests compare with, the emulator the page reads"
cargo build -q -p gensync
cargo build -q -p gensync-tests --bin emulator

echo "== wasm: build (size, import \"env\" check)"
bash wasm/build.sh

echo "== wasm: Node and Chromium tests"
node --test wasm/test/node.test.mjs wasm/test/plan.test.mjs wasm/test/browser.test.mjs wasm/test/remote.test.mjs

echo "== wasm: the packed package in a fresh vite project, in Chromium (a real consumer)"
node --test wasm/test/consumer.test.mjs
