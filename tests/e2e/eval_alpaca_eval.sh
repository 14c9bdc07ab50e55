#!/bin/bash
# Published AlpacaEval win rates of Alpaca 7B (shared/data/alpaca_eval_alpaca7b/SOURCE.md):
# AlpacaEval 1 (alpaca_eval_gpt4) 26.459627, AlpacaEval 2 weighted 2.591451,
# AlpacaEval 2 cot_gpt4_turbo_fn 2.422360; win rate = mean(preference - 1), ties half.
set -eu
D="${PS_DATA:-}/alpaca_eval_alpaca7b"
[ -d "$D" ] || { echo "SKIP: $D absent"; exit 77; }
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
W="$T/ws.db"
"$PS_BIN" -w "$W" import --name ae "$D"/*_annotations.json >/dev/null
"$PS_BIN" -w "$W" stats ae --json --bootstrap 200 >"$T/s.json"
python3 - "$T/s.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["report"]
ann = {a["annotator"]: a for a in r["annotators"]}
def model_wr(annot, model):
    for m in ann[annot]["models"]:
        if m["model"] == model:
            return m["winrate"]
    raise SystemExit("no model %s under %s" % (model, annot))
checks = [("llm:alpaca_eval_gpt4", 26.459627329192543),
          ("llm:weighted_alpaca_eval_gpt4_turbo", 2.591450540223603),
          ("llm:alpaca_eval_cot_gpt4_turbo_fn", 2.422360248447205)]
bad = 0
for annot, want in checks:
    for what, est in (("winrate_b", ann[annot]["winrate_b"]), ("alpaca-7b", model_wr(annot, "alpaca-7b"))):
        got = 100 * est["value"]
        lo, hi = (100 * x for x in est["ci"])
        ok = abs(got - want) < 1e-6 and lo < got < hi and hi - lo < 10
        print("%-40s %-10s %.6f (want %.6f) CI [%.2f, %.2f] %s" % (annot, what, got, want, lo, hi, "ok" if ok else "FAIL"))
        bad += not ok
    if ann[annot]["n"] != 805 or ann[annot]["invalid"] != 0:
        print("unexpected counts", ann[annot]["n"], ann[annot]["invalid"]); bad += 1
# the reference model's win rate is the complement
ref = model_wr("llm:alpaca_eval_gpt4", "text_davinci_003")["value"]
if abs(ref - (1 - 0.26459627329192543)) > 1e-9:
    print("text_davinci_003 win rate", ref); bad += 1
# avg_length (characters) of the leaderboards: Alpaca 7B 396, GPT-4 Preview (11/06) 2049
for annot, model, want in (("llm:alpaca_eval_gpt4", "alpaca-7b", 396),
                           ("llm:weighted_alpaca_eval_gpt4_turbo", "gpt4_1106_preview", 2049)):
    got = [m for m in ann[annot]["models"] if m["model"] == model][0]["avg_length"]
    if round(got) != want:
        print("avg_length", annot, model, got, want); bad += 1
sys.exit(1 if bad else 0)
PY
# the text output shows the same figure
"$PS_BIN" -w "$W" stats ae --bootstrap 0 --annotator llm:alpaca_eval_gpt4 | grep -q "26.46" || { echo "text output lacks 26.46"; exit 1; }
echo "ok"
