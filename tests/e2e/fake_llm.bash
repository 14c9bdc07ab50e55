# Sourced by e2e tests: start tests/e2e/fake_llm.py on free loopback ports.
#   fake_llm_start [fake_llm.py options...]
# Needs $T (the test's temp dir, removed by the caller's trap).  Sets SERVER (its pid)
# and P (its first port), and adds to the EXIT trap: close the server's stdin (it
# exits then), kill it, remove $T.
fake_llm_start() {
    mkfifo "$T/in" # the server's stdin: it exits when fd 9 closes
    python3 "$PS_TESTS/e2e/fake_llm.py" "$@" <"$T/in" >"$T/ports" &
    SERVER=$!
    exec 9>"$T/in"
    trap 'exec 9>&-; kill $SERVER 2>/dev/null; rm -rf "$T"' EXIT
    for _ in $(seq 50); do [ -s "$T/ports" ] && break; sleep 0.1; done
    P=$(awk '{print $2}' "$T/ports")
    [ -n "$P" ] || { echo "fake server did not start"; exit 1; }
}
