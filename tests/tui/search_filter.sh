#!/bin/bash
# / search with n/N, filters (label, disagree, tag, model, length), sort, tags,
# notes and the : command line with completion.
. "$PS_TESTS/tui/lib.bash"
tui_setup
gen_pairs "$T/pairs.jsonl" 40
WS="$T/ws.db"
"$PS_BIN" -w "$WS" import --name pairs "$T/pairs.jsonl" >/dev/null 2>&1 || { echo "FAIL: import"; exit 1; }

tui_start 120 40 tui -w "$WS" -d pairs
wait_for "[items] 1/40"

# Search: "quokka" is in responses of items 7 and 21; n wraps around.
keys /
wait_for "/"
type_text quokka
keys Enter
wait_for "[items] 7/40"
wait_for "/quokka: match 1 of 2, item 7"
keys n
wait_for "[items] 21/40"
wait_for "/quokka: match 2 of 2, item 21"
keys n
wait_for "[items] 7/40"
wait_for "match 1 of 2, item 7 (wrapped)"
keys N
wait_for "[items] 21/40"
# A prompt word, and a search with no match.
keys / ; type_text zanzibar ; keys Enter
wait_for "[items] 7/40"
wait_for "/zanzibar: match 1 of 1, item 7"
# The match stands out in the list row (an attribute starts right at the word),
# and the other rows' prompts are plain.
wait_for_e $'\e\\[[0-9;]*mzanzibar'
screen_e | grep -F 'topic8' | grep -qE $'\e\\[[0-9;]*mtopic8' && fail "item 8's prompt highlighted"
# "answer" is in every item: 40 matches, counted.
keys / ; type_text answer ; keys Enter
wait_for "/answer: match 8 of 40, item 8"
keys / ; type_text nosuchwordanywhere ; keys Enter
wait_for "nosuchwordanywhere: no match"

# Label two items from the list, then filter by my labels.
keys g g 1 j 2
wait_for "labeled response #2 better on item 2, as human:tester"
keys f ; type_text "label=none" ; keys Enter
wait_for "[filter: label=none]"
wait_for "[items] 1/38"
# f again shows the filters in force, to edit or drop one.
keys f ; type_text "len>5"
wait_for "filter: off label=none len>5"
keys C-w C-w
wait_gone "len>5"
screen | grep -qE '^filter: off *$' || fail "filter prompt after two C-w"
type_text "label=labeled" ; keys Enter
wait_for "[filter: label=labeled]"
wait_for "[items] 1/2"
keys f
wait_for "filter: off label=labeled"
keys C-w Enter
wait_for "[items] 1/40"
wait_gone "[filter:"
keys f ; type_text "label=A" ; keys Enter
wait_for "[items] 1/1"

# Disagree: I said A on item 1 (dataset A) and B on item 2 (dataset B): none.
# Relabel item 2 as A to create a disagreement.
keys f ; type_text "off" ; keys Enter
keys j 1
wait_for "labeled response #1 better"
keys f ; type_text "disagree" ; keys Enter
wait_for "[items] 1/1"
assert_screen_has "question number 2 about topic2"
keys f ; type_text off ; keys Enter

# Tags: add one with t, filter by it, untag with undo.
keys g g t
wait_for "tag:"
type_text urgent ; keys Enter
wait_for "tagged #urgent"
wait_for "#urgent"
keys f ; type_text "tag=urgent" ; keys Enter
wait_for "[items] 1/1"
keys f ; type_text off ; keys Enter
keys u
wait_for "undone: tag #urgent removed"

# Model and length filters; sort by length difference.
keys f ; type_text "model=model-b" ; keys Enter
wait_for "[items] 1/40"
keys f ; type_text "model=nosuchmodel" ; keys Enter
wait_for "No item matches the filter"
keys f ; type_text "off len>1000" ; keys Enter
wait_for "No item matches the filter"
keys f ; type_text "off" ; keys Enter
keys s ; type_text "-lendiff" ; keys Enter
wait_for "[sort: -lendiff]"

# The : command line completes command names and arguments.
keys :
type_text "them"
keys Tab
wait_for ":theme"
type_text "hi"
keys Tab
wait_for ":theme high-contrast"
keys Escape
wait_gone ":theme high-contrast"
keys : ; type_text "nosuchcommand" ; keys Enter
wait_for "unknown command 'nosuchcommand'"
keys : ; type_text "goto 33" ; keys Enter
wait_for "[items] 33/40"

# A note, shown in the pair view.
keys e ; type_text "check the second half" ; keys Enter
wait_for "note added"
keys Enter
wait_for "NOTES"
wait_for "check the second half"
keys q
wait_for "[items] 33/40"

# Triage under label=none: labeling in the pair view removes the item from the
# list, and J goes to the next unlabeled item without skipping one.
keys s ; type_text "seq" ; keys Enter
wait_for "sorted by seq"
keys f ; type_text "label=none" ; keys Enter
wait_for "[items] 1/38"
keys Enter
wait_for "question number 3 about topic3"
keys 1
wait_for "my label: A"
keys J
wait_for "question number 4 about topic4"
wait_for "pair 1/37"
keys 2 J
wait_for "question number 5 about topic5"
keys Q
wait_for "[exited 0]"
"$PS_BIN" -w "$WS" show --json pairs 1 | grep -q '"human:tester"' || { echo "FAIL: label of item 1 missing"; exit 1; }
echo PASS
