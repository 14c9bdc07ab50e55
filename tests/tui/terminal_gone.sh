#!/bin/bash
# A TUI whose terminal disappears leaves within seconds, as on SIGHUP, instead of
# spinning on a dead fd: once when the hangup signal reaches it (tmux killed), once
# when it cannot (started with setsid, so the pty is not its controlling terminal,
# and with a label pending behind another writer).  Labels made before are saved,
# the pending one (a blind label, with its order) is kept in the journal and saved
# by the next session, and the workspace passes sqlite's integrity check.
. "$PS_TESTS/tui/lib.bash"
tui_setup
require sqlite3 python3 setsid
pairs_workspace 20

# exits_within SECS PID: fail unless PID is gone within SECS seconds; report its CPU
exits_within() {
    local i=0
    while kill -0 "$2" 2> /dev/null && [ $i -lt $(($1 * 10)) ]; do
        sleep 0.1
        i=$((i + 1))
    done
    if kill -0 "$2" 2> /dev/null; then
        ps -o pid,stat,pcpu,cmd -p "$2"
        kill "$2"
        echo "FAIL: prefscope still running $1 s after its terminal went away"
        exit 1
    fi
}
tui_pid() { pgrep -f -n -- "$PS_BIN tui -w $WS" || fail "no prefscope process"; }

# 1. tmux goes away: SIGHUP
tui_start 100 30 tui -w "$WS" -d pairs
wait_for "[items] 1/20"
keys 1
wait_for "labeled response #1 better on item 1"
pid=$(tui_pid)
tmux -S "$SOCK" kill-server
exits_within 5 "$pid"
expect_verdict 1 A

# 2. no SIGHUP reaches it, and a label waits for the workspace (a blind one: its
# order must survive in the journal too)
TUI_ENV="setsid" tui_start 100 30 tui -w "$WS" -d pairs --blind
wait_for "[items] 1/20"
keys j
wait_for "[items] 2/20"
python3 - "$WS" > "$T/hold.out" 2>&1 <<'PY' &
import sqlite3, sys, time
c = sqlite3.connect(sys.argv[1], isolation_level=None)
c.execute("BEGIN IMMEDIATE")
print("holding", flush=True)
time.sleep(8)
c.execute("COMMIT")
PY
HOLD=$!
for _ in $(seq 1 100); do grep -q holding "$T/hold.out" && break; sleep 0.1; done
keys 2
wait_for "[1 label pending]"
pid=$(tui_pid)
[ "$(ps -o sid= -p "$pid" | tr -d ' ')" = "$pid" ] || fail "setsid did not give the TUI its own session"
tmux -S "$SOCK" kill-server
exits_within 5 "$pid"
kill -0 $HOLD 2> /dev/null || fail "the writer ended before the check (make it hold longer)"
ls "$WS"-pending.* > /dev/null 2>&1 || fail "the pending label's journal is gone"
wait $HOLD
[ "$(sqlite3 "$WS" 'PRAGMA integrity_check')" = ok ] || fail "integrity check"

# the next session saves the pending label
tui_stop
tui_start 100 30 tui -w "$WS" -d pairs
wait_for "saved 1 pending label"
expect_verdict 1 A
# key 2 chose the right side; the verdict is in stored order
got=$(sqlite3 "$WS" "SELECT j.verdict, json_extract(j.meta, '\$.blind.left'),
    json_extract(j.meta, '\$.blind.chosen') FROM judgment j JOIN item i ON i.id = j.item_id
    WHERE i.key = 'k2' AND j.annotator = 'human:tester'")
case "$got" in
    "B|1|right" | "A|2|right") ;;
    *) fail "the pending blind label came back as '$got'" ;;
esac
keys Q
wait_for "[exited 0]"
echo ok
