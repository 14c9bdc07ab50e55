#!/bin/bash
# y inside tmux: with `set-clipboard on` the plain OSC 52 goes out (and tmux puts
# the text in its paste buffer, checked with show-buffer), with only
# `allow-passthrough on` the DCS-wrapped one, with neither nothing is sent and the
# status line says how to turn it on.  Raw bytes recorded with script(1).
. "$PS_TESTS/tui/lib.bash"
tui_setup
require script base64
pairs_workspace 5
text="alpha answer 1 shares the same words and differs here"
b64=$(printf '%s' "$text" | base64 -w0)
plain=$'\e]52;c;'"$b64"$'\a'
wrapped=$'\ePtmux;\e\e]52;c;'"$b64"$'\a\e\\'

# start_with OPTION=VALUE...: a tmux server with these global options, then
# prefscope under script(1) in it.
start_with() {
    rm -f "$T/raw.log"
    cat > "$T/run.sh" <<RUN
cd '$T'
script -qfc "'$PS_BIN' tui -w '$WS' -d pairs" '$T/raw.log'
echo "[exited \$?]"
sleep 600
RUN
    tmux -S "$SOCK" -f /dev/null new-session -d -x 120 -y 30 -s t "sleep 600"
    local o
    for o in "$@"; do tmux -S "$SOCK" set-option -g "${o%%=*}" "${o#*=}" || fail "tmux option $o"; done
    tmux -S "$SOCK" set-option -g status off >/dev/null
    tmux -S "$SOCK" respawn-pane -k -t t "sh '$T/run.sh'"
    wait_for "[items] 1/5"
    keys Enter
    wait_for "pair 1/5"
}

# yank_quit MESSAGE: y, wait for MESSAGE, quit.
yank_quit() {
    keys y
    wait_for "$1"
    keys Q
    wait_for "[exited 0]"
}

# set-clipboard on: the plain sequence only, and tmux took it.
start_with set-clipboard=on allow-passthrough=off
yank_quit "copied response A (#1"
grep -qaF "$plain" "$T/raw.log" || { echo "FAIL: no plain OSC 52 with set-clipboard on"; exit 1; }
grep -qaF $'\ePtmux;' "$T/raw.log" && { echo "FAIL: DCS-wrapped with set-clipboard on"; exit 1; }
got=$(tmux -S "$SOCK" show-buffer 2>/dev/null)
[ "$got" = "$text" ] || { echo "FAIL: tmux buffer is '$got', expected the response"; exit 1; }
tui_stop

# Only allow-passthrough: the wrapped sequence only.
start_with set-clipboard=external allow-passthrough=on
yank_quit "copied response A (#1"
grep -qaF "$wrapped" "$T/raw.log" || { echo "FAIL: no wrapped OSC 52 with allow-passthrough on"; exit 1; }
# (the wrapped sequence contains the plain one: count the OSC 52 starts)
[ "$(grep -aoF ']52;c;' "$T/raw.log" | wc -l)" = 1 ] || { echo "FAIL: plain OSC 52 sent too"; exit 1; }
tui_stop

# Neither: nothing is sent, the status line says what to set; the register has it.
start_with set-clipboard=external allow-passthrough=off
yank_quit "set -g set-clipboard on"
grep -qaF "]52;" "$T/raw.log" && { echo "FAIL: OSC 52 sent although tmux drops it"; exit 1; }
echo PASS
