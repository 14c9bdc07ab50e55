#!/usr/bin/env bash
# Import throughput and memory: build an N-pair JSONL from the HH-RLHF harmless test
# split (its 2312 records repeated, each with a fresh id), import it into a new
# workspace and report MB/s, records/s and peak RSS; then the same for a file ten
# times smaller, to show that memory does not grow with the file.
#
#   bench/import_bench.sh [N]          N defaults to 1000000
#
# Environment: PS_BIN (default build/prefscope), PS_DATA (default ../shared/data),
# BENCH_DIR (default a fresh mktemp -d; the generated files are large: ~1.4 GB of
# JSONL and ~1.9 GB of workspace for N = 1,000,000).  Nothing is written to the
# repository.  Needs python3 and /usr/bin/time (GNU time).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
N=${1:-1000000}
PS_BIN=${PS_BIN:-$HERE/../build/prefscope}
PS_DATA=${PS_DATA:-$HERE/../../shared/data}
HH=$PS_DATA/hh_rlhf_harmless_test/harmless-base_test.jsonl.gz
[ -x "$PS_BIN" ] || { echo "prefscope binary not found at $PS_BIN (build first)" >&2; exit 1; }
[ -f "$HH" ] || { echo "HH data not found at $HH" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "GNU time (/usr/bin/time) is needed" >&2; exit 1; }
DIR=${BENCH_DIR:-$(mktemp -d)}
mkdir -p "$DIR"
cleanup() { [ -n "${BENCH_KEEP:-}" ] || rm -f "$DIR"/bench_*.jsonl "$DIR"/bench_*.db*; }
trap cleanup EXIT

gen() { # COUNT FILE
    python3 - "$HH" "$1" "$2" <<'EOF'
import gzip, json, sys
src = [json.loads(l) for l in gzip.open(sys.argv[1], "rt", encoding="utf-8")]
n, path = int(sys.argv[2]), sys.argv[3]
with open(path, "w", encoding="utf-8") as f:
    for i in range(n):
        r = src[i % len(src)]
        f.write(json.dumps({"id": "hh-%07d" % i, "chosen": r["chosen"], "rejected": r["rejected"]},
                           ensure_ascii=False) + "\n")
EOF
}

# run COUNT: generate, import, print one result line
run() {
    local n=$1 file=$DIR/bench_$1.jsonl ws=$DIR/bench_$1.db
    gen "$n" "$file"
    rm -f "$ws" "$ws-wal" "$ws-shm"
    sync
    /usr/bin/time -v "$PS_BIN" -w "$ws" import --name bench "$file" 2> "$DIR/time_$n.txt" > /dev/null
    python3 - "$n" "$file" "$ws" "$DIR/time_$n.txt" <<'EOF'
import os, re, sys
n, file, ws, tfile = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
t = open(tfile).read()
def grab(label):
    return re.search(re.escape(label) + r":\s*(.+)", t).group(1).strip()
wall = grab("Elapsed (wall clock) time (h:mm:ss or m:ss)")
parts = [float(p) for p in wall.split(":")]
secs = parts[-1] + 60 * parts[-2] + (3600 * parts[-3] if len(parts) > 2 else 0)
user, sys_ = float(grab("User time (seconds)")), float(grab("System time (seconds)"))
rss = int(grab("Maximum resident set size (kbytes)"))
mb = os.path.getsize(file) / 1e6
print(f"{n:>9} records  {mb:8.1f} MB in  {secs:7.1f} s wall ({user:.1f} s user + {sys_:.1f} s sys)"
      f"  {mb / secs:6.1f} MB/s  {n / secs:8.0f} records/s  (CPU: {mb / (user + sys_):5.1f} MB/s,"
      f" {n / (user + sys_):6.0f} rec/s)  peak RSS {rss / 1024:5.1f} MiB"
      f"  workspace {os.path.getsize(ws) / 1e6:.0f} MB")
EOF
    rm -f "$file" "$ws" "$ws-wal" "$ws-shm"
}

echo "prefscope import benchmark: $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)"
run $((N / 10))
run "$N"
