#!/usr/bin/env bash
# Every byte a command prints that came from data or a path is sanitized: a hostile
# workspace (dataset, file, key, column, model, annotator, tag and text names full of
# ESC/CSI/OSC, C1, bidi and tag characters) is run through every data command, with and
# without --json, errors included, and each command's stdout and stderr are scanned
# for raw ESC, C1 (as UTF-8 or bare bytes), bidi controls and tag characters.  JSON
# output must still carry the raw values (escaped as \u sequences).
command -v python3 > /dev/null || { echo "SKIP: python3 absent"; exit 77; }
. "$PS_TESTS/e2e/checks.bash"
cleanup() { exec 9>&- 2> /dev/null || true; wait 2> /dev/null || true; }
trap 'cleanup; chmod -R u+w "$T" 2>/dev/null; rm -rf "$T"' EXIT
. "$PS_TESTS/e2e/fake_server.bash"
fake_server_start

# E: ESC CSI clear, OSC title, C1 CSI (U+009B), RLO, LRI, LRM, ALM, tag "AB"
E=$'\x1b[2J\x1b]0;pwned\x07\xc2\x9b31m\xe2\x80\xae\xe2\x81\xa6\xe2\x80\x8e\xd8\x9c\xf3\xa0\x81\x81\xf3\xa0\x81\x82'
export E
N="evil$E"               # dataset name
F="$T/file$E"$'\x9b.jsonl' # file name, with a bare C1 byte too
python3 - "$F" << 'PY'
import json, os, sys
E = os.environ["E"]
def h(s): return s + E
with open(sys.argv[1], "w") as f:
    for i in range(4):
        f.write(json.dumps({"id": h("id%d" % i), "key": h("k%d" % i), "system": h("sys"),
            "prompt": h("prompt %d [[A]]" % i), "history": [{"role": "user", "content": h("hist")}],
            "responses": [{"text": h("resp a"), "model": h("model-a")},
                          {"text": h("resp b"), "model": h("model-b%d" % (i % 2))}],
            "judgments": [{"a": 0, "b": 1, "annotator": h("ann"), "verdict": "AB"[i % 2], "p_a": 1 - i % 2,
                           "weight": 1, "rationale": h("why")}],
            "ratings": [{"response": 0, "aspect": h("asp"), "value": 3, "annotator": h("ann")}],
            "tags": [h("tag")], "meta": {h("mk"): h("mv")}}, ensure_ascii=False) + "\n")
PY
printf '{"%s": 1}\n' "key$E" > "$T/keys$E.json"
printf 'col%s,b\n1,2\n' "$E" > "$T/cols$E.csv"
cat > "$T/err.lua" << 'L'
local ds = ps.dataset(arg[1])
error(ds:item(1).prompt)
L
cat > "$T/ok.lua" << 'L'
local ds = ps.dataset(arg[1])
io.stderr:write("n=", tostring(ds:count()), "\n")
L

n=0
# scan NAME [--json] -- CMD...: run, keep stdout/stderr, check both
scan() {
    local name=$1 json=0
    shift
    [ "$1" = --json ] && { json=1; shift; }
    shift
    n=$((n + 1))
    "$@" > "$T/o$n" 2> "$T/e$n" < /dev/null
    echo "$?" > "$T/rc$n"
    python3 - "$name" "$json" "$T/o$n" "$T/e$n" << 'PY' || fail "$name"
import json, re, sys
name, is_json, out, err = sys.argv[1], sys.argv[2] == "1", sys.argv[3], sys.argv[4]
bad = re.compile(rb"\x1b|[\x80-\x9f]|\xc2[\x80-\x9f]|\xe2\x80[\x8e\x8f\xaa-\xae]|\xe2\x81[\xa6-\xa9]|\xd8\x9c|\xf3\xa0[\x80-\x81]")
ok = True
for path, what in ((out, "stdout"), (err, "stderr")):
    data = open(path, "rb").read()
    # a bare C1 byte is only bad outside a UTF-8 sequence: check decoded text too
    text = data.decode("utf-8", "replace")
    hits = [c for c in text if c == "\x1b" or "\x80" <= c <= "\x9f" or c in "\u200e\u200f\u061c"
            or "\u202a" <= c <= "\u202e" or "\u2066" <= c <= "\u2069" or "\U000e0000" <= c <= "\U000e007f"]
    if hits or b"\x1b" in data:
        print("%s: raw %s in %s: %r" % (name, sorted(set(hits)), what, data[:300]))
        ok = False
if is_json and open(out, "rb").read().strip():
    try:
        json.loads(open(out, encoding="utf-8").read())
    except Exception as e:
        print("%s: stdout is not JSON: %s" % (name, e)); ok = False
sys.exit(0 if ok else 1)
PY
}
ran() { cat "$T/rc$n"; }

scan "import" -- P -w "$W" import --name "$N" "$F"
[ "$(ran)" = 0 ] || fail "import failed: $(cat "$T/e$n")"
scan "import default name" -- P -w "$W" import "$F"
scan "import dry-run" -- P -w "$W" import --dry-run --name "$N" "$F"
scan "import exists" -- P -w "$W" import --name "$N" "$F"
scan "import cannot detect keys" -- P -w "$W" import --name x "$T/keys$E.json"
[ "$(ran)" = 0 ] && fail "cannot-detect import succeeded"
scan "import cannot detect columns" -- P -w "$W" import --name x "$T/cols$E.csv"
scan "import icai columns" -- P -w "$W" import --format icai --name x "$T/cols$E.csv"
scan "import --map target" -- P -w "$W" import --name x --map "prompt=key$E,bogus$E=x" "$T/keys$E.json"
scan "import --map path" -- P -w "$W" import --name x --map "prompt=key$E,a=q$E,b=r$E" "$T/keys$E.json"
scan "import missing file" -- P -w "$W" import --name x "$T/none$E"
scan "ls" -- P -w "$W" ls
scan "ls --json" --json -- P -w "$W" ls --json
for i in 1 2; do
    scan "show $i" -- P -w "$W" show "$N" $i
    scan "show $i --json" --json -- P -w "$W" show "$N" $i --json
done
scan "show unknown dataset" -- P -w "$W" show "nope$E" 1
scan "show no item" -- P -w "$W" show "$N" 99
for f in trl trl-conversational kto jsonl csv annotated-pairs; do
    scan "export $f" -- P -w "$W" export "$N" --format "$f" -o "$T/x.$f"
done
scan "export jsonl stdout" --json -- P -w "$W" export "$N" --format annotated-pairs
scan "export unknown" -- P -w "$W" export "nope$E" --format jsonl
scan "export bad annotator" -- P -w "$W" export "$N" --format trl -a "who$E"
scan "export bad path" -- P -w "$W" export "$N" --format jsonl -o "$T/nodir$E/x"
scan "stats" -- P -w "$W" stats "$N" --bootstrap 20 --min-n 0
scan "stats --json" --json -- P -w "$W" stats "$N" --bootstrap 20 --min-n 0 --json
scan "stats against" -- P -w "$W" stats "$N" --against "ref$E"
scan "stats unknown" -- P -w "$W" stats "nope$E"
scan "rank" -- P -w "$W" rank "$N" --bootstrap 20
scan "rank --json" --json -- P -w "$W" rank "$N" --bootstrap 20 --json
scan "rank anchor" -- P -w "$W" rank "$N" --anchor "m$E"
scan "rank unknown" -- P -w "$W" rank "nope$E"
scan "judge" -- P -w "$W" judge "$N" --model fake --base-url "$URL" -a "llm:j$E"
[ "$(ran)" = 0 ] || fail "judge failed: $(cat "$T/e$n")"
scan "judge --json" --json -- P -w "$W" judge "$N" --model fake --base-url "$URL" -a "llm:k$E" --json
scan "judge unknown" -- P -w "$W" judge "nope$E" --model fake --base-url "$URL"
scan "judge bad template" -- P -w "$W" judge "$N" --model fake --base-url "$URL" -t "$T/t$E"
scan "stats after judge" -- P -w "$W" stats "$N" --bootstrap 0 --min-n 0
scan "show after judge" -- P -w "$W" show "$N" 1
scan "run error" -- P -w "$W" run "$T/err.lua" "$N"
[ "$(ran)" = 0 ] && fail "run error.lua succeeded"
scan "run ok" -- P -w "$W" run "$T/ok.lua" "$N"
scan "run missing" -- P -w "$W" run "$T/none$E.lua"
export N
printf '%s\n' 'it = ps.dataset(os.getenv("N")):item(1)' 'it.prompt' 'error(it.prompt)' \
    'it.tags' 'assert(nil, "nope" .. os.getenv("E"))' 'x = (' > "$T/repl.in"
n=$((n + 1))
P -w "$W" repl < "$T/repl.in" > "$T/o$n" 2> "$T/e$n"
scan_file_n=$n
scan "repl" -- sh -c "cat '$T/o$scan_file_n'; cat '$T/e$scan_file_n' >&2"
grep -q "prompt 0" "$T/o$scan_file_n" || fail "repl printed no prompt: $(head -c 300 "$T/o$scan_file_n")"
# JSON keeps the raw values
P -w "$W" show "$N" 1 --json | python3 -c '
import json, os, sys
E = os.environ["E"]
it = json.load(sys.stdin)
assert it["prompt"].endswith(E), ascii(it["prompt"])
assert it["tags"] == ["tag" + E], ascii(it["tags"])
' || fail "show --json lost the raw value"
P -w "$W" ls --json | python3 -c '
import json, os, sys
assert "evil" + os.environ["E"] in [d["name"] for d in json.load(sys.stdin)]' || fail "ls --json lost the raw name"
checks_done
