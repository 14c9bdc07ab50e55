# Shared by open_streaming*.sh (sourced after lib.bash's tui_setup): an N-record HH
# file in $T/big.jsonl, its one-transaction import exported to $T/ref.out, and helpers.
require python3 sqlite3
HH="$PS_TESTS/../../shared/data/hh_rlhf_harmless_test/harmless-base_test.jsonl.gz"
[ -f "$HH" ] || { echo "SKIP: $HH not found"; exit 77; }
N=${N:-20000}
# HH conversations made unique: record i's last human turn (the prompt shown in the
# list) starts with "[i] tagIx"
python3 - "$HH" "$T/big.jsonl" "$N" <<'PY'
import gzip, json, sys
src = [json.loads(l) for l in gzip.open(sys.argv[1], "rt")]
n = int(sys.argv[3])
with open(sys.argv[2], "w") as f:
    for i in range(n):
        r = src[i % len(src)]
        f.write(json.dumps({k: ("Human: [%d] tag%dx " % (i, i)).join(v.rsplit("Human: ", 1))
                            for k, v in r.items()}) + "\n")
PY

# the reference: the same file imported in one transaction
"$PS_BIN" -w "$T/ref.db" import --name big "$T/big.jsonl" > /dev/null 2>&1 || fail "reference import"
"$PS_BIN" -w "$T/ref.db" export big --format jsonl -o "$T/ref.out" 2> /dev/null || fail "export ref"

# same_as_ref WS: the dataset 'big' of WS, without human:tester's labels, is the reference
same_as_ref() {
    "$PS_BIN" -w "$1" export big --format jsonl -o "$T/got.out" 2> /dev/null || fail "export $1"
    python3 - "$T/ref.out" "$T/got.out" <<'PY' || fail "the streamed dataset differs from a one-transaction import"
import json, sys
def load(p):
    out = []
    for line in open(p):
        r = json.loads(line)
        r["judgments"] = [j for j in r.get("judgments", []) if j.get("annotator") != "human:tester"]
        out.append(r)
    return out
a, b = load(sys.argv[1]), load(sys.argv[2])
if len(a) != len(b):
    print("records: %d vs %d" % (len(a), len(b))); sys.exit(1)
for i, (x, y) in enumerate(zip(a, b)):
    if x != y:
        print("record %d differs" % i); sys.exit(1)
PY
}
# q WS SQL
q() { sqlite3 "$1" "$2"; }
prefscope_pid() { pgrep -P "$(tmux -S "$SOCK" display -p -t t '#{pane_pid}')" -x prefscope; }

# N with thousands separators, as the status line writes it
NF=$(echo "$N" | sed -E ':a; s/([0-9])([0-9]{3})($|,)/\1,\2\3/; ta')
