#!/usr/bin/env bash
# Every export format over every dataset of ../shared/data (and samples/), exported,
# imported back and compared field by field; losses must equal the export summary's
# counts.  See roundtrip_fields.py.  Without the shared data only samples/ are checked.
set -euo pipefail
: "${PS_BIN:?PS_BIN not set}"
: "${PS_SRC:?PS_SRC not set}"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
export PS_BIN PS_SRC WORK PS_DATA="${PS_DATA:-}"
python3 "$(dirname "$0")/roundtrip_fields.py"
