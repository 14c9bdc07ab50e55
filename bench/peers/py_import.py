#!/usr/bin/env python3
"""Peer for bench/import_bench.sh: a plain stdlib importer of HH-RLHF JSON Lines.

    python3 bench/peers/py_import.py FILE.jsonl OUT.db

Does the work prefscope's import does, the obvious way: json per line, the HH
transcripts split at the last "\n\nAssistant:" of their shared prefix into history
turns (JSON), final prompt and two responses; items, responses and a judgment
(chosen = A) per record, one FTS5 column over prompt + history + responses
(default tokenizer options as prefscope's), all in one transaction."""
import json, sqlite3, sys

A, H = "\n\nAssistant:", "\n\nHuman:"
db = sqlite3.connect(sys.argv[2], isolation_level=None)
db.executescript("""PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;
CREATE TABLE item (id INTEGER PRIMARY KEY, key TEXT UNIQUE, history TEXT, prompt TEXT);
CREATE TABLE response (id INTEGER PRIMARY KEY, item_id INTEGER REFERENCES item(id),
  idx INTEGER, text TEXT, UNIQUE (item_id, idx));
CREATE TABLE judgment (id INTEGER PRIMARY KEY, item_id INTEGER REFERENCES item(id),
  response_a INTEGER, response_b INTEGER, verdict TEXT);
CREATE INDEX judgment_item ON judgment(item_id);
CREATE VIRTUAL TABLE item_fts USING fts5(text, tokenize='unicode61 remove_diacritics 2');""")
db.execute("BEGIN")
for line in open(sys.argv[1], encoding="utf-8"):
    r = json.loads(line)
    c, x = r["chosen"], r["rejected"]
    cut = c.rfind(A)  # the last "Assistant:" that both transcripts share ends the context
    while cut > 0 and not x.startswith(c[:cut + len(A)]):
        cut = c.rfind(A, 0, cut)
    cut = max(cut, 0)
    turns = []
    for part in c[:cut].split(H)[1:]:
        h, _, a = part.partition(A)
        turns += [{"role": "user", "content": h.strip()}] + ([{"role": "assistant", "content": a.strip()}] if _ else [])
    prompt = turns.pop()["content"] if turns and turns[-1]["role"] == "user" else None
    ra, rb = c[cut + len(A):].strip(), x[cut + len(A):].strip()
    item = db.execute("INSERT INTO item (key, history, prompt) VALUES (?, ?, ?)",
                      (r["id"], json.dumps(turns), prompt)).lastrowid
    ia = db.execute("INSERT INTO response (item_id, idx, text) VALUES (?, 0, ?)", (item, ra)).lastrowid
    ib = db.execute("INSERT INTO response (item_id, idx, text) VALUES (?, 1, ?)", (item, rb)).lastrowid
    db.execute("INSERT INTO judgment (item_id, response_a, response_b, verdict) VALUES (?, ?, ?, 'A')",
               (item, ia, ib))
    text = " ".join([t["content"] for t in turns] + [prompt or "", ra, rb])
    db.execute("INSERT INTO item_fts (rowid, text) VALUES (?, ?)", (item, text))
db.execute("COMMIT")
