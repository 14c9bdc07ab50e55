#!/usr/bin/env bash
# Code that comes with a folder runs only when trusted (core/trust.h): a prefscope.lua
# next to a workspace is refused without a terminal (one line saying how to trust),
# runs after `prefscope trust`, is refused again once its content changes, and on a
# terminal is asked about once ([y/N]); the user's own --config needs no trust.
command -v python3 > /dev/null || { echo "SKIP: python3 absent"; exit 77; }
. "$PS_TESTS/e2e/checks.bash"
export HOME="$T/home" XDG_STATE_HOME="$T/state"
unset PREFSCOPE_CONFIG PREFSCOPE_NO_TRUST_PROMPT XDG_CONFIG_HOME
mkdir -p "$HOME" shared
WS=$T/shared/ws.db
P -w "$WS" import --name tour "$S/tour.jsonl" 2> /dev/null || fail "import"
LUA=$T/shared/prefscope.lua
write_lua() {
    cat > "$LUA" << L
io.open("$T/ran-$1", "w"):close()
models = { m$1 = { base_url = "http://127.0.0.1:9/v1", model = "x", api_key_env = false } }
L
}
write_lua 1

# not interactive, not trusted: refused, nothing ran
P -w "$WS" models --no-probe < /dev/null > out 2> err && fail "untrusted config accepted"
[ "$(wc -l < err)" = 1 ] || fail "refusal is not one line: $(cat err)"
grep -q "not trusted yet (review it, then 'prefscope trust $LUA')" err || fail "refusal: $(cat err)"
[ -e "$T/ran-1" ] && fail "the untrusted file ran"

# trusted: runs
P -w "$WS" trust > out 2> err || fail "trust: $(cat err)"
grep -q "^prefscope: trusted $LUA" err || fail "trust said: $(cat err)"
grep -q "$LUA" "$T/state/prefscope/trusted" || fail "trust not stored under \$XDG_STATE_HOME"
P -w "$WS" models --no-probe < /dev/null > out 2> err || fail "trusted config refused: $(cat err)"
grep -q "m1" out || fail "models does not list the trusted file's model: $(cat out)"
[ -e "$T/ran-1" ] || fail "the trusted file did not run"
P -w "$WS" trust 2> err
grep -q "already trusted" err || fail "second trust: $(cat err)"

# changed content: refused again until trusted anew (by explicit path)
write_lua 2
P -w "$WS" models --no-probe < /dev/null > out 2> err && fail "changed config accepted"
grep -q "changed since you trusted it" err || fail "changed: $(cat err)"
[ -e "$T/ran-2" ] && fail "the changed file ran"
P trust "$LUA" 2> /dev/null || fail "trust FILE"
P -w "$WS" models --no-probe < /dev/null > out 2> err || fail "re-trusted config refused: $(cat err)"
[ -e "$T/ran-2" ] || fail "the re-trusted file did not run"

# the user's own config (--config) needs no trust; ~/.local/state is the default
write_lua 3
cp "$LUA" "$T/mine.lua"
P -w "$WS" --config "$T/mine.lua" models --no-probe < /dev/null > out 2> err || fail "--config refused: $(cat err)"
[ -e "$T/ran-3" ] || fail "--config did not run"
rm -f "$T/ran-3"
(unset XDG_STATE_HOME; P -w "$WS" trust > /dev/null 2>&1) || fail "trust without XDG_STATE_HOME"
[ -s "$HOME/.local/state/prefscope/trusted" ] || fail "no ~/.local/state/prefscope/trusted"

# on a terminal: asked once; "n" refuses, "y" runs and is remembered
write_lua 4
cat > ptyrun.py << 'PY'
import os, pty, sys, time
answer, argv = sys.argv[1].encode(), sys.argv[2:]
pid, fd = pty.fork()
if pid == 0:
    os.execvp(argv[0], argv)
out = b""
sent = False
while True:
    try:
        data = os.read(fd, 4096)
    except OSError:
        break
    if not data:
        break
    out += data
    if not sent and b"[y/N]" in out:
        os.write(fd, answer + b"\n")
        sent = True
_, status = os.waitpid(pid, 0)
sys.stdout.write(out.decode("utf-8", "replace"))
sys.exit(os.waitstatus_to_exitcode(status))
PY
python3 ptyrun.py n "$PS_BIN" -w "$WS" models --no-probe > out 2>&1 && fail "answer n accepted"
grep -q "came with this folder (changed since you trusted it)" out || fail "no question: $(cat out)"
[ -e "$T/ran-4" ] && fail "ran after answer n"
python3 ptyrun.py y "$PS_BIN" -w "$WS" models --no-probe > out 2>&1 || fail "answer y refused: $(cat out)"
[ -e "$T/ran-4" ] || fail "did not run after answer y"
grep -q "m4" out || fail "models after y: $(cat out)"
P -w "$WS" models --no-probe < /dev/null > out 2> err || fail "answer y not remembered: $(cat err)"
checks_done
