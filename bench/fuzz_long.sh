#!/bin/bash
# fuzz_long.sh [SECONDS] [TARGET...]: run each libFuzzer target (tests/fuzz, built as in
# tests/fuzz/README.md into build-fuzz/) for SECONDS (default 600) under `nice -n 19`,
# two at a time (the development machine has two shared cores), starting from the seed
# corpus.  The grown corpus and any crash/timeout/leak inputs go to
# ${FUZZ_OUT:-/tmp/prefscope-fuzz}/TARGET/ (never into the repository: keep a finding
# by copying it into tests/fuzz/corpus/TARGET/ under a name saying what it found).
# Prints one line per target: executions, exec/s, corpus size, findings.
set -u
cd "$(dirname "$0")/.."
secs=${1:-600}
shift || true
targets=${*:-"fuzz_import fuzz_map fuzz_sse fuzz_judge fuzz_text fuzz_parquet fuzz_icai"}
out=${FUZZ_OUT:-/tmp/prefscope-fuzz}
mkdir -p "$out"

run_one() {
    local t=$1 dir=$out/$1
    local bin=build-fuzz/tests/${t}_libfuzzer
    [ -x "$bin" ] || { echo "$t: $bin not built (tests/fuzz/README.md)"; return; }
    rm -rf "$dir" && mkdir -p "$dir/corpus" "$dir/findings"
    [ -d "tests/fuzz/corpus/$t" ] && cp "tests/fuzz/corpus/$t"/* "$dir/corpus/"
    # -timeout: an input slower than 20 s is a finding too (a quadratic parser)
    (cd "$dir" && nice -n 19 "$OLDPWD/$bin" -max_total_time="$secs" -timeout=20 \
        -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$dir/findings/" \
        corpus >"$dir/log" 2>&1)
    local execs rate found
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$dir/log")
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$dir/log")
    found=$(ls "$dir/findings" | tr '\n' ' ')
    # libFuzzer stops at its first finding: say after how long
    [ -n "$found" ] && found="$found(stopped after about $(awk -v e="${execs:-0}" \
        -v r="${rate:-1}" 'BEGIN { printf "%d", e / (r > 0 ? r : 1) }') s)"
    printf '%s: %s executions in %s s (%s/s), corpus %s files, findings: %s\n' "$t" \
        "${execs:-?}" "$secs" "${rate:-?}" "$(ls "$dir/corpus" | wc -l)" "${found:-none}"
}

set -- $targets
while [ $# -gt 0 ]; do
    run_one "$1" &
    a=$!
    if [ $# -gt 1 ]; then
        run_one "$2" &
        b=$!
        wait "$a" "$b"
        shift 2
    else
        wait "$a"
        shift
    fi
done
