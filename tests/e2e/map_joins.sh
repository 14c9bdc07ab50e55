#!/usr/bin/env bash
# --join (issue 10.1): answers joined to questions by question_id, reviews joined to
# answers by (question_id, model), predictions joined by line position; misses are
# counted with their first keys, and a join that matches nothing fails.  Expected
# values computed independently in Python from the generated files.
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

models = ["m1", "m2", "m3"]
qs = [{"question_id": 100 + i, "turns": [f"question {i}?"]} for i in range(12)]
ans = [{"question_id": q["question_id"], "model": m, "choices": [{"turns": [f"{m} answers {q['question_id']}"]}]}
       for q in qs for m in models if rng.random() < 0.8]
rng.shuffle(ans)
rev = [{"question_id": a["question_id"], "model": a["model"], "score": rng.randint(1, 10)} for a in ans]
write("questions.jsonl", qs)
write("answers.jsonl", ans)
write("reviews.jsonl", rev)

# answers joined to questions: one item per question, one response per answer
run("import", "--name", "qa", "--join", "q=questions.jsonl:question_id",
    "--map", "group=question_id,prompt=$q.turns[0],response=choices[0].turns[0],model.a=model", "answers.jsonl")
got = {it["prompt"]: sorted((r["model"], r["text"]) for r in it["responses"]) for it in items("qa")}
want = {}
for a in ans:
    q = next(q for q in qs if q["question_id"] == a["question_id"])
    want.setdefault(q["turns"][0], []).append((a["model"], a["choices"][0]["turns"][0]))
check(got == {k: sorted(v) for k, v in want.items()}, "answers joined to questions")

# reviews joined to answers by (question_id, model) and to questions: scores as ratings
run("import", "--name", "rv", "--join", "a=answers.jsonl:question_id+model",
    "--join", "q=questions.jsonl:question_id",
    "--map", "group=question_id,prompt=$q.turns[0],response=$a.choices[0].turns[0],model.a=model,"
             "rating.response.score=score,annotator.name=llm:grader", "reviews.jsonl")
got = {}
for it in items("rv"):
    for x in it["ratings"]:
        got[(it["prompt"], it["responses"][x["response"]]["model"])] = x["value"]
want = {(f"question {r['question_id'] - 100}?", r["model"]): r["score"] for r in rev}
check(got == want, "reviews joined by (question_id, model)")

# predictions joined by position (a judge run on the original and the exchanged order)
pairs = [{"q": f"p{i}", "r1": f"x{i}", "r2": f"y{i}"} for i in range(20)]
preds = [{"orig": rng.choice(["A", "B", "tie"]), "swapped": rng.choice(["A", "B"])} for _ in pairs]
write("pairs.jsonl", pairs)
write("preds.jsonl", preds)
run("import", "--name", "pos", "--join", "p=preds.jsonl:#",
    "--map", "prompt=q,a=r1,b=r2,label=$p.orig,annotator.name=llm:j", "pairs.jsonl")
for it, pr in zip(items("pos"), preds):
    check([j["verdict"] for j in it["judgments"]] == [pr["orig"]], "position join")
# both orders onto the same items (group=q), the second in the order shown
for order, lab in (("a=r1,b=r2", "orig"), ("a=r2,b=r1", "swapped")):
    run("import", "--name", "both", "--append", "--join", "p=preds.jsonl:#",
        "--map", f"group=q,prompt=q,{order},label=$p.{lab},annotator.name=llm:j", "pairs.jsonl")
both = items("both")
check(len(both) == len(pairs), "both orders: one item per pair")
for it, r, pr in zip(both, pairs, preds):
    check([x["text"] for x in it["responses"]] == [r["r1"], r["r2"]], "both orders: responses")
    check([(j["a"], j["b"], j["verdict"]) for j in it["judgments"]] == [(0, 1, pr["orig"]), (1, 0, pr["swapped"])],
          "both orders: judgments in the order shown")

# --append fills what an item lacks: answers first (no prompt), the questions later
run("import", "--name", "late", "--map", "id=question_id,response=choices[0].turns[0],model.a=model", "answers.jsonl")
before = items("late")
check(all(it["prompt"] is None for it in before), "answers alone have no prompt")
run("import", "--name", "late", "--append", "--map", "id=question_id,prompt=turns[0]", "questions.jsonl")
after = items("late")
asked = {a["question_id"] for a in ans}
check(len(after) == len(before) + len([q for q in qs if q["question_id"] not in asked]), "questions without answers are new items")
for b, a in zip(before, after):
    q = next(q for q in qs if str(q["question_id"]) == b["id"])
    check(a["prompt"] == q["turns"][0] and a["responses"] == b["responses"], f"prompt filled in, responses unchanged: {a['id']}")
# what an item has is kept
run("import", "--name", "late", "--append", "--map", "id=question_id,prompt=model,response=model", "answers.jsonl")
check([it["prompt"] for it in items("late")] == [it["prompt"] for it in after], "a second prompt does not overwrite")

# misses: counted with the first keys; nothing matched is an error
write("reviews_miss.jsonl", rev[:3] + [{"question_id": 999, "model": "zz", "score": 1}])
p = run("import", "--name", "miss", "--join", "a=answers.jsonl:question_id+model",
        "--map", "prompt=$a.choices[0].turns[0],response=$a.model,rating.response.score=score", "reviews_miss.jsonl", ok=False)
check(p.returncode != 0, "a record without its join and without a prompt is refused")
p = run("import", "--name", "miss2", "--join", "a=answers.jsonl:question_id+model",
        "--map", "prompt=model,response=$a.choices[0].turns[0],rating.response.score=score", "reviews_miss.jsonl", ok=False)
check(p.returncode != 0, "a record whose response comes from a missing join fails (required field)")
p = run("import", "--name", "miss3", "--join", "a=answers.jsonl:question_id+model",
        "--map", "prompt=model,a=model,b=$a.model", "reviews_miss.jsonl", ok=False)
check(p.returncode != 0, "missing b")
p = run("import", "--name", "miss4", "--join", "a=answers.jsonl:question_id+model",
        "--map", "prompt=model,response=model,rating.response.score=$a.question_id", "reviews_miss.jsonl")
check("--join a: 1 record without a match (first keys: \"999+zz\")" in p.stderr, f"miss note: {p.stderr}")
# a hostile key is shown without its terminal controls
write("hostile.jsonl", rev[:2] + [{"question_id": 7, "model": "\x1b[31mred\x07", "score": 1}])
p = run("import", "--name", "hostile", "--join", "a=answers.jsonl:question_id+model",
        "--map", "prompt=model,response=model,rating.response.score=$a.question_id", "hostile.jsonl")
check("1 record without a match" in p.stderr and "\x1b" not in p.stderr and "\x07" not in p.stderr, f"hostile key: {p.stderr!r}")
write("nomatch.jsonl", [{"question_id": 1, "model": "x"}, {"question_id": 2, "model": "y"}])
p = run("import", "--name", "none", "--join", "a=answers.jsonl:question_id+model",
        "--map", "prompt=model,response=model,rating.response.score=$a.question_id", "nomatch.jsonl", ok=False)
check(p.returncode != 0 and "no record found its match (2 records; first keys: \"1+x\", \"2+y\")" in p.stderr, f"no match: {p.stderr}")
check("none" not in run("ls", "--json").stdout, "a failed join left a dataset")
p = run("import", "--name", "bad", "--join", "q=questions.jsonl", "--map", "prompt=x", "pairs.jsonl", ok=False)
check(p.returncode != 0 and "expected ALIAS=FILE:KEY[=MAINKEY]" in p.stderr, f"bad spec: {p.stderr}")

finish("joins")
PY
