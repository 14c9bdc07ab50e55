#!/usr/bin/env python3
"""Real response pairs for the word-diff bench (bench/text_bench --pairs FILE).

  bench/diff_pairs.py alpaca OUT   AlpacaEval: output_1 vs output_2 of the same
                                   instruction (805 pairs; different models: mostly
                                   unrelated texts of 1-6 KB)
  bench/diff_pairs.py hh OUT       HH-RLHF harmless test: chosen vs rejected
                                   transcripts (2,312 pairs; shared history: similar)

Reads ../shared/data (never copied into the repository).  OUT holds, per pair,
"<len_a> <len_b>\\n" and then the two texts' UTF-8 bytes."""
import gzip
import json
import os
import sys

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared", "data")


def pairs(kind):
    if kind == "alpaca":
        path = os.path.join(DATA, "alpaca_eval_alpaca7b",
                            "weighted_alpaca_eval_gpt4_turbo_annotations.json")
        with open(path, encoding="utf-8") as f:
            for rec in json.load(f):
                yield rec["output_1"], rec["output_2"]
    elif kind == "hh":
        path = os.path.join(DATA, "hh_rlhf_harmless_test", "harmless-base_test.jsonl.gz")
        with gzip.open(path, "rt", encoding="utf-8") as f:
            for line in f:
                rec = json.loads(line)
                yield rec["chosen"], rec["rejected"]
    else:
        sys.exit("diff_pairs.py: kind is alpaca or hh, not %r" % kind)


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    n = 0
    with open(sys.argv[2], "wb") as out:
        for a, b in pairs(sys.argv[1]):
            ab, bb = a.encode("utf-8"), b.encode("utf-8")
            out.write(b"%d %d\n" % (len(ab), len(bb)))
            out.write(ab)
            out.write(bb)
            n += 1
    print("%d pairs" % n, file=sys.stderr)


main()
