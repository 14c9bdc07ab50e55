#include "core/record.h"

#include <string.h>

void
ps_record_clear(struct ps_record *r)
{
    memset(r, 0, sizeof *r);
}

int
ps_record_add_response(struct ps_record *r, const char *text, const char *model)
{
    if (r->n_resp >= PS_REC_MAX_RESP)
        return -1;
    struct ps_rec_response *x = &r->resp[r->n_resp];
    memset(x, 0, sizeof *x);
    x->text = text;
    x->model = model;
    return r->n_resp++;
}

int
ps_record_add_judgment(struct ps_record *r, int a, int b, const char *annotator,
                       const char *verdict, double p_a, const char *rationale)
{
    if (r->n_judg >= PS_REC_MAX_JUDG)
        return -1;
    struct ps_rec_judgment *j = &r->judg[r->n_judg];
    memset(j, 0, sizeof *j);
    j->a = a;
    j->b = b;
    j->annotator = annotator;
    j->verdict = verdict;
    j->p_a = p_a;
    j->has_p = strcmp(verdict, "invalid") != 0;
    j->weight = 1.0;
    j->rationale = rationale;
    return r->n_judg++;
}

int
ps_record_add_rating(struct ps_record *r, int resp, const char *aspect, double value,
                     const char *annotator)
{
    if (r->n_rating >= PS_REC_MAX_RATING)
        return -1;
    struct ps_rec_rating *x = &r->rating[r->n_rating];
    x->resp = resp;
    x->aspect = aspect;
    x->value = value;
    x->annotator = annotator;
    return r->n_rating++;
}

const char *
ps_verdict_from_p(double p_a)
{
    if (p_a > 0.5)
        return "A";
    if (p_a < 0.5)
        return "B";
    return "tie";
}

int
ps_record_add_tag(struct ps_record *r, const char *tag)
{
    if (r->n_tags >= PS_REC_MAX_TAGS)
        return -1;
    r->tags[r->n_tags++] = tag;
    return 0;
}
