#!/bin/sh
# Bytes the TUI writes per keypress, as tmux receives them (80x24, item list of 30
# pairs): a full repaint (Ctrl-L), a key that changes nothing (k at the top), one
# row down (j), and twenty j typed at once.  Runs tests/tui/small_terms.sh, which
# asserts the bounds, and prints its measured figures.
#   bench/tui_bytes_per_key.sh [build/prefscope]
set -e
cd "$(dirname "$0")/.."
PS_BIN=$(realpath "${1:-build/prefscope}") PS_TESTS=$PWD/tests sh -c 'bash tests/tui/small_terms.sh' |
    grep -E '^bytes:|^PASS|^FAIL'
