#!/usr/bin/env bash
# Benchmarks `gensync changes` against `git add -A && git diff --cached --name-status` and
# node's dir-compare (compareContent), with the SHA-1 hashing floor measured in the same run.
#
#   bench/run.sh [--sizes "1000 20000 100000"] [--runs N] [--dir /tmp/gensync-bench]
#
# Writes the timing table into BENCHMARKS.md (between the timing markers) and prints it.
# Synthetic builds are deterministic (bench/gen.py, fixed seeds); the page cache is warmed
# before timing; each figure is the median wall time of N runs; peak RSS from /usr/bin/time -v.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

sizes="1000 20000 100000"
runs=5
dir=${TMPDIR:-/tmp}/gensync-bench
while [[ $# -gt 0 ]]; do
  case $1 in
    --sizes) sizes=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --dir) dir=$2; shift 2 ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done

[[ -x /usr/bin/time ]] || { echo "needs /usr/bin/time (Debian package 'time')" >&2; exit 1; }
(cd bench && [[ -d node_modules/dir-compare ]] || npm install --no-audit --no-fund --loglevel=error >/dev/null)
# GENSYNC=/path/to/gensync benchmarks a given binary instead of building this checkout's.
if [[ -z "${GENSYNC:-}" ]]; then
  cargo build --release -q -p gensync
fi
gensync=${GENSYNC:-$root/target/release/gensync}
mkdir -p "$dir"

# median wall seconds and max peak RSS (MB) of `runs` runs of "$@" (stdout discarded)
measure() {
  local times=() rss=0 t m
  "$@" >/dev/null 2>&1 || { echo "failed: $*" >&2; return 1; }   # warm-up (and page cache)
  for _ in $(seq "$runs"); do
    /usr/bin/time -f "%e %M" -o "$dir/time.txt" "$@" >/dev/null 2>&1
    read -r t m < "$dir/time.txt"
    times+=("$t"); (( m > rss )) && rss=$m
  done
  printf '%s %s\n' "$(printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}')" "$((rss / 1024))"
}

git_pipeline() { # $1 = repo with build 1 committed, $2 = build 2 folder; hashes every file (fresh index)
  rm -f "$dir/fresh.index"
  GIT_INDEX_FILE="$dir/fresh.index" git --git-dir "$1" --work-tree "$2" add -A
  GIT_INDEX_FILE="$dir/fresh.index" git --git-dir "$1" --work-tree "$2" diff --cached --name-status HEAD
}
floor() { find "$1" -type f -print0 | xargs -0 -P"$(nproc)" -n 2000 sha1sum; }
export -f git_pipeline floor
export dir

table="| files | changed | size | tool | median s | peak RSS MB | vs gensync (manifest) |
|---:|---:|---:|---|---:|---:|---:|
"
for n in $sizes; do
  b1=$dir/b$n-1
  [[ -d $b1 ]] || python3 bench/gen.py "$b1" "$n" 1
  "$gensync" manifest "$b1" -o "$dir/m$n"
  repo=$dir/repo$n.git
  if [[ ! -d $repo ]]; then
    git init -q --bare "$repo"
    GIT_INDEX_FILE="$dir/seed.index" git --git-dir "$repo" --work-tree "$b1" add -A
    tree=$(GIT_INDEX_FILE="$dir/seed.index" git --git-dir "$repo" write-tree)
    commit=$(git --git-dir "$repo" -c user.name=b -c user.email=b@b commit-tree "$tree" -m build1)
    git --git-dir "$repo" update-ref HEAD "$commit"
  fi
  for pct in 1 10; do
    b2=$dir/b$n-2-$pct
    [[ -d $b2 ]] || python3 bench/gen.py "$b2" --from "$b1" "$pct"
    size=$(du -sb "$b2" | cut -f1)
    # Same answer from all tools (sanity check, not timed).
    ours=$("$gensync" changes --previous "$dir/m$n" --next "$b2" --format json | python3 -c 'import json,sys; c=json.load(sys.stdin); print(len(c["added"])+len(c["modified"])+len(c["deleted"])+2*len(c["renamed"]))')
    theirs=$(bash -c "git_pipeline $repo $b2" | wc -l)
    [[ $ours == "$theirs" ]] || { echo "gensync found $ours changes, git $theirs ($n files, $pct%)" >&2; exit 1; }
    read -r tm rm < <(measure "$gensync" changes --previous "$dir/m$n" --next "$b2" --format json)
    read -r tf rf < <(measure "$gensync" changes --previous "$b1" --next "$b2" --format json)
    read -r tg rg < <(measure bash -c "git_pipeline $repo $b2")
    read -r td rd < <(measure node bench/dircompare.mjs "$b1" "$b2")
    read -r th rh < <(measure bash -c "floor $b2")
    ratio() { awk -v a="$1" -v b="$tm" 'BEGIN { printf (b > 0 ? "%.2f×" : "-"), a / b }'; }
    mb=$(awk -v s="$size" 'BEGIN { printf "%.0f MB", s / 1e6 }')
    table+="| $n | $pct% | $mb | gensync changes (previous = manifest) | $tm | $rm | 1.00× |
| $n | $pct% | $mb | gensync changes (previous = folder) | $tf | $rf | $(ratio "$tf") |
| $n | $pct% | $mb | git add -A && git diff --cached --name-status | $tg | $rg | $(ratio "$tg") |
| $n | $pct% | $mb | dir-compare (compareContent) | $td | $rd | $(ratio "$td") |
| $n | $pct% | $mb | floor: xargs -P$(nproc) sha1sum | $th | $rh | $(ratio "$th") |
"
  done
done

machine="$(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(uname -sr), git $(git --version | cut -d' ' -f3), node $(node --version)"
section="<!-- timing:begin -->
## Timing: \`gensync changes\` vs git vs dir-compare

Measured $(date -u +%Y-%m-%d) on: $machine. Warm page cache, median of $runs runs, peak RSS
from \`/usr/bin/time\`. Command: \`bench/run.sh --sizes \"$sizes\" --runs $runs\`.
Each second build has the given share of files added, the same share modified and the same
share deleted (\`bench/gen.py\`). All tools report the same number of changes (checked).

$table
<!-- timing:end -->"
touch BENCHMARKS.md
python3 - "$section" <<'PY'
import re, sys
section = sys.argv[1]
text = open("BENCHMARKS.md").read()
if "<!-- timing:begin -->" in text:
    text = re.sub(r"<!-- timing:begin -->.*?<!-- timing:end -->", lambda m: section, text, flags=re.S)
else:
    text = (text.rstrip() + "\n\n" if text.strip() else "# Benchmarks\n\n") + section + "\n"
open("BENCHMARKS.md", "w").write(text)
PY
echo "$section"
