#!/usr/bin/env python3
"""Deterministic synthetic build outputs for the benchmarks.

gen.py OUT N SEED            one build of N files (log-normal sizes around 6 KB, a few large)
gen.py OUT2 --from OUT1 PCT  a second build: PCT% of files added, PCT% modified, PCT% deleted
"""
import math, os, random, shutil, sys

WORDS = ("export class service controller module import from return const async await "
         "string number boolean interface type public private readonly constructor "
         "findMany findUnique create update delete where select include orderBy take skip").split()


def text(rng, size):
    out, n = [], 0
    while n < size:
        line = "  " * rng.randint(0, 4) + " ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 12))) + ";\n"
        out.append(line)
        n += len(line)
    return "".join(out)[:size]


def size(rng):
    if rng.random() < 0.001:
        return rng.randint(1 << 20, 4 << 20)  # a few large files (bundles, lock files)
    return max(16, int(rng.lognormvariate(math.log(4500), 0.9)))


def path(rng, i):
    depth = rng.randint(1, 4)
    dirs = [f"{rng.choice(['src', 'lib', 'modules', 'gen', 'api'])}{rng.randint(0, 30)}" for _ in range(depth)]
    return "/".join(dirs + [f"file{i}.{rng.choice(['ts', 'js', 'json', 'prisma', 'md'])}"])


def write(root, rel, data):
    full = os.path.join(root, rel)
    os.makedirs(os.path.dirname(full), exist_ok=True)
    with open(full, "w") as f:
        f.write(data)


def main():
    out = sys.argv[1]
    if sys.argv[2] == "--from":
        src, pct = sys.argv[3], float(sys.argv[4])
        if os.path.exists(out):
            shutil.rmtree(out)
        shutil.copytree(src, out, symlinks=True)
        files = sorted(os.path.relpath(os.path.join(d, f), out) for d, _, fs in os.walk(out) for f in fs)
        rng = random.Random(len(files) * 1000 + int(pct * 10))
        k = max(1, int(len(files) * pct / 100))
        picked = rng.sample(files, 2 * k)
        for rel in picked[:k]:
            os.remove(os.path.join(out, rel))
        for rel in picked[k:]:
            with open(os.path.join(out, rel), "a") as f:
                f.write("// changed\n")
        for i in range(k):
            write(out, path(rng, 10_000_000 + i), text(rng, size(rng)))
        return
    n, seed = int(sys.argv[2]), int(sys.argv[3])
    rng = random.Random(seed)
    if os.path.exists(out):
        shutil.rmtree(out)
    for i in range(n):
        write(out, path(rng, i), text(rng, size(rng)))


main()
