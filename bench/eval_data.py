#!/usr/bin/python3
"""Evaluation benchmark data (bench/eval_bench.sh, bench/run.sh): N items, each a pair
of responses from two of M models drawn at random, judged by K annotators (a tie 10%
of the time, else the stronger model wins with its Bradley-Terry probability; the
strengths are seeded Gaussians).  JSON Lines on stdout.
Usage: eval_data.py N K M"""
import json
import random
import sys

n, k, m = map(int, sys.argv[1:4])
rng = random.Random(7)
strength = [rng.gauss(0, 1) for _ in range(m)]
out = sys.stdout
for i in range(n):
    a, b = rng.sample(range(m), 2)
    p = 1 / (1 + 10 ** ((strength[b] - strength[a])))
    js = []
    for r in range(k):
        u = rng.random()
        v = "tie" if u < 0.1 else ("A" if u < 0.1 + 0.9 * p else "B")
        js.append({"a": 0, "b": 1, "annotator": "rater%d" % r, "verdict": v})
    out.write(json.dumps({"prompt": "p%d" % i, "responses": [
        {"text": "x" * rng.randint(5, 500), "model": "model%d" % a},
        {"text": "y" * rng.randint(5, 500), "model": "model%d" % b}], "judgments": js}) + "\n")
