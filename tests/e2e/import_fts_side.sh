#!/usr/bin/env bash
# The first import into a new workspace builds its full-text index on a second
# thread, in a staging file beside the workspace, and copies it in before COMMIT
# (src/store/fts_side.c).  Checked here:
#   - search finds exactly the items an independent Python tokenizer says contain a
#     word, or a phrase (adjacent words), in the prompt or the responses column;
#   - records that merge into items of the same import (same id) leave the index
#     consistent with the merged text (FTS5 integrity-check against the content);
#   - kill -9 during the import, at several points: the workspace has nothing of
#     it, and no staging file is left once the workspace is opened again;
#   - a second import into the same workspace (inline index) finds old and new;
#   - a large first import (80,000 items: indexes and triggers dropped at 20,000,
#     built again at the end) leaves the same indexes and triggers as a small one.
command -v python3 > /dev/null || { echo "SKIP: python3 absent"; exit 77; }
. "$PS_TESTS/e2e/checks.bash"

python3 - << 'PY'
import json, random
rnd = random.Random(16)
words = ["otter", "badger", "heron", "stork", "walrus", "ferret", "crane", "mole",
         "vole", "lynx", "quokka", "ibis"]
hostile = ["\u001b[31m", "\"", "NEAR(", "*", "AND", "'; --", "\u00e9t\u00e9", "\u4e2d\u6587"]
def text(n):
    out = []
    for _ in range(n):
        out.append(rnd.choice(words) if rnd.random() < 0.8 else rnd.choice(hostile))
    return " ".join(out)
with open("small.jsonl", "w") as f:
    for i in range(3000):
        key = "k%d" % rnd.randrange(2000)  # repeated ids: later records merge
        rec = {"key": key, "prompt": text(rnd.randrange(1, 8)),
               "responses": [{"text": text(rnd.randrange(0, 10))} for _ in range(rnd.randrange(1, 3))]}
        f.write(json.dumps(rec, ensure_ascii=False) + "\n")
with open("big.jsonl", "w") as f:
    for i in range(80000):
        f.write(json.dumps({"prompt": "p%d %s" % (i, text(12)), "chosen": text(20),
                            "rejected": text(15)}) + "\n")
PY

P -w "$W" import --name small small.jsonl > /dev/null 2> err || fail "import small: $(cat err)"
ls "$W"-ftsbuild-* > /dev/null 2>&1 && fail "staging file left after the import"

# independent check: the rows say which items contain each word / phrase
python3 - "$W" << 'PY' || fail "search differs from the independent tokenizer"
import re, sqlite3, sys, unicodedata
db = sqlite3.connect(sys.argv[1])
db.execute("INSERT INTO item_fts (item_fts, rank) VALUES ('integrity-check', 1)")
items = {}
for iid, prompt, resp in db.execute("SELECT id, prompt, responses FROM item_text"):
    items[iid] = (prompt, resp)
def toks(s):  # unicode61 remove_diacritics 2: letters and digits, folded
    s = "".join(c for c in unicodedata.normalize("NFD", s) if not unicodedata.combining(c))
    return [t.lower() for t in re.findall(r"[^\W_]+", s)]
bad = 0
queries = ["otter", "quokka", "ibis", "near", "and", "ete", "\u4e2d\u6587"]
phrases = [("otter", "badger"), ("heron", "heron"), ("crane", "mole")]
def has_phrase(ts, p):
    return any(ts[i:i + len(p)] == list(p) for i in range(len(ts)))
for col in (None, "prompt", "responses"):
    for q in queries + phrases:
        if isinstance(q, tuple):
            want = {i for i, (p, r) in items.items()
                    if any(has_phrase(toks(t), q) for c, t in (("prompt", p), ("responses", r))
                           if col in (None, c))}
            fq = '"%s"' % " ".join(q)
        else:
            want = {i for i, (p, r) in items.items()
                    if any(q in toks(t) for c, t in (("prompt", p), ("responses", r))
                           if col in (None, c))}
            fq = '"%s"' % q
        if col:
            fq = "%s:%s" % (col, fq)
        got = {r[0] for r in db.execute("SELECT rowid FROM item_fts WHERE item_fts MATCH ?", (fq,))}
        if got != want or not want:
            bad += 1
            print("query", fq, "got", len(got), "want", len(want))
# the import runs without foreign-key checks: every reference must hold anyway
fk = db.execute("PRAGMA foreign_key_check").fetchall()
if fk:
    bad += 1
    print("foreign keys broken:", fk[:5])
n = db.execute("SELECT count(*) FROM item").fetchone()[0]
docs = db.execute("SELECT count(*) FROM item_fts_docsize").fetchone()[0]
if n != docs or n >= 3000:
    bad += 1
    print("items", n, "documents", docs)
sys.exit(1 if bad else 0)
PY

# kill -9 while the first import of a workspace runs (both threads busy): into an
# existing workspace without items (side index), and into a new one (built under a
# temporary name, store_open_new: the workspace must not appear at all)
integrity() { # WS WHAT: integrity ok, no items, no index entries
    python3 - "$1" "$2" << 'PY' || fail "$2: workspace damaged or half-imported"
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
items = db.execute("SELECT count(*) FROM item").fetchone()[0]
docs = db.execute("SELECT count(*) FROM item_fts_docsize").fetchone()[0]
db.execute("INSERT INTO item_fts (item_fts) VALUES ('integrity-check')")
assert (items, docs) in ((0, 0), (80000, 80000)), (items, docs)
PY
}
printf '{"prompt": "tiny", "chosen": "a", "rejected": "b"}\n' > tiny.jsonl
for new in 0 1; do
    for delay in 0.3 1 2.5; do
        K=$T/k$new.db
        rm -f "$K" "$K"-*
        if [ $new = 0 ]; then # a workspace whose only dataset was deleted: no items
            P -w "$K" import --name tiny tiny.jsonl > /dev/null 2>&1 || fail "import tiny"
            P -w "$K" run - <<< 'assert(ps.dataset("tiny"):delete())' || fail "delete tiny"
        fi
        "$PS_BIN" -w "$K" import --name big big.jsonl > /dev/null 2>&1 &
        pid=$!
        sleep $delay
        kill -9 $pid 2> /dev/null
        wait $pid 2> /dev/null
        if [ $new = 1 ] && [ -e "$K" ]; then
            integrity "$K" "new workspace, import killed after ${delay}s"
        elif [ $new = 0 ]; then
            integrity "$K" "import killed after ${delay}s"
        fi
        # the next import (a first one again, unless the killed one had finished)
        P -w "$K" import --name tiny tiny.jsonl > /dev/null 2> err || fail "import after the kill: $(cat err)"
        ls "$K"-ftsbuild-* "$K"-new-* > /dev/null 2>&1 &&
            fail "temporary files left after a kill at ${delay}s (new=$new) and a reopen: $(ls "$K"-*)"
        python3 - "$K" << 'PY' || fail "after the kill at ${delay}s (new=$new): not whole"
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
db.execute("INSERT INTO item_fts (item_fts, rank) VALUES ('integrity-check', 1)")
items = db.execute("SELECT count(*) FROM item").fetchone()[0]
docs = db.execute("SELECT count(*) FROM item_fts_docsize").fetchone()[0]
assert items == docs and items in (1, 80001), (items, docs)
assert db.execute("SELECT count(*) FROM item_fts WHERE item_fts MATCH 'tiny'").fetchone()[0] == 1
PY
    done
done

# the second import into a workspace with items indexes inline; both are found
P -w "$W" import --name big big.jsonl > /dev/null 2> err || fail "second import: $(cat err)"
python3 - "$W" << 'PY' || fail "index after a second import"
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.execute("INSERT INTO item_fts (item_fts, rank) VALUES ('integrity-check', 1)")
n = db.execute("SELECT count(*) FROM item").fetchone()[0]
docs = db.execute("SELECT count(*) FROM item_fts_docsize").fetchone()[0]
p = db.execute("SELECT count(*) FROM item_fts WHERE item_fts MATCH 'p79999'").fetchone()[0]
assert n == docs and p == 1, (n, docs, p)
assert db.execute("PRAGMA foreign_key_check").fetchall() == []
PY
# foreign keys are back on after an import: in the same process, deleting the
# dataset cascades to its rows (ps.import, then delete)
printf '{"prompt":"a","chosen":"x","rejected":"y"}\n{"prompt":"b","chosen":"x","rejected":"z"}\n' > two.jsonl
L=$T/lua.db
P -w "$L" run - << 'EOF' || fail "lua import then delete"
local d, msg = ps.import({"two.jsonl"}, {name = "two"})
assert(d, msg)
assert(ps.dataset("two"):delete())
EOF
left=$(python3 -c 'import sqlite3, sys; db = sqlite3.connect(sys.argv[1]); print(*db.execute("SELECT (SELECT count(*) FROM response), (SELECT count(*) FROM judgment), (SELECT count(*) FROM item_stat)").fetchone())' "$L")
[ "$left" = "0 0 0" ] || fail "rows left after deleting an imported dataset (foreign keys off?): $left"
# A new workspace's import keeps the secondary indexes and the item_stat triggers
# dropped until its end (80,000 items: dropped at 20,000; a new file sorts in
# temporary files, so they are built once whatever the size) and must end with
# exactly the indexes and triggers a small import leaves, and use them.
N=$T/new80k.db
P -w "$N" import --name big big.jsonl > /dev/null 2> err || fail "import into a new workspace: $(cat err)"
python3 - "$N" "$L" << 'PY' || fail "indexes or triggers after a large first import differ from a small one's"
import sqlite3, sys
def objs(p):
    return sorted(sqlite3.connect(p).execute(
        "SELECT type, name, sql FROM sqlite_master WHERE type IN ('index', 'trigger')").fetchall())
a, b = objs(sys.argv[1]), objs(sys.argv[2])
assert a and a == b, sorted(set(a) ^ set(b))
db = sqlite3.connect(sys.argv[1])
plan = " ".join(r[3] for r in db.execute("EXPLAIN QUERY PLAN SELECT * FROM judgment WHERE item_id = 5"))
assert "judgment_item" in plan, plan
assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
PY
checks_done
