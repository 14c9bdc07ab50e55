#!/bin/sh
# Cost of the text pipeline a pair view runs (sanitize, width, wrap, word diff).
#   bench/text_bench.sh [BUILD_DIR]
set -eu
BUILD=${1:-build}
cmake --build "$BUILD" --target text_bench -j2 >/dev/null
/usr/bin/time -f "peak RSS %M KB" "$BUILD/bench/text_bench"
