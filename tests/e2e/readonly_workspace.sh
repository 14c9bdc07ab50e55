#!/bin/bash
# A workspace this user cannot write (issue 15 #9): in a read-only directory (no room
# for WAL's -wal/-shm files) or a read-only file, reading commands work, the user is
# told once (on stderr) that it is read-only, writing commands fail with a clear
# message, and the file is not changed.  As root (CI containers) the commands run as
# `nobody` through setpriv, since root ignores permissions.
. "$PS_TESTS/e2e/checks.bash"
chmod 755 "$T"
as_user() { "$@"; }
if [ "$(id -u)" = 0 ]; then
    command -v setpriv >/dev/null || { echo "SKIP: root without setpriv"; exit 77; }
    as_user() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
fi
mkdir "$T/ro" "$T/rw"
for d in ro rw; do
    "$PS_BIN" import -w "$T/$d/ws.db" --name tour "$PS_SRC/samples/tour.jsonl" 2>/dev/null || fail "import $d"
    [ "$d" = ro ] && chmod 555 "$T/$d"
    chmod 444 "$T/$d/ws.db"
    chmod 755 "$T/rw"
done
for d in ro rw; do
    W=$T/$d/ws.db
    before=$(sha256sum "$W")
    as_user "$PS_BIN" ls -w "$W" >"$T/out" 2>"$T/err" || fail "$d: ls failed: $(cat "$T/err")"
    grep -q "^tour " "$T/out" || fail "$d: ls output: $(cat "$T/out")"
    [ "$(grep -c 'opened read-only' "$T/err")" = 1 ] || fail "$d: notice not said once: $(cat "$T/err")"
    as_user "$PS_BIN" stats -w "$W" tour --json >"$T/out" 2>"$T/err" || fail "$d: stats: $(cat "$T/err")"
    python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$T/out" || fail "$d: stats --json is not JSON"
    as_user "$PS_BIN" show -w "$W" tour 3 --json >/dev/null 2>&1 || fail "$d: show"
    as_user "$PS_BIN" export -w "$W" tour --format trl -o - >"$T/out" 2>/dev/null || fail "$d: export"
    [ "$(wc -l <"$T/out")" -gt 10 ] || fail "$d: export wrote $(wc -l <"$T/out") lines"
    as_user "$PS_BIN" import -w "$W" --name more "$PS_SRC/samples/tour.jsonl" 2>"$T/err" &&
        fail "$d: import into a read-only workspace succeeded"
    grep -q "readonly\|read-only" "$T/err" || fail "$d: import error: $(cat "$T/err")"
    [ "$(sha256sum "$W")" = "$before" ] || fail "$d: the workspace file changed"
done
# Without a writer's -wal/-shm files sqlite reads the file as immutable, so a change
# by another writer would not be seen: the notice says so.
as_user "$PS_BIN" ls -w "$T/ro/ws.db" 2>&1 >/dev/null | grep -q "not seen" || fail "ro: caveat missing"
checks_done
