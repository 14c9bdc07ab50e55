/* An incremental Server-Sent Events parser (WHATWG event-stream framing).
 *
 * Bytes arrive in arbitrary pieces; events come out whole.  Lines end at CR, LF or
 * CRLF (a CR at the end of one piece and an LF at the start of the next are one line
 * end); never at U+2028/U+2029 or any other byte.  `:` lines are comments; one
 * leading space is stripped from a value; several `data:` lines are joined with "\n";
 * an empty line dispatches.  Beyond the spec, a non-standard `error:` field (llama.cpp)
 * is kept so the caller can treat it as a failure. */
#ifndef PS_LLM_SSE_H
#define PS_LLM_SSE_H

#include <stddef.h>

#include "core/strbuf.h"

struct sse_event {
    const char *event; /* "" when no event: field */
    const char *data;  /* joined data lines, "" when none */
    size_t data_len;
    const char *error; /* value of llama.cpp's error: field, or NULL */
    int has_data;
};

/* Return non-zero to stop parsing; sse_feed returns that value. */
typedef int (*sse_event_fn)(void *ud, const struct sse_event *ev);

struct sse_parser {
    struct strbuf line, data, event, error;
    int last_cr; /* previous byte was CR: a following LF belongs to it */
    int has_data, has_error;
    long events; /* dispatched so far */
};

void sse_init(struct sse_parser *p);
void sse_free(struct sse_parser *p);
/* Feed bytes; calls fn for each completed event.  Returns 0 or fn's non-zero value. */
int sse_feed(struct sse_parser *p, const char *buf, size_t n, sse_event_fn fn, void *ud);
/* At end of stream: an unterminated final line and an event not followed by a blank
 * line are discarded (per spec).  Returns 1 when bytes of an incomplete
 * event were pending (a truncated stream), else 0. */
int sse_finish(struct sse_parser *p);

#endif
