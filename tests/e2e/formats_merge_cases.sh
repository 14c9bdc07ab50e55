#!/usr/bin/env bash
# Merge and join edge cases of the dataset-specific importers (no shared data needed):
# repeated AlpacaEval instructions, AnnotatedPairs with more annotators than one record
# holds, LLMBar results with one swap only, PandaLM judge files onto a missing idx.
set -euo pipefail
: "${PS_BIN:?PS_BIN not set}"
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
cd "$W"
fail() { echo "FAIL: $*"; exit 1; }
count() { # count DATASET FIELD
    "$PS_BIN" ls -w ws.db --json | python3 -c "import json,sys; print(next(d['$2'] for d in json.load(sys.stdin) if d['name']=='$1'))"
}

# AlpacaEval: the same instruction twice in one file stays two items; a second
# annotator file merges by occurrence.
python3 - <<'PY'
import json
def rec(instr, o1, o2, pref, annot):
    return {"instruction": instr, "output_1": o1, "generator_1": "ref", "output_2": o2,
            "generator_2": "m", "annotator": annot, "preference": pref}
json.dump([rec("Say hi", "hi", "hello", 1, "j1"), rec("Say hi", "hi!", "hey", 2, "j1"),
           rec("Other", "a", "b", 1.25, "j1")], open("ae1.json", "w"))
json.dump([rec("Say hi", "hi", "hello", 0, "j2"), rec("Say hi", "hi!", "hey", None, "j2"),
           rec("Other", "a", "b", 2, "j2")], open("ae2.json", "w"))
PY
"$PS_BIN" import -w ws.db --name ae ae1.json ae2.json 2>/dev/null
[ "$(count ae items)" = 3 ] || fail "alpaca_eval: repeated instruction: $(count ae items) items, want 3"
[ "$(count ae responses)" = 6 ] || fail "alpaca_eval: responses $(count ae responses), want 6"
[ "$(count ae judgments)" = 6 ] || fail "alpaca_eval: judgments $(count ae judgments), want 6"
v=$("$PS_BIN" show -w ws.db --json ae 2 | python3 -c 'import json,sys; print(" ".join("%s/%s" % (j["verdict"], j["p_a"]) for j in json.load(sys.stdin)["judgments"]))')
[ "$v" = "B/0 invalid/None" ] || fail "alpaca_eval: second occurrence judgments '$v'"
v=$("$PS_BIN" show -w ws.db --json ae 3 | python3 -c 'import json,sys; print(json.load(sys.stdin)["judgments"][0]["p_a"])')
[ "$v" = 0.75 ] || fail "alpaca_eval: fractional preference 1.25 -> p_a '$v'"
# model outputs add responses to the same items (matched by text and model)
printf '[{"instruction": "Say hi", "output": "yo", "generator": "m2"},\n {"instruction": "Say hi", "output": "hey", "generator": "m"},\n {"instruction": "Other", "output": "b", "generator": "m"}]\n' > model_outputs.json
"$PS_BIN" import -w ws.db --name ae --append model_outputs.json 2>/dev/null
[ "$(count ae items)" = 3 ] || fail "alpaca_eval_outputs: items $(count ae items), want 3"
[ "$(count ae responses)" = 7 ] || fail "alpaca_eval_outputs: responses $(count ae responses), want 7"

# AnnotatedPairs: 100 annotators on one comparison (more than one record holds)
python3 - <<'PY'
import json
ann = {f"p{i}": {"description": f"Select the response that is better at {i}", "type": "principle"} for i in range(100)}
votes = {f"p{i}": {"pref": "ab"[i % 2]} if i % 3 else {"pref": None, "no_pref_reason": "not_applicable"} for i in range(100)}
doc = {"metadata": {"version": "2.0"}, "annotators": ann,
       "comparisons": [{"id": "c1", "prompt": "P", "response_a": {"text": "x"}, "response_b": {"text": "y"},
                        "annotations": votes}]}
json.dump(doc, open("ap.json", "w"), indent=1)
PY
"$PS_BIN" import -w ws.db --name ap ap.json 2>/dev/null
[ "$(count ap items)" = 1 ] || fail "annotated-pairs: items $(count ap items)"
[ "$(count ap judgments)" = 100 ] || fail "annotated-pairs: judgments $(count ap judgments), want 100"
"$PS_BIN" export -w ws.db ap --format annotated-pairs --annotator 'principle:Select the response that is better at 1' -o ap_out.json 2>/dev/null
"$PS_BIN" import -w ws.db --name ap_rt ap_out.json 2>/dev/null
[ "$(count ap_rt judgments)" = 100 ] || fail "annotated-pairs round trip: judgments $(count ap_rt judgments)"

# LLMBar: a result file with only the swapped order
cat > only.evaluator_X_Y.result.json <<'JS'
[{"input": "I", "output_1": "good", "output_2": "bad", "label": 1,
  "results": [{"swap = True": {"completion": ["Output (b)", "stop"], "winner": "1"}}]}]
JS
"$PS_BIN" import -w ws.db --name lb only.evaluator_X_Y.result.json 2>/dev/null
v=$("$PS_BIN" show -w ws.db --json lb 1 | python3 -c 'import json,sys; print(" ".join("%s:%d%d%s" % (j["annotator"], j["a"], j["b"], j["verdict"]) for j in json.load(sys.stdin)["judgments"]))')
[ "$v" = "dataset:01A llm:X/Y:10B" ] || fail "llmbar: swap-only result '$v'"

# PandaLM: a judge record for an idx the test set lacks names file:line; nothing is kept
printf '[{"idx": 0, "instruction": "I", "input": "", "response1": "a", "response2": "b", "cmp_key": "m1_m2", "annotator1": 1}]\n' > testset-v1.json
printf '[\n{"idx": 0, "gpt_result": "1"},\n{"idx": 7, "gpt_result": "2"}\n]\n' > judge-testset-v1.json
if "$PS_BIN" import -w ws.db --name pl testset-v1.json judge-testset-v1.json 2> err.txt; then
    fail "pandalm-judge: missing idx accepted"
fi
grep -q 'judge-testset-v1.json:3: idx 7' err.txt || fail "pandalm-judge: error '$(cat err.txt)'"
if "$PS_BIN" ls -w ws.db --json | grep -q '"pl"'; then fail "pandalm-judge: failed import left a dataset"; fi
echo "ok: merge and join cases"
