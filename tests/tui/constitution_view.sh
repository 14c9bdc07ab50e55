#!/bin/bash
# The ICAI constitution view in a real terminal (tmux): C opens the dataset's newest
# constitution with metric bars, r adds a second annotator side by side with the
# difference marked, Enter lists the pairs a principle decides (for / against the
# label), Enter there opens the pair view, which lists each principle's vote.  Principle text and annotator names are
# hostile (escape sequences): they must reach the screen as placeholders.
set -eu
command -v tmux >/dev/null || { echo "SKIP: tmux not installed"; exit 77; }
T=$(mktemp -d)
S="psicai$$"
trap 'tmux kill-session -t "$S" 2>/dev/null || true; rm -rf "$T"' EXIT
# 8 pairs: "dataset" prefers the longer response; an annotator named with an OSC
# escape prefers the shorter one.
python3 - >"$T/d.jsonl" <<'P'
import json
for i in range(8):
    short, long_ = "ok", "a much longer answer number %d with more words" % i
    a, b = (short, long_) if i % 2 else (long_, short)
    lon = "B" if i % 2 else "A"
    sho = "A" if i % 2 else "B"
    print(json.dumps({"prompt": "question %d" % i, "responses": [{"text": a}, {"text": b}],
                      "judgments": [{"a": 0, "b": 1, "annotator": "dataset", "verdict": lon},
                                    {"a": 0, "b": 1, "annotator": "evil\u001b]0;pwned\u0007", "verdict": sho}]}))
P
W="$T/ws.db"
"$PS_BIN" -w "$W" import --name lens "$T/d.jsonl" >/dev/null 2>&1
"$PS_BIN" -w "$W" icai lens --offline --test-split 0 -a $'evil\e]0;pwned\a' --name byevil >/dev/null 2>&1
"$PS_BIN" -w "$W" icai lens --offline --test-split 0 >/dev/null 2>&1
tmux new-session -d -s "$S" -x 140 -y 40 "env TERM=xterm-256color LC_ALL=C.UTF-8 NO_COLOR=1 '$PS_BIN' -w '$W'"
wait_for() { # text
    for _ in $(seq 1 50); do
        tmux capture-pane -t "$S" -p >"$T/screen" 2>/dev/null || true
        grep -qF -- "$1" "$T/screen" && return 0
        sleep 0.1
    done
    echo "screen lacks: $1"; cat "$T/screen"; exit 1
}
wait_for "lens"
tmux send-keys -t "$S" C
wait_for "constitution 2  offline-1  of lens"
wait_for "scored against dataset"
# "longer" is ranked first, agrees on all 8 pairs: relevance and strength bars full
grep -E "^ +1 ########## +1\.00 +\+1\.00 ###### +\+1\.000  Select the response that is longer" "$T/screen" >/dev/null \
    || { echo "longer row"; cat "$T/screen"; exit 1; }
tmux send-keys -t "$S" r
wait_for "vs evil"
grep -qF "evil␛]0;pwned" "$T/screen" || { echo "annotator not shown as a placeholder"; cat "$T/screen"; exit 1; }
# against the other annotator longer has strength -1: the difference -2 is marked
grep -E "Select the response that is longer" "$T/screen" | grep -qE "\-1\.000 +-2\.000\*" \
    || { echo "difference column"; cat "$T/screen"; exit 1; }
# a second constitution side by side: the one explaining the other annotator, where
# "longer" has strength -1 and is not kept
tmux send-keys -t "$S" ":compare byevil" Enter
wait_for "vs constitution 1 byevil"
grep -E "Select the response that is longer" "$T/screen" | grep -qE "\-1\.000 +-2\.000\* +- " \
    || { echo "constitution comparison"; cat "$T/screen"; exit 1; }
grep -E "Select the response that is shorter" "$T/screen" | grep -qE "\+1\.000 +\+2\.000\* +1 " \
    || { echo "constitution comparison (shorter)"; cat "$T/screen"; exit 1; }
tmux send-keys -t "$S" Enter
wait_for "principle  Select the response that is longer"
wait_for "decides 8 pairs: 8 for the preferred response, 0 against"
tmux send-keys -t "$S" j Enter
wait_for "question 1"
# the pair view lists how each principle voted on the pair on screen
wait_for "PRINCIPLES of the newest constitution"
wait_for " 1 prefers #2  Select the response that is longer"
tmux send-keys -t "$S" q q q
wait_for "scored against dataset"
tmux send-keys -t "$S" Q
echo ok
