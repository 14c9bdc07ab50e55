#!/bin/bash
# build-portable-compat.sh [CHROOT]: build the portable bundle against glibc 2.31, so
# that it runs on every x86-64 Linux with glibc >= 2.31 (Debian 11, Ubuntu 20.04,
# RHEL 9 and newer; docs/remote.md).  A bundle built on Debian 12 asks for glibc 2.34
# (__libc_start_main, the pthread symbols that moved into libc), because a binary
# needs the glibc it was linked against, or newer.  So this builds inside a Debian 11
# (bullseye, glibc 2.31) chroot:
#   1. CHROOT (default $PS_COMPAT_ROOT or /var/tmp/prefscope-bullseye) is made with
#      debootstrap and the build packages the first time (about 3 minutes, 600 MB);
#      later runs reuse it.  Needs root and debootstrap (`apt-get install debootstrap`).
#   2. The working tree (tracked and untracked, not ignored files) is copied into it
#      and built with -DPREFSCOPE_PORTABLE=ON, Release, as scripts/check-portable.sh
#      does but without -Werror (gcc 10 warns wrongly about designated initializers
#      holding compound literals; the -Werror gate is the normal build): Debian 11's static Lua, sqlite, ncursesw,
#      readline and codecs go into the binary, its libcurl and cJSON into lib/.
#   3. The tarball lands in build-portable-compat/, and is checked three ways:
#      scripts/verify-bundle.sh on this host with PS_GLIBC_MAX=2.31 (every ELF file in
#      the bundle asks for GLIBC_2.31 at most), then unpacked inside the chroot and
#      run there with `env -i` (--version, import, stats, show, run): on glibc 2.31.
# The chroot lives outside the repository and is never committed.
set -eu
cd "$(dirname "$0")/.."
src=$(pwd)
root=${1:-${PS_COMPAT_ROOT:-/var/tmp/prefscope-bullseye}}
mirror=${PS_COMPAT_MIRROR:-http://deb.debian.org/debian}
glibc_max=2.31
pkgs=build-essential,cmake,pkg-config,libncurses-dev,libreadline-dev,liblua5.4-dev
pkgs=$pkgs,libcurl4-openssl-dev,libcjson-dev,libsqlite3-dev,zlib1g-dev,libzstd-dev
pkgs=$pkgs,liblz4-dev,libbrotli-dev,ncurses-term,binutils
t0=$(date +%s)
say() { echo "build-portable-compat: $* ($(($(date +%s) - t0)) s)"; }

[ "$(id -u)" = 0 ] || { echo "build-portable-compat: needs root (chroot)" >&2; exit 1; }
if [ ! -x "$root/usr/bin/cmake" ]; then
    command -v debootstrap >/dev/null || {
        echo "build-portable-compat: no debootstrap; apt-get install debootstrap" >&2
        exit 1
    }
    say "making the Debian 11 chroot in $root"
    mkdir -p "$root"
    debootstrap --variant=minbase --include="$pkgs" bullseye "$root" "$mirror" \
        >"$root.debootstrap.log" 2>&1 || {
        echo "build-portable-compat: debootstrap failed; see $root.debootstrap.log" >&2
        exit 1
    }
fi
have=$(chroot "$root" ldd --version | head -1 | grep -o '[0-9.]*$')
say "chroot $root has glibc $have"

# The tree as git sees it (so build outputs and workspaces stay behind).
rm -rf "$root/src/prefscope"
mkdir -p "$root/src/prefscope"
git ls-files -z -co --exclude-standard | tar -cf - --null -T - | tar -C "$root/src/prefscope" -xf -
chroot "$root" /usr/bin/env -i PATH=/usr/bin:/bin HOME=/root LANG=C.UTF-8 /bin/sh -ec '
    cd /src/prefscope
    cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DPS_WERROR=OFF -DPREFSCOPE_PORTABLE=ON >/dev/null
    cmake --build build -j"$(nproc)" 2>&1 | grep -v "^\[\|^Scanning" || true
    ls build/prefscope-*-linux-*.tar.gz >/dev/null'
say "built"
rm -rf build-portable-compat
mkdir -p build-portable-compat
cp "$root"/src/prefscope/build/prefscope-*-linux-*.tar.gz build-portable-compat/
tarball=$(ls build-portable-compat/prefscope-*-linux-*.tar.gz)

# On this host: the whole verify-bundle.sh, with the glibc floor enforced.
PS_GLIBC_MAX=$glibc_max bash scripts/verify-bundle.sh "$tarball" .

# In the chroot: glibc 2.31 itself runs it, unpacked in an empty directory.
rm -rf "$root/tmp/pscheck"
mkdir -p "$root/tmp/pscheck/work" "$root/tmp/pscheck/home"
tar -C "$root/tmp/pscheck" -xzf "$tarball"
cp samples/tour.jsonl samples/label_longer.lua samples/sample_subset.lua "$root/tmp/pscheck/work/"
# A GPU box has /proc (the binary finds its data through /proc/self/exe): mount one.
mount -t proc proc "$root/proc"
trap 'umount "$root/proc"' EXIT
chroot "$root" /usr/bin/env -i PATH=/usr/bin:/bin /bin/sh -ec '
    cd /tmp/pscheck/work
    B=$(echo /tmp/pscheck/prefscope-*/bin/prefscope)
    E="env -i HOME=/tmp/pscheck/home LD_LIBRARY_PATH= LANG=C.UTF-8"
    echo "in the chroot: $(ldd --version | head -1)"
    $E ldd "$B" | grep -q "not found" && { echo "FAIL: ldd in the chroot"; $E ldd "$B"; exit 1; }
    $E "$B" --version
    $E "$B" import -w ws.db tour.jsonl
    $E "$B" stats -w ws.db tour | grep -qi "agreement\|win"
    $E "$B" show -w ws.db tour 3 --json >/dev/null
    $E "$B" -w ws.db run label_longer.lua tour >/dev/null
    $E "$B" -w ws.db run sample_subset.lua tour 5 7 >/dev/null
    echo "ok: --version, import, stats, show, run under glibc $(ldd --version | head -1 | grep -o "[0-9.]*$")"'
umount "$root/proc"
trap - EXIT
rm -rf "$root/tmp/pscheck"
say "done: $tarball (needs glibc >= $(tar -xzOf "$tarball" --wildcards '*/share/prefscope/glibc-required'))"
