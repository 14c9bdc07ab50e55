# Shared set-up for e2e scripts that collect failures instead of stopping at the
# first:  . "$PS_TESTS/e2e/checks.bash"  then  fail "what"  ...  checks_done
# Gives T (a private temporary directory, the working directory, removed at exit),
# W (a workspace path in it), S (the samples) and P (the binary).
set -u
T=$(mktemp -d)
trap 'chmod -R u+w "$T" 2>/dev/null; rm -rf "$T"' EXIT
cd "$T" || exit 1
W=$T/ws.db
S=$PS_SRC/samples
fails=0
fail() {
    echo "FAIL: $*"
    fails=$((fails + 1))
}
P() { "$PS_BIN" "$@"; }
checks_done() {
    [ "$fails" = 0 ] && echo ok
    [ "$fails" = 0 ]
    exit
}
