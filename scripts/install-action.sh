#!/usr/bin/env bash
# Installs the gensync binary for the GitHub Action (action.yml), in seconds:
#
# - the version is the action's own: GENSYNC_RELEASE in dist/release.env, which the release
#   commits, so `@v1`, `@v1.2.3` and a commit SHA of the action all install one release;
# - the asset for the runner (Linux, macOS, Windows; x64, arm64) is downloaded from
#   $GENSYNC_DOWNLOAD_URL/vVERSION/ASSET (default: the home's GitHub releases; set the variable
#   for a GitHub Enterprise mirror, an air-gapped runner or the tests) and checked against the
#   SHA-256 committed in dist/SHA256SUMS (never one fetched from the same place) with
#   `sha256sum` or `shasum -a 256`; a mismatch or a failed download stops the step and
#   installs nothing;
# - only when there is no committed checksum for the runner's asset (a commit before the first
#   release, a runner with no prebuilt binary) is gensync built from the action's source with
#   `cargo install --locked`, saying why (a few minutes; needs Rust on the runner).
#
# Inputs (environment): RUNNER_OS, RUNNER_ARCH, RUNNER_TOOL_CACHE, GITHUB_PATH,
# GITHUB_ACTION_PATH (the action's checkout; default this script's repository), and the
# optional GENSYNC_DOWNLOAD_URL.
set -euo pipefail

root="${GITHUB_ACTION_PATH:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
release_env="$root/dist/release.env"
sums="$root/dist/SHA256SUMS"

fail() {
  echo "::error title=gensync install::$*" >&2
  exit 1
}

[ -f "$release_env" ] || fail "$release_env is missing: the action's checkout is incomplete"
home="$(sed -n 's/^GENSYNC_HOME=//p' "$release_env")"
version="$(sed -n 's/^GENSYNC_RELEASE=//p' "$release_env")"
[ -n "$home" ] || fail "$release_env names no GENSYNC_HOME"

case "${RUNNER_OS:-Linux}-${RUNNER_ARCH:-X64}" in
  Linux-X64) target=x86_64-unknown-linux-musl ;;
  Linux-ARM64) target=aarch64-unknown-linux-musl ;;
  macOS-X64) target=x86_64-apple-darwin ;;
  macOS-ARM64) target=aarch64-apple-darwin ;;
  # Windows on Arm runs x64 binaries through its emulation.
  Windows-X64 | Windows-ARM64) target=x86_64-pc-windows-msvc ;;
  *) target="" ;;
esac
exe=gensync
[ "${RUNNER_OS:-}" = Windows ] && exe=gensync.exe

tool_cache="${RUNNER_TOOL_CACHE:-${HOME:-/tmp}/.cache}"
if command -v cygpath >/dev/null 2>&1; then tool_cache="$(cygpath -u "$tool_cache")"; fi

# Puts $1 (a folder holding the binary) on the job's PATH.
add_to_path() {
  local dir="$1"
  if command -v cygpath >/dev/null 2>&1; then dir="$(cygpath -w "$dir")"; fi
  if [ -n "${GITHUB_PATH:-}" ]; then echo "$dir" >>"$GITHUB_PATH"; fi
}

# Builds gensync from the action's source, after saying why.
build_from_source() {
  local why="$1" dest="$tool_cache/gensync/source/bin"
  if ! command -v cargo >/dev/null 2>&1; then
    fail "$why, so gensync would be built from source, but cargo is not installed on this runner. Use a released version of the action (uses: $home@v1), or install Rust before this step."
  fi
  echo "::notice title=gensync install::$why: building gensync from the action's source with cargo install --locked (a few minutes)."
  cargo install --locked --root "$(dirname "$dest")" --path "$root/action"
  add_to_path "$dest"
  "$dest/$exe" --version
}

[ -n "$target" ] || {
  build_from_source "no prebuilt gensync for a ${RUNNER_OS:-?} ${RUNNER_ARCH:-?} runner"
  exit 0
}
[ -n "$version" ] || {
  build_from_source "this commit of the action predates gensync's first release (GENSYNC_RELEASE is empty in dist/release.env)"
  exit 0
}
asset="gensync-v$version-$target.tar.gz"
expected="$(awk -v a="$asset" '$2 == a || $2 == "*" a { print $1 }' "$sums" 2>/dev/null | head -1)"
[ -n "$expected" ] || {
  build_from_source "no SHA-256 of $asset is committed in dist/SHA256SUMS"
  exit 0
}

dest="$tool_cache/gensync/$version/$target/bin"
if [ -x "$dest/$exe" ] && "$dest/$exe" --version 2>/dev/null | grep -qx "gensync $version"; then
  echo "gensync $version ($target) already installed in $dest"
  add_to_path "$dest"
  exit 0
fi

base="${GENSYNC_DOWNLOAD_URL:-https://github.com/$home/releases/download}"
url="${base%/}/v$version/$asset"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

echo "downloading $url"
if command -v curl >/dev/null 2>&1; then
  status="$(curl -sSL --retry 3 --retry-delay 2 -o "$tmp/$asset" -w '%{http_code}' "$url" || true)"
  [ "$status" = 200 ] || fail "cannot download $url (HTTP ${status:-error}): the release v$version has no asset $asset there. If GENSYNC_DOWNLOAD_URL is set, it must be a folder holding v$version/$asset; otherwise check that the release v$version of $home is published."
elif command -v wget >/dev/null 2>&1; then
  wget -q --tries=3 -O "$tmp/$asset" "$url" || fail "cannot download $url with wget: the release v$version has no asset $asset there, or the host is unreachable (GENSYNC_DOWNLOAD_URL overrides it)."
else
  fail "neither curl nor wget is installed on this runner: install one before this step"
fi

if command -v sha256sum >/dev/null 2>&1; then
  actual="$(sha256sum "$tmp/$asset" | awk '{ print $1 }')"
elif command -v shasum >/dev/null 2>&1; then
  actual="$(shasum -a 256 "$tmp/$asset" | awk '{ print $1 }')"
else
  fail "neither sha256sum nor shasum is installed on this runner: gensync cannot check $asset"
fi
[ "$actual" = "$expected" ] || fail "SHA-256 mismatch for $url: expected $expected (committed in dist/SHA256SUMS), got $actual. The download is corrupt or was tampered with; nothing was installed."

mkdir -p "$tmp/x"
tar -xzf "$tmp/$asset" -C "$tmp/x" || fail "$asset (checksum verified) is not a gzip tar archive"
[ -f "$tmp/x/$exe" ] || fail "$asset (checksum verified) holds no $exe at its top level"
mkdir -p "$dest"
chmod +x "$tmp/x/$exe"
mv -f "$tmp/x/$exe" "$dest/$exe"
add_to_path "$dest"
echo "gensync $version ($target) installed from $url (SHA-256 verified)"
"$dest/$exe" --version
