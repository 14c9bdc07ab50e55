#!/bin/bash
# Inputs that can be read only once and outputs that must be whole (issue 15 #5, #6).
#   import: "-" (stdin), /dev/stdin, <(cmd), a named FIFO (opened once: it used to
#     hang), gzip through a pipe, CSV through a pipe (sniffed), a FIFO named *.csv;
#     each gives the same dataset as the file itself; errors name "<stdin>", not a
#     temporary path; no temporary copy is left behind.
#   export: "-o -" is stdout; "-o FIFO" streams; a failed export (file size limit,
#     /dev/full, a missing directory) names the path and errno, keeps the previous
#     file and leaves no temporary file; kill -9 in the middle leaves the previous
#     file or the new one, never a truncated one.
. "$PS_TESTS/e2e/checks.bash"
export TMPDIR=$T/tmp
mkdir -p "$TMPDIR"
# The dataset as exported, for comparison.
dump() { P export -w "$W" "$1" --format jsonl 2>/dev/null | python3 -c '
import json, sys
for l in sys.stdin:
    r = json.loads(l); r.pop("index", None); print(json.dumps(r, sort_keys=True))'; }

P import -w "$W" --name ref "$S/tour.jsonl" 2>/dev/null || fail "import ref"
ref=$(dump ref)
[ -n "$ref" ] || fail "empty reference"

cat "$S/tour.jsonl" | P import -w "$W" - 2>/dev/null || fail "import -"
[ "$(dump stdin)" = "$ref" ] || fail "import - differs from the file"
P import -w "$W" --name devstdin /dev/stdin <"$S/tour.jsonl" 2>/dev/null || fail "/dev/stdin"
[ "$(dump devstdin)" = "$ref" ] || fail "/dev/stdin differs"
P import -w "$W" --name procsub <(cat "$S/tour.jsonl") 2>/dev/null || fail "<(cmd)"
[ "$(dump procsub)" = "$ref" ] || fail "<(cmd) differs"
gzip -c "$S/tour.jsonl" | P import -w "$W" --name gz - 2>/dev/null || fail "gzip through a pipe"
[ "$(dump gz)" = "$ref" ] || fail "gzip pipe differs"
mkfifo fifo
cat "$S/tour.jsonl" >fifo &
timeout 20 "$PS_BIN" import -w "$W" --name fifo fifo 2>err
rc=$?
wait
[ $rc = 0 ] || fail "FIFO import: exit $rc ($(cat err))"
[ "$(dump fifo)" = "$ref" ] || fail "FIFO differs"
# CSV: sniffed from a pipe, or from the FIFO's name.
MAP='prompt=question,a=answer 1,b=answer 2'
P import -w "$W" --name csvref --map "$MAP" "$S/ratings.csv" 2>/dev/null || fail "csv ref"
P import -w "$W" --name csvpipe --map "$MAP" - <"$S/ratings.csv" 2>/dev/null || fail "csv via stdin"
[ "$(dump csvpipe)" = "$(dump csvref)" ] || fail "csv via stdin differs"
mkfifo f.csv
cat "$S/ratings.csv" >f.csv &
timeout 20 "$PS_BIN" import -w "$W" --name csvfifo --map "$MAP" f.csv 2>/dev/null || fail "csv fifo"
wait
[ "$(dump csvfifo)" = "$(dump csvref)" ] || fail "csv FIFO differs"
# Errors name the input, not the temporary copy; '-' twice is refused.
printf '{"prompt":"p","chosen":"a","rejected":"b"}\n{"prompt":\n' |
    P import -w "$W" --name bad - 2>err && fail "a broken pipe input was accepted"
grep -q "^prefscope: <stdin>:2: " err || fail "stdin error: $(cat err)"
grep -q "$TMPDIR\|prefscope-input" err && fail "error shows the temporary path: $(cat err)"
printf '' | P import -w "$W" - - 2>err && fail "'-' twice accepted"
grep -q "only once" err || fail "'-' twice: $(cat err)"
printf '' | P import -w "$W" --name empty - 2>err && fail "empty stdin accepted"
grep -q "<stdin>" err || fail "empty stdin: $(cat err)"
[ -z "$(ls "$TMPDIR")" ] || fail "temporary copies left: $(ls "$TMPDIR")"

# ---- export ----
P export -w "$W" ref -o - 2>/dev/null | python3 -c 'import sys; n = sum(1 for _ in sys.stdin); sys.exit(n != 40)' ||
    fail "export -o - is not the 40 records on stdout"
mkfifo out.fifo
python3 -c 'import sys; print(sum(1 for _ in open("out.fifo")))' >fifo.count &
timeout 20 "$PS_BIN" export -w "$W" ref -o out.fifo 2>/dev/null || fail "export to a FIFO"
wait
[ "$(cat fifo.count)" = 40 ] || fail "export to a FIFO: $(cat fifo.count) lines"
P export -w "$W" ref -o /dev/full 2>err && fail "/dev/full accepted"
grep -q "^prefscope: export: /dev/full: No space left on device" err || fail "/dev/full: $(cat err)"
P export -w "$W" ref -o "$T/no/such/dir/x.jsonl" 2>err && fail "missing directory accepted"
grep -q "x.jsonl: No such file or directory" err || fail "missing dir: $(cat err)"
# A big dataset, so that the export is larger than the file size limit and slow
# enough to be killed in the middle.
python3 - >big.jsonl <<'PY'
import json
for k in range(20000):
    print(json.dumps({"prompt": "question %d " % k + "x" * 200,
                      "chosen": "good answer %d " % k + "y" * 300,
                      "rejected": "bad answer %d " % k + "z" * 300}))
PY
P import -w "$W" --name big big.jsonl 2>/dev/null || fail "import big"
echo "previous contents" >keep.jsonl
chmod 640 keep.jsonl
(ulimit -f 2000; trap '' XFSZ; exec "$PS_BIN" export -w "$W" big -o keep.jsonl) 2>err &&
    fail "export over the size limit succeeded"
grep -q "^prefscope: export: keep.jsonl: File too large" err || fail "size limit: $(cat err)"
[ "$(cat keep.jsonl)" = "previous contents" ] || fail "the previous file was damaged"
ls -a | grep -q '^\.keep\.jsonl\.' && fail "temporary file left after a failed export"
# kill -9 while writing: the target is the old file or the whole new one.
for delay in 0.05 0.2 0.5; do
    echo "previous contents" >keep.jsonl
    "$PS_BIN" export -w "$W" big -o keep.jsonl 2>/dev/null &
    pid=$!
    sleep $delay
    kill -9 $pid 2>/dev/null
    wait $pid 2>/dev/null
    lines=$(wc -l <keep.jsonl)
    if [ "$(cat keep.jsonl | head -c 17)" != "previous contents" ] && [ "$lines" != 20000 ]; then
        fail "kill -9 after ${delay}s left $lines lines"
    fi
done
rm -f .keep.jsonl.*
P export -w "$W" big -o keep.jsonl 2>/dev/null || fail "export big"
[ "$(wc -l <keep.jsonl)" = 20000 ] || fail "full export: $(wc -l <keep.jsonl) lines"
[ "$(stat -c %a keep.jsonl)" = 640 ] || fail "mode not kept: $(stat -c %a keep.jsonl)"
umask 022
P export -w "$W" ref -o fresh.jsonl 2>/dev/null
[ "$(stat -c %a fresh.jsonl)" = 644 ] || fail "new file mode: $(stat -c %a fresh.jsonl)"
checks_done
