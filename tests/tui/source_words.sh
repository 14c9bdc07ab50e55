#!/bin/bash
# Words users know: where the source calls its responses chosen and rejected (HH,
# TRL, ShareGPT DPO files), the pair view and `prefscope show` say so; A and B are
# only the screen sides (x swaps them; the words follow the responses), and data
# that does not use those words gets none.
. "$PS_TESTS/tui/lib.bash"
tui_setup
require sqlite3
hh="${PS_DATA:-}/hh_rlhf_harmless_test/harmless-base_test.jsonl.gz"
[ -f "$hh" ] || { echo "SKIP: $hh not found"; exit 77; }
pairs_workspace 3
"$PS_BIN" -w "$WS" import --name hh "$hh" >/dev/null 2>&1 || fail "import hh"
# A TRL file piped in: the same words.
printf '{"prompt":"say hi","chosen":"hi there","rejected":"go away"}\n' |
    "$PS_BIN" -w "$WS" import --format trl --name trl - >/dev/null 2>&1 || fail "import trl from a pipe"

out=$("$PS_BIN" -w "$WS" show hh 1)
grep -q '^── response 1 (chosen)' <<<"$out" || fail "show: no 'response 1 (chosen)': $out"
grep -q '^── response 2 (rejected)' <<<"$out" || fail "show: no 'response 2 (rejected)'"
grep -qE 'dataset +#1 vs #2: A +prefers #1 \(chosen\)' <<<"$out" || fail "show: judgment line"
out=$("$PS_BIN" -w "$WS" show trl 1)
grep -q '^── response 2 (rejected)' <<<"$out" || fail "show trl: no rejected: $out"
out=$("$PS_BIN" -w "$WS" show pairs 2)
grep -q '^── response 1 · model-a' <<<"$out" || fail "show pairs: response heading: $out"
grep -qE 'chosen|rejected|response A' <<<"$out" && fail "show pairs: words the source does not use"
grep -qE 'dataset +#1 vs #2: B +prefers #2$' <<<"$out" || fail "show pairs: judgment line: $out"

tui_start 120 40 tui -w "$WS" -d hh
wait_for "[items] 1/"
screen | grep -E '^ +▲?# +mine' | grep -qE 'len 1 +len 2' || fail "list header: len 1 / len 2"
keys Enter
wait_for "pair 1/"
wait_for "A = #1 (chosen)"
assert_screen_has "B = #2 (rejected)"
assert_screen_has "prefers #1 (chosen) [A]"
keys x
wait_for "A = #2 (rejected)"
assert_screen_has "B = #1 (chosen)"
assert_screen_has "prefers #1 (chosen) [B]"
keys q q
wait_for "datasets"
tui_stop
tui_start 120 40 tui -w "$WS" -d pairs
wait_for "[items] 1/3"
keys Enter
wait_for "A = #1 · model-a"
assert_screen_lacks "(chosen)"
assert_screen_lacks "(rejected)"
keys Q
wait_for "[exited 0]"
echo PASS
