#!/bin/bash
# docs/keys.md ends with the tables `prefscope tui --print-keys` prints: every
# line of that output must be in the doc, so the doc cannot drift from keys.h.
set -u
out=$("$PS_BIN" tui --print-keys) || { echo "FAIL: --print-keys"; exit 1; }
[ -n "$out" ] || { echo "FAIL: empty --print-keys"; exit 1; }
missing=$(printf '%s\n' "$out" | grep -v '^$' | grep -vxF -f "$PS_SRC/docs/keys.md")
if [ -n "$missing" ]; then
    echo "FAIL: docs/keys.md is stale; regenerate its tables with 'prefscope tui --print-keys'. Missing:"
    printf '%s\n' "$missing"
    exit 1
fi
printf '%s\n' "$out" | grep -q '^| `:label-a` | items: `1`; pair: `1 A` |' || { echo "FAIL: label-a row"; exit 1; }
# A missing path is a clear error, not a UI.
err=$("$PS_BIN" /nonexistent/data.jsonl 2>&1 </dev/null) && { echo "FAIL: accepted a missing path"; exit 1; }
case "$err" in *"/nonexistent/data.jsonl"*"No such file"*) ;; *) echo "FAIL: unclear error: $err"; exit 1 ;; esac
# Without a terminal the UI refuses cleanly.
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
err=$("$PS_BIN" -w "$T/ws.db" </dev/null 2>&1 >/dev/null) && { echo "FAIL: ran without a terminal"; exit 1; }
case "$err" in *"needs a terminal"*) ;; *) echo "FAIL: unclear error without a tty: $err"; exit 1 ;; esac
echo PASS
