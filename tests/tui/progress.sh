#!/bin/bash
# Progress of long Lua operations (issue 14.9): chat_many and ps.map against the fake
# LLM (each answer held back with @@delay@@) show a bar with done/total, tokens, errors
# and invalid answers in `prefscope run` on a terminal, in `prefscope repl` and on the
# TUI's status line with the REPL pane open (never over the REPL's prompt: a background
# task's bar waits); piped to a file, the same run writes no bar; ps.progress gives scripts the same bar, and redraws stay at most ~10 a second.
. "$PS_TESTS/tui/lib.bash"
tui_setup
. "$PS_TESTS/e2e/fake_llm.bash"
fake_llm_start
trap 'tui_cleanup; exec 9>&-; kill $SERVER 2>/dev/null' EXIT
WS="$T/ws.db"
cat >"$T/cfg.lua" <<EOF
models = { slow = { base_url = "http://127.0.0.1:$P/v1", model = "slow", concurrency = 2 } }
EOF
# 24 answers two at a time, 400 ms each: about 5 s.  Prompts differ per run (tag) so
# the cache never answers them.
cat >"$T/many.lua" <<'LUA'
local tag = ... or "run"
local reqs = {}
for i = 1, 24 do reqs[i] = tag .. " question " .. i .. " @@delay:400@@" end
local rs = ps.model("slow"):chat_many(reqs)
local ok = 0
for _, r in ipairs(rs) do if r.ok then ok = ok + 1 end end
print("chat_many done " .. ok)
LUA
export PREFSCOPE_CONFIG="$T/cfg.lua"

# 1. prefscope run on a terminal: the bar, redrawn in place
tui_start 120 20 -w "$WS" run "$T/many.lua" term
wait_for "slow [" 15
wait_for "/24"
screen | grep -E "slow \[[#-]+\] +[0-9]+/24 +[0-9]+% .*tok [0-9]+ err 0 invalid 0" >/dev/null ||
    fail "bar fields missing"
wait_for "chat_many done 24" 30
# the final line stays, once, with all 24 done
[ "$(screen | grep -c '24/24 100%')" = 1 ] || fail "final line not shown once"
tui_stop

# 2. the same run piped to a file: no bar, no \r, only the script's output
PREFSCOPE_PROGRESS= "$PS_BIN" -w "$WS" run "$T/many.lua" piped >"$T/piped.out" 2>&1 || fail "piped run failed"
grep -q "chat_many done 24" "$T/piped.out" || fail "piped: $(cat -v "$T/piped.out")"
grep -q "/24\|$(printf '\r')" "$T/piped.out" && fail "bar written to a pipe: $(cat -v "$T/piped.out")"
[ "$(wc -l <"$T/piped.out")" = 1 ] || fail "piped output: $(cat -v "$T/piped.out")"

# 3. the bar's redraw rate: script(1) gives a terminal; count the \r redraws of a
# ps.progress bar stepped 2000 times over about 1.5 s (at most ~10 a second)
if command -v script >/dev/null; then
    cat >"$T/rate.lua" <<'LUA'
local bar = ps.progress("steps", 2000)
for i = 1, 2000 do
  bar:add(i % 100 == 0 and { done = 1, invalid = 1 } or 1)
  if i % 20 == 0 then ps.sleep(15) end
end
bar:finish()
LUA
    script -qec "'$PS_BIN' -w '$WS' run '$T/rate.lua'" /dev/null >"$T/rate.out" 2>&1 || fail "rate run"
    n=$(tr -cd '\r' <"$T/rate.out" | wc -c)
    [ "$n" -ge 3 ] && [ "$n" -le 30 ] || fail "$n redraws for 2000 steps: $(cat -v "$T/rate.out" | head -c 600)"
    grep -q "steps .*2000/2000 100%.*invalid 20" "$T/rate.out" || fail "final: $(cat -v "$T/rate.out")"
fi

# 4. prefscope repl: ps.map over slow calls shows its own label and count
tui_start 120 20 -w "$WS" repl
wait_for "Ctrl-D leaves"
type_text 'm = ps.model("slow"); r = ps.map({1,2,3,4,5,6,7,8,9,10}, function(i) return m:chat{ prompt = "repl " .. i .. " @@delay:400@@" }.text end, { label = "mapping" }); print("map" .. " done", #r)'
keys Enter
wait_for "mapping [" 15
screen | grep -E "mapping \[[#-]+\] +[0-9]+/10 .*tok [0-9]+" >/dev/null || fail "repl bar fields"
wait_for "map done" 30
# a background task's bar never draws over the prompt readline owns
type_text 't = ps.spawn(function() local rs = ps.model("slow"):chat_many({"bg1 @@delay:400@@","bg2 @@delay:400@@","bg3 @@delay:400@@","bg4 @@delay:400@@","bg5 @@delay:400@@","bg6 @@delay:400@@"}); return #rs end)'
keys Enter
sleep 1.5
assert_screen_lacks "slow ["
screen | grep -v "^$" | tail -n 1 | grep -q "^> *$" || fail "the prompt is not intact"
type_text 'print("wai" .. "ted", t:wait())'; keys Enter
wait_for "waited" 30
tui_stop

# 5. the TUI's REPL pane: the bar on the status line while the chunk runs
gen_pairs "$T/pairs.jsonl" 5
"$PS_BIN" -w "$WS" import --name pairs "$T/pairs.jsonl" >/dev/null
tui_start 80 24 tui -w "$WS" -d pairs
wait_for "question number 1"
keys '`'
wait_for "Lua 5.4 with the ps API"
type_text 'rs = ps.model("slow"):chat_many({"p1 @@delay:500@@","p2 @@delay:500@@","p3 @@delay:500@@","p4 @@delay:500@@","p5 @@delay:500@@","p6 @@delay:500@@","p7 @@delay:500@@","p8 @@delay:500@@"}); print("pane" .. " done", #rs)'
keys Enter
wait_for "slow [" 15
screen | grep -E "slow \[[#-]+\] +[0-9]/8 " >/dev/null || fail "pane bar"
wait_for "pane done" 30
wait_gone "slow [" 10
echo ok
