#!/bin/bash
# Resize (KEY_RESIZE): side-by-side at 120 columns, stacked below 100, the `v`
# toggle, a too-small terminal, and truncation by display columns with wide
# characters at 80x24.
. "$PS_TESTS/tui/lib.bash"
tui_setup
gen_pairs "$T/pairs.jsonl" 30
# One more item whose prompt is all wide characters (CJK and emoji).
printf '%s\n' '{"key":"wide","prompt":"中文字符测试中文字符测试中文字符测试中文字符测试中文字符测试中文字符测试中文字符测试中文字符测试🙂🙂🙂🙂","responses":[{"text":"宽字符回答一","model":"m1"},{"text":"宽字符回答二","model":"m2"}]}' >> "$T/pairs.jsonl"
WS="$T/ws.db"
"$PS_BIN" -w "$WS" import --name pairs "$T/pairs.jsonl" >/dev/null 2>&1 || { echo "FAIL: import"; exit 1; }

tui_start 120 40 tui -w "$WS" -d pairs
wait_for "[items] 1/31"
keys Enter
wait_for "[side diff]"
assert_screen_has "│ B = #2 · model-b"

resize 80 24
wait_for "[inline diff]"
wait_for "A = #1 · model-a"
# The stacked layout has no column separator on response rows.
wait_gone_re "alpha answer 1.*│"
keys v
wait_for "[side diff]"
keys v
wait_for "[inline diff]"

# Too small, then back.
resize 20 4
wait_for "terminal too small"
resize 120 40
wait_gone "terminal too small"
wait_for "[inline diff]"
keys q
wait_for "[items]"

# Wide characters at 80 columns: the row is cut by display columns with an
# ellipsis and never overflows the line.
resize 80 24
keys G
wait_for "[items] 31/31"
wait_for "中文字符测试"
wait_for "中文字符测试中文字符测试"
i=0
while :; do
    line=$(screen | grep -F "中文字符测试")
    case "$line" in *…) break ;; esac
    [ $i -lt 100 ] || fail "wide row not truncated with an ellipsis: $line"
    sleep 0.1
    i=$((i + 1))
done
w=$(printf '%s' "$line" | wc -L)
[ "$w" -le 80 ] || fail "wide row is $w columns wide"
keys Enter
wait_for "宽字符回答一"
keys Q
wait_for "[exited 0]"
echo PASS
