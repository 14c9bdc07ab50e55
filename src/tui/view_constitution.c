/* The constitution views (ICAI, docs/icai.md).
 *
 * view_constitution_ops: every principle a constitution tested, ranked ones first,
 * with relevance, accuracy, kappa and strength as bars, scored against the
 * annotator the constitution explains and, side by side, against a second
 * annotator of the dataset (`r` cycles it), or against a second constitution
 * (`:compare REF`, principles matched by text), with the differences marked.  Enter opens
 * view_principle_ops: the pairs the principle decides (votes A or B), for and
 * against the reference label; Enter there jumps to the pair view.
 *
 * The votes are read once per open (one byte per principle and item); labels per
 * annotator one byte per item.  Nothing here keeps dataset text. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "core/constitution.h"
#include "core/features.h"
#include "core/xalloc.h"
#include "store/constitution.h"
#include "store/store.h"
#include "tui/view.h"

struct cons_view {
    struct store_constitution c;
    struct store_principle *p;
    int np;
    int64_t n_items;
    unsigned char *votes; /* np * n_items; 255 = none */
    char **annots;        /* the dataset's annotators */
    int n_annots;
    int ref, other;        /* annotator indices (other = -1: none) */
    struct icai_counts *k; /* np x 2: against ref, against other */
    int *order;            /* rows: principles, ranked first */
    struct list_pos pos;
    /* `:compare REF`: a second constitution, its principles matched by text */
    struct store_constitution oc;
    int has_oc;
    int *orank;        /* [np]: rank there, 0 not kept, -1 not tested there */
    double *ostrength; /* [np]: strength there (its own annotator), NaN if absent */
};

struct vote_walk {
    struct cons_view *cv;
    int last;
};

static int
take_vote(void *ud, int64_t pid, int64_t item_id, int64_t seq, const char *vote)
{
    (void)item_id;
    struct vote_walk *w = ud;
    struct cons_view *cv = w->cv;
    if (w->last >= cv->np || cv->p[w->last].id != pid)
        for (w->last = 0; w->last < cv->np && cv->p[w->last].id != pid; w->last++)
            ;
    if (w->last < cv->np && seq >= 0 && seq < cv->n_items) {
        int v = icai_vote_parse(vote);
        cv->votes[(size_t)w->last * (size_t)cv->n_items + (size_t)seq] =
            (unsigned char)(v < 0 ? ICAI_VOTE_INVALID : v);
    }
    return 0;
}

/* Counts of every principle against annotator `a` into column `col` of cv->k. */
static int
score(struct tui *tui, struct cons_view *cv, int a, int col, struct ps_err *err)
{
    for (int i = 0; i < cv->np; i++)
        memset(&cv->k[i * 2 + col], 0, sizeof cv->k[0]);
    if (a < 0)
        return PS_OK;
    signed char *labels = xmalloc((size_t)cv->n_items + 1);
    int rc = store_icai_labels(tui->st, cv->c.dataset_id, cv->annots[a], labels, cv->n_items, err);
    for (int i = 0; rc == PS_OK && i < cv->np; i++)
        for (int64_t s = 0; s < cv->n_items; s++) {
            unsigned char v = cv->votes[(size_t)i * (size_t)cv->n_items + (size_t)s];
            if (v != 255)
                icai_count(&cv->k[i * 2 + col], v, labels[s]);
        }
    free(labels);
    return rc;
}

static int
cons_open(struct tui *tui, struct view *v, void *arg, struct ps_err *err)
{
    struct cons_view *cv = v->priv;
    const char *ref = arg;
    if (store_constitution_find(tui->st, ref, &cv->c, err) != PS_OK)
        return err->code;
    struct store_dataset d;
    if (store_dataset_get(tui->st, cv->c.dataset_id, &d, err) != PS_OK)
        return err->code;
    cv->n_items = d.n_items;
    store_dataset_free(&d);
    if (store_principle_list(tui->st, cv->c.id, &cv->p, &cv->np, err) != PS_OK)
        return err->code;
    size_t cells = (size_t)cv->np * (size_t)cv->n_items;
    cv->votes = xmalloc(cells + 1);
    memset(cv->votes, 255, cells + 1);
    struct vote_walk w = {cv, 0};
    if (cv->np && store_votes_foreach(tui->st, cv->c.id, 0, take_vote, &w, err) != PS_OK)
        return err->code;
    int64_t *counts;
    if (store_icai_annotators(tui->st, cv->c.dataset_id, &cv->annots, &counts, &cv->n_annots,
                              err) != PS_OK)
        return err->code;
    free(counts);
    /* the reference: the annotator the constitution was built against */
    cJSON *params = cv->c.params ? cJSON_Parse(cv->c.params) : NULL;
    const cJSON *an = cJSON_GetObjectItemCaseSensitive(params, "annotator");
    cv->ref = cv->n_annots ? 0 : -1;
    for (int i = 0; cJSON_IsString(an) && i < cv->n_annots; i++)
        if (strcmp(cv->annots[i], an->valuestring) == 0)
            cv->ref = i;
    cJSON_Delete(params);
    cv->other = -1;
    cv->k = xcalloc((size_t)cv->np * 2 + 1, sizeof *cv->k);
    cv->order = xmalloc(((size_t)cv->np + 1) * sizeof *cv->order);
    for (int i = 0; i < cv->np; i++)
        cv->order[i] = i; /* store_principle_list already puts the ranked ones first */
    return score(tui, cv, cv->ref, 0, err);
}

static void
cons_done(struct tui *tui, struct view *v)
{
    (void)tui;
    struct cons_view *cv = v->priv;
    store_constitution_free(&cv->c);
    store_principle_list_free(cv->p, cv->np);
    for (int i = 0; i < cv->n_annots; i++)
        free(cv->annots[i]);
    free(cv->annots);
    free(cv->votes);
    free(cv->k);
    free(cv->order);
    store_constitution_free(&cv->oc);
    free(cv->orank);
    free(cv->ostrength);
}

/* Load constitution `ref` as the second column; NULL/"none" clears it. */
static int
compare_with(struct tui *tui, struct cons_view *cv, const char *ref, struct ps_err *err)
{
    store_constitution_free(&cv->oc);
    cv->has_oc = 0;
    if (!ref || !*ref || strcmp(ref, "none") == 0)
        return PS_OK;
    struct store_principle *q;
    int nq;
    if (store_constitution_find(tui->st, ref, &cv->oc, err) != PS_OK)
        return err->code;
    if (store_principle_list(tui->st, cv->oc.id, &q, &nq, err) != PS_OK) {
        store_constitution_free(&cv->oc);
        return err->code;
    }
    if (!cv->orank) {
        cv->orank = xcalloc((size_t)cv->np + 1, sizeof *cv->orank);
        cv->ostrength = xcalloc((size_t)cv->np + 1, sizeof *cv->ostrength);
    }
    for (int i = 0; i < cv->np; i++) {
        cv->orank[i] = -1;
        cv->ostrength[i] = NAN;
        for (int j = 0; j < nq; j++)
            if (strcmp(cv->p[i].text, q[j].text) == 0) {
                cv->orank[i] = q[j].rank;
                cJSON *st = q[j].stats ? cJSON_Parse(q[j].stats) : NULL;
                const cJSON *x = cJSON_GetObjectItemCaseSensitive(st, "strength");
                if (cJSON_IsNumber(x))
                    cv->ostrength[i] = x->valuedouble;
                cJSON_Delete(st);
                break;
            }
    }
    store_principle_list_free(q, nq);
    cv->has_oc = 1;
    cv->other = -1; /* one comparison at a time */
    return PS_OK;
}

/* A bar of `w` cells for v in [-1, 1] (negative values in the dim role). */
static int
bar(struct tui *tui, int y, int x, int w, double v)
{
    int n = isfinite(v) ? (int)floor(fabs(v) * w + 0.5) : 0;
    if (n > w)
        n = w;
    char cells[64];
    memset(cells, ' ', sizeof cells);
    memset(cells, v < 0 ? '-' : '#', (size_t)n);
    return draw_clean(tui, y, x, w, v < 0 ? ROLE_DIM : ROLE_ACCENT, cells, (size_t)w);
}

static void
cons_draw(struct tui *tui, struct view *v)
{
    struct cons_view *cv = v->priv;
    struct rect a = v->area;
    draw_fill(tui, a.y, a.x, a.w, ROLE_TITLE);
    int x =
        draw_printf(tui, a.y, a.x, a.w, ROLE_TITLE, " constitution %lld  ", (long long)cv->c.id);
    x += draw_text(tui, a.y, a.x + x, a.w - x, ROLE_TITLE, cv->c.name, strlen(cv->c.name), 1);
    x += draw_text(tui, a.y, a.x + x, a.w - x, ROLE_TITLE, "  of ", 5, 0);
    if (cv->c.dataset)
        draw_text(tui, a.y, a.x + x, a.w - x, ROLE_TITLE, cv->c.dataset, strlen(cv->c.dataset), 1);
    /* header: the two annotators */
    int y = a.y + 1;
    x = draw_text(tui, y, a.x, a.w, ROLE_DIM, " scored against ", 16, 0);
    const char *r = cv->ref >= 0 ? cv->annots[cv->ref] : "(no annotator)";
    x += draw_text(tui, y, a.x + x, a.w - x, ROLE_ACCENT, r, strlen(r), 1);
    if (cv->other >= 0) {
        x += draw_text(tui, y, a.x + x, a.w - x, ROLE_DIM, "   vs ", 6, 0);
        draw_text(tui, y, a.x + x, a.w - x, ROLE_ACCENT, cv->annots[cv->other],
                  strlen(cv->annots[cv->other]), 1);
    } else if (cv->has_oc) {
        x += draw_printf(tui, y, a.x + x, a.w - x, ROLE_DIM, "   vs constitution %lld ",
                         (long long)cv->oc.id);
        draw_text(tui, y, a.x + x, a.w - x, ROLE_ACCENT, cv->oc.name, strlen(cv->oc.name), 1);
    }
    y++;
    int cmp = cv->other >= 0 || cv->has_oc;
    draw_printf(tui, y, a.x, a.w, ROLE_HEADER, "%4s %-10s %5s %6s %6s %-10s %7s%s  %s", "rank",
                "relevance", "acc", "kappa", "", "strength", "",
                cv->has_oc ? "   other   diff  rank"
                : cmp      ? "   other   diff"
                           : "",
                "principle");
    int h = a.h - 3;
    list_clamp(&cv->pos, cv->np, h);
    for (int row = 0; row < h && cv->pos.top + row < cv->np; row++) {
        int64_t idx = cv->pos.top + row;
        int i = cv->order[idx];
        const struct store_principle *p = &cv->p[i];
        struct icai_metrics m, mo;
        icai_metrics(&cv->k[i * 2], &m);
        icai_metrics(&cv->k[i * 2 + 1], &mo);
        int yy = y + 1 + row, sel = idx == cv->pos.cur;
        enum tui_role role = sel ? ROLE_SEL : p->rank ? ROLE_DEFAULT : ROLE_DIM;
        if (sel)
            draw_fill(tui, yy, a.x, a.w, ROLE_SEL);
        int c = p->rank ? draw_printf(tui, yy, a.x, a.w, role, "%4d ", p->rank)
                        : draw_printf(tui, yy, a.x, a.w, role, "%4s ", "-");
        c += bar(tui, yy, a.x + c, 10, m.relevance);
        c += draw_printf(tui, yy, a.x + c, a.w - c, role, " %5.2f %+6.2f ", m.accuracy, m.kappa);
        c += bar(tui, yy, a.x + c, 6, m.strength);
        c += draw_printf(tui, yy, a.x + c, a.w - c, role, " %+8.3f", m.strength);
        if (cmp) {
            double os = cv->has_oc ? cv->ostrength[i] : mo.strength, d = os - m.strength;
            int mark =
                isnan(d) || fabs(d) >= 0.1 || (cv->has_oc && (cv->orank[i] > 0) != (p->rank > 0));
            c += draw_printf(tui, yy, a.x + c, a.w - c, role, " %+8.3f", os);
            c += draw_printf(tui, yy, a.x + c, a.w - c, mark && !sel ? ROLE_STATUS_ERR : role,
                             " %+6.3f%s", d, mark ? "*" : " ");
            if (cv->has_oc) {
                if (cv->orank[i] > 0)
                    c += draw_printf(tui, yy, a.x + c, a.w - c, role, " %4d", cv->orank[i]);
                else
                    c += draw_printf(tui, yy, a.x + c, a.w - c, role, " %4s",
                                     cv->orank[i] < 0 ? "n/a" : "-");
            }
        }
        c += draw_text(tui, yy, a.x + c, a.w - c, role, "  ", 2, 0);
        draw_text(tui, yy, a.x + c, a.w - c, role, p->text, strlen(p->text), 1);
    }
}

struct principle_arg {
    struct cons_view *cv;
    int principle; /* index into cv->p */
};

static int
cons_request(struct tui *tui, struct view *v, enum tui_cmd cmd, const char *arg)
{
    struct cons_view *cv = v->priv;
    if (list_motion(tui, &cv->pos, cmd, arg, cv->np, v->area.h - 3))
        return TUI_R_HANDLED | TUI_R_REDRAW;
    struct ps_err err = {0, ""};
    switch (cmd) {
    case CMD_ENTER: {
        if (cv->np == 0)
            return TUI_R_HANDLED;
        struct principle_arg pa = {cv, cv->order[cv->pos.cur]};
        tui_view_push(tui, &view_principle_ops, &pa);
        return TUI_R_HANDLED | TUI_R_REDRAW;
    }
    case CMD_REFERENCE: {
        /* the second column: next annotator (or the one named), none after the last */
        int next = -1;
        if (arg && *arg) {
            for (int i = 0; i < cv->n_annots; i++)
                if (strcmp(cv->annots[i], arg) == 0)
                    next = i;
            if (next < 0 && strcmp(arg, "none") != 0) {
                tui_err(tui, "no annotator '%.200s' in this dataset", arg);
                return TUI_R_HANDLED;
            }
        } else {
            next = cv->other + 1;
            if (next == cv->ref)
                next++;
            if (next >= cv->n_annots)
                next = -1;
        }
        cv->other = next;
        compare_with(tui, cv, NULL, &err);
        if (score(tui, cv, cv->other, 1, &err) != PS_OK)
            tui_err(tui, "%s", err.msg);
        else if (cv->other < 0)
            tui_msg(tui, "one annotator");
        return TUI_R_HANDLED | TUI_R_REDRAW;
    }
    case CMD_COMPARE:
        if (compare_with(tui, cv, arg, &err) != PS_OK)
            tui_err(tui, "%s", err.msg);
        return TUI_R_HANDLED | TUI_R_REDRAW;
    default: return TUI_R_IGNORED;
    }
}

static void
cons_status(struct tui *tui, struct view *v, struct strbuf *out)
{
    (void)tui;
    struct cons_view *cv = v->priv;
    sb_printf(out, "%lld/%d principles, %d kept\tEnter pairs · r annotator · :compare REF · q back",
              (long long)(cv->np ? cv->pos.cur + 1 : 0), cv->np, cv->c.n_ranked);
}

const struct view_ops view_constitution_ops = {
    .name = "constitution",
    .keymap = KM_EVAL,
    .private_size = sizeof(struct cons_view),
    .open = cons_open,
    .draw = cons_draw,
    .request = cons_request,
    .status = cons_status,
    .done = cons_done,
};

/* ---- the pairs one principle decides ---- */

struct pr_row {
    int64_t item_id, seq;
    unsigned char vote;
    signed char label;
};

struct pr_view {
    struct cons_view *cv; /* the parent view's data (it outlives this view) */
    int principle;
    struct pr_row *rows;
    int n, cap, n_for, n_against;
    struct list_pos pos;
};

struct pr_walk {
    struct pr_view *pv;
    signed char *labels;
    int64_t n_items;
};

static int
take_pair_vote(void *ud, int64_t pid, int64_t item_id, int64_t seq, const char *vote)
{
    (void)pid;
    struct pr_walk *w = ud;
    struct pr_view *pv = w->pv;
    int v = icai_vote_parse(vote);
    if (v != ICAI_VOTE_A && v != ICAI_VOTE_B)
        return 0;
    signed char l = seq >= 0 && seq < w->n_items ? w->labels[seq] : -1;
    pv->rows = xgrow(pv->rows, sizeof *pv->rows, pv->n, &pv->cap, 64);
    pv->rows[pv->n++] = (struct pr_row){item_id, seq, (unsigned char)v, l};
    if (l == 0 || l == 1)
        *(v == l ? &pv->n_for : &pv->n_against) += 1;
    return 0;
}

static int
pr_open(struct tui *tui, struct view *v, void *arg, struct ps_err *err)
{
    struct pr_view *pv = v->priv;
    const struct principle_arg *pa = arg;
    pv->cv = pa->cv;
    pv->principle = pa->principle;
    struct cons_view *cv = pv->cv;
    signed char *labels = xmalloc((size_t)cv->n_items + 1);
    memset(labels, -1, (size_t)cv->n_items + 1);
    int rc = cv->ref >= 0 ? store_icai_labels(tui->st, cv->c.dataset_id, cv->annots[cv->ref],
                                              labels, cv->n_items, err)
                          : PS_OK;
    struct pr_walk w = {pv, labels, cv->n_items};
    if (rc == PS_OK)
        rc = store_votes_foreach(tui->st, cv->c.id, cv->p[pv->principle].id, take_pair_vote, &w,
                                 err);
    free(labels);
    return rc;
}

static void
pr_done(struct tui *tui, struct view *v)
{
    (void)tui;
    struct pr_view *pv = v->priv;
    free(pv->rows);
}

static void
pr_draw(struct tui *tui, struct view *v)
{
    struct pr_view *pv = v->priv;
    const struct store_principle *p = &pv->cv->p[pv->principle];
    struct rect a = v->area;
    draw_fill(tui, a.y, a.x, a.w, ROLE_TITLE);
    int x = draw_text(tui, a.y, a.x, a.w, ROLE_TITLE, " principle  ", 12, 0);
    draw_text(tui, a.y, a.x + x, a.w - x, ROLE_TITLE, p->text, strlen(p->text), 1);
    draw_printf(tui, a.y + 1, a.x, a.w, ROLE_DIM,
                " decides %d pairs: %d for the preferred response, %d against, %d unlabelled",
                pv->n, pv->n_for, pv->n_against, pv->n - pv->n_for - pv->n_against);
    draw_printf(tui, a.y + 2, a.x, a.w, ROLE_HEADER, "%8s  %-6s %-6s %s", "#", "picks", "label",
                "");
    int h = a.h - 3;
    list_clamp(&pv->pos, pv->n, h);
    for (int row = 0; row < h && pv->pos.top + row < pv->n; row++) {
        int64_t idx = pv->pos.top + row;
        const struct pr_row *r = &pv->rows[idx];
        int yy = a.y + 3 + row, sel = idx == pv->pos.cur;
        if (sel)
            draw_fill(tui, yy, a.x, a.w, ROLE_SEL);
        int agree = r->label == 0 || r->label == 1 ? r->label == r->vote : -1;
        static const char *const lab[] = {"A", "B", "tie", "inval."};
        int c = draw_printf(tui, yy, a.x, a.w, sel ? ROLE_SEL : ROLE_DEFAULT, "%8lld  %-6s ",
                            (long long)r->seq + 1, r->vote == ICAI_VOTE_A ? "A" : "B");
        c += draw_printf(tui, yy, a.x + c, a.w - c,
                         sel                              ? ROLE_SEL
                         : r->label == 0 || r->label == 2 ? ROLE_LABEL_A
                                                          : ROLE_LABEL_B,
                         "%-6s ", r->label >= 0 && r->label < 4 ? lab[r->label] : "-");
        const char *verdict = agree == 1 ? "for" : agree == 0 ? "against" : "";
        draw_text(tui, yy, a.x + c, a.w - c,
                  sel          ? ROLE_SEL
                  : agree == 1 ? ROLE_DIFF_ADD
                  : agree == 0 ? ROLE_DIFF_DEL
                               : ROLE_DIM,
                  verdict, strlen(verdict), 0);
    }
}

static int
pr_request(struct tui *tui, struct view *v, enum tui_cmd cmd, const char *arg)
{
    (void)arg;
    struct pr_view *pv = v->priv;
    if (list_motion(tui, &pv->pos, cmd, arg, pv->n, v->area.h - 3))
        return TUI_R_HANDLED | TUI_R_REDRAW;
    if (cmd == CMD_ENTER && pv->n) {
        char id[32];
        struct ps_err err = {0, ""};
        snprintf(id, sizeof id, "%lld", (long long)pv->rows[pv->pos.cur].item_id);
        if (tui_open_view(tui, "pair", id, &err) != PS_OK)
            tui_err(tui, "%s", err.msg);
        return TUI_R_HANDLED | TUI_R_REDRAW;
    }
    return TUI_R_IGNORED;
}

static void
pr_status(struct tui *tui, struct view *v, struct strbuf *out)
{
    (void)tui;
    struct pr_view *pv = v->priv;
    sb_printf(out, "%lld/%d pairs\tEnter open the pair · q back",
              (long long)(pv->n ? pv->pos.cur + 1 : 0), pv->n);
}

const struct view_ops view_principle_ops = {
    .name = "principle",
    .keymap = KM_EVAL,
    .private_size = sizeof(struct pr_view),
    .open = pr_open,
    .draw = pr_draw,
    .request = pr_request,
    .status = pr_status,
    .done = pr_done,
};

/* ---- the pair view's PRINCIPLES section ---- */

static int
add_vote_line(void *ud, const char *text, int rank, const char *vote)
{
    struct strbuf *out = ud;
    int v = icai_vote_parse(vote);
    const char *what = v == ICAI_VOTE_A         ? "prefers #1"
                       : v == ICAI_VOTE_B       ? "prefers #2"
                       : v == ICAI_VOTE_BOTH    ? "both     "
                       : v == ICAI_VOTE_NEITHER ? "neither  "
                                                : "invalid  ";
    if (rank > 0)
        sb_printf(out, "%2d ", rank);
    else
        sb_puts(out, " - ");
    sb_printf(out, "%s  %s\n", what, text ? text : "");
    return 0;
}

void
view_constitution_votes(struct tui *tui, int64_t dataset_id, int64_t item_id, struct strbuf *out)
{
    struct ps_err err = {0, ""};
    int64_t cid;
    size_t from = out->len;
    if (store_item_votes(tui->st, dataset_id, item_id, &cid, add_vote_line, out, &err) != PS_OK)
        out->len = from; /* the pair view shows nothing rather than half a list */
    if (out->p)
        out->p[out->len] = 0;
}

/* ---- opening ---- */

int
view_constitution_open(struct tui *tui, const char *arg)
{
    char ref[64];
    struct ps_err err = {0, ""};
    if (arg && *arg) {
        tui_view_push(tui, &view_constitution_ops, (void *)arg);
        return TUI_R_HANDLED | TUI_R_REDRAW;
    }
    /* the newest constitution of the dataset in view */
    int64_t ds = view_dataset_here(tui);
    if (ds < 0) {
        tui_err(tui, "constitution: no dataset here (try :constitution ID)");
        return TUI_R_HANDLED;
    }
    struct store_constitution *v;
    int n;
    if (store_constitution_list(tui->st, ds, &v, &n, &err) != PS_OK) {
        tui_err(tui, "%s", err.msg);
        return TUI_R_HANDLED;
    }
    if (n == 0) {
        tui_err(tui, "no constitution for this dataset (prefscope icai DATASET --offline)");
        return TUI_R_HANDLED;
    }
    snprintf(ref, sizeof ref, "%lld", (long long)v[n - 1].id);
    store_constitution_list_free(v, n);
    tui_view_push(tui, &view_constitution_ops, ref);
    return TUI_R_HANDLED | TUI_R_REDRAW;
}
