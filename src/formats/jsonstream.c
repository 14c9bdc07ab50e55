#include "formats/jsonstream.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "core/utf8.h"
#include "core/xalloc.h"

static int
skip_ws(struct rd *r)
{
    int c;
    while ((c = rd_peek(r)) != -1 && (c == ' ' || c == '\t' || c == '\n' || c == '\r'))
        rd_getc(r);
    return c;
}

static long
line_at(long first_line, const char *s, size_t off)
{
    long line = first_line;
    for (size_t i = 0; i < off; i++)
        if (s[i] == '\n')
            line++;
    return line;
}

int
js_check_text(const char *path, long first_line, const char *s, size_t n, struct ps_err *err)
{
    const char *nul = memchr(s, '\0', n);
    if (nul)
        return ps_error(err, PS_ERR_PARSE, "%s:%ld: NUL byte in input (expected UTF-8 text)", path,
                        line_at(first_line, s, (size_t)(nul - s)));
    size_t bad;
    if (!utf8_valid(s, n, &bad))
        return ps_error(err, PS_ERR_PARSE,
                        "%s:%ld: invalid UTF-8 (byte 0x%02x); expected UTF-8 text", path,
                        line_at(first_line, s, bad), (unsigned char)s[bad]);
    return PS_OK;
}

/* Backslashes occur only inside strings, and skipping the escaped character keeps
 * "\\u0000" (a backslash, then text) apart. */
long
js_find_nul_escape(const char *s, size_t n)
{
    for (const char *p = memchr(s, '\\', n); p; p = memchr(p, '\\', (size_t)(s + n - p))) {
        if ((size_t)(s + n - p) >= 6 && memcmp(p, "\\u0000", 6) == 0)
            return (long)(p - s);
        p += (size_t)(s + n - p) >= 2 ? 2 : 1;
    }
    return -1;
}

/* A NUL would silently cut the string short: refuse it, naming the line. */
static int
check_nul_escape(const char *path, long first_line, const char *s, size_t n, struct ps_err *err)
{
    long at = js_find_nul_escape(s, n);
    if (at >= 0)
        return ps_error(err, PS_ERR_PARSE,
                        "%s:%ld: a string holds \\u0000 (a NUL character), which prefscope "
                        "cannot store without cutting the text; remove or replace it",
                        path, line_at(first_line, s, (size_t)at));
    return PS_OK;
}

/* Scan one balanced JSON value (object or array) into js->buf, starting with the
 * byte `first` already consumed.  Works on whole buffer spans rather than byte by
 * byte because this is the hot loop of array and multi-line imports.  Returns PS_OK
 * or a parse error on EOF. */
static int
scan_value(struct json_stream *js, int first, struct ps_err *err)
{
    struct rd *r = &js->rd;
    int depth = 1, in_str = 0, esc = 0;
    sb_putc(&js->buf, (char)first);
    for (;;) {
        if (r->pos == r->len && !rd_fill(r))
            break;
        const unsigned char *p = r->buf + r->pos, *end = r->buf + r->len, *q = p;
        int done = 0;
        for (; q < end; q++) {
            unsigned c = *q;
            if (in_str) {
                if (esc)
                    esc = 0;
                else if (c == '\\')
                    esc = 1;
                else if (c == '"')
                    in_str = 0;
                else if (c == '\n')
                    r->line++;
                continue;
            }
            if (c == '"') {
                in_str = 1;
            } else if (c == '\n') {
                r->line++;
            } else if (c == '{' || c == '[') {
                depth++;
            } else if ((c == '}' || c == ']') && --depth == 0) {
                q++;
                done = 1;
                break;
            }
        }
        size_t n = (size_t)(q - p);
        sb_append(&js->buf, (const char *)p, n);
        r->pos += n;
        r->bytes += n;
        if (done)
            return PS_OK;
    }
    if (r->failed)
        return rd_error(r, err);
    return ps_error(err, PS_ERR_PARSE,
                    "%s:%ld: unexpected end of file inside the record that starts at line %ld"
                    " (truncated JSON?)",
                    r->path, r->line, js->rec_line);
}

/* A short, printable excerpt of s[off..n) for messages: stops at a line end,
 * replaces control bytes and never cuts a UTF-8 sequence in half. */
static void
excerpt(const char *s, size_t n, size_t off, char *out, size_t size)
{
    size_t o = 0, i = off;
    while (i < n && o + 5 < size && i - off < 24) {
        unsigned char c = (unsigned char)s[i];
        if (c == '\n' || c == '\r')
            break;
        size_t len = c < 0x80 ? 1 : c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
        if (i + len > n || o + len + 1 >= size)
            break;
        if (c < 0x20 || c == 0x7f) {
            out[o++] = ' ';
            i++;
            continue;
        }
        memcpy(out + o, s + i, len);
        o += len;
        i += len;
    }
    out[o] = '\0';
}

/* Does s[0..n) end inside a string or with brackets still open?  *max_depth gets the
 * deepest nesting of brackets.  (Only used to word an error: cJSON's error position
 * alone does not tell a cut record from a typo or from too deep a nesting.) */
static int
ends_open(const char *s, size_t n, long *max_depth)
{
    long depth = 0;
    int in_str = 0, esc = 0;
    *max_depth = 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (in_str) {
            if (esc)
                esc = 0;
            else if (c == '\\')
                esc = 1;
            else if (c == '"')
                in_str = 0;
        } else if (c == '"') {
            in_str = 1;
        } else if (c == '{' || c == '[') {
            if (++depth > *max_depth)
                *max_depth = depth;
        } else if (c == '}' || c == ']') {
            depth--;
        }
    }
    return in_str || depth > 0;
}

static int
parse_buf(struct json_stream *js, cJSON **out, struct ps_err *err)
{
    if (js_check_text(js->rd.path, js->rec_line, js->buf.p, js->buf.len, err) != PS_OK ||
        check_nul_escape(js->rd.path, js->rec_line, js->buf.p, js->buf.len, err) != PS_OK)
        return -1;
    const char *end = NULL;
    errno = 0;
    cJSON *v = cJSON_ParseWithLengthOpts(js->buf.p, js->buf.len, &end, 0);
    long depth = 0;
    int cut = v ? 0 : ends_open(js->buf.p, js->buf.len, &depth);
    /* cJSON answers NULL for a failed allocation too; malloc then set ENOMEM. */
    if (!v && errno == ENOMEM) {
        ps_error(err, PS_ERR_NOMEM,
                 "%s:%ld: out of memory while parsing the %zu-byte JSON record that starts "
                 "here (a record must fit in memory about three times over)",
                 js->rd.path, js->rec_line, js->buf.len);
        return -1;
    }
    if (!v && depth > CJSON_NESTING_LIMIT) {
        ps_error(err, PS_ERR_PARSE,
                 "%s:%ld: the JSON record nests %ld levels deep (objects and arrays inside each "
                 "other); at most %d are read",
                 js->rd.path, js->rec_line, depth, CJSON_NESTING_LIMIT);
        return -1;
    }
    if (!v) {
        size_t off = end && end >= js->buf.p ? (size_t)(end - js->buf.p) : 0;
        const char *e = cJSON_GetErrorPtr();
        if (e && e >= js->buf.p && e <= js->buf.p + js->buf.len)
            off = (size_t)(e - js->buf.p);
        if (off > js->buf.len)
            off = js->buf.len;
        if (cut) {
            /* point at where the text stops */
            off = js->buf.len;
            while (off > 0 && strchr(" \t\r\n", js->buf.p[off - 1]))
                off--;
        }
        long line = line_at(js->rec_line, js->buf.p, off);
        size_t bol = off;
        while (bol > 0 && js->buf.p[bol - 1] != '\n')
            bol--;
        long col = 1;
        for (size_t i = bol; i < off; i++)
            col += ((unsigned char)js->buf.p[i] & 0xC0) != 0x80;
        size_t rest = off;
        while (rest < js->buf.len && strchr(" \t\r\n", js->buf.p[rest]))
            rest++;
        if (cut || rest >= js->buf.len) {
            ps_error(err, PS_ERR_PARSE,
                     "%s:%ld: column %ld: the JSON record that starts at line %ld ends early"
                     " (truncated? expected more values and closing brackets)",
                     js->rd.path, line, col, js->rec_line);
        } else {
            char near[64];
            excerpt(js->buf.p, js->buf.len, off, near, sizeof near);
            ps_error(err, PS_ERR_PARSE,
                     "%s:%ld: column %ld: invalid JSON near \"%s\" (expected a value, ',', ':'"
                     " or a closing bracket)",
                     js->rd.path, line, col, near);
        }
        return -1;
    }
    if (end) {
        while (end < js->buf.p + js->buf.len &&
               (*end == ' ' || *end == '\t' || *end == '\r' || *end == '\n'))
            end++;
        if (end < js->buf.p + js->buf.len) {
            ps_error(err, PS_ERR_PARSE, "%s:%ld: unexpected data after the JSON value", js->rd.path,
                     line_at(js->rec_line, js->buf.p, (size_t)(end - js->buf.p)));
            cJSON_Delete(v);
            return -1;
        }
    }
    *out = v;
    js->index++;
    return 1;
}

int
js_open(struct json_stream *js, const char *path, struct ps_err *err)
{
    memset(js, 0, sizeof *js);
    if (rd_open(&js->rd, path, err) != PS_OK)
        return err->code;
    struct rd *r = &js->rd;
    /* UTF-8 byte order mark */
    if (rd_peek(r) == 0xEF) {
        rd_getc(r);
        if (rd_getc(r) != 0xBB || rd_getc(r) != 0xBF) {
            js_close(js);
            return ps_error(err, PS_ERR_PARSE, "%s:1: invalid UTF-8 at the start of the file",
                            path);
        }
    }
    int c = skip_ws(r);
    if (c == -1) {
        if (r->failed) {
            rd_error(r, err);
            js_close(js);
            return err->code;
        }
        js_close(js);
        return ps_error(err, PS_ERR_PARSE, "%s: empty file (expected JSON, JSON Lines or CSV data)",
                        path);
    }
    if (c == '[') {
        rd_getc(r);
        js->mode = JS_ARRAY;
        return PS_OK;
    }
    if (c != '{') {
        js_close(js);
        return ps_error(err, PS_ERR_PARSE, "%s:%ld: expected a JSON array or object, found '%c'",
                        path, r->line, c >= 0x20 && c < 0x7f ? c : '?');
    }
    /* An object that closes on the line it opened is JSON Lines; otherwise the file
     * is one document. */
    js->rec_line = r->line;
    rd_getc(r);
    if (scan_value(js, '{', err) != PS_OK) {
        js_close(js);
        return err->code;
    }
    js->mode = r->line == js->rec_line ? JS_LINES : JS_DOCUMENT;
    if (js->mode == JS_DOCUMENT && skip_ws(r) != -1) {
        /* multi-line objects one after another: a sequence of records */
        js->mode = JS_CONCAT;
    }
    js->pending = 1;
    return PS_OK;
}

void
js_close(struct json_stream *js)
{
    rd_close(&js->rd);
    sb_free(&js->buf);
}

int
js_next(struct json_stream *js, cJSON **out, struct ps_err *err)
{
    struct rd *r = &js->rd;
    *out = NULL;
    if (js->done)
        return 0;
    if (js->pending) {
        js->pending = 0;
        return parse_buf(js, out, err);
    }
    int c = skip_ws(r);
    if (js->mode == JS_ARRAY) {
        if (js->index > 0) {
            if (c == ']') {
                rd_getc(r);
                js->done = 1;
                c = skip_ws(r);
                if (c != -1)
                    return ps_error(err, PS_ERR_PARSE,
                                    "%s:%ld: unexpected data after the closing ']'", r->path,
                                    r->line),
                           -1;
                return 0;
            }
            if (c != ',')
                return ps_error(err, PS_ERR_PARSE,
                                c == -1 ? "%s:%ld: unexpected end of file (expected ',' or ']'; "
                                          "truncated JSON?)"
                                        : "%s:%ld: expected ',' or ']' between records",
                                r->path, r->line),
                       -1;
            rd_getc(r);
            c = skip_ws(r);
        } else if (c == ']') {
            rd_getc(r);
            js->done = 1;
            return 0;
        }
        if (c == -1)
            return ps_error(err, PS_ERR_PARSE,
                            "%s:%ld: unexpected end of file inside the top-level array (truncated "
                            "JSON?)",
                            r->path, r->line),
                   -1;
        sb_reset(&js->buf);
        js->rec_line = r->line;
        if (c == '{' || c == '[') {
            rd_getc(r);
            if (scan_value(js, c, err) != PS_OK)
                return -1;
            return parse_buf(js, out, err);
        }
        return ps_error(err, PS_ERR_PARSE, "%s:%ld: expected a JSON object as array element %ld",
                        r->path, r->line, js->index + 1),
               -1;
    }
    if (c == -1) {
        if (r->failed)
            return rd_error(r, err), -1;
        js->done = 1;
        return 0;
    }
    if (js->mode == JS_DOCUMENT)
        return ps_error(err, PS_ERR_PARSE, "%s:%ld: unexpected data after the JSON document",
                        r->path, r->line),
               -1;
    if (js->mode == JS_CONCAT) {
        js->rec_line = r->line;
        if (c != '{')
            return ps_error(err, PS_ERR_PARSE, "%s:%ld: expected a JSON object, found '%c'",
                            r->path, r->line, c >= 0x20 && c < 0x7f ? c : '?'),
                   -1;
        rd_getc(r);
        sb_reset(&js->buf);
        if (scan_value(js, c, err) != PS_OK)
            return -1;
        return parse_buf(js, out, err);
    }
    /* JSON Lines: one value per line */
    js->rec_line = r->line;
    if (rd_line(r, &js->buf) < 0)
        return rd_error(r, err), -1;
    while (js->buf.len && (js->buf.p[js->buf.len - 1] == ' ' || js->buf.p[js->buf.len - 1] == '\t'))
        js->buf.p[--js->buf.len] = '\0';
    if (js->buf.p[0] != '{')
        return ps_error(err, PS_ERR_PARSE, "%s:%ld: expected a JSON object on this line", r->path,
                        js->rec_line),
               -1;
    return parse_buf(js, out, err);
}

/* ---- reading ahead on a second thread ---- */

/* Up to JS_AHEAD records wait, parsed, for the consumer: memory stays bounded by
 * that many records, whatever the file's size.  The consumer takes all that wait
 * at once and the reader wakes it only once JS_WAKE are there (or at the end), so
 * the threads meet under the lock once per batch, not once per record. */
enum { JS_AHEAD = 64, JS_WAKE = 16 };

struct js_slot {
    cJSON *obj;
    long rec_line, index;
};

struct js_ahead {
    struct json_stream *js;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv_items, cv_space;
    struct js_slot slot[JS_AHEAD]; /* shared: ready records, oldest at head */
    int head, len;
    int cons_waiting, prod_waiting;
    int end;  /* the reader is done: got holds js_next's last result */
    int got;  /* 0 (end of input) or -1 (err says why) */
    int stop; /* the consumer wants no more */
    struct ps_err err;
    /* records the consumer is done with, freed by the reader: memory freed by the
     * thread that allocated it stays in that thread's heap arena */
    cJSON **done;
    int n_done, cap_done;
    /* the consumer's own: the batch it took, and what it handed back since */
    struct js_slot local[JS_AHEAD];
    int l_pos, l_n;
    cJSON *ret[JS_AHEAD];
    int n_ret;
};

static void
free_all(cJSON **v, int n)
{
    for (int i = 0; i < n; i++)
        cJSON_Delete(v[i]);
    free(v);
}

static void *
ahead_main(void *arg)
{
    struct js_ahead *a = arg;
    struct ps_err err = {0};
    int got;
    for (;;) {
        cJSON *obj = NULL;
        got = js_next(a->js, &obj, &err);
        pthread_mutex_lock(&a->mu);
        while (got > 0 && a->len == JS_AHEAD && !a->stop) {
            a->prod_waiting = 1;
            pthread_cond_wait(&a->cv_space, &a->mu);
            a->prod_waiting = 0;
        }
        cJSON **done = a->done;
        int n_done = a->n_done;
        a->done = NULL;
        a->n_done = a->cap_done = 0;
        int last = got <= 0 || a->stop;
        if (!last) {
            struct js_slot *s = &a->slot[(a->head + a->len) % JS_AHEAD];
            s->obj = obj;
            s->rec_line = a->js->rec_line;
            s->index = a->js->index;
            a->len++;
            if (a->cons_waiting && a->len >= JS_WAKE)
                pthread_cond_signal(&a->cv_items);
        }
        pthread_mutex_unlock(&a->mu);
        free_all(done, n_done);
        if (last) {
            cJSON_Delete(obj);
            break;
        }
    }
    pthread_mutex_lock(&a->mu);
    a->end = 1;
    a->got = got > 0 ? 0 : got;
    a->err = err;
    pthread_cond_signal(&a->cv_items);
    pthread_mutex_unlock(&a->mu);
    return NULL;
}

int
js_ahead_start(struct json_stream *js, struct js_ahead **out)
{
    struct js_ahead *a = xcalloc(1, sizeof *a);
    a->js = js;
    pthread_mutex_init(&a->mu, NULL);
    pthread_cond_init(&a->cv_items, NULL);
    pthread_cond_init(&a->cv_space, NULL);
    if (pthread_create(&a->thread, NULL, ahead_main, a) != 0) {
        pthread_cond_destroy(&a->cv_items);
        pthread_cond_destroy(&a->cv_space);
        pthread_mutex_destroy(&a->mu);
        free(a);
        *out = NULL;
        return -1;
    }
    *out = a;
    return 0;
}

/* Move what the consumer handed back to the shared list (lock held). */
static void
ahead_return(struct js_ahead *a)
{
    for (int i = 0; i < a->n_ret; i++) {
        a->done = xgrow(a->done, sizeof *a->done, a->n_done, &a->cap_done, 2 * JS_AHEAD);
        a->done[a->n_done++] = a->ret[i];
    }
    a->n_ret = 0;
}

int
js_ahead_next(struct js_ahead *a, cJSON **out, long *rec_line, long *index, struct ps_err *err)
{
    *out = NULL;
    if (a->l_pos == a->l_n) {
        pthread_mutex_lock(&a->mu);
        ahead_return(a);
        while (a->len == 0 && !a->end) {
            a->cons_waiting = 1;
            pthread_cond_wait(&a->cv_items, &a->mu);
            a->cons_waiting = 0;
        }
        a->l_pos = 0;
        a->l_n = a->len;
        for (int i = 0; i < a->len; i++)
            a->local[i] = a->slot[(a->head + i) % JS_AHEAD];
        a->head = (a->head + a->len) % JS_AHEAD;
        a->len = 0;
        if (a->prod_waiting)
            pthread_cond_signal(&a->cv_space);
        int got = a->got;
        if (a->l_n == 0 && got < 0)
            *err = a->err;
        pthread_mutex_unlock(&a->mu);
        if (a->l_n == 0)
            return got;
    }
    struct js_slot *s = &a->local[a->l_pos++];
    *out = s->obj;
    *rec_line = s->rec_line;
    *index = s->index;
    return 1;
}

void
js_ahead_done(struct js_ahead *a, cJSON *obj)
{
    if (!obj)
        return;
    if (a->n_ret == JS_AHEAD) {
        pthread_mutex_lock(&a->mu);
        ahead_return(a);
        pthread_mutex_unlock(&a->mu);
    }
    a->ret[a->n_ret++] = obj;
}

void
js_ahead_stop(struct js_ahead *a)
{
    if (!a)
        return;
    pthread_mutex_lock(&a->mu);
    a->stop = 1;
    pthread_cond_signal(&a->cv_space);
    pthread_mutex_unlock(&a->mu);
    pthread_join(a->thread, NULL);
    ahead_return(a);
    free_all(a->done, a->n_done);
    for (; a->len; a->len--, a->head = (a->head + 1) % JS_AHEAD)
        cJSON_Delete(a->slot[a->head].obj);
    for (; a->l_pos < a->l_n; a->l_pos++)
        cJSON_Delete(a->local[a->l_pos].obj);
    pthread_cond_destroy(&a->cv_items);
    pthread_cond_destroy(&a->cv_space);
    pthread_mutex_destroy(&a->mu);
    free(a);
}
