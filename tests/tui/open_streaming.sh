#!/bin/bash
# `prefscope FILE` on a big new file streams it in (src/app/stream.c): items show and
# a progress bar runs before the import ends; labels and searches work meanwhile and
# every label is kept; the streamed dataset equals a one-transaction import of the
# same file.  Ctrl-C asks whether to keep what arrived; n discards it in one
# transaction, nothing left.  A pipe streams in too.  (Keeping, resuming, quitting,
# kill -9: open_streaming_resume.sh.)
. "$PS_TESTS/tui/lib.bash"
tui_setup
. "$PS_TESTS/tui/stream_lib.bash"

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
wait_for "import done: $NF records" 300
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

# ---- 2: Ctrl-C, discard: nothing left ----
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


# ---- 3: a pipe streams in too (spooled first) ----
head -n 2000 "$T/big.jsonl" > "$T/small.jsonl"
mkfifo "$T/piped.jsonl"
(cat "$T/small.jsonl" > "$T/piped.jsonl" &)
WS="$T/e.db"
tui_start 160 30 -w "$WS" "$T/piped.jsonl"
wait_for "import done: 2,000 records" 120
assert_screen_has "[0] tag0x"
keys Q
wait_for "[exited 0]"
tui_stop
[ "$(q "$WS" "SELECT name || ' ' || n_items || ' ' || coalesce(import_state, '-') FROM dataset")" = "piped 2000 -" ] ||
    fail "piped: $(q "$WS" "SELECT name, n_items, import_state FROM dataset")"
echo PASS
