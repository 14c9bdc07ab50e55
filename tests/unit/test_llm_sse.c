/* SSE framing: every split point of a stream yields the same events. */
#include <stdlib.h>
#include <string.h>

#include "core/strbuf.h"
#include "llm/sse.h"
#include "test.h"

struct collect {
    struct strbuf out; /* "event|data|error\n" per event */
    int stop_after;    /* stop parsing after this many events (0 = never) */
    int n;
};

static int
on_event(void *ud, const struct sse_event *ev)
{
    struct collect *c = ud;
    sb_printf(&c->out, "%s|", ev->event);
    sb_append(&c->out, ev->data, ev->data_len);
    sb_printf(&c->out, "|%s\n", ev->error ? ev->error : "-");
    c->n++;
    return c->stop_after && c->n >= c->stop_after;
}

/* Parse `s` in pieces cut at a and b (a <= b); returns the collected text. */
static char *
parse_split(const char *s, size_t n, size_t a, size_t b, int *pending)
{
    struct sse_parser p;
    struct collect c = {STRBUF_INIT, 0, 0};
    sse_init(&p);
    sse_feed(&p, s, a, on_event, &c);
    sse_feed(&p, s + a, b - a, on_event, &c);
    sse_feed(&p, s + b, n - b, on_event, &c);
    *pending = sse_finish(&p);
    sse_free(&p);
    return sb_take(&c.out);
}

static void
check_all_splits(const char *stream, const char *want, int want_pending)
{
    size_t n = strlen(stream);
    int bad = 0;
    for (size_t a = 0; a <= n && !bad; a++)
        for (size_t b = a; b <= n && !bad; b++) {
            int pending;
            char *got = parse_split(stream, n, a, b, &pending);
            if (strcmp(got, want) != 0 || pending != want_pending) {
                fprintf(stderr, "split at %zu,%zu:\n got: %s\nwant: %s\n", a, b, got, want);
                bad = 1;
            }
            free(got);
        }
    CHECK(!bad);
}

int
main(void)
{
    /* LF, CRLF and lone CR endings; comments; multi-line data; an event without data;
     * a value without the optional space; U+2028 inside JSON (must not split);
     * Cyrillic split at any byte; llama.cpp's error field. */
    const char *stream =
        ": keep-alive\r\n"
        "\r\n"
        "data: {\"a\":1}\n\n"
        "event: ping\r\n\r\n"
        "data:{\"t\":\"\xe2\x80\xa8 line sep\"}\r\n\r\n"
        "data: first\rdata: second\r\r"
        "event: message_delta\ndata: \xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82\n\n"
        "id: 7\nretry: 10\nunknown: x\ndata: [DONE]\n\n"
        "error: {\"code\":500}\ndata: [DONE]\n\n";
    const char *want = "|{\"a\":1}|-\n"
                       "|{\"t\":\"\xe2\x80\xa8 line sep\"}|-\n"
                       "|first\nsecond|-\n"
                       "message_delta|\xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82|-\n"
                       "|[DONE]|-\n"
                       "|[DONE]|{\"code\":500}\n";
    check_all_splits(stream, want, 0);

    /* An event not followed by a blank line is discarded and reported as pending. */
    check_all_splits("data: one\n\ndata: two\n", "|one|-\n", 1);
    check_all_splits("data: one\n\ndata: tw", "|one|-\n", 1);

    /* A CR at the end of one piece and LF at the start of the next is one line end:
     * "data: x\r" + "\n" + "\r\n" dispatches exactly one event. */
    {
        struct sse_parser p;
        struct collect c = {STRBUF_INIT, 0, 0};
        sse_init(&p);
        sse_feed(&p, "data: x\r", 8, on_event, &c);
        sse_feed(&p, "\n", 1, on_event, &c);
        CHECK_EQ(c.n, 0);
        sse_feed(&p, "\r\n", 2, on_event, &c);
        CHECK_EQ(c.n, 1);
        CHECK_STREQ(sb_str(&c.out), "|x|-\n");
        CHECK_EQ(sse_finish(&p), 0);
        sse_free(&p);
        sb_free(&c.out);
    }

    /* Byte at a time, and a callback that stops the parser. */
    {
        const char *s = "data: a\n\ndata: b\n\ndata: c\n\n";
        struct sse_parser p;
        struct collect c = {STRBUF_INIT, 2, 0};
        int rc = 0;
        sse_init(&p);
        for (size_t i = 0; s[i] && !rc; i++)
            rc = sse_feed(&p, s + i, 1, on_event, &c);
        CHECK_EQ(rc, 1);
        CHECK_EQ(c.n, 2);
        sse_free(&p);
        sb_free(&c.out);
    }
    /* Random streams over a hostile alphabet: any split gives the same events as one
     * piece (and nothing crashes; this also runs under ASan). */
    {
        static const char alpha[] = "data:event:error: x{}\r\n\r\n\xe2\x80\xa8\xd0";
        unsigned long long seed = 12345;
        int bad = 0;
        for (int round = 0; round < 2000 && !bad; round++) {
            char buf[256];
            seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
            size_t n = (size_t)(seed >> 33) % sizeof buf;
            for (size_t i = 0; i < n; i++) {
                seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
                buf[i] = alpha[(seed >> 33) % (sizeof alpha - 1)];
            }
            seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
            size_t a = n ? (size_t)(seed >> 33) % (n + 1) : 0;
            size_t b = a + (n - a ? (size_t)(seed >> 40) % (n - a + 1) : 0);
            int p1, p2;
            char *whole = parse_split(buf, n, 0, 0, &p1);
            char *split = parse_split(buf, n, a, b, &p2);
            if (strcmp(whole, split) != 0 || p1 != p2)
                bad = 1;
            free(whole);
            free(split);
        }
        CHECK(!bad);
    }
    return test_summary();
}
