#!/bin/bash
# LLM client benchmark (issue 4): N chat requests at concurrency C against a loopback
# server answering in L ms (bench/fast_llm_server.c, a C epoll server, so the server
# is not what is measured), for prefscope's engine (with
# and without the sqlite call log, and streamed) and two peers on the same requests:
# Python aiohttp (Debian python3-aiohttp) and the `openai` npm package (openai@6 on
# Node 20).  Prints one JSON line per client plus wall time against the ideal N/C*L.
#   bench/llm_bench.sh [N=10000] [C=64] [L=50]
# Peers are skipped when missing; install them with
#   apt-get install python3-aiohttp;  (cd $NPMDIR && npm install openai@6)
set -eu
N=${1:-10000}; C=${2:-64}; L=${3:-50}
SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$SRC/build}
NPMDIR=${NPMDIR:-/tmp/prefscope-bench-npm}
cmake --build "$BUILD" --target llm_bench fast_llm_server -j2 >/dev/null
# On a shared machine other jobs' CPU load inflates every client's latency; as root,
# RT=1 (the default) runs server and clients under SCHED_FIFO so the figures show the
# clients, not the neighbours.  RT=0 to measure under whatever load there is.
PRIO=""
if [ "${RT:-1}" = 1 ] && [ "$(id -u)" = 0 ] && command -v chrt >/dev/null; then PRIO="chrt -f 20"; fi
T=$(mktemp -d)
mkfifo "$T/in"
$PRIO "$BUILD/bench/fast_llm_server" "$L" <"$T/in" >"$T/port" &
SERVER=$!
exec 9>"$T/in"
trap 'exec 9>&-; kill $SERVER 2>/dev/null; rm -rf "$T"' EXIT
for _ in $(seq 50); do [ -s "$T/port" ] && break; sleep 0.1; done
URL="http://127.0.0.1:$(awk '{print $2}' "$T/port")/v1"
stats() { curl -s "${URL%/v1}/_stats"; }
ideal=$(python3 -c "print(round($N/$C*$L/1000, 2))")
echo "# N=$N C=$C L=${L}ms ideal wall ${ideal}s ($(python3 -c "print(round($C/$L*1000) if $L else 'unbounded')") req/s); $(nproc) cores shared with the server; load $(cut -d' ' -f1-3 /proc/loadavg); ${PRIO:-normal priority}"
report() { # json line from a client -> add % of ideal and server-side facts
    python3 -c "
import json,sys
r=json.loads(sys.argv[1]); s=json.loads(sys.argv[2])
r['pct_of_ideal']=round(100*$ideal/r['wall_s'],1) if $ideal else None
r['server_max_in_flight']=s['max_in_flight']; r['tcp_connections']=s['connections']
print(json.dumps(r))" "$1" "$2"
}
run() {
    local before after line
    before=$(stats)
    line=$($PRIO "$@") || true
    after=$(stats)
    # per-run connection count and max in flight: the server's counters are cumulative
    python3 -c "
import json,sys
a=json.loads(sys.argv[1]); b=json.loads(sys.argv[2])
print(json.dumps({'max_in_flight': b['max_in_flight'], 'connections': b['connections']-a['connections']-1}))  # minus the /_stats probe's own" "$before" "$after" >"$T/s"
    [ -n "$line" ] && report "$line" "$(cat "$T/s")"
}
PREFSCOPE_PROGRESS=0 run "$BUILD/bench/llm_bench" "$URL" "$N" "$C" -
rm -f "$T/ws.db"*
PREFSCOPE_PROGRESS=0 run "$BUILD/bench/llm_bench" "$URL" "$N" "$C" "$T/ws.db"
if /usr/bin/python3 -c "import aiohttp" 2>/dev/null; then
    run /usr/bin/python3 "$SRC/bench/peers/aiohttp_bench.py" "$URL" "$N" "$C"
else
    echo "# aiohttp missing (apt-get install python3-aiohttp): skipped"
fi
if [ -f "$NPMDIR/node_modules/openai/package.json" ]; then
    cp "$SRC/bench/peers/openai_bench.mjs" "$NPMDIR/"
    (cd "$NPMDIR" && run node openai_bench.mjs "$URL" "$N" "$C")
else
    echo "# openai npm package missing ((cd $NPMDIR && npm install openai@6)): skipped"
fi
