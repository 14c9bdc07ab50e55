/* The one sanitizer that dataset text passes through before it is drawn.
 *
 * Dataset text is untrusted: it may hold escape sequences (title changes, clipboard
 * writes with OSC 52, screen clears, cursor moves), carriage-return overwrite
 * tricks, C1 controls and bidi overrides that reorder what a rater sees.  The
 * sanitized text holds only printable characters, '\n', spaces and (unless
 * TEXT_SAN_EXPAND_TABS) '\t'; everything else becomes a visible placeholder:
 *
 *   C0 controls, DEL          the Control Pictures "␀".."␟", "␡" (CR: see below)
 *   ESC sequences             "␛" + a short printable summary, one per sequence:
 *                             CSI "␛[2J", OSC "␛]0;title", DCS/SOS/PM/APC "␛P...",
 *                             two-byte "␛c"; the sequence is consumed whole
 *                             (in summaries a space shows as "␣", others as ".")
 *   C1 controls U+0080-009F   "␛" + the 7-bit equivalent (U+009B CSI is "␛[..."
 *                             and consumes its sequence like ESC [)
 *   CR                        CRLF becomes "\n"; a lone CR becomes "␍"
 *   U+2028, U+2029            "\n"
 *   bidi controls             "⟨RLO⟩", "⟨LRI⟩", "⟨RLM⟩"... (U+202A-202E,
 *                             U+2066-2069, U+200E, U+200F, U+061C)
 *   invalid UTF-8             U+FFFD per maximal ill-formed subsequence
 *   tag characters U+E0000-   "⟨TAG:hidden⟩", what they spell (invisible "ASCII
 *     E007F                   smuggling"); kept inside emoji flags (🏴 + tags)
 *   > 8 zero-width code       the first 8 are kept, the rest become "⟨+N⟩"
 *     points on one character (combining-mark floods, "Zalgo" text)
 *
 * Sanitizing is presentation only: the workspace, exports and Lua keep raw text. */
#ifndef PS_CORE_SANITIZE_H
#define PS_CORE_SANITIZE_H

#include <stddef.h>

#include "core/strbuf.h"

enum {
    /* Expand tabs to spaces up to the next multiple of 8 columns, counted from the
     * last newline (without it tabs are kept for text_wrap to expand). */
    TEXT_SAN_EXPAND_TABS = 1u << 0,
    /* One-line preview: every run of whitespace (newlines included) becomes one
     * space, and leading/trailing whitespace is dropped. */
    TEXT_SAN_ONELINE = 1u << 1,
};

/* A byte range of the sanitized output (for styling placeholders). */
struct text_span {
    size_t off, len;
};

struct text_spans {
    struct text_span *v;
    size_t n, cap;
};

/* Append the sanitized form of s[0..n) to `out` (which the caller owns).  `s` may
 * hold any bytes, NUL included. */
void text_sanitize(const char *s, size_t n, struct strbuf *out, unsigned flags);

/* As text_sanitize, and also append to `marks` (caller-owned, may be NULL) the
 * span of `out` covered by each placeholder, so a view can draw them dimmed. */
void text_sanitize_marked(const char *s, size_t n, struct strbuf *out, unsigned flags,
                          struct text_spans *marks);

/* Escape visualisation: append s[0..n) with every non-printable or invisible
 * character shown as a C-style escape ("\e[31m", "\r", "\t", "\x07", "\u202e",
 * "\u200b", "\U000e0041", invalid bytes as "\xff") and backslashes doubled;
 * newlines are kept.  The result is safe to draw as is. */
void text_escape_visual(const char *s, size_t n, struct strbuf *out);

/* One-line sanitized copy of the NUL-terminated `s` for a message: resets `tmp`
 * (caller-owned), fills it, and returns its string (valid until `tmp` changes).
 * NULL gives "". */
const char *text_clean(struct strbuf *tmp, const char *s);

void text_spans_free(struct text_spans *sp);

#endif
