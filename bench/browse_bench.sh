#!/bin/sh
# Item-list queries on a 1,000,000-item workspace (issue 3's targets: first screen
# <= 100 ms, page-down <= 5 ms, a search <= 200 ms).  Generates the workspace once
# (a few minutes) in $BENCH_DIR (default /tmp/prefscope-bench) and reuses it.
#   bench/browse_bench.sh [BUILD_DIR] [N_ITEMS]
set -eu
BUILD=${1:-build}
N=${2:-1000000}
DIR=${BENCH_DIR:-/tmp/prefscope-bench}
mkdir -p "$DIR"
cmake --build "$BUILD" --target browse_bench -j2 >/dev/null
WS="$DIR/browse-$N.db"
/usr/bin/time -f "peak RSS %M KB, %e s" "$BUILD/bench/browse_bench" "$WS" "$N"
ls -l "$WS" | awk '{ printf "workspace: %.0f MB\n", $5 / 1048576 }'
