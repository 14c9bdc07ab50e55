/* Judge templates and the tolerant verdict parser. */
#include "core/judge.h"
#include "core/stats.h"
#include "test.h"

static void
expect(const char *text, int verdict, const char *rule)
{
    struct judge_parse p;
    judge_parse_verdict(text, &p);
    if (p.verdict != verdict || strcmp(p.rule, rule) != 0)
        fprintf(stderr, "parse(%s) -> %s/%s, expected %s/%s\n", text, stats_class_name(p.verdict),
                p.rule, stats_class_name(verdict), rule);
    CHECK_EQ(p.verdict, verdict);
    CHECK_STREQ(p.rule, rule);
}

static void
test_parse(void)
{
    /* MT-Bench brackets; the last one wins after the judge restates the options */
    expect("[[A]]", STATS_A, "brackets");
    expect("Output [[A]] if A is better, [[B]] if B is better.\nMy verdict: [[B]]", STATS_B,
           "brackets");
    expect("Both are fine. [[C]]", STATS_TIE, "brackets");
    expect("[[Tie]]", STATS_TIE, "brackets");
    /* AlpacaEval / LLMBar */
    expect("Output (b)", STATS_B, "output");
    expect("After comparing, Output (a) follows the instruction better.", STATS_A, "output");
    /* JSON, with fences and chatter, single quotes, numbers */
    expect("```json\n{\"reason\": \"B is more precise\", \"winner\": \"B\"}\n```", STATS_B, "json");
    expect("Sure! {'winner': 'A'}", STATS_A, "json");
    expect("{\"preference\": 2}", STATS_B, "json");
    expect("{\"winner\": \"tie\"}", STATS_TIE, "json");
    expect("{\"winner\": \"Response A\"}", STATS_A, "json");
    /* JSON beats brackets quoted in the reasoning */
    expect("{\"reason\": \"unlike [[A]]\", \"winner\": \"B\"}", STATS_B, "json");
    /* bare answers */
    expect("A", STATS_A, "bare");
    expect("  **B**.\n", STATS_B, "bare");
    expect("Response A", STATS_A, "bare");
    expect("tie", STATS_TIE, "bare");
    expect("2", STATS_B, "bare");
    /* keywords */
    expect("Both have merits.\nFinal verdict: B", STATS_B, "keyword");
    expect("The winner is Assistant A.", STATS_A, "keyword");
    expect("I think Response B is better because it cites sources.", STATS_B, "keyword");
    expect("Answer: tie", STATS_TIE, "keyword");
    /* "a better answer": a lowercase article is not a label */
    expect("Response one gives a better answer overall.", STATS_INVALID, "none");
    /* nothing usable */
    expect("I cannot decide between these.", STATS_INVALID, "none");
    expect("", STATS_INVALID, "none");
    expect("[[maybe]]", STATS_INVALID, "none");
    struct judge_parse p;
    judge_parse_verdict(NULL, &p);
    CHECK_EQ(p.verdict, STATS_INVALID);
}

static void
test_template(void)
{
    struct judge_template t;
    struct ps_err err;
    CHECK_EQ(judge_template_parse(
                 "--- system ---\nBe fair.\n\n--- user ---\nQ: {{prompt}}\nA: {{a}}\n", &t, &err),
             PS_OK);
    CHECK_STREQ(t.system, "Be fair.");
    CHECK_STREQ(t.user, "Q: {{prompt}}\nA: {{a}}");
    const char *keys[] = {"prompt", "a"}, *vals[] = {"2+2?", "4 {{b}}"};
    struct strbuf sb = STRBUF_INIT;
    CHECK_EQ(judge_render(&sb, t.user, keys, vals, 2, &err), PS_OK);
    /* values are not expanded again */
    CHECK_STREQ(sb_str(&sb), "Q: 2+2?\nA: 4 {{b}}");
    sb_reset(&sb);
    CHECK_EQ(judge_render(&sb, "{{ prompt }}/{{nope}}", keys, vals, 2, &err), PS_ERR_PARSE);
    CHECK_CONTAINS(err.msg, "{{nope}}");
    sb_free(&sb);
    judge_template_free(&t);
    /* no sections: everything is the user message */
    CHECK_EQ(judge_template_parse("Compare {{a}} and {{b}}.", &t, &err), PS_OK);
    CHECK(t.system == NULL);
    CHECK_STREQ(t.user, "Compare {{a}} and {{b}}.");
    judge_template_free(&t);
    CHECK_EQ(judge_template_parse("--- system ---\nx\n--- assistant ---\ny\n", &t, &err),
             PS_ERR_PARSE);
    CHECK_CONTAINS(err.msg, "line 3");
    CHECK_EQ(judge_template_parse("--- system ---\nonly a system\n", &t, &err), PS_ERR_PARSE);
}

int
main(void)
{
    test_parse();
    test_template();
    return test_summary();
}
