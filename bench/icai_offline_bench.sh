#!/usr/bin/env bash
# The offline ICAI constitution (18 measurable principles computed in C) on N pairs:
# wall time and peak RSS of `prefscope icai DATASET --offline`, which measures every
# feature of every response, scores and ranks the principles, evaluates the
# constitution on a held-out split and stores every vote (N x 18 rows).
#
#   bench/icai_offline_bench.sh [N]    N defaults to 100000
#
# The dataset is the HH-RLHF harmless test split (2,312 pairs) repeated to N pairs
# with fresh ids.  Environment: PS_BIN (default build/prefscope), PS_DATA (default
# ../shared/data), BENCH_DIR (default mktemp -d).  Needs python3 and GNU time.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
N=${1:-100000}
PS_BIN=${PS_BIN:-$HERE/../build/prefscope}
PS_DATA=${PS_DATA:-$HERE/../../shared/data}
HH=$PS_DATA/hh_rlhf_harmless_test/harmless-base_test.jsonl.gz
[ -x "$PS_BIN" ] || { echo "prefscope binary not found at $PS_BIN (build first)" >&2; exit 1; }
[ -f "$HH" ] || { echo "HH data not found at $HH" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "GNU time (/usr/bin/time) is needed" >&2; exit 1; }
DIR=${BENCH_DIR:-$(mktemp -d)}
mkdir -p "$DIR"
trap 'rm -f "$DIR"/icai_bench.*' EXIT
python3 "$(dirname "$0")/hh_gen.py" "$HH" "$N" "$DIR/icai_bench.jsonl"
"$PS_BIN" -w "$DIR/icai_bench.db" import --name bench "$DIR/icai_bench.jsonl" >/dev/null 2>&1
echo "prefscope icai --offline on $N pairs: $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)"
/usr/bin/time -v "$PS_BIN" -w "$DIR/icai_bench.db" icai bench --offline >"$DIR/icai_bench.out" 2>"$DIR/icai_bench.time"
head -12 "$DIR/icai_bench.out"
python3 - "$DIR/icai_bench.time" <<'P'
import re, sys
t = open(sys.argv[1]).read()
g = lambda k: re.search(re.escape(k) + r":\s*(.+)", t).group(1).strip()
parts = [float(p) for p in g("Elapsed (wall clock) time (h:mm:ss or m:ss)").split(":")]
secs = parts[-1] + 60 * parts[-2] + (3600 * parts[-3] if len(parts) > 2 else 0)
print(f"wall {secs:.2f} s (user {g('User time (seconds)')} s, sys {g('System time (seconds)')} s),"
      f" peak RSS {int(g('Maximum resident set size (kbytes)')) / 1024:.1f} MiB")
P
