#include "core/progress.h"

#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

static double
progress_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void
progress_init(struct progress *p, const char *label, int64_t total)
{
    memset(p, 0, sizeof *p);
    snprintf(p->label, sizeof p->label, "%s", label ? label : "");
    p->total = total;
    p->out = stderr;
    p->t_start = progress_now();
    p->width = 80;
    const char *env = getenv("PREFSCOPE_PROGRESS");
    int tty = isatty(fileno(stderr));
    p->mode = env && strcmp(env, "0") == 0 ? 0 : (tty || (env && strcmp(env, "1") == 0)) ? 2 : 1;
    struct winsize ws;
    if (tty && ioctl(fileno(stderr), TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 20)
        p->width = ws.ws_col;
}

static void
fmt_duration(char *b, size_t n, double s)
{
    if (s < 0 || s > 359999)
        snprintf(b, n, "--:--");
    else if (s >= 3600)
        snprintf(b, n, "%d:%02d:%02d", (int)s / 3600, (int)s / 60 % 60, (int)s % 60);
    else
        snprintf(b, n, "%d:%02d", (int)s / 60, (int)s % 60);
}

static void
fmt_count(char *b, size_t n, int64_t v)
{
    if (v >= 10000000)
        snprintf(b, n, "%.1fM", (double)v / 1e6);
    else if (v >= 10000)
        snprintf(b, n, "%.1fk", (double)v / 1e3);
    else
        snprintf(b, n, "%lld", (long long)v);
}

void
progress_format(char *buf, size_t n, const char *label, int64_t total,
                const struct progress_counts *c, double elapsed_s, int width)
{
    char tail[320], eta[16], el[16], tok[24];
    double rate = elapsed_s > 0 && c->done > 0 ? (double)c->done / elapsed_s : 0;
    fmt_duration(el, sizeof el, elapsed_s);
    if (total > 0 && rate > 0)
        fmt_duration(eta, sizeof eta, (double)(total - c->done) / rate);
    else
        snprintf(eta, sizeof eta, "--:--");
    fmt_count(tok, sizeof tok, c->tokens);
    int k = 0;
    if (total > 0) {
        double pct = 100.0 * (double)c->done / (double)total;
        k = snprintf(tail, sizeof tail, " %lld/%lld %3d%% %.1f/s %s ETA %s", (long long)c->done,
                     (long long)total,
                     (int)(pct < 0     ? 0
                           : pct > 100 ? 100
                                       : pct),
                     rate, el, eta);
    } else
        k = snprintf(tail, sizeof tail, " %lld %.1f/s %s", (long long)c->done, rate, el);
    k += snprintf(tail + k, sizeof tail - (size_t)k, " tok %s", tok);
    if (c->has_cost)
        k += snprintf(tail + k, sizeof tail - (size_t)k, " $%.4f", c->cost);
    if (c->cached) {
        /* cache hits are not new spend: their tokens and cost are shown apart */
        fmt_count(tok, sizeof tok, c->cached_tokens);
        k += snprintf(tail + k, sizeof tail - (size_t)k, " cached %lld (tok %s",
                      (long long)c->cached, tok);
        if (c->has_cost)
            k += snprintf(tail + k, sizeof tail - (size_t)k, " $%.4f", c->cached_cost);
        k += snprintf(tail + k, sizeof tail - (size_t)k, ")");
    }
    k += snprintf(tail + k, sizeof tail - (size_t)k, " err %lld", (long long)c->errors);
    if (c->has_invalid)
        k += snprintf(tail + k, sizeof tail - (size_t)k, " invalid %lld", (long long)c->invalid);
    if (c->not_sent)
        snprintf(tail + k, sizeof tail - (size_t)k, " not sent %lld", (long long)c->not_sent);
    int head = snprintf(buf, n, "%s", label);
    int room = width - head - (int)strlen(tail) - 3;
    if (total > 0 && room >= 5 && (size_t)head + (size_t)room + 3 < n) {
        int bar = room > 40 ? 40 : room;
        int fill = (int)((double)bar * (double)c->done / (double)total);
        if (fill > bar)
            fill = bar;
        if (fill < 0)
            fill = 0;
        buf[head++] = ' ';
        buf[head++] = '[';
        for (int i = 0; i < bar; i++)
            buf[head++] = i < fill ? '#' : '-';
        buf[head++] = ']';
        buf[head] = '\0';
    }
    snprintf(buf + head, n - (size_t)head, "%s", tail);
}

/* The counts with the caller's own tallies added. */
static struct progress_counts
with_caller(const struct progress *p, const struct progress_counts *c)
{
    struct progress_counts x = *c;
    if (p->invalid) {
        x.invalid = *p->invalid;
        x.has_invalid = 1;
    }
    return x;
}

int
progress_render(struct progress *p, const struct progress_counts *cin, char *buf, size_t n,
                int width)
{
    if (p->mode != 2)
        return 0;
    struct progress_counts cc = with_caller(p, cin), *c = &cc;
    double t = progress_now();
    if (t - p->t_start < p->delay)
        return 0;
    if (t - p->t_last < 0.1 && !(p->total > 0 && c->done >= p->total))
        return 0;
    p->t_last = t;
    progress_format(buf, n, p->label, p->total, c, t - p->t_start, width);
    p->drawn = 1;
    return 1;
}

void
progress_update(struct progress *p, const struct progress_counts *c)
{
    char line[512];
    if (!progress_render(p, c, line, sizeof line, p->width - 1))
        return;
    fprintf(p->out, "\r%s\033[K", line);
    fflush(p->out);
}

void
progress_finish(struct progress *p, const struct progress_counts *cin)
{
    if (p->mode == 0)
        return;
    struct progress_counts cc = with_caller(p, cin), *c = &cc;
    char line[512];
    progress_format(line, sizeof line, p->label, p->total, c, progress_now() - p->t_start,
                    p->width - 1);
    fprintf(p->out, p->mode == 2 ? "\r%s\033[K\n" : "%s\n", line);
    fflush(p->out);
}
