#!/bin/bash
# Blind labels made from the item list mean what the pair view would show: the
# label keys name the sides the pair view draws the item in (1 = left), and each
# judgment records that order in its meta, as a label from the pair view does.
# Undo restores the replaced label together with its blind meta.
. "$PS_TESTS/tui/lib.bash"
tui_setup
require sqlite3 python3
N=10
pairs_workspace $N

tui_start 160 40 tui -w "$WS" -d pairs --blind
wait_for "[advance]  [blind]"
cmdline "blind seed 4242"
wait_for "blind labeling on (seed 4242)"

# For each item: look at the pair view's order, go back, label from the list.
RANDOM=11
: > "$T/shown"
for k in $(seq 1 $N); do
    wait_for "[items] $k/$N"
    keys Enter
    wait_for "pair $k/$N"
    wait_for "answer $k "
    left=$(blind_left $k)
    keys q
    wait_for "[items] $k/$N"
    blind_pick
    echo "$k $left $chosen" >> "$T/shown"
    keys "$key"
    if [ "$k" -lt $N ]; then wait_for "[items] $((k + 1))/$N"; fi
done
wait_for "no unlabeled item below"
sort -u -k2,2 "$T/shown" | wc -l | grep -qx 2 || fail "seed 4242 showed every item in one order"

stored() {
    sqlite3 -separator ' ' "$WS" "SELECT substr(i.key, 2), j.verdict,
            json_extract(j.meta, '\$.blind.chosen') FROM judgment j JOIN item i ON i.id = j.item_id
        WHERE j.annotator = 'human:tester' ORDER BY i.seq"
}
check_stored() { blind_check "$T/shown" 4242; }
check_stored
# The list's "mine" column speaks of the sides too: A = left, B = right.
while read -r k left chosen; do
    case $chosen in left) m=A ;; right) m=B ;; *) m=tie ;; esac
    screen | grep -qE "^[ >]+$k +$m " || fail "row $k: mine should read $m"
done < "$T/shown"
orig3=$(stored | grep '^3 ')

# Relabel item 3 twice (from the list, then from the pair view), undo both: the
# judgment is back to the first label, its meta included.
cmdline "3"
wait_for "[items] 3/$N"
first=$(grep '^3 ' "$T/shown" | cut -d' ' -f3)
case "$first" in left) other=2 ;; right) other="=" ;; *) other=1 ;; esac
keys "$other"
wait_for "on item 3, as human:tester"
keys Enter
wait_for "pair 3/$N"
keys "$other"
wait_for "on item 3, as human:tester"
[ "$(stored | grep '^3 ')" != "$orig3" ] || fail "relabeling item 3 changed nothing"
keys u
wait_for "undone on item 3"
keys u
# the second undo's message reads as the first's: wait for the workspace instead
for _ in $(seq 1 100); do [ "$(stored | grep '^3 ')" = "$orig3" ] && break; sleep 0.1; done
check_stored
# Undo of a first label removes it, meta and all.
keys u
wait_for "undone on item $N"
for _ in $(seq 1 50); do [ "$(stored | grep -c "^$N ")" = 0 ] && break; sleep 0.1; done
[ "$(stored | grep -c "^$N ")" = 0 ] || fail "undo left item $N labeled: $(stored | grep "^$N ")"
keys Q
wait_for "[exited 0]"
echo ok
