#!/usr/bin/env bash
# Checks that every file naming gensync's home agrees with the one canonical place,
# GENSYNC_HOME in dist/release.env (OWNER/REPO on GitHub), and that the version tags agree with
# the workspace version. Run by .ci/run; the release workflow rewrites the versions.
set -euo pipefail
cd "$(dirname "$0")/.."

home="$(sed -n 's/^GENSYNC_HOME=//p' dist/release.env)"
[[ "$home" =~ ^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$ ]] || { echo "dist/release.env: GENSYNC_HOME='$home' is not OWNER/REPO" >&2; exit 1; }
owner="${home%%/*}"
url="https://github.com/$home"
image="ghcr.io/$owner/gensync-pipe"
version="$(sed -n '/^\[workspace.package\]/,/^\[/s/^version = "\(.*\)"$/\1/p' Cargo.toml)"
errors=0
bad() { echo "check-home: $1: $2 (the home is $home, from dist/release.env)" >&2; errors=$((errors + 1)); }
# has FILE FIXED-STRING WHAT: the file must contain the string.
has() { grep -qF -- "$2" "$1" || bad "$1" "$3 must be '$2'"; }

has Cargo.toml "repository = \"$url\"" "[workspace.package] repository"
has Cargo.toml "homepage = \"$url\"" "[workspace.package] homepage"
has Cargo.toml "gensync-core = { path = \"core\", version = \"$version\" }" "the gensync-core dependency's version"
for crate in core action; do
  has "$crate/Cargo.toml" "repository.workspace = true" "repository"
  has "$crate/Cargo.toml" "homepage.workspace = true" "homepage"
done
has wasm/package.json "\"url\": \"git+$url.git\"" "the repository url"
has bitbucket/pipe.yml "repository: $url" "repository"
has bitbucket/pipe.yml "image: $image:$version" "image"
has README.md "uses: $home@v1" "the action in the workflow examples"
has README.md "pipe: docker://$image:$version" "the pipe in the Bitbucket example"
grep -qF 'release.env' scripts/install-action.sh || bad scripts/install-action.sh "must read the home from dist/release.env"
grep -qF 'release.env' wasm/build.sh || bad wasm/build.sh "must take the package's repository from dist/release.env"

# No other home anywhere: every `uses: X/gensync@`, github.com/X/gensync and X/gensync-pipe
# in the files users read must be the home.
files=(README.md action.yml bitbucket/pipe.yml bitbucket/Dockerfile wasm/package.json wasm/README.md
  wasm/build.sh scripts/install-action.sh Cargo.toml core/Cargo.toml action/Cargo.toml docs/*.md
  .github/workflows/*.yml)
while IFS= read -r hit; do
  bad "${hit%%:*}" "names another home: ${hit#*:}"
done < <(grep -HnoE '(uses: *|github\.com/)[A-Za-z0-9_.-]+/gensync[A-Za-z0-9_.-]*|[A-Za-z0-9_.-]+/gensync-pipe' "${files[@]}" 2>/dev/null \
  | grep -vE "(uses: *|github\.com/)$home(\.git)?$|/$owner/gensync-pipe$|[: ]$owner/gensync-pipe$|^[^:]+:[0-9]+:$owner/gensync-pipe$" || true)

[ "$errors" = 0 ] || { echo "check-home: $errors disagreement(s)" >&2; exit 1; }
echo "check-home: every file names $home (version $version)"
