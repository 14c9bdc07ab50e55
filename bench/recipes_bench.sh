#!/usr/bin/env bash
# recipes.ultrafeedback at issue 13's size: 4 generator models and 1,000 prompts (4,000
# completions + 4,000 aspect ratings) against the fake LLM answering every request after
# 50 ms (tests/e2e/fake_llm.py --delay 50 with tests/e2e/recipes_responder.py), each
# model at concurrency 64.  Prints the wall time against the ideal (per stage: the
# calls of the busiest model / 64 rounds of 50 ms; the four generators run at once)
# and prefscope's CPU time per call (user + system of the prefscope process / calls).
#   bench/recipes_bench.sh [BUILD_DIR] [PROMPTS]
# SERVER=fast answers with bench/fast_llm_server.c instead (C, epoll, a fixed ~600-byte
# completion after exactly 50 ms: the same 8,000 calls, answers the rater cannot parse,
# so the pairs written are 0) to see prefscope's own pace without the Python server's
# CPU.  As root, RT=1 runs server and prefscope under SCHED_FIFO (chrt) so that a shared
# machine's other jobs do not set the figure; RT=0 (the default) measures under the
# load there is.
set -euo pipefail
SRC=$(cd "$(dirname "$0")/.." && pwd)
BIN=${1:-$SRC/build}/prefscope
N=${2:-1000}
T=$(mktemp -d)
SRV=
cleanup() { [ -n "$SRV" ] && kill "$SRV" 2> /dev/null; wait 2> /dev/null || true; rm -rf "$T"; }
trap cleanup EXIT
PRIO=""
if [ "${RT:-0}" = 1 ] && [ "$(id -u)" = 0 ] && command -v chrt > /dev/null; then PRIO="chrt -f 20"; fi
if [ "${SERVER:-python}" = fast ]; then
    cmake --build "$(dirname "$BIN")" --target fast_llm_server -j2 > /dev/null
    mkfifo "$T/in"
    $PRIO "$(dirname "$BIN")/bench/fast_llm_server" 50 < "$T/in" > "$T/ports" 2> "$T/fake.err" &
    SRV=$!
    exec 9> "$T/in"
else
    $PRIO python3 "$SRC/tests/e2e/fake_llm.py" --ports 1 --delay 50 --responder "$SRC/tests/e2e/recipes_responder.py" \
        < /dev/zero > "$T/ports" 2> "$T/fake.err" &
    SRV=$!
fi
for _ in $(seq 1 100); do grep -q "PORT" "$T/ports" 2> /dev/null && break; sleep 0.05; done
PORT=$(awk '/PORT/ {print $2}' "$T/ports")
{
    echo "models = {"
    for m in gen1 gen2 gen3 gen4 rater; do
        echo "  $m = { base_url = 'http://127.0.0.1:$PORT/v1', model = '$m', concurrency = 64 },"
    done
    echo "}"
} > "$T/cfg.lua"
python3 -c "
import json
with open('$T/p.jsonl', 'w') as f:
    for i in range($N):
        f.write(json.dumps({'id': 'b%d' % i, 'prompt': 'bench prompt %d' % i, 'responses': [{'text': 'x'}]}) + '\n')"
"$BIN" -w "$T/ws.db" import --name bench "$T/p.jsonl" > /dev/null
export PREFSCOPE_PROGRESS=0
start=$(date +%s.%N)
$PRIO /usr/bin/time -f "%U %S" -o "$T/cpu" "$BIN" -w "$T/ws.db" --config "$T/cfg.lua" run -m recipes.ultrafeedback \
    --dataset bench --models gen1,gen2,gen3,gen4 --judge rater --json > "$T/run.json" 2> "$T/run.err" \
    || { echo "run failed"; tail -5 "$T/run.err"; exit 1; }
end=$(date +%s.%N)
python3 - "$T/run.json" "$T/cpu" "$start" "$end" "$N" "${SERVER:-python}" "$PRIO" << 'P'
import json, math, sys
r = json.load(open(sys.argv[1]))
user, sys_ = map(float, open(sys.argv[2]).read().split()[-2:])
wall = float(sys.argv[4]) - float(sys.argv[3]); n = int(sys.argv[5])
calls = r["calls"]["total"]
ideal = math.ceil(n / 64) * 0.05 + math.ceil(4 * n / 64) * 0.05
print("server %s%s" % (sys.argv[6], ", SCHED_FIFO" if sys.argv[7] else ""))
print("prompts %d, items %d, pairs %d, calls %d (errors %d)" % (n, r["written"], r["pairs"], calls, r["calls"]["errors"]))
print("wall %.2f s, ideal %.2f s: %.0f%% of ideal" % (wall, ideal, 100 * ideal / wall))
print("prefscope CPU %.2f s user + %.2f s system = %.0f us per call" % (user, sys_, 1e6 * (user + sys_) / calls))
P
curl -s "http://127.0.0.1:$PORT/_stats" | python3 -c 'import json,sys; d=json.load(sys.stdin); print("server: %d requests, max in flight %d" % (d["requests"], d["max_in_flight"]))'
# the fake server's own CPU (it shares the cores): when it nears the wall time, the
# server, not prefscope, sets the pace
awk -v t="$(getconf CLK_TCK)" -v w="$(python3 -c "print($end - $start)")" \
    '{ c = ($14 + $15) / t; printf "fake server CPU %.2f s (%.0f%% of the wall time)\n", c, 100 * c / w }' "/proc/$SRV/stat"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
