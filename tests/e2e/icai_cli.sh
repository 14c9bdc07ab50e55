#!/bin/bash
# prefscope icai without an LLM: the offline constitution on a dataset with two
# annotators who disagree, ls/show/export (md, json, AnnotatedPairs v2 through a
# pipe), the Feedback Forensics comparison across annotators, two constitutions side
# by side, hostile annotator names, and one-line errors.
set -eu
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
W="$T/ws.db"
# 60 pairs: "human" prefers the longer response, an annotator named with terminal
# escapes prefers the shorter one, ties every 10th pair for "human".
python3 - >"$T/d.jsonl" <<'P'
import json, random
r = random.Random(5)
evil = "gpt\u001b]0;pwned\u0007"
for i in range(60):
    short = "Fine." if i % 3 else "Sure!"
    long_ = "Here is a longer answer with details, " * r.randint(1, 4) + "and a list:\n- one\n- two"
    a, b = (short, long_) if i % 2 else (long_, short)
    longer = "B" if i % 2 else "A"
    shorter = "A" if i % 2 else "B"
    js = [{"a": 0, "b": 1, "annotator": "human", "verdict": "tie" if i % 10 == 0 else longer},
          {"a": 0, "b": 1, "annotator": evil, "verdict": shorter}]
    print(json.dumps({"prompt": "Question %d about details" % i,
                      "responses": [{"text": a}, {"text": b}], "judgments": js}))
P
"$PS_BIN" -w "$W" import --name d "$T/d.jsonl" >/dev/null 2>&1
"$PS_BIN" icai --help | grep -q "usage: prefscope icai" || { echo "icai --help"; exit 1; }
"$PS_BIN" -w "$W" icai d --offline --dry-run | grep -q "0 LLM calls" || { echo "dry run"; exit 1; }
"$PS_BIN" -w "$W" icai d --offline --dry-run --json -a $'gpt\e]0;pwned\a' | python3 -c '
import json, sys
d = json.load(sys.stdin)
assert d["dataset"] == "d" and d["annotator"] == "gpt\x1b]0;pwned\x07" and d["calls"] == 0 and d["pairs"] == 60, d'
[ "$("$PS_BIN" -w "$W" icai ls --json)" = "[]" ] || { echo "dry run stored something"; exit 1; }
"$PS_BIN" -w "$W" icai d --offline -a human --test-split 0 --name byhuman >"$T/show.txt" 2>/dev/null
grep -q "6 ties skipped" "$T/show.txt" || { echo "ties not counted"; cat "$T/show.txt"; exit 1; }
grep -q "^  1  Select the response that is longer" "$T/show.txt" || { echo "longer not first"; cat "$T/show.txt"; exit 1; }
"$PS_BIN" -w "$W" icai d --offline --test-split 0 --name byevil -a $'gpt\e]0;pwned\a' --json >"$T/evil.json" 2>/dev/null
python3 - "$T/evil.json" <<'P'
import json, sys
c = json.load(open(sys.argv[1]))
assert c["params"]["annotator"] == "gpt\x1b]0;pwned\x07"
top = [p for p in c["principles"] if p["rank"] == 1][0]
assert top["kind"] == "feature:shorter" and top["stats"]["strength"] == 1.0, top
P
"$PS_BIN" -w "$W" icai ls >"$T/ls.txt"
grep -q "byhuman" "$T/ls.txt" && grep -q "byevil" "$T/ls.txt" || { echo "ls"; cat "$T/ls.txt"; exit 1; }
"$PS_BIN" -w "$W" icai show d/byhuman --all | grep -q "tested, not kept" || { echo "show --all"; exit 1; }
# the comparison across annotators: longer/shorter differ most (+1 vs -1)
"$PS_BIN" -w "$W" icai compare byhuman >"$T/cmp.txt"
if LC_ALL=C grep -q $'\x1b' "$T/cmp.txt"; then echo "escape reached the output"; cat -v "$T/cmp.txt"; exit 1; fi
sed -n 4p "$T/cmp.txt" | grep -Eq "^is (longer|shorter) +2\.000" || { echo "compare order"; cat "$T/cmp.txt"; exit 1; }
"$PS_BIN" -w "$W" icai compare byhuman --json --metric strength >"$T/cmp.json"
python3 - "$T/cmp.json" "$W" <<'P'
import json, sqlite3, sys
c = json.load(open(sys.argv[1]))
names = [a["name"] for a in c["annotators"]]
assert sorted(names) == ["gpt\x1b]0;pwned\x07", "human"], names
assert {a["name"]: a["labelled_pairs"] for a in c["annotators"]} == {"human": 54, "gpt\x1b]0;pwned\x07": 60}
diffs = [p["max_diff"] for p in c["principles"]]
assert diffs == sorted(diffs, reverse=True), diffs
# recompute every cell from the stored votes and judgments
con = sqlite3.connect(sys.argv[2])
for p in c["principles"]:
    for a, stats in zip(names, p["by_annotator"]):
        rows = con.execute("""SELECT v.vote, j.verdict FROM principle_vote v
            JOIN principle pr ON pr.id = v.principle_id AND pr.text = ? AND pr.constitution_id = ?
            JOIN judgment j ON j.item_id = v.item_id AND j.annotator = ?""",
            (p["text"], c["constitution"], a)).fetchall()
        f = sum(1 for v, l in rows if v == l and l in "AB" and v in ("A", "B"))
        ag = sum(1 for v, l in rows if v in ("A", "B") and l in ("A", "B") and v != l)
        tot = sum(1 for v, l in rows if l in ("A", "B"))
        assert (stats["for"], stats["against"], stats["total"]) == (f, ag, tot), (p["text"], a, stats, f, ag, tot)
        assert abs(stats["strength"] - (f - ag) / tot) < 1e-12
P
"$PS_BIN" -w "$W" icai compare byhuman byevil >"$T/cc.txt"
grep -q "kept in a" "$T/cc.txt" || { echo "compare two"; cat "$T/cc.txt"; exit 1; }
# exports: markdown through a pipe, JSON, AnnotatedPairs v2
"$PS_BIN" -w "$W" icai export byhuman --format md | head -3 | grep -q "^# Constitution byhuman" || { echo "md"; exit 1; }
"$PS_BIN" -w "$W" icai export byhuman --format json | python3 -c 'import json,sys; assert json.load(sys.stdin)["name"] == "byhuman"'
"$PS_BIN" -w "$W" icai export byhuman --format ap -o "$T/ap.json"
python3 - "$T/ap.json" <<'P'
import json, sys
ap = json.load(open(sys.argv[1]))
assert ap["metadata"]["version"] == "2.0"
ref = ap["metadata"]["default_annotator"]
assert ap["annotators"][ref]["name"] == "human"
longer = [k for k, a in ap["annotators"].items() if a.get("description") == "Select the response that is longer"][0]
assert len(ap["comparisons"]) == 60
for c in ap["comparisons"]:
    la, lb = len(c["response_a"]["text"]), len(c["response_b"]["text"])
    assert c["annotations"][longer]["pref"] == ("a" if la > lb else "b"), c
    r = c["annotations"][ref]
    assert r["pref"] in ("a", "b") or r["no_pref_reason"] == "tie"
    for a in c["annotations"].values():
        assert a["pref"] in ("a", "b", None) and (a["pref"] or a["no_pref_reason"] in ("both", "neither", "invalid", "tie"))
P
# --sample: N pairs drawn with the seed, the same ones for the same seed
"$PS_BIN" -w "$W" icai d --offline --sample 10 --seed 4 --name s1 --json >"$T/s1.json" 2>/dev/null
"$PS_BIN" -w "$W" icai d --offline --sample 10 --seed 4 --name s2 --json >"$T/s2.json" 2>/dev/null
python3 - "$T/s1.json" "$T/s2.json" <<'P'
import json, sys
a, b = (json.load(open(f)) for f in sys.argv[1:3])
assert a["params"]["pairs"] == 10 and a["params"]["train"] + a["params"]["test"] == a["params"]["labelled"]
assert [p["stats"] for p in a["principles"]] == [p["stats"] for p in b["principles"]]
P
printf '%s\n' '{"prompt":"p","responses":[{"text":"a"},{"text":"b"}]}' >"$T/nolabel.jsonl"
"$PS_BIN" -w "$W" import --name nolabel "$T/nolabel.jsonl" >/dev/null 2>&1
# the AnnotatedPairs file reads back through prefscope's own AP importer: every A/B
# vote becomes a judgment of a principle annotator, the reference (read back as the
# default annotator, "dataset") keeps its labels
"$PS_BIN" -w "$T/rt.db" import --name rt "$T/ap.json" >/dev/null 2>&1
python3 - "$W" "$T/rt.db" <<'P'
import sqlite3, sys
src, rt = sqlite3.connect(sys.argv[1]), sqlite3.connect(sys.argv[2])
(cid,) = src.execute("SELECT id FROM constitution WHERE name = 'byhuman'").fetchone()
votes = dict(src.execute("""SELECT p.text, count(*) FROM principle p JOIN principle_vote v ON v.principle_id = p.id
    WHERE p.constitution_id = ? AND v.vote IN ('A', 'B') GROUP BY p.text""", (cid,)).fetchall())
back = dict(rt.execute("""SELECT annotator, count(*) FROM judgment WHERE verdict IN ('A', 'B')
    AND annotator LIKE 'principle:%' GROUP BY annotator""").fetchall())
assert {"principle:" + t: n for t, n in votes.items()} == back, (votes, back)
ref = dict(rt.execute("SELECT verdict, count(*) FROM judgment WHERE annotator = 'dataset' GROUP BY verdict").fetchall())
assert ref.get("A", 0) + ref.get("B", 0) == 54, ref
P
# errors: one line on stderr, non-zero exit
check_fail() { # expected-substring, command...
  local want="$1"; shift
  if "$@" >"$T/o" 2>"$T/e"; then echo "succeeded: $*"; exit 1; fi
  [ "$(wc -l <"$T/e")" = 1 ] || { echo "not one line: $*"; cat "$T/e"; exit 1; }
  grep -qF -- "$want" "$T/e" || { echo "missing '$want': $*"; cat "$T/e"; exit 1; }
}
check_fail "no constitution 'nosuch'" "$PS_BIN" -w "$W" icai show nosuch
check_fail "give --model M" "$PS_BIN" -w "$W" icai d
check_fail "--top expects" "$PS_BIN" -w "$W" icai d --offline --top -1
check_fail "--test-split expects" "$PS_BIN" -w "$W" icai d --offline --test-split 2
check_fail "already exists" "$PS_BIN" -w "$W" icai d --offline --name byhuman
check_fail "--format expects" "$PS_BIN" -w "$W" icai export byhuman --format xml
check_fail "--metric expects" "$PS_BIN" -w "$W" icai compare byhuman --metric vibes
check_fail "nosuch" "$PS_BIN" -w "$W" icai nosuch --offline
check_fail "unknown option" "$PS_BIN" -w "$W" icai d --bogus
check_fail "no judgments to learn from" "$PS_BIN" -w "$W" icai nolabel --offline
check_fail "no pairs labelled A or B by 'nobody'" "$PS_BIN" -w "$W" icai d --offline -a nobody
# no workspace: nothing is created
[ "$("$PS_BIN" -w "$T/none.db" icai ls --json)" = "[]" ] || { echo "ls without a workspace"; exit 1; }
check_fail "no workspace at" "$PS_BIN" -w "$T/none.db" icai show 1
check_fail "no workspace at" "$PS_BIN" -w "$T/none.db" icai d --offline
[ ! -e "$T/none.db" ] || { echo "a workspace was created"; exit 1; }
echo ok
