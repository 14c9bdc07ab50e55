"""Driver of parquet_writer.sh (see there)."""
import datetime
import glob
import json
import math
import os
import subprocess
import sys

BIN, WORK, DUMP = os.environ["PS_BIN"], os.environ["WORK"], os.environ["PQ_DUMP"]
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what)


def run(*args, ok=True, **kw):
    p = subprocess.run([BIN, *args], capture_output=True, text=True, **kw)
    if ok and p.returncode != 0:
        sys.exit(f"FAIL: prefscope {' '.join(args)} exited {p.returncode}: {p.stderr.strip()}")
    return p


def as_time(s):
    try:
        return datetime.datetime.fromisoformat(s.replace("Z", "+00:00"))
    except (ValueError, AttributeError):
        return None


def diff(a, b, path):
    """First difference between ours (a) and hyparquet's (b), or None."""
    if isinstance(b, dict) and isinstance(a, dict):
        if list(a) != list(b):
            return f"{path}: columns {list(a)} vs {list(b)}"
        for k in b:
            d = diff(a[k], b[k], f"{path}.{k}")
            if d:
                return d
        return None
    if isinstance(b, list) and isinstance(a, list):
        if len(a) != len(b):
            return f"{path}: {len(a)} elements vs {len(b)}"
        for i, (x, y) in enumerate(zip(a, b)):
            d = diff(x, y, f"{path}[{i}]")
            if d:
                return d
        return None
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool) \
            and not isinstance(b, bool):
        return None if math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-12) else f"{path}: {a} vs {b}"
    if isinstance(a, str) and isinstance(b, str) and as_time(b) and a != b:
        return None if as_time(a) == as_time(b) else f"{path}: time {a} vs {b}"
    return None if a == b and type(a) is type(b) else f"{path}: {a!r} vs {b!r}"


def items(ws, name):
    out = os.path.join(WORK, name + ".export.jsonl")
    run("export", "-w", ws, name, "--format", "jsonl", "-o", out)
    strip = ("id", "index", "meta")
    return [{k: v for k, v in json.loads(line).items() if k not in strip} for line in open(out, encoding="utf-8")]


def counts(ws, name):
    return {d["name"]: d for d in json.loads(run("ls", "-w", ws, "--json").stdout)}[name]


for seed in sorted(os.listdir(WORK)):
    d = os.path.join(WORK, seed)
    if not os.path.isdir(d):
        continue
    ws = os.path.join(d, "ws.db")
    manifest = json.load(open(os.path.join(d, "manifest.json")))
    check(len(manifest) >= 6, f"seed {seed}: files for every codec written ({len(manifest)})")
    run("import", "-w", ws, "--name", "ref", os.path.join(d, "prefs.jsonl"))
    run("import", "-w", ws, "--name", "convref", os.path.join(d, "conversational.jsonl"))
    ref, convref = items(ws, "ref"), items(ws, "convref")
    for m in manifest:
        f, label = m["file"], f"seed {seed} {os.path.basename(m['file'])} ({m['codec']}, {m['enc']})"
        # 1. read field by field against the independent reader
        p = subprocess.run([DUMP, "--dump", f], capture_output=True, text=True)
        check(p.returncode == 0, f"{label}: read ({p.stderr.strip()[:200]})")
        ours = [json.loads(line) for line in p.stdout.splitlines()]
        theirs = [json.loads(line) for line in open(f + ".hyparquet.jsonl", encoding="utf-8")]
        check(len(ours) == len(theirs) == m["rows"], f"{label}: {len(ours)} rows, hyparquet {len(theirs)}, written {m['rows']}")
        bad = [x for x in (diff(a, b, f"row {i + 1}") for i, (a, b) in enumerate(zip(ours, theirs))) if x]
        check(not bad, f"{label}: rows equal hyparquet's ({bad[:3]})")
        # 2. imported: the right counts, the same items as the rows in JSON Lines
        name = os.path.basename(f).replace(".parquet", "")
        p = run("import", "-w", ws, f)
        check(f"imported {m['rows']} records into dataset '{name}' (trl)" in p.stderr, f"{label}: import summary ({p.stderr.strip()})")
        c = counts(ws, name)
        check((c["items"], c["responses"], c["judgments"]) == (m["rows"], 2 * m["rows"], m["rows"]),
              f"{label}: counts {c['items']}/{c['responses']}/{c['judgments']}")
        got = items(ws, name)
        want = convref if "conversational" in name else ref
        check(got == want, f"{label}: items equal those of the same rows as JSON Lines")
        if "conversational" in name:
            check(sum(1 for it in got if it["history"]) == sum(1 for i in range(m["rows"]) if i % 3 == 0),
                  f"{label}: conversations with history keep it")
    # 3. shards import as one dataset named after the split
    shards = sorted(glob.glob(os.path.join(d, "train-*-of-00003.parquet")))
    p = run("import", "-w", ws, *shards)
    check("into dataset 'train'" in p.stderr, f"seed {seed}: shards named 'train' ({p.stderr.strip()})")
    check(items(ws, "train") == ref, f"seed {seed}: three shards give the rows of one file, in order")
    # progress: the footer knows the row count (forced here: stderr is not a terminal)
    p = subprocess.run([BIN, "import", "-w", ws, "--name", "progress", os.path.join(d, "dict_snappy.parquet")],
                       capture_output=True, text=True, env={**os.environ, "PREFSCOPE_PROGRESS": "1"})
    check(p.returncode == 0 and "import [" in p.stderr and "257/257 100%" in p.stderr,
          f"seed {seed}: progress bar with the footer's row count ({p.stderr.strip()[:200]})")
    # 4. dry run, bare-file form
    p = run("import", "--dry-run", os.path.join(d, "dict_snappy.parquet"))
    check("format:  trl " in p.stdout and "first record (" in p.stdout and ": row 1)" in p.stdout,
          f"seed {seed}: dry run shows trl and row 1")
    # 5. a pipe (spooled, then read like the file), and a damaged file in a batch:
    #    one-line error, nothing imported
    good = os.path.join(d, "plain_none.parquet")
    fifo = os.path.join(d, "piped.parquet")
    os.mkfifo(fifo)
    feeder = subprocess.Popen(["sh", "-c", f"cat '{good}' > '{fifo}'"], stderr=subprocess.DEVNULL)
    p = run("import", "-w", ws, "--name", "piped", fifo, ok=False)
    feeder.kill()
    feeder.wait()
    run("import", "-w", ws, "--name", "direct", good)
    dsets = {x["name"]: x for x in json.loads(run("ls", "-w", ws, "--json").stdout)}
    check(p.returncode == 0 and "piped" in dsets and dsets["piped"]["items"] == dsets["direct"]["items"]
          and dsets["piped"]["judgments"] == dsets["direct"]["judgments"],
          f"seed {seed}: a Parquet file through a FIFO imports like the file ({p.stderr.strip()[:200]})")
    data = open(good, "rb").read()
    cut = os.path.join(d, "cut.parquet")
    open(cut, "wb").write(data[: len(data) // 2] + data[-8:])
    p = run("import", "-w", ws, "--name", "batch", good, cut, ok=False)
    check(p.returncode != 0 and "cut.parquet" in p.stderr and len(p.stderr.strip().splitlines()) == 1,
          f"seed {seed}: a damaged file fails in one line ({p.stderr.strip()[:200]})")
    check("batch" not in {x["name"] for x in json.loads(run("ls", "-w", ws, "--json").stdout)},
          f"seed {seed}: nothing of the failed batch was imported")

if failures:
    sys.exit(f"{len(failures)} check(s) failed")
print("parquet_writer: all checks passed")
