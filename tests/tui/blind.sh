#!/bin/bash
# Blind labeling (--blind, M, :blind on|off|seed N): the sides of each item come in
# an order drawn from a seed; models, response numbers, other annotators' verdicts,
# rationales and the dataset's label stay hidden until I label the pair; the item
# list drops its data and ! columns; each label records the order shown in its
# judgment's meta; the stats view reports my position bias from those records; the
# mode outlives the pair view and a restart; label and advance comes with it.
. "$PS_TESTS/tui/lib.bash"
tui_setup
require sqlite3 python3
N=12
pairs_workspace $N

tui_start 120 40 tui -w "$WS" -d pairs --blind
wait_for "[items] 1/$N"
wait_for "[advance]  [blind]"
# The list hides the dataset's verdict and the disagreement column.
screen | grep -E '^ +▲?# +mine' | grep -qE 'data|!|len 1' && fail "blind list shows data/!/len columns"
screen | grep -E '^> +1 ' | grep -qE ' (A|B) ' && fail "blind list shows a verdict"
# A fixed seed makes the order reproducible (and this test deterministic).
cmdline "blind seed 12345"
wait_for "blind labeling on (seed 12345)"
cmdline "blind seed -3"
wait_for "blind: on, off or seed N"
cmdline "blind sideways"
wait_for "blind: on, off or seed N"
keys Enter
wait_for "pair 1/$N"
wait_for " advance blind]"
for bad in model-a model-b "because reason" dataset "JUDGMENTS" "= #1" "= #2" "RESPONSES"; do
    assert_screen_lacks "$bad"
done
assert_screen_has "are hidden until you label this pair"
keys x
wait_for "blind labeling draws the sides per item"

# Label every item with random keys; note which response the screen put left.
RANDOM=7
: > "$T/shown"
for k in $(seq 1 $N); do
    wait_for "pair $k/$N"
    wait_for "answer $k "
    left=$(blind_left $k)
    assert_screen_lacks "model-"
    blind_pick
    echo "$k $left $chosen" >> "$T/shown"
    keys "$key"
    if [ "$k" -lt $N ]; then wait_for "pair $((k + 1))/$N"; fi
done
wait_for "no unlabeled item below"
sort -u -k2,2 "$T/shown" | wc -l | grep -qx 2 || fail "seed 12345 showed every item in one order"

# The stored judgments: verdicts in stored order, the shown order in meta.
blind_check "$T/shown" 12345

# Labeled pairs show everything again.
cmdline "1"
wait_for "pair 1/$N"
wait_for "JUDGMENTS (2)"
wait_for "because reason 1"
assert_screen_has "model-a"
assert_screen_lacks "are hidden until you label"

# The stats view: my position bias, checked against the keys pressed.
expect=$(python3 - "$T/shown" <<'PY'
import sys, math
rows = [l.split() for l in open(sys.argv[1])]
L = sum(r[2] == "left" for r in rows); R = sum(r[2] == "right" for r in rows)
T = sum(r[2] == "tie" for r in rows); n = L + R
lo = min(L, R)
p = min(1.0, 2 * sum(math.comb(n, i) for i in range(lo + 1)) / 2 ** n)
print("left (top) %d · right (bottom) %d · tie %d; left chosen in %.1f%% of %d decided "
      "(two-sided binomial p = %.3f)" % (L, R, T, 100 * L / n, n, p))
PY
)
keys S
wait_for "Position bias of my blind labels human:tester"
wait_for "$expect"
keys q
wait_for "pair 1/$N"

# The mode survives a restart (from the workspace), advance included.
keys Q
wait_for "[exited 0]"
tui_stop
tui_start 120 40 tui -w "$WS" -d pairs
wait_for "[advance]  [blind]"
cmdline "blind seed 99"
keys f
type_text "label=none"
keys Enter
wait_for "No item matches the filter"
keys f
type_text "off"
keys Enter
# M leaves the mode: data and ! columns, models and the stored order come back.
keys M
wait_for "blind labeling off"
wait_gone "[blind]"
screen | grep -E '^ +▲?# +mine' | grep -qE 'data !  len 1' || fail "data/len columns missing after blind off"
keys Enter
wait_for "pair 1/$N"
wait_for "A = #1 · model-a"
keys Q
wait_for "[exited 0]"
tui_stop
tui_start 120 40 tui -w "$WS" -d pairs
wait_for "[items] 1/$N"
assert_screen_lacks "[blind]"
keys Q
wait_for "[exited 0]"
echo PASS
