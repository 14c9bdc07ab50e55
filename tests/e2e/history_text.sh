#!/usr/bin/env bash
# The history's indexed text (schema migration 6): computed once per item in one pass,
# stored in item.history_text, equal to the text of the turns joined by spaces.
# Randomized histories (string, number, null, missing and nested contents, odd roles)
# are checked against Python's own computation; a word of any turn is found by
# search; a version-5 workspace is migrated and keeps its index consistent.
command -v python3 > /dev/null || { echo "SKIP: python3 absent"; exit 77; }
. "$PS_TESTS/e2e/checks.bash"
python3 - > in.jsonl << 'PY'
import json, random
rnd = random.Random(15)
words = ["alpha", "beta", "gamma", "delta", "ünï", "中文", "x\"q", "back\\slash"]
for i in range(60):
    hist = []
    for t in range(rnd.randrange(0, 12)):
        kind = rnd.randrange(6)
        m = {"role": rnd.choice(["user", "assistant", "tool"])}
        if kind <= 2:
            m["content"] = " ".join(rnd.choice(words) for _ in range(rnd.randrange(1, 5))) + " w%dt%d" % (i, t)
        elif kind == 3:
            m["content"] = rnd.randrange(100)
        elif kind == 4:
            m["content"] = None
        # kind 5: no content
        hist.append(m)
    print(json.dumps({"prompt": "q%d" % i, "history": hist,
                      "responses": [{"text": "a"}, {"text": "b"}]}, ensure_ascii=False))
PY
P -w "$W" import --name h in.jsonl 2> /dev/null || fail "import"
python3 - "$W" in.jsonl << 'PY' || fail "history_text differs from the turns' text"
import json, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
recs = [json.loads(l) for l in open(sys.argv[2], encoding="utf-8")]
rows = db.execute("SELECT i.prompt, i.history_text FROM item i ORDER BY i.seq").fetchall()
assert len(rows) == len(recs)
bad = 0
for (prompt, got), r in zip(rows, recs):
    parts = []
    for m in r["history"]:
        c = m.get("content")
        if c is None:
            continue
        parts.append(c if isinstance(c, str) else json.dumps(c))
    want = " ".join(parts) if parts else None
    if got != want:
        bad += 1
        print("item", prompt, "got", repr(got), "want", repr(want))
sys.exit(1 if bad else 0)
PY
# every turn's marker word is found, and only in its item
python3 - in.jsonl > words.txt << 'PY'
import json, sys
for i, l in enumerate(open(sys.argv[1], encoding="utf-8")):
    for t, m in enumerate(json.loads(l)["history"]):
        if isinstance(m.get("content"), str):
            print(i + 1, "w%dt%d" % (i, t))
PY
[ -s words.txt ] || fail "no words to search"
awk 'NR % 7 == 1' words.txt | while read -r n w; do
    got=$(printf 'local s = {}\nfor it in ps.dataset("h"):items{ search = "%s" } do s[#s + 1] = it.seq end\nprint(table.concat(s, ","))\n' "$w" | P -w "$W" run -)
    [ "$got" = "$n" ] || fail "search $w: items '$got', want $n"
done

# a version-5 workspace (history_text missing, migration 4's view) is migrated
python3 - "$W" << 'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.executescript("""
DROP TABLE IF EXISTS setting;
DROP VIEW item_text;
ALTER TABLE item DROP COLUMN history_text;
ALTER TABLE dataset DROP COLUMN import_state;
ALTER TABLE dataset DROP COLUMN import_pid;
ALTER TABLE dataset DROP COLUMN import_records;
CREATE VIEW item_text AS SELECT i.id AS id,
  coalesce(i.system,'') || ' ' || coalesce((WITH RECURSIVE k(n) AS (SELECT 0 UNION ALL
    SELECT n + 1 FROM k WHERE n + 1 < json_array_length(i.history))
    SELECT group_concat(json_extract(i.history, '$[' || n || '].content'), ' ') FROM k
    WHERE json_valid(i.history)), '')
  || ' ' || coalesce(i.prompt,'') AS prompt,
  coalesce((SELECT group_concat(t, ' ') FROM
    (SELECT coalesce(r.text,'') AS t FROM response r WHERE r.item_id = i.id ORDER BY r.idx)),'')
  AS responses FROM item i;
PRAGMA user_version = 5;
""")
db.commit()
PY
P -w "$W" ls > /dev/null 2>&1 || fail "ls on a version-5 workspace"
python3 - "$W" << 'PY' || fail "migrated workspace: index or text inconsistent"
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
assert db.execute("PRAGMA user_version").fetchone()[0] >= 6
filled = db.execute("SELECT count(*) FROM item WHERE history_text IS NOT NULL").fetchone()[0]
want = db.execute("SELECT count(*) FROM item WHERE EXISTS (SELECT 1 FROM json_each(item.history)"
                  " WHERE json_type(value, '$.content') IN ('text', 'integer'))").fetchone()[0]
assert filled == want and want > 20, (filled, want)
db.execute("INSERT INTO item_fts (item_fts) VALUES ('integrity-check')")
assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
PY
# deleting the dataset removes its index entries with the text they were indexed with
P -w "$W" import --replace --name h in.jsonl 2> /dev/null || fail "replace"
python3 -c '
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.execute("INSERT INTO item_fts (item_fts) VALUES (\"integrity-check\")")' "$W" || fail "index inconsistent after --replace"
# HH transcripts: the importer passes the turns' text itself (ps_record.history_text);
# it must be what the stored JSON says, for random turns (empty ones, quotes,
# backslashes, control and multi-byte characters, irregular pairs)
python3 - > hh.jsonl << 'PY'
import json, random
rnd = random.Random(16)
words = ["alpha", "", "ünï", "中文", 'q"uote', "back\\slash", "esc\x1b[31m", "tab\tx", "  two"]
for i in range(80):
    t = "".join("\n\n%s: %s" % ("Human" if k % 2 == 0 else "Assistant",
                                 " ".join(rnd.choice(words) for _ in range(rnd.randrange(0, 4))))
                for k in range(rnd.randrange(1, 8) | 1))
    a, b = t + "\n\nAssistant: yes %d" % i, t + "\n\nAssistant: no"
    if i % 9 == 0:
        b = "\n\nHuman: other" + b
    print(json.dumps({"chosen": a, "rejected": b}, ensure_ascii=False))
PY
P -w "$W" import --name hh hh.jsonl 2> /dev/null || fail "import HH"
python3 - "$W" << 'PY' || fail "HH history_text differs from the stored turns"
import json, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
rows = db.execute("SELECT i.history, i.history_text FROM item i JOIN dataset d"
                  " ON d.id = i.dataset_id WHERE d.name = 'hh'").fetchall()
assert len(rows) == 80
n = 0
for hist, text in rows:
    want = " ".join(m["content"] for m in json.loads(hist)) if hist else None
    assert text == want, (hist, text)
    n += hist is not None
assert n > 50, n
PY
# a history filled in by a later record (--append onto items that had none) brings
# its text along: stored, indexed, found by search; random histories, both paths (a
# few items: per-row; many: the importer's bulk mode)
for n in 3 1500; do
python3 - "$n" << 'PY'
import json, random, sys
n = int(sys.argv[1]); rnd = random.Random(n)
with open("first.jsonl", "w") as f, open("later.jsonl", "w") as g:
    for i in range(n):
        f.write(json.dumps({"id": "k%d" % i, "prompt": "p%d" % i, "a": "x", "b": "y"}) + "\n")
        if i % 2 == 0:
            hist = [{"role": rnd.choice(["user", "assistant"]),
                     "content": rnd.choice(["ünï", "plain", 'q"t']) + " fillword%d" % i}
                    for _ in range(rnd.randrange(1, 4))]
            g.write(json.dumps({"id": "k%d" % i, "prompt": "p%d" % i, "hist": hist}, ensure_ascii=False) + "\n")
PY
P -w "$W" import --name "fill$n" --map 'id=id,prompt=prompt,a=a,b=b' first.jsonl 2> /dev/null || fail "fill: first import"
P -w "$W" import --name "fill$n" --append --map 'id=id,prompt=prompt,history=hist' later.jsonl 2> /dev/null \
    || fail "fill: --append"
python3 - "$W" "fill$n" << 'PY' || fail "fill $n: history_text of a filled-in history"
import json, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
rows = db.execute("SELECT i.history, i.history_text FROM item i JOIN dataset d"
                  " ON d.id = i.dataset_id WHERE d.name = ?", (sys.argv[2],)).fetchall()
filled = 0
for hist, text in rows:
    want = " ".join(m["content"] for m in json.loads(hist)) if hist else None
    assert text == want, (hist, text)
    filled += hist is not None
assert filled == (len(rows) + 1) // 2, filled
db.execute("INSERT INTO item_fts (item_fts) VALUES ('integrity-check')")
PY
got=$(printf 'local n = 0\nfor _ in ps.dataset("fill%s"):items{ search = "fillword2" } do n = n + 1 end\nprint(n)\n' "$n" | P -w "$W" run -)
[ "$got" = 1 ] || fail "fill $n: search for a filled-in history's word found '$got' items, want 1"
done
checks_done
