/* The pair view: two responses side by side (or stacked) with word-diff
 * emphasis, the system prompt and conversation above, and a panel with models,
 * ratings, every annotator's verdict and rationale, tags, notes and agreement.
 *
 * The screen is a "document" of display lines built once per (item, width,
 * toggles): every text is sanitized once into a source buffer, diffed and
 * wrapped there, and lines refer to byte ranges of those buffers, so drawing a
 * screenful is only copying cells. */
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "core/diff.h"
#include "core/sanitize.h"
#include "core/utf8.h"
#include "core/wrap.h"
#include "core/xalloc.h"
#include "store/store.h"
#include "tui/view.h"

enum { SRC_LEFT = 0, SRC_RIGHT = 1 };
enum { LAYOUT_AUTO, LAYOUT_SIDE, LAYOUT_INLINE };
/* Below this width the automatic layout stacks the responses. */
#define PAIR_SIDE_MIN_COLS 100

struct psrc {
    struct strbuf text;
    struct text_spans marks;
    struct text_spans hl; /* matches of the current search */
};

struct pcell {
    int src;
    size_t off, len;
    int x, w;
};

struct pline {
    enum tui_role role;
    int ncell; /* 0: a text line (toff, tlen into pair.text) at x = tx */
    struct pcell c[2];
    size_t toff, tlen;
    int tx;
    /* An optional second text on the same row (the right-hand title). */
    size_t toff2, tlen2;
    int tx2;
    enum tui_role role2;
    int rule; /* a horizontal rule after the text */
    int vsep; /* column of a vertical separator, or 0 */
};

struct pair {
    struct view *items;
    int64_t item_id;
    struct store_item it;
    int loaded;
    int ia, ib; /* the compared responses (indices into it.resp) */
    int swapped, layout, diff_on, context_on, side, ignore_ws, escapes;
    struct psrc *src;
    int nsrc, capsrc;
    struct text_diff diff;
    int have_diff;
    struct text_diff_scratch *diff_scratch; /* buffers kept from one diff to the next */
    struct pline *lines;
    int nlines, caplines;
    struct strbuf text;
    int built_w;
    int64_t top;
    int64_t last_change; /* line `@` last jumped to, -1 = none */
    int resp_line;       /* first line of the responses section */
    int resp2_line;      /* inline layout: the first line of the second response, else -1 */
    int resp_end;        /* the line after the responses section */
    int fresh;           /* item just loaded: choose the initial scroll */
    int anchor;          /* after the rebuild, top = resp_line + anchor_off */
    int64_t anchor_off;
    char my_label[16]; /* my stored verdict for (ia, ib), "" when none */
    int blind_for;     /* the blind mode the sides were chosen for (-1: not yet) */
    int built_hidden;  /* the document hides what blind labeling hides */
    int cr;            /* the source calls responses #1 and #2 chosen and rejected */
    char search[512];  /* the search the document was highlighted for */
};

/* ---- building the document ---- */

static int
pair_src(struct pair *p, const char *s, size_t n)
{
    p->src = xgrow(p->src, sizeof *p->src, p->nsrc, &p->capsrc, 16);
    struct psrc *ps = &p->src[p->nsrc];
    memset(ps, 0, sizeof *ps);
    if (p->escapes)
        text_escape_visual(s ? s : "", s ? n : 0, &ps->text);
    else
        text_sanitize_marked(s ? s : "", s ? n : 0, &ps->text, TEXT_SAN_EXPAND_TABS, &ps->marks);
    if (p->search[0])
        draw_search_spans(p->search, sb_str(&ps->text), ps->text.len, &ps->hl);
    return p->nsrc++;
}

static struct pline *
pair_line(struct pair *p)
{
    p->lines = xgrow(p->lines, sizeof *p->lines, p->nlines, &p->caplines, 256);
    struct pline *l = &p->lines[p->nlines++];
    memset(l, 0, sizeof *l);
    l->role = ROLE_DEFAULT;
    return l;
}

/* Sanitize s onto p->text as one line, keeping runs of spaces (columns). */
static void
pair_oneline(struct pair *p, const char *s)
{
    size_t from = p->text.len;
    text_sanitize(s ? s : "", s ? strlen(s) : 0, &p->text, TEXT_SAN_EXPAND_TABS);
    for (size_t i = from; i < p->text.len; i++)
        if (p->text.p[i] == '\n')
            p->text.p[i] = ' ';
}

/* A text line from pieces of our own text and untrusted text: fmt's %s
 * arguments are untrusted and sanitized to one line. */
static struct pline *
pair_text(struct pair *p, enum tui_role role, int x, const char *s)
{
    struct pline *l = pair_line(p);
    l->role = role;
    l->tx = x;
    l->toff = p->text.len;
    pair_oneline(p, s);
    l->tlen = p->text.len - l->toff;
    return l;
}

static void
pair_blank(struct pair *p)
{
    pair_line(p);
}

/* Wrap source `src` into width w at column x, one line per row. */
static void
pair_block(struct pair *p, int src, int x, int w, enum tui_role role)
{
    struct text_rows rows = {0};
    const struct psrc *ps = &p->src[src];
    text_wrap(sb_str(&p->src[src].text), ps->text.len, w, 8, &rows);
    for (size_t i = 0; i < rows.n; i++) {
        struct pline *l = pair_line(p);
        l->role = role;
        l->ncell = 1;
        l->c[0] = (struct pcell){src, rows.v[i].off, rows.v[i].len, x, w};
    }
    if (rows.n == 0)
        pair_text(p, ROLE_DIM, x, "(empty)");
    text_rows_free(&rows);
}

static char
pair_side_letter(const struct pair *p, int resp)
{
    int left = p->swapped ? p->ib : p->ia, right = p->swapped ? p->ia : p->ib;
    if (resp == left)
        return 'A';
    if (resp == right)
        return 'B';
    return 0;
}

/* Blind labeling hides models, response numbers (in HH and TRL data the chosen
 * one is always #1), verdicts, rationales and ratings until I have labeled. */
static int
pair_hidden(const struct tui *tui, const struct pair *p)
{
    return tui->blind && p->loaded && !p->my_label[0];
}

/* In blind mode the sides come from the seed, per item; leaving it restores the
 * stored order. */
static void
pair_blind_sync(struct tui *tui, struct pair *p)
{
    if (!p->loaded || p->blind_for == tui->blind)
        return;
    p->swapped = tui->blind ? tui_blind_swapped(tui, p->item_id) : 0;
    p->blind_for = tui->blind;
    p->built_w = -1;
}

static void
pair_resp_title(struct pair *p, int resp, char side, int hidden, struct strbuf *out)
{
    const struct store_response *r = &p->it.resp[resp];
    if (hidden) {
        sb_printf(out, "%c", side);
        if (r->text)
            sb_printf(out, " · %zu chars", strlen(r->text));
        return;
    }
    sb_printf(out, "%c = #%d", side, r->idx + 1);
    if (store_source_word(p->cr, r->idx))
        sb_printf(out, " (%s)", store_source_word(p->cr, r->idx));
    if (r->model)
        sb_printf(out, " · %s", r->model);
    if (r->text)
        sb_printf(out, " · %zu chars", utf8_count(r->text, strlen(r->text)));
    for (int k = 0; k < p->it.n_rating; k++)
        if (p->it.rating[k].resp == resp)
            sb_printf(out, " · %s=%g", p->it.rating[k].aspect, p->it.rating[k].value);
}

static void
pair_find_my_label(struct tui *tui, struct pair *p)
{
    p->my_label[0] = '\0';
    if (p->it.n_resp < 2)
        return;
    int64_t ra = p->it.resp[p->ia].id, rb = p->it.resp[p->ib].id;
    for (int k = 0; k < p->it.n_judg; k++) {
        const struct store_judgment *j = &p->it.judg[k];
        if (strcmp(j->annotator, tui->annotator) != 0)
            continue;
        const char *v = j->verdict;
        if (j->response_a == ra && j->response_b == rb) {
            snprintf(p->my_label, sizeof p->my_label, "%s", v);
        } else if (j->response_a == rb && j->response_b == ra) {
            snprintf(p->my_label, sizeof p->my_label, "%s",
                     strcmp(v, "A") == 0   ? "B"
                     : strcmp(v, "B") == 0 ? "A"
                                           : v);
        }
    }
}

/* My label in displayed terms (A = left/top). */
static const char *
pair_display_label(const struct pair *p)
{
    if (!p->swapped || !p->my_label[0])
        return p->my_label;
    if (strcmp(p->my_label, "A") == 0)
        return "B";
    if (strcmp(p->my_label, "B") == 0)
        return "A";
    return p->my_label;
}

/* The number of earlier turns in the item's history. */
static int
pair_history_turns(const struct store_item *it)
{
    if (!it->history || !*it->history)
        return 0;
    cJSON *h = cJSON_Parse(it->history);
    int n = cJSON_IsArray(h) ? cJSON_GetArraySize(h) : 0;
    cJSON_Delete(h);
    return n;
}

/* The system prompt and the history (only with context_on: `p` hides them), then
 * the final prompt, always. */
static void
pair_context(struct pair *p, int w)
{
    struct store_item *it = &p->it;
    if (!p->context_on) {
        int turns = pair_history_turns(it), sys = it->system && *it->system;
        if (turns || sys) {
            /* "(system prompt and 2 earlier turns hidden: p shows them)" */
            struct strbuf sb = STRBUF_INIT;
            sb_puts(&sb, "(");
            if (sys)
                sb_puts(&sb, turns ? "system prompt and " : "system prompt");
            if (turns)
                sb_printf(&sb, "%d earlier turn%s", turns, turns == 1 ? "" : "s");
            sb_printf(&sb, " hidden: p shows %s)", sys + turns == 1 ? "it" : "them");
            pair_text(p, ROLE_DIM, 0, sb_str(&sb));
            sb_free(&sb);
        }
    } else if (it->system && *it->system) {
        pair_text(p, ROLE_SECTION, 0, "SYSTEM");
        pair_block(p, pair_src(p, it->system, strlen(it->system)), 2, w - 2, ROLE_DIM);
    }
    if (p->context_on && it->history && *it->history) {
        cJSON *h = cJSON_Parse(it->history);
        const cJSON *m;
        cJSON_ArrayForEach(m, h)
        {
            const cJSON *role = cJSON_GetObjectItemCaseSensitive(m, "role");
            const cJSON *content = cJSON_GetObjectItemCaseSensitive(m, "content");
            char title[64];
            snprintf(title, sizeof title, "%s", cJSON_IsString(role) ? role->valuestring : "turn");
            for (char *c = title; *c; c++)
                if (*c >= 'a' && *c <= 'z')
                    *c = (char)(*c - 'a' + 'A');
            pair_text(p, ROLE_SECTION, 0, title);
            const char *txt = cJSON_IsString(content) ? content->valuestring : "";
            pair_block(p, pair_src(p, txt, strlen(txt)), 2, w - 2, ROLE_DIM);
        }
        cJSON_Delete(h);
    }
    pair_text(p, ROLE_SECTION, 0, "PROMPT");
    const char *pr = it->prompt ? it->prompt : "";
    pair_block(p, pair_src(p, pr, strlen(pr)), 2, w - 2, ROLE_DEFAULT);
    pair_blank(p);
}

/* The TAGS line (sb is scratch). */
static void
pair_tags(struct pair *p, struct strbuf *sb)
{
    sb_reset(sb);
    sb_puts(sb, "TAGS ");
    for (int k = 0; k < p->it.n_tags; k++)
        sb_printf(sb, "%s#%s", k ? " " : "", p->it.tags[k]);
    if (!p->it.n_tags)
        sb_puts(sb, "(none)  t adds one");
    pair_text(p, ROLE_TAG, 0, sb_str(sb));
}

static void
pair_panel(struct tui *tui, struct pair *p, int w)
{
    struct store_item *it = &p->it;
    struct strbuf sb = STRBUF_INIT;
    pair_blank(p);
    if (p->built_hidden) {
        pair_text(p, ROLE_SECTION, 0, "BLIND")->rule = 1;
        pair_text(p, ROLE_DIM, 2,
                  "Models, response numbers, judgments, rationales, ratings, notes and "
                  "agreement are hidden until you label this pair (M or :blind off shows them).");
        pair_blank(p);
        pair_tags(p, &sb);
        sb_free(&sb);
        return;
    }
    sb_printf(&sb, "JUDGMENTS (%d)", it->n_judg);
    pair_text(p, ROLE_SECTION, 0, sb_str(&sb))->rule = 1;
    for (int k = 0; k < it->n_judg; k++) {
        const struct store_judgment *j = &it->judg[k];
        sb_reset(&sb);
        int ra = j->a, rb = j->b;
        sb_printf(&sb, "%-24s #%d vs #%d: %-7s", j->annotator, ra + 1, rb + 1, j->verdict);
        int win = strcmp(j->verdict, "A") == 0 ? ra : strcmp(j->verdict, "B") == 0 ? rb : -1;
        if (win >= 0) {
            char side = pair_side_letter(p, win);
            sb_printf(&sb, " prefers #%d", win + 1);
            if (store_source_word(p->cr, win))
                sb_printf(&sb, " (%s)", store_source_word(p->cr, win));
            if (side)
                sb_printf(&sb, " [%c]", side);
        }
        if (j->has_p && j->p_a != 1 && j->p_a != 0)
            sb_printf(&sb, "  p(A)=%.3g", j->p_a);
        if (j->weight != 1)
            sb_printf(&sb, "  weight=%g", j->weight);
        enum tui_role role = strcmp(j->annotator, tui->annotator) == 0 ? ROLE_ACCENT : ROLE_DEFAULT;
        pair_text(p, role, 2, sb_str(&sb));
        if (j->rationale && *j->rationale)
            pair_block(p, pair_src(p, j->rationale, strlen(j->rationale)), 6, w - 6, ROLE_DIM);
    }
    if (it->n_resp > 2 || it->n_rating) {
        pair_blank(p);
        pair_text(p, ROLE_SECTION, 0, "RESPONSES")->rule = 1;
        for (int r = 0; r < it->n_resp; r++) {
            sb_reset(&sb);
            char side = pair_side_letter(p, r);
            sb_printf(&sb, "#%d ", r + 1);
            if (store_source_word(p->cr, r))
                sb_printf(&sb, "(%s) ", store_source_word(p->cr, r));
            if (side)
                sb_printf(&sb, "[%c] ", side);
            sb_printf(&sb, "%s", it->resp[r].model ? it->resp[r].model : "(no model)");
            if (it->resp[r].text)
                sb_printf(&sb, " · %zu chars",
                          utf8_count(it->resp[r].text, strlen(it->resp[r].text)));
            for (int k = 0; k < it->n_rating; k++)
                if (it->rating[k].resp == r)
                    sb_printf(&sb, " · %s=%g (%s)", it->rating[k].aspect, it->rating[k].value,
                              it->rating[k].annotator);
            pair_text(p, side ? ROLE_DEFAULT : ROLE_DIM, 2, sb_str(&sb));
        }
    }
    pair_blank(p);
    pair_tags(p, &sb);
    sb_reset(&sb);
    view_items_notes(tui, p->items, p->item_id, &sb);
    if (sb.len) {
        pair_text(p, ROLE_SECTION, 0, "NOTES");
        pair_block(p, pair_src(p, sb_str(&sb), sb.len), 2, w - 2, ROLE_DEFAULT);
    }
    sb_reset(&sb);
    view_constitution_votes(tui, it->dataset_id, p->item_id, &sb);
    if (sb.len) {
        pair_text(p, ROLE_SECTION, 0, "PRINCIPLES of the newest constitution (:constitution)");
        pair_block(p, pair_src(p, sb_str(&sb), sb.len), 2, w - 2, ROLE_DEFAULT);
    }
    sb_reset(&sb);
    view_items_agreement(tui, p->items, &sb);
    pair_blank(p);
    pair_text(p, ROLE_SECTION, 0, "AGREEMENT of my labels with each annotator");
    pair_text(p, ROLE_DEFAULT, 2, sb.len ? sb_str(&sb) : "(label some pairs to see it)");
    sb_free(&sb);
}

static void
pair_clear_doc(struct pair *p)
{
    for (int i = 0; i < p->nsrc; i++) {
        sb_free(&p->src[i].text);
        text_spans_free(&p->src[i].marks);
        text_spans_free(&p->src[i].hl);
    }
    p->nsrc = 0;
    p->nlines = 0;
    sb_reset(&p->text);
    if (p->have_diff)
        text_diff_free(&p->diff);
    memset(&p->diff, 0, sizeof p->diff);
    p->have_diff = 0;
}

static int
pair_is_side(const struct pair *p, int w)
{
    if (p->layout == LAYOUT_SIDE)
        return 1;
    if (p->layout == LAYOUT_INLINE)
        return 0;
    return w >= PAIR_SIDE_MIN_COLS;
}

static void
pair_build(struct tui *tui, struct pair *p, int w)
{
    pair_clear_doc(p);
    p->built_w = w;
    p->built_hidden = pair_hidden(tui, p);
    p->last_change = -1;
    if (!p->loaded)
        return;
    struct store_item *it = &p->it;
    /* Sources 0 and 1 are always the two sides. */
    int left = p->swapped ? p->ib : p->ia, right = p->swapped ? p->ia : p->ib;
    const char *lt = it->n_resp > 0 && left < it->n_resp ? it->resp[left].text : NULL;
    const char *rt = it->n_resp > 1 && right < it->n_resp ? it->resp[right].text : NULL;
    pair_src(p, lt ? lt : "", lt ? strlen(lt) : 0);
    pair_src(p, rt ? rt : "", rt ? strlen(rt) : 0);
    if (it->n_resp > 1 && p->diff_on) {
        struct text_diff_opts dopts = {p->ignore_ws ? TEXT_DIFF_IGNORE_WS : 0, 0, 0};
        if (!p->diff_scratch)
            p->diff_scratch = text_diff_scratch_new();
        text_diff_with(p->diff_scratch, sb_str(&p->src[0].text), p->src[0].text.len,
                       sb_str(&p->src[1].text), p->src[1].text.len, &dopts, &p->diff);
        p->have_diff = 1;
    }
    pair_context(p, w);
    struct strbuf ta = STRBUF_INIT, tb = STRBUF_INIT;
    if (it->n_resp > 0)
        pair_resp_title(p, left, 'A', p->built_hidden, &ta);
    if (it->n_resp > 1)
        pair_resp_title(p, right, 'B', p->built_hidden, &tb);
    p->resp_line = p->nlines;
    p->resp2_line = -1;
    if (it->n_resp == 0) {
        pair_text(p, ROLE_DIM, 0, "(this item has no responses)");
    } else if (it->n_resp == 1) {
        pair_text(p, ROLE_HEADER, 0, sb_str(&ta))->rule = 1;
        pair_block(p, SRC_LEFT, 0, w, ROLE_DEFAULT);
    } else if (pair_is_side(p, w)) {
        int cw = (w - 3) / 2, rx = cw + 3;
        struct pline *h = pair_text(p, p->side == 0 ? ROLE_LABEL_A : ROLE_HEADER, 0, sb_str(&ta));
        h->vsep = cw + 1;
        h->tx2 = rx;
        h->role2 = p->side == 1 ? ROLE_LABEL_B : ROLE_HEADER;
        h->toff2 = p->text.len;
        pair_oneline(p, sb_str(&tb));
        h->tlen2 = p->text.len - h->toff2;
        struct text_rows ra = {0}, rb = {0};
        text_wrap(sb_str(&p->src[0].text), p->src[0].text.len, cw, 8, &ra);
        text_wrap(sb_str(&p->src[1].text), p->src[1].text.len, cw, 8, &rb);
        size_t n = ra.n > rb.n ? ra.n : rb.n;
        if (n == 0) {
            /* Battles without text: say so rather than show nothing. */
            struct pline *l = pair_text(p, ROLE_DIM, 0, "(no text)");
            l->vsep = cw + 1;
            l->tx2 = rx;
            l->role2 = ROLE_DIM;
            l->toff2 = p->text.len;
            pair_oneline(p, "(no text)");
            l->tlen2 = p->text.len - l->toff2;
        }
        for (size_t i = 0; i < n; i++) {
            struct pline *l = pair_line(p);
            l->ncell = 2;
            l->vsep = cw + 1;
            l->c[0] = (struct pcell){SRC_LEFT, 0, 0, 0, cw};
            l->c[1] = (struct pcell){SRC_RIGHT, 0, 0, rx, cw};
            if (i < ra.n) {
                l->c[0].off = ra.v[i].off;
                l->c[0].len = ra.v[i].len;
            }
            if (i < rb.n) {
                l->c[1].off = rb.v[i].off;
                l->c[1].len = rb.v[i].len;
            }
        }
        text_rows_free(&ra);
        text_rows_free(&rb);
    } else {
        pair_text(p, p->side == 0 ? ROLE_LABEL_A : ROLE_HEADER, 0, sb_str(&ta))->rule = 1;
        pair_block(p, SRC_LEFT, 0, w, ROLE_DEFAULT);
        pair_blank(p);
        p->resp2_line = p->nlines;
        pair_text(p, p->side == 1 ? ROLE_LABEL_B : ROLE_HEADER, 0, sb_str(&tb))->rule = 1;
        pair_block(p, SRC_RIGHT, 0, w, ROLE_DEFAULT);
    }
    sb_free(&ta);
    sb_free(&tb);
    p->resp_end = p->nlines;
    pair_panel(tui, p, w);
}

/* ---- loading ---- */

/* Load item `id` (0: the list's current item). */
static int
pair_load(struct tui *tui, struct pair *p, int64_t id, struct ps_err *err)
{
    if (id == 0)
        id = view_items_current(p->items);
    if (id <= 0)
        return ps_error(err, PS_ERR_NOTFOUND, "no item selected");
    if (p->loaded)
        store_item_free(&p->it);
    p->loaded = 0;
    if (store_item_get_by_id(tui->st, id, &p->it, err) != PS_OK)
        return err->code;
    p->loaded = 1;
    if (store_dataset_chosen_rejected(tui->st, p->it.dataset_id, &p->cr, err) != PS_OK)
        return err->code;
    if (id != p->item_id) {
        p->top = 0;
        p->fresh = 1;
        p->blind_for = -1;
        p->ia = 0;
        p->ib = p->it.n_resp > 1 ? 1 : 0;
    }
    if (p->ia >= p->it.n_resp || p->ib >= p->it.n_resp) {
        p->ia = 0;
        p->ib = p->it.n_resp > 1 ? 1 : 0;
    }
    p->item_id = id;
    pair_find_my_label(tui, p);
    pair_blind_sync(tui, p);
    p->built_w = -1;
    return PS_OK;
}

static int
pair_open(struct tui *tui, struct view *v, void *arg, struct ps_err *err)
{
    (void)arg;
    struct pair *p = v->priv;
    p->items = v->parent;
    p->diff_on = 1;
    p->context_on = 1;
    p->built_w = -1;
    p->blind_for = -1;
    return pair_load(tui, p, 0, err);
}

static void
pair_done(struct tui *tui, struct view *v)
{
    (void)tui;
    struct pair *p = v->priv;
    pair_clear_doc(p);
    text_diff_scratch_free(p->diff_scratch);
    free(p->src);
    free(p->lines);
    sb_free(&p->text);
    if (p->loaded)
        store_item_free(&p->it);
}

/* ---- drawing ---- */

static enum tui_role
pair_hunk_role(int side, enum text_diff_tag tag)
{
    switch (tag) {
    case TEXT_DIFF_DELETED: return side == 0 ? ROLE_DIFF_DEL : ROLE_DEFAULT;
    case TEXT_DIFF_INSERTED: return side == 1 ? ROLE_DIFF_ADD : ROLE_DEFAULT;
    case TEXT_DIFF_CHANGED: return ROLE_DIFF_CHG;
    default: return ROLE_DEFAULT;
    }
}

static void
pair_draw_cell(struct tui *tui, struct pair *p, int y, int x0, const struct pcell *c,
               enum tui_role role)
{
    const struct psrc *ps = &p->src[c->src];
    const char *base = sb_str((struct strbuf *)&ps->text);
    int x = x0 + c->x;
    if (!(p->have_diff && (c->src == SRC_LEFT || c->src == SRC_RIGHT))) {
        draw_clean_marked(tui, y, x, c->w, role, base + c->off, c->len, &ps->marks, &ps->hl,
                          c->off);
        return;
    }
    int side = c->src;
    size_t off = c->off, end = c->off + c->len;
    size_t k = text_diff_find(&p->diff, side, off);
    int used = 0;
    while (off < end && used < c->w) {
        size_t hoff = k < p->diff.n ? (side ? p->diff.h[k].b_off : p->diff.h[k].a_off) : end;
        size_t hlen = k < p->diff.n ? (side ? p->diff.h[k].b_len : p->diff.h[k].a_len) : 0;
        size_t seg_end = k < p->diff.n ? hoff + hlen : end;
        if (seg_end > end)
            seg_end = end;
        if (seg_end <= off) {
            if (k >= p->diff.n)
                break;
            k++;
            continue;
        }
        enum tui_role r = k < p->diff.n ? pair_hunk_role(side, p->diff.h[k].tag) : role;
        used += draw_clean_marked(tui, y, x + used, c->w - used, r, base + off, seg_end - off,
                                  &ps->marks, &ps->hl, off);
        off = seg_end;
        k++;
    }
}

static void
pair_draw(struct tui *tui, struct view *v)
{
    struct pair *p = v->priv;
    struct rect a = v->area;
    if (strcmp(p->search, tui->search) != 0) {
        snprintf(p->search, sizeof p->search, "%s", tui->search);
        p->built_w = -1;
    }
    pair_blind_sync(tui, p);
    if (p->built_w != a.w || p->built_hidden != pair_hidden(tui, p))
        pair_build(tui, p, a.w);
    if (p->anchor) {
        /* Hidden context: from the top when the prompt is short enough for the
         * responses to start in the upper half, else keep them where they were. */
        p->anchor = 0;
        p->top = p->resp_line + p->anchor_off;
        if (p->top < 0 || (!p->context_on && p->resp_line <= (a.h - 1) / 2))
            p->top = 0;
    }
    if (p->fresh) {
        /* A long conversation would push the responses off screen: start with
         * the final prompt at the top (k scrolls back to the history). */
        p->fresh = 0;
        if (p->resp_line > (a.h - 1) / 2) {
            int64_t t = p->resp_line - 1;
            for (int i = p->resp_line - 1; i >= 0 && i > p->resp_line - (a.h - 1) / 2; i--) {
                t = i;
                const char *txt = sb_str(&p->text) + p->lines[i].toff;
                if (p->lines[i].ncell == 0 && p->lines[i].tlen == 6 &&
                    memcmp(txt, "PROMPT", 6) == 0)
                    break;
            }
            p->top = t;
        }
    }
    /* Title: position, compared responses, my label, modes. */
    draw_fill(tui, a.y, a.x, a.w, ROLE_TITLE);
    struct strbuf sb = STRBUF_INIT;
    sb_printf(&sb, " pair %lld/%lld", (long long)view_items_index(p->items) + 1,
              (long long)view_items_count(p->items));
    if (p->loaded && p->it.n_resp > 2)
        sb_printf(&sb, "  #%d vs #%d of %d", p->ia + 1, p->ib + 1, p->it.n_resp);
    sb_printf(&sb, "  my label: %s", p->my_label[0] ? pair_display_label(p) : "-");
    int64_t qdone, qtotal;
    if (view_items_queue_progress(tui, p->items, &qdone, &qtotal))
        sb_printf(&sb, "  queue %lld/%lld", (long long)qdone, (long long)qtotal);
    sb_printf(&sb, "  [%s%s%s%s%s%s%s%s]", pair_is_side(p, a.w) ? "side" : "inline",
              p->swapped && !tui->blind ? " swapped" : "", p->diff_on ? " diff" : "",
              p->ignore_ws ? " -w" : "", p->escapes ? " escapes" : "",
              p->context_on ? "" : " no-context", tui->advance ? " advance" : "",
              tui->blind ? " blind" : "");
    int x = draw_text(tui, a.y, a.x, a.w, ROLE_TITLE, sb_str(&sb), sb.len, 1);
    const char *lab = pair_display_label(p);
    if (lab[0] && x + 12 < a.w) {
        enum tui_role lr = strcmp(lab, "A") == 0   ? ROLE_LABEL_A
                           : strcmp(lab, "B") == 0 ? ROLE_LABEL_B
                                                   : ROLE_LABEL_TIE;
        char badge[32];
        snprintf(badge, sizeof badge, " %s ", strcmp(lab, "tie") == 0 ? "TIE" : lab);
        draw_text(tui, a.y, a.x + a.w - (int)strlen(badge), (int)strlen(badge), lr, badge,
                  strlen(badge), 0);
    }
    sb_free(&sb);
    int rows = a.h - 1;
    if (p->top > p->nlines - rows)
        p->top = p->nlines - rows;
    if (p->top < 0)
        p->top = 0;
    for (int i = 0; i < rows && p->top + i < p->nlines; i++) {
        const struct pline *l = &p->lines[p->top + i];
        int y = a.y + 1 + i;
        if (l->ncell == 0) {
            const char *t = sb_str(&p->text);
            int limit = l->vsep ? l->vsep - l->tx - 1 : a.w - l->tx;
            int used = draw_clean(tui, y, a.x + l->tx, limit, l->role, t + l->toff, l->tlen);
            if (l->rule)
                draw_hline(tui, y, a.x + l->tx + used + 1, a.w - l->tx - used - 1, ROLE_BORDER);
            if (l->vsep) {
                draw_vline(tui, y, a.x + l->vsep, 1, ROLE_BORDER);
                draw_clean(tui, y, a.x + l->tx2, a.w - l->tx2, l->role2, t + l->toff2, l->tlen2);
            }
            continue;
        }
        for (int c = 0; c < l->ncell; c++)
            pair_draw_cell(tui, p, y, a.x, &l->c[c], l->role);
        if (l->vsep)
            draw_vline(tui, y, a.x + l->vsep, 1, ROLE_BORDER);
    }
}

/* ---- commands ---- */

/* Re-read the shown item (labels, tags changed) or, with `follow`, the list's
 * current item (J/K, search). */
static void
pair_reload(struct tui *tui, struct pair *p, int follow)
{
    struct ps_err err = {0, ""};
    if (pair_load(tui, p, follow ? 0 : p->item_id, &err) != PS_OK)
        tui_err(tui, "%s", err.msg);
}

static int
pair_label(struct tui *tui, struct pair *p, int w, enum tui_cmd cmd, const char *arg)
{
    if (!p->loaded)
        return TUI_R_HANDLED;
    if ((cmd == CMD_LABEL_A || cmd == CMD_LABEL_B || cmd == CMD_LABEL_TIE ||
         cmd == CMD_LABEL_CLEAR) &&
        p->it.n_resp < 2) {
        tui_err(tui, "this item has fewer than two responses: nothing to compare");
        return TUI_R_HANDLED;
    }
    /* Blind labels record the order shown and the side chosen, for the position
     * bias in the stats view (screen A = left or top). */
    char meta[160] = "";
    if (tui->blind && p->it.n_resp > 1) {
        int left = p->swapped ? p->ib : p->ia, right = p->swapped ? p->ia : p->ib;
        tui_blind_meta(tui, p->it.resp[left].idx + 1, p->it.resp[right].idx + 1, cmd, meta,
                       sizeof meta);
    }
    /* Labels are stored in terms of (ia, ib); the keys speak of the display. */
    if (p->swapped && cmd == CMD_LABEL_A)
        cmd = CMD_LABEL_B;
    else if (p->swapped && cmd == CMD_LABEL_B)
        cmd = CMD_LABEL_A;
    int two = p->it.n_resp > 1, side = pair_is_side(p, w);
    const char *first = side ? "left" : "top", *second = side ? "right" : "bottom";
    struct label_target t = {p->item_id,
                             p->it.seq,
                             two ? p->it.resp[p->ia].id : 0,
                             two ? p->it.resp[p->ib].id : 0,
                             two ? p->it.resp[p->ia].idx : 0,
                             two ? p->it.resp[p->ib].idx : 1,
                             p->swapped ? second : first,
                             p->swapped ? first : second,
                             meta[0] ? meta : NULL};
    int r = view_items_label(tui, p->items, &t, cmd, arg);
    /* Label and advance moved the list's cursor on: show that item. */
    int64_t cur = view_items_current(p->items);
    pair_reload(tui, p, tui->advance && cur > 0 && cur != p->item_id);
    return r | TUI_R_HANDLED | TUI_R_REDRAW;
}

static int
pair_compare(struct tui *tui, struct pair *p, const char *arg)
{
    if (!arg) {
        char label[64];
        snprintf(label, sizeof label, "compare (two of 1-%d): ", p->it.n_resp);
        prompt_open(tui, label, CMD_COMPARE, NULL);
        return TUI_R_HANDLED;
    }
    int i = 0, j = 0;
    if (sscanf(arg, "%d %d", &i, &j) != 2 || i < 1 || j < 1 || i > p->it.n_resp ||
        j > p->it.n_resp || i == j) {
        tui_err(tui, "compare: give two different response numbers between 1 and %d", p->it.n_resp);
        return TUI_R_HANDLED;
    }
    p->ia = i - 1;
    p->ib = j - 1;
    pair_find_my_label(tui, p);
    p->built_w = -1;
    return TUI_R_HANDLED | TUI_R_REDRAW;
}

/* 1 when a response cell of the line shows part of a non-equal diff hunk. */
static int
pair_line_changed(const struct pair *p, const struct pline *l)
{
    for (int c = 0; c < l->ncell; c++) {
        const struct pcell *cell = &l->c[c];
        if ((cell->src != SRC_LEFT && cell->src != SRC_RIGHT) || cell->len == 0)
            continue;
        int side = cell->src;
        for (size_t k = text_diff_find(&p->diff, side, cell->off); k < p->diff.n; k++) {
            const struct text_diff_hunk *h = &p->diff.h[k];
            size_t off = side ? h->b_off : h->a_off, len = side ? h->b_len : h->a_len;
            if (off >= cell->off + cell->len)
                break;
            if (len > 0 && h->tag != TEXT_DIFF_EQUAL)
                return 1;
        }
    }
    return 0;
}

/* `@`: scroll so the next changed row (after the top one) is at the top. */
static int
pair_next_change(struct tui *tui, struct pair *p)
{
    if (!p->have_diff) {
        tui_err(tui, "no word diff here (w turns it on)");
        return TUI_R_HANDLED;
    }
    /* Near the end the top is clamped, so continue after the last change
     * found rather than after the top. */
    int64_t from = p->last_change >= p->top ? p->last_change + 1 : p->top + 1;
    for (int64_t i = from; i < p->nlines; i++) {
        /* Skip the rest of the current change: stop at the start of the next. */
        if (pair_line_changed(p, &p->lines[i]) && !pair_line_changed(p, &p->lines[i - 1])) {
            p->top = i;
            p->last_change = i;
            return TUI_R_HANDLED | TUI_R_REDRAW;
        }
    }
    tui_msg(tui, "no further change");
    return TUI_R_HANDLED;
}

static int
pair_step(struct tui *tui, struct pair *p, int64_t delta, int unlabeled)
{
    /* Under a filter such as label=none the item just labeled leaves the list
     * and the cursor already stands on the next one: that is "next". */
    if (delta > 0 && !unlabeled && view_items_count(p->items) > 0 &&
        view_items_current(p->items) != p->item_id) {
        if (--delta == 0) {
            pair_reload(tui, p, 1);
            return TUI_R_HANDLED | TUI_R_REDRAW;
        }
    }
    if (view_items_step(tui, p->items, delta, unlabeled) != PS_OK)
        return TUI_R_HANDLED | TUI_R_REDRAW;
    pair_reload(tui, p, 1);
    return TUI_R_HANDLED | TUI_R_REDRAW;
}

static int
pair_request(struct tui *tui, struct view *v, enum tui_cmd cmd, const char *arg)
{
    struct pair *p = v->priv;
    int rows = v->area.h - 1, page = rows > 2 ? rows - 1 : 1;
    int64_t rep = tui->rep > 1 ? tui->rep : 1;
    switch (cmd) {
    case CMD_MOVE_DOWN: p->top += rep; break;
    case CMD_MOVE_UP: p->top -= rep; break;
    case CMD_PAGE_DOWN: p->top += page * rep; break;
    case CMD_PAGE_UP: p->top -= page * rep; break;
    case CMD_HALF_DOWN: p->top += rows / 2 * rep; break;
    case CMD_HALF_UP: p->top -= rows / 2 * rep; break;
    case CMD_FIRST: p->top = 0; break;
    case CMD_LAST: p->top = p->nlines; break;
    case CMD_ITEM_NEXT: return pair_step(tui, p, rep, 0);
    case CMD_ITEM_PREV: return pair_step(tui, p, -rep, 0);
    case CMD_NEXT_UNLABELED: return pair_step(tui, p, 1, 1);
    case CMD_PREV_UNLABELED: return pair_step(tui, p, -1, 1);
    case CMD_QUEUE: {
        /* The queue is the list's: it moves the list's cursor, the pair follows. */
        int r = p->items->ops->request(tui, p->items, cmd, arg);
        if (view_items_current(p->items) > 0)
            pair_reload(tui, p, 1);
        return r | TUI_R_HANDLED | TUI_R_REDRAW;
    }
    case CMD_GOTO: {
        /* :N and #NG: the list's item N, shown here. */
        if (!arg)
            return TUI_R_IGNORED;
        int r = p->items->ops->request(tui, p->items, cmd, arg);
        pair_reload(tui, p, 1);
        return r | TUI_R_HANDLED | TUI_R_REDRAW;
    }
    case CMD_SEARCH:
    case CMD_SEARCH_NEXT:
    case CMD_SEARCH_PREV: {
        /* Search moves the list's cursor; the pair view follows it. */
        int r = p->items->ops->request(tui, p->items, cmd, arg);
        pair_reload(tui, p, 1);
        return r | TUI_R_HANDLED | TUI_R_REDRAW;
    }
    case CMD_LAYOUT: {
        int side = pair_is_side(p, v->area.w);
        p->layout = side ? LAYOUT_INLINE : LAYOUT_SIDE;
        p->built_w = -1;
        tui_msg(tui, "%s layout", side ? "inline" : "side-by-side");
        break;
    }
    case CMD_SWAP:
        if (tui->blind) {
            tui_err(tui, "blind labeling draws the sides per item (M or :blind off ends it)");
            return TUI_R_HANDLED;
        }
        p->swapped = !p->swapped;
        p->built_w = -1;
        tui_msg(tui, "sides %s", p->swapped ? "swapped" : "in stored order");
        break;
    case CMD_DIFF:
        p->diff_on = !p->diff_on;
        p->built_w = -1;
        tui_msg(tui, "word diff %s", p->diff_on ? "on" : "off");
        break;
    case CMD_CONTEXT:
        /* Keep what is at the top relative to the responses, so hiding the
         * context never leaves the responses above the screen. */
        p->context_on = !p->context_on;
        p->anchor = 1;
        p->anchor_off = p->top - p->resp_line;
        p->built_w = -1;
        tui_msg(tui, "system prompt and history %s",
                p->context_on ? "shown" : "hidden (p shows them)");
        break;
    case CMD_NEXT_CHANGE: {
        int r = pair_next_change(tui, p), any = r;
        for (int64_t k = 1; k < rep && (r & TUI_R_REDRAW); k++)
            any |= r = pair_next_change(tui, p);
        return any;
    }
    case CMD_IGNORE_WS:
        p->ignore_ws = !p->ignore_ws;
        p->built_w = -1;
        tui_msg(tui, "word diff %s whitespace", p->ignore_ws ? "ignores" : "compares");
        break;
    case CMD_ESCAPES:
        p->escapes = !p->escapes;
        p->built_w = -1;
        tui_msg(tui, "control characters shown as %s", p->escapes ? "escapes" : "placeholders");
        break;
    case CMD_SIDE_A:
    case CMD_SIDE_B:
        p->side = cmd == CMD_SIDE_B;
        p->built_w = -1;
        break;
    case CMD_COMPARE: return pair_compare(tui, p, arg);
    case CMD_YANK: {
        if (!p->loaded || p->it.n_resp == 0)
            return TUI_R_HANDLED;
        int left = p->swapped ? p->ib : p->ia, right = p->swapped ? p->ia : p->ib;
        int r = p->side && p->it.n_resp > 1 ? right : left;
        const char *t = p->it.resp[r].text ? p->it.resp[r].text : "";
        struct ps_err err = {0, ""};
        if (clip_copy(tui, t, strlen(t), &err) != PS_OK)
            tui_err(tui, "%s", err.msg);
        else if (pair_hidden(tui, p))
            tui_msg(tui, "copied response %c (%zu bytes) to the clipboard", p->side ? 'B' : 'A',
                    strlen(t));
        else
            tui_msg(tui, "copied response %c (#%d, %zu bytes) to the clipboard",
                    p->side ? 'B' : 'A', r + 1, strlen(t));
        return TUI_R_HANDLED;
    }
    case CMD_LABEL_A:
    case CMD_LABEL_B:
    case CMD_LABEL_TIE:
    case CMD_LABEL_CLEAR:
    case CMD_TAG:
    case CMD_UNTAG:
    case CMD_NOTE: return pair_label(tui, p, v->area.w, cmd, arg);
    case CMD_UNDO: {
        /* Show the item whose change was undone (label and advance moved on). */
        int64_t id;
        int r = tui_undo(tui, &id);
        struct ps_err err = {0, ""};
        if (pair_load(tui, p, id > 0 ? id : p->item_id, &err) != PS_OK)
            tui_err(tui, "%s", err.msg);
        return r | TUI_R_HANDLED | TUI_R_REDRAW;
    }
    default: return TUI_R_IGNORED;
    }
    return TUI_R_HANDLED | TUI_R_REDRAW;
}

/* A click on a response selects that side for y (yank), as h/l do: the left or
 * right column side by side, the upper or lower block inline. */
static int
pair_mouse(struct tui *tui, struct view *v, int y, int x, int clicks)
{
    (void)clicks;
    struct pair *p = v->priv;
    int64_t line = p->top + (y - v->area.y - 1);
    if (!p->loaded || p->it.n_resp < 2 || y <= v->area.y || line < p->resp_line ||
        line >= p->resp_end)
        return TUI_R_HANDLED;
    int inline_ = p->resp2_line >= 0;
    int side = inline_ ? line >= p->resp2_line : x - v->area.x > (v->area.w - 3) / 2 + 1;
    int r = pair_request(tui, v, side ? CMD_SIDE_B : CMD_SIDE_A, NULL);
    tui_msg(tui, "response %c (%s) selected: y copies it", side ? 'B' : 'A',
            side ? (inline_ ? "below" : "right") : (inline_ ? "above" : "left"));
    return r | TUI_R_HANDLED | TUI_R_REDRAW;
}

static void
pair_resume(struct tui *tui, struct view *v)
{
    pair_reload(tui, v->priv, 0);
}

static void
pair_status(struct tui *tui, struct view *v, struct strbuf *out)
{
    (void)tui;
    struct pair *p = v->priv;
    int rows = v->area.h - 1;
    int pct = p->nlines > rows ? (int)((p->top + rows) * 100 / p->nlines) : 100;
    sb_printf(out, "%lld/%lld  %d%%\t1/2/=/0 label  J/K next/prev  x swap  v layout  ? help",
              (long long)view_items_index(p->items) + 1, (long long)view_items_count(p->items),
              pct > 100 ? 100 : pct);
}

int64_t
view_pair_item(struct view *pair)
{
    return ((struct pair *)pair->priv)->item_id;
}

const struct view_ops view_pair_ops = {
    .name = "pair",
    .keymap = KM_PAIR,
    .private_size = sizeof(struct pair),
    .open = pair_open,
    .draw = pair_draw,
    .request = pair_request,
    .status = pair_status,
    .resume = pair_resume,
    .reread = pair_resume,
    .mouse = pair_mouse,
    .done = pair_done,
};
