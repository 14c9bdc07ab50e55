#!/bin/bash
# `prefscope FILE` streaming in (src/app/stream.c), stopped early: Ctrl-C, y keeps what
# arrived, marked incomplete (ls says so), and the next open resumes it to exactly the
# dataset a one-transaction import makes, labels kept; quitting asks too (Esc stays);
# kill -9 leaves the partial dataset marked, and the next open starts it over cleanly
# when asked to.
. "$PS_TESTS/tui/lib.bash"
tui_setup
. "$PS_TESTS/tui/stream_lib.bash"

# ---- 1: Ctrl-C, keep: marked incomplete, shown by ls, resumed by the next open ----
WS="$T/b.db"
tui_start 160 30 -w "$WS" "$T/big.jsonl"
wait_for "importing ["
keys C-c
wait_for "stop the import: keep the"
wait_for "y: keep · n: discard · Esc: go on importing"
# the import waits for the answer: once the chunk under way is committed it opens no
# transaction (the writer file, written at each BEGIN, stays away) and adds nothing
for _ in $(seq 1 600); do [ -e "$WS-writer" ] || break; sleep 0.1; done
[ -e "$WS-writer" ] && fail "the chunk under way never ended"
n1=$(q "$WS" "SELECT count(*) FROM item")
sleep 2
[ -e "$WS-writer" ] && fail "the import began another chunk while asking"
n2=$(q "$WS" "SELECT count(*) FROM item")
[ "$n1" = "$n2" ] || fail "the import went on while asking ($n1 -> $n2 items)"
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
wait_for "import done: $NF records" 300
keys Q
wait_for "[exited 0]"
tui_stop
same_as_ref "$WS"
[ "$(q "$WS" "SELECT count(*) FROM judgment WHERE annotator = 'human:tester'")" = 1 ] ||
    fail "resuming lost the label"

# ---- 2: quitting asks too (Esc stays); kill -9 leaves it marked; start over ----
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
wait_for "import done: $NF records" 300
keys Q
wait_for "[exited 0]"
tui_stop
[ "$(q "$WS" "SELECT count(*) FROM item")" = $N ] || fail "started over: not $N items"
[ "$(q "$WS" "SELECT count(*) FROM dataset WHERE import_state IS NULL")" = 1 ] || fail "still marked"
echo PASS
