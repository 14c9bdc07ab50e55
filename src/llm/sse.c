#include "llm/sse.h"

#include <string.h>

void
sse_init(struct sse_parser *p)
{
    memset(p, 0, sizeof *p);
}

void
sse_free(struct sse_parser *p)
{
    sb_free(&p->line);
    sb_free(&p->data);
    sb_free(&p->event);
    sb_free(&p->error);
    memset(p, 0, sizeof *p);
}

static int
sse_dispatch(struct sse_parser *p, sse_event_fn fn, void *ud)
{
    int rc = 0;
    if (p->has_data || p->has_error) {
        struct sse_event ev = {
            .event = sb_str(&p->event),
            .data = sb_str(&p->data),
            .data_len = p->data.len,
            .error = p->has_error ? sb_str(&p->error) : NULL,
            .has_data = p->has_data,
        };
        p->events++;
        rc = fn(ud, &ev);
    }
    sb_reset(&p->data);
    sb_reset(&p->event);
    sb_reset(&p->error);
    p->has_data = p->has_error = 0;
    return rc;
}

static int
sse_line(struct sse_parser *p, const char *s, size_t n, sse_event_fn fn, void *ud)
{
    if (n == 0)
        return sse_dispatch(p, fn, ud);
    if (s[0] == ':')
        return 0;
    const char *colon = memchr(s, ':', n);
    size_t flen = colon ? (size_t)(colon - s) : n;
    const char *v = colon ? colon + 1 : s + n;
    size_t vlen = (size_t)(s + n - v);
    if (vlen && v[0] == ' ') {
        v++;
        vlen--;
    }
    if (flen == 4 && memcmp(s, "data", 4) == 0) {
        if (p->has_data)
            sb_putc(&p->data, '\n');
        sb_append(&p->data, v, vlen);
        p->has_data = 1;
    } else if (flen == 5 && memcmp(s, "event", 5) == 0) {
        sb_reset(&p->event);
        sb_append(&p->event, v, vlen);
    } else if (flen == 5 && memcmp(s, "error", 5) == 0) {
        if (p->has_error)
            sb_putc(&p->error, '\n');
        sb_append(&p->error, v, vlen);
        p->has_error = 1;
    }
    /* id:, retry: and unknown fields are ignored. */
    return 0;
}

int
sse_feed(struct sse_parser *p, const char *buf, size_t n, sse_event_fn fn, void *ud)
{
    size_t i = 0;
    while (i < n) {
        if (p->last_cr) {
            p->last_cr = 0;
            if (buf[i] == '\n') {
                i++;
                continue;
            }
        }
        /* Find the next line end in this piece. */
        size_t j = i;
        while (j < n && buf[j] != '\n' && buf[j] != '\r')
            j++;
        if (j == n) {
            sb_append(&p->line, buf + i, n - i);
            return 0;
        }
        int rc;
        if (p->line.len) {
            sb_append(&p->line, buf + i, j - i);
            rc = sse_line(p, p->line.p, p->line.len, fn, ud);
            sb_reset(&p->line);
        } else {
            rc = sse_line(p, buf + i, j - i, fn, ud);
        }
        if (buf[j] == '\r')
            p->last_cr = 1;
        i = j + 1;
        if (rc)
            return rc;
    }
    return 0;
}

int
sse_finish(struct sse_parser *p)
{
    int pending = p->line.len > 0 || p->has_data || p->has_error;
    sb_reset(&p->line);
    sb_reset(&p->data);
    sb_reset(&p->event);
    sb_reset(&p->error);
    p->has_data = p->has_error = 0;
    p->last_cr = 0;
    return pending;
}
