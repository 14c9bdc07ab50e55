/* ps.progress: the progress bar of long Lua operations (chat_many, ps.map, recipes,
 * ICAI and C3PO stages, user scripts), drawn by the one renderer of core/progress.h.
 *
 * Every open bar is on the engine's list, oldest first; only the oldest draws, so a
 * ps.map whose function calls chat_many shows the map's items, not a flicker of
 * bars.  Every LLM call answered while bars are open adds its tokens, cost, cache hit
 * or error to all of them (l_bar_note), so a bar that counts items still shows the
 * spend.  The line goes to the host (the TUI's status line) when it takes one, else to
 * stderr when that is a terminal, redrawn in place with \r at most 10 times a second;
 * off a terminal nothing is drawn (PREFSCOPE_PROGRESS=1 forces it, =0 silences it). */
#include <stdlib.h>
#include <string.h>

#include "core/progress.h"
#include "core/sanitize.h"
#include "core/strbuf.h"
#include "core/xalloc.h"
#include "lua/l_internal.h"

#define LPROGRESS_MT "ps.Progress"

struct lbar {
    struct progress pg;
    struct progress_counts c;
    int absolute;        /* counts are set by bar:update, not accumulated from calls */
    char *label;         /* as given (pg.label is the sanitized, shortened one) */
    struct lbar **owner; /* the holder's pointer, set to NULL when the bar is closed */
    struct lbar *next;
};

static int
host_draws(const struct ps_lua *pl)
{
    return pl->has_host && pl->host.progress_line;
}

struct lbar *
l_bar_open(struct ps_lua *pl, const char *label, int64_t total, double delay, struct lbar **owner)
{
    struct lbar *b = xcalloc(1, sizeof *b);
    b->owner = owner;
    b->label = xstrdup(label);
    struct strbuf tmp = {0};
    progress_init(&b->pg, text_clean(&tmp, label), total);
    sb_free(&tmp);
    const char *env = getenv("PREFSCOPE_PROGRESS");
    if (b->pg.mode == 1) /* off a terminal: quiet (a log gets no bar lines) */
        b->pg.mode = 0;
    if (host_draws(pl) && !(env && strcmp(env, "0") == 0))
        b->pg.mode = 2;
    b->pg.delay = delay;
    b->c.has_invalid = 1;
    struct lbar **tail = &pl->bars;
    while (*tail)
        tail = &(*tail)->next;
    *tail = b;
    return b;
}

/* Redraw the oldest bar when a redraw is due. */
static void
draw(struct ps_lua *pl)
{
    struct lbar *b = pl->bars;
    char line[512];
    if (pl->progress_paused)
        return;
    int width = b ? b->pg.width - 1 : 0;
    if (host_draws(pl))
        width = pl->host.progress_width ? pl->host.progress_width(pl->host.ud) : 80;
    if (!b || !progress_render(&b->pg, &b->c, line, sizeof line, width))
        return;
    if (host_draws(pl)) {
        pl->host.progress_line(pl->host.ud, line);
    } else {
        fprintf(stderr, "\r%s\033[K", line);
        fflush(stderr);
    }
}

static void
add_counts(struct progress_counts *c, const struct progress_counts *d)
{
    c->done += d->done;
    c->errors += d->errors;
    c->cached += d->cached;
    c->tokens += d->tokens;
    c->cost += d->cost;
    c->has_cost |= d->has_cost;
    c->cached_tokens += d->cached_tokens;
    c->cached_cost += d->cached_cost;
    c->invalid += d->invalid;
}

void
l_bar_add(struct ps_lua *pl, struct lbar *b, const struct progress_counts *d)
{
    add_counts(&b->c, d);
    draw(pl);
}

void
l_bar_set_done(struct ps_lua *pl, struct lbar *b, int64_t done)
{
    b->c.done = done;
    draw(pl);
}

int64_t
l_bar_total(const struct lbar *b)
{
    return b->pg.total;
}

const char *
l_bar_label(const struct lbar *b)
{
    return b->label;
}

void
l_bar_note(struct ps_lua *pl, const struct progress_counts *d)
{
    for (struct lbar *b = pl->bars; b; b = b->next)
        if (!b->absolute)
            add_counts(&b->c, d);
    draw(pl);
}

void
l_bar_clear_line(struct ps_lua *pl)
{
    struct lbar *b = pl->bars;
    if (b && b->pg.drawn && !host_draws(pl)) {
        fputs("\r\033[K", stderr);
        fflush(stderr);
        b->pg.t_last = 0; /* redraw at the next count */
    }
}

void
l_bar_close(struct ps_lua *pl, struct lbar *b)
{
    struct lbar **pp = &pl->bars;
    while (*pp && *pp != b)
        pp = &(*pp)->next;
    if (!*pp)
        return;
    int first = pp == &pl->bars;
    *pp = b->next;
    if (first && b->pg.drawn && !pl->progress_paused) {
        if (host_draws(pl)) {
            pl->host.progress_line(pl->host.ud, "");
        } else {
            /* the final figures stay on the terminal, one line per finished bar */
            char line[512];
            b->pg.t_last = 0;
            b->pg.delay = 0;
            if (progress_render(&b->pg, &b->c, line, sizeof line, b->pg.width - 1))
                fprintf(stderr, "\r%s\033[K\n", line);
            fflush(stderr);
        }
    }
    if (b->owner)
        *b->owner = NULL; /* whoever holds it sees it gone, never a freed pointer */
    free(b->label);
    free(b);
    draw(pl);
}

void
ps_lua_progress_pause(struct ps_lua *pl, int paused)
{
    pl->progress_paused = paused;
}

void
l_bar_close_all(struct ps_lua *pl, int quiet)
{
    if (quiet)
        for (struct lbar *b = pl->bars; b; b = b->next)
            b->pg.mode = 0;
    while (pl->bars)
        l_bar_close(pl, pl->bars);
}

/* ---- the Lua side: ps.progress(label, total [, {delay=}]) -> Progress ---- */

struct lbar_box {
    struct lbar *b; /* NULL once finished */
};

static struct lbar_box *
check_box(lua_State *L)
{
    return luaL_checkudata(L, 1, LPROGRESS_MT);
}

/* Counts from a table: done, errors, invalid, tokens, cost, cached (missing: 0; other
 * fields are ignored, so a caller may pass its own tally table). */
static void
read_counts(lua_State *L, int idx, struct progress_counts *d)
{
    luaL_checktype(L, idx, LUA_TTABLE);
    memset(d, 0, sizeof *d);
    int has_cost = 0;
    d->done = (int64_t)l_opt_field_num(L, idx, "done", 0, NULL);
    d->errors = (int64_t)l_opt_field_num(L, idx, "errors", 0, NULL);
    d->invalid = (int64_t)l_opt_field_num(L, idx, "invalid", 0, NULL);
    d->tokens = (int64_t)l_opt_field_num(L, idx, "tokens", 0, NULL);
    d->cost = l_opt_field_num(L, idx, "cost", 0, &has_cost);
    d->has_cost = has_cost || l_opt_field_bool(L, idx, "has_cost", 0);
    d->cached = (int64_t)l_opt_field_num(L, idx, "cached", 0, NULL);
}

static int
lp_new(lua_State *L)
{
    /* argument 1 is the ps.progress table itself (__call) */
    const char *label = luaL_checkstring(L, 2);
    lua_Integer total = luaL_optinteger(L, 3, 0);
    double delay = 0;
    if (!lua_isnoneornil(L, 4)) {
        static const char *const keys[] = {"delay", NULL};
        luaL_checktype(L, 4, LUA_TTABLE);
        l_check_keys(L, 4, keys);
        delay = l_opt_field_num(L, 4, "delay", 0, NULL);
    }
    struct lbar_box *box = lua_newuserdatauv(L, sizeof *box, 0);
    box->b = NULL;
    luaL_setmetatable(L, LPROGRESS_MT);
    box->b = l_bar_open(l_engine(L), label, total, delay, &box->b);
    return 1;
}

/* bar:add([n | counts]): n items done (default 1), or the counts to add. */
static int
lp_add(lua_State *L)
{
    struct lbar_box *box = check_box(L);
    struct progress_counts d = {0};
    if (lua_istable(L, 2))
        read_counts(L, 2, &d);
    else
        d.done = (int64_t)luaL_optinteger(L, 2, 1);
    if (box->b)
        l_bar_add(l_engine(L), box->b, &d);
    return 0;
}

/* bar:update(counts): set the counts (a caller that keeps its own tallies). */
static int
lp_update(lua_State *L)
{
    struct lbar_box *box = check_box(L);
    struct progress_counts d;
    read_counts(L, 2, &d);
    if (box->b) {
        d.has_invalid = 1;
        box->b->c = d;
        box->b->absolute = 1;
        l_bar_add(l_engine(L), box->b, &(struct progress_counts){0});
    }
    return 0;
}

/* bar:finish([counts]): the final line (on a terminal), and the bar is gone. */
static int
lp_finish(lua_State *L)
{
    struct lbar_box *box = check_box(L);
    if (lua_istable(L, 2))
        lp_update(L);
    if (box->b)
        l_bar_close(l_engine(L), box->b);
    box->b = NULL;
    return 0;
}

static int
lp_gc(lua_State *L)
{
    struct lbar_box *box = check_box(L);
    if (box->b)
        l_bar_close(l_engine(L), box->b);
    box->b = NULL;
    return 0;
}

static int
lp_index(lua_State *L)
{
    struct lbar_box *box = check_box(L);
    const char *k = luaL_checkstring(L, 2);
    const struct progress_counts *c = box->b ? &box->b->c : NULL;
    const struct {
        const char *name;
        int64_t v;
    } fields[] = {
        {"done", c ? c->done : 0},     {"total", box->b ? box->b->pg.total : 0},
        {"errors", c ? c->errors : 0}, {"invalid", c ? c->invalid : 0},
        {"tokens", c ? c->tokens : 0}, {"cached", c ? c->cached : 0},
    };
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        if (strcmp(k, fields[i].name) == 0) {
            if (!c)
                return 0; /* finished: nil */
            lua_pushinteger(L, fields[i].v);
            return 1;
        }
    }
    luaL_getmetatable(L, LPROGRESS_MT);
    lua_getfield(L, -1, k);
    return 1;
}

static int
lp_tostring(lua_State *L)
{
    struct lbar_box *box = check_box(L);
    if (!box->b) {
        lua_pushliteral(L, "Progress(finished)");
        return 1;
    }
    char line[512];
    progress_format(line, sizeof line, box->b->pg.label, box->b->pg.total, &box->b->c, 0, 80);
    lua_pushfstring(L, "Progress(%s)", line);
    return 1;
}

/* ps.progress.note(counts): add to every open bar (an invalid answer deep inside a
 * ps.map function, say); nothing when no bar is open. */
static int
lp_note(lua_State *L)
{
    struct progress_counts d;
    luaL_checktype(L, 1, LUA_TTABLE);
    read_counts(L, 1, &d);
    l_bar_note(l_engine(L), &d);
    return 0;
}

static const luaL_Reg lp_methods[] = {
    {"add", lp_add},    {"update", lp_update}, {"finish", lp_finish},       {"__gc", lp_gc},
    {"__close", lp_gc}, {"__index", lp_index}, {"__tostring", lp_tostring}, {NULL, NULL},
};

void
l_open_progress(lua_State *L)
{
    luaL_newmetatable(L, LPROGRESS_MT);
    luaL_setfuncs(L, lp_methods, 0);
    lua_pop(L, 1);
    lua_newtable(L);
    lua_pushcfunction(L, lp_note);
    lua_setfield(L, -2, "note");
    lua_newtable(L);
    lua_pushcfunction(L, lp_new);
    lua_setfield(L, -2, "__call");
    lua_setmetatable(L, -2);
    lua_setfield(L, -2, "progress");
}
