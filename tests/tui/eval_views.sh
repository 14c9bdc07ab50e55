#!/bin/bash
# The stats and leaderboard views in a real terminal (tmux): open a dataset's stats
# with S, cycle the reference with r, open the leaderboard with R, and read the screen.
set -eu
command -v tmux >/dev/null || { echo "SKIP: tmux not installed"; exit 77; }
T=$(mktemp -d)
S="psev$$"
trap 'tmux kill-session -t "$S" 2>/dev/null || true; rm -rf "$T"' EXIT
# Three items, models m1 (r0) vs m2 (r1); gold label and a judge that sees both
# orders.  Judge: item 1 A / swapped B (consistent), item 2 B / swapped B
# (inconsistent), item 3 tie / swapped A.
cat >"$T/d.jsonl" <<'J'
{"prompt":"p1","responses":[{"text":"short","model":"m1"},{"text":"a much longer answer","model":"m2"}],"judgments":[{"a":0,"b":1,"annotator":"dataset","verdict":"A","p_a":1},{"a":0,"b":1,"annotator":"llm:j","verdict":"A","p_a":1},{"a":1,"b":0,"annotator":"llm:j","verdict":"B","p_a":0}]}
{"prompt":"p2","responses":[{"text":"xx","model":"m1"},{"text":"yyyy","model":"m2"}],"judgments":[{"a":0,"b":1,"annotator":"dataset","verdict":"B","p_a":0},{"a":0,"b":1,"annotator":"llm:j","verdict":"B","p_a":0},{"a":1,"b":0,"annotator":"llm:j","verdict":"B","p_a":0}]}
{"prompt":"p3","responses":[{"text":"one","model":"m1"},{"text":"three","model":"m2"}],"judgments":[{"a":0,"b":1,"annotator":"dataset","verdict":"B","p_a":0},{"a":0,"b":1,"annotator":"llm:j","verdict":"tie","p_a":0.5},{"a":1,"b":0,"annotator":"llm:j","verdict":"A","p_a":1}]}
J
# four copies of the three items (12 units), above the minimum n of 10, so every
# figure shows; the first three alone are below it and say "n too small"
for _ in 1 2 3 4; do cat "$T/d.jsonl"; done >"$T/d12.jsonl"
W="$T/ws.db"
"$PS_BIN" -w "$W" import --name tiny "$T/d12.jsonl" >/dev/null
"$PS_BIN" -w "$W" import --name three "$T/d.jsonl" >/dev/null
# ratings only (no judgments): the leaderboard says how to rank by them
printf '%s\n' '{"prompt":"q","responses":[{"text":"a","model":"m1"},{"text":"b","model":"m2"}],"ratings":[{"response":0,"aspect":"score","value":4},{"response":1,"aspect":"score","value":2}]}' >"$T/r.jsonl"
"$PS_BIN" -w "$W" import --name zratings "$T/r.jsonl" >/dev/null
tmux new-session -d -s "$S" -x 130 -y 40 "env TERM=xterm-256color LC_ALL=C.UTF-8 NO_COLOR=1 '$PS_BIN' -w '$W'"
wait_for() { # text, tries
    for _ in $(seq 1 50); do
        tmux capture-pane -t "$S" -p >"$T/screen" 2>/dev/null || true
        grep -qF -- "$1" "$T/screen" && return 0
        sleep 0.1
    done
    echo "screen lacks: $1"; cat "$T/screen"; exit 1
}
wait_for "three"
# the dataset list is sorted by name: "three" first, then "tiny"
tmux send-keys -t "$S" S
wait_for "Win rate of the second-presented response"
wait_for "n too small"
wait_for "Fleiss' kappa: n too small (3 units judged by all)"
tmux send-keys -t "$S" q
wait_for "tiny"
tmux send-keys -t "$S" j S
wait_for "Win rate of the second-presented response"
# dataset: B wins 2 of 3 -> 66.7%; llm:j second-presented scores
# (0 + 1 + 1 + 1 + 0.5 + 0)/6 = 58.3%
wait_for "66.7%"
wait_for "58.3%"
# default reference = "dataset" (A, B, B): j's canonical A,A / B,A / tie,B -> 4 of 6 right
wait_for "Accuracy against dataset"
wait_for "66.7% ["
# kappa matrix and position consistency (1 of 3 units)
wait_for "Cohen's kappa"
wait_for "both orders agree 33.3% of 12"
# r cycles the reference: dataset -> llm:j -> none
tmux send-keys -t "$S" r
wait_for "Accuracy against llm:j"
tmux send-keys -t "$S" r
wait_for "No reference annotator"
tmux send-keys -t "$S" R
wait_for "leaderboard"
wait_for "Bradley-Terry"
# pooled over both annotators m1 and m2 each score 18 of 36: equal ratings
grep -E "^ +[12]  m1 +36 +50\.0 .* 1000\.0 " "$T/screen" >/dev/null || { echo "m1 row"; cat "$T/screen"; exit 1; }
grep -E "^ +[12]  m2 +36 +50\.0 .* 1000\.0 " "$T/screen" >/dev/null || { echo "m2 row"; cat "$T/screen"; exit 1; }
tmux send-keys -t "$S" q
wait_for "stats  tiny"
tmux send-keys -t "$S" q
wait_for "zratings"
tmux send-keys -t "$S" j j j
sleep 0.3
tmux send-keys -t "$S" R
wait_for "leaderboard  zratings"
wait_for "prefscope rank DATASET --from-ratings ASPECT"
tmux send-keys -t "$S" Q
echo ok
