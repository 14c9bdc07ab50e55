#!/bin/bash
# --help and the parser come from one option table (src/app/opts.h): for every
# command converted to it, each option line of --help names an option the parser
# takes (with a value when the line shows one), and an option of another command's
# table is refused with the usage error (exit 2) naming it.
set -u
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fails=0
bad() {
    echo "FAIL: $*"
    fails=$((fails + 1))
}
# command words, then an option that command must refuse
cmds=("import|--swap" "export|--swap" "judge|--format" "critique new|--model" "critique show|--flip" "critique gen|--flip" "critique review|--json"
    "critique export|--model" "critique eval|--format")
checked=0
for entry in "${cmds[@]}"; do
    cmd=${entry%|*}
    foreign=${entry#*|}
    read -r -a words <<<"$cmd"
    "$PS_BIN" "${words[@]}" --help >"$T/help" 2>"$T/err" || bad "$cmd --help: exit $?"
    [ -s "$T/err" ] && bad "$cmd --help wrote to stderr"
    head -1 "$T/help" | grep -q "^usage: prefscope $cmd" || bad "$cmd --help: $(head -1 "$T/help")"
    # generated lines: "  -m, --model M   help" or "  --flip   help"
    n=0
    while read -r long arg; do
        n=$((n + 1))
        if [ -n "$arg" ]; then set -- "$long" "x"; else set -- "$long"; fi
        # no operand: every command stops after parsing, at its missing operand
        "$PS_BIN" -w "$T/ws.db" "${words[@]}" "$@" >"$T/out" 2>&1 </dev/null
        rc=$?
        if grep -q "unknown option" "$T/out" || [ $rc = 2 ]; then
            bad "$cmd: --help lists $long${arg:+ $arg}, the parser refuses it: $(head -1 "$T/out")"
        fi
        checked=$((checked + 1))
    done < <(sed -n 's/^  \(-[a-zA-Z0-9], \)\{0,1\}\(--[a-z][a-z0-9-]*\)\( [A-Z][^ ]*\)\{0,1\}\( .*\)\{0,1\}$/\2\3/p' "$T/help")
    [ "$n" -gt 0 ] || bad "$cmd --help lists no options"
    "$PS_BIN" -w "$T/ws.db" "${words[@]}" "$foreign" x >"$T/out" 2>&1 </dev/null
    rc=$?
    [ $rc = 2 ] && grep -q "^prefscope: $cmd: unknown option or missing value: '$foreign' (see prefscope $cmd --help)" "$T/out" ||
        bad "$cmd $foreign: exit $rc, $(head -1 "$T/out")"
done
[ -e "$T/ws.db" ] && [ "$(sqlite3 "$T/ws.db" 'SELECT count(*) FROM critique' 2>/dev/null || echo 0)" != 0 ] &&
    bad "a parse check stored feedback"
echo "$checked option lines checked"
[ "$checked" -gt 50 ] || bad "only $checked option lines found"
[ "$fails" = 0 ] || exit 1
echo ok
