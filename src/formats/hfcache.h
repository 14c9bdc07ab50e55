/* Datasets from the local Hugging Face hub cache: `hf:OWNER/NAME[:SPLIT]`.
 *
 * The cache is $HF_HUB_CACHE, else $HF_HOME/hub, else ~/.cache/huggingface/hub; a
 * dataset lives in datasets--OWNER--NAME/snapshots/REVISION/ (the revision refs/main
 * names, else the newest).  Its data files (Parquet, JSON Lines, JSON, CSV/TSV, any
 * of the text ones gzipped) are grouped into splits by their names as the hub lays
 * them out: data/SPLIT-00000-of-00003.parquet, SPLIT.jsonl, SPLIT/..., or a split
 * keyword in the path (train/training, validation/valid/dev/val,
 * test/testing/eval/evaluation); files with none are "train".  Nothing is ever
 * downloaded. */
#ifndef PS_FORMATS_HFCACHE_H
#define PS_FORMATS_HFCACHE_H

#include <stddef.h>

#include "core/err.h"

/* Non-zero when `arg` is an hf: reference. */
int hf_is_ref(const char *arg);

/* Resolve `ref` to its files (sorted; *files and each string owned by the caller:
 * hf_files_free) and a dataset name (NAME, or NAME-SPLIT when a split was asked
 * for) in name[0..size).  Without SPLIT the "train" split is taken, or the only
 * split.  Errors: an invalid reference, a dataset not in the cache (the message
 * gives the huggingface-cli line that would fetch it), an unknown split (the
 * message lists the splits there are). */
int hf_resolve(const char *ref, char ***files, int *n, char *name, size_t size, struct ps_err *err);
void hf_files_free(char **files, int n);

/* The split a file belongs to from its path relative to the snapshot
 * ("data/train_prefs-00000-of-00001.parquet" -> "train_prefs"); into out. */
void hf_split_of(const char *rel, char *out, size_t size);

#endif
