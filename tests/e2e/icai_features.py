"""Independent Python implementation of prefscope's measurable principles and
metrics (docs/icai.md), used by icai_offline.sh to check the C code on real data.

Reads the workspace with sqlite3, recomputes every feature vote and the counts and
metrics against an annotator, and compares them with `prefscope icai --json`."""
import json
import math
import re
import sqlite3
import sys

WORD = re.compile(r"[A-Za-z0-9]+")
ASCII_LOWER = {c: c + 32 for c in range(65, 91)}

FIRST = {"i", "me", "my", "mine", "myself"}
SECOND = {"you", "your", "yours", "yourself", "yourselves"}
HEDGES = {"might", "may", "perhaps", "possibly", "probably", "maybe", "likely", "unlikely",
          "generally", "typically", "usually", "often", "sometimes", "seems", "seem",
          "somewhat", "arguably", "depends"}
REFUSALS = ["i can't", "i cannot", "i can not", "i won't", "i will not", "i'm sorry",
            "i am sorry", "i apologize", "i'm not able to", "i am not able to",
            "i'm unable to", "i am unable to", "as an ai", "i must decline",
            "i'm not comfortable", "i am not comfortable", "i don't feel comfortable",
            "can't help with", "cannot help with", "can't assist", "cannot assist"]
NAMES = ["longer", "shorter", "list_items", "headers", "code_blocks", "links", "emoji",
         "exclamations", "question", "refusal", "hedging", "first_person", "second_person",
         "numbers", "prompt_overlap", "readability", "bold", "paragraphs"]


def alower(s):
    return s.translate(ASCII_LOWER)


def syllables(w):
    groups = re.findall(r"[aeiouy]+", alower(w))
    n = len(groups)
    if alower(w).endswith("e") and n > 1:
        n -= 1
    return n or 1


def is_list_item(t):
    if re.match(r"[-*+•][ \t]", t):
        return True
    return re.match(r"[0-9]+[.)][ \t]", t) is not None


def measure(prompt, text):
    f = {}
    f["longer"] = f["shorter"] = len(text)
    f["exclamations"] = text.count("!")
    f["question"] = 1 if "?" in text else 0
    f["emoji"] = sum(1 for ch in text if 0x1F000 <= ord(ch) <= 0x1FAFF or 0x2600 <= ord(ch) <= 0x27BF)
    lines = text.split("\n")
    f["list_items"] = f["headers"] = 0
    fences = paras = 0
    prev_blank = True
    for line in lines:
        t = line.lstrip(" \t")
        if is_list_item(t):
            f["list_items"] += 1
        if re.match(r"#{1,6}[ \t]", t):
            f["headers"] += 1
        if t.startswith("```") or t.startswith("~~~"):
            fences += 1
        blank = line.strip(" \t\r\f\v") == ""
        if not blank and prev_blank:
            paras += 1
        prev_blank = blank
    f["code_blocks"] = (fences + 1) // 2
    f["paragraphs"] = paras
    words = WORD.findall(text)
    low = [alower(w) for w in words]
    f["numbers"] = len(re.findall(r"[0-9]+", text))
    f["first_person"] = sum(w in FIRST for w in low)
    f["second_person"] = sum(w in SECOND for w in low)
    f["hedging"] = sum(w in HEDGES for w in low)
    pw = {alower(w) for w in WORD.findall(prompt or "") if len(w) >= 3}
    f["prompt_overlap"] = len(pw & {w for w in low if len(w) >= 3})
    sentences = max(1, len(re.findall(r"[.!?]+", text)))
    if words:
        syl = sum(syllables(w) for w in words)
        f["readability"] = 206.835 - 1.015 * (len(words) / sentences) - 84.6 * (syl / len(words))
    else:
        f["readability"] = float("nan")
    lt = alower(text.replace("\u2019", "'"))
    f["links"] = lt.count("http://") + lt.count("https://")
    f["bold"] = lt.count("**") // 2
    f["refusal"] = 1 if any(r in lt for r in REFUSALS) else 0
    return f


def vote(name, a, b):
    x, y = a[name], b[name]
    if isinstance(x, float) and math.isnan(x) or isinstance(y, float) and math.isnan(y):
        return "neither"
    if name == "shorter":
        x, y = y, x
    if x > y:
        return "A"
    if x < y:
        return "B"
    return "both" if (x > 0 or name == "readability") else "neither"


def main(db, dataset, annotator, result_file):
    con = sqlite3.connect(db)
    rows = con.execute(
        "SELECT i.id, i.prompt, r0.id, r0.text, r1.id, r1.text FROM item i"
        " JOIN dataset d ON d.id = i.dataset_id"
        " JOIN response r0 ON r0.item_id = i.id AND r0.idx = 0"
        " JOIN response r1 ON r1.item_id = i.id AND r1.idx = 1"
        " WHERE d.name = ? ORDER BY i.seq", (dataset,)).fetchall()
    counts = {n: dict(zip(["for", "against", "both", "neither", "invalid"], [0] * 5)) for n in NAMES}
    ties = 0
    for item, prompt, id0, t0, id1, t1 in rows:
        j = con.execute("SELECT response_a, verdict FROM judgment WHERE item_id = ? AND annotator = ?"
                        " AND ((response_a = ? AND response_b = ?) OR (response_a = ? AND response_b = ?))"
                        " ORDER BY id LIMIT 1", (item, annotator, id0, id1, id1, id0)).fetchone()
        if not j:
            continue
        ra, v = j
        if ra != id0 and v in ("A", "B"):
            v = "B" if v == "A" else "A"
        if v == "tie":
            ties += 1
        if v not in ("A", "B"):
            continue
        fa, fb = measure(prompt, t0 or ""), measure(prompt, t1 or "")
        for n in NAMES:
            vv = vote(n, fa, fb)
            c = counts[n]
            if vv in ("A", "B"):
                c["for" if vv == v else "against"] += 1
            else:
                c[vv] += 1
    got = json.load(open(result_file))
    assert got["params"]["ties"] == ties, (got["params"]["ties"], ties)
    by_kind = {p["kind"].split(":", 1)[1]: p for p in got["principles"]}
    assert sorted(by_kind) == sorted(NAMES), sorted(by_kind)
    bad = 0
    for n in NAMES:
        s, c = by_kind[n]["stats"], counts[n]
        for k in c:
            if s[k] != c[k]:
                print(f"{dataset}: {n}: {k} = {s[k]}, python says {c[k]}")
                bad += 1
        total = sum(c.values())
        dec = c["for"] + c["against"]
        rel = dec / total if total else 0
        acc = c["for"] / dec if dec else 0.5
        kappa = 2 * (acc - 0.5)
        want = {"relevance": rel, "accuracy": acc, "kappa": kappa, "strength": kappa * rel,
                "relevance_for": c["for"] / total if total else 0}
        for k, w in want.items():
            if abs(s[k] - w) > 1e-12:
                print(f"{dataset}: {n}: {k} = {s[k]}, python says {w}")
                bad += 1
    # the ranking follows for - against among the kept principles
    kept = sorted((p for p in got["principles"] if p["rank"] > 0), key=lambda p: p["rank"])
    fma = [p["stats"]["for"] - p["stats"]["against"] for p in kept]
    assert fma == sorted(fma, reverse=True), fma
    for p in got["principles"]:
        s = p["stats"]
        ok = s["for"] > s["against"] and s["relevance"] >= 0.1 and s["invalid"] <= 0.5 * s["total"]
        assert ok == (p["rank"] > 0), (p["text"], s, p["rank"])
    print(f"{dataset}: {len(NAMES)} principles on {len(rows)} pairs match the independent computation")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:5]))
