#!/bin/bash
# / search (n, "M of N") and the match= filter also find items by their tags and
# notes: random tags and notes (mixed case, LIKE wildcards in them) and random
# queries (words, OR, -word, prompt:), the items found checked against a python
# evaluation of the same query (tokens of the item's text, substrings of its tags
# and notes).
. "$PS_TESTS/tui/lib.bash"
tui_setup
require sqlite3 python3
N=30
pairs_workspace $N
SEED=${SEARCH_SEED:-$(date +%s)}
echo "seed $SEED (SEARCH_SEED=$SEED reruns this case)"

# Tags and notes written straight into the workspace, as a script would.
python3 - "$WS" "$SEED" > "$T/queries" <<'PY'
import random, sqlite3, sys
rnd = random.Random(int(sys.argv[2]))
db = sqlite3.connect(sys.argv[1])
ids = [r[0] for r in db.execute("SELECT id FROM item ORDER BY seq")]
vocab = ["urgent", "recheck", "toxic", "lengthy", "quokka", "zanzibar"]
for i in ids:
    if rnd.random() < 0.35:
        db.execute("INSERT INTO tag (item_id, tag) VALUES (?, ?)", (i, rnd.choice(vocab)))
    if rnd.random() < 0.35:
        w = rnd.choice(vocab)
        w = w.upper() if rnd.random() < 0.3 else w
        db.execute("INSERT INTO note (item_id, author, text) VALUES (?, 'human:tester', ?)",
                   (i, rnd.choice(["please %s this one", "%s!", "a 100%% %s case", "x_%s_y"]) % w))
db.commit()
qs = ["100%", "x_"]
for _ in range(8):
    a, b = rnd.sample(vocab, 2)
    qs.append(rnd.choice([a, a + " " + b, a + " OR " + b, a + " -" + b, "prompt:" + a + " OR " + b]))
print("\n".join(qs))
PY

# expected QUERY: the item numbers (1-based seq) that match, one per line
expected() {
    python3 - "$WS" "$T/pairs.jsonl" "$1" <<'PY'
import json, re, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
rows = [json.loads(l) for l in open(sys.argv[2])]
def toks(s): return set(re.findall(r"[0-9a-z]+", s.lower()))
texts = []
for r in rows:
    prompt = " ".join([r["system"], r["prompt"]] + [h["content"] for h in r["history"]])
    texts.append((toks(prompt), toks(" ".join(x["text"] for x in r["responses"]))))
tn = {}
for seq, t in db.execute("SELECT i.seq, t.tag FROM tag t JOIN item i ON i.id = t.item_id"
                         " UNION ALL SELECT i.seq, n.text FROM note n JOIN item i ON i.id = n.item_id"):
    tn[seq] = tn.get(seq, "") + "\n" + t.lower()
terms = sys.argv[3].split()
def evaluate(k, leaf):
    # positives joined by AND, with OR binding looser; -word: must not occur
    groups, neg, cur, join_or = [], [], [], False
    for t in terms:
        if t == "OR": join_or = True; continue
        if t.startswith("-"): neg.append(t[1:]); continue
        if join_or and cur: groups.append(cur); cur = []
        cur.append(t); join_or = False
    groups.append(cur)
    return any(all(leaf(k, t) for t in g) for g in groups) and not any(leaf(k, t) for t in neg)
def in_text(k, t):
    col = None
    if t.startswith("prompt:"): col, t = 0, t[7:]
    words = re.findall(r"[0-9a-z]+", t.lower())
    where = texts[k][0] | texts[k][1] if col is None else texts[k][col]
    return all(w in where for w in words)
def in_tn(k, t):
    return not t.startswith("prompt:") and t.lower() in tn.get(k, "")
for k in range(len(rows)):
    if evaluate(k, in_text) or evaluate(k, in_tn):
        print(k + 1)
PY
}

tui_start 160 40 tui -w "$WS" -d pairs
wait_for "[items] 1/$N"
while IFS= read -r q; do
    want=$(expected "$q" | sort -n | tr '\n' ' ')
    m=$(echo "$want" | wc -w)
    # from the last item, so that the first hit is the first match (wrapped)
    keys G
    wait_for "[items] $N/$N"
    keys /
    type_text "$q"
    keys Enter
    if [ "$m" = 0 ]; then
        wait_for "[/$q]"; wait_for "$q: no match"
        got=""
    else
        got=""
        for r in $(seq 1 "$m"); do
            [ "$r" = 1 ] || keys n
            wait_for "/$q: match $r of $m, item "
            got="$got $(screen | grep -oE "/$q: match $r of $m, item [0-9]+" | grep -oE '[0-9]+$')"
        done
        got=$(echo $got | tr ' ' '\n' | sort -n | tr '\n' ' ')
    fi
    [ "$got" = "$want" ] || fail "/$q found items '$got', expected '$want' (seed $SEED)"
    # the same query as a filter
    keys f C-u
    type_text "off match=$q"
    keys Enter
    if [ "$m" = 0 ]; then wait_for "No item matches the filter"; else wait_for "[items] 1/$m"; fi
    keys f C-u
    type_text "off"
    keys Enter
    wait_for "[items] 1/$N"
done < "$T/queries"

# A tag added by another process: the list shows it within a second, / finds it,
# and the word stands out in the tag (an attribute starts right at it, after "#").
sqlite3 "$WS" "INSERT INTO tag (item_id, tag) SELECT id, 'zzfind' FROM item WHERE key = 'k3'"
wait_for "#zzfind"
keys /
type_text zzfind
keys Enter
wait_for "/zzfind: match 1 of 1, item 3"
wait_for_e $'\e\\[[0-9;]*mzzfind'
keys Q
wait_for "[exited 0]"
echo ok
