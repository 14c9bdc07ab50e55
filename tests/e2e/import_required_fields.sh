#!/bin/bash
# Every import format, forced with --format onto records that lack its required
# fields (a CSV with other columns, JSON objects with other keys, an empty object,
# null), with and without --dry-run: each run must fail with one clear line naming
# the file (and the line, for record errors), never crash, and leave the workspace
# without the dataset.  (Issue 15 #1: `import --format icai` on a CSV without
# text_a/text_b/preferred_text reached strncmp with a NULL column.)
set -u
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
cd "$T" || exit 1
W=$T/ws.db
printf 'a,b\n1,2\n' >cols.csv
printf 'text_a,b\n1,2\n' >partial.csv
printf '{"a":1}\n' >other.jsonl
printf '{}\n' >empty.jsonl
printf '[{"a":"x"}]\n' >other.json
printf 'null\n' >null.json
formats=$("$PS_BIN" import --help | awk '/^Formats:/ {on = 1; next} on && /^  [a-z]/ {print $1}')
[ "$(echo "$formats" | wc -w)" -ge 10 ] || { echo "FAIL: could not list formats: $formats"; exit 1; }
fails=0 runs=0
for f in $formats; do
    for input in cols.csv partial.csv other.jsonl empty.jsonl other.json null.json; do
        for dry in "" --dry-run; do
            runs=$((runs + 1))
            "$PS_BIN" import -w "$W" --name t --format "$f" $dry "$input" >out 2>err
            rc=$?
            what="--format $f $dry $input"
            if [ $rc -ge 126 ] || grep -qiE "sanitizer|segmentation|core dumped|abort" err; then
                echo "FAIL: $what crashed (exit $rc): $(head -3 err)"
                fails=$((fails + 1))
            elif [ $rc = 0 ]; then
                echo "FAIL: $what was accepted: $(head -3 out)"
                fails=$((fails + 1))
            elif [ "$(wc -l <err)" != 1 ] || ! grep -q "^prefscope: .*$input" err; then
                echo "FAIL: $what: expected one line naming $input, got: $(cat err)"
                fails=$((fails + 1))
            fi
        done
    done
done
# Nothing was half-imported.
if [ -f "$W" ] && "$PS_BIN" ls -w "$W" 2>/dev/null | grep -qw t; then
    echo "FAIL: a failed import left dataset 't' behind"
    fails=$((fails + 1))
fi
# The ICAI message names the missing column and what the header has, sanitized.
"$PS_BIN" import -w "$W" --format icai cols.csv 2>err
grep -q "cols.csv:1: format 'icai' needs the column 'text_a' in the CSV header (found: a, b)" err ||
    { echo "FAIL: icai message: $(cat err)"; fails=$((fails + 1)); }
printf 'text_a,text_b,\033]0;x\007evil\n1,2,3\n' >hostile.csv
"$PS_BIN" import -w "$W" --format icai hostile.csv 2>err
if grep -q $'\033' err || ! grep -q "needs the column 'preferred_text'" err; then
    echo "FAIL: hostile header: $(cat -v err)"
    fails=$((fails + 1))
fi
# Read from a pipe too.
printf 'a,b\n1,2\n' | "$PS_BIN" import -w "$W" --format icai --name p /dev/stdin 2>err >/dev/null
rc=$?
{ [ $rc -ge 1 ] && [ $rc -lt 126 ]; } || { echo "FAIL: pipe: exit $rc $(cat err)"; fails=$((fails + 1)); }
echo "$runs runs over $(echo "$formats" | wc -w) formats, $fails failures"
[ $fails = 0 ]
