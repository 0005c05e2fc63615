// A real consumer of the published package: `npm pack` of wasm/pkg, installed from the tarball
// into a fresh project outside the repository, bundled with vite (`vite build`), and the built
// page run in headless Chromium. The page imports "gensync-wasm" the way a user's app would (the
// package's "browser"/"import" export), lets vite emit the .wasm asset, and previews a small
// sync; the result must equal the Node build's (the package's "node" export) for the same input.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ROOT } from "./util.mjs";
import { serve } from "./server.mjs";
import { launch, CHROMIUM } from "./chromium.mjs";

const PKG = join(ROOT, "wasm", "pkg");
// vite 7: the newest major that runs on the Node 20 of this machine and CI.
const VITE = process.env.GENSYNC_TEST_VITE ?? "vite@7.3.8";

assert.ok(existsSync(join(PKG, "package.json")), `${PKG} is missing: run bash wasm/build.sh`);
assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install chromium chromium-driver`);

// The same input in the page and in Node.
const INPUT = `{
  previous_files: [
    { path: "src/a.ts", data: enc("export const a = 1;\\n") },
    { path: "src/gone.ts", data: enc("old\\n") },
  ],
  files: [
    { path: "src/a.ts", data: enc("export const a = 2;\\n") },
    { path: "src/new.ts", data: enc("export {};\\n") },
  ],
  options: { message: "Update generated code\\n\\nFrom the consumer test", build_id: "7" },
}`;

let project;
let server;
let browser;

before(() => {
  project = mkdtempSync(join(tmpdir(), "gensync-wasm-consumer-"));
  const tarball = execFileSync("npm", ["pack", PKG, "--pack-destination", project, "--silent"], { encoding: "utf8" }).trim().split("\n").pop();
  writeFileSync(join(project, "package.json"), JSON.stringify({ name: "consumer", private: true, type: "module" }, null, 2));
  writeFileSync(
    join(project, "index.html"),
    `<!doctype html><html><body data-state="loading"><pre id="out"></pre><script type="module" src="/main.js"></script></body></html>\n`,
  );
  writeFileSync(
    join(project, "main.js"),
    `import init, { preview, hashBlob } from "gensync-wasm";
const enc = (s) => new TextEncoder().encode(s);
try {
  await init();
  const r = preview(${INPUT});
  document.getElementById("out").textContent = JSON.stringify({ changes: r.changes, totals: r.totals, branch: r.branch, commit_message: r.commit_message, blob: hashBlob(enc("hello\\n")) });
  document.body.dataset.state = "ready";
} catch (e) {
  document.getElementById("out").textContent = String(e);
  document.body.dataset.state = "error";
}
`,
  );
  const npm = (...args) => execFileSync("npm", args, { cwd: project, stdio: ["ignore", "inherit", "inherit"] });
  npm("install", "--no-audit", "--no-fund", "--loglevel=error", join(project, tarball), VITE);
  npm("exec", "--", "vite", "build", "--logLevel", "warn");
});

after(async () => {
  await browser?.close();
  await server?.close();
  if (project) rmSync(project, { recursive: true, force: true });
});

test("vite emits the module as an asset of the consumer's build", () => {
  const assets = readdirSync(join(project, "dist", "assets"));
  assert.ok(assets.some((f) => f.endsWith(".wasm")), `no .wasm among ${assets}`);
});

test("the bundled page previews a sync in Chromium, as the Node export does", async () => {
  server = await serve(join(project, "dist"));
  browser = await launch();
  const page = await browser.context.newPage();
  const requests = [];
  page.on("request", (r) => requests.push(r.url()));
  await page.goto(`${server.origin}/index.html`);
  await page.waitForSelector("body:not([data-state=loading])", { timeout: 30_000 });
  const state = await page.$eval("body", (b) => b.dataset.state);
  const text = await page.$eval("#out", (e) => e.textContent);
  assert.equal(state, "ready", text);
  const got = JSON.parse(text);

  const { createRequire } = await import("node:module");
  const require = createRequire(join(project, "package.json"));
  const node = require("gensync-wasm"); // the "node" condition, from the installed tarball
  const enc = (s) => new TextEncoder().encode(s);
  const r = node.preview(eval(`(${INPUT})`));
  assert.deepEqual(got, { changes: r.changes, totals: r.totals, branch: r.branch, commit_message: r.commit_message, blob: node.hashBlob(enc("hello\n")) });
  assert.equal(got.blob, "ce013625030ba8dba906f756967f9e9ca394464a", "git hash-object of hello\\n");
  assert.equal(got.totals.files, 3);
  assert.ok(requests.every((u) => u.startsWith(server.origin)), `requests left the server: ${requests}`);
  assert.ok(requests.some((u) => u.endsWith(".wasm")), "the page loaded the emitted .wasm");
});
