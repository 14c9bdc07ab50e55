#!/usr/bin/env bash
# Public shapes are recognised without --map (samples/formats/, written by us): the
# detected format, and every item, response, verdict and rating checked against an
# independent reading of the sample in Python; --dry-run names the shape and mapping.
set -uo pipefail
: "${PS_BIN:?PS_BIN not set}"
: "${PS_SRC:?PS_SRC not set}"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
cd "$T"
export PS_BIN PS_SRC WS=$T/ws.db
python3 - <<'PY'
import json, os, subprocess, sys
BIN, SRC, WS = os.environ["PS_BIN"], os.environ["PS_SRC"], os.environ["WS"]
S = os.path.join(SRC, "samples", "formats")
fails = []
def run(*a):
    p = subprocess.run([BIN, "-w", WS, *a], capture_output=True, text=True)
    if p.returncode:
        sys.exit(f"FAIL: prefscope {' '.join(a)}: {p.stderr.strip()}")
    return p
def check(c, what):
    if not c:
        fails.append(what); print("FAIL:", what)
def load(name):
    path = os.path.join(S, name)
    if name.endswith(".json"):
        return json.load(open(path, encoding="utf-8"))
    return [json.loads(l) for l in open(path, encoding="utf-8")]
def imp(name, fmt):
    path = os.path.join(S, name)
    dry = run("import", "--dry-run", path).stdout
    check(f"format:  {fmt} " in dry, f"{name}: dry run names {fmt}: {dry[:200]}")
    ds = name.split(".")[0]
    run("import", "--name", ds, path)
    info = {d["name"]: d for d in json.loads(run("ls", "--json").stdout)}[ds]
    check(info["format"] == fmt, f"{name}: detected {info['format']}, want {fmt}")
    out = os.path.join(os.getcwd(), ds + ".out.jsonl")
    run("export", ds, "--format", "jsonl", "-o", out)
    return [json.loads(l) for l in open(out, encoding="utf-8")], dry
def ratings(it, aspect):
    return {x["response"]: x["value"] for x in it["ratings"] if x["aspect"] == aspect}
def num(v):
    try:
        return float(v)
    except (TypeError, ValueError):
        return None
def verdicts(it, annotator=None):
    return [(j["a"], j["b"], j["verdict"]) for j in it["judgments"] if annotator in (None, j["annotator"])]

# UltraFeedback: completions -> responses, overall_score -> score, fine-grained ratings
src = load("ultrafeedback.jsonl")
items, dry = imp("ultrafeedback.jsonl", "ultrafeedback")
check("--map 'prompt=instruction,responses=completions[*].response" in dry, "ultrafeedback: dry run shows the mapping")
check(len(items) == len(src), "ultrafeedback: items")
for r, it in zip(src, items):
    c = r["completions"]
    check(it["prompt"] == r["instruction"], "uf prompt")
    check([(x["text"], x["model"]) for x in it["responses"]] == [(x["response"], x["model"]) for x in c], "uf responses")
    check(ratings(it, "score") == {i: x["overall_score"] for i, x in enumerate(c)}, "uf scores")
    for a in ("helpfulness", "honesty", "instruction_following", "truthfulness"):
        want = {i: num(x["annotations"][a]["Rating"]) for i, x in enumerate(c) if num(x["annotations"][a]["Rating"]) is not None}
        check(ratings(it, a) == want, f"uf {a}: {ratings(it, a)} != {want}")
    check(it["judgments"] == [], "uf: no judgments without pairs=")

# HelpSteer2: lines with one prompt are one item, five ratings per response
src = load("helpsteer2.jsonl")
items, _ = imp("helpsteer2.jsonl", "helpsteer2")
prompts = list(dict.fromkeys(r["prompt"] for r in src))
check([it["prompt"] for it in items] == prompts, "hs2: one item per prompt")
for it in items:
    rows = [r for r in src if r["prompt"] == it["prompt"]]
    check([x["text"] for x in it["responses"]] == [r["response"] for r in rows], "hs2 responses")
    for a in ("helpfulness", "correctness", "coherence", "complexity", "verbosity"):
        check(ratings(it, a) == {i: r[a] for i, r in enumerate(rows)}, f"hs2 {a}")

# Nectar: 7 ranked answers -> all 21 pairs (lower rank wins), ranks kept
src = load("nectar.jsonl")
items, _ = imp("nectar.jsonl", "nectar")
for r, it in zip(src, items):
    ans = r["answers"]
    check([(x["text"], x["model"]) for x in it["responses"]] == [(a["answer"], a["model"]) for a in ans], "nectar responses")
    check(ratings(it, "rank") == {i: a["rank"] for i, a in enumerate(ans)}, "nectar ranks")
    want = [(i, j, "A" if ans[i]["rank"] < ans[j]["rank"] else "B" if ans[i]["rank"] > ans[j]["rank"] else "tie")
            for i in range(len(ans)) for j in range(i + 1, len(ans))]
    check(verdicts(it) == want, "nectar pairs")

# PKU-SafeRLHF: better and safer as two annotators
src = load("pku_saferlhf.jsonl")
items, _ = imp("pku_saferlhf.jsonl", "pku_saferlhf")
for r, it in zip(src, items):
    check([x["text"] for x in it["responses"]] == [r["response_0"], r["response_1"]], "pku responses")
    for key, ann in (("better_response_id", "dataset:better"), ("safer_response_id", "dataset:safer")):
        check(verdicts(it, ann) == [(0, 1, "A" if r[key] == 0 else "B")], f"pku {ann}")
    check(ratings(it, "safe") == {0: int(r["is_response_0_safe"]), 1: int(r["is_response_1_safe"])}, "pku safe")

# export: an annotator with only ratings ('dataset' here) decides nothing; the first
# that judged does
p = run("export", "pku_saferlhf", "--format", "trl", "-o", "pku.trl")
check("verdicts of 'dataset:better'" in p.stderr and len(open("pku.trl").readlines()) == len(src),
      f"pku trl export: {p.stderr}")

# SHP: labels 1 -> A, 0 -> B; scores kept
src = load("shp.jsonl")
items, _ = imp("shp.jsonl", "shp")
for r, it in zip(src, items):
    check(it["prompt"] == r["history"] and it["id"] == r["post_id"], "shp prompt/id")
    check(verdicts(it) == [(0, 1, "A" if r["labels"] == 1 else "B")], "shp verdict")
    check(ratings(it, "score") == {0: r["score_A"], 1: r["score_B"]}, "shp scores")

# Chatbot Arena conversations and MT-Bench human judgments: the arena shape, judge -> annotator
for name in ("arena_conversations.jsonl", "mtbench_human.jsonl"):
    src = load(name)
    items, _ = imp(name, "arena")
    for r, it in zip(src, items):
        want = {"model_a": "A", "model_b": "B"}.get(r["winner"], "tie")
        ann = ("llm:" if r["judge"].startswith("gpt") else "human:") + r["judge"]
        check(verdicts(it, ann) == [(0, 1, want)], f"{name}: verdict of {ann}")
        ca, cb = r["conversation_a"], r["conversation_b"]
        # the shared leading turns up to the last shared user turn are the context; each
        # side's remaining turns (joined by blank lines) its response
        shared = 0
        while shared < min(len(ca), len(cb)) and ca[shared] == cb[shared]:
            shared += 1
        last_user = max(i for i in range(shared) if ca[i]["role"] == "user")
        check(it["prompt"] == ca[last_user]["content"], f"{name}: prompt")
        check(len(it["history"] or []) == last_user, f"{name}: history")
        want = ["\n\n".join(m["content"] for m in c[last_user + 1:]) for c in (ca, cb)]
        check([x["text"] for x in it["responses"]] == want, f"{name}: responses")

# MT-Bench pairwise judgments: g1 in the original order, g2 in the exchanged order
src = load("mtbench_pair.jsonl")
items, _ = imp("mtbench_pair.jsonl", "mtbench_pair")
def g(w, first):  # the verdict of a game whose first-shown model is `first`
    if w == "tie":
        return "tie"
    if w not in ("model_1", "model_2"):
        return "invalid"
    return "A" if w == first else "B"
for r, it in zip(src, items):
    check([x["model"] for x in it["responses"]] == [r["model_1"], r["model_2"]], "mtb models")
    check(verdicts(it) == [(0, 1, g(r["g1_winner"], "model_1")), (1, 0, g(r["g2_winner"], "model_2"))],
          f"mtb verdicts {verdicts(it)}")
    check({j["annotator"] for j in it["judgments"]} == {"llm:" + "/".join(r["judge"])}, "mtb judge")

# LLaMA-Factory KTO messages: the completion is the response, content parts are text
src = load("kto_messages.json")
items, _ = imp("kto_messages.json", "kto_messages")
def text(c):
    return c if isinstance(c, str) else "\n".join(p["text"] for p in c)
for r, it in zip(src, items):
    m = r["messages"]
    sysm = [text(x["content"]) for x in m if x["role"] == "system"]
    body = [x for x in m if x["role"] != "system"]
    check(it["system"] == (sysm[0] if sysm else None), "kto system")
    check(it["prompt"] == text(body[-2]["content"]), "kto prompt")
    check([h["content"] for h in (it["history"] or [])] == [text(x["content"]) for x in body[:-2]], "kto history")
    check([x["text"] for x in it["responses"]] == [text(body[-1]["content"])], "kto response")
    check(ratings(it, "label") == {0: 1 if r["label"] else 0}, "kto label")

# OpenAssistant trees: one item per prompt with 2+ ranked replies, history = the path
src = load("oasst_trees.jsonl")
items, _ = imp("oasst_trees.jsonl", "oasst_trees")
want = []
def walk(n, hist):
    if n["role"] == "prompter":
        ranked = [r for r in n["replies"] if isinstance(r.get("rank"), (int, float))]
        if len(ranked) >= 2:
            want.append((hist, n["text"], ranked))
    for r in n["replies"]:
        walk(r, hist + [{"role": "user" if n["role"] == "prompter" else "assistant", "content": n["text"]}])
for t in src:
    walk(t["prompt"], [])
check(len(items) == len(want), f"oasst: {len(items)} items, want {len(want)}")
for it, (hist, prompt, ranked) in zip(items, want):
    check((it["history"] or [], it["prompt"]) == (hist, prompt), f"oasst history/prompt of {prompt}")
    check([x["text"] for x in it["responses"]] == [r["text"] for r in ranked], "oasst responses")
    rk = [r["rank"] for r in ranked]
    pairs = [(a, b, "A" if rk[a] < rk[b] else "B" if rk[a] > rk[b] else "tie")
             for a in range(len(rk)) for b in range(a + 1, len(rk))]
    check(verdicts(it) == pairs, "oasst pairs")

# every recipe of docs/formats.md that names a sample runs as written
import re, shlex
doc = open(os.path.join(SRC, "docs", "formats.md"), encoding="utf-8").read()
sec = doc[doc.index("## Recipes for common shapes"):doc.index("## Export")]
lines = [l for l in sec.splitlines() if l.startswith("prefscope import") and "samples/formats/" in l]
check(len(lines) >= 12, f"recipes: {len(lines)} sample lines")
for i, l in enumerate(lines):
    args = shlex.split(l)[1:]
    p = subprocess.run([BIN, "-w", WS + ".recipes", *args], capture_output=True, text=True, cwd=SRC)
    check(p.returncode == 0 and "imported" in p.stderr, f"recipe {l}: {p.stderr.strip()}")
os.remove(WS + ".recipes")

if fails:
    print(len(fails), "failure(s)"); sys.exit(1)
print("shapes: all checks passed")
PY
