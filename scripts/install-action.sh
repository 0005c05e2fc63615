#!/usr/bin/env bash
# Installs the gensync binary for the GitHub Action: the prebuilt release asset for the runner's
# OS/architecture, verified against its published SHA-256, or, when there is no asset (a branch
# or commit ref, an unusual runner), `cargo install --locked` from the action's own source.
set -euo pipefail

dest="${RUNNER_TOOL_CACHE:-$HOME/.cache}/gensync/bin"
mkdir -p "$dest"
echo "$dest" >> "$GITHUB_PATH"

case "${RUNNER_OS:-Linux}-${RUNNER_ARCH:-X64}" in
  Linux-X64) target=x86_64-unknown-linux-gnu ;;
  Linux-ARM64) target=aarch64-unknown-linux-gnu ;;
  macOS-X64) target=x86_64-apple-darwin ;;
  macOS-ARM64) target=aarch64-apple-darwin ;;
  Windows-X64) target=x86_64-pc-windows-msvc ;;
  *) target="" ;;
esac

ref="${GENSYNC_ACTION_REF:-}"
repo="${GENSYNC_ACTION_REPOSITORY:-}"
if [[ -n "$target" && -n "$repo" && "$ref" =~ ^v[0-9] ]]; then
  base="https://github.com/$repo/releases/download/$ref"
  asset="gensync-$target.tar.gz"
  tmp=$(mktemp -d)
  if curl -fsSL --retry 3 -o "$tmp/$asset" "$base/$asset" && curl -fsSL --retry 3 -o "$tmp/$asset.sha256" "$base/$asset.sha256"; then
    (cd "$tmp" && sha256sum -c "$asset.sha256")
    tar -xzf "$tmp/$asset" -C "$dest"
    echo "gensync $ref ($target) installed from the release"
    exit 0
  fi
  echo "::warning::no verified release asset for $target at $ref; building from source"
fi

cargo install --locked --root "$dest/.." --path "$GITHUB_ACTION_PATH/action"
