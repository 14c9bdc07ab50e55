#!/bin/bash
# prefscope models: config lookup and validation, and the probes against the fake
# server (reachable, served ids, logprobs, scoring; a dead server; a missing key).
set -eu
T=$(mktemp -d)
. "$PS_TESTS/e2e/fake_llm.bash"
# the third id is hostile: the server's words must never reach the terminal raw
fake_llm_start --models "fake-model,llamacpp,$(printf 'evil\033]0;pwned\007\033[2J')"
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
  typo = { base_url = "http://localhost:$P/v1", model = "fake-modle" },
}
annotator = "alice"
LUA
# code next to a workspace runs once trusted (docs/security.md)
HOME="$T" "$PS_BIN" -w "$T/ws/w.db" trust 2>/dev/null || fail "trust"
# the workspace-adjacent prefscope.lua is found through -w
unset PREFSCOPE_CONFIG
# dead (unreachable) and claude (key unset) make the exit status 1
if HOME="$T" "$PS_BIN" -w "$T/ws/w.db" models --json >"$T/out.json" 2>"$T/err"; then
    fail "models exits 0 with an unreachable model and an unset key"
fi
grep -q "2 of 5 not usable: claude (key variable unset), dead (unreachable)" "$T/err" \
    || fail "summary: $(cat "$T/err")"
python3 - "$T/out.json" <<'PY'
import json, sys
m = {x["name"]: x for x in json.load(open(sys.argv[1]))}
assert sorted(m) == ["claude", "dead", "llama", "local", "typo"], sorted(m)
l = m["local"]
assert l["reachable"] and l["chat"] and l["logprobs"] is True and l["scoring"] is True, l
assert l["served"][:2] == ["fake-model", "llamacpp"] and l["served"][2].startswith("evil\x1b") and l["model_listed"] is True and l["concurrency"] == 4, l
assert m["llama"]["scoring"] is False and m["llama"]["base_urls"][0].endswith("/v1"), m["llama"]
c = m["claude"]
# an unset key variable: nothing is sent, the error names the variable
assert c["provider"] == "anthropic" and not c["chat"] and c["error"] == "$PS_E2E_UNSET_KEY is not set", c
assert c["api_key_set"] is False and c["price_in"] == 3, c
assert m["typo"]["model_listed"] is False and m["typo"]["reachable"], m["typo"]
d = m["dead"]
assert d["reachable"] is False and "connect" in d["error"].lower(), d
assert l["price_in"] is None  # no price: null, never 0
print("models --json ok")
PY
# the requests the fake server saw: none for claude (its key is unset)
curl -s "http://127.0.0.1:$P/_requests" | grep -q '"/v1/messages"' && fail "claude probed without its key"
# text output: a model id the server does not list is flagged; all usable: exit 0
HOME="$T" "$PS_BIN" -w "$T/ws/w.db" models typo local >"$T/t.txt" || fail "usable models exit non-zero"
grep -q "^typo .*NOT LISTED: the server does not list 'fake-modle'; it serves fake-model, llamacpp" "$T/t.txt" \
    || fail "typo not flagged: $(cat "$T/t.txt")"
grep "^local " "$T/t.txt" | grep -q "NOT LISTED" && fail "local flagged"
grep -q "evil" "$T/t.txt" || fail "hostile id not shown at all"
LC_ALL=C grep -q "$(printf '\033')" "$T/t.txt" && fail "an escape sequence from the server reached the output"
if HOME="$T" "$PS_BIN" -w "$T/ws/w.db" models dead >/dev/null 2>&1; then fail "dead model exits 0"; fi
PS_E2E_UNSET_KEY=sk-now-set HOME="$T" "$PS_BIN" -w "$T/ws/w.db" models --no-probe claude >/dev/null \
    || fail "a set key still fails"
if HOME="$T" "$PS_BIN" -w "$T/ws/w.db" models --no-probe claude >"$T/t.txt" 2>/dev/null; then
    fail "--no-probe: unset key exits 0"
fi
grep -q '\$PS_E2E_UNSET_KEY is not set' "$T/t.txt" || fail "--no-probe: unset key not shown"

# judge stops before it starts when the model's key variable is unset
printf '{"prompt":"Q","responses":[{"text":"a","model":"m1"},{"text":"b","model":"m2"}]}\n' >"$T/d.jsonl"
HOME="$T" "$PS_BIN" -w "$T/ws/w.db" import --name d "$T/d.jsonl" 2>/dev/null
curl -s -X POST "http://127.0.0.1:$P/_reset" >/dev/null
if HOME="$T" "$PS_BIN" -w "$T/ws/w.db" judge d --model claude >"$T/out" 2>"$T/err"; then fail "judge ran without its key"; fi
[ "$(cat "$T/err")" = 'prefscope: model claude: $PS_E2E_UNSET_KEY is not set (api_key_env); export the key, or set api_key_env = false if the server needs none' ] \
    || fail "judge without key: $(cat "$T/err")"
curl -s "http://127.0.0.1:$P/_stats" | grep -q '"requests": 0' || fail "judge sent requests without its key"

# credentials in a base_url: refused, and the password is never printed
cat >"$T/cred.lua" <<'LUA'
models = { x = { base_url = "http://bob:hunter2-PASSWORD-SENTINEL@127.0.0.1:9/v1", model = "m" } }
LUA
if "$PS_BIN" models --config "$T/cred.lua" >"$T/out" 2>"$T/err"; then fail "credentials accepted"; fi
grep -q "SENTINEL\|bob" "$T/out" "$T/err" && fail "password printed: $(cat "$T/err")"
grep -q "cred.lua: model x: base_url http://\*\*\*@127.0.0.1:9 holds credentials" "$T/err" \
    || fail "credentials message: $(cat "$T/err")"
# a server on another machine must say how it authenticates; false = no key
echo 'models = { gpu = { base_url = "http://10.1.2.3:8000/v1", model = "m" } }' >"$T/remote.lua"
if "$PS_BIN" models --no-probe --config "$T/remote.lua" 2>"$T/err"; then fail "remote without key accepted"; fi
grep -q "remote.lua: model gpu: its server is not on this machine and no key is configured" "$T/err" \
    || fail "remote message: $(cat "$T/err")"
echo 'models = { gpu = { base_url = "http://10.1.2.3:8000/v1", model = "m", api_key_env = false, cache_id = "box\"1" } }' >"$T/remote.lua"
"$PS_BIN" models --no-probe --config "$T/remote.lua" >"$T/t.txt" || fail "api_key_env = false refused"
"$PS_BIN" models --no-probe --json --config "$T/remote.lua" | python3 -c 'import json,sys; m=json.load(sys.stdin)[0]; assert m["api_key_env"] is False and m["api_key_set"] is None and m["cache_id"] == "box\"1", m' \
    || fail "api_key_env = false in --json"
grep -q "^gpu " "$T/t.txt" || fail "api_key_env = false: $(cat "$T/t.txt")"
# explicit --config wins; PREFSCOPE_CONFIG is honoured; NAME filters
cp "$T/ws/prefscope.lua" "$T/other.lua"
PREFSCOPE_CONFIG="$T/other.lua" HOME="$T" "$PS_BIN" -w "$T/nows.db" models --no-probe local >"$T/t.txt"
grep -q '^local ' "$T/t.txt" || fail "PREFSCOPE_CONFIG not used"
[ "$(wc -l <"$T/t.txt")" = 2 ] || fail "NAME filter"
HOME="$T" "$PS_BIN" models --config "$T/other.lua" --no-probe >"$T/t.txt" 2>/dev/null || true
[ "$(wc -l <"$T/t.txt")" = 6 ] || fail "--config"
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
