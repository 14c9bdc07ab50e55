#!/bin/sh
# Build the portable bundle (-DPREFSCOPE_PORTABLE=ON, in build-portable/) and check
# it as a GPU box would meet it: scripts/verify-bundle.sh unpacks it into an empty
# directory and runs it with `env -i` and an empty LD_LIBRARY_PATH (ldd, --version,
# import, stats, run, judge over loopback HTTP, the TUI under several TERMs).
# docs/remote.md explains the bundle.  CI runs this (.ci/run).  This bundle needs the
# build host's glibc (2.34 on Debian 12); verify-bundle.sh prints that floor, and
# scripts/build-portable-compat.sh builds the glibc 2.31 one and enforces it.
# The bundle is a Release build with -Werror: what we ship, and the optimisation level
# at which gcc finds warnings (maybe-uninitialized) that developer builds do not.
set -e
cd "$(dirname "$0")/.."
cmake -S . -B build-portable -DCMAKE_BUILD_TYPE=Release -DPS_WERROR=ON -DPREFSCOPE_PORTABLE=ON \
    >/dev/null
cmake --build build-portable -j"$(nproc)"
tarball=$(ls -t build-portable/prefscope-*-linux-*.tar.gz | head -1)
exec bash scripts/verify-bundle.sh "$tarball" .
