/* Wire formats of the providers (private to src/llm): building request bodies from
 * struct llm_request, parsing responses and error bodies, and reassembling SSE
 * streams into the shape of a non-streamed response so that one parser (and the
 * cache) handles both. */
#ifndef PS_LLM_PROVIDER_H
#define PS_LLM_PROVIDER_H

#include <stddef.h>

#include "core/strbuf.h"
#include "llm/llm.h"
#include "llm/sse.h"

struct prov_req {
    const char *path; /* static: "/chat/completions", "/messages", ... */
    int is_get;
    int root;       /* the path is at the server root: a base URL's trailing /v1 is dropped */
    char *key_body; /* canonical body without streaming flags (cache key) */
    char *body;     /* the body sent (NULL for GET) */
    size_t body_len;
    int stream;
    long score_from, score_to; /* LLM_SCORE: character range of the completion */
    double est_tokens;         /* for tpm limiting: prompt estimate + max output */
    int n;                     /* choices requested */
};

/* Build the request.  Returns PS_OK or PS_ERR_USAGE (bad raw JSON, unsupported kind).
 * `out` owns its strings: prov_req_free. */
int prov_build(const struct llm_model_cfg *cfg, const struct llm_request *req, struct prov_req *out,
               struct ps_err *err);
void prov_req_free(struct prov_req *r);

/* Parse a complete response body (non-streamed, reassembled, or from the cache) into
 * `res` (choices, usage, resolved model, score, embeddings, model ids).  Returns 1 on
 * success; else 0 with res->err.kind/message set (LLM_E_PARSE, LLM_E_UNSUPPORTED). */
int prov_parse(enum llm_provider prov, enum llm_kind kind, const char *body, size_t len,
               const struct prov_req *pr, struct llm_result *res);

/* Extract type and message from an error body of any provider (JSON or not).  Both
 * outputs are malloc'ed (type may be NULL). */
void prov_error_body(const char *body, size_t len, char **type, char **message);

/* Stream reassembly. */
struct prov_stream;
struct prov_stream *prov_stream_new(enum llm_provider prov, enum llm_kind kind);
void prov_stream_free(struct prov_stream *s);
/* Handle one SSE event: 0 = continue, 1 = the stream ended properly ([DONE],
 * message_stop), -1 = the server reported an error (see prov_stream_error). */
int prov_stream_event(struct prov_stream *s, const struct sse_event *ev);
const char *prov_stream_error(const struct prov_stream *s, const char **type);
int prov_stream_done(const struct prov_stream *s);
/* Received any content event? (for "truncated" messages) */
long prov_stream_events(const struct prov_stream *s);
/* The reassembled response as JSON in the non-streamed shape (malloc'ed). */
char *prov_stream_json(struct prov_stream *s);

#endif
