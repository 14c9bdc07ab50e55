#!/bin/bash
# prefscope repl in a real terminal: expressions print, multi-line input (the <eof>
# rule), Tab completion of ps.* names, of methods on values and of globals, Ctrl-C
# interrupting a running entry without leaving, persistent history, Ctrl-D.
. "$PS_TESTS/tui/lib.bash"
tui_setup
WS="$T/ws.db"
"$PS_BIN" -w "$WS" run - <<'LUA' >/dev/null
local ds = ps.create_dataset("demo")
ds:add_item{ prompt = "first prompt", responses = { "a", "b" } }
LUA
tui_start 100 30 -w "$WS" repl
wait_for "Ctrl-D leaves"


# a bare expression prints its value; tables are pretty-printed
type_text '1 + 2'; keys Enter
wait_for "3"
type_text '{ b = 1, a = { 1, 2 } }'; keys Enter
wait_for "{ a = { 1, 2 }, b = 1 }"

# multi-line input while the chunk is incomplete
type_text 'for i = 1, 3 do'; keys Enter
wait_for ">>"
type_text '  io.write("line", i, " ")'; keys Enter
type_text 'end'; keys Enter
wait_for "line1 line2 line3"

# completion: ps.* names, methods on a value, globals
type_text 'ps.create_d'; keys Tab
wait_for "ps.create_dataset"
keys C-u
type_text 'ds = ps.dataset("demo")'; keys Enter
type_text 'ds:cou'; keys Tab
wait_for "ds:count"
type_text '()'; keys Enter
wait_for "1"
type_text 'pri'; keys Tab
wait_for "> print"
keys C-u

# the workspace is the one given with -w
type_text 'ds.name .. "/" .. #ds'; keys Enter
wait_for '"demo/1"'

# errors are reported and the REPL goes on
type_text 'error("boom")'; keys Enter
wait_for "stdin:1: boom"

# Ctrl-C interrupts a running chunk without leaving the REPL
type_text 'print("spinning"); while true do end'; keys Enter
wait_for "spinning"
keys C-c
wait_for "interrupted"
type_text '"still here"'; keys Enter
wait_for '"still here"'

# ... and a sleeping one (a task waiting on a timer)
type_text 'print("napping"); ps.sleep(60000)'; keys Enter
wait_for "napping"
keys C-c
i=0; while [ "$(screen | grep -c interrupted)" -lt 2 ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i+1)); done
[ "$(screen | grep -c interrupted)" -ge 2 ] || fail "ps.sleep was not interrupted"

# Ctrl-C at the prompt drops the partial chunk
type_text 'if true then'; keys Enter
wait_for ">>"
keys C-c
type_text '40 + 2'; keys Enter
wait_for "42"

# Ctrl-D leaves (the wrapper shell got the tty's SIGINT above and exits with the
# REPL, so wait for the session to go rather than for "[exited 0]"); history persisted
keys C-d
i=0; while tmux -S "$SOCK" list-sessions >/dev/null 2>&1 && [ $i -lt 100 ]; do
    screen | grep -qF "[exited 0]" && break; sleep 0.1; i=$((i+1)); done
H="$HOME/.local/state/prefscope/history"
[ -f "$H" ] || fail "no history file at $H"
grep -qF '1 + 2' "$H" || fail "history lacks '1 + 2'"
grep -qF 'for i = 1, 3 do' "$H" || fail "history lacks the multi-line entry"

# XDG_STATE_HOME is honoured, and the history comes back (Up)
tui_stop
TUI_ENV="XDG_STATE_HOME=$T/state" tui_start 100 30 -w "$WS" repl
wait_for "Ctrl-D leaves"
keys C-d
wait_for "[exited 0]"
[ -f "$T/state/prefscope/history" ] || fail "XDG_STATE_HOME not honoured"
tui_stop
tui_start 100 30 -w "$WS" repl
wait_for "Ctrl-D leaves"
keys Up
wait_for "> 40 + 2"
echo "ok"
