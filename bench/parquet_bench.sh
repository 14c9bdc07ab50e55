#!/usr/bin/env bash
# Parquet import throughput and memory.
#  1. N pairs (default 200,000) from the HH-RLHF harmless test split written as Parquet
#     by an independent writer (npm hyparquet-writer, SNAPPY, dictionary where it
#     pays) and as JSON Lines: import of each into a fresh workspace, wall time,
#     pairs/s and peak RSS.
#  2. A ~1 GB Parquet file (BIG pairs, default 1,300,000, each text prefixed with its
#     id so dictionaries cannot shrink it): import, peak RSS (the issue asks < 200 MB).
#
#   bench/parquet_bench.sh [N [BIG]]        N=0 skips part 1, BIG=0 part 2
#
# Environment: PS_BIN (default build/prefscope), PS_DATA (default ../shared/data),
# BENCH_DIR (default a fresh mktemp -d; part 2 needs ~4 GB there).  Needs node and
# npm (hyparquet-writer is installed into BENCH_DIR), python3 and GNU time.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
N=${1:-200000}
BIG=${2:-1300000}
PS_BIN=${PS_BIN:-$HERE/../build/prefscope}
PS_DATA=${PS_DATA:-$HERE/../../shared/data}
HH=$PS_DATA/hh_rlhf_harmless_test/harmless-base_test.jsonl.gz
[ -x "$PS_BIN" ] || { echo "prefscope binary not found at $PS_BIN (build first)" >&2; exit 1; }
[ -f "$HH" ] || { echo "HH data not found at $HH" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "GNU time (/usr/bin/time) is needed" >&2; exit 1; }
command -v npm >/dev/null || { echo "node and npm are needed" >&2; exit 1; }
DIR=${BENCH_DIR:-$(mktemp -d)}
mkdir -p "$DIR/npm"
cleanup() { [ -n "${BENCH_KEEP:-}" ] || rm -f "$DIR"/pqbench_*; }
trap cleanup EXIT
if [ ! -d "$DIR/npm/node_modules/hyparquet-writer" ]; then
    (cd "$DIR/npm" && npm install --no-audit --no-fund --silent hyparquet-writer@0.17.0 >/dev/null)
fi
cp "$HERE/parquet_gen.mjs" "$DIR/npm/"

# measure LABEL FILE PAIRS: import FILE into a new workspace, print one line
measure() {
    local label=$1 file=$2 n=$3 ws=$DIR/pqbench_$1.db
    rm -f "$ws" "$ws-wal" "$ws-shm"
    sync
    /usr/bin/time -v "$PS_BIN" -w "$ws" import --name bench "$file" 2> "$DIR/pqbench_$label.time" >/dev/null
    python3 - "$label" "$file" "$n" "$DIR/pqbench_$label.time" <<'PY'
import os, re, sys
label, file, n, tfile = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
t = open(tfile).read()
grab = lambda k: re.search(re.escape(k) + r":\s*(.+)", t).group(1).strip()
parts = [float(p) for p in grab("Elapsed (wall clock) time (h:mm:ss or m:ss)").split(":")]
secs = parts[-1] + 60 * parts[-2] + (3600 * parts[-3] if len(parts) > 2 else 0)
user, sys_ = float(grab("User time (seconds)")), float(grab("System time (seconds)"))
rss = int(grab("Maximum resident set size (kbytes)")) / 1024
mb = os.path.getsize(file) / 1e6
print(f"{label:<14} {n:>9} pairs  {mb:8.1f} MB file  {secs:7.1f} s wall ({user:.1f} user + {sys_:.1f} sys)"
      f"  {n / secs:8.0f} pairs/s  peak RSS {rss:6.1f} MB")
PY
}

if [ "$N" != 0 ]; then
    node "$DIR/npm/parquet_gen.mjs" "$HH" "$N" "$DIR/pqbench_pairs.parquet" "$DIR/pqbench_pairs.jsonl"
    echo "prefscope import of the same $N pairs (HH-RLHF; Parquet row groups of 20,000 rows):"
    measure parquet "$DIR/pqbench_pairs.parquet" "$N"
    measure jsonl "$DIR/pqbench_pairs.jsonl" "$N"
fi
if [ "$BIG" != 0 ]; then
    rm -f "$DIR"/pqbench_pairs.*
    UNIQUE=1 node "$DIR/npm/parquet_gen.mjs" "$HH" "$BIG" "$DIR/pqbench_big.parquet"
    echo "a large file (texts made unique, so no dictionary):"
    measure parquet-big "$DIR/pqbench_big.parquet" "$BIG"
    # the reader alone (rows to JSON, no workspace): tests/test_parquet --dump
    DUMP=$(dirname "$PS_BIN")/tests/test_parquet
    if [ -x "$DUMP" ]; then
        /usr/bin/time -v "$DUMP" --dump "$DIR/pqbench_big.parquet" 2> "$DIR/pqbench_read.time" >/dev/null
        echo "reader only: $(grep -E 'Elapsed|Maximum resident' "$DIR/pqbench_read.time" | sed 's/^\s*//' | tr '\n' ' ')"
    fi
fi
