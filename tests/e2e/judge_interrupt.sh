#!/bin/bash
# prefscope judge interrupted with Ctrl-C (SIGINT) against the loopback fake server:
# the bar and the summary say how many were judged and how many were not sent (never
# "N/N 100%" and never the unsent counted as errors); the live bar shows errors and
# invalid answers; a rerun sends exactly the unsent ones.  Then cost and tokens: a run
# answered entirely from the cache spends nothing new, and says what the cache saved.
set -eu
command -v python3 >/dev/null || { echo "SKIP: python3 absent"; exit 77; }
T=$(mktemp -d)
cleanup() {
  [ -n "${JP:-}" ] && kill "$JP" 2>/dev/null
  exec 9>&- 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$T"
}
trap cleanup EXIT
. "$PS_TESTS/e2e/fake_server.bash"
fake_server_start
# 40 slow items: even ones carry [[A]] (verdict A), odd ones no marker (invalid);
# the model has a price, so every call has a cost
python3 -c '
for i in range(40):
    mark = "[[A]]" if i % 2 == 0 else "plain"
    print("{\"prompt\":\"q%d %s @@delay:150@@\",\"responses\":[{\"text\":\"a\"},{\"text\":\"b\"}]}" % (i, mark))
' >"$T/slow.jsonl"
cat >"$T/conf.lua" <<C
models = { pj = { provider = "openai", base_url = "$URL", model = "fake", concurrency = 2,
                  price_in = 1000, price_out = 2000 } }
C
W="$T/ws.db"
"$PS_BIN" -w "$W" import --name slow "$T/slow.jsonl" 2>/dev/null
count() { "$PS_BIN" -w "$W" stats slow --json --bootstrap 0 -a "$1" 2>/dev/null |
          python3 -c 'import json,sys; print(json.load(sys.stdin)["judgments"])' 2>/dev/null || echo 0; }
PREFSCOPE_PROGRESS=1 "$PS_BIN" -w "$W" --config "$T/conf.lua" judge slow --model pj \
  >"$T/out1" 2>"$T/err1" &
JP=$!
for _ in $(seq 1 200); do
  n=$(count llm:pj)
  [ "$n" -ge 6 ] && break
  sleep 0.05
done
kill -INT $JP
rc=0; wait $JP || rc=$?
JP=
[ "$rc" = 130 ] || { echo "exit status $rc after SIGINT, want 130"; cat "$T/err1"; exit 1; }
done_n=$(count llm:pj)
python3 - "$T/out1" "$T/err1" "$done_n" <<'PY'
import re, sys
out, err, done = open(sys.argv[1]).read(), open(sys.argv[2]).read(), int(sys.argv[3])
total, left = 40, 40 - done
assert 0 < done < total, done
frames = [f for f in re.split(r"[\r\n]", err) if f.startswith("judge")]
final = frames[-1]
# the final bar: done/total and the unsent, not 40/40 100%
assert " %d/%d " % (done, total) in final, (final, done)
assert "%d/%d 100%%" % (total, total) not in err, final
assert " not sent %d" % left in final, (final, left)
assert " err 0" in final, final
# the live bar shows the invalid answers as they come (odd items have no verdict)
assert any(re.search(r" invalid [1-9]", f) for f in frames[:-1]), frames[:5]
assert re.search(r" invalid [1-9]", final), final
# the summary: judged and not sent, no errors
assert "%d judgments by llm:pj" % done in out, out
assert "; 0 errors;" in out, out
assert "; %d not sent (interrupted)" % left in out, out
assert "%d of %d requests done, %d not sent" % (done, total, left) in err, err
print("interrupted after", done, "of", total, "-", left, "not sent:", final.strip())
PY
# the rerun sends exactly what was not sent, and nothing from the cache is new spend
"$PS_BIN" -w "$W" --config "$T/conf.lua" judge slow --model pj --json >"$T/resume.json" 2>"$T/err2"
python3 - "$T/resume.json" "$done_n" <<'PY'
import json, sys
r, done = json.load(open(sys.argv[1])), int(sys.argv[2])
assert r["requests"] == 40 - done and r["skipped_done"] == done, r
assert r["judged"] == 40 - done and r["not_sent"] == 0 and r["interrupted"] is False, r
assert r["tokens"]["new"] > 0 and r["cost"]["new"] > 0, r
print("resumed", r["requests"], "requests")
PY
# another annotator asks the same questions: every answer comes from the cache, so the
# new spend is 0 and the cached tokens and cost are shown apart (bar, text, --json)
PREFSCOPE_PROGRESS=1 "$PS_BIN" -w "$W" --config "$T/conf.lua" judge slow --model pj \
  --annotator llm:again >"$T/out3" 2>"$T/err3"
"$PS_BIN" -w "$W" --config "$T/conf.lua" judge slow --model pj --annotator llm:third --json \
  >"$T/c.json" 2>/dev/null
python3 - "$T/out3" "$T/err3" "$T/c.json" <<'PY'
import json, re, sys
out, err, r = open(sys.argv[1]).read(), open(sys.argv[2]).read(), json.load(open(sys.argv[3]))
final = [f for f in re.split(r"[\r\n]", err) if f.startswith("judge")][-1]
assert r["cached"] == 40 and r["tokens"]["new"] == 0 and r["cost"]["new"] == 0, r
assert r["tokens"]["cached"] > 0 and r["cost"]["cached"] > 0, r
m = re.search(r" tok 0 \$0\.0000 cached 40 \(tok \S+ \$(\d+\.\d+)\)", final)
assert m and float(m.group(1)) > 0, final
assert "sent: 0 tokens, $0.0000; from cache: 40 answers" in out, out
assert "not spent again" in out, out
print("cache-only run:", final.strip())
PY
echo ok
