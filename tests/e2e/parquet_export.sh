#!/usr/bin/env bash
# export --format parquet: read back by the independent reader (npm hyparquet) row
# for row equal to the trl / trl-conversational JSON exports, SNAPPY and dictionary
# pages, the `huggingface` features entry; imported back by prefscope with the same
# items; written to a pipe.  Random standard datasets (several row groups) and
# HH-RLHF (conversational: history).  Skipped (77) without node/npm or shared data.
set -euo pipefail
: "${PS_BIN:?PS_BIN not set}"
HERE=$(cd "$(dirname "$0")" && pwd)
HH="${PS_DATA:-}/hh_rlhf_harmless_test/harmless-base_test.jsonl.gz"
if [ ! -f "$HH" ]; then
    echo "SKIP: shared data not found"
    exit 77
fi
# shellcheck source=parquet_npm.bash
. "$HERE/parquet_npm.bash"
cp "$HERE/parquet_export.mjs" "$NPMDIR/"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
export PS_BIN WORK NPMDIR HH
python3 - <<'PY'
import json, os, random, subprocess, sys

BIN, WORK, NPM, HH = os.environ["PS_BIN"], os.environ["WORK"], os.environ["NPMDIR"], os.environ["HH"]
ws = os.path.join(WORK, "ws.db")
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what)


def run(*args, **kw):
    p = subprocess.run([BIN, *args], capture_output=True, **kw)
    if p.returncode != 0:
        sys.exit(f"FAIL: prefscope {' '.join(args)}: {p.stderr.decode().strip()}")
    return p


def jsonl(text):
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def items(name):
    out = run("export", "-w", ws, name, "--format", "jsonl").stdout.decode()
    return [{k: v for k, v in it.items() if k not in ("id", "index", "meta")} for it in jsonl(out)]


rng = random.Random(20261204)
words = ["a", "reward", "model", "é", "中文", "😀", "don\u2019t", '"q"', "\\", "\t", "\n", "x" * 500, ""]
rows = [{"prompt": " ".join(rng.choice(words) for _ in range(rng.randint(1, 9))) or "p",
         "chosen": " ".join(rng.choice(words) for _ in range(rng.randint(0, 30))),
         "rejected": rng.choice(["same rejected", "other", " ".join(rng.choice(words) for _ in range(5))])}
        for _ in range(12345)]
src = os.path.join(WORK, "random.jsonl")
with open(src, "w", encoding="utf-8") as f:
    f.write("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
run("import", "-w", ws, "--name", "random", src)
run("import", "-w", ws, "--name", "hh", HH)

for name, layout, n_groups in (("random", "trl", 2), ("hh", "trl-conversational", 1)):
    pq = os.path.join(WORK, name + ".parquet")
    p = run("export", "-w", ws, name, "--format", "parquet", "-o", pq)
    want = jsonl(run("export", "-w", ws, name, "--format", layout).stdout.decode())
    check(f"exported {len(want)} rows" in p.stderr.decode(), f"{name}: summary ({p.stderr.decode().strip()})")
    r = subprocess.run(["node", os.path.join(NPM, "parquet_export.mjs"), pq], capture_output=True, text=True)
    check(r.returncode == 0, f"{name}: hyparquet reads the export ({r.stderr.strip()[:300]})")
    got = jsonl(r.stdout)
    meta = got.pop()["meta"] if got else {}
    check(got == want, f"{name}: hyparquet's rows equal the {layout} export ({len(got)} vs {len(want)} rows)")
    check(meta.get("codecs") == ["SNAPPY"], f"{name}: SNAPPY everywhere ({meta.get('codecs')})")
    check("RLE_DICTIONARY" in meta.get("encodings", []) and meta.get("dictionary"),
          f"{name}: dictionary-encoded strings ({meta.get('encodings')})")
    check(meta.get("row_groups") == n_groups, f"{name}: {n_groups} row groups ({meta.get('row_groups')})")
    feats = json.loads(meta.get("kv", {}).get("huggingface", "{}")).get("info", {}).get("features", {})
    check(list(feats) == ["prompt", "chosen", "rejected"], f"{name}: huggingface features ({feats})")
    value = {"dtype": "string", "_type": "Value"}
    want_feat = value if layout == "trl" else [{"role": value, "content": value}]
    check(all(feats.get(k) == want_feat for k in feats), f"{name}: features are {layout} ({feats})")
    # imported back by prefscope: the items of the same rows as JSON Lines
    ref = os.path.join(WORK, name + "." + layout + ".jsonl")
    open(ref, "w", encoding="utf-8").write("".join(json.dumps(x, ensure_ascii=False) + "\n" for x in want))
    run("import", "-w", ws, "--name", name + "-pq", pq)
    run("import", "-w", ws, "--name", name + "-ref", ref)
    check(items(name + "-pq") == items(name + "-ref"), f"{name}: re-imported export equals the {layout} JSON")
    # to a pipe: the same bytes
    piped = subprocess.run(f"'{BIN}' export -w '{ws}' {name} --format parquet | cat", shell=True,
                           capture_output=True).stdout
    check(piped == open(pq, "rb").read(), f"{name}: exported through a pipe, byte for byte")
if failures:
    sys.exit(f"{len(failures)} check(s) failed")
print("parquet_export: all checks passed")
PY
