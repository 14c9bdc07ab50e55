#!/bin/bash
# A multi-line REPL entry is one history entry, as in lua.c: in `prefscope repl`
# (readline) and in the TUI's REPL pane, in memory and across sessions through the
# shared history file.  Up once brings back the whole incomplete-then-finished `for`
# loop; Enter runs it again.
. "$PS_TESTS/tui/lib.bash"
tui_setup
pairs_workspace 3
H="$HOME/.local/state/prefscope/history"
# leave_repl: Ctrl-D, then wait until the REPL has exited
leave_repl() {
    keys C-d
    local i=0
    while tmux -S "$SOCK" list-sessions > /dev/null 2>&1 && [ $i -lt 100 ]; do
        screen | grep -qF "[exited 0]" && break
        sleep 0.1
        i=$((i + 1))
    done
}
# count TEXT: how many screen lines hold TEXT
count() { screen | grep -cF -- "$1"; }

tui_start 100 30 -w "$WS" repl
wait_for "Ctrl-D leaves"
type_text 'x = 0'; keys Enter
type_text 'for i = 1, 2 do'; keys Enter
wait_for ">>"
type_text '  x = x + i'; keys Enter
type_text 'end'; keys Enter
type_text 'print("sum" .. x)'; keys Enter
wait_for "sum3"
# Up twice: the print, then the whole loop (not just "end")
keys Up Up
wait_for "> for i = 1, 2 do"
keys Enter
type_text 'print("sum" .. x)'; keys Enter
wait_for "sum6"
leave_repl
python3 - "$H" <<'PY' || fail "history file: $(cat -A "$H")"
import sys
lines = open(sys.argv[1]).read().split("\n")
entries, cur = [], None
for l in lines:
    if l.startswith("#") and l[1:].isdigit():
        if cur is not None: entries.append(cur)
        cur = []
    elif cur is not None and l:
        cur.append(l)
entries.append(cur)
assert ["for i = 1, 2 do", "  x = x + i", "end"] in entries, entries
PY

# A new session reads it back as one entry.
tui_stop
tui_start 100 30 -w "$WS" repl
wait_for "Ctrl-D leaves"
type_text 'x = 10'; keys Enter
keys Up Up Up
wait_for "> for i = 1, 2 do"
keys Enter
type_text 'print("sum" .. x)'; keys Enter
wait_for "sum13"
leave_repl

# The TUI's pane: the entry from the file is one, and a new multi-line entry too.
tui_stop
tui_start 120 40 tui -w "$WS" -d pairs
wait_for "[items] 1/3"
keys '`'
wait_for "[repl]"
type_text 'x = 100'; keys Enter
keys Up Up Up
wait_for "for i = 1, 2 do"
keys Enter
type_text 'print("sum" .. x)'; keys Enter
wait_for "sum103"
type_text 's = 0'; keys Enter
type_text 'for k = 1, 4 do'; keys Enter
type_text 's = s + k'; keys Enter
type_text 'end print("tot" .. s)'; keys Enter
wait_for "tot10"
type_text 's = 0'; keys Enter
keys Up Up
wait_for "for k = 1, 4 do"
keys Enter
wait_for_twice() { local i=0; while [ "$(count "$1")" -lt 2 ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done; [ "$(count "$1")" -ge 2 ] || fail "$1 not printed twice"; }
wait_for_twice "tot10"
keys Escape
keys Q
wait_for "[exited 0]"
grep -qxF 'end print("tot" .. s)' "$H" || fail "pane entry not in the history file"
[ "$(grep -c '^#[0-9]' "$H")" -ge 4 ] || fail "pane entries without their time line: $(cat "$H")"
echo ok
