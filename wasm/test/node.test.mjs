// Node tests of the nodejs build of gensync-wasm (run `bash wasm/build.sh` first):
// the preview equals the CLI's `gensync changes --format json` on the bundled examples, diffs
// equal real git's, and bad input throws the core's messages.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createRequire } from "node:module";
import { ROOT, readBuild, gitHashObject } from "./util.mjs";

const require = createRequire(import.meta.url);
const gensync = require("../pkg/nodejs/gensync_wasm.js");

const EXAMPLES = join(ROOT, "examples");
const BUILD_1 = join(EXAMPLES, "build-1");
const BUILD_2 = join(EXAMPLES, "build-2");
const IGNORE = readFileSync(join(EXAMPLES, ".amplicationignore"), "utf8");
const CLI = join(ROOT, "target", "debug", "gensync");

/** Why the CLI comparisons cannot run, or null when they can. */
function cliMissing() {
  const probe = spawnSync(CLI, ["changes", "--help"], { encoding: "utf8" });
  if (probe.error?.code === "ENOENT") {
    return `${CLI} is absent: run \`cargo build -p gensync\` to compare with the CLI`;
  }
  if (probe.status !== 0) return `${CLI} has no working \`changes\` subcommand: ${probe.stderr.trim()}`;
  return null;
}
const skipCli = cliMissing();
if (skipCli) console.log(`# SKIPPING the CLI comparisons: ${skipCli}`);

function cliChanges(args) {
  const out = execFileSync(CLI, ["changes", ...args, "--format", "json"], { encoding: "utf8" });
  return JSON.parse(out);
}

function tmp(name, text) {
  const dir = mkdtempSync(join(tmpdir(), "gensync-wasm-"));
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

const next = readBuild(BUILD_2);
const previous = readBuild(BUILD_1);

test("bundled examples: the preview's change set equals `gensync changes --format json`", { skip: skipCli ?? false }, async (t) => {
  await t.test("previous build as a folder, with the ignore file", () => {
    const cli = cliChanges(["--previous", BUILD_1, "--next", BUILD_2, "--ignore-file", join(EXAMPLES, ".amplicationignore")]);
    const p = gensync.preview({ previous_files: previous, files: next, ignore: IGNORE });
    assert.deepEqual(p.changes, cli);
    // The example's documented changes, so a bug shared by both sides cannot hide.
    assert.deepEqual(cli.modified.map((f) => f.path), ["package.json", "scripts/migrate.sh", "src/orders/orders.service.ts"]);
    assert.deepEqual(cli.ignored.map((f) => f.path), ["src/app.module.ts"]);
  });

  await t.test("previous build as its manifest, in a target dir", () => {
    const manifest = execFileSync(CLI, ["manifest", BUILD_1], { encoding: "utf8" });
    assert.equal(gensync.manifest(previous), manifest, "manifest() equals `gensync manifest`");
    const file = tmp("manifest", manifest);
    const cli = cliChanges(["--previous", file, "--next", BUILD_2, "--target-dir", "apps/orders", "--ignore-file", join(EXAMPLES, ".amplicationignore")]);
    const p = gensync.preview({ previous_manifest: manifest, files: next, ignore: IGNORE, options: { target_dir: "apps/orders" } });
    assert.deepEqual(p.changes, cli);
    assert.equal(cli.manifest_path, "apps/orders/.amplication/manifest");
  });

  await t.test("first build (no previous)", () => {
    const cli = cliChanges(["--next", BUILD_2]);
    assert.deepEqual(gensync.preview({ files: next }).changes, cli);
  });

  await t.test("with the branch tree: a person's edits, a conflict, a no-op", () => {
    const hash = (text) => gensync.hashBlob(text);
    const byPath = Object.fromEntries(previous.map((f) => [f.path, f]));
    const nextByPath = Object.fromEntries(next.map((f) => [f.path, f]));
    const tree = previous.map((f) => ({ mode: f.mode, oid: hash(f.data), path: f.path }));
    for (const entry of tree) {
      if (entry.path === "README.md") entry.oid = hash("# edited by a person\n"); // unchanged by the generator: preserved
      if (entry.path === "src/orders/orders.service.ts") entry.oid = hash(Buffer.concat([byPath[entry.path].data, Buffer.from("// person\n")])); // conflict
      if (entry.path === "package.json") entry.oid = hash(nextByPath["package.json"].data); // already on the branch
    }
    const listing = tree.map((e) => `${e.mode} blob ${e.oid}\t${e.path}\n`).join("");
    const cli = cliChanges(["--previous", BUILD_1, "--next", BUILD_2, "--branch-tree", tmp("tree.txt", listing)]);
    const p = gensync.preview({ previous_files: previous, files: next, branch_tree: listing });
    assert.deepEqual(p.changes, cli);
    assert.deepEqual(cli.preserved_edits, ["README.md"]);
    assert.deepEqual(cli.already_on_branch, ["package.json"]);
    assert.equal(cli.conflicts[0].path, "src/orders/orders.service.ts");
    // The same tree given as an object answers the same.
    const object = Object.fromEntries(tree.map((e) => [e.path, { mode: e.mode, oid: e.oid }]));
    assert.deepEqual(gensync.preview({ previous_files: previous, files: next, branch_tree: object }).changes, cli);
  });
});

test("hashBlob and manifest agree with git", () => {
  for (const f of next) {
    assert.equal(gensync.hashBlob(f.data), gitHashObject(f.data), f.path);
  }
  assert.equal(gensync.hashBlob(""), "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391");
  const lines = gensync.manifest(next).trimEnd().split("\n").slice(2);
  assert.deepEqual(lines, next.map((f) => `${f.mode} ${gitHashObject(f.data)} ${f.path}`).sort((a, b) => {
    const pa = a.split(" ")[2], pb = b.split(" ")[2];
    return pa < pb ? -1 : pa > pb ? 1 : 0;
  }));
});

/** `git diff --no-index` of two texts: the hunks and the line counts git reports. */
function gitDiff(oldText, newText) {
  const a = tmp("old", oldText);
  const b = tmp("new", newText);
  const run = (extra) => spawnSync("git", ["diff", "--no-index", "--histogram", "--no-color", ...extra, a, b], { encoding: "utf8" }).stdout;
  const patch = run(["-U3"]);
  const [added, removed] = run(["--numstat"]).split("\t").map(Number);
  return { hunks: patch.slice(patch.indexOf("@@")), added, removed };
}

test("diffs: the bundled pair and edge cases equal git's hunks and counts", async (t) => {
  const p = gensync.preview({ previous_files: previous, files: next, ignore: IGNORE });
  await t.test("orders.service.ts, a known literal patch", () => {
    const f = p.files.find((f) => f.path === "src/orders/orders.service.ts");
    assert.equal(f.status, "modified");
    assert.equal(f.contents_known, true);
    const git = gitDiff(previous.find((x) => x.path === f.path).data, next.find((x) => x.path === f.path).data);
    assert.equal(f.patch.slice(f.patch.indexOf("@@")), git.hunks);
    assert.deepEqual([f.added_lines, f.removed_lines], [git.added, git.removed]);
    assert.match(f.patch, /^diff --git a\/src\/orders\/orders.service.ts b\/src\/orders\/orders.service.ts\nindex e552196\.\.d5d9ef0 100644\n--- a\/src\/orders\/orders.service.ts\n\+\+\+ b\/src\/orders\/orders.service.ts\n@@ /);
  });
  await t.test("every file of the commit, with git-style headers", () => {
    const summary = p.files.map((f) => `${f.status[0].toUpperCase()} ${f.path} +${f.added_lines} -${f.removed_lines}`);
    assert.deepEqual(summary, [
      "M package.json +2 -2",
      "M scripts/migrate.sh +0 -0",
      "D src/customers/customers.controller.ts +0 -1",
      "D src/customers/customers.service.ts +0 -1",
      "A src/invoices/invoices.service.ts +5 -0",
      "R src/orders/customer.dto.ts +0 -0",
      "M src/orders/orders.service.ts +4 -0",
    ]);
    const mode = p.files.find((f) => f.path === "scripts/migrate.sh");
    assert.equal(mode.patch, "diff --git a/scripts/migrate.sh b/scripts/migrate.sh\nold mode 100644\nnew mode 100755\n");
    const renamed = p.files.find((f) => f.status === "renamed");
    assert.equal(renamed.old_path, "src/customers/customer.dto.ts");
    assert.match(renamed.patch, /similarity index 100%\nrename from src\/customers\/customer.dto.ts\nrename to src\/orders\/customer.dto.ts\n$/);
    assert.deepEqual(p.totals, { files: 7, added_lines: 11, removed_lines: 4, binary_files: 0, unknown_files: 0 });
  });
  await t.test("several hunks, a missing final newline, an emptied file", () => {
    const lines = (n, f) => Array.from({ length: n }, (_, i) => f(i + 1)).join("");
    const pairs = [
      [lines(40, (i) => `line ${i}\n`), lines(40, (i) => (i % 13 === 0 ? `changed ${i}\n` : `line ${i}\n`))],
      ["a\nb\nc", "a\nb\nc\n"],
      ["a\nb\n", "a\nB"],
      ["one\ntwo\n", ""],
      ["fn x() {\n  1\n}\n\nfn y() {\n  2\n}\n", "fn x() {\n  1\n}\n\nfn z() {\n  3\n}\n\nfn y() {\n  2\n}\n"],
    ];
    for (const [a, b] of pairs) {
      const r = gensync.preview({ previous_files: [{ path: "f.txt", data: a }], files: [{ path: "f.txt", data: b }], options: { allow_empty: true } });
      const f = r.files[0];
      const git = gitDiff(a, b);
      assert.equal(f.patch.slice(f.patch.indexOf("@@")), git.hunks, JSON.stringify([a, b]));
      assert.deepEqual([f.added_lines, f.removed_lines], [git.added, git.removed]);
    }
  });
  await t.test("binary files are flagged, not diffed", () => {
    const r = gensync.preview({ previous_files: [{ path: "logo.png", data: new Uint8Array([137, 80, 0, 1]) }], files: [{ path: "logo.png", data: new Uint8Array([137, 80, 0, 2]) }] });
    assert.equal(r.files[0].binary, true);
    assert.match(r.files[0].patch, /Binary files a\/logo.png and b\/logo.png differ\n$/);
    assert.equal(r.totals.binary_files, 1);
  });
  await t.test("a previous manifest gives ids but no contents", () => {
    const r = gensync.preview({ previous_manifest: gensync.manifest(previous), files: next });
    const f = r.files.find((f) => f.path === "package.json");
    assert.equal(f.contents_known, false);
    assert.ok(f.patch.endsWith("+++ b/package.json\n"), f.patch);
    assert.equal(r.files.find((f) => f.status === "added").contents_known, true);
  });
});

test("conflicts merge like a sync when the branch's version is supplied", () => {
  const base = "1\n2\n3\n4\n5\n6\n7\n";
  const person = "1\nPERSON\n3\n4\n5\n6\n7\n";
  const generated = "1\n2\n3\n4\n5\n6\nGENERATOR\n";
  const input = {
    previous_files: [{ path: "a.txt", data: base }],
    files: [{ path: "a.txt", data: generated }],
    branch_tree: { "a.txt": { mode: "100644", oid: gensync.hashBlob(person) } },
  };
  assert.equal(gensync.preview(input).changes.conflicts[0].state, "pending");
  const r = gensync.preview({ ...input, branch_blobs: [person] });
  assert.equal(r.changes.conflicts[0].state, "merged");
  const f = r.files[0];
  assert.equal(f.new_oid, gensync.hashBlob("1\nPERSON\n3\n4\n5\n6\nGENERATOR\n"));
  assert.ok(f.patch.endsWith("@@ -4,4 +4,4 @@ PERSON\n 4\n 5\n 6\n-7\n+GENERATOR\n"), f.patch);
  assert.match(r.pull_request?.body ?? "no message: no PR", /no message: no PR/);
});

test("texts and branch: the sync's commit message, pull request and branch name", () => {
  const options = { message: "Add invoices\n\nFrom the new schema.", build_id: "42", build_url: "https://builds.example/42", strategy: "per-build" };
  const r = gensync.preview({ previous_files: previous, files: next, ignore: IGNORE, options });
  assert.equal(r.branch, "amplication-build-42");
  assert.equal(r.commit_message, "Add invoices\n\nFrom the new schema.\n\n```\nhttps://builds.example/42\n```\n\nBuild-Id: 42\nGenerated-By: gensync\n");
  assert.equal(r.pull_request.title, "Add invoices");
  assert.match(r.pull_request.body, /\| Added \| 1 \|/);
  assert.match(r.pull_request.body, /- R `src\/customers\/customer.dto.ts` → `src\/orders\/customer.dto.ts`/);
  assert.equal(r.would_commit, true);
  assert.equal(gensync.preview({ files: next, options: { branch_template: "amplication-{service}", service: "orders" } }).branch, "amplication-orders");
  const same = gensync.preview({ previous_files: next, files: next });
  assert.equal(same.would_commit, false);
  assert.deepEqual(same.files, []);
});

test("a file of unknown mode keeps the previous build's mode", () => {
  const manifest = gensync.manifest([{ path: "run.sh", data: "x\n", mode: "100755" }]);
  const r = gensync.preview({ previous_manifest: manifest, files: [{ path: "run.sh", data: "x\n" }] });
  assert.equal(r.would_commit, false);
  const r2 = gensync.preview({ previous_manifest: manifest, files: [{ path: "run.sh", data: "x\n", mode: "100644" }] });
  assert.equal(r2.changes.modified[0].mode, "100644");
});

test("bad input throws an Error with the core's message", () => {
  const throwsWith = (input, pattern) => assert.throws(() => gensync.preview(input), (e) => e instanceof Error && pattern.test(e.message), pattern.toString());
  throwsWith({ files: [{ path: "../escape.txt", data: "x" }] }, /path "\.\.\/escape\.txt" has a "\.\." segment/);
  throwsWith({ files: [{ path: ".git/config", data: "x" }] }, /inside a '\.git' folder/);
  throwsWith({ files: [{ path: "a", data: "x" }, { path: "a", data: "y" }] }, /appears twice/);
  throwsWith({ files: [{ path: "a", data: "x" }, { path: "a/b", data: "y" }] }, /is a file but "a\/b" uses it as a folder/);
  throwsWith(
    { previous_manifest: "# gensync manifest v1 sha1\nbogus\n100644 zz x\n", files: next },
    /previous manifest: malformed manifest: line 2: .*; line 3: /,
  );
  throwsWith({ previous_manifest: "hello\n", files: next }, /not a gensync manifest/);
  throwsWith({ files: [] }, /the build output is empty/);
  throwsWith({ files: next, options: { strategy: "per-build" } }, /uses \{id\} but no id was given/);
  throwsWith({ files: next, options: { message: "  " , build_id: "a..b", strategy: "per-build" } }, /not a valid git branch name/);
  throwsWith({ files: next, options: { target_dir: "../up" } }, /"\.\." segment/);
  throwsWith({ files: next, branch_tree: "not a listing" }, /branch_tree: tree listing record 1/);
  throwsWith({ files: [{ path: "a", data: 5 }] }, /files\[0\]\.data must be a Uint8Array or a string/);
  throwsWith({ files: [{ path: "a", data: "x", mode: "644" }] }, /unknown file mode "644"/);
  throwsWith({ files: next, previousManifest: "x" }, /unknown key "previousManifest"/);
  throwsWith({ files: next, previous_files: previous, previous_manifest: "x" }, /not both/);
  throwsWith({}, /files \(the new build\) is missing/);
  assert.throws(() => gensync.manifest([{ path: "/abs", data: "x" }]), /absolute path "\/abs"/);
  assert.throws(() => gensync.hashBlob(42), /data must be a Uint8Array or a string/);
  // Conflicts under "fail" refuse, naming the path.
  const input = {
    previous_files: [{ path: "a.txt", data: "1\n2\n3\n" }],
    files: [{ path: "a.txt", data: "1\nGEN\n3\n" }],
    branch_tree: { "a.txt": { mode: "100644", oid: gensync.hashBlob("1\nPERSON\n3\n") } },
    branch_blobs: ["1\nPERSON\n3\n"],
    options: { conflicts: "fail" },
  };
  throwsWith(input, /1 file\(s\) were changed by the generator and edited on the branch in overlapping ways: a\.txt/);
});

test("the package: entry points resolve by name and carry TypeScript types", () => {
  const dir = mkdtempSync(join(tmpdir(), "gensync-wasm-pkg-"));
  mkdirSync(join(dir, "node_modules"));
  symlinkSync(join(ROOT, "wasm", "pkg"), join(dir, "node_modules", "gensync-wasm"), "dir");
  const run = (args) => execFileSync(process.execPath, args, { cwd: dir, encoding: "utf8" }).trim();
  assert.equal(run(["-e", "console.log(require('gensync-wasm').hashBlob('x'))"]), gitHashObject("x"));
  assert.equal(run(["-e", "console.log(typeof require('gensync-wasm/node').preview)"]), "function");
  assert.equal(run(["--input-type=module", "-e", "import * as w from 'gensync-wasm/web'; console.log(typeof w.default, typeof w.preview)"]), "function function");
  for (const target of ["web", "nodejs"]) {
    const types = readFileSync(join(ROOT, "wasm", "pkg", target, "gensync_wasm.d.ts"), "utf8");
    assert.match(types, /export function preview\(input: PreviewInput\): Preview;/);
    assert.match(types, /export function manifest\(files: FileInput\[\]\): string;/);
    assert.match(types, /export function hashBlob\(data: Uint8Array \| string\): string;/);
    assert.match(types, /export interface ChangeSet \{/);
  }
});
