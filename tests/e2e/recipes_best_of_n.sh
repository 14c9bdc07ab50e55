#!/usr/bin/env bash
# recipes.best_of_n against the fake LLM: random prompts, N samples from gen1 (the
# request seed varies the answer), each scored by "scorer" (some answers carry no
# rating).  The pairs written (best and worst, their scores as ratings, the judgment
# pointing at the best), the counts of prompts skipped for equal or missing scores,
# and the provenance are recomputed in python from the responder's rules; a rerun
# sends nothing; a lost output dataset is rebuilt from the cache; bad values fail.
set -uo pipefail
. "$PS_TESTS/e2e/recipes_lib.bash"
SEED=${RECIPES_SEED:-$RANDOM}
echo "seed $SEED"
NS=$(( (SEED % 4) + 2 ))
prompts_dataset "$SEED" 8 25
R=(run -m recipes.best_of_n --dataset src --generator gen1 --scorer scorer --n "$NS" --output bon)

"${PS[@]}" run -m recipes.best_of_n --help > "$T/help" || bad "--help"
grep -qF -- "--n INTEGER" "$T/help" && grep -qF "[{dataset}-best-of-{n}]" "$T/help" || bad "--help lacks parameters"
"${PS[@]}" "${R[@]}" --dry-run --json > "$T/dry.json" || bad "dry run"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); n=int(sys.argv[2])*int(sys.argv[3]); m={x["model"]:x["calls"] for x in d["calls"]["models"]}; assert m=={"gen1":n,"scorer":n}, m' \
    "$T/dry.json" "$N" "$NS" || bad "dry run counts"
[ "$(requests)" = 0 ] || bad "the dry run sent requests"
[ -z "$(sqlite3 "$W" "SELECT name FROM dataset WHERE name = 'bon'")" ] || bad "the dry run created the dataset"

"${PS[@]}" "${R[@]}" --json > "$T/run.json" 2> "$T/run.err" || { bad "run failed"; cat "$T/run.err"; }
check() { # the output dataset against the responder's rules
python3 - "$T/run.json" "$W" "$T/prompts.jsonl" "$NS" "$PS_TESTS/e2e" << 'P'
import json, sqlite3, sys
sys.path.insert(0, sys.argv[5])
import recipes_responder as rr
res = json.load(open(sys.argv[1])); con = sqlite3.connect(sys.argv[2]); n = int(sys.argv[4])
prompts = [json.loads(l) for l in open(sys.argv[3])]
written = equal = few = 0
for p in prompts:
    texts = [rr.gen_text("gen1", p["prompt"], 1000 + k) for k in range(1, n + 1)]
    scores = [rr.score_of(t) for t in texts]
    valid = [(s, k) for k, s in enumerate(scores) if s is not None]
    row = con.execute("SELECT i.id, i.meta FROM item i JOIN dataset d ON d.id = i.dataset_id WHERE d.name = 'bon' AND i.key = ?",
                      (p["id"],)).fetchone()
    if len(valid) < 2:
        few += 1; assert row is None, p; continue
    hi = max(s for s, _ in valid); lo = min(s for s, _ in valid)
    if hi == lo:
        equal += 1; assert row is None, p; continue
    written += 1
    best = next(k for s, k in valid if s == hi); worst = next(k for s, k in valid if s == lo)
    assert row, p
    meta = json.loads(row[1])
    assert meta["recipe"] == "best_of_n" and meta["generator"] == "gen1" and meta["scorer"] == "scorer", meta
    assert meta["scores"] == [s if s is not None else None for s in scores], (meta["scores"], scores)
    resp = con.execute("SELECT idx, text, meta, id FROM response WHERE item_id = ? ORDER BY idx", (row[0],)).fetchall()
    assert len(resp) == 2, resp
    by_role = {json.loads(m)["role"]: (idx, t, rid) for idx, t, m, rid in resp}
    assert by_role["best"][1] == texts[best] and by_role["worst"][1] == texts[worst], (by_role, texts, scores)
    (verdict, ann, jmeta), = con.execute("SELECT verdict, annotator, meta FROM judgment WHERE item_id = ?", (row[0],)).fetchall()
    assert ann == "best-of-n:scorer" and verdict == ("A" if by_role["best"][0] == 0 else "B"), (verdict, by_role)
    assert json.loads(jmeta)["params"]["n"] == n
    rat = dict(con.execute("SELECT response_id, value FROM rating WHERE annotator = 'llm:scorer' AND response_id IN (?, ?)",
                           (by_role["best"][2], by_role["worst"][2])).fetchall())
    assert rat == {by_role["best"][2]: hi, by_role["worst"][2]: lo}, rat
assert (res["written"], res["all_equal"], res["too_few"]) == (written, equal, few), (res, written, equal, few)
total = con.execute("SELECT count(*) FROM item i JOIN dataset d ON d.id = i.dataset_id WHERE d.name = 'bon'").fetchone()[0]
assert total == written, (total, written)
print("pairs", written, "equal", equal, "few", few)
P
}
check || bad "output dataset"
before=$(requests)
"${PS[@]}" "${R[@]}" > "$T/rerun.out" 2> /dev/null || bad "rerun"
[ "$(requests)" = "$before" ] || bad "the rerun sent requests"
# the output lost (as if the write never happened): rebuilt from the cache
"$PS_BIN" -w "$W" run - <<< 'assert(ps.dataset("bon")):delete()' || bad "delete"
"${PS[@]}" "${R[@]}" --json > "$T/run.json" 2> /dev/null || bad "resume"
[ "$(requests)" = "$before" ] || bad "the resume sent requests"
check > /dev/null || bad "resumed output dataset"
"${PS[@]}" run -m recipes.best_of_n --dataset src --generator gen1 --scorer scorer --n 1 > "$T/e1" 2>&1; rc=$?
[ $rc = 2 ] && grep -q -- "--n must be >= 2" "$T/e1" || bad "--n 1: rc $rc"
finish
