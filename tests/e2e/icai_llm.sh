#!/bin/bash
# The ICAI LLM pipeline against the loopback fake server with a responder that
# follows the ground truth of the orthogonal synthetic set (icai_responder.py: cats
# over dogs, blue over green, lemon over raspberry, plus distractor principles):
#   - the three planted principles are recovered at the top of the constitution;
#   - the constitutional judge reconstructs >= 90 % of the labels, the same judge
#     without the constitution about half;
#   - position flips are applied (both orders reach the server) and undone (every
#     stored vote of a planted principle is for the preferred response);
#   - kill -9 in the middle of the voting stage, then a rerun: no finished call is
#     sent again;
#   - templates from a user directory replace the shipped ones by file name, and
#     only the calls whose prompt changed are sent again;
#   - --dry-run counts calls and spends nothing.
set -eu
DATA="$PS_DATA/icai_synthetic/synthetic_data_orthogonal_adcbg.csv"
[ -f "$DATA" ] || { echo "shared data absent: skipped"; exit 77; }
T=$(mktemp -d)
SRV=
cleanup() { [ -n "$SRV" ] && kill "$SRV" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$T"; }
trap cleanup EXIT
start_server() { # DELAY_MS
  [ -n "$SRV" ] && { kill "$SRV" 2>/dev/null; wait "$SRV" 2>/dev/null || true; }
  python3 "$PS_TESTS/e2e/fake_llm.py" --ports 1 --delay "$1" \
    --responder "$PS_TESTS/e2e/icai_responder.py" </dev/zero >"$T/ports" 2>"$T/fake.err" &
  SRV=$!
  for _ in $(seq 1 100); do grep -q PORTS "$T/ports" 2>/dev/null && break; sleep 0.05; done
  PORT=$(awk '/PORTS/ {print $2}' "$T/ports")
  [ -n "$PORT" ] || { echo "fake server did not start"; cat "$T/fake.err"; exit 1; }
}
write_config() { # CONCURRENCY
  cat >"$T/cfg.lua" <<C
models = { fake = { provider = "openai", base_url = "http://127.0.0.1:$PORT/v1", model = "fake-model",
                    concurrency = $1, price_in = 1, price_out = 2 } }
C
}
start_server 0
write_config 8
W="$T/ws.db"
"$PS_BIN" -w "$W" import --name orth "$DATA" >/dev/null 2>&1
PS=("$PS_BIN" -w "$W" --config "$T/cfg.lua")

# dry run: counts, estimates, nothing sent or stored
"${PS[@]}" icai orth --model fake --dry-run --json >"$T/dry.json"
python3 - "$T/dry.json" "$PORT" <<'P'
import json, sys, urllib.request
d = json.load(open(sys.argv[1]))
assert d["train"] == 24 and d["test"] == 6 and d["calls"]["generate"] == 24, d
assert d["calls"]["evaluate"] == 60 and d["tokens_in"] > 0 and d["cost"] > 0, d
st = json.load(urllib.request.urlopen("http://127.0.0.1:%s/_stats" % sys.argv[2]))
assert st["requests"] == 0, st
P

# the pipeline
"${PS[@]}" icai orth --model fake --clusters 6 --seed 3 --name base --json >"$T/base.json" 2>"$T/base.err" \
  || { cat "$T/base.err"; exit 1; }
python3 - "$T/base.json" "$W" <<'P'
import json, re, sqlite3, sys
c = json.load(open(sys.argv[1]))
ranked = sorted((p for p in c["principles"] if p["rank"]), key=lambda p: p["rank"])
topics = []
for p in ranked[:3]:
    t = p["text"].lower()
    topics.append("cat" if "cat" in t else "blue" if "blue" in t else "lemon" if "lemon" in t else t)
assert sorted(topics) == ["blue", "cat", "lemon"], [p["text"] for p in ranked]
for p in ranked[:3]:
    assert p["stats"]["against"] == 0 and p["stats"]["accuracy"] == 1.0, p
ev = c["params"]["evaluation"]
for split in ("train", "test"):
    assert ev[split]["constitutional"] >= 0.9, ev
    assert 0.2 <= ev[split]["baseline"] <= 0.8, ev
assert ev["train"]["pairs"] == 24 and ev["test"]["pairs"] == 6
# the flips were undone: each planted principle's stored vote on a pair of its topic
# is the side the dataset preferred
con = sqlite3.connect(sys.argv[2])
for p in ranked[:3]:
    rows = con.execute("""SELECT v.vote, j.verdict FROM principle_vote v
        JOIN judgment j ON j.item_id = v.item_id AND j.annotator = 'dataset'
        WHERE v.principle_id = ? AND v.vote IN ('A', 'B')""", (p["id"],)).fetchall()
    assert len(rows) >= 5 and all(v == l for v, l in rows), (p["text"], rows)
P
# the flips were applied: vote prompts show the preferred text as Sample A and as
# Sample B, about half the time each
python3 - "$PORT" "$DATA" <<'P'
import csv, json, sys, urllib.request
reqs = json.load(urllib.request.urlopen("http://127.0.0.1:%s/_requests" % sys.argv[1]))
rows = list(csv.reader(open(sys.argv[2])))[1:]
pref = {}
for r in rows:
    a, b = (x.split("Output:", 1)[1].strip() for x in r[1:3])
    pref[a[:80]], pref[b[:80]] = r[3] == "text_a", r[3] == "text_b"
first = []
for q in reqs:
    body = q.get("body") if isinstance(q, dict) else None
    if not isinstance(body, dict) or "messages" not in body:
        continue
    text = body["messages"][-1]["content"]
    if "Sample A:" not in text or "Rules:" not in text:
        continue
    a = text.split("Sample A:", 1)[1].split("Sample B:", 1)[0].strip()
    first.append(pref.get(a[:80]))
assert len(first) >= 24 and None not in first, first
n = sum(first)
assert 0.2 * len(first) <= n <= 0.8 * len(first), (n, len(first))
P
"${PS[@]}" icai show base --all >"$T/show.txt"
grep -q "agreement with the labels" "$T/show.txt" || { echo "show"; exit 1; }
# a proposed principle carrying terminal escapes is shown as placeholders
grep -q "rhymes" "$T/show.txt" || { echo "the hostile principle was not tested"; cat "$T/show.txt"; exit 1; }
"${PS[@]}" icai export base --format md >>"$T/show.txt"
"${PS[@]}" icai compare base >>"$T/show.txt"
if LC_ALL=C grep -q $'\x1b' "$T/show.txt"; then echo "escape reached the output"; cat -v "$T/show.txt"; exit 1; fi

# user templates: only vote.txt replaced; generation replays from the cache
mkdir "$T/tpl"
sed 's/^Below are a request/(USER TEMPLATE) Below are a request/' \
  "$PS_SRC/lua-modules/prefscope/templates/icai/vote.txt" >"$T/tpl/vote.txt"
python3 -c "import urllib.request; urllib.request.urlopen(urllib.request.Request('http://127.0.0.1:$PORT/_reset', method='POST'))"
"${PS[@]}" icai orth --model fake --clusters 6 --seed 3 --name usertpl --templates "$T/tpl" --json >"$T/tpl.json" 2>"$T/tpl.err" \
  || { cat "$T/tpl.err"; exit 1; }
python3 - "$PORT" <<'P'
import json, sys, urllib.request
reqs = json.load(urllib.request.urlopen("http://127.0.0.1:%s/_requests" % sys.argv[1]))
texts = [q["body"]["messages"][-1]["content"] for q in reqs if isinstance(q.get("body"), dict) and "messages" in q["body"]]
votes = [t for t in texts if "Sample A:" in t]
assert votes and all(t.startswith("(USER TEMPLATE) Below are a request") for t in votes), len(votes)
assert not any("Selected sample:" in t for t in texts), "generation was sent again"
assert not any("Output (a):" in t for t in texts), "evaluation was sent again"
P

# several voting seeds: 3 x the vote calls; the responder's "cheerful" distractor
# depends on which text is shown first, so unanimity turns its disagreements into
# "neither", while the planted rules (position-free) keep every vote
"${PS[@]}" icai orth --model fake --clusters 6 --seed 3 --seeds 3 --name seeds3 --json >"$T/s3.json" 2>"$T/s3.err" \
  || { cat "$T/s3.err"; exit 1; }
python3 - "$T/base.json" "$T/s3.json" <<'P'
import json, sys
one, three = (json.load(open(f)) for f in sys.argv[1:3])
assert three["params"]["calls_detail"]["vote"] == 3 * one["params"]["calls_detail"]["vote"], three["params"]["calls_detail"]
def by_text(c):
    return {p["text"]: p["stats"] for p in c["principles"]}
a, b = by_text(one), by_text(three)
cheer = [t for t in a if "cheerful" in t][0]
assert a[cheer]["neither"] == 0 and b[cheer]["neither"] > 0, (a[cheer], b[cheer])
for t, s in b.items():
    if any(w in t.lower() for w in ("cat", "blue", "lemon")):
        assert s["against"] == 0 and s["for"] == a[t]["for"], (t, s, a[t])
P

# re-clustering the top 1.5n into n merges the wordings of one rule: with 12 clusters
# the top 5 are wordings of two rules only; re-clustering the top 8 into 5 brings
# the third rule in
for rc in norc rc; do
  "${PS[@]}" icai orth --model fake --clusters 12 --top 5 $([ $rc = rc ] && echo --recluster) --seed 3 \
    --name $rc --json >"$T/$rc.json" 2>"$T/$rc.err" || { cat "$T/$rc.err"; exit 1; }
done
python3 - "$T/norc.json" "$T/rc.json" <<'P'
import json, sys
def kept(path):
    c = json.load(open(path))
    return c, " ".join(p["text"].lower() for p in c["principles"] if p["rank"])
c0, t0 = kept(sys.argv[1])
c1, t1 = kept(sys.argv[2])
assert "blue" not in t0, t0
assert "cat" in t1 and "blue" in t1 and "lemon" in t1, t1
assert sum(1 for p in c1["principles"] if p["rank"]) == 5
assert any(p["stats"].get("reason") == "merged by re-clustering" for p in c1["principles"])
P

# --summarize: an LLM summary of each cluster replaces the member nearest its centre
"${PS[@]}" icai orth --model fake --clusters 6 --seed 3 --summarize --name summ --json >"$T/summ.json" 2>"$T/summ.err" \
  || { cat "$T/summ.err"; exit 1; }
python3 - "$T/summ.json" <<'P'
import json, sys
c = json.load(open(sys.argv[1]))
top = sorted(p["text"] for p in c["principles"] if 0 < p["rank"] <= 3)
assert top == sorted(["Select the response about a cat rather than a dog",
                      "Select the response choosing blue rather than green",
                      "Select the response choosing lemon rather than raspberry"]), top
P

# an embedding model instead of TF-IDF (the fake server's vectors are arbitrary: this
# checks the path, not the clusters)
"${PS[@]}" icai orth --model fake --embed-model fake --clusters 6 --seed 3 --name emb --json >"$T/emb.json" 2>"$T/emb.err" \
  || { cat "$T/emb.err"; exit 1; }
python3 -c "import json,sys; p = json.load(open(sys.argv[1]))['params']; assert p['representation'] == 'embeddings' and p['clusters'] == 6, p" "$T/emb.json"

# Feedback Forensics' mode: only the given principles, no generation, no clustering
printf '%s\n' "# planted and one distractor" "Select the response that features a cat instead of a dog" \
  "Select the response that picks lemon over raspberry" "Select the response that is longer" >"$T/p.txt"
python3 -c "import urllib.request; urllib.request.urlopen(urllib.request.Request('http://127.0.0.1:$PORT/_reset', method='POST'))"
"${PS[@]}" icai orth --model fake --no-generate --principles "$T/p.txt" --top 0 --keep-against --min-relevance 0 \
  --name ff --json >"$T/ff.json" 2>"$T/ff.err" || { cat "$T/ff.err"; exit 1; }
python3 - "$T/ff.json" "$PORT" <<'P'
import json, sys, urllib.request
c = json.load(open(sys.argv[1]))
assert sorted(p["text"] for p in c["principles"]) == sorted([
    "Select the response that features a cat instead of a dog",
    "Select the response that picks lemon over raspberry", "Select the response that is longer"])
assert all(p["kind"] == "user" for p in c["principles"])
reqs = json.load(urllib.request.urlopen("http://127.0.0.1:%s/_requests" % sys.argv[2]))
texts = [q["body"]["messages"][-1]["content"] for q in reqs if isinstance(q.get("body"), dict) and "messages" in q["body"]]
assert not any("Selected sample:" in t for t in texts), "generation ran"
P
"$PS_BIN" -w "$W" icai --principles "$T/nosuch.txt" orth --model fake 2>&1 | grep -q "cannot read the principles file" \
  || { echo "missing principles file"; exit 1; }

# kill -9 in the middle of the voting stage, then resume
W2="$T/ws2.db"
"$PS_BIN" -w "$W2" import --name orth "$DATA" >/dev/null 2>&1
start_server 150
write_config 2
"$PS_BIN" -w "$W2" --config "$T/cfg.lua" icai orth --model fake --clusters 6 --seed 5 >/dev/null 2>&1 &
RUN=$!
python3 - "$W2" <<'P'
import sqlite3, sys, time
con = sqlite3.connect(sys.argv[1], timeout=5)
for _ in range(600):
    try:
        n = con.execute("SELECT count(*) FROM llm_call WHERE status = 'ok' AND request LIKE '%Sample A:%'").fetchone()[0]
    except sqlite3.OperationalError:
        n = 0
    if n >= 4:
        break
    time.sleep(0.05)
else:
    sys.exit("the voting stage never started")
P
kill -9 "$RUN"
wait "$RUN" 2>/dev/null || true
python3 - "$W2" >"$T/done_before.json" <<'P'
import json, sqlite3, sys
con = sqlite3.connect(sys.argv[1])
done = [json.loads(r)["messages"][-1]["content"] for (r,) in con.execute("SELECT request FROM llm_call WHERE status = 'ok'")]
votes = [t for t in done if "Sample A:" in t]
assert votes and len(votes) < 24, len(votes)  # killed in the middle of the votes
assert con.execute("SELECT count(*) FROM constitution").fetchone()[0] == 0  # nothing half-written
assert con.execute("SELECT count(*) FROM principle").fetchone()[0] == 0
assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
json.dump(done, sys.stdout)
P
python3 -c "import urllib.request; urllib.request.urlopen(urllib.request.Request('http://127.0.0.1:$PORT/_reset', method='POST'))"
"$PS_BIN" -w "$W2" --config "$T/cfg.lua" icai orth --model fake --clusters 6 --seed 5 --json >"$T/resumed.json" 2>"$T/resumed.err" \
  || { cat "$T/resumed.err"; exit 1; }
python3 - "$PORT" "$T/done_before.json" "$T/resumed.json" <<'P'
import json, sys, urllib.request
reqs = json.load(urllib.request.urlopen("http://127.0.0.1:%s/_requests" % sys.argv[1]))
sent = [q["body"]["messages"][-1]["content"] for q in reqs if isinstance(q.get("body"), dict) and "messages" in q["body"]]
done = set(json.load(open(sys.argv[2])))
again = [t for t in sent if t in done]
assert not again, "%d finished calls were sent again" % len(again)
assert len(sent) == len(set(sent)), "a call was sent twice"
c = json.load(open(sys.argv[3]))
assert c["params"]["evaluation"]["train"]["constitutional"] >= 0.9
total = c["params"]["calls"]
assert len(sent) + len(done) >= total, (len(sent), len(done), total)
P
echo ok
