"""Helpers for the Python parts of the e2e tests (map_structures.sh, map_joins.sh):
prefscope on a workspace, failure collection, native exports and JSONL files.
Environment: PS_BIN, WS (the workspace file), SEED (for the failure messages)."""
import json
import os
import subprocess
import sys

BIN, WS, SEED = os.environ["PS_BIN"], os.environ["WS"], os.environ.get("SEED", "-")
fails = []


def run(*a, ok=True):
    p = subprocess.run([BIN, "-w", WS, *a], capture_output=True, text=True)
    if ok and p.returncode:
        sys.exit(f"FAIL (seed {SEED}): prefscope {' '.join(a)}: {p.stderr.strip()}")
    return p


def check(c, what):
    if not c:
        fails.append(what)
        print(f"FAIL (seed {SEED}):", what)


def items(name):
    """The dataset as native records (export --format jsonl)."""
    run("export", name, "--format", "jsonl", "-o", name + ".out")
    with open(name + ".out", encoding="utf-8") as f:
        return [json.loads(line) for line in f]


def write(name, rows):
    with open(name, "w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r) + "\n")


def finish(what):
    if fails:
        print(len(fails), "failure(s)")
        sys.exit(1)
    print(f"{what}: all checks passed")
