#!/usr/bin/env bash
# The quantitative C3PO metrics (src/core/metric.c, through ps.c3po.metric) against an
# independent python3 computation: every quantitative feedback of the COLLIE-style and
# final_exp sets scored on generated baseline/revised texts, plus randomly generated
# regexes in the supported subset checked against Python's re.search.
set -uo pipefail
: "${PS_BIN:?PS_BIN not set}"
: "${PS_DATA:?PS_DATA not set}"
D=$PS_DATA/c3po_feedback
[ -f "$D/collie_feedback.json" ] && [ -f "$D/final_exp_feedback.json" ] || { echo "skip: no $D"; exit 77; }
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
cd "$T"

python3 - "$D" > cases.jsonl <<'PY'
import json, random, re, sys
d = sys.argv[1]
recs = [r for f in ("collie_feedback.json", "final_exp_feedback.json")
        for r in json.load(open(f"{d}/{f}")) if r.get("type") == "quantitative"]
rng = random.Random(12)
SP = [" ", "  ", "\n", "\t", "\u00a0", "\u2003", "\u3000", " \n "]
ALPHA = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789,.!?&#'-():;" \
        "ÀÉÖØÞàéöÿĀāŁłŸΑΒΓΔαβγАБВЖабвжЁё"
EMO = ["😍", "💋", "❤", "👩\u200d❤️\u200d💋\u200d👨", "<3", ":3", "📚", "🚀", "✂", "Ⓜ", "🉑"]
def word():
    return "".join(rng.choice(ALPHA) for _ in range(rng.randint(1, 7)))
def vals(r):
    v = r.get("metric_value")
    out = []
    for x in (v if isinstance(v, list) else [v]):
        out += x if isinstance(x, list) else [x]
    return [x for x in out if isinstance(x, str)]
def text(r):
    parts = []
    pieces = vals(r)
    for _ in range(rng.randint(0, 12)):
        k = rng.random()
        if k < 0.3 and pieces and len(pieces[0]) < 60:
            p = rng.choice(pieces)
            p = p.upper() if rng.random() < 0.3 else p
            parts.append(p)
        elif k < 0.45:
            parts.append(rng.choice(EMO))
        elif k < 0.55:
            parts.append(" and ")
        else:
            parts.append(word())
        parts.append(rng.choice(SP) if rng.random() < 0.5 else " ")
    t = "".join(parts)
    if pieces and rng.random() < 0.3 and len(pieces[0]) < 60:
        p = rng.choice(pieces)
        t = (rng.choice(SP) + p + " " + t) if rng.random() < 0.5 else (t + " " + p + rng.choice(SP))
    return t

# the reference definitions, written out again (SOURCE.md)
def clean(s):
    return " ".join(re.sub(r"[^a-z0-9,.!?]", " ", s.lower().strip()).split())
M = {
    "length": lambda x, y: len(x),
    "contains_any_string": lambda x, y: any(s.lower() in x.lower() for s in y),
    "contains_all_strings": lambda x, y: all(s.lower() in x.lower() for s in y),
    "contains_none_strings": lambda x, y: not any(s.lower() in x.lower() for s in y),
    "starts_with": lambda x, y: x.lower().strip().startswith(y.lower().strip()),
    "ends_with": lambda x, y: x.lower().strip().endswith(y.lower().strip()),
    "ends_with_cleaned": lambda x, y: clean(x).endswith(clean(y)),
    "regex_search": lambda x, y: bool(re.search(y, x)),
    "regex_search_false": lambda x, y: not re.search(y, x),
}
def values(r, x):
    ms, vs = r["metric"], r.get("metric_value")
    if not isinstance(ms, list):
        ms, vs = [ms], [vs]
    return [int(M[m](x, v)) for m, v in zip(ms, vs)]
n = 0
for r in recs:
    for _ in range(40):
        b, v = text(r), text(r)
        bv, vv = values(r, b), values(r, v)
        ge = r["comparison"] == "greater_eq_than"
        ok = all((p <= q) if ge else (p >= q) for p, q in zip(bv, vv))
        print(json.dumps({"kind": "metric", "record": r, "baseline": b, "revised": v,
                          "bv": bv, "vv": vv, "ok": ok}))
        n += 1
# random regexes in the supported subset
ATOMS = ["a", "b", "x", ".", "[ab]", "[^a]", "[a-c]", "\\d", "\\w", "\\s", "é", "😍", "[\\U0001F600-\\U0001F64F]", "\\.", "(a|b)", "(?:ab|c)"]
def pat(depth=0):
    s = ""
    for _ in range(rng.randint(1, 4)):
        a = rng.choice(ATOMS) if depth > 1 or rng.random() < 0.7 else "(" + pat(depth + 1) + ")"
        q = rng.choice(["", "", "*", "+", "?", "{2}", "{1,3}", "{0,}", "*?"])
        s += a + q
    if rng.random() < 0.2:
        s = "^" + s
    if rng.random() < 0.2:
        s += "$"
    if rng.random() < 0.15:
        s += "|" + pat(depth + 1)
    return s
for _ in range(1500):
    p = pat()
    t = "".join(rng.choice("abxc.é😍 1\n") for _ in range(rng.randint(0, 10)))
    print(json.dumps({"kind": "regex", "pattern": p, "text": t, "want": bool(re.search(p, t))}))
PY

cat > check.lua <<'LUA'
local util = require "prefscope.util"
local cases = util.read_jsonl(arg[1])
local bad = 0
local function fail(msg) bad = bad + 1; if bad <= 20 then print("FAIL: " .. msg) end end
local n = 0
for _, c in ipairs(cases) do
  n = n + 1
  if c.kind == "metric" then
    local m, err = ps.c3po.metric(c.record)
    if not m then fail("metric " .. ps.json.encode(c.record.metric) .. ": " .. err) else
      local bv, vv = m:values(c.baseline), m:values(c.revised)
      for i = 1, #c.bv do
        if bv[i] ~= c.bv[i] or vv[i] ~= c.vv[i] then
          fail(string.format("%s on %q / %q: got %s/%s want %s/%s", ps.json.encode(c.record.metric),
            c.baseline, c.revised, tostring(bv[i]), tostring(vv[i]), c.bv[i], c.vv[i]))
        end
      end
      if m:score(c.baseline, c.revised) ~= c.ok then fail("score of " .. ps.json.encode(c.record.metric)) end
      -- the DSL round trip scores the same
      local m2 = assert(ps.c3po.metric(m:dsl()))
      if m2:dsl() ~= m:dsl() or m2:score(c.baseline, c.revised) ~= c.ok then fail("dsl round trip " .. m:dsl()) end
    end
  else
    local got, err = ps.c3po.regex_search(c.pattern, c.text)
    if got ~= c.want then fail(string.format("regex %q on %q: got %s want %s", c.pattern, c.text, tostring(got or err), tostring(c.want))) end
  end
end
print(n .. " cases, " .. bad .. " failures")
return bad == 0 and 0 or 1
LUA
"$PS_BIN" -w "$T/ws.db" run check.lua cases.jsonl
