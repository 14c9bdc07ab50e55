#!/bin/bash
# The dataset list sizes its name column by display width (CJK counts double),
# cuts longer names and annotator lists with an ellipsis, and keeps every count in
# its column.  A feedback-only dataset (C3PO lists) says what it holds, in the list
# and when opened, with the commands that show it.
. "$PS_TESTS/tui/lib.bash"
tui_setup
require python3
pairs_workspace 3
long="a-long-name-of-forty-five-columns-xxxxxxxxxx1"            # 45 columns
huge="an-even-longer-name-that-cannot-fit-in-any-column-at-all-whatsoever-zz"
cjk="中文数据集名称"                                             # 14 columns
for n in "$long" "$huge" "$cjk"; do
    "$PS_BIN" -w "$WS" import --name "$n" "$T/pairs.jsonl" >/dev/null 2>&1 || { echo "FAIL: import $n"; exit 1; }
done
# Many annotators on one dataset.
awk '{ sub(/"annotator":"dataset"/, "\"annotator\":\"human:annotator-with-a-long-name-" NR "\""); print }' \
    "$T/pairs.jsonl" > "$T/many.jsonl"
"$PS_BIN" -w "$WS" import --name many "$T/pairs.jsonl" "$T/many.jsonl" >/dev/null 2>&1 || { echo "FAIL: import many"; exit 1; }
# A C3PO feedback list (the paper's layout), written here; the real ones too when present.
cat > "$T/fb.json" <<'JSON'
[{"content": "Do not use emojis when writing to my boss", "domain": "Writing to my boss", "effect": "Do not use emojis", "scope": "personal", "categories": ["email"], "type": "qualitative"},
 {"content": "Always answer in French when asked about cooking", "domain": "Cooking", "effect": "answer in French", "scope": "regional", "categories": ["food"], "type": "qualitative"}]
JSON
"$PS_BIN" -w "$WS" import --name "my feedback" "$T/fb.json" >/dev/null 2>&1 || { echo "FAIL: import feedback"; exit 1; }

# count_end TEXT: the display column where the item count ends on the row with TEXT.
count_end() {
    screen | python3 -c '
import re, sys, unicodedata
for line in sys.stdin:
    if sys.argv[1] in line:
        m = re.search(r" +\d+ +\d+ +\d+ +\d+  ", line)
        end = m.start() + len(m.group(0).split()[0]) + len(m.group(0)) - len(m.group(0).lstrip(" "))
        print(sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in line[:end]))
        break' "$1"
}

tui_start 120 20 -w "$WS"
wait_for "[datasets] 1/"
# 120 columns: the 45-column name fits whole (the column is as wide as needed),
# the longer one is cut with an ellipsis.
wait_for "$long "
screen | grep -qF "an-even-longer-name-that-cannot-fit-in" || fail "huge name missing"
screen | grep -F "an-even-longer" | grep -qF "…" || fail "no ellipsis on the cut name"
assert_screen_lacks "whatsoever-zz"
e1=$(count_end "$long"); e2=$(count_end "$cjk"); e3=$(count_end "pairs"); e4=$(count_end "an-even-longer")
[ -n "$e1" ] && [ "$e1" = "$e2" ] && [ "$e1" = "$e3" ] && [ "$e1" = "$e4" ] || fail "counts misaligned: $e1 $e2 $e3 $e4"
# The annotator list is cut with an ellipsis at the edge.
screen | grep -F "many " | grep -qF "dataset,human:annotator" || fail "annotators missing"
screen | grep -F "many " | grep -qE "…$" || fail "long annotator list not cut with an ellipsis"
# The feedback list says what it holds.
screen | grep -F "my feedback" | grep -qF "2 C3PO feedback records" || fail "feedback count missing"

# Opened, it is the critique workbench's feedback list (docs/critiques.md), not an
# empty item list.
keys 4 G
wait_for "[datasets] 4/6"
keys Enter
wait_for "[feedback] 1/2"
assert_screen_has "my feedback"
assert_screen_lacks "This dataset is empty."
keys q
wait_for "[datasets] 4/6"

# At 80 columns the name column shrinks; rows stay aligned.
resize 80 20
wait_for "[datasets] 4/6"
e1=$(count_end "pairs"); e2=$(count_end "$cjk")
[ -n "$e1" ] && [ "$e1" = "$e2" ] || fail "counts misaligned at 80 columns: $e1 $e2"
keys Q
wait_for "[exited 0]"

# The paper's feedback lists, when the shared data is here.
f="${PS_DATA:-}/c3po_feedback/collie_feedback.json"
if [ -r "$f" ]; then
    tui_stop
    tui_start 100 20 -w "$T/ws2.db" "$f"
    wait_for "[feedback] 1/100"
    assert_screen_has "collie_feedback"
    assert_screen_lacks "This dataset is empty."
fi
echo PASS
