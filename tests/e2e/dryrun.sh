#!/usr/bin/env bash
# import --dry-run: prints the detected format, the mapping and the first record as
# it would be stored; never creates or changes a workspace; fails cleanly on bad input.
set -uo pipefail
: "${PS_BIN:?PS_BIN not set}"
: "${PS_SRC:?PS_SRC not set}"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
cd "$T"
FAILS=0
bad() { echo "FAIL: $*"; FAILS=$((FAILS + 1)); }
ps() { "$PS_BIN" -w "$T/ws.db" "$@"; }
has() { grep -Fq -- "$2" "$1" || bad "$1 lacks '$2': $(head -c 300 "$1")"; }

ps import --dry-run "$PS_SRC/samples/tour.jsonl" > out1 2> err1 || bad "dry run of tour.jsonl failed: $(cat err1)"
has out1 "format:  prefscope"
has out1 "mapping: id, key, system"
has out1 "first record ($PS_SRC/samples/tour.jsonl:1) as it would be stored:"
# the record part is valid JSON with the first item's content
sed -n '/^first record/,$p' out1 | tail -n +2 | python3 -c '
import json, sys
r = json.load(sys.stdin)
assert r["id"] == "tour-001", r["id"]
assert len(r["responses"]) == 2 and len(r["judgments"]) == 2 and len(r["ratings"]) == 4
' || bad "dry run record is not the first item as JSON"
[ -e "$T/ws.db" ] && bad "dry run created the workspace"
[ -s err1 ] && bad "dry run wrote to stderr: $(cat err1)"

# several files: one section each, formats detected per file
ps import --dry-run "$PS_SRC/samples/trl_conversational.jsonl" "$PS_SRC/samples/tour.jsonl" > out2 2>&1 ||
    bad "dry run of two files failed: $(cat out2)"
[ "$(grep -c '^format:' out2)" = 2 ] || bad "expected two format lines: $(grep '^format:' out2)"
has out2 "format:  trl"

# --map: the parsed mapping is shown
ps import --dry-run --map 'prompt=question,a=answer 1,b=answer 2,label=better,label.a=first,label.b=second,label.tie=same' \
    "$PS_SRC/samples/ratings.csv" > out3 2>&1 || bad "dry run with --map failed: $(cat out3)"
has out3 "format:  generic"
has out3 "fields:  prompt <- question; a <- answer 1; b <- answer 2; label <- better; label.a = first"
has out3 "ratings.csv:2) as it would be stored"
has out3 '"prompt":	"Name three primary colours."'

# only the first record is read: a bad later line does not matter, a bad first one does
printf '{"prompt": "p", "chosen": "a", "rejected": "b"}\n{"broken\n' > later.jsonl
ps import --dry-run later.jsonl > out4 2>&1 || bad "dry run read past the first record: $(cat out4)"
printf '{"prompt": "p", "chosen": "a", "rejected": "b", "score_chosen": "high"}\n' > first.jsonl
ps import --dry-run first.jsonl > out5 2> err5 && bad "dry run accepted a bad first record"
[ "$(wc -l < err5)" = 1 ] || bad "dry run error is not one line: $(cat err5)"
has err5 "first.jsonl:1: field 'score_chosen': expected a number"
[ -e "$T/ws.db" ] && bad "a failed dry run created the workspace"

# the HH data (gzip, transcripts split into history + prompt)
HH=${PS_DATA:-}/hh_rlhf_harmless_test/harmless-base_test.jsonl.gz
if [ -f "$HH" ]; then
    ps import --dry-run "$HH" > out6 2>&1 || bad "dry run of HH failed: $(cat out6)"
    has out6 "format:  hh"
    has out6 '"prompt":	"okay some of these do not have anything to do with pens"'
fi

if [ "$FAILS" -ne 0 ]; then
    echo "$FAILS failure(s)"
    exit 1
fi
echo "dry run: all checks passed"
