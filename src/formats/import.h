/* Importing files into the workspace: format detection, atomic import, dry runs. */
#ifndef PS_FORMATS_IMPORT_H
#define PS_FORMATS_IMPORT_H

#include <stdio.h>

#include "core/err.h"

struct store;

struct import_opts {
    const char *name;         /* dataset name; NULL = derived from the first file name */
    const char *format;       /* forced format name; NULL = detect per file */
    const char *map;          /* --map spec (implies the generic format) */
    int replace;              /* replace an existing dataset of that name */
    int append;               /* add to an existing dataset of that name */
    int dry_run;              /* detect and print the first record; change nothing */
    const char *const *joins; /* --join specs (formats/joinfile.h), n_joins of them */
    int n_joins;
    FILE *out; /* where dry runs and summaries print (stdout) */
    /* Streaming (the TUI opening a file, src/app/stream.c).  chunk > 0: commit after
     * the first chunk_first records (0: chunk), then every `chunk`, instead of once;
     * the dataset is marked "importing" by this process (store_dataset_set_import)
     * until the last commit clears the mark, so a kill leaves the committed chunks,
     * marked.  on_chunk runs after each commit, outside any transaction, with the
     * records in so far and the fraction of the input read; nonzero stops the import
     * there (PS_ERR_CANCELLED, the dataset still marked).  `skip` source records are
     * passed over unwritten: they are in the dataset already (a resumed import, with
     * append). */
    long chunk, chunk_first, skip;
    int (*on_chunk)(void *ud, long records, double read_frac);
    void *chunk_ud;
};

struct import_result {
    char name[256]; /* the dataset written */
    long records, feedback, skipped, repaired;
    long long bytes;   /* uncompressed bytes read */
    char formats[256]; /* formats used, comma-separated */
    char notes[1024];  /* what the summary should add (joins with misses), or "" */
};

/* Import `files` (n >= 1) into one dataset in a single transaction: on any error
 * the workspace is left exactly as it was and err names file:line.  The files
 * are only borrowed.  A file may be an hf:OWNER/NAME[:SPLIT] reference to a dataset
 * in the local Hugging Face cache (formats/hfcache.h), which stands for its files
 * and names the dataset NAME (NAME-SPLIT). */
int import_files(struct store *st, char *const *files, int n, const struct import_opts *opts,
                 struct import_result *res, struct ps_err *err);

/* Derive a dataset name from a file path: basename without .gz/.json/.jsonl/.csv/
 * .parquet and without a shard suffix (train-00000-of-00003 -> train); NAME[-SPLIT]
 * for an hf: reference. */
void import_default_name(const char *path, char *out, size_t size);

#endif
