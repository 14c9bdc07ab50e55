#include "core/diff.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/hash.h"
#include "core/width.h"
#include "core/xalloc.h"

#define DIFF_MAX_TOKENS 100000
#define DIFF_MAX_COST 1000000
/* edits a bisection searches before it splits: DIFF_DLIM_WORK / tokens, at least 16
 * (70000 since the search stopped re-searching what it had searched: 30000 before;
 * two 4 KB texts now get dlim 20, closer to shortest, at about 5% more time) */
#define DIFF_DLIM_WORK 70000
/* middles (tokens of both sides) below this are searched without the pre-pass that
 * drops the tokens the other side lacks */
#define DIFF_DISCARD_MIN 64

/* ---- scratch ---- */

/* The buffers of the top-level word search, kept by the caller between diffs (what a
 * diff frees, glibc may hand back to the system, and the next diff faults its pages
 * in again: up to 40% of a 100 KB diff).  Nested searches (a hole's lines, each
 * block's words) allocate their own. */
enum scr_slot {
    SCR_IA,
    SCR_IB,
    SCR_DEL,
    SCR_INS,
    SCR_SLOT,
    SCR_SEEN,
    SCR_PA,
    SCR_PB,
    SCR_V1,
    SCR_V2,
    SCR_RA,
    SCR_RB,
    SCR_H0,
    SCR_H1,
    SCR_M0,
    SCR_M1,
    SCR_N
};

struct text_diff_scratch {
    void *buf[SCR_N];
    size_t cap[SCR_N];
    struct text_spans spans[2];
};

struct text_diff_scratch *
text_diff_scratch_new(void)
{
    return xcalloc(1, sizeof(struct text_diff_scratch));
}

void
text_diff_scratch_free(struct text_diff_scratch *s)
{
    if (!s)
        return;
    for (int i = 0; i < SCR_N; i++)
        free(s->buf[i]);
    text_spans_free(&s->spans[0]);
    text_spans_free(&s->spans[1]);
    free(s);
}

/* `bytes` (zeroed with `zero`) from slot of s, grown as needed, or without s a block
 * of its own; scr_put gives it back. */
static void *
scr_get(struct text_diff_scratch *s, int slot, size_t bytes, int zero)
{
    if (bytes == 0)
        bytes = 1;
    if (!s)
        return zero ? xcalloc(bytes, 1) : xmalloc(bytes);
    if (s->cap[slot] < bytes) {
        free(s->buf[slot]);
        s->cap[slot] = bytes + bytes / 4;
        s->buf[slot] = xmalloc(s->cap[slot]);
    }
    if (zero)
        memset(s->buf[slot], 0, bytes);
    return s->buf[slot];
}

static void
scr_put(const struct text_diff_scratch *s, void *p)
{
    if (!s)
        free(p);
}

/* ---- tokens ---- */

enum tok_class { TOK_WS, TOK_NL, TOK_WORD, TOK_SINGLE };

static int
is_space_cp(uint32_t cp)
{
    return cp == ' ' || cp == '\t' || cp == 0xA0 || cp == 0x3000 || (cp >= 0x2000 && cp <= 0x200A);
}

/* The class of an ASCII character (text_cp_is_word's ASCII words), looked up: the
 * tokenizer sees every byte of both texts, and a chain of tests mispredicts on
 * every change of class. */
#define TOK_ASCII(c) \
    ((c) == '\n'                 ? TOK_NL \
     : (c) == ' ' || (c) == '\t' ? TOK_WS \
     : ((c) >= '0' && (c) <= '9') || ((c) >= 'a' && (c) <= 'z') || ((c) >= 'A' && (c) <= 'Z') || \
             (c) == '_' \
         ? TOK_WORD \
         : TOK_SINGLE)
#define TOK_ASCII8(c) \
    TOK_ASCII(c), TOK_ASCII(c + 1), TOK_ASCII(c + 2), TOK_ASCII(c + 3), TOK_ASCII(c + 4), \
        TOK_ASCII(c + 5), TOK_ASCII(c + 6), TOK_ASCII(c + 7)
static const unsigned char tok_ascii[128] = {
    TOK_ASCII8(0),  TOK_ASCII8(8),   TOK_ASCII8(16),  TOK_ASCII8(24),
    TOK_ASCII8(32), TOK_ASCII8(40),  TOK_ASCII8(48),  TOK_ASCII8(56),
    TOK_ASCII8(64), TOK_ASCII8(72),  TOK_ASCII8(80),  TOK_ASCII8(88),
    TOK_ASCII8(96), TOK_ASCII8(104), TOK_ASCII8(112), TOK_ASCII8(120),
};
#undef TOK_ASCII8
#undef TOK_ASCII

static enum tok_class
tok_ascii_class(unsigned char c)
{
    return (enum tok_class)tok_ascii[c & 0x7F];
}

/* Class and byte length of the cluster at s. */
static enum tok_class
tok_cluster(const char *s, size_t n, size_t *len)
{
    unsigned char c = (unsigned char)s[0];
    if (c < 0x80) {
        *len = 1;
        if (n > 1 && (unsigned char)s[1] >= 0x80) {
            int w;
            *len = text_cluster(s, n, &w); /* an ASCII base with combining marks */
        }
        return tok_ascii_class(c);
    }
    uint32_t cp;
    size_t l = text_decode(s, n, &cp);
    int w;
    if (l == n || (unsigned char)s[l] < 0x80) {
        /* an ASCII character never joins a cluster (text_cluster): no second pass */
        *len = l;
        w = text_cp_width(cp);
    } else {
        *len = text_cluster(s, n, &w);
    }
    if (is_space_cp(cp))
        return TOK_WS;
    if (w >= 2)
        return TOK_SINGLE;
    return text_cp_is_word(cp) ? TOK_WORD : TOK_SINGLE;
}

static void
spans_push(struct text_spans *out, size_t off, size_t len)
{
    if (out->n == out->cap) {
        out->cap = out->cap ? out->cap * 2 : 64;
        out->v = xrealloc(out->v, out->cap * sizeof *out->v);
    }
    out->v[out->n].off = off;
    out->v[out->n].len = len;
    out->n++;
}

void
text_tokenize(const char *str, size_t n, struct text_spans *out)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0;
    while (i < n) {
        size_t start = i;
        enum tok_class k;
        /* a plain ASCII character (no combining mark after it) needs no cluster */
        if (s[i] < 0x80 && (i + 1 == n || s[i + 1] < 0x80)) {
            k = tok_ascii_class(s[i]);
            i++;
        } else {
            size_t len;
            k = tok_cluster(str + i, n - i, &len);
            i += len;
        }
        if (k == TOK_WS || k == TOK_WORD) {
            while (i < n) {
                size_t l2;
                if (s[i] < 0x80 && (i + 1 == n || s[i + 1] < 0x80)) {
                    if (tok_ascii_class(s[i]) != k)
                        break;
                    i++;
                    continue;
                }
                if (tok_cluster(str + i, n - i, &l2) != k)
                    break;
                i += l2;
            }
        }
        spans_push(out, start, i - start);
    }
}

/* Lines including their '\n': the tokens of the line-level fallback. */
static void
tokenize_lines(const char *s, size_t n, struct text_spans *out)
{
    size_t i = 0;
    while (i < n) {
        const char *nl = memchr(s + i, '\n', n - i);
        size_t end = nl ? (size_t)(nl - s) + 1 : n;
        spans_push(out, i, end - i);
        i = end;
    }
}

/* Interning: equal token texts get equal ids, so the search compares integers. */
struct intern {
    uint32_t *slot; /* id + 1, 0 = empty */
    size_t mask;
    const char **txt;
    size_t *len;
    size_t n, cap;
};

static int
is_ws_token(const char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        uint32_t cp;
        i += text_decode(s + i, n - i, &cp);
        if (!is_space_cp(cp))
            return 0;
    }
    return n > 0;
}

/* One-byte tokens (spaces, punctuation, newlines: half of all tokens) are their
 * own ids, 0..255, without hashing; the table numbers the others from 256. */
static uint32_t
intern_id(struct intern *t, const char *s, size_t n)
{
    if (n == 1)
        return (unsigned char)s[0];
    uint64_t h = hash_fnv64(s, n, 0);
    size_t i = (size_t)h & t->mask;
    for (;;) {
        uint32_t v = t->slot[i];
        if (!v)
            break;
        if (t->len[v - 1] == n && memcmp(t->txt[v - 1], s, n) == 0)
            return 256 + v - 1;
        i = (i + 1) & t->mask;
    }
    if (t->n == t->cap) {
        t->cap = t->cap ? t->cap * 2 : 256;
        t->txt = xrealloc(t->txt, t->cap * sizeof *t->txt);
        t->len = xrealloc(t->len, t->cap * sizeof *t->len);
    }
    t->txt[t->n] = s;
    t->len[t->n] = n;
    t->slot[i] = (uint32_t)++t->n;
    return (uint32_t)(256 + t->n - 1);
}

static uint32_t *
intern_all(struct intern *t, const char *s, const struct text_spans *tok, unsigned flags,
           uint32_t *ids)
{
    for (size_t i = 0; i < tok->n; i++) {
        const char *p = s + tok->v[i].off;
        size_t len = tok->v[i].len;
        if ((flags & TEXT_DIFF_IGNORE_WS) && is_ws_token(p, len))
            ids[i] = intern_id(t, " ", 1);
        else
            ids[i] = intern_id(t, p, len);
    }
    return ids;
}

/* ---- Myers' O(ND) search, linear space ---- */

/* The rows of one direction's search, kept for two uses: the path to any cell it
 * reached is read back from them instead of searched again (the part of the texts
 * before a cut needs no recursion), and the next bisection from the same corner
 * starts from the rows that its smaller rectangle leaves unchanged.  Row d is the
 * diagonal array as it stood after row d, diagonals -d..d (cells trimmed at an edge
 * keep stale values; the other parity holds row d - 1), at x[d * d + d + k]. */
struct myers_hist {
    int32_t *x;
    int32_t *mx, *my; /* per row: the largest x and y computed in it */
    int32_t *lo, *hi; /* per row: the diagonals computed in it (the rest are stale) */
    long cap;         /* rows there is room for */
    long rows;        /* rows of the last search from (ca, cb) */
    long ca, cb;      /* that search's corner: (a0, b0) forward, (a1, b1) backward */
};

/* One direction of a bisection.  The backward search runs over the reversed token
 * arrays, so both directions are the same code. */
struct myers_dir {
    const uint32_t *a, *b; /* tokens from this direction's corner on */
    int32_t *v;            /* furthest x per diagonal, indexed off + k */
    struct myers_hist *h;
    long kr[2]; /* diagonals trimmed at the low and high end */
    long reuse; /* rows taken from h instead of searched */
    long xmax;  /* the largest x in v: no cell of the other search can meet v below
                   n - xmax, so most rows skip the check */
};

/* Where a bisection cut the rectangle: a cell of one direction's search. */
struct myers_cut {
    int side;     /* 0 forward, 1 backward */
    long d, k, x; /* its row, diagonal and x, counted from that direction's corner */
};

struct myers {
    const uint32_t *a, *b;   /* the tokens */
    const uint32_t *ra, *rb; /* the same, reversed: ra[i] = a[na - 1 - i] */
    long na, nb;
    unsigned char *del, *ins; /* per token: deleted from A / inserted in B */
    int32_t *v1, *v2;         /* scratch diagonals, na + nb + 4 each (32 bits: half the memory) */
    struct myers_hist h[2];   /* forward, backward */
    size_t cost, max_cost;
    long dlim; /* edits a bisection may search before it settles for a good split */
    int aborted;
    long hole[4]; /* after the cost cap: the rectangle left unsettled (a0, a1, b0, b1) */
};

/* Row d of h, indexed by diagonal (-d..d). */
static int32_t *
hist_row(const struct myers_hist *h, long d)
{
    return h->x + d * d + d;
}

/* Rows of h that a search from corner (ca, cb) over an n x mm rectangle would compute
 * alike: those of the same corner whose cells all lie inside it (a cell on the edge
 * stops there either way; a cell beyond it would be trimmed, so its row and the rest
 * are searched again). */
static long
hist_reusable(const struct myers_hist *h, long ca, long cb, long n, long mm)
{
    if (h->ca != ca || h->cb != cb)
        return 0;
    long r = 0;
    while (r < h->rows && h->mx[r] <= n && h->my[r] <= mm)
        r++;
    return r;
}

/* Did cell (k, x) of row d meet the other search's last row?  Their x, each from its
 * own corner, add up to n on the same diagonal (k here is delta - k there). */
static int
myers_meets(const struct myers_dir *o, long k, long x, long n, long mm, long off, long R, int side,
            long d, struct myers_cut *cut)
{
    long oo = off + (n - mm) - k;
    if (oo < off - R || oo > off + R || o->v[oo] == -1 || x + o->v[oo] < n)
        return 0;
    cut->side = side;
    cut->d = d;
    cut->k = k;
    cut->x = x;
    return 1;
}

/* Row d of the search s (o: the other direction, whose last row a cell of s may meet
 * when `check`).  Returns 1 with the meeting cell in *cut. */
static int
myers_row(struct myers *m, struct myers_dir *s, const struct myers_dir *o, int side, long d, long n,
          long mm, long off, long R, int check, struct myers_cut *cut)
{
    int32_t *v = s->v;
    struct myers_hist *h = s->h;
    /* a row's own work (copies, checks, the loop), so that the budget stays a
     * measure of time now that rows are replayed and read back */
    m->cost += 2 + (size_t)d / 4;
    if (d < s->reuse) { /* a row without a trimmed cell: all its diagonals, all inside */
        memcpy(v + off - d, hist_row(h, d) - d, (size_t)(2 * d + 1) * sizeof *v);
        if (h->mx[d] > s->xmax)
            s->xmax = h->mx[d];
        if (check && h->mx[d] + o->xmax >= n)
            for (long k = -d; k <= d; k += 2)
                if (myers_meets(o, k, v[off + k], n, mm, off, R, side, d, cut))
                    return 1;
        return 0;
    }
    const uint32_t *a = s->a, *b = s->b;
    long lo = -d + s->kr[0], hi = d - s->kr[1], mx = -1, my = -1, omax = o->xmax;
    size_t cost = 0;
    int met = 0;
    /* The trims shrink the range as they happen (a cell past the top edge ends the row
     * two diagonals early), as in the classic search. */
    for (long k = lo; k <= hi; k += 2) {
        long ko = off + k;
        /* Myers' choice (down from k + 1 at k == -d or where it reaches further, else
         * right from k - 1) is the larger of the two: at k = +-d the cell beyond is
         * still the -1 it was set to as the search widened */
        long x = v[ko - 1] + 1 > v[ko + 1] ? v[ko - 1] + 1 : v[ko + 1];
        long y = x - k, lim = n - x < mm - y ? n - x : mm - y, run = 0;
        while (run < lim && a[x + run] == b[y + run])
            run++;
        x += run;
        y += run;
        cost += 1 + (size_t)run;
        v[ko] = (int32_t)x;
        mx = x > mx ? x : mx;
        my = y > my ? y : my;
        if (x > n) {
            s->kr[1] += 2;
            hi -= 2;
        } else if (y > mm) {
            s->kr[0] += 2;
        } else if (check && x + omax >= n && myers_meets(o, k, x, n, mm, off, R, side, d, cut)) {
            met = 1; /* row d stays unstored: its cells past k are stale */
            break;
        }
    }
    m->cost += cost;
    if (mx > s->xmax)
        s->xmax = mx;
    if (!met && d < h->cap) {
        memcpy(hist_row(h, d) - d, v + off - d, (size_t)(2 * d + 1) * sizeof *v);
        h->mx[d] = (int32_t)mx;
        h->my[d] = (int32_t)my;
        h->lo[d] = (int32_t)lo;
        h->hi[d] = (int32_t)(d - s->kr[1]);
        h->rows = d + 1;
    }
    return met;
}

/* After the search of myers_bisect has used d edits without meeting in the middle:
 * the cell furthest along either search (x + y from its own corner), as GNU diff
 * does when a search gets too expensive.  The script stays valid, and minimal on each
 * side of the cut (the searched side is read back from its rows, the other is diffed
 * exactly unless it is itself too expensive), though the cut need not lie on a
 * shortest path through the whole.  Every cut advances at least d tokens, and every
 * snake the search followed ends before it, so the work stays about (n + m) * dlim
 * in all: linear.  Returns 0 if no cell strictly inside was reached. */
static int
myers_split(const struct myers_dir *dir, long n, long mm, long off, long d, struct myers_cut *cut)
{
    long best = 0;
    int found = 0;
    for (int side = 0; side < 2; side++) {
        const struct myers_dir *s = &dir[side];
        for (long k = -(d - 1) + s->kr[0]; k <= (d - 1) - s->kr[1]; k += 2) {
            long x = s->v[off + k], y = x - k;
            if (x >= 0 && x <= n && y >= 0 && y <= mm && x + y > best && x + y < n + mm) {
                cut->side = side;
                cut->d = d - 1;
                cut->k = k;
                cut->x = x;
                best = x + y;
                found = 1;
            }
        }
    }
    return found;
}

/* A cut of a[a0..a1) x b[b0..b1) (both non-empty, no common prefix or suffix): the
 * end of the forward or backward path of a shortest script that meets the other
 * search in the middle (Myers: the forward one when n - mm is odd, else the backward
 * one), or myers_split's cell after dlim edits.  A search from a corner the last
 * bisection searched from takes the rows it can from there.  Returns 0 when the two
 * have no token in common or the cost cap was hit (m->aborted). */
static int
myers_bisect(struct myers *m, long a0, long a1, long b0, long b1, struct myers_cut *cut)
{
    long n = a1 - a0, mm = b1 - b0;
    long max_d = (n + mm + 1) / 2;
    long off = max_d;
    struct myers_dir dir[2] = {
        {m->a + a0, m->b + b0, m->v1, &m->h[0], {0, 0}, 0, 0},
        {m->ra + (m->na - a1), m->rb + (m->nb - b1), m->v2, &m->h[1], {0, 0}, 0, 0},
    };
    long corner[2][2] = {{a0, b0}, {a1, b1}};
    for (int side = 0; side < 2; side++) {
        struct myers_hist *h = dir[side].h;
        dir[side].reuse = hist_reusable(h, corner[side][0], corner[side][1], n, mm);
        h->rows = dir[side].reuse;
        h->ca = corner[side][0];
        h->cb = corner[side][1];
    }
    /* Diagonals are initialised as the search widens (radius R around off), not all
     * n + mm of them up front: with many small bisections that was quadratic. */
    long R = 1;
    for (long i = off - 1; i <= off + 1; i++)
        m->v1[i] = m->v2[i] = -1;
    m->v1[off + 1] = 0;
    m->v2[off + 1] = 0;
    int front = ((n - mm) & 1) != 0;
    for (long d = 0; d < max_d; d++) {
        if (m->cost > m->max_cost) {
            m->aborted = 1;
            return 0;
        }
        if (d == m->dlim && myers_split(dir, n, mm, off, d, cut))
            return 1;
        while (R < d + 1) {
            R++;
            m->v1[off - R] = m->v1[off + R] = m->v2[off - R] = m->v2[off + R] = -1;
        }
        if (myers_row(m, &dir[0], &dir[1], 0, d, n, mm, off, R, front, cut) ||
            myers_row(m, &dir[1], &dir[0], 1, d, n, mm, off, R, !front, cut))
            return 1;
    }
    return 0; /* no common token at all */
}

/* Mark the edits of the path the search `side` of the bisection of a[a0..a1) x
 * b[b0..b1) took to its cell (d, k, x), all of whose rows before d are stored: a
 * shortest path from that corner to the cell. */
static void
myers_trace(struct myers *m, const struct myers_cut *c, long a0, long a1, long b0, long b1)
{
    const struct myers_hist *h = &m->h[c->side];
    long d = c->d, k = c->k, x = c->x;
    m->cost += (size_t)d;
    /* the first row that reached x on k: a furthest-reaching row never recedes, so
     * it is the fewest edits to this point (dlim cuts may come from a later row) */
    for (long e = k < 0 ? -k : k; e < d; e += 2)
        if (k >= h->lo[e] && k <= h->hi[e] && hist_row(h, e)[k] == x) {
            d = e;
            break;
        }
    for (; d > 0; d--) {
        const int32_t *prev = hist_row(h, d - 1);
        if (k == -d || (k != d && prev[k - 1] < prev[k + 1])) {
            x = prev[k + 1]; /* down from diagonal k + 1: b[y] inserted */
            k++;
            long y = x - k;
            if (c->side == 0)
                m->ins[b0 + y] = 1;
            else
                m->ins[b1 - 1 - y] = 1;
        } else {
            x = prev[k - 1]; /* right from diagonal k - 1: a[x] deleted */
            k--;
            if (c->side == 0)
                m->del[a0 + x] = 1;
            else
                m->del[a1 - 1 - x] = 1;
        }
    }
}

/* One token against many: keep its first occurrence, if any (a shortest script). */
static void
myers_one(struct myers *m, const uint32_t *one, long o0, unsigned char *one_mark,
          const uint32_t *many, long m0, long m1, unsigned char *many_mark)
{
    long hit = -1;
    for (long k = m0; k < m1 && hit < 0; k++)
        if (many[k] == one[o0])
            hit = k;
    m->cost += (size_t)(m1 - m0);
    memset(many_mark + m0, 1, (size_t)(m1 - m0));
    if (hit >= 0)
        many_mark[hit] = 0;
    else
        one_mark[o0] = 1;
}

/* Mark a shortest (or, past dlim, a good) script for a[a0..a1) x b[b0..b1).  Each
 * bisection settles the part on its cut's side (read back from the search's rows) and
 * the loop goes on with the rest; only a cut whose rows were not kept recurses. */
static void
myers_rec(struct myers *m, long a0, long a1, long b0, long b1)
{
    while (!m->aborted) {
        while (a0 < a1 && b0 < b1 && m->a[a0] == m->b[b0]) {
            a0++;
            b0++;
        }
        while (a0 < a1 && b0 < b1 && m->a[a1 - 1] == m->b[b1 - 1]) {
            a1--;
            b1--;
        }
        m->cost += 1;
        if (a0 == a1) {
            memset(m->ins + b0, 1, (size_t)(b1 - b0));
            return;
        }
        if (b0 == b1) {
            memset(m->del + a0, 1, (size_t)(a1 - a0));
            return;
        }
        if (a1 - a0 == 1) {
            myers_one(m, m->a, a0, m->del, m->b, b0, b1, m->ins);
            return;
        }
        if (b1 - b0 == 1) {
            myers_one(m, m->b, b0, m->ins, m->a, a0, a1, m->del);
            return;
        }
        struct myers_cut c;
        if (!myers_bisect(m, a0, a1, b0, b1, &c)) {
            if (!m->aborted) {
                memset(m->del + a0, 1, (size_t)(a1 - a0));
                memset(m->ins + b0, 1, (size_t)(b1 - b0));
                return;
            }
            break;
        }
        int traced = c.d <= m->h[c.side].rows;
        long cx = c.x, cy = c.x - c.k;
        if (c.side == 0) {
            if (traced)
                myers_trace(m, &c, a0, a1, b0, b1);
            else
                myers_rec(m, a0, a0 + cx, b0, b0 + cy);
            a0 += cx;
            b0 += cy;
        } else {
            if (traced)
                myers_trace(m, &c, a0, a1, b0, b1);
            else
                myers_rec(m, a1 - cx, a1, b1 - cy, b1);
            a1 -= cx;
            b1 -= cy;
        }
    }
    /* The cost cap stopped the search: what is settled stays, this rectangle is all
     * edits (a valid script), and the first one is the hole the caller may diff more
     * coarsely.  (A recursion's caller leaves its own rest as edits only.) */
    memset(m->del + a0, 1, (size_t)(a1 - a0));
    memset(m->ins + b0, 1, (size_t)(b1 - b0));
    if (m->hole[0] < 0 && a0 < a1 && b0 < b1) {
        m->hole[0] = a0;
        m->hole[1] = a1;
        m->hole[2] = b0;
        m->hole[3] = b1;
    }
}

/* ---- hunks ---- */

static void
hunk_push(struct text_diff *d, size_t ao, size_t al, size_t bo, size_t bl)
{
    if (al == 0 && bl == 0)
        return;
    enum text_diff_tag tag = al && bl ? TEXT_DIFF_CHANGED
                             : al     ? TEXT_DIFF_DELETED
                                      : TEXT_DIFF_INSERTED;
    if (d->n == d->cap) {
        d->cap = d->cap ? d->cap * 2 : 16;
        d->h = xrealloc(d->h, d->cap * sizeof *d->h);
    }
    struct text_diff_hunk *h = &d->h[d->n++];
    h->a_off = ao;
    h->a_len = al;
    h->b_off = bo;
    h->b_len = bl;
    h->tag = tag;
}

static void
hunk_push_equal(struct text_diff *d, size_t ao, size_t al, size_t bo, size_t bl)
{
    if (al == 0 && bl == 0)
        return;
    hunk_push(d, ao, al, bo, bl);
    d->h[d->n - 1].tag = TEXT_DIFF_EQUAL;
}

static size_t tok_off(const struct text_spans *t, size_t i, size_t textlen);

/* Turn the per-token marks into hunks. */
static void
build_hunks(struct text_diff *d, const struct text_spans *ta, size_t na, const unsigned char *del,
            const struct text_spans *tb, size_t nb, const unsigned char *ins)
{
    size_t i = 0, j = 0;
    while (i < ta->n || j < tb->n) {
        size_t i0 = i, j0 = j;
        while (i < ta->n && j < tb->n && !del[i] && !ins[j]) {
            i++;
            j++;
        }
        if (i > i0)
            hunk_push_equal(d, tok_off(ta, i0, na), tok_off(ta, i, na) - tok_off(ta, i0, na),
                            tok_off(tb, j0, nb), tok_off(tb, j, nb) - tok_off(tb, j0, nb));
        i0 = i;
        j0 = j;
        while (i < ta->n && del[i])
            i++;
        while (j < tb->n && ins[j])
            j++;
        if (i == i0 && j == j0) {
            /* One side ended with the other holding only unmarked tokens: cannot
             * happen for a valid script, but never loop forever. */
            i = ta->n;
            j = tb->n;
        }
        d->edit_tokens += (i - i0) + (j - j0);
        hunk_push(d, tok_off(ta, i0, na), tok_off(ta, i, na) - tok_off(ta, i0, na),
                  tok_off(tb, j0, nb), tok_off(tb, j, nb) - tok_off(tb, j0, nb));
    }
}

/* Fold whitespace-only EQUAL hunks between two changes into one CHANGED hunk, and
 * merge neighbours: changes into one, equal runs into one. */
static void
fold_gaps(struct text_diff *d, const char *a)
{
    size_t w = 0;
    for (size_t r = 0; r < d->n; r++) {
        struct text_diff_hunk h = d->h[r];
        if (h.tag == TEXT_DIFF_EQUAL && w > 0 && r + 1 < d->n &&
            d->h[w - 1].tag != TEXT_DIFF_EQUAL && d->h[r + 1].tag != TEXT_DIFF_EQUAL &&
            is_ws_token(a + h.a_off, h.a_len)) {
            struct text_diff_hunk *p = &d->h[w - 1], *q = &d->h[r + 1];
            p->a_len = q->a_off + q->a_len - p->a_off;
            p->b_len = q->b_off + q->b_len - p->b_off;
            p->tag = TEXT_DIFF_CHANGED;
            r++; /* q is absorbed */
            continue;
        }
        if (h.tag == TEXT_DIFF_EQUAL && w > 0 && d->h[w - 1].tag == TEXT_DIFF_EQUAL) {
            d->h[w - 1].a_len += h.a_len; /* refined blocks can leave equal neighbours */
            d->h[w - 1].b_len += h.b_len;
            continue;
        }
        if (h.tag != TEXT_DIFF_EQUAL && w > 0 && d->h[w - 1].tag != TEXT_DIFF_EQUAL) {
            struct text_diff_hunk *p = &d->h[w - 1];
            p->a_len = h.a_off + h.a_len - p->a_off;
            p->b_len = h.b_off + h.b_len - p->b_off;
            p->tag = p->a_len && p->b_len ? TEXT_DIFF_CHANGED
                     : p->a_len           ? TEXT_DIFF_DELETED
                                          : TEXT_DIFF_INSERTED;
            continue;
        }
        d->h[w++] = h;
    }
    d->n = w;
}

/* Mark a shortest script (past dlim edits, a good one) of a[0..na) x b[0..nb) in
 * del and ins, both zeroed; *cost: the steps used.  Returns 0 when the cost cap was
 * hit: the marks are still a script, whose part in hole (a0, a1, b0, b1; a0 = -1:
 * none) is all edits. */
static int
myers_run(const uint32_t *a, size_t na, const uint32_t *b, size_t nb, unsigned char *del,
          unsigned char *ins, size_t max_cost, size_t *cost, long hole[4],
          struct text_diff_scratch *scr)
{
    struct myers m = {0};
    m.hole[0] = -1;
    m.a = a;
    m.b = b;
    m.na = (long)na;
    m.nb = (long)nb;
    m.del = del;
    m.ins = ins;
    m.max_cost = max_cost;
    size_t span = na + nb;
    /* a bisection searching past dlim edits splits instead (myers_split), so the
     * search is linear in the text (unrelated texts used to cost span^2 up to the cap)
     * and exact for the short and the similar texts that never need dlim edits */
    m.dlim = span ? (long)(DIFF_DLIM_WORK / span) : 0;
    if (m.dlim < 16)
        m.dlim = 16;
    m.v1 = scr_get(scr, SCR_V1, (span + 4) * sizeof *m.v1, 0);
    m.v2 = scr_get(scr, SCR_V2, (span + 4) * sizeof *m.v2, 0);
    /* the reversed tokens, for the backward search; rows for every bisection
     * (min(dlim, span / 2) rows: dlim * span is bounded, so this stays small) */
    uint32_t *ra = scr_get(scr, SCR_RA, (na + 1) * sizeof *ra, 0),
             *rb = scr_get(scr, SCR_RB, (nb + 1) * sizeof *rb, 0);
    for (size_t i = 0; i < na; i++)
        ra[i] = a[na - 1 - i];
    for (size_t i = 0; i < nb; i++)
        rb[i] = b[nb - 1 - i];
    m.ra = ra;
    m.rb = rb;
    long cap = (long)(span + 1) / 2 < m.dlim ? (long)(span + 1) / 2 : m.dlim;
    for (int side = 0; side < 2; side++) {
        struct myers_hist *h = &m.h[side];
        h->cap = cap;
        h->x = scr_get(scr, SCR_H0 + side, (size_t)(cap * cap + 1) * sizeof *h->x, 0);
        h->mx = scr_get(scr, SCR_M0 + side, (size_t)(4 * cap + 1) * sizeof *h->mx, 0);
        h->my = h->mx + cap;
        h->lo = h->my + cap;
        h->hi = h->lo + cap;
        h->ca = h->cb = -1;
    }
    myers_rec(&m, 0, (long)na, 0, (long)nb);
    for (int side = 0; side < 2; side++) {
        scr_put(scr, m.h[side].x);
        scr_put(scr, m.h[side].mx);
    }
    scr_put(scr, ra);
    scr_put(scr, rb);
    scr_put(scr, m.v1);
    scr_put(scr, m.v2);
    *cost = m.cost;
    memcpy(hole, m.hole, sizeof m.hole);
    return !m.aborted;
}

/* The tokens of ids[0..n) that both sides hold (seen[id] == 3): returns how many.
 * With pos, moves them to the front of ids (in place) and their indices to pos. */
static size_t
shared_tokens(uint32_t *ids, size_t n, const unsigned char *seen, uint32_t *pos)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (seen[ids[i]] != 3)
            continue;
        if (pos) {
            pos[k] = (uint32_t)i;
            ids[k] = ids[i];
        }
        k++;
    }
    return k;
}

/* Spread the marks of the k shared tokens, mark[0..k), to their indices pos (in
 * place, from the end: pos[i] >= i); the n - k others are edits. */
static void
spread_marks(unsigned char *mark, size_t n, const uint32_t *pos, size_t k)
{
    size_t w = n;
    for (size_t i = k; i-- > 0;) {
        unsigned char v = mark[i];
        while (w > (size_t)pos[i] + 1)
            mark[--w] = 1;
        mark[--w] = v;
    }
    while (w > 0)
        mark[--w] = 1;
}

/* Tokens equal as the diff compares them (whitespace runs all alike with
 * TEXT_DIFF_IGNORE_WS). */
static int
tok_eq(const char *a, const struct text_span *x, const char *b, const struct text_span *y,
       unsigned flags)
{
    if (x->len == y->len && memcmp(a + x->off, b + y->off, x->len) == 0)
        return 1;
    return (flags & TEXT_DIFF_IGNORE_WS) && is_ws_token(a + x->off, x->len) &&
           is_ws_token(b + y->off, y->len);
}

static void diff_lines(const char *a, size_t na, const char *b, size_t nb, unsigned flags,
                       size_t max_tokens, size_t max_cost, struct text_diff *out, size_t *used);

/* A view of spans t[from..to). */
static struct text_spans
spans_view(const struct text_spans *t, size_t from, size_t to)
{
    struct text_spans v = {t->v + from, to - from, to - from};
    return v;
}

/* Byte offset where token i starts (or the text end). */
static size_t
tok_off(const struct text_spans *t, size_t i, size_t textlen)
{
    return i < t->n ? t->v[i].off : textlen;
}

/* Diff two token sequences; returns 0 when more than max_tokens tokens on a side
 * remain once the common first and last tokens are set aside (nothing is added to d).
 * When the search takes more than max_cost steps, what it settled stays and the
 * rectangle it left is diffed by lines with hole_cost more steps (hole_cost 0: left
 * one change); *coarse is then set. */
static int
diff_tokens(struct text_diff *d, const char *a, size_t na, const struct text_spans *ta,
            const char *b, size_t nb, const struct text_spans *tb, unsigned flags,
            size_t max_tokens, size_t max_cost, size_t hole_cost, size_t *cost_used, int *coarse,
            struct text_diff_scratch *scr)
{
    /* the token cap first, on the bytes: interning a text past it is wasted work */
    size_t pre0 = 0, suf0 = 0;
    while (pre0 < ta->n && pre0 < tb->n && tok_eq(a, &ta->v[pre0], b, &tb->v[pre0], flags))
        pre0++;
    while (suf0 < ta->n - pre0 && suf0 < tb->n - pre0 &&
           tok_eq(a, &ta->v[ta->n - 1 - suf0], b, &tb->v[tb->n - 1 - suf0], flags))
        suf0++;
    if (ta->n - pre0 - suf0 > max_tokens || tb->n - pre0 - suf0 > max_tokens) {
        if (cost_used)
            *cost_used = 0;
        return 0;
    }
    struct intern t = {0};
    size_t want = 1024;
    while (want < 2 * (ta->n + tb->n))
        want *= 2;
    t.slot = scr_get(scr, SCR_SLOT, want * sizeof *t.slot, 1);
    t.mask = want - 1;
    uint32_t *ia = intern_all(&t, a, ta, flags,
                              scr_get(scr, SCR_IA, (ta->n + 1) * sizeof(uint32_t), 0)),
             *ib = intern_all(&t, b, tb, flags,
                              scr_get(scr, SCR_IB, (tb->n + 1) * sizeof(uint32_t), 0));
    /* the table is done with: freed before the search so the peak stays low (what a
     * diff frees, the next one faults in again) */
    size_t nids = 256 + t.n;
    scr_put(scr, t.slot);
    free(t.txt);
    free(t.len);
    size_t pre = 0, suf = 0;
    while (pre < ta->n && pre < tb->n && ia[pre] == ib[pre])
        pre++;
    while (suf < ta->n - pre && suf < tb->n - pre && ia[ta->n - 1 - suf] == ib[tb->n - 1 - suf])
        suf++;
    size_t ma = ta->n - pre - suf, mb = tb->n - pre - suf; /* the middles */
    unsigned char *del = scr_get(scr, SCR_DEL, ta->n + 1, 1),
                  *ins = scr_get(scr, SCR_INS, tb->n + 1, 1);
    size_t cost = 0;
    long hole[4] = {-1, -1, -1, -1};
    int ok = 0;
    if (ma > max_tokens || mb > max_tokens || ma + mb + 4 > INT32_MAX / 2) {
        /* past the cap (the diagonals hold token indices in 32 bits) */
        ok = -1;
    } else {
        /* A token of one middle that the other middle never holds cannot match: it is
         * an edit whatever the alignment, so the search runs without such tokens (as
         * xdiff does).  A shortest script of what is left is one of the whole, and
         * unrelated texts shrink to the tokens they share.  (Not for a few tokens:
         * there the search is cheaper than the copies.) */
        unsigned char *seen = scr_get(scr, SCR_SEEN, nids, 1);
        size_t ka = ma, kb = mb;
        if (ma + mb >= DIFF_DISCARD_MIN) {
            for (size_t i = pre; i < pre + ma; i++)
                seen[ia[i]] |= 1;
            for (size_t j = pre; j < pre + mb; j++)
                seen[ib[j]] |= 2;
            ka = shared_tokens(ia + pre, ma, seen, NULL);
            kb = shared_tokens(ib + pre, mb, seen, NULL);
        }
        if (ka == ma && kb == mb) {
            scr_put(scr, seen);
            ok = myers_run(ia + pre, ma, ib + pre, mb, del + pre, ins + pre, max_cost, &cost, hole,
                           scr);
            for (int e = 0; e < 4 && hole[0] >= 0; e++)
                hole[e] += (long)pre;
        } else {
            /* the shared tokens move to the front of ia and ib (the ids are not
             * needed after the search), their marks come back through pa and pb */
            uint32_t *pa = scr_get(scr, SCR_PA, (ka + 1) * sizeof *pa, 0),
                     *pb = scr_get(scr, SCR_PB, (kb + 1) * sizeof *pb, 0);
            shared_tokens(ia + pre, ma, seen, pa);
            shared_tokens(ib + pre, mb, seen, pb);
            scr_put(scr, seen);
            ok = myers_run(ia + pre, ka, ib + pre, kb, del + pre, ins + pre, max_cost, &cost, hole,
                           scr);
            if (hole[0] >= 0) { /* back to token indices (both sides of a hole hold some) */
                hole[0] = (long)(pre + pa[hole[0]]);
                hole[1] = (long)(pre + pa[hole[1] - 1] + 1);
                hole[2] = (long)(pre + pb[hole[2]]);
                hole[3] = (long)(pre + pb[hole[3] - 1] + 1);
            }
            spread_marks(del + pre, ma, pa, ka);
            spread_marks(ins + pre, mb, pb, kb);
            scr_put(scr, pa);
            scr_put(scr, pb);
        }
    }
    if (ok == 0 && coarse)
        *coarse = 1;
    if (ok == 0 && hole[0] >= 0 && hole_cost > 0) {
        /* settled, the hole by lines, settled: the path passes both hole corners */
        size_t h0 = (size_t)hole[0], h1 = (size_t)hole[1], g0 = (size_t)hole[2],
               g1 = (size_t)hole[3];
        struct text_spans pa = spans_view(ta, 0, h0), pb = spans_view(tb, 0, g0);
        build_hunks(d, &pa, tok_off(ta, h0, na), del, &pb, tok_off(tb, g0, nb), ins);
        size_t ao = tok_off(ta, h0, na), bo = tok_off(tb, g0, nb), used = 0;
        struct text_diff sub;
        diff_lines(a + ao, tok_off(ta, h1, na) - ao, b + bo, tok_off(tb, g1, nb) - bo, flags,
                   max_tokens, hole_cost, &sub, &used);
        for (size_t k = 0; k < sub.n; k++) {
            struct text_diff_hunk *x = &sub.h[k];
            hunk_push(d, ao + x->a_off, x->a_len, bo + x->b_off, x->b_len);
            d->h[d->n - 1].tag = x->tag;
        }
        d->edit_tokens += sub.edit_tokens;
        text_diff_free(&sub);
        cost += used;
        struct text_spans sa = spans_view(ta, h1, ta->n), sb = spans_view(tb, g1, tb->n);
        build_hunks(d, &sa, na, del + h1, &sb, nb, ins + g1);
    } else if (ok >= 0) {
        build_hunks(d, ta, na, del, tb, nb, ins);
    }
    if (cost_used)
        *cost_used = cost;
    ok = ok >= 0;
    scr_put(scr, del);
    scr_put(scr, ins);
    scr_put(scr, ia);
    scr_put(scr, ib);
    return ok;
}

/* Common leading and trailing whole lines of a and b (byte lengths).  A token never
 * spans a '\n', so the middle can be diffed alone. */
static void
common_lines(const char *a, size_t na, const char *b, size_t nb, size_t *pre, size_t *suf)
{
    size_t p = 0, lp = 0;
    while (p < na && p < nb && a[p] == b[p]) {
        if (a[p] == '\n')
            lp = p + 1;
        p++;
    }
    if (p == na && p == nb)
        lp = p;
    size_t s = 0, ls = 0, maxs = na - lp < nb - lp ? na - lp : nb - lp;
    while (s < maxs && a[na - 1 - s] == b[nb - 1 - s]) {
        s++;
        if ((na - s == lp || a[na - s - 1] == '\n') && (nb - s == lp || b[nb - s - 1] == '\n'))
            ls = s;
    }
    *pre = lp;
    *suf = ls;
}

/* The last resort: common first and last lines, one CHANGED block between. */
static void
diff_block(struct text_diff *d, const char *a, size_t na, const char *b, size_t nb)
{
    size_t lp, ls;
    common_lines(a, na, b, nb, &lp, &ls);
    hunk_push_equal(d, 0, lp, 0, lp);
    hunk_push(d, lp, na - lp - ls, lp, nb - lp - ls);
    hunk_push_equal(d, na - ls, ls, nb - ls, ls);
}

/* After a line-level diff, diff the words inside each changed block that is small
 * enough, so a long text with a few edits keeps word-level emphasis. */
static void
refine_lines(struct text_diff *d, const char *a, const char *b, unsigned flags, size_t max_tokens,
             size_t max_cost)
{
    struct text_diff out = {0};
    out.simplified = d->simplified;
    out.tokens_a = d->tokens_a;
    out.tokens_b = d->tokens_b;
    size_t budget = max_cost; /* shared by all blocks: the total stays bounded */
    for (size_t i = 0; i < d->n; i++) {
        struct text_diff_hunk h = d->h[i];
        struct text_diff sub = {0};
        struct text_spans ta = {0}, tb = {0};
        int done = 0;
        if (h.tag == TEXT_DIFF_CHANGED && budget > 0) {
            text_tokenize(a + h.a_off, h.a_len, &ta);
            text_tokenize(b + h.b_off, h.b_len, &tb);
            size_t used = 0;
            int coarse = 0;
            done = diff_tokens(&sub, a + h.a_off, h.a_len, &ta, b + h.b_off, h.b_len, &tb, flags,
                               max_tokens, budget, 0, &used, &coarse, NULL);
            budget = used < budget ? budget - used : 0;
        }
        if (done) {
            for (size_t k = 0; k < sub.n; k++) {
                struct text_diff_hunk *x = &sub.h[k];
                hunk_push(&out, h.a_off + x->a_off, x->a_len, h.b_off + x->b_off, x->b_len);
                out.h[out.n - 1].tag = x->tag;
            }
            out.edit_tokens += sub.edit_tokens;
        } else {
            hunk_push(&out, h.a_off, h.a_len, h.b_off, h.b_len);
            out.h[out.n - 1].tag = h.tag;
            if (h.tag != TEXT_DIFF_EQUAL)
                out.edit_tokens++;
        }
        text_diff_free(&sub);
        text_spans_free(&ta);
        text_spans_free(&tb);
    }
    text_diff_free(d);
    *d = out;
}

static void diff_middle(const char *a, size_t na, const char *b, size_t nb,
                        const struct text_diff_opts *opts, struct text_diff *out,
                        struct text_diff_scratch *scr);

void
text_diff(const char *a, size_t na, const char *b, size_t nb, const struct text_diff_opts *opts,
          struct text_diff *out)
{
    text_diff_with(NULL, a, na, b, nb, opts, out);
}

void
text_diff_with(struct text_diff_scratch *scr, const char *a, size_t na, const char *b, size_t nb,
               const struct text_diff_opts *opts, struct text_diff *out)
{
    size_t pre, suf;
    common_lines(a, na, b, nb, &pre, &suf);
    struct text_diff mid;
    diff_middle(a + pre, na - pre - suf, b + pre, nb - pre - suf, opts, &mid, scr);
    memset(out, 0, sizeof *out);
    out->simplified = mid.simplified;
    out->tokens_a = mid.tokens_a;
    out->tokens_b = mid.tokens_b;
    out->edit_tokens = mid.edit_tokens;
    hunk_push_equal(out, 0, pre, 0, pre);
    for (size_t i = 0; i < mid.n; i++) {
        const struct text_diff_hunk *h = &mid.h[i];
        hunk_push(out, pre + h->a_off, h->a_len, pre + h->b_off, h->b_len);
        out->h[out->n - 1].tag = h->tag;
    }
    hunk_push_equal(out, na - suf, suf, nb - suf, suf);
    text_diff_free(&mid);
    fold_gaps(out, a);
}

/* The fallback for texts too long or too different for the word search: whole
 * lines, then the words inside each changed block of lines while max_cost lasts
 * (simplified 1); if even the lines are too much, one change between the common
 * first and last lines (simplified 2).  *used: the steps taken. */
static void
diff_lines(const char *a, size_t na, const char *b, size_t nb, unsigned flags, size_t max_tokens,
           size_t max_cost, struct text_diff *out, size_t *used)
{
    struct text_spans ta = {0}, tb = {0};
    memset(out, 0, sizeof *out);
    tokenize_lines(a, na, &ta);
    tokenize_lines(b, nb, &tb);
    *used = 0;
    if (diff_tokens(out, a, na, &ta, b, nb, &tb, 0, max_tokens, max_cost, 0, used, NULL, NULL)) {
        out->simplified = 1;
        fold_gaps(out, a);
        refine_lines(out, a, b, flags, max_tokens, max_cost > *used ? max_cost - *used : 0);
    } else {
        out->n = 0;
        out->edit_tokens = 0;
        out->simplified = 2;
        diff_block(out, a, na, b, nb);
    }
    text_spans_free(&ta);
    text_spans_free(&tb);
}

/* The diff proper, on the texts without their common first and last lines. */
static void
diff_middle(const char *a, size_t na, const char *b, size_t nb, const struct text_diff_opts *opts,
            struct text_diff *out, struct text_diff_scratch *scr)
{
    unsigned flags = opts ? opts->flags : 0;
    size_t max_tokens = opts && opts->max_tokens ? opts->max_tokens : DIFF_MAX_TOKENS;
    size_t max_cost = opts && opts->max_cost ? opts->max_cost : DIFF_MAX_COST;
    struct text_spans own[2] = {{0}, {0}};
    struct text_spans *sp = scr ? scr->spans : own, ta, tb;
    memset(out, 0, sizeof *out);

    sp[0].n = sp[1].n = 0;
    text_tokenize(a, na, &sp[0]);
    text_tokenize(b, nb, &sp[1]);
    ta = sp[0];
    tb = sp[1];
    /* one budget for all: half for the word diff, the rest for the fallbacks (each
     * used to get all of it, so unrelated texts paid the cap two or three times) */
    size_t used = 0;
    int coarse = 0;
    if (diff_tokens(out, a, na, &ta, b, nb, &tb, flags, max_tokens, max_cost / 2,
                    max_cost - max_cost / 2, &used, &coarse, scr)) {
        out->simplified = coarse;
        fold_gaps(out, a);
    } else {
        diff_lines(a, na, b, nb, flags, max_tokens, max_cost, out, &used);
    }
    out->tokens_a = ta.n;
    out->tokens_b = tb.n;
    text_spans_free(&own[0]);
    text_spans_free(&own[1]);
}

void
text_diff_free(struct text_diff *d)
{
    free(d->h);
    memset(d, 0, sizeof *d);
}

size_t
text_diff_find(const struct text_diff *d, int side, size_t off)
{
    size_t lo = 0, hi = d->n;
    /* First hunk whose end on that side is beyond off. */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const struct text_diff_hunk *h = &d->h[mid];
        size_t end = side ? h->b_off + h->b_len : h->a_off + h->a_len;
        if (end <= off)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}
