#!/bin/bash
# The TUI under the terminal types people SSH in with (docs/remote.md): it draws,
# moves and labels under each, and on exit the screen is restored -- by the
# alternate screen where the terminal has one, by a clear where it has none (vt100,
# linux), so no frame is left behind.  Where it cannot run (dumb, a TERM terminfo
# does not know, no TERM) it says so in one line and exits 1 without drawing.
. "$PS_TESTS/tui/lib.bash"
tui_setup
gen_pairs "$T/pairs.jsonl" 5
WS="$T/ws.db"
"$PS_BIN" import -w "$WS" "$T/pairs.jsonl" >/dev/null || fail "import"

for term in xterm-256color screen-256color tmux-256color vt100 linux; do
    if ! infocmp "$term" >/dev/null 2>&1; then
        echo "note: no terminfo entry for $term here, skipping it"
        continue
    fi
    # Something on the screen before, as a shell prompt would be.
    TUI_ENV="TERM=$term" tui_start 100 30 tui -w "$WS" -d pairs
    wait_for "[items] 1/5"
    wait_for "question number 1 about topic1"
    keys j
    wait_for "[items] 2/5"
    keys Enter
    wait_for "pair 2/5"
    keys q
    wait_for "[items] 2/5"
    keys Q
    wait_for "[exited 0]"
    # Nothing of the last frame stays: not the list, not the status line.
    screen | grep -qE "question number|\[items\]|pair [0-9]/" && fail "TERM=$term left the TUI on screen"
    tui_stop
done

# Killed (SIGTERM, as a closing terminal or `kill` sends) on a terminal without an
# alternate screen: the screen is still cleaned.
TUI_ENV="TERM=vt100" tui_start 100 30 tui -w "$WS" -d pairs
wait_for "[items] 1/5"
pid=$(pgrep -P "$(tmux -S "$SOCK" display-message -p -t t '#{pane_pid}')" prefscope)
[ -n "$pid" ] || fail "no prefscope process under the pane"
kill -TERM "$pid"
wait_for "[exited"
screen | grep -qE "question number|\[items\]" && fail "SIGTERM under vt100 left the TUI on screen"
tui_stop

expect_refusal() { # TERM-VALUE MESSAGE-PART
    local want=$2
    TUI_ENV="TERM=$1" tui_start 100 30 tui -w "$WS" -d pairs
    wait_for "[exited 1]"
    assert_screen_has "$want"
    screen | grep -qE "\[items\]" && fail "TERM='$1' drew the TUI"
    [ "$(screen | grep -c 'prefscope:')" = 1 ] || fail "TERM='$1': expected a one-line message"
    tui_stop
}
expect_refusal dumb "TERM=dumb cannot move the cursor"
expect_refusal no-such-terminal-x "no terminfo entry for TERM=no-such-terminal-x"
expect_refusal "" "TERM is not set"
# A hostile TERM value is printed sanitized (ESC shows as a visible placeholder).
TUI_ENV="TERM=\"\$(printf 'evil\\033]0;pwned\\007')\"" tui_start 100 30 tui -w "$WS" -d pairs
wait_for "[exited 1]"
assert_screen_has "no terminfo entry for TERM=evil␛]0;pwned"
[ "$(tmux -S "$SOCK" display-message -p -t t '#{pane_title}')" != pwned ] || fail "title changed"
echo "ok"
