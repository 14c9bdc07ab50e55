#!/usr/bin/env bash
# The ICAI LLM pipeline end to end against a fake server that answers every call
# after 50 ms: N labelled pairs (default 1,000, built from the orthogonal synthetic
# set with numbered prompts so that no two requests are alike), model concurrency 64.
# Prints the calls per stage, calls per pair, wall time and peak RSS of
# `prefscope icai DATASET --model fake`, then the same command again (everything
# from the cache).
#
#   bench/icai_llm_bench.sh [N] [DELAY_MS] [CONCURRENCY]
#
# The server is tests/e2e/fake_llm.py with the ground-truth responder of the ICAI
# test (tests/e2e/icai_responder.py).  Environment: PS_BIN, PS_DATA, BENCH_DIR as in
# the other benchmarks.  Needs python3 and GNU time.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
N=${1:-1000}
DELAY=${2:-50}
CONC=${3:-64}
PS_BIN=${PS_BIN:-$HERE/../build/prefscope}
PS_DATA=${PS_DATA:-$HERE/../../shared/data}
CSV=$PS_DATA/icai_synthetic/synthetic_data_orthogonal_adcbg.csv
[ -x "$PS_BIN" ] || { echo "prefscope binary not found at $PS_BIN (build first)" >&2; exit 1; }
[ -f "$CSV" ] || { echo "data not found at $CSV" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "GNU time (/usr/bin/time) is needed" >&2; exit 1; }
DIR=${BENCH_DIR:-$(mktemp -d)}
mkdir -p "$DIR"
SRV=
cleanup() { [ -n "$SRV" ] && kill "$SRV" 2>/dev/null; rm -f "$DIR"/icai_llm.*; }
trap cleanup EXIT
python3 - "$CSV" "$N" "$DIR/icai_llm.jsonl" <<'P'
import csv, json, sys
rows = list(csv.reader(open(sys.argv[1])))[1:]
n = int(sys.argv[2])
with open(sys.argv[3], "w") as f:
    for i in range(n):
        r = rows[i % len(rows)]
        prompt = r[1].split("Output:", 1)[0].replace("Instruction:", "").strip()
        a, b = (x.split("Output:", 1)[1].strip() for x in r[1:3])
        f.write(json.dumps({"prompt": "%s (case %d)" % (prompt, i), "responses": [{"text": a}, {"text": b}],
                            "judgments": [{"a": 0, "b": 1, "annotator": "dataset",
                                           "verdict": "A" if r[3] == "text_a" else "B"}]}) + "\n")
P
python3 "$HERE/../tests/e2e/fake_llm.py" --ports 1 --delay "$DELAY" \
  --responder "$HERE/../tests/e2e/icai_responder.py" </dev/zero >"$DIR/icai_llm.ports" 2>/dev/null &
SRV=$!
for _ in $(seq 1 100); do grep -q PORTS "$DIR/icai_llm.ports" 2>/dev/null && break; sleep 0.05; done
PORT=$(awk '/PORTS/ {print $2}' "$DIR/icai_llm.ports")
cat >"$DIR/icai_llm.cfg.lua" <<C
models = { fake = { provider = "openai", base_url = "http://127.0.0.1:$PORT/v1", model = "fake-model",
                    concurrency = $CONC } }
C
W=$DIR/icai_llm.db
"$PS_BIN" -w "$W" import --name bench "$DIR/icai_llm.jsonl" >/dev/null 2>&1
echo "prefscope icai on $N pairs, fake server ${DELAY} ms per call, concurrency $CONC: $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
for run in first cached; do
  /usr/bin/time -v "$PS_BIN" -w "$W" --config "$DIR/icai_llm.cfg.lua" icai bench --model fake \
    --clusters 6 --name "$run" --json >"$DIR/icai_llm.out" 2>"$DIR/icai_llm.time"
  python3 - "$DIR/icai_llm.out" "$DIR/icai_llm.time" "$run" <<'P'
import json, re, sys
c = json.load(open(sys.argv[1]))
t = open(sys.argv[2]).read()
g = lambda k: re.search(re.escape(k) + r":\s*(.+)", t).group(1).strip()
parts = [float(x) for x in g("Elapsed (wall clock) time (h:mm:ss or m:ss)").split(":")]
secs = parts[-1] + 60 * parts[-2] + (3600 * parts[-3] if len(parts) > 2 else 0)
p = c["params"]
calls = p["calls"]
print(f"{sys.argv[3]:>7}: calls {calls} ({', '.join(f'{k} {v}' for k, v in sorted(p['calls_detail'].items()))}),"
      f" {p['calls_per_pair']:.2f} per pair, cached {p['cached']}; wall {secs:.1f} s,"
      f" peak RSS {int(g('Maximum resident set size (kbytes)')) / 1024:.1f} MiB;"
      f" agreement train {p['evaluation']['train']['constitutional']:.3f} vs {p['evaluation']['train']['baseline']:.3f}")
P
done
