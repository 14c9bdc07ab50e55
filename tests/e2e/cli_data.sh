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

for i in 0 3 10 27 39; do
    ps show tour "$i" --json | valid_json || bad "show tour $i --json is not valid JSON"
done
# text output: the sanitizer demo item shows placeholders, never raw controls
ps show tour 10 > "$T/show10"
grep -q $'\x1b' "$T/show10" && bad "show printed a raw ESC"
grep -q $'\xe2\x80\xae' "$T/show10" && bad "show printed a raw RLO"
grep -q $'\x07' "$T/show10" && bad "show printed a raw BEL"
grep -qF '␛[2J' "$T/show10" || bad "show: no visible placeholder for ESC[2J"
grep -qF '⟨RLO⟩' "$T/show10" || bad "show: no placeholder for the bidi override"
# --json keeps the raw text, escaped (bidi controls too, so the terminal never acts on them)
ps show tour 10 --json > "$T/json10"
grep -q $'\xe2\x80\xae' "$T/json10" && bad "show --json printed a raw RLO"
grep -qF '\u202e' "$T/json10" || bad "show --json: RLO not written as \\u202e"
ps show tour 10 --json | python3 -c '
import json, sys
it = json.load(sys.stdin)
assert "\x1b[2J" in it["responses"][0]["text"]
assert "\u202e" in it["responses"][1]["text"]
' || bad "show --json does not keep the raw text"
ps show tour 3 | grep -q "── system" || bad "show: no system block"
ps show tour 3 | grep -q "human:alice  *A vs B: A" || bad "show: no judgment line"

fails "show unknown dataset" 1 "^prefscope: no dataset named 'nope' in " -- ps show nope
fails "show bad index" 1 "^prefscope: show: INDEX must be a non-negative integer, got 'x'" -- ps show tour x
fails "show out of range" 1 "^prefscope: show: dataset 'tour' has no item 40 \(it has 40, numbered from 0\)" -- ps show tour 40
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
python3 -c '
import json
for l in open("bob.jsonl"):
    r = json.loads(l)
    assert set(r) == {"prompt", "chosen", "rejected"} and all(isinstance(v, str) for v in r.values())
' || bad "trl export rows are not {prompt, chosen, rejected} strings"
ps export tour --format annotated-pairs 2> /dev/null | valid_json || bad "annotated-pairs export is not valid JSON"

if [ "$FAILS" -ne 0 ]; then
    echo "$FAILS failure(s)"
    exit 1
fi
echo "cli: all checks passed"
