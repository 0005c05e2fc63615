// Deterministic synthetic builds for the benchmark: `files` TypeScript-like files of 40–120
// lines (about 2.5 KB each), and a next build where `changed` of them differ: 80% modified
// (a few lines edited or added), 10% deleted, and as many new files added.
// Runs in Node and in the browser (no Node APIs).

function rng(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function source(random, name, lines) {
  const out = [`import { Injectable } from "@nestjs/common";`, "", "@Injectable()", `export class ${name} {`];
  for (let i = 0; out.length < lines; i++) {
    out.push(`  method${i}(input: string, count = ${Math.floor(random() * 1000)}): string {`);
    out.push(`    const value = input.repeat(count % 7) + "${name}-${i}";`);
    out.push("    return value.trim();");
    out.push("  }", "");
  }
  out.push("}", "");
  return out.join("\n");
}

/** `{ previous, next, changed }` as `FileInput[]` (data: Uint8Array), sorted by path. */
export function makeBuilds(files = 2000, changedFraction = 0.1) {
  const random = rng(42);
  const encode = (s) => new TextEncoder().encode(s);
  const previous = [];
  for (let i = 0; i < files; i++) {
    const name = `Service${i}`;
    const text = source(random, name, 40 + Math.floor(random() * 80));
    previous.push({ path: `src/module-${i % 50}/service-${i}.ts`, text });
  }
  const changed = Math.round(files * changedFraction);
  const modified = Math.round(changed * 0.8);
  const deleted = Math.round(changed * 0.1);
  const added = changed - modified - deleted;
  const next = previous.map((f) => ({ ...f }));
  // Spread the changes over the build.
  const step = Math.floor(files / (modified + deleted));
  const victims = Array.from({ length: modified + deleted }, (_, k) => k * step);
  for (const [k, idx] of victims.entries()) {
    if (k < modified) {
      const lines = next[idx].text.split("\n");
      const at = 5 + Math.floor(random() * (lines.length - 10));
      lines[at] = lines[at] + " // changed";
      lines.splice(at + 3, 0, "    // a new line from the generator");
      next[idx].text = lines.join("\n");
    } else {
      next[idx] = null;
    }
  }
  const kept = next.filter(Boolean);
  for (let i = 0; i < added; i++) {
    kept.push({ path: `src/new/added-${i}.ts`, text: source(random, `Added${i}`, 60) });
  }
  const asInput = (list) => list.map((f) => ({ path: f.path, data: encode(f.text) })).sort((a, b) => (a.path < b.path ? -1 : 1));
  const bytes = previous.reduce((n, f) => n + f.text.length, 0);
  return { previous: asInput(previous), next: asInput(kept), changed: { modified, deleted, added }, bytes };
}
