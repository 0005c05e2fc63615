#!/usr/bin/env bash
# cargo deny with deny.toml: licenses, bans and sources always; advisories (RustSec) when its
# database can be had. Installs cargo-deny (pinned) on first use: `cargo install --locked` takes
# about 3.5 CPU-minutes (10 minutes on a busy 2-core machine), so an installed binary of the
# right version is reused.
#
# The advisory database is a git repository on GitHub. Where GitHub is unreachable (this
# project's machines reach only the package registries), a copy already on the machine
# ($CARGO_HOME/advisory-dbs, or GENSYNC_ADVISORY_DB=<a clone of RustSec/advisory-db>) is used
# as it is, else the advisories check is skipped with a warning saying so.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR=never
VERSION=0.20.2

if [ "$(cargo deny --version 2>/dev/null)" != "cargo-deny $VERSION" ]; then
  echo "installing cargo-deny $VERSION (found '$(cargo deny --version 2>/dev/null || echo none)')"
  cargo install --locked cargo-deny --version "$VERSION"
fi

cargo deny --log-level warn check --hide-inclusion-graph licenses bans sources

dbs="${CARGO_HOME:-$HOME/.cargo}/advisory-dbs"
if timeout 20 git ls-remote -q https://github.com/RustSec/advisory-db HEAD >/dev/null 2>&1; then
  cargo deny --log-level warn check advisories
elif [ -n "${GENSYNC_ADVISORY_DB:-}" ]; then
  # Where cargo-deny keeps its clone of the default database URL.
  copy="$dbs/advisory-db-3157b0e258782691"
  if [ ! -d "$copy/crates" ]; then
    mkdir -p "$dbs"
    git clone -q "$(cd "$GENSYNC_ADVISORY_DB" && pwd)" "$copy"
  fi
  echo "advisories: from $GENSYNC_ADVISORY_DB ($(git -C "$copy" log -1 --format=%cs 2>/dev/null || echo 'date unknown'))"
  cargo deny --log-level warn --offline check advisories
elif compgen -G "$dbs/advisory-db-*/crates" >/dev/null; then
  echo "advisories: GitHub unreachable; using the copy in $dbs as it is"
  cargo deny --log-level warn --offline check advisories
else
  echo "warning: advisories NOT checked: the RustSec database (GitHub) is unreachable and no copy is on this machine (set GENSYNC_ADVISORY_DB to a clone of RustSec/advisory-db)" >&2
fi
