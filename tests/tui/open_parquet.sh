#!/bin/bash
# `prefscope FILE.parquet` imports the Parquet file on the way and opens it, as for
# JSON Lines: the file is our own export (conversational: the pairs have history).
. "$PS_TESTS/tui/lib.bash"
tui_setup
gen_pairs "$T/pairs.jsonl" 30
"$PS_BIN" import -w "$T/src.db" --name src "$T/pairs.jsonl" 2>/dev/null
"$PS_BIN" export -w "$T/src.db" src --format parquet -o "$T/train-00000-of-00001.parquet" 2>/dev/null

tui_start 120 40 -w "$T/ws.db" "$T/train-00000-of-00001.parquet"
wait_for "train  ·  30 items"
wait_for "question number 1 about topic1"
assert_screen_has "[items] 1/30"
keys Enter
wait_for "pair 1/30"
assert_screen_has "earlier turn 1"
tui_stop
n=$("$PS_BIN" ls -w "$T/ws.db" --json | python3 -c 'import json,sys; print([d["items"] for d in json.load(sys.stdin) if d["name"] == "train"])')
[ "$n" = "[30]" ] || fail "the Parquet file was imported as dataset 'train' with 30 items (got $n)"
echo "open_parquet: ok"
