#!/bin/bash
# stats / rank / judge command-line behaviour: help, one-line errors, hostile
# annotator and model names in text output, datasets without judgments.
set -eu
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
W="$T/ws.db"
# an annotator and a model name carrying terminal escapes (OSC title, CSI clear)
cat >"$T/d.jsonl" <<'J'
{"prompt":"p","responses":[{"text":"a","model":"m\u001b[2Jx"},{"text":"bb","model":"ok"}],"judgments":[{"a":0,"b":1,"annotator":"evil\u001b]0;pwned\u0007","verdict":"B","p_a":0},{"a":0,"b":1,"annotator":"dataset","verdict":"A","p_a":1}]}
{"prompt":"q","responses":[{"text":"c","model":"m\u001b[2Jx"},{"text":"dd","model":"ok"}],"judgments":[{"a":0,"b":1,"annotator":"evil\u001b]0;pwned\u0007","verdict":"tie","p_a":0.5}]}
J
cat >"$T/empty.jsonl" <<'J'
{"prompt":"p","responses":[{"text":"a"},{"text":"b"}]}
J
"$PS_BIN" -w "$W" import --name d "$T/d.jsonl" 2>/dev/null
"$PS_BIN" -w "$W" import --name empty "$T/empty.jsonl" 2>/dev/null
for cmd in stats rank judge; do
  "$PS_BIN" "$cmd" --help | grep -q "usage: prefscope $cmd" || { echo "$cmd --help"; exit 1; }
done
"$PS_BIN" -w "$W" stats d --against dataset >"$T/out.txt"
"$PS_BIN" -w "$W" rank d >>"$T/out.txt"
if LC_ALL=C grep -q $'\x1b' "$T/out.txt"; then echo "escape sequence reached the output"; cat -v "$T/out.txt"; exit 1; fi
grep -q "evil␛\]0;pwned" "$T/out.txt" || { echo "annotator not shown as a placeholder"; cat "$T/out.txt"; exit 1; }
# the JSON output keeps the raw name (escaped by JSON)
"$PS_BIN" -w "$W" stats d --json --bootstrap 0 | python3 -c '
import json, sys
names = [a["annotator"] for a in json.load(sys.stdin)["report"]["annotators"]]
assert "evil\x1b]0;pwned\x07" in names, names'
# errors: one line on stderr, non-zero exit
check_fail() { # expected-substring, command...
  local want="$1"; shift
  if "$@" >"$T/o" 2>"$T/e"; then echo "succeeded: $*"; exit 1; fi
  [ "$(wc -l <"$T/e")" = 1 ] || { echo "not one line: $*"; cat "$T/e"; exit 1; }
  grep -qF -- "$want" "$T/e" || { echo "missing '$want': $*"; cat "$T/e"; exit 1; }
}
check_fail "no annotator 'nobody'" "$PS_BIN" -w "$W" stats d --against nobody
check_fail "no annotator 'x*'" "$PS_BIN" -w "$W" stats d -a 'x*'
check_fail "--invalid expects" "$PS_BIN" -w "$W" stats d --invalid maybe
check_fail "--bootstrap expects" "$PS_BIN" -w "$W" stats d --bootstrap -3
check_fail "nosuch" "$PS_BIN" -w "$W" stats nosuch
check_fail "expected one DATASET" "$PS_BIN" -w "$W" stats
check_fail "no judgments between named models" "$PS_BIN" -w "$W" rank empty
check_fail "--prior expects" "$PS_BIN" -w "$W" rank d --prior -1
check_fail "--model is required" "$PS_BIN" -w "$W" judge d
check_fail "unknown option" "$PS_BIN" -w "$W" stats d --bogus
check_fail "unknown option" "$PS_BIN" -w "$W" rank d --bogus
check_fail "unknown option" "$PS_BIN" -w "$W" judge d --bogus
# a dataset without judgments: stats says so and still prints an (empty) report
"$PS_BIN" -w "$W" stats empty --json 2>"$T/e" | python3 -c '
import json, sys
r = json.load(sys.stdin)
assert r["judgments"] == 0 and r["report"]["annotators"] == [], r'
grep -q "has no judgments" "$T/e"
# same seed, same intervals; another seed, (almost surely) others
a=$("$PS_BIN" -w "$W" stats d --json --seed 5 | md5sum)
b=$("$PS_BIN" -w "$W" stats d --json --seed 5 | md5sum)
[ "$a" = "$b" ] || { echo "not deterministic"; exit 1; }
echo ok
