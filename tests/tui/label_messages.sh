#!/bin/bash
# Label and undo messages name what happened so it cannot be misread: with the
# sides swapped (x), `1` labels the left response and the status line says which
# response that is (#2), as the header's "my label: A" does; undo names the item,
# the state it restores and the one it removes, by response number.
. "$PS_TESTS/tui/lib.bash"
tui_setup
require sqlite3
pairs_workspace 5

tui_start 120 40 tui -w "$WS" -d pairs
wait_for "[items] 1/5"
keys Enter
wait_for "pair 1/5"
keys x
wait_for "[side swapped diff]"
keys 1
wait_for "my label: A"
wait_for "labeled the left response (#2) better on item 1, as human:tester"
expect_verdict 1 B
keys 2
wait_for "my label: B"
wait_for "labeled the right response (#1) better"
expect_verdict 1 A

# Undo: back to the previous label, named by response number.
keys u
wait_for "undone on item 1: back to response #2 better (was response #1 better)"
wait_for "my label: A"
expect_verdict 1 B
keys u
wait_for "undone on item 1: back to no label (was response #2 better)"
wait_for "my label: -"
expect_verdict 1 -
keys u
wait_for "nothing to undo"

# Stacked layout: top/bottom instead of left/right; tie and clear.
keys x v
wait_for "[inline diff]"
keys 2
wait_for "labeled the bottom response (#2) better"
keys =
wait_for "labeled a tie of #1 and #2"
keys 0
wait_for "label cleared on item 1"
keys u
wait_for "undone on item 1: back to a tie of #1 and #2 (was no label)"
expect_verdict 1 tie

# From the list (no sides on screen): by response number; a tag's undo names the item.
keys q
wait_for "[items] 1/5"
keys j 2
wait_for "labeled response #2 better on item 2, as human:tester"
keys t ; type_text "odd" ; keys Enter
wait_for "tagged #odd"
keys u
wait_for "undone: tag #odd removed from item 2"
keys u
wait_for "undone on item 2: back to no label (was response #2 better)"
expect_verdict 2 -
keys Q
wait_for "[exited 0]"
echo PASS
