#!/bin/sh
# Install every Debian 12 package prefscope needs to build and to run its tests.
# Run as root (or it uses sudo when available).  ncurses-term only widens the set of
# terminfo entries the portable bundle carries (scripts/make-bundle.sh).
set -e
PKGS="build-essential cmake pkg-config
libncurses-dev libreadline-dev liblua5.4-dev lua5.4 libcurl4-openssl-dev libcjson-dev
libsqlite3-dev sqlite3 zlib1g-dev libzstd-dev liblz4-dev libbrotli-dev
tmux python3 git time ncurses-term"
# node and npm run the Parquet interoperability tests (tests/e2e/parquet_*.sh, which
# npm-install hyparquet and hyparquet-writer into the build directory)
command -v node >/dev/null 2>&1 || PKGS="$PKGS nodejs"
command -v npm >/dev/null 2>&1 || PKGS="$PKGS npm"
SUDO=""
if [ "$(id -u)" != 0 ]; then
    command -v sudo >/dev/null 2>&1 && SUDO=sudo
fi
missing=""
for p in $PKGS; do
    dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"
done
if [ -n "$missing" ]; then
    echo "installing:$missing" >&2
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $missing >/dev/null
fi
