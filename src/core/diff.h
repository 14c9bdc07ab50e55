/* Word-level diff of two texts, for emphasising what differs between two responses.
 *
 * Both texts are split into tokens (core/width.h classes): runs of word characters,
 * runs of spaces/tabs, single newlines, and single other characters; a wide (CJK,
 * emoji) cluster is a token of its own, so Chinese and Japanese diff by character.
 * Myers' O(ND) algorithm (linear space, divide at the middle snake) finds a
 * shortest edit script on the tokens.  The result is a list of hunks that tile both
 * texts in order: EQUAL hunks hold the same text on both sides; DELETED hunks exist
 * only in A, INSERTED only in B, and CHANGED hunks replace a region of A with one of
 * B.  A whitespace-only EQUAL gap between two changes is folded into one CHANGED
 * hunk, so "a b c" vs "x y z" is one change rather than three.
 *
 * Tokens of one side that the other side never holds are edits whatever the
 * alignment; the search runs without them (xdiff's discard), which keeps shortest
 * scripts shortest and shrinks unrelated texts.  Work is linear in the text: a
 * bisection that has searched dlim = max(16, 70000 / tokens) edits without finding
 * its middle snake cuts at the furthest point it reached (GNU diff's heuristic), so
 * short or similar texts get a shortest script and long unrelated ones a valid,
 * near-shortest one in O((N+M)·dlim).  Each search keeps its rows, so the part
 * behind a cut is read back instead of searched again.  Caps on top: beyond
 * opts.max_tokens tokens on a side (not counting the common first and last tokens)
 * the diff falls back to whole lines, then diffs the words inside each changed block
 * of lines while the budget lasts (simplified = 1: blocks past the budget stay
 * whole); if even the line diff is too much, one CHANGED hunk between the common
 * first and last lines remains (simplified = 2).  When the word search uses up half
 * of opts.max_cost steps, what it settled stays and only the rectangle it left is
 * diffed that way (simplified = 1).  Measured (bench/text_bench.sh, CPU time):
 * two 4 KB responses 0.05-0.11 ms (unrelated 0.20-0.21 ms), two 100 KB responses
 * 1.3-2.6 ms with kept buffers (text_diff_with), unrelated 7.8 ms.  Feed the sanitized text that is
 * drawn, so offsets match. */
#ifndef PS_CORE_DIFF_H
#define PS_CORE_DIFF_H

#include <stddef.h>

#include "core/sanitize.h"

enum text_diff_tag {
    TEXT_DIFF_EQUAL,
    TEXT_DIFF_DELETED,  /* a_len > 0, b_len == 0 */
    TEXT_DIFF_INSERTED, /* a_len == 0, b_len > 0 */
    TEXT_DIFF_CHANGED,  /* both non-empty */
};

struct text_diff_hunk {
    size_t a_off, a_len; /* bytes of A */
    size_t b_off, b_len; /* bytes of B */
    enum text_diff_tag tag;
};

struct text_diff {
    struct text_diff_hunk *h; /* in order; the A ranges tile A, the B ranges tile B */
    size_t n, cap;
    int simplified;            /* 0 word level, 1 line level, 2 one block */
    size_t tokens_a, tokens_b; /* tokens diffed (common first/last lines excluded) */
    size_t edit_tokens;        /* tokens deleted + inserted (the D of the script); when
                                  simplified, a block of lines left whole counts 1 */
};

enum {
    /* Runs of whitespace compare equal whatever they hold (tig's `W`). */
    TEXT_DIFF_IGNORE_WS = 1u << 0,
};

struct text_diff_opts {
    unsigned flags;
    size_t max_tokens; /* per side; 0 means 100000 */
    size_t max_cost;   /* steps of the search, all levels together; 0 means 1,000,000 (a few ms) */
};

/* Diff a[0..na) against b[0..nb).  `opts` may be NULL.  `out` must be zeroed or
 * freed before; the caller owns its hunks and releases them with text_diff_free.
 * Never fails (allocation failure aborts, as everywhere in prefscope). */
void text_diff(const char *a, size_t na, const char *b, size_t nb,
               const struct text_diff_opts *opts, struct text_diff *out);
void text_diff_free(struct text_diff *d);

/* Buffers a caller keeps between diffs (a pair view: one for its life), so that a
 * diff does not fault in again the pages the last one freed (up to 40% of a 100 KB
 * diff).  The caller owns it: text_diff_scratch_new, then text_diff_scratch_free
 * (NULL is fine); one diff at a time uses it. */
struct text_diff_scratch;
struct text_diff_scratch *text_diff_scratch_new(void);
void text_diff_scratch_free(struct text_diff_scratch *s);

/* text_diff with the buffers of `scratch` (NULL: text_diff). */
void text_diff_with(struct text_diff_scratch *scratch, const char *a, size_t na, const char *b,
                    size_t nb, const struct text_diff_opts *opts, struct text_diff *out);

/* Index of the hunk covering byte `off` of side 0 (A) or 1 (B) — for drawing a row
 * that starts mid-text.  Returns d->n when off is past the end.  O(log n); empty
 * ranges on that side are skipped. */
size_t text_diff_find(const struct text_diff *d, int side, size_t off);

/* Append the token spans of s[0..n) (the tokenizer the diff uses) to `out`. */
void text_tokenize(const char *s, size_t n, struct text_spans *out);

#endif
