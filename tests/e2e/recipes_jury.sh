#!/usr/bin/env bash
# recipes.jury against the fake LLM: random labelled pairs (the human label follows
# the longer response 75% of the time), three judges (fair = longer wins, noisy = a
# coin per request, secondy = always B) and their majority.  Each judge's and the
# jury's agreement and Cohen's kappa with the human labels are recomputed in python
# from the requests the server saw and compared with the report; the stored jury
# judgments carry the votes; a rerun sends and writes nothing; a reference with no
# labels is a one-line error.
set -uo pipefail
. "$PS_TESTS/e2e/recipes_lib.bash"
SEED=${RECIPES_SEED:-$RANDOM}
echo "seed $SEED"
python3 - "$T/pairs.jsonl" "$SEED" << 'P'
import json, random, sys
rnd = random.Random(int(sys.argv[2]))
with open(sys.argv[1], "w") as f:
    for i in range(rnd.randint(15, 35)):
        la = rnd.randint(1, 30)
        lb = la if rnd.random() < 0.15 else rnd.randint(1, 30)
        longer = "A" if la > lb else "B" if lb > la else "tie"
        label = longer if rnd.random() < 0.75 else rnd.choice(["A", "B", "tie"])
        js = [] if rnd.random() < 0.1 else [{"a": 0, "b": 1, "annotator": "human:ann", "verdict": label}]
        f.write(json.dumps({"id": "q%d" % i, "prompt": "task %d %d" % (i, rnd.randint(0, 10**6)),
                            "responses": [{"text": "a" * la}, {"text": "b" * lb}], "judgments": js}) + "\n")
P
"$PS_BIN" -w "$W" import --name jd "$T/pairs.jsonl" > /dev/null || bad "import"
N=$(wc -l < "$T/pairs.jsonl")
R=(run -m recipes.jury --dataset jd --judges fair,noisy,secondy --reference human:ann)

"${PS[@]}" run -m recipes.jury --help | grep -qF -- "--reference STRING" || bad "--help lacks --reference"
"${PS[@]}" "${R[@]}" --dry-run --json > "$T/dry.json" || bad "dry run"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["calls"]["total"]==3*int(sys.argv[2]), d' "$T/dry.json" "$N" \
    || bad "dry run count"
[ "$(requests)" = 0 ] || bad "the dry run sent requests"

"${PS[@]}" "${R[@]}" --json > "$T/run.json" 2> "$T/run.err" || { bad "run failed"; cat "$T/run.err"; }
curl -s "http://127.0.0.1:$PORT/_requests" > "$T/requests.json"
python3 - "$T/run.json" "$T/requests.json" "$W" "$T/pairs.jsonl" "$PS_TESTS/e2e" << 'P' || bad "report or stored judgments"
import json, sqlite3, sys
sys.path.insert(0, sys.argv[5])
import recipes_responder as rr
res = json.load(open(sys.argv[1])); log = json.load(open(sys.argv[2]))
con = sqlite3.connect(sys.argv[3])
pairs = [json.loads(l) for l in open(sys.argv[4])]
verdict = {}  # (model, item prompt) -> label, from what the server answered
for e in log:
    b = e["body"]; prompt = b["messages"][-1]["content"]
    item_prompt = prompt.split("# Request\n", 1)[1].split("\n\n# Reply A", 1)[0]
    v = rr.judge(b["model"], prompt)[2:-2]
    verdict[(b["model"], item_prompt)] = v
judges = ["fair", "noisy", "secondy"]
assert len(verdict) == 3 * len(pairs), len(verdict)
def majority(votes):
    counts = {}
    for v in votes:
        if v: counts[v] = counts.get(v, 0) + 1
    if not counts: return None
    best = max(counts.values())
    return next(v for v in votes if v and counts[v] == best)
labels = {j: [verdict[(j, p["prompt"])] for p in pairs] for j in judges}
labels["jury"] = [majority([labels[j][i] for j in judges]) for i in range(len(pairs))]
ref = [p["judgments"][0]["verdict"] if p["judgments"] else None for p in pairs]
def kappa(x, y):
    units = [(a, b) for a, b in zip(x, y) if a and b]
    n = len(units)
    po = sum(a == b for a, b in units) / n
    cls = set(a for a, _ in units) | set(b for _, b in units)
    pe = sum((sum(a == c for a, _ in units) / n) * (sum(b == c for _, b in units) / n) for c in cls)
    return n, po, (None if pe == 1 else (po - pe) / (1 - pe))
got = {a["annotator"]: a for a in res["annotators"]}
assert res["labelled"] == sum(1 for r in ref if r), res
for name, key in [("llm:fair", "fair"), ("llm:noisy", "noisy"), ("llm:secondy", "secondy"), ("jury", "jury")]:
    n, po, k = kappa(labels[key], ref)
    g = got[name]
    assert g["n"] == n and abs(g["agreement"] - po) < 1e-9, (name, g, n, po)
    assert (k is None and g["kappa"] is None) or abs(g["kappa"] - k) < 1e-9, (name, g, k)
# the jury's stored judgments: the majority, with the votes and the judges in meta
rows = con.execute("""SELECT i.prompt, j.verdict, j.meta FROM judgment j JOIN item i ON i.id = j.item_id
    WHERE j.annotator = 'jury'""").fetchall()
assert len(rows) == len(pairs), len(rows)
by_prompt = {p["prompt"]: i for i, p in enumerate(pairs)}
for prompt, v, meta in rows:
    m = json.loads(meta); i = by_prompt[prompt]
    assert v == labels["jury"][i], (prompt, v, labels["jury"][i])
    assert m["recipe"] == "jury" and m["judges"] == ["llm:fair", "llm:noisy", "llm:secondy"], m
    assert m["votes"] == [labels[j][i] for j in judges], m
    assert m["params"]["reference"] == "human:ann", m
P
before=$(requests)
"${PS[@]}" "${R[@]}" > "$T/rerun.out" 2>&1 || bad "rerun"
[ "$(requests)" = "$before" ] || bad "the rerun sent requests"
[ "$(sqlite3 "$W" "SELECT count(*) FROM judgment WHERE annotator <> 'human:ann'")" = $((4 * N)) ] || bad "rerun duplicated"
grep -q "kappa" "$T/rerun.out" || bad "text report lacks kappa"
# stats reads what the recipe wrote
"$PS_BIN" -w "$W" stats jd --annotator 'llm:*' --json > "$T/stats.json" || bad "stats"
grep -q '"llm:noisy"' "$T/stats.json" || bad "stats does not see the judges"
before=$(requests)
"${PS[@]}" run -m recipes.jury --dataset jd --judges mixed --reference $'nobody\x07' > "$T/e1" 2>&1; rc=$?
[ "$(requests)" = "$before" ] || bad "a run without reference labels spent calls"
[ $rc = 2 ] && grep -q "no pair has a label by 'nobody?'" "$T/e1" || bad "no reference: rc $rc $(cat "$T/e1")"
finish
