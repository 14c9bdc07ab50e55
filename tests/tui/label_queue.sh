#!/bin/bash
# A labeling queue: `:queue N [stratified by FIELD] [seed S]` samples N items of
# the list (the same ones for the same seed), shows only them with progress
# (queue 2/12 in both views), labels and advances through them, and resumes after
# a restart with `:queue`; `:queue drop` removes it and keeps the labels.
. "$PS_TESTS/tui/lib.bash"
tui_setup
require sqlite3
# 60 items: items 1-45 by models a/b, 46-60 by models c/d (two strata, 3:1).
gen_pairs "$T/pairs.jsonl" 60
awk 'NR > 45 { gsub(/model-a/, "model-c"); gsub(/model-b/, "model-d") } { print }' "$T/pairs.jsonl" > "$T/mixed.jsonl"
WS="$T/ws.db"
"$PS_BIN" -w "$WS" import --name pairs "$T/mixed.jsonl" >/dev/null 2>&1 || { echo "FAIL: import"; exit 1; }
queued() { # the keys of the items in my queue, in order
    sqlite3 "$WS" "SELECT group_concat(key, ' ') FROM (SELECT i.key AS key FROM tag t
        JOIN item i ON i.id = t.item_id WHERE t.tag = 'queue:tester' ORDER BY i.seq)"
}
queued_cd() {
    sqlite3 "$WS" "SELECT count(*) FROM tag t JOIN item_stat s ON s.item_id = t.item_id
        WHERE t.tag = 'queue:tester' AND s.models LIKE '%model-c%'"
}

tui_start 120 40 tui -w "$WS" -d pairs
wait_for "[items] 1/60"
cmdline "queue 12 stratified by model seed 7"
wait_for "sampled 12 items stratified by model (seed 7)"
wait_for "[queue 0/12]"
wait_for "[items] 1/12"
first=$(queued)
[ "$(echo $first | wc -w)" = 12 ] || fail "queue has $(echo $first | wc -w) items: $first"
[ "$(queued_cd)" = 3 ] || fail "stratified by model: $(queued_cd) of 12 from the 1:3 stratum, expected 3"
# Label and advance through the queue from the pair view.
keys Enter
wait_for "queue 0/12"
keys 1
wait_for "queue 1/12"
keys 2
wait_for "queue 2/12"
wait_for "pair 3/12"
keys Q
wait_for "[exited 0]"

# Restart: :queue resumes at the first item I have not labeled.
tui_stop
tui_start 120 40 tui -w "$WS" -d pairs
wait_for "[items] 1/60"
cmdline "queue"
wait_for "queue:tester 2/12 labeled"
wait_for "[queue 2/12]"
wait_for "[items] 3/12"
[ "$(queued)" = "$first" ] || fail "resume changed the queue"
# Drop: the list is whole again, the labels stay.
cmdline "queue drop"
wait_for "queue:tester dropped (12 items; labels stay)"
wait_for "[items] 1/60"
[ -z "$(queued)" ] || fail "queue tags left: $(queued)"
[ "$(sqlite3 "$WS" "SELECT count(*) FROM judgment WHERE annotator = 'human:tester'")" = 2 ] || fail "labels lost"
# The same seed samples the same items; another seed other ones.
cmdline "queue 12 stratified by model seed 7"
wait_for "[queue 2/12]"
[ "$(queued)" = "$first" ] || fail "seed 7 sampled differently: $(queued) vs $first"
cmdline "queue drop"
wait_for "dropped"
cmdline "queue 12 seed 8"
wait_for "sampled 12 items (seed 8)"
[ "$(queued)" != "$first" ] || fail "seed 8 sampled the same items as seed 7"
# Tab completes the queue's words.
keys :
type_text "queue 5 strat"
keys Tab
wait_for ":queue 5 stratified"
keys Escape
# Errors are one clear line.
cmdline "queue drop"
wait_for "dropped"
cmdline "queue"
wait_for "no queue:tester yet: queue N"
cmdline "queue 5 stratified by colour"
wait_for "queue: stratified by model, disagree or responses, not 'colour'"
cmdline "queue 5 seed x"
wait_for "queue: seed is a number, not 'x'"
keys Q
wait_for "[exited 0]"
echo PASS
