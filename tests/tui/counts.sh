#!/bin/bash
# Counts before motions (docs/keys.md "Counts").  Label keys act at once, always:
# in the item list and the pair view `1`, `2`, `0` label even when a vim user
# means a count, a count there starts with `#` (#10G, #5j, #3J), and a digit that
# is not a label key says so instead of starting a count.  Where digits label
# nothing (dataset list, help) bare counts work as in vim (3j, 2G).  :N and
# :goto N work in the pair view.
. "$PS_TESTS/tui/lib.bash"
tui_setup
pairs_workspace 40
for k in 1 2 3 4 5 6; do
    "$PS_BIN" -w "$WS" import --name "extra$k" "$T/pairs.jsonl" >/dev/null 2>&1 || { echo "FAIL: import $k"; exit 1; }
done
require sqlite3
# mine K: how many judgments of mine item K (1-based, its key kK) has.
mine() {
    sqlite3 "$WS" "SELECT count(*) FROM judgment j JOIN item i ON i.id = j.item_id
        JOIN dataset d ON d.id = i.dataset_id
        WHERE d.name = 'pairs' AND i.key = 'k$1' AND j.annotator = 'human:tester'"
}

# Dataset list: no digit is a key there, so counts are bare digits.
tui_start 120 40 -w "$WS"
wait_for "[datasets] 1/7"
keys 3 j
wait_for "[datasets] 4/7"
keys 2 G
wait_for "[datasets] 2/7"
keys 1 2 G                      # beyond the end: an error, the cursor stays
wait_for "goto: give a number between 1 and 7"
assert_screen_has "[datasets] 2/7"
keys 4
wait_for "Keys: 4"              # a pending count is shown
keys Escape
wait_for "count cancelled"
assert_screen_has "[datasets] 2/7"
keys j
wait_for "[datasets] 3/7"       # Esc cancelled the count, not the view

# Help: 5j scrolls five lines.
keys '?'
wait_for "[help] line 1/"
keys 5 j
wait_for "[help] line 6/"
keys q
wait_for "[datasets] 3/7"

# Item list: 1 labels item 1 at once (a vim user's "10G" labels, then clears).
keys 7 g g
wait_for "[datasets] 7/7"
keys Enter
wait_for "[items] 1/40"
keys 1
wait_for "labeled response #1 better"
[ "$(mine 1)" = 1 ] || fail "1 did not label item 1 at once"
keys 0
wait_for "label cleared on item 1"
[ "$(mine 1)" = 0 ] || fail "0 did not clear item 1 at once"
# A digit that labels nothing explains how to count here, and moves nothing.
keys 5
wait_for "type a count as #5"
assert_screen_has "[items] 1/40"
keys j
wait_for "[items] 2/40"         # ...and starts no count: j moved one line
# # starts a count; digits after it, label keys included, are the count's.
keys '#' 1 0 G
wait_for "[items] 10/40"
keys '#'
wait_for "Keys: #"
keys 1 5 j
wait_for "[items] 25/40"
keys '#' 2 0 k
wait_for "[items] 5/40"
[ "$(sqlite3 "$WS" "SELECT count(*) FROM judgment WHERE annotator = 'human:tester'")" = 0 ] || fail "a count labeled"
keys '#' 1 0 0 j                # past the end: stops at the last item
wait_for "[items] 40/40"
keys '#' 3 =                    # a label key that is not a digit acts, the count is dropped
wait_for "labeled a tie of #1 and #2"
[ "$(mine 40)" = 1 ] || fail "= after a count did not label"
keys g g
wait_for "[items] 1/40"
keys '#' 2 '>'                  # the second next unlabeled item
wait_for "[items] 3/40"
keys /
type_text "quokka"
keys Enter
wait_for "[items] 7/40"
keys g g '#' 2 n                # the second next match: items 7, then 21
wait_for "[items] 21/40"
keys g g

# Pair view: #3J moves three items, :N and :goto N open item N, 1 labels at once.
keys Enter
wait_for "pair 1/40"
keys '#' 3 J
wait_for "pair 4/40"
wait_for "alpha answer 4 "
cmdline "12"
wait_for "pair 12/40"
wait_for "question number 12 about topic12"
cmdline "goto 30"
wait_for "pair 30/40"
wait_for "alpha answer 30 "
cmdline "goto 99"
wait_for "goto: give a number between 1 and 40"
assert_screen_has "pair 30/40"
keys '#' 7 G
wait_for "pair 7/40"
wait_for "alpha answer 7 "
keys 1
wait_for "my label: A"
[ "$(mine 7)" = 1 ] || fail "1 in the pair view did not label at once"
keys 9
wait_for "type a count as #9"
assert_screen_has "pair 7/40"
keys Q
wait_for "[exited 0]"
echo PASS
