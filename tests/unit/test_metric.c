/* src/core/metric.c: the DSL's errors and round trip, hostile regexes (linear time,
 * size limits, rejected constructs), the language check.  The metrics themselves are
 * checked against python3 in tests/e2e/c3po_metrics.sh. */
#include <time.h>

#include "core/metric.h"
#include "test.h"

static int
parses(const char *dsl)
{
    struct metric_spec s;
    struct ps_err err = {0, ""};
    int rc = metric_spec_parse(dsl, &s, &err);
    metric_spec_free(&s);
    return rc == PS_OK;
}

static int
rx(const char *pat, const char *text)
{
    struct metric_regex *re;
    struct ps_err err = {0, ""};
    if (metric_regex_compile(pat, &re, &err) != PS_OK)
        return -1;
    int m = metric_regex_search(re, text, strlen(text));
    metric_regex_free(re);
    return m;
}

int
main(void)
{
    CHECK(parses("length() <="));
    CHECK(parses("contains_all_strings(\"&\"), contains_none_strings(\" and \") >="));
    CHECK(parses("starts_with(\"```\"); ends_with(\"```\") greater_eq_than"));
    CHECK(!parses(""));
    CHECK(!parses("length"));
    CHECK(!parses("length(\"x\")")); /* length takes no value */
    CHECK(!parses("starts_with()")); /* needs one */
    CHECK(!parses("bogus(\"x\")"));
    CHECK(!parses("contains_any_string(\"x) >="));
    CHECK(!parses("length() >= length()"));
    CHECK(!parses("regex_search(\"(?=x)\")"));

    struct metric_spec s;
    struct ps_err err = {0, ""};
    CHECK_EQ(metric_spec_parse("ends_with_cleaned(\"Cheerio,\\nSasha\\u00e9\") <=", &s, &err),
             PS_OK);
    struct strbuf sb = STRBUF_INIT;
    metric_spec_format(&s, &sb);
    CHECK(strcmp(sb_str(&sb), "ends_with_cleaned(\"Cheerio,\\nSasha\xc3\xa9\") <=") == 0);
    CHECK(s.cmp == METRIC_LE);
    CHECK(metric_spec_success(&s, "Cheerio, Sasha", "bye"));
    CHECK(!metric_spec_success(&s, "bye", "Cheerio, Sasha"));
    sb_free(&sb);
    metric_spec_free(&s);

    /* the error names the offset */
    CHECK(metric_spec_parse("length() ?", &s, &err) != PS_OK);
    CHECK(strstr(err.msg, "offset") != NULL);
    metric_spec_free(&s);

    /* regex: Python semantics on the basics */
    CHECK_EQ(rx("^a$", "a\n"), 1);
    CHECK_EQ(rx("a\\Z", "a\n"), 0);
    CHECK_EQ(rx("(?i)HELLO", "say hello"), 1);
    CHECK_EQ(rx("[\\U0001F600-\\U0001F64F]+", "ok \xf0\x9f\x98\x8d"), 1);
    CHECK_EQ(rx("a{2,3}", "caab"), 1);
    CHECK_EQ(rx("x{", "x{"), 1); /* not a quantifier: literal */
    CHECK_EQ(rx("\\1", "a"), -1);
    CHECK_EQ(rx("(a", "a"), -1);
    CHECK_EQ(rx("a)", "a"), -1);
    CHECK_EQ(rx("*a", "a"), -1);
    CHECK_EQ(rx("a{5,2}", "a"), -1);
    CHECK_EQ(rx("(((a{1000}){1000}){1000})", "a"), -1); /* too large, refused */

    /* a pattern that is exponential for a backtracker is linear here */
    char text[20002];
    memset(text, 'a', 20000);
    text[20000] = 0;
    clock_t t0 = clock();
    CHECK_EQ(rx("(a*)*b", text), 0);
    CHECK_EQ(rx("(a|aa)+$", text), 1);
    CHECK((double)(clock() - t0) / CLOCKS_PER_SEC < 5);

    CHECK(strcmp(metric_detect_language("The cat is on the mat and it is happy", 37), "en") == 0);
    CHECK(strcmp(metric_detect_language("El perro y el gato son muy amigos con la casa", 46),
                 "es") == 0);
    CHECK(strcmp(metric_detect_language(
                     "\xe3\x81\x93\xe3\x82\x93\xe3\x81\xab\xe3\x81\xa1\xe3\x81\xaf", 15),
                 "ja") == 0);
    CHECK(strcmp(metric_detect_language("12345 !!!", 9), "unknown") == 0);
    return test_summary();
}
