#!/bin/bash
# The mouse (docs/keys.md "Mouse"), driven with the xterm SGR reports a terminal
# sends (tmux passes them through when its own mouse is off): a click selects a row
# in the dataset and item lists, a double-click opens it, a click on a response in
# the pair view selects it for y (side by side and inline), the wheel scrolls the
# pane under the pointer; label keys still act at once; :mouse off and --no-mouse
# give the mouse back to the terminal (tmux sees the mouse mode switched off).
. "$PS_TESTS/tui/lib.bash"
tui_setup
pairs_workspace 60
gen_pairs "$T/two.jsonl" 5
"$PS_BIN" -w "$WS" import --name second "$T/two.jsonl" > /dev/null 2>&1 || fail "import"

# click COL ROW: left button press and release at 1-based COL, ROW, in one write;
# dclick: two of them in quick succession (curses hands over one event per read)
click() { type_text "$(printf '\e[<0;%s;%sM\e[<0;%s;%sm' "$1" "$2" "$1" "$2")"; }
dclick() { click "$1" "$2"; click "$1" "$2"; }
wheel_down() { type_text $'\e[<65;'"$1;$2M"; }
# row_of TEXT: the 1-based screen row of the first line holding TEXT
row_of() { screen | grep -nF -m1 -- "$1" | cut -d: -f1; }
# col_of TEXT: the 1-based column where TEXT starts on its first line
col_of() { screen | grep -F -m1 -- "$1" | awk -v t="$1" '{ print index($0, t) }'; }
sgr_mode() { tmux -S "$SOCK" display-message -p -t t '#{mouse_sgr_flag}'; }

# A generous double-click time: the two clicks come from two tmux commands on a
# machine that may be busy (the default is 400 ms).
mkdir -p "$XDG_CONFIG_HOME/prefscope"
echo 'double_click_ms = 3000' > "$XDG_CONFIG_HOME/prefscope/config.lua"
tui_start 120 40 tui -w "$WS"
tmux -S "$SOCK" set-option -g set-clipboard on
wait_for "second"
[ "$(sgr_mode)" = 1 ] || fail "the TUI did not ask for mouse reports"
# datasets: a click selects, a double-click opens
click 5 "$(row_of second)"
wait_for "2/2"
dclick 5 "$(row_of pairs)"
wait_for "[items] 1/60"

# items: click row 5, a label key acts at once on it, double-click item 6 opens it
click 20 "$(row_of 'question number 5 about')"
wait_for "[items] 5/60"
keys 1
wait_for "labeled response #1 better on item 5"
dclick 20 "$(row_of 'question number 6 about')"
wait_for "pair 6/60"
wait_for "[side"

# pair, side by side: a click on a response selects it for y
click "$(col_of 'beta answer 6')" "$(row_of 'beta answer 6')"
wait_for "response B (right) selected: y copies it"
keys y
wait_for "copied response B (#2"
click "$(col_of 'alpha answer 6')" "$(row_of 'alpha answer 6')"
wait_for "response A (left) selected"
keys y
wait_for "copied response A (#1"
# inline: the upper and the lower block
keys v
wait_for "[inline"
click 3 "$(row_of 'beta answer 6')"
wait_for "response B (below) selected"
keys y
wait_for "copied response B (#2"
click 3 "$(row_of 'alpha answer 6')"
wait_for "response A (above) selected"
# clicks outside the responses change nothing
click 3 1
keys y
wait_for "copied response A (#1"
keys q
wait_for "[items] 6/60"

# the wheel scrolls the pane under the pointer: the list, though the REPL pane has the focus
keys '`'
wait_for "[repl]"
wheel_down 20 5
wait_for "[items] 9/60"

# :mouse off hands the mouse back to the terminal; --no-mouse starts that way
keys '`'
wait_gone "[repl]"
cmdline "mouse off"
wait_for "mouse off: the terminal selects text"
for _ in $(seq 1 50); do [ "$(sgr_mode)" = 0 ] && break; sleep 0.1; done
[ "$(sgr_mode)" = 0 ] || fail "mouse reports still on after :mouse off"
cmdline "mouse"
wait_for "mouse on: click selects"
for _ in $(seq 1 50); do [ "$(sgr_mode)" = 1 ] && break; sleep 0.1; done
[ "$(sgr_mode)" = 1 ] || fail "mouse reports off after :mouse"
cmdline "mouse sideways"
wait_for "mouse: on or off"
keys Q
wait_for "[exited 0]"
tui_stop
tui_start 120 40 tui -w "$WS" -d pairs --no-mouse
wait_for "[items] 1/60"
[ "$(sgr_mode)" = 0 ] || fail "--no-mouse still asks for mouse reports"
keys Q
wait_for "[exited 0]"
tui_stop
echo 'mouse = false' > "$XDG_CONFIG_HOME/prefscope/config.lua"
tui_start 120 40 tui -w "$WS" -d pairs
wait_for "[items] 1/60"
[ "$(sgr_mode)" = 0 ] || fail "mouse = false in the config still asks for mouse reports"
keys Q
wait_for "[exited 0]"
echo ok
