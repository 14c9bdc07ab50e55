#!/bin/bash
# prefscope models: config lookup and validation, and the probes against the fake
# server (reachable, served ids, logprobs, scoring; a dead server; a missing key).
set -eu
T=$(mktemp -d)
mkfifo "$T/in"   # the fake server's stdin: it exits when fd 9 closes
python3 "$PS_TESTS/e2e/fake_llm.py" --models fake-model,llamacpp <"$T/in" >"$T/ports" &
SERVER=$!
exec 9>"$T/in"
trap 'exec 9>&-; kill $SERVER 2>/dev/null; rm -rf "$T"' EXIT
for _ in $(seq 50); do [ -s "$T/ports" ] && break; sleep 0.1; done
P=$(awk '{print $2}' "$T/ports")
[ -n "$P" ] || { echo "fake server did not start"; exit 1; }
fail() { echo "FAIL: $*"; exit 1; }

mkdir "$T/ws"
cat >"$T/ws/prefscope.lua" <<LUA
-- "local" is a Lua keyword, hence the brackets
models = {
  ["local"] = { provider = "openai", base_url = "http://127.0.0.1:$P/v1", model = "fake-model", concurrency = 4 },
  llama = { base_url = { "http://127.0.0.1:$P/v1/" }, model = "llamacpp" },
  claude = { provider = "anthropic", base_url = "http://127.0.0.1:$P/v1", model = "claude-x",
             api_key_env = "PS_E2E_UNSET_KEY", price_in = 3, price_out = 15 },
  dead = { base_url = "http://127.0.0.1:1/v1", model = "x" },
}
annotator = "alice"
LUA
# the workspace-adjacent prefscope.lua is found through -w
unset PREFSCOPE_CONFIG
HOME="$T" "$PS_BIN" -w "$T/ws/w.db" models --json >"$T/out.json"
python3 - "$T/out.json" <<'PY'
import json, sys
m = {x["name"]: x for x in json.load(open(sys.argv[1]))}
assert sorted(m) == ["claude", "dead", "llama", "local"], sorted(m)
l = m["local"]
assert l["reachable"] and l["chat"] and l["logprobs"] is True and l["scoring"] is True, l
assert l["served"] == ["fake-model", "llamacpp"] and l["model_listed"] is True and l["concurrency"] == 4, l
assert m["llama"]["scoring"] is False and m["llama"]["base_urls"][0].endswith("/v1"), m["llama"]
c = m["claude"]
assert c["provider"] == "anthropic" and c["scoring"] is False and c["logprobs"] is False and c["chat"], c
assert c["api_key_set"] is False and c["price_in"] == 3, c
d = m["dead"]
assert d["reachable"] is False and "connect" in d["error"].lower(), d
assert l["price_in"] is None  # no price: null, never 0
print("models --json ok")
PY
# explicit --config wins; PREFSCOPE_CONFIG is honoured; NAME filters
cp "$T/ws/prefscope.lua" "$T/other.lua"
PREFSCOPE_CONFIG="$T/other.lua" HOME="$T" "$PS_BIN" -w "$T/nows.db" models --no-probe local >"$T/t.txt"
grep -q '^local ' "$T/t.txt" || fail "PREFSCOPE_CONFIG not used"
[ "$(wc -l <"$T/t.txt")" = 2 ] || fail "NAME filter"
HOME="$T" "$PS_BIN" models --config "$T/other.lua" --no-probe >"$T/t.txt"
[ "$(wc -l <"$T/t.txt")" = 5 ] || fail "--config"
# ~/.config/prefscope/config.lua
mkdir -p "$T/.config/prefscope" && cp "$T/other.lua" "$T/.config/prefscope/config.lua"
(cd "$T" && HOME="$T" XDG_CONFIG_HOME= "$PS_BIN" -w "$T/nows.db" models --no-probe dead >"$T/t.txt")
grep -q '^dead ' "$T/t.txt" || fail "~/.config/prefscope/config.lua not used"

# bad configs: one line naming the file and the model
echo 'models = { x = { model = "m", concurency = 3 } }' >"$T/bad.lua"
if "$PS_BIN" models --config "$T/bad.lua" 2>"$T/err"; then fail "typo accepted"; fi
grep -q "bad.lua: model x: unknown field 'concurency'" "$T/err" || fail "typo message: $(cat "$T/err")"
echo 'models = { x = { model = "m", api_key = "sk-123" } }' >"$T/bad.lua"
if "$PS_BIN" models --config "$T/bad.lua" 2>"$T/err"; then fail "api_key accepted"; fi
grep -q "api_key_env" "$T/err" || fail "api_key message"
if "$PS_BIN" models --config "$T/none.lua" 2>"$T/err"; then fail "missing config accepted"; fi
grep -q "does not exist" "$T/err" || fail "missing config message"
echo 'models = {' >"$T/bad.lua"
if "$PS_BIN" models --config "$T/bad.lua" 2>"$T/err"; then fail "syntax error accepted"; fi
[ "$(wc -l <"$T/err")" = 1 ] || fail "multi-line error"
"$PS_BIN" models --help | grep -q "usage: prefscope models" || fail "--help"
echo "ok"
