#!/usr/bin/env bash
# Malformed input: every bad file must make `prefscope import` exit non-zero with
# exactly one line on stderr that names file:line (and the field or column) and
# what was expected, and must leave the workspace byte-for-byte as it was (same
# `ls --json`, same `sqlite3 .dump`), including failed --append / --replace
# imports into an existing dataset.  Also: duplicate names, --replace, --append.
set -uo pipefail
: "${PS_BIN:?PS_BIN not set}"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
cd "$T"
WS=$T/ws.db
FAILS=0
ps() { "$PS_BIN" -w "$WS" "$@"; }
bad() { echo "FAIL: $*"; FAILS=$((FAILS + 1)); }

# State of the workspace: the listing and a checksum of a full `sqlite3 .dump`
# (FTS tables included), or of every dataset's export without the sqlite3 shell.
snapshot() {
    {
        ps ls --json 2>&1
        if [ "$HAVE_SQLITE3" = 1 ]; then
            sqlite3 "$WS" .dump
        else
            for d in $(ps ls --json | python3 -c 'import json,sys; print(" ".join(d["name"] for d in json.load(sys.stdin)))'); do
                ps export "$d" --format jsonl 2>/dev/null
            done
        fi
    } | sha256sum | cut -d' ' -f1
}
HAVE_SQLITE3=0
command -v sqlite3 > /dev/null && HAVE_SQLITE3=1

# expect_fail NAME REGEX -- import args...
# The import must fail, print one stderr line matching REGEX, and change nothing.
expect_fail() {
    local name=$1 re=$2
    shift 3
    local before after rc lines
    before=$(snapshot)
    ps import "$@" > "$T/out" 2> "$T/err"
    rc=$?
    after=$(snapshot)
    lines=$(wc -l < "$T/err")
    if [ "$rc" -eq 0 ]; then
        bad "$name: exit status 0"
    elif [ "$lines" -ne 1 ]; then
        bad "$name: expected one line on stderr, got $lines: $(head -c 600 "$T/err")"
    elif ! grep -Eq -- "$re" "$T/err"; then
        bad "$name: stderr '$(cat "$T/err")' does not match /$re/"
    fi
    if [ "$(wc -c < "$T/err")" -gt 600 ]; then
        bad "$name: error message is $(wc -c < "$T/err") bytes long"
    fi
    [ "$before" = "$after" ] || bad "$name: the workspace changed"
    [ -s "$T/out" ] && bad "$name: unexpected stdout: $(head -c 200 "$T/out")"
    return 0
}

# ---- a workspace with one good dataset to protect ----
cat > good.jsonl <<'EOF'
{"prompt": "Name a prime number.", "chosen": "Seven.", "rejected": "Nine."}
{"prompt": "Capital of France?", "chosen": "Paris.", "rejected": "Lyon."}
{"prompt": "Boil water at sea level?", "chosen": "100 °C.", "rejected": "80 °C."}
EOF
ps import --name base good.jsonl 2> /dev/null || bad "importing the good file failed"
[ "$(ps ls --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["items"])')" = 3 ] ||
    bad "base dataset does not have 3 items"

# ---- truncated JSON ----
printf '[{"prompt": "a", "chosen": "b", "rejected": "c"},\n {"prompt": "d", "chosen": "e",\n  "rejected": "f' > trunc.json
expect_fail "truncated array" '^prefscope: trunc\.json:3: .*record that starts at line 2.*truncated' -- trunc.json
printf '{"prompt": "a", "chosen": "b", "rejected": "c"}\n{"prompt": "d", "chosen": "e", "rej' > trunc.jsonl
expect_fail "truncated JSONL" '^prefscope: trunc\.jsonl:2: column [0-9]+: the JSON record that starts at line 2 ends early \(truncated' -- trunc.jsonl
printf '[{"prompt": "a", "chosen": "b", "rejected": "c"}' > noclose.json
expect_fail "array without ]" "^prefscope: noclose\.json:1: unexpected end of file \(expected ',' or '\]'; truncated" -- noclose.json
printf '{\n  "prompt": "a",\n  "chosen": "b",\n' > doc.json
expect_fail "truncated document" '^prefscope: doc\.json:4: .*record that starts at line 1.*truncated' -- doc.json

# ---- wrong types ----
printf '{"prompt": "a", "chosen": "b", "rejected": "c"}\n{"prompt": "d", "chosen": 42, "rejected": "f"}\n' > type1.jsonl
expect_fail "number as a response" "^prefscope: type1\.jsonl:2: field 'chosen': expected a string or a message, found a number" -- type1.jsonl
cat > type2.jsonl <<'EOF'
{"prompt": "p", "responses": [{"text": "x"}, {"text": "y"}], "judgments": [{"a": 0, "b": 1, "verdict": "A"}]}
{"prompt": "p", "responses": [{"text": "x"}, {"text": "y"}], "judgments": [{"a": 0, "b": 1, "verdict": "A"}, {"a": "zero", "b": 1, "verdict": "B"}]}
EOF
expect_fail "string as an index" "^prefscope: type2\.jsonl:2: field 'judgments\[1\]\.a': expected a number, found the string \"zero\"" -- type2.jsonl
cat > type3.jsonl <<'EOF'
{"prompt": "p", "responses": [{"text": "x"}, {"text": ["not", "text"]}]}
EOF
expect_fail "array as response text" "^prefscope: type3\.jsonl:1: field 'responses\[1\]\.text': expected a string, found an array" -- type3.jsonl
cat > type4.jsonl <<'EOF'
{"prompt": "p", "responses": [{"text": "x"}, {"text": "y"}], "judgments": [{"a": 0, "b": 1, "verdict": "maybe"}]}
EOF
expect_fail "bad verdict" "^prefscope: type4\.jsonl:1: field 'judgments\[0\]\.verdict': expected A, B, tie or invalid, found \"maybe\"" -- type4.jsonl
cat > type5.jsonl <<'EOF'
{"prompt": "p", "responses": [{"text": "x"}, {"text": "y"}], "judgments": [{"a": 0, "b": 5, "verdict": "A"}]}
EOF
expect_fail "index out of range" "^prefscope: type5\.jsonl:1: judgments\[0\]\.a/b: expected response indices below 2" -- type5.jsonl
cat > type6.jsonl <<'EOF'
{"prompt": "p", "responses": "x and y"}
EOF
expect_fail "responses not a list" "^prefscope: type6\.jsonl:1: field 'responses': expected a non-empty array" -- --format prefscope type6.jsonl
expect_fail "undetectable" "^prefscope: type6\.jsonl:1: cannot detect the format of the first record \(fields: prompt, responses\); use --map" -- type6.jsonl
printf '[{"prompt": "a", "chosen": "b", "rejected": "c"}, "just a string"]\n' > type7.json
expect_fail "array element not an object" "^prefscope: type7\.json:1: expected a JSON object as array element 2" -- type7.json
printf '"a lone string"\n' > scalar.json
expect_fail "top-level scalar" "^prefscope: scalar\.json:1: expected a JSON array or object, found '\"'" -- scalar.json
printf '{"prompt": "a", "chosen": "b", "rejected": "c"}\n{"prompt": "d", "rejected": "f"}\n' > missing.jsonl
expect_fail "missing field" "^prefscope: missing\.jsonl:2: .*'chosen'" -- missing.jsonl

# ---- invalid UTF-8 and NUL bytes ----
printf '{"prompt": "a", "chosen": "b", "rejected": "c"}\n{"prompt": "d", "chosen": "e", "rejected": "f"}\n{"prompt": "caf\xe9", "chosen": "x", "rejected": "y"}\n' > latin1.jsonl
expect_fail "invalid UTF-8" '^prefscope: latin1\.jsonl:3: invalid UTF-8 \(byte 0xe9\); expected UTF-8 text' -- latin1.jsonl
printf '{"prompt": "a", "chosen": "b", "rejected": "c"}\n{"prompt": "d\0", "chosen": "e", "rejected": "f"}\n' > nul.jsonl
expect_fail "NUL byte" '^prefscope: nul\.jsonl:2: NUL byte in input \(expected UTF-8 text\)' -- nul.jsonl
printf '[\n{"prompt": "a",\n "chosen": "\xed\xa0\x80",\n "rejected": "c"}]\n' > surrogate.json
expect_fail "UTF-8 surrogate" '^prefscope: surrogate\.json:3: invalid UTF-8' -- surrogate.json

# ---- a 10 MB single line ----
python3 - <<'EOF'
big = "x" * (10 * 1024 * 1024)
with open("big_bad.jsonl", "w") as f:
    f.write('{"prompt": "p", "chosen": "c", "rejected": "r"}\n')
    f.write('{"prompt": "' + big + '", "chosen": "c", "rejected": "r" oops}\n')
with open("big_cut.jsonl", "w") as f:
    f.write('{"prompt": "' + big)
with open("big_ok.jsonl", "w") as f:
    f.write('{"prompt": "p", "chosen": "' + big + '", "rejected": "r"}\n')
EOF
expect_fail "10 MB line with a syntax error" '^prefscope: big_bad\.jsonl:2: column 10485807: invalid JSON near "oops}"' -- big_bad.jsonl
expect_fail "10 MB line cut short" '^prefscope: big_cut\.jsonl:1: unexpected end of file inside the record that starts at line 1 \(truncated JSON\?\)' -- big_cut.jsonl

# ---- empty files ----
: > empty.jsonl
expect_fail "empty JSONL" '^prefscope: empty\.jsonl: empty file \(expected JSON, JSON Lines or CSV data\)' -- empty.jsonl
printf '\n  \n' > blank.json
expect_fail "blank JSON" '^prefscope: blank\.json: empty file' -- blank.json
: > empty.csv
expect_fail "empty CSV" '^prefscope: empty\.csv: empty file \(expected a CSV header row\)' -- --map prompt=p,a=x empty.csv
printf '[]\n' > emptyarr.json
expect_fail "empty array" '^prefscope: emptyarr\.json: no records' -- emptyarr.json
printf 'prompt,x,y\n' > headeronly.csv
expect_fail "CSV header only" '^prefscope: headeronly\.csv: no records' -- --map prompt=prompt,a=x,b=y headeronly.csv

# ---- CSV ----
printf 'prompt,x,y\nfirst,a,b\n"second",c,"d is\nnever closed\nthird,e,f\n' > unbalanced.csv
expect_fail "CSV unbalanced quote" "^prefscope: unbalanced\.csv:3: column 3: unterminated quoted field.*expected a closing '\"'" -- --map prompt=prompt,a=x,b=y unbalanced.csv
printf 'prompt,x,y\nfirst,a,b\nsecond,c\n' > short.csv
expect_fail "CSV short row" '^prefscope: short\.csv:3: expected 3 columns \(as in the header\), found 2' -- --map prompt=prompt,a=x,b=y short.csv
printf 'prompt,x,y\n"a"b,c,d\n' > afterquote.csv
expect_fail "CSV junk after quote" "^prefscope: afterquote\.csv:2: unexpected character after a closing quote in column 1" -- --map prompt=prompt,a=x,b=y afterquote.csv
printf 'prompt,x,y\nfirst,a,b\nsecond,\xff,d\n' > badutf.csv
expect_fail "CSV invalid UTF-8" '^prefscope: badutf\.csv:3: invalid UTF-8' -- --map prompt=prompt,a=x,b=y badutf.csv
printf 'foo,bar\n1,2\n' > unknown.csv
expect_fail "CSV unknown columns" '^prefscope: unknown\.csv:1: cannot detect the format from the columns \(foo, bar\)' -- unknown.csv

# ---- JSONL with a bad middle line (records before it were already written) ----
python3 - <<'EOF'
with open("middle.jsonl", "w") as f:
    for i in range(1, 201):
        if i == 150:
            f.write('{"prompt": "p150", "chosen": "c", "rejected": "r",}\n')
        else:
            f.write('{"prompt": "p%d", "chosen": "c%d", "rejected": "r%d"}\n' % (i, i, i))
EOF
expect_fail "bad middle line" '^prefscope: middle\.jsonl:150: column [0-9]+: invalid JSON near "\}"' -- middle.jsonl

# ---- gzip: truncated and corrupt ----
python3 - <<'EOF'
import gzip, random
random.seed(7)
lines = "".join('{"prompt": "question %d %s", "chosen": "yes", "rejected": "no"}\n'
                % (i, "".join(random.choice("abcdefgh ") for _ in range(80))) for i in range(3000))
data = gzip.compress(lines.encode(), mtime=0)
open("whole.jsonl.gz", "wb").write(data)
open("cut.jsonl.gz", "wb").write(data[: len(data) // 2])
bad = bytearray(data)
bad[-8] ^= 0xFF  # CRC32 in the trailer
open("crc.jsonl.gz", "wb").write(bytes(bad))
bad = bytearray(data)
bad[10:40] = b"\xff" * 30  # an invalid deflate block
open("garbage.jsonl.gz", "wb").write(bytes(bad))
open("header.jsonl.gz", "wb").write(data[:12])
EOF
expect_fail "truncated gzip" '^prefscope: cut\.jsonl\.gz:[0-9]+: truncated gzip data' -- cut.jsonl.gz
expect_fail "gzip bad checksum" '^prefscope: crc\.jsonl\.gz:[0-9]+: corrupt gzip data' -- crc.jsonl.gz
expect_fail "gzip bad block" '^prefscope: garbage\.jsonl\.gz:1: corrupt gzip data' -- garbage.jsonl.gz
expect_fail "gzip header only" '^prefscope: header\.jsonl\.gz:1: (truncated|corrupt) gzip data' -- header.jsonl.gz
ps import --name whole whole.jsonl.gz 2> /dev/null || bad "the intact gzip file did not import"
ps import --name whole --replace whole.jsonl.gz 2> /dev/null || bad "--replace of an intact gzip file failed"

# ---- other refusals ----
expect_fail "missing file" '^prefscope: nosuch\.jsonl: cannot open: No such file or directory' -- nosuch.jsonl
expect_fail "unknown format" "^prefscope: import: unknown format 'nope'" -- --format nope good.jsonl
expect_fail "bad --map" "^prefscope: --map: unknown target 'question'" -- --map question=q,a=x good.jsonl
expect_fail "replace and append" '^prefscope: import: --replace and --append exclude each other' -- --replace --append good.jsonl
expect_fail "no files" '^prefscope: import: no input files' --
# a bad second file rolls back the first
expect_fail "second file bad" '^prefscope: latin1\.jsonl:3: invalid UTF-8' -- --name two good.jsonl latin1.jsonl

# ---- duplicate names, --replace, --append ----
expect_fail "duplicate name" "^prefscope: dataset 'base' already exists in .*\(use --replace to overwrite it\)" -- --name base good.jsonl
# failed --append and --replace leave the existing dataset whole
expect_fail "failed append" '^prefscope: middle\.jsonl:150:' -- --name base --append middle.jsonl
expect_fail "failed replace" '^prefscope: middle\.jsonl:150:' -- --name base --replace middle.jsonl
expect_fail "failed append, bad gzip" '^prefscope: cut\.jsonl\.gz:' -- --name base --append cut.jsonl.gz

items() { ps ls --json | python3 -c "import json,sys; print({d['name']: d['items'] for d in json.load(sys.stdin)}.get('$1'))"; }
printf '{"prompt": "Largest planet?", "chosen": "Jupiter.", "rejected": "Mars."}\n' > more.jsonl
ps import --name base --append more.jsonl 2> "$T/err" || bad "--append failed: $(cat "$T/err")"
[ "$(items base)" = 4 ] || bad "--append: expected 4 items, got $(items base)"
prompt_of() { ps show "$1" "$2" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["prompt"])'; }
[ "$(prompt_of base 4)" = "Largest planet?" ] || bad "--append: new item not number 4"
ps import --name base --replace more.jsonl 2> "$T/err" || bad "--replace failed: $(cat "$T/err")"
[ "$(items base)" = 1 ] || bad "--replace: expected 1 item, got $(items base)"
[ "$(prompt_of base 1)" = "Largest planet?" ] || bad "--replace: wrong first item"
# appending to a dataset that does not exist creates it
ps import --name fresh --append good.jsonl 2> /dev/null || bad "--append to a new name failed"
[ "$(items fresh)" = 3 ] || bad "--append to a new name: expected 3 items"

# the workspace is consistent after all of this (FTS index included)
if command -v sqlite3 > /dev/null; then
    [ "$(sqlite3 "$WS" 'PRAGMA integrity_check')" = ok ] || bad "integrity_check failed"
    [ "$(sqlite3 "$WS" 'SELECT count(*) FROM item_fts_docsize')" = "$(sqlite3 "$WS" 'SELECT count(*) FROM item')" ] ||
        bad "FTS rows differ from items"
    [ "$(sqlite3 "$WS" "SELECT count(*) FROM item_fts WHERE item_fts MATCH 'jupiter'")" = 1 ] ||
        bad "FTS does not find the replaced item"
    [ "$(sqlite3 "$WS" "SELECT count(*) FROM item_fts WHERE item_fts MATCH 'lyon'")" = 1 ] ||
        bad "FTS should find 'lyon' only in dataset 'fresh'"
fi

# the 10 MB line that is valid imports whole
ps import --name big big_ok.jsonl 2> "$T/err" || bad "valid 10 MB line failed: $(cat "$T/err")"
len=$(ps show big 1 --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["responses"][0]["text"]))')
[ "$len" = 10485760 ] || bad "10 MB response came back with length $len"

if [ "$FAILS" -ne 0 ]; then
    echo "$FAILS failure(s)"
    exit 1
fi
echo "malformed input: all checks passed"
