// The preview's commit plan is the commit a real sync makes: the real `gensync` binary syncs
// the bundled builds to a local repository (the local target), a person edits the bot branch in
// between, and the tree and message of the commit the second sync makes (read back with git)
// equal the preview's plan for the same inputs, byte for byte. The branch's state is given to
// the preview as a sync reads it: its `git ls-tree -r`, its manifest and its blobs.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createRequire } from "node:module";
import { ROOT, readBuild } from "./util.mjs";

const require = createRequire(import.meta.url);
const gensync = require("../pkg/nodejs/gensync_wasm.js");
const CLI = join(ROOT, "target", "debug", "gensync");
const BUILD_1 = join(ROOT, "examples", "build-1");
const BUILD_2 = join(ROOT, "examples", "build-2");

assert.ok(existsSync(CLI), `${CLI} is missing: cargo build -p gensync`);

const ENV = {
  ...process.env,
  GIT_AUTHOR_NAME: "A Person",
  GIT_AUTHOR_EMAIL: "person@example.com",
  GIT_COMMITTER_NAME: "A Person",
  GIT_COMMITTER_EMAIL: "person@example.com",
  GIT_CONFIG_NOSYSTEM: "1",
  HOME: tmpdir(),
};
const git = (cwd, args, input) => execFileSync("git", args, { cwd, env: ENV, input, encoding: input === undefined ? "utf8" : undefined });
const gitBytes = (cwd, args) => execFileSync("git", args, { cwd, env: ENV });

function sync(repo, output, message, id) {
  const out = execFileSync(CLI, ["sync", "--provider", "local", "--repository", repo, "--output", output, "--message", message, "--build-id", id, "--build-url", `https://builds.example/${id}`, "--json"], { env: ENV, encoding: "utf8" });
  return JSON.parse(out);
}

/** `git ls-tree -r` of a commit as `{ path: { mode, oid } }`. */
function tree(repo, rev) {
  const out = {};
  for (const line of git(repo, ["ls-tree", "-r", rev]).split("\n").filter(Boolean)) {
    const [meta, path] = line.split("\t");
    const [mode, , oid] = meta.split(" ");
    out[path] = { mode, oid };
  }
  return out;
}

test("the preview's commit plan equals the commit `gensync sync` makes (local target, a person's edits on the branch)", () => {
  const work = mkdtempSync(join(tmpdir(), "gensync-plan-"));
  try {
    const repo = join(work, "app");
    git(work, ["init", "-q", "-b", "main", repo]);
    writeFileSync(join(repo, "NOTES.md"), "written by a person\n");
    git(repo, ["add", "-A"]);
    git(repo, ["commit", "-q", "-m", "Initial commit"]);
    sync(repo, BUILD_1, "First build", "1");

    // A person edits the bot branch: a file the next build leaves alone (it survives), and the
    // end of a file the next build extends (a conflict, committed with markers).
    const edit = join(work, "edit");
    git(work, ["clone", "-q", "--branch", "amplication", repo, edit]);
    writeFileSync(join(edit, "README.md"), readFileSync(join(BUILD_1, "README.md"), "utf8") + "A person's note.\n");
    writeFileSync(join(edit, "src/orders/orders.service.ts"), "export class OrdersService {\n  findAll() {\n    return [];\n  }\n  // the person's method goes here\n}\n");
    git(edit, ["commit", "-q", "-am", "A person's edits"]);
    git(edit, ["push", "-q", "origin", "amplication"]);

    // The branch as a sync reads it, given to the preview.
    const before = git(repo, ["rev-parse", "amplication"]).trim();
    const listing = git(repo, ["ls-tree", "-r", "-z", before]);
    // The blobs a merge reads: the branch's, and the previous build's (the commit before the edit).
    const blobs = [...Object.values(tree(repo, before)), ...Object.values(tree(repo, `${before}^`))].map((e) => gitBytes(repo, ["cat-file", "blob", e.oid]));
    const manifest = gitBytes(repo, ["show", `${before}:.amplication/manifest`]);
    const options = { message: "Second build\n\nInvoices.", build_id: "2", build_url: "https://builds.example/2" };
    const p = gensync.preview({ previous_manifest: manifest, files: readBuild(BUILD_2), branch_tree: listing, branch_blobs: blobs, options });
    assert.ok(p.plan, "the preview has a commit plan");
    assert.deepEqual(p.changes.preserved_edits, ["README.md"]);
    assert.deepEqual(p.changes.conflicts.map((k) => [k.path, k.state]), [["src/orders/orders.service.ts", "markers"]]);

    const outcome = sync(repo, BUILD_2, options.message, "2");
    const after = git(repo, ["rev-parse", "amplication"]).trim();
    assert.notEqual(after, before);
    assert.equal(git(repo, ["rev-parse", `${after}^`]).trim(), before, "the sync built on the branch the preview read");

    // The plan applied to the branch's tree is the commit's tree, entry for entry.
    const expected = tree(repo, before);
    for (const path of p.plan.deletions) delete expected[path];
    for (const w of p.plan.writes) expected[w.path] = { mode: w.mode, oid: w.oid };
    const sorted = (t) => Object.keys(t).sort().map((k) => `${t[k].mode} ${t[k].oid} ${k}`);
    assert.deepEqual(sorted(tree(repo, after)), sorted(expected));
    // Every write the plan carries inline (the merges) is the committed blob, byte for byte.
    const inline = p.plan.writes.filter((w) => w.source.inline !== undefined);
    assert.ok(inline.length >= 1, JSON.stringify(p.plan.writes));
    for (const w of inline) {
      assert.deepEqual(gitBytes(repo, ["cat-file", "blob", `${after}:${w.path}`]), Buffer.from(w.source.inline.content_base64, "base64"), w.path);
    }
    assert.match(Buffer.from(inline.find((w) => w.path === "src/orders/orders.service.ts").source.inline.content_base64, "base64").toString(), /<<<<<<< amplication\n/);
    // The message, byte for byte (the raw commit object's text after its headers).
    const raw = gitBytes(repo, ["cat-file", "commit", after]).toString("utf8");
    assert.equal(raw.slice(raw.indexOf("\n\n") + 2), p.plan.message);
    assert.equal(p.plan.message, p.commit_message);
    assert.equal(outcome.commit_message, p.commit_message);
    assert.equal(p.plan.branch, "amplication");
    assert.equal(p.plan.create_branch, false);
    assert.deepEqual(outcome.pull_request_text, p.pull_request);
    assert.deepEqual(outcome.changes[0], p.changes);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});
