#!/bin/bash
# Responses full of terminal control sequences: an OSC title change, an OSC 52
# clipboard write, a screen clear, cursor moves, C1 CSI, a bidi override and a
# lone CR.  The UI must show visible placeholders, and none of it may reach the
# terminal: the pane title stays, the screen is not cleared, and the raw bytes
# the program wrote (recorded with script(1)) hold no such sequence.
. "$PS_TESTS/tui/lib.bash"
tui_setup
command -v script >/dev/null 2>&1 || { echo "SKIP: script(1) not installed"; exit 77; }
cat > "$T/evil.jsonl" <<'JSON'
{"key":"e1","prompt":"hostile prompt \u001b]52;c;SGVsbG8=\u0007 clip","responses":[{"text":"start \u001b]0;PWNED\u0007 title \u001b[2J cleared \u001b[10;10H moved \u202eevil\u202c bidi \u009b31m c1 over\rwrite end","model":"m1"},{"text":"plain safe text for side B","model":"m2"}],"judgments":[{"a":0,"b":1,"annotator":"dataset","verdict":"A","rationale":"rat \u001b[1;31mred\u001b[0m"}]}
JSON
"$PS_BIN" -w "$T/ws.db" import --name evil "$T/evil.jsonl" >/dev/null 2>&1 || { echo "FAIL: import"; exit 1; }

# The program runs under script(1), which records every byte it writes.
cat > "$T/run.sh" <<RUN
cd '$T'
script -qfc "'$PS_BIN' tui -w '$T/ws.db' -d evil" '$T/raw.log'
echo "[exited \$?]"
sleep 600
RUN
tmux -S "$SOCK" -f /dev/null new-session -d -x 120 -y 40 -s t "sh '$T/run.sh'"
tmux -S "$SOCK" set-option -g status off >/dev/null
title_before=$(pane_title)

wait_for "hostile prompt"
keys Enter
wait_for "pair 1/1"
# Placeholders are visible where the sequences were.
wait_for "␛]0;PWNED"
assert_screen_has "␛[2J cleared"
assert_screen_has "␛[10;10H moved"
assert_screen_has "⟨RLO⟩evil"
assert_screen_has "␛[31m c1"
assert_screen_has "over␍write"
assert_screen_has "␛]52;c;SGVsbG8="
assert_screen_has "rat ␛[1;31mred"
# The screen was not cleared: the title and side B are still there.
assert_screen_has "pair 1/1"
assert_screen_has "plain safe text for side B"
[ "$(pane_title)" = "$title_before" ] || fail "pane title changed to '$(pane_title)'"
pane_title | grep -q PWNED && fail "pane title is PWNED"

# Placeholders have the placeholder role (dark theme: reverse + colour 207).
wait_for_e $'38;5;207m(\e\\[[0-9;]*m)*␛'

# The escape visualisation shows the raw sequences as C escapes, still inert.
keys E
wait_for "[side diff escapes]"
wait_for '\e]0;PWNED\a title'
assert_screen_has '\u202eevil'
keys E
wait_for "⟨RLO⟩evil"
keys Q
wait_for "[exited 0]"
# Nothing of the hostile bytes reached the terminal.
for pat in $'\e]0;PWNED' $'\e]52;c;SGVsbG8' $'\e[10;10H moved' $'\xe2\x80\xae' $'\xc2\x9b' $'\e[1;31mred'; do
    if grep -qaF -- "$pat" "$T/raw.log"; then
        echo "FAIL: raw output contains $(printf '%q' "$pat")"
        exit 1
    fi
done
grep -qaF "PWNED" "$T/raw.log" || { echo "FAIL: raw log lacks the placeholder text"; exit 1; }
echo PASS
