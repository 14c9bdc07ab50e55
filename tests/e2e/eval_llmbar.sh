#!/bin/bash
# LLMBar Natural, GPT-4 evaluators (shared/data/llmbar/SOURCE.md): Vanilla 95/100 in the
# original order and 96/100 swapped, average 95.5%; CoT 94 and 95, average 94.5%.
set -eu
D="${PS_DATA:-}/llmbar"
[ -d "$D" ] || { echo "SKIP: $D absent"; exit 77; }
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
W="$T/ws.db"
"$PS_BIN" -w "$W" import --name nat "$D/LLMBar_Natural.dataset.json" \
    "$D/LLMBar_Natural.evaluator_GPT-4_Vanilla.result.json" "$D/LLMBar_Natural.evaluator_GPT-4_CoT.result.json" >/dev/null
"$PS_BIN" -w "$W" stats nat --json --bootstrap 300 --against dataset -a 'llm:*' >"$T/s.json"
python3 - "$T/s.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["report"]
a = {x["annotator"]: x for x in r["annotators"]}
bad = 0
for name, avg, fwd, rev in (("llm:GPT-4/Vanilla", 0.955, 0.95, 0.96), ("llm:GPT-4/CoT", 0.945, 0.94, 0.95)):
    v = a[name]["vs_reference"]
    got = (v["accuracy"]["value"], v["by_order"]["canonical"]["accuracy"]["value"], v["by_order"]["reversed"]["accuracy"]["value"])
    ok = all(abs(g - w) < 1e-9 for g, w in zip(got, (avg, fwd, rev))) and v["n"] == 200
    lo, hi = v["accuracy"]["ci"]
    ok = ok and lo < avg < hi
    print("%-20s accuracy %.4f (order %.2f / swapped %.2f) CI [%.3f, %.3f] %s" % (name, got[0], got[1], got[2], lo, hi, "ok" if ok else "FAIL"))
    bad += not ok
    pos = a[name]["position"]
    if pos["units"] != 100: print("position units", pos["units"]); bad += 1
# the two orders of Vanilla disagree on 5 items (95% consistent), CoT on 9
if abs(a["llm:GPT-4/Vanilla"]["position"]["consistency"]["value"] - 0.95) > 1e-9: bad += 1; print("vanilla consistency")
if abs(a["llm:GPT-4/CoT"]["position"]["consistency"]["value"] - 0.91) > 1e-9: bad += 1; print("cot consistency")
# position bias among the inconsistent items: the first-shown output won both times
# on 3 (Vanilla) / 6 (CoT) items, the second-shown on 2 / 3 (counted from result.json)
for name, first, second in (("llm:GPT-4/Vanilla", 0.03, 0.02), ("llm:GPT-4/CoT", 0.06, 0.03)):
    pos = a[name]["position"]
    if abs(pos["first_shown_wins_both"]["value"] - first) > 1e-9 or abs(pos["second_shown_wins_both"]["value"] - second) > 1e-9:
        print("position bias", name, pos); bad += 1
sys.exit(1 if bad else 0)
PY
echo ok
