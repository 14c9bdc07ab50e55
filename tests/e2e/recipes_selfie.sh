#!/usr/bin/env bash
# recipes.selfie against the fake LLM: prompts with and without a pair.  Items without
# a pair get two samples of the policy (gen1, distinct request seeds: the texts are
# the responder's gen_text), items with one keep it; every pair is scored under the
# policy and the reference (4 echo calls per pair).  The fake's logprobs do not depend
# on the model, so every implicit reward is 0: verdicts are ties and --min-margin
# drops them all.  Checks the dry-run counts, the output pairs and meta, the feature
# error, and a rebuild from the cache after the output is lost.
set -uo pipefail
. "$PS_TESTS/e2e/recipes_lib.bash"
SEED=${RECIPES_SEED:-$RANDOM}
echo "seed $SEED"
python3 - "$T/p.jsonl" "$SEED" << 'P'
import json, random, sys
rnd = random.Random(int(sys.argv[2]))
with open(sys.argv[1], "w") as f:
    for i in range(rnd.randint(6, 16)):
        pair = rnd.random() < 0.5
        resp = [{"text": "own %d a" % i}, {"text": "own %d bb" % i}] if pair else [{"text": "single"}]
        js = [{"a": 0, "b": 1, "annotator": "human:seed", "verdict": "A"}] if pair else []
        f.write(json.dumps({"id": "s%d" % i, "prompt": "topic %d %d" % (i, rnd.randint(0, 10**6)),
                            "responses": resp, "judgments": js}) + "\n")
P
"$PS_BIN" -w "$W" import --name sf "$T/p.jsonl" > /dev/null || bad "import"
NP=$(grep -c '"own' "$T/p.jsonl"); N=$(wc -l < "$T/p.jsonl"); NG=$((N - NP))
R=(run -m recipes.selfie --dataset sf --policy gen1 --reference weak --seed-labels human:seed)
"${PS[@]}" "${R[@]}" --dry-run --json > "$T/dry.json" || bad "dry run"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); n,ng=int(sys.argv[2]),int(sys.argv[3]); m={x["model"]:x["calls"] for x in d["calls"]["models"]}; assert m=={"gen1":2*ng+2*n,"weak":2*n}, (m,n,ng)' \
    "$T/dry.json" "$N" "$NG" || bad "dry run counts"
[ "$(requests)" = 0 ] || bad "the dry run sent requests"
"${PS[@]}" "${R[@]}" --json > "$T/run.json" 2> "$T/run.err" || { bad "run"; cat "$T/run.err"; }
check() {
python3 - "$W" "$T/run.json" "$T/p.jsonl" "$PS_TESTS/e2e" << 'P'
import json, sqlite3, sys
sys.path.insert(0, sys.argv[4])
import recipes_responder as rr
con = sqlite3.connect(sys.argv[1]); res = json.load(open(sys.argv[2]))
src = [json.loads(l) for l in open(sys.argv[3])]
assert res["written"] == len(src) and res["below_margin"] == 0, res
own = sum(1 for s in src if len(s["responses"]) == 2)
assert res["n"] == own and (own == 0 or res["agreement"] == 0), res
for s in src:
    (iid, meta), = con.execute("SELECT i.id, i.meta FROM item i JOIN dataset d ON d.id = i.dataset_id WHERE d.name = 'sf-selfie-r1' AND i.key = ?", (s["id"],)).fetchall()
    texts = [t for (t,) in con.execute("SELECT text FROM response WHERE item_id = ? ORDER BY idx", (iid,))]
    if len(s["responses"]) == 2:
        want = [r["text"] for r in s["responses"]]
    else:
        want = [rr.gen_text("gen1", s["prompt"], 1000 + k) for k in (1, 2)]
    assert texts == want, (texts, want)
    (v, pa, ann, jm), = con.execute("SELECT verdict, p_a, annotator, meta FROM judgment WHERE item_id = ?", (iid,)).fetchall()
    m = json.loads(jm)
    assert v == "tie" and pa == 0.5 and ann == "selfie:gen1", (v, pa, ann)
    assert m["recipe"] == "selfie" and m["round"] == 1 and m["reference"] == "weak" and m["margin"] == 0, m
    assert m["own_pair"] == (len(s["responses"]) == 2), m
P
}
check || bad "output"
before=$(requests)
"$PS_BIN" -w "$W" run - <<< 'assert(ps.dataset("sf-selfie-r1")):delete()' || bad "delete"
"${PS[@]}" "${R[@]}" --json > "$T/run.json" 2> /dev/null || bad "resume"

[ "$(requests)" = "$before" ] || bad "the resume sent $(( $(requests) - before )) requests"
check || bad "resumed output"
"${PS[@]}" "${R[@]}" --output cut --min-margin 0.001 --json > "$T/cut.json" 2> /dev/null || bad "margin run"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["written"]==0 and d["below_margin"]==int(sys.argv[2]), d' "$T/cut.json" "$N" \
    || bad "--min-margin did not drop the zero-margin pairs"
[ -z "$(sqlite3 "$W" "SELECT name FROM dataset WHERE name = 'cut'")" ] || bad "an empty output dataset was created"
"${PS[@]}" run -m recipes.selfie --dataset sf --policy nolp --reference weak --output other > "$T/e1" 2>&1; rc=$?
[ $rc = 2 ] && grep -q "model 'nolp' cannot score given text" "$T/e1" || bad "nolp: rc $rc"
finish
