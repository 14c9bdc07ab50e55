#!/bin/bash
# Tab on an empty or partial prompt lists the candidates above it: commands,
# themes, tags (the item's own first for untag, hostile names sanitized), filter
# words with tag names, dataset names, annotators; the next key closes the list.
. "$PS_TESTS/tui/lib.bash"
tui_setup
require sqlite3
pairs_workspace 4
"$PS_BIN" -w "$WS" import --name second "$T/pairs.jsonl" >/dev/null 2>&1 || fail "import second"
# Item 1 has its own tag; item 3 one the list should offer after it, and a hostile one.
sqlite3 "$WS" "INSERT INTO tag (item_id, tag) SELECT id, 'zulu-own' FROM item WHERE key = 'k1'
                 AND dataset_id = (SELECT id FROM dataset WHERE name = 'pairs');
               INSERT INTO tag (item_id, tag) SELECT id, 'alpha-other' FROM item WHERE key = 'k3'
                 AND dataset_id = (SELECT id FROM dataset WHERE name = 'pairs');
               INSERT INTO tag (item_id, tag) SELECT id, char(27) || '[2Jevil' FROM item
                 WHERE key = 'k3' AND dataset_id = (SELECT id FROM dataset WHERE name = 'pairs');"

tui_start 120 40 tui -w "$WS" -d pairs
wait_for "[items] 1/4"
# Empty prompt: every command, in columns.
keys :
keys Tab
wait_for "advance"
for c in blind filter theme untag constitution; do assert_screen_has "$c"; done
# Any key closes the list; a partial name narrows it.
type_text "th"
wait_gone "constitution"
keys Tab
wait_for ":theme"
keys Tab
wait_for "high-contrast"
assert_screen_has "basic16"
keys Escape
wait_gone "high-contrast"

# untag: the item's own tag first, then the dataset's (sanitized).
keys :
type_text "untag "
keys Tab
# the menu line names both tags (the list's row 1 shows zulu-own from the start)
i=0
until screen | grep -F "zulu-own" | grep -qF "alpha-other"; do
    [ $i -lt 100 ] || fail "untag: no menu with both tags"
    sleep 0.1
    i=$((i + 1))
done
line=$(screen | grep -F "zulu-own" | grep -F "alpha-other")
case "$line" in *zulu-own*alpha-other*) ;; *) fail "untag: own tag not first: $line" ;; esac
case "$line" in *evil*) ;; *) fail "untag: hostile tag missing: $line" ;; esac
screen_e | grep -qF $'\e[2J' && fail "raw escape from a tag reached the screen"
keys Escape
# filter tag=: the names.
keys :
type_text "filter tag="
keys Tab
wait_for "tag=alpha-other"
assert_screen_has "tag=zulu-own"
type_text "z"
keys Tab
wait_for ":filter tag=zulu-own"
keys Enter
wait_for "[items] 1/1"
# Dataset names for stats and open items; annotators for reference.
keys :
type_text "stats "
keys Tab
wait_for "second"
assert_screen_has "pairs"
keys Escape
keys :
type_text "open items s"
keys Tab
wait_for ":open items second"
keys Escape
keys :
type_text "blind "
keys Tab
wait_for "seed"
keys Escape
keys S
wait_for "stats  pairs"
keys :
type_text "reference "
keys Tab
wait_for "dataset"
assert_screen_has "none"
keys Escape
keys Q
wait_for "[exited 0]"
echo PASS
