#!/bin/bash
# prefscope rank on the Arena-Hard battles (shared/data/arena_hard_battles): every battle
# is against claude-3-haiku, a star graph, where the Bradley-Terry MLE has a closed form:
# rating(m) - rating(haiku) = 400*log10(W_m / L_m) with ties as half wins.  Online Elo
# (k=4, start 1000, file order) is recomputed here independently.
set -eu
D="${PS_DATA:-}/arena_hard_battles"
[ -d "$D" ] || { echo "SKIP: $D absent"; exit 77; }
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
W="$T/ws.db"
"$PS_BIN" -w "$W" import --name arena "$D/arena_hard_battles.jsonl" >/dev/null
"$PS_BIN" -w "$W" rank arena --json --prior 0 --bootstrap 200 >"$T/r.json"
python3 - "$T/r.json" "$D/arena_hard_battles.jsonl" <<'PY'
import json, math, sys
lb = json.load(open(sys.argv[1]))["leaderboard"]
rows = [json.loads(l) for l in open(sys.argv[2])]
m = {e["model"]: e for e in lb["models"]}
bad = 0
base = "claude-3-haiku-20240307"
wins = {}
for r in rows:
    b = r["model_b"]
    s = {"model_b": 1.0, "model_a": 0.0, "tie": 0.5}[r["winner"]]
    w, n = wins.get(b, (0.0, 0))
    wins[b] = (w + s, n + 1)
for b, (w, n) in sorted(wins.items()):
    want = 400 * math.log10(w / (n - w))
    got = m[b]["bt"]["value"] - m[base]["bt"]["value"]
    lo, hi = m[b]["bt"]["ci"]
    ok = abs(got - want) < 1e-4 and lo < m[b]["bt"]["value"] < hi and m[b]["battles"] == n
    print("%-28s BT gap %.4f (closed form %.4f) %s" % (b, got, want, "ok" if ok else "FAIL"))
    bad += not ok
# online Elo in file order
R = {}
for r in rows:
    a, b = r["model_a"], r["model_b"]
    ra, rb = R.get(a, 1000.0), R.get(b, 1000.0)
    s = {"model_a": 1.0, "model_b": 0.0, "tie": 0.5}[r["winner"]]
    ea = 1 / (1 + 10 ** ((rb - ra) / 400))
    R[a] = ra + 4 * (s - ea)
    R[b] = rb - 4 * (s - ea)
for k, v in R.items():
    if abs(m[k]["elo"]["value"] - v) > 1e-6:
        print("elo", k, m[k]["elo"]["value"], v); bad += 1
if lb["battles"] != 2136 or [e["model"] for e in lb["models"]][0] != "claude-3-5-sonnet-20240620":
    print("battles/order", lb["battles"]); bad += 1
sys.exit(1 if bad else 0)
PY
# the bootstrap runs on two threads: the same seed gives the same bytes, another seed
# other intervals
"$PS_BIN" -w "$W" rank arena --json --prior 0 --bootstrap 200 >"$T/r2.json"
cmp "$T/r.json" "$T/r2.json" || { echo "same seed, different output"; exit 1; }
"$PS_BIN" -w "$W" rank arena --json --prior 0 --bootstrap 200 --seed 2 >"$T/r3.json"
if cmp -s "$T/r.json" "$T/r3.json"; then echo "seed 2 gave the intervals of seed 1"; exit 1; fi
# text leaderboard with bars; an unknown anchor is a one-line error
"$PS_BIN" -w "$W" rank arena --bootstrap 20 --anchor gpt-4o=1200 >"$T/out.txt"
grep -q "gpt-4o  *554 .* 1200.0 \[1200.0, 1200.0\]" "$T/out.txt" || { cat "$T/out.txt"; echo "anchor not applied"; exit 1; }
grep -q "█" "$T/out.txt" || { echo "no bars"; exit 1; }
if "$PS_BIN" -w "$W" rank arena --anchor nobody 2>"$T/err"; then echo "bad anchor accepted"; exit 1; fi
[ "$(wc -l <"$T/err")" = 1 ] || { cat "$T/err"; exit 1; }
echo ok
