#!/bin/bash
# kill -9 during an ICAI run (prefscope icai, against tests/e2e/fake_llm.py with the
# ground-truth responder) at each stage:
#   generate  - after some of the 24 proposal calls finished;
#   cluster   - while the clusters are summarized (--summarize: one call per cluster);
#   vote      - after some of the 24 voting calls finished;
#   write     - inside the transaction that stores the constitution: every write to
#               the WAL is slowed (tests/e2e/slow_wal.c, LD_PRELOAD) and the kill lands
#               once the commit has written two of its frames, which the WAL shows.
# After each kill: PRAGMA integrity_check is ok and nothing of the constitution is
# there (no constitution, principle or vote row).  Then the same command again: it
# sends exactly the calls that had not finished (the fake server counts them: none of
# the finished ones, none twice, finished + sent = the run's calls) and stores one
# whole constitution.  (icai_llm.sh checks the recovered principles themselves.)
set -eu
DATA="$PS_DATA/icai_synthetic/synthetic_data_orthogonal_adcbg.csv"
[ -f "$DATA" ] || { echo "shared data absent: skipped"; exit 77; }
command -v python3 >/dev/null || { echo "python3 absent: skipped"; exit 77; }
T=$(mktemp -d)
SRV=
cleanup() { [ -n "$SRV" ] && kill "$SRV" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$T"; }
trap cleanup EXIT
python3 "$PS_TESTS/e2e/fake_llm.py" --ports 1 --delay 120 \
  --responder "$PS_TESTS/e2e/icai_responder.py" </dev/zero >"$T/ports" 2>"$T/fake.err" &
SRV=$!
for _ in $(seq 1 100); do grep -q PORTS "$T/ports" 2>/dev/null && break; sleep 0.05; done
PORT=$(awk '/PORTS/ {print $2}' "$T/ports")
[ -n "$PORT" ] || { echo "fake server did not start"; cat "$T/fake.err"; exit 1; }
config() { # CONCURRENCY: the cache key does not depend on it
  cat >"$T/cfg.lua" <<C
models = { fake = { provider = "openai", base_url = "http://127.0.0.1:$PORT/v1", model = "fake-model",
                    concurrency = $1 } }
C
}
"$PS_BIN" -w "$T/base.db" import --name orth "$DATA" >/dev/null 2>&1
fail() { echo "FAIL: $*"; exit 1; }

# Python helpers, one file: wait (poll the workspace, kill at a stage), check (after
# the kill), rerun (compare the server's requests with the calls finished before).
cat >"$T/h.py" <<'PY'
import json, os, signal, sqlite3, struct, sys, time, urllib.request

KINDS = {"generate": "Selected sample:", "summarize": "mean roughly the same thing",
         "vote": "Sample A:", "judge": "Output (a):"}

def ok_calls(con):
    out = {k: 0 for k in KINDS}
    for (r,) in con.execute("SELECT request FROM llm_call WHERE status = 'ok'"):
        text = json.loads(r)["messages"][-1]["content"]
        for k, mark in KINDS.items():
            if mark in text:
                out[k] += 1
    return out

def wal_frames(path):
    """(committed, uncommitted) frames of the WAL's current generation."""
    try:
        data = open(path + "-wal", "rb").read()
    except FileNotFoundError:
        return 0, 0
    if len(data) < 32:
        return 0, 0
    page = struct.unpack(">I", data[8:12])[0]
    salt = data[16:24]
    committed = pending = 0
    off = 32
    while off + 24 + page <= len(data):
        if data[off + 8:off + 16] != salt:
            break
        pending += 1
        if struct.unpack(">I", data[off + 4:off + 8])[0]:  # a commit frame
            committed, pending = committed + pending, 0
        off += 24 + page
    return committed, pending

def kill_at(db, kind, at_least, cmd):
    """Start cmd, kill -9 it once AT_LEAST calls of KIND finished (or, for "wal",
    once the WAL holds AT_LEAST frames of an unfinished transaction)."""
    import subprocess
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    con = sqlite3.connect(db, timeout=10)
    while p.poll() is None:
        try:
            if kind == "wal":
                if wal_frames(db)[1] >= at_least:
                    p.kill()
                    p.wait()
                    # the WAL as the killed process left it
                    return {"uncommitted_frames": wal_frames(db)[1]}
            elif ok_calls(con)[kind] >= at_least:
                p.kill()
                p.wait()
                return {}
        except sqlite3.OperationalError:
            pass
        time.sleep(0.001 if kind == "wal" else 0.03)
    sys.exit("the run ended (exit %s) before %d %s" % (p.returncode, at_least, kind))

def check(db, stage, expect):
    """After the kill: integrity ok, no constitution, the stage was mid-way."""
    con = sqlite3.connect(db)
    assert con.execute("PRAGMA integrity_check").fetchall() == [("ok",)], "integrity"
    for t in ("constitution", "principle", "principle_vote"):
        n = con.execute("SELECT count(*) FROM %s" % t).fetchone()[0]
        assert n == expect.get(t, 0), "%s: %d %s rows after the kill" % (stage, n, t)
    done = [json.loads(r)["messages"][-1]["content"]
            for (r,) in con.execute("SELECT request FROM llm_call WHERE status = 'ok'")]
    json.dump(done, open(db + ".done.json", "w"))
    return ok_calls(con)

def rerun(db, port, report):
    reqs = json.load(urllib.request.urlopen("http://127.0.0.1:%s/_requests" % port))
    sent = [q["body"]["messages"][-1]["content"] for q in reqs
            if isinstance(q.get("body"), dict) and "messages" in q["body"]]
    done = json.load(open(db + ".done.json"))
    again = [t for t in sent if t in set(done)]
    assert not again, "%d finished calls were sent again" % len(again)
    assert len(sent) == len(set(sent)), "a call was sent twice"
    r = json.load(open(report))
    calls = r["params"]["calls"]
    def kinds(texts):
        return {k: sum(1 for t in texts if m in t) for k, m in KINDS.items()}
    assert len(sent) + len(done) == calls, ("sent", kinds(sent), "finished before", kinds(done),
                                            "calls", r["params"]["calls_detail"])
    con = sqlite3.connect(db)
    assert con.execute("PRAGMA integrity_check").fetchall() == [("ok",)], "integrity after the rerun"
    return len(sent), len(done), calls

if __name__ == "__main__":
    f = sys.argv[1]
    if f == "kill":
        print(json.dumps(kill_at(sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5:])))
    elif f == "check":
        print(json.dumps(check(sys.argv[2], sys.argv[3], json.loads(sys.argv[4]))))
    elif f == "rerun":
        print("%d sent, %d finished before, %d calls" % rerun(*sys.argv[2:5]))
PY
reset_server() { python3 -c "import urllib.request; urllib.request.urlopen(urllib.request.Request('http://127.0.0.1:$PORT/_reset', method='POST'))"; }
mid() { # STAGE COUNTS_JSON KIND TOTAL: the kill landed inside the stage
  python3 -c "import json, sys; c = json.loads(sys.argv[1]); n = c[sys.argv[2]]; sys.exit(0 if 0 < n < int(sys.argv[3]) else 1)" \
    "$2" "$3" "$4" || fail "$1: not killed in the middle of the stage ($2)"
}

# stage KIND AT_LEAST ARGS...: kill the run once AT_LEAST calls of KIND finished,
# check, rerun; prints the counts
run_stage() {
  local name=$1 kind=$2 at=$3
  shift 3
  local W="$T/$name.db"
  cp "$T/base.db" "$W"
  config 2
  python3 "$T/h.py" kill "$W" "$kind" "$at" "$PS_BIN" -w "$W" --config "$T/cfg.lua" icai orth --model fake \
    --seed 7 "$@" >/dev/null || fail "$name: not killed"
  counts=$(python3 "$T/h.py" check "$W" "$name" '{}') || fail "$name: after the kill"
  reset_server
  config 8
  "$PS_BIN" -w "$W" --config "$T/cfg.lua" icai orth --model fake --seed 7 "$@" --json >"$T/$name.json" 2>"$T/$name.err" ||
    fail "$name: rerun: $(cat "$T/$name.err")"
  local res
  res=$(python3 "$T/h.py" rerun "$W" "$PORT" "$T/$name.json" 2>&1) || fail "$name: rerun: $res"
  echo "$name: killed with $counts; rerun: $res"
}

run_stage generate generate 4 --clusters 6
mid generate "$counts" generate 24
run_stage cluster summarize 1 --clusters 6 --summarize
mid cluster "$counts" summarize 6
python3 -c "import json, sys; assert json.loads(sys.argv[1])['generate'] == 24" "$counts" ||
  fail "cluster: generation had not finished ($counts)"
run_stage vote vote 3 --clusters 6
mid vote "$counts" vote 24

# write: every call answered from the cache of a finished run; only the store writes
if command -v "${CC:-cc}" >/dev/null; then
  "${CC:-cc}" -shared -fPIC -O1 -o "$T/slow_wal.so" "$PS_TESTS/e2e/slow_wal.c" -ldl || fail "cc slow_wal.c"
  W="$T/write.db"
  cp "$T/base.db" "$W"
  config 8
  "$PS_BIN" -w "$W" --config "$T/cfg.lua" icai orth --model fake --seed 7 --clusters 6 --name warm >/dev/null 2>&1 ||
    fail "write: the warm-up run"
  before=$(python3 -c "import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); print(*(c.execute('SELECT count(*) FROM ' + t).fetchone()[0] for t in ('constitution', 'principle', 'principle_vote')))" "$W")
  read -r nc np nv <<<"$before"
  wal=$(PS_SLOW_WAL_MS=40 LD_PRELOAD="$T/slow_wal.so" ASAN_OPTIONS="${ASAN_OPTIONS:-}:verify_asan_link_order=0" \
    python3 "$T/h.py" kill "$W" wal 2 "$PS_BIN" -w "$W" --config "$T/cfg.lua" icai orth --model fake --seed 7 \
    --clusters 6 --name final) || fail "write: not killed"
  python3 -c "import json, sys; n = json.loads(sys.argv[1])['uncommitted_frames']; sys.exit(0 if n >= 2 else 1)" "$wal" ||
    fail "write: the kill did not land inside the commit ($wal)"
  python3 "$T/h.py" check "$W" write "{\"constitution\": $nc, \"principle\": $np, \"principle_vote\": $nv}" >/dev/null ||
    fail "write: after the kill"
  reset_server
  "$PS_BIN" -w "$W" --config "$T/cfg.lua" icai orth --model fake --seed 7 --clusters 6 --name final --json \
    >"$T/write.json" 2>"$T/write.err" || fail "write: rerun: $(cat "$T/write.err")"
  res=$(python3 "$T/h.py" rerun "$W" "$PORT" "$T/write.json" 2>&1) || fail "write: rerun: $res"
  echo "write: killed with $wal; rerun: $res"
  python3 - "$W" "$T/write.json" <<'P' || fail "write: the rerun did not store one whole constitution"
import json, sqlite3, sys
con = sqlite3.connect(sys.argv[1])
r = json.load(open(sys.argv[2]))
names = [n for (n,) in con.execute("SELECT name FROM constitution ORDER BY id")]
assert names == ["warm", "final"], names
for name in names:
    n = con.execute("SELECT count(*) FROM principle p JOIN constitution c ON c.id = p.constitution_id WHERE c.name = ?", (name,)).fetchone()[0]
    assert n == len(r["principles"]), (name, n, len(r["principles"]))
P
else
  echo "note: no C compiler: the kill inside the constitution write is not checked"
fi
echo ok
