# Sourced by e2e tests: start tests/e2e/fake_llm.py on one loopback port for the
# test's lifetime.  Needs $T (a temporary directory); sets PORT and URL.  The server
# reads its stdin from a FIFO held open on fd 9: closing fd 9 (exec 9>&-) stops it.
#   fake_server_start [fake_llm.py options...]
fake_server_start() {
  mkfifo "$T/in"
  python3 "$PS_TESTS/e2e/fake_llm.py" --ports 1 "$@" <"$T/in" >"$T/ports" 2>"$T/fake.err" &
  exec 9>"$T/in"
  for _ in $(seq 1 100); do grep -q PORTS "$T/ports" 2>/dev/null && break; sleep 0.05; done
  PORT=$(awk '/PORTS/ {print $2}' "$T/ports")
  [ -n "$PORT" ] || { echo "fake server did not start"; cat "$T/fake.err"; exit 1; }
  URL="http://127.0.0.1:$PORT/v1"
}
