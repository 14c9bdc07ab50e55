/* Fuzz target for the SSE parser (src/llm/sse.c).  The input is split at
 * input-chosen points into pieces and fed piece by piece; the events must be the
 * same as when the whole stream is fed at once (framing cannot depend on how the
 * bytes arrive), and every event's data length must match its string.
 * Driver: tests/fuzz/driver.h. */
#include <stdint.h>
#include <string.h>

#include "driver.h"
#include "llm/sse.h"

struct events {
    struct strbuf log;
    const uint8_t *data;
    size_t n;
};

static int
on_event(void *ud, const struct sse_event *ev)
{
    struct events *e = ud;
    if (strlen(ev->data) > ev->data_len)
        fuzz_fail("fuzz_sse", "data_len shorter than the data", e->data, e->n);
    sb_printf(&e->log, "[%s|%zu|", ev->event, ev->data_len);
    sb_append(&e->log, ev->data, ev->data_len);
    sb_printf(&e->log, "|%s|%d]", ev->error ? ev->error : "-", ev->has_data);
    return 0;
}

static int
run(const uint8_t *data, size_t n, size_t step, struct events *e)
{
    struct sse_parser p;
    sse_init(&p);
    for (size_t i = 0; i < n; i += step)
        sse_feed(&p, (const char *)data + i, n - i < step ? n - i : step, on_event, e);
    int pending = sse_finish(&p);
    sse_free(&p);
    return pending;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
    struct events whole = {STRBUF_INIT, data, n}, split = {STRBUF_INIT, data, n};
    int pw = run(data, n, n ? n : 1, &whole);
    size_t step = 1 + (n ? data[0] % 7 : 0);
    int ps = run(data, n, step, &split);
    if (pw != ps || whole.log.len != split.log.len ||
        (whole.log.len && memcmp(whole.log.p, split.log.p, whole.log.len) != 0))
        fuzz_fail("fuzz_sse", "events depend on how the bytes were split", data, n);
    sb_free(&whole.log);
    sb_free(&split.log);
    return 0;
}

#ifndef PS_LIBFUZZER
int
main(int argc, char **argv)
{
    return fuzz_main(argc, argv, "fuzz_sse");
}
#endif
