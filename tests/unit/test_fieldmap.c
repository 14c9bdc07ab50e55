/* formats/fieldmap: the --map grammar (targets, nested paths, quoted keys,
 * constants) and its error messages. */
#include "core/strbuf.h"
#include "formats/fieldmap.h"
#include "test.h"

static const char doc[] =
    "{\"q\": {\"text\": \"why?\", \"turns\": [{\"c\": \"t0\"}, {\"c\": \"t1\", \"deep\": [[1, 2], "
    "[3, 4]]}]},"
    " \"answers\": [{\"text\": \"first\"}, {\"text\": \"second\"}],"
    " \"key with spaces\": \"spaced\", \"dotted.key\": \"dots\", \"comma,key\": \"commas\","
    " \"n\": 3, \"nul\": null, \"it's\": \"apostrophe\"}";

/* Resolve `target` of a parsed map in doc; returns the string value or a marker. */
static const char *
resolve_str(const struct field_map *m, const cJSON *root, const char *target)
{
    const struct field_map_entry *e = fieldmap_get(m, target);
    if (!e)
        return "(no entry)";
    const cJSON *v = fieldmap_resolve(e->path, root);
    if (!v)
        return "(missing)";
    if (cJSON_IsString(v))
        return v->valuestring;
    if (cJSON_IsNumber(v))
        return v->valueint == 4 ? "4" : v->valueint == 3 ? "3" : "(number)";
    if (cJSON_IsNull(v))
        return "(null)";
    return "(other)";
}

static void
test_paths(void)
{
    cJSON *root = cJSON_Parse(doc);
    CHECK(root != NULL);
    struct field_map *m = NULL;
    struct ps_err err = {0};
    int rc = fieldmap_parse("prompt=q.text,a=answers[0].text,b=answers[1].text,"
                            "system=[\"key with spaces\"],id=['dotted.key'],"
                            "rationale=[\"comma,key\"],history=q.turns[1].deep[1][1],"
                            "tags=[\"it's\"],p_a=n,annotator=nul",
                            &m, &err);
    CHECK_EQ(rc, PS_OK);
    if (rc == PS_OK) {
        CHECK_EQ(m->n, 10);
        CHECK_STREQ(resolve_str(m, root, "prompt"), "why?");
        CHECK_STREQ(resolve_str(m, root, "a"), "first");
        CHECK_STREQ(resolve_str(m, root, "b"), "second");
        CHECK_STREQ(resolve_str(m, root, "system"), "spaced");
        CHECK_STREQ(resolve_str(m, root, "id"), "dots");
        CHECK_STREQ(resolve_str(m, root, "rationale"), "commas");
        CHECK_STREQ(resolve_str(m, root, "history"), "4");
        CHECK_STREQ(resolve_str(m, root, "tags"), "apostrophe");
        CHECK_STREQ(resolve_str(m, root, "p_a"), "3");
        CHECK_STREQ(resolve_str(m, root, "annotator"), "(null)");
        CHECK_STREQ(resolve_str(m, root, "model.a"), "(no entry)");
        CHECK_STREQ(fieldmap_get(m, "system")->source, "[\"key with spaces\"]");
        struct strbuf sb = STRBUF_INIT;
        fieldmap_describe(m, &sb);
        CHECK_CONTAINS(sb_str(&sb), "prompt <- q.text; a <- answers[0].text");
        sb_free(&sb);
    }
    fieldmap_free(m);

    /* missing steps resolve to NULL rather than crashing: wrong type at each step */
    m = NULL;
    CHECK_EQ(fieldmap_parse("a=answers[5].text,b=q.text.more,prompt=answers.text,"
                            "system=n[0],id=missing.deeper",
                            &m, &err),
             PS_OK);
    if (m) {
        CHECK_STREQ(resolve_str(m, root, "a"), "(missing)");
        CHECK_STREQ(resolve_str(m, root, "b"), "(missing)");
        CHECK_STREQ(resolve_str(m, root, "prompt"), "(missing)");
        CHECK_STREQ(resolve_str(m, root, "system"), "(missing)");
        CHECK_STREQ(resolve_str(m, root, "id"), "(missing)");
    }
    fieldmap_free(m);

    /* a key made only of spaces and a bare key with inner spaces (CSV headers) */
    m = NULL;
    CHECK_EQ(fieldmap_parse("a=key with spaces", &m, &err), PS_OK);
    if (m)
        CHECK_STREQ(resolve_str(m, root, "a"), "spaced");
    fieldmap_free(m);

    /* whitespace around entries is ignored */
    m = NULL;
    CHECK_EQ(fieldmap_parse(" prompt = q.text , a = answers[0].text ", &m, &err), PS_OK);
    if (m) {
        CHECK_STREQ(resolve_str(m, root, "prompt"), "why?");
        CHECK_STREQ(resolve_str(m, root, "a"), "first");
    }
    fieldmap_free(m);
    cJSON_Delete(root);
}

static void
test_constants_and_targets(void)
{
    struct field_map *m = NULL;
    struct ps_err err = {0};
    CHECK_EQ(fieldmap_parse("chosen=c,rejected=r,label=pref,label.a=left|L,label.b=right,"
                            "label.tie=same,annotator.name=human:carol,rating.a.helpfulness=h1,"
                            "rating.b.helpfulness=h2,model.a=m1,model.b=m2",
                            &m, &err),
             PS_OK);
    if (m) {
        CHECK_STREQ(fieldmap_get(m, "label.a")->source, "left|L");
        CHECK(fieldmap_get(m, "label.a")->path == NULL);
        CHECK_STREQ(fieldmap_get(m, "annotator.name")->source, "human:carol");
        CHECK(fieldmap_get(m, "rating.b.helpfulness")->path != NULL);
    }
    fieldmap_free(m);
    /* a single-response (KTO-like) map */
    m = NULL;
    CHECK_EQ(fieldmap_parse("prompt=p,response=completion,label=label", &m, &err), PS_OK);
    fieldmap_free(m);
}

static void
test_errors(void)
{
    struct field_map *m = NULL;
    struct ps_err err = {0};
    CHECK_EQ(fieldmap_parse("prompt=q,bogus=x,a=y", &m, &err), PS_ERR_USAGE);
    CHECK_CONTAINS(err.msg, "unknown target 'bogus'");
    CHECK(m == NULL);
    CHECK_EQ(fieldmap_parse("prompt", &m, &err), PS_ERR_USAGE);
    CHECK_CONTAINS(err.msg, "expected TARGET=FIELD, found 'prompt'");
    CHECK_EQ(fieldmap_parse("=x,a=y", &m, &err), PS_ERR_USAGE);
    CHECK_CONTAINS(err.msg, "expected TARGET=FIELD");
    CHECK_EQ(fieldmap_parse("a=", &m, &err), PS_ERR_USAGE);
    CHECK_CONTAINS(err.msg, "empty path");
    CHECK_EQ(fieldmap_parse("a=x[\"open", &m, &err), PS_ERR_USAGE);
    CHECK_CONTAINS(err.msg, "unterminated");
    CHECK_EQ(fieldmap_parse("a=x[one]", &m, &err), PS_ERR_USAGE);
    CHECK_CONTAINS(err.msg,
                   "expected a number (-1 is the last), a slice [a:b], [*] or a quoted key");
    CHECK_EQ(fieldmap_parse("a=x[1:2:3]", &m, &err), PS_ERR_USAGE);
    CHECK_EQ(fieldmap_parse("a=x[-1],b=y[1:],prompt=z[*].t", &m, &err), PS_OK);
    fieldmap_free(m);
    m = NULL;
    CHECK_EQ(fieldmap_parse("id=x", &m, &err), PS_ERR_USAGE);
    CHECK_CONTAINS(err.msg, "needs a prompt or a response field");
    CHECK_EQ(fieldmap_parse("prompt=q,models=m", &m, &err), PS_ERR_USAGE);
    CHECK_CONTAINS(err.msg, "parallel to responses=");
    CHECK_EQ(fieldmap_parse("prompt=q,responses=r,pairs=some", &m, &err), PS_ERR_USAGE);
    CHECK_CONTAINS(err.msg, "pairs= is 'all' or 'best'");
    CHECK_EQ(fieldmap_parse("prompt=q,a=x,b=y,score.a=s,score.b=t,margin=-1", &m, &err),
             PS_ERR_USAGE);
    CHECK_CONTAINS(err.msg, "margin= takes a number >= 0");
    CHECK_EQ(fieldmap_parse("a=x..y", &m, &err), PS_ERR_USAGE);
    CHECK_CONTAINS(err.msg, "empty field name");
    CHECK_EQ(fieldmap_parse("a=x[0", &m, &err), PS_ERR_USAGE);
    CHECK_EQ(fieldmap_parse("prompt=q,b=y", &m, &err), PS_ERR_USAGE);
    CHECK_CONTAINS(err.msg, "b= needs a=");
    CHECK_EQ(fieldmap_parse("", &m, &err), PS_ERR_USAGE);
    CHECK_EQ(fieldmap_parse("a=x,a=y", &m, &err), PS_ERR_USAGE);
    CHECK_CONTAINS(err.msg, "'a' is mapped twice");
    CHECK_EQ(fieldmap_parse("a=x,rating.a.=y", &m, &err), PS_ERR_USAGE);
    CHECK_CONTAINS(err.msg, "unknown target 'rating.a.'");
    CHECK_EQ(fieldmap_parse("a=x,b=y,rejected=z", &m, &err), PS_ERR_USAGE);
    CHECK_CONTAINS(err.msg, "rejected");
    CHECK(m == NULL);
}

int
main(void)
{
    test_paths();
    test_constants_and_targets();
    test_errors();
    return test_summary();
}
