#!/bin/sh
# Build prefscope and run the whole test suite (ctest): unit, Lua, e2e and tmux tests.
#   scripts/test.sh              normal build in build/
#   PS_SANITIZE=1 scripts/test.sh  ASan+UBSan build in build-asan/ (without the tests
#                                  labelled heavy, which the normal pass runs)
# Extra arguments go to ctest (e.g. -L unit, -R import).
set -e
cd "$(dirname "$0")/.."
if [ "${PS_SANITIZE:-0}" = 1 ]; then
    dir=build-asan
    # heavy: whole-data sweeps the normal pass runs (tests/CMakeLists.txt)
    set -- -E bench -LE heavy "$@"
    cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=Debug -DPS_SANITIZE=ON >/dev/null
    export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
    export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
else
    dir=build
    cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
fi
cmake --build "$dir" -j"$(nproc)"
cd "$dir"
ctest --output-on-failure -j"$(nproc)" "$@"
