#!/bin/bash
# The figures of issue 10 point 6 on random datasets, each checked against an
# independent computation in python3 (stdlib), intervals included (the same seeded
# item resamples, tests/e2e/psboot.py): accuracy right in both orders (a judge with
# both orders stored, and one whose other order is a "<name> [b first]" annotator),
# win/tie/loss per model pair, mean rating per model, pairs derived from ratings
# (stats --pairs-from-ratings, rank --from-ratings against the same pairs imported as
# judgments), and AlpacaEval's length-controlled win rate (length_controlled_minimal,
# refit by Newton's method here) on random data and on the shared AlpacaEval files.
# Model and annotator names are hostile (escape sequences); text output must not
# carry them raw.  PS_TEST_SEED=N reproduces a run.
set -eu
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
python3 - "$T" <<'PY'
import json, math, os, random, subprocess, sys

sys.path.insert(0, os.path.join(os.environ["PS_SRC"], "tests", "e2e"))
from psboot import percentile_ci, resamples  # noqa: E402

T = sys.argv[1]
BIN = os.environ["PS_BIN"]
base = int(os.environ.get("PS_TEST_SEED") or random.SystemRandom().randrange(1 << 30))
print("base seed", base, "(PS_TEST_SEED=%d reproduces this run)" % base)
B = 40  # bootstrap resamples (python's xoshiro is slow)
bad = []
checked = {"both": 0, "partner": 0, "rank": 0, "lc": 0}
EVIL = "\x1b[31mevil\x1b]0;t\x07"


def fail(seed, what):
    bad.append("seed %s: %s" % (seed, what))
    print("FAIL seed %s: %s" % (seed, what))


def run(*args):
    p = subprocess.run([BIN] + list(args), capture_output=True, text=True)
    if p.returncode != 0:
        raise SystemExit("failed (%d): %s\n%s" % (p.returncode, " ".join(args), p.stderr))
    return p.stdout


def close(x, y, tol=1e-6):
    if x is None or y is None:
        return x is None and y is None
    return abs(x - y) <= tol * max(1.0, abs(y))


def est_ok(seed, what, got, want, ci):
    """got: the JSON {value, ci}; want: the point value; ci: (lo, hi)."""
    if not close(got["value"], want):
        fail(seed, "%s: value %r, expected %r" % (what, got["value"], want))
    elif want is not None and not (close(got["ci"][0], ci[0]) and close(got["ci"][1], ci[1])):
        fail(seed, "%s: ci %r, expected %r" % (what, got["ci"], ci))


def ratio(s, w):
    return s / w if w > 0 else None


# ---------------------------------------------------------------- generator
def generate(seed):
    r = random.Random(seed)
    models = ["m%d" % i for i in range(r.randint(2, 4))] + [EVIL]
    items = []
    for it in range(r.randint(8, 30)):
        resp = []
        for _ in range(r.randint(2, 4)):
            x = {"text": "x" * r.randint(1, 60)}
            if r.random() > 0.1:
                x["model"] = r.choice(models)
            resp.append(x)
        js, ratings = [], []
        if r.random() < 0.9:
            for _ in range(r.randint(0, 6)):
                a, b = r.sample(range(len(resp)), 2)
                who = r.choice(["dataset", "llm:j", "llm:k", "llm:k [b first]", "llm:" + EVIL])
                if who == "llm:k [b first]" and a < b:
                    a, b = b, a  # its judgments show the higher response first
                v = r.choice(["A", "B", "tie", "A", "B", "invalid"])
                j = {"a": a, "b": b, "annotator": who, "verdict": v}
                if r.random() < 0.1:
                    j["weight"] = r.choice([2, 3])
                js.append(j)
        if r.random() < 0.3:
            # a labelled pair judged in both orders, so that every run has units for
            # the judges without a partner annotator (random draws alone rarely do)
            a, b = sorted(r.sample(range(len(resp)), 2))
            js.append({"a": a, "b": b, "annotator": "dataset", "verdict": r.choice(["A", "B", "tie"])})
            for who in ("llm:j", "llm:" + EVIL):
                js.append({"a": a, "b": b, "annotator": who, "verdict": r.choice(["A", "B", "tie"])})
                js.append({"a": b, "b": a, "annotator": who, "verdict": r.choice(["A", "B", "tie"])})
        for k in range(len(resp)):
            for aspect, who in (("score", "dataset"), ("score", "human:" + EVIL), ("rank", "dataset")):
                if r.random() < 0.7:
                    val = r.randint(1, 5) if aspect == "score" else r.randint(1, 4)
                    ratings.append({"response": k, "aspect": aspect, "value": val, "annotator": who})
        items.append({"prompt": "p%d" % it, "responses": resp, "judgments": js, "ratings": ratings})
    return items


def cls_of(v):
    return {"A": 0, "B": 1, "tie": 2}.get(v, 3)


def canon(j):
    """(lo, hi, canonical class, reversed)"""
    a, b, c = j["a"], j["b"], cls_of(j["verdict"])
    if a < b:
        return a, b, c, False
    return b, a, {0: 1, 1: 0}.get(c, c), True


def table_items(items, derived=None):
    """Dense item index of the items with at least one judgment (or derived pair)."""
    idx = {}
    for it, item in enumerate(items):
        if item["judgments"] or (derived and derived.get(it)):
            idx[it] = len(idx)
    return idx


# ---------------------------------------------------------------- both orders
def both_expect(items, judge, partner, mults, idx):
    first, second, both, cons, units = 0.0, 0.0, 0.0, 0.0, 0.0
    for it, item in enumerate(items):
        m = mults[idx[it]] if it in idx else 0
        seen = {}
        for j in item["judgments"]:
            lo, hi, c, rev = canon(j)
            seen.setdefault((lo, hi), []).append((j["annotator"], c, rev))
        for u, lst in seen.items():
            ref = None
            fw = [c for a, c, rv in lst if a == "dataset" and not rv]
            rv_ = [c for a, c, rv in lst if a == "dataset" and rv]
            lab = fw[0] if fw else rv_[0] if rv_ else None
            if lab is not None and lab != 3:
                ref = lab
            def pick(who, want_rev):
                got = [c for a, c, rv in lst if a == who and rv == want_rev]
                return got[0] if got else None
            f = pick(judge, False)
            if f is None and partner:
                f = pick(partner, False)
            s = pick(judge, True)
            if s is None and partner:
                s = pick(partner, True)
            if ref is None or f is None or s is None:
                continue
            units += m
            first += m * (f == ref)
            second += m * (s == ref)
            both += m * (f == ref and s == ref)
            cons += m * (f == s and f != 3)
    return units, [ratio(both, units), ratio(first, units), ratio(second, units), ratio(cons, units)]


def check_both(seed, items, out):
    idx = table_items(items)
    got = {b["annotator"]: b for b in out["both_orders"]}
    for judge, partner in (("llm:j", None), ("llm:k", "llm:k [b first]"), ("llm:" + EVIL, None)):
        units, vals = both_expect(items, judge, partner, [1] * len(idx), idx)
        if units == 0:
            if judge in got:
                fail(seed, "both orders: %r has no units but is reported" % judge)
            continue
        if judge not in got:
            fail(seed, "both orders: %r missing" % judge)
            continue
        g = got[judge]
        checked["partner" if partner else "both"] += 1
        if g["units"] != units or g["other_order"] != partner:
            fail(seed, "both orders %r: units %r partner %r, expected %r %r" % (
                judge, g["units"], g["other_order"], units, partner))
        boots = [both_expect(items, judge, partner, m, idx)[1] for m in resamples(len(idx), B, 1)]
        for k, key in enumerate(["right_both", "right_as_stored", "right_swapped", "consistency"]):
            est_ok(seed, "both orders %r %s" % (judge, key), g[key], vals[k],
                   percentile_ci([b[k] for b in boots]))
    if "llm:k [b first]" in got:
        fail(seed, "the [b first] partner is reported on its own")


# ---------------------------------------------------------------- win / tie / loss
def wtl_expect(items, extra=None):
    out = {}
    for item in items:
        resp = item["responses"]
        for j in item["judgments"] + (extra or []):
            ma, mb = resp[j["a"]].get("model"), resp[j["b"]].get("model")
            if ma is None or mb is None or ma == mb:
                continue
            c = cls_of(j["verdict"])
            m1, m2 = sorted([ma, mb])
            key = (j["annotator"], m1, m2)
            w = j.get("weight", 1)
            x = out.setdefault(key, [0, 0, 0, 0])
            if c == 3:
                x[3] += w
            elif c == 2:
                x[1] += w
            elif (c == 0) == (ma == m1):
                x[0] += w
            else:
                x[2] += w
    return out


def check_wtl(seed, want, out):
    got = {(p["annotator"], p["model"], p["opponent"]): [p["win"], p["tie"], p["loss"], p["invalid"]]
           for p in out["model_pairs"]}
    if got != want:
        fail(seed, "model pairs: %r\nexpected %r" % (sorted(got.items()), sorted(want.items())))


# ---------------------------------------------------------------- ratings
def rating_items(items):
    idx = {}
    for it, item in enumerate(items):
        if item["ratings"]:
            idx[it] = len(idx)
    return idx


def means_expect(items, mults, idx):
    acc = {}
    for it, item in enumerate(items):
        if it not in idx:
            continue
        m = mults[idx[it]]
        for x in item["ratings"]:
            key = (x["aspect"], x["annotator"], item["responses"][x["response"]].get("model"))
            a = acc.setdefault(key, [0.0, 0.0])
            a[0] += m * x["value"]
            a[1] += m
    return {k: ratio(s, w) for k, (s, w) in acc.items()}, {k: w for k, (s, w) in acc.items()}


def check_means(seed, items, got_list):
    idx = rating_items(items)
    vals, ns = means_expect(items, [1] * len(idx), idx)
    boots = [means_expect(items, m, idx)[0] for m in resamples(len(idx), B, 1)]
    got = {(g["aspect"], g["annotator"], g["model"]): g for g in got_list}
    if set(got) != set(vals):
        fail(seed, "ratings: groups %r, expected %r" % (sorted(map(str, got)), sorted(map(str, vals))))
        return
    for k, v in vals.items():
        if got[k]["n"] != ns[k]:
            fail(seed, "ratings %r: n %r, expected %r" % (k, got[k]["n"], ns[k]))
        est_ok(seed, "ratings %r" % (k,), got[k]["mean"], v, percentile_ci([b.get(k) for b in boots]))
    # order within an aspect and annotator: best mean first
    for a, b in zip(got_list, got_list[1:]):
        if (a["aspect"], a["annotator"]) == (b["aspect"], b["annotator"]):
            lower = a["aspect"] == "rank"
            if (a["mean"]["value"] > b["mean"]["value"]) if lower else (a["mean"]["value"] < b["mean"]["value"]):
                fail(seed, "ratings: %r listed before %r" % (a, b))


def derive(items, aspect, margin, lower):
    """{item: [judgment]} per the rule; annotator names record it."""
    out = {}
    for it, item in enumerate(items):
        by = {}
        for x in item["ratings"]:
            if x["aspect"] == aspect:
                by.setdefault(x["annotator"], {}).setdefault(x["response"], x["value"])
        js = []
        for who in sorted(by):
            name = "ratings:%s%s%g" % (aspect, "<" if lower else ">", margin)
            if who != "dataset":
                name += " by " + who
            rs = sorted(by[who])
            for p in range(len(rs)):
                for q in range(p + 1, len(rs)):
                    d = by[who][rs[p]] - by[who][rs[q]]
                    if lower:
                        d = -d
                    v = "A" if d > margin else "B" if -d > margin else "tie"
                    js.append({"a": rs[p], "b": rs[q], "annotator": name, "verdict": v})
        if js:
            out[it] = js
    return out


# ---------------------------------------------------------------- length-controlled
def sig(z):
    return 1 / (1 + math.exp(-z)) if z >= 0 else math.exp(z) / (1 + math.exp(z))


RIDGE = 1e-4


def lc_fit(rows):
    """rows: (pref, len_model, len_base, w).  Returns (n, win_rate, lc, intercept, coef)."""
    sw = sum(w for *_, w in rows)
    if sw <= 0:
        return None
    win = sum(p * w for p, _, _, w in rows) / sw
    d = [(lb - lm, w) for _, lm, lb, w in rows]
    mean = sum(x * w for x, w in d) / sw
    sd = math.sqrt(sum(w * (x - mean) ** 2 for x, w in d) / (sw - 1)) if sw > 1 else 0
    feats = [(1.0, math.tanh((lb - lm) / sd)) if sd > 0 else (1.0,) for _, lm, lb, _ in rows]
    k = len(feats[0])
    b = [0.0] * k
    for _ in range(200):
        g = [0.0] * k
        H = [[0.0] * k for _ in range(k)]
        for (p, _, _, w), x in zip(rows, feats):
            q = sig(sum(bi * xi for bi, xi in zip(b, x)))
            for i in range(k):
                g[i] += w * (p - q) * x[i]
                for j in range(k):
                    H[i][j] += w * q * (1 - q) * x[i] * x[j]
        for i in range(k):  # the ridge of stats_lc_minimal (STATS_LC_RIDGE)
            g[i] -= RIDGE * b[i]
            H[i][i] += RIDGE
        if max(abs(v) for v in g) < 1e-12:
            break
        if k == 1:
            step = [g[0] / H[0][0]]
        else:
            det = H[0][0] * H[1][1] - H[0][1] * H[1][0]
            step = [(H[1][1] * g[0] - H[0][1] * g[1]) / det, (H[0][0] * g[1] - H[1][0] * g[0]) / det]
        b = [bi + si for bi, si in zip(b, step)]
    return sw, win, sig(b[0]), b[0], (b[1] if k == 2 else 0.0)


def lc_rows(items, annot, base, model, mults, idx):
    rows = []
    for it, item in enumerate(items):
        resp = item["responses"]
        for j in item["judgments"]:
            if j["annotator"] != annot or cls_of(j["verdict"]) == 3:
                continue
            ma, mb = resp[j["a"]].get("model"), resp[j["b"]].get("model")
            if {ma, mb} != {model, base}:
                continue
            pa = j["p_a"] if "p_a" in j else {"A": 1, "B": 0, "tie": 0.5}[j["verdict"]]
            pm = pa if ma == model else 1 - pa
            la, lb = len(resp[j["a"]]["text"]), len(resp[j["b"]]["text"])
            lm, lbase = (la, lb) if ma == model else (lb, la)
            w = j.get("weight", 1) * (mults[idx[it]] if it in idx else 0)
            rows.append((pm, lm, lbase, w))
    return rows


def generate_lc(seed):
    r = random.Random(seed)
    models = ["m%d" % i for i in range(r.randint(1, 3))] + [EVIL]
    bias = r.uniform(-2, 2)
    items = []
    for it in range(r.randint(15, 40)):
        m = r.choice(models)
        lb, lm = r.randint(20, 400), r.randint(20, 400)
        resp = [{"text": "b" * lb, "model": "base"}, {"text": "m" * lm, "model": m}]
        z = bias * math.tanh((lm - lb) / 150) + r.gauss(0, 1)
        p = round(sig(z), 3)  # a probability that the model wins (AlpacaEval's weighted judge)
        j = {"a": 0, "b": 1, "annotator": "llm:ae", "p_a": round(1 - p, 3),
             "verdict": "A" if p < 0.5 else "B" if p > 0.5 else "tie"}
        if r.random() < 0.2:
            j = {"a": 0, "b": 1, "annotator": "llm:ae", "verdict": r.choice(["A", "B", "tie", "invalid"])}
        if r.random() < 0.1:
            j["weight"] = 2
        js = [j]
        if r.random() < 0.6:  # a second judge, shown the pair the other way round
            js.append({"a": 1, "b": 0, "annotator": "llm:ae2", "verdict": r.choice(["A", "B", "tie"])})
        items.append({"prompt": "p%d" % it, "responses": resp, "judgments": js, "ratings": []})
    return items


def check_lc(seed, items, out):
    for annot in ("llm:ae", "llm:ae2"):
        check_lc_annot(seed, items, out, annot)


def check_lc_annot(seed, items, out, annot):
    idx = table_items(items)
    got = [x for x in out["length_controlled"] if x["annotator"] == annot]
    models = sorted({it["responses"][1]["model"] for it in items
                     if any(j["annotator"] == annot for j in it["judgments"])})
    if annot == "llm:ae2" and len(models) == 1:
        return  # two models in every judgment, shown in both slots alike: either is the baseline
    if len(got) != 1 or got[0]["baseline"] != "base":
        fail(seed, "length controlled %s: %r" % (annot, out["length_controlled"]))
        return
    gm = {m["model"]: m for m in got[0]["models"]}
    for model in models:
        rows = lc_rows(items, annot, "base", model, [1] * len(idx), idx)
        want = lc_fit(rows)
        if want is None:
            continue
        if model not in gm:
            fail(seed, "length controlled: model %r missing" % model)
            continue
        g = gm[model]
        checked["lc"] += 1
        if not (close(g["n"], want[0]) and close(g["intercept"], want[3], 1e-5) and
                close(g["length_coef"], want[4], 1e-5)):
            fail(seed, "length controlled %r: n/intercept/coef %r %r %r, expected %r" % (
                model, g["n"], g["intercept"], g["length_coef"], want))
        boots = [lc_fit(lc_rows(items, annot, "base", model, m, idx))
                 for m in resamples(len(idx), B, 1)]
        est_ok(seed, "win rate %r" % model, g["win_rate"], want[1],
               percentile_ci([b[1] if b else None for b in boots]))
        lc_ci = percentile_ci([b[2] if b else None for b in boots])
        if not close(g["lc_win_rate"]["value"], want[2], 1e-5) or not (
                close(g["lc_win_rate"]["ci"][0], lc_ci[0], 1e-4) and close(g["lc_win_rate"]["ci"][1], lc_ci[1], 1e-4)):
            fail(seed, "lc win rate %r: %r, expected %r %r" % (model, g["lc_win_rate"], want[2], lc_ci))


# ---------------------------------------------------------------- runs
def write(path, items):
    with open(path, "w", encoding="utf-8") as f:
        for it in items:
            f.write(json.dumps(it) + "\n")


rounds = int(os.environ.get("PS_TEST_ROUNDS", "6"))
for k in range(rounds):
    seed = base + k
    items = generate(seed)
    ws = os.path.join(T, "r%d.db" % k)
    write(ws + ".jsonl", items)
    run("-w", ws, "import", "--name", "r", ws + ".jsonl")
    bo = ["-b", str(B), "--min-n", "0"]
    out = json.loads(run("-w", ws, "stats", "r", "--json", *bo))
    check_both(seed, items, out)
    check_wtl(seed, wtl_expect(items), out)
    check_means(seed, items, out["ratings"])
    text = run("-w", ws, "stats", "r", *bo)
    if "\x1b" in text or "\x07" in text:
        fail(seed, "stats text output carries a raw control character")
    # pairs from ratings: stats adds them as an annotator named by the rule
    for aspect, margin in (("score", 0), ("score", 1), ("rank", 0)):
        lower = aspect == "rank"
        dv = derive(items, aspect, margin, lower)
        flat = [j for js in dv.values() for j in js]
        want = wtl_expect(items, None)
        for key, v in wtl_expect([dict(it, judgments=dv.get(i, [])) for i, it in enumerate(items)]).items():
            want[key] = v
        out = json.loads(run("-w", ws, "stats", "r", "--json", "--pairs-from-ratings", aspect,
                             "--margin", str(margin), *bo))
        rule = "ratings:%s%s%g" % (aspect, "<" if lower else ">", margin)
        if out.get("derived", {}).get("annotator") != rule or out["derived"]["lower_is_better"] != lower:
            fail(seed, "derived rule %r, expected %r" % (out.get("derived"), rule))
        check_wtl(seed, want, out)
        if out["judgments"] != sum(1 for it in items for j in it["judgments"]) + len(flat):
            fail(seed, "derived: %d judgments, expected %d + %d" % (
                out["judgments"], sum(len(it["judgments"]) for it in items), len(flat)))
        # rank --from-ratings == rank of the same pairs imported as judgments
        d_items = [dict(items[i], judgments=dv[i], ratings=[]) for i in sorted(dv)]
        if not any(items[i]["responses"][j["a"]].get("model") not in (None, items[i]["responses"][j["b"]].get("model"))
                   and items[i]["responses"][j["b"]].get("model") is not None
                   for i in dv for j in dv[i]):
            continue
        dws = os.path.join(T, "d%d_%s_%d.db" % (k, aspect, margin))
        write(dws + ".jsonl", d_items)
        run("-w", dws, "import", "--name", "d", dws + ".jsonl")
        a = json.loads(run("-w", ws, "rank", "r", "--json", "-b", str(B), "--from-ratings", aspect,
                           "--margin", str(margin)))
        b = json.loads(run("-w", dws, "rank", "d", "--json", "-b", str(B)))
        checked["rank"] += 1
        if a["leaderboard"] != b["leaderboard"]:
            fail(seed, "rank --from-ratings %s>%g differs from ranking the derived pairs:\n%r\n%r" % (
                aspect, margin, a["leaderboard"], b["leaderboard"]))
        pooled = [dict(it, ratings=[dict(x, annotator="*") for x in it["ratings"] if x["aspect"] == aspect])
                  for it in items]
        check_means(seed, pooled, a["ratings"])
        rtext = run("-w", ws, "rank", "r", "-b", "5", "--from-ratings", aspect)
        if "\x1b" in rtext:
            fail(seed, "rank text output carries a raw control character")
    # length-controlled win rate
    items = generate_lc(seed)
    ws = os.path.join(T, "lc%d.db" % k)
    write(ws + ".jsonl", items)
    run("-w", ws, "import", "--name", "lc", ws + ".jsonl")
    out = json.loads(run("-w", ws, "stats", "lc", "--json", *bo))
    check_lc(seed, items, out)
    out2 = json.loads(run("-w", ws, "stats", "lc", "--json", "--baseline", "base", *bo))
    if out2["length_controlled"] != out["length_controlled"]:
        fail(seed, "--baseline base differs from the detected baseline")

# bad input: one clear line each
ws = os.path.join(T, "r0.db")
for args, want in ((["stats", "r", "--pairs-from-ratings", "nope" + EVIL], "has no ratings"),
                   (["rank", "r", "--from-ratings", "nope"], "rated 'nope'"),
                   (["stats", "r", "--baseline", "nobody"], "no model 'nobody'"),
                   (["stats", "r", "--pairs-from-ratings", "score", "--margin", "-1"], "--margin")):
    p = subprocess.run([BIN, "-w", ws] + args, capture_output=True, text=True)
    if p.returncode == 0 or want not in p.stderr or p.stderr.count("\n") != 1 or "\x1b" in p.stderr:
        fail("errors", "%r: rc %d, stderr %r" % (args, p.returncode, p.stderr))

# the shared AlpacaEval files: the same GLM fitted here from the raw annotations
D = os.path.join(os.environ["PS_SRC"], "..", "shared", "data", "alpaca_eval_alpaca7b")
if os.path.isdir(D):
    ws = os.path.join(T, "ae.db")
    name = "weighted_alpaca_eval_gpt4_turbo"
    run("-w", ws, "import", "--name", "ae", os.path.join(D, name + "_annotations.json"))
    out = json.loads(run("-w", ws, "stats", "ae", "--json", "-b", "0"))
    with open(os.path.join(D, name + "_annotations.json"), encoding="utf-8") as f:
        recs = json.load(f)
    rows = []
    for x in recs:
        p = float(x["preference"])
        rows.append((0.5 if p == 0 else p - 1, len(x["output_2"]), len(x["output_1"]), 1))
    want = lc_fit(rows)
    lc = out["length_controlled"][0]
    m = lc["models"][0]
    print("AlpacaEval 2 weighted, Alpaca 7B: win rate %.4f, LC (minimal GLM) %.4f, expected %.4f "
          "(the leaderboard's 5.8755 is the length_controlled_v1 GLM)"
          % (100 * m["win_rate"]["value"], 100 * m["lc_win_rate"]["value"], 100 * want[2]))
    if lc["baseline"] != "gpt4_1106_preview" or m["model"] != "alpaca-7b":
        fail("ae", "baseline/model %r %r" % (lc["baseline"], m["model"]))
    if not close(m["win_rate"]["value"] * 100, 2.591450540223603, 1e-6):
        fail("ae", "win rate %r" % m["win_rate"])
    if not (close(m["lc_win_rate"]["value"], want[2], 1e-6) and close(m["length_coef"], want[4], 1e-5)):
        fail("ae", "LC %r coef %r, expected %r" % (m["lc_win_rate"], m["length_coef"], want))
else:
    print("skip: ../shared/data/alpaca_eval_alpaca7b is absent")

print("checked:", checked)
if min(checked.values()) == 0:
    fail(base, "a class of cases was never exercised: %r" % checked)
if bad:
    raise SystemExit("%d failures (base seed %d)" % (len(bad), base))
print("ok: %d rounds" % rounds)
PY
