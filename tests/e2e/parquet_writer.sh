#!/usr/bin/env bash
# Preference-shaped Parquet written by an independent writer (npm hyparquet-writer):
# every encoding and codec it can produce, read back by the independent reader
# (npm hyparquet) and by prefscope, compared field by field; imports with the right
# counts, equal to the same rows as JSON Lines; shards as one dataset; a pipe and a
# damaged file refused atomically.  Skipped (77) without node/npm or when npm cannot
# install the packages (offline); they install once into the build directory.
set -euo pipefail
: "${PS_BIN:?PS_BIN not set}"
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=parquet_npm.bash
. "$HERE/parquet_npm.bash"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
# node resolves packages next to the script, so it runs from the npm directory
cp "$HERE/parquet_writer.mjs" "$NPMDIR/"
for seed in 7 20261204; do
    mkdir -p "$WORK/$seed"
    node "$NPMDIR/parquet_writer.mjs" "$WORK/$seed" "$seed"
done
export PS_BIN WORK
export PQ_DUMP="$(dirname "$PS_BIN")/tests/test_parquet"
python3 "$HERE/parquet_writer.py"
