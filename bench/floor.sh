#!/usr/bin/env bash
# `gensync changes` (previous = manifest) against the SHA-1 hashing floor, interleaved run by run
# so both see the same machine load; optionally a second gensync binary (say, main's) alongside.
#
#   bench/floor.sh [--sizes "20000 100000"] [--runs N] [--dir /tmp/gensync-bench] [--base BIN]
#
# Uses (and makes, if missing) the builds of bench/run.sh in --dir (bench/gen.py, fixed seeds;
# the 1% second build). Prints, per size and tool, the median wall and CPU (user + system)
# seconds and the median's ratio to the floor's. The page cache is warmed first.
set -euo pipefail
cd "$(dirname "$0")/.."
sizes="20000 100000"; runs=5; dir=${TMPDIR:-/tmp}/gensync-bench; base=""
while [[ $# -gt 0 ]]; do
  case $1 in
    --sizes) sizes=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --dir) dir=$2; shift 2 ;;
    --base) base=$2; shift 2 ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done
[[ -x /usr/bin/time ]] || { echo "needs /usr/bin/time (Debian package 'time')" >&2; exit 1; }
[[ -n "${GENSYNC:-}" ]] || cargo build --release -q -p gensync
gensync=${GENSYNC:-$(pwd)/target/release/gensync}
mkdir -p "$dir"
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
echo "| files | tool | median wall s | median CPU s | wall / floor |"
echo "|---:|---|---:|---:|---:|"
for n in $sizes; do
  b1=$dir/b$n-1 b2=$dir/b$n-2-1
  [[ -d $b1 ]] || python3 bench/gen.py "$b1" "$n" 1
  [[ -d $b2 ]] || python3 bench/gen.py "$b2" --from "$b1" 1
  "$gensync" manifest "$b1" -o "$dir/m$n"
  find "$b2" -type f -print0 | xargs -0 cat >/dev/null   # warm the page cache
  declare -A wall=() cpu=()
  tools=(gensync floor); [[ -n $base ]] && tools=(base gensync floor)
  for _ in $(seq "$runs"); do
    for t in "${tools[@]}"; do
      case $t in
        gensync) cmd=("$gensync" changes --previous "$dir/m$n" --next "$b2" --format json) ;;
        base) cmd=("$base" changes --previous "$dir/m$n" --next "$b2" --format json) ;;
        floor) cmd=(bash -c "find '$b2' -type f -print0 | xargs -0 -P$(nproc) -n 2000 sha1sum") ;;
      esac
      /usr/bin/time -f "%e %U %S" -o "$dir/time.txt" "${cmd[@]}" >/dev/null 2>&1
      read -r e u s < "$dir/time.txt"
      wall[$t]+="$e "; cpu[$t]+="$(awk -v u="$u" -v s="$s" 'BEGIN {print u + s}') "
    done
  done
  floor=$(tr ' ' '\n' <<<"${wall[floor]}" | grep . | median)
  for t in "${tools[@]}"; do
    w=$(tr ' ' '\n' <<<"${wall[$t]}" | grep . | median); c=$(tr ' ' '\n' <<<"${cpu[$t]}" | grep . | median)
    name=$t; [[ $t == floor ]] && name="floor: xargs -P$(nproc) sha1sum"; [[ $t == base ]] && name="gensync changes ($base)"
    [[ $t == gensync ]] && name="gensync changes (previous = manifest)"
    echo "| $n | $name | $w | $c | $(awk -v a="$w" -v b="$floor" 'BEGIN {printf "%.2f×", a / b}') |"
  done
  unset wall cpu
done
echo
echo "load average after the run: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"
