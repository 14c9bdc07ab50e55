#!/usr/bin/env bash
# The critique pipeline's cost and speed for one feedback with the paper's counts
# (30 categories, 960 in-scope, 960 near-scope, 960 out-of-scope prompts, a baseline
# and a revision for each): calls per feedback from the dry-run plan and from a real
# run, and the wall time of that run against the fake LLM server answering every
# request after 50 ms (tests/e2e/fake_llm.py --delay 50, answers in the template
# shapes from tests/e2e/c3po_responder.py) at concurrency 64.
#   bench/c3po_bench.sh [BUILD_DIR]     (default build)
set -euo pipefail
SRC=$(cd "$(dirname "$0")/.." && pwd)
BIN=${1:-$SRC/build}/prefscope
T=$(mktemp -d)
cleanup() { exec 9>&- 2> /dev/null || true; wait 2> /dev/null || true; rm -rf "$T"; }
trap cleanup EXIT
mkfifo "$T/in"
python3 "$SRC/tests/e2e/fake_llm.py" --ports 1 --delay 50 --responder "$SRC/tests/e2e/c3po_responder.py" \
    < "$T/in" > "$T/ports" 2> "$T/fake.err" &
exec 9> "$T/in"
for _ in $(seq 1 100); do grep -q PORTS "$T/ports" 2> /dev/null && break; sleep 0.05; done
PORT=$(awk '/PORTS/ {print $2}' "$T/ports")
cat > "$T/cfg.lua" <<L
models = { fake = { base_url = "http://127.0.0.1:$PORT/v1", model = "fake", concurrency = 64 } }
L
ps() { "$BIN" -w "$T/ws.db" --config "$T/cfg.lua" "$@"; }
export PREFSCOPE_PROGRESS=0
FB=$(ps critique new "Be more concise when emailing my boss Jared" --domain "emailing my boss Jared" \
    --effect "be more concise" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
echo "== plan (dry run), paper counts"
ps critique gen "$FB" --model fake --dry-run
ps critique gen "$FB" --model fake --dry-run --role in_context --role cot > "$T/plan2.txt"
echo "with the in-context and chain-of-thought baselines:"
head -1 "$T/plan2.txt"
echo "== run: one feedback, paper counts, 50 ms server, concurrency 64"
start=$(date +%s.%N)
ps critique gen "$FB" --model fake --json > "$T/run.json" || { echo "gen failed (exit $?)"; cat "$T/run.json" | head -c 2000; }
end=$(date +%s.%N)
python3 - "$T/run.json" "$start" "$end" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
f = r["feedback"][0]
wall = float(sys.argv[3]) - float(sys.argv[2])
print("calls %d (cached %d, errors %d), categories %d, prompts in/near/out %d/%d/%d, failed %d"
      % (r["calls"], r["cached"], r["errors"], f["categories"], f["in"], f["near"], f["out"], f["failed"]))
print("wall %.1f s (pipeline %.1f s); %.0f calls/s; ideal at 64 x 50 ms: %.1f s"
      % (wall, r["seconds"], r["calls"] / r["seconds"], 7 * 0.05 + 2 * (2880 / 64) * 0.05))
for s in r["stages"]:
    print("  %-22s %5d calls %6.2f s" % (s["stage"], s["calls"], s["seconds"]))
PY
curl -s "http://127.0.0.1:$PORT/_stats" | python3 -c 'import json,sys; d=json.load(sys.stdin); print("server: %d requests, max in flight %d" % (d["requests"], d["max_in_flight"]))' || true
echo "== rerun from the cache (nothing missing: no calls)"
start=$(date +%s.%N)
ps critique gen "$FB" --model fake --json | python3 -c 'import json,sys; r=json.load(sys.stdin); print("calls", r["calls"])'
end=$(date +%s.%N)
python3 -c "print('wall %.2f s' % ($end - $start))"
