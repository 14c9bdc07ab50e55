/* Measurable principles: text features of a response that vote on a pair without an
 * LLM (ICAI's offline constitution, DESIGN §6).
 *
 * Each feature turns one response (and, for prompt overlap, the prompt) into a
 * number; a pair is voted by comparing the two numbers: the principle "selects" the
 * response with the larger value (the smaller one for `shorter`).  Equal values vote
 * "both" when the feature is present in both responses and "neither" when it is
 * absent from both.  The exact definitions are in docs/icai.md and are checked
 * against an independent Python implementation in tests/e2e/icai_offline.sh. */
#ifndef PS_CORE_FEATURES_H
#define PS_CORE_FEATURES_H

#include <stddef.h>

/* Votes of a principle on a pair, relative to the responses as stored (A = the first). */
enum icai_vote { ICAI_VOTE_A, ICAI_VOTE_B, ICAI_VOTE_BOTH, ICAI_VOTE_NEITHER, ICAI_VOTE_INVALID };
#define ICAI_NVOTES 5

/* "A", "B", "both", "neither", "invalid" (the principle_vote column values). */
const char *icai_vote_name(int vote);
/* The inverse of icai_vote_name; -1 for anything else. */
int icai_vote_parse(const char *s);

/*  id             name             principle text */
#define PS_FEATURES(_) \
    _(LONGER, "longer", "Select the response that is longer") \
    _(SHORTER, "shorter", "Select the response that is shorter") \
    _(LIST_ITEMS, "list_items", "Select the response that has more list items") \
    _(HEADERS, "headers", "Select the response that uses more markdown headers") \
    _(CODE_BLOCKS, "code_blocks", "Select the response that contains more code blocks") \
    _(LINKS, "links", "Select the response that contains more links") \
    _(EMOJI, "emoji", "Select the response that uses more emoji") \
    _(EXCLAMATIONS, "exclamations", "Select the response that uses more exclamation marks") \
    _(QUESTION, "question", "Select the response that asks the user a question") \
    _(REFUSAL, "refusal", "Select the response that refuses or apologizes") \
    _(HEDGING, "hedging", "Select the response that hedges more (might, perhaps, likely)") \
    _(FIRST_PERSON, "first_person", "Select the response that speaks more in the first person") \
    _(SECOND_PERSON, "second_person", "Select the response that addresses the user more directly") \
    _(NUMBERS, "numbers", "Select the response that contains more numbers") \
    _(PROMPT_OVERLAP, "prompt_overlap", \
      "Select the response that reuses more words of the prompt") \
    _(READABILITY, "readability", "Select the response that is easier to read (Flesch score)") \
    _(BOLD, "bold", "Select the response that uses more bold text") \
    _(PARAGRAPHS, "paragraphs", "Select the response that has more paragraphs")

enum feat_id {
#define PS_FEAT_ENUM(id, name, text) FEAT_##id,
    PS_FEATURES(PS_FEAT_ENUM)
#undef PS_FEAT_ENUM
        FEAT__COUNT
};

/* Static short name ("longer") and principle text of a feature; NULL out of range. */
const char *features_name(int id);
const char *features_principle(int id);
/* The feature with that short name, or -1. */
int features_find(const char *name);

/* The prompt's distinct words (for prompt overlap), built once per pair. */
struct feat_prompt {
    char **words; /* open-addressing table of lowercase words, NULL = empty slot */
    unsigned *stamp;
    size_t cap, n;
    unsigned cur;
};

/* Build from `prompt` (NULL = empty).  The struct owns its memory; release with
 * features_prompt_free. */
void features_prompt_init(struct feat_prompt *p, const char *prompt);
void features_prompt_free(struct feat_prompt *p);

/* Measure every feature of one response text (NUL-terminated, UTF-8) into
 * out[FEAT__COUNT].  `p` may be NULL (no prompt: overlap 0).  READABILITY is NaN for
 * a text without words.  p's stamps are updated (not thread-safe per prompt). */
void features_measure(struct feat_prompt *p, const char *text, double *out);

/* The vote of feature `id` on a pair measured as a[] and b[]. */
int features_vote(int id, const double *a, const double *b);

#endif
