#!/bin/bash
# ps.ui.progress on a terminal (script(1) gives it one): the bar of ps.progress, no
# "nan" whatever the numbers, 0 total clears the line, the percentage stays within
# 0..100 and no rate goes negative, bad numbers are errors.
set -eu
command -v script >/dev/null || { echo "SKIP: no script(1)"; exit 77; }
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
cat >"$T/p.lua" <<'LUA'
ps.ui.progress(0, 0, "zero")
ps.ui.progress(1, 4, "quarter")
ps.ui.progress(3, 2, "over")
ps.ui.progress(-1, 2, "under")
ps.ui.progress(0, -3, "negative")
print("after", pcall(ps.ui.progress, 0 / 0, 0, "nan"))
LUA
script -qec "$PS_BIN -w $T/w.db run $T/p.lua" /dev/null >"$T/out" 2>&1 || fail "run: $(cat "$T/out")"
grep -qi "nan%\|inf" "$T/out" && fail "nan/inf drawn: $(cat -v "$T/out")"
grep -q "quarter \[#*-*\] 1/4  25% " "$T/out" || fail "quarter: $(cat -v "$T/out")"
grep -q "over \[#*\] 3/2 100% " "$T/out" || fail "over 100: $(cat -v "$T/out")"
grep -q "under \[-*\] -1/2   0% 0.0/s" "$T/out" || fail "under 0: $(cat -v "$T/out")"
grep -q -- "-[0-9.]*/s" "$T/out" && fail "negative rate: $(cat -v "$T/out")"
grep -q "after.false.*done must be a finite number" "$T/out" || fail "0/0 accepted: $(cat -v "$T/out")"
grep -q "zero\|negative" "$T/out" && fail "total <= 0 drew a line: $(cat -v "$T/out")"
echo ok
