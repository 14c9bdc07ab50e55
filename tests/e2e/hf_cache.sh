#!/usr/bin/env bash
# `prefscope import hf:OWNER/NAME[:SPLIT]` against fake Hugging Face hub caches built
# here (blobs, refs/main, snapshots with symlinks, as huggingface_hub lays them out)
# over the real files of ../shared/data: splits read from file names, refs/main
# picks the snapshot, $HF_HUB_CACHE / $HF_HOME / ~/.cache, Parquet shards with --map,
# JSON Lines gzipped, CSV and JSON; a missing dataset says so with the download line;
# hostile references are refused.  Skipped (77) without the shared data.
set -uo pipefail
: "${PS_BIN:?PS_BIN not set}"
HH="${PS_DATA:-}/hh_rlhf_harmless_test/harmless-base_test.jsonl.gz"
PQ="${PS_DATA:-}/parquet_fixtures/smollm2_customs_train.parquet"
if [ ! -f "$HH" ] || [ ! -f "$PQ" ]; then
    echo "SKIP: shared data not found"
    exit 77
fi
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
ws="$WORK/ws.db"
count() { "$PS_BIN" ls -w "$ws" --json | python3 -c "import json,sys; print({d['name']: d['items'] for d in json.load(sys.stdin)}.get('$1', 'absent'))"; }

# repo CACHE OWNER NAME REV FILE=TARGET...: one snapshot of a dataset repo
repo() {
    local cache=$1 owner=$2 name=$3 rev=$4
    shift 4
    local dir="$cache/datasets--$owner--$name"
    mkdir -p "$dir/blobs" "$dir/refs" "$dir/snapshots/$rev"
    for spec in "$@"; do
        local rel=${spec%%=*} target=${spec#*=}
        local blob
        blob=$(printf '%s' "$rev$rel" | sha256sum | cut -c1-40)
        ln -sf "$target" "$dir/blobs/$blob"
        mkdir -p "$(dirname "$dir/snapshots/$rev/$rel")"
        ln -sf "../../blobs/$blob" "$dir/snapshots/$rev/$rel"
        # nested files need a deeper relative link, as huggingface_hub makes them
        local depth
        depth=$(printf '%s' "$rel" | tr -cd '/' | wc -c)
        if [ "$depth" -gt 0 ]; then
            ln -sf "$(printf '../%.0s' $(seq 1 "$depth"))../../blobs/$blob" "$dir/snapshots/$rev/$rel"
        fi
    done
}

HUB="$WORK/hf/hub"
# HH-RLHF as the hub has it: harmless-base/{train,test}.jsonl.gz; only test here
printf 'x' > "$WORK/readme"
repo "$HUB" Anthropic hh-rlhf 1111aaaa "README.md=$WORK/readme" "harmless-base/test.jsonl.gz=$HH"
echo 1111aaaa > "$HUB/datasets--Anthropic--hh-rlhf/refs/main"
export HF_HOME="$WORK/hf"
unset HF_HUB_CACHE

out=$("$PS_BIN" import -w "$ws" hf:Anthropic/hh-rlhf:test 2>&1) || fail "hf:Anthropic/hh-rlhf:test: $out"
[ "$(count hh-rlhf-test)" = 2312 ] || fail "hh-rlhf-test: 2312 items expected, got $(count hh-rlhf-test) ($out)"
# no split named: the only split there is
out=$("$PS_BIN" import -w "$ws" hf:Anthropic/hh-rlhf 2>&1) || fail "hf:Anthropic/hh-rlhf: $out"
[ "$(count hh-rlhf)" = 2312 ] || fail "hh-rlhf: 2312 items expected, got $(count hh-rlhf)"
# the same as importing the file itself
"$PS_BIN" import -w "$ws" --name direct "$HH" 2>/dev/null
a=$("$PS_BIN" export -w "$ws" direct --format jsonl | python3 -c "import json,sys; print(json.dumps([{k: v for k, v in json.loads(l).items() if k not in ('id', 'meta')} for l in sys.stdin]))" | sha256sum)
b=$("$PS_BIN" export -w "$ws" hh-rlhf --format jsonl | python3 -c "import json,sys; print(json.dumps([{k: v for k, v in json.loads(l).items() if k not in ('id', 'meta')} for l in sys.stdin]))" | sha256sum)
[ "$a" = "$b" ] || fail "hf: import differs from importing the cached file directly"
# an unknown split lists the splits there are
out=$("$PS_BIN" import -w "$ws" hf:Anthropic/hh-rlhf:validation 2>&1) && fail "unknown split accepted"
case $out in *"has no split 'validation' (it has: test)"*) ;; *) fail "unknown split message: $out" ;; esac

# Parquet shards in data/, two snapshots: refs/main names the newer; the older has one shard
repo "$HUB" VolkanSah SmolLM2-customs 0000old "data/train-00000-of-00001.parquet=$PQ"
repo "$HUB" VolkanSah SmolLM2-customs 2222new "data/train-00000-of-00002.parquet=$PQ" \
    "data/train-00001-of-00002.parquet=$PQ" "data/test-00000-of-00001.parquet=$PQ" ".gitattributes=$WORK/readme"
echo 2222new > "$HUB/datasets--VolkanSah--SmolLM2-customs/refs/main"
map=prompt=prompt,a=response,b=system_prompt
out=$("$PS_BIN" import -w "$ws" --map $map hf:VolkanSah/SmolLM2-customs 2>&1) || fail "parquet shards: $out"
[ "$(count SmolLM2-customs)" = 96 ] || fail "two train shards of 48 rows: got $(count SmolLM2-customs) ($out)"
out=$("$PS_BIN" import -w "$ws" --map $map hf:VolkanSah/SmolLM2-customs:test 2>&1) || fail "test split: $out"
[ "$(count SmolLM2-customs-test)" = 48 ] || fail "test split: 48 expected, got $(count SmolLM2-customs-test)"
# without refs/main the newest snapshot is read
rm "$HUB/datasets--VolkanSah--SmolLM2-customs/refs/main"
touch -d '2020-01-01' "$HUB/datasets--VolkanSah--SmolLM2-customs/snapshots/0000old"
out=$("$PS_BIN" import -w "$ws" --name newest --map $map hf:VolkanSah/SmolLM2-customs 2>&1) || fail "newest: $out"
[ "$(count newest)" = 96 ] || fail "newest snapshot: 96 expected, got $(count newest)"
# a dry run through hf:
out=$("$PS_BIN" import --dry-run --map $map hf:VolkanSah/SmolLM2-customs:test 2>&1)
case $out in *"test-00000-of-00001.parquet: row 1)"*) ;; *) fail "dry run through hf: $out" ;; esac

# CSV, JSON and JSON Lines splits by file name, in HF_HUB_CACHE (which wins over HF_HOME)
HUB2="$WORK/other-cache"
python3 - "$WORK" <<'PY'
import csv, json, sys, gzip
w = sys.argv[1]
rows = [{"prompt": f"p{i}", "chosen": f"good {i}", "rejected": f"bad {i}"} for i in range(30)]
with open(f"{w}/train.csv", "w", newline="") as f:
    wr = csv.DictWriter(f, ["prompt", "chosen", "rejected"]); wr.writeheader(); wr.writerows(rows[:20])
json.dump(rows[20:25], open(f"{w}/dev.json", "w"))
with gzip.open(f"{w}/test.jsonl.gz", "wt") as f:
    f.write("".join(json.dumps(r) + "\n" for r in rows[25:]))
PY
repo "$HUB2" org mixed 3333 "train.csv=$WORK/train.csv" "dev.json=$WORK/dev.json" \
    "eval/part.jsonl.gz=$WORK/test.jsonl.gz" "dataset_info.json=$WORK/dev.json"
export HF_HUB_CACHE="$HUB2"
for s in train:20 validation:5 test:5; do
    out=$("$PS_BIN" import -w "$ws" --map prompt=prompt,a=chosen,b=rejected hf:org/mixed:${s%%:*} 2>&1) ||
        fail "mixed ${s%%:*}: $out"
    [ "$(count mixed-${s%%:*})" = "${s##*:}" ] || fail "mixed ${s%%:*}: ${s##*:} items expected, got $(count mixed-${s%%:*})"
done
out=$("$PS_BIN" import -w "$ws" --name viadev --map prompt=prompt,a=chosen,b=rejected hf:org/mixed:dev 2>&1) || fail "split alias dev: $out"
[ "$(count viadev)" = 5 ] || fail "split alias dev -> validation"
out=$("$PS_BIN" import -w "$ws" hf:Anthropic/hh-rlhf 2>&1) && fail "HF_HUB_CACHE ignored"
unset HF_HUB_CACHE HF_HOME

# ~/.cache/huggingface/hub when neither variable is set
mkdir -p "$WORK/home/.cache/huggingface"
ln -s "$HUB" "$WORK/home/.cache/huggingface/hub"
out=$(HOME="$WORK/home" "$PS_BIN" import -w "$ws" --name viahome hf:Anthropic/hh-rlhf:test 2>&1) || fail "~/.cache: $out"
[ "$(count viahome)" = 2312 ] || fail "~/.cache: 2312 items expected"

# absent: says so, in one line, with the download command; nothing imported
export HF_HOME="$WORK/hf"
out=$("$PS_BIN" import -w "$ws" hf:someone/absent-set 2>&1) && fail "absent dataset accepted"
case $out in
*"hf:someone/absent-set is not in the local Hugging Face cache"*"huggingface-cli download --repo-type dataset someone/absent-set"*) ;;
*) fail "absent message: $out" ;;
esac
[ "$(printf '%s\n' "$out" | wc -l)" = 1 ] || fail "absent message on one line: $out"
[ "$(count absent-set)" = absent ] || fail "absent: a dataset was created"
# hostile references: path traversal, shell and terminal characters
for ref in 'hf:../../etc/passwd' 'hf:a/b;rm -rf x' $'hf:a/b\e[31m' 'hf:a' 'hf:/b' 'hf:a/..' 'hf:a/b:../x'; do
    out=$("$PS_BIN" import -w "$ws" "$ref" 2>&1) && fail "hostile reference accepted: $ref"
    case $out in *"expected hf:OWNER/NAME"*) ;; *) fail "hostile reference $ref: $out" ;; esac
    case $out in *$'\e'*) fail "escape byte echoed for $ref" ;; esac
done
# an hf: reference and a file in one import: one dataset, named after the reference
out=$("$PS_BIN" import -w "$ws" hf:Anthropic/hh-rlhf:test "$HH" --name both 2>&1) || fail "ref + file: $out"
[ "$(count both)" = 4624 ] || fail "ref + file: 4624 items expected, got $(count both)"
[ $fails = 0 ] || { echo "$fails failure(s)"; exit 1; }
echo "hf_cache: all checks passed"
