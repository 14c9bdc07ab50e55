/* Quantitative feedback metrics (C3PO / RLVF), scored offline without an LLM.
 *
 * A metric spec is a list of checks plus a comparison.  Each check maps a response
 * to a number (length in code points, or 1/0 for the boolean checks); a revised
 * response succeeds when, for every check, comparison(baseline_value, revised_value)
 * holds: greater_eq_than means baseline <= revised, less_eq_than baseline >= revised,
 * so a tie counts as success, as in the paper.
 *
 * The checks follow the reference implementation's definitions (x = response,
 * y = value; "lower" folds case as metric_fold_cp does, "strip" removes the
 * characters Python's str.isspace() accepts):
 *   length                  len(x) in code points
 *   contains_any_string     any lower(s) is a substring of lower(x), s in y
 *   contains_all_strings    all of them are
 *   contains_none_strings   none of them is
 *   contains_phone_number   y is in x after dropping '(' ')' and turning '-' into ' '
 *   starts_with             strip(lower(x)) starts with strip(lower(y))
 *   doesnt_start_with       the negation
 *   ends_with               strip(lower(x)) ends with strip(lower(y))
 *   ends_with_cleaned       ends_with after mapping every character outside
 *                           [a-z0-9,.!?] to a space and collapsing runs of spaces
 *   regex_search            the pattern y matches somewhere in x (see metric_regex)
 *   regex_search_false      it does not
 *   is_language             metric_detect_language(x) equals y
 *
 * The DSL (what `critique new --metric` takes, what ps.c3po.metric accepts and what
 * metric_spec_format writes):
 *   spec   := check ((',' | ';')? check)* [cmp]
 *   check  := NAME '(' [STRING (',' STRING)*] ')'
 *   cmp    := '>=' | '<=' | 'greater_eq_than' | 'less_eq_than'     (default '>=')
 *   STRING := a JSON string literal ("...", with \n \t \" \\ \uXXXX escapes)
 * e.g.  contains_all_strings("&"), contains_none_strings(" and ") >=
 *       length() <= */
#ifndef PS_CORE_METRIC_H
#define PS_CORE_METRIC_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "core/strbuf.h"

/*  id                           name                     arguments (min, max) */
#define METRIC_KINDS(_) \
    _(METRIC_LENGTH, "length", 0, 0) \
    _(METRIC_CONTAINS_ANY, "contains_any_string", 1, 256) \
    _(METRIC_CONTAINS_ALL, "contains_all_strings", 1, 256) \
    _(METRIC_CONTAINS_NONE, "contains_none_strings", 1, 256) \
    _(METRIC_CONTAINS_PHONE, "contains_phone_number", 1, 1) \
    _(METRIC_STARTS_WITH, "starts_with", 1, 1) \
    _(METRIC_DOESNT_START_WITH, "doesnt_start_with", 1, 1) \
    _(METRIC_ENDS_WITH, "ends_with", 1, 1) \
    _(METRIC_ENDS_WITH_CLEANED, "ends_with_cleaned", 1, 1) \
    _(METRIC_REGEX_SEARCH, "regex_search", 1, 1) \
    _(METRIC_REGEX_SEARCH_FALSE, "regex_search_false", 1, 1) \
    _(METRIC_IS_LANGUAGE, "is_language", 1, 1)

enum metric_kind {
#define METRIC_ENUM(id, name, lo, hi) id,
    METRIC_KINDS(METRIC_ENUM)
#undef METRIC_ENUM
        METRIC_N_KINDS
};

enum metric_cmp { METRIC_GE, METRIC_LE };

struct metric_regex;

struct metric_check {
    enum metric_kind kind;
    char **values; /* owned, n_values strings (UTF-8) */
    int n_values;
    struct metric_regex *re; /* owned; the compiled pattern of the regex checks */
};

struct metric_spec {
    struct metric_check *checks; /* owned */
    int n, cap;
    enum metric_cmp cmp;
};

/* The name of a kind ("length", ...), or NULL; and the kind of a name, or -1. */
const char *metric_kind_name(int kind);
int metric_kind_parse(const char *name);

/* Append a check to a spec (zero-initialised spec = empty, comparison >=).  vals are
 * copied.  Fails (PS_ERR_PARSE) on an unknown name, a wrong number of values, or a
 * pattern metric_regex_compile rejects. */
int metric_spec_add(struct metric_spec *s, const char *name, const char *const *vals, int n,
                    struct ps_err *err);

/* Parse the DSL above into *out (caller frees with metric_spec_free, also on error).
 * Errors name the byte offset and what was expected. */
int metric_spec_parse(const char *dsl, struct metric_spec *out, struct ps_err *err);

/* The spec as DSL text (re-parses to the same spec). */
void metric_spec_format(const struct metric_spec *s, struct strbuf *sb);

void metric_spec_free(struct metric_spec *s);

/* The value of one check on text[0..len) (UTF-8; invalid bytes count as U+FFFD). */
double metric_check_value(const struct metric_check *c, const char *text, size_t len);

/* 1 when comparison(value(baseline), value(revised)) holds for every check (a spec
 * without checks: 0).  NULL texts count as "". */
int metric_spec_success(const struct metric_spec *s, const char *baseline, const char *revised);

/* ---- the regex subset ----
 * A Thompson-NFA matcher over code points (linear time, no backtracking), so a
 * hostile pattern cannot hang the scorer.  Supported, with Python `re` semantics:
 * literals (any UTF-8), '.', '|', groups '(...)' '(?:...)' '(?P<n>...)', '*' '+' '?'
 * '{m}' '{m,}' '{m,n}' (lazy forms accepted: a search does not care), classes
 * [...] with ranges and negation, anchors ^ $ (\n before the end counts as the
 * end, as in Python) \A \Z \b \B, escapes \d \D \w \W \s \S \n \t \r \f \v \0
 * \xHH \uXXXX \UXXXXXXXX and escaped punctuation, a leading (?i) or (?s).
 * Differences from Python: \d is [0-9]; \w is [0-9A-Za-z_] plus every code point
 * >= 0x80 outside whitespace, Latin-1 punctuation, U+2000-2BFF (punctuation,
 * symbols, arrows, dingbats), U+2E00-2E7F, U+3000-303F, variation selectors and the
 * emoji planes U+1F000-1FAFF (Python decides by Unicode category);
 * case folding under (?i) is metric_fold_cp's.  Backreferences, lookaround,
 * conditionals and other flags are rejected with an error (never mis-matched). */
int metric_regex_compile(const char *pattern, struct metric_regex **out, struct ps_err *err);
int metric_regex_search(const struct metric_regex *re, const char *text, size_t len);
void metric_regex_free(struct metric_regex *re);

/* Lower-case one code point like Python's str.lower() for ASCII, Latin-1, Latin
 * Extended-A, Greek and Cyrillic (other code points are returned unchanged). */
uint32_t metric_fold_cp(uint32_t cp);

/* A language code like langdetect's ("en", "de", "fr", "es", "it", "pt", "nl", "sv",
 * "pl", "tr", "ru", "uk", "el", "he", "ar", "hi", "th", "ja", "ko", "zh-cn"), or
 * "unknown".  Scripts decide the non-Latin languages; Latin text is scored by
 * frequent function words.  Static string. */
const char *metric_detect_language(const char *text, size_t len);

#endif
