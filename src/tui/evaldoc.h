/* A scrollable document of styled lines, shared by the stats and rank views: built
 * once from a report, drawn by walking the visible lines.  Segment text is dataset
 * text in part (annotator and model names), so it is drawn through draw_text. */
#ifndef PS_TUI_EVALDOC_H
#define PS_TUI_EVALDOC_H

#include "tui/view.h"

struct evaldoc_seg {
    int role;   /* enum tui_role */
    char *text; /* owned */
};

struct evaldoc_line {
    struct evaldoc_seg *seg;
    int n;
};

struct evaldoc {
    struct evaldoc_line *lines;
    int n, cap;
};

void evaldoc_free(struct evaldoc *d);
/* Start a new (empty) line. */
void evaldoc_line(struct evaldoc *d);
/* Append a segment to the last line (copied). */
void evaldoc_put(struct evaldoc *d, int role, const char *text);
void evaldoc_putf(struct evaldoc *d, int role, const char *fmt, ...) PS_PRINTF(3, 4);
/* Append a bar of `width` cells for v in [0,1] with its interval [lo, hi] (NaN: none). */
void evaldoc_bar(struct evaldoc *d, double v, double lo, double hi, int width);
/* Draw the lines visible in `a` from pos->top (pos is clamped to the document). */
void evaldoc_draw(struct tui *tui, struct evaldoc *d, struct rect a, struct list_pos *pos);

#endif
