#!/usr/bin/env bash
# recipes.cdr against the fake LLM's /v1/completions with echo + logprobs: every stored
# log-likelihood must be the sum of the fake's token logprobs over the response's
# tokens (recomputed in python from the requests the server saw), the reward their
# difference and the verdict its sign (the fake's logprobs do not depend on the
# model, so every reward is 0 and every verdict a tie); a model without logprobs
# (nolp) or without echo (llamacpp) stops the recipe with a one-line error before any
# scoring; a rerun is answered by the cache and writes nothing.
set -uo pipefail
. "$PS_TESTS/e2e/recipes_lib.bash"
SEED=${RECIPES_SEED:-$RANDOM}
echo "seed $SEED"
python3 - "$T/pairs.jsonl" "$SEED" << 'P'
import json, random, sys
rnd = random.Random(int(sys.argv[2]))
w = lambda: " ".join("".join(rnd.choice("abcdefghij") for _ in range(rnd.randint(1, 8))) for _ in range(rnd.randint(1, 12)))
with open(sys.argv[1], "w") as f:
    for i in range(rnd.randint(5, 15)):
        f.write(json.dumps({"id": "c%d" % i, "prompt": "say %d" % i, "responses": [{"text": w()}, {"text": w()}],
                            "judgments": [{"a": 0, "b": 1, "annotator": "human:h", "verdict": rnd.choice("AB")}]}) + "\n")
P
"$PS_BIN" -w "$W" import --name cd "$T/pairs.jsonl" > /dev/null || bad "import"
N=$(wc -l < "$T/pairs.jsonl")
"${PS[@]}" run -m recipes.cdr --help | grep -q "prompt_logprobs" || bad "--help does not name the feature"
for m in nolp llamacpp; do
    "${PS[@]}" run -m recipes.cdr --dataset cd --strong strong --weak $m > "$T/e_$m" 2>&1; rc=$?
    [ $rc = 2 ] && grep -q "model '$m' cannot score given text" "$T/e_$m" && [ "$(wc -l < "$T/e_$m")" = 1 ] \
        || bad "$m: rc $rc $(cat "$T/e_$m")"
done
[ "$(sqlite3 "$W" "SELECT count(*) FROM rating")" = 0 ] || bad "a failed feature check wrote ratings"
curl -s -X POST "http://127.0.0.1:$PORT/_reset" > /dev/null
R=(run -m recipes.cdr --dataset cd --strong strong --weak weak --reference human:h)
"${PS[@]}" "${R[@]}" --dry-run --json > "$T/dry.json" || bad "dry run"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["calls"]["total"]==4*int(sys.argv[2]), d["calls"]' "$T/dry.json" "$N" || bad "dry count"
[ "$(requests)" = 0 ] || bad "the dry run sent requests"
"${PS[@]}" "${R[@]}" --json > "$T/run.json" 2> "$T/run.err" || { bad "run"; cat "$T/run.err"; }
curl -s "http://127.0.0.1:$PORT/_requests" > "$T/requests.json"
python3 - "$W" "$T/run.json" "$T/requests.json" "$PS_TESTS/e2e" << 'P' || bad "scores"
import json, sqlite3, sys
sys.path.insert(0, sys.argv[4])
import fake_llm
con = sqlite3.connect(sys.argv[1]); res = json.load(open(sys.argv[2])); log = json.load(open(sys.argv[3]))
def loglik(full, start):  # the fake's logprobs of the tokens starting at or after `start`
    total, pos = 0.0, 0
    for t in fake_llm.tokens_of(full):
        if pos >= start: total += fake_llm.lp_of(t)
        pos += len(t)
    return total
sent = {}
for e in log:
    b = e["body"]
    if b.get("echo") and b["prompt"] != "The sky is blue.":
        sent.setdefault(b["model"], []).append(b["prompt"])
rows = con.execute("""SELECT r.text, x.aspect, x.value FROM rating x JOIN response r ON r.id = x.response_id
    WHERE x.annotator = 'cdr:strong/weak'""").fetchall()
assert len(rows) == 3 * 2 * res["pairs"], len(rows)
for text, aspect, value in rows:
    if aspect == "cdr":
        assert value == 0, value; continue
    model = aspect.split(":", 1)[1]
    full = [s for s in sent[model] if s.endswith("Assistant: " + text)]
    assert full, (model, text)
    want = loglik(full[0], len(full[0]) - len(text) - 1)
    assert abs(value - want) < 1e-6, (aspect, text, value, want)
js = con.execute("SELECT verdict, p_a, meta FROM judgment WHERE annotator = 'cdr:strong/weak'").fetchall()
assert len(js) == res["pairs"] and all(v == "tie" and p == 0.5 for v, p, _ in js), js
m = json.loads(js[0][2]); assert m["recipe"] == "cdr" and m["strong"] == "strong" and m["weak"] == "weak", m
assert res["n"] == res["pairs"] and res["agreement"] == 0, res
P
before=$(requests)
"${PS[@]}" "${R[@]}" > /dev/null 2>&1 || bad "rerun"
[ "$(sqlite3 "$W" "SELECT count(*) FROM judgment WHERE annotator = 'cdr:strong/weak'")" = "$N" ] || bad "rerun duplicated"
sqlite3 "$W" "DELETE FROM judgment WHERE annotator LIKE 'cdr:%'; DELETE FROM rating WHERE annotator LIKE 'cdr:%'"
"${PS[@]}" "${R[@]}" --json > "$T/resume.json" 2> /dev/null || bad "resume"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["calls"]["cached"]==d["calls"]["total"]==4*int(sys.argv[2]), d["calls"]' \
    "$T/resume.json" "$N" || bad "resume not from the cache"
finish
