#!/bin/bash
# The item list marks its sort column in the header (an arrow, ^/v without UTF-8)
# and the items that have notes (✎, * without UTF-8).
. "$PS_TESTS/tui/lib.bash"
tui_setup
pairs_workspace 5
header() { screen | grep -E '^ +(▲|▼|\^|v)?# +mine'; }

tui_start 120 30 tui -w "$WS" -d pairs
wait_for "[items] 1/5"
header | grep -qE '^ +▲# +mine' || fail "seq sort not marked: $(header)"
cmdline "sort -lendiff"
wait_for "[sort: -lendiff]"
header | grep -qE '▼len 1 +▼len 2' || fail "lendiff not marked: $(header)"
header | grep -qE '▲#|▼#' && fail "seq still marked: $(header)"
cmdline "sort promptlen"
wait_for "[sort: promptlen]"
header | grep -qE 'tags · prompt▲$' || fail "promptlen not marked: $(header)"
cmdline "sort seq"
wait_for "sorted by seq"
# A note on item 3 marks its row, and only its row.
cmdline "3"
wait_for "[items] 3/5"
keys e
type_text "look again"
keys Enter
wait_for "note added"
screen | grep -E '^> +3 ' | grep -qF '✎' || fail "no note mark on item 3"
[ "$(screen | grep -cF '✎')" = 1 ] || fail "note mark on other rows"
keys u
wait_for "undone: note removed"
wait_gone "✎"
keys e
type_text "again"
keys Enter
wait_for "note added"
keys Q
wait_for "[exited 0]"
tui_stop
# Without UTF-8: ASCII marks.
TUI_ENV="LANG=C LC_ALL=C" tui_start 120 30 tui -w "$WS" -d pairs
wait_for "[items] 1/5"
header | grep -qE '^ +\^# +mine' || fail "ASCII seq mark: $(header)"
screen | grep -E '^ +3 ' | grep -qE ' 2 \* ' || fail "ASCII note mark"
keys Q
wait_for "[exited 0]"
echo PASS
