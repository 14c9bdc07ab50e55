#!/bin/bash
# TUI benchmark on a 1,000,000-item workspace (issue 3 targets):
#   launch to first full screen <= 100 ms, redraw after page-down <= 5 ms,
#   a search <= 200 ms, peak RSS <= 64 MB.
#
# usage: bench/tui_bench.sh [BUILD_DIR] [N_ITEMS]
# The workspace is generated once into $BENCH_DIR (default /tmp/ps-tui-bench) and
# reused.  Timings come from PS_TUI_BENCH, which makes the UI log, per event:
#   first_paint_ms N    process start (cmd_tui entry) to the first doupdate()
#   key CODE MS         handling a key plus the repaint it caused
#   search_ms N         one / search (FTS query + positioning + page load)
#   peak_rss_kb N       VmHWM at exit
# The key is sent by tmux, so what is measured is the program, not the terminal.
set -eu
BUILD=${1:-$(dirname "$0")/../build}
N=${2:-1000000}
BIN=$(cd "$BUILD" && pwd)/prefscope
BENCH_DIR=${BENCH_DIR:-/tmp/ps-tui-bench}
mkdir -p "$BENCH_DIR"
WS="$BENCH_DIR/ws-$N.db"
export LANG=C.UTF-8 LC_ALL=C.UTF-8 TERM=xterm-256color PREFSCOPE_USER=bench
unset TMUX NO_COLOR

if [ ! -f "$WS" ]; then
    echo "generating $N items..."
    awk -v n="$N" 'BEGIN {
        for (k = 1; k <= n; k++) {
            w = (k % 9973 == 0) ? " marmalade" : "";
            printf("{\"key\":\"k%d\",\"prompt\":\"question %d about topic %d and more words%s\",", k, k, k % 1000, w);
            printf("\"responses\":[{\"text\":\"first answer %d with some common words in it\",\"model\":\"m%d\"},", k, k % 7);
            printf("{\"text\":\"second answer %d with other words in it\",\"model\":\"m%d\"}],", k, (k + 3) % 7);
            printf("\"judgments\":[{\"a\":0,\"b\":1,\"annotator\":\"dataset\",\"verdict\":\"%s\"}]}\n", (k % 3) ? "A" : "B");
        }
    }' > "$BENCH_DIR/big.jsonl"
    echo "importing (this takes a while)..."
    /usr/bin/time -f "import: %e s, %M KB peak" "$BIN" -w "$WS" import --name big "$BENCH_DIR/big.jsonl"
    rm -f "$BENCH_DIR/big.jsonl"
fi

SOCK="$BENCH_DIR/tmux.sock"
LOG="$BENCH_DIR/tui.log"
rm -f "$LOG"
tmux -S "$SOCK" kill-server 2>/dev/null || true
wait_for() {
    for _ in $(seq 1 600); do
        tmux -S "$SOCK" capture-pane -p -t b | grep -qF -- "$1" && return 0
        sleep 0.05
    done
    echo "timed out waiting for $1"; tmux -S "$SOCK" capture-pane -p -t b; exit 1
}
run() {
    tmux -S "$SOCK" -f /dev/null new-session -d -x 120 -y 40 -s b \
        "env PS_TUI_BENCH='$LOG' TERM=xterm-256color '$BIN' -w '$WS' $*; sleep 600"
    tmux -S "$SOCK" set-option -g status off >/dev/null
}

# 1. Launch straight into the item list, 5 times (cold-ish then warm cache).
for i in 1 2 3 4 5; do
    run -d big
    wait_for "[items] 1/$N"
    tmux -S "$SOCK" send-keys -t b Q
    sleep 0.3
    tmux -S "$SOCK" kill-server 2>/dev/null || true
done
# 2. Page down 50 times, then a search and n twice.
run -d big
wait_for "[items] 1/$N"
for i in $(seq 1 50); do tmux -S "$SOCK" send-keys -t b PageDown; sleep 0.02; done
wait_for "[items] $((50 * 37 + 1))/$N"
tmux -S "$SOCK" send-keys -t b G
wait_for "[items] $N/$N"
tmux -S "$SOCK" send-keys -t b g g
wait_for "[items] 1/$N"
tmux -S "$SOCK" send-keys -t b / ; sleep 0.2
tmux -S "$SOCK" send-keys -t b -l marmalade ; tmux -S "$SOCK" send-keys -t b Enter
wait_for "/marmalade: item 9973"
tmux -S "$SOCK" send-keys -t b n
wait_for "/marmalade: item 19946"
tmux -S "$SOCK" send-keys -t b n
wait_for "/marmalade: item 29919"
# Pair view, J through 20 pairs.
tmux -S "$SOCK" send-keys -t b Enter
wait_for "pair 29919/"
for i in $(seq 1 20); do tmux -S "$SOCK" send-keys -t b J; sleep 0.02; done
wait_for "pair 29939/"
tmux -S "$SOCK" send-keys -t b Q
sleep 0.5
tmux -S "$SOCK" kill-server 2>/dev/null || true

echo "== results ($N items, $(nproc) cores) =="
awk '
/^first_paint_ms/ { fp = fp " " $2 }
/^key 1073742162 / { pd[npd++] = $3 }   # KEY_NPAGE
/^search_ms/ { sr = sr " " $2 }
/^peak_rss_kb/ { if ($2 > rss) rss = $2 }
END {
    printf("launch to first screen (ms):%s\n", fp);
    n = asort(pd);
    if (n) printf("page-down key+redraw (ms): median %.3f  p90 %.3f  max %.3f  (n=%d)\n", pd[int((n+1)/2)], pd[int(n*0.9)], pd[n], n);
    printf("search (ms):%s\n", sr);
    printf("peak RSS: %.1f MB\n", rss / 1024);
}' "$LOG"
grep '^key' "$LOG" | awk '{ k[$2] = k[$2] " " $3 } END { for (c in k) { n = split(k[c], a, " "); m = 0; for (i in a) if (a[i] > m) m = a[i]; printf("  key %d: n=%d max %.3f ms\n", c, n, m) } }'
