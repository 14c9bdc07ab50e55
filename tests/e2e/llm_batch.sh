#!/bin/bash
# prefscope batch: a run's pending calls go to a batch file instead of the server
# (OpenAI Batch API JSONL, Anthropic Message Batches), results built in the providers'
# documented shapes come back into the call log, and the rerun answers from the cache
# and sends only what the batch did not answer.  Both formats, a judge run, errors,
# expired requests, foreign results, malformed lines, a half-done cache.
set -eu
T=$(mktemp -d)
. "$PS_TESTS/e2e/fake_llm.bash"
fake_llm_start
fail() { echo "FAIL: $*"; exit 1; }
export HOME="$T" XDG_CONFIG_HOME= PREFSCOPE_CONFIG=
sent() { curl -s "http://127.0.0.1:$P/_stats" | python3 -c 'import json,sys; print(json.load(sys.stdin)["requests"])'; }
cat >"$T/prefscope.lua" <<LUA
models = {
  gpt = { base_url = "http://127.0.0.1:$P/v1", model = "fake-model", max_retries = 0 },
  claude = { provider = "anthropic", base_url = "http://127.0.0.1:$P/v1", model = "claude-x",
             max_retries = 0 },
}
LUA
# code next to a workspace runs only once trusted (docs/security.md)
"$PS_BIN" trust "$T/prefscope.lua" > /dev/null || fail "trust"
cat >"$T/job.lua" <<'LUA'
local name, n = ...
local m = assert(ps.model(name))
local got, deferred = {}, 0
for i = 1, tonumber(n) do
  local r, msg = m:chat{ prompt = "question " .. i, temperature = 0, max_tokens = 20 }
  if r then got[#got + 1] = string.format("%d %s %s", i, r.cached and "cached" or "live", r.text)
  elseif msg:find("deferred to a batch file", 1, true) then deferred = deferred + 1
  else error(msg) end
end
print("deferred " .. deferred)
for _, l in ipairs(got) do print(l) end
LUA
W="$T/w.db"
# one call is answered live first: the export leaves it out
"$PS_BIN" -w "$W" run "$T/job.lua" gpt 1 >/dev/null
[ "$(sent)" = 1 ] || fail "warm-up"

# ---- OpenAI
"$PS_BIN" -w "$W" batch export -o "$T/b.jsonl" -- run "$T/job.lua" gpt 6 >"$T/out" 2>"$T/err" \
    || fail "export: $(cat "$T/err")"
[ "$(sent)" = 1 ] || fail "export sent requests"
grep -q "^deferred 5$" "$T/out" || fail "the script did not see 5 deferred calls: $(cat "$T/out")"
grep -q "batch export: 5 requests written to $T/b.jsonl (OpenAI Batch API JSONL)" "$T/err" \
    || fail "export summary: $(cat "$T/err")"
ls "$T" | grep -q capture && fail "capture file left behind"
python3 - "$T/b.jsonl" "$T/results.jsonl" <<'PY'
import json, re, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
assert len(lines) == 5, len(lines)
for l in lines:
    assert set(l) == {"custom_id", "method", "url", "body"}, l
    assert re.fullmatch(r"[0-9a-f]{64}", l["custom_id"]) and l["method"] == "POST", l
    assert l["url"] == "/v1/chat/completions" and l["body"]["model"] == "fake-model", l
    assert "stream" not in l["body"] and l["body"]["temperature"] == 0, l
prompts = [l["body"]["messages"][-1]["content"] for l in lines]
assert sorted(prompts) == ["question %d" % i for i in range(2, 7)], prompts
# results as the Batch API writes them (out of order): 3 answered, 1 failed, 1 missing,
# plus one for a request that is not in this batch
out = []
for l in reversed(lines):
    p = l["body"]["messages"][-1]["content"]
    cid = l["custom_id"]
    if p == "question 2":
        continue  # expired: no line
    if p == "question 3":
        out.append({"id": "batch_req_3", "custom_id": cid, "response": {"status_code": 400,
                    "request_id": "req_b3", "body": {"error": {"message": "bad things", "type":
                    "invalid_request_error", "param": None, "code": None}}}, "error": None})
        continue
    out.append({"id": "batch_req_x", "custom_id": cid, "response": {"status_code": 200,
                "request_id": "req_" + cid[:6], "body": {"id": "chatcmpl-b", "object": "chat.completion",
                "created": 1, "model": "fake-model-batch", "choices": [{"index": 0, "message":
                {"role": "assistant", "content": "batch says " + p}, "finish_reason": "stop"}],
                "usage": {"prompt_tokens": 7, "completion_tokens": 3, "total_tokens": 10}}},
                "error": None})
out.append({"id": "batch_req_z", "custom_id": "f" * 64, "response": {"status_code": 200,
            "request_id": "r", "body": {}}, "error": None})
with open(sys.argv[2], "w") as f:
    for o in out:
        f.write(json.dumps(o) + "\n")
PY
# a results file that is not JSONL: refused, nothing written
printf '{"custom_id": "x", "response": {}}\nnot json\n' >"$T/bad.jsonl"
if "$PS_BIN" -w "$W" batch import --requests "$T/b.jsonl" "$T/bad.jsonl" 2>"$T/err"; then fail "bad results accepted"; fi
grep -q "bad.jsonl:2: expected a batch result line" "$T/err" || fail "bad line message: $(cat "$T/err")"
n0=$(sqlite3 "$W" "SELECT count(*) FROM llm_call")
if "$PS_BIN" -w "$W" batch import --requests "$T/b.jsonl" --model gpt "$T/results.jsonl" >"$T/out" 2>"$T/err"; then
    fail "a foreign result did not make the exit status 1"
fi
grep -q "batch import: 3 ok, 1 failed (logged as errors), 0 already in the log, 1 not answered" "$T/out" \
    || fail "import summary: $(cat "$T/out")"
grep -q "1 result is not in" "$T/err" || fail "foreign result: $(cat "$T/err")"
[ "$(sqlite3 "$W" "SELECT count(*) FROM llm_call")" = $((n0 + 4)) ] || fail "rows written"
[ "$(sqlite3 "$W" "SELECT count(*) FROM llm_call WHERE status='ok' AND base_url='batch' AND model_name='gpt'
     AND prompt_tokens=7 AND completion_tokens=3 AND resolved_model='fake-model-batch' AND text LIKE 'batch says %'
     AND request_id LIKE 'req_%' AND endpoint='/chat/completions' AND json_extract(request,'$.model')='fake-model'")" = 3 ] \
    || fail "ok rows"
[ "$(sqlite3 "$W" "SELECT count(*) FROM llm_call WHERE status='error' AND http_status=400 AND error LIKE '%bad things%'")" = 1 ] \
    || fail "error row"
# importing again adds nothing; both files may be pipes
"$PS_BIN" -w "$W" batch import --requests <(cat "$T/b.jsonl") /dev/stdin <"$T/results.jsonl" >"$T/out" 2>/dev/null || true
grep -q "0 ok, 1 failed (logged as errors), 3 already in the log" "$T/out" || fail "re-import: $(cat "$T/out")"
# the rerun: 1 (warm-up) + 3 (batch) from the cache, 2 live (expired, failed)
"$PS_BIN" -w "$W" run "$T/job.lua" gpt 6 >"$T/out" 2>&1 || fail "rerun: $(cat "$T/out")"
[ "$(sent)" = 3 ] || fail "rerun sent $(( $(sent) - 1 )) requests, expected 2"
grep -q "^4 cached batch says question 4$" "$T/out" || fail "rerun output: $(cat "$T/out")"
grep -q "^2 live reply to: question 2$" "$T/out" || fail "rerun output: $(cat "$T/out")"
grep -q "^1 cached reply to: question 1$" "$T/out" || fail "rerun output: $(cat "$T/out")"

# ---- Anthropic: a Message Batches request file, results from its results_url shape
"$PS_BIN" -w "$W" batch export -o "$T/a.json" -- run "$T/job.lua" claude 3 >/dev/null 2>"$T/err" \
    || fail "export anthropic: $(cat "$T/err")"
grep -q "3 requests written to $T/a.json (Anthropic Message Batches request file)" "$T/err" || fail "$(cat "$T/err")"
if "$PS_BIN" -w "$W" batch export --format openai -o "$T/x.jsonl" -- run "$T/job.lua" claude 3 >/dev/null 2>"$T/err"; then
    fail "anthropic calls written as an OpenAI batch"
fi
grep -q "the run made anthropic calls, which an OpenAI batch file cannot hold" "$T/err" || fail "$(cat "$T/err")"
[ ! -e "$T/x.jsonl" ] || fail "a refused export left a file"
python3 - "$T/a.json" "$T/ares.jsonl" <<'PY'
import json, re, sys
doc = json.load(open(sys.argv[1]))
reqs = doc["requests"]
assert len(reqs) == 3 and set(doc) == {"requests"}, doc
out = []
for r in reqs:
    assert set(r) == {"custom_id", "params"} and re.fullmatch(r"[0-9a-f]{64}", r["custom_id"]), r
    p = r["params"]
    assert p["model"] == "claude-x" and p["max_tokens"] == 20 and "stream" not in p, p
    q = p["messages"][-1]["content"]
    if q == "question 1":
        out.append({"custom_id": r["custom_id"], "result": {"type": "errored", "error": {"type": "error",
                    "error": {"type": "invalid_request_error", "message": "too long"}}}})
    elif q == "question 2":
        out.append({"custom_id": r["custom_id"], "result": {"type": "expired"}})
    else:
        out.append({"custom_id": r["custom_id"], "result": {"type": "succeeded", "message": {
            "id": "msg_b", "type": "message", "role": "assistant", "model": "claude-x-batch",
            "content": [{"type": "text", "text": "claude batch says " + q}], "stop_reason": "end_turn",
            "stop_sequence": None, "usage": {"input_tokens": 5, "output_tokens": 4}}}})
with open(sys.argv[2], "w") as f:
    for o in out:
        f.write(json.dumps(o) + "\n")
PY
before=$(sent)
cat "$T/ares.jsonl" | "$PS_BIN" -w "$W" batch import --requests <(cat "$T/a.json") --model claude /dev/stdin >"$T/out" \
    || fail "import anthropic"
grep -q "batch import: 1 ok, 1 failed (logged as errors), 0 already in the log, 1 not answered" "$T/out" || fail "$(cat "$T/out")"
"$PS_BIN" -w "$W" run "$T/job.lua" claude 3 >"$T/out" 2>&1 || fail "rerun claude: $(cat "$T/out")"
grep -q "^3 cached claude batch says question 3$" "$T/out" || fail "claude rerun: $(cat "$T/out")"
[ "$(sent)" = $((before + 2)) ] || fail "claude rerun sent $(( $(sent) - before )), expected 2"
[ "$(sqlite3 "$W" "SELECT count(*) FROM llm_call WHERE provider='anthropic' AND status='ok' AND base_url='batch'
     AND prompt_tokens=5 AND completion_tokens=4 AND finish_reason='end_turn'")" = 1 ] || fail "anthropic row"

# ---- a judge run: its pending calls, batched and brought back
cat >"$T/d.jsonl" <<'J'
{"prompt":"Q1","responses":[{"text":"alpha","model":"m1"},{"text":"beta","model":"m2"}]}
{"prompt":"Q2","responses":[{"text":"one","model":"m1"},{"text":"two","model":"m2"}]}
{"prompt":"Q3","responses":[{"text":"x","model":"m1"},{"text":"y","model":"m2"}]}
J
"$PS_BIN" -w "$W" import --name d "$T/d.jsonl" 2>/dev/null
before=$(sent)
"$PS_BIN" -w "$W" batch export -o "$T/j.jsonl" -- judge d --model gpt --swap >/dev/null 2>"$T/err" \
    || fail "judge export: $(cat "$T/err")"
grep -q "6 requests written" "$T/err" || fail "judge export: $(cat "$T/err")"
[ "$(sent)" = "$before" ] || fail "judge export sent requests"
python3 - "$T/j.jsonl" "$T/jres.jsonl" <<'PY'
import json, sys
with open(sys.argv[2], "w") as f:
    for l in map(json.loads, open(sys.argv[1])):
        f.write(json.dumps({"id": "b", "custom_id": l["custom_id"], "response": {"status_code": 200,
            "request_id": "r", "body": {"object": "chat.completion", "model": "fake-model", "choices": [
            {"index": 0, "message": {"role": "assistant", "content": "[[A]]"}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 9, "completion_tokens": 1}}}, "error": None}) + "\n")
PY
"$PS_BIN" -w "$W" batch import --requests "$T/j.jsonl" "$T/jres.jsonl" >/dev/null || fail "judge import"
"$PS_BIN" -w "$W" judge d --model gpt --swap --json >"$T/j.json" 2>/dev/null || fail "judge rerun"
python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); assert r["cached"]==6 and r["errors"]==0 and r["judged"]==6, r' "$T/j.json" \
    || fail "judge rerun: $(cat "$T/j.json")"
[ "$(sent)" = "$before" ] || fail "judge rerun sent requests"

# ---- nothing pending: nothing written
"$PS_BIN" -w "$W" batch export -o "$T/none.jsonl" -- run "$T/job.lua" gpt 6 >/dev/null 2>"$T/err" || fail "empty export"
grep -q "nothing pending" "$T/err" || fail "empty export message: $(cat "$T/err")"
[ ! -e "$T/none.jsonl" ] || fail "empty export wrote a file"
if "$PS_BIN" -w "$W" batch export -o "$T/n.jsonl" -- tui 2>/dev/null; then fail "batch export -- tui accepted"; fi
echo ok
