#!/usr/bin/env bash
# recipes.synthetic_users against the fake LLM: personas from gen2 (JSON inside chatter;
# some answers hold none), per persona a seeded draw of questions with two answers
# each, labelled by pjudge speaking for the persona (concise users prefer the shorter
# reply, detailed ones the longer).  The personas are recomputed from the requests the
# server saw; every item must carry its persona, tag and user annotator, every verdict
# must follow the persona's style, failed personas must have no items; a rerun sends
# nothing; the dry run sends nothing.
set -uo pipefail
. "$PS_TESTS/e2e/recipes_lib.bash"
SEED=${RECIPES_SEED:-$RANDOM}
echo "seed $SEED"
python3 - "$T/q.jsonl" "$SEED" << 'P'
import json, random, sys
rnd = random.Random(int(sys.argv[2]))
with open(sys.argv[1], "w") as f:
    for i in range(rnd.randint(4, 12)):
        f.write(json.dumps({"id": "q%d" % i, "prompt": "question %d %d" % (i, rnd.randint(0, 10**6)),
                            "responses": [{"text": "x"}]}) + "\n")
P
"$PS_BIN" -w "$W" import --name qs "$T/q.jsonl" > /dev/null || bad "import"
NQ=$(wc -l < "$T/q.jsonl"); U=$(( SEED % 5 + 3 )); K=$(( SEED % 3 + 2 ))
R=(run -m recipes.synthetic_users --dataset qs --generator gen2 --judge pjudge --users "$U" --per-user "$K" --seed "$SEED")
"${PS[@]}" "${R[@]}" --dry-run > /dev/null || bad "dry run"
[ "$(requests)" = 0 ] || bad "the dry run sent requests"
"${PS[@]}" "${R[@]}" --json > "$T/run.json" 2> "$T/run.err" || { bad "run"; cat "$T/run.err"; }
curl -s "http://127.0.0.1:$PORT/_requests" > "$T/requests.json"
python3 - "$W" "$T/run.json" "$T/requests.json" "$U" "$K" "$NQ" "$PS_TESTS/e2e" << 'P' || bad "users"
import json, re, sqlite3, sys
sys.path.insert(0, sys.argv[7])
import recipes_responder as rr
con = sqlite3.connect(sys.argv[1]); res = json.load(open(sys.argv[2])); log = json.load(open(sys.argv[3]))
U, K, NQ = int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
personas = {}
for e in log:
    prompt = e["body"]["messages"][-1]["content"]
    m = re.search(r"Invent persona number (\d+) of (\d+)", prompt)
    if m:
        text = rr.persona(prompt)
        j = re.search(r"\{.*\}", text)
        personas[int(m.group(1))] = json.loads(j.group(0)) if j else None
assert sorted(personas) == list(range(1, U + 1)), personas
ok = [u for u in personas if personas[u]]
assert res["users"] == len(ok) and res["persona_failures"] == U - len(ok), res
rows = con.execute("""SELECT i.id, i.key, i.meta FROM item i JOIN dataset d ON d.id = i.dataset_id
    WHERE d.name = 'qs-users'""").fetchall()
assert len(rows) == len(ok) * min(K, NQ) == res["written"], (len(rows), ok, res)
for iid, key, meta in rows:
    m = json.loads(meta); u = int(key.split("/")[0].split("-")[1])
    assert m["user"] == u and m["persona"] == personas[u] and m["recipe"] == "synthetic_users", (m, personas[u])
    assert ("style: " + personas[u]["style"]) in m["persona_text"], m["persona_text"]
    a, b = [t for (t,) in con.execute("SELECT text FROM response WHERE item_id = ? ORDER BY idx", (iid,))]
    (v, ann), = con.execute("SELECT verdict, annotator FROM judgment WHERE item_id = ?", (iid,)).fetchall()
    want = rr.persona_judge("style: " + personas[u]["style"], "# Reply A\n%s\n\n# Reply B\n%s" % (a, b))[2:-2]
    assert ann == "user:%d" % u and v == want, (v, want, personas[u]["style"], a, b)
    (tag,), = con.execute("SELECT tag FROM tag WHERE item_id = ?", (iid,)).fetchall()
    assert tag == "user-%d" % u, tag
P
before=$(requests)
"${PS[@]}" "${R[@]}" > /dev/null 2>&1 || bad "rerun"
[ "$(requests)" = "$before" ] || bad "the rerun sent requests"
finish
