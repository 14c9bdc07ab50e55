#!/usr/bin/env bash
# recipes.ultrafeedback against the fake LLM: random prompts, completions from three
# generators, four aspect ratings per completion by "rater" (honesty sometimes N/A),
# shown in a shuffled order per aspect.  Every stored rating must be the responder's
# rating of that completion's text (so the shuffle is undone right), every rationale
# must name the position the completion was shown at (the recorded order), and the
# binarized pair must follow the rule (best-worst and best-random) recomputed in
# python.  The second binarization reuses every call from the cache; --dry-run and
# bad values are checked too.
set -uo pipefail
. "$PS_TESTS/e2e/recipes_lib.bash"
SEED=${RECIPES_SEED:-$RANDOM}
echo "seed $SEED"
python3 - "$T/prompts.jsonl" "$SEED" << 'P'
import json, random, sys
rnd = random.Random(int(sys.argv[2]))
with open(sys.argv[1], "w") as f:
    for i in range(rnd.randint(5, 15)):
        f.write(json.dumps({"id": "u%d" % i, "prompt": "explain %d %d" % (i, rnd.randint(0, 10**9)),
                            "responses": [{"text": "x"}]}) + "\n")
P
"$PS_BIN" -w "$W" import --name src "$T/prompts.jsonl" > /dev/null || bad "import"
N=$(wc -l < "$T/prompts.jsonl")
R=(run -m recipes.ultrafeedback --dataset src --models gen1,gen2,gen3 --judge rater --seed "$SEED")

"${PS[@]}" run -m recipes.ultrafeedback --help | grep -qF "[best-random]" || bad "--help lacks --binarize default"
"${PS[@]}" "${R[@]}" --dry-run --json > "$T/dry.json" || bad "dry run"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); n=int(sys.argv[2]); m={x["model"]:x["calls"] for x in d["calls"]["models"]}; assert m=={"gen1":n,"gen2":n,"gen3":n,"rater":4*n}, m' \
    "$T/dry.json" "$N" || bad "dry run counts"
[ "$(requests)" = 0 ] || bad "the dry run sent requests"

"${PS[@]}" "${R[@]}" --binarize best-worst --output uf-worst --json > "$T/w.json" 2> "$T/w.err" || { bad "run"; cat "$T/w.err"; }
sent=$(requests)
[ "$sent" = $((7 * N)) ] || bad "sent $sent requests, expected $((7 * N))"
"${PS[@]}" "${R[@]}" --binarize best-random --output uf-random --json > "$T/r.json" 2> /dev/null || bad "second run"
[ "$(requests)" = "$sent" ] || bad "the second binarization sent requests (cache not used)"
python3 - "$W" "$T/prompts.jsonl" "$PS_TESTS/e2e" << 'P' || bad "ratings, rationales or pairs"
import json, sqlite3, sys
sys.path.insert(0, sys.argv[3])
import recipes_responder as rr
con = sqlite3.connect(sys.argv[1])
prompts = [json.loads(l) for l in open(sys.argv[2])]
ASPECTS = [("instruction_following", "Instruction following"), ("honesty", "Honesty"),
           ("truthfulness", "Truthfulness"), ("helpfulness", "Helpfulness")]
for out, rule in (("uf-worst", "best-worst"), ("uf-random", "best-random")):
    items = con.execute("SELECT i.id, i.key, i.meta FROM item i JOIN dataset d ON d.id = i.dataset_id WHERE d.name = ?",
                        (out,)).fetchall()
    assert len(items) == len(prompts), (out, len(items))
    for iid, key, meta in items:
        meta = json.loads(meta)
        assert meta["recipe"] == "ultrafeedback" and meta["params"]["binarize"] == rule and meta["judge"] == "rater", meta
        resp = con.execute("SELECT id, idx, text, model, meta FROM response WHERE item_id = ? ORDER BY idx", (iid,)).fetchall()
        assert [r[3] for r in resp] == ["gen1", "gen2", "gen3"], resp
        means = []
        for rid, idx, text, model, rmeta in resp:
            rmeta = json.loads(rmeta)
            assert rmeta["principle"] in ("helpfulness", "truthfulness", "honesty", "verbalized_calibration")
            vals = []
            for a, (asp, name) in enumerate(ASPECTS):
                want = rr.uf_rating(name, text)
                got = rmeta["ratings"][asp]
                assert got["rating"] == want, (key, model, asp, got, want)
                pos = meta["orders"][a].index(idx + 1) + 1
                assert got["rationale"] == "%s for text %d" % (name, pos), (got, pos)
                stored = con.execute("SELECT value FROM rating WHERE response_id = ? AND aspect = ? AND annotator = 'llm:rater'",
                                     (rid, asp)).fetchall()
                assert stored == ([] if want is None else [(want,)]), (stored, want)
                if want is not None: vals.append(want)
            means.append(sum(vals) / len(vals))
        best = means.index(max(means))
        js = con.execute("""SELECT ra.idx, rb.idx, j.verdict, j.annotator, j.meta FROM judgment j
            JOIN response ra ON ra.id = j.response_a JOIN response rb ON rb.id = j.response_b WHERE j.item_id = ?""", (iid,)).fetchall()
        if rule == "best-worst":
            worst = means.index(min(means))
            if means[best] == means[worst]:
                assert js == [], js; continue
            rej = worst
        else:
            assert len(js) <= 1
            if not js:
                assert all(m == means[best] for m in means), means; continue
            a, b, v, _, _ = js[0]
            rej = b if v == "A" else a
            assert rej != best and means[rej] < means[best], (means, js)
        (a, b, v, ann, jm), = js
        assert ann == "ultrafeedback:rater" and a < b and {a, b} == {best, rej}, (js, best, rej)
        assert v == ("A" if a == best else "B"), js
        jm = json.loads(jm)
        assert jm["chosen"] == best + 1 and jm["rejected"] == rej + 1 and jm["binarize"] == rule, jm
P
"${PS[@]}" "${R[@]}" --binarize nope > "$T/e1" 2>&1; rc=$?
[ $rc = 2 ] && grep -q "binarize must be" "$T/e1" || bad "bad --binarize: rc $rc"
"${PS[@]}" run -m recipes.ultrafeedback --dataset src --models gen1 --judge rater > "$T/e2" 2>&1; rc=$?
[ $rc = 2 ] && grep -q "at least two" "$T/e2" || bad "one model: rc $rc"
finish
