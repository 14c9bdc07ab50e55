#!/usr/bin/env bash
# The data commands' surface: import/ls/show/export --help, one-line errors with
# non-zero status, valid --json, sanitized text output, --annotator and -o.
set -uo pipefail
: "${PS_BIN:?PS_BIN not set}"
: "${PS_SRC:?PS_SRC not set}"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
cd "$T"
WS=$T/ws.db
FAILS=0
ps() { "$PS_BIN" -w "$WS" "$@"; }
bad() { echo "FAIL: $*"; FAILS=$((FAILS + 1)); }

# fails NAME STATUS REGEX -- CMD...: exit STATUS, one stderr line matching REGEX, no stdout
fails() {
    local name=$1 want=$2 re=$3
    shift 4
    "$@" > "$T/out" 2> "$T/err"
    local rc=$?
    [ "$rc" = "$want" ] || bad "$name: exit status $rc, expected $want"
    [ "$(wc -l < "$T/err")" = 1 ] || bad "$name: expected one stderr line, got: $(head -c 400 "$T/err")"
    grep -Eq -- "$re" "$T/err" || bad "$name: '$(cat "$T/err")' does not match /$re/"
    [ -s "$T/out" ] && bad "$name: unexpected stdout: $(head -c 200 "$T/out")"
    return 0
}

valid_json() { python3 -c 'import json,sys; json.load(sys.stdin)' 2> /dev/null; }

for cmd in import ls show export; do
    "$PS_BIN" "$cmd" --help > "$T/out" 2> "$T/err" || bad "$cmd --help: non-zero exit"
    head -1 "$T/out" | grep -q "^usage: prefscope $cmd" || bad "$cmd --help: no usage line"
    [ -s "$T/err" ] && bad "$cmd --help wrote to stderr"
    fails "$cmd bad option" 2 "^prefscope: $cmd: unknown option or missing value: '--no-such-option' \(see prefscope $cmd --help\)" -- ps "$cmd" --no-such-option
done

# no workspace yet: ls lists nothing without creating one; show/export say so
[ "$(ps ls --json)" = "[]" ] || bad "ls --json without a workspace: $(ps ls --json)"
ps ls | grep -q "^no workspace at $WS" || bad "ls without a workspace: $(ps ls)"
[ -e "$WS" ] && bad "ls created the workspace"
fails "show without a workspace" 1 "^prefscope: show: no workspace at $WS" -- ps show tour
fails "export without a workspace" 1 "^prefscope: export: no workspace at $WS" -- ps export tour
[ -e "$WS" ] && bad "show/export created the workspace"

ps import "$PS_SRC/samples/tour.jsonl" 2> /dev/null || bad "import tour"
ps import --name "évaluation 中文" "$PS_SRC/samples/trl_conversational.jsonl" 2> /dev/null || bad "import with a unicode name"
ps ls --json | valid_json || bad "ls --json is not valid JSON"
ps ls --json | python3 -c '
import json, sys
d = {x["name"]: x for x in json.load(sys.stdin)}
t = d["tour"]
assert (t["items"], t["responses"], t["judgments"], t["ratings"]) == (40, 81, 104, 87), t
assert t["annotators"] == ["human:alice", "human:bob", "llm:judge-x"], t["annotators"]
assert t["format"] == "prefscope"
assert d["évaluation 中文"]["items"] == 12
' || bad "ls --json content"
ps ls | grep -q "^évaluation 中文  " || bad "ls text: unicode name not padded by display width"

for i in 1 4 11 28 40; do
    ps show tour "$i" --json | valid_json || bad "show tour $i --json is not valid JSON"
done
# text output: the sanitizer demo item shows placeholders, never raw controls
ps show tour 11 > "$T/show10"
grep -q $'\x1b' "$T/show10" && bad "show printed a raw ESC"
grep -q $'\xe2\x80\xae' "$T/show10" && bad "show printed a raw RLO"
grep -q $'\x07' "$T/show10" && bad "show printed a raw BEL"
grep -qF '␛[2J' "$T/show10" || bad "show: no visible placeholder for ESC[2J"
grep -qF '⟨RLO⟩' "$T/show10" || bad "show: no placeholder for the bidi override"
# --json keeps the raw text, escaped (bidi controls too, so the terminal never acts on them)
ps show tour 11 --json > "$T/json10"
grep -q $'\xe2\x80\xae' "$T/json10" && bad "show --json printed a raw RLO"
grep -qF '\u202e' "$T/json10" || bad "show --json: RLO not written as \\u202e"
ps show tour 11 --json | python3 -c '
import json, sys
it = json.load(sys.stdin)
assert "\x1b[2J" in it["responses"][0]["text"]
assert "\u202e" in it["responses"][1]["text"]
' || bad "show --json does not keep the raw text"
ps show tour 4 | grep -q "── system" || bad "show: no system block"
ps show tour 4 | grep -q "human:alice  *#1 vs #2: A  *prefers #1" || bad "show: no judgment line"

fails "show unknown dataset" 1 "^prefscope: no dataset named 'nope' in " -- ps show nope
fails "show bad number" 1 "^prefscope: show: N must be an item number \(1 is the first item\), got 'x'" -- ps show tour x
fails "show item 0" 1 "^prefscope: show: N must be an item number \(1 is the first item\), got '0'" -- ps show tour 0
fails "show out of range" 1 "^prefscope: show: dataset 'tour' has no item 41 \(it has 40, numbered from 1\)" -- ps show tour 41
# item numbers count from 1 everywhere: show's header, show --json's index, Lua's seq
ps show tour 1 | head -1 | grep -q "^tour #1" || bad "show: header of the first item is not #1: $(ps show tour 1 | head -1)"
[ "$(ps show tour 40 --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["index"])')" = 40 ] || bad "show --json: index of item 40 is not 40"
printf '%s\n' 'local ds = ps.dataset("tour")' 'assert(ds:item(1).seq == 1, "ds:item(1).seq")' \
    'assert(ds:item(0) == nil and ds:item(41) == nil, "items 0 and 41 exist")' \
    'for it in ds:items{ from = 40 } do assert(it.seq == 40) end' 'print("seq ok")' > "$T/seq.lua"
[ "$(ps run "$T/seq.lua" 2>&1)" = "seq ok" ] || bad "Lua item numbers: $(ps run "$T/seq.lua" 2>&1)"
fails "show no dataset" 1 "^prefscope: show: which dataset\?" -- ps show
fails "export unknown format" 1 "^prefscope: unknown export format 'yaml' \(expected trl, " -- ps export tour --format yaml
fails "export unknown dataset" 1 "^prefscope: no dataset named 'nope'" -- ps export nope --format trl
fails "export unwritable" 1 "^prefscope: export: /nonexistent/dir/x.jsonl: No such file or directory" -- ps export tour --format trl -o /nonexistent/dir/x.jsonl
fails "export two datasets" 1 "^prefscope: export: unexpected argument 'x'" -- ps export tour x
fails "ls extra argument" 1 "^prefscope: ls: unexpected argument 'x'" -- ps ls x

# export: every JSONL line is valid; --annotator picks whose verdicts decide
ps export tour --format jsonl 2> /dev/null | python3 -c '
import json, sys
n = sum(1 for line in sys.stdin if json.loads(line))
assert n == 40, n
' || bad "export jsonl lines"
ps export tour --format trl --annotator human:bob -o bob.jsonl 2> "$T/err" || bad "export --annotator"
grep -q "verdicts of 'human:bob'" "$T/err" || bad "export summary does not name the annotator: $(cat "$T/err")"
want=$(ps export tour --format jsonl 2> /dev/null | python3 -c '
import json, sys
print(sum(1 for l in sys.stdin for j in json.loads(l)["judgments"] if j["annotator"] == "human:bob" and j["verdict"] in ("A", "B")))')
[ "$(wc -l < bob.jsonl)" = "$want" ] || bad "export --annotator human:bob: $(wc -l < bob.jsonl) rows, expected $want"
# tour has system prompts, so trl writes TRL's conversational layout and keeps them
grep -q "items have a system prompt or a history: every prompt is written as a message list" "$T/err" ||
    bad "trl export does not say why its prompts are message lists: $(cat "$T/err")"
ps export tour --format jsonl 2> /dev/null > tour.native.jsonl
python3 - bob.jsonl tour.native.jsonl <<'PY' || bad "trl export rows do not keep the system prompts"
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
items = [json.loads(l) for l in open(sys.argv[2])]
systems = {i["system"] for i in items if i["system"]}
seen = set()
for r in rows:
    assert set(r) == {"prompt", "chosen", "rejected"}, r.keys()
    assert all(isinstance(m["content"], str) for m in r["prompt"] + r["chosen"] + r["rejected"])
    assert r["chosen"][0]["role"] == r["rejected"][0]["role"] == "assistant"
    if r["prompt"][0]["role"] == "system":
        seen.add(r["prompt"][0]["content"])
assert seen and seen <= systems, (seen, systems)
PY
# a dataset without system prompts keeps TRL's standard layout (strings)
printf '%s\n' '{"prompt": "p1", "chosen": "c1", "rejected": "r1"}' '{"prompt": "p2", "chosen": "c2", "rejected": "r2"}' > plain.jsonl
ps import plain.jsonl 2> /dev/null || bad "import plain.jsonl"
ps export plain --format trl 2> /dev/null | python3 -c '
import json, sys
for l in sys.stdin:
    r = json.loads(l)
    assert set(r) == {"prompt", "chosen", "rejected"} and all(isinstance(v, str) for v in r.values()), r
' || bad "trl export without system prompts: rows are not {prompt, chosen, rejected} strings"
ps export tour --format annotated-pairs 2> /dev/null | valid_json || bad "annotated-pairs export is not valid JSON"

if [ "$FAILS" -ne 0 ]; then
    echo "$FAILS failure(s)"
    exit 1
fi
echo "cli: all checks passed"
