#!/bin/bash
# Colours and attributes (capture-pane -e): the dark theme's roles, word-diff
# emphasis, :theme switching, NO_COLOR monochrome, 8/16-colour terminals.
. "$PS_TESTS/tui/lib.bash"
tui_setup
gen_pairs "$T/pairs.jsonl" 10
WS="$T/ws.db"
"$PS_BIN" -w "$WS" import --name pairs "$T/pairs.jsonl" >/dev/null 2>&1 || { echo "FAIL: import"; exit 1; }

tui_start 120 40 tui -w "$WS" -d pairs
wait_for "[items] 1/10"
# dark: title white on 24, selection background 237.
wait_for_e $'\e\\[48;5;24m pairs'
wait_for_e $'48;5;237m>'
keys Enter
wait_for "pair 1/10"
# Word diff: "and differs here" vs "but changes there" is a change (bg 58);
# label badge after labeling A (bg 75).
wait_for_e $'48;5;58m[^\e]*(and differs here|but changes there)'
keys 1
wait_for_e $'48;5;75m A'
# Turning the diff off removes the emphasis.
keys w
wait_for "word diff off"
screen_e | grep -q $'48;5;58m' && fail "diff emphasis still drawn with w off"
keys w

# Themes by name, with completion tested elsewhere.
keys : ; type_text "theme light" ; keys Enter
wait_for "theme light"
wait_for_e $'48;5;25m pair'
keys : ; type_text "theme high-contrast" ; keys Enter
wait_for_e $'48;5;231m pair'
keys : ; type_text "theme basic16" ; keys Enter
wait_for_e $'\e\\[44m pair|;44m pair'
keys : ; type_text "theme nosuchtheme" ; keys Enter
wait_for "theme 'nosuchtheme' not found"
# Theme files are data: no libraries, bounded time; errors leave the theme as is.
printf 'os.execute("touch %s/pwned")\nreturn {}\n' "$T" > "$T/evil.lua"
printf 'while true do end\n' > "$T/loop.lua"
printf 'return { name = "mine", roles = { title = { fg = "black", bg = "#ff0000 196 red" } } }\n' > "$T/mine.lua"
keys : ; type_text "theme $T/evil.lua" ; keys Enter
wait_for "global 'os'"
[ -e "$T/pwned" ] && fail "a theme file ran os.execute"
keys : ; type_text "theme $T/loop.lua" ; keys Enter
wait_for "runs too long"
keys : ; type_text "theme $T/mine.lua" ; keys Enter
wait_for "theme mine"
wait_for_e $'48;5;196m pair'
keys Q
wait_for "[exited 0]"

# NO_COLOR: no colour at all, emphasis by attributes (reverse, bold, underline).
tui_stop
TUI_ENV="NO_COLOR=1" tui_start 120 40 tui -w "$WS" -d pairs
wait_for "[items] 1/10"
keys Enter
wait_for "pair 1/10"
screen_e | grep -qE $'\e\\[[0-9;]*(3[0-7]|38;5;[0-9]+|4[0-7]|48;5;[0-9]+|9[0-7])m' && {
    screen_e | cat -v | head; fail "colour codes under NO_COLOR"; }
wait_for_e $'\e\\[(1;7|7;1|1m\e\\[7|7m\e\\[1)m? ?pair 1/10|\e\\[1m\e\\[7m pair'
# The changed words are reverse video.
wait_for_e $'\e\\[7m[^\e]*(and differs here|but changes there)'
keys Q
wait_for "[exited 0]"

# An 8-colour terminal gets the 16-colour names of the same theme.
tui_stop
cat > "$T/run8.sh" <<RUN
env TERM=xterm LANG=C.UTF-8 LC_ALL=C.UTF-8 '$PS_BIN' tui -w '$WS' -d pairs
echo "[exited \$?]"
sleep 600
RUN
tmux -S "$SOCK" -f /dev/null new-session -d -x 120 -y 40 -s t "sh '$T/run8.sh'"
tmux -S "$SOCK" set-option -g status off >/dev/null
wait_for "[items] 1/10"
wait_for_e $'44m pairs'
screen_e | grep -q $'38;5;\\|48;5;' && fail "256-colour codes on an 8-colour terminal"
keys Q
wait_for "[exited 0]"
echo PASS
