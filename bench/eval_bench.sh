#!/bin/bash
# Evaluation benchmark: time `prefscope stats` and `prefscope rank` (B bootstrap
# resamples each, default 1000) on a generated dataset of N items judged by K
# annotators, with M models.
#   bench/eval_bench.sh [N=100000] [K=3] [M=8] [B=1000]
# PS_BIN is the binary (default build/prefscope).  PS_BIN_BEFORE, when set, is a
# second binary (e.g. a build of an older commit) timed alternately with the first
# on the same workspace, so both see the same machine load.  Each figure is the
# median of 3 runs (wall and CPU time) and the peak RSS.  The issue-16 targets:
#   bench/eval_bench.sh 300000 1 20   rank: 300k battles between 20 models
#   bench/eval_bench.sh 100000 3 8    stats: 300k judgments
set -eu
N=${1:-100000}; K=${2:-3}; M=${3:-8}; B=${4:-1000}
BIN=${PS_BIN:-$(dirname "$0")/../build/prefscope}
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
python3 "$(dirname "$0")/eval_data.py" "$N" "$K" "$M" >"$T/d.jsonl"
"$BIN" -w "$T/ws.db" import --name bench "$T/d.jsonl" 2>/dev/null
# median wall and CPU (user + sys) seconds, max RSS of 3 runs of "$@" (on a shared
# machine the CPU time is the steadier figure)
measure() {
  local out=""
  for _ in 1 2 3; do
    /usr/bin/time -f "%e %U %S %M" -o "$T/time" "$@" >/dev/null
    out+="$(cat "$T/time")"$'\n'
  done
  local w c r
  w=$(printf '%s' "$out" | awk '{print $1}' | sort -n | sed -n 2p)
  c=$(printf '%s' "$out" | awk '{print $2 + $3}' | sort -n | sed -n 2p)
  r=$(printf '%s' "$out" | awk '{print $4}' | sort -n | tail -1)
  printf 'wall %6.2f s  cpu %6.2f s  rss %6.1f MB' "$w" "$c" "$(echo "$r / 1024" | bc -l)"
}
bins=("$BIN"); names=(after)
if [ -n "${PS_BIN_BEFORE:-}" ]; then bins=("$PS_BIN_BEFORE" "$BIN"); names=(before after); fi
echo "items=$N annotators=$K models=$M judgments=$((N * K)) bootstrap=$B"
for cmd in "stats --bootstrap 0 --against rater0" "stats --bootstrap $B --against rater0" \
           "rank --bootstrap 0" "rank --bootstrap $B"; do
  for i in "${!bins[@]}"; do
    # shellcheck disable=SC2086
    printf '%-6s %-40s %s\n' "${names[$i]}" "$cmd" "$(measure "${bins[$i]}" -w "$T/ws.db" ${cmd%% *} bench ${cmd#* })"
  done
done
