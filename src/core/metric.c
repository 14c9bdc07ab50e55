/* Quantitative feedback metrics and the small regex engine they need (see metric.h
 * for the definitions and the supported regex subset). */
#include "core/metric.h"

#include <stdlib.h>
#include <string.h>

#include "core/utf8.h"
#include "core/xalloc.h"

static const struct {
    const char *name;
    int lo, hi;
} metric_kinds[] = {
#define METRIC_ROW(id, name, lo, hi) {name, lo, hi},
    METRIC_KINDS(METRIC_ROW)
#undef METRIC_ROW
};

const char *
metric_kind_name(int kind)
{
    return kind >= 0 && kind < METRIC_N_KINDS ? metric_kinds[kind].name : NULL;
}

int
metric_kind_parse(const char *name)
{
    for (int i = 0; i < METRIC_N_KINDS; i++)
        if (strcmp(metric_kinds[i].name, name) == 0)
            return i;
    return -1;
}

/* ---------------------------------------------------------------- text helpers */

uint32_t
metric_fold_cp(uint32_t cp)
{
    if (cp < 0x80)
        return cp >= 'A' && cp <= 'Z' ? cp + 32 : cp;
    if (cp >= 0xC0 && cp <= 0xDE && cp != 0xD7)
        return cp + 32;
    if (cp >= 0x100 && cp <= 0x17F) {
        if (cp == 0x130)
            return 'i'; /* Python: "i\u0307" (two code points) */
        if (cp == 0x178)
            return 0xFF;
        if ((cp <= 0x137 || (cp >= 0x14A && cp <= 0x177)) && cp % 2 == 0)
            return cp + 1;
        if (((cp >= 0x139 && cp <= 0x148) || (cp >= 0x179 && cp <= 0x17E)) && cp % 2 == 1)
            return cp + 1;
        return cp;
    }
    if (cp >= 0x391 && cp <= 0x3A9 && cp != 0x3A2)
        return cp + 32; /* Python turns a word-final capital sigma into U+03C2 */
    if (cp == 0x386)
        return 0x3AC;
    if (cp >= 0x388 && cp <= 0x38A)
        return cp + 37;
    if (cp == 0x38C)
        return 0x3CC;
    if (cp == 0x38E || cp == 0x38F)
        return cp + 63;
    if (cp >= 0x410 && cp <= 0x42F)
        return cp + 32;
    if (cp >= 0x400 && cp <= 0x40F)
        return cp + 80;
    return cp;
}

/* Python's str.isspace(). */
static int
py_space(uint32_t cp)
{
    return (cp >= 0x09 && cp <= 0x0D) || (cp >= 0x1C && cp <= 0x20) || cp == 0x85 || cp == 0xA0 ||
           cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 ||
           cp == 0x202F || cp == 0x205F || cp == 0x3000;
}

/* Decoded text: code points, owned. */
struct cps {
    uint32_t *cp;
    size_t n;
};

static void
cps_decode(const char *s, size_t len, struct cps *out)
{
    out->cp = xmalloc((len + 1) * sizeof *out->cp);
    out->n = 0;
    for (size_t i = 0; i < len;) {
        uint32_t c;
        i += (size_t)utf8_decode(s + i, len - i, &c);
        out->cp[out->n++] = c;
    }
}

/* lower(x), then strip(): the folded, stripped text as UTF-8 in sb. */
static void
fold_strip(const char *s, size_t len, int strip, struct strbuf *sb)
{
    struct cps t;
    cps_decode(s, len, &t);
    size_t a = 0, b = t.n;
    if (strip) {
        while (a < b && py_space(t.cp[a]))
            a++;
        while (b > a && py_space(t.cp[b - 1]))
            b--;
    }
    char enc[4];
    for (size_t i = a; i < b; i++)
        sb_append(sb, enc, (size_t)utf8_encode(metric_fold_cp(t.cp[i]), enc));
    free(t.cp);
}

/* ends_with_cleaned's normal form: lower, strip, every character outside
 * [a-z0-9,.!?] becomes a space, then words joined by single spaces. */
static void
clean_text(const char *s, size_t len, struct strbuf *sb)
{
    struct strbuf f = STRBUF_INIT;
    fold_strip(s, len, 1, &f);
    const char *p = sb_str(&f);
    int pending = 0;
    for (size_t i = 0; i < f.len; i++) {
        unsigned char c = (unsigned char)p[i];
        int keep = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == ',' || c == '.' ||
                   c == '!' || c == '?';
        if (!keep) {
            pending = sb->len > 0;
            continue;
        }
        if (pending)
            sb_putc(sb, ' ');
        pending = 0;
        sb_putc(sb, (char)c);
    }
    sb_free(&f);
}

static int
has_prefix(const char *s, size_t n, const char *p, size_t m)
{
    return m <= n && memcmp(s, p, m) == 0;
}

static int
has_suffix(const char *s, size_t n, const char *p, size_t m)
{
    return m <= n && memcmp(s + n - m, p, m) == 0;
}

static int
contains(const char *hay, size_t n, const char *needle, size_t m)
{
    if (m == 0)
        return 1;
    if (m > n)
        return 0;
    for (size_t i = 0; i + m <= n; i++)
        if (hay[i] == needle[0] && memcmp(hay + i, needle, m) == 0)
            return 1;
    return 0;
}

static void
phone_norm(const char *s, size_t n, struct strbuf *sb)
{
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '(' || s[i] == ')')
            continue;
        sb_putc(sb, s[i] == '-' ? ' ' : s[i]);
    }
}

double
metric_check_value(const struct metric_check *c, const char *text, size_t len)
{
    if (!text)
        text = "", len = 0;
    struct strbuf x = STRBUF_INIT, y = STRBUF_INIT;
    double v = 0;
    switch (c->kind) {
    case METRIC_LENGTH: {
        for (size_t i = 0; i < len; v++) {
            uint32_t cp;
            i += (size_t)utf8_decode(text + i, len - i, &cp);
        }
        break;
    }
    case METRIC_CONTAINS_ANY:
    case METRIC_CONTAINS_ALL:
    case METRIC_CONTAINS_NONE: {
        fold_strip(text, len, 0, &x);
        int any = 0, all = 1;
        for (int i = 0; i < c->n_values; i++) {
            sb_reset(&y);
            fold_strip(c->values[i], strlen(c->values[i]), 0, &y);
            int in = contains(sb_str(&x), x.len, sb_str(&y), y.len);
            any |= in;
            all &= in;
        }
        v = c->kind == METRIC_CONTAINS_ANY ? any : c->kind == METRIC_CONTAINS_ALL ? all : !any;
        break;
    }
    case METRIC_CONTAINS_PHONE:
        phone_norm(text, len, &x);
        phone_norm(c->values[0], strlen(c->values[0]), &y);
        v = contains(sb_str(&x), x.len, sb_str(&y), y.len);
        break;
    case METRIC_STARTS_WITH:
    case METRIC_DOESNT_START_WITH:
    case METRIC_ENDS_WITH:
        fold_strip(text, len, 1, &x);
        fold_strip(c->values[0], strlen(c->values[0]), 1, &y);
        if (c->kind == METRIC_ENDS_WITH)
            v = has_suffix(sb_str(&x), x.len, sb_str(&y), y.len);
        else
            v = has_prefix(sb_str(&x), x.len, sb_str(&y), y.len) ^
                (c->kind == METRIC_DOESNT_START_WITH);
        break;
    case METRIC_ENDS_WITH_CLEANED:
        clean_text(text, len, &x);
        clean_text(c->values[0], strlen(c->values[0]), &y);
        v = has_suffix(sb_str(&x), x.len, sb_str(&y), y.len);
        break;
    case METRIC_REGEX_SEARCH:
    case METRIC_REGEX_SEARCH_FALSE:
        v = metric_regex_search(c->re, text, len) ^ (c->kind == METRIC_REGEX_SEARCH_FALSE);
        break;
    case METRIC_IS_LANGUAGE:
        v = strcmp(metric_detect_language(text, len), c->values[0]) == 0;
        break;
    case METRIC_N_KINDS: break;
    }
    sb_free(&x);
    sb_free(&y);
    return v;
}

int
metric_spec_success(const struct metric_spec *s, const char *baseline, const char *revised)
{
    if (!s->n)
        return 0;
    size_t nb = baseline ? strlen(baseline) : 0, nr = revised ? strlen(revised) : 0;
    for (int i = 0; i < s->n; i++) {
        double b = metric_check_value(&s->checks[i], baseline, nb);
        double r = metric_check_value(&s->checks[i], revised, nr);
        if (s->cmp == METRIC_GE ? !(b <= r) : !(b >= r))
            return 0;
    }
    return 1;
}

/* ---------------------------------------------------------------- specs */

int
metric_spec_add(struct metric_spec *s, const char *name, const char *const *vals, int n,
                struct ps_err *err)
{
    int kind = metric_kind_parse(name);
    if (kind < 0)
        return ps_error(err, PS_ERR_PARSE,
                        "unknown metric '%.80s' (expected length, contains_any_string, "
                        "contains_all_strings, contains_none_strings, contains_phone_number, "
                        "starts_with, doesnt_start_with, ends_with, ends_with_cleaned, "
                        "regex_search, regex_search_false or is_language)",
                        name);
    if (n < metric_kinds[kind].lo || n > metric_kinds[kind].hi)
        return ps_error(err, PS_ERR_PARSE, "metric %s takes %d to %d values, not %d", name,
                        metric_kinds[kind].lo, metric_kinds[kind].hi, n);
    struct metric_check c = {(enum metric_kind)kind, NULL, n, NULL};
    if (kind == METRIC_REGEX_SEARCH || kind == METRIC_REGEX_SEARCH_FALSE) {
        if (metric_regex_compile(vals[0], &c.re, err) != PS_OK)
            return ps_error_prefix(err, "metric %s: ", name);
    }
    c.values = xcalloc((size_t)n + 1, sizeof *c.values);
    for (int i = 0; i < n; i++)
        c.values[i] = xstrdup(vals[i]);
    s->checks = xgrow(s->checks, sizeof *s->checks, s->n, &s->cap, 4);
    s->checks[s->n++] = c;
    return PS_OK;
}

void
metric_spec_free(struct metric_spec *s)
{
    for (int i = 0; i < s->n; i++) {
        for (int j = 0; j < s->checks[i].n_values; j++)
            free(s->checks[i].values[j]);
        free(s->checks[i].values);
        metric_regex_free(s->checks[i].re);
    }
    free(s->checks);
    memset(s, 0, sizeof *s);
}

void
metric_spec_format(const struct metric_spec *s, struct strbuf *sb)
{
    for (int i = 0; i < s->n; i++) {
        const struct metric_check *c = &s->checks[i];
        sb_printf(sb, "%s%s(", i ? ", " : "", metric_kind_name(c->kind));
        for (int j = 0; j < c->n_values; j++) {
            if (j)
                sb_puts(sb, ", ");
            sb_json_str(sb, c->values[j], strlen(c->values[j]));
        }
        sb_putc(sb, ')');
    }
    sb_puts(sb, s->cmp == METRIC_GE ? " >=" : " <=");
}

static int
hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static long
read_hex(const char *p, int n)
{
    long v = 0;
    for (int i = 0; i < n; i++) {
        int h = hexval((unsigned char)p[i]);
        if (h < 0)
            return -1;
        v = v * 16 + h;
    }
    return v;
}

/* A JSON string literal at *pp (after the opening quote) into sb. */
static int
dsl_string(const char **pp, const char *start, struct strbuf *sb, struct ps_err *err)
{
    const char *p = *pp;
    for (;;) {
        unsigned char c = (unsigned char)*p;
        if (!c)
            return ps_error(err, PS_ERR_PARSE, "metric spec: offset %ld: unterminated string",
                            (long)(p - start));
        p++;
        if (c == '"')
            break;
        if (c != '\\') {
            sb_putc(sb, (char)c);
            continue;
        }
        char e = *p++;
        switch (e) {
        case '"': sb_putc(sb, '"'); break;
        case '\\': sb_putc(sb, '\\'); break;
        case '/': sb_putc(sb, '/'); break;
        case 'b': sb_putc(sb, '\b'); break;
        case 'f': sb_putc(sb, '\f'); break;
        case 'n': sb_putc(sb, '\n'); break;
        case 'r': sb_putc(sb, '\r'); break;
        case 't': sb_putc(sb, '\t'); break;
        case 'u': {
            long v = read_hex(p, 4);
            if (v < 0)
                return ps_error(err, PS_ERR_PARSE,
                                "metric spec: offset %ld: \\u needs four hex digits",
                                (long)(p - start));
            p += 4;
            if (v >= 0xD800 && v <= 0xDBFF && p[0] == '\\' && p[1] == 'u') {
                long lo = read_hex(p + 2, 4);
                if (lo >= 0xDC00 && lo <= 0xDFFF) {
                    v = 0x10000 + ((v - 0xD800) << 10) + (lo - 0xDC00);
                    p += 6;
                }
            }
            if (v >= 0xD800 && v <= 0xDFFF)
                v = 0xFFFD;
            char enc[4];
            sb_append(sb, enc, (size_t)utf8_encode((uint32_t)v, enc));
            break;
        }
        default:
            return ps_error(err, PS_ERR_PARSE,
                            "metric spec: offset %ld: unknown escape '\\%c' in a string",
                            (long)(p - 1 - start), e ? e : '0');
        }
    }
    *pp = p;
    return PS_OK;
}

static const char *
skip_ws(const char *p)
{
    while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
        p++;
    return p;
}

int
metric_spec_parse(const char *dsl, struct metric_spec *out, struct ps_err *err)
{
    memset(out, 0, sizeof *out);
    const char *p = skip_ws(dsl);
    int rc = PS_OK;
    struct strbuf sb = STRBUF_INIT;
    char **vals = NULL;
    int nv = 0, capv = 0;
    while (*p && rc == PS_OK) {
        if (*p == '>' || *p == '<' || strncmp(p, "greater_eq_than", 15) == 0 ||
            strncmp(p, "less_eq_than", 12) == 0) {
            if (strncmp(p, ">=", 2) == 0 || strncmp(p, "<=", 2) == 0) {
                out->cmp = *p == '>' ? METRIC_GE : METRIC_LE;
                p += 2;
            } else if (*p == 'g' || *p == 'l') {
                out->cmp = *p == 'g' ? METRIC_GE : METRIC_LE;
                p += *p == 'g' ? 15 : 12;
            } else {
                rc = ps_error(err, PS_ERR_PARSE,
                              "metric spec: offset %ld: expected >= or <=", (long)(p - dsl));
                break;
            }
            p = skip_ws(p);
            if (*p)
                rc = ps_error(err, PS_ERR_PARSE,
                              "metric spec: offset %ld: nothing may follow the comparison",
                              (long)(p - dsl));
            break;
        }
        const char *name = p;
        while ((*p >= 'a' && *p <= 'z') || *p == '_')
            p++;
        size_t nlen = (size_t)(p - name);
        p = skip_ws(p);
        if (!nlen || *p != '(') {
            rc = ps_error(err, PS_ERR_PARSE,
                          "metric spec: offset %ld: expected a metric name and '(' (e.g. "
                          "contains_any_string(\"lol\"))",
                          (long)(p - dsl));
            break;
        }
        char *nm = xstrndup(name, nlen);
        p = skip_ws(p + 1);
        nv = 0;
        while (rc == PS_OK && *p != ')') {
            if (*p != '"') {
                rc = ps_error(err, PS_ERR_PARSE,
                              "metric spec: offset %ld: expected a \"string\" or ')'",
                              (long)(p - dsl));
                break;
            }
            p++;
            sb_reset(&sb);
            rc = dsl_string(&p, dsl, &sb, err);
            if (rc != PS_OK)
                break;
            vals = xgrow(vals, sizeof *vals, nv, &capv, 4);
            vals[nv++] = xstrdup(sb_str(&sb));
            p = skip_ws(p);
            if (*p == ',')
                p = skip_ws(p + 1);
            else if (*p != ')')
                rc = ps_error(err, PS_ERR_PARSE, "metric spec: offset %ld: expected ',' or ')'",
                              (long)(p - dsl));
        }
        if (rc == PS_OK) {
            p++;
            rc = metric_spec_add(out, nm, (const char *const *)vals, nv, err);
        }
        for (int i = 0; i < nv; i++)
            free(vals[i]);
        nv = 0;
        free(nm);
        p = skip_ws(p);
        if (*p == ',' || *p == ';')
            p = skip_ws(p + 1);
    }
    if (rc == PS_OK && out->n == 0)
        rc = ps_error(err, PS_ERR_PARSE, "metric spec: no check (e.g. length() <=)");
    free(vals);
    sb_free(&sb);
    return rc;
}

/* ---------------------------------------------------------------- regex */

enum rx_node_op { RN_CHAR, RN_ANY, RN_CLASS, RN_ASSERT, RN_CAT, RN_ALT, RN_REPEAT, RN_EMPTY };
enum rx_assert { RA_BOL, RA_EOL, RA_BOT, RA_EOT, RA_WORDB, RA_NWORDB };
/* class specials */
enum { RC_DIGIT = 1, RC_NDIGIT = 2, RC_WORD = 4, RC_NWORD = 8, RC_SPACE = 16, RC_NSPACE = 32 };

struct rx_node {
    enum rx_node_op op;
    uint32_t cp; /* RN_CHAR: code point; RN_CLASS: class index; RN_ASSERT: kind */
    int a, b;    /* children (node indices) */
    int min, max;
};

struct rx_class {
    uint32_t *ranges; /* lo, hi pairs */
    int n, cap;
    int specials, negated;
};

enum rx_op { RI_CHAR, RI_ANY, RI_CLASS, RI_ASSERT, RI_SPLIT, RI_JMP, RI_MATCH };

struct rx_inst {
    enum rx_op op;
    uint32_t arg;
    int x, y;
};

struct metric_regex {
    struct rx_inst *prog;
    int n, cap;
    struct rx_class *classes;
    int n_classes, cap_classes;
    int icase, dotall;
};

struct rx_parser {
    const char *pat, *p;
    struct rx_node *nodes;
    int n_nodes, cap_nodes;
    struct metric_regex *re;
    struct ps_err *err;
    int failed;
};

#define RX_MAX_INST 200000

static int
rx_fail(struct rx_parser *ps, const char *what)
{
    if (!ps->failed)
        ps_error(ps->err, PS_ERR_PARSE, "regex at offset %ld: %s", (long)(ps->p - ps->pat), what);
    ps->failed = 1;
    return -1;
}

static int
rx_node(struct rx_parser *ps, enum rx_node_op op, uint32_t cp, int a, int b)
{
    ps->nodes = xgrow(ps->nodes, sizeof *ps->nodes, ps->n_nodes, &ps->cap_nodes, 32);
    ps->nodes[ps->n_nodes] = (struct rx_node){op, cp, a, b, 0, 0};
    return ps->n_nodes++;
}

static uint32_t
rx_next_cp(struct rx_parser *ps)
{
    uint32_t cp;
    ps->p += utf8_decode(ps->p, strlen(ps->p), &cp);
    return cp;
}

static int
rx_is_word(uint32_t c)
{
    if (c < 0x80)
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
               c == '_';
    if (py_space(c) || (c >= 0xA1 && c <= 0xBF && c != 0xAA && c != 0xB5 && c != 0xBA) ||
        c == 0xD7 || c == 0xF7 || (c >= 0x2000 && c <= 0x2BFF) || (c >= 0x2E00 && c <= 0x2E7F) ||
        (c >= 0x3000 && c <= 0x303F) || (c >= 0xFE00 && c <= 0xFE0F) ||
        (c >= 0x1F000 && c <= 0x1FAFF) || c >= 0xE0000)
        return 0;
    return 1;
}

/* An escape after '\' (ps->p is past the backslash).  Returns 1 with *cp for a code
 * point, 2 with *specials for \d \w \s..., 3 with *assert for \A \Z \b \B (outside
 * classes), 0 on error (reported). */
static int
rx_escape(struct rx_parser *ps, int in_class, uint32_t *cp, int *specials, int *assert)
{
    char e = *ps->p;
    if (!e)
        return rx_fail(ps, "the pattern ends with a backslash"), 0;
    ps->p++;
    switch (e) {
    case 'd': *specials = RC_DIGIT; return 2;
    case 'D': *specials = RC_NDIGIT; return 2;
    case 'w': *specials = RC_WORD; return 2;
    case 'W': *specials = RC_NWORD; return 2;
    case 's': *specials = RC_SPACE; return 2;
    case 'S': *specials = RC_NSPACE; return 2;
    case 'n': *cp = '\n'; return 1;
    case 't': *cp = '\t'; return 1;
    case 'r': *cp = '\r'; return 1;
    case 'f': *cp = '\f'; return 1;
    case 'v': *cp = '\v'; return 1;
    case 'a': *cp = '\a'; return 1;
    case '0': *cp = 0; return 1;
    case 'x':
    case 'u':
    case 'U': {
        int nd = e == 'x' ? 2 : e == 'u' ? 4 : 8;
        long v = strlen(ps->p) >= (size_t)nd ? read_hex(ps->p, nd) : -1;
        if (v < 0 || v > 0x10FFFF)
            return rx_fail(ps, "bad \\x, \\u or \\U escape"), 0;
        ps->p += nd;
        *cp = (uint32_t)v;
        return 1;
    }
    case 'b':
        if (in_class) {
            *cp = '\b';
            return 1;
        }
        *assert = RA_WORDB;
        return 3;
    case 'B':
    case 'A':
    case 'Z':
        if (in_class)
            return rx_fail(ps, "bad escape in a class"), 0;
        *assert = e == 'B' ? RA_NWORDB : e == 'A' ? RA_BOT : RA_EOT;
        return 3;
    default:
        if ((e >= 'a' && e <= 'z') || (e >= 'A' && e <= 'Z') || (e >= '1' && e <= '9'))
            return rx_fail(ps, "unsupported escape (backreferences, \\N{...} and unknown "
                               "letters are not supported)"),
                   0;
        ps->p--;
        *cp = rx_next_cp(ps);
        return 1;
    }
}

static void
rx_class_add(struct rx_class *c, uint32_t lo, uint32_t hi)
{
    c->ranges = xgrow(c->ranges, 2 * sizeof *c->ranges, c->n, &c->cap, 8);
    c->ranges[2 * c->n] = lo;
    c->ranges[2 * c->n + 1] = hi;
    c->n++;
}

static int
rx_parse_class(struct rx_parser *ps)
{
    struct metric_regex *re = ps->re;
    re->classes = xgrow(re->classes, sizeof *re->classes, re->n_classes, &re->cap_classes, 4);
    int idx = re->n_classes++;
    struct rx_class *c = &re->classes[idx];
    memset(c, 0, sizeof *c);
    if (*ps->p == '^') {
        c->negated = 1;
        ps->p++;
    }
    int first = 1;
    while (*ps->p && (*ps->p != ']' || first)) {
        first = 0;
        uint32_t lo;
        int sp = 0, as = 0;
        if (*ps->p == '\\') {
            ps->p++;
            int k = rx_escape(ps, 1, &lo, &sp, &as);
            if (k == 0)
                return -1;
            if (k == 2) {
                c = &re->classes[idx];
                c->specials |= sp;
                continue;
            }
        } else {
            lo = rx_next_cp(ps);
        }
        uint32_t hi = lo;
        if (ps->p[0] == '-' && ps->p[1] && ps->p[1] != ']') {
            ps->p++;
            if (*ps->p == '\\') {
                ps->p++;
                if (rx_escape(ps, 1, &hi, &sp, &as) != 1)
                    return rx_fail(ps, "bad range end in a class");
            } else {
                hi = rx_next_cp(ps);
            }
            if (hi < lo)
                return rx_fail(ps, "bad character range");
        }
        rx_class_add(&re->classes[idx], lo, hi);
    }
    if (*ps->p != ']')
        return rx_fail(ps, "unterminated character set");
    ps->p++;
    return idx;
}

static int rx_parse_alt(struct rx_parser *ps, int depth);

static int
rx_parse_atom(struct rx_parser *ps, int depth)
{
    char c = *ps->p;
    if (c == '(') {
        ps->p++;
        if (*ps->p == '?') {
            if (ps->p[1] == ':')
                ps->p += 2;
            else if (ps->p[1] == 'P' && ps->p[2] == '<') {
                const char *e = strchr(ps->p, '>');
                if (!e)
                    return rx_fail(ps, "unterminated group name");
                ps->p = e + 1;
            } else
                return rx_fail(ps, "unsupported group (lookaround, flags inside the pattern "
                                   "and conditionals are not supported)");
        }
        int n = rx_parse_alt(ps, depth + 1);
        if (n < 0)
            return -1;
        if (*ps->p != ')')
            return rx_fail(ps, "missing ), unterminated subpattern");
        ps->p++;
        return n;
    }
    if (c == '[') {
        ps->p++;
        int k = rx_parse_class(ps);
        return k < 0 ? -1 : rx_node(ps, RN_CLASS, (uint32_t)k, -1, -1);
    }
    if (c == '.') {
        ps->p++;
        return rx_node(ps, RN_ANY, 0, -1, -1);
    }
    if (c == '^' || c == '$') {
        ps->p++;
        return rx_node(ps, RN_ASSERT, c == '^' ? RA_BOL : RA_EOL, -1, -1);
    }
    if (c == '*' || c == '+' || c == '?')
        return rx_fail(ps, "nothing to repeat");
    if (c == '\\') {
        ps->p++;
        uint32_t cp = 0;
        int sp = 0, as = 0;
        int k = rx_escape(ps, 0, &cp, &sp, &as);
        if (k == 0)
            return -1;
        if (k == 3)
            return rx_node(ps, RN_ASSERT, (uint32_t)as, -1, -1);
        if (k == 2) {
            struct metric_regex *re = ps->re;
            re->classes =
                xgrow(re->classes, sizeof *re->classes, re->n_classes, &re->cap_classes, 4);
            memset(&re->classes[re->n_classes], 0, sizeof re->classes[0]);
            re->classes[re->n_classes].specials = sp;
            return rx_node(ps, RN_CLASS, (uint32_t)re->n_classes++, -1, -1);
        }
        return rx_node(ps, RN_CHAR, cp, -1, -1);
    }
    return rx_node(ps, RN_CHAR, rx_next_cp(ps), -1, -1);
}

/* {m}, {m,}, {m,n}; returns 0 when the brace is not a quantifier (then literal). */
static int
rx_braces(const char *p, int *min, int *max, const char **end)
{
    if (*p != '{')
        return 0;
    p++;
    char *e;
    long m = -1, n;
    if (*p >= '0' && *p <= '9')
        m = strtol(p, &e, 10), p = e;
    if (*p == '}') {
        if (m < 0)
            return 0;
        n = m;
    } else if (*p == ',') {
        p++;
        if (*p >= '0' && *p <= '9')
            n = strtol(p, &e, 10), p = e;
        else
            n = -1;
        if (*p != '}')
            return 0;
        if (m < 0)
            m = 0;
    } else {
        return 0;
    }
    if (m > 1000 || n > 1000 || (n >= 0 && n < m))
        return -1;
    *min = (int)m;
    *max = (int)n;
    *end = p + 1;
    return 1;
}

static int
rx_parse_repeat(struct rx_parser *ps, int depth)
{
    int a = rx_parse_atom(ps, depth);
    while (a >= 0) {
        int min, max;
        const char *end;
        char c = *ps->p;
        if (c == '*' || c == '+' || c == '?') {
            min = c == '+';
            max = c == '?' ? 1 : -1;
            ps->p++;
        } else {
            int k = rx_braces(ps->p, &min, &max, &end);
            if (k < 0)
                return rx_fail(ps, "bad repeat count (at most 1000, min <= max)");
            if (k == 0)
                break;
            ps->p = end;
        }
        if (*ps->p == '?')
            ps->p++; /* lazy: the same for a yes/no search */
        else if (*ps->p == '+')
            return rx_fail(ps, "possessive quantifiers are not supported");
        if (ps->nodes[a].op == RN_ASSERT)
            return rx_fail(ps, "nothing to repeat");
        int r = rx_node(ps, RN_REPEAT, 0, a, -1);
        ps->nodes[r].min = min;
        ps->nodes[r].max = max;
        a = r;
    }
    return a;
}

static int
rx_parse_cat(struct rx_parser *ps, int depth)
{
    int a = -1;
    while (*ps->p && *ps->p != '|' && *ps->p != ')') {
        int b = rx_parse_repeat(ps, depth);
        if (b < 0)
            return -1;
        a = a < 0 ? b : rx_node(ps, RN_CAT, 0, a, b);
    }
    return a < 0 ? rx_node(ps, RN_EMPTY, 0, -1, -1) : a;
}

static int
rx_parse_alt(struct rx_parser *ps, int depth)
{
    if (depth > 200)
        return rx_fail(ps, "groups nested too deeply");
    int a = rx_parse_cat(ps, depth);
    while (a >= 0 && *ps->p == '|') {
        ps->p++;
        int b = rx_parse_cat(ps, depth);
        if (b < 0)
            return -1;
        a = rx_node(ps, RN_ALT, 0, a, b);
    }
    return a;
}

static int
rx_emit(struct metric_regex *re, enum rx_op op, uint32_t arg, int x, int y)
{
    if (re->n >= RX_MAX_INST)
        return -1;
    re->prog = xgrow(re->prog, sizeof *re->prog, re->n, &re->cap, 64);
    re->prog[re->n] = (struct rx_inst){op, arg, x, y};
    return re->n++;
}

/* Emit code for node k; -1 when the program grows past RX_MAX_INST. */
static int
rx_compile(struct rx_parser *ps, int k)
{
    struct metric_regex *re = ps->re;
    const struct rx_node nd = ps->nodes[k];
    switch (nd.op) {
    case RN_EMPTY: return 0;
    case RN_CHAR:
        return rx_emit(re, RI_CHAR, re->icase ? metric_fold_cp(nd.cp) : nd.cp, 0, 0) < 0 ? -1 : 0;
    case RN_ANY: return rx_emit(re, RI_ANY, 0, 0, 0) < 0 ? -1 : 0;
    case RN_CLASS: return rx_emit(re, RI_CLASS, nd.cp, 0, 0) < 0 ? -1 : 0;
    case RN_ASSERT: return rx_emit(re, RI_ASSERT, nd.cp, 0, 0) < 0 ? -1 : 0;
    case RN_CAT: return rx_compile(ps, nd.a) < 0 ? -1 : rx_compile(ps, nd.b);
    case RN_ALT: {
        int split = rx_emit(re, RI_SPLIT, 0, 0, 0);
        if (split < 0 || rx_compile(ps, nd.a) < 0)
            return -1;
        int jmp = rx_emit(re, RI_JMP, 0, 0, 0);
        if (jmp < 0)
            return -1;
        re->prog[split].x = split + 1;
        re->prog[split].y = re->n;
        if (rx_compile(ps, nd.b) < 0)
            return -1;
        re->prog[jmp].x = re->n;
        return 0;
    }
    case RN_REPEAT: {
        for (int i = 0; i < nd.min; i++)
            if (rx_compile(ps, nd.a) < 0)
                return -1;
        if (nd.max < 0) {
            int split = rx_emit(re, RI_SPLIT, 0, 0, 0);
            if (split < 0 || rx_compile(ps, nd.a) < 0 || rx_emit(re, RI_JMP, 0, split, 0) < 0)
                return -1;
            re->prog[split].x = split + 1;
            re->prog[split].y = re->n;
            return 0;
        }
        int first = re->n;
        for (int i = nd.min; i < nd.max; i++) {
            if (rx_emit(re, RI_SPLIT, 0, re->n + 1, -1) < 0 || rx_compile(ps, nd.a) < 0)
                return -1;
        }
        for (int i = first; i < re->n; i++)
            if (re->prog[i].op == RI_SPLIT && re->prog[i].y == -1)
                re->prog[i].y = re->n;
        return 0;
    }
    }
    return -1;
}

int
metric_regex_compile(const char *pattern, struct metric_regex **out, struct ps_err *err)
{
    struct metric_regex *re = xcalloc(1, sizeof *re);
    struct rx_parser ps = {pattern, pattern, NULL, 0, 0, re, err, 0};
    *out = NULL;
    /* leading global flags */
    while (ps.p[0] == '(' && ps.p[1] == '?' && (ps.p[2] == 'i' || ps.p[2] == 's') &&
           ps.p[3] == ')') {
        if (ps.p[2] == 'i')
            re->icase = 1;
        else
            re->dotall = 1;
        ps.p += 4;
    }
    int root = rx_parse_alt(&ps, 0);
    if (root >= 0 && *ps.p == ')')
        root = rx_fail(&ps, "unbalanced parenthesis");
    if (root >= 0 && (rx_compile(&ps, root) < 0 || rx_emit(re, RI_MATCH, 0, 0, 0) < 0)) {
        ps_error(err, PS_ERR_PARSE, "regex: pattern too large (over %d instructions)", RX_MAX_INST);
        root = -1;
    }
    free(ps.nodes);
    if (root < 0) {
        metric_regex_free(re);
        return err->code ? err->code : PS_ERR_PARSE;
    }
    *out = re;
    return PS_OK;
}

void
metric_regex_free(struct metric_regex *re)
{
    if (!re)
        return;
    for (int i = 0; i < re->n_classes; i++)
        free(re->classes[i].ranges);
    free(re->classes);
    free(re->prog);
    free(re);
}

static int
rx_class_match(const struct rx_class *c, uint32_t cp, int icase)
{
    int in = 0;
    uint32_t f = icase ? metric_fold_cp(cp) : cp;
    for (int i = 0; i < c->n && !in; i++) {
        uint32_t lo = c->ranges[2 * i], hi = c->ranges[2 * i + 1];
        in = (cp >= lo && cp <= hi) || (f >= lo && f <= hi);
    }
    int s = c->specials;
    int digit = cp >= '0' && cp <= '9', word = rx_is_word(cp), space = py_space(cp);
    if (!in && s)
        in = ((s & RC_DIGIT) && digit) || ((s & RC_NDIGIT) && !digit) || ((s & RC_WORD) && word) ||
             ((s & RC_NWORD) && !word) || ((s & RC_SPACE) && space) || ((s & RC_NSPACE) && !space);
    return in != c->negated;
}

static int
rx_assert_holds(uint32_t kind, const struct cps *t, size_t pos)
{
    switch (kind) {
    case RA_BOL:
    case RA_BOT: return pos == 0;
    case RA_EOT: return pos == t->n;
    case RA_EOL: return pos == t->n || (pos + 1 == t->n && t->cp[pos] == '\n');
    default: {
        int before = pos > 0 && rx_is_word(t->cp[pos - 1]);
        int after = pos < t->n && rx_is_word(t->cp[pos]);
        return (before != after) == (kind == RA_WORDB);
    }
    }
}

struct rx_list {
    int *pc;
    int n;
};

/* Follow the non-consuming instructions from pc; consuming ones go on the list.
 * Returns 1 when MATCH is reachable. */
static int
rx_add(const struct metric_regex *re, struct rx_list *l, unsigned *mark, unsigned gen, int *stack,
       int pc0, const struct cps *t, size_t pos)
{
    int sp = 0, matched = 0;
    stack[sp++] = pc0;
    while (sp) {
        int pc = stack[--sp];
        if (mark[pc] == gen)
            continue;
        mark[pc] = gen;
        const struct rx_inst *in = &re->prog[pc];
        switch (in->op) {
        case RI_JMP: stack[sp++] = in->x; break;
        case RI_SPLIT:
            stack[sp++] = in->y;
            stack[sp++] = in->x;
            break;
        case RI_ASSERT:
            if (rx_assert_holds(in->arg, t, pos))
                stack[sp++] = pc + 1;
            break;
        case RI_MATCH: matched = 1; break;
        default: l->pc[l->n++] = pc;
        }
    }
    return matched;
}

int
metric_regex_search(const struct metric_regex *re, const char *text, size_t len)
{
    if (!re)
        return 0;
    struct cps t;
    cps_decode(text ? text : "", text ? len : 0, &t);
    size_t np = (size_t)re->n;
    unsigned *mark = xcalloc(np, sizeof *mark);
    int *stack = xmalloc((2 * np + 2) * sizeof *stack);
    struct rx_list a = {xmalloc(np * sizeof(int)), 0}, b = {xmalloc(np * sizeof(int)), 0};
    struct rx_list *cl = &a, *nl = &b;
    unsigned gen = 1;
    int matched = 0;
    for (size_t pos = 0;; pos++) {
        if (rx_add(re, cl, mark, gen, stack, 0, &t, pos)) {
            matched = 1;
            break;
        }
        if (pos == t.n)
            break;
        gen++;
        nl->n = 0;
        uint32_t cp = t.cp[pos], f = re->icase ? metric_fold_cp(cp) : cp;
        for (int i = 0; i < cl->n && !matched; i++) {
            const struct rx_inst *in = &re->prog[cl->pc[i]];
            int ok = in->op == RI_CHAR    ? in->arg == f
                     : in->op == RI_ANY   ? (re->dotall || cp != '\n')
                     : in->op == RI_CLASS ? rx_class_match(&re->classes[in->arg], cp, re->icase)
                                          : 0;
            if (ok)
                matched = rx_add(re, nl, mark, gen, stack, cl->pc[i] + 1, &t, pos + 1);
        }
        if (matched)
            break;
        struct rx_list *tmp = cl;
        cl = nl;
        nl = tmp;
    }
    free(a.pc);
    free(b.pc);
    free(stack);
    free(mark);
    free(t.cp);
    return matched;
}

/* ---------------------------------------------------------------- language */

static const char *const lang_words[][2] = {
    {"en", " the and is of to in that it you for was with on are this be have not "},
    {"de", " der die und das ist nicht ich sie es zu den mit sich auf für ein eine dem wir "},
    {"fr", " le la les et est des une un que pas pour dans qui sur avec vous je il ce du "},
    {"es", " el la los las y es que en un una por con para no se del lo como muy "},
    {"it", " il la e di che è non un una per con sono del della gli le ma "},
    {"pt", " o a os as e de que não um uma para com é do da em mais "},
    {"nl", " de het een en van is niet dat ik je op te zijn met voor "},
    {"sv", " och att det är en som på inte jag har med för den av "},
    {"pl", " i w nie na się jest z że to do co jak ale "},
    {"tr", " ve bir bu da için ile ne çok olarak değil ama "},
};

const char *
metric_detect_language(const char *text, size_t len)
{
    struct cps t;
    cps_decode(text ? text : "", text ? len : 0, &t);
    /* letters per script */
    enum { S_LATIN, S_CYR, S_GREEK, S_HEB, S_AR, S_DEV, S_THAI, S_KANA, S_HANGUL, S_HAN, S_N };
    size_t count[S_N] = {0};
    int ukr = 0;
    for (size_t i = 0; i < t.n; i++) {
        uint32_t c = t.cp[i];
        int s = -1;
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= 0xC0 && c <= 0x24F))
            s = S_LATIN;
        else if (c >= 0x400 && c <= 0x4FF)
            s = S_CYR, ukr |= c == 0x456 || c == 0x457 || c == 0x454 || c == 0x491;
        else if (c >= 0x370 && c <= 0x3FF)
            s = S_GREEK;
        else if (c >= 0x590 && c <= 0x5FF)
            s = S_HEB;
        else if (c >= 0x600 && c <= 0x6FF)
            s = S_AR;
        else if (c >= 0x900 && c <= 0x97F)
            s = S_DEV;
        else if (c >= 0xE00 && c <= 0xE7F)
            s = S_THAI;
        else if (c >= 0x3040 && c <= 0x30FF)
            s = S_KANA;
        else if ((c >= 0xAC00 && c <= 0xD7AF) || (c >= 0x1100 && c <= 0x11FF))
            s = S_HANGUL;
        else if (c >= 0x4E00 && c <= 0x9FFF)
            s = S_HAN;
        if (s >= 0)
            count[s]++;
    }
    int best = 0;
    for (int s = 1; s < S_N; s++)
        if (count[s] > count[best])
            best = s;
    const char *out = "unknown";
    if (count[best] == 0) {
        free(t.cp);
        return out;
    }
    switch (best) {
    case S_CYR: out = ukr ? "uk" : "ru"; break;
    case S_GREEK: out = "el"; break;
    case S_HEB: out = "he"; break;
    case S_AR: out = "ar"; break;
    case S_DEV: out = "hi"; break;
    case S_THAI: out = "th"; break;
    case S_KANA: out = "ja"; break;
    case S_HANGUL: out = "ko"; break;
    case S_HAN: out = count[S_KANA] ? "ja" : "zh-cn"; break;
    default: {
        /* Latin: count function words, as " word " in the folded text */
        struct strbuf sb = STRBUF_INIT, w = STRBUF_INIT;
        sb_putc(&sb, ' ');
        char enc[4];
        for (size_t i = 0; i < t.n; i++) {
            uint32_t c = metric_fold_cp(t.cp[i]);
            int letter = rx_is_word(c) && !(c >= '0' && c <= '9') && c != '_';
            if (!letter)
                c = ' ';
            sb_append(&sb, enc, (size_t)utf8_encode(c, enc));
        }
        sb_putc(&sb, ' ');
        int nl = (int)(sizeof lang_words / sizeof lang_words[0]);
        long best_hits = 0;
        for (int l = 0; l < nl; l++) {
            long hits = 0;
            const char *list = lang_words[l][1];
            for (const char *p = list + 1; *p;) {
                const char *e = strchr(p, ' ');
                sb_reset(&w);
                sb_putc(&w, ' ');
                sb_append(&w, p, (size_t)(e - p + 1));
                for (const char *q = sb_str(&sb); (q = strstr(q, sb_str(&w))) != NULL; q++)
                    hits++;
                p = e + 1;
            }
            if (hits > best_hits) {
                best_hits = hits;
                out = lang_words[l][0];
            }
        }
        sb_free(&sb);
        sb_free(&w);
    }
    }
    free(t.cp);
    return out;
}
