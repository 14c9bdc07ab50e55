#!/usr/bin/env bash
# recipes.jury on real imported workspaces (issue 13.2): the PandaLM test set (human
# labels of annotator1, with ties) and LLMBar Natural (the dataset's own labels), from
# ../shared/data (see their SOURCE.md), each imported as a slice of 40 records
# (import FILE[a:b]: PandaLM's first 40, LLMBar's records 30 to 69) and judged by
# three fake judges (fair = the longer reply, noisy = a coin per request, secondy =
# always B) and their majority.  Everything the report says (pairs, labelled, each
# judge's and the jury's n, agreement and Cohen's kappa with the reference) is
# recomputed in python from what was written to the workspace and what the server was
# asked; the judges' stored verdicts are checked against the responder's rules and the
# jury's against the majority of those.
set -uo pipefail
D="${PS_DATA:-}"
[ -f "$D/pandalm_testset/testset-v1.json" ] && [ -f "$D/llmbar/LLMBar_Natural.dataset.json" ] \
    || { echo "SKIP: shared data absent"; exit 77; }
. "$PS_TESTS/e2e/recipes_lib.bash"
"$PS_BIN" -w "$W" import --name pandalm "$D/pandalm_testset/testset-v1.json[:40]" > /dev/null || bad "import pandalm"
"$PS_BIN" -w "$W" import --name llmbar "$D/llmbar/LLMBar_Natural.dataset.json[30:70]" > /dev/null || bad "import llmbar"
[ "$(sqlite3 "$W" "SELECT count(*) FROM item")" = 80 ] || bad "the slices did not give 2 x 40 items"

check() { # DATASET REFERENCE: the run's report and the stored judgments, recomputed
    local ds=$1 ref=$2
    curl -s "http://127.0.0.1:$PORT/_requests" > "$T/requests.json"
    python3 - "$T/$ds.json" "$T/requests.json" "$W" "$ds" "$ref" "$PS_TESTS/e2e" << 'P'
import json, sqlite3, sys
sys.path.insert(0, sys.argv[6])
import recipes_responder as rr
res = json.load(open(sys.argv[1])); log = json.load(open(sys.argv[2]))
con = sqlite3.connect(sys.argv[3]); ds, ref_ann = sys.argv[4], sys.argv[5]
judges = ["fair", "noisy", "secondy"]
flip = {"A": "B", "B": "A", "tie": "tie", "invalid": "invalid"}
# the server's answers, keyed by the model and the two replies it was shown
answer = {}
for e in log:
    b = e["body"]; prompt = b["messages"][-1]["content"]
    m = rr.REPLY.search(prompt)
    if m:
        answer[(b["model"], m.group(1), m.group(2).rstrip("\n"))] = rr.judge(b["model"], prompt)[2:-2]
def label(item_id, ann):  # as presented (1, 2), else (2, 1) turned around
    rows = con.execute("""SELECT ra.idx + 1, rb.idx + 1, j.verdict FROM judgment j
        JOIN response ra ON ra.id = j.response_a JOIN response rb ON rb.id = j.response_b
        WHERE j.item_id = ? AND j.annotator = ? ORDER BY j.id""", (item_id, ann)).fetchall()
    for a, b, v in rows:
        if (a, b) == (1, 2): return v
    for a, b, v in rows:
        if (a, b) == (2, 1): return flip[v]
    return None
# every item of the slice, each judged once by the jury
items = [r[0] for r in con.execute("""SELECT i.id FROM item i JOIN dataset d ON d.id = i.dataset_id
    WHERE d.name = ? ORDER BY i.id""", (ds,))]
jury = con.execute("""SELECT count(*) FROM judgment j JOIN item i ON i.id = j.item_id
    JOIN dataset d ON d.id = i.dataset_id WHERE d.name = ? AND j.annotator = 'jury'""", (ds,)).fetchone()[0]
assert len(items) == 40 == res["pairs"] == jury, (len(items), res["pairs"], jury)
labels = {j: [] for j in judges}
for iid in items:
    r1, r2 = [t for (t,) in con.execute("SELECT text FROM response WHERE item_id = ? ORDER BY idx LIMIT 2", (iid,))]
    for j in judges:
        v = label(iid, "llm:" + j)
        # the stored verdict is what the server answered for this pair, by the rules
        assert v == answer[(j, r1, r2)], (ds, iid, j, v, answer.get((j, r1, r2)))
        if j == "fair": assert v == rr.longer(r1, r2)[2:-2], (iid, v)
        if j == "secondy": assert v == "B"
        labels[j].append(v)
def majority(votes):
    counts = {}
    for v in votes:
        if v in ("A", "B", "tie"): counts[v] = counts.get(v, 0) + 1
    if not counts: return None
    best = max(counts.values())
    return next(v for v in votes if counts.get(v) == best)
labels["jury"] = [majority([labels[j][i] for j in judges]) for i in range(len(items))]
for i, iid in enumerate(items):
    (v, meta), = con.execute("SELECT verdict, meta FROM judgment WHERE item_id = ? AND annotator = 'jury'", (iid,))
    m = json.loads(meta)
    assert v == labels["jury"][i] and m["votes"] == [labels[j][i] for j in judges], (iid, v, m)
    assert m["recipe"] == "jury" and m["params"]["reference"] == ref_ann and m["params"]["sample"] == 0, m
ref = [label(iid, ref_ann) for iid in items]
assert res["labelled"] == sum(1 for r in ref if r in ("A", "B", "tie")), (res["labelled"], ref)
def kappa(x, y):
    units = [(a, b) for a, b in zip(x, y) if a in ("A", "B", "tie") and b in ("A", "B", "tie")]
    n = len(units)
    po = sum(a == b for a, b in units) / n
    cls = set(a for a, _ in units) | set(b for _, b in units)
    pe = sum((sum(a == c for a, _ in units) / n) * (sum(b == c for _, b in units) / n) for c in cls)
    return n, po, (None if pe == 1 else (po - pe) / (1 - pe))
got = {a["annotator"]: a for a in res["annotators"]}
assert set(got) == {"llm:fair", "llm:noisy", "llm:secondy", "jury"}, got.keys()
for name, key in [("llm:fair", "fair"), ("llm:noisy", "noisy"), ("llm:secondy", "secondy"), ("jury", "jury")]:
    n, po, k = kappa(labels[key], ref)
    g = got[name]
    assert g["n"] == n and abs(g["agreement"] - po) < 1e-9, (name, g, n, po)
    assert (k is None and g["kappa"] is None) or abs(g["kappa"] - k) < 1e-9, (name, g, k)
    print("%s %-12s n %2d agreement %.3f kappa %s" % (ds, name, n, po, "none" if k is None else "%.3f" % k))
P
}

for spec in "pandalm human:annotator1" "llmbar dataset"; do
    set -- $spec
    "${PS[@]}" run -m recipes.jury --dataset "$1" --judges fair,noisy,secondy --reference "$2" \
        --json > "$T/$1.json" 2> "$T/$1.err" || { bad "$1: run failed"; cat "$T/$1.err"; continue; }
    check "$1" "$2" || bad "$1: report or stored judgments"
done
# the jury of LLMBar against its labels, read back by `prefscope stats` as well
"$PS_BIN" -w "$W" stats llmbar --annotator jury --json > "$T/stats.json" || bad "stats"
grep -q '"jury"' "$T/stats.json" || bad "stats does not see the jury"
finish
