/* The critique view of one feedback: its items in three lists (in, near and out of
 * scope, `[` `]` switch), filtered by status (`s` cycles) with the counts per status;
 * Enter opens an item: the prompt, baseline and revision side by side with the word
 * diff, then the critique.  Accept / reject / back to pending act at once; any field
 * is edited in place (`i`, one-line fields) or in $EDITOR (`e`); `u` undoes the
 * item's latest edit; `R` regenerates the item in a child process
 * (prefscope critique review --regenerate) while the UI stays live.  Every change is
 * stored with the UI's annotator name and the time (src/store/critique.c). */
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/diff.h"
#include "core/sanitize.h"
#include "core/wrap.h"
#include "core/xalloc.h"
#include "store/critique.h"
#include "store/store.h"
#include "tui/view.h"

static const char *const scopes[3] = {"in", "near", "out"};
static const char *const statuses[5] = {"all", "pending", "accepted", "rejected", "failed"};
static const char *const fields[6] = {"prompt",   "baseline",   "revised",
                                      "critique", "in_context", "cot"};
#define N_FIELDS 4 /* the fields `f` cycles through; in_context and cot via :critique-edit */

struct citem {
    int64_t id;
    char *v[6]; /* fields[] */
    char *status, *error, *category;
    long n_edits;
};

/* One row of the item document: a text line, or two cells of the side-by-side
 * baseline | revision block (offsets into src[0] / src[1]). */
struct crow {
    enum tui_role role;
    size_t off, len; /* into doc (text lines) */
    int cells;       /* 0 text; 2 side by side */
    size_t a_off, a_len, b_off, b_len;
};

struct crit {
    int64_t fb;
    char *fb_text, *effect;
    struct citem *items; /* the current scope, all statuses */
    int n, cap;
    int *shown; /* indices of items passing the status filter */
    int n_shown;
    int scope, filter, field, mode; /* mode 0 list, 1 item */
    int counts[5];
    struct list_pos pos;
    /* item document */
    struct strbuf doc, src[2];
    struct text_diff diff;
    struct crow *rows;
    int n_rows, cap_rows, built_w;
    int64_t built_item;
    int64_t top;
    /* regeneration child */
    pid_t regen_pid;
    int64_t regen_item;
    int regen_timer;
    char regen_err[256];
    char model[128];
};

static void
items_clear(struct crit *c)
{
    for (int i = 0; i < c->n; i++) {
        for (int k = 0; k < 6; k++)
            free(c->items[i].v[k]);
        free(c->items[i].status);
        free(c->items[i].error);
        free(c->items[i].category);
    }
    c->n = 0;
}

static char *
dupv(const char *s)
{
    return s ? xstrdup(s) : NULL;
}

static int
item_collect(void *ud, const struct store_row *r)
{
    struct crit *c = ud;
    c->items = xgrow(c->items, sizeof *c->items, c->n, &c->cap, 64);
    struct citem *it = &c->items[c->n++];
    it->id = strtoll(store_row_get(r, "id"), NULL, 10);
    for (int k = 0; k < 6; k++)
        it->v[k] = dupv(store_row_get(r, fields[k]));
    it->status = dupv(store_row_get(r, "status"));
    it->error = dupv(store_row_get(r, "error"));
    it->category = dupv(store_row_get(r, "category"));
    const char *ne = store_row_get(r, "n_edits");
    it->n_edits = ne ? strtol(ne, NULL, 10) : 0;
    return 0;
}

static int
status_class(const struct citem *it)
{
    if (it->error)
        return 4;
    for (int k = 1; k < 4; k++)
        if (it->status && strcmp(it->status, statuses[k]) == 0)
            return k;
    return 1;
}

static void
apply_filter(struct crit *c)
{
    free(c->shown);
    c->shown = xcalloc((size_t)c->n + 1, sizeof *c->shown);
    c->n_shown = 0;
    memset(c->counts, 0, sizeof c->counts);
    for (int i = 0; i < c->n; i++) {
        int k = status_class(&c->items[i]);
        c->counts[0]++;
        c->counts[k]++;
        /* a failed item is also pending: it counts in both filters */
        if (k == 4 && (!c->items[i].status || strcmp(c->items[i].status, "pending") == 0))
            c->counts[1]++;
        int pass = c->filter == 0 || k == c->filter ||
                   (c->filter == 1 && k == 4 && strcmp(c->items[i].status, "pending") == 0);
        if (pass)
            c->shown[c->n_shown++] = i;
    }
}

/* Reload the scope's items, keeping the cursor on item `keep_id` when it is there. */
static int
crit_load(struct tui *tui, struct crit *c, int64_t keep_id, struct ps_err *err)
{
    items_clear(c);
    int rc =
        store_crit_item_list(tui->st, c->fb, 0, scopes[c->scope], NULL, NULL, item_collect, c, err);
    apply_filter(c);
    if (keep_id > 0)
        for (int i = 0; i < c->n_shown; i++)
            if (c->items[c->shown[i]].id == keep_id)
                c->pos.cur = i;
    if (c->pos.cur >= c->n_shown)
        c->pos.cur = c->n_shown ? c->n_shown - 1 : 0;
    c->built_w = -1;
    return rc;
}

static struct citem *
current(struct crit *c)
{
    return c->n_shown ? &c->items[c->shown[c->pos.cur]] : NULL;
}

static int
fb_header(void *ud, const struct store_row *r)
{
    struct crit *c = ud;
    c->fb_text = dupv(store_row_get(r, "feedback"));
    c->effect = dupv(store_row_get(r, "effect"));
    return 0;
}

static int
crit_open(struct tui *tui, struct view *v, void *arg, struct ps_err *err)
{
    struct crit *c = v->priv;
    c->fb = *(const int64_t *)arg;
    c->regen_pid = -1;
    if (store_crit_feedback_list(tui->st, c->fb, fb_header, c, err) != PS_OK)
        return err->code;
    if (!c->fb_text)
        return ps_error(err, PS_ERR_NOTFOUND, "no feedback with id %lld", (long long)c->fb);
    const char *m = getenv("PREFSCOPE_C3PO_MODEL");
    snprintf(c->model, sizeof c->model, "%s", m ? m : "");
    c->field = 2; /* the revision */
    return crit_load(tui, c, 0, err);
}

static void
doc_free(struct crit *c)
{
    sb_free(&c->doc);
    sb_free(&c->src[0]);
    sb_free(&c->src[1]);
    text_diff_free(&c->diff);
    memset(&c->diff, 0, sizeof c->diff);
    free(c->rows);
    c->rows = NULL;
    c->n_rows = c->cap_rows = 0;
}

static void
crit_done(struct tui *tui, struct view *v)
{
    struct crit *c = v->priv;
    if (c->regen_timer)
        tui_timer_cancel(tui, c->regen_timer);
    if (c->regen_pid > 0) {
        kill(c->regen_pid, SIGTERM);
        waitpid(c->regen_pid, NULL, 0);
    }
    items_clear(c);
    free(c->items);
    free(c->shown);
    free(c->fb_text);
    free(c->effect);
    doc_free(c);
}

/* ---- the item document ---- */

static struct crow *
add_row(struct crit *c)
{
    c->rows = xgrow(c->rows, sizeof *c->rows, c->n_rows, &c->cap_rows, 64);
    struct crow *r = &c->rows[c->n_rows++];
    memset(r, 0, sizeof *r);
    return r;
}

/* A wrapped block of untrusted text (sanitized here) with `role`. */
static void
add_block(struct crit *c, const char *s, int w, enum tui_role role)
{
    size_t from = c->doc.len;
    text_sanitize(s ? s : "", s ? strlen(s) : 0, &c->doc, TEXT_SAN_EXPAND_TABS);
    struct text_rows rows = {0};
    text_wrap(sb_str(&c->doc) + from, c->doc.len - from, w, 8, &rows);
    for (size_t i = 0; i < rows.n; i++) {
        struct crow *r = add_row(c);
        r->role = role;
        r->off = from + rows.v[i].off;
        r->len = rows.v[i].len;
    }
    if (rows.n == 0) {
        struct crow *r = add_row(c);
        r->role = ROLE_DIM;
        r->off = c->doc.len;
        sb_puts(&c->doc, "(empty)");
        r->len = 7;
    }
    text_rows_free(&rows);
}

static void
add_title(struct crit *c, const char *title, enum tui_role role)
{
    struct crow *r = add_row(c);
    r->role = role;
    r->off = c->doc.len;
    sb_puts(&c->doc, title);
    r->len = strlen(title);
}

static void
build_item(struct crit *c, const struct citem *it, int w)
{
    doc_free(c);
    c->built_w = w;
    c->built_item = it->id;
    char t[160];
    snprintf(t, sizeof t, "PROMPT  (item %lld, %s)", (long long)it->id, it->status);
    add_title(c, t, ROLE_SECTION);
    add_block(c, it->v[0], w, ROLE_DEFAULT);
    if (it->category) {
        add_title(c, "", ROLE_DEFAULT);
        struct crow *r = add_row(c);
        r->role = ROLE_DIM;
        r->off = c->doc.len;
        sb_puts(&c->doc, "category: ");
        text_sanitize(it->category, strlen(it->category), &c->doc, TEXT_SAN_ONELINE);
        r->len = c->doc.len - r->off;
    }
    if (it->error) {
        add_title(c, "", ROLE_DEFAULT);
        add_title(c, "FAILED (run critique gen again, or R to regenerate)", ROLE_STATUS_ERR);
        add_block(c, it->error, w, ROLE_STATUS_ERR);
    }
    add_title(c, "", ROLE_DEFAULT);
    /* baseline | revision with the word diff */
    text_sanitize(it->v[1] ? it->v[1] : "", it->v[1] ? strlen(it->v[1]) : 0, &c->src[0],
                  TEXT_SAN_EXPAND_TABS);
    text_sanitize(it->v[2] ? it->v[2] : "", it->v[2] ? strlen(it->v[2]) : 0, &c->src[1],
                  TEXT_SAN_EXPAND_TABS);
    text_diff(sb_str(&c->src[0]), c->src[0].len, sb_str(&c->src[1]), c->src[1].len, NULL, &c->diff);
    int cw = (w - 3) / 2;
    if (cw < 10)
        cw = 10;
    struct crow *h = add_row(c);
    h->role = ROLE_HEADER;
    h->cells = -1; /* the two titles */
    struct text_rows ra = {0}, rb = {0};
    text_wrap(sb_str(&c->src[0]), c->src[0].len, cw, 8, &ra);
    text_wrap(sb_str(&c->src[1]), c->src[1].len, cw, 8, &rb);
    size_t n = ra.n > rb.n ? ra.n : rb.n;
    for (size_t i = 0; i < n; i++) {
        struct crow *r = add_row(c);
        r->cells = 2;
        r->role = ROLE_DEFAULT;
        if (i < ra.n)
            r->a_off = ra.v[i].off, r->a_len = ra.v[i].len;
        if (i < rb.n)
            r->b_off = rb.v[i].off, r->b_len = rb.v[i].len;
    }
    text_rows_free(&ra);
    text_rows_free(&rb);
    add_title(c, "", ROLE_DEFAULT);
    add_title(c, "CRITIQUE", ROLE_SECTION);
    add_block(c, it->v[3], w, ROLE_DEFAULT);
    for (int k = 4; k < 6; k++)
        if (it->v[k]) {
            add_title(c, "", ROLE_DEFAULT);
            add_title(c, k == 4 ? "IN-CONTEXT ANSWER" : "CHAIN-OF-THOUGHT ANSWER", ROLE_SECTION);
            add_block(c, it->v[k], w, ROLE_DIM);
        }
}

static enum tui_role
hunk_role(int side, enum text_diff_tag tag)
{
    if (tag == TEXT_DIFF_CHANGED)
        return ROLE_DIFF_CHG;
    if (tag == TEXT_DIFF_DELETED && side == 0)
        return ROLE_DIFF_DEL;
    if (tag == TEXT_DIFF_INSERTED && side == 1)
        return ROLE_DIFF_ADD;
    return ROLE_DEFAULT;
}

/* One side's cell of a row, with the diff hunks' roles. */
static void
draw_side(struct tui *tui, struct crit *c, int y, int x, int w, int side, size_t off, size_t len)
{
    const char *base = sb_str(&c->src[side]);
    size_t end = off + len;
    size_t k = text_diff_find(&c->diff, side, off);
    int used = 0;
    while (off < end && used < w && k < c->diff.n) {
        const struct text_diff_hunk *hk = &c->diff.h[k];
        size_t hend = side ? hk->b_off + hk->b_len : hk->a_off + hk->a_len;
        if (hend > end)
            hend = end;
        if (hend > off) {
            used += draw_clean(tui, y, x + used, w - used, hunk_role(side, hk->tag), base + off,
                               hend - off);
            off = hend;
        }
        k++;
    }
    if (off < end && used < w)
        draw_clean(tui, y, x + used, w - used, ROLE_DEFAULT, base + off, end - off);
}

static void
draw_item(struct tui *tui, struct view *v, struct crit *c, const struct citem *it)
{
    struct rect a = v->area;
    if (c->built_w != a.w || c->built_item != it->id)
        build_item(c, it, a.w);
    int rows = a.h - 1, cw = (a.w - 3) / 2;
    if (cw < 10)
        cw = 10;
    if (c->top > c->n_rows - rows)
        c->top = c->n_rows - rows;
    if (c->top < 0)
        c->top = 0;
    for (int i = 0; i < rows && c->top + i < c->n_rows; i++) {
        const struct crow *r = &c->rows[c->top + i];
        int y = a.y + 1 + i;
        if (r->cells == 0) {
            draw_clean(tui, y, a.x, a.w, r->role, sb_str(&c->doc) + r->off, r->len);
        } else if (r->cells < 0) {
            char ta[64], tb[64];
            snprintf(ta, sizeof ta, "BASELINE%s", c->field == 1 ? "  [edit]" : "");
            snprintf(tb, sizeof tb, "REVISION%s", c->field == 2 ? "  [edit]" : "");
            draw_clean(tui, y, a.x, cw, ROLE_HEADER, ta, strlen(ta));
            draw_vline(tui, y, a.x + cw + 1, 1, ROLE_BORDER);
            draw_clean(tui, y, a.x + cw + 3, cw, ROLE_HEADER, tb, strlen(tb));
        } else {
            draw_side(tui, c, y, a.x, cw, 0, r->a_off, r->a_len);
            draw_vline(tui, y, a.x + cw + 1, 1, ROLE_BORDER);
            draw_side(tui, c, y, a.x + cw + 3, cw, 1, r->b_off, r->b_len);
        }
    }
}

/* ---- the scoreboard (critique eval results) ---- */

struct score_acc {
    char run[64], kind[16], candidate[64];
    long n[3], ok[3], ties[3];
    double sum[3];
    /* qualitative: per item, the two orders' directions (-1/0/1, 9 = missing) */
    long consistent[3], pairs[3];
};

struct score_ctx {
    struct score_acc *v;
    int n, cap;
    int64_t last_item;
    int last_dir, last_scope;
    char last_run[64];
};

static int
score_row(void *ud, const struct store_row *r)
{
    struct score_ctx *x = ud;
    const char *run = store_row_get(r, "run"), *sc = store_row_get(r, "scope");
    const char *kind = store_row_get(r, "kind"), *score = store_row_get(r, "score");
    const char *succ = store_row_get(r, "success"), *cand = store_row_get(r, "candidate");
    int si = sc && strcmp(sc, "in") == 0 ? 0 : sc && strcmp(sc, "near") == 0 ? 1 : 2;
    struct score_acc *a = NULL;
    for (int i = 0; i < x->n; i++)
        if (strcmp(x->v[i].run, run ? run : "") == 0)
            a = &x->v[i];
    if (!a) {
        x->v = xgrow(x->v, sizeof *x->v, x->n, &x->cap, 4);
        a = &x->v[x->n++];
        memset(a, 0, sizeof *a);
        snprintf(a->run, sizeof a->run, "%s", run ? run : "");
        snprintf(a->kind, sizeof a->kind, "%s", kind ? kind : "");
        snprintf(a->candidate, sizeof a->candidate, "%s", cand ? cand : "");
    }
    if (!succ) /* a failed judgment */
        return 0;
    a->n[si]++;
    a->ok[si] += strcmp(succ, "1") == 0;
    if (kind && strcmp(kind, "qualitative") == 0 && score) {
        double v = strtod(score, NULL);
        a->sum[si] += v;
        a->ties[si] += v == 3;
        int dir = v > 3 ? 1 : v < 3 ? -1 : 0;
        int64_t item = strtoll(store_row_get(r, "critique_id"), NULL, 10);
        if (item == x->last_item && strcmp(x->last_run, a->run) == 0) {
            a->pairs[si]++;
            a->consistent[si] += dir == x->last_dir;
            x->last_item = 0;
        } else {
            x->last_item = item;
            x->last_dir = dir;
            snprintf(x->last_run, sizeof x->last_run, "%s", a->run);
        }
    }
    return 0;
}

static void
build_scores(struct tui *tui, struct crit *c, int w)
{
    doc_free(c);
    c->built_w = w;
    c->built_item = -2;
    struct score_ctx x;
    memset(&x, 0, sizeof x);
    struct ps_err err = {0, ""};
    if (store_crit_eval_list(tui->st, c->fb, NULL, score_row, &x, &err) != PS_OK)
        tui_err(tui, "%s", err.msg);
    add_title(c,
              "SCOREBOARD  (prefscope critique eval; rate = share of successes, ties count for "
              "metrics)",
              ROLE_SECTION);
    add_title(c, "", ROLE_DEFAULT);
    if (x.n == 0)
        add_title(c, "No evaluation yet: prefscope critique eval ID --judge M", ROLE_DIM);
    char line[512];
    for (int i = 0; i < x.n; i++) {
        const struct score_acc *a = &x.v[i];
        snprintf(line, sizeof line, "run %.60s  (candidate %.60s, %s)", a->run, a->candidate,
                 a->kind);
        struct crow *r = add_row(c);
        r->role = ROLE_HEADER;
        r->off = c->doc.len;
        text_sanitize(line, strlen(line), &c->doc, TEXT_SAN_ONELINE);
        r->len = c->doc.len - r->off;
        const char *names[3] = {"in   (adherence)", "near (overgeneralization)",
                                "out  (overgeneralization)"};
        for (int k = 0; k < 3; k++) {
            int q = strcmp(a->kind, "qualitative") == 0;
            int len = snprintf(line, sizeof line, "  %-27s n %4ld  rate %s", names[k], a->n[k],
                               a->n[k] ? "" : "-");
            if (a->n[k])
                len += snprintf(line + len, sizeof line - (size_t)len, "%.3f",
                                (double)a->ok[k] / (double)a->n[k]);
            if (q && a->n[k])
                snprintf(line + len, sizeof line - (size_t)len,
                         "  mean %.2f  ties %ld  consistency %s%.3f", a->sum[k] / (double)a->n[k],
                         a->ties[k], a->pairs[k] ? "" : "-",
                         a->pairs[k] ? (double)a->consistent[k] / (double)a->pairs[k] : 0.0);
            add_title(c, line, ROLE_DEFAULT);
        }
        add_title(c, "", ROLE_DEFAULT);
    }
    free(x.v);
}

static void
crit_draw(struct tui *tui, struct view *v)
{
    struct crit *c = v->priv;
    struct rect a = v->area;
    struct citem *it = current(c);
    draw_fill(tui, a.y, a.x, a.w, ROLE_TITLE);
    struct strbuf sb = STRBUF_INIT;
    sb_printf(&sb, " critique  #%lld  [%s] ", (long long)c->fb, scopes[c->scope]);
    for (int k = 0; k < 5; k++)
        sb_printf(&sb, "%s%s %d", k ? " · " : "", statuses[k], c->counts[k]);
    sb_printf(&sb, "  filter: %s", statuses[c->filter]);
    if (c->mode == 1 && it)
        sb_printf(&sb, "  item %lld/%d  edit: %s", (long long)c->pos.cur + 1, c->n_shown,
                  fields[c->field]);
    if (c->regen_pid > 0)
        sb_printf(&sb, "  regenerating %lld…", (long long)c->regen_item);
    draw_text(tui, a.y, a.x, a.w, ROLE_TITLE, sb_str(&sb), sb.len, 1);
    sb_free(&sb);
    if (c->mode == 1 && it) {
        draw_item(tui, v, c, it);
        return;
    }
    if (c->mode == 2) {
        if (c->built_w != a.w || c->built_item != -2)
            build_scores(tui, c, a.w);
        for (int i = 0; i < a.h - 1 && i < c->n_rows; i++)
            draw_clean(tui, a.y + 1 + i, a.x, a.w, c->rows[i].role,
                       sb_str(&c->doc) + c->rows[i].off, c->rows[i].len);
        return;
    }
    c->mode = 0;
    if (a.h < 4)
        return;
    draw_text(tui, a.y + 1, a.x + 1, a.w - 1, ROLE_DIM, c->fb_text, strlen(c->fb_text), 1);
    draw_fill(tui, a.y + 2, a.x, a.w, ROLE_HEADER);
    draw_printf(tui, a.y + 2, a.x, a.w, ROLE_HEADER, "  %6s %-9s %5s  %s", "item", "status",
                "edits", "prompt");
    int h = a.h - 3;
    list_clamp(&c->pos, c->n_shown, h);
    if (c->n_shown == 0) {
        draw_printf(tui, a.y + 4, a.x + 2, a.w - 2, ROLE_DIM,
                    c->n ? "No item with this status (s cycles the filter)."
                         : "No items in this scope yet: prefscope critique gen %lld --model M",
                    (long long)c->fb);
        return;
    }
    for (int i = 0; i < h && c->pos.top + i < c->n_shown; i++) {
        const struct citem *x = &c->items[c->shown[c->pos.top + i]];
        int y = a.y + 3 + i, sel = c->pos.top + i == c->pos.cur;
        enum tui_role role = sel ? ROLE_SEL : ROLE_DEFAULT;
        if (sel)
            draw_fill(tui, y, a.x, a.w, ROLE_SEL);
        int k = status_class(x);
        enum tui_role sr = sel      ? ROLE_SEL
                           : k == 2 ? ROLE_LABEL_A
                           : k == 3 ? ROLE_LABEL_B
                           : k == 4 ? ROLE_STATUS_ERR
                                    : ROLE_DIM;
        int cx = a.x + draw_printf(tui, y, a.x, a.w, role, "%s%6lld ", sel ? "> " : "  ",
                                   (long long)x->id);
        cx += draw_printf(tui, y, cx, 10, sr, "%-9s", k == 4 ? "FAILED" : x->status);
        cx += draw_printf(tui, y, cx, a.x + a.w - cx, role, " %5ld  ", x->n_edits);
        struct strbuf p = STRBUF_INIT;
        draw_preview(x->v[0] ? x->v[0] : "", x->v[0] ? strlen(x->v[0]) : 0, 400, &p);
        draw_clean(tui, y, cx, a.x + a.w - cx, role, sb_str(&p), p.len);
        sb_free(&p);
    }
}

/* ---- actions ---- */

static int
reload(struct tui *tui, struct crit *c, int64_t keep)
{
    struct ps_err err = {0, ""};
    if (crit_load(tui, c, keep, &err) != PS_OK)
        tui_err(tui, "%s", err.msg);
    return TUI_R_HANDLED | TUI_R_REDRAW;
}

static int
set_status(struct tui *tui, struct crit *c, const char *status)
{
    struct citem *it = current(c);
    if (!it)
        return TUI_R_HANDLED;
    struct ps_err err = {0, ""};
    int64_t id = it->id;
    if (store_crit_item_set(tui->st, id, "status", status, tui->annotator, &err) != PS_OK) {
        tui_err(tui, "%s", err.msg);
        return TUI_R_HANDLED | TUI_R_REDRAW;
    }
    tui_msg(tui, "item %lld %s", (long long)id, status);
    /* on to the next item, as a reviewer goes through the list */
    int64_t next = c->pos.cur + 1 < c->n_shown ? c->items[c->shown[c->pos.cur + 1]].id : id;
    reload(tui, c, c->filter == 0 ? id : next);
    if (c->filter == 0 && c->pos.cur + 1 < c->n_shown)
        c->pos.cur++;
    c->top = 0;
    return TUI_R_HANDLED | TUI_R_REDRAW;
}

static int
set_field(struct tui *tui, struct crit *c, const char *field, const char *value)
{
    struct citem *it = current(c);
    if (!it)
        return TUI_R_HANDLED;
    struct ps_err err = {0, ""};
    if (store_crit_item_set(tui->st, it->id, field, value, tui->annotator, &err) != PS_OK)
        tui_err(tui, "%s", err.msg);
    else
        tui_msg(tui, "item %lld: %s edited (u undoes)", (long long)it->id, field);
    return reload(tui, c, it->id);
}

/* Edit the selected field in $VISUAL / $EDITOR (vi), curses suspended meanwhile. */
static int
edit_external(struct tui *tui, struct crit *c, const char *field)
{
    struct citem *it = current(c);
    if (!it)
        return TUI_R_HANDLED;
    int k = 0;
    while (k < 6 && strcmp(fields[k], field))
        k++;
    char path[] = "/tmp/prefscope-critique-XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0) {
        tui_err(tui, "cannot create a temporary file");
        return TUI_R_HANDLED;
    }
    const char *old = k < 6 && it->v[k] ? it->v[k] : "";
    size_t left = strlen(old);
    for (const char *p = old; left > 0;) {
        ssize_t w = write(fd, p, left);
        if (w <= 0)
            break;
        p += w;
        left -= (size_t)w;
    }
    close(fd);
    const char *ed = getenv("VISUAL");
    if (!ed || !*ed)
        ed = getenv("EDITOR");
    if (!ed || !*ed)
        ed = "vi";
    def_prog_mode();
    endwin();
    pid_t pid = fork();
    if (pid == 0) {
        execlp("sh", "sh", "-c", "exec $0 \"$1\"", ed, path, (char *)NULL);
        _exit(127);
    }
    int st = 0;
    int ok = pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0;
    reset_prog_mode();
    clearok(curscr, TRUE);
    refresh();
    char *nv = ok ? sb_read_file(path) : NULL;
    unlink(path);
    if (!nv) {
        tui_err(tui, "the editor failed; nothing changed");
        return TUI_R_HANDLED | TUI_R_REDRAW;
    }
    int r = TUI_R_HANDLED | TUI_R_REDRAW;
    if (strcmp(nv, old))
        r = set_field(tui, c, fields[k], nv);
    else
        tui_msg(tui, "unchanged");
    free(nv);
    return r;
}

static int
edit_inline(struct tui *tui, struct crit *c)
{
    struct citem *it = current(c);
    if (!it)
        return TUI_R_HANDLED;
    const char *v = it->v[c->field] ? it->v[c->field] : "";
    if (strchr(v, '\n') || strlen(v) > 1000)
        return edit_external(tui, c, fields[c->field]);
    char label[32];
    snprintf(label, sizeof label, "%s: ", fields[c->field]);
    prompt_open(tui, label, CMD_CRIT_SET, v);
    return TUI_R_HANDLED | TUI_R_REDRAW;
}

static void
regen_poll(struct tui *tui, void *ud)
{
    struct crit *c = ud;
    c->regen_timer = 0;
    int st = 0;
    pid_t r = waitpid(c->regen_pid, &st, WNOHANG);
    if (r == 0) {
        c->regen_timer = tui_timer_add(tui, 200, regen_poll, c);
        return;
    }
    int ok = r == c->regen_pid && WIFEXITED(st) && WEXITSTATUS(st) == 0;
    c->regen_pid = -1;
    char line[200] = "";
    FILE *f = fopen(c->regen_err, "r");
    if (f) {
        if (!fgets(line, sizeof line, f))
            line[0] = 0;
        fclose(f);
    }
    unlink(c->regen_err);
    line[strcspn(line, "\n")] = 0;
    if (ok)
        tui_msg(tui, "item %lld regenerated (the old texts are in its edit history; u undoes)",
                (long long)c->regen_item);
    else
        tui_err(tui, "regenerate item %lld failed: %s", (long long)c->regen_item,
                line[0] ? line : "see prefscope critique review --help");
    struct citem *it = current(c);
    reload(tui, c, it ? it->id : 0);
    tui_redraw(tui);
}

/* Regenerate the current item in a child `prefscope critique review --regenerate`. */
static int
regenerate(struct tui *tui, struct crit *c, const char *model)
{
    struct citem *it = current(c);
    if (!it)
        return TUI_R_HANDLED;
    if (c->regen_pid > 0) {
        tui_err(tui, "a regeneration is running");
        return TUI_R_HANDLED;
    }
    if (!model || !*model) {
        prompt_open(tui, "regenerate with model: ", CMD_CRIT_REGEN, c->model);
        return TUI_R_HANDLED | TUI_R_REDRAW;
    }
    snprintf(c->model, sizeof c->model, "%s", model);
    snprintf(c->regen_err, sizeof c->regen_err, "/tmp/prefscope-regen-%ld.err", (long)getpid());
    char fb[32], item[32];
    snprintf(fb, sizeof fb, "%lld", (long long)c->fb);
    snprintf(item, sizeof item, "%lld", (long long)it->id);
    pid_t pid = fork();
    if (pid == 0) {
        int null = open("/dev/null", O_RDWR);
        int err = open(c->regen_err, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        dup2(null, 0);
        dup2(null, 1);
        dup2(err >= 0 ? err : null, 2);
        setenv("PREFSCOPE_PROGRESS", "0", 1);
        execl("/proc/self/exe", "prefscope", "-w", store_path(tui->st), "critique", "review", fb,
              item, "--regenerate", "--model", c->model, "--author", tui->annotator, (char *)NULL);
        _exit(127);
    }
    if (pid < 0) {
        tui_err(tui, "cannot start the regeneration");
        return TUI_R_HANDLED;
    }
    c->regen_pid = pid;
    c->regen_item = it->id;
    c->regen_timer = tui_timer_add(tui, 200, regen_poll, c);
    tui_msg(tui, "regenerating item %lld with %s…", (long long)it->id, c->model);
    return TUI_R_HANDLED | TUI_R_REDRAW;
}

static int
crit_request(struct tui *tui, struct view *v, enum tui_cmd cmd, const char *arg)
{
    struct crit *c = v->priv;
    struct citem *it = current(c);
    if (c->mode == 2 && (cmd == CMD_CLOSE || cmd == CMD_CRIT_SCORES)) {
        c->mode = 0;
        return TUI_R_HANDLED | TUI_R_REDRAW;
    }
    if (cmd == CMD_CRIT_SCORES) {
        c->mode = 2;
        c->built_w = -1;
        return TUI_R_HANDLED | TUI_R_REDRAW;
    }
    if (c->mode == 1) {
        /* item view: j/k scroll, J/K next/previous item, q back to the list */
        switch (cmd) {
        case CMD_MOVE_DOWN: c->top++; return TUI_R_HANDLED | TUI_R_REDRAW;
        case CMD_MOVE_UP: c->top--; return TUI_R_HANDLED | TUI_R_REDRAW;
        case CMD_PAGE_DOWN: c->top += v->area.h - 2; return TUI_R_HANDLED | TUI_R_REDRAW;
        case CMD_PAGE_UP: c->top -= v->area.h - 2; return TUI_R_HANDLED | TUI_R_REDRAW;
        case CMD_FIRST: c->top = 0; return TUI_R_HANDLED | TUI_R_REDRAW;
        case CMD_LAST: c->top = c->n_rows; return TUI_R_HANDLED | TUI_R_REDRAW;
        case CMD_ITEM_NEXT:
        case CMD_ITEM_PREV:
            if (cmd == CMD_ITEM_NEXT && c->pos.cur + 1 < c->n_shown)
                c->pos.cur++;
            else if (cmd == CMD_ITEM_PREV && c->pos.cur > 0)
                c->pos.cur--;
            c->top = 0;
            return TUI_R_HANDLED | TUI_R_REDRAW;
        case CMD_CLOSE: c->mode = 0; return TUI_R_HANDLED | TUI_R_REDRAW;
        default: break;
        }
    } else {
        if (list_motion(tui, &c->pos, cmd, arg, c->n_shown, v->area.h - 3))
            return TUI_R_HANDLED | TUI_R_REDRAW;
        if (cmd == CMD_ENTER && it) {
            c->mode = 1;
            c->top = 0;
            c->built_w = -1;
            return TUI_R_HANDLED | TUI_R_REDRAW;
        }
    }
    switch (cmd) {
    case CMD_CRIT_ACCEPT: return set_status(tui, c, "accepted");
    case CMD_CRIT_REJECT: return set_status(tui, c, "rejected");
    case CMD_CRIT_PENDING: return set_status(tui, c, "pending");
    case CMD_CRIT_SCOPE:
    case CMD_CRIT_SCOPE_PREV:
        c->scope = (c->scope + (cmd == CMD_CRIT_SCOPE_PREV || (arg && *arg == '-') ? 2 : 1)) % 3;
        c->pos.cur = c->pos.top = 0;
        c->mode = 0;
        return reload(tui, c, 0);
    case CMD_CRIT_FILTER:
        if (arg && *arg) {
            int k = 0;
            while (k < 5 && strcmp(statuses[k], arg))
                k++;
            if (k == 5) {
                tui_err(tui, "filter: all, pending, accepted, rejected or failed");
                return TUI_R_HANDLED;
            }
            c->filter = k;
        } else {
            c->filter = (c->filter + 1) % 5;
        }
        c->pos.cur = c->pos.top = 0;
        apply_filter(c);
        c->mode = 0;
        return TUI_R_HANDLED | TUI_R_REDRAW;
    case CMD_CRIT_FIELD:
        c->field = (c->field + 1) % N_FIELDS;
        tui_msg(tui, "editing: %s (i in place, e in $EDITOR)", fields[c->field]);
        return TUI_R_HANDLED | TUI_R_REDRAW;
    case CMD_CRIT_EDIT:
        if (arg && *arg) {
            int k = 0;
            while (k < 6 && strcmp(fields[k], arg))
                k++;
            if (k == 6) {
                tui_err(tui, "edit: prompt, baseline, revised, critique, in_context or cot");
                return TUI_R_HANDLED;
            }
            return edit_external(tui, c, fields[k]);
        }
        return edit_external(tui, c, fields[c->field]);
    case CMD_CRIT_INLINE: return edit_inline(tui, c);
    case CMD_CRIT_SET: return arg ? set_field(tui, c, fields[c->field], arg) : TUI_R_HANDLED;
    case CMD_CRIT_REGEN: return regenerate(tui, c, arg);
    case CMD_UNDO: {
        if (!it)
            return TUI_R_HANDLED;
        char *field = NULL;
        struct ps_err err = {0, ""};
        int64_t id = it->id;
        if (store_crit_undo(tui->st, "critique", id, tui->annotator, &field, &err) != PS_OK)
            tui_err(tui, "%s", err.msg);
        else if (field)
            tui_msg(tui, "item %lld: undid the edit of %s", (long long)id, field);
        else
            tui_msg(tui, "item %lld: nothing to undo", (long long)id);
        free(field);
        return reload(tui, c, id);
    }
    default: return TUI_R_IGNORED;
    }
}

static void
crit_status(struct tui *tui, struct view *v, struct strbuf *out)
{
    (void)tui;
    struct crit *c = v->priv;
    if (c->mode == 1)
        sb_puts(out, "item\ta accept · x reject · f field · i/e edit · u undo · R regenerate · "
                     "J/K next/prev · q list");
    else
        sb_printf(out,
                  "%lld/%d\tEnter open · a/x/p status · [ ] scope · s filter · u undo · q back",
                  (long long)c->pos.cur + (c->n_shown ? 1 : 0), c->n_shown);
}

static void
crit_resume(struct tui *tui, struct view *v)
{
    struct crit *c = v->priv;
    struct citem *it = current(c);
    reload(tui, c, it ? it->id : 0);
}

const struct view_ops view_critique_ops = {
    .name = "critique",
    .keymap = KM_CRITIQUE,
    .private_size = sizeof(struct crit),
    .open = crit_open,
    .draw = crit_draw,
    .request = crit_request,
    .status = crit_status,
    .resume = crit_resume,
    .done = crit_done,
};
