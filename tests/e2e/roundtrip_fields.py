"""Driver of roundtrip_fields.sh: every export format over every dataset of
../shared/data, samples/ and samples/formats/, exported, imported back and compared field by field
with the source (the native export): items, responses, verdicts (ties included),
history, system, ratings and tags.  What a format cannot hold must be exactly what its
stderr summary counts; everything else must come back.

Run through the .sh wrapper (it sets PS_BIN, PS_DATA, PS_SRC and WORK)."""
import glob
import json
import os
import re
import subprocess
import sys
from collections import Counter

BIN = os.environ["PS_BIN"]
DATA = os.environ.get("PS_DATA", "")
SRC = os.environ["PS_SRC"]
WORK = os.environ["WORK"]
WS = os.path.join(WORK, "ws.db")
failures = []

CSV_MAP = ("id=index,system=system,history=history,prompt=prompt,a=response_a,b=response_b,"
           "model.a=model_a,model.b=model_b,label=verdict,label.a=A,label.b=B,label.tie=tie,"
           "label.invalid=invalid,p_a=p_a,annotator=annotator,rationale=rationale")


def run(*args):
    p = subprocess.run([BIN, "-w", WS, *args], capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit(f"FAIL: prefscope {' '.join(args)} exited {p.returncode}: {p.stderr.strip()}")
    return p


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what)
    return cond


def native(name):
    out = os.path.join(WORK, name + ".native.jsonl")
    run("export", name, "--format", "jsonl", "-o", out)
    with open(out, encoding="utf-8") as f:
        return [json.loads(line) for line in f]


def export(name, fmt):
    out = os.path.join(WORK, f"{name}.{fmt}")
    err = run("export", name, "--format", fmt, "-o", out).stderr
    return out, err


def reported(err, what):
    """The count the export summary gives for `what` (0 when not mentioned)."""
    m = re.search(r"(\d+) " + re.escape(what) + r"(,|\n| \()", err)
    return int(m.group(1)) if m else 0


def hist(it):
    return it["history"] or []


def verdicts(judgments, pos=lambda k: k):
    return Counter((j["annotator"], pos(j["a"]), pos(j["b"]), j["verdict"]) for j in judgments)


def check_jsonl(name, src):
    out, _ = export(name, "jsonl")
    run("import", "--name", name + "_rt_jsonl", out)
    back = native(name + "_rt_jsonl")
    check(len(back) == len(src), f"{name} jsonl: {len(back)} items, want {len(src)}")
    for x, y in zip(src, back):
        x, y = dict(x), dict(y)
        x.pop("index"), y.pop("index")
        if not check(x == y, f"{name} jsonl: item {x['key']} differs"):
            break


def check_csv(name, src):
    out, err = export(name, "csv")
    run("import", "--name", name + "_rt_csv", "--map", CSV_MAP, out)
    back = native(name + "_rt_csv")
    if not check(len(back) == len(src), f"{name} csv: {len(back)} items, want {len(src)}"):
        return
    for x, y in zip(src, back):
        what = f"{name} csv: item {x['key']}"
        # an empty cell reads back as an empty text: null and "" are one value in CSV
        check((x["system"], hist(x), x["prompt"] or "") == (y["system"], hist(y), y["prompt"] or ""),
              f"{what}: system/history/prompt")
        rx = [(r["text"] or "", r["model"]) for r in x["responses"]]
        ry = [(r["text"] or "", r["model"]) for r in y["responses"]]
        if not check(rx == ry, f"{what}: responses {rx[:3]} != {ry[:3]}"):
            break
        if not check(verdicts(x["judgments"]) == verdicts(y["judgments"]), f"{what}: verdicts"):
            break
    for field, what in (("ratings", "ratings"), ("tags", "tags")):
        n = sum(len(it[field]) for it in src)
        check(reported(err, what) == n, f"{name} csv: {n} {what} lost, summary says {reported(err, what)}")


def check_ap(name, src):
    out, err = export(name, "annotated-pairs")
    want = []
    for it in src:
        if len(it["responses"]) < 2:
            continue
        pairs = sorted({tuple(sorted((j["a"], j["b"]))) for j in it["judgments"]}) or [(0, 1)]
        want += [(it, p) for p in pairs]
    back = []
    if want:  # else no comparison at all (items with one response)
        run("import", "--name", name + "_rt_ap", out)
        back = native(name + "_rt_ap")
    if not check(len(back) == len(want), f"{name} annotated-pairs: {len(back)} comparisons, want {len(want)}"):
        return
    for (it, (lo, hi)), y in zip(want, back):
        what = f"{name} annotated-pairs: item {it['key']} pair {lo},{hi}"
        check((it["system"], hist(it), it["prompt"]) == (y["system"], hist(y), y["prompt"]),
              f"{what}: system/history/prompt")
        rx = [(it["responses"][k]["text"], it["responses"][k]["model"]) for k in (lo, hi)]
        check(rx == [(r["text"], r["model"]) for r in y["responses"]], f"{what}: responses")
        mine = [j for j in it["judgments"] if tuple(sorted((j["a"], j["b"]))) == (lo, hi)]
        if not check(verdicts(mine) == verdicts(y["judgments"], {0: lo, 1: hi}.get), f"{what}: verdicts"):
            break
    short = sum(1 for it in src if len(it["responses"]) < 2)
    for n, what in ((short, "items with fewer than two responses"),
                    (sum(len(it["ratings"]) for it in src), "ratings"),
                    (sum(len(it["tags"]) for it in src), "tags"),
                    (sum(1 for it in src for j in it["judgments"] if j["rationale"] is not None), "rationales")):
        check(reported(err, what) == n, f"{name} annotated-pairs: {n} {what} lost, summary says {reported(err, what)}")


def check_pairs(name, src, fmt):
    out, err = export(name, fmt)
    deciding = re.search(r"verdicts of '([^']*)'", err).group(1)
    back = []
    if os.path.getsize(out):  # nothing decisive: an empty file
        run("import", "--name", f"{name}_rt_{fmt}", "--format", "kto" if fmt == "kto" else "trl", out)
        back = native(f"{name}_rt_{fmt}")
    rows = []  # (item, chosen text, rejected text) or (item, text, good) for kto
    ties = inv = 0
    for it in src:
        kto = [x for x in it["ratings"] if x["aspect"] in ("kto", "label")] if fmt == "kto" else []
        if kto:
            rows += [(it, it["responses"][x["response"]]["text"], x["value"] > 0.5) for x in kto]
            continue
        for j in it["judgments"]:
            if j["annotator"] != deciding:
                continue
            if j["verdict"] in ("A", "B"):
                w, l = (j["a"], j["b"]) if j["verdict"] == "A" else (j["b"], j["a"])
                tw, tl = it["responses"][w]["text"] or "", it["responses"][l]["text"] or ""
                rows += [(it, tw, True), (it, tl, False)] if fmt == "kto" else [(it, tw, tl)]
            elif j["verdict"] == "tie":
                ties += 1
            else:
                inv += 1
    if not check(len(back) == len(rows), f"{name} {fmt}: {len(back)} items back, want {len(rows)}"):
        return
    for (it, x, y), b in zip(rows, back):
        what = f"{name} {fmt}: item {it['key']}"
        check((it["system"], hist(it), it["prompt"] or "") == (b["system"], hist(b), b["prompt"] or ""),
              f"{what}: system/history/prompt {(it['system'], hist(it)[:1])} != {(b['system'], hist(b)[:1])}")
        if fmt == "kto":
            ok = [r["text"] for r in b["responses"]] == [x] and [r["value"] for r in b["ratings"]] == [1 if y else 0]
        else:
            ok = [r["text"] for r in b["responses"]] == [x, y] and \
                [(j["a"], j["b"], j["verdict"]) for j in b["judgments"]] == [(0, 1, "A")]
        if not check(ok, f"{what}: responses/verdict"):
            break
    check(reported(err, "ties") == ties, f"{name} {fmt}: {ties} ties, summary says {reported(err, 'ties')}")
    check(reported(err, "invalid verdicts") == inv, f"{name} {fmt}: {inv} invalid, summary says {reported(err, 'invalid verdicts')}")
    others = sum(1 for it in src for j in it["judgments"] if j["annotator"] != deciding)
    check(reported(err, "judgments by other annotators") == others, f"{name} {fmt}: {others} other judgments")
    kept = len(rows) if fmt == "kto" and any(x["aspect"] in ("kto", "label") for it in src for x in it["ratings"]) else 0
    n_r = sum(len(it["ratings"]) for it in src) - kept
    check(reported(err, "ratings") == n_r, f"{name} {fmt}: {n_r} ratings lost, summary says {reported(err, 'ratings')}")
    n_t = sum(len(it["tags"]) for it in src)
    check(reported(err, "tags") == n_t, f"{name} {fmt}: {n_t} tags lost, summary says {reported(err, 'tags')}")


def roundtrip(name):
    src = native(name)
    check_jsonl(name, src)
    check_csv(name, src)
    check_ap(name, src)
    for fmt in ("trl", "trl-conversational", "kto"):
        check_pairs(name, src, fmt)
    print(f"{name}: {len(src)} items checked in 6 formats")


def main():
    run("import", "--name", "tour", os.path.join(SRC, "samples", "tour.jsonl"))
    run("import", "--name", "conv", os.path.join(SRC, "samples", "trl_conversational.jsonl"))
    run("import", "--name", "ratings", os.path.join(SRC, "samples", "ratings.csv"), "--map",
        "prompt=question,a=answer 1,b=answer 2,model.a=model 1,model.b=model 2,"
        "rating.a.helpfulness=helpfulness 1,rating.b.helpfulness=helpfulness 2,label=better,"
        "label.a=first,label.b=second,label.tie=same,annotator=rater")
    names = ["tour", "conv", "ratings"]
    for path in sorted(glob.glob(os.path.join(SRC, "samples", "formats", "*.json*"))):
        name = "shape_" + os.path.basename(path).split(".")[0]
        run("import", "--name", name, path)
        names.append(name)
    d = DATA
    shared = {
        "hh": [f"{d}/hh_rlhf_harmless_test/harmless-base_test.jsonl.gz"],
        "dpo_en": [f"{d}/llamafactory_dpo_demo/dpo_en_demo.json"],
        "alpaca": sorted(glob.glob(f"{d}/alpaca_eval_alpaca7b/*_annotations.json")),
        "pandalm": sorted(glob.glob(f"{d}/pandalm_testset/*.json")),
        "natural": [f"{d}/llmbar/LLMBar_Natural.dataset.json"]
        + sorted(glob.glob(f"{d}/llmbar/LLMBar_Natural.*.result.json")),
        "arena": [f"{d}/arena_hard_battles/arena_hard_battles.jsonl"],
        "aligned": [f"{d}/icai_synthetic/synthetic_data_aligned_vqvtb.csv"],
        "ff": [f"{d}/icai_synthetic/feedback_forensics_annotated_pairs.json"],
    }
    for name, files in shared.items():
        if files and all(os.path.exists(f) for f in files):
            run("import", "--name", name, *files)
            names.append(name)
        else:
            print(f"note: {name} data absent, skipped")
    for name in names:
        roundtrip(name)
    if failures:
        print(f"{len(failures)} failure(s)")
        sys.exit(1)
    print("field-by-field round trips: all checks passed")


main()
