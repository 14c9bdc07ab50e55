#!/bin/bash
# The REPL as a help system: help(ps.model), help("m:chat") and ?ps.model print an
# entry of docs/lua-api.md itself (compiled into the binary at build time): its
# heading (the signature), its first paragraph and its first example; functions
# print with their signature instead of "function: 0x...".
. "$PS_TESTS/tui/lib.bash"
tui_setup
require python3
DOC="$PS_TESTS/../docs/lua-api.md"
[ -f "$DOC" ] || fail "no $DOC"

# Every documented ps.* function's help starts with its heading, exactly: checked
# for all of them headless, against the headings read here from the file.
python3 - "$DOC" > "$T/names" <<'PY'
import re, sys
for line in open(sys.argv[1], encoding="utf-8"):
    m = re.match(r"^### (ps\.[a-z_.]+)\(", line)
    if m:
        print(m.group(1) + "\t" + line[4:].rstrip("\n").replace("`", ""))
PY
[ "$(wc -l < "$T/names")" -ge 20 ] || fail "too few documented functions found"
cut -f1 "$T/names" | awk '{ printf("print(\"@@ %s\") help(\"%s\")\n", $1, $1) }' > "$T/all.lua"
"$PS_BIN" -w "$T/ws.db" run "$T/all.lua" > "$T/all.out" 2>&1 || fail "help run failed: $(head "$T/all.out")"
python3 - "$T/names" "$T/all.out" <<'PY' || fail "help differs from docs/lua-api.md"
import sys
want = dict(l.rstrip("\n").split("\t", 1) for l in open(sys.argv[1], encoding="utf-8"))
out = open(sys.argv[2], encoding="utf-8").read().split("@@ ")[1:]
got = {}
for chunk in out:
    name, _, rest = chunk.partition("\n")
    got[name] = rest.split("\n", 1)[0]
bad = [(n, got.get(n), w) for n, w in want.items() if got.get(n) != w]
if bad:
    for b in bad[:5]:
        print("mismatch:", b)
    sys.exit(1)
PY

tui_start 110 40 -w "$T/ws.db" repl
wait_for "Ctrl-D leaves"
type_text '?ps.model'; keys Enter
wait_for "ps.model(name | table) -> Model | nil, msg"
wait_for "Example:"
assert_screen_has 'local m = assert(ps.model("local"))'
keys C-l
type_text 'help("m:chat")'; keys Enter
wait_for "m:chat{...} -> result | nil, msg, result"
type_text 'ps.dataset'; keys Enter
wait_for "function ps.dataset(name) -> Dataset | nil, msg"
assert_screen_lacks "function: 0x"
type_text 'function twice(x, y, ...) return x end'; keys Enter
type_text 'twice'; keys Enter
wait_for "function (x, y, ...)  -- stdin:1"
type_text '? nosuch.thing'; keys Enter
wait_for "no help for nosuch.thing (help() lists the topics)"
type_text 'help()'; keys Enter
wait_for "  ps.json.encode(value) -> string"
keys C-d
wait_for "[exited 0]"
echo PASS
