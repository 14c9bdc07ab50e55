#!/bin/bash
# Small and slow terminals: at 60 and 80 columns the item list gives the prompt most
# of the width (the lengths go, and columns with nothing to show on screen: no
# disagreement, always two responses); and the bytes written per keypress, read
# from tmux's copy of the program's output, stay small: nothing when a key changes
# nothing, a fraction of a full repaint when the cursor moves one row.
. "$PS_TESTS/tui/lib.bash"
tui_setup
pairs_workspace 30

# col_of TEXT: the 0-based column of TEXT on the cursor's row.
col_of() { screen | grep -E '^>' | awk -v t="$1" '{ print index($0, t) - 1 }'; }

for cols in 60 80; do
    tui_start $cols 24 tui -w "$WS" -d pairs
    wait_for "1/30"
    hdr=$(screen | grep -E '^ +▲# +mine')
    case "$hdr" in *"len 1"* | *"!"* | *" n "*) fail "$cols cols: empty or long columns kept: $hdr" ;; esac
    case "$hdr" in *data*) ;; *) fail "$cols cols: data column (it has values) dropped: $hdr" ;; esac
    c=$(col_of "question number 1")
    [ "$c" -ge 0 ] && [ $((cols - c)) -ge $((cols * 6 / 10)) ] ||
        fail "$cols cols: the prompt starts at column $c"
    keys Q
    wait_for "[exited 0]"
    tui_stop
done

# Wide: the lengths and n come back; a disagreement brings ! back when narrow.
tui_start 120 24 tui -w "$WS" -d pairs
wait_for "[items] 1/30"
screen | grep -E '^ +▲# +mine' | grep -qE 'len 1 +len 2 +n' || fail "120 cols: lengths missing"
keys Q
wait_for "[exited 0]"
tui_stop

# Bytes per keypress, from tmux's pipe of the pane output.
tui_start 80 24 tui -w "$WS" -d pairs
wait_for "1/30"
OUT="$T/out.bin"
: > "$OUT"
tmux -S "$SOCK" pipe-pane -o -t t "cat >> '$OUT'"
size() { stat -c %s "$OUT"; }
# settle: wait until nothing more arrives for half a second; print the size.
settle() {
    local last=-1 now i=0
    while [ $i -lt 100 ]; do
        now=$(size)
        [ "$now" = "$last" ] && { echo "$now"; return; }
        last=$now
        sleep 0.5
        i=$((i + 1))
    done
    echo "$now"
}
s0=$(settle)
keys C-l
wait_for "1/30"
s1=$(settle)
full=$((s1 - s0))
[ "$full" -gt 1000 ] || fail "a full repaint wrote only $full bytes (is the pipe working?)"
# k at the top changes nothing: nothing is sent.
keys k
sleep 1
s2=$(settle)
[ $((s2 - s1)) -le 16 ] || fail "k at the top wrote $((s2 - s1)) bytes"
keys j
wait_for "2/30"
s3=$(settle)
one=$((s3 - s2))
[ "$one" -gt 0 ] && [ "$one" -lt $((full / 4)) ] || fail "j wrote $one bytes (a repaint is $full)"
# Twenty keys typed at once are coalesced: far less than twenty repaints.
type_text "jjjjjjjjjjjjjjjjjjjj"
wait_for "22/30"
s4=$(settle)
many=$((s4 - s3))
[ "$many" -lt $((full * 3)) ] || fail "20 x j wrote $many bytes (a repaint is $full)"
echo "bytes: repaint $full, no-op $((s2 - s1)), j $one, 20 x j $many"
keys Q
wait_for "[exited 0]"
echo PASS
