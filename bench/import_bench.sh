#!/usr/bin/env bash
# Import throughput and memory against a Python peer.  Builds an N-pair JSONL from
# the HH-RLHF harmless test split (its 2312 records repeated, each with a fresh id),
# then imports it REPS times with prefscope and with bench/peers/py_import.py (a
# stdlib json + sqlite3 + FTS5 importer), alternating, each into a new workspace, and
# prints every run, the medians and the ratio; then prefscope once on a file ten
# times smaller, to show that memory does not grow with the file.  The last line is
# machine-readable:
#
#   RESULT import_200k ours_s=… peer_s=… ratio=… ours_cpu_s=… peer_cpu_s=… cpu_ratio=… ours_rss_mb=… small_rss_mb=…
#
# (ratio = peer wall / our wall = our records/s over the peer's).
#
#   bench/import_bench.sh [N [REPS]]     N defaults to 1000000, REPS to 3
#
# Environment: PS_BIN (default build/prefscope), PS_DATA (default ../shared/data),
# PYTHON (default python3), NO_PEER=1 (prefscope only), BENCH_DIR (default a fresh
# mktemp -d; the files are large: ~1.4 GB of JSONL and ~1.7 GB per workspace for
# N = 1,000,000; one workspace exists at a time).  Nothing is written to the
# repository.  Needs /usr/bin/time (GNU time).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
N=${1:-1000000}
REPS=${2:-3}
PS_BIN=${PS_BIN:-$HERE/../build/prefscope}
PS_DATA=${PS_DATA:-$HERE/../../shared/data}
PYTHON=${PYTHON:-python3}
PEER=$HERE/peers/py_import.py
HH=$PS_DATA/hh_rlhf_harmless_test/harmless-base_test.jsonl.gz
[ -x "$PS_BIN" ] || { echo "prefscope binary not found at $PS_BIN (build first)" >&2; exit 1; }
[ -f "$HH" ] || { echo "HH data not found at $HH" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "GNU time (/usr/bin/time) is needed" >&2; exit 1; }
DIR=${BENCH_DIR:-$(mktemp -d)}
mkdir -p "$DIR"
cleanup() { [ -n "${BENCH_KEEP:-}" ] || rm -f "$DIR"/bench_*.jsonl "$DIR"/bench_*.db* "$DIR"/time_*.txt; }
trap cleanup EXIT

gen() { # COUNT FILE
    "$PYTHON" "$HERE/hh_gen.py" "$HH" "$1" "$2"
}

# one WHO FILE TAG: import FILE into a new workspace, append "WHO wall cpu rss_kb" to $DIR/runs
one() {
    local who=$1 file=$2 ws=$DIR/bench_ws.db t=$DIR/time_$3.txt
    rm -f "$ws" "$ws-wal" "$ws-shm"
    sync
    if [ "$who" = peer ]; then
        /usr/bin/time -v "$PYTHON" "$PEER" "$file" "$ws" 2> "$t" > /dev/null
    else
        /usr/bin/time -v "$PS_BIN" -w "$ws" import --name bench "$file" 2> "$t" > /dev/null
    fi
    "$PYTHON" - "$who" "$file" "$ws" "$t" "$(cut -d' ' -f1 /proc/loadavg)" >> "$DIR/runs" <<'EOF'
import os, re, sys
who, file, ws, tfile, load = sys.argv[1:6]
t = open(tfile).read()
def grab(label):
    return re.search(re.escape(label) + r":\s*(.+)", t).group(1).strip()
parts = [float(p) for p in grab("Elapsed (wall clock) time (h:mm:ss or m:ss)").split(":")]
wall = parts[-1] + 60 * parts[-2] + (3600 * parts[-3] if len(parts) > 2 else 0)
cpu = float(grab("User time (seconds)")) + float(grab("System time (seconds)"))
rss = int(grab("Maximum resident set size (kbytes)"))
print(who, wall, cpu, rss, os.path.getsize(file), os.path.getsize(ws), load)
EOF
    rm -f "$ws" "$ws-wal" "$ws-shm"
}

echo "prefscope import benchmark: $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)"
FILE=$DIR/bench_$N.jsonl
gen "$N" "$FILE"
: > "$DIR/runs"
for r in $(seq "$REPS"); do
    one ours "$FILE" "ours$r"
    [ -n "${NO_PEER:-}" ] || one peer "$FILE" "peer$r"
done
SMALL=$((N / 10))
gen "$SMALL" "$DIR/bench_small.jsonl"
one small "$DIR/bench_small.jsonl" small
rm -f "$FILE" "$DIR/bench_small.jsonl"

"$PYTHON" - "$N" "$DIR/runs" <<'EOF'
import statistics, sys
n = int(sys.argv[1])
runs = [l.split() for l in open(sys.argv[2])]
by = {}
for who, wall, cpu, rss, size, ws, load in runs:
    by.setdefault(who, []).append((float(wall), float(cpu), int(rss), int(size), int(ws), load))
label = {"ours": "prefscope", "peer": "python peer", "small": "prefscope N/10"}
for who, rows in by.items():
    for wall, cpu, rss, size, ws, load in rows:
        recs = n // 10 if who == "small" else n
        print(f"{label[who]:>15} {recs:>9} records {size / 1e6:7.1f} MB  {wall:7.2f} s wall"
              f" {cpu:7.2f} s CPU  {recs / wall:8.0f} rec/s  peak RSS {rss / 1024:6.1f} MiB"
              f"  workspace {ws / 1e6:5.0f} MB  load {load}")
med = {w: (statistics.median(r[0] for r in rows), statistics.median(r[1] for r in rows),
           max(r[2] for r in rows)) for w, rows in by.items()}
tag = f"{n // 1000000}m" if n % 1000000 == 0 else f"{n // 1000}k" if n % 1000 == 0 else str(n)
o = med["ours"]
line = f"RESULT import_{tag} ours_s={o[0]:.2f} ours_cpu_s={o[1]:.2f}"
if "peer" in med:
    p = med["peer"]
    print(f"medians of {len(by['ours'])}: prefscope {o[0]:.2f} s wall ({n / o[0]:.0f} rec/s), "
          f"{o[1]:.2f} s CPU; peer {p[0]:.2f} s wall ({n / p[0]:.0f} rec/s), {p[1]:.2f} s CPU; "
          f"throughput ratio {p[0] / o[0]:.2f}x wall, {p[1] / o[1]:.2f}x CPU")
    line += (f" peer_s={p[0]:.2f} peer_cpu_s={p[1]:.2f} ratio={p[0] / o[0]:.2f}"
             f" cpu_ratio={p[1] / o[1]:.2f}")
line += f" ours_rss_mb={o[2] / 1024:.1f} small_rss_mb={med['small'][2] / 1024:.1f}"
print(line)
EOF
