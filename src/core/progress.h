/* A progress bar for CLI jobs on stderr: done/total, rate, ETA, new tokens and spend,
 * cache hits (with the tokens and cost they saved), errors, invalid answers, and the
 * requests an interrupt left unsent.
 *
 *   struct progress pg;
 *   progress_init(&pg, "judge", total);
 *   ... progress_update(&pg, &counts) as often as you like (redraws at most 10x/s)
 *   progress_finish(&pg, &counts);   final line, then a newline
 *
 * On a terminal the bar redraws in place (\r, erase to end of line).  When stderr is
 * not a terminal only the final line is written, so logs stay readable.
 * PREFSCOPE_PROGRESS=0 silences it, =1 forces the bar even when not a terminal. */
#ifndef PS_CORE_PROGRESS_H
#define PS_CORE_PROGRESS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct progress_counts {
    int64_t done;          /* finished: answered (from the server or the cache) or failed */
    int64_t errors;        /* failed after retries */
    int64_t cached;        /* answered from the workspace cache */
    int64_t tokens;        /* prompt + completion tokens of calls actually sent */
    double cost;           /* new spend: calls actually sent with a known price */
    int has_cost;          /* 0: no price configured, no cost is shown */
    int64_t cached_tokens; /* tokens of the cache hits (not spent again) */
    double cached_cost;    /* what the cache hits cost when they were first made */
    int64_t not_sent;      /* cancelled (Ctrl-C): never answered, not done */
    int64_t invalid;       /* answers that could not be read (shown when has_invalid) */
    int has_invalid;
};

struct progress {
    char label[48];
    int64_t total; /* <= 0: unknown (no bar, no ETA) */
    double t_start, t_last;
    int mode;  /* 0 silent, 1 final line only, 2 live bar */
    int width; /* terminal columns */
    FILE *out;
    /* optional, set by the caller after progress_init: its running count of answers
     * it could not read (a judge's invalid verdicts), shown as "invalid N" */
    const int *invalid;
    /* optional: no live bar before this many seconds (a call answered at once from
     * the cache never flashes a bar); 0 by default */
    double delay;
    int drawn; /* a live line has been written */
};

void progress_init(struct progress *p, const char *label, int64_t total);
void progress_update(struct progress *p, const struct progress_counts *c);
void progress_finish(struct progress *p, const struct progress_counts *c);

/* The live line into buf when a redraw is due (mode 2, `delay` passed, at least 0.1 s
 * since the last one, or the total reached): 1 when buf holds a new line, else 0.
 * For embeddings that draw the line themselves (the TUI); progress_update uses it. */
int progress_render(struct progress *p, const struct progress_counts *c, char *buf, size_t n,
                    int width);

/* The bar as text for `elapsed_s` seconds, fitting `width` columns (no newline).
 * Pure: used by the functions above and by tests. */
void progress_format(char *buf, size_t n, const char *label, int64_t total,
                     const struct progress_counts *c, double elapsed_s, int width);

#endif
