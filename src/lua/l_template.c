/* ps.template: prompt templates.  A template is a text file with {{name}} (or
 * {{a.b}}) placeholders, optionally split into sections by lines "--- name ---".
 * Templates are found by name under prefscope/templates/ in the shipped lua-modules
 * (source tree, then installed), then in the user's ~/.config/prefscope/templates/;
 * a name that is a readable file path is used as is.  Values are only substituted,
 * never evaluated. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "lua/l_internal.h"

static int
is_file(const char *p)
{
    struct stat sb;
    return stat(p, &sb) == 0 && S_ISREG(sb.st_mode);
}

/* Push the template directories in search order (a list). */
static void
push_dirs(lua_State *L)
{
    lua_newtable(L);
    int n = 0;
    lua_getglobal(L, "ps");
    if (lua_istable(L, -1) && lua_getfield(L, -1, "module_dirs") == LUA_TTABLE) {
        for (int i = 1; lua_rawgeti(L, -1, i) == LUA_TSTRING; i++) {
            lua_pushfstring(L, "%s/prefscope/templates", lua_tostring(L, -1));
            lua_rawseti(L, -5, ++n);
            lua_pop(L, 1);
        }
        lua_pop(L, 2);
    } else {
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
    const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
    if (xdg && *xdg)
        lua_pushfstring(L, "%s/prefscope/templates", xdg);
    else if (home && *home)
        lua_pushfstring(L, "%s/.config/prefscope/templates", home);
    else
        return;
    lua_rawseti(L, -2, ++n);
}

/* Resolve a template name to a path (pushed) or push nothing and return 0. */
static int
find_template(lua_State *L, const char *name)
{
    if (strchr(name, '/') && is_file(name)) {
        lua_pushstring(L, name);
        return 1;
    }
    if (strstr(name, ".."))
        return 0; /* names stay inside the template directories */
    push_dirs(L);
    for (int i = 1; lua_rawgeti(L, -1, i) == LUA_TSTRING; i++) {
        const char *dir = lua_tostring(L, -1);
        static const char *const ext[] = {".txt", ".md", "", NULL};
        for (int e = 0; ext[e]; e++) {
            lua_pushfstring(L, "%s/%s%s", dir, name, ext[e]);
            if (is_file(lua_tostring(L, -1))) {
                lua_replace(L, -3);
                lua_pop(L, 1);
                return 1;
            }
            lua_pop(L, 1);
        }
        lua_pop(L, 1);
    }
    lua_pop(L, 2);
    return 0;
}

/* Push the file's contents, or nil + message (2 values) on failure; returns 1/0. */
static int
read_file(lua_State *L, const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        lua_pushnil(L);
        lua_pushfstring(L, "%s: cannot read", path);
        return 0;
    }
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    char *p;
    size_t n;
    do {
        p = luaL_prepbuffer(&b);
        n = fread(p, 1, LUAL_BUFFERSIZE, f);
        luaL_addsize(&b, n);
    } while (n == LUAL_BUFFERSIZE);
    fclose(f); /* a raise in prepbuffer would leak f; templates are small, one read */
    luaL_pushresult(&b);
    return 1;
}

/* ps.template.find(name) -> path | nil, msg */
static int
t_find(lua_State *L)
{
    const char *name = luaL_checkstring(L, 1);
    if (find_template(L, name))
        return 1;
    lua_pushnil(L);
    lua_pushfstring(L,
                    "template '%s' not found (searched prefscope/templates/ in the module "
                    "directories and ~/.config/prefscope/templates/)",
                    name);
    return 2;
}

/* ps.template.load(name) -> text, path | nil, msg */
static int
t_load(lua_State *L)
{
    const char *name = luaL_checkstring(L, 1);
    if (t_find(L) == 2)
        return 2;
    if (!read_file(L, lua_tostring(L, -1)))
        return 2;
    lua_insert(L, -2);
    (void)name;
    return 2;
}

/* Is line [s, e) a section header "--- name ---"?  Sets the name span. */
static int
section_header(const char *s, const char *e, const char **ns, size_t *nl)
{
    if (e - s < 9 || strncmp(s, "--- ", 4) != 0 || strncmp(e - 4, " ---", 4) != 0)
        return 0;
    const char *a = s + 4, *b = e - 4;
    if (a >= b)
        return 0;
    for (const char *p = a; p < b; p++)
        if (!(('a' <= *p && *p <= 'z') || ('A' <= *p && *p <= 'Z') || ('0' <= *p && *p <= '9') ||
              *p == '_' || *p == '-' || *p == '.'))
            return 0;
    *ns = a;
    *nl = (size_t)(b - a);
    return 1;
}

/* Split text (at idx) into a table {names = {...}, [name] = body}; the part before the
 * first header is the section "" when non-blank. */
static void
push_sections(lua_State *L, int idx)
{
    size_t len;
    const char *text = lua_tolstring(L, idx, &len), *end = text + len;
    lua_newtable(L);
    int t = lua_gettop(L);
    lua_newtable(L); /* names */
    int names = lua_gettop(L), n = 0;
    const char *body = text, *cur_name = "";
    size_t cur_len = 0;
    const char *p = text;
    for (;;) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *le = nl ? nl : end;
        const char *ns;
        size_t nlen;
        int hdr = section_header(p, le > p && le[-1] == '\r' ? le - 1 : le, &ns, &nlen);
        if (hdr || !nl) {
            const char *be = hdr ? p : end;
            /* Trim one trailing newline before a header. */
            size_t blen = (size_t)(be - body);
            if (hdr && blen > 0 && body[blen - 1] == '\n')
                blen--;
            int blank = 1;
            for (size_t i = 0; i < blen; i++)
                if (body[i] != ' ' && body[i] != '\n' && body[i] != '\t' && body[i] != '\r')
                    blank = 0;
            if (cur_len > 0 || !blank) {
                lua_pushlstring(L, cur_name, cur_len);
                lua_pushvalue(L, -1);
                lua_rawseti(L, names, ++n);
                lua_pushlstring(L, body, blen);
                lua_rawset(L, t);
            }
            if (!hdr)
                break;
            cur_name = ns;
            cur_len = nlen;
            body = nl ? nl + 1 : end;
        }
        if (!nl)
            break;
        p = nl + 1;
    }
    lua_setfield(L, t, "names");
}

/* Look up a dotted path (e.g. "item.prompt") in the vars table at idx; pushes the value. */
static void
lookup(lua_State *L, int vars, const char *name, size_t n)
{
    lua_pushvalue(L, vars);
    const char *p = name, *end = name + n;
    while (p < end) {
        const char *dot = memchr(p, '.', (size_t)(end - p));
        const char *se = dot ? dot : end;
        if (lua_type(L, -1) == LUA_TTABLE || lua_type(L, -1) == LUA_TUSERDATA) {
            lua_pushlstring(L, p, (size_t)(se - p));
            lua_gettable(L, -2);
            lua_remove(L, -2);
        } else {
            lua_pop(L, 1);
            lua_pushnil(L);
            return;
        }
        p = dot ? dot + 1 : end;
    }
}

/* Render text at idx with vars at vidx; pushes the result.  Raises on a missing
 * variable or a value that is not a string, number or boolean. */
static void
render(lua_State *L, int idx, int vidx, const char *what)
{
    size_t len;
    const char *s = lua_tolstring(L, idx, &len), *end = s + len, *p = s;
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    while (p < end) {
        const char *open = NULL;
        for (const char *q = p; q + 1 < end; q++)
            if (q[0] == '{' && q[1] == '{') {
                open = q;
                break;
            }
        if (!open) {
            luaL_addlstring(&b, p, (size_t)(end - p));
            break;
        }
        luaL_addlstring(&b, p, (size_t)(open - p));
        const char *close = NULL;
        for (const char *q = open + 2; q + 1 < end; q++)
            if (q[0] == '}' && q[1] == '}') {
                close = q;
                break;
            }
        if (!close) {
            luaL_addlstring(&b, open, (size_t)(end - open));
            break;
        }
        const char *ns = open + 2, *ne = close;
        while (ns < ne && *ns == ' ')
            ns++;
        while (ne > ns && ne[-1] == ' ')
            ne--;
        lookup(L, vidx, ns, (size_t)(ne - ns));
        int t = lua_type(L, -1);
        if (t == LUA_TSTRING || t == LUA_TNUMBER) {
            luaL_addvalue(&b);
        } else if (t == LUA_TBOOLEAN) {
            int v = lua_toboolean(L, -1);
            lua_pop(L, 1);
            luaL_addstring(&b, v ? "true" : "false");
        } else if (t == LUA_TNIL) {
            luaL_error(L, "template %s: no value for {{%s}}", what,
                       lua_pushlstring(L, ns, (size_t)(ne - ns)));
        } else {
            luaL_error(L, "template %s: {{%s}} is a %s (expected a string or number)", what,
                       lua_pushlstring(L, ns, (size_t)(ne - ns)), luaL_typename(L, -1));
        }
        p = close + 2;
    }
    luaL_pushresult(&b);
}

/* ps.template.render_string(text, vars) -> string */
static int
t_render_string(lua_State *L)
{
    luaL_checkstring(L, 1);
    luaL_checktype(L, 2, LUA_TTABLE);
    render(L, 1, 2, "(string)");
    return 1;
}

/* ps.template.sections(name) -> list of section names | nil, msg */
static int
t_sections(lua_State *L)
{
    luaL_checkstring(L, 1);
    lua_settop(L, 1);
    lua_pushcfunction(L, t_load);
    lua_pushvalue(L, 1);
    lua_call(L, 1, 2);
    if (lua_isnil(L, 2))
        return 2;
    lua_pop(L, 1);
    push_sections(L, 2);
    lua_getfield(L, -1, "names");
    return 1;
}

/* ps.template.render(name, vars [, section]) -> string | nil, msg
 * Without a section: the whole file (section headers included only when present
 * and no section was asked for is an error, so prompts never leak headers). */
static int
t_render(lua_State *L)
{
    const char *name = luaL_checkstring(L, 1);
    luaL_checktype(L, 2, LUA_TTABLE);
    const char *section = luaL_optstring(L, 3, NULL);
    lua_settop(L, 3);
    lua_pushcfunction(L, t_load);
    lua_pushvalue(L, 1);
    lua_call(L, 1, 2); /* 4 text, 5 path */
    if (lua_isnil(L, 4))
        return 2;
    push_sections(L, 4);         /* 6 */
    lua_getfield(L, 6, "names"); /* 7 */
    int n = (int)lua_rawlen(L, 7), has_headers = n > 1;
    if (n == 1) {
        lua_rawgeti(L, 7, 1);
        has_headers = lua_rawlen(L, -1) > 0; /* the only section has a name */
    }
    lua_settop(L, 6);
    if (section) {
        if (lua_getfield(L, 6, section) != LUA_TSTRING) {
            lua_pushnil(L);
            lua_pushfstring(L, "template '%s' has no section '%s'", name, section);
            return 2;
        }
        render(L, 7, 2, name);
        return 1;
    }
    if (has_headers)
        return luaL_error(L, "template '%s' has sections: pass one (see ps.template.sections)",
                          name);
    render(L, 4, 2, name);
    return 1;
}

/* ps.template.list() -> sorted list of template names available */
static int
t_list(lua_State *L)
{
    lua_settop(L, 0); /* arguments are ignored */
    push_dirs(L);     /* 1 */
    lua_newtable(L);  /* 2: set */
    for (int i = 1; lua_rawgeti(L, 1, i) == LUA_TSTRING; i++) {
        const char *dir = lua_tostring(L, -1);
        DIR *d = opendir(dir);
        if (!d) {
            lua_pop(L, 1);
            continue;
        }
        /* One level of recipe directories: templates/<recipe>/<name>.txt */
        struct dirent *e;
        while ((e = readdir(d))) {
            if (e->d_name[0] == '.')
                continue;
            lua_pushfstring(L, "%s/%s", dir, e->d_name);
            DIR *sub = opendir(lua_tostring(L, -1));
            if (sub) {
                struct dirent *f;
                while ((f = readdir(sub))) {
                    size_t fl = strlen(f->d_name);
                    if (fl > 4 && strcmp(f->d_name + fl - 4, ".txt") == 0) {
                        lua_pushfstring(L, "%s/%s", e->d_name, f->d_name);
                        lua_pushlstring(L, lua_tostring(L, -1), strlen(lua_tostring(L, -1)) - 4);
                        lua_pushboolean(L, 1);
                        lua_rawset(L, 2);
                        lua_pop(L, 1);
                    }
                }
                closedir(sub);
            } else {
                size_t fl = strlen(e->d_name);
                if (fl > 4 && strcmp(e->d_name + fl - 4, ".txt") == 0) {
                    lua_pushlstring(L, e->d_name, fl - 4);
                    lua_pushboolean(L, 1);
                    lua_rawset(L, 2);
                }
            }
            lua_pop(L, 1);
        }
        closedir(d);
        lua_pop(L, 1);
    }
    l_push_sorted_keys(L, 2);
    return 1;
}

static const luaL_Reg template_funcs[] = {
    {"find", t_find},
    {"load", t_load},
    {"render", t_render},
    {"render_string", t_render_string},
    {"sections", t_sections},
    {"list", t_list},
    {NULL, NULL},
};

void
l_open_template(lua_State *L)
{
    luaL_newlib(L, template_funcs);
    lua_setfield(L, -2, "template");
}
