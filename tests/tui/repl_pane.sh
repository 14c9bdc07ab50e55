#!/bin/bash
# The REPL pane inside the TUI: ` opens it, expressions print, ps.ui.current() is
# the item under the cursor, output scrolls, a running chunk leaves the UI
# responsive and Ctrl-C interrupts it, the history is shared with `prefscope repl`.
. "$PS_TESTS/tui/lib.bash"
tui_setup
WS="$T/ws.db"
gen_pairs "$T/pairs.jsonl" 30
"$PS_BIN" -w "$WS" import --name pairs "$T/pairs.jsonl" >/dev/null
tui_start 120 40 tui -w "$WS" -d pairs
wait_for "question number 1 about topic1"
keys j j
keys '`'
wait_for "Lua 5.4 with the ps API"
type_text 'ps.ui.current().prompt'; keys Enter
wait_for '"question number 3 about topic3"'
type_text 'ps.headless'; keys Enter
wait_for "false"
# many lines of output scroll
type_text 'for i = 1, 40 do print("row " .. i) end'; keys Enter
wait_for "row 40"
assert_screen_lacks "row 1 "
# a long task does not freeze the UI; Ctrl-C interrupts it
type_text 'ps.sleep(60000)'; keys Enter
wait_for "[running"
keys Escape
keys j
wait_for "running"
keys C-c
wait_for "Lua tasks interrupted"
wait_for "interrupted"
wait_gone "[running"
keys Tab
# the same from inside the pane
type_text 'while true do end'; keys Enter
wait_for "[running"
keys C-c
wait_gone "[running"
# labels made from Lua show up in the UI
type_text 'ps.ui.current():judge{ verdict = "tie", annotator = "human:tester" }'; keys Enter
wait_for "true"
# completion inside the pane
type_text 'ps.ui.cur'; keys Tab
wait_for "> ps.ui.current"
keys C-u
# ` closes the pane, and it comes back with its output
keys '`'
wait_gone "Lua 5.4 with the ps API"
keys '`'
wait_for 'ps.ui.current():judge'
# a task keeps running with the pane closed, and Ctrl-C in the main view stops it
type_text 'ps.spawn(function() ps.sleep(60000) end)'; keys Enter
wait_for "[running"
keys '`'
wait_gone "Lua 5.4 with the ps API"
keys C-c
wait_for "Lua tasks interrupted"
keys '`'
wait_for 'ps.spawn(function()'
wait_gone "[running"
keys '`'
keys Q
wait_for "[exited 0]"
"$PS_BIN" -w "$WS" show --json pairs 4 | tr -d ' \t\n' | grep -qF '"annotator":"human:tester","verdict":"tie"' || fail "the label from the pane was not stored"
H="$HOME/.local/state/prefscope/history"
grep -qF 'ps.ui.current().prompt' "$H" || fail "pane history not written to $H"
echo "ok"
