#!/bin/bash
# `rank` and `stats` on randomly generated judgment sets, checked against an
# independent computation in python3 (stdlib).  Each run draws fresh datasets from a
# printed base seed (PS_TEST_SEED=N reproduces a run): 1 to 6 models, connected,
# disconnected and single-model comparison graphs, 1 to 5 annotators, 0 to 40
# judgments per item (so a bootstrap resample can hold far more rows than the data:
# the heap overflow of issue 9), ties, invalid verdicts, fractional p_a, weights,
# responses without a model.  Under PS_SANITIZE=1 the same binary runs with ASan.
# The README's sample is ranked too: it crashed right after import.
set -eu
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
"$PS_BIN" -w "$T/tour.db" import "$PS_SRC/samples/tour.jsonl" >/dev/null 2>&1
"$PS_BIN" -w "$T/tour.db" rank tour >"$T/tour.txt"
grep -q "gpt-4o-mini" "$T/tour.txt" || { cat "$T/tour.txt"; echo "tour: no leaderboard"; exit 1; }
"$PS_BIN" -w "$T/tour.db" stats tour >/dev/null
python3 - "$T" <<'PY'
import json, math, os, random, subprocess, sys

T = sys.argv[1]
BIN = os.environ["PS_BIN"]
base = int(os.environ.get("PS_TEST_SEED") or random.SystemRandom().randrange(1 << 30))
print("base seed", base, "(PS_TEST_SEED=%d reproduces this run)" % base)
NAMES = ["dataset", "human:alice", "human:bob", "llm:j1", "llm:j2"]
bad = []


def fail(seed, what):
    bad.append("seed %d: %s" % (seed, what))


def run(*args, ok=True):
    p = subprocess.run([BIN] + list(args), capture_output=True, text=True)
    if ok and p.returncode != 0:
        raise SystemExit("failed (%d): %s\n%s" % (p.returncode, " ".join(args), p.stderr))
    return p


# ---------------------------------------------------------------- generator
def generate(seed, heavy=False):
    r = random.Random(seed)
    shape = r.choice(["connected", "connected", "disconnected", "single"])
    nm = 1 if shape == "single" else r.randint(2 if shape == "connected" else 4, 6)
    models = ["m%d" % i for i in range(nm)]
    groups = [models] if shape != "disconnected" else [models[: nm // 2], models[nm // 2:]]
    annots = r.sample(NAMES, r.randint(1, 5))
    items = []
    for it in range(r.randint(1, 40)):
        g = groups[it % len(groups)]
        resp = []
        for _ in range(r.randint(2, 4)):
            x = {"text": "x" * r.randint(1, 12)}
            if r.random() > 0.08:
                x["model"] = r.choice(g)
            resp.append(x)
        k = r.choice([0, 1, 1, 2, 3, 4, r.randint(5, 40)])
        js = []
        for _ in range(k):
            a, b = r.sample(range(len(resp)), 2)
            j = {"a": a, "b": b, "annotator": r.choice(annots)}
            u = r.random()
            if u < 0.1:
                j["verdict"] = "invalid"
            elif u < 0.25:
                p = round(r.random(), 3)
                j["p_a"] = p
                j["verdict"] = "A" if p > 0.5 else "B" if p < 0.5 else "tie"
            else:
                j["verdict"] = r.choice(["A", "B", "tie"])
                j["p_a"] = {"A": 1, "B": 0, "tie": 0.5}[j["verdict"]]
            if r.random() < 0.1:
                j["weight"] = r.choice([2, 0.5, 3])
            js.append(j)
        items.append({"prompt": "p%d" % it, "responses": resp, "judgments": js})
    if heavy:
        # one judgment weighing 6000.25 battles: too many Elo steps to unroll, so rank
        # rates its resamples item by item instead (stats_rank.c, boot_steps)
        for it in items:
            m = [x.get("model") for x in it["responses"]]
            js = [j for j in it["judgments"] if j["verdict"] != "invalid" and m[j["a"]]
                  and m[j["b"]] and m[j["a"]] != m[j["b"]]]
            if js:
                js[0]["weight"] = 6000.25
                break
    return items


# ---------------------------------------------------------------- rows
def rows_of(items, only=None):
    out = []
    for it, item in enumerate(items):
        resp = item["responses"]
        for j in item["judgments"]:
            if only is not None and j["annotator"] not in only:
                continue
            a, b = j["a"], j["b"]
            rev = a > b
            lo, hi = (b, a) if rev else (a, b)
            v = j["verdict"]
            cls = {"A": 0, "B": 1, "tie": 2, "invalid": 3}[v]
            if rev and cls < 2:
                cls = 1 - cls
            p = j.get("p_a") if cls != 3 else None
            if p is not None and rev:
                p = 1 - p
            s = None if cls == 3 else (p if p is not None else [1, 0, 0.5][cls])
            out.append(dict(item=it, unit=(it, lo, hi), annot=j["annotator"], cls=cls, s=s,
                            w=j.get("weight", 1), rev=rev,
                            mlo=resp[lo].get("model"), mhi=resp[hi].get("model"),
                            llo=len(resp[lo]["text"]), lhi=len(resp[hi]["text"])))
    return out


def close(x, y, tol=1e-7):
    if x is None or y is None:
        return x is None and y is None
    return abs(x - y) <= tol * max(1.0, abs(y))


# ---------------------------------------------------------------- bootstrap
sys.path.insert(0, os.path.join(os.environ["PS_SRC"], "tests", "e2e"))
from psboot import Rng, percentile_ci, resamples  # noqa: E402


def item_index(items):
    """Dense indices of the items that have judgments (the table's items)."""
    idx, k = {}, 0
    for it, item in enumerate(items):
        if item["judgments"]:
            idx[it] = k; k += 1
    return idx, k


# ---------------------------------------------------------------- rank
def sig(x):
    return 1 / (1 + math.exp(-x)) if x >= 0 else math.exp(x) / (1 + math.exp(x))


def bt_newton(games, players, prior):
    """Maximise sum w[s*d - log(1+e^d)] + prior*sum(0.5 t - log(1+e^t)), d = t_i - t_j."""
    idx = {p: k for k, p in enumerate(players)}
    n = len(players)
    t = [0.0] * n

    def ll(t):
        v = 0.0
        for (i, j), (w, s) in games.items():
            d = t[idx[i]] - t[idx[j]]
            v += w * (s * d - (max(d, 0) + math.log1p(math.exp(-abs(d)))))
        for k in range(n):
            v += prior * (0.5 * t[k] - (max(t[k], 0) + math.log1p(math.exp(-abs(t[k])))))
        return v

    cur = ll(t)
    for _ in range(1000):
        g = [0.0] * n
        H = [[0.0] * n for _ in range(n)]
        for (i, j), (w, s) in games.items():
            x, y = idx[i], idx[j]
            q = sig(t[x] - t[y])
            g[x] += w * (s - q); g[y] -= w * (s - q)
            v = w * q * (1 - q)
            H[x][x] += v; H[y][y] += v; H[x][y] -= v; H[y][x] -= v
        for k in range(n):
            q = sig(t[k])
            g[k] += prior * (0.5 - q)
            H[k][k] += prior * q * (1 - q)
        if max(abs(v) for v in g) < 1e-11:
            break
        # Gauss-Jordan on [H | g]
        M = [H[k][:] + [g[k]] for k in range(n)]
        for c in range(n):
            piv = max(range(c, n), key=lambda r_: abs(M[r_][c]))
            M[c], M[piv] = M[piv], M[c]
            for r_ in range(n):
                if r_ != c and M[r_][c] != 0:
                    f = M[r_][c] / M[c][c]
                    M[r_] = [a - f * b for a, b in zip(M[r_], M[c])]
        step = [M[k][n] / M[k][k] for k in range(n)]
        a = 1.0
        while a > 1e-12:
            trial = [t[k] + a * step[k] for k in range(n)]
            v = ll(trial)
            if v >= cur - 1e-12:
                t, cur = trial, v
                break
            a /= 2
    r = [400 * x / math.log(10) for x in t]
    mean = sum(r) / n
    return {p: r[idx[p]] - mean + 1000 for p in players}


def rank_expect(rows, prior, k=4.0, mult=None, idx=None):
    battles, score, games, order = {}, {}, {}, []
    for x in rows:
        if x["cls"] == 3 or not x["mlo"] or not x["mhi"] or x["mlo"] == x["mhi"]:
            continue
        times = 1 if mult is None else mult[idx[x["item"]]]
        if times == 0:
            continue
        i, j, s, w = x["mlo"], x["mhi"], x["s"], x["w"] * times
        order.append((i, j, s, x["w"], x["item"], times))
        for m, sc in ((i, s), (j, 1 - s)):
            battles[m] = battles.get(m, 0) + w
            score[m] = score.get(m, 0) + w * sc
        key, ss = ((i, j), s) if i < j else ((j, i), 1 - s)
        g = games.setdefault(key, [0.0, 0.0])
        g[0] += w; g[1] += w * ss
    if not battles:
        return None
    pairs = {key: (w, ws / w) for key, (w, ws) in games.items()}
    bt = bt_newton(pairs, sorted(battles), prior)
    elo = {m: 1000.0 for m in battles}

    def step(i, j, s, kk):
        e = 1 / (1 + 10 ** ((elo[j] - elo[i]) / 400))
        elo[i] += kk * (s - e); elo[j] -= kk * (s - e)

    # group the battles by item, then replay each item's battles `times` times
    groups = []
    for b in order:
        if groups and groups[-1][0] == b[4]:
            groups[-1][1].append(b)
        else:
            groups.append((b[4], [b]))
    for _, bs in groups:
        for _ in range(bs[0][5]):
            for i, j, s, w, _, _ in bs:
                while w >= 1:
                    step(i, j, s, k); w -= 1
                if w > 1e-12:
                    step(i, j, s, k * w)
    return {m: dict(battles=battles[m], winrate=score[m] / battles[m], bt=bt[m], elo=elo[m])
            for m in battles}


def check_rank(seed, ws, name, items, boot=None):
    r = random.Random(seed * 7 + 1)
    present = sorted({j["annotator"] for it in items for j in it["judgments"]})
    only = None
    boot = r.choice([0, 25, 60]) if boot is None else boot
    args = ["-w", ws, "rank", name, "--json", "--bootstrap", str(boot)]
    if present and r.random() < 0.3:
        only = [r.choice(present)]
        args += ["-a", only[0]]
    prior = r.choice([0.01, 0.01, 0.5, 2])
    args += ["--prior", str(prior)]
    want = rank_expect(rows_of(items, only), prior)
    p = run(*args, ok=False)
    if want is None:
        if p.returncode == 0 or "no judgments between named models" not in p.stderr:
            fail(seed, "rank without battles: rc %d %s" % (p.returncode, p.stderr))
        return
    if p.returncode != 0:
        fail(seed, "rank failed: " + p.stderr)
        return
    lb = json.loads(p.stdout)["leaderboard"]
    got = {e["model"]: e for e in lb["models"]}
    if set(got) != set(want):
        fail(seed, "rank models %s, want %s" % (sorted(got), sorted(want)))
        return
    for m, w in want.items():
        e = got[m]
        for key, g in (("battles", e["battles"]), ("winrate", e["winrate"]),
                       ("elo", e["elo"]["value"])):
            if not close(g, w[key], 1e-9):
                fail(seed, "rank %s %s %r, want %r" % (m, key, g, w[key]))
        if abs(e["bt"]["value"] - w["bt"]) > 1e-4 + 1e-7 * abs(w["bt"]):
            fail(seed, "rank %s bt %r, want %r" % (m, e["bt"]["value"], w["bt"]))
        lo, hi = e["bt"]["ci"]
        if lb["bootstrap"] and (lo is None or hi is None or lo > hi):
            fail(seed, "rank %s bt interval %r" % (m, e["bt"]["ci"]))
        if lb["bootstrap"] and not (1 <= e["rank_range"][0] <= e["rank_range"][1] <= len(want)):
            fail(seed, "rank %s rank range %r" % (m, e["rank_range"]))
    # the intervals: the same seeded resamples of items (xoshiro256** above), each
    # rated independently here; percentile of the finite values
    B = lb["bootstrap"]
    if B:
        idx, n_items = item_index(items)
        rows = rows_of(items, only)
        draws = {m: ([], []) for m in want}
        for mult in resamples(n_items, B, 1):
            got_b = rank_expect(rows, prior, mult=mult, idx=idx) or {}
            for m in want:
                draws[m][0].append(got_b[m]["bt"] if m in got_b else None)
                draws[m][1].append(got_b[m]["elo"] if m in got_b else None)
        for m in want:
            for key, vals, tol in (("bt", draws[m][0], 1e-3), ("elo", draws[m][1], 1e-6)):
                lo, hi = percentile_ci(vals)
                glo, ghi = got[m][key]["ci"]
                if not (close(glo, lo, tol) and close(ghi, hi, tol)):
                    fail(seed, "rank %s %s ci [%r, %r], want [%r, %r]" % (m, key, glo, ghi, lo, hi))
    # best first by BT rating
    bts = [e["bt"]["value"] for e in lb["models"]]
    if bts != sorted(bts, reverse=True):
        fail(seed, "rank not sorted: %r" % bts)
    run("-w", ws, "rank", name, "--bootstrap", "30")  # text output, resampling


# ---------------------------------------------------------------- stats
def ratio(s, w):
    return s / w if w > 0 else None


def labels(rows):
    """First judgment in canonical order, else the first judgment, per (unit, annotator)."""
    lab, fwd, rev = {}, {}, {}
    for x in rows:
        k = (x["unit"], x["annot"])
        if k not in lab or (lab[k][1] and not x["rev"]):
            lab[k] = (x["cls"], x["rev"])
        (rev if x["rev"] else fwd).setdefault(k, x["cls"])
    return {k: v[0] for k, v in lab.items()}, fwd, rev


def stats_expect(rows, annots, ref_name):
    lab, fwd, rev = labels(rows)
    units = sorted({x["unit"] for x in rows})
    ref = {}
    if ref_name:
        for u in units:
            l = lab.get((u, ref_name), -1)
            ref[u] = -1 if l == 3 else l
    out = {}
    for a in annots:
        A = [x for x in rows if x["annot"] == a]
        V = [x for x in A if x["cls"] != 3]
        e = dict(n=sum(x["w"] for x in A), invalid=sum(x["w"] for x in A if x["cls"] == 3))
        e["winrate_b"] = ratio(sum(x["w"] * (x["s"] if x["rev"] else 1 - x["s"]) for x in V),
                               sum(x["w"] for x in V))
        pos = [(fwd[k], rev[k]) for k in fwd if k[1] == a and k in rev]
        e["units"] = len(pos)
        e["consistency"] = ratio(sum(f == b and f != 3 for f, b in pos), len(pos))
        e["first"] = ratio(sum(f == 0 and b == 1 for f, b in pos), len(pos))
        e["second"] = ratio(sum(f == 1 and b == 0 for f, b in pos), len(pos))
        L = [x for x in V if x["llo"] != x["lhi"]]
        e["len_n"] = sum(x["w"] for x in L)
        e["longer"] = ratio(sum(x["w"] * (x["s"] if x["llo"] > x["lhi"] else 1 - x["s"])
                                for x in L), e["len_n"])
        mods = {}
        for x in V:
            if x["mlo"] and x["mhi"] and x["mlo"] != x["mhi"]:
                for m, sc in ((x["mlo"], x["s"]), (x["mhi"], 1 - x["s"])):
                    d = mods.setdefault(m, [0.0, 0.0])
                    d[0] += x["w"] * sc; d[1] += x["w"]
        lens = {}
        for x in A:
            for m, l in ((x["mlo"], x["llo"]), (x["mhi"], x["lhi"])):
                if m:
                    lens.setdefault(m, []).append(l)
        e["models"] = {m: (n, s / n, sum(lens[m]) / len(lens[m])) for m, (s, n) in mods.items()}
        if ref_name:
            conf = [[0.0] * 4 for _ in range(3)]
            nf = nr = okf = okr = 0.0
            for x in A:
                t = ref.get(x["unit"], -1)
                if t < 0:
                    continue
                conf[t][x["cls"]] += x["w"]
                if x["rev"]:
                    nr += x["w"]; okr += x["w"] * (x["cls"] == t)
                else:
                    nf += x["w"]; okf += x["w"] * (x["cls"] == t)
            n = sum(map(sum, conf))
            e["ref_n"] = n
            e["accuracy"] = ratio(sum(conf[c][c] for c in range(3)), n)
            e["acc_fwd"], e["acc_rev"] = ratio(okf, nf), ratio(okr, nr)
            P, R, F = [], [], []
            for c in range(3):
                tp, pred, sup = conf[c][c], sum(conf[t][c] for t in range(3)), sum(conf[c])
                p = tp / pred if pred else 0.0
                rr = tp / sup if sup else 0.0
                f = 2 * p * rr / (p + rr) if p + rr else 0.0
                if sup or pred:
                    P.append(p); R.append(rr); F.append(f)
            e["macro"] = [sum(v) / len(v) if v and n else None for v in (P, R, F)]
        out[a] = e
    pairs = {}
    for i, a in enumerate(annots):
        for b in annots[i + 1:]:
            tab = [[0] * 3 for _ in range(3)]
            for u in units:
                la, lb_ = lab.get((u, a), -1), lab.get((u, b), -1)
                if 0 <= la < 3 and 0 <= lb_ < 3:
                    tab[la][lb_] += 1
            n = sum(map(sum, tab))
            if n == 0:
                pairs[(a, b)] = (0, None, None)
                continue
            po = sum(tab[c][c] for c in range(3)) / n
            pe = sum(sum(tab[c]) * sum(tab[r_][c] for r_ in range(3)) for c in range(3)) / n / n
            pairs[(a, b)] = (n, po, None if pe >= 1 - 1e-15 else (po - pe) / (1 - pe))
    # Fleiss over units every annotator judged validly
    fl, fu = None, 0
    if len(annots) >= 2:
        m = len(annots)
        rows_f = []
        for u in units:
            ls = [lab.get((u, a), -1) for a in annots]
            if all(0 <= l < 3 for l in ls):
                rows_f.append([ls.count(c) for c in range(3)])
        fu = len(rows_f)
        if rows_f:
            pbar = sum(sum(c * (c - 1) for c in r_) / (m * (m - 1)) for r_ in rows_f) / fu
            pe = sum((sum(r_[c] for r_ in rows_f) / (fu * m)) ** 2 for c in range(3))
            fl = None if pe >= 1 - 1e-15 else (pbar - pe) / (1 - pe)
    # Krippendorff's alpha (nominal) from the coincidence matrix
    al, au = None, 0
    if len(annots) >= 2:
        o = [[0.0] * 3 for _ in range(3)]
        for u in units:
            vals = [lab[(u, a)] for a in annots if 0 <= lab.get((u, a), -1) < 3]
            if len(vals) < 2:
                continue
            au += 1
            for i, x in enumerate(vals):
                for j, y in enumerate(vals):
                    if i != j:
                        o[x][y] += 1 / (len(vals) - 1)
        nc = [sum(o[c]) for c in range(3)]
        n = sum(nc)
        do = sum(o[c][k] for c in range(3) for k in range(3) if c != k)
        de = sum(nc[c] * nc[k] for c in range(3) for k in range(3) if c != k) / (n - 1) if n > 1 else 0
        al = 1 - do / de if de > 0 else None
    return out, pairs, (fu, fl), (au, al)


def check_stats(seed, ws, name, items):
    rows = rows_of(items)
    annots = []
    for x in rows:
        if x["annot"] not in annots:
            annots.append(x["annot"])
    ref_name = "dataset" if "dataset" in annots else None
    p = run("-w", ws, "stats", name, "--json", "--bootstrap", "0", "--min-n", "0")
    doc = json.loads(p.stdout)
    rep = doc["report"]
    if doc["judgments"] != len(rows):
        fail(seed, "stats judgments %r, want %r" % (doc["judgments"], len(rows)))
    want, pairs, (fu, fl), (au, al) = stats_expect(rows, annots, ref_name)
    got = {a["annotator"]: a for a in rep["annotators"]}
    if set(got) != set(want):
        fail(seed, "stats annotators %s, want %s" % (sorted(got), sorted(want)))
        return
    def cmp(what, g, w, tol=1e-9):
        if not close(g, w, tol):
            fail(seed, "stats %s: %r, want %r" % (what, g, w))
    for a, w in want.items():
        g = got[a]
        cmp(a + " n", g["n"], w["n"]); cmp(a + " invalid", g["invalid"], w["invalid"])
        cmp(a + " winrate_b", g["winrate_b"]["value"], w["winrate_b"])
        cmp(a + " position units", g["position"]["units"], w["units"])
        cmp(a + " consistency", g["position"]["consistency"]["value"], w["consistency"])
        cmp(a + " first-shown", g["position"]["first_shown_wins_both"]["value"], w["first"])
        cmp(a + " second-shown", g["position"]["second_shown_wins_both"]["value"], w["second"])
        cmp(a + " length n", g["length"]["n"], w["len_n"])
        cmp(a + " longer wins", g["length"]["longer_wins"]["value"], w["longer"])
        gm = {m["model"]: m for m in g["models"]}
        if set(gm) != set(w["models"]):
            fail(seed, "stats %s models %s, want %s" % (a, sorted(gm), sorted(w["models"])))
        else:
            for m, (n, wr, al_) in w["models"].items():
                cmp(a + " " + m + " n", gm[m]["n"], n)
                cmp(a + " " + m + " winrate", gm[m]["winrate"]["value"], wr)
                cmp(a + " " + m + " avg_length", gm[m]["avg_length"], al_)
        if ref_name:
            vr = g["vs_reference"]
            cmp(a + " ref n", vr["n"], w["ref_n"])
            cmp(a + " accuracy", vr["accuracy"]["value"], w["accuracy"])
            cmp(a + " accuracy canonical", vr["by_order"]["canonical"]["accuracy"]["value"], w["acc_fwd"])
            cmp(a + " accuracy reversed", vr["by_order"]["reversed"]["accuracy"]["value"], w["acc_rev"])
            for key, v in zip(("macro_precision", "macro_recall", "macro_f1"), w["macro"]):
                cmp(a + " " + key, vr[key]["value"], v)
    gp = {(x["a"], x["b"]): x for x in rep["agreement"]}
    for (a, b), (n, po, k) in pairs.items():
        x = gp.get((a, b))
        if x is None:
            fail(seed, "stats: no agreement row for %s, %s" % (a, b))
            continue
        cmp("agreement n %s/%s" % (a, b), x["n"], n)
        cmp("agreement %s/%s" % (a, b), x["agreement"]["value"], po)
        cmp("kappa %s/%s" % (a, b), x["cohen_kappa"]["value"], k)
    cmp("fleiss units", rep["fleiss_kappa"]["units"], fu)
    cmp("fleiss", rep["fleiss_kappa"]["kappa"]["value"], fl)
    cmp("alpha units", rep["krippendorff_alpha"]["units"], au)
    cmp("alpha", rep["krippendorff_alpha"]["alpha"]["value"], al)

    # the default minimum n: a figure on fewer than 10 says why it has no value
    d = json.loads(run("-w", ws, "stats", name, "--json", "--bootstrap", "0").stdout)["report"]
    if d["min_n"] != 10:
        fail(seed, "default min_n %r" % d["min_n"])
    def gated(what, est, n, value):
        if n <= 0:
            ok = est["value"] is None and est.get("reason") == "no data"
        elif n < 10:
            ok = est["value"] is None and est.get("reason") == "n too small"
        else:
            ok = close(est["value"], value) and (value is not None or "reason" in est)
        if not ok:
            fail(seed, "min-n: %s (n %r) gives %r, want %r" % (what, n, est, value))
    dg = {a["annotator"]: a for a in d["annotators"]}
    for a, w in want.items():
        valid = w["n"] - w["invalid"]
        gated(a + " winrate_b", dg[a]["winrate_b"], valid, w["winrate_b"])
        gated(a + " consistency", dg[a]["position"]["consistency"], w["units"], w["consistency"])
        gated(a + " longer", dg[a]["length"]["longer_wins"], w["len_n"], w["longer"])
        for m in dg[a]["models"]:
            n, wr, _ = w["models"][m["model"]]
            gated(a + " " + m["model"], m["winrate"], n, wr)
        if ref_name:
            gated(a + " accuracy", dg[a]["vs_reference"]["accuracy"], w["ref_n"], w["accuracy"])
    for x in d["agreement"]:
        n, po, k = pairs[(x["a"], x["b"])]
        gated("kappa", x["cohen_kappa"], n, k)
    fk = d["fleiss_kappa"]["kappa"]
    if len(annots) >= 2 and fu == 0 and fk.get("reason") != "no unit judged by all annotators":
        fail(seed, "fleiss without common units: %r" % fk)
    if len(annots) < 2 and fk.get("reason") != "needs two annotators":
        fail(seed, "fleiss with one annotator: %r" % fk)
    # the intervals of the win rates: the same seeded resamples of items, recomputed
    bs = json.loads(run("-w", ws, "stats", name, "--json", "--bootstrap", "40", "--seed",
                        str(seed), "--min-n", "0").stdout)["report"]
    idx, n_items = item_index(items)
    per = {a: [] for a in annots}
    for mult in resamples(n_items, 40, seed):
        for a in annots:
            V = [(mult[idx[x["item"]]] * x["w"], x) for x in rows if x["annot"] == a and x["cls"] != 3]
            per[a].append(ratio(sum(w * (x["s"] if x["rev"] else 1 - x["s"]) for w, x in V),
                                sum(w for w, _ in V)))
    for a in bs["annotators"]:
        lo, hi = percentile_ci(per[a["annotator"]])
        glo, ghi = a["winrate_b"]["ci"]
        if not (close(glo, lo) and close(ghi, hi)):
            fail(seed, "stats %s winrate_b ci [%r, %r], want [%r, %r]" % (a["annotator"], glo, ghi, lo, hi))
    # text output, a reference that is the majority of several
    run("-w", ws, "stats", name, "--bootstrap", "40", "--seed", str(seed))
    run("-w", ws, "stats", name, "--json", "--bootstrap", "40", "--against",
        "majority:" + ",".join(annots[:3]), "--invalid", "tie")


N = int(os.environ.get("PS_RANDOM_SETS", "12"))
for k in range(N + 1):
    seed = base + k
    items = generate(seed, heavy=k == N)
    path = os.path.join(T, "r%d.jsonl" % k)
    with open(path, "w") as f:
        for it in items:
            f.write(json.dumps(it) + "\n")
    ws = os.path.join(T, "r%d.db" % k)
    run("-w", ws, "import", "--name", "r", path)
    if any(it["judgments"] for it in items):
        check_rank(seed, ws, "r", items, boot=20 if k == N else None)
        check_stats(seed, ws, "r", items)
for b in bad[:40]:
    print(b)
print("%d datasets, %d failures" % (N, len(bad)))
sys.exit(1 if bad else 0)
PY
echo ok
