#!/bin/bash
# In a locale that is not UTF-8 (LANG=C), ncursesw cannot draw non-ASCII text:
# every such character shows as one `?` (placeholder role) padded to its width,
# so columns stay aligned, our own separators become ASCII, nothing but ASCII
# reaches the terminal, and the status line warns once at start.
. "$PS_TESTS/tui/lib.bash"
tui_setup
WS="$T/ws.db"
printf '%s\n' \
  '{"prompt":"数据 abc","responses":[{"text":"你好 world end","model":"m1"},{"text":"hello wörld ﬁn","model":"m2"}]}' \
  '{"prompt":"plain xyz","responses":[{"text":"one","model":"m1"},{"text":"two","model":"m2"}]}' > "$T/cjk.jsonl"
"$PS_BIN" -w "$WS" import --name 中文名 "$T/cjk.jsonl" >/dev/null 2>&1 || { echo "FAIL: import"; exit 1; }
"$PS_BIN" -w "$WS" import --name latin "$T/cjk.jsonl" >/dev/null 2>&1 || { echo "FAIL: import 2"; exit 1; }

TUI_ENV="LANG=C LC_ALL=C" tui_start 100 20 -w "$WS"
wait_for "[datasets] 1/2"
wait_for "is not UTF-8: non-ASCII text shows as ?"
# A wide character is `?` plus a pad cell: the name takes its 6 columns.
wait_for "? ? ?  "
# Both rows have their counts in the same columns (the item count ends at the same x).
a=$(screen | grep -F -- "? ? ?" | sed 's/ *2 \+4 .*//' | wc -c)
b=$(screen | grep -F -- "latin" | sed 's/ *2 \+4 .*//' | wc -c)
[ "$a" -gt 0 ] && [ "$a" = "$b" ] || fail "dataset rows misaligned ($a vs $b)"
# Our own separator is ASCII; nothing on screen is outside printable ASCII.
assert_screen_has "ws.db  .  2 datasets"
screen | LC_ALL=C grep -q '[^ -~]' && fail "non-ASCII reached the screen"

# The warning is shown once: a key replaces it and it does not come back.
keys j
wait_gone "is not UTF-8"
keys k Enter
wait_for "[items] 1/2"
wait_for "? ?  abc"
keys Enter
wait_for "pair 1/2"
wait_for "? ?  world end"
wait_for "hello w?rld ?n"
screen | LC_ALL=C grep -q '[^ -~]' && fail "non-ASCII reached the screen in the pair view"
assert_screen_lacks "is not UTF-8"
keys Q
wait_for "[exited 0]"

# A UTF-8 locale draws the characters themselves, with no warning.
tui_stop
tui_start 100 20 -w "$WS"
wait_for "[datasets] 1/2"
wait_for "中文名"
assert_screen_lacks "not UTF-8"
echo PASS
