#!/bin/bash
# The offline constitution (measurable principles) on real data: HH harmless and
# AlpacaEval, every feature vote, count and metric checked against an independent
# Python implementation (icai_features.py) that reads the workspace with sqlite3.
set -eu
HH="$PS_DATA/hh_rlhf_harmless_test/harmless-base_test.jsonl.gz"
AE="$PS_DATA/alpaca_eval_alpaca7b/alpaca_eval_gpt4_annotations.json"
[ -f "$HH" ] && [ -f "$AE" ] || { echo "shared data absent: skipped"; exit 77; }
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
W="$T/ws.db"
"$PS_BIN" -w "$W" import "$HH" >/dev/null 2>&1
"$PS_BIN" -w "$W" import "$AE" >/dev/null 2>&1
for spec in "harmless-base_test dataset" "alpaca_eval_gpt4_annotations llm:alpaca_eval_gpt4"; do
  set -- $spec
  # every labelled pair in the training split, every principle reported
  "$PS_BIN" -w "$W" icai "$1" --offline --test-split 0 --top 0 --json >"$T/$1.json" 2>/dev/null
  python3 "$PS_TESTS/e2e/icai_features.py" "$W" "$1" "$2" "$T/$1.json"
done
# AlpacaEval has ties: they are skipped and counted
python3 - "$T/alpaca_eval_gpt4_annotations.json" <<'P'
import json, sys
c = json.load(open(sys.argv[1]))
p = c["params"]
assert p["ties"] > 0 and p["labelled"] + p["ties"] + p["invalid_labels"] + p["unlabelled"] == p["pairs"], p
# the constitution as a judge beats a coin on AlpacaEval's GPT-4 labels (longer, lists)
assert p["evaluation"]["train"]["constitutional"] > 0.6, p["evaluation"]
kept = [x["kind"] for x in c["principles"] if x["rank"]]
assert kept[0] == "feature:longer", kept
P
# a held-out split: train + test = labelled, and the metrics count only the train pairs
"$PS_BIN" -w "$W" icai harmless-base_test --offline --test-split 0.25 --seed 9 --json >"$T/split.json" 2>/dev/null
python3 - "$T/split.json" <<'P'
import json, sys
c = json.load(open(sys.argv[1]))
p = c["params"]
assert p["test"] == round(0.25 * p["labelled"]) and p["train"] + p["test"] == p["labelled"], p
for x in c["principles"]:
    assert x["stats"]["total"] == p["train"], (x["stats"], p)
e = p["evaluation"]["test"]
assert e["pairs"] == p["test"] and e["constitutional_ci"][0] <= e["constitutional"] <= e["constitutional_ci"][1], e
P
echo ok
