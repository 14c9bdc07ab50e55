#!/bin/bash
# Label and advance (L or :advance on|off): after a label, the next item I have not
# labeled opens, in the list's filter and order, without skipping one when the
# labeled item leaves a label=none filter; u goes back to the item it undoes.
# S and R open the stats and the leaderboard of the current dataset from the pair
# view, and q comes back to the same pair.
. "$PS_TESTS/tui/lib.bash"
tui_setup
require sqlite3
pairs_workspace 8

tui_start 120 40 tui -w "$WS" -d pairs
wait_for "[items] 1/8"
keys Enter
wait_for "pair 1/8"

# R and S from the pair view, for this dataset; q returns to the pair.
keys R
wait_for "leaderboard  pairs"
wait_for "model-a"
keys q
wait_for "pair 1/8"
keys S
wait_for "stats  pairs"
keys q
wait_for "pair 1/8"
assert_screen_has "alpha answer 1 "

# Off by default: a label stays on its item.
keys 1
wait_for "my label: A"
assert_screen_has "pair 1/8"
keys L
wait_for "[side diff advance]"
wait_for "label and advance on"
# On: 2 on item 1 relabels it and moves to item 2, the message names item 1.
keys 2
wait_for "pair 2/8"
wait_for "labeled the right response (#2) better on item 1"
wait_for "alpha answer 2 "
expect_verdict 1 B
keys =
wait_for "pair 3/8"
expect_verdict 2 tie
# Back on item 1 (labeled), a label skips the labeled item 2 and goes to 3.
cmdline "1"
wait_for "pair 1/8"
keys 1
wait_for "pair 3/8"
expect_verdict 1 A
# u undoes on item 1 and shows it.
keys u
wait_for "undone on item 1: back to response #2 better (was response #1 better)"
wait_for "pair 1/8"
wait_for "alpha answer 1 "
wait_for "my label: B"
# 0 (clear) does not advance.
keys 0
wait_for "label cleared on item 1"
assert_screen_has "pair 1/8"

# Under label=none the labeled item leaves the list; the next is not skipped.
keys q
wait_for "[items] 1/8"
keys f ; type_text "label=none" ; keys Enter
wait_for "[items] 1/7"
wait_for "question number 1 about topic1"
keys 1
wait_for "labeled response #1 better on item 1"
wait_for "[items] 1/6"
screen | grep -E '^>' | grep -qF "question number 3 about topic3" || fail "cursor not on item 3"
keys Enter
wait_for "pair 1/6"
wait_for "alpha answer 3 "
keys 2
wait_for "alpha answer 4 "
wait_for "pair 1/5"
expect_verdict 3 B
# The last unlabeled item: nothing below, says so.
cmdline "goto 5"
wait_for "alpha answer 8 "
keys 1
wait_for "no unlabeled item below"
expect_verdict 8 A

# :advance off turns it off.
cmdline "advance off"
wait_for "label and advance off"
wait_gone " advance]"
keys Q
wait_for "[exited 0]"
echo PASS
