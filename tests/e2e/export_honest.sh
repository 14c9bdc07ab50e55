#!/usr/bin/env bash
# Exports lose nothing silently (issue 9 #2-#4, the label foot-gun, ls, default names):
#  - annotated-pairs: ties as pref null (reason "tie"), every annotator's vote on every
#    judged pair, both orders of a swapped judge as separate annotators in the order
#    shown, no duplicate keys, history and system kept; what it cannot hold is counted
#  - trl and kto keep system prompts and histories (conversational layout),
#    csv keeps every response in its place; each names what it left out, with counts
#  - --map with one message list for prompt and response: the completion is the
#    response, never part of the history
#  - integer labels without label.a/b/tie are refused, showing the values found
#  - ls cuts long names with an ellipsis and keeps the columns aligned; default names
#    drop ".dataset"
# The expected values are computed independently in Python from the source records.
set -uo pipefail
: "${PS_BIN:?PS_BIN not set}"
: "${PS_SRC:?PS_SRC not set}"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
cd "$T"
WS=$T/ws.db
FAILS=0
ps() { "$PS_BIN" -w "$WS" "$@"; }
bad() { echo "FAIL: $*"; FAILS=$((FAILS + 1)); }

# ---- a random dataset with every awkward case, in the native layout ----
python3 - "${PS_SEED:-$RANDOM}" > src.jsonl <<'EOF'
import json, random, sys
rng = random.Random(int(sys.argv[1]))
ann = ["dataset", "human:ann", "llm:judge", "principle:Be brief"]
for i in range(60):
    n = rng.choice([1, 2, 2, 2, 3, 4])
    resp = [{"text": f"r{i}.{k} " + rng.choice(["x", "yy", "\u4e2d"]), "model": rng.choice([None, "m1", "m2"]), "meta": {}}
            for k in range(n)]
    judg = []
    if n >= 2:
        for _ in range(rng.randint(0, 5)):
            a, b = rng.sample(range(n), 2)
            v = rng.choice(["A", "B", "tie", "invalid"])
            p = {"A": 1, "B": 0, "tie": 0.5, "invalid": None}[v]
            judg.append({"a": a, "b": b, "annotator": rng.choice(ann), "verdict": v, "p_a": p,
                         "weight": 1, "rationale": rng.choice([None, "because"]), "meta": {}})
        if rng.random() < 0.3:  # a swapped judge: both orders, same annotator
            judg.append({"a": 0, "b": 1, "annotator": "llm:swap", "verdict": "A", "p_a": 1, "weight": 1,
                         "rationale": None, "meta": {}})
            judg.append({"a": 1, "b": 0, "annotator": "llm:swap", "verdict": "B", "p_a": 0, "weight": 1,
                         "rationale": None, "meta": {}})
    hist = [{"role": "user", "content": f"earlier {i}"}, {"role": "assistant", "content": "ok"}] if rng.random() < 0.4 else []
    print(json.dumps({"id": f"it{i}", "key": f"k{i}", "system": rng.choice([None, f"sys {i}"]), "history": hist,
                      "prompt": f"prompt {i}", "responses": resp, "judgments": judg,
                      "ratings": [{"response": 0, "aspect": "score", "value": 3, "annotator": "dataset"}] if rng.random() < 0.3 else [],
                      "tags": ["t"] if rng.random() < 0.2 else [], "meta": {}}))
EOF
ps import --name src src.jsonl 2> /dev/null || bad "import src.jsonl"

# ---- annotated-pairs ----
ps export src --format annotated-pairs -o ap.json 2> ap.err || bad "export annotated-pairs: $(cat ap.err)"
ps import --name src_ap ap.json 2> /dev/null || bad "re-import annotated-pairs"
ps export src_ap --format jsonl -o ap_back.jsonl 2> /dev/null
python3 - src.jsonl ap.json ap.err ap_back.jsonl <<'EOF' || bad "annotated-pairs export"
import json, sys
from collections import Counter
def no_dups(pairs):
    keys = [k for k, _ in pairs]
    assert len(keys) == len(set(keys)), f"duplicate JSON keys {keys}"
    return dict(pairs)
items = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
doc = json.load(open(sys.argv[2], encoding="utf-8"), object_pairs_hook=no_dups)
err = open(sys.argv[3], encoding="utf-8").read()
back = [json.loads(l) for l in open(sys.argv[4], encoding="utf-8")]
anns = doc["annotators"]
# expected: one comparison per judged unordered pair, (0, 1) for unjudged items with 2+ responses
want_cmp = []
for it in items:
    if len(it["responses"]) < 2:
        continue
    pairs = sorted({tuple(sorted((j["a"], j["b"]))) for j in it["judgments"]}) or [(0, 1)]
    want_cmp += [(it, p) for p in pairs]
assert len(doc["comparisons"]) == len(want_cmp), (len(doc["comparisons"]), len(want_cmp))
assert len(back) == len(want_cmp)
for c, (it, (lo, hi)), b in zip(doc["comparisons"], want_cmp, back):
    assert c["prompt"] == it["prompt"] and c.get("system") == it["system"], c["id"]
    assert c.get("history", []) == it["history"], c["id"]
    assert c["response_a"]["text"] == it["responses"][lo]["text"]
    assert c["response_b"]["text"] == it["responses"][hi]["text"]
    # votes back in the original order shown: (annotator, a, b, verdict), ties included
    got = Counter()
    for aid, v in c["annotations"].items():
        a = anns[aid]
        name = a["name"] if a["type"] != "principle" else "principle:" + a["description"]
        bf = a.get("presented") == "b_first"
        pref = v["pref"]
        if pref is None:
            verdict = "tie" if v["no_pref_reason"] == "tie" else "invalid"
        else:
            verdict = "A" if (pref == "a") != bf else "B"
        got[(name, hi if bf else lo, lo if bf else hi, verdict)] += 1
    want = Counter((j["annotator"], j["a"], j["b"], j["verdict"]) for j in it["judgments"]
                   if tuple(sorted((j["a"], j["b"]))) == (lo, hi))
    assert got == want, (c["id"], got, want)
    # the re-import holds the same judgments (positions 0/1 = lo/hi), system and history
    pos = {0: lo, 1: hi}
    bj = Counter((j["annotator"], pos[j["a"]], pos[j["b"]], j["verdict"]) for j in b["judgments"])
    assert bj == want, (c["id"], bj, want)
    assert b["system"] == it["system"] and (b["history"] or []) == it["history"], c["id"]
# what it could not hold, counted
short = sum(1 for it in items if len(it["responses"]) < 2)
ratings = sum(len(it["ratings"]) for it in items)
rationales = sum(1 for it in items for j in it["judgments"] if j["rationale"])
tags = sum(len(it["tags"]) for it in items)
for n, what in ((short, "items with fewer than two responses"), (ratings, "ratings"),
                (rationales, "rationales"), (tags, "tags")):
    if n:
        assert f"{n} {what}" in err, (what, n, err)
assert err.count("not written") == 1, err
EOF

# PandaLM: 999 comparisons, every vote kept, ties as pref null
PANDA=${PS_DATA:-}/pandalm_testset
if [ -d "$PANDA" ]; then
    ps import --name pandalm "$PANDA"/*.json 2> /dev/null || bad "import pandalm"
    ps export pandalm --format annotated-pairs -o panda_ap.json 2> /dev/null || bad "export pandalm ap"
    ps export pandalm --format jsonl -o panda.jsonl 2> /dev/null
    python3 - panda.jsonl panda_ap.json <<'EOF' || bad "pandalm annotated-pairs"
import json, sys
from collections import Counter
items = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
doc = json.load(open(sys.argv[2], encoding="utf-8"))
assert len(doc["comparisons"]) == 999, len(doc["comparisons"])
votes = Counter()
for c in doc["comparisons"]:
    for aid, v in c["annotations"].items():
        votes[v["pref"] if v["pref"] else v["no_pref_reason"]] += 1
want = Counter({"A": "a", "B": "b", "tie": "tie", "invalid": "invalid"}[j["verdict"]] for it in items for j in it["judgments"])
assert votes == want, (votes, want)
assert want["tie"] > 0
# the default annotator's ties are there too (97 comparisons were lost before)
dflt = doc["metadata"]["default_annotator"]
n_tie = sum(1 for c in doc["comparisons"] if c["annotations"].get(dflt, {}).get("no_pref_reason") == "tie")
assert n_tie == sum(1 for it in items for j in it["judgments"] if j["annotator"] == dflt and j["verdict"] == "tie"), n_tie
print("pandalm ties of", dflt, n_tie)
EOF
else
    echo "note: $PANDA absent, PandaLM check skipped"
fi

# ---- trl / trl-conversational / kto: system kept, losses counted ----
for fmt in trl trl-conversational kto; do
    ps export src --format "$fmt" -o "out.$fmt" 2> "err.$fmt" || bad "export $fmt: $(cat "err.$fmt")"
    python3 - src.jsonl "out.$fmt" "err.$fmt" "$fmt" <<'EOF' || bad "$fmt export"
import json, sys
items = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
rows = [json.loads(l) for l in open(sys.argv[2], encoding="utf-8")]
err, fmt = open(sys.argv[3], encoding="utf-8").read(), sys.argv[4]
dec = "dataset"
# every row's prompt is a message list (some items have a system prompt) with the system first
want = []
for it in items:
    for j in it["judgments"]:
        if j["annotator"] == dec and j["verdict"] in ("A", "B"):
            w, l = (j["a"], j["b"]) if j["verdict"] == "A" else (j["b"], j["a"])
            if fmt == "kto":
                want += [(it, it["responses"][w]["text"], True), (it, it["responses"][l]["text"], False)]
            else:
                want.append((it, it["responses"][w]["text"], it["responses"][l]["text"]))
assert len(rows) == len(want), (len(rows), len(want))
for r, (it, x, y) in zip(rows, want):
    msgs = r["prompt"]
    assert isinstance(msgs, list), r
    sysm = [m["content"] for m in msgs if m["role"] == "system"]
    assert sysm == ([it["system"]] if it["system"] else []), (sysm, it["system"])
    assert msgs[-1] == {"role": "user", "content": it["prompt"]}
    assert msgs[1 if it["system"] else 0:-1] == it["history"]  # the conversation is kept
    if fmt == "kto":
        assert r["completion"] == [{"role": "assistant", "content": x}] and r["label"] is y
    else:
        assert r["chosen"][0]["content"] == x and r["rejected"][0]["content"] == y
mine = [j for it in items for j in it["judgments"] if j["annotator"] == dec]
ties = sum(1 for j in mine if j["verdict"] == "tie")
inv = sum(1 for j in mine if j["verdict"] == "invalid")
others = sum(1 for it in items for j in it["judgments"] if j["annotator"] != dec)
ratings = sum(len(it["ratings"]) for it in items)
groups = sum(1 for it in items if len(it["responses"]) > 2)
for n, what in ((ties, "ties"), (inv, "invalid verdicts"), (others, "judgments by other annotators"),
                (ratings, "ratings")):
    assert n == 0 or f"{n} {what}" in err, (what, n, err)
assert f"{groups} items with more than two responses" in err, err
assert fmt == "trl-conversational" or "system prompt" in err, err
EOF
done

# a hostile annotator name is printed without its terminal controls
printf '%s\n' '{"prompt": "p", "responses": [{"text": "a"}, {"text": "b"}], "judgments": [{"a": 0, "b": 1, "annotator": "human:\u001b[31mevil\u0007", "verdict": "A"}]}' > evil.jsonl
ps import --name evil evil.jsonl 2> /dev/null || bad "import evil.jsonl"
ps export evil --format trl 2> "$T/err" > /dev/null || bad "export evil"
grep -q $'\x1b' "$T/err" && bad "export summary printed a raw ESC"
grep -q "verdicts of 'human:" "$T/err" || bad "export summary: $(cat "$T/err")"

# ---- csv: every response in its place, every judgment ----
CSV_MAP='id=index,system=system,history=history,prompt=prompt,a=response_a,b=response_b,model.a=model_a,model.b=model_b,label=verdict,label.a=A,label.b=B,label.tie=tie,label.invalid=invalid,p_a=p_a,annotator=annotator,rationale=rationale'
ps export src --format csv -o src.csv 2> csv.err || bad "export csv"
ps import --name src_csv --map "$CSV_MAP" src.csv 2> "$T/err" || bad "import csv back: $(cat "$T/err")"
ps export src_csv --format jsonl -o csv_back.jsonl 2> /dev/null
python3 - src.jsonl csv_back.jsonl csv.err <<'EOF' || bad "csv round trip"
import json, sys
a = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
b = [json.loads(l) for l in open(sys.argv[2], encoding="utf-8")]
err = open(sys.argv[3], encoding="utf-8").read()
assert len(a) == len(b), (len(a), len(b))
for x, y in zip(a, b):
    assert [(r["text"], r["model"]) for r in x["responses"]] == [(r["text"], r["model"]) for r in y["responses"]], (x["id"], x["responses"], y["responses"])
    key = lambda j: (j["a"], j["b"], j["annotator"], j["verdict"], j["rationale"] or "")
    assert sorted(map(key, x["judgments"])) == sorted(map(key, y["judgments"])), x["id"]
    assert (x["system"], x["history"] or [], x["prompt"]) == (y["system"], y["history"] or [], y["prompt"])
ratings = sum(len(it["ratings"]) for it in a)
assert ratings == 0 or f"{ratings} ratings" in err, err
EOF

# ---- --map: one message list for prompt and response (KTO with `messages`) ----
cat > kto_msgs.jsonl <<'EOF'
{"messages": [{"role": "system", "content": "S"}, {"role": "user", "content": "u1"}, {"role": "assistant", "content": "a1"}, {"role": "user", "content": "u2"}, {"role": "assistant", "content": "completion"}], "label": true}
{"messages": [{"role": "user", "content": "only"}, {"role": "assistant", "content": "bad one"}], "label": false}
EOF
ps import --name kmsg --map 'prompt=messages,response=messages,label=label' kto_msgs.jsonl 2> "$T/err" || bad "import kto messages: $(cat "$T/err")"
ps export kmsg --format jsonl 2> /dev/null | python3 -c '
import json, sys
a, b = [json.loads(l) for l in sys.stdin]
assert a["system"] == "S" and a["prompt"] == "u2", a
assert a["history"] == [{"role": "user", "content": "u1"}, {"role": "assistant", "content": "a1"}], a["history"]
assert [r["text"] for r in a["responses"]] == ["completion"]
assert [x["value"] for x in a["ratings"]] == [1]
assert b["prompt"] == "only" and not b["history"] and [r["text"] for r in b["responses"]] == ["bad one"], b
assert [x["value"] for x in b["ratings"]] == [0]
' || bad "--map prompt=messages,response=messages: the completion leaked into the history"

# ---- integer labels are refused unless mapped ----
printf '%s\n' '{"q": "x", "r1": "a", "r2": "b", "lab": 2}' '{"q": "y", "r1": "a", "r2": "b", "lab": 0}' \
    '{"q": "z", "r1": "a", "r2": "b", "lab": 1}' '{"q": "w", "r1": "a", "r2": "b", "lab": 2}' > ints.jsonl
M='prompt=q,a=r1,b=r2,label=lab'
ps import --name ints --map "$M" ints.jsonl 2> "$T/err" && bad "integer labels were imported with the default mapping"
grep -q "^prefscope: .*ints.jsonl:1: field 'lab' (label) holds integers (values found: 0, 1, 2); .*',label.a=0,label.b=1,label.tie=2'" "$T/err" ||
    bad "integer label error: $(cat "$T/err")"
ps ls --json | grep -q '"ints"' && bad "a refused import left a dataset"
ps import --name ints --map "$M,label.a=1,label.b=2,label.tie=0" ints.jsonl 2> /dev/null || bad "mapped integer labels refused"
# the same through a pipe (spooled, so the values of the whole file are shown)
cat ints.jsonl | ps import --name ints2 --map "$M" /dev/stdin 2> "$T/err" && bad "piped integer labels imported"
grep -q "holds integers (values found: 0, 1, 2)" "$T/err" || bad "piped integer label error: $(cat "$T/err")"
# CSV cells of digits are integers too
printf 'q,r1,r2,lab\nx,a,b,1\ny,a,b,0\n' > ints.csv
ps import --name intcsv --map "$M" ints.csv 2> "$T/err" && bad "CSV integer labels imported"
grep -q "values found: 0, 1)" "$T/err" || bad "CSV integer label error: $(cat "$T/err")"

# ---- ls: long names cut with an ellipsis, columns aligned; default names ----
cp "$PS_SRC/samples/tour.jsonl" "a_very_long_dataset_name_that_goes_on_and_on.dataset.json"
ps import "a_very_long_dataset_name_that_goes_on_and_on.dataset.json" 2> /dev/null || bad "import long name"
ps ls --json | grep -q '"name":"a_very_long_dataset_name_that_goes_on_and_on"' || bad "default name keeps .dataset: $(ps ls --json)"
ps ls > ls.txt
python3 - ls.txt <<'EOF' || bad "ls columns misaligned: $(cat ls.txt)"
import sys, unicodedata
def width(s):
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in s)
lines = [l.rstrip("\n") for l in open(sys.argv[1], encoding="utf-8")]
head = lines[0]
col = width(head[:head.index("ITEMS") + len("ITEMS")])
long = [l for l in lines if l.startswith("a_very_long")]
assert long and "\u2026" in long[0], long
for l in lines[1:]:
    if l.startswith(" "):
        continue
    # the items count (the first number) ends in the same display column as ITEMS
    pos = 0
    for tok in l.split(" "):
        pos += width(tok) + 1
        if tok.isdigit():
            break
    assert pos - 1 == col, (l, pos - 1, col)
EOF

if [ "$FAILS" -ne 0 ]; then
    echo "$FAILS failure(s)"
    exit 1
fi
echo "honest exports: all checks passed"
