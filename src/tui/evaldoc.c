/* The styled line document of the evaluation views (see evaldoc.h). */
#include "tui/evaldoc.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "core/xalloc.h"

void
evaldoc_free(struct evaldoc *d)
{
    for (int i = 0; i < d->n; i++) {
        for (int k = 0; k < d->lines[i].n; k++)
            free(d->lines[i].seg[k].text);
        free(d->lines[i].seg);
    }
    free(d->lines);
    memset(d, 0, sizeof *d);
}

void
evaldoc_line(struct evaldoc *d)
{
    d->lines = xgrow(d->lines, sizeof *d->lines, d->n, &d->cap, 64);
    memset(&d->lines[d->n++], 0, sizeof d->lines[0]);
}

void
evaldoc_put(struct evaldoc *d, int role, const char *text)
{
    if (d->n == 0)
        evaldoc_line(d);
    struct evaldoc_line *l = &d->lines[d->n - 1];
    l->seg = xrealloc(l->seg, (size_t)(l->n + 1) * sizeof *l->seg);
    l->seg[l->n++] = (struct evaldoc_seg){role, xstrdup(text)};
}

void
evaldoc_putf(struct evaldoc *d, int role, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    evaldoc_put(d, role, buf);
}

/* A bar of `width` cells for v in [0,1]: cells below the interval's low end in the
 * accent role, filled cells inside the interval dimmed (the uncertain part), and a
 * whisker up to the high end. */
void
evaldoc_bar(struct evaldoc *d, double v, double lo, double hi, int width)
{
    static const char *const eighths[] = {"",       "\u258f", "\u258e", "\u258d",
                                          "\u258c", "\u258b", "\u258a", "\u2589"};
    struct strbuf solid = STRBUF_INIT, soft = STRBUF_INIT, rest = STRBUF_INIT;
    if (isnan(v)) {
        for (int k = 0; k < width; k++)
            sb_putc(&rest, ' ');
        evaldoc_put(d, ROLE_DIM, sb_str(&rest));
        sb_free(&rest);
        return;
    }
    int units = (int)lround(fmin(fmax(v, 0), 1) * width * 8);
    int lo_cell = isnan(lo) ? width : (int)floor(fmax(lo, 0) * width);
    int hi_cell = isnan(hi) ? -1 : (int)ceil(fmin(hi, 1) * width) - 1;
    for (int k = 0; k < width; k++) {
        int u = units - 8 * k;
        struct strbuf *to = k < lo_cell ? &solid : &soft;
        if (u >= 8) {
            sb_puts(to, "\u2588");
        } else if (u > 0) {
            sb_puts(to, eighths[u]);
        } else if (k <= hi_cell) {
            sb_puts(&rest, k == hi_cell ? "\u2524" : "\u2500");
        } else {
            sb_putc(&rest, ' ');
        }
    }
    evaldoc_put(d, ROLE_ACCENT, sb_str(&solid));
    evaldoc_put(d, ROLE_DIM, sb_str(&soft));
    evaldoc_put(d, ROLE_DIM, sb_str(&rest));
    sb_free(&solid);
    sb_free(&soft);
    sb_free(&rest);
}

void
evaldoc_draw(struct tui *tui, struct evaldoc *d, struct rect a, struct list_pos *pos)
{
    list_clamp(pos, d->n, a.h);
    for (int i = 0; i < a.h && pos->top + i < d->n; i++) {
        const struct evaldoc_line *l = &d->lines[pos->top + i];
        int x = a.x + 1;
        for (int k = 0; k < l->n && x < a.x + a.w; k++)
            x += draw_text(tui, a.y + i, x, a.x + a.w - x, (enum tui_role)l->seg[k].role,
                           l->seg[k].text, strlen(l->seg[k].text), 1);
    }
}
