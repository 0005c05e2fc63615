// Benchmark (not a test): preview() of 2,000 files with 10% changed, in Node and in headless
// Chromium. Prints the median and fastest of several runs after warm-up. Run after build.sh:
//   node wasm/bench/bench.mjs [--files 2000] [--runs 15] [--no-browser]
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { makeBuilds } from "./data.mjs";

const args = process.argv.slice(2);
const opt = (name, d) => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : d);
const FILES = opt("--files", 2000);
const RUNS = opt("--runs", 15);
const WARMUP = 3;
const here = dirname(fileURLToPath(import.meta.url));

/** The median and fastest of the timed runs, in ms. */
function stats(times) {
  const t = [...times].sort((a, b) => a - b);
  return { median: t[Math.floor(t.length / 2)], min: t[0], runs: t.length };
}

const fmt = (s) => `median ${s.median.toFixed(1)} ms, fastest ${s.min.toFixed(1)} ms (${s.runs} runs)`;

const cases = (b, manifest) => ({
  "previous as files (ids + full diffs)": { previous_files: b.previous, files: b.next, options: { message: "Bench" } },
  "previous as manifest (ids; diffs of added files)": { previous_manifest: manifest, files: b.next, options: { message: "Bench" } },
});

async function node() {
  const require = createRequire(import.meta.url);
  const gensync = require("../pkg/nodejs/gensync_wasm.js");
  const b = makeBuilds(FILES);
  const manifest = gensync.manifest(b.previous);
  const out = {};
  for (const [name, input] of Object.entries(cases(b, manifest))) {
    const times = [];
    let result;
    for (let i = 0; i < WARMUP + RUNS; i++) {
      const start = performance.now();
      result = gensync.preview(input);
      if (i >= WARMUP) times.push(performance.now() - start);
    }
    out[name] = { ...stats(times), counts: result.counts, diffs: result.files.length };
  }
  return { out, b };
}

async function chromium() {
  const { serve } = await import("../test/server.mjs");
  const { launch } = await import("../test/chromium.mjs");
  const server = await serve(join(here, ".."));
  const browser = await launch();
  try {
    const page = await browser.context.newPage();
    await page.goto(`${server.origin}/bench/page.html`);
    return await page.evaluate(
      async ({ FILES, RUNS, WARMUP }) => {
        const m = await import("/pkg/web/gensync_wasm.js");
        await m.default();
        const { makeBuilds } = await import("/bench/data.mjs");
        const b = makeBuilds(FILES);
        const manifest = m.manifest(b.previous);
        const inputs = {
          "previous as files (ids + full diffs)": { previous_files: b.previous, files: b.next, options: { message: "Bench" } },
          "previous as manifest (ids; diffs of added files)": { previous_manifest: manifest, files: b.next, options: { message: "Bench" } },
        };
        const out = {};
        for (const [name, input] of Object.entries(inputs)) {
          const times = [];
          let result;
          for (let i = 0; i < WARMUP + RUNS; i++) {
            const start = performance.now();
            result = m.preview(input);
            if (i >= WARMUP) times.push(performance.now() - start);
          }
          times.sort((a, b) => a - b);
          out[name] = { median: times[Math.floor(times.length / 2)], min: times[0], runs: times.length, counts: result.counts, diffs: result.files.length };
        }
        return { out, userAgent: navigator.userAgent };
      },
      { FILES, RUNS, WARMUP },
    );
  } finally {
    await browser.close();
    await server.close();
  }
}

const { out: nodeOut, b } = await node();
console.log(`gensync-wasm preview benchmark: ${FILES} files (${(b.bytes / 1e6).toFixed(1)} MB), changed: ${JSON.stringify(b.changed)}`);
console.log(`Node ${process.version}:`);
for (const [name, s] of Object.entries(nodeOut)) console.log(`  ${name}: ${fmt(s)}; ${s.diffs} file diffs`);
if (!args.includes("--no-browser")) {
  const { out, userAgent } = await chromium();
  console.log(`Chromium (${userAgent.match(/Chrome\/[\d.]+/)?.[0] ?? userAgent}):`);
  for (const [name, s] of Object.entries(out)) console.log(`  ${name}: ${fmt(s)}; ${s.diffs} file diffs`);
}
