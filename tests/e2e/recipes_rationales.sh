#!/usr/bin/env bash
# recipes.rationales against the fake LLM: random pairs labelled A, B or tie by
# human:lab, some presented in reversed order.  Every A/B label gets exactly one
# judgment by rationale:explainer with the same presentation and verdict, whose
# rationale quotes the start of the preferred response (so the slot shuffle is
# undone right) and whose meta names the source judgment; ties get none; a rerun
# sends and writes nothing; no labels by the source is a one-line error.
set -uo pipefail
. "$PS_TESTS/e2e/recipes_lib.bash"
SEED=${RECIPES_SEED:-$RANDOM}
echo "seed $SEED"
python3 - "$T/pairs.jsonl" "$SEED" << 'P'
import json, random, sys
rnd = random.Random(int(sys.argv[2]))
w = lambda: "".join(rnd.choice("klmnopqrst") for _ in range(rnd.randint(3, 30)))
with open(sys.argv[1], "w") as f:
    for i in range(rnd.randint(10, 30)):
        a, b = (0, 1) if rnd.random() < 0.7 else (1, 0)
        f.write(json.dumps({"id": "r%d" % i, "prompt": "ask %d" % i, "responses": [{"text": w()}, {"text": w()}],
                            "judgments": [{"a": a, "b": b, "annotator": "human:lab",
                                           "verdict": rnd.choice(["A", "B", "tie"])}]}) + "\n")
P
"$PS_BIN" -w "$W" import --name rd "$T/pairs.jsonl" > /dev/null || bad "import"
R=(run -m recipes.rationales --dataset rd --model explainer --source human:lab)
"${PS[@]}" "${R[@]}" --dry-run > "$T/dry" || bad "dry run"
[ "$(requests)" = 0 ] || bad "the dry run sent requests"
"${PS[@]}" "${R[@]}" --json > "$T/run.json" 2> "$T/run.err" || { bad "run"; cat "$T/run.err"; }
python3 - "$W" "$T/run.json" << 'P' || bad "rationales"
import json, sqlite3, sys
con = sqlite3.connect(sys.argv[1]); res = json.load(open(sys.argv[2]))
src = con.execute("""SELECT j.id, j.item_id, j.response_a, j.response_b, j.verdict FROM judgment j
    WHERE j.annotator = 'human:lab'""").fetchall()
ab = [s for s in src if s[4] in ("A", "B")]
assert res["labelled"] == len(ab) and res["written"] == len(ab), (res, len(ab))
for jid, item, ra, rb, v in src:
    rows = con.execute("""SELECT response_a, response_b, verdict, rationale, meta FROM judgment
        WHERE item_id = ? AND annotator = 'rationale:explainer'""", (item,)).fetchall()
    if v == "tie":
        assert rows == [], rows; continue
    (a, b, v2, why, meta), = rows
    assert (a, b, v2) == (ra, rb, v), (rows, ra, rb, v)
    chosen = ra if v == "A" else rb
    text = con.execute("SELECT text FROM response WHERE id = ?", (chosen,)).fetchone()[0]
    m = json.loads(meta)
    assert why == "Reply %s is better: it starts with '%s'." % (m["preferred_slot"], text[:12]), (why, text)
    assert m["source_judgment"] == jid and m["recipe"] == "rationales" and m["model"] == "explainer", m
    assert m["template"] == "recipes/rationale" and m["source_annotator"] == "human:lab", m
slots = [json.loads(r[0])["preferred_slot"] for r in con.execute("SELECT meta FROM judgment WHERE annotator = 'rationale:explainer'")]
assert len(ab) < 8 or len(set(slots)) == 2, slots
P
before=$(requests)
"${PS[@]}" "${R[@]}" > /dev/null 2>&1 || bad "rerun"
[ "$(requests)" = "$before" ] || bad "the rerun sent requests"
[ "$(sqlite3 "$W" "SELECT count(*) FROM judgment WHERE annotator = 'rationale:explainer'")" = \
  "$(sqlite3 "$W" "SELECT count(*) FROM judgment WHERE annotator = 'human:lab' AND verdict IN ('A','B')")" ] || bad "rerun duplicated"
"${PS[@]}" run -m recipes.rationales --dataset rd --model explainer > "$T/e1" 2>&1; rc=$?
[ $rc = 2 ] && grep -q "no A/B label by 'dataset'" "$T/e1" || bad "no source labels: rc $rc"
finish
