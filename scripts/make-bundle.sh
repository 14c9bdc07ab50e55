#!/bin/sh
# make-bundle.sh BINARY SRCDIR OUTDIR VERSION
# Make the relocatable tarball OUTDIR/prefscope-VERSION-linux-ARCH.tar.gz from a
# -DPREFSCOPE_PORTABLE=ON build (CMake's `bundle` target runs this; docs/remote.md):
#   bin/prefscope             static Lua, sqlite, ncursesw+tinfo, readline, zlib
#   lib/                      libcurl, cJSON and every non-glibc library they need
#   share/prefscope/          lua-modules (with templates) and themes
#   share/terminfo/           entries for common terminals, used when the host lacks one
#   README                    what is inside, the glibc it needs
set -eu
bin=$1 src=$2 out=$3 ver=$4
arch=$(uname -m)
name=prefscope-$ver-linux-$arch
top=$out/bundle
stage=$top/$name
rm -rf "$top"
mkdir -p "$stage/bin" "$stage/lib" "$stage/share/prefscope" "$stage/share/terminfo"
cp "$bin" "$stage/bin/prefscope"
strip "$stage/bin/prefscope"
cp -R "$src/lua-modules" "$src/themes" "$stage/share/prefscope/"

# glibc's own libraries are the host's; everything else ldd resolves is copied.
is_glibc() {
    case $1 in
    libc.so.* | libm.so.* | libresolv.so.* | libpthread.so.* | libdl.so.* | librt.so.* | \
        libutil.so.* | libanl.so.* | ld-linux*.so.* | linux-vdso.so.*) return 0 ;;
    esac
    return 1
}
ldd "$stage/bin/prefscope" | awk '$2 == "=>" && $3 ~ /^\// { print $1, $3 }' |
    while read -r so path; do
        is_glibc "$so" && continue
        cp -L "$path" "$stage/lib/$so"
        chmod 644 "$stage/lib/$so"
        strip --strip-unneeded "$stage/lib/$so"
    done
# The binary's DT_RPATH ($ORIGIN/../lib) reaches the libraries' own dependencies only
# while none of them carries a RUNPATH of its own.
for f in "$stage"/lib/*; do
    if readelf -d "$f" | grep -qE '\((RUNPATH|RPATH)\)'; then
        echo "make-bundle: $f has its own RUNPATH; its dependencies would escape lib/" >&2
        exit 1
    fi
done

# Compiled terminfo entries for the terminals people SSH from, as found on the build
# host (ncurses-base, ncurses-term).  The TUI falls back to them only when the
# target's own database has no entry for $TERM (src/tui/display.c).
for t in xterm xterm-256color xterm-color screen screen-256color tmux tmux-256color \
    vt100 vt102 vt220 linux dumb ansi rxvt-unicode rxvt-unicode-256color alacritty \
    xterm-kitty foot wezterm st-256color putty putty-256color xterm-ghostty; do
    for d in /etc/terminfo /lib/terminfo /usr/share/terminfo; do
        f=$d/$(printf %.1s "$t")/$t
        if [ -f "$f" ]; then
            mkdir -p "$stage/share/terminfo/$(printf %.1s "$t")"
            cp -L "$f" "$stage/share/terminfo/$(printf %.1s "$t")/$t"
            break
        fi
    done
done

# The oldest glibc this bundle runs on: the highest GLIBC_ symbol version any of its
# ELF files asks for.
glibc=$(for f in "$stage/bin/prefscope" "$stage"/lib/*; do objdump -T "$f"; done |
    grep -o 'GLIBC_[0-9][0-9.]*' | sed 's/GLIBC_//' | sort -t. -k1,1n -k2,2n -k3,3n | tail -1)
cat > "$stage/README" <<README
prefscope $ver, portable bundle for $arch Linux (docs/remote.md in the source tree).

Needs: glibc $glibc or newer, nothing else.  Run bin/prefscope from anywhere (a
symlink on your PATH works); lua-modules, themes and templates are found next to it.
Built on: $(. /etc/os-release && echo "$PRETTY_NAME").
Bundled shared libraries (lib/): $(cd "$stage/lib" && ls | tr '\n' ' ')
README
echo "$glibc" > "$stage/share/prefscope/glibc-required"
tar -C "$top" -czf "$out/$name.tar.gz" "$name"
echo "bundle: $out/$name.tar.gz (needs glibc >= $glibc)"
