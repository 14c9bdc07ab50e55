# Helpers for the scripted terminal tests: the real binary in a private tmux
# server, keys in, screen text (and SGR attributes with -e) out.  Everything
# polls with generous timeouts instead of sleeping, so a loaded machine only
# makes the tests slower, not flaky.
#
#   . "$PS_TESTS/tui/lib.bash"; tui_setup
#   tui_start 120 40 -w "$WS" some-file.jsonl
#   wait_for "pair 1/"            # fails the test with a screen dump on timeout
#   keys j Enter; keys -l ':theme light'; keys Enter

set -u
: "${PS_BIN:?PS_BIN must point to the prefscope binary}"
: "${PS_TESTS:=$(cd "$(dirname "$0")/.." && pwd)}"
TUI_TIMEOUT=${TUI_TIMEOUT:-30}

tui_setup() {
    command -v tmux >/dev/null 2>&1 || { echo "SKIP: tmux not installed"; exit 77; }
    T=$(mktemp -d)
    export HOME="$T/home" XDG_CONFIG_HOME="$T/home/.config"
    mkdir -p "$HOME"
    export TERM=xterm-256color LANG=C.UTF-8 LC_ALL=C.UTF-8
    unset NO_COLOR PREFSCOPE_WORKSPACE PREFSCOPE_CONFIG PREFSCOPE_THEME COLORTERM TMUX
    export PREFSCOPE_USER=tester
    SOCK="$T/tmux.sock"
    trap tui_cleanup EXIT
}

tui_cleanup() {
    tui_end_programs
    tmux -S "$SOCK" kill-server >/dev/null 2>&1
    rm -rf "$T"
}

# The pids whose parent is $1 (from /proc: procps may not be installed).
tui_children() {
    local want=$1 f line rest
    for f in /proc/[0-9]*/stat; do
        read -r line <"$f" 2>/dev/null || continue
        rest=${line##*) }
        set -- $rest
        [ "${2:-}" = "$want" ] && { f=${f#/proc/}; echo "${f%/stat}"; }
    done
}

# End the programs in the panes with SIGTERM and wait (up to 10 s) until they are
# gone, before the server goes.  A pty hangup sends SIGHUP and then SIGCONT; in an
# ASan build a SIGCONT that arrives while LeakSanitizer stops the exiting process to
# scan it cancels the stop, and the process and LSan's tracer then spin forever
# (one was found at 93% CPU after a CI run).
tui_end_programs() {
    local panes p kids="" i=0 alive
    panes=$(tmux -S "$SOCK" list-panes -a -F '#{pane_pid}' 2>/dev/null) || return 0
    for p in $panes; do kids="$kids $(tui_children "$p")"; done
    [ -n "${kids// /}" ] || return 0
    kill -TERM $kids 2>/dev/null
    while [ $i -lt 100 ]; do
        alive=0
        for p in $kids; do kill -0 "$p" 2>/dev/null && alive=1; done
        [ $alive = 0 ] && return 0
        sleep 0.1
        i=$((i + 1))
    done
}

# tui_start COLS ROWS ARGS...: run prefscope ARGS in a fresh session.  Extra
# environment for the program goes in TUI_ENV (e.g. TUI_ENV="NO_COLOR=1").
# Several programs at once: each in its own session, named by TS (default t);
# every helper below acts on the session $TS (e.g. `TS=bob keys 1`).
tui_start() {
    local cols=$1 rows=$2
    shift 2
    local q="" a
    for a in "$@"; do q="$q '${a//\'/\'\\\'\'}'"; done
    local ts=${TS:-t}
    cat > "$T/run-$ts.sh" <<RUN
cd '$T'
env TERM=xterm-256color LANG=C.UTF-8 LC_ALL=C.UTF-8 ${TUI_ENV:-} '$PS_BIN' $q
echo "[exited \$?]"
sleep 600
RUN
    tmux -S "$SOCK" -f /dev/null new-session -d -x "$cols" -y "$rows" -s "$ts" "sh '$T/run-$ts.sh'"
    tmux -S "$SOCK" set-option -g status off >/dev/null
    tmux -S "$SOCK" resize-window -t "$ts" -x "$cols" -y "$rows" >/dev/null 2>&1 || true
}

# tui_stop: end the tmux server and wait until it is gone, so that the next
# tui_start cannot race with a dying server on the same socket.
tui_stop() {
    tui_end_programs
    tmux -S "$SOCK" kill-server >/dev/null 2>&1
    local i=0
    while tmux -S "$SOCK" list-sessions >/dev/null 2>&1 && [ $i -lt 100 ]; do
        sleep 0.1
        i=$((i + 1))
    done
    rm -f "$SOCK"
}

screen() { tmux -S "$SOCK" capture-pane -p -t "${TS:-t}"; }
screen_e() { tmux -S "$SOCK" capture-pane -p -e -t "${TS:-t}"; }
keys() { tmux -S "$SOCK" send-keys -t "${TS:-t}" "$@"; }
# Type literal text (no key-name lookup).
type_text() { tmux -S "$SOCK" send-keys -t "${TS:-t}" -l -- "$1"; }
resize() { tmux -S "$SOCK" resize-window -t "${TS:-t}" -x "$1" -y "$2"; }
pane_title() { tmux -S "$SOCK" display-message -p -t "${TS:-t}" '#{pane_title}'; }

fail() {
    echo "FAIL: $*"
    echo "---- screen ----"
    screen
    echo "----------------"
    exit 1
}

# wait_for TEXT [SECONDS]: poll until the screen contains TEXT (fixed string).
wait_for() {
    local want=$1 limit=${2:-$TUI_TIMEOUT} i=0
    while [ $i -lt $((limit * 10)) ]; do
        screen | grep -qF -- "$want" && return 0
        sleep 0.1
        i=$((i + 1))
    done
    fail "timed out waiting for: $want"
}

# wait_for_e PATTERN: as wait_for, on the screen with SGR attributes (grep -E).
wait_for_e() {
    local want=$1 limit=${2:-$TUI_TIMEOUT} i=0
    while [ $i -lt $((limit * 10)) ]; do
        screen_e | grep -qE -- "$want" && return 0
        sleep 0.1
        i=$((i + 1))
    done
    echo "---- screen -e ----"; screen_e | cat -v | head -50
    fail "timed out waiting for attributes: $want"
}

# wait_gone TEXT: poll until TEXT has left the screen.
wait_gone() {
    local want=$1 limit=${2:-$TUI_TIMEOUT} i=0
    while [ $i -lt $((limit * 10)) ]; do
        screen | grep -qF -- "$want" || return 0
        sleep 0.1
        i=$((i + 1))
    done
    fail "timed out waiting for this to go: $want"
}

# A frame can reach tmux in several writes, so even "is it there" polls a little
# instead of trusting a single capture.
assert_screen_has() { wait_for "$1" 10; }
assert_screen_lacks() { screen | grep -qF -- "$1" && fail "screen shows: $1"; return 0; }
# wait_gone_re REGEX: poll until no line matches the extended regex.
wait_gone_re() {
    local want=$1 limit=${2:-$TUI_TIMEOUT} i=0
    while [ $i -lt $((limit * 10)) ]; do
        screen | grep -qE -- "$want" || return 0
        sleep 0.1
        i=$((i + 1))
    done
    fail "timed out waiting for no line matching: $want"
}

# gen_pairs FILE N: N items in the native JSONL layout.  Item k (1-based) has the
# prompt "question number k about topic<k>", response A "alpha answer k ..." by
# model-a, response B "beta answer k ..." by model-b, and a dataset judgment
# (A when k is odd, B when even).  Item 7 carries the word "zanzibar" in its
# prompt, items 7 and 21 mention "quokka" in response B.
gen_pairs() {
    awk -v n="$2" 'BEGIN {
        for (k = 1; k <= n; k++) {
            extra = (k == 7) ? " zanzibar" : "";
            qb = (k == 7 || k == 21) ? " the quokka smiles" : "";
            v = (k % 2) ? "A" : "B";
            printf("{\"key\":\"k%d\",\"system\":\"You are a careful assistant.\",\"history\":[{\"role\":\"user\",\"content\":\"earlier turn %d\"},{\"role\":\"assistant\",\"content\":\"earlier reply %d\"}],\"prompt\":\"question number %d about topic%d%s\",", k, k, k, k, k, extra);
            printf("\"responses\":[{\"text\":\"alpha answer %d shares the same words and differs here\",\"model\":\"model-a\"},", k);
            printf("{\"text\":\"beta answer %d shares the same words but changes there%s\",\"model\":\"model-b\"}],", k, qb);
            printf("\"judgments\":[{\"a\":0,\"b\":1,\"annotator\":\"dataset\",\"verdict\":\"%s\",\"rationale\":\"because reason %d\"}]}\n", v, k);
        }
    }' > "$1"
}

# require CMD...: skip the test (exit 77) when a tool is missing.
require() {
    local c
    for c in "$@"; do
        command -v "$c" >/dev/null 2>&1 || { echo "SKIP: $c not installed"; exit 77; }
    done
}

# pairs_workspace N: gen_pairs N items into $T/pairs.jsonl and import them as the
# dataset "pairs" of the workspace $WS (= $T/ws.db).
pairs_workspace() {
    gen_pairs "$T/pairs.jsonl" "$1"
    WS="$T/ws.db"
    "$PS_BIN" -w "$WS" import --name pairs "$T/pairs.jsonl" >/dev/null 2>&1 || { echo "FAIL: import"; exit 1; }
}

# cmdline TEXT: run TEXT on the `:` command line.
cmdline() {
    keys :
    type_text "$1"
    keys Enter
}

# my_verdict K: the verdicts human:tester stored on item kK of $WS ("-" for none),
# read from the workspace with sqlite3 (callers `require sqlite3`).
my_verdict() {
    sqlite3 "$WS" "SELECT coalesce(group_concat(j.verdict), '-') FROM judgment j
        JOIN item i ON i.id = j.item_id WHERE i.key = 'k$1' AND j.annotator = 'human:tester'"
}

# expect_verdict K V: fail unless my verdict on item kK is V.
expect_verdict() {
    local got
    got=$(my_verdict "$1")
    [ "$got" = "$2" ] || fail "item $1: my verdict is $got, expected $2"
}

# ---- blind labeling (callers `require sqlite3 python3`) ----

# blind_left K: 1 or 2, the response of item kK the screen shows at the left edge.
blind_left() {
    case "$(screen | grep -m1 -oE '^(alpha|beta) answer '"$1"' ')" in
        alpha*) echo 1 ;;
        beta*) echo 2 ;;
        *) fail "item $1: no response at the left edge" ;;
    esac
}

# blind_pick: a random label key in $key and the side it chooses in $chosen.
blind_pick() {
    case $((RANDOM % 3)) in
        0) key=1 chosen=left ;;
        1) key=2 chosen=right ;;
        *) key="=" chosen=tie ;;
    esac
}

# blind_check SHOWN SEED: the judgments of human:tester in $WS are exactly the
# lines "K LEFT CHOSEN" of the file SHOWN (LEFT: the response shown left, 1 or 2),
# with verdicts in stored order and the shown order and seed in their meta.
blind_check() {
    sqlite3 -separator ' ' "$WS" "SELECT substr(i.key, 2), j.verdict,
            json_extract(j.meta, '\$.blind.left'), json_extract(j.meta, '\$.blind.right'),
            json_extract(j.meta, '\$.blind.chosen'), json_extract(j.meta, '\$.blind.seed')
        FROM judgment j JOIN item i ON i.id = j.item_id
        WHERE j.annotator = 'human:tester'" > "$T/blind_stored"
    python3 - "$1" "$T/blind_stored" "$2" <<'PY' || fail "stored blind judgments differ from what was shown: $(cat "$T/blind_stored")"
import sys
shown = {int(l.split()[0]): l.split()[1:] for l in open(sys.argv[1])}
stored = {int(l.split()[0]): l.split()[1:] for l in open(sys.argv[2])}
assert set(shown) == set(stored), (shown, stored)
for k, (left, chosen) in shown.items():
    verdict, mleft, mright, mchosen, seed = stored[k]
    assert (mleft, mright) == (left, "2" if left == "1" else "1"), (k, stored[k])
    assert mchosen == chosen and seed == sys.argv[3], (k, stored[k])
    want = "tie" if chosen == "tie" else ("A" if (chosen == "left") == (left == "1") else "B")
    assert verdict == want, (k, verdict, want)
PY
}
