/* Batch files: the pending calls of a run, written for a provider's batch API (OpenAI
 * Batch API JSONL, which vLLM's run-batch also reads, or an Anthropic Message Batches
 * request file), and the provider's results read back into the call log, so that the
 * run, started again, finds every answer in the cache (docs/llm.md, "Batch runs").
 *
 * The custom_id of every request is the engine's cache key (64 hex digits, which both
 * providers accept), so nothing else is needed to match a result to the call. */
#ifndef PS_LLM_BATCH_H
#define PS_LLM_BATCH_H

#include "core/err.h"

struct store;

enum llm_batch_format {
    LLM_BATCH_AUTO = -1,     /* by the provider of the captured calls */
    LLM_BATCH_OPENAI = 0,    /* JSONL: {"custom_id","method","url","body"} per line */
    LLM_BATCH_ANTHROPIC = 1, /* JSON: {"requests":[{"custom_id","params"}]} */
};

/* Turn a capture file (llm_engine_capture's lines) into a batch request file at
 * out_path, written to a temporary file and renamed.  Duplicate custom_ids are
 * written once.  All calls must be for one provider, the one `format` is for (AUTO:
 * whichever they are for).  *n_out gets the number of requests, *format_out the
 * format used.  An empty capture writes nothing and gives *n_out = 0. */
int llm_batch_write(const char *capture_path, enum llm_batch_format format, const char *out_path,
                    int *n_out, enum llm_batch_format *format_out, struct ps_err *err);

struct llm_batch_import_stats {
    int ok;      /* successful results written to the call log */
    int errors;  /* failed results written as error rows (never served from the cache) */
    int known;   /* results whose call already had a successful row: skipped */
    int unknown; /* custom_ids that are not in the requests file: skipped */
    int missing; /* requests without a result (expired, or not in this results file) */
};

/* Read the results of a batch (OpenAI: output JSONL lines {"custom_id","response":
 * {"status_code","request_id","body"},"error"}; Anthropic: lines {"custom_id",
 * "result":{"type":"succeeded","message"} | {"type":"errored","error"} | canceled |
 * expired}) against the requests file that was submitted, and write them to the call
 * log of `st` in one transaction: either every row is written or none.  model_name
 * (may be NULL) is stored as llm_call.model_name.  A malformed line is an error naming
 * the file and line. */
int llm_batch_import(struct store *st, const char *requests_path, const char *results_path,
                     const char *model_name, struct llm_batch_import_stats *out,
                     struct ps_err *err);

#endif
