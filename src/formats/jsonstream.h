/* Streaming JSON input: a top-level array is read one element at a time, JSON Lines
 * one line at a time, so memory is bounded by the largest record, not the file.  A
 * single pretty-printed object (e.g. AnnotatedPairs) is read as one document. */
#ifndef PS_FORMATS_JSONSTREAM_H
#define PS_FORMATS_JSONSTREAM_H

#include <cjson/cJSON.h>

#include "formats/reader.h"

/* JS_CONCAT: pretty-printed objects one after another (no enclosing array). */
enum js_mode { JS_ARRAY, JS_LINES, JS_DOCUMENT, JS_CONCAT };

struct json_stream {
    struct rd rd;
    enum js_mode mode;
    struct strbuf buf;
    long rec_line; /* line where the current record starts */
    long index;    /* 0-based record index */
    int done;
    int pending; /* first byte already consumed and kept in buf */
};

/* Open `path` and detect the layout.  An empty file (only whitespace) is an error
 * naming the file.  Borrows `path`. */
int js_open(struct json_stream *js, const char *path, struct ps_err *err);
void js_close(struct json_stream *js);

/* Read the next record.  Returns 1 with *out owned by the caller (cJSON_Delete), 0 at
 * the end, or -1 with `err` naming file:line and what was expected. */
int js_next(struct json_stream *js, cJSON **out, struct ps_err *err);

/* Read ahead: a second thread calls js_next on `js` (opened; the caller must not
 * touch it until js_ahead_stop) and keeps up to 64 parsed records ready.
 * js_ahead_next returns what js_next would, in the same order, with the
 * record's rec_line and index (what `js` says after js_next; `js` itself belongs to
 * the reader meanwhile).  js_ahead_stop ends the
 * thread (at any point) and frees the records it had ready; js_close after it.
 * js_ahead_start returns -1 when no thread could be started (*out NULL): use
 * js_next. */
struct js_ahead;
int js_ahead_start(struct json_stream *js, struct js_ahead **out);
int js_ahead_next(struct js_ahead *a, cJSON **out, long *rec_line, long *index, struct ps_err *err);
/* Hand a record js_ahead_next returned back for freeing (instead of cJSON_Delete):
 * the reader thread frees it, in the heap arena it came from. */
void js_ahead_done(struct js_ahead *a, cJSON *obj);
void js_ahead_stop(struct js_ahead *a);

/* Check `s[0..n)` for NUL bytes and invalid UTF-8; on failure report file:line
 * (counting newlines from `first_line`).  Shared with the CSV reader. */
int js_check_text(const char *path, long first_line, const char *s, size_t n, struct ps_err *err);

/* The offset of the first escape \u0000 in the JSON text `s[0..n)`, or -1.  cJSON
 * turns it into a NUL that cuts the string short, so callers refuse such text (the
 * importers here, ps.json.decode). */
long js_find_nul_escape(const char *s, size_t n);

#endif
