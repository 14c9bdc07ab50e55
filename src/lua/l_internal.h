/* Private to src/lua: the engine struct, handle helpers and the binding tables. */
#ifndef PS_LUA_L_INTERNAL_H
#define PS_LUA_L_INTERNAL_H

#include <signal.h>
#include <stdint.h>

#include <lauxlib.h>
#include <lua.h>

#include "core/err.h"
#include "core/strbuf.h"
#include "lua/ps_lua.h"

/* Metatable names (lauxlib convention: one per userdata type). */
#define LWS_MT "ps.Workspace"
#define LDS_MT "ps.Dataset"
#define LITEM_MT "ps.Item"
#define LCURSOR_MT "ps.ItemCursor"
#define LTASK_MT "ps.Task"
#define LMODEL_MT "ps.Model"
#define LANCHOR_MT "ps.anchor"

/* Debug stack-balance checks (style guide rule 30). */
#ifndef NDEBUG
#include <assert.h>
#define STACK_MARK(L) int stack_mark_ = lua_gettop(L)
#define STACK_CHECK(L, n) assert(lua_gettop(L) == stack_mark_ + (n))
#else
#define STACK_MARK(L) ((void)0)
#define STACK_CHECK(L, n) ((void)0)
#endif

struct ltask;

enum ltask_state {
    LTASK_READY,
    LTASK_RUNNING,
    LTASK_SLEEP,
    LTASK_WAIT_TASK,
    LTASK_WAIT_OP,
    LTASK_DONE
};

/* An asynchronous operation a task waits on (a model request).  The scheduler polls
 * `done`; when set, the task resumes and its continuation reads the result. */
struct lwait_op {
    int done;
    void (*cancel)(struct lwait_op *op); /* called once when the task is interrupted */
};

struct ltask {
    int id;
    enum ltask_state state;
    lua_State *co;
    double wake_at;           /* LTASK_SLEEP: monotonic ms */
    struct ltask *waiting_on; /* LTASK_WAIT_TASK */
    struct lwait_op *op;      /* LTASK_WAIT_OP */
    int ok;                   /* LTASK_DONE: 1 = returned, 0 = raised */
    int nresults;
    int observed;       /* someone waited on it (errors are not reported twice) */
    int repl;           /* a REPL chunk: results are printed */
    int interrupted;    /* finished by an interrupt */
    int cancelled;      /* t:cancel() was called */
    int resume_nargs;   /* values on co's stack for the next resume */
    unsigned round;     /* last scheduler round that resumed it */
    int in_tx;          /* open ws:transaction bodies: no time-slice yields */
    struct ltask *next; /* live task list */
};

struct ps_lua {
    lua_State *L;
    struct ps_lua_host host;
    int has_host;
    char *workspace_path; /* owned */
    struct store *borrowed_store;
    char *config_path; /* owned, may be NULL */
    char *user;        /* owned, may be NULL */
    /* scheduler */
    struct ltask *tasks;   /* live tasks (not DONE) */
    struct ltask *current; /* the task being resumed, or NULL */
    int next_task_id;
    int n_live;
    int interrupted;         /* cancel in progress: hooks raise, waits wake */
    unsigned round;          /* scheduler round counter */
    int step_depth;          /* nested ps_lua_step calls (blocking waits) */
    double slice_start;      /* when the current task was resumed (ms) */
    int out_mid_line;        /* the last output did not end with a newline */
    int list_changed;        /* a nested step finished tasks */
    struct ltask *repl_task; /* REPL chunk being evaluated */
    struct strbuf repl_buf;  /* incomplete REPL chunk */
    int repl_results;        /* REPL chunk prints its results */
    /* Pending asynchronous operations (the LLM engine, l_model.c): drive them for up
     * to timeout_ms; returns 1 when it waited, so the scheduler need not sleep. */
    int (*ops_pump)(struct ps_lua *pl, int timeout_ms);
    int n_ops;           /* operations in flight */
    void *llm;           /* l_model.c's engine state, or NULL */
    struct lbar *bars;   /* open progress bars, oldest first (l_progress.c) */
    struct lbar *ui_bar; /* the bar of ps.ui.progress, or NULL */
    int progress_paused; /* ps_lua_progress_pause: bars draw nothing */
    void (*llm_free)(struct ps_lua *pl);
};

/* The engine of a state (kept in the extra space, inherited by every thread). */
static inline struct ps_lua *
l_engine(lua_State *L)
{
    return *(struct ps_lua **)lua_getextraspace(L);
}

/* ---- helpers (ps_lua.c) ---- */

/* Raise "<what>: <err->msg>" as a Lua error (programmer errors). */
int l_raise_err(lua_State *L, const struct ps_err *err);
/* Push nil, err->msg and return 2 (expected failures). */
int l_fail(lua_State *L, const struct ps_err *err);
/* Write text through the host (or stdout). */
void l_write(struct ps_lua *pl, const char *s, size_t n);
/* Check that table argument `idx` has only keys listed in `allowed` (NULL-terminated);
 * raises "bad argument #n to 'f' (unknown option 'x')". */
void l_check_keys(lua_State *L, int idx, const char *const *allowed);
/* Optional string / integer / number / boolean fields of the table at idx. */
const char *l_opt_field_str(lua_State *L, int idx, const char *key, const char *def);
lua_Integer l_opt_field_int(lua_State *L, int idx, const char *key, lua_Integer def);
lua_Number l_opt_field_num(lua_State *L, int idx, const char *key, lua_Number def, int *present);
int l_opt_field_bool(lua_State *L, int idx, const char *key, int def);
/* Push a userdata that frees *slot with `fn` when collected (anchor for C memory while
 * calling functions that may raise); store the object in the returned slot right
 * after creating it.  l_anchor_release frees it now. */
void **l_anchor(lua_State *L, void (*fn)(void *));
void l_anchor_release(lua_State *L, int idx);
/* Push a sorted list of the keys of the table at `set`. */
void l_push_sorted_keys(lua_State *L, int set);
/* Monotonic milliseconds. */
double l_now_ms(void);
/* Default annotator name for edits made by scripts: "human:<user>". */
const char *l_default_annotator(lua_State *L);

/* ---- module openers: each pushes/fills its part of the ps table at -1 ---- */
void l_open_store(lua_State *L);     /* l_store.c: ps.open, ps.workspace, ... */
void l_open_sched(lua_State *L);     /* l_sched.c: ps.sleep, ps.spawn, ... */
void l_open_json(lua_State *L);      /* l_json.c: ps.json */
void l_open_template(lua_State *L);  /* l_template.c: ps.template */
void l_open_ui(lua_State *L);        /* l_ui.c: ps.ui */
void l_open_stats(lua_State *L);     /* l_stats.c: ps.stats */
void l_open_evalstats(lua_State *L); /* l_evalstats.c: ps.stats evaluation functions */
void l_open_model(lua_State *L);     /* l_model.c: ps.model */
void l_open_critique(lua_State *L);  /* l_critique.c: ps.c3po */
void l_open_icai(lua_State *L);      /* l_icai.c: ps.icai */
void l_open_progress(lua_State *L);  /* l_progress.c: ps.progress */

/* ---- progress bars (l_progress.c) ---- */
struct progress_counts;
/* Open a bar (owned by the engine's list until l_bar_close; label is copied,
 * sanitized); no line is drawn before `delay` seconds.  `owner` (may be NULL) is the
 * caller's pointer to the bar: closing the bar, by anyone, sets it to NULL. */
struct lbar *l_bar_open(struct ps_lua *pl, const char *label, int64_t total, double delay,
                        struct lbar **owner);
/* Add counts to one bar / to every open bar (LLM calls, ps.progress.note); redraws
 * when due. */
void l_bar_add(struct ps_lua *pl, struct lbar *b, const struct progress_counts *d);
void l_bar_note(struct ps_lua *pl, const struct progress_counts *d);
/* Set the items done (ps.ui.progress); the total and label as opened. */
void l_bar_set_done(struct ps_lua *pl, struct lbar *b, int64_t done);
int64_t l_bar_total(const struct lbar *b);
const char *l_bar_label(const struct lbar *b);
/* Close and free a bar (its final line when it was drawn on a terminal). */
void l_bar_close(struct ps_lua *pl, struct lbar *b);
/* Close every bar (the last task finished; quiet: the engine is freed, draw nothing).
 * Handles to closed bars stay safe: closing one twice does nothing. */
void l_bar_close_all(struct ps_lua *pl, int quiet);
/* Erase a live line on stderr before other output is written. */
void l_bar_clear_line(struct ps_lua *pl);

/* ---- JSON (l_json.c) ---- */
/* Push the Lua value decoded from JSON text; on malformed text push nothing and
 * return 0 with a message in err. */
int l_json_push(lua_State *L, const char *s, size_t n, struct ps_err *err);
/* Encode the value at idx as JSON onto a luaL_Buffer-built string (pushed). Raises on
 * values that have no JSON form (functions, cycles). */
void l_json_encode(lua_State *L, int idx);

/* ---- store handles (l_store.c) ---- */
/* The current workspace's store, opening it on first use; NULL with err set. */
struct store *l_current_store(lua_State *L, struct ps_err *err);
/* Check a Dataset argument (raises on stale handles); its store and id. */
struct store *l_check_dataset(lua_State *L, int idx, int64_t *id);
/* Push an Item handle for item_id in the current workspace. */
int l_push_item_current(lua_State *L, int64_t item_id);

/* ---- scheduler (l_sched.c) ---- */
/* Create a task running the function at the top of the stack with `nargs` arguments
 * below it... (function first, then args); pops them.  Returns the task (anchored in
 * the registry until it is done and, when pushed, as a Task handle). */
struct ltask *l_task_start(lua_State *L, int nargs, int push_handle);
/* The task whose coroutine is L, when L may yield to the scheduler; else NULL. */
struct ltask *l_task_yieldable(lua_State *L);
/* Forget a pending interrupt (a new REPL entry starts clean). */
void l_clear_interrupt(struct ps_lua *pl);
/* Raise "interrupted" when a cancel is in progress. */
void l_check_interrupt(lua_State *L);
/* Make the current task wait for op (yielding, with continuation k) when it can, else
 * block L by driving the scheduler until op->done.  Returns like lua_yieldk. */
int l_wait_op(lua_State *L, struct lwait_op *op, lua_KFunction k, lua_KContext ctx);
/* Free resources of finished tasks and the task list (ps_lua_free). */
void l_sched_free(struct ps_lua *pl);
/* The count hook (installed on the main thread, inherited by coroutines). */
void l_install_hook(lua_State *L);

/* ---- prelude (prelude.c) ---- */
extern const char l_prelude_src[];
/* docs/lua-api.md, compiled in by the build (scripts/embed-doc.sh). */
extern const char l_api_doc[];

#endif
