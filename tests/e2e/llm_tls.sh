#!/bin/bash
# HTTPS: the server's certificate is verified by default (a self-signed one is
# refused), a model may trust it with ca_file, and only an explicit tls_verify = false
# turns verification off (and says so).
set -eu
command -v openssl >/dev/null || { echo "SKIP: no openssl"; exit 77; }
T=$(mktemp -d)
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/key.pem" -out "$T/cert.pem" -days 2 \
    -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 2>/dev/null
. "$PS_TESTS/e2e/fake_llm.bash"
fake_llm_start --tls "$T/cert.pem,$T/key.pem"
fail() { echo "FAIL: $*"; exit 1; }
export HOME="$T" XDG_CONFIG_HOME= PREFSCOPE_CONFIG=
cat >"$T/c.lua" <<LUA
models = {
  strict = { base_url = "https://127.0.0.1:$P/v1", model = "fake-model", max_retries = 0 },
  ca = { base_url = "https://127.0.0.1:$P/v1", model = "fake-model", ca_file = "$T/cert.pem" },
  insecure = { base_url = "https://127.0.0.1:$P/v1", model = "fake-model", tls_verify = false },
}
LUA
if "$PS_BIN" models --config "$T/c.lua" --json >"$T/out.json" 2>/dev/null; then
    fail "a self-signed certificate was accepted by default"
fi
python3 - "$T/out.json" <<'PY'
import json, sys
m = {x["name"]: x for x in json.load(open(sys.argv[1]))}
s = m["strict"]
assert not s["reachable"] and "certificate" in s["error"].lower(), s
assert s["tls_verify"] is True and m["insecure"]["tls_verify"] is False, m
assert m["ca"]["reachable"] and m["ca"]["chat"], m["ca"]
assert m["insecure"]["reachable"] and m["insecure"]["chat"], m["insecure"]
PY
"$PS_BIN" models --config "$T/c.lua" insecure >"$T/t.txt" || fail "insecure model unusable"
grep -q "TLS NOT VERIFIED (tls_verify = false)" "$T/t.txt" || fail "insecure not flagged: $(cat "$T/t.txt")"
# a script through the ca_file model: the chat goes over verified TLS
echo 'print(assert(ps.model("ca"):chat{ prompt = "over tls" }).text)' >"$T/job.lua"
"$PS_BIN" -w "$T/w.db" --config "$T/c.lua" run "$T/job.lua" >"$T/t.txt" 2>&1 || fail "run: $(cat "$T/t.txt")"
grep -q "^reply to: over tls" "$T/t.txt" || fail "run output: $(cat "$T/t.txt")"
echo 'models = { x = { base_url = "https://127.0.0.1:1/v1", model = "m", tls_verify = "no" } }' >"$T/bad.lua"
if "$PS_BIN" models --config "$T/bad.lua" --no-probe 2>"$T/err"; then fail "tls_verify = \"no\" accepted"; fi
grep -q "tls_verify must be true or false" "$T/err" || fail "tls_verify message: $(cat "$T/err")"
echo ok
