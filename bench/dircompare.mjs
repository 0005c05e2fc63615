// dir-compare with compareContent, as the reference implementation of this product uses it:
// prints one line per difference (A/D/M), like the other tools in the benchmark.
import { compareSync } from "dir-compare";

const [a, b] = process.argv.slice(2);
const result = compareSync(a, b, { compareContent: true, compareSize: true });
let out = "";
for (const d of result.diffSet) {
  if (d.type1 === "directory" || d.type2 === "directory") continue;
  if (d.state === "left") out += `D\t${d.relativePath}/${d.name1}\n`;
  else if (d.state === "right") out += `A\t${d.relativePath}/${d.name2}\n`;
  else if (d.state === "distinct") out += `M\t${d.relativePath}/${d.name1}\n`;
}
process.stdout.write(out);
