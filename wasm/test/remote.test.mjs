// The preview page reading a real bot branch through the sync machine, in headless Chromium,
// against the emulator binary (tests/src/bin/emulator.rs) for GitHub and for Bitbucket: the
// emulator answers CORS as the real APIs do, the page is served from another origin.
//
// Each provider's repository holds a previous sync on `amplication` and a person's commit on top
// of it: one edit the new build does not touch (it survives as it is), one that merges with the
// new build's change (it survives merged) and one that overlaps it (a conflict). The test checks
// what the page shows, that every request was a read, and that the pasted token never appears in
// the page's URL, storage, markup or console, nor in any request URL.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { createRequire } from "node:module";
import { ROOT } from "./util.mjs";
import { serve } from "./server.mjs";
import { launch, CHROMIUM } from "./chromium.mjs";

const require = createRequire(import.meta.url);
const gensync = require("../pkg/nodejs/gensync_wasm.js");
const SITE = join(ROOT, "wasm", "pkg", "site");
const EMULATOR = process.env.GENSYNC_EMULATOR ?? join(ROOT, "target", "debug", "emulator");
const OUTPUT = join(ROOT, "test-output");
const TOKEN = "ghs_PreviewPastedSecret0123456789";

assert.ok(existsSync(join(SITE, "index.html")), `${SITE} is missing: run bash wasm/build.sh`);
assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install chromium chromium-driver`);
assert.ok(existsSync(EMULATOR), `${EMULATOR} is missing: cargo build -p gensync-tests --bin emulator`);

// The previous build (synced to the branch), the person's commit on the branch, the new build.
const PREVIOUS = {
  "a.txt": "1\n2\n3\n4\n5\n",
  "b.txt": "keep\n",
  "c.txt": "x\n1\n2\n3\n4\n5\n6\n7\n",
  "gone.txt": "bye\n",
};
const PERSON = {
  "a.txt": "1\nPERSON\n3\n4\n5\n", // overlaps the new build's change: conflict
  "b.txt": "keep\nand the person's line\n", // not changed by the new build: survives
  "c.txt": "x\nPERSON\n2\n3\n4\n5\n6\n7\n", // apart from the new build's change: merged
};
const NEXT = {
  "a.txt": "1\nGENERATED\n3\n4\n5\n",
  "b.txt": "keep\n",
  "c.txt": "x\n1\n2\n3\n4\n5\n6\nGENERATED\n",
  "d.txt": "new\n",
};

const asFiles = (files) => Object.entries(files).map(([path, data]) => ({ path, data }));
const previousWithManifest = () => ({ ...PREVIOUS, ".amplication/manifest": gensync.manifest(asFiles(PREVIOUS)) });

/** Start the emulator binary; resolves to `{ api, control, close() }`. */
function startEmulator(provider, args) {
  const root = mkdtempSync(join(tmpdir(), `gensync-preview-${provider}-`));
  const child = spawn(EMULATOR, ["--provider", provider, "--root", root, "--no-validate", ...args], { stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (d) => (stderr += d));
  return new Promise((resolve, reject) => {
    child.on("exit", (code) => reject(new Error(`emulator exited (${code}): ${stderr}`)));
    createInterface({ input: child.stdout }).once("line", (line) => {
      const api = line.trim();
      resolve({
        api,
        control: new URL(api).origin + "/_emulator",
        close: () => {
          child.removeAllListeners("exit");
          child.kill();
          rmSync(root, { recursive: true, force: true });
        },
      });
    });
  });
}

async function call(method, url, body, headers = {}) {
  const r = await fetch(url, { method, headers: { "content-type": "application/json", ...headers }, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await r.text();
  assert.ok(r.ok, `${method} ${url}: ${r.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

const SEED = {
  async github(emu) {
    await call("POST", `${emu.control}/repos`, { full_name: "acme/app", files: { "README.md": "# app\n" } });
    const ref = await call("GET", `${emu.api}/repos/acme/app/git/ref/heads/main`, undefined, { authorization: `Bearer ${TOKEN}` });
    await call("POST", `${emu.control}/repos/acme/app/branches`, { branch: "amplication", sha: ref.object.sha });
    await call("POST", `${emu.control}/repos/acme/app/commits`, { branch: "amplication", message: "Sync build 1\n", files: previousWithManifest() });
    await call("POST", `${emu.control}/repos/acme/app/commits`, { branch: "amplication", message: "A person's edits\n", files: PERSON });
  },
  async bitbucket(emu) {
    await call("POST", `${emu.control}/repos`, { full_name: "acme/app", files: { "README.md": "# app\n" } });
    await call("POST", `${emu.control}/repos/acme/app/commits`, { branch: "amplication", message: "Sync build 1\n", files: previousWithManifest() });
    await call("POST", `${emu.control}/repos/acme/app/commits`, { branch: "amplication", message: "A person's edits\n", files: PERSON });
  },
};

let server;
let browser;
let nextDir;

before(async () => {
  server = await serve(SITE);
  browser = await launch();
  nextDir = mkdtempSync(join(tmpdir(), "gensync-preview-next-"));
  for (const [path, data] of Object.entries(NEXT)) {
    const file = join(nextDir, "build", path);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, data);
  }
});

after(async () => {
  await browser?.close();
  await server?.close();
  if (nextDir) rmSync(nextDir, { recursive: true, force: true });
});

for (const provider of ["github", "bitbucket"]) {
  test(`${provider}: the page reads the bot branch through the machine and shows what survives and what conflicts`, async () => {
    const emu = await startEmulator(provider, ["--token", `${TOKEN}:read`]);
    try {
      await SEED[provider](emu);
      await call("DELETE", `${emu.control}/requests`);

      const page = await browser.context.newPage();
      const consoleLines = [];
      const pageErrors = [];
      const requests = [];
      page.on("console", (m) => consoleLines.push(m.text()));
      page.on("pageerror", (e) => pageErrors.push(e.message));
      page.on("request", (r) => requests.push({ url: r.url(), method: r.method(), headers: r.headers() }));
      await page.goto(`${server.origin}/index.html`);
      await page.waitForSelector("body[data-state=ready]", { timeout: 30_000 });

      await page.fill("#message", "Second build\n\nWith d.txt.");
      await page.fill("#build-id", "2");
      await page.setInputFiles("#next-folder", join(nextDir, "build"));
      await page.waitForFunction(() => document.body.dataset.state === "done");
      await page.selectOption("#remote-provider", provider);
      await page.fill("#remote-api-url", emu.api);
      await page.fill("#remote-repository", "acme/app");
      await page.fill("#remote-token", TOKEN);
      await page.click("#run-remote");
      await page.waitForFunction(() => ["done", "error"].includes(document.body.dataset.state) && (document.body.dataset.state === "error" || !document.querySelector("#branch-state").hidden), null, { timeout: 60_000 });
      const error = await page.textContent("#error");
      assert.equal(await page.evaluate(() => document.body.dataset.state), "done", `the page failed: ${error}\n${pageErrors.join("\n")}`);

      // What the page shows.
      assert.equal(await page.textContent("#branch"), "amplication");
      const surviving = await page.$$eval("#surviving li[data-path]", (els) => els.map((e) => [e.dataset.path, e.textContent]));
      assert.deepEqual(surviving.map(([p]) => p).sort(), ["b.txt", "c.txt"], JSON.stringify(surviving));
      assert.match(surviving.find(([p]) => p === "b.txt")[1], /kept as it is/);
      assert.match(surviving.find(([p]) => p === "c.txt")[1], /merged/);
      const conflicts = await page.$$eval("#conflicts li[data-path]", (els) => els.map((e) => [e.dataset.path, e.dataset.state, e.textContent]));
      assert.deepEqual(conflicts.map(([p, s]) => [p, s]), [["a.txt", "markers"]], JSON.stringify(conflicts));
      assert.match(await page.textContent("#remote-pr"), /none open/);

      // The diffs are the sync's: the merge's markers carry the branch's name (the sync's
      // labels), c.txt keeps the person's line, the branch's b.txt is not touched.
      const result = await page.evaluate(() => window.gensyncPreview);
      const byPath = Object.fromEntries(result.files.map((f) => [f.path, f]));
      assert.deepEqual(Object.keys(byPath).sort(), ["a.txt", "c.txt", "d.txt", "gone.txt"]);
      assert.match(byPath["a.txt"].patch, /\+<<<<<<< amplication\n PERSON\n\+=======\n\+GENERATED\n\+>>>>>>> new build\n/);
      assert.ok(byPath["c.txt"].contents_known && byPath["c.txt"].patch.endsWith(" 6\n-7\n+GENERATED\n"), byPath["c.txt"].patch);
      assert.equal(byPath["gone.txt"].status, "deleted");
      assert.equal(result.commit_message, "Second build\n\nWith d.txt.\n\nBuild-Id: 2\nGenerated-By: gensync\n");
      assert.equal(result.pull_request.title, "Second build");
      await page.click("a[data-path='a.txt']");
      await page.waitForFunction(() => document.querySelectorAll("#diff .d2h-file-wrapper").length === 1);
      mkdirSync(OUTPUT, { recursive: true });
      await page.screenshot({ path: join(OUTPUT, `wasm-preview-${provider}-branch.png`), fullPage: true });

      // Read-only: the emulator saw reads only, each with the token.
      const record = await call("GET", `${emu.control}/requests`);
      assert.ok(record.length >= 4, JSON.stringify(record));
      const writes = record.filter((r) => !["GET", "HEAD", "OPTIONS"].includes(r.method));
      assert.deepEqual(writes, []);

      // The token: only in the Authorization header of requests to the API.
      const apiRequests = requests.filter((r) => r.url.startsWith(new URL(emu.api).origin));
      assert.ok(apiRequests.length >= 4);
      for (const r of requests) {
        assert.ok(!r.url.includes(TOKEN), r.url);
        if (!r.url.startsWith(new URL(emu.api).origin)) assert.ok(!JSON.stringify(r.headers).includes(TOKEN), r.url);
      }
      assert.ok(!page.url().includes(TOKEN));
      const stored = await page.evaluate(() => JSON.stringify([{ ...localStorage }, { ...sessionStorage }, document.cookie, location.href, document.documentElement.outerHTML]));
      assert.ok(!stored.includes(TOKEN), "the token is in the page's storage, URL or markup");
      assert.ok(!(await browser.context.cookies()).some((c) => c.value.includes(TOKEN)));
      assert.ok(!consoleLines.some((l) => l.includes(TOKEN)), consoleLines.join("\n"));
      assert.deepEqual(pageErrors, []);
      await page.close();
    } finally {
      emu.close();
    }
  });
}
