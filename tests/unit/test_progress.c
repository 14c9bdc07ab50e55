/* The CLI progress bar's text. */
#include <string.h>

#include "core/progress.h"
#include "test.h"

int
main(void)
{
    char buf[256];
    struct progress_counts c = {
        .done = 250, .errors = 3, .cached = 0, .tokens = 123456, .cost = 0.01234, .has_cost = 1};
    progress_format(buf, sizeof buf, "judge", 1000, &c, 10.0, 100);
    CHECK_CONTAINS(buf, "judge [########------------------------] ");
    CHECK_CONTAINS(buf, " 250/1000  25% 25.0/s 0:10 ETA 0:30 tok 123.5k $0.0123 err 3");
    CHECK(strlen(buf) <= 100);
    /* no price: no cost shown (unknown, not $0); unknown total: no bar, no ETA */
    c.has_cost = 0;
    c.cached = 7;
    progress_format(buf, sizeof buf, "run", 0, &c, 5.0, 100);
    CHECK_STREQ(buf, "run 250 50.0/s 0:05 tok 123.5k cached 7 (tok 0) err 3");
    /* cache hits are not new spend: their tokens and cost are shown apart; invalid
     * answers and the requests an interrupt left unsent are shown when there are any */
    struct progress_counts k = {.done = 152,
                                .cached = 40,
                                .tokens = 0,
                                .cost = 0,
                                .has_cost = 1,
                                .cached_tokens = 8100,
                                .cached_cost = 0.68,
                                .not_sent = 653,
                                .invalid = 4,
                                .has_invalid = 1};
    progress_format(buf, sizeof buf, "judge", 805, &k, 10.0, 200);
    CHECK_CONTAINS(buf, " 152/805  18% ");
    CHECK_CONTAINS(buf, " tok 0 $0.0000 cached 40 (tok 8100 $0.6800) err 0 invalid 4 not sent 653");
    CHECK(strstr(buf, "805/805") == NULL);
    /* narrow terminal: the bar goes, the numbers stay */
    progress_format(buf, sizeof buf, "judge", 1000, &c, 10.0, 40);
    CHECK(strchr(buf, '[') == NULL);
    CHECK_CONTAINS(buf, "250/1000");
    /* nothing done yet: ETA unknown */
    c.done = 0;
    progress_format(buf, sizeof buf, "x", 10, &c, 0.0, 100);
    CHECK_CONTAINS(buf, "ETA --:--");
    return test_summary();
}
