#!/usr/bin/env bash
# recipes.best_of_n with a reward model (--scorer reward:rm) against the fake LLM's
# vLLM Pooling API (/pooling at the server root): random prompts, N samples from gen1,
# each scored by the reward model.  The pairs written (best and worst texts, their
# rewards as ratings of rm:rm, the judgment pointing at the best, the provenance), the
# counts, and the call log (/pooling rows with the request the server got) are
# recomputed in python from the responder's rules; a rerun sends nothing; a server
# without /pooling fails at once with one clear line.
set -uo pipefail
. "$PS_TESTS/e2e/recipes_lib.bash"
SEED=${RECIPES_SEED:-$RANDOM}
echo "seed $SEED"
NS=$(( (SEED % 4) + 2 ))
prompts_dataset "$SEED" 6 20
R=(run -m recipes.best_of_n --dataset src --generator gen1 --scorer reward:rm --n "$NS" --output bonr)

"${PS[@]}" run -m recipes.best_of_n --help | grep -q "reward:MODEL" || bad "--help does not name reward:MODEL"
"${PS[@]}" "${R[@]}" --dry-run --json > "$T/dry.json" || bad "dry run"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); n=int(sys.argv[2])*int(sys.argv[3]); m={x["model"]:x["calls"] for x in d["calls"]["models"]}; assert m=={"gen1":n,"rm":n}, m' \
    "$T/dry.json" "$N" "$NS" || bad "dry run counts"
[ "$(requests)" = 0 ] || bad "the dry run sent requests"

"${PS[@]}" "${R[@]}" --json > "$T/run.json" 2> "$T/run.err" || { bad "run failed"; cat "$T/run.err"; }
check() {
python3 - "$T/run.json" "$W" "$T/prompts.jsonl" "$NS" "$PS_TESTS/e2e" "$PORT" << 'P'
import json, sqlite3, sys, urllib.request
sys.path.insert(0, sys.argv[5])
import recipes_responder as rr
res = json.load(open(sys.argv[1])); con = sqlite3.connect(sys.argv[2]); n = int(sys.argv[4])
prompts = [json.loads(l) for l in open(sys.argv[3])]
written = equal = 0
for p in prompts:
    texts = [rr.gen_text("gen1", p["prompt"], 1000 + k) for k in range(1, n + 1)]
    scores = [rr.rm_score(t) for t in texts]
    row = con.execute("SELECT i.id, i.meta FROM item i JOIN dataset d ON d.id = i.dataset_id "
                      "WHERE d.name = 'bonr' AND i.key = ?", (p["id"],)).fetchone()
    hi, lo = max(scores), min(scores)
    if hi == lo:
        equal += 1; assert row is None, p; continue
    written += 1
    best, worst = scores.index(hi), scores.index(lo)
    assert row, p
    meta = json.loads(row[1])
    assert (meta["recipe"], meta["generator"], meta["scorer"], meta["scorer_kind"]) == \
        ("best_of_n", "gen1", "rm", "reward"), meta
    assert "template" not in meta, meta
    assert meta["scores"] == scores, (meta["scores"], scores)
    assert meta["params"]["scorer"] == "reward:rm" and meta["params"]["n"] == n, meta["params"]
    resp = con.execute("SELECT idx, text, meta, id FROM response WHERE item_id = ? ORDER BY idx", (row[0],)).fetchall()
    by_role = {json.loads(m)["role"]: (idx, t, rid) for idx, t, m, rid in resp}
    assert len(resp) == 2 and by_role["best"][1] == texts[best] and by_role["worst"][1] == texts[worst], (by_role, scores)
    (verdict, ann, why), = con.execute("SELECT verdict, annotator, rationale FROM judgment WHERE item_id = ?",
                                       (row[0],)).fetchall()
    assert ann == "best-of-n:reward:rm" and verdict == ("A" if by_role["best"][0] == 0 else "B"), (verdict, by_role)
    assert why.startswith("reward "), why
    rat = dict(con.execute("SELECT response_id, value FROM rating WHERE annotator = 'rm:rm' AND aspect = 'reward' "
                           "AND response_id IN (?, ?)", (by_role["best"][2], by_role["worst"][2])).fetchall())
    assert rat == {by_role["best"][2]: hi, by_role["worst"][2]: lo}, rat
assert (res["written"], res["all_equal"], res["too_few"]) == (written, equal, 0), (res, written, equal)
ds_meta = json.loads(con.execute("SELECT meta FROM dataset WHERE name = 'bonr'").fetchone()[0])
assert ds_meta["recipe"] == "best_of_n" and ds_meta["scorer_kind"] == "reward", ds_meta
# the call log: one /pooling row per scored response plus the probe, each the exact
# wire request vLLM takes, answered ok with the reward as the server sent it
rows = con.execute("SELECT request, response, status, prompt_tokens FROM llm_call WHERE endpoint = '/pooling'").fetchall()
assert len(rows) == n * len(prompts) + 1, (len(rows), n * len(prompts))
for req, resp, status, ptok in rows:
    q, a = json.loads(req), json.loads(resp)
    assert status == "ok" and q["model"] == "rm" and q["task"] == "classify" and q["use_activation"] is False, q
    assert q["messages"][-1]["role"] == "assistant" and q["messages"][-2]["role"] == "user", q
    assert a["data"][0]["data"] == [rr.rm_score(q["messages"][-1]["content"])] and ptok == a["usage"]["prompt_tokens"], a
stats = json.load(urllib.request.urlopen("http://127.0.0.1:%s/_stats" % sys.argv[6]))
assert stats["per_path"].get("/pooling") == len(rows) and "/v1/pooling" not in stats["per_path"], stats["per_path"]
print("pairs", written, "equal", equal)
P
}
check || bad "output dataset"
before=$(requests)
"${PS[@]}" "${R[@]}" > "$T/rerun.out" 2> /dev/null || bad "rerun"
[ "$(requests)" = "$before" ] || bad "the rerun sent requests"
grep -q "0 already there\|already there" "$T/rerun.out" || bad "rerun report: $(cat "$T/rerun.out")"

# a server without the Pooling API: one line naming the model and the fix, nothing written
"${PS[@]}" run -m recipes.best_of_n --dataset src --generator gen1 --scorer reward:nopool --n 2 --output nop \
    > "$T/nop.out" 2>&1; rc=$?
[ $rc != 0 ] || bad "nopool: rc 0"
grep -q "model 'nopool' gives no reward scores: HTTP 404: Not Found at http://127.0.0.1:$PORT/pooling: no Pooling API here" "$T/nop.out" \
    || bad "nopool message: $(cat "$T/nop.out")"
[ "$(wc -l < "$T/nop.out")" = 1 ] || bad "nopool: more than one line: $(cat "$T/nop.out")"
[ -z "$(sqlite3 "$W" "SELECT name FROM dataset WHERE name = 'nop'")" ] || bad "nopool wrote a dataset"
# batch export: reward calls have no batch API, so a captured run gets an error value
# for them (never a deferral that no results file could answer)
echo 'print(ps.model("rm"):reward{ prompt = "x", response = "not asked before" })' > "$T/rw.lua"
"${PS[@]}" batch export -o "$T/b.jsonl" -- run "$T/rw.lua" > "$T/b.out" 2>&1
grep -q "^nil	reward calls (vLLM /pooling) have no batch API: send them to the server" "$T/b.out" \
    || bad "batch export of reward calls: $(cat "$T/b.out")"
finish
