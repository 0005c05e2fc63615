// The preview page in headless Chromium: served from 127.0.0.1 (pkg/site, made by build.sh),
// two example folders picked, the change list and a diff checked, a screenshot saved under
// test-output/. Every request must go to the local server (no CDN).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { createRequire } from "node:module";
import { ROOT, readBuild } from "./util.mjs";
import { serve } from "./server.mjs";
import { launch, CHROMIUM } from "./chromium.mjs";

const require = createRequire(import.meta.url);
const gensync = require("../pkg/nodejs/gensync_wasm.js");
const SITE = join(ROOT, "wasm", "pkg", "site");
const EXAMPLES = join(ROOT, "examples");
const OUTPUT = join(ROOT, "test-output");

assert.ok(existsSync(join(SITE, "index.html")), `${SITE} is missing: run bash wasm/build.sh`);
assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install chromium chromium-driver`);

let server;
let browser;
let page;
const requests = [];
const pageErrors = [];

before(async () => {
  server = await serve(SITE);
  browser = await launch();
  page = await browser.context.newPage();
  page.on("request", (r) => requests.push(r.url()));
  page.on("pageerror", (e) => pageErrors.push(e.message));
  page.on("console", (m) => m.type() === "error" && pageErrors.push(m.text()));
  await page.goto(`${server.origin}/index.html`);
  await page.waitForSelector("body[data-state=ready]", { timeout: 30_000 });
});

after(async () => {
  await browser?.close();
  await server?.close();
});

/** The rendered groups: letter -> [heading, item texts]. */
async function groups() {
  return page.$$eval("#changes .group", (els) =>
    Object.fromEntries(els.map((g) => [g.dataset.group, [g.querySelector("h3").textContent, [...g.querySelectorAll("li")].map((li) => li.textContent)]])),
  );
}

test("two example folders: grouped change list, a diff, branch and texts", async () => {
  await page.fill("#build-id", "42");
  await page.fill("#build-url", "https://builds.example/42");
  await page.setInputFiles("#previous-folder", join(EXAMPLES, "build-1"));
  await page.setInputFiles("#next-folder", join(EXAMPLES, "build-2"));
  await page.setInputFiles("#ignore-file", join(EXAMPLES, ".amplicationignore"));
  await page.waitForFunction(() => document.body.dataset.state === "done" && document.querySelector("[data-group=I]"), null, { timeout: 30_000 });

  const g = await groups();
  assert.deepEqual(g.A, ["Added (1)", ["Asrc/invoices/invoices.service.ts+5 −0"]]);
  // A browser cannot see the executable bit: scripts/migrate.sh's mode-only change is not seen.
  assert.deepEqual(g.M, ["Modified (2)", ["Mpackage.json+2 −2", "Msrc/orders/orders.service.ts+4 −0"]]);
  assert.deepEqual(g.D, ["Deleted (2)", ["Dsrc/customers/customers.controller.ts+0 −1", "Dsrc/customers/customers.service.ts+0 −1"]]);
  assert.deepEqual(g.R, ["Renamed (1)", ["Rsrc/customers/customer.dto.ts → src/orders/customer.dto.ts+0 −0"]]);
  assert.deepEqual(g.I, ["Ignored (1)", ["Isrc/app.module.ts (modified by the generator, not written)"]]);

  // The page's answer is the Node module's for the same input (modes unknown).
  const noModes = (dir) => readBuild(dir).map(({ path, data }) => ({ path, data }));
  const expected = gensync.preview({
    previous_files: noModes(join(EXAMPLES, "build-1")),
    files: noModes(join(EXAMPLES, "build-2")),
    ignore: readFileSync(join(EXAMPLES, ".amplicationignore")),
    options: { message: "Update generated code", build_id: "42", build_url: "https://builds.example/42", strategy: "single", conflicts: "markers" },
  });
  const actual = await page.evaluate(() => window.gensyncPreview);
  assert.deepEqual(actual, expected);

  assert.equal(await page.textContent("#branch"), "amplication");
  assert.match(await page.textContent("#commit-message"), /^Update generated code\n\n```\nhttps:\/\/builds.example\/42\n```\n\nBuild-Id: 42\nGenerated-By: gensync\n$/);
  assert.equal(await page.textContent("#pr-title"), "Update generated code");
  assert.match(await page.textContent("#pr-body"), /\| Modified \| 2 \|/);

  // One file's diff, rendered by diff2html.
  await page.click("a[data-path='src/orders/orders.service.ts']");
  await page.waitForFunction(() => document.querySelectorAll("#diff .d2h-file-wrapper").length === 1);
  assert.equal((await page.$$("#diff .d2h-file-wrapper")).length, 1);
  assert.equal((await page.textContent("#diff .d2h-file-name")).trim(), "src/orders/orders.service.ts");
  const inserted = await page.$$eval("#diff .d2h-ins .d2h-code-line-ctn", (els) => els.map((e) => e.textContent));
  assert.deepEqual(inserted, ["", "  findOne(id: string) {", "    return { id };", "  }"]);
  const deleted = await page.$$("#diff .d2h-del .d2h-code-line-ctn");
  assert.equal(deleted.length, 0);

  mkdirSync(OUTPUT, { recursive: true });
  await page.click("#show-all");
  await page.screenshot({ path: join(OUTPUT, "wasm-preview.png"), fullPage: true });
});

test("a bad manifest shows the core's message", async () => {
  await page.check("input[name=previous-kind][value=manifest]");
  await page.fill("#previous-manifest", "# gensync manifest v1 sha1\nnot a line\n");
  await page.click("#run");
  await page.waitForFunction(() => document.body.dataset.state === "error");
  assert.match(await page.textContent("#error"), /previous manifest: malformed manifest: line 2: unknown file mode "not"/);
  await page.screenshot({ path: join(OUTPUT, "wasm-preview-error.png") });
});

test("every request stayed on the local server, and the page logged no error", () => {
  assert.ok(requests.length >= 5, requests.join("\n"));
  const elsewhere = requests.filter((u) => !u.startsWith(server.origin + "/"));
  assert.deepEqual(elsewhere, []);
  assert.deepEqual(pageErrors, []);
});
