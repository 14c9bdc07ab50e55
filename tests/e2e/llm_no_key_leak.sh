#!/bin/bash
# API keys never reach the workspace, the REPL history, script output or exports:
# a Lua script (prefscope run) calls a model whose key (and an extra header) carry a
# sentinel, succeeds and fails, stores the answers as a dataset, exports it; then every
# file under the test's HOME and temp dir is searched for the sentinel.  The fake server
# checks that the key was actually sent.
set -eu
T=$(mktemp -d)
mkfifo "$T/in"
python3 "$PS_TESTS/e2e/fake_llm.py" <"$T/in" >"$T/ports" &
SERVER=$!
exec 9>"$T/in"
trap 'exec 9>&-; kill $SERVER 2>/dev/null; rm -rf "$T"' EXIT
for _ in $(seq 50); do [ -s "$T/ports" ] && break; sleep 0.1; done
P=$(awk '{print $2}' "$T/ports")
fail() { echo "FAIL: $*"; exit 1; }
export HOME="$T/home" XDG_CONFIG_HOME= PREFSCOPE_CONFIG=
mkdir -p "$HOME" "$T/ws"
SENTINEL="sk-e2e-SENTINEL-$$-7781"
export PS_E2E_KEY="$SENTINEL"
cat >"$T/ws/prefscope.lua" <<LUA
models = {
  fake = { base_url = "http://127.0.0.1:$P/v1", model = "fake-model", api_key_env = "PS_E2E_KEY",
           headers = { ["X-Org-Token"] = os.getenv("PS_E2E_KEY") }, max_retries = 1, backoff = 0.01 },
  claude = { provider = "anthropic", base_url = "http://127.0.0.1:$P/v1", model = "c", api_key_env = "PS_E2E_KEY" },
}
LUA
"$PS_BIN" -w "$T/ws/w.db" trust 2>/dev/null || { echo "FAIL: trust"; exit 1; }
cat >"$T/job.lua" <<'LUA'
local m = assert(ps.model("fake"))
local c = assert(ps.model("claude"))
local ds = assert(ps.create_dataset("gen"))
for i = 1, 3 do
  local r = assert(m:chat{ prompt = "question " .. i, temperature = 0 })
  local a = assert(c:chat{ prompt = "question " .. i, stream = true })
  assert(ds:add_item{ prompt = "question " .. i,
                      responses = { { text = r.text, model = "fake" }, { text = a.text, model = "claude" } },
                      judgments = { { verdict = "A", annotator = "llm:fake" } } })
end
local bad, msg = m:chat{ prompt = "@@fail:5:401@@ unauthorized" }
assert(bad == nil and msg:find("401"), msg)
print("done", msg)
LUA
"$PS_BIN" -w "$T/ws/w.db" run "$T/job.lua" >"$T/out.txt" 2>&1 || { cat "$T/out.txt"; fail "script failed"; }
grep -q "^done" "$T/out.txt" || fail "script output: $(cat "$T/out.txt")"
for fmt in trl jsonl csv; do
    "$PS_BIN" -w "$T/ws/w.db" export gen --format $fmt -o "$T/export.$fmt" 2>/dev/null || fail "export $fmt"
done
"$PS_BIN" -w "$T/ws/w.db" ls --json >"$T/ls.json"
"$PS_BIN" -w "$T/ws/w.db" models --json >"$T/models.json"
# the key went out
curl -s "http://127.0.0.1:$P/_requests" >"$T/requests.json"
grep -q "Bearer $SENTINEL" "$T/requests.json" || fail "Bearer header not sent"
grep -q "\"x-api-key\": \"$SENTINEL\"" "$T/requests.json" || fail "x-api-key not sent"
grep -q "\"x-org-token\": \"$SENTINEL\"" "$T/requests.json" || fail "extra header not sent"
rm "$T/requests.json"
# ... and is nowhere on disk (workspace, WAL, history, exports, outputs)
n=$(sqlite3 "$T/ws/w.db" "SELECT count(*) FROM llm_call"); [ "$n" = 7 ] || fail "expected 7 logged calls (6 ok, one 401), got $n"
if grep -rl --binary-files=text "SENTINEL" "$T" "$HOME" 2>/dev/null | grep -v "/in$"; then
    fail "the API key leaked into the files above"
fi
echo ok
