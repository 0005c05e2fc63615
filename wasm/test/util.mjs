// Shared helpers of the Node and browser tests.
import { execFileSync } from "node:child_process";
import { lstatSync, readdirSync, readFileSync, readlinkSync } from "node:fs";
import { dirname, join, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root. */
export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

/** A build output folder as `FileInput[]`, modes read from disk as the CLI reads them. */
export function readBuild(dir) {
  const out = [];
  const walk = (d) => {
    for (const e of readdirSync(d, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const p = join(d, e.name);
      const path = relative(dir, p).split(sep).join("/");
      if (e.isDirectory()) walk(p);
      else if (e.isSymbolicLink()) out.push({ path, data: Buffer.from(readlinkSync(p)), mode: "120000" });
      else out.push({ path, data: readFileSync(p), mode: lstatSync(p).mode & 0o100 ? "100755" : "100644" });
    }
  };
  walk(dir);
  return out;
}

/** `git hash-object` of some bytes. */
export function gitHashObject(data) {
  return execFileSync("git", ["hash-object", "--stdin"], { input: data, encoding: "utf8" }).trim();
}
