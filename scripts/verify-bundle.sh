#!/bin/bash
# verify-bundle.sh TARBALL SRCDIR
# Check a portable tarball the way a GPU box would meet it: unpacked into an empty
# directory, run with `env -i` and an empty LD_LIBRARY_PATH.  Checks that ldd finds
# every library and nothing outside the bundle but glibc; lists the newest GLIBC_
# version each ELF file needs (with PS_GLIBC_MAX=2.31, a newer one fails); that --version, import,
# stats, show, run (shipped Lua modules) and judge (bundled libcurl, shipped
# templates, against tests/e2e/fake_llm.py on loopback when python3 exists) work;
# and, under tmux (or `script`), that the TUI draws and restores the screen, also
# for a TERM only the bundle's terminfo knows.  Used by scripts/check-portable.sh
# (CI) and scripts/device-check.sh.  Prints one "ok:"/"FAIL:" line per check and
# exits 1 if any failed.
set -u
tarball=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
src=$(cd "$2" && pwd)
T=$(mktemp -d)
fails=0
FAKE_PID=""
cleanup() {
    [ -n "$FAKE_PID" ] && kill "$FAKE_PID" 2>/dev/null
    [ -n "${SOCK:-}" ] && tmux -S "$SOCK" kill-server >/dev/null 2>&1
    rm -rf "$T"
}
trap cleanup EXIT
ok() { echo "ok: $*"; }
bad() {
    echo "FAIL: $*"
    fails=$((fails + 1))
}
check() { # DESCRIPTION COMMAND...: run, show the output on failure
    local what=$1
    shift
    if "$@" >"$T/out" 2>&1; then ok "$what"; else
        bad "$what (exit $?)"
        sed 's/^/    /' "$T/out" | head -20
    fi
}

mkdir "$T/unpack" "$T/work" "$T/home"
tar -C "$T/unpack" -xzf "$tarball" || { echo "FAIL: cannot unpack $tarball"; exit 1; }
top=$(echo "$T"/unpack/*)
B=$top/bin/prefscope
[ -x "$B" ] || { echo "FAIL: no bin/prefscope in the tarball"; exit 1; }
echo "host: $(. /etc/os-release 2>/dev/null && echo "$PRETTY_NAME"), $(ldd --version 2>&1 | head -1)"
echo "bundle: $(basename "$tarball"), needs glibc >= $(cat "$top/share/prefscope/glibc-required")"

# A clean environment: no library path, no config, no terminal.
E=(env -i "HOME=$T/home" "PATH=/usr/bin:/bin" "LD_LIBRARY_PATH=" "LANG=C.UTF-8")

# ---- libraries ----
glibc_re='^(libc|libm|libresolv|libpthread|libdl|librt|libutil|libanl)\.so|^ld-linux|^linux-vdso'
# ldd on the binary resolves the whole tree the way the loader will (the bundled
# libraries find each other through the binary's RPATH, so ldd on one of them alone
# would look on the host).
"${E[@]}" ldd "$B" >"$T/ldd" 2>&1
echo "ldd bin/prefscope:"
sed 's/^/    /' "$T/ldd"
if grep -q "not found" "$T/ldd"; then
    bad "ldd: missing $(grep 'not found' "$T/ldd" | awk '{print $1}' | tr '\n' ' ')"
fi
# Every resolved library is glibc's or the bundle's own.
outside=$(awk '$2 == "=>" { print $1, $3 }' "$T/ldd" | while read -r so path; do
    [[ $so =~ $glibc_re ]] && continue
    [ "$(dirname "$(readlink -f "$path")")" = "$(readlink -f "$top/lib")" ] || echo "$so=$path"
done)
if [ -n "$outside" ]; then bad "ldd: from outside the bundle: $outside"; fi
[ "$fails" = 0 ] && ok "ldd: nothing missing; only glibc ($(awk '$2 == "=>" {print $1}' \
    <("${E[@]}" ldd "$B") | grep -E "$glibc_re" | tr '\n' ' ')) from the host"
needed=$(readelf -d "$B" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | tr '\n' ' ')
echo "binary NEEDED: $needed"
for n in $needed; do
    # glibc before 2.34 keeps pthread, dl and rt apart from libc (the glibc 2.31 bundle)
    case $n in libc.so.* | libm.so.* | libpthread.so.0 | libdl.so.2 | librt.so.1 | \
        libcurl.so.* | libcjson.so.*) ;;
    *) bad "binary links $n dynamically (only glibc, libcurl and cJSON may be)" ;;
    esac
done

# ---- the glibc floor: the newest GLIBC_ symbol version each ELF file asks for ----
# PS_GLIBC_MAX=2.31 (scripts/build-portable-compat.sh) makes a newer one a failure.
vsort() { sort -t. -k1,1n -k2,2n -k3,3n; }
floor=0
echo "GLIBC_ versions required:"
while IFS= read -r -d '' f; do
    [ "$(od -An -tx1 -N4 "$f" | tr -d ' \n')" = 7f454c46 ] || continue # \177ELF
    v=$(objdump -T "$f" | grep -o 'GLIBC_[0-9][0-9.]*' | sed 's/GLIBC_//' | vsort | tail -1)
    echo "    ${f#"$top"/}: ${v:-none}"
    [ -n "$v" ] && floor=$(printf '%s\n%s\n' "$floor" "$v" | vsort | tail -1)
done < <(find "$top" -type f -print0)
[ "$floor" = "$(cat "$top/share/prefscope/glibc-required")" ] ||
    bad "share/prefscope/glibc-required says $(cat "$top/share/prefscope/glibc-required"), the files need $floor"
if [ -n "${PS_GLIBC_MAX:-}" ]; then
    if [ "$(printf '%s\n%s\n' "$floor" "$PS_GLIBC_MAX" | vsort | tail -1)" = "$PS_GLIBC_MAX" ]; then
        ok "glibc floor: the bundle needs glibc $floor, at most $PS_GLIBC_MAX"
    else
        bad "glibc floor: the bundle needs glibc $floor, more than $PS_GLIBC_MAX (build it with scripts/build-portable-compat.sh)"
    fi
else
    echo "note: the bundle needs glibc >= $floor (PS_GLIBC_MAX unset: not enforced)"
fi

# ---- commands, with a copy of the samples outside the bundle ----
cp "$src"/samples/tour.jsonl "$src"/samples/*.lua "$T/work/"
cd "$T/work" || exit 1
check "--version" "${E[@]}" "$B" --version
grep -q "prefscope" "$T/out" || bad "--version printed: $(cat "$T/out")"
check "import samples/tour.jsonl" "${E[@]}" "$B" import -w ws.db tour.jsonl
check "stats" "${E[@]}" "$B" stats -w ws.db tour
grep -qi "agreement\|win" "$T/out" || bad "stats printed no statistics: $(head -3 "$T/out")"
check "show --json" "${E[@]}" "$B" show -w ws.db tour 3 --json
check "run samples/label_longer.lua" "${E[@]}" "$B" -w ws.db run label_longer.lua tour
check "run samples/sample_subset.lua (shipped module prefscope.util)" \
    "${E[@]}" "$B" -w ws.db run sample_subset.lua tour 5 7
# Relocated and called through a symlink: data is still found next to the binary.
mv "$top" "$T/moved"
top=$T/moved
B=$top/bin/prefscope
mkdir -p "$T/bin" && ln -s "$B" "$T/bin/prefscope"
printf '%s\n' 'local j = require "prefscope.judge"' \
    'assert(type(j.prompt) == "function")' \
    'print("module from " .. package.searchpath("prefscope.judge", package.path))' >probe.lua
check "relocated + symlink: shipped Lua module" "${E[@]}" "$T/bin/prefscope" run probe.lua
grep -q "$top/share/prefscope/lua-modules" "$T/out" || bad "module not from the bundle: $(cat "$T/out")"
if strings "$B" | grep -q "$src/lua-modules\|$src/themes"; then
    bad "the binary has the build's source path compiled in"
fi

# ---- libcurl + templates: judge against the loopback fake server ----
if command -v python3 >/dev/null; then
    mkfifo "$T/fin"
    python3 "$src/tests/e2e/fake_llm.py" --ports 1 <"$T/fin" >"$T/ports" 2>"$T/fake.err" &
    FAKE_PID=$!
    exec 9>"$T/fin"
    for _ in $(seq 1 100); do grep -q PORTS "$T/ports" 2>/dev/null && break; sleep 0.05; done
    port=$(awk '/PORTS/ {print $2}' "$T/ports")
    check "judge over HTTP (bundled libcurl, shipped template)" "${E[@]}" "$B" -w ws.db judge \
        tour --model fake --base-url "http://127.0.0.1:$port/v1" --sample 3 --json
    grep -q '"requests": *3' "$T/out" || bad "judge: $(cat "$T/out")"
    exec 9>&-
else
    echo "note: python3 absent, judge over HTTP not checked"
fi

# ---- the TUI ----
# A TERM that only the bundle's terminfo knows: the fallback must find it.
mkdir -p "$top/share/terminfo/p"
cp "$top/share/terminfo/x/xterm-256color" "$top/share/terminfo/p/ps-bundle-only"
terms="xterm-256color screen-256color tmux-256color vt100 linux ps-bundle-only"
for t in alacritty rxvt-unicode-256color; do # bundled; a minimal host often lacks them
    infocmp "$t" >/dev/null 2>&1 || terms="$terms $t"
done
if [ -z "${PS_VERIFY_NO_TMUX:-}" ] && command -v tmux >/dev/null; then
    SOCK=$T/tmux.sock
    for term in $terms; do
        printf '%s\n' "cd '$T/work'" \
            "env -i HOME='$T/home' LD_LIBRARY_PATH= LANG=C.UTF-8 TERM=$term '$B' tui -w ws.db -d tour" \
            'echo "[exited $?]"; sleep 60' >"$T/tui.sh"
        tmux -S "$SOCK" -f /dev/null new-session -d -x 100 -y 30 -s t "sh '$T/tui.sh'"
        got=""
        for _ in $(seq 1 100); do
            tmux -S "$SOCK" capture-pane -p -t t | grep -q "\[items\] 1/" && { got=1; break; }
            sleep 0.1
        done
        tmux -S "$SOCK" send-keys -t t j Q
        for _ in $(seq 1 100); do
            tmux -S "$SOCK" capture-pane -p -t t | grep -q "\[exited" && break
            sleep 0.1
        done
        scr=$(tmux -S "$SOCK" capture-pane -p -t t)
        if [ -z "$got" ]; then
            bad "TUI TERM=$term did not draw the item list"
            echo "$scr" | sed 's/^/    /' | head -10
        elif ! echo "$scr" | grep -q "\[exited 0\]"; then
            bad "TUI TERM=$term did not quit cleanly: $(echo "$scr" | grep exited)"
        elif echo "$scr" | grep -q "\[items\]"; then
            bad "TUI TERM=$term left its screen behind"
        else
            ok "TUI under tmux, TERM=$term: draws, quits, screen restored"
        fi
        tmux -S "$SOCK" kill-server >/dev/null 2>&1
        sleep 0.2
    done
elif command -v script >/dev/null; then
    echo "note: no tmux here; the TUI is checked through script(1)"
    for term in $terms; do
        (sleep 3; printf jQ) | env -i HOME="$T/home" LD_LIBRARY_PATH= LANG=C.UTF-8 TERM=$term \
            script -qfec "'$B' tui -w ws.db -d tour" /dev/null >"$T/typescript" 2>&1
        rc=$?
        if [ $rc = 0 ] && grep -q "items\] 1/" "$T/typescript"; then
            ok "TUI under script(1), TERM=$term: draws and quits"
        else
            bad "TUI under script(1), TERM=$term (exit $rc)"
            cat -v "$T/typescript" | tail -3 | cut -c1-200 | sed 's/^/    /'
        fi
    done
else
    echo "note: neither tmux nor script here; the TUI is not checked"
fi
for term in dumb no-such-terminal-x; do
    out=$(env -i HOME="$T/home" LD_LIBRARY_PATH= TERM=$term script -qec "'$B' tui -w ws.db" /dev/null </dev/null 2>&1)
    if echo "$out" | grep -q "prefscope: .*TERM=$term"; then ok "TERM=$term refused with: $(echo "$out" | head -1 | cut -c1-90)..."
    else bad "TERM=$term: $(echo "$out" | head -2 | cat -v)"; fi
done

if [ "$fails" = 0 ]; then echo "verify-bundle: all checks passed"; else echo "verify-bundle: $fails checks FAILED"; fi
[ "$fails" = 0 ]
