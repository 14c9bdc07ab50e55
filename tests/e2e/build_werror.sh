#!/bin/bash
# -Werror is on for developer builds of a git checkout and off by default for
# Release builds and for a source tarball (no .git); -DPS_WERROR wins over both.
# Then the store module (where gcc 12 -O3 found maybe-uninitialized) compiles
# warning-free at Release with -Werror.
set -u
command -v cmake >/dev/null 2>&1 || { echo "SKIP: cmake not installed"; exit 77; }
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

werror_of() { # DIR SOURCE ARGS...: configure, print the cached PS_WERROR
    local dir=$1 src=$2
    shift 2
    cmake -S "$src" -B "$dir" "$@" >"$dir.log" 2>&1 || { echo "FAIL: configure $*"; cat "$dir.log"; exit 1; }
    sed -n 's/^PS_WERROR:BOOL=//p' "$dir/CMakeCache.txt"
}
expect() { [ "$1" = "$2" ] || { echo "FAIL: $3: PS_WERROR=$1, expected $2"; exit 1; }; }

# A tarball: the sources without .git and without build directories.
mkdir "$T/tarball"
tar -C "$PS_SRC" --exclude=./.git --exclude='./build*' -cf - . | tar -C "$T/tarball" -xf -
[ -e "$T/tarball/CMakeLists.txt" ] && [ ! -e "$T/tarball/.git" ] || { echo "FAIL: tarball copy"; exit 1; }
expect "$(werror_of "$T/b1" "$T/tarball" -DCMAKE_BUILD_TYPE=RelWithDebInfo)" OFF "tarball, RelWithDebInfo"
expect "$(werror_of "$T/b2" "$T/tarball" -DCMAKE_BUILD_TYPE=Release -DPS_WERROR=ON)" ON "tarball, -DPS_WERROR=ON"

if [ -e "$PS_SRC/.git" ]; then
    expect "$(werror_of "$T/b3" "$PS_SRC" -DCMAKE_BUILD_TYPE=RelWithDebInfo)" ON "git checkout, RelWithDebInfo"
    expect "$(werror_of "$T/b4" "$PS_SRC" -DCMAKE_BUILD_TYPE=Debug)" ON "git checkout, Debug"
    expect "$(werror_of "$T/b5" "$PS_SRC" -DCMAKE_BUILD_TYPE=Release)" OFF "git checkout, Release"
else
    echo "note: $PS_SRC is not a git checkout; checkout defaults not checked"
fi

# Release + -Werror compiles the store (the module of the reported failure).
werror_of "$T/rel" "$T/tarball" -DCMAKE_BUILD_TYPE=Release -DPS_WERROR=ON >/dev/null
cmake --build "$T/rel" --target ps_store -j2 >"$T/rel.log" 2>&1 || { echo "FAIL: Release -Werror build of ps_store"; grep -E 'error|warning' "$T/rel.log" | head; exit 1; }
echo PASS
