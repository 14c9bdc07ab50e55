/* Commands and key bindings: the two tables everything else is generated from.
 *
 * Every user action is a command with a stable long name (used by `:`, help and,
 * later, Lua).  Keys map to commands per keymap; a view's keymap is tried first,
 * then "generic".  The `?` help view walks both tables, so it cannot drift. */
#ifndef PS_TUI_KEYS_H
#define PS_TUI_KEYS_H

#include <stddef.h>

/*  id               long name          group     takes-arg  help */
#define TUI_CMDS(_) \
    _(MOVE_DOWN, "move-down", "Motion", 0, "move down one line") \
    _(MOVE_UP, "move-up", "Motion", 0, "move up one line") \
    _(PAGE_DOWN, "page-down", "Motion", 0, "move down one page") \
    _(PAGE_UP, "page-up", "Motion", 0, "move up one page") \
    _(HALF_DOWN, "half-page-down", "Motion", 0, "move down half a page") \
    _(HALF_UP, "half-page-up", "Motion", 0, "move up half a page") \
    _(FIRST, "move-first", "Motion", 0, "go to the first line") \
    _(LAST, "move-last", "Motion", 0, "go to the last line") \
    _(GOTO, "goto", "Motion", 1, "go to item number N (1-based); in other lists, line N") \
    _(COUNT, "count", "Motion", 0, \
      "type a count for the next motion: #10G goes to item 10, #5j moves 5 down") \
    _(ENTER, "enter", "Views", 0, "open the selected entry") \
    _(CLOSE, "view-close", "Views", 0, "close this view (back)") \
    _(QUIT, "quit", "Views", 0, "quit prefscope") \
    _(HELP, "help", "Views", 0, "show this help") \
    _(MOUSE, "mouse", "Views", 1, \
      "mouse on|off (none toggles): clicks and wheel for prefscope, or the terminal's (select " \
      "text)") \
    _(REDRAW, "redraw", "Views", 0, \
      "repaint the screen and re-read the workspace (others' changes also show within 1 s)") \
    _(SUSPEND, "suspend", "Views", 0, "suspend to the shell (fg resumes)") \
    _(PROMPT, "prompt", "Views", 0, "open the command line") \
    _(OPEN, "open", "Views", 1, \
      "open VIEW [ARG]: datasets, items DATASET, pair ITEM-ID, help, stats, rank") \
    _(REPL, "repl-toggle", "Views", 0, "open/close the Lua REPL pane") \
    _(PANE_FOCUS, "pane-focus", "Views", 0, "move focus between view and pane") \
    _(SEARCH, "search", "Search", 1, "full-text search (FTS5 query)") \
    _(SEARCH_NEXT, "search-next", "Search", 0, "next search match") \
    _(SEARCH_PREV, "search-prev", "Search", 0, "previous search match") \
    _(FILTER, "filter", "Search", 1, \
      "filter: label=A|B|tie|none|labeled|any disagree tag=T model=M len>N len<N match=TEXT off") \
    _(SORT, "sort", "Search", 1, "sort: seq, lendiff, promptlen (-x descending)") \
    _(FB_NEW, "feedback-new", "Critique", 1, "write a new feedback: feedback-new TEXT") \
    _(FB_DOMAIN, "feedback-domain", "Critique", 1, \
      "edit the feedback's domain (where it applies)") \
    _(FB_EFFECT, "feedback-effect", "Critique", 1, "edit the feedback's effect (what to do)") \
    _(FB_SCOPE, "feedback-scope", "Critique", 1, \
      "cycle the feedback's scope, or: global|regional|local") \
    _(FB_TYPE, "feedback-type", "Critique", 0, \
      "toggle the feedback's type: qualitative / quantitative") \
    _(FB_METRIC, "feedback-metric", "Critique", 1, \
      "set the quantitative metric (DSL, e.g. length() <=; docs/critiques.md)") \
    _(CRIT_SCORES, "critique-scoreboard", "Critique", 0, \
      "show/hide the evaluation scoreboard (critique eval results)") \
    _(CRIT_ACCEPT, "critique-accept", "Critique", 0, "accept the item (exported)") \
    _(CRIT_REJECT, "critique-reject", "Critique", 0, "reject the item (not exported)") \
    _(CRIT_PENDING, "critique-pending", "Critique", 0, "set the item back to pending") \
    _(CRIT_SCOPE, "critique-scope", "Critique", 1, \
      "next scope list: in, near, out (- = previous)") \
    _(CRIT_SCOPE_PREV, "critique-scope-prev", "Critique", 0, "previous scope list") \
    _(CRIT_FILTER, "critique-filter", "Critique", 1, \
      "cycle the status filter, or: critique-filter all|pending|accepted|rejected|failed") \
    _(CRIT_FIELD, "critique-field", "Critique", 0, \
      "choose the field to edit: prompt, baseline, revised, critique") \
    _(CRIT_INLINE, "critique-edit-inline", "Critique", 0, \
      "edit the chosen field in place (one-line fields; else $EDITOR)") \
    _(CRIT_EDIT, "critique-edit", "Critique", 1, \
      "edit the chosen field (or: critique-edit FIELD) in $EDITOR") \
    _(CRIT_SET, "critique-set", "Critique", 1, "set the chosen field to TEXT") \
    _(CRIT_REGEN, "critique-regenerate", "Critique", 1, \
      "new baseline and revision for the item: critique-regenerate MODEL") \
    _(ITEM_NEXT, "item-next", "Pair", 0, "next pair (stays in the pair view)") \
    _(ITEM_PREV, "item-prev", "Pair", 0, "previous pair (stays in the pair view)") \
    _(NEXT_UNLABELED, "next-unlabeled", "Pair", 0, "jump to the next pair I have not labeled") \
    _(PREV_UNLABELED, "prev-unlabeled", "Pair", 0, "jump to the previous pair I have not labeled") \
    _(LAYOUT, "layout-toggle", "Pair", 0, "side by side <-> inline (stacked)") \
    _(SWAP, "swap", "Pair", 0, "swap the two sides (a by-hand blind check; M is blind labeling)") \
    _(DIFF, "diff-toggle", "Pair", 0, "word-diff emphasis on/off") \
    _(CONTEXT, "context-toggle", "Pair", 0, "show/hide system prompt and history") \
    _(NEXT_CHANGE, "next-change", "Pair", 0, "scroll to the next row with a word-diff change") \
    _(IGNORE_WS, "ignore-space", "Pair", 0, "word diff: ignore whitespace differences on/off") \
    _(ESCAPES, "escapes-toggle", "Pair", 0, \
      "show control characters as escapes (\\e[31m) instead of placeholders") \
    _(COMPARE, "compare", "Pair", 1, \
      "compare I J: the two responses of the pair; in the constitution view: compare REF") \
    _(SIDE_A, "side-a", "Pair", 0, "select side A (left/top) for yank") \
    _(SIDE_B, "side-b", "Pair", 0, "select side B (right/bottom) for yank") \
    _(YANK, "yank", "Pair", 0, "copy the selected response to the clipboard (OSC 52)") \
    _(LABEL_A, "label-a", "Label", 0, "label: A is better") \
    _(LABEL_B, "label-b", "Label", 0, "label: B is better") \
    _(LABEL_TIE, "label-tie", "Label", 0, "label: tie") \
    _(LABEL_CLEAR, "label-clear", "Label", 0, "clear my label") \
    _(UNDO, "undo", "Label", 0, "undo the last label/tag/note change (and go to its item)") \
    _(QUEUE, "queue", "Label", 1, \
      "labeling queue: queue N [stratified by model|disagree|responses] [seed S] [name NAME]; " \
      "queue resumes it, queue drop removes it") \
    _(ADVANCE, "advance", "Label", 1, \
      "label and advance: after a label, go to the next unlabeled item (advance on|off)") \
    _(BLIND, "blind", "Label", 1, \
      "blind labeling: random sides per item, models and verdicts hidden until labeled " \
      "(blind on|off|seed N)") \
    _(TAG, "tag", "Label", 1, "add a tag to the item") \
    _(UNTAG, "untag", "Label", 1, "remove a tag from the item") \
    _(NOTE, "note", "Label", 1, "add a free-text note to the item") \
    _(THEME, "theme", "Display", 1, "switch theme: theme NAME") \
    _(STATS, "stats", "Evaluate", 1, \
      "statistics of this dataset (or: stats DATASET): win rates, agreement, length bias") \
    _(RANK, "rank", "Evaluate", 1, \
      "Bradley-Terry / Elo leaderboard of this dataset (or: rank DATASET)") \
    _(CONSTITUTION, "constitution", "Evaluate", 1, \
      "ICAI constitution of this dataset (or: constitution ID|NAME): principles and metrics") \
    _(REFERENCE, "reference", "Evaluate", 1, \
      "stats: next reference annotator, or: reference NAME|majority:A,B,C|none") \
    _(CANCEL, "cancel", "Display", 0, "cancel the running job / pending keys")
enum tui_cmd {
    CMD_NONE = 0,
#define TUI_CMD_ENUM(id, name, group, arg, help) CMD_##id,
    TUI_CMDS(TUI_CMD_ENUM)
#undef TUI_CMD_ENUM
        CMD__COUNT
};

/* Keymaps: a view names one; "generic" is the fallback. */
#define TUI_KEYMAPS(_) \
    _(GENERIC, "generic") \
    _(DATASETS, "datasets") \
    _(ITEMS, "items") \
    _(PAIR, "pair") \
    _(HELP, "help") \
    _(EVAL, "eval") \
    _(CRITIQUE, "critique") \
    _(FEEDBACK, "feedback")

enum tui_keymap {
#define TUI_KEYMAP_ENUM(id, name) KM_##id,
    TUI_KEYMAPS(TUI_KEYMAP_ENUM)
#undef TUI_KEYMAP_ENUM
        KM__COUNT
};

/*  keymap    key           command */
#define TUI_KEYS(_) \
    _(GENERIC, "j", MOVE_DOWN) \
    _(GENERIC, "<Down>", MOVE_DOWN) \
    _(GENERIC, "k", MOVE_UP) \
    _(GENERIC, "<Up>", MOVE_UP) \
    _(GENERIC, "<Space>", PAGE_DOWN) \
    _(GENERIC, "<PgDn>", PAGE_DOWN) \
    _(GENERIC, "<C-f>", PAGE_DOWN) \
    _(GENERIC, "b", PAGE_UP) \
    _(GENERIC, "<PgUp>", PAGE_UP) \
    _(GENERIC, "<C-b>", PAGE_UP) \
    _(GENERIC, "<C-d>", HALF_DOWN) \
    _(GENERIC, "<C-u>", HALF_UP) \
    _(GENERIC, "gg", FIRST) \
    _(GENERIC, "<Home>", FIRST) \
    _(GENERIC, "G", LAST) \
    _(GENERIC, "<End>", LAST) \
    _(GENERIC, "#", COUNT) \
    _(GENERIC, "<Enter>", ENTER) \
    _(GENERIC, "q", CLOSE) \
    _(GENERIC, "<Esc>", CLOSE) \
    _(GENERIC, "Q", QUIT) \
    _(GENERIC, "?", HELP) \
    _(GENERIC, "<F1>", HELP) \
    _(GENERIC, "<C-l>", REDRAW) \
    _(GENERIC, "<C-z>", SUSPEND) \
    _(GENERIC, ":", PROMPT) \
    _(GENERIC, "`", REPL) \
    _(GENERIC, "<F12>", REPL) \
    _(GENERIC, "<Tab>", PANE_FOCUS) \
    _(GENERIC, "<C-c>", CANCEL) \
    _(DATASETS, "S", STATS) \
    _(DATASETS, "R", RANK) \
    _(DATASETS, "C", CONSTITUTION) \
    _(ITEMS, "S", STATS) \
    _(ITEMS, "R", RANK) \
    _(ITEMS, "C", CONSTITUTION) \
    _(EVAL, "r", REFERENCE) \
    _(EVAL, "S", STATS) \
    _(EVAL, "R", RANK) \
    _(ITEMS, "/", SEARCH) \
    _(ITEMS, "n", SEARCH_NEXT) \
    _(ITEMS, "N", SEARCH_PREV) \
    _(ITEMS, "f", FILTER) \
    _(ITEMS, "&", FILTER) \
    _(ITEMS, "s", SORT) \
    _(ITEMS, ">", NEXT_UNLABELED) \
    _(ITEMS, "<", PREV_UNLABELED) \
    _(ITEMS, "1", LABEL_A) \
    _(ITEMS, "2", LABEL_B) \
    _(ITEMS, "=", LABEL_TIE) \
    _(ITEMS, "0", LABEL_CLEAR) \
    _(ITEMS, "u", UNDO) \
    _(ITEMS, "L", ADVANCE) \
    _(ITEMS, "M", BLIND) \
    _(ITEMS, "t", TAG) \
    _(ITEMS, "T", UNTAG) \
    _(ITEMS, "e", NOTE) \
    _(PAIR, "/", SEARCH) \
    _(PAIR, "n", SEARCH_NEXT) \
    _(PAIR, "N", SEARCH_PREV) \
    _(PAIR, "J", ITEM_NEXT) \
    _(PAIR, "K", ITEM_PREV) \
    _(PAIR, ">", NEXT_UNLABELED) \
    _(PAIR, "<", PREV_UNLABELED) \
    _(PAIR, "v", LAYOUT) \
    _(PAIR, "x", SWAP) \
    _(PAIR, "w", DIFF) \
    _(PAIR, "p", CONTEXT) \
    _(PAIR, "W", IGNORE_WS) \
    _(PAIR, "@", NEXT_CHANGE) \
    _(PAIR, "E", ESCAPES) \
    _(HELP, "/", SEARCH) \
    _(HELP, "n", SEARCH_NEXT) \
    _(HELP, "N", SEARCH_PREV) \
    _(PAIR, "c", COMPARE) \
    _(PAIR, "y", YANK) \
    _(PAIR, "h", SIDE_A) \
    _(PAIR, "<Left>", SIDE_A) \
    _(PAIR, "l", SIDE_B) \
    _(PAIR, "<Right>", SIDE_B) \
    _(PAIR, "1", LABEL_A) \
    _(PAIR, "A", LABEL_A) \
    _(PAIR, "2", LABEL_B) \
    _(PAIR, "B", LABEL_B) \
    _(PAIR, "=", LABEL_TIE) \
    _(PAIR, "0", LABEL_CLEAR) \
    _(PAIR, "u", UNDO) \
    _(PAIR, "L", ADVANCE) \
    _(PAIR, "M", BLIND) \
    _(PAIR, "S", STATS) \
    _(PAIR, "R", RANK) \
    _(PAIR, "t", TAG) \
    _(PAIR, "T", UNTAG) \
    _(PAIR, "e", NOTE) \
    _(CRITIQUE, "a", CRIT_ACCEPT) \
    _(CRITIQUE, "x", CRIT_REJECT) \
    _(CRITIQUE, "p", CRIT_PENDING) \
    _(CRITIQUE, "]", CRIT_SCOPE) \
    _(CRITIQUE, "[", CRIT_SCOPE_PREV) \
    _(CRITIQUE, "s", CRIT_FILTER) \
    _(CRITIQUE, "f", CRIT_FIELD) \
    _(CRITIQUE, "i", CRIT_INLINE) \
    _(CRITIQUE, "e", CRIT_EDIT) \
    _(CRITIQUE, "R", CRIT_REGEN) \
    _(CRITIQUE, "u", UNDO) \
    _(CRITIQUE, "J", ITEM_NEXT) \
    _(CRITIQUE, "K", ITEM_PREV) \
    _(CRITIQUE, "v", CRIT_SCORES) \
    _(FEEDBACK, "n", FB_NEW) \
    _(FEEDBACK, "d", FB_DOMAIN) \
    _(FEEDBACK, "e", FB_EFFECT) \
    _(FEEDBACK, "S", FB_SCOPE) \
    _(FEEDBACK, "T", FB_TYPE) \
    _(FEEDBACK, "m", FB_METRIC) \
    _(FEEDBACK, "u", UNDO)

/* Commands that take a count typed before their key (5j, #10G). */
int keys_cmd_counts(enum tui_cmd cmd);

/* Longest key sequence (e.g. "gg"). */
#define KEY_SEQ_MAX 2

struct tui_cmd_info {
    const char *name, *group, *help;
    int takes_arg;
};

/* The static description of a command (never NULL for a valid id). */
const struct tui_cmd_info *keys_cmd_info(enum tui_cmd cmd);
/* Resolve a long name (exact match); CMD_NONE when unknown. */
enum tui_cmd keys_cmd_by_name(const char *name);
const char *keys_keymap_name(enum tui_keymap km);

/* Look up a sequence of n keys in keymap km (then generic).  Key codes are
 * wide characters, or KEYC_FN(curses code) for function keys.  Returns the
 * command, CMD_NONE when no binding matches, or -1 when seq is a proper prefix
 * of a binding (wait for more keys). */
int keys_lookup(enum tui_keymap km, const int *seq, int n);

/* Write a human name for the key sequence bound to `cmd` in km (only that
 * keymap, not generic) into out, comma-separating several; returns the number
 * of bindings found. */
int keys_bindings(enum tui_keymap km, enum tui_cmd cmd, char *out, size_t size);

#endif
