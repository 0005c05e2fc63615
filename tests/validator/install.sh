#!/usr/bin/env bash
# Installs the request validator of the test emulators (tests/validator): GitHub's official REST
# description (@octokit/openapi), GraphQL schema (@octokit/graphql-schema), graphql and ajv, at
# the versions pinned in package-lock.json. Idempotent: does nothing when node_modules already
# matches the lock file. Called by .ci/run; run it by hand before `cargo test -p gensync-tests`.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

command -v node >/dev/null || { echo "install.sh: node (>= 18) is required" >&2; exit 1; }
command -v npm >/dev/null || { echo "install.sh: npm is required" >&2; exit 1; }

stamp=node_modules/.gensync-lock.sha256
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
  echo "validator: node_modules up to date"
  exit 0
fi
npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
echo "$want" > "$stamp"
# A smoke test: the sidecar must load both descriptions and answer its ready line.
node validator.mjs < /dev/null | head -n1
