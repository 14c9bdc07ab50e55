#!/usr/bin/env bash
# --map: nested paths, keys with spaces, CSV, label values, p_a, ratings, models,
# annotators, rationales, tags, single responses, message-list prompts, and clear
# one-line errors for wrong mappings.  Assertions read `show --json`.
set -uo pipefail
: "${PS_BIN:?PS_BIN not set}"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
cd "$T"
WS=$T/ws.db
FAILS=0
ps() { "$PS_BIN" -w "$WS" "$@"; }
bad() { echo "FAIL: $*"; FAILS=$((FAILS + 1)); }

# q DATASET N EXPR EXPECTED: evaluate a Python expression on item number N (as `it`)
q() {
    local got
    got=$(ps show "$1" "$2" --json 2> "$T/qerr" | python3 -c "import json,sys
it = json.load(sys.stdin)
print(($3))" 2>&1) || got="(error: $(cat "$T/qerr"))"
    [ "$got" = "$4" ] || bad "$1[$2]: $3 = '$got', expected '$4'"
}

imp() { # NAME FILE MAP [more args]
    local name=$1 file=$2 map=$3
    shift 3
    ps import --name "$name" --map "$map" "$@" "$file" 2> "$T/err" || bad "import $name: $(cat "$T/err")"
}

expect_err() { # NAME REGEX FILE MAP
    local before
    before=$(ps ls --json 2>&1)
    ps import --name "$1" --map "$4" "$3" > /dev/null 2> "$T/err"
    local rc=$?
    [ "$rc" -ne 0 ] || bad "$1: exit status 0"
    [ "$(wc -l < "$T/err")" -eq 1 ] || bad "$1: expected one line on stderr: $(cat "$T/err")"
    grep -Eq -- "$2" "$T/err" || bad "$1: stderr '$(cat "$T/err")' does not match /$2/"
    [ "$before" = "$(ps ls --json 2>&1)" ] || bad "$1: the workspace changed"
}

# ---- nested JSON with keys containing spaces ----
cat > nested.json <<'EOF'
[
  {"meta": {"uid": "q1"},
   "conversation": {"user query": "What is 2+2?", "system note": "Be brief."},
   "outputs": [{"final text": "4", "by": "model-left"}, {"final text": "5", "by": "model-right"}],
   "judge": {"winner": "left", "why": "A is correct.", "name": "llm:x"},
   "scores": {"left": {"help": 5}, "right": {"help": "1"}},
   "labels": ["math", "easy"]},
  {"meta": {"uid": "q2"},
   "conversation": {"user query": "Capital of Peru?", "system note": null},
   "outputs": [{"final text": "Quito", "by": "model-left"}, {"final text": "Lima", "by": "model-right"}],
   "judge": {"winner": "right", "why": null, "name": "llm:x"},
   "scores": {"left": {"help": 1}, "right": {"help": 4.5}},
   "labels": "geography"},
  {"meta": {"uid": "q3"},
   "conversation": {"user query": "Say hi", "system note": ""},
   "outputs": [{"final text": "hi", "by": "model-left"}, {"final text": "Hi!", "by": "model-right"}],
   "judge": {"winner": "equal", "name": "human:zoe"},
   "scores": {"left": {}, "right": {"help": null}},
   "labels": []}
]
EOF
NESTED='id=meta.uid,system=conversation["system note"],prompt=conversation["user query"],a=outputs[0]["final text"],b=outputs[1]["final text"],model.a=outputs[0].by,model.b=outputs[1].by,label=judge.winner,label.a=left,label.b=right,label.tie=equal,annotator=judge.name,rationale=judge.why,rating.a.help=scores.left.help,rating.b.help=scores.right.help,tags=labels'
imp nested nested.json "$NESTED"
q nested 1 'it["id"], it["system"], it["prompt"]' "('q1', 'Be brief.', 'What is 2+2?')"
q nested 1 '[(r["text"], r["model"]) for r in it["responses"]]' "[('4', 'model-left'), ('5', 'model-right')]"
q nested 1 '[(j["annotator"], j["verdict"], j["p_a"], j["rationale"]) for j in it["judgments"]]' "[('llm:x', 'A', 1, 'A is correct.')]"
q nested 1 '[(x["response"], x["aspect"], x["value"], x["annotator"]) for x in it["ratings"]]' "[(0, 'help', 5, 'llm:x'), (1, 'help', 1, 'llm:x')]"
q nested 1 'it["tags"]' "['easy', 'math']"
q nested 2 'it["system"], [j["verdict"] for j in it["judgments"]], [x["value"] for x in it["ratings"]], it["tags"]' "(None, ['B'], [1, 4.5], ['geography'])"
q nested 3 'it["system"], [(j["annotator"], j["verdict"], j["p_a"]) for j in it["judgments"]], it["ratings"], it["tags"]' "(None, [('human:zoe', 'tie', 0.5)], [], [])"

# the same as JSON Lines, keys with spaces written bare (quoted for the shell)
python3 -c '
import json
for r in json.load(open("nested.json")):
    print(json.dumps(r))' > nested.jsonl
imp nested_lines nested.jsonl 'id=meta.uid,prompt=conversation.user query,a=outputs[0].final text,b=outputs[1].final text,label=judge.winner,label.a=left,label.b=right,label.tie=equal'
q nested_lines 2 'it["prompt"], it["responses"][1]["text"], it["judgments"][0]["verdict"], it["judgments"][0]["annotator"]' "('Capital of Peru?', 'Lima', 'B', 'dataset')"

# ---- p_a, and p_a falling back to label on empty cells ----
cat > probs.jsonl <<'EOF'
{"q": "x", "r1": "a", "r2": "b", "p": 0.9}
{"q": "y", "r1": "a", "r2": "b", "p": 0.25}
{"q": "z", "r1": "a", "r2": "b", "p": "0.5"}
{"q": "w", "r1": "a", "r2": "b", "p": null, "lab": "1"}
EOF
imp probs probs.jsonl 'prompt=q,a=r1,b=r2,p_a=p,label=lab,annotator.name=llm:calibrated'
q probs 1 '[(j["verdict"], j["p_a"], j["annotator"]) for j in it["judgments"]]' "[('A', 0.9, 'llm:calibrated')]"
q probs 2 '[(j["verdict"], j["p_a"]) for j in it["judgments"]]' "[('B', 0.25)]"
q probs 3 '[(j["verdict"], j["p_a"]) for j in it["judgments"]]' "[('tie', 0.5)]"
q probs 4 '[(j["verdict"], j["p_a"]) for j in it["judgments"]]' "[('A', 1)]"

# ---- CSV: header names with spaces, label values, constant annotator, several rows per id ----
cat > votes.csv <<'EOF'
pair id,question,left answer,right answer,left model,right model,vote,voter,why
p1,"Pick a colour","Blue","Green",m1,m2,L,human:ann,"calm"
p1,"Pick a colour","Blue","Green",m1,m2,R,human:ben,
p2,"Say ""hello"" in Spanish","Hola","Bonjour",m1,m2,L,human:ann,"B is French"
p3,"Unjudged","x","y",m1,m2,,,
p4,"Both bad","no","nope",m1,m2,both bad,human:ann,
EOF
imp votes votes.csv 'id=pair id,prompt=question,a=left answer,b=right answer,model.a=left model,model.b=right model,label=vote,label.a=L,label.b=R,label.tie=T,label.invalid=both bad,annotator=voter,rationale=why'
[ "$(ps ls --json | python3 -c 'import json,sys; d={x["name"]:x for x in json.load(sys.stdin)}["votes"]; print(d["items"], d["responses"], d["judgments"], ",".join(d["annotators"]))')" = "4 8 4 human:ann,human:ben" ] ||
    bad "votes: counts $(ps ls --json)"
q votes 1 '[(j["annotator"], j["verdict"], j["rationale"]) for j in it["judgments"]]' "[('human:ann', 'A', 'calm'), ('human:ben', 'B', None)]"
q votes 2 'it["prompt"], it["responses"][0]["model"]' "('Say \"hello\" in Spanish', 'm1')"
q votes 3 'it["judgments"]' "[]"
q votes 4 '[(j["verdict"], j["p_a"]) for j in it["judgments"]]' "[('invalid', None)]"

# ---- chosen/rejected and a message-list prompt ----
cat > chat.jsonl <<'EOF'
{"msgs": [{"role": "system", "content": "Be kind."}, {"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello!"}, {"role": "user", "content": "Tell me a joke"}], "good": "Why did the chicken...", "worse": "No.", "m": "gpt-x"}
EOF
imp chat chat.jsonl 'prompt=msgs,chosen=good,rejected=worse,model.a=m'
q chat 1 'it["system"], it["prompt"], [h["content"] for h in it["history"]]' "('Be kind.', 'Tell me a joke', ['Hi', 'Hello!'])"
q chat 1 '[(r["text"], r["model"]) for r in it["responses"]], [j["verdict"] for j in it["judgments"]]' "([('Why did the chicken...', 'gpt-x'), ('No.', None)], ['A'])"

# ---- a single response with a thumbs label ----
cat > thumbs.jsonl <<'EOF'
{"q": "2+2?", "a": "4", "vote": "liked"}
{"q": "3+3?", "a": "7", "vote": "disliked"}
EOF
imp thumbs thumbs.jsonl 'prompt=q,response=a,label=vote,label.good=liked,label.bad=disliked,annotator.name=human:crowd'
q thumbs 1 'len(it["responses"]), [(x["aspect"], x["value"], x["annotator"]) for x in it["ratings"]]' "(1, [('label', 1, 'human:crowd')])"
q thumbs 2 '[x["value"] for x in it["ratings"]]' "[0]"

# ---- wrong mappings: one clear line each, nothing written ----
expect_err unknown_target "^prefscope: --map: unknown target 'answer'" nested.json 'prompt=x,answer=y'
expect_err no_response "^prefscope: --map: needs a prompt or a response field" nested.json 'id=conversation'
expect_err mixed "^prefscope: --map: use one of a=,b= or chosen=,rejected= or response=" nested.json 'a=x,chosen=y,rejected=z'
expect_err twice "^prefscope: --map: target 'a' is mapped twice" nested.json 'a=x,a=y'
expect_err bad_path "^prefscope: --map: expected a number \(-1 is the last\), a slice \[a:b\], \[\*\] or a quoted key inside \[\] in 'outputs\[first\]'" nested.json 'a=outputs[first]'
expect_err missing_field "^prefscope: nested\.json:2: field 'outputs\[0\]\.text' \(mapped to a\) is missing or null" nested.json 'prompt=conversation["user query"],a=outputs[0].text'
expect_err bad_label "^prefscope: nested\.jsonl:1: label \"left\" matches none of label\.a \(L\)" nested.jsonl 'a=outputs[0].final text,b=outputs[1].final text,label=judge.winner,label.a=L,label.b=R'
expect_err bad_rating "^prefscope: votes\.csv:2: field 'why': expected a number for rating\.a\.score, found \"calm\"" votes.csv 'prompt=question,a=left answer,b=right answer,rating.a.score=why'
expect_err bad_p "^prefscope: probs\.jsonl:1: field 'r1' \(p_a\): expected a number, found \"a\"" probs.jsonl 'prompt=q,a=r1,b=r2,p_a=r1'
echo '{"q":"x","r1":"a","r2":"b","p":1.5}' > range.jsonl
expect_err p_range2 "^prefscope: range\.jsonl:1: field 'p' \(p_a\): expected a probability in \[0, 1\], found 1\.5" range.jsonl 'prompt=q,a=r1,b=r2,p_a=p'
expect_err bad_history "^prefscope: votes\.csv:2: field 'question' \(history\): expected a JSON list of messages" votes.csv 'history=question,a=left answer'
ps import --map 'a=x' --format trl nested.json > /dev/null 2> "$T/err" && bad "--map with --format trl accepted"
grep -q "^prefscope: import: --map reads files with the generic format; drop --format trl" "$T/err" || bad "--map + --format: $(cat "$T/err")"

if [ "$FAILS" -ne 0 ]; then
    echo "$FAILS failure(s)"
    exit 1
fi
echo "--map: all checks passed"
