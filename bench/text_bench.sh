#!/bin/sh
# Cost of the text pipeline a pair view runs (sanitize, width, wrap, word diff).
# The issue-16 word-diff targets come last as RESULT lines (CPU and wall ms, median
# of 7): 4 KB and 100 KB pairs, similar, unrelated, and runs of repeated tokens.
#   bench/text_bench.sh [BUILD_DIR]
# The driver has more modes (bench/README.md, "Word diff"): --case NAME RUNS (one case,
# for perf and callgrind), --seeds N (edit counts over seeds, with the fewest possible
# for 4 KB), --pairs FILE (real pairs from bench/diff_pairs.py).
set -eu
BUILD=${1:-build}
cmake --build "$BUILD" --target text_bench -j2 >/dev/null
/usr/bin/time -f "peak RSS %M KB" "$BUILD/bench/text_bench"
