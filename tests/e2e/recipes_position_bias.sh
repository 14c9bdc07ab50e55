#!/usr/bin/env bash
# recipes.position_bias against the fake LLM (recipes_responder.py): random pairs
# (lengths drawn at random, some equal, a hostile prompt) judged in both orders by a
# fair judge, a first-slot judge and a mixed one.  Checks --help, the dry run (counts,
# nothing sent), the stored judgments (both orders, provenance meta), the report
# recomputed independently in python from the requests the server saw, a rerun that
# sends and writes nothing, a resume from the cache after judgments are lost, and the
# errors for an unknown judge / dataset / parameter.
set -uo pipefail
. "$PS_TESTS/e2e/recipes_lib.bash"
SEED=${RECIPES_SEED:-$RANDOM}
echo "seed $SEED"
python3 - "$T/pairs.jsonl" "$SEED" << 'P'
import json, random, sys
rnd = random.Random(int(sys.argv[2]))
with open(sys.argv[1], "w") as f:
    for i in range(rnd.randint(12, 30)):
        la = rnd.randint(1, 40)
        lb = la if rnd.random() < 0.2 else rnd.randint(1, 40)
        word = lambda n: "".join(rnd.choice("abcdefgh ") for _ in range(n)).strip() or "x"
        p = "question %d \x1b]0;pwn\x07 %s" % (i, word(10)) if i == 0 else "question %d %s" % (i, word(12))
        f.write(json.dumps({"id": "q%d" % i, "prompt": p,
                            "responses": [{"text": "a" * la, "model": "m1"}, {"text": "b" * lb, "model": "m2"}]}) + "\n")
P
"$PS_BIN" -w "$W" import --name pb "$T/pairs.jsonl" > /dev/null || bad "import"
N=$(wc -l < "$T/pairs.jsonl")
R=(run -m recipes.position_bias --dataset pb --judges fair,firsty,mixed)

"${PS[@]}" run -m recipes.position_bias --help > "$T/help" || bad "--help exit status"
for want in "--dataset STRING" "--judges A,B,..." "[pairwise]" "[llm:{model}]" "--dry-run" "[1024]"; do
    grep -qF -- "$want" "$T/help" || bad "--help lacks '$want'"
done

"${PS[@]}" "${R[@]}" --dry-run --json > "$T/dry.json" || bad "dry run failed"
python3 - "$T/dry.json" "$N" << 'P' || bad "dry run estimate"
import json, sys
d = json.load(open(sys.argv[1])); n = int(sys.argv[2])
assert d["dry_run"] and d["calls"]["total"] == 6 * n, d["calls"]
for m in d["calls"]["models"]:
    assert m["calls"] == 2 * n and m["tokens_in"] > 0 and m["tokens_out"] == 2 * n * 1024, m
    assert abs(m["cost"] - (m["tokens_in"] * 1 + m["tokens_out"] * 2) / 1e6) < 1e-9, m
P
[ "$(requests)" = 0 ] || bad "the dry run sent requests"
[ "$(sqlite3 "$W" "SELECT count(*) FROM judgment")" = 0 ] || bad "the dry run wrote judgments"

"${PS[@]}" "${R[@]}" --json > "$T/run.json" 2> "$T/run.err" || { bad "run failed"; cat "$T/run.err"; }
curl -s "http://127.0.0.1:$PORT/_requests" > "$T/requests.json"
python3 - "$T/run.json" "$T/requests.json" "$W" "$N" "$PS_TESTS/e2e" << 'P' || bad "report or stored judgments"
import json, sqlite3, sys
sys.path.insert(0, sys.argv[5])
import recipes_responder as rr
res = json.load(open(sys.argv[1])); log = json.load(open(sys.argv[2])); n = int(sys.argv[4])
con = sqlite3.connect(sys.argv[3])
# independent: the verdict of every request the server answered, by judge and order
seen = {}
for e in log:
    b = e["body"]; prompt = b["messages"][-1]["content"]
    a_text, b_text = rr.REPLY.search(prompt).groups()
    v = rr.judge(b["model"], prompt)[2:-2]
    order = "12" if a_text.startswith("a") else "21"
    key = prompt.split("# Reply A")[0]
    seen.setdefault(b["model"], {}).setdefault(key, {})[order] = v
assert len(log) == 6 * n, len(log)
flip = {"A": "B", "B": "A", "tie": "tie"}
for r in res["judges"]:
    model = r["annotator"].split(":", 1)[1]
    units = seen[model]
    assert len(units) == n and r["units"] == n, (model, len(units), r["units"])
    cons = sum(1 for u in units.values() if u["12"] == flip[u["21"]])
    first = sum(1 for u in units.values() if u["12"] == "A" and u["21"] == "A")
    second = sum(1 for u in units.values() if u["12"] == "B" and u["21"] == "B")
    fs = sum(1 for u in units.values() for o in "12 21".split() if u[o] == "A")
    ss = sum(1 for u in units.values() for o in "12 21".split() if u[o] == "B")
    assert r["consistent"] == cons and r["first_both"] == first and r["second_both"] == second, (r, cons, first, second)
    assert abs(r["consistency"] - cons / n) < 1e-12
    assert r["first_slot"] == fs and r["second_slot"] == ss, r
    assert r["favours"] == ("first" if fs > ss else "second" if ss > fs else "neither"), r
    if model == "fair":
        assert r["consistency"] == 1, r
    if model == "firsty":
        assert r["first_both"] == n and r["favours"] == "first", r
    # stored: both orders, verdict as the server decided, provenance meta
    rows = con.execute("""SELECT ra.idx, rb.idx, j.verdict, j.meta, i.prompt FROM judgment j
        JOIN item i ON i.id = j.item_id JOIN response ra ON ra.id = j.response_a
        JOIN response rb ON rb.id = j.response_b WHERE j.annotator = ?""", (r["annotator"],)).fetchall()
    assert len(rows) == 2 * n, (model, len(rows))
    for a, b, verdict, meta, prompt in rows:
        m = json.loads(meta)
        assert m["recipe"] == "position_bias" and m["model"] == model and m["template"] == "pairwise", m
        assert m["params"]["judges"] == ["fair", "firsty", "mixed"] and m["params"]["dataset"] == "pb", m
        assert m["order"] == ("original" if a < b else "swapped"), (m, a, b)
P
grep -q $'\x1b' "$T/run.json" && bad "control characters reached the output"

# a rerun: nothing sent, nothing written twice
before=$(requests)
"${PS[@]}" "${R[@]}" > "$T/rerun.out" 2>&1 || bad "rerun failed"
[ "$(requests)" = "$before" ] || bad "the rerun sent requests"
[ "$(sqlite3 "$W" "SELECT count(*) FROM judgment")" = $((6 * N)) ] || bad "the rerun duplicated judgments"
grep -q "llm:mixed" "$T/rerun.out" || bad "the rerun's report lacks a judge"

# judgments lost (as after a crash before the write): the run resumes from the cache
sqlite3 "$W" "DELETE FROM judgment WHERE annotator = 'llm:fair'"
"${PS[@]}" "${R[@]}" --json > "$T/resume.json" 2> /dev/null || bad "resume failed"
[ "$(requests)" = "$before" ] || bad "the resume sent requests instead of using the cache"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["calls"]["cached"] == 2*int(sys.argv[2]), d["calls"]' \
    "$T/resume.json" "$N" || bad "resume: answers not from the cache"
[ "$(sqlite3 "$W" "SELECT count(*) FROM judgment WHERE annotator = 'llm:fair'")" = $((2 * N)) ] || bad "resume did not restore"

# errors: one line, exit 2, hostile values sanitized
"${PS[@]}" run -m recipes.position_bias --dataset pb --judges nosuch > "$T/e1" 2>&1; rc=$?
[ $rc = 2 ] && grep -q "model 'nosuch'" "$T/e1" && [ "$(wc -l < "$T/e1")" = 1 ] || bad "unknown judge: rc $rc $(cat "$T/e1")"
"${PS[@]}" run -m recipes.position_bias --dataset $'x\x1b[2Jy' --judges fair > "$T/e2" 2>&1; rc=$?
[ $rc = 2 ] && ! grep -q $'\x1b' "$T/e2" && grep -q "dataset 'x?\[2Jy'" "$T/e2" || bad "hostile dataset: rc $rc"
"${PS[@]}" run -m recipes.position_bias --dataset pb --judges fair --sample x > "$T/e3" 2>&1; rc=$?
[ $rc = 2 ] && grep -q "expects an integer" "$T/e3" || bad "bad integer: rc $rc"
"${PS[@]}" run -m recipes.position_bias --datset pb > "$T/e4" 2>&1; rc=$?
[ $rc = 2 ] && grep -q "unknown parameter --datset" "$T/e4" || bad "unknown parameter: rc $rc"
"${PS[@]}" run -m recipes.position_bias --judges fair > "$T/e5" 2>&1; rc=$?
[ $rc = 2 ] && grep -q -- "--dataset is required" "$T/e5" || bad "required: rc $rc"
printf '%s\n' '{"prompt":"only one","response":"r"}' > "$T/single.jsonl"
"$PS_BIN" -w "$W" import --name single --map 'prompt=prompt,response=response' "$T/single.jsonl" > /dev/null 2>&1 || bad "import single"
"${PS[@]}" run -m recipes.position_bias --dataset single --judges fair > "$T/e6" 2>&1; rc=$?
[ $rc = 2 ] && grep -q "dataset 'single' has no pairs with text" "$T/e6" || bad "no pairs: rc $rc $(cat "$T/e6")"
# run -m: an unknown module, a hostile name, a module without main()
"$PS_BIN" run -m $'recipes.nope\x1b[2J' > "$T/m1" 2>&1; rc=$?
[ $rc = 2 ] && grep -q "no Lua module 'recipes.nope?\[2J'" "$T/m1" && ! grep -q $'\x1b' "$T/m1" || bad "unknown module: rc $rc"
"$PS_BIN" run -m prefscope.util > "$T/m2" 2>&1; rc=$?
[ $rc = 2 ] && grep -q "has no main function" "$T/m2" || bad "module without main: rc $rc"
"$PS_BIN" run -m > "$T/m3" 2>&1; rc=$?
[ $rc != 0 ] || bad "-m without a name succeeded"
finish
