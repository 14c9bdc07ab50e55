#!/bin/bash
# Several annotators on one workspace at once (docs/remote.md, "Several people
# labelling on one box"): two TUIs (alice and bob, each in their own tmux session)
# label while a Lua script labels as carol and an import writes another dataset.
# Without a key pressed, each TUI shows the others' labels within seconds (it polls
# the workspace's data version), nothing is lost (every label counted at the end)
# and nobody is locked out (labels made while the import holds the workspace wait
# in the pending queue and are saved).
. "$PS_TESTS/tui/lib.bash"
tui_setup
require sqlite3 python3
N=40
WS="$T/ws.db"
python3 - "$T/pairs.jsonl" "$T/other.jsonl" <<'PY'
import json, sys
with open(sys.argv[1], "w") as f:
    for k in range(1, 41):
        f.write(json.dumps({"key": "k%d" % k, "prompt": "question %d" % k, "responses": [
            {"text": "first answer %d" % k, "model": "m1"},
            {"text": "second answer %d" % k, "model": "m2"}]}) + "\n")
with open(sys.argv[2], "w") as f:
    for i in range(60000):
        f.write(json.dumps({"prompt": "p%d " % i + "word " * 20, "chosen": "c %d" % i + " x" * 30,
                            "rejected": "r"}) + "\n")
PY
"$PS_BIN" -w "$WS" import --name pairs "$T/pairs.jsonl" > /dev/null 2>&1 || fail "import"

# the verdict each annotator gives item k
want() { # K -> "annotator verdict"
    local k=$1
    if [ "$k" -le 10 ]; then echo "alice $([ $((k % 2)) = 1 ] && echo A || echo B)"
    elif [ "$k" -le 20 ]; then echo "bob $([ $((k % 2)) = 1 ] && echo B || echo A)"
    else echo "carol $([ $((k % 3)) = 0 ] && echo A || echo B)"; fi
}
key_for() { [ "$(want "$1" | cut -d' ' -f2)" = A ] && echo 1 || echo 2; }

TS=alice tui_start 110 46 tui -w "$WS" -d pairs --user alice
TS=bob tui_start 110 46 tui -w "$WS" -d pairs --user bob
TS=alice wait_for "[items] 1/$N"
TS=bob wait_for "[items] 1/$N"
TS=bob cmdline 11
TS=bob wait_for "[items] 11/$N"

cat > "$T/carol.lua" <<'LUA'
local ds = ps.dataset("pairs")
for k = tonumber(arg[1]), tonumber(arg[2]) do
  local it = ds:item(k)
  -- a write waits up to 5 s for the workspace; a script outliving a long import
  -- tries again (docs/remote.md)
  local ok, err
  repeat
    ok, err = it:judge(k % 3 == 0 and "A" or "B", { annotator = "human:carol" })
    local busy = not ok and tostring(err):find("workspace busy", 1, true)
    if busy then ps.sleep(200) end
  until not busy
  assert(ok, err)
  ps.sleep(40)
end
LUA
"$PS_BIN" -w "$WS" run "$T/carol.lua" 21 39 > "$T/carol.out" 2>&1 &
CAROL=$!
"$PS_BIN" -w "$WS" import --name other "$T/other.jsonl" > "$T/import.out" 2>&1 &
IMP=$!

# alice labels 1-10 and bob 11-20, key for key, while carol and the import write
for i in $(seq 1 10); do
    TS=alice keys "$(key_for $i)" j
    TS=bob keys "$(key_for $((i + 10)))" j
done
TS=alice wait_for "] 11/$N"
TS=bob wait_for "] 21/$N"
wait $CAROL || fail "carol's script: $(cat "$T/carol.out")"
wait $IMP || fail "import: $(cat "$T/import.out")"

# Everyone is idle now; one more label by the script shows in both lists all the same.
"$PS_BIN" -w "$WS" run "$T/carol.lua" 40 40 > "$T/carol.out" 2>&1 || fail "carol: $(cat "$T/carol.out")"

# row K of a list: "K MINE DATA" (my verdict, then the other annotators')
row_is() { screen | grep -qE "^[ >]+$1 +$2 +$3 "; }
# Each TUI shows the others' labels without a key pressed.
for ts in alice bob; do
    for k in $(seq 1 $N); do
        set -- $(want "$k")
        if [ "$1" = "$ts" ]; then mine=$2 other='·'; else mine='·' other=$2; fi
        i=0
        until TS=$ts row_is "$k" "$mine" "$other"; do
            [ $i -lt 100 ] || TS=$ts fail "$ts: row $k should read '$mine $other'"
            sleep 0.1
            i=$((i + 1))
        done
    done
done
TS=alice assert_screen_lacks "pending]"
TS=bob assert_screen_lacks "pending]"

# nothing lost: every label stored once, as given
sqlite3 -separator ' ' "$WS" "SELECT substr(i.key, 2), substr(j.annotator, 7), j.verdict
    FROM judgment j JOIN item i ON i.id = j.item_id WHERE j.annotator LIKE 'human:%'
    ORDER BY i.seq, j.annotator" > "$T/got"
for k in $(seq 1 $N); do echo "$k $(want "$k")"; done > "$T/want"
diff "$T/want" "$T/got" > /dev/null || fail "stored labels differ: $(diff "$T/want" "$T/got" | head)"
[ "$(sqlite3 "$WS" "SELECT n_items FROM dataset WHERE name = 'other'")" = 60000 ] || fail "import"

# No redraw storm: an idle TUI watching the workspace sends nothing to the terminal,
# and one change elsewhere costs one repaint of what changed.
: > "$T/alice.out"
tmux -S "$SOCK" pipe-pane -t alice -o "cat >> '$T/alice.out'"
sleep 3
[ "$(wc -c < "$T/alice.out")" = 0 ] || fail "an idle TUI wrote $(wc -c < "$T/alice.out") bytes in 3 s"
sqlite3 "$WS" "UPDATE judgment SET verdict = 'tie', p_a = 0.5 WHERE annotator = 'human:carol'
    AND item_id = (SELECT id FROM item WHERE key = 'k40')"
i=0
until TS=alice row_is 40 '·' tie; do
    [ $i -lt 100 ] || TS=alice fail "alice: row 40 should show carol's tie"
    sleep 0.1
    i=$((i + 1))
done
sleep 2
n=$(wc -c < "$T/alice.out")
[ "$n" -gt 0 ] && [ "$n" -lt 2000 ] || fail "one change elsewhere cost $n bytes of output"
sleep 3
[ "$(wc -c < "$T/alice.out")" = "$n" ] || fail "the TUI kept writing after one change"
tmux -S "$SOCK" pipe-pane -t alice
echo "one change elsewhere: $n bytes"

# C-l re-reads at once too; then both quit cleanly
for ts in alice bob; do
    TS=$ts keys C-l Q
    TS=$ts wait_for "[exited 0]"
done
[ "$(sqlite3 "$WS" 'PRAGMA integrity_check')" = ok ] || fail "integrity check"
echo ok
