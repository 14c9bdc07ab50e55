#!/usr/bin/env bash
# kill -9 never corrupts the workspace or loses committed work:
#   - during an import: PRAGMA integrity_check is ok, nothing of the import is there
#     (no dataset, no items, no index entries), the next import does not wait;
#   - during an export: the workspace is untouched and the previous file intact;
#   - during a judge run: integrity ok, and the rerun sends exactly the calls that
#     had not finished (the server counts them), none twice.
# (kill -9 while labelling in the TUI: tests/tui/crash_label.sh; during an ICAI run, at
# each stage: tests/e2e/crash_icai.sh.)
command -v python3 > /dev/null || { echo "SKIP: python3 absent"; exit 77; }
. "$PS_TESTS/e2e/checks.bash"
cleanup() { exec 9>&- 2> /dev/null || true; wait 2> /dev/null || true; }
trap 'cleanup; rm -rf "$T"' EXIT
. "$PS_TESTS/e2e/fake_server.bash"
fake_server_start

integrity() { # WHAT: integrity_check ok and the FTS index consistent with the items
    python3 - "$W" "$1" << 'PY' || fail "$1: workspace damaged"
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
r = db.execute("PRAGMA integrity_check").fetchall()
assert r == [("ok",)], r
db.execute("INSERT INTO item_fts (item_fts) VALUES ('integrity-check')")
docs = db.execute("SELECT count(*) FROM item_fts_docsize").fetchone()[0]
items = db.execute("SELECT count(*) FROM item").fetchone()[0]
assert docs == items, (docs, items)
PY
}
count() { python3 -c 'import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute(sys.argv[2]).fetchone()[0])' "$W" "$1"; }

P -w "$W" import --name tour "$S/tour.jsonl" 2> /dev/null || fail "import tour"
python3 -c '
import json, sys
with open(sys.argv[1], "w") as f:
    for i in range(60000):
        f.write(json.dumps({"prompt": "p%d " % i + "word " * 20, "chosen": "c %d" % i, "rejected": "r"}) + "\n")' big.jsonl
items0=$(count "SELECT count(*) FROM item")

# import: killed at several points, from opening to the final index build
for delay in 0.2 0.8 2; do
    "$PS_BIN" -w "$W" import --name big big.jsonl > /dev/null 2>&1 &
    pid=$!
    sleep $delay
    kill -9 $pid 2> /dev/null
    wait $pid 2> /dev/null
    integrity "import killed after ${delay}s"
    # all or nothing: on a fast machine the import may have committed before the kill
    big=$(count "SELECT count(*) FROM item i JOIN dataset d ON d.id = i.dataset_id WHERE d.name = 'big'")
    { [ "$big" = 0 ] || [ "$big" = 60000 ]; } && [ "$(count "SELECT count(*) FROM item")" = $((items0 + big)) ] &&
        { [ "$big" = 60000 ] || [ "$(count "SELECT count(*) FROM dataset WHERE name = 'big'")" = 0 ]; } ||
        fail "import killed after ${delay}s left part of it behind ($big items)"
    if [ "$big" = 60000 ]; then # finished before the kill: remove it for the next round
        P -w "$W" run - <<< 'assert(ps.dataset("big"):delete())' || fail "delete big"
    fi
done
# the killed writer's lock info is stale: the next import neither waits nor fails
timeout 60 "$PS_BIN" -w "$W" import --name small "$S/trl_conversational.jsonl" > /dev/null 2> err || fail "import after the kills: $(cat err)"
grep -q "waiting for the workspace" err && fail "waited for a dead writer: $(cat err)"
integrity "import after the kills"

# export: the workspace is not written, the previous file stays whole
P -w "$W" export tour --format jsonl -o out.jsonl 2> /dev/null || fail "export"
cp out.jsonl before.jsonl
P -w "$W" import --name big big.jsonl 2> err || fail "import big: $(cat err)"
"$PS_BIN" -w "$W" export big --format csv -o out.jsonl > /dev/null 2>&1 &
pid=$!
sleep 0.5
kill -9 $pid 2> /dev/null
wait $pid 2> /dev/null
if ! cmp -s out.jsonl before.jsonl; then
    [ "$(wc -l < out.jsonl)" -gt 60000 ] || fail "export killed: out.jsonl is neither the old file nor the whole new one"
fi
integrity "export killed"

# judge: 8 pairs, both orders, one call in flight at a time, each answer 300 ms late
python3 -c '
for i in range(8):
    print("{\"prompt\":\"slow %d @@delay:300@@\",\"responses\":[{\"text\":\"a [[A]]\"},{\"text\":\"b\"}]}" % i)' > slow.jsonl
P -w "$W" import --name slow slow.jsonl 2> /dev/null || fail "import slow"
stats() { python3 -c 'import json, sys, urllib.request as u; print(json.load(u.urlopen("http://127.0.0.1:'"$PORT"'/_stats"))["requests"])'; }
python3 -c 'import urllib.request as u; u.urlopen(u.Request("http://127.0.0.1:'"$PORT"'/_reset", method="POST"))'
"$PS_BIN" -w "$W" judge slow --model slowj --base-url "$URL" --concurrency 1 --swap --json > /dev/null 2>&1 &
pid=$!
for _ in $(seq 1 100); do
    [ "$(count "SELECT count(*) FROM judgment WHERE annotator = 'llm:slowj'")" -ge 5 ] && break
    sleep 0.1
done
kill -9 $pid 2> /dev/null
wait $pid 2> /dev/null
integrity "judge killed"
done_before=$(count "SELECT count(*) FROM judgment WHERE annotator = 'llm:slowj'")
sent_before=$(stats)
[ "$done_before" -ge 5 ] && [ "$done_before" -lt 16 ] || fail "judge killed with $done_before of 16 judged (timing)"
P -w "$W" judge slow --model slowj --base-url "$URL" --concurrency 4 --swap --json > resume.json 2> /dev/null || fail "judge rerun"
sent_after=$(stats)
python3 - resume.json "$done_before" "$sent_before" "$sent_after" << 'PY' || fail "judge rerun did not send exactly the unfinished calls"
import json, sys
r = json.load(open(sys.argv[1]))
done, before, after = int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
new = after - before
# answers that reached the call log before the kill come from the cache, so the
# server sees at most the calls without a stored judgment, and at least those
# that had not been answered
assert r["skipped_done"] == done, (r, done)
assert new == r["requests"] - r["cached"], (new, r)
assert new <= 16 - done, (new, done)
PY
[ "$(count "SELECT count(*) FROM judgment WHERE annotator = 'llm:slowj'")" = 16 ] || fail "not 16 judgments after the rerun"
[ "$(count "SELECT count(*) FROM (SELECT item_id, response_a, response_b FROM judgment WHERE annotator = 'llm:slowj' GROUP BY 1, 2, 3 HAVING count(*) > 1)")" = 0 ] ||
    fail "a pair judged twice"
integrity "judge rerun"
checks_done
