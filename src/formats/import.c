#include "formats/import.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "core/progress.h"
#include "core/sanitize.h"
#include "core/xalloc.h"
#include "formats/csv.h"
#include "formats/fieldmap.h"
#include "formats/formats.h"
#include "formats/hfcache.h"
#include "formats/joinfile.h"
#include "formats/jsonstream.h"
#include "formats/parquet.h"
#include "formats/reader.h"
#include "formats/spool.h"
#include "store/store.h"

static int
has_suffix(const char *s, const char *suf)
{
    size_t n = strlen(s), m = strlen(suf);
    return n >= m && strcmp(s + n - m, suf) == 0;
}

void
import_default_name(const char *path, char *out, size_t size)
{
    if (hf_is_ref(path)) { /* hf:OWNER/NAME[:SPLIT] -> NAME[-SPLIT] */
        const char *name = strchr(path, '/');
        snprintf(out, size, "%s", name ? name + 1 : path + 3);
        char *colon = strchr(out, ':');
        if (colon)
            *colon = '-';
        return;
    }
    const char *slash = strrchr(path, '/');
    snprintf(out, size, "%s", strcmp(path, "<stdin>") == 0 ? "stdin" : slash ? slash + 1 : path);
    /* ".dataset" too: LLMBar's X.dataset.json is the dataset X */
    static const char *const exts[] = {".gz",  ".jsonl",  ".json",    ".csv",
                                       ".tsv", ".ndjson", ".parquet", ".dataset"};
    for (int pass = 0; pass < 3; pass++)
        for (size_t i = 0; i < sizeof exts / sizeof exts[0]; i++)
            if (has_suffix(out, exts[i]) && strlen(out) > strlen(exts[i]))
                out[strlen(out) - strlen(exts[i])] = '\0';
    /* shards as the hub names them: train-00000-of-00003 -> train */
    char *dash = strstr(out, "-of-");
    size_t len = strlen(out);
    if (dash && dash > out + 1 &&
        strspn(dash + 4, "0123456789") == len - (size_t)(dash + 4 - out) && dash[4]) {
        char *d = dash;
        while (d > out && d[-1] >= '0' && d[-1] <= '9')
            d--;
        if (d < dash && d > out + 1 && d[-1] == '-')
            d[-1] = '\0';
    }
}

static int
is_csv_path(const char *path)
{
    return has_suffix(path, ".csv") || has_suffix(path, ".csv.gz") || has_suffix(path, ".tsv") ||
           has_suffix(path, ".tsv.gz");
}

static char
csv_sep(const char *path)
{
    return has_suffix(path, ".tsv") || has_suffix(path, ".tsv.gz") ? '\t' : ',';
}

static void
job_tmp_reset(struct fmt_job *job)
{
    for (int i = 0; i < job->n_tmp; i++)
        free(job->tmp[i]);
    job->n_tmp = 0;
}

static void
job_done(struct fmt_job *job)
{
    job_tmp_reset(job);
    free(job->tmp);
    sb_free(&job->scratch);
    if (job->state_free)
        job->state_free(job->state);
}

static void
list_keys(const cJSON *o, char *out, size_t size)
{
    size_t used = 0;
    out[0] = '\0';
    const cJSON *c;
    cJSON_ArrayForEach(c, o)
    {
        if (!c->string)
            continue;
        int n = snprintf(out + used, size - used, "%s%s", used ? ", " : "", c->string);
        if (n < 0 || (size_t)n >= size - used)
            break;
        used += (size_t)n;
    }
}

/* Choose the format of one file from its first record. */
static int
detect(const char *path, const struct import_opts *opts, const struct import_format **out,
       struct ps_err *err)
{
    const struct import_format *const *all = format_list();
    if (opts->map) {
        *out = format_find("generic");
        return PS_OK;
    }
    if (opts->format) {
        *out = format_find(opts->format);
        if (!*out)
            return ps_error(err, PS_ERR_USAGE, "unknown format '%s' (see prefscope import --help)",
                            opts->format);
        return PS_OK;
    }
    int best = 0;
    *out = NULL;
    if (!pq_is_parquet(path) && is_csv_path(path)) {
        struct csv_reader c;
        struct csv_row hdr = {0};
        if (csv_open(&c, path, csv_sep(path), err) != PS_OK)
            return err->code;
        int rc = csv_next(&c, &hdr, err);
        csv_close(&c);
        if (rc < 0) {
            csv_row_free(&hdr);
            return err->code;
        }
        if (rc == 0) {
            csv_row_free(&hdr);
            return ps_error(err, PS_ERR_PARSE, "%s: empty file (expected a CSV header row)", path);
        }
        for (int i = 0; all[i]; i++) {
            int s = all[i]->detect_csv ? all[i]->detect_csv(&hdr, path) : 0;
            if (s > best) {
                best = s;
                *out = all[i];
            }
        }
        if (!*out) {
            struct strbuf cols = STRBUF_INIT;
            for (int i = 0; i < hdr.n; i++)
                sb_printf(&cols, "%s%s", i ? ", " : "", hdr.field[i]);
            ps_error(err, PS_ERR_PARSE,
                     "%s:1: cannot detect the format from the columns (%.300s);"
                     " use --map prompt=COL,a=COL,b=COL,label=COL or --format",
                     path, sb_str(&cols));
            sb_free(&cols);
        }
        csv_row_free(&hdr);
        return *out ? PS_OK : PS_ERR_PARSE;
    }
    cJSON *first = NULL;
    int rc, mode = JS_LINES, parquet = pq_is_parquet(path);
    long first_line = 1;
    if (parquet) {
        /* a Parquet row is a record, as a JSON line would be */
        struct pq_file *pq;
        if (pq_open(path, &pq, err) != PS_OK)
            return err->code;
        rc = pq_next(pq, &first, err);
        pq_close(pq);
        if (rc == 0)
            return ps_error(err, PS_ERR_PARSE, "%s: no rows (an empty Parquet file)", path);
    } else {
        struct json_stream js;
        if (js_open(&js, path, err) != PS_OK)
            return err->code;
        rc = js_next(&js, &first, err);
        mode = js.mode;
        first_line = js.rec_line ? js.rec_line : 1;
        js_close(&js);
        if (rc == 0)
            return ps_error(err, PS_ERR_PARSE, "%s: no records (empty JSON array)", path);
    }
    if (rc < 0)
        return err->code;
    for (int i = 0; all[i]; i++) {
        int s = 0;
        /* Document formats are candidates unless the file is an array of records:
         * a document written on one line looks like a one-record JSON Lines file. */
        if (all[i]->detect_json &&
            (all[i]->json_record || (all[i]->json_document && mode != JS_ARRAY)))
            s = all[i]->detect_json(first, path);
        if (s > best) {
            best = s;
            *out = all[i];
        }
    }
    if (!*out) {
        char keys[400];
        if (cJSON_IsObject(first))
            list_keys(first, keys, sizeof keys);
        else
            snprintf(keys, sizeof keys, "not an object");
        if (parquet)
            ps_error(err, PS_ERR_PARSE,
                     "%s: row 1: cannot detect the format of the first row (columns: %s);"
                     " use --map prompt=COLUMN,a=COLUMN,b=COLUMN,label=COLUMN or --format",
                     path, keys);
        else
            ps_error(err, PS_ERR_PARSE,
                     "%s:%ld: cannot detect the format of the first record (fields: %s);"
                     " use --map prompt=FIELD,a=FIELD,b=FIELD,label=FIELD or --format",
                     path, first_line, keys);
    }
    cJSON_Delete(first);
    return *out ? PS_OK : PS_ERR_PARSE;
}

/* Skip the current record when it is outside the slice: 1 = skip it, 2 = past the
 * end (stop reading), 0 = read it. */
static int
slice_skip(const struct fmt_job *job)
{
    if (job->index >= job->to)
        return 2;
    return job->index < job->from;
}

static int
run_json(struct fmt_job *job, struct ps_err *err)
{
    struct json_stream js;
    if (js_open(&js, job->path, err) != PS_OK)
        return err->code;
    int rc = PS_OK;
    cJSON *obj;
    int got = 0;
    /* One long transaction (not a streamed, chunked one, which reports the reader's
     * position, nor a dry run): the reading, UTF-8 check and JSON parsing run ahead
     * on another thread, ~15% of the importing thread's work. */
    struct js_ahead *ahead = NULL;
    if (!job->sink->chunk && !job->sink->dry_run)
        js_ahead_start(&js, &ahead);
    else
        job->sink->in_rd = &js.rd;
    long rec_line = 0, index = 0;
    while (!job->stop && (got = ahead ? js_ahead_next(ahead, &obj, &rec_line, &index, err)
                                      : js_next(&js, &obj, err)) > 0) {
        if (!ahead) {
            rec_line = js.rec_line;
            index = js.index;
        }
        job->line = rec_line;
        job->index = index - 1;
        job->field_prefix = NULL;
        int whole = job->fmt->json_document && (js.mode == JS_DOCUMENT || !job->fmt->json_record);
        int skip = whole ? 0 : slice_skip(job);
        if (skip) {
            if (ahead)
                js_ahead_done(ahead, obj);
            else
                cJSON_Delete(obj);
            if (skip == 2)
                break;
            continue;
        }
        if (whole && job->sliced)
            rc = ps_error(err, PS_ERR_USAGE,
                          "%s: format '%s' reads the file as one document: it has no records to "
                          "take a [a:b] slice of",
                          job->path, job->fmt->name);
        else if (whole)
            rc = job->fmt->json_document(job, obj, err);
        else if (!job->fmt->json_record)
            rc = fmt_fail(job, err, "format '%s' expects a single JSON document", job->fmt->name);
        else if (!cJSON_IsObject(obj))
            rc = fmt_fail(job, err, "expected a JSON object, found %s", fmt_json_type(obj));
        else
            rc = job->fmt->json_record(job, obj, err);
        if (ahead)
            js_ahead_done(ahead, obj);
        else
            cJSON_Delete(obj);
        job_tmp_reset(job);
        if (rc != PS_OK)
            break;
    }
    js_ahead_stop(ahead);
    if (rc == PS_OK && !job->stop && got < 0)
        rc = err->code ? err->code : PS_ERR_PARSE;
    job->sink->in_rd = NULL;
    js_close(&js);
    return rc;
}

/* Rows of a Parquet file, each converted as the JSON object it becomes.  A progress
 * bar shows on a terminal: the footer knows the row count. */
static int
run_parquet(struct fmt_job *job, struct ps_err *err)
{
    struct pq_file *pq;
    if (pq_open(job->path, &pq, err) != PS_OK)
        return err->code;
    if (!job->fmt->json_record) {
        pq_close(pq);
        return ps_error(err, PS_ERR_USAGE,
                        "%s: format '%s' reads one JSON document, not rows of a table", job->path,
                        job->fmt->name);
    }
    job->rows = 1;
    struct progress pg;
    struct progress_counts pc = {0};
    progress_init(&pg, "import", pq_num_rows(pq));
    int live = pg.mode == 2 && !job->sink->dry_run && !job->sink->stream; /* no bar under the TUI */
    int rc = PS_OK, got;
    cJSON *obj;
    while (!job->stop && (got = pq_next(pq, &obj, err)) > 0) {
        job->index = pq_row_index(pq);
        job->line = job->index + 1;
        job->field_prefix = NULL;
        job->sink->in_row = job->line;
        job->sink->in_rows = (long)pq_num_rows(pq);
        int skip = slice_skip(job);
        if (skip) {
            cJSON_Delete(obj);
            if (skip == 2)
                break;
            continue;
        }
        rc = job->fmt->json_record(job, obj, err);
        cJSON_Delete(obj);
        job_tmp_reset(job);
        if (rc != PS_OK)
            break;
        pc.done = job->line;
        if (live && (pc.done & 1023) == 0)
            progress_update(&pg, &pc);
    }
    if (rc == PS_OK && !job->stop && got < 0)
        rc = err->code ? err->code : PS_ERR_PARSE;
    if (live)
        progress_finish(&pg, &pc);
    pq_close(pq);
    return rc;
}

/* Every column the format needs must be in the header: name the first missing one and
 * what the header has (sanitized: column names are data). */
static int
check_csv_columns(struct fmt_job *job, const struct csv_row *hdr, struct ps_err *err)
{
    const char *const *need = job->fmt->csv_columns;
    for (int i = 0; need && need[i]; i++) {
        if (csv_col(hdr, need[i]) >= 0)
            continue;
        struct strbuf found = STRBUF_INIT;
        for (int c = 0; c < hdr->n && found.len < 200; c++) {
            if (c)
                sb_puts(&found, ", ");
            text_sanitize(hdr->field[c], strlen(hdr->field[c]), &found, TEXT_SAN_ONELINE);
        }
        int rc = ps_error(err, PS_ERR_PARSE,
                          "%s:%ld: format '%s' needs the column '%s' in the CSV header (found: %s)",
                          job->path, hdr->line, job->fmt->name, need[i], sb_str(&found));
        sb_free(&found);
        return rc;
    }
    return PS_OK;
}

static int
run_csv(struct fmt_job *job, struct ps_err *err)
{
    struct csv_reader c;
    struct csv_row hdr = {0}, row = {0};
    if (csv_open(&c, job->path, csv_sep(job->path), err) != PS_OK)
        return err->code;
    int rc = PS_OK, got = csv_next(&c, &hdr, err);
    if (got == 0)
        rc = ps_error(err, PS_ERR_PARSE, "%s: empty file (expected a CSV header row)", job->path);
    else if (got < 0)
        rc = err->code;
    else if (!job->fmt->csv_record)
        rc = ps_error(err, PS_ERR_USAGE, "%s: format '%s' does not read CSV", job->path,
                      job->fmt->name);
    else
        rc = check_csv_columns(job, &hdr, err);
    job->header = &hdr;
    job->sink->in_rd = &c.rd;
    while (rc == PS_OK && !job->stop && (got = csv_next(&c, &row, err)) > 0) {
        job->line = row.line;
        job->index++;
        job->field_prefix = NULL;
        int skip = slice_skip(job);
        if (skip == 2)
            break;
        if (skip)
            continue;
        if (row.n != hdr.n)
            rc = fmt_fail(job, err, "expected %d columns (as in the header), found %d", hdr.n,
                          row.n);
        else
            rc = job->fmt->csv_record(job, &row, err);
        job_tmp_reset(job);
    }
    if (rc == PS_OK && got < 0)
        rc = err->code;
    job->sink->in_rd = NULL;
    csv_row_free(&hdr);
    csv_row_free(&row);
    csv_close(&c);
    return rc;
}

/* Source records of a file (CSV rows, JSON records, Parquet rows), or -1 when it cannot
 * be read (pipes are spooled to a regular file before this: spool.h). */
static long
count_records(const char *path)
{
    struct stat stt;
    struct ps_err ignored = {0, ""};
    long n = 0;
    if (stat(path, &stt) != 0 || !S_ISREG(stt.st_mode))
        return -1;
    if (pq_is_parquet(path)) {
        struct pq_file *pq;
        if (pq_open(path, &pq, &ignored) != PS_OK)
            return -1;
        n = (long)pq_num_rows(pq);
        pq_close(pq);
        return n;
    }
    if (is_csv_path(path)) {
        struct csv_reader c;
        struct csv_row row = {0};
        if (csv_open(&c, path, csv_sep(path), &ignored) != PS_OK)
            return -1;
        while (csv_next(&c, &row, &ignored) > 0)
            n++;
        csv_row_free(&row);
        csv_close(&c);
        return n > 0 ? n - 1 : 0; /* the header is not a record */
    }
    struct json_stream js;
    cJSON *o;
    if (js_open(&js, path, &ignored) != PS_OK)
        return -1;
    while (js_next(&js, &o, &ignored) > 0) {
        cJSON_Delete(o);
        n++;
    }
    js_close(&js);
    return n;
}

/* A record range of an input, FILE[a:b] with Python's slice rules ([:40] the first 40,
 * [-5:] the last 5, [10:20]); a bound that is not set is the start or the end. */
struct rec_slice {
    int on;
    long a, b;
    int has_a, has_b;
};

/* One bound of a slice at *p: empty (the next character is `stop`) or an integer
 * followed by `stop`; *p is left on `stop`.  0 when it is neither. */
static int
slice_bound(const char **p, char stop, long *v, int *has)
{
    if (**p == stop)
        return 1;
    char *end;
    *v = strtol(*p, &end, 10);
    if (end == *p || *end != stop)
        return 0;
    *has = 1;
    *p = end;
    return 1;
}

/* When `arg` is not itself an existing file and ends in "[a:b]" (a, b optional
 * integers) after a path that exists (or "-"), the slice and the length of that path;
 * else 0.  A file whose name really ends in brackets is read as it is. */
static int
slice_parse(const char *arg, struct rec_slice *sl, size_t *path_len)
{
    struct stat st;
    size_t n = strlen(arg);
    const char *open = strrchr(arg, '[');
    memset(sl, 0, sizeof *sl);
    if (n < 4 || arg[n - 1] != ']' || !open || open == arg || stat(arg, &st) == 0)
        return 0;
    const char *p = open + 1;
    if (!slice_bound(&p, ':', &sl->a, &sl->has_a))
        return 0;
    p++; /* ':' */
    if (!slice_bound(&p, ']', &sl->b, &sl->has_b))
        return 0;
    if (p != arg + n - 1)
        return 0;
    char *path = xstrndup(arg, (size_t)(open - arg));
    int ok = strcmp(path, "-") == 0 || stat(path, &st) == 0;
    free(path);
    if (!ok)
        return 0;
    sl->on = 1;
    *path_len = (size_t)(open - arg);
    return 1;
}

/* The slice as [from, to) over a file of `n` records (n < 0: not counted yet, only
 * asked for when a bound is negative). */
static void
slice_bounds(const struct rec_slice *sl, const char *path, long *from, long *to)
{
    long n = -1;
    if ((sl->has_a && sl->a < 0) || (sl->has_b && sl->b < 0))
        n = count_records(path);
    long a = sl->has_a ? sl->a : 0, b = sl->has_b ? sl->b : LONG_MAX;
    if (a < 0)
        a = n + a < 0 ? 0 : n + a;
    if (b < 0)
        b = n + b < 0 ? 0 : n + b;
    *from = a;
    *to = b;
}

/* `path` is what to open, `name` the input as the user gave it (they differ for a
 * spooled pipe: spool.h). */
static int
import_one(struct import_sink *sink, const char *path, const char *name,
           const struct import_format *fmt, const struct field_map *map, struct fmt_joins *joins,
           const struct rec_slice *sl, long long *bytes, struct ps_err *err)
{
    struct fmt_job job;
    memset(&job, 0, sizeof job);
    job.to = LONG_MAX;
    if (sl && sl->on) {
        job.sliced = 1;
        slice_bounds(sl, path, &job.from, &job.to);
    }
    job.fmt = fmt;
    job.path = path;
    char base[256];
    import_default_name(name, base, sizeof base);
    job.base = base;
    job.map = map;
    job.joins = joins;
    job.sink = sink;
    job.index = -1;
    struct stat in_st;
    sink->in_size = stat(path, &in_st) == 0 ? (long long)in_st.st_size : 0;
    if (sink->dry_run) {
        fprintf(sink->out, "file:    %s\nformat:  %s — %s\nmapping: %s\n", name, fmt->name,
                fmt->summary, fmt->mapping);
        if (map) {
            struct strbuf sb = STRBUF_INIT;
            fieldmap_describe(map, &sb);
            fprintf(sink->out, "fields:  %s\n", sb_str(&sb));
            sb_free(&sb);
        }
    }
    if (sink->dry_run) {
        long n = count_records(path);
        if (n >= 0 && job.sliced) {
            long to = job.to < n ? job.to : n, from = job.from < to ? job.from : to;
            fprintf(sink->out, "records: %ld (records %ld to %ld of %ld)\n", to - from, from,
                    to - 1, n);
        } else if (n >= 0)
            fprintf(sink->out, "records: %ld\n", n);
        else
            fprintf(sink->out, "records: not counted (%s could not be read)\n", name);
    }
    int rc = pq_is_parquet(path) ? run_parquet(&job, err)
             : is_csv_path(path) ? run_csv(&job, err)
                                 : run_json(&job, err);
    (void)bytes;
    job_done(&job);
    return rc;
}

/* A streamed import (opts->chunk > 0): after each record, once the chunk is full,
 * commit it with the dataset's mark, tell the caller, and open the next chunk. */
static int
import_chunk(struct import_sink *sink, struct ps_err *err)
{
    long done = sink->n_records + sink->n_feedback;
    if (done < sink->next_chunk)
        return PS_OK;
    const struct import_opts *o = sink->stream;
    sink->next_chunk = done + o->chunk;
    if (store_dataset_set_import(sink->st, sink->dataset_id, "importing", (int64_t)getpid(), done,
                                 err) != PS_OK ||
        store_commit(sink->st, err) != PS_OK)
        return err->code;
    double frac = sink->in_rd && sink->in_size > 0
                      ? (double)rd_offset(sink->in_rd) / (double)sink->in_size
                  : sink->in_rows > 0 ? (double)sink->in_row / (double)sink->in_rows
                                      : 0;
    if (o->on_chunk && o->on_chunk(o->chunk_ud, done, frac > 1 ? 1 : frac))
        return ps_error(err, PS_ERR_CANCELLED, "import stopped after %ld records", done);
    if (store_begin(sink->st, err) != PS_OK || store_bulk_begin(sink->st, err) != PS_OK)
        return err->code;
    return PS_OK;
}

/* import_files on prepared inputs: files[i] is opened, names[i] is shown; `name`
 * (NULL: derived from the files) is the default dataset name. */
static int
import_run(struct store *st, const char *const *files, const char *const *names,
           const struct rec_slice *slices, int n, const struct import_opts *opts, const char *name,
           struct import_result *res, struct ps_err *err)
{
    if (opts->name || name)
        snprintf(res->name, sizeof res->name, "%s", opts->name ? opts->name : name);
    else
        import_default_name(names[0], res->name, sizeof res->name);
    struct field_map *map = NULL;
    if (opts->n_joins && !opts->map)
        return ps_error(err, PS_ERR_USAGE,
                        "--join needs --map: map the joined fields as $ALIAS.PATH");
    if (opts->map && fieldmap_parse(opts->map, &map, err) != PS_OK)
        return err->code;
    struct fmt_joins *joins = NULL;
    if (opts->n_joins && fmt_joins_load(opts->joins, opts->n_joins, &joins, err) != PS_OK) {
        fieldmap_free(map);
        return err->code;
    }

    struct import_sink sink;
    memset(&sink, 0, sizeof sink);
    sink.st = st;
    sink.dry_run = opts->dry_run;
    sink.out = opts->out ? opts->out : stdout;
    int rc = PS_OK;
    /* Detect every file first: files of join-only formats (judgments for items of
     * other files) are read last, whatever the order on the command line. */
    const struct import_format **fmts = xcalloc((size_t)n, sizeof *fmts);
    for (int i = 0; i < n && rc == PS_OK; i++)
        rc = detect(files[i], opts, &fmts[i], err);
    /* the default name comes from the first file with pairs, not from a judge file */
    for (int i = 0; rc == PS_OK && !opts->name && !name && i < n; i++)
        if (!fmts[i]->joins) {
            import_default_name(names[i], res->name, sizeof res->name);
            break;
        }
    if (rc != PS_OK || opts->dry_run) {
        for (int i = 0; i < n && rc == PS_OK; i++) {
            rc = import_one(&sink, files[i], names[i], fmts[i], map, joins, &slices[i], &res->bytes,
                            err);
            if (i + 1 < n)
                fputc('\n', sink.out);
        }
        free(fmts);
        fieldmap_free(map);
        fmt_joins_free(joins);
        return rc;
    }

    /* Every row an import writes refers to rows it has just written or looked up, so
     * the foreign-key checks (a b-tree lookup per reference and a statement journal
     * per insert: ~10% of a large import's CPU, on its critical path) are off for its
     * transaction.  Not with --replace, whose delete relies on ON DELETE CASCADE, and
     * not for a streamed import, whose connection others use between chunks.  The
     * pragma only works outside a transaction; it is set back after. */
    int fk_off = !opts->replace && opts->chunk <= 0;
    if (fk_off && store_exec(st, "PRAGMA foreign_keys = OFF", err) != PS_OK)
        fk_off = 0;
    if (store_begin(st, err) != PS_OK) {
        if (fk_off)
            store_exec(st, "PRAGMA foreign_keys = ON", err);
        free(fmts);
        fieldmap_free(map);
        fmt_joins_free(joins);
        return err->code;
    }
    int64_t existing;
    int have = store_dataset_find(st, res->name, &existing, NULL) == PS_OK;
    struct strbuf sources = STRBUF_INIT;
    for (int i = 0; i < n; i++)
        sb_printf(&sources, "%s%s", i ? ", " : "", names[i]);
    if (have && opts->append) {
        sink.dataset_id = existing;
    } else {
        if (have && opts->replace)
            rc = store_dataset_delete(st, existing, err);
        if (rc == PS_OK)
            rc = store_dataset_create(st, res->name, sb_str(&sources), NULL, &sink.dataset_id, err);
    }
    sink.skip = opts->skip;
    if (rc == PS_OK && opts->chunk > 0) {
        sink.chunk = import_chunk;
        sink.stream = opts;
        sink.next_chunk = opts->skip + (opts->chunk_first > 0 ? opts->chunk_first : opts->chunk);
        rc = store_dataset_set_import(st, sink.dataset_id, "importing", (int64_t)getpid(),
                                      opts->skip, err);
        /* the format now, not at the end: the partial dataset is shown meanwhile */
        struct strbuf fs = STRBUF_INIT;
        for (int i = 0; i < n; i++)
            if (!strstr(sb_str(&fs), fmts[i]->name))
                sb_printf(&fs, "%s%s", fs.len ? "," : "", fmts[i]->name);
        if (rc == PS_OK)
            rc = store_dataset_set_format(st, sink.dataset_id, sb_str(&fs), err);
        sb_free(&fs);
    }
    if (rc == PS_OK)
        rc = store_bulk_begin(st, err);
    /* one transaction: the full-text index can be built beside it (a first import) */
    if (rc == PS_OK && !sink.chunk)
        rc = store_bulk_side_index(st, err);
    for (int k = 0; k < 2 * n && rc == PS_OK; k++) {
        int i = k % n;
        const struct import_format *used = fmts[i];
        if ((k < n) == (used->joins != 0))
            continue;
        rc = import_one(&sink, files[i], names[i], used, map, joins, &slices[i], &res->bytes, err);
        if (!strstr(res->formats, used->name)) {
            size_t l = strlen(res->formats);
            snprintf(res->formats + l, sizeof res->formats - l, "%s%s", l ? "," : "", used->name);
        }
    }
    struct strbuf notes = STRBUF_INIT;
    if (rc == PS_OK && joins)
        rc = fmt_joins_check(joins, &notes, err);
    snprintf(res->notes, sizeof res->notes, "%s", sb_str(&notes));
    sb_free(&notes);
    if (rc == PS_OK && sink.n_records == 0 && sink.n_feedback == 0)
        rc = ps_error(err, PS_ERR_PARSE, "%s: no records found", names[0]);
    if (rc == PS_OK)
        rc = store_dataset_refresh_counts(st, sink.dataset_id, err);
    if (rc == PS_OK) {
        /* record the formats on the dataset */
        struct strbuf meta = STRBUF_INIT;
        sb_puts(&meta, "{\"formats\":");
        sb_json_str(&meta, res->formats, strlen(res->formats));
        sb_printf(&meta, ",\"repaired\":%ld,\"skipped\":%ld}", sink.n_repaired, sink.n_skipped);
        rc = store_dataset_set_meta(st, sink.dataset_id, sb_str(&meta), err);
        sb_free(&meta);
    }
    if (rc == PS_OK)
        rc = store_dataset_set_format(st, sink.dataset_id, res->formats, err);
    if (rc == PS_OK && (sink.chunk || opts->skip))
        rc = store_dataset_set_import(st, sink.dataset_id, NULL, 0,
                                      sink.n_records + sink.n_feedback, err);
    if (rc == PS_OK)
        rc = store_commit(st, err);
    if (rc != PS_OK)
        store_rollback(st);
    if (fk_off) {
        struct ps_err fk_err = {0};
        if (store_exec(st, "PRAGMA foreign_keys = ON", &fk_err) != PS_OK && rc == PS_OK)
            rc = ps_error(err, fk_err.code, "%s", fk_err.msg);
    }
    sb_free(&sources);
    free(fmts);
    fieldmap_free(map);
    fmt_joins_free(joins);
    res->records = sink.n_records;
    res->feedback = sink.n_feedback;
    res->skipped = sink.n_skipped;
    res->repaired = sink.n_repaired;
    return rc;
}

/* import_files on a list without hf: references: pipes, FIFOs and '-' are spooled
 * (spool.h) so that every input can be read twice (detection, then import). */
static int
import_spooled(struct store *st, char *const *files, int n, const struct import_opts *opts,
               const char *name, struct import_result *res, struct ps_err *err)
{
    struct spool *sp = xcalloc((size_t)n, sizeof *sp);
    const char **open = xcalloc((size_t)n, sizeof *open);
    const char **names = xcalloc((size_t)n, sizeof *names);
    struct rec_slice *slices = xcalloc((size_t)n, sizeof *slices);
    char **sliced = xcalloc((size_t)n, sizeof *sliced); /* FILE of FILE[a:b]; spools borrow it */
    int rc = PS_OK, nstdin = 0, ready = 0;
    for (int i = 0; i < n && rc == PS_OK; i++, ready++) {
        size_t plen = 0;
        const char *file = files[i];
        if (slice_parse(files[i], &slices[i], &plen))
            file = sliced[i] = xstrndup(files[i], plen);
        if (strcmp(file, "-") == 0 && nstdin++)
            rc = ps_error(err, PS_ERR_USAGE, "'-' (standard input) can be given only once");
        else
            rc = spool_prepare(&sp[i], file, err);
        open[i] = spool_open_path(&sp[i]);
        names[i] = sp[i].name;
    }
    if (rc == PS_OK)
        rc = import_run(st, open, names, slices, n, opts, name, res, err);
    for (int i = 0; i < ready; i++) {
        if (rc != PS_OK)
            spool_fix_message(&sp[i], err);
        spool_done(&sp[i]);
    }
    for (int i = 0; i < n; i++)
        free(sliced[i]);
    free(sliced);
    free(sp);
    free(open);
    free(names);
    free(slices);
    return rc;
}

int
import_files(struct store *st, char *const *files, int n, const struct import_opts *opts,
             struct import_result *res, struct ps_err *err)
{
    memset(res, 0, sizeof *res);
    int refs = 0;
    for (int i = 0; i < n; i++)
        refs += hf_is_ref(files[i]);
    if (!refs)
        return import_spooled(st, files, n, opts, NULL, res, err);
    /* hf:OWNER/NAME[:SPLIT] stands for its files in the local hub cache */
    char **all = NULL, name[256];
    int n_all = 0, rc = PS_OK;
    for (int i = 0; i < n && rc == PS_OK; i++) {
        char **got = NULL;
        int n_got = 0;
        if (!hf_is_ref(files[i])) {
            got = xmalloc(sizeof *got);
            got[n_got++] = xstrdup(files[i]);
        } else {
            rc = hf_resolve(files[i], &got, &n_got, name, i == 0 ? sizeof name : 0, err);
        }
        all = xrealloc(all, (size_t)(n_all + n_got + 1) * sizeof *all);
        for (int k = 0; k < n_got; k++)
            all[n_all++] = got[k];
        free(got);
    }
    if (rc == PS_OK)
        rc = import_spooled(st, all, n_all, opts, hf_is_ref(files[0]) ? name : NULL, res, err);
    hf_files_free(all, n_all);
    return rc;
}
