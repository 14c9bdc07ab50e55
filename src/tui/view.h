/* Internal to src/tui: the UI context, the view vtable, drawing, themes, prompt.
 *
 * Views never switch on raw keys: the loop maps keys to commands (keys.h) and
 * calls ops->request, which returns a bitmask of effects for the loop to apply. */
#ifndef PS_TUI_VIEW_H
#define PS_TUI_VIEW_H

#include <curses.h>
#include <stdint.h>
#include <stdio.h>

#include "core/strbuf.h"
#include "tui/keys.h"
#include "tui/tui.h"

/* Function keys are stored above the Unicode range so they never collide with
 * wide characters returned by get_wch. */
#define KEYC_FN(k) (0x40000000 | (k))

struct rect {
    int y, x, h, w;
};

/* Results of view requests (bitmask). */
enum {
    TUI_R_IGNORED = 0,
    TUI_R_HANDLED = 1 << 0,
    TUI_R_REDRAW = 1 << 1,
    TUI_R_CLOSE = 1 << 2, /* pop this view */
    TUI_R_QUIT = 1 << 3,
};

struct view;

struct view_ops {
    const char *name;
    enum tui_keymap keymap;
    size_t private_size;
    /* Set up priv from `arg`; on failure the view is not pushed. */
    int (*open)(struct tui *tui, struct view *v, void *arg, struct ps_err *err);
    /* Draw into v->area (the loop erased it). */
    void (*draw)(struct tui *tui, struct view *v);
    /* Handle a command; arg is NULL when it came from a key. */
    int (*request)(struct tui *tui, struct view *v, enum tui_cmd cmd, const char *arg);
    /* Optional: raw keys before the keymap (text-editing views); return
     * TUI_R_IGNORED to let the keymap handle the key. */
    int (*key)(struct tui *tui, struct view *v, int key);
    /* Optional: one line for the status bar, "position\thints"; a status
     * message replaces the part after the tab. */
    void (*status)(struct tui *tui, struct view *v, struct strbuf *out);
    /* Optional: the view became visible again (a child view closed). */
    void (*resume)(struct tui *tui, struct view *v);
    /* Optional: a left click at screen cell (y, x) inside v->area; `clicks` is 2 for
     * the second click of a double-click on the same row.  Returns TUI_R_* effects. */
    int (*mouse)(struct tui *tui, struct view *v, int y, int x, int clicks);
    /* Optional: another process changed the workspace (a second annotator's label, a
     * script, an import): re-read what the view shows, keeping its place.  Called
     * for every view on the stack, bottom first, only when something changed. */
    void (*reread)(struct tui *tui, struct view *v);
    /* Optional: release priv's resources (priv itself is freed by the loop). */
    void (*done)(struct tui *tui, struct view *v);
};

struct view {
    const struct view_ops *ops;
    void *priv;
    struct view *parent; /* the view below in the stack (NULL for the root) */
    struct rect area;
};

/* ---- themes (theme.c) ---- */

/*  id            name             monochrome emphasis */
#define TUI_ROLES(_) \
    _(DEFAULT, "default", A_NORMAL) \
    _(TITLE, "title", A_REVERSE | A_BOLD) \
    _(STATUS, "status", A_REVERSE) \
    _(STATUS_ERR, "status_error", A_BOLD | A_UNDERLINE) \
    _(MESSAGE, "message", A_NORMAL) \
    _(SEL, "selection", A_REVERSE) \
    _(HEADER, "header", A_BOLD | A_UNDERLINE) \
    _(SECTION, "section", A_BOLD) \
    _(DIM, "dim", A_DIM) \
    _(BORDER, "border", A_NORMAL) \
    _(DIFF_DEL, "diff_del", A_UNDERLINE) \
    _(DIFF_ADD, "diff_add", A_BOLD) \
    _(DIFF_CHG, "diff_change", A_REVERSE) \
    _(LABEL_A, "label_a", A_BOLD) \
    _(LABEL_B, "label_b", A_BOLD) \
    _(LABEL_TIE, "label_tie", A_BOLD) \
    _(PLACEHOLDER, "placeholder", A_REVERSE) \
    _(SEARCH, "search_match", A_REVERSE | A_UNDERLINE) \
    _(TAG, "tag", A_UNDERLINE) \
    _(ACCENT, "accent", A_BOLD) \
    _(PROMPT, "prompt", A_BOLD)

enum tui_role {
#define TUI_ROLE_ENUM(id, name, mono) ROLE_##id,
    TUI_ROLES(TUI_ROLE_ENUM)
#undef TUI_ROLE_ENUM
        ROLE__COUNT
};

enum theme_tier { TIER_MONO, TIER_16, TIER_256, TIER_TRUE };

struct theme {
    char name[64];
    enum theme_tier tier;
    attr_t attr[ROLE__COUNT];
    int pair[ROLE__COUNT];
};

/* Decide the colour tier from the terminal and environment (NO_COLOR, TERM=dumb,
 * COLORS, direct colour) after initscr. */
enum theme_tier theme_detect_tier(void);
/* Load theme `name` (a name looked up in the theme directories, or a path to a
 * .lua file) for `tier` into *th.  On failure *th is unchanged and err says why. */
int theme_load(struct theme *th, const char *name, enum theme_tier tier, struct ps_err *err);
/* Built-in monochrome/fallback theme (cannot fail). */
void theme_default(struct theme *th, enum theme_tier tier);
/* Names of the installed themes (sorted, caller frees each and the array). */
int theme_list(char ***names);
const char *theme_role_name(enum tui_role role);

/* ---- undo (shared by the item list and the pair view) ---- */

enum undo_kind { UNDO_LABEL, UNDO_TAG_ADD, UNDO_TAG_DEL, UNDO_NOTE };

/* What a label applies to, and how to name it in messages. */
struct label_target {
    int64_t item_id, seq;   /* seq: the item's 0-based import position */
    int64_t resp_a, resp_b; /* response ids, in stored order (verdict A = resp_a) */
    int idx_a, idx_b;       /* their 0-based response numbers */
    /* Where resp_a and resp_b are on screen ("left", "right", "top", "bottom"),
     * or NULL in the item list. */
    const char *where_a, *where_b;
    const char *meta; /* JSON object stored in the judgment's meta (blind order), or NULL */
};

struct undo_entry {
    enum undo_kind kind;
    int64_t item_id, seq, resp_a, resp_b, note_id;
    int idx_a, idx_b;
    char prev[16];   /* the verdict before the change ("" = none), relative to (a, b) */
    char next[16];   /* the verdict the change set */
    char *text;      /* tag name (owned) */
    char meta[160];  /* label: JSON stored in the judgment's meta (blind order), "" = none */
    char *prev_meta; /* label: the replaced judgment's meta, restored by undo (owned), or NULL */
};

/* Free what an undo entry owns. */
void undo_entry_free(struct undo_entry *e);

#define UNDO_MAX 256

/* ---- the context ---- */

struct tui_fdw {
    int fd;
    short events;
    tui_fd_fn fn;
    void *ud;
};

struct tui_timer {
    int id;
    int64_t due_ms;
    tui_timer_fn fn;
    void *ud;
};

struct prompt {
    int active;
    enum tui_cmd cmd; /* run with the text; CMD_NONE = a `:` command line */
    char label[32];
    char buf[1024];
    size_t len, cur; /* bytes */
    char *hist[64];
    int n_hist, hist_pos;
    /* Tab's candidates, shown above the prompt until the next key (owned, NULL
     * when none). */
    char **menu;
    int n_menu;
};

#define TUI_MAX_VIEWS 16

struct tui {
    struct store *st;
    const struct tui_opts *opts;
    char annotator[160]; /* "human:<user>" */
    struct theme theme;
    enum theme_tier tier;
    int utf8;         /* the locale is UTF-8 */
    char codeset[32]; /* the locale's character set, for the warning */
    int rows, cols;
    struct view *stack[TUI_MAX_VIEWS];
    int depth;
    struct view *pane; /* bottom split (REPL), or NULL */
    int pane_focus;
    struct tui_fdw *fds;
    int n_fds, cap_fds;
    struct tui_timer *timers;
    int n_timers, cap_timers, next_timer_id;
    char msg[512];
    int msg_err;
    int pend[KEY_SEQ_MAX];
    int n_pend;
    /* Counts (5j, #10G; docs/keys.md "Counts"): `counting` while digits are being
     * typed, their value in `count`; `rep` is the count handed to the command being
     * dispatched (1 when none was typed), for the views to read. */
    int counting;
    int64_t count, rep;
    int advance; /* label and advance: after a label, go to the next unlabeled item */
    /* Blind labeling (docs/keys.md): the sides of each item in an order drawn from
     * blind_seed, and everything that could sway a label hidden until it is given.
     * Kept in the workspace's settings per annotator. */
    int blind;
    uint64_t blind_seed;
    struct prompt prompt;
    struct undo_entry undo[UNDO_MAX];
    int n_undo;
    /* Labels made while another process held the workspace's write lock: kept here
     * (kind UNDO_LABEL, `next` = the verdict), shown as pending on the status line
     * and retried by a timer until they are saved (view_items.c). */
    struct undo_entry *pending;
    int n_pending, cap_pending, pending_timer;
    char search[512];   /* last search query */
    char progress[160]; /* tui_progress: a job's progress line, "" when none */
    char *yank;         /* internal register (owned) */
    /* The workspace's data version (store_data_version) when the views last read it;
     * a timer compares it while the UI runs (display.c, tui_watch). */
    int64_t data_version;
    /* The mouse (docs/keys.md "Mouse"): reported by the terminal unless turned off;
     * the last click, to tell a double-click. */
    int mouse;
    int64_t click_ms;
    int click_y;
    int quit, dirty;
    int term_gone; /* the terminal went away: leave without waiting on pending labels */
    /* tui_ask: the open question (status line) and who gets the answer */
    char ask[256];
    tui_answer_fn ask_fn;
    void *ask_ud;
    FILE *bench; /* PS_TUI_BENCH log, or NULL */
};

/* ---- blind labeling (display.c) ---- */

/* Turn blind labeling on or off (have_seed: with this seed, else the stored one or
 * a new one), store the choice in the workspace, and say so; on also turns label
 * and advance on.  Returns TUI_R_* effects. */
int tui_blind_set(struct tui *tui, int on, uint64_t seed, int have_seed);
/* 1 when blind labeling shows item_id's stored second response on the left (top). */
int tui_blind_swapped(const struct tui *tui, int64_t item_id);
/* The judgment meta of a blind label (into out): the seed, the response numbers
 * (1-based) shown left (top) and right (bottom), and the side the label key chose
 * (label-a: left, label-b: right, else a tie). */
void tui_blind_meta(const struct tui *tui, int left_no, int right_no, enum tui_cmd cmd, char *out,
                    size_t size);

/* ---- terminal capabilities (term.c) ---- */

/* Before curses starts: check that $TERM names a terminal the full-screen UI can
 * drive (known to terminfo, here or in a portable bundle's share/terminfo, and able
 * to address the cursor).  Returns PS_OK, or PS_ERR_USAGE with a one-line message
 * saying what to do; nothing is written to the terminal. */
int tui_term_check(struct ps_err *err);

/* After endwin(): leave a clean screen on terminals without an alternate screen
 * (vt100, linux), where the last frame would otherwise stay behind.  Writes only
 * the terminal's own clear sequence; a no-op where the alternate screen exists. */
void tui_term_wipe(void);

/* ---- view stack (display.c) ---- */

/* Open a view of `ops` with `arg` on top of the stack; on failure shows the
 * error on the status line and returns it. */
int tui_view_push(struct tui *tui, const struct view_ops *ops, void *arg);
void tui_view_pop(struct tui *tui);
struct view *tui_view_top(struct tui *tui);
/* Open/close the bottom pane (one at a time). */
int tui_pane_open(struct tui *tui, const struct view_ops *ops, void *arg);
void tui_pane_close(struct tui *tui);
/* Run a command as if typed: on the focused view, then globally. */
int tui_dispatch(struct tui *tui, enum tui_cmd cmd, const char *arg);
/* Milliseconds on a monotonic clock. */
int64_t tui_now_ms(void);
/* Append "name=ms" to the bench log when PS_TUI_BENCH is set. */
void tui_bench(struct tui *tui, const char *what, int64_t t0_ms);

/* ---- drawing (draw.c) ---- */

void draw_role(struct tui *tui, enum tui_role role);
/* Draw untrusted text (sanitized here) at (y, x), at most maxw columns; returns
 * the columns used.  `trunc` reserves a cell for "…" when clipped. */
int draw_text(struct tui *tui, int y, int x, int maxw, enum tui_role role, const char *s, size_t n,
              int trunc);
/* As draw_text, with the words of the search query `query` (may be NULL) drawn in
 * the search role. */
int draw_text_hl(struct tui *tui, int y, int x, int maxw, enum tui_role role, const char *s,
                 size_t n, int trunc, const char *query);
/* Draw text that is already sanitized (no control characters). */
int draw_clean(struct tui *tui, int y, int x, int maxw, enum tui_role role, const char *s,
               size_t n);
/* As draw_clean, with the placeholder spans of the whole text (`marks`, offsets
 * into the full buffer; s starts at byte `base` of it) drawn in the placeholder
 * role and the search matches (`hl`, may be NULL) in the search role. */
struct text_spans;
int draw_clean_marked(struct tui *tui, int y, int x, int maxw, enum tui_role role, const char *s,
                      size_t n, const struct text_spans *marks, const struct text_spans *hl,
                      size_t base);
/* Append to `out` the spans of s[0..n) matching the plain words of the search
 * query `q` (ASCII case-insensitive; operators and negated words ignored). */
void draw_search_spans(const char *q, const char *s, size_t n, struct text_spans *out);
int draw_printf(struct tui *tui, int y, int x, int maxw, enum tui_role role, const char *fmt, ...)
    PS_PRINTF(6, 7);
void draw_fill(struct tui *tui, int y, int x, int w, enum tui_role role);
void draw_hline(struct tui *tui, int y, int x, int w, enum tui_role role);
void draw_vline(struct tui *tui, int y, int x, int h, enum tui_role role);
/* Sanitize into a caller-owned strbuf (appends). */
void draw_sanitize(const char *s, size_t n, struct strbuf *out);
/* Display columns of clean text. */
int draw_width(const char *s, size_t n);
/* Build a one-line, sanitized, whitespace-collapsed preview of `s` (appends). */
void draw_preview(const char *s, size_t n, size_t max_bytes, struct strbuf *out);

/* A cursor in a list of `count` rows shown `height` at a time. */
struct list_pos {
    int64_t cur, top;
};

/* Apply a motion command (move-*, page-*, half-page-*, move-first/last, and goto
 * with arg "N" for line N), repeated tui->rep times; returns 1 when `cmd` was a
 * motion (a bad goto is reported on the status line).  Keeps cur visible within
 * [top, top + height). */
int list_motion(struct tui *tui, struct list_pos *lp, enum tui_cmd cmd, const char *arg,
                int64_t count, int height);
void list_clamp(struct list_pos *lp, int64_t count, int height);
/* The list row drawn at screen line y when row lp->top is drawn at first_y; -1 when
 * no row is there. */
int64_t list_row_at(const struct list_pos *lp, int64_t count, int y, int first_y);

/* ---- prompt (prompt.c) ---- */

/* Open the one-line editor.  On Enter the text runs `cmd` with it as argument
 * (CMD_NONE: the text is a command line "name args"). */
void prompt_open(struct tui *tui, const char *label, enum tui_cmd cmd, const char *initial);
/* Feed one key; returns TUI_R_* effects. */
int prompt_key(struct tui *tui, int key);
void prompt_draw(struct tui *tui, int y);
/* Parse and run a command line "name [args]". */
int prompt_run_line(struct tui *tui, const char *line);
void prompt_done(struct tui *tui);

/* ---- clipboard (clip.c) ---- */

/* Copy text with OSC 52 to the terminal (DCS-wrapped inside tmux) and keep it
 * in the internal register.  Returns PS_OK or an error (payload too large). */
int clip_copy(struct tui *tui, const char *s, size_t n, struct ps_err *err);

/* ---- views ---- */

extern const struct view_ops view_datasets_ops;
extern const struct view_ops view_items_ops;
extern const struct view_ops view_pair_ops;
extern const struct view_ops view_help_ops;
extern const struct view_ops view_stats_ops; /* arg: const int64_t *dataset_id */
extern const struct view_ops view_rank_ops;  /* arg: const int64_t *dataset_id */
/* The critique workbench: the feedback list (arg: const struct view_feedback_arg *,
 * may be NULL) and one feedback's items (arg: const int64_t *feedback_id). */
extern const struct view_ops view_feedback_ops;
extern const struct view_ops view_critique_ops;
struct view_feedback_arg {
    const char *dataset;   /* only this dataset's feedback, or NULL */
    int64_t open_feedback; /* > 0: put the cursor on this feedback */
};

/* The ICAI constitution view (arg: a constitution id or name) and the pairs of one
 * principle (opened from it). */
extern const struct view_ops view_constitution_ops;
extern const struct view_ops view_principle_ops;
/* Run `constitution` (view_constitution.c): the constitution named by arg, else the
 * newest one of the dataset in view. */
int view_constitution_open(struct tui *tui, const char *arg);
/* Append how each principle of the dataset's newest constitution voted on item_id,
 * one line per principle (rank, "prefers #1"/"prefers #2"/both/neither, text;
 * untrusted text, sanitized by the caller's drawing), or nothing. */
void view_constitution_votes(struct tui *tui, int64_t dataset_id, int64_t item_id,
                             struct strbuf *out);

/* The dataset under the cursor of the dataset list (-1 when empty). */
int64_t view_datasets_current(struct view *datasets);
/* The dataset of the nearest dataset list, item list, stats or rank view on the
 * stack; -1 when none. */
int64_t view_dataset_here(struct tui *tui);
/* Run `stats` / `rank` (cmd): open the view for the dataset named by arg, else for
 * the dataset of the nearest dataset list or item list on the stack. */
int view_eval_open(struct tui *tui, enum tui_cmd cmd, const char *arg);

/* The argument of view_items_ops: the dataset's id and name (borrowed). */
struct view_items_arg {
    int64_t dataset_id;
    const char *name;
};

/* The item list tells the pair view which item is current and moves for it
 * (J/K inside the pair view move the list's cursor). */
int64_t view_items_current(struct view *items);
/* Move the list's cursor to the item at `seq` (unfiltered list position). */
int view_items_goto_seq(struct tui *tui, struct view *items, int64_t seq);
/* The item shown by a pair view. */
int64_t view_pair_item(struct view *pair);
/* The cursor's position in the (filtered) list and the list's length. */
int64_t view_items_index(struct view *items);
int64_t view_items_count(struct view *items);
/* Append the notes of item_id (newest first), or nothing. */
void view_items_notes(struct tui *tui, struct view *items, int64_t item_id, struct strbuf *out);
/* Append one line: my agreement with each other annotator of this dataset. */
void view_items_agreement(struct tui *tui, struct view *items, struct strbuf *out);
/* Move the list's cursor by delta items, or (unlabeled_only) to the tui->rep-th
 * next (delta > 0) or previous item I have not labeled.  PS_OK, or an error with
 * the reason on the status line (the cursor stays). */
int view_items_step(struct tui *tui, struct view *items, int64_t delta, int unlabeled_only);
/* Apply a label/tag/note command to the target (shared by both views; label
 * commands are in stored order: CMD_LABEL_A prefers t->resp_a); returns TUI_R_*
 * effects.  `t` is borrowed. */
int view_items_label(struct tui *tui, struct view *items, const struct label_target *t,
                     enum tui_cmd cmd, const char *arg);
/* 1 when the list shows a labeling queue (:queue): *done of its *total items are
 * labeled by me. */
int view_items_queue_progress(struct tui *tui, struct view *items, int64_t *done, int64_t *total);
/* Undo the last change (labels, tags, notes) and move the item list's cursor to
 * its item; *item_id (may be NULL) receives that item (0 when nothing was undone). */
int tui_undo(struct tui *tui, int64_t *item_id);
/* Save the pending labels now, each attempt waiting up to wait_ms for the workspace
 * (at exit): returns how many are still pending (busy).  A label that fails for
 * another reason is dropped and named in `lost` (caller-owned), for the caller to
 * print. */
int tui_pending_flush(struct tui *tui, int wait_ms, struct strbuf *lost);
/* At start: take over the label journal of a session of this annotator that was
 * killed with labels pending ("<workspace>-pending.<pid>" of a dead pid) into the
 * queue, which saves them as soon as the workspace allows. */
void tui_pending_recover(struct tui *tui);
/* Append the pending labels ("item 3: A (responses #1, #2); ...") to `out`. */
void tui_pending_describe(struct tui *tui, struct strbuf *out);

#endif
