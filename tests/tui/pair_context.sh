#!/bin/bash
# `p` hides only the earlier context (system prompt and history), never the final
# prompt, and keeps the responses on screen: scrolled down to the responses,
# hiding the context must not leave them above the top.
. "$PS_TESTS/tui/lib.bash"
tui_setup
pairs_workspace 5

# 10 rows: the document (context 9 lines + responses + panel) is longer than the screen.
tui_start 120 10 tui -w "$WS" -d pairs
wait_for "[items] 1/5"
keys Enter
wait_for "pair 1/5"
wait_for "PROMPT"
# Scroll until the responses' titles are the first line under the title bar.
for i in $(seq 1 12); do
    screen | sed -n 2p | grep -qF "A = #1 · model-a" && break
    keys j
    sleep 0.2
done
screen | sed -n 2p | grep -qF "A = #1 · model-a" || fail "could not scroll to the responses"
assert_screen_lacks "earlier turn 1"

keys p
wait_for "no-context]"
wait_for "system prompt and history hidden"
# The final prompt stays, the responses are on screen, the context is gone.
assert_screen_has "question number 1 about topic1"
assert_screen_has "A = #1 · model-a"
assert_screen_has "alpha answer 1 shares"
assert_screen_has "(system prompt and 2 earlier turns hidden: p shows them)"
assert_screen_lacks "You are a careful assistant."
assert_screen_lacks "earlier reply 1"

# p again: the context returns above, the responses stay where they were.
keys p
wait_gone "no-context]"
assert_screen_has "A = #1 · model-a"
assert_screen_lacks "hidden: p shows"
keys g g
wait_for "SYSTEM"
assert_screen_has "You are a careful assistant."

# Hidden context stays hidden on the next item, whose prompt shows.
keys p
wait_for "no-context]"
keys J
wait_for "pair 2/5"
wait_for "question number 2 about topic2"
assert_screen_lacks "earlier turn 2"
keys Q
wait_for "[exited 0]"
echo PASS
