#!/usr/bin/env bash
# Import every preference file of ../shared/data and check the counts and numbers
# their SOURCE.md files state, plus spot checks of texts, irregular records, joins
# and dry runs.  Skipped (exit 77) when the data is absent.
set -euo pipefail
: "${PS_BIN:?PS_BIN not set}"
if [ -z "${PS_DATA:-}" ] || [ ! -d "$PS_DATA/hh_rlhf_harmless_test" ]; then
    echo "SKIP: shared data not found (PS_DATA=${PS_DATA:-unset})"
    exit 77
fi
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
export PS_BIN PS_DATA WORK
python3 "$(dirname "$0")/import_shared_data.py"
