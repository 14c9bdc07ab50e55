#!/bin/bash
# kill -9 while labelling: every label the TUI said it saved is in the workspace, and
# PRAGMA integrity_check is ok.  Labels are made quickly (one key each, no waiting
# between them), the process is killed right after the last status message.
. "$PS_TESTS/tui/lib.bash"
tui_setup
gen_pairs "$T/pairs.jsonl" 30
WS="$T/ws.db"
"$PS_BIN" -w "$WS" import --name pairs "$T/pairs.jsonl" 2> /dev/null || fail "import"
tui_start 160 40 tui -w "$WS" -d pairs
wait_for "[items] 1/30"
want=""
for i in $(seq 1 12); do
    k=$((i % 3 == 0 ? 2 : 1))
    keys $k j
    want="$want$([ $k = 1 ] && echo A || echo B) "
done
wait_for "[items] 13/30"
pid=$(pgrep -f -n -- "$PS_BIN tui -w $WS") || fail "no prefscope process"
kill -9 "$pid"
wait_for "[exited 137]"
python3 - "$WS" << 'PY' || fail "workspace damaged after kill -9"
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
PY
got=""
for i in $(seq 1 12); do
    got="$got$("$PS_BIN" -w "$WS" show pairs $i --json | python3 -c '
import json, sys
js = [j for j in json.load(sys.stdin)["judgments"] if j["annotator"] == "human:tester"]
print(js[-1]["verdict"] if js else "-", end="")') "
done
[ "$got" = "$want" ] || fail "labels after kill -9: '$got', want '$want'"
echo ok
