#!/bin/bash
# Inputs at the edges, each refused with a message that names the real cause and
# file:line, and nothing half-imported (issue 15 #4, #8, #11):
#   \u0000 inside a JSON string (used to cut the text silently), against Python's
#     own reading of randomized records; "\\u0000" (a backslash, then text) is kept;
#   nesting deeper than cJSON's 1000 levels (was "syntax error at column 1001");
#   running out of memory on a huge record (was "invalid JSON");
#   UTF-16 / UTF-32 files (was "NUL byte"), also gzip-compressed;
#   data after the end of a gzip stream (was ignored); concatenated members still read.
. "$PS_TESTS/e2e/checks.bash"
refused() { # FILE EXPECTED-MESSAGE-PART [import args]
    local f=$1 want=$2
    shift 2
    P import -w "$W" --name refused "$@" "$f" >/dev/null 2>err && { fail "$f was accepted"; return; }
    grep -qF -- "$want" err || fail "$f: expected '$want', got: $(cat err)"
    [ "$(wc -l <err)" = 1 ] || fail "$f: not one line: $(cat err)"
}

# ---- \u0000 ----
printf '{"prompt":"ok","chosen":"a","rejected":"b"}\n{"prompt":"x\\u0000y","chosen":"a","rejected":"b"}\n' >nul.jsonl
refused nul.jsonl 'nul.jsonl:2: a string holds \u0000'
printf '[\n  {"prompt": "ok", "chosen": "a", "rejected": "b"},\n  {"prompt": "p",\n   "chosen":\n     "a\\u0000",\n   "rejected": "b"}\n]\n' >nul.json
refused nul.json 'nul.json:5: a string holds \u0000'
printf '{"prompt":"x\\\\u0000y","chosen":"a","rejected":"b"}\n' >literal.jsonl
P import -w "$W" --name literal literal.jsonl 2>/dev/null || fail "a literal backslash-u0000 was refused"
P show -w "$W" literal 1 --json | python3 -c 'import json,sys; p = json.load(sys.stdin)["prompt"]; sys.exit(p != "x\\u0000y")' ||
    fail "literal \\u0000 not kept"
# Randomized: records built from random escapes; prefscope must refuse exactly those
# whose decoded text holds U+0000, and store the others unchanged.
python3 - <<'PY'
import json, random
rng = random.Random(15)
pieces = ["a", "\\\\", "\\u0000", "\\\\u0000", "\\u0041", "\\n", "\\\"", "\\/", "é", "\\u00e9", "u0000", "\\\\\\u0000"]
for k in range(40):
    text = "".join(rng.choice(pieces) for _ in range(rng.randint(1, 8)))
    with open("r%02d.jsonl" % k, "w") as f:
        f.write('{"prompt":"%s","chosen":"c","rejected":"r"}\n' % text)
    decoded = json.loads('"%s"' % text)
    with open("r%02d.want" % k, "w") as f:
        f.write("refuse\n" if "\0" in decoded else json.dumps(decoded) + "\n")
PY
for f in r*.jsonl; do
    b=${f%.jsonl}
    if P import -w "$W" --name "$b" "$f" >/dev/null 2>err; then
        got=$(P show -w "$W" "$b" 1 --json | python3 -c 'import json,sys; print(json.dumps(json.load(sys.stdin)["prompt"]))')
        [ "$got" = "$(cat "$b.want")" ] || fail "$f ($(cat "$f")): stored $got, want $(cat "$b.want")"
    else
        [ "$(cat "$b.want")" = refuse ] || fail "$f ($(cat "$f")) refused: $(cat err)"
        grep -q "$f:1: a string holds" err || fail "$f: message $(cat err)"
    fi
done

# ---- nesting ----
python3 -c 'print("[" * 1000000 + "]" * 1000000)' >deep.json
refused deep.json 'deep.json:1: the JSON record nests 999999 levels deep'
python3 -c 'print("{\"prompt\":\"p\",\"chosen\":\"a\",\"rejected\":\"b\",\"x\":" + "[" * 1000 + "]" * 1000 + "}")' >deep.jsonl
refused deep.jsonl 'at most 1000 are read'
python3 -c 'print("{\"prompt\":\"p\",\"chosen\":\"a\",\"rejected\":\"b\",\"x\":" + "[" * 998 + "]" * 998 + "}")' >ok999.jsonl
P import -w "$W" --name ok999 ok999.jsonl 2>/dev/null || fail "999 levels refused"

# ---- out of memory (not under a sanitizer, which needs its own address space) ----
if ! ldd "$PS_BIN" 2>/dev/null | grep -q libasan; then
    python3 -c '
import sys
sys.stdout.write("{\"prompt\":\"" + "x" * 100000000 + "\",\"chosen\":\"a\",\"rejected\":\"b\"}\n")' >huge.jsonl
    oom=0
    for kb in 200000 250000 300000 400000; do
        (ulimit -v $kb; exec "$PS_BIN" import -w "$T/h$kb.db" huge.jsonl) >/dev/null 2>err && continue
        if grep -q "out of memory" err && ! grep -qi "invalid JSON" err; then
            oom=$((oom + 1))
        else
            fail "with ulimit -v $kb: $(head -c 300 err)"
        fi
    done
    [ $oom -ge 1 ] || fail "no memory limit made the huge record fail"
    rm -f huge.jsonl
fi

# ---- encodings ----
iconv -f UTF-8 -t UTF-16 "$S/tour.jsonl" >u16.jsonl
refused u16.jsonl 'u16.jsonl:1: the file is UTF-16 (little-endian, byte-order mark FF FE)'
iconv -f UTF-8 -t UTF-16BE "$S/tour.jsonl" | { printf '\376\377'; cat; } >u16be.jsonl
refused u16be.jsonl 'UTF-16 (big-endian, byte-order mark FE FF)'
iconv -f UTF-8 -t UTF-16LE "$S/ratings.csv" >u16.csv
refused u16.csv 'u16.csv:1: the file is UTF-16 (little-endian, no byte-order mark)' --map 'prompt=question,a=answer 1,b=answer 2'
iconv -f UTF-8 -t UTF-32 "$S/tour.jsonl" >u32.jsonl
refused u32.jsonl 'UTF-32 (little-endian'
gzip -c u16.jsonl >u16.jsonl.gz
refused u16.jsonl.gz 'u16.jsonl.gz:1: the file is UTF-16'

# ---- gzip ----
gzip -c "$S/tour.jsonl" >t.jsonl.gz
cp t.jsonl.gz junk.jsonl.gz
printf 'trailing junk\n' >>junk.jsonl.gz
refused junk.jsonl.gz "unexpected data after the end of the gzip stream (at byte $(stat -c %s t.jsonl.gz)"
cat t.jsonl.gz t.jsonl.gz >two.jsonl.gz
P import -w "$W" --name two two.jsonl.gz 2>/dev/null || fail "two gzip members refused"
# The same 40 items twice: they merge by key, and every judgment of both is there.
[ "$(P ls -w "$W" | awk '$1 == "two" {print $5}')" = 208 ] || fail "two members: $(P ls -w "$W" | grep two)"
head -c 5000 t.jsonl.gz >cut.jsonl.gz
refused cut.jsonl.gz "truncated gzip data"
# Nothing of the refused files reached the workspace.
P ls -w "$W" | grep -q "^refused " && fail "a refused file left a dataset"
checks_done
