#!/bin/bash
# prefscope judge against the loopback fake LLM server (tests/e2e/fake_llm.py), which
# answers "reply to: <user message>": the verdict is whatever marker the echoed pair
# carries, so each item below forces one behaviour.
#   item 1  r0 "... [[A]]", r1 "... [[B]]": the last marker is the second reply's, so
#           both orders prefer r1 (consistent, canonical B)
#   item 2  the prompt says [[A]]: the first-shown reply wins in both orders
#           (position bias: inconsistent)
#   item 3  no marker at all: "invalid" in both orders, stored, never dropped
#   item 4  the prompt carries {"winner": "tie"}: tie in both orders
set -eu
command -v python3 >/dev/null || { echo "SKIP: python3 absent"; exit 77; }
T=$(mktemp -d)
cleanup() { exec 9>&- 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$T"; }
trap cleanup EXIT
. "$PS_TESTS/e2e/fake_server.bash"
fake_server_start
cat >"$T/d.jsonl" <<'J'
{"prompt":"Q1","responses":[{"text":"alpha answer [[A]]","model":"m1"},{"text":"beta answer [[B]]","model":"m2"}]}
{"prompt":"Q2 [[A]]","responses":[{"text":"one","model":"m1"},{"text":"two","model":"m2"}]}
{"prompt":"Q3","responses":[{"text":"x","model":"m1"},{"text":"y","model":"m2"}]}
{"prompt":"Q4 {\"winner\": \"tie\"}","responses":[{"text":"same","model":"m1"},{"text":"also same","model":"m2"}]}
J
W="$T/ws.db"
"$PS_BIN" -w "$W" import --name d "$T/d.jsonl" 2>/dev/null
"$PS_BIN" -w "$W" judge d --model fake --base-url "$URL" --swap --json >"$T/run1.json" 2>"$T/run1.err"
python3 - "$T/run1.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
want = {"requests": 8, "judged": 8, "A": 3, "B": 1, "tie": 2, "invalid": 2, "errors": 0, "cached": 0,
        "annotator": "llm:fake"}
bad = {k: (r.get(k), v) for k, v in want.items() if r.get(k) != v}
print("run1", r)
sys.exit(1 if bad else 0)
PY
# stored in presented order with meta.swap; the raw answer is the rationale
"$PS_BIN" -w "$W" show d 1 --json >"$T/show.json"
python3 - "$T/show.json" <<'PY'
import json, sys
it = json.load(open(sys.argv[1]))
js = [j for j in it["judgments"] if j["annotator"] == "llm:fake"]
assert len(js) == 2, js
fwd = [j for j in js if not j["meta"]["swap"]][0]
rev = [j for j in js if j["meta"]["swap"]][0]
assert (fwd["a"], fwd["b"], fwd["verdict"]) == (0, 1, "B"), fwd
assert (rev["a"], rev["b"], rev["verdict"]) == (1, 0, "A"), rev
assert rev["rationale"].startswith("reply to: # Request"), rev["rationale"][:40]
assert fwd["meta"]["parse"] == "brackets" and fwd["meta"]["template"] == "pairwise"
print("stored judgments ok")
PY
"$PS_BIN" -w "$W" show d 3 --json | python3 -c '
import json, sys
js = [j for j in json.load(sys.stdin)["judgments"] if j["annotator"] == "llm:fake"]
assert [j["verdict"] for j in js] == ["invalid", "invalid"], js
assert all(j["p_a"] is None for j in js), js
print("invalid answers stored")'
# position consistency: items 1 and 4 agree across orders, 2 and 3 do not
"$PS_BIN" -w "$W" stats d --json -a llm:fake --bootstrap 0 --min-n 0 | python3 -c '
import json, sys
a = json.load(sys.stdin)["report"]["annotators"][0]
assert a["n"] == 8 and a["invalid"] == 2, a
assert a["position"]["units"] == 4 and abs(a["position"]["consistency"]["value"] - 0.5) < 1e-12, a["position"]
print("consistency ok")'
# a rerun has nothing left to do
"$PS_BIN" -w "$W" judge d --model fake --base-url "$URL" --swap --json >"$T/run2.json" 2>/dev/null
python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); assert r["requests"]==0 and r["skipped_done"]==8, r' "$T/run2.json"
# another annotator name sends the same requests: all served from the cache
"$PS_BIN" -w "$W" judge d --model fake --base-url "$URL" --swap --annotator llm:again --json >"$T/run3.json" 2>/dev/null
python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); assert r["requests"]==8 and r["cached"]==8, r' "$T/run3.json"
fetch() { python3 -c 'import sys, urllib.request as u; sys.stdout.write(u.urlopen(u.Request(sys.argv[1], method=sys.argv[2])).read().decode())' "http://127.0.0.1:$PORT/$1" "${2:-GET}"; }
fetch _stats | python3 -c '
import json, sys
s = json.load(sys.stdin)
assert s["requests"] == 8, s["requests"]
print("server saw", s["requests"], "requests")'
# the request: temperature 0, instructions as the system message, the pair as the user message
fetch _requests | python3 -c '
import json, sys
reqs = json.load(sys.stdin)
reqs = reqs.get("requests", reqs) if isinstance(reqs, dict) else reqs
body = reqs[0]["body"]
body = json.loads(body) if isinstance(body, str) else body
assert body["temperature"] == 0, body
roles = [m["role"] for m in body["messages"]]
assert roles == ["system", "user"], roles
assert "[[tie]]" in body["messages"][0]["content"]
print("request shape ok")'
# sampling is seeded: 2 items -> 4 requests, the same items every time
"$PS_BIN" -w "$W" judge d --model fake --base-url "$URL" --swap --sample 2 --seed 3 --annotator llm:s1 --json >"$T/s1.json" 2>/dev/null
"$PS_BIN" -w "$W" judge d --model fake --base-url "$URL" --swap --sample 2 --seed 3 --annotator llm:s2 --json >"$T/s2.json" 2>/dev/null
python3 -c 'import json,sys; a=json.load(open(sys.argv[1])); b=json.load(open(sys.argv[2])); assert a["requests"]==4 and b["cached"]==4, (a,b)' "$T/s1.json" "$T/s2.json"
# the model from a config file (named models): pairwise_json template, one order
cat >"$T/conf.lua" <<C
models = { judgej = { provider = "openai", base_url = "$URL", model = "fake-json", concurrency = 4 } }
C
"$PS_BIN" -w "$W" --config "$T/conf.lua" judge d --model judgej --template pairwise_json --json >"$T/c.json" 2>/dev/null
python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); assert r["annotator"]=="llm:judgej/pairwise_json" and r["requests"]==4 and r["judged"]==4, r' "$T/c.json"
if "$PS_BIN" -w "$W" --config "$T/conf.lua" judge d --model nomodel 2>"$T/err"; then echo "unknown model accepted"; exit 1; fi
grep -q "no model 'nomodel'" "$T/err" || { cat "$T/err"; exit 1; }
# --pairs all: every pair of an item with three responses (3 requests); text-free
# responses are skipped and counted
cat >"$T/three.jsonl" <<'J'
{"prompt":"three","responses":[{"text":"x"},{"text":"y"},{"text":"z"}]}
{"prompt":"battle","responses":[{"model":"m1"},{"model":"m2"}]}
J
"$PS_BIN" -w "$W" import --name three "$T/three.jsonl" 2>/dev/null
"$PS_BIN" -w "$W" judge three --model fake --base-url "$URL" --pairs all --json >"$T/three.json" 2>/dev/null
python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); assert r["requests"]==3 and r["judged"]==3 and r["skipped_no_text"]==1, r' "$T/three.json"
# kill -9 in the middle of a run: the rerun judges only what is missing, no pair twice
python3 -c '
for i in range(6):
    print("{\"prompt\":\"slow %d @@delay:250@@\",\"responses\":[{\"text\":\"a\"},{\"text\":\"b\"}]}" % i)
' >"$T/slow.jsonl"
"$PS_BIN" -w "$W" import --name slow "$T/slow.jsonl" 2>/dev/null
fetch _reset POST >/dev/null
"$PS_BIN" -w "$W" judge slow --model slowj --base-url "$URL" --concurrency 1 --swap --json >/dev/null 2>&1 &
JP=$!
for _ in $(seq 1 100); do
  n=$("$PS_BIN" -w "$W" stats slow --json --bootstrap 0 2>/dev/null | python3 -c 'import json,sys; r=json.load(sys.stdin); print(r["judgments"])')
  [ "$n" -ge 3 ] && break
  sleep 0.1
done
kill -9 $JP 2>/dev/null || true  # on a busy machine it may have finished already
wait $JP 2>/dev/null || true
"$PS_BIN" -w "$W" judge slow --model slowj --base-url "$URL" --concurrency 4 --swap --json >"$T/resume.json" 2>/dev/null
python3 - "$T/resume.json" "$n" <<'PY'
import json, sys
r = json.load(open(sys.argv[1])); before = int(sys.argv[2])
assert r["skipped_done"] >= before and r["requests"] == 12 - r["skipped_done"], (r, before)
print("resumed:", r["skipped_done"], "already judged,", r["requests"], "sent")
PY
"$PS_BIN" -w "$W" show slow 1 --json >/dev/null
"$PS_BIN" -w "$W" stats slow --json --bootstrap 0 --min-n 0 | python3 -c '
import json, sys
r = json.load(sys.stdin)
a = r["report"]["annotators"][0]
assert r["judgments"] == 12 and a["n"] == 12 and a["position"]["units"] == 6, (r["judgments"], a["n"])
print("12 judgments after the resume, none twice")'
# errors are one line and leave the workspace unchanged
if "$PS_BIN" -w "$W" judge d --model fake --base-url "$URL" --template nope 2>"$T/err"; then echo "bad template accepted"; exit 1; fi
[ "$(wc -l <"$T/err")" = 1 ] && grep -q "template 'nope' not found" "$T/err" || { cat "$T/err"; exit 1; }
if "$PS_BIN" -w "$W" judge nosuch --model fake --base-url "$URL" 2>"$T/err"; then echo "bad dataset accepted"; exit 1; fi
[ "$(wc -l <"$T/err")" = 1 ] || { cat "$T/err"; exit 1; }
# an unreachable server: errors are reported, nothing is stored, exit status 1
if "$PS_BIN" -w "$W" judge d --model gone --base-url "http://127.0.0.1:9/v1" --json >"$T/gone.json" 2>"$T/err"; then echo "unreachable server succeeded"; exit 1; fi
grep -q "requests failed" "$T/err" || { cat "$T/err"; exit 1; }
"$PS_BIN" -w "$W" stats d --json --bootstrap 0 --min-n 0 | python3 -c '
import json, sys
names = [a["annotator"] for a in json.load(sys.stdin)["report"]["annotators"]]
assert "llm:gone" not in names, names
print("annotators", names)'
echo ok
