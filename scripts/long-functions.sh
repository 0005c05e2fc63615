#!/usr/bin/env bash
# Product functions over the size limit (issue 14: "no product function over about 80 lines").
#
# Lists every function of core/src, action/src and wasm/src (tests left out: `#[cfg(test)]`
# modules, `tests/` folders and `tests.rs` files) longer than LIMIT lines, counted from its
# `fn` line to its closing brace, as `path::name (N lines)`. Fails when one is not in the
# allow-list (scripts/long-functions.allow: `path::name` per line, `#` comments), which names
# the functions still being split; an allow-listed function that is now short is reported
# so its line can be removed.
#
# Usage: scripts/long-functions.sh [--list]   (--list: print every long function, never fail)
# The code is rustfmt-formatted: a function ends at the first `}` line with its indentation.
set -euo pipefail
cd "$(dirname "$0")/.."

LIMIT=${LIMIT:-80}
ALLOW=scripts/long-functions.allow
list_only=false
[[ "${1:-}" == "--list" ]] && list_only=true

long=$(
  find core/src action/src wasm/src -name '*.rs' -not -path '*/tests/*' -not -name 'tests.rs' \
    -print0 | sort -z | xargs -0 awk -v limit="$LIMIT" '
    FNR == 1 { in_test = 0; open = 0 }
    # A test module: from `#[cfg(test)]` at the left margin to its closing `}` there.
    /^#\[cfg\(test\)\]/ { in_test = 1; next }
    in_test == 1 && /^(pub(\([a-z]+\))? )?mod / { in_test = 2; next }
    in_test == 1 { in_test = 0 }
    in_test == 2 { if ($0 ~ /^}/) in_test = 0; next }
    open == 0 && match($0, /^[ \t]*((pub(\([a-z:]+\))?|const|async|unsafe|extern "C") +)*fn +[A-Za-z0-9_]+/) {
      indent = $0; sub(/[^ \t].*$/, "", indent)
      name = substr($0, RSTART, RLENGTH); sub(/.*fn +/, "", name)
      # A declaration without a body (trait method) ends with `;`.
      start = FNR; open = 1
      if ($0 ~ /;[ \t]*$/ && $0 !~ /\{/) open = 0
      next
    }
    open == 1 {
      if ($0 == indent "}") {
        n = FNR - start + 1
        if (n > limit) printf "%s::%s %d\n", FILENAME, name, n
        open = 0
      } else if ($0 ~ "^" indent "[)].*;[ \t]*$" || $0 ~ "^" indent "[)][^{]*;$") {
        # A multi-line signature of a body-less declaration.
        open = 0
      }
    }
  '
)

allowed=""
[[ -f "$ALLOW" ]] && allowed=$(grep -v '^[[:space:]]*\(#\|$\)' "$ALLOW" || true)

status=0
while read -r fn lines; do
  [[ -z "$fn" ]] && continue
  if $list_only; then
    echo "$fn ($lines lines)"
  elif grep -qxF "$fn" <<<"$allowed"; then
    echo "allowed (being split): $fn ($lines lines)"
  else
    echo "error: $fn is $lines lines (limit $LIMIT): split it into named steps" >&2
    status=1
  fi
done <<<"$long"

if ! $list_only; then
  while read -r fn; do
    [[ -z "$fn" ]] && continue
    grep -q "^$fn " <<<"$long" || echo "note: $fn is no longer over $LIMIT lines: remove it from $ALLOW"
  done <<<"$allowed"
fi
exit $status
