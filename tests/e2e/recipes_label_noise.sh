#!/usr/bin/env bash
# recipes.label_noise: random labelled pairs (A, B, tie; some presented reversed) get
# noisy copies at three rates.  The flips are recomputed in python from the seeded
# generator (a re-implementation of prefscope.recipe's rng), so the test checks which
# labels flipped, that the flips nest across rates, that ties never flip, the tags and
# meta recording them, and the fair judge's agreement and kappa with every noisy copy.
# A rerun writes nothing new; a bad rate is a one-line error.
set -uo pipefail
. "$PS_TESTS/e2e/recipes_lib.bash"
SEED=${RECIPES_SEED:-$RANDOM}
echo "seed $SEED"
python3 - "$T/pairs.jsonl" "$SEED" << 'P'
import json, random, sys
rnd = random.Random(int(sys.argv[2]))
with open(sys.argv[1], "w") as f:
    for i in range(rnd.randint(30, 60)):
        la, lb = rnd.randint(1, 20), rnd.randint(1, 20)
        a, b = (0, 1) if rnd.random() < 0.8 else (1, 0)
        f.write(json.dumps({"id": "n%d" % i, "prompt": "noise %d %d" % (i, rnd.randint(0, 10**6)),
                            "responses": [{"text": "a" * la}, {"text": "b" * lb}],
                            "judgments": [{"a": a, "b": b, "annotator": "human:gold",
                                           "verdict": rnd.choice(["A", "B", "B", "A", "tie"])}]}) + "\n")
P
"$PS_BIN" -w "$W" import --name nz "$T/pairs.jsonl" > /dev/null || bad "import"
R=(run -m recipes.label_noise --dataset nz --source human:gold --rates 0,0.25,0.5 --judge fair --seed "$SEED")
"${PS[@]}" "${R[@]}" --dry-run > /dev/null || bad "dry run"
[ "$(requests)" = 0 ] && [ "$(sqlite3 "$W" "SELECT count(*) FROM dataset")" = 1 ] || bad "the dry run sent or wrote"
"${PS[@]}" "${R[@]}" --json > "$T/run.json" 2> "$T/run.err" || { bad "run"; cat "$T/run.err"; }
python3 - "$W" "$T/run.json" "$T/pairs.jsonl" "$SEED" << 'P' || bad "noisy copies or agreement"
import json, sqlite3, sys
con = sqlite3.connect(sys.argv[1]); res = json.load(open(sys.argv[2]))
pairs = [json.loads(l) for l in open(sys.argv[3])]
MASK = (1 << 63) - 1
state = int(sys.argv[4]) & MASK
def rng(n):
    global state
    state = (state * 6364136223846793005 + 1442695040888963407) % (1 << 64) & MASK
    return (state >> 16) % n + 1
u = [(rng(1 << 30) - 1) / (1 << 30) for _ in pairs]
flip = {"A": "B", "B": "A"}
def judge(p):  # the fair judge on (1, 2): longer wins
    la, lb = len(p["responses"][0]["text"]), len(p["responses"][1]["text"])
    return "A" if la > lb else "B" if lb > la else "tie"
def kappa(x, y):
    n = len(x); po = sum(a == b for a, b in zip(x, y)) / n
    cls = set(x) | set(y)
    pe = sum((x.count(c) / n) * (y.count(c) / n) for c in cls)
    return po, (None if pe == 1 else (po - pe) / (1 - pe))
prev = set()
for k, rate in enumerate([0.0, 0.25, 0.5]):
    row = res["rates"][k]
    name = "nz-noise-" + ["0", "0.25", "0.5"][k]
    assert row["dataset"] == name and row["rate"] == rate, row
    meta = json.loads(con.execute("SELECT meta FROM dataset WHERE name = ?", (name,)).fetchone()[0])
    assert meta["recipe"] == "label_noise" and meta["rate"] == rate, meta
    flipped, judged, noisy = set(), [], []
    for i, p in enumerate(pairs):
        j = p["judgments"][0]
        want_flip = j["verdict"] in flip and u[i] < rate
        (v, jm, ra, rb), = con.execute("""SELECT j.verdict, j.meta, ra.idx, rb.idx FROM judgment j JOIN item i ON i.id = j.item_id
            JOIN dataset d ON d.id = i.dataset_id JOIN response ra ON ra.id = j.response_a JOIN response rb ON rb.id = j.response_b
            WHERE d.name = ? AND i.key = ? AND j.annotator = 'human:gold'""", (name, p["id"])).fetchall()
        jm = json.loads(jm)
        assert (ra, rb) == (j["a"], j["b"]), (ra, rb, j)
        assert jm["flipped"] == want_flip and jm["original"] == j["verdict"], (jm, want_flip)
        assert v == (flip[j["verdict"]] if want_flip else j["verdict"]), (v, j, want_flip)
        if want_flip: flipped.add(i)
        canon = v if ra < rb else flip.get(v, v)
        judged.append(judge(p)); noisy.append(canon)
    assert prev <= flipped, "flips do not nest"
    prev = flipped
    assert row["flipped"] == len(flipped), (row, len(flipped))
    po, kp = kappa(judged, noisy)
    assert row["judge_n"] == len(pairs) and abs(row["agreement"] - po) < 1e-9, (row, po)
    assert (kp is None and row["kappa"] is None) or abs(row["kappa"] - kp) < 1e-9, (row, kp)
print("flipped at 0.5:", len(prev), "of", len(pairs))
P
# the flipped items carry the tag (the TUI and ds:items{tag=} find them)
"$PS_BIN" -w "$W" run - > "$T/tags" << 'L' || bad "tag query"
print(ps.dataset("nz-noise-0.5"):count{ tag = "flipped" })
L
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert int(open(sys.argv[2]).read()) == d["rates"][2]["flipped"]' \
    "$T/run.json" "$T/tags" || bad "tags of flipped items"
before=$(requests); nj=$(sqlite3 "$W" "SELECT count(*) FROM judgment")
"${PS[@]}" "${R[@]}" > /dev/null 2>&1 || bad "rerun"
[ "$(requests)" = "$before" ] && [ "$(sqlite3 "$W" "SELECT count(*) FROM judgment")" = "$nj" ] || bad "the rerun sent or wrote"
"${PS[@]}" run -m recipes.label_noise --dataset nz --rates 0.1,x > "$T/e1" 2>&1; rc=$?
[ $rc = 2 ] && grep -q "'x' is not a rate" "$T/e1" || bad "bad rate: rc $rc"
finish
