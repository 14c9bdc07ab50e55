#!/usr/bin/env bash
# Import time of one HH record with a very long conversation (issue 15 #3): the
# full-text index of the history text must be linear in the number of turns.
#
#   bench/long_history_bench.sh [TURNS...]     default: 5000 10000 20000 40000
#
# Each record is an HH transcript ("\n\nHuman: ... \n\nAssistant: ...") of TURNS
# turns, chosen and rejected differing in the last answer.  Prints turns, bytes and
# the wall time of `prefscope import`, then checks that a word of the first turn is
# found by a search.  Environment: PS_BIN (default build/prefscope), LIMIT (seconds
# per import before giving up, default 600).  Nothing is written to the repository.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
PS_BIN=${PS_BIN:-$HERE/../build/prefscope}
LIMIT=${LIMIT:-600}
[ $# -gt 0 ] || set -- 5000 10000 20000 40000
DIR=$(mktemp -d)
trap 'rm -rf "$DIR"' EXIT
printf '%8s %12s %10s\n' turns bytes seconds
for n in "$@"; do
    python3 - "$n" "$DIR/h.jsonl" <<'EOF'
import json, sys
n = int(sys.argv[1])
turns = []
for i in range(n - 1):
    turns.append(("Human" if i % 2 == 0 else "Assistant") + ": turn %d says zebra%d and more words" % (i, i))
body = "".join("\n\n" + t for t in turns)
with open(sys.argv[2], "w") as f:
    f.write(json.dumps({"chosen": body + "\n\nAssistant: good end", "rejected": body + "\n\nAssistant: bad end"}) + "\n")
EOF
    rm -f "$DIR"/w.db*
    t0=$(date +%s.%N)
    if ! timeout "$LIMIT" "$PS_BIN" -w "$DIR/w.db" import --format hh --name h "$DIR/h.jsonl" 2> /dev/null; then
        printf '%8d %12d %10s\n' "$n" "$(stat -c %s "$DIR/h.jsonl")" ">$LIMIT"
        continue
    fi
    t1=$(date +%s.%N)
    printf '%8d %12d %10.2f\n' "$n" "$(stat -c %s "$DIR/h.jsonl")" "$(echo "$t1 - $t0" | bc)"
    "$PS_BIN" -w "$DIR/w.db" run - > /dev/null << 'LUA' || echo "  search for the first turn failed"
assert(ps.dataset("h"):count{ search = "zebra0" } == 1)
LUA
done
