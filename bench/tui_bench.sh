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
stop() {
    tmux -S "$SOCK" kill-server 2>/dev/null || true
    for _ in $(seq 1 100); do tmux -S "$SOCK" list-sessions >/dev/null 2>&1 || break; sleep 0.1; done
    rm -f "$SOCK"
}
stop
wait_for() {
    for _ in $(seq 1 600); do
        tmux -S "$SOCK" capture-pane -p -t b | grep -qF -- "$1" && return 0
        sleep 0.05
    done
    echo "timed out waiting for $1"; tmux -S "$SOCK" capture-pane -p -t b; exit 1
}
run() {
    tmux -S "$SOCK" -f /dev/null new-session -d -x 120 -y 40 -s b \
        "env PS_TUI_BENCH='${LOG}' TERM=xterm-256color '$BIN' tui -w '$WS' $*; sleep 600"
    tmux -S "$SOCK" set-option -g status off >/dev/null
}

# 1. Launch straight into the item list, 5 times (cold-ish then warm cache).
for i in 1 2 3 4 5; do
    run -d big
    wait_for "[items] 1/$N"
    tmux -S "$SOCK" send-keys -t b Q
    sleep 0.3
    stop
done
# 1a. Whole process, measured from outside: exec, open, first paint of the item
# list, then a Q typed ahead quits (wall time of the process, bash `time`).
WALL_LOG="$BENCH_DIR/wall.log"
rm -f "$WALL_LOG"
for i in 1 2 3 4 5; do
    tmux -S "$SOCK" -f /dev/null new-session -d -x 120 -y 40 -s b \
        "bash -c 'TIMEFORMAT=%3R; { time env TERM=xterm-256color $BIN tui -w $WS -d big >/dev/tty; } 2>>$WALL_LOG'; sleep 600"
    tmux -S "$SOCK" send-keys -t b Q
    for _ in $(seq 1 100); do [ -f "$WALL_LOG" ] && [ "$(wc -l < "$WALL_LOG")" -ge "$i" ] && break; sleep 0.1; done
    stop
done
# 1b. Launch on the workspace (the dataset list, whose annotator column
# aggregates every judgment of every dataset: store_dataset_list).
LIST_LOG="$BENCH_DIR/list.log"
rm -f "$LIST_LOG"
for i in 1 2 3; do
    LOG=$LIST_LOG run
    wait_for "[datasets] 1/1"
    tmux -S "$SOCK" send-keys -t b Q
    sleep 0.3
    stop
done
# 2. Page down 50 times, then a search and n twice.
run -d big
wait_for "[items] 1/$N"
for i in $(seq 1 50); do tmux -S "$SOCK" send-keys -t b PageDown; sleep 0.02; done
wait_for "[items] $((50 * 36 + 1))/$N"
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
# A word in every item: the next match is the next item.
tmux -S "$SOCK" send-keys -t b / ; sleep 0.2
tmux -S "$SOCK" send-keys -t b -l words ; tmux -S "$SOCK" send-keys -t b Enter
wait_for "/words: item 29920"
tmux -S "$SOCK" send-keys -t b / ; sleep 0.2
tmux -S "$SOCK" send-keys -t b -l marmalade ; tmux -S "$SOCK" send-keys -t b Enter
wait_for "/marmalade: item 39892"
tmux -S "$SOCK" send-keys -t b N
wait_for "/marmalade: item 29919"
# Pair view, J through 20 pairs.
tmux -S "$SOCK" send-keys -t b Enter
wait_for "pair 29919/"
for i in $(seq 1 20); do tmux -S "$SOCK" send-keys -t b J; sleep 0.02; done
wait_for "pair 29939/"
tmux -S "$SOCK" send-keys -t b Q
sleep 0.5
stop

# 3. Labeling under a filter (on a copy: labels are written): f label=none, then
# label 10 items from the list and 10 in the pair view.
cp "$WS" "$BENCH_DIR/label.db"
LABEL_LOG="$BENCH_DIR/label.log"
rm -f "$LABEL_LOG"
tmux -S "$SOCK" -f /dev/null new-session -d -x 120 -y 40 -s b \
    "env PS_TUI_BENCH='$LABEL_LOG' TERM=xterm-256color '$BIN' tui -w '$BENCH_DIR/label.db' -d big; sleep 600"
tmux -S "$SOCK" set-option -g status off >/dev/null
wait_for "[items] 1/$N"
tmux -S "$SOCK" send-keys -t b f ; sleep 0.2
tmux -S "$SOCK" send-keys -t b -l "label=none" ; tmux -S "$SOCK" send-keys -t b Enter
wait_for "[filter: label=none]"
for i in $(seq 1 10); do tmux -S "$SOCK" send-keys -t b 1; sleep 0.05; done
wait_for "$((N - 10)) items"
tmux -S "$SOCK" send-keys -t b Enter
wait_for "pair 1/"
for i in $(seq 1 10); do tmux -S "$SOCK" send-keys -t b 2 J; sleep 0.05; done
wait_for "pair 1/$((N - 20))"
tmux -S "$SOCK" send-keys -t b Q
sleep 0.5
stop
rm -f "$BENCH_DIR/label.db" "$BENCH_DIR/label.db-wal" "$BENCH_DIR/label.db-shm"

echo "== results ($N items, $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)) =="
stats() { # label, then numbers on stdin
    sort -n | awk -v l="$1" '{ v[NR] = $1 } END {
        if (NR) printf("%-34s median %8.3f  p90 %8.3f  max %8.3f  (n=%d)\n", l, v[int((NR + 1) / 2)], v[int(NR * 0.9) > 0 ? int(NR * 0.9) : 1], v[NR], NR) }'
}
awk '/^first_paint_ms/ { print $2 }' "$LOG" | stats "launch into the item list (ms)"
awk '/^first_paint_ms/ { print $2 }' "$LIST_LOG" | stats "launch into the dataset list (ms)"
awk '{ print $1 * 1000 }' "$WALL_LOG" | stats "exec + first screen + quit (ms)"
awk '/^key 1073742162 / { print $3 }' "$LOG" | stats "page-down, key to painted (ms)"
awk '/^key 106 / { print $3 }' "$LOG" | stats "j, key to painted (ms)"
awk '/^key 74 / { print $3 }' "$LOG" | stats "J in pair view (ms)"
awk '/^key 71 / { print $3 }' "$LOG" | stats "G, last page (ms)"
awk '/^search_ms/ { print $2 }' "$LOG" | stats "search / and n (ms)"
awk '/^key 49 / { print $3 }' "$LABEL_LOG" | stats "label (1) under label=none (ms)"
awk '/^key 50 / { print $3 }' "$LABEL_LOG" | stats "label (2) in pair view, filter (ms)"
awk '/^peak_rss_kb/ { print $2 / 1024 }' "$LOG" | stats "peak RSS (MB)"
