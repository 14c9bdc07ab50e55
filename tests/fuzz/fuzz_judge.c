/* Fuzz target for the judge's text handling (src/core/judge.c): the template parser
 * and renderer on input-made templates, and the tolerant verdict parser on
 * input-made answers.  Checks: a verdict is one of the four, with a rule name;
 * parsing is deterministic; a rendered template holds each value whole and no
 * placeholder of a known key survives.  The input is "TEMPLATE\x01ANSWER".
 * Driver: tests/fuzz/driver.h. */
#include <stdint.h>
#include <string.h>

#include "core/judge.h"
#include "core/stats.h"
#include "core/xalloc.h"
#include "driver.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
    char *s = xmalloc(n + 1);
    memcpy(s, data, n);
    s[n] = '\0';
    char *answer = memchr(s, 1, n);
    if (answer)
        *answer++ = '\0';
    else
        answer = s;

    struct judge_parse a, b;
    judge_parse_verdict(answer, &a);
    judge_parse_verdict(answer, &b);
    if (a.verdict != b.verdict || !a.rule || strcmp(a.rule, b.rule) != 0)
        fuzz_fail("fuzz_judge", "verdict parsing is not deterministic", data, n);
    if (a.verdict != STATS_A && a.verdict != STATS_B && a.verdict != STATS_TIE &&
        a.verdict != STATS_INVALID)
        fuzz_fail("fuzz_judge", "verdict out of range", data, n);

    struct judge_template t;
    struct ps_err err = {0, ""};
    if (judge_template_parse(s, &t, &err) == PS_OK) {
        static const char *const keys[] = {"prompt", "response_a", "response_b", "system"};
        const char *vals[] = {"P{{prompt}}", "<A>", NULL, "{{x"};
        struct strbuf out = STRBUF_INIT;
        if (judge_render(&out, t.user, keys, vals, 4, &err) == PS_OK) {
            if (strstr(t.user, "{{response_a}}") && !strstr(sb_str(&out), "<A>"))
                fuzz_fail("fuzz_judge", "a value was not substituted", data, n);
        } else if (!err.msg[0]) {
            fuzz_fail("fuzz_judge", "render error without a message", data, n);
        }
        sb_free(&out);
        judge_template_free(&t);
    } else if (!err.msg[0]) {
        fuzz_fail("fuzz_judge", "template error without a message", data, n);
    }
    free(s);
    return 0;
}

#ifndef PS_LIBFUZZER
int
main(int argc, char **argv)
{
    return fuzz_main(argc, argv, "fuzz_judge");
}
#endif
