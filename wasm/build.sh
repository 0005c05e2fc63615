#!/usr/bin/env bash
# Build gensync's WebAssembly preview into wasm/pkg/:
#   pkg/web/      ES module for browsers (wasm-bindgen --target web)
#   pkg/nodejs/   CommonJS module for Node (wasm-bindgen --target nodejs)
#   pkg/package.json, README.md   one npm-style package over both
#   pkg/site/     the preview page, self-contained static files (www/ + web module + diff2html)
# Needs: rustup target wasm32-unknown-unknown, wasm-bindgen-cli at the version of the
# wasm-bindgen crate in Cargo.lock, and `npm ci` run in wasm/ (binaryen's wasm-opt, diff2html).
# Prints the size of the optimised module, raw and gzipped.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
cd "$root"

profile=wasm-release
raw="$root/target/wasm32-unknown-unknown/$profile/gensync_wasm.wasm"
pkg="$here/pkg"

want="$(grep -A1 '^name = "wasm-bindgen"$' Cargo.lock | sed -n 's/^version = "\(.*\)"$/\1/p')"
have="$(wasm-bindgen --version 2>/dev/null | awk '{print $2}' || true)"
if [ "$want" != "$have" ]; then
  echo "wasm-bindgen-cli $want is needed (found '${have:-none}'): cargo install wasm-bindgen-cli --version $want" >&2
  exit 1
fi
wasm_opt="$here/node_modules/.bin/wasm-opt"
[ -x "$wasm_opt" ] || { echo "run 'npm ci' in wasm/ first (for binaryen's wasm-opt)" >&2; exit 1; }

echo "== cargo build -p gensync-wasm --target wasm32-unknown-unknown --profile $profile"
cargo build -q -p gensync-wasm --target wasm32-unknown-unknown --profile "$profile"

echo "== checking imports of the compiled module"
node "$here/scripts/check-imports.mjs" "$raw"

rm -rf "$pkg"
mkdir -p "$pkg"
for target in web nodejs; do
  echo "== wasm-bindgen --target $target"
  wasm-bindgen --target "$target" --out-dir "$pkg/$target" "$raw"
  bg="$pkg/$target/gensync_wasm_bg.wasm"
  # The features rustc enables by default for wasm32-unknown-unknown; every current browser
  # and Node 20 have them.
  "$wasm_opt" -Oz --strip-debug --strip-producers \
    --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
    --enable-mutable-globals --enable-reference-types --enable-multivalue \
    "$bg" -o "$bg.opt"
  mv "$bg.opt" "$bg"
done
node "$here/scripts/check-imports.mjs" "$pkg/nodejs/gensync_wasm_bg.wasm"

version="$(sed -n 's/^version = "\(.*\)"$/\1/p' "$root/Cargo.toml" | head -1)"
# The repository's one home (scripts/check-home.sh checks every other place against it).
home="$(sed -n 's/^GENSYNC_HOME=//p' "$root/dist/release.env")"
# Export conditions: Node (require and import) gets the CommonJS build that reads the module
# from disk; browsers and bundlers (vite, webpack, esbuild: "browser"/"import") get the ES
# module whose `init()` fetches gensync_wasm_bg.wasm through `new URL(…, import.meta.url)`,
# which bundlers turn into an emitted asset. Each condition carries its own types.
web='{ "types": "./web/gensync_wasm.d.ts", "default": "./web/gensync_wasm.js" }'
node='{ "types": "./nodejs/gensync_wasm.d.ts", "default": "./nodejs/gensync_wasm.js" }'
cat > "$pkg/package.json" <<EOF
{
  "name": "gensync-wasm",
  "version": "$version",
  "description": "gensync's change preview: what a sync of generated code would commit, from the same Rust core, as WebAssembly.",
  "license": "MIT OR Apache-2.0",
  "repository": { "type": "git", "url": "git+https://github.com/$home.git", "directory": "wasm" },
  "homepage": "https://github.com/$home/tree/main/wasm#readme",
  "bugs": { "url": "https://github.com/$home/issues" },
  "keywords": ["gensync", "git", "code-generation", "diff", "preview", "pull-request", "webassembly", "wasm"],
  "files": ["web/", "nodejs/", "README.md"],
  "engines": { "node": ">=18" },
  "types": "./web/gensync_wasm.d.ts",
  "main": "./nodejs/gensync_wasm.js",
  "module": "./web/gensync_wasm.js",
  "exports": {
    ".": {
      "node": $node,
      "browser": $web,
      "import": $web,
      "default": $web
    },
    "./web": $web,
    "./node": $node,
    "./web/gensync_wasm_bg.wasm": "./web/gensync_wasm_bg.wasm",
    "./package.json": "./package.json"
  },
  "sideEffects": ["./nodejs/gensync_wasm.js"]
}
EOF
cp "$here/README.md" "$pkg/README.md"
# nodejs output is CommonJS; mark its folder so "type": "module" parents do not misread it.
echo '{ "type": "commonjs" }' > "$pkg/nodejs/package.json"
echo '{ "type": "module" }' > "$pkg/web/package.json"

echo "== assembling the preview page into pkg/site"
site="$pkg/site"
mkdir -p "$site/pkg" "$site/vendor"
cp -R "$here/www/." "$site/"
cp "$pkg/web/gensync_wasm.js" "$pkg/web/gensync_wasm_bg.wasm" "$site/pkg/"
d2h="$here/node_modules/diff2html/bundles"
cp "$d2h/js/diff2html-ui-base.min.js" "$d2h/css/diff2html.min.css" "$site/vendor/"
cp "$here/node_modules/diff2html/LICENSE.md" "$site/vendor/diff2html-LICENSE.md"

size="$(wc -c < "$pkg/web/gensync_wasm_bg.wasm")"
gz="$(gzip -9 -c "$pkg/web/gensync_wasm_bg.wasm" | wc -c)"
js="$(wc -c < "$pkg/web/gensync_wasm.js")"
printf 'wasm size: %s bytes raw (%s KiB), %s bytes gzip -9 (%s KiB); JS glue %s bytes\n' \
  "$size" "$((size / 1024))" "$gz" "$((gz / 1024))" "$js"
