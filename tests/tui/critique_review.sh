#!/bin/bash
# The critique workbench in the terminal: an imported feedback list opens the
# feedback view, Enter opens a feedback's in / near / out lists, Enter an item
# (prompt, baseline | revision with the word diff, critique); an in-place edit and an
# accept persist with the UI's annotator, the generated original stays in the
# history, `critique review ID` reopens the view and `u` undoes.
. "$PS_TESTS/tui/lib.bash"
tui_setup
WS="$T/ws.db"
cat > "$T/fb.json" <<'J'
[{"content": "Use sports analogies in motivational emails", "domain": "motivational emails", "effect": "use sports analogies", "scope": "regional", "type": "qualitative"},
 {"content": "Be concise with Jared", "domain": "emails to Jared", "effect": "be concise", "scope": "regional", "type": "quantitative", "metric": "length", "comparison": "less_eq_than"}]
J
"$PS_BIN" -w "$WS" import --name fbs "$T/fb.json" > /dev/null 2>&1 || fail "import"
cat > "$T/items.lua" <<'L'
local fb = ps.c3po.feedbacks()[1].id
local rows = {
  { "in", "Write a pep talk for the sales team.", "Work hard and close deals.", "Like a striker in the final minute, close those deals.", "No sports analogy." },
  { "in", "Email the team about Q3 targets.", "Targets are up 10%.", "We are in the fourth quarter, down by ten: let's rally.", "Missing the analogy." },
  { "in", "Motivate the interns.", "You can do it.", "Every champion was once a rookie.", "Generic." },
  { "near", "Write a thank-you email to a client.", "Thank you for your business.", "Thanks, MVP client.", "Should not apply." },
  { "out", "What is the capital of Peru?", "Lima.", "Lima, a home run of a capital.", "Unrelated." },
}
for _, r in ipairs(rows) do
  local id = assert(ps.c3po.item_add{ feedback = fb, scope = r[1], prompt = r[2] })
  ps.c3po.item_set(id, "baseline", r[3]); ps.c3po.item_set(id, "revised", r[4]); ps.c3po.item_set(id, "critique", r[5])
end
-- two evaluation runs for the scoreboard: a qualitative one (judged in both orders)
local its = ps.c3po.items(fb)
for _, it in ipairs(its) do
  ps.c3po.eval_put{ critique = it.id, run = "rev", candidate = "revised", kind = "qualitative", swap = false,
                    score = 5, success = true, judge = "j" }
  ps.c3po.eval_put{ critique = it.id, run = "rev", candidate = "revised", kind = "qualitative", swap = true,
                    score = it.scope == "in" and 4 or 2, success = it.scope == "in", judge = "j" }
end
print(fb)
L
FB=$("$PS_BIN" -w "$WS" run "$T/items.lua") || fail "fixture"
# a fake LLM for `R` (regenerate runs prefscope critique review --regenerate)
mkfifo "$T/fake_in"
python3 "$PS_TESTS/e2e/fake_llm.py" --ports 1 --responder "$PS_TESTS/e2e/c3po_responder.py" \
    < "$T/fake_in" > "$T/ports" 2> "$T/fake.err" &
FAKE=$!
exec 7> "$T/fake_in"
trap 'exec 7>&-; kill $FAKE 2> /dev/null; tui_cleanup' EXIT
for _ in $(seq 1 100); do grep -q PORTS "$T/ports" 2> /dev/null && break; sleep 0.05; done
PORT=$(awk '/PORTS/ {print $2}' "$T/ports")
[ -n "$PORT" ] || fail "fake server did not start"
echo "models = { fake = { base_url = 'http://127.0.0.1:$PORT/v1', model = 'fake' } }" > "$T/cfg.lua"
TUI_ENV="PREFSCOPE_USER=tester PREFSCOPE_CONFIG=$T/cfg.lua PREFSCOPE_C3PO_MODEL=fake"
tui_start 140 40 -w "$WS"
wait_for "fbs"
keys Enter
wait_for "feedback  2  fbs"
assert_screen_has "regional quantitative"
assert_screen_has "Use sports analogies in motivational emails"
keys Enter
wait_for "critique  #$FB  [in] all 3 · pending 3 · accepted 0"
assert_screen_has "Write a pep talk for the sales team."
keys Enter
wait_for "PROMPT  (item"
assert_screen_has "BASELINE"
assert_screen_has "REVISION  [edit]"
assert_screen_has "Like a striker in the final minute"
assert_screen_has "CRITIQUE"
assert_screen_has "No sports analogy."
# choose the critique field and edit it in place
keys f
wait_for "edit: critique"
keys i
wait_for "critique: No sports analogy."
keys C-u
type_text "Add a football analogy."
keys Enter
wait_for "critique edited"
wait_for "Add a football analogy."
keys a
wait_for "accepted 1"
# regenerate the next item (accept moved there): asked for the model, done in a child
wait_for "Email the team about Q3 targets."
keys R
wait_for "regenerate with model: fake"
keys Enter
wait_for "regenerated"
wait_for "Baseline answer to: Email the team about Q3 targets."
wait_for "REVISED (use sports analogies) Baseline answer"
# the scoreboard: 3 in-scope items judged 5 and 4 (rate 1, consistent); near/out 5 and 2
keys v
wait_for "SCOREBOARD"
wait_for "run rev (candidate revised, qualitative)"
assert_screen_has "in   (adherence)            n    6  rate 1.000  mean 4.50  ties 0  consistency 1.000"
assert_screen_has "near (overgeneralization)   n    2  rate 0.500  mean 3.50  ties 0  consistency 0.000"
keys v
# the near-scope list
wait_for "Write a pep talk for the sales team."
keys ]
wait_for "[near] all 1"
assert_screen_has "Write a thank-you email to a client."
# back in the feedback list: write a feedback and give it a domain
keys q
wait_for "feedback  2  fbs"
keys n
wait_for "new feedback:"
type_text "Use British spelling"
keys Enter
wait_for "feedback 3 written"
wait_for "feedback  3  fbs"
keys d
wait_for "domain:"
type_text "letters to the editor"
keys Enter
wait_for "domain set"
wait_for "letters to the editor"
keys T
wait_for "type set"
keys Q
tui_stop
"$PS_BIN" -w "$WS" critique show 3 --json | python3 -c '
import json, sys
f = json.load(sys.stdin)["feedback"]
assert (f["feedback"], f["domain"], f["type"], f["dataset"]) == ("Use British spelling", "letters to the editor", "quantitative", "fbs"), f
' || fail "feedback written in the TUI"

"$PS_BIN" -w "$WS" critique show "$FB" --edits > "$T/show.txt" || fail "show"
grep -q "accepted" "$T/show.txt" || fail "accept not stored: $(cat "$T/show.txt")"
grep -q "edit .* critique by human:tester: No sports analogy.  ->  Add a football analogy." "$T/show.txt" \
    || fail "edit history: $(grep edit "$T/show.txt")"
grep -q "edit .* status by human:tester: pending  ->  accepted" "$T/show.txt" || fail "status edit history"
grep -q "edit .* baseline by regenerate:human:tester: Targets are up 10%.  ->  Baseline answer to: Email the team" \
    "$T/show.txt" || fail "regeneration history: $(grep regenerate "$T/show.txt")"

# critique review ID reopens the view; u undoes the latest edit (the accept)
tui_start 140 40 -w "$WS" critique review "$FB"
wait_for "critique  #$FB  [in]"
wait_for "accepted 1"
keys u
wait_for "undid the edit of status"
wait_for "accepted 0"
keys Q
tui_stop
"$PS_BIN" -w "$WS" critique show "$FB" --json | python3 -c '
import json, sys
d = json.load(sys.stdin)
it = [i for i in d["items"] if i["prompt"].startswith("Write a pep talk")][0]
assert it["status"] == "pending" and it["critique"] == "Add a football analogy.", it
' || fail "after undo"
tui_cleanup
echo "critique review: ok"
