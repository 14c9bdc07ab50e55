#!/bin/bash
# Open a data file (imported on the way), walk dataset list -> item list -> pair
# view, label with undo, and check the labels persisted via ls/show --json.
. "$PS_TESTS/tui/lib.bash"
tui_setup
gen_pairs "$T/pairs.jsonl" 50
WS="$T/ws.db"

tui_start 120 40 -w "$WS" "$T/pairs.jsonl"
wait_for "pairs  ·  50 items"
wait_for "question number 1 about topic1"
assert_screen_has "[items] 1/50"

# Motions: j, G, gg, page down.
keys j
wait_for "[items] 2/50"
keys G
wait_for "[items] 50/50"
keys g g
wait_for "[items] 1/50"
keys PageDown
wait_for "[items] 37/50"
keys g g

# Pair view: side by side at 120 columns, with the conversation and the panel.
keys Enter
wait_for "pair 1/50"
assert_screen_has "[side diff]"
assert_screen_has "A = #1 · model-a"
assert_screen_has "B = #2 · model-b"
assert_screen_has "alpha answer 1 shares the same words"
assert_screen_has "beta answer 1 shares the same words"
assert_screen_has "PROMPT"
assert_screen_has "JUDGMENTS (1)"
assert_screen_has "because reason 1"

# J/K move through the list without leaving the pair view.
keys J
wait_for "pair 2/50"
wait_for "alpha answer 2 "
keys K
wait_for "pair 1/50"

# Label A, undo, label B; then the next pair with 2 (B), tie on the third.
keys 1
wait_for "my label: A"
wait_for "labeled the left response (#1) better on item 1, as human:tester"
keys u
wait_for "my label: -"
keys 2
wait_for "my label: B"
keys J
wait_for "pair 2/50"
keys A
wait_for "my label: A"
keys J
wait_for "pair 3/50"
keys =
wait_for "my label: tie"
# Agreement with the dataset's labels is shown live: pair 1 B vs A (no),
# pair 2 A vs B (no), pair 3 tie vs A (no).
wait_for "dataset 0% (0/3)"
keys K
wait_for "pair 2/50"
keys 2
wait_for "dataset 33% (1/3)"

# Swap sides: the label is shown in displayed terms, stored in stored terms.
keys x
wait_for "swapped"
wait_for "my label: A"
keys x
wait_for "my label: B"

# Back to the list: the mine column shows the labels; > jumps to unlabeled.
keys q
wait_for "[items] 2/50"
keys g g '>'
wait_for "[items] 4/50"
keys 0
keys q
wait_for "[datasets]"
keys Q
wait_for "[exited 0]"

# Persistence, checked through the CLI.
"$PS_BIN" -w "$WS" ls --json | grep -q '"human:tester"' || { echo "FAIL: ls --json lacks human:tester"; "$PS_BIN" -w "$WS" ls --json; exit 1; }
show() { "$PS_BIN" -w "$WS" show --json pairs "$1"; }
show 1 | tr -d ' \n\t' | grep -q '"annotator":"human:tester","verdict":"B"' || { echo "FAIL: item 0 label"; show 1; exit 1; }
show 2 | tr -d ' \n\t' | grep -q '"annotator":"human:tester","verdict":"B"' || { echo "FAIL: item 1 label"; show 2; exit 1; }
show 3 | tr -d ' \n\t' | grep -q '"annotator":"human:tester","verdict":"tie"' || { echo "FAIL: item 2 label"; show 3; exit 1; }
show 4 | grep -q 'human:tester' && { echo "FAIL: item 3 has a label"; show 4; exit 1; }
echo PASS
