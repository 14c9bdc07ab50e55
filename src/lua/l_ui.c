/* ps.ui: the bridge to the terminal UI.  Every call goes through the host callbacks
 * (struct ps_lua_host); headless (prefscope run / repl) they degrade to stderr output
 * or return nil plus a message saying that no UI is attached. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "lua/l_internal.h"

/* ps.ui.headless() -> true when no terminal UI is attached */
static int
ui_headless(lua_State *L)
{
    struct ps_lua *pl = l_engine(L);
    lua_pushboolean(L, !pl->has_host);
    return 1;
}

/* ps.ui.status(msg): show a message on the status line (headless: on stderr). */
static int
ui_status(lua_State *L)
{
    struct ps_lua *pl = l_engine(L);
    const char *msg = luaL_checkstring(L, 1);
    if (pl->has_host && pl->host.status)
        pl->host.status(pl->host.ud, msg);
    else
        fprintf(stderr, "%s\n", msg);
    return 0;
}

/* ps.ui.current() -> the Item on screen | nil, msg */
static int
ui_current(lua_State *L)
{
    struct ps_lua *pl = l_engine(L);
    if (!pl->has_host || !pl->host.current_item) {
        lua_pushnil(L);
        lua_pushliteral(
            L, "no item on screen: ps.ui.current() needs the TUI (prefscope, then the REPL pane)");
        return 2;
    }
    int64_t id = pl->host.current_item(pl->host.ud);
    if (id <= 0) {
        lua_pushnil(L);
        lua_pushliteral(L, "no item on screen");
        return 2;
    }
    return l_push_item_current(L, id);
}

/* ps.ui.open(view [, arg]) -> true | nil, msg */
static int
ui_open(lua_State *L)
{
    struct ps_lua *pl = l_engine(L);
    const char *view = luaL_checkstring(L, 1);
    const char *arg = NULL;
    if (!lua_isnoneornil(L, 2)) {
        if (luaL_testudata(L, 2, LDS_MT) || luaL_testudata(L, 2, LITEM_MT)) {
            lua_getfield(L, 2, luaL_testudata(L, 2, LDS_MT) ? "name" : "id");
            arg = luaL_tolstring(L, -1, NULL);
        } else {
            arg = luaL_checkstring(L, 2);
        }
    }
    if (!pl->has_host || !pl->host.open_view) {
        lua_pushnil(L);
        lua_pushfstring(L, "no terminal UI: ps.ui.open('%s') needs the TUI", view);
        return 2;
    }
    struct ps_err err = {0};
    if (pl->host.open_view(pl->host.ud, view, arg, &err) != PS_OK)
        return l_fail(L, &err);
    lua_pushboolean(L, 1);
    return 1;
}

/* ps.ui.progress(done, total [, label]): the progress bar of ps.progress (l_progress.c),
 * set by absolute numbers.  Both must be finite (a script's 0/0 is its bug, said at
 * once instead of drawn as "-nan%"); total <= 0 clears it; a new label or total starts
 * a new bar. */
static int
ui_progress(lua_State *L)
{
    struct ps_lua *pl = l_engine(L);
    lua_Number done = luaL_checknumber(L, 1);
    lua_Number total = luaL_checknumber(L, 2);
    luaL_argcheck(L, isfinite(done), 1, "done must be a finite number");
    luaL_argcheck(L, isfinite(total), 2, "total must be a finite number");
    const char *label = luaL_optstring(L, 3, "");
    if (pl->ui_bar && (total <= 0 || (int64_t)total != l_bar_total(pl->ui_bar) ||
                       strcmp(label, l_bar_label(pl->ui_bar)) != 0)) {
        l_bar_close(pl, pl->ui_bar);
        pl->ui_bar = NULL;
    }
    if (total <= 0)
        return 0;
    if (!pl->ui_bar)
        pl->ui_bar = l_bar_open(pl, label, (int64_t)total, 0, &pl->ui_bar);
    l_bar_set_done(pl, pl->ui_bar, (int64_t)done);
    return 0;
}

static const luaL_Reg ui_funcs[] = {
    {"headless", ui_headless}, {"status", ui_status},     {"current", ui_current},
    {"open", ui_open},         {"progress", ui_progress}, {NULL, NULL},
};

void
l_open_ui(lua_State *L)
{
    luaL_newlib(L, ui_funcs);
    lua_setfield(L, -2, "ui");
}
