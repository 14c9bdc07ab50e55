# Shared set-up of the recipe tests: a fake LLM with recipes_responder.py, a config
# naming one model per judge behaviour, counters read from the server.
: "${PS_BIN:?PS_BIN not set}"
: "${PS_TESTS:?PS_TESTS not set}"
command -v python3 > /dev/null || { echo "SKIP: python3 absent"; exit 77; }
T=$(mktemp -d)
SRV=
cleanup() { [ -n "$SRV" ] && kill "$SRV" 2> /dev/null; wait 2> /dev/null; rm -rf "$T"; }
trap cleanup EXIT
FAILS=0
bad() { echo "FAIL: $*"; FAILS=$((FAILS + 1)); }
python3 "$PS_TESTS/e2e/fake_llm.py" --ports 1 --responder "$PS_TESTS/e2e/recipes_responder.py" \
    < /dev/zero > "$T/ports" 2> "$T/fake.err" &
SRV=$!
for _ in $(seq 1 100); do grep -q PORTS "$T/ports" 2> /dev/null && break; sleep 0.05; done
PORT=$(awk '/PORTS/ {print $2}' "$T/ports")
[ -n "$PORT" ] || { echo "fake server did not start"; cat "$T/fake.err"; exit 1; }
{
    echo "models = {"
    for m in fair firsty secondy mixed noisy broken gen1 gen2 gen3 scorer rater explainer pjudge nolp llamacpp strong weak rm nopool; do
        echo "  $m = { provider = 'openai', base_url = 'http://127.0.0.1:$PORT/v1', model = '$m', concurrency = 8, price_in = 1, price_out = 2 },"
    done
    echo "}"
} > "$T/cfg.lua"
W="$T/ws.db"
PS=("$PS_BIN" -w "$W" --config "$T/cfg.lua")
requests() { # number of requests the server has answered
    python3 -c 'import json,sys,urllib.request; print(json.load(urllib.request.urlopen("http://127.0.0.1:%s/_stats" % sys.argv[1]))["requests"])' "$PORT"
}
finish() { [ "$FAILS" -eq 0 ] && echo "all checks passed" || { echo "$FAILS failures"; exit 1; }; }
# prompts_dataset SEED MIN MAX: a seeded random number (MIN..MAX) of prompts imported as
# dataset "src" (file $T/prompts.jsonl); sets N to their number.
prompts_dataset() {
    python3 - "$T/prompts.jsonl" "$1" "$2" "$3" << 'P'
import json, random, sys
rnd = random.Random(int(sys.argv[2]))
with open(sys.argv[1], "w") as f:
    for i in range(rnd.randint(int(sys.argv[3]), int(sys.argv[4]))):
        f.write(json.dumps({"id": "p%d" % i, "prompt": "write %d %d" % (i, rnd.randint(0, 10**9)),
                            "responses": [{"text": "seed answer"}]}) + "\n")
P
    "$PS_BIN" -w "$W" import --name src "$T/prompts.jsonl" > /dev/null || bad "import"
    N=$(wc -l < "$T/prompts.jsonl")
}
