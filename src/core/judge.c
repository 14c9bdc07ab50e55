/* Judge templates and the tolerant verdict parser (see judge.h). */
#include "core/judge.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "core/stats.h"
#include "core/xalloc.h"

/* ---- templates ---- */

/* Is [s, e) a section header "--- name ---"?  Sets the name span. */
static int
section_header(const char *s, const char *e, const char **name, size_t *len)
{
    while (s < e && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
        e--;
    if (e - s < 7 || strncmp(s, "---", 3) != 0 || strncmp(e - 3, "---", 3) != 0)
        return 0;
    s += 3;
    e -= 3;
    while (s < e && (*s == ' ' || *s == '\t'))
        s++;
    while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
        e--;
    if (s == e)
        return 0;
    for (const char *p = s; p < e; p++)
        if (!isalnum((unsigned char)*p) && *p != '_' && *p != '-')
            return 0;
    *name = s;
    *len = (size_t)(e - s);
    return 1;
}

static char *
trim_dup(const char *s, size_t n)
{
    while (n > 0 && (*s == '\n' || *s == '\r'))
        s++, n--;
    while (n > 0 && isspace((unsigned char)s[n - 1]))
        n--;
    return xstrndup(s, n);
}

int
judge_template_parse(const char *text, struct judge_template *out, struct ps_err *err)
{
    memset(out, 0, sizeof *out);
    const char *sec_start = text, *p = text;
    char **target = &out->user; /* text before any header */
    int line = 1;
    for (;;) {
        const char *le = strchr(p, '\n');
        const char *end = le ? le : p + strlen(p);
        const char *name;
        size_t nlen;
        int hdr = section_header(p, end, &name, &nlen);
        if (hdr || !le) {
            const char *stop = hdr ? p : end;
            char *body = trim_dup(sec_start, (size_t)(stop - sec_start));
            if (*body || !*target) {
                free(*target);
                *target = body;
            } else {
                free(body);
            }
        }
        if (hdr) {
            if (nlen == 6 && strncmp(name, "system", 6) == 0) {
                target = &out->system;
            } else if (nlen == 4 && strncmp(name, "user", 4) == 0) {
                target = &out->user;
            } else {
                judge_template_free(out);
                return ps_error(
                    err, PS_ERR_PARSE,
                    "template line %d: unknown section '%.*s' (expected system or user)", line,
                    (int)nlen, name);
            }
            sec_start = le ? le + 1 : end;
        }
        if (!le)
            break;
        p = le + 1;
        line++;
    }
    if (out->system && !*out->system) {
        free(out->system);
        out->system = NULL;
    }
    if (!out->user || !*out->user) {
        judge_template_free(out);
        return ps_error(err, PS_ERR_PARSE, "template has no user message");
    }
    return PS_OK;
}

void
judge_template_free(struct judge_template *t)
{
    free(t->system);
    free(t->user);
    memset(t, 0, sizeof *t);
}

int
judge_render(struct strbuf *sb, const char *tmpl, const char *const *keys, const char *const *vals,
             int n, struct ps_err *err)
{
    const char *p = tmpl;
    for (;;) {
        const char *open = strstr(p, "{{");
        if (!open) {
            sb_puts(sb, p);
            return PS_OK;
        }
        const char *close = strstr(open + 2, "}}");
        if (!close) {
            sb_puts(sb, p);
            return PS_OK;
        }
        sb_append(sb, p, (size_t)(open - p));
        const char *ns = open + 2, *ne = close;
        while (ns < ne && isspace((unsigned char)*ns))
            ns++;
        while (ne > ns && isspace((unsigned char)ne[-1]))
            ne--;
        int k = 0;
        for (; k < n; k++)
            if (strlen(keys[k]) == (size_t)(ne - ns) &&
                strncmp(keys[k], ns, (size_t)(ne - ns)) == 0)
                break;
        if (k == n)
            return ps_error(err, PS_ERR_PARSE, "template: unknown placeholder {{%.*s}}",
                            (int)(ne - ns), ns);
        if (vals[k])
            sb_puts(sb, vals[k]);
        p = close + 2;
    }
}

/* ---- verdict parsing ---- */

/* The class of a label token [s, s+n) (lowercase text); -1 when it is none.
 * Single letters count only when `letters` allows (the keyword rule wants them
 * uppercase in the original, checked by the caller). */
static int
label_class(const char *s, size_t n, int allow_c)
{
    static const struct {
        const char *word;
        int cls;
    } words[] = {
        {"a", STATS_A},
        {"1", STATS_A},
        {"b", STATS_B},
        {"2", STATS_B},
        {"tie", STATS_TIE},
        {"tied", STATS_TIE},
        {"draw", STATS_TIE},
        {"equal", STATS_TIE},
        {"both", STATS_TIE},
        {"neither", STATS_TIE},
        {"same", STATS_TIE},
        {"0", STATS_TIE},
        {"equally good", STATS_TIE},
    };
    while (n > 0 &&
           (isspace((unsigned char)*s) || *s == '"' || *s == '\'' || *s == '*' || *s == '('))
        s++, n--;
    while (n > 0 && (isspace((unsigned char)s[n - 1]) || s[n - 1] == '"' || s[n - 1] == '\'' ||
                     s[n - 1] == '*' || s[n - 1] == ')' || s[n - 1] == '.'))
        n--;
    /* "response a", "assistant b", "output (a)" */
    static const char *const prefixes[] = {"response ", "assistant ", "output ", "model ",
                                           "answer "};
    for (size_t i = 0; i < sizeof prefixes / sizeof *prefixes; i++) {
        size_t pl = strlen(prefixes[i]);
        if (n > pl && strncmp(s, prefixes[i], pl) == 0) {
            s += pl;
            n -= pl;
            while (n > 0 && (*s == '(' || *s == ' '))
                s++, n--;
            while (n > 0 && s[n - 1] == ')')
                n--;
            break;
        }
    }
    if (allow_c && n == 1 && *s == 'c')
        return STATS_TIE;
    for (size_t i = 0; i < sizeof words / sizeof *words; i++)
        if (strlen(words[i].word) == n && strncmp(words[i].word, s, n) == 0)
            return words[i].cls;
    return -1;
}

struct hit {
    long pos;
    int cls;
};

static void
hit_keep(struct hit *h, long pos, int cls)
{
    if (cls >= 0 && pos >= h->pos) {
        h->pos = pos;
        h->cls = cls;
    }
}

/* "key": value  (quotes optional around the value, single or double) */
static void
rule_json(const char *low, struct hit *h)
{
    static const char *const keys[] = {"winner", "verdict", "preference", "better",
                                       "choice", "answer",  "preferred",  "result"};
    for (size_t k = 0; k < sizeof keys / sizeof *keys; k++) {
        size_t kl = strlen(keys[k]);
        for (const char *p = low; (p = strstr(p, keys[k])) != NULL; p += kl) {
            if (p == low || (p[-1] != '"' && p[-1] != '\''))
                continue;
            const char *q = p + kl;
            if (*q != p[-1])
                continue;
            q++;
            while (*q == ' ' || *q == '\t')
                q++;
            if (*q != ':')
                continue;
            q++;
            while (isspace((unsigned char)*q))
                q++;
            const char *v = q;
            if (*v == '"' || *v == '\'') {
                char quote = *v++;
                const char *e = strchr(v, quote);
                if (!e)
                    continue;
                hit_keep(h, p - low, label_class(v, (size_t)(e - v), 0));
            } else {
                const char *e = v;
                while (*e && *e != ',' && *e != '}' && *e != '\n')
                    e++;
                hit_keep(h, p - low, label_class(v, (size_t)(e - v), 0));
            }
        }
    }
}

static void
rule_brackets(const char *low, struct hit *h)
{
    for (const char *p = low; (p = strstr(p, "[[")) != NULL; p += 2) {
        const char *e = strstr(p + 2, "]]");
        if (!e || e - p > 40)
            continue;
        hit_keep(h, p - low, label_class(p + 2, (size_t)(e - p - 2), 1));
    }
}

static void
rule_output(const char *low, struct hit *h)
{
    for (const char *p = low; (p = strstr(p, "output (")) != NULL; p += 8) {
        const char *v = p + 8;
        if ((v[0] == 'a' || v[0] == 'b') && v[1] == ')')
            hit_keep(h, p - low, v[0] == 'a' ? STATS_A : STATS_B);
    }
}

/* A label token starting at text offset i (original text `orig` for case). */
static int
label_at(const char *orig, const char *low, size_t i, size_t *len)
{
    const char *s = low + i;
    size_t n = 0;
    while (isalnum((unsigned char)s[n]))
        n++;
    *len = n;
    if (n == 0)
        return -1;
    if (n == 1 && isalpha((unsigned char)s[0]) && !isupper((unsigned char)orig[i]))
        return -1; /* a lowercase single letter is usually an article ("a better answer") */
    return label_class(s, n, 0);
}

static size_t
skip_words(const char *low, size_t i, const char *const *words, size_t nw)
{
    for (int again = 1; again;) {
        again = 0;
        while (low[i] == ' ' || low[i] == '*' || low[i] == ':' || low[i] == '=' || low[i] == '-' ||
               low[i] == '(' || low[i] == '[' || low[i] == '"' || low[i] == '\'' || low[i] == '\t')
            i++;
        for (size_t w = 0; w < nw; w++) {
            size_t wl = strlen(words[w]);
            if (strncmp(low + i, words[w], wl) == 0 && !isalnum((unsigned char)low[i + wl])) {
                i += wl;
                again = 1;
            }
        }
    }
    return i;
}

static void
rule_keyword(const char *orig, const char *low, struct hit *h)
{
    static const char *const keys[] = {"winner", "verdict", "answer", "better",    "preferred",
                                       "choice", "final",   "prefer", "preference"};
    static const char *const fillers[] = {"is",      "would be", "response", "assistant",
                                          "output",  "model",    "i choose", "choose",
                                          "verdict", "answer",   "the",      "overall"};
    for (size_t k = 0; k < sizeof keys / sizeof *keys; k++) {
        size_t kl = strlen(keys[k]);
        for (const char *p = low; (p = strstr(p, keys[k])) != NULL; p += kl) {
            if ((p > low && isalnum((unsigned char)p[-1])) || isalnum((unsigned char)p[kl]))
                continue;
            size_t i =
                skip_words(low, (size_t)(p + kl - low), fillers, sizeof fillers / sizeof *fillers);
            size_t len;
            int cls = label_at(orig, low, i, &len);
            if (cls >= 0 && !isalnum((unsigned char)low[i + len]))
                hit_keep(h, p - low, cls);
        }
    }
    /* "Response B is better", "Assistant A wins" */
    static const char *const subjects[] = {"response ", "assistant ", "output "};
    static const char *const preds[] = {" is better",    " is the better", " wins",
                                        " is preferred", " is superior",   " is more helpful"};
    for (size_t s = 0; s < sizeof subjects / sizeof *subjects; s++) {
        size_t sl = strlen(subjects[s]);
        for (const char *p = low; (p = strstr(p, subjects[s])) != NULL; p += sl) {
            size_t i = (size_t)(p + sl - low), len;
            if (low[i] == '(')
                i++;
            int cls = label_at(orig, low, i, &len);
            if (cls < 0 || cls == STATS_TIE)
                continue;
            size_t j = i + len;
            if (low[j] == ')')
                j++;
            for (size_t q = 0; q < sizeof preds / sizeof *preds; q++)
                if (strncmp(low + j, preds[q], strlen(preds[q])) == 0)
                    hit_keep(h, p - low, cls);
        }
    }
}

static int
rule_bare(const char *low)
{
    const char *s = low;
    size_t n = strlen(s);
    while (n > 0 && strchr(" \t\r\n\"'*`.[]():", *s))
        s++, n--;
    while (n > 0 && strchr(" \t\r\n\"'*`.[]():", s[n - 1]))
        n--;
    if (n > 40)
        return -1;
    return label_class(s, n, 0);
}

void
judge_parse_verdict(const char *text, struct judge_parse *out)
{
    out->verdict = STATS_INVALID;
    out->rule = "none";
    if (!text)
        return;
    char *low = xstrdup(text);
    for (char *p = low; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    struct hit h = {-1, -1};
    rule_json(low, &h);
    if (h.cls >= 0) {
        out->verdict = h.cls;
        out->rule = "json";
        goto done;
    }
    rule_brackets(low, &h);
    if (h.cls >= 0) {
        out->verdict = h.cls;
        out->rule = "brackets";
        goto done;
    }
    rule_output(low, &h);
    if (h.cls >= 0) {
        out->verdict = h.cls;
        out->rule = "output";
        goto done;
    }
    int bare = rule_bare(low);
    if (bare >= 0) {
        out->verdict = bare;
        out->rule = "bare";
        goto done;
    }
    rule_keyword(text, low, &h);
    if (h.cls >= 0) {
        out->verdict = h.cls;
        out->rule = "keyword";
    }
done:
    free(low);
}
