#!/bin/bash
# y copies the selected response with OSC 52 (DCS-wrapped inside tmux with
# allow-passthrough on, plain outside tmux), checked on the raw bytes; the mouse wheel scrolls; ?
# shows help generated from the key tables.
. "$PS_TESTS/tui/lib.bash"
tui_setup
command -v script >/dev/null 2>&1 || { echo "SKIP: script(1) not installed"; exit 77; }
command -v base64 >/dev/null 2>&1 || { echo "SKIP: base64 not installed"; exit 77; }
gen_pairs "$T/pairs.jsonl" 60
WS="$T/ws.db"
"$PS_BIN" -w "$WS" import --name pairs "$T/pairs.jsonl" >/dev/null 2>&1 || { echo "FAIL: import"; exit 1; }

start_recorded() { # $1 = extra env
    cat > "$T/run.sh" <<RUN
cd '$T'
env $1 script -qfc "'$PS_BIN' tui -w '$WS' -d pairs" '$T/raw.log'
echo "[exited \$?]"
sleep 600
RUN
    tmux -S "$SOCK" -f /dev/null new-session -d -x 120 -y 40 -s t "sh '$T/run.sh'"
    tmux -S "$SOCK" set-option -g status off >/dev/null
}

# Inside tmux ($TMUX set by tmux) with allow-passthrough on: DCS passthrough
# (tests/tui/clipboard_tmux.sh covers set-clipboard on and neither).
start_recorded ""
tmux -S "$SOCK" set-option -g allow-passthrough on
wait_for "[items] 1/60"
keys Enter
wait_for "pair 1/60"
keys y
wait_for "copied response A (#1"
keys l y
wait_for "copied response B (#2"
keys Q
wait_for "[exited 0]"
a=$(printf '%s' "alpha answer 1 shares the same words and differs here" | base64 -w0)
b=$(printf '%s' "beta answer 1 shares the same words but changes there" | base64 -w0)
grep -qaF $'\ePtmux;\e\e]52;c;'"$a"$'\a\e\\' "$T/raw.log" || { echo "FAIL: no tmux-wrapped OSC 52 for A"; cat -v "$T/raw.log" | grep -a 52 | head -3; exit 1; }
grep -qaF $'\ePtmux;\e\e]52;c;'"$b"$'\a\e\\' "$T/raw.log" || { echo "FAIL: no tmux-wrapped OSC 52 for B"; exit 1; }

# Without $TMUX (e.g. over ssh in a plain terminal): the bare sequence.
tui_stop
rm -f "$T/raw.log"
start_recorded "-u TMUX"
wait_for "[items] 1/60"
keys Enter
wait_for "pair 1/60"
keys y
wait_for "copied response A"
keys Q
wait_for "[exited 0]"
grep -qaF $'\e]52;c;'"$a"$'\a' "$T/raw.log" || { echo "FAIL: no plain OSC 52"; exit 1; }
grep -qaF $'\ePtmux;' "$T/raw.log" && { echo "FAIL: tmux wrapping without TMUX"; exit 1; }

# Mouse and help straight in tmux (script(1) in between could split the mouse
# report across reads).
tui_stop
tui_start 120 40 tui -w "$WS" -d pairs
wait_for "[items] 1/60"

# Mouse wheel (SGR 1006 reports): each notch moves three lines.
type_text $'\e[<65;20;10M'
wait_for "[items] 4/60"
type_text $'\e[<65;20;10M'
wait_for "[items] 7/60"
type_text $'\e[<64;20;10M'
wait_for "[items] 4/60"

# Help: generated from the tables, for the view it was opened from.
keys '?'
wait_for "help · items"
assert_screen_has "move-down"
keys G
wait_for "label-a"
assert_screen_has "next-unlabeled"
screen | grep -qE '^  1 +:label-a' || fail "help lacks the key 1 for label-a"
keys q
wait_gone "help · items"
keys Enter
wait_for "pair 4/60"
keys '?'
wait_for "help · pair"
keys G
wait_for "label-a"
screen | grep -qE '^  1 A +:label-a' || fail "pair help lacks '1 A' for label-a"
# / searches the help.
keys g g
wait_for "[help] line 1/"
assert_screen_lacks ":ignore-space"
keys /
type_text "ignore-space" ; keys Enter
wait_for ":ignore-space"
screen | grep -qE '^  W +:ignore-space' || fail "help lacks W for ignore-space"
keys q q Q
wait_for "[exited 0]"
echo PASS
