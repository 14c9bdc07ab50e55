#!/bin/bash
# Evaluation benchmark: time `prefscope stats` and `prefscope rank` (1000 bootstrap
# resamples each) on a generated dataset of N items judged by K annotators, with M
# models.  Usage: bench/eval_bench.sh [N=100000] [K=3] [M=8] (PS_BIN = the binary).
set -eu
N=${1:-100000}; K=${2:-3}; M=${3:-8}
BIN=${PS_BIN:-$(dirname "$0")/../build/prefscope}
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
python3 - "$N" "$K" "$M" >"$T/d.jsonl" <<'PY'
import json, random, sys
n, k, m = map(int, sys.argv[1:])
rng = random.Random(7)
strength = [rng.gauss(0, 1) for _ in range(m)]
for i in range(n):
    a, b = rng.sample(range(m), 2)
    p = 1 / (1 + 10 ** ((strength[b] - strength[a])))
    js = []
    for r in range(k):
        u = rng.random()
        v = "tie" if u < 0.1 else ("A" if u < 0.1 + 0.9 * p else "B")
        js.append({"a": 0, "b": 1, "annotator": "rater%d" % r, "verdict": v})
    print(json.dumps({"prompt": "p%d" % i, "responses": [
        {"text": "x" * rng.randint(5, 500), "model": "model%d" % a},
        {"text": "y" * rng.randint(5, 500), "model": "model%d" % b}], "judgments": js}))
PY
"$BIN" -w "$T/ws.db" import --name bench "$T/d.jsonl" 2>/dev/null
t() { local s e; s=$(date +%s.%N); "$@" >/dev/null; e=$(date +%s.%N); echo "$e - $s" | bc; }
echo "items=$N annotators=$K models=$M judgments=$((N * K))"
echo "stats --bootstrap 0     $(t "$BIN" -w "$T/ws.db" stats bench --bootstrap 0 --against rater0) s"
echo "stats --bootstrap 1000  $(t "$BIN" -w "$T/ws.db" stats bench --bootstrap 1000 --against rater0) s"
echo "rank  --bootstrap 1000  $(t "$BIN" -w "$T/ws.db" rank bench --bootstrap 1000) s"
/usr/bin/time -f "peak RSS stats: %M KB" "$BIN" -w "$T/ws.db" stats bench --bootstrap 1000 >/dev/null
