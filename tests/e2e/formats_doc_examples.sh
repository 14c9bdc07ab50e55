#!/usr/bin/env bash
# The --map examples of docs/formats.md work as documented (no shared data needed).
set -euo pipefail
: "${PS_BIN:?PS_BIN not set}"
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
cd "$W"
fail() { echo "FAIL: $*"; exit 1; }

printf 'question,answer_1,answer_2,prob_1,h1,h2\nWhich?,"first, with a comma",second,0.25,3,4.5\n' > ratings.csv
"$PS_BIN" import -w ws.db --name r --map 'prompt=question,a=answer_1,b=answer_2,p_a=prob_1,rating.a.helpfulness=h1,rating.b.helpfulness=h2,annotator.name=human:crowd' ratings.csv 2>/dev/null
"$PS_BIN" show -w ws.db --json r 1 > r.json
python3 - <<'PY' || fail "CSV example with p_a and ratings"
import json
it = json.load(open("r.json"))
assert it["prompt"] == "Which?", it
assert it["responses"][0]["text"] == "first, with a comma"
j = it["judgments"][0]
assert (j["annotator"], j["verdict"], j["p_a"]) == ("human:crowd", "B", 0.25), j
assert [(x["response"], x["aspect"], x["value"]) for x in it["ratings"]] == [(0, "helpfulness", 3), (1, "helpfulness", 4.5)], it["ratings"]
PY

cat > x.jsonl <<'JS'
{"user query": "q1", "outputs": [{"final text": "x"}, {"final text": "y"}], "winner": "right"}
{"user query": "q2", "outputs": [{"final text": "x"}, {"final text": "y"}], "winner": "equal"}
JS
"$PS_BIN" import -w ws.db --name x --map 'prompt=["user query"],a=outputs[0]["final text"],b=outputs[1]["final text"],label=winner,label.a=left,label.b=right,label.tie=equal' x.jsonl 2>/dev/null
v0=$("$PS_BIN" show -w ws.db --json x 1 | python3 -c 'import json,sys; i=json.load(sys.stdin); print(i["prompt"], i["responses"][1]["text"], i["judgments"][0]["verdict"])')
[ "$v0" = "q1 y B" ] || fail "nested keys with spaces: got '$v0'"
v1=$("$PS_BIN" show -w ws.db --json x 2 | python3 -c 'import json,sys; print(json.load(sys.stdin)["judgments"][0]["verdict"])')
[ "$v1" = "tie" ] || fail "label.tie: got '$v1'"

printf '{"q": "hi", "a": "hello", "vote": "liked"}\n{"q": "hi", "a": "go away", "vote": "disliked"}\n' > votes.jsonl
"$PS_BIN" import -w ws.db --name v --map 'prompt=q,response=a,label=vote,label.good=liked,label.bad=disliked' votes.jsonl 2>/dev/null
v=$("$PS_BIN" show -w ws.db --json v 2 | python3 -c 'import json,sys; r=json.load(sys.stdin)["ratings"][0]; print(r["aspect"], r["value"])')
[ "$v" = "label 0" ] || fail "unpaired thumbs: got '$v'"
# an unknown label value is an error naming file:line
printf '{"q": "hi", "a": "x", "vote": "meh"}\n' > bad.jsonl
if "$PS_BIN" import -w ws.db --name bad --map 'prompt=q,response=a,label=vote,label.good=liked,label.bad=disliked' bad.jsonl 2> err.txt; then
    fail "unknown label accepted"
fi
grep -q 'bad.jsonl:1:' err.txt || fail "error does not name file:line: $(cat err.txt)"
echo "ok: docs/formats.md --map examples"
