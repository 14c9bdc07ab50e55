#!/usr/bin/env bash
# A big new file on screen (issue 16, point 2): the time from starting
# `prefscope FILE` on an N-record JSONL that is not in the workspace yet until the
# first screen of items is drawn, and until the whole file is in (the import
# streams in behind the screen: src/app/stream.c).  The same for VisiData (`vd
# FILE`: first screen, and fully loaded when its status shows "N rows") when it is
# installed; a line says so when it is not.
#
#   bench/first_screen_bench.sh [N] [RUNS]     N = 200000 records, RUNS = 3
#
# The file is N HH-RLHF harmless test records (../shared/data, each with a fresh
# id), made once in BENCH_DIR (default a fresh mktemp -d, removed at the end).  The
# two programs run alternately in a private tmux server; the screen is polled with
# capture-pane every 20 ms, so the times include up to ~20 ms of polling and tmux's
# own delay, the same for both.  Prints one line per run, the medians, and
#   RESULT first_screen ours_s=... vd_s=... ours_full_s=... vd_full_s=...
# (vd_*=NA when VisiData is not installed).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
N=${1:-200000}
RUNS=${2:-3}
PS_BIN=${PS_BIN:-$HERE/../build/prefscope}
PS_DATA=${PS_DATA:-$HERE/../../shared/data}
HH=$PS_DATA/hh_rlhf_harmless_test/harmless-base_test.jsonl.gz
[ -x "$PS_BIN" ] || { echo "prefscope binary not found at $PS_BIN (build first)" >&2; exit 1; }
[ -f "$HH" ] || { echo "HH data not found at $HH" >&2; exit 1; }
command -v tmux > /dev/null || { echo "tmux is needed" >&2; exit 1; }
DIR=${BENCH_DIR:-$(mktemp -d)}
mkdir -p "$DIR"
SOCK="$DIR/tmux.sock"
export LANG=C.UTF-8 LC_ALL=C.UTF-8 TERM=xterm-256color PREFSCOPE_USER=bench
unset TMUX NO_COLOR PREFSCOPE_WORKSPACE
stop() {
    tmux -S "$SOCK" kill-server 2> /dev/null || true
    for _ in $(seq 1 100); do tmux -S "$SOCK" list-sessions > /dev/null 2>&1 || break; sleep 0.05; done
    rm -f "$SOCK"
}
cleanup() {
    stop
    [ -n "${BENCH_KEEP:-}" ] || rm -rf "$DIR"/fs_* "$DIR"/ws.db* "$DIR"/vd_home
}
trap cleanup EXIT

FILE="$DIR/fs_$N.jsonl"
if [ ! -f "$FILE" ]; then
    python3 "$(dirname "$0")/hh_gen.py" "$HH" "$N" "$FILE"
fi
echo "file: $N records, $(($(stat -c %s "$FILE") / 1000000)) MB"

now() { date +%s.%N; }
# measure CMD FIRST FULL: start CMD in tmux, print "first full" seconds: until the
# screen shows FIRST, then FULL (FULL empty: not measured, NA)
measure() {
    local cmd=$1 first=$2 full=$3 t0 t1 t2=NA i
    stop
    t0=$(now)
    tmux -S "$SOCK" -f /dev/null new-session -d -x 160 -y 40 -s b "$cmd; sleep 600"
    for i in $(seq 1 3000); do
        tmux -S "$SOCK" capture-pane -p -t b 2> /dev/null | grep -qF -- "$first" && break
        sleep 0.02
    done
    t1=$(now)
    if [ -n "$full" ]; then
        for i in $(seq 1 30000); do
            tmux -S "$SOCK" capture-pane -p -t b 2> /dev/null | grep -qF -- "$full" && break
            sleep 0.02
        done
        t2=$(printf "%.3f" "$(echo "$(now) - $t0" | bc)")
    fi
    echo "$(printf "%.3f" "$(echo "$t1 - $t0" | bc)") $t2"
    stop
}

VD=$(command -v vd || command -v visidata || true)
[ -n "$VD" ] || echo "VisiData: skipped (vd is not installed; apt-get install visidata)"
NF=$(echo "$N" | sed -E ':a; s/([0-9])([0-9]{3})($|,)/\1,\2\3/; ta')
ours=() ours_full=() vds=() vds_full=()
for r in $(seq 1 "$RUNS"); do
    rm -f "$DIR"/ws.db*
    read -r a b <<< "$(measure "cd '$DIR' && '$PS_BIN' -w ws.db '$FILE'" "[items] 1/" "import done: $NF records")"
    ours+=("$a")
    ours_full+=("$b")
    echo "run $r: prefscope first screen ${a} s, all in ${b} s"
    if [ -n "$VD" ]; then
        mkdir -p "$DIR/vd_home"
        read -r a b <<< "$(measure "cd '$DIR' && HOME='$DIR/vd_home' '$VD' '$FILE'" "Human:" "$N rows")"
        vds+=("$a")
        vds_full+=("$b")
        echo "run $r: VisiData  first screen ${a} s, all in ${b} s"
    fi
done
median() {
    [ $# -gt 0 ] || { echo NA; return; }
    printf '%s\n' "$@" | sort -g |
        awk '{v[NR] = $1} END {printf "%.3f\n", (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'
}
o=$(median "${ours[@]}")
of=$(median "${ours_full[@]}")
v=$(median "${vds[@]+"${vds[@]}"}")
vf=$(median "${vds_full[@]+"${vds_full[@]}"}")
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) CPUs (wall times grow with it)"
echo "median of $RUNS: prefscope first screen $o s (all in $of s); VisiData $v s (all in $vf s)"
echo "RESULT first_screen ours_s=$o vd_s=$v ours_full_s=$of vd_full_s=$vf"
