/* Item list paging, search and agreement for the TUI (labels, tags and notes are
 * in annotate.c). */
#include "store/browse.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/xalloc.h"
#include "store/internal.h"

/* A judgment's verdict relative to the pair ordered by response id. */
#define NORM_VERDICT(j) \
    "CASE WHEN " j ".response_a <= " j ".response_b THEN " j ".verdict WHEN " j \
    ".verdict = 'A' THEN 'B' WHEN " j ".verdict = 'B' THEN 'A' ELSE " j ".verdict END"

#define PREVIEW_CHARS 200

#define PS_STR_(x) #x
#define PS_STR(x) PS_STR_(x)

/* Statement parameters shared by every generated query. */
enum {
    P_DATASET = 1,
    P_ME,
    P_KEY,
    P_SEQ,
    P_LIMIT,
    P_VERDICT,
    P_TAG,
    P_MODEL,
    P_LEN_MIN,
    P_LEN_MAX,
    P_FTS,
};

/* ---- FTS5 query from user text ---- */

static void
fts_quote(struct strbuf *out, const char *s, size_t n)
{
    sb_putc(out, '"');
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '"')
            sb_putc(out, '"');
        sb_putc(out, s[i]);
    }
    sb_putc(out, '"');
}

static int
is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* Does the term hold anything the unicode61 tokenizer indexes (a letter/digit or
 * any non-ASCII byte)?  A term of punctuation only would be an empty phrase. */
static int
has_token_chars(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x80 || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
            return 1;
    }
    return 0;
}

/* One term of a user search (see store_fts_query). */
struct search_term {
    const char *t;
    size_t n;
    const char *col; /* "prompt", "responses" or NULL */
    int negate, prefix, or_before;
};

#define SEARCH_TERMS_MAX 64

/* Split user search text into terms (at most SEARCH_TERMS_MAX; the rest is
 * dropped), borrowing from `user`.  Returns the count. */
static int
search_parse(const char *user, struct search_term *terms)
{
    const char *p = user ? user : "";
    int n = 0, n_pos = 0, pending_or = 0;
    while (*p && n < SEARCH_TERMS_MAX) {
        while (is_blank(*p))
            p++;
        if (!*p)
            break;
        struct search_term tm = {0};
        if (*p == '-' && p[1] && !is_blank(p[1])) {
            tm.negate = 1;
            p++;
        }
        if (!strncmp(p, "prompt:", 7)) {
            tm.col = "prompt";
            p += 7;
        } else if (!strncmp(p, "response:", 9) || !strncmp(p, "responses:", 10)) {
            tm.col = "responses";
            p += p[8] == ':' ? 9 : 10;
        }
        int phrase = 0;
        if (*p == '"') {
            tm.t = ++p;
            while (*p && *p != '"')
                p++;
            tm.n = (size_t)(p - tm.t);
            if (*p == '"')
                p++;
            phrase = 1;
        } else {
            tm.t = p;
            while (*p && !is_blank(*p))
                p++;
            tm.n = (size_t)(p - tm.t);
        }
        if (!phrase && !tm.negate && !tm.col && tm.n == 2 && !strncmp(tm.t, "OR", 2)) {
            pending_or = n_pos > 0;
            continue;
        }
        if (!phrase && tm.n > 1 && tm.t[tm.n - 1] == '*') {
            tm.prefix = 1;
            tm.n--;
        }
        if (!has_token_chars(tm.t, tm.n))
            continue;
        if (!tm.negate) {
            tm.or_before = pending_or && n_pos > 0;
            n_pos++;
        }
        pending_or = 0;
        terms[n++] = tm;
    }
    return n;
}

int
store_fts_query(const char *user, struct strbuf *out, struct ps_err *err)
{
    struct search_term terms[SEARCH_TERMS_MAX];
    int n = search_parse(user, terms), n_pos = 0;
    struct strbuf pos = STRBUF_INIT, neg = STRBUF_INIT;
    for (int i = 0; i < n; i++) {
        const struct search_term *tm = &terms[i];
        struct strbuf *dst = tm->negate ? &neg : &pos;
        if (tm->negate)
            sb_puts(dst, " NOT ");
        else if (n_pos++)
            sb_puts(dst, tm->or_before ? " OR " : " AND ");
        if (tm->col) {
            sb_puts(dst, tm->col);
            sb_puts(dst, " : ");
        }
        fts_quote(dst, tm->t, tm->n);
        if (tm->prefix)
            sb_putc(dst, '*');
    }
    int rc = PS_OK;
    if (!n_pos) {
        rc = ps_error(err, PS_ERR_USAGE,
                      neg.len ? "search needs a word that must occur" : "nothing to search for");
    } else {
        /* AND binds tighter than OR in FTS5; group the positives before NOT. */
        sb_putc(out, '(');
        sb_append(out, pos.p, pos.len);
        sb_putc(out, ')');
        sb_append(out, neg.p ? neg.p : "", neg.len);
    }
    sb_free(&pos);
    sb_free(&neg);
    return rc;
}

/* ---- search in tags and notes ----
 * An item also matches a search when its tags and notes together do: every word
 * (or either side of OR) occurs in them as a substring, ASCII case-insensitively,
 * and no -word does.  A term limited to the prompt or the responses (prompt:,
 * response:) cannot match there.  Tags and notes are few (people write them), so
 * they are scanned with LIKE instead of being indexed. */

#define TN_PARAM0 100 /* first SQL parameter of the LIKE patterns */

struct tn_query {
    struct strbuf sql; /* SELECT item_id of the dataset ?1's items whose tags/notes match */
    struct strbuf pat[SEARCH_TERMS_MAX];
    int n_pat;
};

/* Build the query for `user`; 0 when nothing could match in tags and notes (no
 * positive term outside a column), then q is empty. */
static int
tn_build(const char *user, struct tn_query *q)
{
    memset(q, 0, sizeof *q);
    struct search_term terms[SEARCH_TERMS_MAX];
    int n = search_parse(user, terms), n_pos = 0, any = 0;
    struct strbuf pos = STRBUF_INIT, neg = STRBUF_INIT;
    for (int i = 0; i < n; i++) {
        const struct search_term *tm = &terms[i];
        if (tm->negate && tm->col)
            continue; /* "not in the prompt" says nothing of tags and notes */
        struct strbuf *dst = tm->negate ? &neg : &pos;
        if (tm->negate)
            sb_puts(dst, " AND NOT ");
        else if (n_pos++)
            sb_puts(dst, tm->or_before ? " OR " : " AND ");
        if (tm->col) {
            sb_puts(dst, "0");
            continue;
        }
        any |= !tm->negate;
        struct strbuf *pat = &q->pat[q->n_pat];
        sb_putc(pat, '%');
        for (size_t k = 0; k < tm->n; k++) {
            if (tm->t[k] == '%' || tm->t[k] == '_' || tm->t[k] == '\\')
                sb_putc(pat, '\\');
            sb_putc(pat, tm->t[k]);
        }
        sb_putc(pat, '%');
        sb_printf(dst, "tn LIKE ?%d ESCAPE '\\'", TN_PARAM0 + q->n_pat++);
    }
    if (any) {
        sb_puts(&q->sql,
                "SELECT item_id FROM (SELECT x.item_id, group_concat(x.t, char(10)) AS tn FROM"
                " (SELECT g.item_id, g.tag AS t FROM tag g JOIN item gi ON gi.id = g.item_id"
                " WHERE gi.dataset_id = ?1 UNION ALL SELECT o.item_id, o.text FROM note o"
                " JOIN item oi ON oi.id = o.item_id WHERE oi.dataset_id = ?1) x"
                " GROUP BY x.item_id) WHERE (");
        sb_append(&q->sql, pos.p, pos.len);
        sb_putc(&q->sql, ')');
        sb_append(&q->sql, neg.p ? neg.p : "", neg.len);
    }
    sb_free(&pos);
    sb_free(&neg);
    return any;
}

static void
tn_bind(sqlite3_stmt *s, const struct tn_query *q)
{
    for (int i = 0; i < q->n_pat; i++)
        sqlite3_bind_text(s, TN_PARAM0 + i, q->pat[i].p, (int)q->pat[i].len, SQLITE_TRANSIENT);
}

static void
tn_free(struct tn_query *q)
{
    sb_free(&q->sql);
    for (int i = 0; i < SEARCH_TERMS_MAX; i++)
        sb_free(&q->pat[i]);
}

/* ---- query building ---- */

static const char *
sort_key(const struct browse_filter *f)
{
    switch (f ? f->sort : BROWSE_SORT_SEQ) {
    case BROWSE_SORT_LEN_DIFF: return "s.diff";
    case BROWSE_SORT_PROMPT_LEN: return "s.prompt_len";
    default: return "s.seq";
    }
}

/* A search under the seq sort is driven by the FTS5 doclist in rowid order (item ids
 * grow with seq within a dataset), so a page of a common word does not collect all
 * of its matches first. */
static int
fts_driven(struct store *st, int64_t dataset_id, const struct browse_filter *f)
{
    if (!f || !f->search || f->sort != BROWSE_SORT_SEQ || f->plain_scan)
        return 0;
    /* Items found by their tags or notes are not in the doclist: then scan. */
    struct tn_query tq;
    int driven = 1;
    if (tn_build(f->search, &tq)) {
        struct strbuf q = STRBUF_INIT;
        sb_printf(&q, "SELECT EXISTS (%s)", sb_str(&tq.sql));
        sqlite3_stmt *s;
        if (sqlite3_prepare_v2(st->db, sb_str(&q), -1, &s, NULL) == SQLITE_OK) {
            sqlite3_bind_int64(s, 1, dataset_id);
            tn_bind(s, &tq);
            driven = sqlite3_step(s) == SQLITE_ROW && sqlite3_column_int(s, 0) == 0;
            sqlite3_finalize(s);
        }
        sb_free(&q);
    }
    tn_free(&tq);
    return driven;
}

static void append_filters_but_search(struct strbuf *q, const struct browse_filter *f);

/* Below this many judgments by the annotator, a "labeled by me" filter starts from
 * those judgments (then sorts them) instead of scanning the dataset in order and
 * probing each item: a human's few labels on a 1M-item dataset are then found in
 * 1 ms instead of 700 ms. */
#define LABEL_DRIVEN_MAX 20000

static int
label_positive(const struct browse_filter *f)
{
    return f && (f->label == BROWSE_LABEL_LABELED || f->label == BROWSE_LABEL_A ||
                 f->label == BROWSE_LABEL_B || f->label == BROWSE_LABEL_TIE);
}

static int
label_driven(struct store *st, const struct browse_filter *f)
{
    if (!label_positive(f) || f->plain_scan)
        return 0;
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(st->db,
                           "SELECT count(*) FROM (SELECT 1 FROM judgment WHERE annotator = ?1"
                           " LIMIT " PS_STR(LABEL_DRIVEN_MAX) " + 1)",
                           -1, &s, NULL) != SQLITE_OK)
        return 0;
    sqlite3_bind_text(s, 1, f->annotator ? f->annotator : "", -1, SQLITE_STATIC);
    int n = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int(s, 0) : LABEL_DRIVEN_MAX + 1;
    sqlite3_finalize(s);
    return n <= LABEL_DRIVEN_MAX;
}

/* FROM ... WHERE of the label-driven plans (`with_item`: also join item). */
static void
append_label_from(struct strbuf *q, const struct browse_filter *f, int with_item)
{
    sb_puts(q, " FROM (SELECT DISTINCT j.item_id AS id FROM judgment j WHERE j.annotator = ?2");
    if (f->label != BROWSE_LABEL_LABELED)
        sb_puts(q, " AND " NORM_VERDICT("j") " = ?6");
    sb_puts(q, ") m CROSS JOIN item_stat s ON s.item_id = m.id");
    if (with_item)
        sb_puts(q, " CROSS JOIN item i ON i.id = s.item_id");
    sb_puts(q, " WHERE s.dataset_id = ?1");
}

static void
append_filters(struct strbuf *q, const struct browse_filter *f)
{
    append_filters_but_search(q, f);
    if (!f || !f->search)
        return;
    struct tn_query tq;
    if (tn_build(f->search, &tq))
        sb_printf(q,
                  " AND (s.item_id IN (SELECT rowid FROM item_fts WHERE item_fts MATCH ?11)"
                  " OR s.item_id IN (%s))",
                  sb_str(&tq.sql));
    else
        sb_puts(q, " AND s.item_id IN (SELECT rowid FROM item_fts WHERE item_fts MATCH ?11)");
    tn_free(&tq);
}

static void
append_filters_but_search(struct strbuf *q, const struct browse_filter *f)
{
    if (!f)
        return;
    switch (f->label) {
    case BROWSE_LABEL_UNLABELED:
        sb_puts(q, " AND NOT EXISTS (SELECT 1 FROM judgment j WHERE j.annotator = ?2"
                   " AND j.item_id = s.item_id)");
        break;
    case BROWSE_LABEL_LABELED:
        sb_puts(q, " AND EXISTS (SELECT 1 FROM judgment j WHERE j.annotator = ?2"
                   " AND j.item_id = s.item_id)");
        break;
    case BROWSE_LABEL_A:
    case BROWSE_LABEL_B:
    case BROWSE_LABEL_TIE:
        sb_puts(q, " AND EXISTS (SELECT 1 FROM judgment j WHERE j.annotator = ?2"
                   " AND j.item_id = s.item_id AND " NORM_VERDICT("j") " = ?6)");
        break;
    default: break;
    }
    if (f->disagree)
        sb_puts(q, " AND s.disagree = 1");
    if (f->tag)
        sb_puts(q, " AND EXISTS (SELECT 1 FROM tag t WHERE t.item_id = s.item_id AND t.tag = ?7)");
    if (f->model && *f->model)
        sb_puts(q, " AND s.models LIKE ?8 ESCAPE '\\'");
    if (f->len_min > 0)
        sb_puts(q, " AND max(s.len0, s.len1) >= ?9");
    if (f->len_max > 0)
        sb_puts(q, " AND max(s.len0, s.len1) <= ?10");
}

/* Bind every parameter the generated SQL may use. */
static int
bind_params(sqlite3_stmt *s, int64_t dataset_id, const struct browse_filter *f, int64_t key,
            int64_t seq, int limit, struct strbuf *scratch, struct ps_err *err)
{
    int np = sqlite3_bind_parameter_count(s);
    sqlite3_bind_int64(s, P_DATASET, dataset_id);
    if (np >= P_ME)
        sqlite3_bind_text(s, P_ME, f && f->annotator ? f->annotator : "", -1, SQLITE_STATIC);
    if (np >= P_KEY)
        sqlite3_bind_int64(s, P_KEY, key);
    if (np >= P_SEQ)
        sqlite3_bind_int64(s, P_SEQ, seq);
    if (np >= P_LIMIT)
        sqlite3_bind_int(s, P_LIMIT, limit);
    if (!f)
        return PS_OK;
    if (np >= P_VERDICT) {
        const char *v = f->label == BROWSE_LABEL_A ? "A" : f->label == BROWSE_LABEL_B ? "B" : "tie";
        sqlite3_bind_text(s, P_VERDICT, v, -1, SQLITE_STATIC);
    }
    if (np >= P_TAG && f->tag)
        sqlite3_bind_text(s, P_TAG, f->tag, -1, SQLITE_STATIC);
    if (np >= P_MODEL && f->model) {
        /* LIKE pattern: %substring% with the wildcards of the input escaped. */
        sb_reset(scratch);
        sb_putc(scratch, '%');
        for (const char *p = f->model; *p; p++) {
            if (*p == '%' || *p == '_' || *p == '\\')
                sb_putc(scratch, '\\');
            sb_putc(scratch, *p);
        }
        sb_putc(scratch, '%');
        sqlite3_bind_text(s, P_MODEL, scratch->p, (int)scratch->len, SQLITE_TRANSIENT);
    }
    if (np >= P_LEN_MIN)
        sqlite3_bind_int64(s, P_LEN_MIN, f->len_min);
    if (np >= P_LEN_MAX)
        sqlite3_bind_int64(s, P_LEN_MAX, f->len_max);
    if (np >= P_FTS && f->search) {
        sb_reset(scratch);
        if (store_fts_query(f->search, scratch, err) != PS_OK)
            return err->code;
        sqlite3_bind_text(s, P_FTS, scratch->p, (int)scratch->len, SQLITE_TRANSIENT);
        if (np >= TN_PARAM0) {
            struct tn_query tq;
            if (tn_build(f->search, &tq))
                tn_bind(s, &tq);
            tn_free(&tq);
        }
    }
    return PS_OK;
}

/* A failed step: FTS5 reports a bad MATCH at step time, as a usage error. */
static int
step_error(struct store *st, const struct browse_filter *f, struct ps_err *err)
{
    const char *msg = sqlite3_errmsg(st->db);
    if (f && f->search && (strstr(msg, "fts5") || strstr(msg, "MATCH")))
        return ps_error(err, PS_ERR_USAGE, "search '%s': %s", f->search, msg);
    return store_dberr(st, err, "browse");
}

/* The id of the item at `seq` of the dataset. */
static int
item_id_at(struct store *st, int64_t dataset_id, int64_t seq, int64_t *id, struct ps_err *err)
{
    sqlite3_stmt *s;
    if (store_prepare(st, "SELECT id FROM item WHERE dataset_id = ?1 AND seq = ?2", &s, err) !=
        PS_OK)
        return err->code;
    sqlite3_bind_int64(s, 1, dataset_id);
    sqlite3_bind_int64(s, 2, seq);
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW)
        *id = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    if (rc == SQLITE_DONE)
        return ps_error(err, PS_ERR_NOTFOUND, "no item at index %lld", (long long)seq);
    if (rc != SQLITE_ROW)
        return store_dberr(st, err, "browse");
    return PS_OK;
}

/* The sort key of the item at `seq` (for a keyset anchor). */
static int
anchor_key(struct store *st, int64_t dataset_id, const struct browse_filter *f, int64_t seq,
           int64_t *key, struct ps_err *err)
{
    if (!f || f->sort == BROWSE_SORT_SEQ) {
        *key = seq;
        return PS_OK;
    }
    /* Found through item's (dataset_id, seq) key: given "dataset_id = ? AND seq = ?"
     * on item_stat, SQLite prefers scanning a covering sort index. */
    char sql[200];
    snprintf(sql, sizeof sql,
             "SELECT %s FROM item_stat s WHERE s.item_id ="
             " (SELECT id FROM item WHERE dataset_id = ?1 AND seq = ?2)",
             sort_key(f));
    sqlite3_stmt *s;
    if (store_prepare(st, sql, &s, err) != PS_OK)
        return err->code;
    sqlite3_bind_int64(s, 1, dataset_id);
    sqlite3_bind_int64(s, 2, seq);
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW)
        *key = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    if (rc == SQLITE_DONE)
        return ps_error(err, PS_ERR_NOTFOUND, "no item at index %lld", (long long)seq);
    if (rc != SQLITE_ROW)
        return store_dberr(st, err, "browse");
    return PS_OK;
}

static void
row_from_stmt(sqlite3_stmt *s, struct browse_row *r)
{
    memset(r, 0, sizeof *r);
    r->item_id = sqlite3_column_int64(s, 0);
    r->seq = sqlite3_column_int64(s, 1);
    r->preview = store_col_strdup(s, 2);
    if (!r->preview)
        r->preview = xstrdup("");
    r->n_resp = sqlite3_column_int(s, 3);
    r->len0 = sqlite3_column_int64(s, 4);
    r->len1 = sqlite3_column_int64(s, 5);
    r->my_label = store_verdict_parse((const char *)sqlite3_column_text(s, 6));
    r->ds_label = store_verdict_parse((const char *)sqlite3_column_text(s, 7));
    r->disagree = sqlite3_column_int(s, 8);
    r->tags = store_col_strdup(s, 9);
    r->models = store_col_strdup(s, 10);
    r->sort_key = sqlite3_column_int64(s, 11);
    r->has_note = sqlite3_column_int(s, 12);
}

/* backward = 0: rows after the anchor; 1: rows before it (returned in sort order). */
static int
browse_page(struct store *st, int64_t dataset_id, const struct browse_filter *f, int64_t anchor,
            int backward, int limit, struct browse_row **out, int *n, struct ps_err *err)
{
    *out = NULL;
    *n = 0;
    if (limit <= 0)
        return PS_OK;
    int64_t key = 0;
    int by_label = label_driven(st, f);
    int fts = !by_label && fts_driven(st, dataset_id, f);
    if (anchor >= 0 && !fts && anchor_key(st, dataset_id, f, anchor, &key, err) != PS_OK)
        return err->code;
    if (anchor >= 0 && fts && item_id_at(st, dataset_id, anchor, &key, err) != PS_OK)
        return err->code;
    int desc = (f && f->desc) != backward; /* the scan direction */
    const char *k = sort_key(f);
    struct strbuf q = STRBUF_INIT, scratch = STRBUF_INIT;
    /* clang-format off */
    sb_printf(&q,
              "SELECT s.item_id, s.seq, substr(coalesce(i.prompt, ''), 1, %d), s.n_resp, s.len0,"
              " s.len1,"
              " (SELECT " NORM_VERDICT("j") " FROM judgment j WHERE j.item_id = s.item_id"
              "   AND j.annotator = ?2 ORDER BY j.id DESC LIMIT 1),"
              " (SELECT " NORM_VERDICT("j") " FROM judgment j WHERE j.item_id = s.item_id"
              "   AND j.annotator <> ?2 ORDER BY j.annotator <> 'dataset', j.id LIMIT 1),"
              " s.disagree, (SELECT group_concat(t.tag, ',') FROM tag t WHERE t.item_id = s.item_id),"
              " s.models, %s,"
              " EXISTS (SELECT 1 FROM note n WHERE n.item_id = s.item_id)",
              PREVIEW_CHARS, k);
    /* clang-format on */
    if (fts) {
        sb_puts(&q, " FROM item_fts f CROSS JOIN item_stat s ON s.item_id = f.rowid"
                    " CROSS JOIN item i ON i.id = s.item_id"
                    " WHERE item_fts MATCH ?11 AND s.dataset_id = ?1");
        if (anchor >= 0)
            sb_printf(&q, " AND f.rowid %s ?3", desc ? "<" : ">");
        append_filters_but_search(&q, f);
        sb_printf(&q, " ORDER BY f.rowid %s LIMIT ?5", desc ? "DESC" : "ASC");
    } else {
        if (by_label)
            append_label_from(&q, f, 1);
        else
            sb_puts(&q, " FROM item_stat s CROSS JOIN item i ON i.id = s.item_id"
                        " WHERE s.dataset_id = ?1");
        if (anchor >= 0) {
            if (!strcmp(k, "s.seq"))
                sb_printf(&q, " AND s.seq %s ?4", desc ? "<" : ">");
            else
                sb_printf(&q, " AND (%s, s.seq) %s (?3, ?4)", k, desc ? "<" : ">");
        }
        append_filters(&q, f);
        if (!strcmp(k, "s.seq"))
            sb_printf(&q, " ORDER BY s.seq %s LIMIT ?5", desc ? "DESC" : "ASC");
        else
            sb_printf(&q, " ORDER BY %s %s, s.seq %s LIMIT ?5", k, desc ? "DESC" : "ASC",
                      desc ? "DESC" : "ASC");
    }

    sqlite3_stmt *s = NULL;
    int rc = store_prepare(st, q.p, &s, err);
    if (rc == PS_OK)
        rc = bind_params(s, dataset_id, f, key, anchor, limit, &scratch, err);
    if (rc == PS_OK) {
        struct browse_row *rows = xcalloc((size_t)limit, sizeof *rows);
        int cnt = 0, src;
        while (cnt < limit && (src = sqlite3_step(s)) == SQLITE_ROW)
            row_from_stmt(s, &rows[cnt++]);
        if (cnt < limit && src != SQLITE_DONE) {
            rc = step_error(st, f, err);
            store_browse_rows_free(rows, cnt);
        } else {
            if (backward) {
                for (int a = 0, b = cnt - 1; a < b; a++, b--) {
                    struct browse_row t = rows[a];
                    rows[a] = rows[b];
                    rows[b] = t;
                }
            }
            *out = rows;
            *n = cnt;
        }
    }
    sqlite3_finalize(s);
    sb_free(&q);
    sb_free(&scratch);
    return rc;
}

int
store_browse_rows(struct store *st, int64_t dataset_id, const struct browse_filter *f,
                  int64_t after_seq, int limit, struct browse_row **out, int *n, struct ps_err *err)
{
    return browse_page(st, dataset_id, f, after_seq, 0, limit, out, n, err);
}

int
store_browse_rows_before(struct store *st, int64_t dataset_id, const struct browse_filter *f,
                         int64_t before_seq, int limit, struct browse_row **out, int *n,
                         struct ps_err *err)
{
    return browse_page(st, dataset_id, f, before_seq, 1, limit, out, n, err);
}

void
store_browse_rows_free(struct browse_row *rows, int n)
{
    if (!rows)
        return;
    for (int i = 0; i < n; i++) {
        free(rows[i].preview);
        free(rows[i].tags);
        free(rows[i].models);
    }
    free(rows);
}

/* ---- counting, with a cache ---- */

static int
filter_is_empty(const struct browse_filter *f)
{
    return !f || (f->label == BROWSE_LABEL_ANY && !f->disagree && !f->tag &&
                  !(f->model && *f->model) && f->len_min <= 0 && f->len_max <= 0 && !f->search);
}

/* A string that identifies a filter's matching set (not its sort). */
static void
filter_signature(const struct browse_filter *f, int64_t dataset_id, struct strbuf *sig)
{
    sb_printf(sig, "%lld|", (long long)dataset_id);
    if (!f)
        return;
    sb_printf(sig, "%d|%d|%lld|%lld|", (int)f->label, f->disagree, (long long)f->len_min,
              (long long)f->len_max);
    const char *strs[] = {f->annotator, f->tag, f->model, f->search};
    for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++) {
        if (strs[i])
            sb_printf(sig, "%zu:%s|", strlen(strs[i]), strs[i]);
        else
            sb_puts(sig, "-|");
    }
}

#define BROWSE_CACHE_SLOTS 8

struct browse_cache {
    struct {
        char *sig;
        int64_t version, changes, count;
    } slot[BROWSE_CACHE_SLOTS];
    int next;
};

void
store_browse_cache_free(struct browse_cache *c)
{
    if (!c)
        return;
    for (int i = 0; i < BROWSE_CACHE_SLOTS; i++)
        free(c->slot[i].sig);
    free(c);
}

/* Another connection's commit changes PRAGMA data_version; ours change the total
 * change count.  Either invalidates cached counts. */
static void
db_version(struct store *st, int64_t *version, int64_t *changes)
{
    *version = store_data_version(st);
#if SQLITE_VERSION_NUMBER >= 3037000
    *changes = (int64_t)sqlite3_total_changes64(st->db);
#else /* the glibc 2.31 bundle links Debian 11's sqlite (scripts/build-portable-compat.sh) */
    *changes = (int64_t)sqlite3_total_changes(st->db);
#endif
}

static int
count_where(struct store *st, int64_t dataset_id, const struct browse_filter *f, const char *extra,
            int64_t key, int64_t seq, int64_t *count, struct ps_err *err)
{
    struct strbuf q = STRBUF_INIT, scratch = STRBUF_INIT;
    sb_puts(&q, "SELECT count(*)");
    if (label_driven(st, f))
        append_label_from(&q, f, 0);
    else
        sb_puts(&q, " FROM item_stat s WHERE s.dataset_id = ?1");
    if (extra)
        sb_puts(&q, extra);
    append_filters(&q, f);
    sqlite3_stmt *s = NULL;
    int rc = store_prepare(st, q.p, &s, err);
    if (rc == PS_OK)
        rc = bind_params(s, dataset_id, f, key, seq, 0, &scratch, err);
    if (rc == PS_OK) {
        if (sqlite3_step(s) == SQLITE_ROW)
            *count = sqlite3_column_int64(s, 0);
        else
            rc = step_error(st, f, err);
    }
    sqlite3_finalize(s);
    sb_free(&q);
    sb_free(&scratch);
    return rc;
}

/* "Unlabeled by me" and no other filter, while I have few labels: counted as the
 * complement of my labels (a label changes the workspace, so a cached count would be
 * recomputed by a scan after every keypress). */
static int
unlabeled_only(struct store *st, const struct browse_filter *f, struct browse_filter *all,
               struct browse_filter *labeled)
{
    if (!f || f->label != BROWSE_LABEL_UNLABELED)
        return 0;
    *all = *f;
    all->label = BROWSE_LABEL_ANY;
    if (!filter_is_empty(all))
        return 0;
    *labeled = *f;
    labeled->label = BROWSE_LABEL_LABELED;
    return label_driven(st, labeled);
}

int
store_browse_count(struct store *st, int64_t dataset_id, const struct browse_filter *f,
                   int64_t *count, struct ps_err *err)
{
    struct browse_filter all, labeled;
    if (unlabeled_only(st, f, &all, &labeled)) {
        int64_t total, mine;
        if (store_browse_count(st, dataset_id, &all, &total, err) != PS_OK ||
            count_where(st, dataset_id, &labeled, NULL, 0, 0, &mine, err) != PS_OK)
            return err->code;
        *count = total - mine;
        return PS_OK;
    }
    if (filter_is_empty(f)) {
        sqlite3_stmt *s;
        if (store_prepare(st, "SELECT n_items FROM dataset WHERE id = ?1", &s, err) != PS_OK)
            return err->code;
        sqlite3_bind_int64(s, 1, dataset_id);
        int rc = sqlite3_step(s);
        *count = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
        sqlite3_finalize(s);
        if (rc == SQLITE_DONE)
            return ps_error(err, PS_ERR_NOTFOUND, "no dataset %lld", (long long)dataset_id);
        return rc == SQLITE_ROW ? PS_OK : store_dberr(st, err, "count");
    }
    struct strbuf sig = STRBUF_INIT;
    filter_signature(f, dataset_id, &sig);
    int64_t version, changes;
    db_version(st, &version, &changes);
    if (!st->browse)
        st->browse = xcalloc(1, sizeof *st->browse);
    struct browse_cache *c = st->browse;
    for (int i = 0; i < BROWSE_CACHE_SLOTS; i++) {
        if (c->slot[i].sig && !strcmp(c->slot[i].sig, sig.p) && c->slot[i].version == version &&
            c->slot[i].changes == changes) {
            *count = c->slot[i].count;
            sb_free(&sig);
            return PS_OK;
        }
    }
    int rc = count_where(st, dataset_id, f, NULL, 0, 0, count, err);
    if (rc == PS_OK) {
        int i = c->next;
        c->next = (c->next + 1) % BROWSE_CACHE_SLOTS;
        free(c->slot[i].sig);
        c->slot[i].sig = sb_take(&sig);
        c->slot[i].version = version;
        c->slot[i].changes = changes;
        c->slot[i].count = *count;
    }
    sb_free(&sig);
    return rc;
}

int
store_browse_position(struct store *st, int64_t dataset_id, const struct browse_filter *f,
                      int64_t seq, int64_t *pos, struct ps_err *err)
{
    int64_t key = 0;
    if (anchor_key(st, dataset_id, f, seq, &key, err) != PS_OK)
        return err->code;
    int desc = f && f->desc;
    char extra[96];
    struct browse_filter all, labeled;
    int complement = unlabeled_only(st, f, &all, &labeled);
    if (complement) {
        int64_t before_all, before_mine;
        if (f->sort == BROWSE_SORT_SEQ)
            snprintf(extra, sizeof extra, " AND s.seq %s ?4", desc ? ">" : "<");
        else
            snprintf(extra, sizeof extra, " AND (%s, s.seq) %s (?3, ?4)", sort_key(f),
                     desc ? ">" : "<");
        if (store_browse_position(st, dataset_id, &all, seq, &before_all, err) != PS_OK ||
            count_where(st, dataset_id, &labeled, extra, key, seq, &before_mine, err) != PS_OK)
            return err->code;
        *pos = before_all - before_mine;
        return PS_OK;
    }
    if (!f || f->sort == BROWSE_SORT_SEQ) {
        /* Items are numbered densely from 0, so without a filter this is free. */
        if (filter_is_empty(f)) {
            if (desc) {
                int64_t total;
                if (store_browse_count(st, dataset_id, f, &total, err) != PS_OK)
                    return err->code;
                *pos = total - 1 - seq;
            } else {
                *pos = seq;
            }
            return PS_OK;
        }
        snprintf(extra, sizeof extra, " AND s.seq %s ?4", desc ? ">" : "<");
    } else {
        snprintf(extra, sizeof extra, " AND (%s, s.seq) %s (?3, ?4)", sort_key(f),
                 desc ? ">" : "<");
    }
    return count_where(st, dataset_id, f, extra, key, seq, pos, err);
}

/* ---- sampling ---- */

static const char *
stratum_expr(enum browse_stratum st)
{
    switch (st) {
    case BROWSE_STRATUM_MODEL: return "coalesce(s.models, '')";
    case BROWSE_STRATUM_DISAGREE: return "s.disagree";
    case BROWSE_STRATUM_RESPONSES: return "s.n_resp";
    default: return "0";
    }
}

static uint64_t
sample_next(uint64_t *x)
{
    *x ^= *x >> 12;
    *x ^= *x << 25;
    *x ^= *x >> 27;
    return *x * 0x2545F4914F6CDD1DULL;
}

static int
sample_cmp_seq(const void *a, const void *b)
{
    const int64_t *x = a, *y = b; /* (seq, id) pairs */
    return x[0] < y[0] ? -1 : x[0] > y[0];
}

/* The matching rows' strata (pass 1: with counts; pass 2: with ids), in stratum order. */
static int
sample_query(struct store *st, int64_t dataset_id, const struct browse_filter *f,
             enum browse_stratum stratum, int counts, sqlite3_stmt **s, struct strbuf *scratch,
             struct ps_err *err)
{
    struct strbuf q = STRBUF_INIT;
    const char *ex = stratum_expr(stratum);
    if (counts)
        sb_printf(&q, "SELECT %s, count(*)", ex);
    else
        sb_printf(&q, "SELECT %s, s.item_id, s.seq", ex);
    sb_puts(&q, " FROM item_stat s WHERE s.dataset_id = ?1");
    append_filters(&q, f);
    sb_printf(&q, counts ? " GROUP BY 1 ORDER BY 1" : " ORDER BY 1, s.seq");
    int rc = store_prepare(st, q.p, s, err);
    sb_free(&q);
    if (rc == PS_OK)
        rc = bind_params(*s, dataset_id, f, 0, 0, 0, scratch, err);
    return rc;
}

int
store_browse_sample(struct store *st, int64_t dataset_id, const struct browse_filter *f, int n,
                    enum browse_stratum stratum, uint64_t seed, int64_t **ids, int *n_ids,
                    struct ps_err *err)
{
    *ids = NULL;
    *n_ids = 0;
    struct strbuf scratch = STRBUF_INIT;
    sqlite3_stmt *s = NULL;
    int64_t *size = NULL, total = 0;
    int nstrata = 0, cap = 0, rc;
    /* Pass 1: stratum sizes. */
    if ((rc = sample_query(st, dataset_id, f, stratum, 1, &s, &scratch, err)) != PS_OK)
        goto out;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        size = xgrow(size, sizeof *size, nstrata, &cap, 16);
        size[nstrata++] = sqlite3_column_int64(s, 1);
        total += size[nstrata - 1];
    }
    sqlite3_finalize(s);
    s = NULL;
    if (rc != SQLITE_DONE) {
        rc = step_error(st, f, err);
        goto out;
    }
    int want = n < 0 ? 0 : total < n ? (int)total : n;
    /* Proportional allocation, largest remainders first. */
    int *alloc = xcalloc((size_t)(nstrata ? nstrata : 1), sizeof *alloc);
    double *rem = xcalloc((size_t)(nstrata ? nstrata : 1), sizeof *rem);
    int given = 0;
    for (int i = 0; i < nstrata; i++) {
        double share = total ? (double)want * (double)size[i] / (double)total : 0;
        alloc[i] = (int)share;
        rem[i] = share - alloc[i];
        given += alloc[i];
    }
    while (given < want) {
        int best = -1;
        for (int i = 0; i < nstrata; i++)
            if (alloc[i] < size[i] && (best < 0 || rem[i] > rem[best]))
                best = i;
        if (best < 0)
            break;
        alloc[best]++;
        rem[best] = -1;
        given++;
    }
    /* Pass 2: a reservoir per stratum, strata in the same order as pass 1. */
    int64_t *res = xcalloc((size_t)(want ? want : 1), 2 * sizeof *res); /* (seq, id) */
    uint64_t x = seed * 0x9E3779B97F4A7C15ULL + 0x632BE59BD9B4E019ULL;
    if (!x)
        x = 1;
    if ((rc = sample_query(st, dataset_id, f, stratum, 0, &s, &scratch, err)) == PS_OK) {
        int k = -1, base = 0, nbase = 0;
        int64_t seen = 0;
        sqlite3_value *prev = NULL;
        while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
            sqlite3_value *v = sqlite3_column_value(s, 0);
            int same = prev && sqlite3_value_type(prev) == sqlite3_value_type(v) &&
                       sqlite3_value_bytes(prev) == sqlite3_value_bytes(v) &&
                       (sqlite3_value_type(v) == SQLITE_INTEGER
                            ? sqlite3_value_int64(prev) == sqlite3_value_int64(v)
                            : memcmp(sqlite3_value_blob(prev), sqlite3_value_blob(v),
                                     (size_t)sqlite3_value_bytes(v)) == 0);
            if (!same) {
                base += nbase;
                k++;
                nbase = 0;
                seen = 0;
                sqlite3_value_free(prev);
                prev = sqlite3_value_dup(v);
            }
            if (k >= nstrata)
                break; /* the data changed between the passes */
            int64_t row[2] = {sqlite3_column_int64(s, 2), sqlite3_column_int64(s, 1)};
            if (seen < alloc[k]) {
                memcpy(res + 2 * (base + seen), row, sizeof row);
                nbase++;
            } else {
                uint64_t j = sample_next(&x) % (uint64_t)(seen + 1);
                if (j < (uint64_t)alloc[k])
                    memcpy(res + 2 * (base + (int)j), row, sizeof row);
            }
            seen++;
        }
        sqlite3_value_free(prev);
        sqlite3_finalize(s);
        s = NULL;
        if (rc == SQLITE_DONE || rc == SQLITE_ROW) {
            int got = base + nbase;
            qsort(res, (size_t)got, 2 * sizeof *res, sample_cmp_seq);
            *ids = xcalloc((size_t)(got ? got : 1), sizeof **ids);
            for (int i = 0; i < got; i++)
                (*ids)[i] = res[2 * i + 1];
            *n_ids = got;
            rc = PS_OK;
        } else {
            rc = step_error(st, f, err);
        }
    }
    free(res);
    free(alloc);
    free(rem);
out:
    sqlite3_finalize(s);
    free(size);
    sb_free(&scratch);
    return rc;
}

/* ---- search ---- */

/* The seq of the next (dir > 0) or previous item of the dataset after/before item
 * id `from_id` that matches in its tags and notes; PS_ERR_NOTFOUND when none. */
static int
tn_search_next(struct store *st, int64_t dataset_id, const char *query, int64_t from_id, int dir,
               int64_t *seq, struct ps_err *err)
{
    struct tn_query tq;
    if (!tn_build(query, &tq)) {
        tn_free(&tq);
        return PS_ERR_NOTFOUND;
    }
    struct strbuf q = STRBUF_INIT;
    sb_printf(&q,
              "SELECT i.seq FROM item i WHERE i.dataset_id = ?1 AND i.id %s ?2 AND i.id IN (%s)"
              " ORDER BY i.id %s LIMIT 1",
              dir > 0 ? ">" : "<", sb_str(&tq.sql), dir > 0 ? "ASC" : "DESC");
    sqlite3_stmt *s;
    int ret = store_prepare(st, sb_str(&q), &s, err);
    if (ret == PS_OK) {
        sqlite3_bind_int64(s, 1, dataset_id);
        sqlite3_bind_int64(s, 2, from_id);
        tn_bind(s, &tq);
        int rc = sqlite3_step(s);
        if (rc == SQLITE_ROW)
            *seq = sqlite3_column_int64(s, 0);
        else
            ret = rc == SQLITE_DONE ? PS_ERR_NOTFOUND : store_dberr(st, err, "search notes");
        sqlite3_finalize(s);
    }
    sb_free(&q);
    tn_free(&tq);
    return ret;
}

int
store_search_next(struct store *st, int64_t dataset_id, const char *query, int64_t from_seq,
                  int dir, int64_t *seq, struct ps_err *err)
{
    struct strbuf q = STRBUF_INIT;
    if (store_fts_query(query, &q, err) != PS_OK) {
        sb_free(&q);
        return err->code;
    }
    /* Within a dataset, item ids grow with seq (both are assigned in import order),
     * so FTS5 can walk its doclist in rowid order from the anchor and stop at the
     * first hit of this dataset instead of collecting every match. */
    int64_t from_id = dir > 0 ? 0 : INT64_MAX;
    if (from_seq >= 0 && item_id_at(st, dataset_id, from_seq, &from_id, err) != PS_OK) {
        sb_free(&q);
        return err->code;
    }
    const char *sql = dir > 0 ? "SELECT i.seq FROM item_fts f CROSS JOIN item i ON i.id = f.rowid"
                                " WHERE item_fts MATCH ?1 AND f.rowid > ?2 AND i.dataset_id = ?3"
                                " ORDER BY f.rowid ASC LIMIT 1"
                              : "SELECT i.seq FROM item_fts f CROSS JOIN item i ON i.id = f.rowid"
                                " WHERE item_fts MATCH ?1 AND f.rowid < ?2 AND i.dataset_id = ?3"
                                " ORDER BY f.rowid DESC LIMIT 1";
    sqlite3_stmt *s;
    if (store_prepare(st, sql, &s, err) != PS_OK) {
        sb_free(&q);
        return err->code;
    }
    sqlite3_bind_text(s, 1, q.p, (int)q.len, SQLITE_STATIC);
    sqlite3_bind_int64(s, 2, from_id);
    sqlite3_bind_int64(s, 3, dataset_id);
    int rc = sqlite3_step(s), ret = PS_OK, found = 0;
    if (rc == SQLITE_ROW) {
        *seq = sqlite3_column_int64(s, 0);
        found = 1;
    } else if (rc != SQLITE_DONE) {
        ret = ps_error(err, PS_ERR_USAGE, "search '%s': %s", query, sqlite3_errmsg(st->db));
    }
    sqlite3_finalize(s);
    sb_free(&q);
    if (ret != PS_OK)
        return ret;
    /* The nearer of the text's match and the tags' and notes' match. */
    int64_t tseq;
    rc = tn_search_next(st, dataset_id, query, from_id, dir, &tseq, err);
    if (rc == PS_OK && (!found || (dir > 0 ? tseq < *seq : tseq > *seq))) {
        *seq = tseq;
        found = 1;
    } else if (rc != PS_OK && rc != PS_ERR_NOTFOUND) {
        return rc;
    }
    if (!found)
        return ps_error(err, PS_ERR_NOTFOUND, "no more matches for '%s'", query);
    return PS_OK;
}

int
store_search_rank(struct store *st, int64_t dataset_id, const char *query, int64_t seq, int64_t cap,
                  int64_t *rank, int64_t *total, struct ps_err *err)
{
    *rank = *total = 0;
    struct strbuf q = STRBUF_INIT;
    if (store_fts_query(query, &q, err) != PS_OK) {
        sb_free(&q);
        return err->code;
    }
    sqlite3_stmt *s;
    if (store_prepare(st,
                      "SELECT count(*), coalesce(sum(seq <= ?3), 0) FROM (SELECT i.seq AS seq"
                      " FROM item_fts f CROSS JOIN item i ON i.id = f.rowid"
                      " WHERE item_fts MATCH ?1 AND i.dataset_id = ?2 LIMIT ?4)",
                      &s, err) != PS_OK) {
        sb_free(&q);
        return err->code;
    }
    sqlite3_bind_text(s, 1, q.p, (int)q.len, SQLITE_STATIC);
    sqlite3_bind_int64(s, 2, dataset_id);
    sqlite3_bind_int64(s, 3, seq);
    sqlite3_bind_int64(s, 4, cap > 0 ? cap + 1 : -1);
    int rc = sqlite3_step(s), ret = PS_OK;
    if (rc == SQLITE_ROW) {
        *total = sqlite3_column_int64(s, 0);
        *rank = sqlite3_column_int64(s, 1);
    } else {
        ret = ps_error(err, PS_ERR_USAGE, "search '%s': %s", query, sqlite3_errmsg(st->db));
    }
    sqlite3_finalize(s);
    /* Plus the items matched only by their tags and notes. */
    struct tn_query tq;
    memset(&tq, 0, sizeof tq);
    if (ret == PS_OK && (cap <= 0 || *total <= cap) && tn_build(query, &tq)) {
        struct strbuf tsql = STRBUF_INIT;
        sb_printf(&tsql,
                  "SELECT count(*), coalesce(sum(i.seq <= ?3), 0) FROM item i"
                  " WHERE i.dataset_id = ?1 AND i.id IN (%s) AND NOT EXISTS (SELECT 1 FROM"
                  " item_fts f WHERE item_fts MATCH ?2 AND f.rowid = i.id)",
                  sb_str(&tq.sql));
        ret = store_prepare(st, sb_str(&tsql), &s, err);
        if (ret == PS_OK) {
            sqlite3_bind_int64(s, 1, dataset_id);
            sqlite3_bind_text(s, 2, q.p, (int)q.len, SQLITE_STATIC);
            sqlite3_bind_int64(s, 3, seq);
            tn_bind(s, &tq);
            if (sqlite3_step(s) == SQLITE_ROW) {
                *total += sqlite3_column_int64(s, 0);
                *rank += sqlite3_column_int64(s, 1);
                if (cap > 0 && *total > cap)
                    *total = cap + 1;
            } else {
                ret = store_dberr(st, err, "search notes");
            }
            sqlite3_finalize(s);
        }
        sb_free(&tsql);
    }
    tn_free(&tq);
    sb_free(&q);
    return ret;
}

/* ---- agreement ---- */

int
store_agreement(struct store *st, int64_t dataset_id, const char *annotator,
                struct store_agreement **out, int *n, struct ps_err *err)
{
    sqlite3_stmt *s;
    *out = NULL;
    *n = 0;
    /* For each (annotator, item, unordered pair) the newest judgment counts: a bare
     * column next to max(id) takes its values from that row in SQLite. */
    /* clang-format off */
    if (store_prepare(st,
                "WITH mine AS (SELECT j.item_id AS item_id,"
                "   min(j.response_a, j.response_b) AS lo, max(j.response_a, j.response_b) AS hi,"
                "   " NORM_VERDICT("j") " AS v, max(j.id)"
                "   FROM judgment j CROSS JOIN item i ON i.id = j.item_id"
                "   WHERE j.annotator = ?2 AND i.dataset_id = ?1"
                "   GROUP BY j.item_id, lo, hi),"
                " theirs AS (SELECT o.annotator AS annotator, m.v AS mv,"
                "   " NORM_VERDICT("o") " AS v, max(o.id)"
                "   FROM mine m CROSS JOIN judgment o ON o.item_id = m.item_id"
                "   WHERE o.annotator <> ?2"
                "     AND min(o.response_a, o.response_b) = m.lo"
                "     AND max(o.response_a, o.response_b) = m.hi"
                "   GROUP BY o.annotator, m.item_id, m.lo, m.hi)"
                " SELECT annotator, count(*), sum(mv = v) FROM theirs"
                " WHERE mv <> 'invalid' AND v <> 'invalid'"
                " GROUP BY annotator ORDER BY annotator",
                &s, err) != PS_OK)
        return err->code;
    /* clang-format on */
    sqlite3_bind_int64(s, 1, dataset_id);
    store_bind_text(s, 2, annotator ? annotator : "");
    int cap = 0, cnt = 0, rc;
    struct store_agreement *v = NULL;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        v = xgrow(v, sizeof *v, cnt, &cap, 4);
        v[cnt].annotator = store_col_strdup(s, 0);
        v[cnt].both = sqlite3_column_int64(s, 1);
        v[cnt].agree = sqlite3_column_int64(s, 2);
        cnt++;
    }
    sqlite3_finalize(s);
    if (rc != SQLITE_DONE) {
        store_agreement_free(v, cnt);
        return store_dberr(st, err, "agreement");
    }
    *out = v;
    *n = cnt;
    return PS_OK;
}

void
store_agreement_free(struct store_agreement *v, int n)
{
    if (!v)
        return;
    for (int i = 0; i < n; i++)
        free(v[i].annotator);
    free(v);
}
