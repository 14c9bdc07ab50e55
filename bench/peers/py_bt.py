#!/usr/bin/python3
"""Peer for `prefscope rank` (bench/run.sh): a plain-Python Bradley-Terry leaderboard
with a percentile bootstrap over items, standard library only, on the same JSON Lines
file (bench/eval_data.py).  Every judgment between two different models is a battle,
a tie half a win; BT by Hunter's MM iterations on the wins and games per pair (with a
0.01 virtual tie against a reference of strength 1, as prefscope's --prior), 95%
intervals from B resamples of the items.

Pure Python needs about a third of a second per resample of 300k battles, so it runs
`rounds` of them and reports the time scaled to B (the per-resample work is the same
every round): seconds = parse + (rounds time) * B / rounds, for the wall clock and for
CPU time.  Prints the leaderboard's top three (the BT values equal prefscope's to the
printed digit) and one line:
  RESULT py_bt rounds=R B=B parse_s=.. per_round_s=.. per_round_cpu_s=.. wall_s=.. cpu_s=..
Usage: py_bt.py FILE.jsonl [B=1000] [rounds=10]"""
import json
import math
import random
import resource
import sys
import time


def cpu():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def bt(wins, games, models, prior=0.01, iters=500):
    """MM updates p_i = W_i / sum_j n_ij / (p_i + p_j), the prior a tie against p = 1."""
    p = {m: 1.0 for m in models}
    for _ in range(iters):
        w = {m: prior * 0.5 for m in models}
        den = {m: prior / (p[m] + 1.0) for m in models}
        for (i, j), g in games.items():
            w[i] += wins[(i, j)]
            w[j] += g - wins[(i, j)]
            d = g / (p[i] + p[j])
            den[i] += d
            den[j] += d
        new = {m: w[m] / den[m] for m in models}
        moved = max(abs(math.log(new[m] / p[m])) for m in models)
        p = new
        if moved < 1e-10:
            break
    r = {m: 400 * math.log10(p[m]) for m in models}
    mean = sum(r.values()) / len(r)
    return {m: r[m] - mean + 1000 for m in models}


def main():
    path = sys.argv[1]
    B = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
    rounds = min(B, int(sys.argv[3]) if len(sys.argv) > 3 else 10)
    c0, t0 = cpu(), time.monotonic()
    items = []  # per item: its battles as (pair, score of the pair's first model)
    for line in open(path):
        rec = json.loads(line)
        models = [r.get("model") for r in rec["responses"]]
        bs = []
        for j in rec.get("judgments", []):
            s = {"A": 1.0, "B": 0.0, "tie": 0.5}.get(j.get("verdict"))
            ma, mb = models[j["a"]], models[j["b"]]
            if s is None or not ma or not mb or ma == mb:
                continue
            bs.append(((ma, mb), s) if ma < mb else ((mb, ma), 1 - s))
        items.append(bs)
    parse, parse_cpu = time.monotonic() - t0, cpu() - c0

    def rate(sample):
        wins, games = {}, {}
        for it in sample:
            for pair, s in items[it]:
                wins[pair] = wins.get(pair, 0.0) + s
                games[pair] = games.get(pair, 0.0) + 1
        ms = sorted({m for pr in games for m in pr})
        return bt(wins, games, ms)

    full = rate(range(len(items)))
    rng = random.Random(1)
    t1, c1 = time.monotonic(), cpu()
    draws = {m: [] for m in full}
    for _ in range(rounds):
        r = rate(rng.choices(range(len(items)), k=len(items)))
        for m in full:
            if m in r:
                draws[m].append(r[m])
    per_round = (time.monotonic() - t1) / rounds
    per_round_cpu = (cpu() - c1) / rounds
    for m in sorted(full, key=lambda m: -full[m])[:3]:
        v = sorted(draws[m])
        lo, hi = v[int(0.025 * (len(v) - 1))], v[int(0.975 * (len(v) - 1))]
        print("%-12s %7.1f [%7.1f, %7.1f]" % (m, full[m], lo, hi))
    print("RESULT py_bt rounds=%d B=%d parse_s=%.3f per_round_s=%.4f per_round_cpu_s=%.4f "
          "wall_s=%.2f cpu_s=%.2f" % (rounds, B, parse, per_round, per_round_cpu,
                                      parse + per_round * B, parse_cpu + per_round_cpu * B))


main()
