#!/bin/bash
# The labeler's name and the theme come from the user's Lua config when no flag
# or environment variable says otherwise; a broken config still opens the UI.
. "$PS_TESTS/tui/lib.bash"
tui_setup
unset PREFSCOPE_USER
gen_pairs "$T/pairs.jsonl" 5
WS="$T/ws.db"
"$PS_BIN" -w "$WS" import --name pairs "$T/pairs.jsonl" >/dev/null 2>&1 || { echo "FAIL: import"; exit 1; }
mkdir -p "$HOME/.config/prefscope"
cat > "$HOME/.config/prefscope/config.lua" <<'LUA'
user = "cfguser"
theme = "light"
LUA

tui_start 120 40 tui -w "$WS" -d pairs
wait_for "[items] 1/5"
wait_for_e $'48;5;25m pairs'
keys 2
wait_for "labeled response #2 better on item 1, as human:cfguser"
keys Q
wait_for "[exited 0]"
"$PS_BIN" -w "$WS" show --json pairs 1 | grep -q '"human:cfguser"' || { echo "FAIL: config user not used"; exit 1; }

# --user wins over the config.
tui_stop
tui_start 120 40 tui -w "$WS" -d pairs --user flaguser
wait_for "[items] 1/5"
keys j 1
wait_for "labeled response #1 better on item 2, as human:flaguser"
keys Q
wait_for "[exited 0]"

# A config that fails to load: the UI opens and says why.
echo 'this is not lua (' > "$HOME/.config/prefscope/config.lua"
tui_stop
tui_start 120 40 tui -w "$WS" -d pairs
wait_for "[items] 1/5"
wait_for "config.lua"
keys Q
wait_for "[exited 0]"
echo PASS
