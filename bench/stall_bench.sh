#!/bin/bash
# How exactly the stream stall detector fires (docs/llm.md, "Timeouts"): for each
# stall_timeout, REPS streamed chats against tests/e2e/fake_llm.py whose stream sends
# its first tokens and then nothing (@@trickle:30@@); prints the time from the request
# to the timeout error, and its excess over stall_timeout (the first tokens take a few
# ms, so the excess is the detector's lateness plus that).
#   bench/stall_bench.sh [REPS]        (default 5; needs a build in build/)
set -eu
cd "$(dirname "$0")/.."
REPS=${1:-5}
T=$(mktemp -d)
mkfifo "$T/in"
python3 tests/e2e/fake_llm.py <"$T/in" >"$T/ports" &
SERVER=$!
exec 9>"$T/in"
trap 'exec 9>&-; kill $SERVER 2>/dev/null; rm -rf "$T"' EXIT
for _ in $(seq 50); do [ -s "$T/ports" ] && break; sleep 0.1; done
P=$(awk '{print $2}' "$T/ports")
cat >"$T/b.lua" <<LUA
local reps = $REPS
print(string.format("%-14s %6s %8s %8s %8s", "stall_timeout", "reps", "mean s", "max s", "max excess"))
for _, st in ipairs{ 0.3, 1, 2, 5 } do
  local m = assert(ps.model{ name = "s" .. st, base_url = "http://127.0.0.1:$P/v1", model = "fake-model",
                             stall_timeout = st, timeout = 120, max_retries = 0 })
  local sum, max = 0, 0
  for i = 1, reps do
    local t0 = ps.now()
    local r, msg = m:chat{ prompt = "@@trickle:30@@ bench " .. st .. " " .. i .. " " .. os.time(),
                           stream = true, no_cache = true }
    local dt = (ps.now() - t0) / 1000  -- ps.now() is in ms
    assert(r == nil and msg:find("stall_timeout", 1, true), msg)
    sum, max = sum + dt, math.max(max, dt)
  end
  print(string.format("%-14g %6d %8.3f %8.3f %8.3f", st, reps, sum / reps, max, max - st))
end
LUA
./build/prefscope run "$T/b.lua"
