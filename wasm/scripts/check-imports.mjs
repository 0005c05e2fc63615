// Refuse a WebAssembly module that imports from "env": such an import means some dependency
// expects a C runtime or host function that browsers do not provide (quinn's CI does the same).
// Usage: node check-imports.mjs FILE.wasm
import { readFileSync } from "node:fs";

const file = process.argv[2];
const module = new WebAssembly.Module(readFileSync(file));
const imports = WebAssembly.Module.imports(module);
const env = imports.filter((i) => i.module === "env");
const modules = [...new Set(imports.map((i) => i.module))];
if (env.length > 0) {
  console.error(`${file} imports from "env": ${env.map((i) => i.name).join(", ")}`);
  process.exit(1);
}
console.log(`${file}: ${imports.length} imports, from ${modules.join(", ") || "nothing"}; none from "env"`);
