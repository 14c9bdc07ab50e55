/* LLM-as-judge text handling (pure C): pairwise prompt templates and the tolerant
 * parser that turns a judge's answer into a verdict.
 *
 * Templates are text files with {{name}} placeholders, split into sections by lines
 * "--- system ---" and "--- user ---" (the same syntax as ps.template); text before
 * any header is the user message.  Values are substituted, never evaluated, and a
 * value's own "{{...}}" is left alone (substitution is one pass over the template).
 * The shipped templates are the .txt files in lua-modules/prefscope/templates/judge/. */
#ifndef PS_CORE_JUDGE_H
#define PS_CORE_JUDGE_H

#include <stddef.h>

#include "core/err.h"
#include "core/strbuf.h"

struct judge_template {
    char *system; /* owned; NULL when the template has no system section */
    char *user;   /* owned; never NULL after a successful parse */
};

/* Split template text into its sections.  Unknown section names are an error
 * (PS_ERR_PARSE naming the line); an empty user section too.  On success the caller
 * owns out (judge_template_free). */
int judge_template_parse(const char *text, struct judge_template *out, struct ps_err *err);
void judge_template_free(struct judge_template *t);

/* Render `tmpl` into sb: {{name}} is replaced by the value of the key `name` (keys
 * and vals are parallel arrays of n borrowed strings; a NULL value renders as "").
 * An unknown placeholder is an error naming it (PS_ERR_PARSE), so a typo in a
 * template fails before any request is sent. */
int judge_render(struct strbuf *sb, const char *tmpl, const char *const *keys,
                 const char *const *vals, int n, struct ps_err *err);

/* How an answer was understood. */
struct judge_parse {
    int verdict;      /* STATS_A, STATS_B, STATS_TIE or STATS_INVALID (core/stats.h) */
    const char *rule; /* static: "json", "brackets", "output", "keyword", "bare", "none" */
};

/* Parse a judge's answer, tolerating chatter, markdown and code fences.  Rules, in
 * priority order (the first rule that finds anything decides; within a rule the LAST
 * match wins, since judges restate the options before concluding):
 *   json      a JSON-ish "winner"/"verdict"/"preference"/"better"/"choice"/"answer" key
 *             with value A, B, 1, 2, tie, ... ({"winner": "A"}, inside ``` fences too)
 *   brackets  [[A]], [[B]], [[C]] or [[tie]] (MT-Bench style; C means tie)
 *   output    "Output (a)" / "Output (b)" (AlpacaEval / LLMBar style)
 *   bare      the whole answer, stripped of quotes, '*', '.', brackets, is a label
 *             ("A", "Response B", "tie", "2")
 *   keyword   winner / verdict / answer / better / preferred / choice / final,
 *             optionally "is" or ':', then "Response"/"Assistant"/"Output", then A/B/1/2/
 *             tie; or "Response B is better" / "Assistant A wins".  Single letters must
 *             be uppercase here, since "a" is usually an article.
 * Anything else is STATS_INVALID (rule "none"). */
void judge_parse_verdict(const char *text, struct judge_parse *out);

#endif
