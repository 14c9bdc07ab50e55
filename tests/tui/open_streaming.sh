#!/bin/bash
# `prefscope FILE` on a big new file streams it in (src/app/stream.c): items show and
# a progress bar runs before the import ends; labels and searches work meanwhile and
# every label is kept; the streamed dataset equals a one-transaction import of the
# same file; Ctrl-C asks whether to keep what arrived (y: kept, marked incomplete,
# resumed by the next open; n: discarded in one transaction, nothing left); quitting
# asks too; kill -9 leaves the partial dataset marked, and the next open starts it
# over cleanly when asked to.
. "$PS_TESTS/tui/lib.bash"
tui_setup
require python3 sqlite3
HH="$PS_TESTS/../../shared/data/hh_rlhf_harmless_test/harmless-base_test.jsonl.gz"
[ -f "$HH" ] || { echo "SKIP: $HH not found"; exit 77; }
N=30000
# HH conversations made unique: record i's last human turn (the prompt shown in the
# list) starts with "[i] tagIx"
python3 - "$HH" "$T/big.jsonl" "$N" <<'PY'
import gzip, json, sys
src = [json.loads(l) for l in gzip.open(sys.argv[1], "rt")]
n = int(sys.argv[3])
with open(sys.argv[2], "w") as f:
    for i in range(n):
        r = src[i % len(src)]
        f.write(json.dumps({k: ("Human: [%d] tag%dx " % (i, i)).join(v.rsplit("Human: ", 1))
                            for k, v in r.items()}) + "\n")
PY

# the reference: the same file imported in one transaction
"$PS_BIN" -w "$T/ref.db" import --name big "$T/big.jsonl" > /dev/null 2>&1 || fail "reference import"
"$PS_BIN" -w "$T/ref.db" export big --format jsonl -o "$T/ref.out" 2> /dev/null || fail "export ref"

# same_as_ref WS: the dataset 'big' of WS, without human:tester's labels, is the reference
same_as_ref() {
    "$PS_BIN" -w "$1" export big --format jsonl -o "$T/got.out" 2> /dev/null || fail "export $1"
    python3 - "$T/ref.out" "$T/got.out" <<'PY' || fail "the streamed dataset differs from a one-transaction import"
import json, sys
def load(p):
    out = []
    for line in open(p):
        r = json.loads(line)
        r["judgments"] = [j for j in r.get("judgments", []) if j.get("annotator") != "human:tester"]
        out.append(r)
    return out
a, b = load(sys.argv[1]), load(sys.argv[2])
if len(a) != len(b):
    print("records: %d vs %d" % (len(a), len(b))); sys.exit(1)
for i, (x, y) in enumerate(zip(a, b)):
    if x != y:
        print("record %d differs" % i); sys.exit(1)
PY
}
# q WS SQL
q() { sqlite3 "$1" "$2"; }
prefscope_pid() { pgrep -P "$(tmux -S "$SOCK" display -p -t t '#{pane_pid}')" -x prefscope; }

# ---- 1: browse, search and label while the file streams in ----
WS="$T/a.db"
tui_start 160 30 -w "$WS" "$T/big.jsonl"
wait_for "importing ["
wait_for "[items] 1/"
assert_screen_has "[0] tag0x"
keys 1
keys j 2
# search what has arrived: item 6 holds tag5x
keys /
type_text "tag5x"
keys Enter
wait_for "[items] 6/"
keys 1
screen | grep -qF "importing [" || fail "the import ended before the labels were made (make the file bigger)"
wait_for "import done: 30,000 records" 300
assert_screen_lacks "importing ["
wait_gone "pending]"
keys Q
wait_for "[exited 0]"
got=$(q "$WS" "SELECT group_concat(x, ' ') FROM (SELECT i.seq || j.verdict AS x FROM judgment j
    JOIN item i ON i.id = j.item_id WHERE j.annotator = 'human:tester' ORDER BY i.seq)")
[ "$got" = "0A 1B 5A" ] || fail "labels made during the import: '$got', want '0A 1B 5A'"
[ "$(q "$WS" "SELECT coalesce(import_state, 'complete') FROM dataset")" = complete ] ||
    fail "the finished import is still marked"
same_as_ref "$WS"
tui_stop

# ---- 2: Ctrl-C, keep: marked incomplete, shown by ls, resumed by the next open ----
WS="$T/b.db"
tui_start 160 30 -w "$WS" "$T/big.jsonl"
wait_for "importing ["
keys C-c
wait_for "stop the import: keep the"
wait_for "y: keep · n: discard · Esc: go on importing"
# the import waits for the answer (once the chunk under way is in)
n1=-1
for _ in $(seq 1 60); do
    n2=$(q "$WS" "SELECT count(*) FROM item")
    [ "$n1" = "$n2" ] && break
    n1=$n2
    sleep 1
done
sleep 2
n3=$(q "$WS" "SELECT count(*) FROM item")
[ "$n2" = "$n3" ] || fail "the import went on while asking ($n2 -> $n3 items)"
keys Escape
wait_for "the import goes on"
wait_for "importing ["
keys C-c
wait_for "stop the import: keep the"
keys y
wait_for "marked incomplete"
assert_screen_lacks "importing ["
keys 1
kept=$(q "$WS" "SELECT count(*) FROM item")
[ "$kept" -gt 0 ] && [ "$kept" -lt $N ] || fail "kept $kept items"
[ "$(q "$WS" "SELECT import_state FROM dataset")" = incomplete ] || fail "not marked incomplete"
"$PS_BIN" -w "$WS" ls > "$T/ls.out" 2>&1
grep -q "INCOMPLETE: the import was stopped after" "$T/ls.out" || fail "ls: $(cat "$T/ls.out")"
"$PS_BIN" -w "$WS" ls --json | python3 -c '
import json, sys
d = json.load(sys.stdin)[0]
assert d["import"] == "incomplete" and d["import_records"] > 0, d' || fail "ls --json"
keys Q
wait_for "[exited 0]"
tui_stop
[ "$(q "$WS" "SELECT count(*) FROM judgment WHERE annotator = 'human:tester'")" = 1 ] ||
    fail "the label made after stopping is lost"
# the next open offers to resume; resuming completes the dataset exactly
tui_start 160 30 -w "$WS" "$T/big.jsonl"
wait_for "its import was stopped and what had arrived was kept"
wait_for "[r/s/o]"
keys r Enter
wait_for "import done: 30,000 records" 300
keys Q
wait_for "[exited 0]"
tui_stop
same_as_ref "$WS"
[ "$(q "$WS" "SELECT count(*) FROM judgment WHERE annotator = 'human:tester'")" = 1 ] ||
    fail "resuming lost the label"

# ---- 3: Ctrl-C, discard: nothing left ----
WS="$T/c.db"
tui_start 160 30 -w "$WS" "$T/big.jsonl"
wait_for "importing ["
keys C-c
wait_for "stop the import: keep the"
keys n
wait_for "[exited 0]"
wait_for "discarded the"
[ "$(q "$WS" "SELECT count(*) FROM dataset") $(q "$WS" "SELECT count(*) FROM item")" = "0 0" ] ||
    fail "discarding left data behind"
tui_stop

# ---- 4: quitting asks too (Esc stays); kill -9 leaves it marked; start over ----
WS="$T/d.db"
tui_start 160 30 -w "$WS" "$T/big.jsonl"
wait_for "importing ["
keys Q
wait_for "quit before the import ends: keep the"
keys Escape
wait_for "the import goes on"
pid=$(prefscope_pid)
[ -n "$pid" ] || fail "no prefscope process"
kill -9 "$pid"
wait_for "[exited 137]"
tui_stop
[ "$(q "$WS" "SELECT import_state FROM dataset")" = importing ] || fail "not marked after kill -9"
"$PS_BIN" -w "$WS" ls > "$T/ls.out" 2>&1
grep -q "INCOMPLETE: the import was killed after" "$T/ls.out" || fail "ls after kill: $(cat "$T/ls.out")"
tui_start 160 30 -w "$WS" "$T/big.jsonl"
wait_for "its import was interrupted"
keys s Enter
wait_for "import done: 30,000 records" 300
keys Q
wait_for "[exited 0]"
tui_stop
same_as_ref "$WS"
[ "$(q "$WS" "SELECT count(*) FROM dataset WHERE import_state IS NULL")" = 1 ] || fail "still marked"
echo PASS
