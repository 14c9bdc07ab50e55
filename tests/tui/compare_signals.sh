#!/bin/bash
# Items with more than two responses: choose the compared pair and label it.
# Search matches are highlighted in the pair view.  Suspend with ^Z and resume;
# SIGTERM restores the terminal (alternate screen left, cursor shown).
. "$PS_TESTS/tui/lib.bash"
tui_setup
cat > "$T/multi.jsonl" <<'JSON'
{"key":"m1","prompt":"pick the best of three","responses":[{"text":"first candidate text","model":"ma"},{"text":"second candidate text","model":"mb"},{"text":"third candidate with a walrus","model":"mc"}],"judgments":[{"a":0,"b":2,"annotator":"dataset","verdict":"B"}]}
{"key":"m2","prompt":"another prompt","responses":[{"text":"x","model":"ma"},{"text":"y","model":"mb"}]}
JSON
# A third item whose two responses differ only on row 55 of 70.
awk 'BEGIN { a = ""; b = "";
    for (i = 1; i <= 70; i++) { a = a "row " i " is the same\\n"; b = b (i == 55 ? "row 55 is DIFFERENT\\n" : "row " i " is the same\\n") }
    printf("{\"key\":\"m3\",\"prompt\":\"long\",\"responses\":[{\"text\":\"%s\",\"model\":\"ma\"},{\"text\":\"%s\",\"model\":\"mb\"}]}\n", a, b) }' >> "$T/multi.jsonl"
WS="$T/ws.db"
"$PS_BIN" -w "$WS" import --name multi "$T/multi.jsonl" >/dev/null 2>&1 || { echo "FAIL: import"; exit 1; }

tui_start 120 40 tui -w "$WS" -d multi
wait_for "[items] 1/3"
[ "$(tmux -S "$SOCK" display -p -t t '#{alternate_on}')" = 1 ] || fail "not on the alternate screen"
keys Enter
wait_for "#1 vs #2 of 3"
assert_screen_has "RESPONSES"
assert_screen_has "#3 mc"
keys c
wait_for "compare (two of 1-3):"
type_text "1 3" ; keys Enter
wait_for "#1 vs #3 of 3"
assert_screen_has "B = #3 · mc"
# The dataset judged #1 vs #3 as B: it prefers #3, shown on side B.
assert_screen_has "prefers #3 [B]"
keys 2
wait_for "my label: B"
keys c ; type_text "2 2" ; keys Enter
wait_for "compare: give two different response numbers"

# Search highlighting inside the pair view (dark theme: search_match bg 220).
keys /
type_text walrus ; keys Enter
wait_for_e $'48;5;220m[^\e]*walrus'

# @ scrolls to the next changed row.
keys : ; type_text "open pair 3" ; keys Enter
wait_for "pair 3/3"
assert_screen_lacks "DIFFERENT"
keys @
wait_for "row 55 is DIFFERENT"
keys @
wait_for "no further change"

# :open (also what the Lua host's ps.ui.open uses).
keys : ; type_text "open pair 2" ; keys Enter
wait_for "pair 2/3"
keys : ; type_text "open datasets" ; keys Enter
wait_for "[datasets]"
keys : ; type_text "open items multi" ; keys Enter
wait_for "[items] 1/3"
keys : ; type_text "open nosuch" ; keys Enter
wait_for "open: unknown view 'nosuch'"

# SIGTERM: the UI exits and the terminal is restored.
# The program is the child of the pane's shell (read from /proc: no procps).
ppid=$(tmux -S "$SOCK" display -p -t t '#{pane_pid}')
pid=
for st in /proc/[0-9]*/stat; do
    read -r p _ _ pp _ < "$st" 2>/dev/null || continue
    [ "$pp" = "$ppid" ] && { pid=$p; break; }
done
[ -n "$pid" ] || fail "no program pid"
kill -TERM "$pid"
wait_for "[exited"
[ "$(tmux -S "$SOCK" display -p -t t '#{alternate_on}')" = 0 ] || fail "alternate screen still on after SIGTERM"
[ "$(tmux -S "$SOCK" display -p -t t '#{cursor_flag}')" = 1 ] || fail "cursor hidden after SIGTERM"

show=$("$PS_BIN" -w "$WS" show --json multi 1 | tr -d ' \n\t')
echo "$show" | grep -q '"a":0,"b":2,"annotator":"human:tester","verdict":"B"' || { echo "FAIL: label of #1 vs #3"; echo "$show"; exit 1; }
echo PASS
