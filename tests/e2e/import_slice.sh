#!/usr/bin/env bash
# import FILE[a:b]: a record range of an input, with Python's slice rules.  Random files
# (JSON Lines, a JSON array, a CSV) and random slices, positive, negative and open, are
# imported and the items' ids compared with python's list(range(n))[a:b]; a pipe can
# be sliced too; --dry-run counts the slice; a file whose name really ends in "[1:2]"
# is read whole; an empty slice is an error that writes nothing; a bad slice is a
# missing file.
set -uo pipefail
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
FAILS=0
bad() { echo "FAIL: $*"; FAILS=$((FAILS + 1)); }
W="$T/ws.db"
SEED=${SLICE_SEED:-$RANDOM}
echo "seed $SEED"
python3 - "$T" "$SEED" << 'P'
import csv, json, random, sys
d, rnd = sys.argv[1], random.Random(int(sys.argv[2]))
n = rnd.randint(5, 60)
recs = [{"id": "r%d" % i, "prompt": "prompt %d" % i, "chosen": "yes %d" % i, "rejected": "no %d" % i} for i in range(n)]
with open(d + "/f.jsonl", "w") as f:
    for r in recs: f.write(json.dumps(r) + "\n")
with open(d + "/f.json", "w") as f:
    json.dump([{"input": "q%d" % i, "output_1": "a%d" % i, "output_2": "b%d" % i, "label": 1 + i % 2} for i in range(n)], f)
with open(d + "/f.csv", "w", newline="") as f:
    w = csv.writer(f); w.writerow(["text_a", "text_b", "preferred_text"])
    for i in range(n): w.writerow(["answer a %d" % i, "answer b %d" % i, "text_a"])
cases = []
for k in range(12):
    def bound():
        c = rnd.random()
        return None if c < 0.25 else rnd.randint(-n - 3, -1) if c < 0.5 else rnd.randint(0, n + 3)
    a, b = bound(), bound()
    if not list(range(n))[a:b]: b = None; a = a if list(range(n))[a:] else 0
    cases.append((a, b, list(range(n))[a:b]))
with open(d + "/cases", "w") as f:
    for a, b, want in cases:
        f.write("%s:%s %s\n" % ("" if a is None else a, "" if b is None else b, ",".join(map(str, want))))
print(n)
P
# the source record numbers of a dataset's items (every first response ends in it)
ids() {
    sqlite3 "$W" "SELECT r.text FROM item i JOIN dataset d ON d.id = i.dataset_id
                  JOIN response r ON r.item_id = i.id AND r.idx = 0 WHERE d.name = '$1' ORDER BY i.id" \
        | grep -o '[0-9]*$' | paste -sd, -
}
k=0
while read -r slice want; do
    for ext in jsonl json csv; do
        k=$((k + 1))
        if ! "$PS_BIN" -w "$W" import --name "s$k" "$T/f.$ext[$slice]" > "$T/out" 2>&1; then
            bad "$ext [$slice]: $(cat "$T/out")"; continue
        fi
        # the i-th source record's item: its position within the slice + the slice start
        got=$(ids "s$k")
        [ "$got" = "$want" ] || bad "$ext [$slice]: items $got, want $want"
    done
done < "$T/cases"
[ $k -ge 36 ] || bad "only $k cases ran"

# a pipe, and the dry run's count
slice=$(head -1 "$T/cases" | cut -d' ' -f1); want=$(head -1 "$T/cases" | cut -d' ' -f2)
cat "$T/f.jsonl" | "$PS_BIN" -w "$W" import --name piped "/dev/stdin[$slice]" > "$T/out" 2>&1 || bad "pipe: $(cat "$T/out")"
got=$(ids piped)
[ "$got" = "$want" ] || bad "pipe [$slice]: items $got, want $want"
n=$(wc -l < "$T/f.jsonl")
"$PS_BIN" -w "$W" import --dry-run "$T/f.jsonl[1:3]" > "$T/dry" 2>&1
grep -q "^records: 2 (records 1 to 2 of $n)$" "$T/dry" || bad "dry run: $(cat "$T/dry")"

# a file really named ...[1:2].jsonl: read whole, as named
cp "$T/f.jsonl" "$T/g[1:2]"
"$PS_BIN" -w "$W" import --format trl --name whole "$T/g[1:2]" > "$T/out" 2>&1 || bad "bracket name: $(cat "$T/out")"
[ "$(ids whole)" = "$(seq -s, 0 $((n - 1)))" ] || bad "bracket name: not read whole: $(ids whole)"

# Parquet rows (a shared fixture, when there): [2:5] and [-3:] against the whole file
PQ="${PS_DATA:-}/parquet_fixtures/smollm2_customs_train.parquet"
if [ -f "$PQ" ]; then
    prompts() { sqlite3 "$W" "SELECT replace(i.prompt, char(10), ' ') FROM item i JOIN dataset d ON d.id = i.dataset_id
                              WHERE d.name = '$1' ORDER BY i.id" | md5sum; }
    for sl in 2:5 -3: :4; do
        "$PS_BIN" -w "$W" import --map prompt=prompt,a=response --name "pq$sl" "$PQ[$sl]" > "$T/out" 2>&1 \
            || bad "parquet [$sl]: $(cat "$T/out")"
    done
    "$PS_BIN" -w "$W" import --map prompt=prompt,a=response --name pqall "$PQ" > /dev/null 2>&1 || bad "parquet whole"
    for sl in 2:5 -3: :4; do
        want=$(sqlite3 "$W" "SELECT replace(i.prompt, char(10), ' ') FROM item i JOIN dataset d ON d.id = i.dataset_id
                             WHERE d.name = 'pqall' ORDER BY i.id" | python3 -c "
import sys; rows = sys.stdin.read().split('\n')[:-1]; a, b = '$sl'.split(':')
print('\n'.join(rows[int(a) if a else None:int(b) if b else None]))" | md5sum)
        [ "$(prompts "pq$sl")" = "$want" ] || bad "parquet [$sl]: other rows"
    done
fi

# an empty slice: an error, nothing written; a slice that is not one: no such file
before=$(sqlite3 "$W" "SELECT count(*) FROM dataset")
"$PS_BIN" -w "$W" import --name empty "$T/f.jsonl[3:3]" > "$T/out" 2>&1 && bad "empty slice accepted"
grep -q "no records found" "$T/out" || bad "empty slice: $(cat "$T/out")"
"$PS_BIN" -w "$W" import --name x "$T/f.jsonl[a:b]" > "$T/out" 2>&1 && bad "[a:b] accepted"
grep -q "f.jsonl\[a:b\]: cannot open" "$T/out" || bad "[a:b]: $(cat "$T/out")"
[ "$(sqlite3 "$W" "SELECT count(*) FROM dataset")" = "$before" ] || bad "a failed import wrote a dataset"
[ "$FAILS" -eq 0 ] && echo "all checks passed" || { echo "$FAILS failures"; exit 1; }
