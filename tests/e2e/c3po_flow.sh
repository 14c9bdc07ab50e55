#!/usr/bin/env bash
# The critique workbench end to end against the fake LLM (tests/e2e/fake_llm.py with
# c3po_responder.py, which answers in the templates' shapes): feedback -> categories
# (a short list topped up) -> in/near/out prompts -> baselines -> revisions; a failed
# generation visible and retried; review edits with undo and history; export with
# exact counts, validated as TRL's conversational formats; evaluation (judge in both
# orders, metric with ties); a kill -9 in the middle of a run resumes from the cache;
# the dry run's plan for the paper's counts.
set -uo pipefail
: "${PS_BIN:?PS_BIN not set}"
: "${PS_TESTS:?PS_TESTS not set}"
command -v python3 > /dev/null || { echo "SKIP: python3 absent"; exit 77; }
T=$(mktemp -d)
PIDS=()
cleanup() {
    for p in "${PIDS[@]}"; do kill "$p" 2> /dev/null; done
    exec 8>&- 9>&- 2> /dev/null
    wait 2> /dev/null
    rm -rf "$T"
}
trap cleanup EXIT
cd "$T"
FAILS=0
bad() { echo "FAIL: $*"; FAILS=$((FAILS + 1)); }

start_fake() { # NAME FD [fake args...]: sets PORT_<NAME>
    local name=$1 fd=$2
    shift 2
    mkfifo "$T/in_$name"
    python3 "$PS_TESTS/e2e/fake_llm.py" --ports 1 --responder "$PS_TESTS/e2e/c3po_responder.py" "$@" \
        < "$T/in_$name" > "$T/ports_$name" 2> "$T/fake_$name.err" &
    PIDS+=($!)
    eval "exec $fd>\"$T/in_$name\""
    for _ in $(seq 1 100); do grep -q PORTS "$T/ports_$name" 2> /dev/null && break; sleep 0.05; done
    local port
    port=$(awk '/PORTS/ {print $2}' "$T/ports_$name")
    [ -n "$port" ] || { echo "fake server did not start"; cat "$T/fake_$name.err"; exit 1; }
    eval "PORT_$name=$port"
}
start_fake main 9
start_fake slow 8 --delay 60
cat > cfg.lua <<L
models = {
  fake = { base_url = "http://127.0.0.1:$PORT_main/v1", model = "fake", concurrency = 64 },
  slow = { base_url = "http://127.0.0.1:$PORT_slow/v1", model = "fake", concurrency = 4 },
  priced = { base_url = "http://127.0.0.1:$PORT_main/v1", model = "fake", price_in = 10, price_out = 30 },
}
L
ps() { "$PS_BIN" -w "$T/ws.db" --config "$T/cfg.lua" "$@"; }
export PREFSCOPE_PROGRESS=0
json() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }

for sub in new ls show gen review export eval; do
    ps critique $sub --help > help.txt 2> help.err || bad "critique $sub --help: exit $?"
    head -1 help.txt | grep -q "^usage: prefscope critique $sub" || bad "critique $sub --help: $(head -1 help.txt)"
    [ -s help.err ] && bad "critique $sub --help wrote to stderr"
done
"$PS_BIN" --help | grep -q "^  critique " || bad "critique missing from prefscope --help"

# 1. a feedback whose first category answer is short: topped up, never aborted
ps critique new "Use sports analogies in motivational emails" --domain "motivational emails SHORTCATS" \
    --effect "use sports analogies" --json > new1.json || bad "critique new"
FB1=$(json 'd["id"]' < new1.json)
ps critique gen "$FB1" --model fake --categories 4 --in 8 --near 8 --out 6 --out-batch 10 --json > gen1.json 2> gen1.err \
    || bad "gen 1 failed: $(cat gen1.err)"
python3 - gen1.json <<'PY' || bad "gen 1 summary"
import json, sys
r = json.load(open(sys.argv[1]))
f = r["feedback"][0]
assert (f["categories"], f["in"], f["near"], f["out"], f["failed"]) == (4, 8, 8, 6, 0), f
# categories: 1 call + 1 top-up; 4 in + 4 near (one per category); 1 out batch;
# 22 baselines + 22 revisions; no split call (domain and effect were given)
assert r["calls"] == 2 + 4 + 4 + 1 + 22 + 22, r["calls"]
assert r["errors"] == 0 and r["failures"] == [], r
PY
ps critique show "$FB1" --json > show1.json
python3 - show1.json <<'PY' || bad "show 1"
import json, sys
d = json.load(open(sys.argv[1]))
cats = {c["id"]: c for c in d["categories"]}
assert len(cats) == 4, cats
assert all(c["meta"]["provenance"]["model"] == "fake" for c in cats.values())
assert len({c["text"] for c in cats.values()}) == 4
items = d["items"]
by = {}
for it in items:
    by.setdefault(it["scope"], []).append(it)
    assert it["baseline"].startswith("Baseline answer to: "), it
    assert it["revised"].startswith("REVISED (use sports analogies) "), it["revised"]
    assert it["critique"] == "The previous response does not use sports analogies.", it["critique"]
    pv = it["meta"]["provenance"]
    for role in ("baseline", "revised"):
        p = pv[role]
        assert p["model"] == "fake" and p["temperature"] == 0.7 and p["top_p"] == 0.7 and p["max_tokens"] == 600, p
        assert p["template"] in ("c3po/baseline", "c3po/revise"), p
    assert pv["prompt"]["template"].startswith("c3po/"), pv
    if it["scope"] in ("in", "near"):
        # tied to its category by id, and the prompt names that category
        assert cats[it["category_id"]]["text"] in it["prompt"], (it["prompt"], it["category_id"])
assert {k: len(v) for k, v in by.items()} == {"in": 8, "near": 8, "out": 6}
for s in ("in", "near"):
    per = {}
    for it in by[s]:
        per[it["category_id"]] = per.get(it["category_id"], 0) + 1
    assert sorted(per.values()) == [2, 2, 2, 2], per
assert len({it["prompt"] for it in items}) == 22
PY

# a rerun finds nothing to do: zero calls
ps critique gen "$FB1" --model fake --categories 4 --in 8 --near 8 --out 6 --out-batch 10 --json > gen1b.json 2>&1 \
    || bad "gen 1 rerun"
[ "$(json 'd["calls"]' < gen1b.json)" = 0 ] || bad "rerun made calls: $(cat gen1b.json)"

# 2. a failed generation is visible and retried; out-of-scope prompts are shared,
#    responses are not
ps critique new "FAILONE feedback" --domain "topic FAILONE" --effect "answer in rhymes" --json > new2.json
FB2=$(json 'd["id"]' < new2.json)
ps critique gen "$FB2" --model fake --categories 2 --in 4 --near 2 --out 6 --out-batch 10 > gen2.out 2> gen2.err
rc=$?
[ $rc = 1 ] || bad "gen with a failing call: exit $rc"
grep -q "^failed: baseline item [0-9]*: baseline: http: HTTP 400" gen2.err || bad "failure not shown: $(cat gen2.err)"
grep -q "run the same command again to retry" gen2.err || bad "no retry hint: $(cat gen2.err)"
ps critique show "$FB2" --status failed --json > failed.json
python3 - failed.json <<'PY' || bad "failed item not stored"
import json, sys
d = json.load(open(sys.argv[1]))
assert len(d["items"]) == 1, d["items"]
it = d["items"][0]
assert it["error"].startswith("baseline: http: "), it["error"]
assert it["baseline"] is None and "@@fail" in it["prompt"]
assert d["feedback"]["failed"] == 1 and d["feedback"]["n_in"] == 4
PY
ps critique ls | grep -Eq "^ +$FB2 .* 1 fail" || bad "ls does not count the failure: $(ps critique ls)"
# the retry: the baseline now succeeds; the revision of that item fails once too
ps critique gen "$FB2" --model fake --categories 2 --in 4 --near 2 --out 6 --out-batch 10 > gen3.out 2> gen3.err
grep -q "^failed: revised item [0-9]*: revised: http: HTTP 400" gen3.err || bad "second run: $(cat gen3.err)"
ps critique gen "$FB2" --model fake --categories 2 --in 4 --near 2 --out 6 --out-batch 10 --json > gen4.json 2> gen4.err \
    || bad "third run failed: $(cat gen4.err)"
[ "$(json 'd["errors"]' < gen4.json)" = 0 ] || bad "third run errors"
ps critique show "$FB2" --json > show2.json
python3 - show1.json show2.json <<'PY' || bad "retry / sharing"
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
items = b["items"]
assert all(it["error"] is None and it["revised"] for it in items), [i for i in items if i["error"]]
assert len(items) == 4 + 2 + 6
outa = sorted(i["prompt"] for i in a["items"] if i["scope"] == "out")
outb = sorted(i["prompt"] for i in items if i["scope"] == "out")
assert outa == outb, (outa, outb)          # the generated list is shared
ra = {i["prompt"]: i["revised"] for i in a["items"] if i["scope"] == "out"}
rb = {i["prompt"]: i["revised"] for i in items if i["scope"] == "out"}
assert all(ra[p] != rb[p] for p in ra), "revisions shared across feedbacks"
assert {i["id"] for i in a["items"]}.isdisjoint({i["id"] for i in items})
PY

# 3. review: edits stored with author and time, the generated original kept, undo
ITEM=$(python3 -c "import json; print([i['id'] for i in json.load(open('show1.json'))['items'] if i['scope']=='in'][0])")
ORIG=$(python3 -c "import json; print([i['revised'] for i in json.load(open('show1.json'))['items'] if i['id']==$ITEM][0])")
ps critique review "$FB1" "$ITEM" --set "revised=first edit" --author human:ann > /dev/null || bad "review --set"
printf 'second edit\nfrom a file' > edit.txt
ps critique review "$FB1" "$ITEM" --set "revised=@edit.txt" --author human:bob > /dev/null || bad "review --set @file"
# a value from a pipe, then undone
printf 'from a pipe\n' | ps critique review "$FB1" "$ITEM" --set "critique=@/dev/stdin" --author human:bob > /dev/null \
    || bad "review --set from a pipe"
[ "$(ps run - <<< "io.write(ps.c3po.item($ITEM).critique)")" = "from a pipe" ] || bad "value from a pipe"
ps critique review "$FB1" "$ITEM" --undo --author human:bob | grep -q "undid the edit of critique" || bad "undo (pipe)"
ps critique review "$FB1" "$ITEM" --undo --author human:bob | grep -q "undid the edit of revised" || bad "undo"
ps critique show "$FB1" --json | python3 -c "
import json, sys
it = [i for i in json.load(sys.stdin)['items'] if i['id'] == $ITEM][0]
assert it['revised'] == 'first edit', it['revised']
assert it['n_edits'] == 3, it['n_edits']   # the first edit and two undos (the undone ones are marked)
" || bad "after undo"
cat > edits.lua <<L
local e = ps.c3po.edits("critique", $ITEM)
assert(#e == 5, #e)
assert(e[1].author == "human:ann" and e[1].old_value == [[$ORIG]] and e[1].new_value == "first edit")
assert(e[2].author == "human:bob" and e[2].new_value == "second edit\nfrom a file" and e[2].undone == 1)
assert(e[3].field == "critique" and e[3].new_value == "from a pipe\n" and e[3].undone == 1)
assert(e[4].author == "undo:human:bob" and e[4].field == "critique")
assert(e[5].author == "undo:human:bob" and e[5].new_value == "first edit")
assert(e[1].created_at:match("^%d%d%d%d%-%d%d%-%d%dT"))
L
ps run edits.lua || { bad "edit history"; ps run - <<< "print(ps.inspect(ps.c3po.edits(\"critique\", $ITEM), {depth = 4}))"; echo "ORIG=$ORIG"; }
# digits stay strings in show --json; a meta that is not JSON is a string
ps critique review "$FB1" "$ITEM" --set "critique=42" > /dev/null
ps run - <<< "ps.c3po.feedback_edit($FB1, 'meta', '{not json')" || bad "meta edit"
ps critique show "$FB1" --json | python3 -c "
import json, sys
d = json.load(sys.stdin)
assert d['feedback']['meta'] == '{not json' and isinstance(d['feedback']['id'], int), d['feedback']
it = [i for i in d['items'] if i['id'] == $ITEM][0]
assert it['critique'] == '42', it['critique']
" || bad "show --json types"
ps critique review "$FB1" "$ITEM" --undo > /dev/null
# regenerate one item: a fresh sample (not the cached answer), the old texts kept in
# the history, the item back to pending
ps critique review "$FB1" "$ITEM" --accept > /dev/null
ps critique review "$FB1" "$ITEM" --regenerate --dry-run | grep -qx "1 items: 2 calls (a baseline and a revision each)" \
    || bad "regenerate --dry-run"
ps critique review "$FB1" "$ITEM" --regenerate --model fake --author human:ann > regen.out 2> regen.err \
    || bad "regenerate: $(cat regen.err)"
grep -q "^item $ITEM: regenerated" regen.out || bad "regenerate output: $(cat regen.out)"
cat > regen.lua <<L
local it = ps.c3po.item($ITEM)
assert(it.status == "pending", it.status)
assert(it.revised:find("^REVISED %(use sports analogies%) "), it.revised)
local seen = {}
for _, e in ipairs(ps.c3po.edits("critique", $ITEM)) do
  if e.author == "regenerate:human:ann" then seen[e.field] = e end
end
assert(seen.baseline and seen.revised and seen.critique and seen.status, "regeneration not in the history")
assert(seen.revised.old_value == "first edit")
L
ps run regen.lua || bad "regenerate history"
ps critique review "$FB1" "$ITEM" --set "revised=first edit" --author human:ann > /dev/null
fails_with() { # STATUS REGEX CMD...
    local want=$1 re=$2
    shift 2
    "$@" > o.txt 2> e.txt
    local rc=$?
    [ $rc = "$want" ] || bad "$*: exit $rc, expected $want"
    [ "$(wc -l < e.txt)" = 1 ] && grep -Eq -- "$re" e.txt || bad "$*: stderr '$(cat e.txt)' !~ /$re/"
}
fails_with 1 "no editable field|--set edits" ps critique review "$FB1" "$ITEM" --set "status=accepted"
fails_with 1 "feedback $FB2 has no item $ITEM" ps critique review "$FB2" "$ITEM" --accept
fails_with 1 "expected a feedback or item id" ps critique review "$FB1" "x;rm" --accept
fails_with 2 "unknown option" ps critique gen "$FB1" --bogus
fails_with 1 "--metric" ps critique new "x" --metric 'contains_any_string("x' 
fails_with 1 "no feedback with id 999" ps critique show 999

# 4. accept all of feedback 1, reject one in-scope item; export with exact counts
ps critique review "$FB1" --all-pending --accept > /dev/null || bad "accept all"
ps critique review "$FB1" "$ITEM" --reject > /dev/null || bad "reject"
for f in c3po dpo sft combined; do
    ps critique export "$FB1" --format $f --split all -o "$f.jsonl" 2> "$f.err" || bad "export $f: $(cat $f.err)"
done
ps critique export "$FB1" --format dpo --flip --split all -o dpo_flip.jsonl 2> /dev/null || bad "export dpo --flip"
cat c3po.jsonl | ps critique export "$FB1" --format c3po --split all > c3po_stdout.jsonl 2> /dev/null
cmp -s c3po.jsonl c3po_stdout.jsonl || bad "export to stdout differs from -o"
python3 - <<'PY' || bad "export counts / TRL format"
import json
def rows(p):
    return [json.loads(l) for l in open(p)]
def messages(v, roles):
    assert isinstance(v, list) and v, v
    for m in v:
        assert set(m) == {"role", "content"} and m["role"] in roles and isinstance(m["content"], str), m
    return v
def preference(r):   # TRL conversational preference (explicit prompt)
    messages(r["prompt"], {"system", "user", "assistant"})
    assert r["prompt"][-1]["role"] == "user"
    messages(r["chosen"], {"assistant"}); messages(r["rejected"], {"assistant"})
def completion(r):   # TRL conversational prompt-completion
    messages(r["prompt"], {"system", "user", "assistant"})
    messages(r["completion"], {"assistant"})
c3, dpo, flip, sft, comb = (rows(p) for p in ("c3po.jsonl", "dpo.jsonl", "dpo_flip.jsonl", "sft.jsonl", "combined.jsonl"))
# 7 accepted in, 8 near, 6 out: c3po zips to 6 rows
assert len(c3) == 6 and len(dpo) == 7 and len(flip) == 7 + 8 + 6 and len(sft) == 21 and len(comb) == 21, \
    (len(c3), len(dpo), len(flip), len(sft), len(comb))
for ds in (c3, dpo, flip, sft):
    assert len({tuple(sorted(r)) for r in ds}) == 1   # one schema per file
for r in c3:
    preference(r)
    assert set(r) == {"prompt", "chosen", "rejected", "hard_negative", "soft_negative"}
    assert r["chosen"][0]["content"].startswith("REVISED") and r["rejected"][0]["content"].startswith("Baseline")
    for k in ("hard_negative", "soft_negative"):
        messages(r[k], {"user", "assistant"})
        assert [m["role"] for m in r[k]] == ["user", "assistant"]
    assert r["hard_negative"][0]["content"].startswith("Near prompt")
    assert r["soft_negative"][0]["content"].startswith("General question")
for r in dpo + flip:
    preference(r)
assert sum(1 for r in flip if r["chosen"][0]["content"].startswith("Baseline")) == 14
for r in sft:
    completion(r)
assert sum(1 for r in sft if r["completion"][0]["content"].startswith("REVISED")) == 7
assert all(r["status"] == "accepted" for r in comb)
assert "first edit" not in [r["revised"] for r in comb]   # the rejected item is not exported
assert {r["scope"] for r in comb} == {"in", "near", "out"}
preference(comb[0]["messages"])
PY
grep -q "^6 rows (c3po, split all) from 18 accepted items; 3 skipped" c3po.err || bad "c3po summary: $(cat c3po.err)"
# the default split is train: a subset
ps critique export "$FB1" --format sft -o sft_train.jsonl 2> /dev/null
[ "$(wc -l < sft_train.jsonl)" -le 21 ] || bad "train split larger than all"

# 5. evaluation: the judge in both orders at temperature 0, consistency reported
# the item whose prompt carries @@fail:1:400@@ fails once in each order: shown, then retried
ps critique eval "$FB2" --judge fake --split all --json > ev0.json 2> /dev/null && bad "eval with failing judge calls: exit 0"
[ "$(json 'd["errors"]' < ev0.json)" = 2 ] || bad "eval errors: $(cat ev0.json)"
ps critique eval "$FB2" --judge fake --split all --json > ev1.json || bad "eval revised"
ps critique eval "$FB2" --judge fake --split all --candidate in_context --json > ev2.json 2> ev2.err
rc=$?
python3 - ev1.json ev2.json <<'PY' || bad "eval scores"
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
for s, n in (("in", 4), ("near", 2), ("out", 6)):
    sa, sb = a["scopes"][s], b["scopes"][s]
    assert sa["n"] == n and sa["rate"] == 1 and sa["consistency"] == 1 and sa["mean_score"] == 5, sa
    # in_context was never generated for feedback 1: every prompt is an error, none judged
    assert sb["n"] == 0, sb
assert a["adherence"] == 1 and a["overgeneralization_near"] == 1 and a["judge"] == "fake"
assert b["errors"] == 12
PY
[ $rc = 1 ] || bad "eval with missing candidates: exit $rc"
ps critique gen "$FB1" --model fake --categories 4 --in 8 --near 8 --out 6 --out-batch 10 --role in_context > /dev/null 2>&1 \
    || bad "gen --role in_context"
ps critique eval "$FB1" --judge fake --split all --candidate in_context --json > ev3.json || bad "eval in_context"
python3 - ev3.json <<'PY' || bad "eval position-biased judge"
import json, sys
r = json.load(open(sys.argv[1]))
# the fake judge prefers RESPONSE_2 only when it is a revision, else RESPONSE_1: for the
# in-context answers the two orders disagree -> consistency 0, rate 0.5, mean 3
for s in ("in", "near", "out"):
    sc = r["scopes"][s]
    assert sc["consistency"] == 0 and sc["rate"] == 0.5 and sc["mean_score"] == 3, sc
PY
# judge requests were sent at temperature 0, in both orders
curl -s "http://127.0.0.1:$PORT_main/_requests" > reqs.json 2> /dev/null || true
python3 - reqs.json <<'PY' || bad "judge requests"
import json, sys
try:
    reqs = json.load(open(sys.argv[1]))
except Exception:
    sys.exit(0)   # no curl: the scores above already show both orders
bodies = [r.get("body") or {} for r in (reqs if isinstance(reqs, list) else reqs.get("requests", []))]
judge = [b for b in bodies if "RESPONSE_1:" in json.dumps(b)]
assert judge and all(b.get("temperature") == 0 for b in judge), [b.get("temperature") for b in judge][:5]
PY

# 6. quantitative feedback: scored by its metric, ties count as success
ps critique new "Mention REVISED" --domain "anything" --effect "say revised" \
    --metric 'contains_any_string("revised (say")' --json > new3.json
FB3=$(json 'd["id"]' < new3.json)
ps critique gen "$FB3" --model fake --categories 1 --in 2 --near 2 --out 2 --out-batch 10 --role cot > /dev/null 2>&1 || bad "gen 3"
ps critique eval "$FB3" --split all --json > ev4.json || bad "eval metric"
ps critique eval "$FB3" --split all --candidate cot --json > ev5.json || bad "eval metric cot"
python3 - ev4.json ev5.json <<'PY' || bad "metric eval"
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
assert a["kind"] == "quantitative" and a["judge"] is None if "judge" in a else True
for s in ("in", "near", "out"):
    assert a["scopes"][s]["rate"] == 1 and a["scopes"][s]["ties"] == 0, a["scopes"][s]
    # the cot answers lack the string like the baselines: ties, counted as success
    assert b["scopes"][s]["rate"] == 1 and b["scopes"][s]["ties"] == b["scopes"][s]["n"] == 2, b["scopes"][s]
PY

# 6b. an imported record in the paper's Feedback shape: its metric fields are used
cat > paper.json <<'J'
[{"content": "Mark revisions", "domain": "marked answers", "effect": "mark it", "scope": "regional",
  "categories": ["manual"], "type": "quantitative", "metric": ["contains_all_strings", "contains_none_strings"],
  "metric_value": [["revised ("], ["@@never@@"]], "comparison": "greater_eq_than"}]
J
ps import --name paper paper.json > /dev/null 2>&1 || bad "import paper-shape feedback"
FB6=$(ps critique ls --json | json '[f["id"] for f in d if f["dataset"] == "paper"][0]')
ps critique ls | grep -Eq "^ +$FB6 +regional quantitative" || bad "imported scope/type: $(ps critique ls)"
ps critique show "$FB6" | grep -q "metric   (from the record) " || bad "show: imported metric"
ps critique gen "$FB6" --model fake --categories 1 --in 2 --near 1 --out 1 --out-batch 10 > /dev/null 2>&1 || bad "gen imported"
ps critique eval "$FB6" --split all --json > ev6.json || bad "eval imported metric"
python3 - ev6.json <<'PY' || bad "eval of the imported metric"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["kind"] == "quantitative", r
assert [r["scopes"][s]["n"] for s in ("in", "near", "out")] == [2, 1, 1], r["scopes"]
assert all(r["scopes"][s]["rate"] == 1 for s in ("in", "near", "out")), r["scopes"]
PY

# 6c. the LLM proposes domain and effect (recorded as an edit by llm:<model>);
#     out-of-scope prompts sampled from a dataset; a model as the evaluated candidate
printf '%s\n' '{"prompt": "Name a river.", "chosen": "Nile", "rejected": "x"}' \
    '{"prompt": "Two plus two?", "chosen": "4", "rejected": "5"}' \
    '{"prompt": "Spell cat.", "chosen": "c-a-t", "rejected": "k"}' > general.jsonl
ps import --name general general.jsonl > /dev/null 2>&1 || bad "import general"
ps critique new "Write haiku when describing the weather" --json > new7.json
FB7=$(json 'd["id"]' < new7.json)
ps critique gen "$FB7" --model fake --stage split > /dev/null 2>&1 || bad "split stage"
cat > split.lua <<L
local f = ps.c3po.feedback($FB7)
assert(f.domain == "the domain of Write haiku when describing th" and f.effect == "the effect of Write haiku when describing th", f.domain)
local e = ps.c3po.edits("feedback", $FB7)
assert(#e == 2 and e[1].author == "llm:fake" and e[1].old_value == nil, #e)
L
ps run split.lua || bad "LLM-proposed domain/effect"
ps critique review "$FB7" --set-feedback "domain=describing the weather" --author human:ann > /dev/null \
    || bad "--set-feedback"
[ "$(ps run - <<< "local e = ps.c3po.edits('feedback', $FB7); io.write(e[3].author, '|', e[3].old_value, '|', ps.c3po.feedback($FB7).domain)")" \
    = "human:ann|the domain of Write haiku when describing th|describing the weather" ] || bad "feedback edit history"
fails_with 1 "metric spec" ps critique review "$FB7" --set-feedback 'metric=length('
fails_with 1 "global, regional" ps critique review "$FB7" --set-feedback 'scope=everywhere' 
ps critique gen "$FB7" --model fake --categories 1 --in 1 --near 1 --out 3 --out-from general --json > gen7.json 2> gen7.err \
    || bad "gen --out-from: $(cat gen7.err)"
ps critique show "$FB7" --scope out --json > out7.json
python3 - out7.json <<'PY' || bad "out-of-scope prompts from a dataset"
import json, sys
d = json.load(open(sys.argv[1]))
assert sorted(i["prompt"] for i in d["items"]) == ["Name a river.", "Spell cat.", "Two plus two?"], d["items"]
assert all(i["meta"]["provenance"]["prompt"]["dataset"] == "general" for i in d["items"])
PY
ps critique eval "$FB7" --split all --candidate model:fake --judge fake --json > ev7.json || bad "eval model candidate"
python3 - ev7.json <<'PY' || bad "model candidate scores"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["candidate"] == "model:fake" and [r["scopes"][s]["n"] for s in ("in", "near", "out")] == [1, 1, 3], r
# the model answers like the baseline: the fake judge prefers response 1 in both orders
assert all(r["scopes"][s]["consistency"] == 0 for s in ("in", "near", "out")), r["scopes"]
PY
fails_with 1 "no dataset|nope" ps critique gen "$FB7" --model fake --out 9 --out-from nope

# 7. kill -9 in the middle of a run loses nothing: the rerun finishes from the cache
ps critique new "Resume me" --domain "resume domain" --effect "resume effect" --json > new4.json
FB4=$(json 'd["id"]' < new4.json)
# (in a subshell, so the shell's "Killed" notice goes to /dev/null)
(
    ps critique gen "$FB4" --model slow --categories 2 --in 40 --near 40 --out 40 --out-batch 40 > /dev/null 2>&1 &
    echo $! > gen.pid
    wait
) 2> /dev/null &
OUTER=$!
sleep 2
kill -9 "$(cat gen.pid)" 2> /dev/null
wait $OUTER 2> /dev/null
ps critique show "$FB4" --json | json 'sum(1 for i in d["items"] if i["revised"])' > partial.txt
ps critique gen "$FB4" --model slow --categories 2 --in 40 --near 40 --out 40 --out-batch 40 --json > gen5.json 2> gen5.err \
    || bad "resume after kill -9: $(cat gen5.err)"
python3 - gen5.json partial.txt <<'PY' || bad "resume counts"
import json, sys
r = json.load(open(sys.argv[1]))
partial = int(open(sys.argv[2]).read())
f = r["feedback"][0]
assert (f["in"], f["near"], f["out"], f["failed"]) == (40, 40, 40, 0), f
assert r["calls"] <= 2 + 2 + 2 + 1 + 240, r   # never more than the whole chain
assert partial < 120, "the run finished before the kill; nothing was tested"
PY
ps critique show "$FB4" --json | json 'sum(1 for i in d["items"] if i["revised"])' | grep -qx 120 || bad "not all revised after resume"

# 8. dry runs: the paper's counts, nothing sent; cost from configured prices
ps critique new "Be more concise when emailing my boss Jared" --domain "emailing my boss Jared" --effect "be more concise" --json > new5.json
FB5=$(json 'd["id"]' < new5.json)
before=$(ps run - <<< 'local n = 0; for _ in pairs(ps.c3po.feedbacks()) do n = n + 1 end; print(#ps.c3po.items('"$FB5"'))')
ps critique gen "$FB5" --model priced --dry-run --json > dry.json || bad "dry run"
python3 - dry.json <<'PY' || bad "dry-run plan"
import json, sys
r = json.load(open(sys.argv[1]))
p = r["feedback"][0]
calls = {s["stage"]: s["calls"] for s in p["stages"]}
assert calls == {"categories": 1, "in-scope prompts": 30, "near-scope prompts": 30, "out-of-scope prompts": 24,
                 "baseline": 2880, "revised": 2880}, calls
assert p["total"]["calls"] == 5845 and p["total"]["cost"] > 0 and r["calls"] == 0
PY
ps critique gen "$FB5" --model fake --dry-run > dry.txt || bad "dry run (text)"
grep -q "^feedback $FB5: 5845 calls, .* cost unknown" dry.txt || bad "dry run without prices: $(cat dry.txt)"
[ "$before" = 0 ] && [ "$(ps run - <<< 'print(#ps.c3po.items('"$FB5"'))')" = 0 ] || bad "dry run wrote items"

[ $FAILS = 0 ] && echo "c3po flow: ok"
exit $((FAILS > 0))
