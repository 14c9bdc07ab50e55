#!/usr/bin/env bash
# Round trips: export then import gives the same data.
#  - jsonl (native, lossless): same counts, annotators, and identical `show --json` of
#    several items (texts, judgments, ratings, tags); re-export is byte-identical.
#  - trl, trl-conversational, kto: as many items as exported rows, same texts (the
#    re-export of the re-import is identical to the first export).
#  - csv, read back with --map: same items, responses, judgments and annotators.
# On samples/ always, and on the HH data of $PS_DATA when it is there.
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

# field DATASET KEY: a number from `ls --json`
field() {
    ps ls --json | python3 -c "import json,sys
d = {x['name']: x for x in json.load(sys.stdin)}['$1']
v = d['$2']
print(','.join(v) if isinstance(v, list) else v)"
}

same_counts() { # A B KEYS...
    local a=$1 b=$2 k
    shift 2
    for k in "$@"; do
        [ "$(field "$a" "$k")" = "$(field "$b" "$k")" ] ||
            bad "$a vs $b: $k differ ($(field "$a" "$k") vs $(field "$b" "$k"))"
    done
}

# show --json of item I in both datasets must be identical
same_item() { # A B I
    ps show "$1" "$3" --json > "$T/s1" 2>&1
    ps show "$2" "$3" --json > "$T/s2" 2>&1
    cmp -s "$T/s1" "$T/s2" || bad "$1 vs $2: item $3 differs: $(diff "$T/s1" "$T/s2" | head -5)"
}

CSV_MAP='id=index,system=system,history=history,prompt=prompt,a=response_a,b=response_b,model.a=model_a,model.b=model_b,label=verdict,label.a=A,label.b=B,label.tie=tie,label.invalid=invalid,p_a=p_a,annotator=annotator,rationale=rationale'

# Every other column of two CSV exports must match (ids of re-imported items differ).
same_csv() { # FILE1 FILE2
    python3 - "$1" "$2" <<'EOF' || bad "csv exports $1 and $2 differ"
import csv, sys
def rows(p):
    with open(p, newline="", encoding="utf-8") as f:
        return [r[:1] + r[2:] for r in csv.reader(f)]
a, b = rows(sys.argv[1]), rows(sys.argv[2])
if a != b:
    for i, (x, y) in enumerate(zip(a, b)):
        if x != y:
            print("row", i, x[:6], "!=", y[:6])
            break
    print(len(a), "vs", len(b), "rows")
    sys.exit(1)
EOF
}

# roundtrip NAME SRC_DATASET ITEMS...: the whole battery on one dataset
roundtrip() {
    local name=$1 src=$2
    shift 2
    local i fmt rows
    # native JSONL
    ps export "$src" --format jsonl -o "$name.jsonl" 2> /dev/null || bad "$name: export jsonl failed"
    ps import --name "${name}_jsonl" "$name.jsonl" 2> "$T/err" || bad "$name: import jsonl: $(cat "$T/err")"
    same_counts "$src" "${name}_jsonl" items responses judgments ratings annotators
    for i in "$@"; do same_item "$src" "${name}_jsonl" "$i"; done
    ps export "${name}_jsonl" --format jsonl -o "$name.2.jsonl" 2> /dev/null
    cmp -s "$name.jsonl" "$name.2.jsonl" || bad "$name: jsonl re-export differs"

    # TRL and KTO: one item per exported row, same texts
    for fmt in trl trl-conversational kto; do
        ps export "$src" --format "$fmt" -o "$name.$fmt" 2> /dev/null || bad "$name: export $fmt failed"
        rows=$(wc -l < "$name.$fmt")
        [ "$rows" -gt 0 ] || bad "$name: export $fmt wrote nothing"
        local f=$fmt
        [ "$fmt" = trl-conversational ] && f=trl
        ps import --name "${name}_$fmt" --format "$f" "$name.$fmt" 2> "$T/err" ||
            bad "$name: import $fmt: $(cat "$T/err")"
        [ "$(field "${name}_$fmt" items)" = "$rows" ] ||
            bad "$name: $fmt: $rows rows exported but $(field "${name}_$fmt" items) items imported"
        ps export "${name}_$fmt" --format "$fmt" -o "$name.2.$fmt" 2> /dev/null
        cmp -s "$name.$fmt" "$name.2.$fmt" || bad "$name: $fmt re-export differs: $(diff "$name.$fmt" "$name.2.$fmt" | head -c 400)"
    done

    # CSV through --map: items, responses, judgments and annotators survive
    ps export "$src" --format csv -o "$name.csv" 2> /dev/null || bad "$name: export csv failed"
    ps import --name "${name}_csv" --map "$CSV_MAP" "$name.csv" 2> "$T/err" ||
        bad "$name: import csv: $(cat "$T/err")"
    same_counts "$src" "${name}_csv" items judgments annotators
    ps export "${name}_csv" --format csv -o "$name.2.csv" 2> /dev/null
    same_csv "$name.csv" "$name.2.csv"
    return 0
}

# ---- samples ----
ps import "$PS_SRC/samples/tour.jsonl" 2> /dev/null || bad "import tour.jsonl failed"
[ "$(field tour items)" = 40 ] || bad "tour: expected 40 items"
roundtrip tour tour 1 4 5 11 26 28 38 40
# tour's CSV keeps every response (two per row, the three-response item in three rows)
[ "$(field tour_csv responses)" = "$(field tour responses)" ] || bad "tour csv: responses differ"

# the TRL sample: exporting it again as trl-conversational gives the same records
ps import "$PS_SRC/samples/trl_conversational.jsonl" 2> /dev/null || bad "import trl_conversational failed"
ps export trl_conversational --format trl-conversational -o conv.jsonl 2> /dev/null
python3 - "$PS_SRC/samples/trl_conversational.jsonl" conv.jsonl <<'EOF' || bad "trl_conversational: export differs from the sample"
import json, sys
a = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
b = [json.loads(l) for l in open(sys.argv[2], encoding="utf-8")]
sys.exit(0 if a == b else 1)
EOF
roundtrip conv trl_conversational 1 4 12

# ratings.csv through its documented --map, then a CSV round trip of that
ps import --name ratings "$PS_SRC/samples/ratings.csv" --map 'prompt=question,a=answer 1,b=answer 2,model.a=model 1,model.b=model 2,rating.a.helpfulness=helpfulness 1,rating.b.helpfulness=helpfulness 2,label=better,label.a=first,label.b=second,label.tie=same,annotator=rater' 2> "$T/err" ||
    bad "ratings.csv with its README mapping: $(cat "$T/err")"
[ "$(field ratings items)" = 12 ] || bad "ratings: expected 12 items"
[ "$(field ratings ratings)" = 24 ] || bad "ratings: expected 24 ratings"
roundtrip ratings ratings 1 12

# ---- HH data when present ----
HH=${PS_DATA:-}/hh_rlhf_harmless_test/harmless-base_test.jsonl.gz
if [ -f "$HH" ]; then
    ps import --name hh "$HH" 2> /dev/null || bad "import HH failed"
    [ "$(field hh items)" = 2312 ] || bad "hh: expected 2312 items"
    roundtrip hh hh 0 1 100 1000 2311
    [ "$(field hh_trl items)" = 2312 ] || bad "hh: trl round trip lost items"
else
    echo "note: $HH absent, HH round trip skipped"
fi

if [ "$FAILS" -ne 0 ]; then
    echo "$FAILS failure(s)"
    exit 1
fi
echo "round trips: all checks passed"
