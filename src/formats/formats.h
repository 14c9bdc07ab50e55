/* The importer framework: format descriptors, the per-file conversion job and the
 * helpers converters use to read fields and emit records.
 *
 * A format converts one source record (a JSON object or a CSV row) into zero or
 * more struct ps_record values and hands each to fmt_emit().  Formats are listed in
 * FORMAT_LIST (registry.c); detection asks every format to score the first record
 * and takes the best. */
#ifndef PS_FORMATS_FORMATS_H
#define PS_FORMATS_FORMATS_H

#include <stdint.h>
#include <stdio.h>

#include <cjson/cJSON.h>

#include "core/err.h"
#include "core/record.h"
#include "core/strbuf.h"
#include "formats/csv.h"

struct store;
struct fmt_job;
struct field_map;
struct import_opts;
struct rd;

struct import_format {
    const char *name;
    const char *summary;
    const char *mapping; /* how source fields become items, responses and judgments */
    /* Score the first record 0..100 (0 = not this format). NULL = never auto-detected. */
    int (*detect_json)(const cJSON *first, const char *path);
    int (*detect_csv)(const struct csv_row *header, const char *path);
    /* Convert one record; call fmt_emit (or fmt_emit_feedback) for each output. */
    int (*json_record)(struct fmt_job *job, const cJSON *obj, struct ps_err *err);
    int (*csv_record)(struct fmt_job *job, const struct csv_row *row, struct ps_err *err);
    /* CSV formats: the header columns csv_record relies on (NULL-terminated), checked
     * before the first row so a converter never meets a missing column.  NULL = none. */
    const char *const *csv_columns;
    /* Formats whose file is one JSON document (not an array or lines). */
    int (*json_document)(struct fmt_job *job, const cJSON *doc, struct ps_err *err);
    /* Non-zero for formats whose records only add judgments to items imported before
     * (PandaLM judge files): import_files reads such files after the others. */
    int joins;
};

/* Where emitted records go: the workspace, or (dry run) a printer. */
struct import_sink {
    struct store *st;
    int64_t dataset_id;
    int dry_run;
    FILE *out;      /* dry run output */
    long n_records; /* records emitted */
    long n_feedback;
    long n_skipped;  /* source records deliberately skipped (reported) */
    long n_repaired; /* irregular records imported with a documented repair */
    /* A streamed import (import_opts.chunk, import.c): `chunk` runs after each record
     * written and commits every so many; `skip` records are passed over unwritten (a
     * resumed import).  in_rd / in_size, or in_row / in_rows for tables, say how far
     * the reading is, for the progress bar. */
    int (*chunk)(struct import_sink *sink, struct ps_err *err);
    const struct import_opts *stream;
    long skip, next_chunk;
    const struct rd *in_rd;
    long long in_size;
    long in_row, in_rows;
};

struct fmt_job {
    const struct import_format *fmt;
    const char *path;             /* the file, as given */
    const char *base;             /* its basename without data extensions ("annotations") */
    long line;                    /* line of the current source record (row for tables) */
    int rows;                     /* the source is a table (Parquet): messages say "row N" */
    long index;                   /* 0-based index of the current source record */
    long from, to;                /* only records from <= index < to are read (FILE[a:b]) */
    int sliced;                   /* the input named a record range */
    const struct csv_row *header; /* CSV only */
    const struct field_map *map;  /* --map, for the generic format */
    struct fmt_joins *joins;      /* --join files for the generic format, or NULL */
    struct import_sink *sink;
    int stop;                 /* set by fmt_emit in dry-run mode after the first record */
    const char *field_prefix; /* "judgments[2]." while a converter reads a nested object:
                                 prefixes field names in fmt_get_* messages; NULL = none */
    /* temporary strings owned by the job, freed after each source record */
    char **tmp;
    int n_tmp, cap_tmp;
    struct strbuf scratch;
    /* per-file converter state, created lazily by a format and released with
     * state_free(state) when the file is done */
    void *state;
    void (*state_free)(void *state);
};

/* ---- field access with errors that name file:line and the field ---- */

/* Get obj[key] as a string.  Absent or null: *out = NULL, and an error when
 * `required`.  Any other type is an error ("expected a string, found number"). */
int fmt_get_str(struct fmt_job *job, const cJSON *obj, const char *key, int required,
                const char **out, struct ps_err *err);
/* Get obj[key] as a number; strings holding numbers are accepted. */
int fmt_get_num(struct fmt_job *job, const cJSON *obj, const char *key, int required, double *out,
                int *present, struct ps_err *err);
/* Where the current record is, for messages: "file:line", or "file: row N" for
 * tables (job-owned, like fmt_tmp). */
const char *fmt_where(struct fmt_job *job);
/* Report an error about the current record: "file:line: <msg>" ("file: row N: <msg>"). */
int fmt_fail(struct fmt_job *job, struct ps_err *err, const char *fmt, ...) PS_PRINTF(3, 4);
/* JSON type name for messages ("string", "number", "array", ...). */
const char *fmt_json_type(const cJSON *v);

/* Copy s[0..n) into memory owned by the job until the current source record has
 * been converted; returns the NUL-terminated copy. */
const char *fmt_tmp(struct fmt_job *job, const char *s, size_t n);
/* Same for a NUL-terminated string / an unformatted cJSON value. */
const char *fmt_tmp_str(struct fmt_job *job, const char *s);
const char *fmt_tmp_json(struct fmt_job *job, const cJSON *v);
const char *fmt_tmp_printf(struct fmt_job *job, const char *fmt, ...) PS_PRINTF(2, 3);

/* Hand a converted record to the sink.  Borrowed strings must stay valid during
 * the call only. */
int fmt_emit(struct fmt_job *job, struct ps_record *rec, struct ps_err *err);
int fmt_emit_feedback(struct fmt_job *job, const char *feedback, const char *domain,
                      const char *effect, const char *meta_json, struct ps_err *err);

/* Convert one record with job->map (the generic format; also the shapes of shapes.c,
 * which set job->map to their built-in mapping).  The caller releases the map's
 * temporary arrays (fieldmap_release) after each record. */
int fmt_generic_record(struct fmt_job *job, const cJSON *o, struct ps_err *err);

/* ---- registry ---- */

/* NULL-terminated list of every format, in detection-priority order. */
const struct import_format *const *format_list(void);
const struct import_format *format_find(const char *name);

/* ---- serialisation shared by show, export, dry-run and Lua ---- */

/* Append a record (as it would be stored) / a stored item as one JSON object in the
 * native prefscope layout (see docs/formats.md). */
void fmt_record_to_json(const struct ps_record *rec, struct strbuf *sb);
struct store_item;
void fmt_item_to_json(const struct store_item *it, struct strbuf *sb);
/* Append JSON text `json` (borrowed) to `out` with every character that a terminal
 * would act on, beyond what JSON escapes already (C1 controls, DEL, bidi controls,
 * U+2028/2029, tag characters: utf8_terminal_active), written as a \uXXXX escape.  The JSON value
 * is unchanged; used where JSON is printed for a person (show --json, dry runs). */
void fmt_json_for_terminal(const char *json, struct strbuf *out);

/* ---- chat message helpers (messages.c) ---- */

/* Text of a message content: a string, or an OpenAI-style list of parts whose
 * "text" parts are joined.  NULL when absent or of another type. */
const char *fmt_content_text(struct fmt_job *job, const cJSON *content);
/* Role of a message object ({"role"|"from": ...}) normalised to "system", "user",
 * "assistant" or the original string. NULL when absent. */
const char *fmt_message_role(const cJSON *msg);
/* Content of a message object ({"content"|"value"|"text": ...}). */
const char *fmt_message_content(struct fmt_job *job, const cJSON *msg);
/* Split messages[0..n) into a system prompt (leading system message), a history
 * (JSON array of {role, content} as a job-owned string, NULL when empty) and the
 * final prompt (the last user message).  Messages after the last user message are
 * kept in the history.  Errors name the field. */
int fmt_split_messages(struct fmt_job *job, const cJSON *msgs, int n, const char *field,
                       const char **system, const char **history, const char **prompt,
                       struct ps_err *err);
/* A response given as a string, one message object, or a list of messages (the
 * assistant text: the content of the last message). */
int fmt_response_text(struct fmt_job *job, const cJSON *v, const char *field, const char **out,
                      struct ps_err *err);
/* Number of leading messages two lists share (same role and content). */
int fmt_shared_messages(struct fmt_job *job, const cJSON *a, const cJSON *b);
/* Text of the messages of `list` from index `from` on, joined by blank lines (one
 * message: its content as is).  Job-owned. */
const char *fmt_messages_text(struct fmt_job *job, const cJSON *list, int from);

#endif
