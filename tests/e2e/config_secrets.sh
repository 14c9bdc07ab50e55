#!/bin/bash
# A config file that holds a key (a credential header written in the file, or a
# string shaped like a provider key, comments included) must not be readable by
# group or others; the error names the file and what was found, never the key.
# Keys read with os.getenv are not held by the file.
set -eu
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
export HOME="$T" XDG_CONFIG_HOME= PREFSCOPE_CONFIG=
check() { # FILE MODE EXPECT(ok|refused) [PATTERN]
    chmod "$2" "$1"
    if "$PS_BIN" models --no-probe --config "$1" >"$T/out" 2>"$T/err"; then
        [ "$3" = ok ] || fail "$1 mode $2 accepted: $(cat "$T/out")"
    else
        [ "$3" = refused ] || fail "$1 mode $2 refused: $(cat "$T/err")"
        grep -q -- "$4" "$T/err" || fail "$1 mode $2: message $(cat "$T/err")"
        grep -q "SECRET" "$T/err" "$T/out" && fail "$1: the key was printed: $(cat "$T/err")"
        [ "$(wc -l <"$T/err")" = 1 ] || fail "$1: not one line: $(cat "$T/err")"
    fi
    return 0
}
cat >"$T/hdr.lua" <<'LUA'
models = { m = { base_url = "https://llm.example.com/v1", model = "x",
                 headers = { Authorization = "Bearer tok-SECRET-123456" } } }
LUA
for mode in 644 640 604; do
    check "$T/hdr.lua" $mode refused "hdr.lua holds an API key (the value of header Authorization of model m) and is readable by group or others (mode 0$mode): chmod 600"
done
check "$T/hdr.lua" 600 ok
check "$T/hdr.lua" 400 ok
cat >"$T/shape.lua" <<'LUA'
-- old key: sk-proj-SECRETabcdefghijklmnopqrstuv
models = { m = { base_url = "http://127.0.0.1:9/v1", model = "x" } }
LUA
check "$T/shape.lua" 640 refused "a string shaped like an API key (sk-...) on line 1"
check "$T/shape.lua" 600 ok
printf 'models = {}\nx = "hf_SECRETabcdefghijklmnopqrstuvwxyz123456"\n' >"$T/hf.lua"
check "$T/hf.lua" 644 refused "(hf_...) on line 2"
# keys from the environment are not in the file: any mode is fine
cat >"$T/env.lua" <<'LUA'
models = { m = { base_url = "https://llm.example.com/v1", model = "x", api_key_env = "K",
                 headers = { ["X-Org-Token"] = os.getenv("ORG_TOKEN") or "unset" } } }
-- words that are not keys: sk-short, task-list, mask-thing
LUA
K=k-from-env ORG_TOKEN=tok-SECRET-abcdefgh check "$T/env.lua" 644 ok
# a header that is no credential may be written in a readable file
cat >"$T/plain.lua" <<'LUA'
models = { m = { base_url = "http://127.0.0.1:9/v1", model = "x", headers = { ["X-Title"] = "prefscope run 42" } } }
LUA
check "$T/plain.lua" 644 ok
# the workspace's prefscope.lua is checked the same way
mkdir "$T/ws" && cp "$T/hdr.lua" "$T/ws/prefscope.lua" && chmod 644 "$T/ws/prefscope.lua"
# (trusted first: code next to a workspace runs only once trusted, docs/security.md)
XDG_STATE_HOME="$T/state" "$PS_BIN" trust "$T/ws/prefscope.lua" > /dev/null 2>&1 || fail "trust"
export XDG_STATE_HOME="$T/state"
if "$PS_BIN" -w "$T/ws/w.db" models --no-probe 2>"$T/err"; then fail "workspace config accepted"; fi
grep -q "prefscope.lua holds an API key" "$T/err" || fail "workspace config message: $(cat "$T/err")"
# precompiled chunks are not configs
printf '\033Lua\x54\x00' >"$T/bin.lua"
if "$PS_BIN" models --no-probe --config "$T/bin.lua" 2>"$T/err"; then fail "bytecode accepted"; fi
echo ok
