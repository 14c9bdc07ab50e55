#!/bin/bash
# A label is never lost while another process holds the workspace's write lock.
# A slow import (a large generated JSONL) runs next to the TUI: labels made during it
# are queued, shown as pending and saved when the import commits; a second import
# waits, naming the holder ("import of ... by pid N"), instead of failing after 5 s
# with a bare "database is locked".  Quitting with a label still pending waits for
# the workspace and saves it.
. "$PS_TESTS/tui/lib.bash"
tui_setup
gen_pairs "$T/pairs.jsonl" 20
WS="$T/ws.db"
"$PS_BIN" -w "$WS" import --name pairs "$T/pairs.jsonl" 2> /dev/null || fail "import pairs"
# big enough that the import holds the lock for several seconds on this machine
python3 -c '
import json, sys
with open(sys.argv[1], "w") as f:
    for i in range(120000):
        f.write(json.dumps({"prompt": "p%d " % i + "word " * 20, "chosen": "c %d" % i + " x" * 30,
                            "rejected": "r"}) + "\n")' "$T/big.jsonl"

tui_start 200 30 tui -w "$WS" -d pairs
wait_for "[items] 1/20"

"$PS_BIN" -w "$WS" import --name big "$T/big.jsonl" > "$T/imp1.out" 2> "$T/imp1.err" &
IMP=$!
for _ in $(seq 1 100); do [ -e "$WS-writer" ] && break; sleep 0.1; done
[ -e "$WS-writer" ] || fail "the import did not record itself as the writer"
grep -q "^import of $T/big.jsonl" "$WS-writer" || fail "lock info: $(cat "$WS-writer")"

# a second writer waits and says who holds the workspace
"$PS_BIN" -w "$WS" import --name second "$T/pairs.jsonl" > /dev/null 2> "$T/imp2.err" &
IMP2=$!

# labels during the import: item 1 -> A, item 2 -> B, then item 1 again -> B (the
# newest wins), item 3 -> A
keys 1
wait_for "label pending"
wait_for "[1 label pending]"
keys j 2
wait_for "[2 labels pending]"
keys k 2
keys j j 1
wait_for "[3 labels pending]"
kill -0 $IMP 2> /dev/null || fail "the import ended before the labels were made (make it slower)"
screen | grep -qF "import of $T/big.jsonl by pid $IMP holds the workspace; saved when it frees" ||
    fail "the pending message does not name the import"

wait $IMP || fail "import failed: $(cat "$T/imp1.err")"
wait_for "saved 3 pending labels" 60
assert_screen_lacks "pending]"
wait $IMP2 || fail "second import failed: $(cat "$T/imp2.err")"
grep -q "waiting for the workspace: import of $T/big.jsonl by pid $IMP holds it" "$T/imp2.err" ||
    fail "second import did not say what it waits for: $(cat "$T/imp2.err")"
grep -q "database is locked" "$T/imp2.err" && fail "bare 'database is locked': $(cat "$T/imp2.err")"
[ -e "$WS-writer" ] && fail "lock info left behind"

# label_of N: human:tester's latest verdict on item N, "-" when none
label_of() {
    "$PS_BIN" -w "$WS" show pairs "$1" --json | python3 -c '
import json, sys
js = [j for j in json.load(sys.stdin)["judgments"] if j["annotator"] == "human:tester"]
print(js[-1]["verdict"] if js else "-")'
}
got="$(label_of 1) $(label_of 2) $(label_of 3) "
[ "$got" = "B B A " ] || fail "stored labels: '$got', want 'B B A '"

# quitting with a label pending waits for the workspace, then saves it
"$PS_BIN" -w "$WS" import --name big2 "$T/big.jsonl" > /dev/null 2> "$T/imp3.err" &
IMP3=$!
for _ in $(seq 1 100); do [ -e "$WS-writer" ] && break; sleep 0.1; done
type_text ":4"
keys Enter
wait_for "[items] 4/20"
keys 1
wait_for "[1 label pending]"
keys Q
wait_for "saving 1 pending label: waiting for the workspace"
wait $IMP3 || fail "third import failed"
wait_for "[exited 0]" 60
[ "$(label_of 4)" = A ] || fail "the label made before quitting was lost"

# kill -9 with a label pending: it is kept in the journal and saved by the next session
tui_stop
tui_start 200 30 tui -w "$WS" -d pairs
wait_for "[items] 1/20"
"$PS_BIN" -w "$WS" import --name big3 "$T/big.jsonl" > /dev/null 2> "$T/imp4.err" &
IMP4=$!
for _ in $(seq 1 100); do [ -e "$WS-writer" ] && break; sleep 0.1; done
type_text ":5"
keys Enter
wait_for "[items] 5/20"
keys 2
wait_for "[1 label pending]"
pid=$(pgrep -f -n -- "$PS_BIN tui -w $WS") || fail "no prefscope process"
ls "$WS"-pending.* > /dev/null 2>&1 || fail "no label journal while a label is pending"
kill -9 "$pid"
wait_for "[exited 137]"
wait $IMP4 || fail "fourth import failed"
tui_stop
tui_start 200 30 tui -w "$WS" -d pairs
wait_for "saved 1 pending label" 30
[ "$(label_of 5)" = B ] || fail "the label pending at kill -9 was lost"
ls "$WS"-pending.* > /dev/null 2>&1 && fail "journal left behind after saving"
echo ok
