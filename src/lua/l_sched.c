/* The task scheduler: every chunk runs as a coroutine ("task") resumed from the
 * owner's event loop (DESIGN.md section 4).  A binding that waits marks the current
 * task (sleeping, waiting for another task or for an operation) and yields with a
 * continuation; ps_lua_step() wakes and resumes it.  Code that cannot yield (inside a
 * metamethod, a table.sort comparator or a user coroutine) waits by driving the
 * scheduler from where it is instead, so every API call works everywhere.
 *
 * Interrupts follow lua.c: the SIGINT handler only sets a flag; a count hook on every
 * thread raises "interrupted" in running Lua code, and the scheduler wakes waiting
 * tasks whose continuations raise the same error. */
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include "lua/l_internal.h"

/* The only mutable global: written by the signal handler, read by the engine. */
static volatile sig_atomic_t l_sigint_flag;

void
ps_lua_signal_interrupt(void)
{
    l_sigint_flag = 1;
}

#define LIVE_KEY "ps.live_tasks"
#define HOOK_COUNT 1000
#define SLICE_MS 20.0

static void
take_signal(struct ps_lua *pl)
{
    if (l_sigint_flag) {
        l_sigint_flag = 0;
        ps_lua_interrupt(pl);
    }
}

static void
l_hook(lua_State *L, lua_Debug *ar)
{
    (void)ar;
    struct ps_lua *pl = l_engine(L);
    /* The flag stays set: the scheduler's take_signal() also wakes waiting tasks. */
    if (l_sigint_flag)
        pl->interrupted = 1;
    if (pl->interrupted)
        luaL_error(L, "interrupted");
    if (pl->current && pl->current->co == L) {
        if (pl->current->cancelled)
            luaL_error(L, "cancelled");
        /* Time slicing: a task computing for longer than a slice yields back to the
         * loop (count hooks may yield in 5.4), so the TUI keeps reading keys, and
         * other tasks run, even while a script spins in pure Lua.  Never inside a
         * transaction: another task would find it open (and its writes would join it). */
        if (!pl->current->in_tx && lua_isyieldable(L) && l_now_ms() - pl->slice_start > SLICE_MS)
            lua_yield(L, 0);
    }
}

void
l_install_hook(lua_State *L)
{
    lua_sethook(L, l_hook, LUA_MASKCOUNT, HOOK_COUNT);
}

void
l_clear_interrupt(struct ps_lua *pl)
{
    l_sigint_flag = 0;
    if (pl->n_live == 0)
        pl->interrupted = 0;
}

void
l_check_interrupt(lua_State *L)
{
    struct ps_lua *pl = l_engine(L);
    take_signal(pl);
    if (pl->interrupted)
        luaL_error(L, "interrupted");
    if (pl->current && pl->current->co == L && pl->current->cancelled)
        luaL_error(L, "cancelled");
}

struct ltask *
l_task_yieldable(lua_State *L)
{
    struct ps_lua *pl = l_engine(L);
    struct ltask *t = pl->current;
    if (t && t->co == L && lua_isyieldable(L))
        return t;
    return NULL;
}

/* Push the Task userdata of t. */
static void
push_task(lua_State *L, struct ltask *t)
{
    lua_getfield(L, LUA_REGISTRYINDEX, LIVE_KEY);
    lua_rawgetp(L, -1, t);
    lua_remove(L, -2);
}

struct ltask *
l_task_start(lua_State *L, int nargs, int push_handle)
{
    struct ps_lua *pl = l_engine(L);
    luaL_checktype(L, -(nargs + 1), LUA_TFUNCTION);
    struct ltask *t = lua_newuserdatauv(L, sizeof *t, 2); /* f args.. ud */
    memset(t, 0, sizeof *t);
    t->state = LTASK_DONE; /* until fully set up: a raise below leaves a dead handle */
    luaL_setmetatable(L, LTASK_MT);
    lua_State *co = lua_newthread(L); /* f args.. ud co */
    lua_setiuservalue(L, -2, 1);      /* f args.. ud */
    lua_insert(L, -(nargs + 2));      /* ud f args.. */
    luaL_getsubtable(L, LUA_REGISTRYINDEX, LIVE_KEY);
    lua_pushvalue(L, -(nargs + 3));
    lua_rawsetp(L, -2, t); /* live[t] = ud */
    lua_pop(L, 1);
    lua_xmove(L, co, nargs + 1); /* ud */
    t->co = co;
    t->id = pl->next_task_id++;
    t->state = LTASK_READY;
    t->resume_nargs = nargs;
    t->next = pl->tasks;
    pl->tasks = t;
    pl->n_live++;
    if (!push_handle)
        lua_pop(L, 1);
    return t;
}

static void
unlink_task(struct ps_lua *pl, struct ltask *t)
{
    for (struct ltask **pp = &pl->tasks; *pp; pp = &(*pp)->next) {
        if (*pp == t) {
            *pp = t->next;
            pl->n_live--;
            return;
        }
    }
}

static int
report_error(lua_State *L)
{
    struct ps_lua *pl = l_engine(L);
    lua_pushfstring(L, "task %d failed: %s\n", (int)lua_tointeger(L, 1), lua_tostring(L, 2));
    size_t n;
    const char *s = lua_tolstring(L, -1, &n);
    l_write(pl, s, n);
    return 0;
}

void ps_lua_repl_task_done(struct ps_lua *pl, struct ltask *t); /* repl.c */

struct finish_args {
    struct ps_lua *pl;
    struct ltask *t;
    int status, nres;
};

/* The allocating half of finishing a task, run under lua_pcall. */
static int
finish_store(lua_State *L)
{
    struct finish_args *a = lua_touserdata(L, 1);
    struct ltask *t = a->t;
    lua_State *co = t->co;
    int nres = a->nres;
    lua_settop(L, 0);
    if (!lua_checkstack(L, nres + 8))
        nres = 0;    /* cannot happen with sane result counts; drop rather than crash */
    push_task(L, t); /* ud */
    if (a->status == LUA_OK) {
        lua_createtable(L, nres, 1);
        lua_xmove(co, L, nres);
        for (int i = nres; i >= 1; i--)
            lua_rawseti(L, -(i + 1), i);
        lua_pushinteger(L, nres);
        lua_setfield(L, -2, "n");
        t->ok = 1;
    } else {
        if (lua_type(co, -1) == LUA_TSTRING) {
            luaL_traceback(L, co, lua_tostring(co, -1), 0);
        } else {
            lua_xmove(co, L, 1);
            const char *m = luaL_tolstring(L, -1, NULL);
            lua_pushfstring(L, "(error object) %s", m);
            lua_remove(L, -2);
            lua_remove(L, -2);
        }
        t->ok = 0;
        t->interrupted = a->pl->interrupted;
    }
    lua_setiuservalue(L, -2, 2);
    return 0;
}

/* Move the outcome of a finished coroutine into the Task's second user value: a
 * results table {n=..} or an error message with a traceback.  Out of memory while
 * doing so, the task fails with "not enough memory" (its user value stays nil). */
static void
finish_task(struct ps_lua *pl, lua_State *from, struct ltask *t, int status, int nres)
{
    lua_State *L = from ? from : pl->L;
    int waiter = 0;
    struct finish_args fa = {pl, t, status, nres};
    if (status == LUA_OK)
        t->ok = 1;
    lua_pushcfunction(L, finish_store);
    lua_pushlightuserdata(L, &fa);
    if (lua_pcall(L, 1, 0, 0) != LUA_OK) {
        lua_pop(L, 1);
        t->ok = 0;
        t->interrupted = pl->interrupted;
    }
    if (status != LUA_OK)
        lua_resetthread(t->co); /* runs pending __close handlers */
    push_task(L, t);            /* ud */
    lua_pushnil(L);
    lua_setiuservalue(L, -2, 1); /* drop the coroutine */
    t->co = NULL;
    t->state = LTASK_DONE;
    unlink_task(pl, t);
    if (!pl->tasks)
        l_bar_close_all(pl, 0); /* bars a failed or interrupted script left open */
    if (pl->step_depth > 1)
        pl->list_changed = 1;
    for (struct ltask *w = pl->tasks; w; w = w->next) {
        if (w->state == LTASK_WAIT_TASK && w->waiting_on == t) {
            w->state = LTASK_READY;
            waiter = 1;
        }
    }
    if (t == pl->repl_task) {
        ps_lua_repl_task_done(pl, t); /* prints results; ud still at -1 */
    } else if (!t->ok && !t->observed && !waiter) {
        t->observed = 1;
        lua_pushcfunction(L, report_error);
        lua_pushinteger(L, t->id);
        lua_getiuservalue(L, -3, 2);
        lua_pcall(L, 2, 0, 0) == LUA_OK ? (void)0 : lua_pop(L, 1);
    }
    /* Unanchor last: the handle may be collected from here on. */
    lua_getfield(L, LUA_REGISTRYINDEX, LIVE_KEY);
    lua_pushnil(L);
    lua_rawsetp(L, -2, t);
    lua_pop(L, 2);
}

static void
resume_task(struct ps_lua *pl, lua_State *from, struct ltask *t)
{
    struct ltask *prev = pl->current;
    int nargs = t->resume_nargs, nres = 0;
    t->resume_nargs = 0;
    t->state = LTASK_RUNNING;
    t->round = pl->round;
    pl->current = t;
    double slice = pl->slice_start;
    pl->slice_start = l_now_ms();
    int status = lua_resume(t->co, from, nargs, &nres);
    pl->current = prev;
    pl->slice_start = slice;
    if (status == LUA_YIELD) {
        if (t->state == LTASK_RUNNING) {
            /* a plain coroutine.yield at the task's top level: run again next round */
            lua_pop(t->co, nres);
            t->state = LTASK_READY;
        }
        return;
    }
    finish_task(pl, from, t, status, nres);
}

static int
step(struct ps_lua *pl, lua_State *from, int timeout_ms)
{
    take_signal(pl);
    if (pl->n_live == 0) {
        pl->interrupted = 0;
        return 0;
    }
    double now = l_now_ms(), wait = timeout_ms < 0 ? -1 : timeout_ms;
    int ready = 0;
    for (struct ltask *t = pl->tasks; t; t = t->next) {
        if (t->state == LTASK_READY || (t->state == LTASK_WAIT_OP && t->op->done))
            ready = 1;
        else if (t->state == LTASK_SLEEP) {
            double d = t->wake_at - now;
            if (d < 0)
                d = 0;
            if (wait < 0 || d < wait)
                wait = d;
        }
    }
    if (ready)
        wait = 0;
    int waited = 0;
    if (pl->ops_pump && pl->n_ops > 0)
        waited = pl->ops_pump(pl, (int)(wait < 0 ? -1 : wait + 0.999));
    if (!waited && wait != 0) {
        /* Nothing can wake us but timers or a signal: cap blind waits so a Ctrl-C
         * is seen promptly even with no timer pending. */
        int ms = wait < 0 || wait > 100 ? 100 : (int)(wait + 0.999);
        poll(NULL, 0, ms);
    }
    take_signal(pl);
    now = l_now_ms();
    for (struct ltask *t = pl->tasks; t; t = t->next) {
        if (t->state == LTASK_SLEEP && t->wake_at <= now)
            t->state = LTASK_READY;
        else if (t->state == LTASK_WAIT_OP && t->op->done)
            t->state = LTASK_READY;
    }
    pl->round++;
    pl->step_depth++;
restart:
    pl->list_changed = 0;
    for (struct ltask *t = pl->tasks, *next; t; t = next) {
        next = t->next;
        if (t->state != LTASK_READY || t->round == pl->round)
            continue;
        resume_task(pl, from, t);
        if (pl->list_changed)
            goto restart; /* a nested step finished tasks: `next` may be gone */
    }
    pl->step_depth--;
    if (pl->n_live == 0)
        pl->interrupted = 0;
    return pl->n_live;
}

int
ps_lua_step(struct ps_lua *pl, int timeout_ms)
{
    return step(pl, NULL, timeout_ms);
}

int
ps_lua_next_timeout(struct ps_lua *pl)
{
    if (pl->n_live == 0)
        return -1;
    double now = l_now_ms(), best = -1;
    for (struct ltask *t = pl->tasks; t; t = t->next) {
        if (t->state == LTASK_READY || (t->state == LTASK_WAIT_OP && t->op->done))
            return 0;
        if (t->state == LTASK_SLEEP) {
            double d = t->wake_at > now ? t->wake_at - now : 0;
            if (best < 0 || d < best)
                best = d;
        }
    }
    if (pl->n_ops > 0 && (best < 0 || best > 10))
        best = 10; /* operations in flight: the owner polls the engine often */
    return best < 0 ? 100 : (int)(best + 0.999);
}

int
ps_lua_busy(struct ps_lua *pl)
{
    return pl->n_live;
}

void
ps_lua_interrupt(struct ps_lua *pl)
{
    if (pl->n_live == 0)
        return;
    pl->interrupted = 1;
    for (struct ltask *t = pl->tasks; t; t = t->next) {
        if (t->state == LTASK_WAIT_OP && t->op && !t->op->done && t->op->cancel)
            t->op->cancel(t->op);
        if (t->state == LTASK_SLEEP || t->state == LTASK_WAIT_TASK || t->state == LTASK_WAIT_OP)
            t->state = LTASK_READY;
    }
}

void
l_sched_free(struct ps_lua *pl)
{
    for (struct ltask *t = pl->tasks; t; t = t->next) {
        if (t->state == LTASK_WAIT_OP && t->op && !t->op->done && t->op->cancel)
            t->op->cancel(t->op);
        t->state = LTASK_DONE;
    }
    pl->tasks = NULL;
    pl->n_live = 0;
}

/* Drive the scheduler from code that cannot yield until done(ud) holds. */
static void
drive_until(lua_State *L, int (*done)(void *), void *ud, double deadline)
{
    struct ps_lua *pl = l_engine(L);
    struct ltask *self = pl->current;
    while (!done(ud)) {
        l_check_interrupt(L);
        double now = l_now_ms();
        int ms = 50;
        if (deadline > 0) {
            if (now >= deadline)
                return;
            if (deadline - now < ms)
                ms = (int)(deadline - now + 0.999);
        }
        if (pl->n_live == 0 || (pl->n_live == 1 && self && self->state == LTASK_RUNNING)) {
            if (pl->ops_pump && pl->n_ops > 0)
                pl->ops_pump(pl, ms);
            else
                poll(NULL, 0, ms);
        } else {
            step(pl, L, ms);
        }
    }
}

/* ---- ps.sleep, ps.yield, ps.now ---- */

static int
sleep_k(lua_State *L, int status, lua_KContext ctx)
{
    (void)status;
    (void)ctx;
    l_check_interrupt(L);
    return 0;
}

static int
never(void *ud)
{
    (void)ud;
    return 0;
}

/* ps.sleep(ms): wait without blocking other tasks. */
static int
l_sleep(lua_State *L)
{
    lua_Number ms = luaL_checknumber(L, 1);
    luaL_argcheck(L, ms >= 0, 1, "must be >= 0");
    l_check_interrupt(L);
    struct ltask *t = l_task_yieldable(L);
    if (!t) {
        drive_until(L, never, NULL, l_now_ms() + ms);
        return 0;
    }
    t->state = LTASK_SLEEP;
    t->wake_at = l_now_ms() + ms;
    return lua_yieldk(L, 0, 0, sleep_k);
}

/* ps.yield(): let other tasks run. */
static int
l_yield(lua_State *L)
{
    l_check_interrupt(L);
    struct ltask *t = l_task_yieldable(L);
    if (!t)
        return 0;
    t->state = LTASK_READY;
    return lua_yieldk(L, 0, 0, sleep_k);
}

static int
l_now(lua_State *L)
{
    lua_pushnumber(L, l_now_ms());
    return 1;
}

static int
op_done(void *ud)
{
    return ((struct lwait_op *)ud)->done;
}

int
l_wait_op(lua_State *L, struct lwait_op *op, lua_KFunction k, lua_KContext ctx)
{
    struct ps_lua *pl = l_engine(L);
    struct ltask *t = l_task_yieldable(L);
    if (!t) {
        drive_until(L, op_done, op, 0);
        return k(L, LUA_OK, ctx);
    }
    (void)pl;
    t->state = LTASK_WAIT_OP;
    t->op = op;
    return lua_yieldk(L, 0, ctx, k);
}

/* ---- tasks ---- */

/* ps.spawn(fn, ...) -> Task: run fn(...) as a new task. */
static int
l_spawn(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TFUNCTION);
    int nargs = lua_gettop(L) - 1;
    l_task_start(L, nargs, 1);
    return 1;
}

/* Internal: like spawn, but the caller promises to wait (gather/map), so a failure is
 * not reported as unobserved. */
static int
l_spawn_observed(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TFUNCTION);
    int nargs = lua_gettop(L) - 1;
    struct ltask *t = l_task_start(L, nargs, 1);
    t->observed = 1;
    return 1;
}

static struct ltask *
check_task(lua_State *L, int idx)
{
    return luaL_checkudata(L, idx, LTASK_MT);
}

/* Push the outcome of a finished task (results, or raise its error). */
static int
task_outcome(lua_State *L, struct ltask *t)
{
    t->observed = 1;
    if (lua_getiuservalue(L, 1, 2) == LUA_TNIL) {
        lua_pop(L, 1);
        lua_pushliteral(L, "not enough memory");
    }
    if (!t->ok)
        return lua_error(L);
    int n = (int)(lua_getfield(L, -1, "n") == LUA_TNUMBER ? lua_tointeger(L, -1) : 0);
    lua_pop(L, 1);
    luaL_checkstack(L, n, "too many results");
    for (int i = 1; i <= n; i++)
        lua_rawgeti(L, -i, i);
    return n;
}

static int
task_wait_k(lua_State *L, int status, lua_KContext ctx)
{
    (void)status;
    (void)ctx;
    struct ltask *t = check_task(L, 1);
    l_check_interrupt(L);
    if (t->state != LTASK_DONE) {
        struct ltask *self = l_task_yieldable(L);
        self->state = LTASK_WAIT_TASK;
        self->waiting_on = t;
        return lua_yieldk(L, 0, 0, task_wait_k);
    }
    return task_outcome(L, t);
}

static int
task_is_done(void *ud)
{
    return ((struct ltask *)ud)->state == LTASK_DONE;
}

/* t:wait() -> the task's return values; raises its error. */
static int
task_wait(lua_State *L)
{
    struct ltask *t = check_task(L, 1);
    lua_settop(L, 1);
    struct ps_lua *pl = l_engine(L);
    if (t == pl->current)
        return luaL_error(L, "a task cannot wait for itself");
    t->observed = 1;
    if (t->state == LTASK_DONE)
        return task_outcome(L, t);
    struct ltask *self = l_task_yieldable(L);
    if (!self) {
        drive_until(L, task_is_done, t, 0);
        return task_outcome(L, t);
    }
    self->state = LTASK_WAIT_TASK;
    self->waiting_on = t;
    return lua_yieldk(L, 0, 0, task_wait_k);
}

/* t:done() -> boolean */
static int
task_done(lua_State *L)
{
    lua_pushboolean(L, check_task(L, 1)->state == LTASK_DONE);
    return 1;
}

/* t:cancel(): the task raises "cancelled" at its next wait or within a few thousand
 * instructions.  Returns true when it was still running. */
static int
task_cancel(lua_State *L)
{
    struct ltask *t = check_task(L, 1);
    if (t->state == LTASK_DONE) {
        lua_pushboolean(L, 0);
        return 1;
    }
    t->cancelled = 1;
    if (t->state == LTASK_WAIT_OP && t->op && !t->op->done && t->op->cancel)
        t->op->cancel(t->op);
    if (t->state == LTASK_SLEEP || t->state == LTASK_WAIT_TASK || t->state == LTASK_WAIT_OP)
        t->state = LTASK_READY;
    lua_pushboolean(L, 1);
    return 1;
}

static int
task_index(lua_State *L)
{
    struct ltask *t = check_task(L, 1);
    const char *k = luaL_checkstring(L, 2);
    if (strcmp(k, "id") == 0) {
        lua_pushinteger(L, t->id);
        return 1;
    }
    if (strcmp(k, "status") == 0) {
        static const char *const names[] = {"ready",   "running", "sleeping",
                                            "waiting", "waiting", "done"};
        lua_pushstring(L, t->state == LTASK_DONE ? (t->ok ? "done" : "failed") : names[t->state]);
        return 1;
    }
    luaL_getmetatable(L, LTASK_MT);
    lua_getfield(L, -1, "methods");
    lua_getfield(L, -1, k);
    return 1;
}

static int
task_tostring(lua_State *L)
{
    struct ltask *t = check_task(L, 1);
    lua_pushfstring(L, "ps.Task(%d)", t->id);
    return 1;
}

static const luaL_Reg task_methods[] = {
    {"wait", task_wait},
    {"done", task_done},
    {"cancel", task_cancel},
    {NULL, NULL},
};

static const luaL_Reg sched_funcs[] = {
    {"sleep", l_sleep},
    {"yield", l_yield},
    {"now", l_now},
    {"spawn", l_spawn},
    {"_spawn_observed", l_spawn_observed},
    {NULL, NULL},
};

void
l_open_sched(lua_State *L)
{
    luaL_newmetatable(L, LTASK_MT);
    lua_pushcfunction(L, task_index);
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, task_tostring);
    lua_setfield(L, -2, "__tostring");
    luaL_newlib(L, task_methods);
    lua_setfield(L, -2, "methods");
    lua_newtable(L);
    lua_pushliteral(L, "id");
    lua_rawseti(L, -2, 1);
    lua_pushliteral(L, "status");
    lua_rawseti(L, -2, 2);
    lua_setfield(L, -2, "fields");
    lua_pop(L, 1);
    luaL_setfuncs(L, sched_funcs, 0);
}
