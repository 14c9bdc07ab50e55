#!/bin/sh
# device-check.sh TARBALL: scripts/verify-bundle.sh on a remote machine (a GPU box
# without prefscope's libraries), with what the host has and lacks, logged to
# $OUT/device-check.log (or ./device-check.log).  The tarball comes from
# scripts/check-portable.sh; see docs/remote.md for the result on Ubuntu 24.04.
cd "$(dirname "$0")/.." || exit 1
log=${OUT:-.}/device-check.log
{
    echo "date: $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo "kernel: $(uname -srm)"
    . /etc/os-release && echo "os: $PRETTY_NAME"
    echo "nproc: $(nproc)"
    for lib in libcjson.so.1 liblua5.4.so.0 libcurl.so.4 libsqlite3.so.0 libncursesw.so.6 libreadline.so.8; do
        if ldconfig -p 2>/dev/null | grep -q "$lib"; then echo "host has $lib"; else echo "host lacks $lib"; fi
    done
    for tool in tmux script python3 infocmp; do
        command -v $tool >/dev/null && echo "tool: $tool yes" || echo "tool: $tool no"
    done
    bash scripts/verify-bundle.sh "$1" .
    rc=$?
    echo "exit: $rc"
} >"$log" 2>&1
grep -v '^    	' "$log"
exit "$rc"
