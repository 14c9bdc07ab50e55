#!/bin/bash
# One length unit everywhere, characters (code points): the item list's len columns
# and the pair view's response titles agree on text whose bytes are not its
# characters (CJK: 3 bytes each, emoji: 4).
. "$PS_TESTS/tui/lib.bash"
tui_setup
f="$T/cjk.jsonl"
# response A: 6 CJK characters (18 bytes); B: 4 emoji + 2 ASCII (18 bytes)
printf '%s\n' '{"prompt":"lengths","chosen":"日本語の文章","rejected":"😀😀😀😀ok"}' > "$f"
"$PS_BIN" import -w "$T/ws.db" --name cjk "$f" 2>/dev/null || fail "import"
tui_start 120 20 tui -w "$T/ws.db" -d cjk
wait_for "[items] 1/1"
# the list's len A / len B columns
screen | grep -F "lengths" | grep -qE "(^|[^0-9])6 +6([^0-9]|$)" || fail "item list lengths are not 6 and 6: $(screen | grep -F lengths)"
keys Enter
wait_for "pair 1/1"
assert_screen_has "· 6 chars"
assert_screen_lacks "18 chars"
echo PASS
