#!/bin/bash
# One command, one table (issue 16): builds a Release binary in its own build
# directory, generates the data, runs every measure against its peer alternately,
# 3 times, and prints one Markdown table of medians and ratios, with the machine
# (cores, CPU model, load average) it ran on.  docs/performance.md holds the latest.
#   bench/run.sh                 # import 200k; BENCH_FULL=1 adds the 1M import
# Environment: BUILD (default build-bench), ROUNDS (3), PY_BT_ROUNDS (resamples the
# Python peer really runs, scaled to 1,000; default 5), LLM_N (requests, 10000),
# BENCH_DIR (scratch, default a new temporary directory, removed afterwards).
#
# Measures and peers:
#   rank, 300k battles between 20 models, 1,000 bootstrap rounds  vs bench/peers/py_bt.py
#   stats, 300k judgments (100k items x 3 annotators), 1,000 rounds (no peer)
#   word diff, 4 KB and 100 KB pairs (bench/text_bench.c; no peer)
#   LLM engine with the call log vs aiohttp and the openai npm package (bench/llm_bench.sh)
#   import 200k (1M) vs the Python importer, first screen vs VisiData: the scripts
#     bench/import_bench.sh and bench/first_screen_bench.sh, when they print RESULT lines
# Every script here prints its figures as `RESULT name key=value ...` lines; this one
# collects them (from all rounds) and reports the median of each.  Times are wall
# clock and CPU (user + sys): on a shared machine the CPU time is the steadier one.
set -eu
SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$SRC/build-bench}
ROUNDS=${ROUNDS:-3}
PY_BT_ROUNDS=${PY_BT_ROUNDS:-5}
LLM_N=${LLM_N:-10000}
if [ -n "${BENCH_DIR:-}" ]; then T=$BENCH_DIR; mkdir -p "$T"; else T=$(mktemp -d); fi
trap 'rm -rf "$T"' EXIT
S="$T/samples"
: >"$S"
say() { printf '# %s\n' "$*" >&2; }

say "building a Release binary in $BUILD"
cmake -S "$SRC" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$BUILD" -j2 >/dev/null
BIN="$BUILD/prefscope"

say "generating and importing the evaluation data"
python3 "$SRC/bench/eval_data.py" 300000 1 20 >"$T/rank.jsonl"
python3 "$SRC/bench/eval_data.py" 100000 3 8 >"$T/stats.jsonl"
"$BIN" -w "$T/rank.db" import --name bench "$T/rank.jsonl" >/dev/null 2>&1
"$BIN" -w "$T/stats.db" import --name bench "$T/stats.jsonl" >/dev/null 2>&1

# timed NAME CMD...: one RESULT line with the command's wall, CPU and peak RSS
timed() {
    local name=$1
    shift
    /usr/bin/time -f "%e %U %S %M" -o "$T/time" "$@" >/dev/null
    awk -v n="$name" '{printf "RESULT %s wall_s=%s cpu_s=%.2f rss_mb=%.1f\n", n, $1, $2 + $3, $4 / 1024}' \
        "$T/time" >>"$S"
}

for r in $(seq "$ROUNDS"); do
    say "round $r of $ROUNDS (load $(cut -d' ' -f1-3 /proc/loadavg))"
    timed rank "$BIN" -w "$T/rank.db" rank bench --bootstrap 1000
    python3 "$SRC/bench/peers/py_bt.py" "$T/rank.jsonl" 1000 "$PY_BT_ROUNDS" | grep '^RESULT' >>"$S"
    timed stats "$BIN" -w "$T/stats.db" stats bench --bootstrap 1000 --against rater0
    "$BUILD/bench/text_bench" | grep '^RESULT' >>"$S"
    BUILD="$BUILD" "$SRC/bench/llm_bench.sh" "$LLM_N" 64 50 2>/dev/null | python3 -c '
import json, sys
for line in sys.stdin:
    if line.startswith("#"):
        if "skipped" in line:
            print("SKIP " + line[2:].strip().removesuffix(": skipped"))
        continue
    r = json.loads(line)
    c = r["client"]
    name = ("llm_ours_log" if "sqlite log" in c else "llm_ours_stream" if "stream" in c
            else "llm_ours" if c.startswith("prefscope") else
            "llm_" + "".join(ch if ch.isalnum() else "_" for ch in c).strip("_"))
    print("RESULT %s pct_of_ideal=%s cpu_us_per_req=%s wall_s=%s" % (
        name, r["pct_of_ideal"], r["cpu_us_per_req"], r["wall_s"]))' >>"$S"
done

# the import and first-screen benchmarks alternate with their peers themselves
ext() { # SCRIPT ARGS...: run it if it reports RESULT lines, else say why not
    local f="$SRC/bench/$1"
    shift
    if [ ! -x "$f" ]; then
        echo "SKIP bench/$(basename "$f") is absent" >>"$S"
    elif ! grep -q RESULT "$f"; then
        echo "SKIP bench/$(basename "$f") prints no RESULT line yet" >>"$S"
    else
        say "bench/$(basename "$f") $*"
        BUILD="$BUILD" PS_BIN="$BIN" "$f" "$@" 2>/dev/null | grep -E '^(RESULT|SKIP)' >>"$S" ||
            echo "SKIP bench/$(basename "$f") failed" >>"$S"
    fi
}
ext import_bench.sh 200000
[ "${BENCH_FULL:-0}" = 1 ] && ext import_bench.sh 1000000
ext first_screen_bench.sh

python3 - "$S" "$ROUNDS" <<'PY'
import collections, re, statistics, subprocess, sys
vals = collections.defaultdict(list)
skips = []
for line in open(sys.argv[1]):
    if line.startswith("SKIP "):
        if line[5:].strip() not in skips:
            skips.append(line[5:].strip())
        continue
    f = line.split()
    for kv in f[2:]:
        k, _, v = kv.partition("=")
        try:
            vals[(f[1], k)].append(float(v))
        except ValueError:
            pass
def med(name, key):
    v = vals.get((name, key))
    return statistics.median(v) if v else None
def fmt(x, unit="", nd=2):
    return "—" if x is None else ("%.*f%s" % (nd, x, unit))
cpu = open("/proc/cpuinfo").read()
model = (re.findall(r"model name\s*:\s*(.*)", cpu) or ["?"])[0]
nproc = subprocess.run(["nproc"], capture_output=True, text=True).stdout.strip()
print("Machine: %s cores, %s; load average at the end %s; medians of %s rounds.\n"
      % (nproc, model, open("/proc/loadavg").read().split()[:3], sys.argv[2]))
print("| measure | prefscope | peer | ratio | target |")
print("|---|---|---|---|---|")
def row(*c):
    print("| " + " | ".join(c) + " |")
rw, rc, rr = med("rank", "wall_s"), med("rank", "cpu_s"), med("rank", "rss_mb")
pw, pc = med("py_bt", "wall_s"), med("py_bt", "cpu_s")
row("`rank` 300k battles, 20 models, 1,000 rounds",
    "%s wall, %s CPU, %s RSS" % (fmt(rw, " s"), fmt(rc, " s"), fmt(rr, " MB", 0)),
    "plain-Python BT (%d rounds run, scaled): %s wall, %s CPU" % (med("py_bt", "rounds") or 0, fmt(pw, " s", 0), fmt(pc, " s", 0)),
    "%s× less CPU" % fmt(pc / rc if pc and rc else None, "", 0), "≤ 2 s, ≤ 100 MB")
sw, sc, sr = med("stats", "wall_s"), med("stats", "cpu_s"), med("stats", "rss_mb")
row("`stats` 300k judgments, 1,000 rounds",
    "%s wall, %s CPU, %s RSS" % (fmt(sw, " s"), fmt(sc, " s"), fmt(sr, " MB", 0)), "—", "—", "≤ 2 s, ≤ 100 MB")
for name in sorted({n for n, _ in vals if n.startswith("diff_")},
                   key=lambda n: (len(n.split("_")[1]), n)):
    target = "≤ 0.2 ms" if name.startswith("diff_4k") else "≤ 10 ms"
    row("word diff " + name[5:], "%s CPU, %s wall (%s edits, simplified %d)" % (
        fmt(med(name, "cpu_ms"), " ms", 3), fmt(med(name, "wall_ms"), " ms", 3),
        fmt(med(name, "edits"), "", 0), med(name, "simplified") or 0), "—", "—", target)
def llm_cell(name):
    return "%s%% of ideal, %s µs CPU/request" % (fmt(med(name, "pct_of_ideal"), "", 1),
                                               fmt(med(name, "cpu_us_per_req"), "", 1))
labels = {"llm_ours_log": "LLM engine, with the call log", "llm_ours": "LLM engine, no log",
          "llm_ours_stream": "LLM engine, streamed"}
for name in ("llm_ours_log", "llm_ours", "llm_ours_stream"):
    if (name, "cpu_us_per_req") in vals:
        row(labels[name], llm_cell(name), "—", "—",
            "≥ 97%, ≤ 60 µs" if name == "llm_ours_log" else "—")
for name in sorted({n for n, _ in vals if n.startswith("llm_") and not n.startswith("llm_ours")}):
    ratio = None
    if med("llm_ours_log", "cpu_us_per_req") and med(name, "cpu_us_per_req"):
        ratio = med(name, "cpu_us_per_req") / med("llm_ours_log", "cpu_us_per_req")
    row("LLM engine with the call log vs " + name[4:], llm_cell("llm_ours_log"), llm_cell(name),
        "%s× less CPU" % fmt(ratio, "", 1), "≥ 97%, ≤ 60 µs")
for name in sorted({n for n, _ in vals if n.startswith("import") or n.startswith("first_screen")}):
    keys = {k for n, k in vals if n == name}
    # exact keys: first_screen also reports ours_full_s/vd_full_s (everything loaded)
    ours_k = "ours_s" if "ours_s" in keys else None
    peer_k = next((k for k in ("peer_s", "vd_s") if k in keys), None)
    ratio = med(name, "ratio") if "ratio" in keys else (
        med(name, peer_k) / med(name, ours_k) if ours_k and peer_k and med(name, ours_k) else None)
    def cell(k, side):
        if not k:
            return "—"
        out = fmt(med(name, k), " s")
        for key, what, unit in ((side + "_cpu_s", "CPU", " s"), (side + "_full_s", "all loaded", " s"),
                                (side + "_rss_mb", "RSS", " MB")):
            if key in keys:
                out += ", %s %s" % (what, fmt(med(name, key), unit, 1 if unit == " MB" else 2))
        return out
    if name.startswith("import"):
        label, target = name.replace("_", " ") + " HH pairs vs a Python importer (wall)", "≥ 3×"
    else:
        label, target = "first screen of a new 200k file vs VisiData (wall)", "≤ 1 s"
    row(label, cell(ours_k, "ours"), cell(peer_k, "peer" if peer_k == "peer_s" else "vd"),
        "%s×" % fmt(ratio), target)
if skips:
    print()
for s in skips:
    print("- skipped: " + s)
PY
