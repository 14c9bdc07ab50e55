/* The normalized record every importer produces and the store consumes.
 *
 * A record is one item (a prompt with its context) with 1..N candidate responses,
 * the judgments comparing them and scalar ratings of them.  All strings are
 * borrowed from the producer and only need to live for the duration of the call
 * that consumes the record (store_put_record).  NULL means "absent". */
#ifndef PS_CORE_RECORD_H
#define PS_CORE_RECORD_H

#include <stddef.h>

#define PS_REC_MAX_RESP 32
#define PS_REC_MAX_JUDG 64
#define PS_REC_MAX_RATING 128
#define PS_REC_MAX_TAGS 32

struct ps_rec_response {
    const char *text;      /* may be NULL for text-free battles */
    const char *model;     /* may be NULL */
    const char *meta_json; /* JSON object text or NULL */
};

/* Verdicts: "A", "B", "tie" or "invalid" (an answer that could not be parsed). */
struct ps_rec_judgment {
    int a, b;              /* indices into resp[] as presented to the annotator */
    const char *annotator; /* "dataset", "human:alice", "llm:gpt-4", ... */
    const char *verdict;
    double p_a;    /* probability/share that A is better (1, 0, 0.5, or fractional) */
    int has_p;     /* 0 when p_a is unknown (invalid verdicts) */
    double weight; /* 1 unless the source repeats a verdict as a weight */
    const char *rationale;
    const char *meta_json;
};

struct ps_rec_rating {
    int resp;           /* index into resp[] */
    const char *aspect; /* "score", "helpfulness", "rank", "kto", ... */
    double value;
    const char *annotator;
};

struct ps_record {
    const char *key;          /* merge key: records with the same key in a dataset are one item */
    const char *ext_id;       /* the source's own id, if any */
    const char *system;       /* system prompt */
    const char *history_json; /* JSON array of {"role":..,"content":..} before the final prompt */
    /* The history's contents joined by single spaces, when the importer has them at
     * hand (NULL: the store derives them from history_json; both must agree). */
    const char *history_text;
    const char *prompt; /* the final user prompt */
    const char *meta_json;
    struct ps_rec_response resp[PS_REC_MAX_RESP];
    int n_resp;
    struct ps_rec_judgment judg[PS_REC_MAX_JUDG];
    int n_judg;
    struct ps_rec_rating rating[PS_REC_MAX_RATING];
    int n_rating;
    const char *tags[PS_REC_MAX_TAGS];
    int n_tags;
};

/* Reset every field (no memory is owned). */
void ps_record_clear(struct ps_record *r);

/* Append a response / judgment; return its index, or -1 when the fixed capacity is
 * exhausted. */
int ps_record_add_response(struct ps_record *r, const char *text, const char *model);
int ps_record_add_judgment(struct ps_record *r, int a, int b, const char *annotator,
                           const char *verdict, double p_a, const char *rationale);
int ps_record_add_rating(struct ps_record *r, int resp, const char *aspect, double value,
                         const char *annotator);

/* Add a tag; returns 0, or -1 when full. */
int ps_record_add_tag(struct ps_record *r, const char *tag);

/* Map a probability that A is better to a verdict string ("A", "B" or "tie"). */
const char *ps_verdict_from_p(double p_a);

#endif
