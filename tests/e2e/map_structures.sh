#!/usr/bin/env bash
# --map structures and derived verdicts (issue 10.2, 10.3): negative indices, slices,
# [*], content as a list of parts, prompt-only records, 3+ responses, a missing
# optional field that never aborts, two scores -> a verdict with a margin, rankings ->
# all pairs or best against each, scores and ranks kept as ratings.  Randomized
# records, expected values computed independently in Python.
set -uo pipefail
: "${PS_BIN:?PS_BIN not set}"
HERE=$(cd "$(dirname "$0")" && pwd)
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
cd "$T"
export PS_BIN WS=$T/ws.db SEED=${PS_SEED:-$RANDOM} PS_TESTS=$HERE
python3 - <<'PY'
import json, os, random, sys
sys.path.insert(0, os.environ["PS_TESTS"])
from pstest import check, finish, items, run, write
rng = random.Random(int(os.environ["SEED"]))

# ---- rankings -> pairs (all / best), ranks kept; scores with a margin ----
recs = []
for i in range(40):
    n = rng.randint(1, 7)
    recs.append({"q": f"q{i}", "outs": [{"t": f"r{i}.{k}", "m": f"m{k}", "rank": rng.randint(1, 4),
                                         "score": round(rng.uniform(0, 10), 1)} for k in range(n)]})
write("rank.jsonl", recs)
base = "prompt=q,responses=outs[*].t,models=outs[*].m"
run("import", "--name", "all", "--map", base + ",ranks=outs[*].rank", "rank.jsonl")
run("import", "--name", "best", "--map", base + ",ranks=outs[*].rank,pairs=best", "rank.jsonl")
run("import", "--name", "sc", "--map", base + ",scores=outs[*].score,pairs=all,margin=1.5", "rank.jsonl")
def verdict(x, y, margin=0):  # higher is better
    return "A" if x - y > margin else "B" if y - x > margin else "tie"
for r, a, b, s in zip(recs, items("all"), items("best"), items("sc")):
    o = r["outs"]
    check([(x["text"], x["model"]) for x in a["responses"]] == [(x["t"], x["m"]) for x in o], "responses=[*] with models")
    check({x["response"]: x["value"] for x in a["ratings"] if x["aspect"] == "rank"} == {k: x["rank"] for k, x in enumerate(o)}, "ranks kept")
    want = [(i, j, verdict(-o[i]["rank"], -o[j]["rank"])) for i in range(len(o)) for j in range(i + 1, len(o))]
    check([(j["a"], j["b"], j["verdict"]) for j in a["judgments"]] == want, f"all pairs of {r['q']}")
    best = min(range(len(o)), key=lambda k: (o[k]["rank"], k))
    want = [(best, k, verdict(-o[best]["rank"], -o[k]["rank"])) for k in range(len(o)) if k != best]
    check([(j["a"], j["b"], j["verdict"]) for j in b["judgments"]] == want, f"best pairs of {r['q']}")
    want = [(i, j, verdict(o[i]["score"], o[j]["score"], 1.5)) for i in range(len(o)) for j in range(i + 1, len(o))]
    check([(j["a"], j["b"], j["verdict"]) for j in s["judgments"]] == want, f"score pairs of {r['q']}")
    check(all(j["meta"]["derived"] in ("rank", "score") for j in a["judgments"] + s["judgments"]), "rule recorded")

# ---- two scores -> a verdict with a margin ----
pairs = [{"q": f"p{i}", "x": "one", "y": "two", "sx": rng.choice([None, round(rng.uniform(0, 5), 1)]),
          "sy": round(rng.uniform(0, 5), 1)} for i in range(40)]
write("two.jsonl", pairs)
run("import", "--name", "two", "--map", "prompt=q,a=x,b=y,score.a=sx,score.b=sy,margin=0.5", "two.jsonl")
for r, it in zip(pairs, items("two")):
    want = [] if r["sx"] is None else [verdict(r["sx"], r["sy"], 0.5)]
    check([j["verdict"] for j in it["judgments"]] == want, f"score.a/score.b of {r}")
    check(len(it["ratings"]) == (1 if r["sx"] is None else 2), "scores kept as ratings")

# ---- paths: negative indices, slices, content parts; prompt-only; missing optional ----
write("chat.jsonl", [
    {"msgs": [{"role": "user", "content": [{"type": "text", "text": "hi"}]}, {"role": "assistant", "content": "yo"},
              {"role": "user", "content": "q2"}, {"role": "assistant", "content": [{"type": "text", "text": "a2"}]}], "alt": ["x", "y", "z"]},
    {"msgs": [{"role": "user", "content": "solo"}, {"role": "assistant", "content": "ans"}], "alt": ["only"]},
])
run("import", "--name", "chat", "--map", "prompt=msgs[:-1],a=msgs[-1],b=alt[-1],model.a=meta.model", "chat.jsonl")
a, b = items("chat")
check((a["prompt"], [h["content"] for h in a["history"]]) == ("q2", ["hi", "yo"]), f"slice [:-1]: {a['prompt']} {a['history']}")
check([x["text"] for x in a["responses"]] == ["a2", "z"], "negative index, content parts")
check((b["prompt"], b["history"] or [], [x["text"] for x in b["responses"]]) == ("solo", [], ["ans", "only"]), "short record")
write("po.jsonl", [{"q": "generate for me"}, {"q": "and me", "extra": 1}])
run("import", "--name", "po", "--map", "prompt=q", "po.jsonl")
po = items("po")
check([(it["prompt"], it["responses"]) for it in po] == [("generate for me", []), ("and me", [])], "prompt-only records")
check(json.loads(run("ls", "--json").stdout)[-1]["name"] != "" , "ls works with prompt-only items")
# a required field missing still fails with file:line
write("miss.jsonl", [{"q": "x", "r": ["a"]}, {"q": "y"}])
p = run("import", "--name", "miss", "--map", "prompt=q,responses=r", "miss.jsonl", ok=False)
check(p.returncode != 0 and "miss.jsonl:2: field 'r' (responses) is missing or null" in p.stderr, f"missing required: {p.stderr}")
# a label must be a value, not an object or a list
write("objlabel.jsonl", [{"q": "x", "a": "1", "b": "2", "lab": {"winner": "a"}}])
p = run("import", "--name", "objlabel", "--map", "prompt=q,a=a,b=b,label=lab", "objlabel.jsonl", ok=False)
check(p.returncode != 0 and "objlabel.jsonl:1: field 'lab' (label): expected a string, a number or a boolean, found an object" in p.stderr, f"object label: {p.stderr}")
# booleans map like strings
write("boollabel.jsonl", [{"q": "x", "a": "1", "b": "2", "lab": True}, {"q": "y", "a": "1", "b": "2", "lab": False}])
run("import", "--name", "boollabel", "--map", "prompt=q,a=a,b=b,label=lab,label.a=true,label.b=false", "boollabel.jsonl")
check([[j["verdict"] for j in it["judgments"]] for it in items("boollabel")] == [["A"], ["B"]], "boolean labels")
# bad paths are usage errors
p = run("import", "--name", "bad", "--map", "prompt=q,a=x[1:2:3]", "po.jsonl", ok=False)
check(p.returncode != 0 and "expected a number (-1 is the last), a slice" in p.stderr, f"bad slice: {p.stderr}")

finish("map structures")
PY
