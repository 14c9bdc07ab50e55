#!/usr/bin/env python3
"""Write N HH-RLHF records to FILE (JSON Lines) for the benchmarks: the transcripts
of HH (a .jsonl.gz of {chosen, rejected}) repeated, each with a fresh id.
usage: bench/hh_gen.py HH.jsonl.gz N FILE"""
import gzip, json, sys

src = [json.loads(l) for l in gzip.open(sys.argv[1], "rt", encoding="utf-8")]
n, path = int(sys.argv[2]), sys.argv[3]
with open(path, "w", encoding="utf-8") as f:
    for i in range(n):
        r = src[i % len(src)]
        f.write(json.dumps({"id": "hh-%07d" % i, "chosen": r["chosen"], "rejected": r["rejected"]},
                           ensure_ascii=False) + "\n")
