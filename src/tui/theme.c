/* Themes: semantic roles mapped to colours and attributes, read from
 * themes/<name>.lua.
 *
 * A theme file is data, not a program with powers: it runs in a fresh lua_State
 * with no standard libraries and an instruction limit, and must return a table:
 *   return { name = "dark", roles = { title = { fg = "#ffffff 231 white",
 *            bg = "#005f87 24 blue", attrs = "bold" }, ... } }
 * A colour spec lists alternatives, best first: "#rrggbb" (truecolor, else the
 * nearest 256-cube colour), a palette number, a name ("red", "bright-blue") or
 * "default".  The first one the terminal's tier can show is used. */
#include <ctype.h>
#include <dirent.h>
#include <lauxlib.h>
#include <lua.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/datadir.h"
#include "core/xalloc.h"
#include "tui/view.h"

static const struct {
    const char *name;
    attr_t mono;
} theme_roles[ROLE__COUNT] = {
#define TUI_ROLE_INFO(id, name, mono) [ROLE_##id] = {name, mono},
    TUI_ROLES(TUI_ROLE_INFO)
#undef TUI_ROLE_INFO
};

const char *
theme_role_name(enum tui_role role)
{
    return theme_roles[role].name;
}

enum theme_tier
theme_detect_tier(void)
{
    const char *nc = getenv("NO_COLOR");
    const char *term = getenv("TERM");
    if ((nc && *nc) || !term || strcmp(term, "dumb") == 0 || !has_colors())
        return TIER_MONO;
    /* Direct colour only when terminfo says so (RGB, e.g. TERM=xterm-direct):
     * COLORTERM alone cannot make ncurses emit 24-bit sequences. */
    if (COLORS >= 0x1000000)
        return TIER_TRUE;
    if (COLORS >= 256)
        return TIER_256;
    return TIER_16;
}

void
theme_default(struct theme *th, enum theme_tier tier)
{
    memset(th, 0, sizeof *th);
    snprintf(th->name, sizeof th->name, "%s", "monochrome");
    th->tier = tier;
    for (int r = 0; r < ROLE__COUNT; r++)
        th->attr[r] = theme_roles[r].mono;
}

/* ---- colour specs ---- */

static const char *const theme_names16[] = {"black", "red",     "green", "yellow",
                                            "blue",  "magenta", "cyan",  "white"};

static int
theme_named(const char *s, size_t n)
{
    int bright = 0;
    if (n > 7 && strncmp(s, "bright-", 7) == 0) {
        bright = 8;
        s += 7;
        n -= 7;
    } else if (n > 6 && strncmp(s, "bright", 6) == 0) {
        bright = 8;
        s += 6;
        n -= 6;
    }
    if ((n == 4 && strncmp(s, "gray", 4) == 0) || (n == 4 && strncmp(s, "grey", 4) == 0))
        return 8;
    for (int i = 0; i < 8; i++)
        if (strlen(theme_names16[i]) == n && strncmp(theme_names16[i], s, n) == 0)
            return i + bright;
    return -2;
}

/* xterm palette: index -> RGB. */
static long
theme_index_rgb(int i)
{
    static const long base[16] = {0x000000, 0xcd0000, 0x00cd00, 0xcdcd00, 0x0000ee, 0xcd00cd,
                                  0x00cdcd, 0xe5e5e5, 0x7f7f7f, 0xff0000, 0x00ff00, 0xffff00,
                                  0x5c5cff, 0xff00ff, 0x00ffff, 0xffffff};
    if (i < 16)
        return base[i];
    if (i < 232) {
        static const int lv[6] = {0, 95, 135, 175, 215, 255};
        int c = i - 16;
        return (long)lv[c / 36] << 16 | (long)lv[(c / 6) % 6] << 8 | lv[c % 6];
    }
    int g = 8 + (i - 232) * 10;
    return (long)g << 16 | (long)g << 8 | g;
}

static int
theme_nearest(long rgb, int limit)
{
    int best = 0;
    long bestd = -1;
    for (int i = 0; i < limit; i++) {
        long c = theme_index_rgb(i);
        long dr = ((c >> 16) & 255) - ((rgb >> 16) & 255);
        long dg = ((c >> 8) & 255) - ((rgb >> 8) & 255);
        long db = (c & 255) - (rgb & 255);
        long d = dr * dr * 3 + dg * dg * 4 + db * db * 2;
        if (bestd < 0 || d < bestd) {
            bestd = d;
            best = i;
        }
    }
    return best;
}

/* One alternative -> a colour number for the tier, or -2 when unusable. */
static int
theme_alt(const char *s, size_t n, enum theme_tier tier, int last)
{
    if ((n == 7 && strncmp(s, "default", 7) == 0) || (n == 2 && strncmp(s, "-1", 2) == 0))
        return -1;
    if (n == 7 && s[0] == '#') {
        char hex[7];
        memcpy(hex, s + 1, 6);
        hex[6] = '\0';
        char *end;
        long rgb = strtol(hex, &end, 16);
        if (*end)
            return -2;
        if (tier == TIER_TRUE)
            return (int)rgb;
        if (tier == TIER_256)
            return theme_nearest(rgb, 256);
        return last ? theme_nearest(rgb, 16) % (COLORS >= 16 ? 16 : 8) : -2;
    }
    if (isdigit((unsigned char)s[0])) {
        int v = 0;
        for (size_t i = 0; i < n; i++) {
            if (!isdigit((unsigned char)s[i]))
                return -2;
            v = v * 10 + (s[i] - '0');
        }
        if (v > 255)
            return -2;
        if (tier == TIER_TRUE)
            return v < 8 ? v : (int)theme_index_rgb(v);
        if (tier == TIER_256)
            return v;
        if (v < 16)
            return COLORS >= 16 ? v : v % 8;
        return last ? theme_nearest(theme_index_rgb(v), 16) % (COLORS >= 16 ? 16 : 8) : -2;
    }
    int c = theme_named(s, n);
    if (c == -2)
        return -2;
    if (tier == TIER_TRUE)
        return c < 8 ? c : (int)theme_index_rgb(c);
    if (COLORS < 16)
        c %= 8;
    return c;
}

static int
theme_color(const char *spec, enum theme_tier tier)
{
    /* With 256 colours an explicit palette number beats the nearest match of
     * a #rrggbb: the theme author picked it by eye. */
    if (tier == TIER_256) {
        for (const char *q = spec; *q;) {
            while (*q == ' ')
                q++;
            const char *e = q;
            while (*e && *e != ' ')
                e++;
            if (e > q && isdigit((unsigned char)*q)) {
                int c = theme_alt(q, (size_t)(e - q), tier, 0);
                if (c != -2)
                    return c;
            }
            q = e;
        }
    }
    const char *p = spec;
    while (*p) {
        while (*p == ' ')
            p++;
        const char *e = p;
        while (*e && *e != ' ')
            e++;
        if (e > p) {
            const char *rest = e;
            while (*rest == ' ')
                rest++;
            int c = theme_alt(p, (size_t)(e - p), tier, *rest == '\0');
            if (c != -2)
                return c;
        }
        p = e;
    }
    return -1;
}

static attr_t
theme_attrs(const char *s)
{
    static const struct {
        const char *name;
        attr_t a;
    } names[] = {{"bold", A_BOLD},    {"underline", A_UNDERLINE}, {"reverse", A_REVERSE},
                 {"dim", A_DIM},      {"italic", A_ITALIC},       {"standout", A_STANDOUT},
                 {"normal", A_NORMAL}};
    attr_t a = A_NORMAL;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strstr(s, names[i].name))
            a |= names[i].a;
    return a;
}

/* ---- loading ---- */

static void
theme_hook(lua_State *L, lua_Debug *ar)
{
    (void)ar;
    luaL_error(L, "theme file runs too long");
}

static void *
theme_lua_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
    /* A theme is a small table: cap its memory so a hostile file cannot hog it. */
    size_t *used = ud;
    if (nsize == 0) {
        *used -= ptr ? osize : 0;
        free(ptr);
        return NULL;
    }
    size_t old = ptr ? osize : 0;
    if (*used - old + nsize > (4u << 20))
        return NULL;
    void *q = realloc(ptr, nsize);
    if (q)
        *used = *used - old + nsize;
    return q;
}

static int
theme_find(const char *name, char *path, size_t size)
{
    struct stat sb;
    if (strchr(name, '/') || (strlen(name) > 4 && strcmp(name + strlen(name) - 4, ".lua") == 0)) {
        snprintf(path, size, "%s", name);
        return stat(path, &sb) == 0;
    }
    for (const char *p = name; *p; p++)
        if (!isalnum((unsigned char)*p) && *p != '-' && *p != '_')
            return 0;
    const char *env = getenv("PREFSCOPE_THEME_DIR");
    const char *home = getenv("HOME");
    char dirs[2 + DATADIR_MAX][DATADIR_PATH];
    int nd = 0;
    if (env && *env)
        snprintf(dirs[nd++], sizeof dirs[0], "%s", env);
    if (home && *home)
        snprintf(dirs[nd++], sizeof dirs[0], "%s/.config/prefscope/themes", home);
    int ns = datadir_list("themes", dirs + nd);
    nd += ns;
    for (int i = 0; i < nd; i++) {
        int w = snprintf(path, size, "%s/%s.lua", dirs[i], name);
        if (w > 0 && (size_t)w < size && stat(path, &sb) == 0)
            return 1;
    }
    return 0;
}

static const char *
theme_field_str(lua_State *L, int idx, const char *key)
{
    lua_getfield(L, idx, key);
    const char *s = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : NULL;
    lua_pop(L, 1); /* the string stays alive: it is anchored in the table */
    return s;
}

int
theme_load(struct theme *th, const char *name, enum theme_tier tier, struct ps_err *err)
{
    char path[1200];
    if (!theme_find(name, path, sizeof path))
        return ps_error(err, PS_ERR_NOTFOUND, "theme '%s' not found", name);
    size_t used = 0;
    lua_State *L = lua_newstate(theme_lua_alloc, &used);
    if (!L)
        return ps_error(err, PS_ERR_NOMEM, "theme: out of memory");
    lua_sethook(L, theme_hook, LUA_MASKCOUNT, 1000000);
    /* Name the chunk after the file's basename so errors fit a status line. */
    const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    char chunk[128];
    snprintf(chunk, sizeof chunk, "=%.100s", base);
    int rc = LUA_ERRFILE;
    FILE *f = fopen(path, "rb");
    if (f) {
        char *buf = xmalloc(1u << 20);
        size_t n = fread(buf, 1, 1u << 20, f);
        fclose(f);
        rc = n == (1u << 20) ? LUA_ERRFILE : luaL_loadbufferx(L, buf, n, chunk, "t");
        free(buf);
        if (rc == LUA_ERRFILE)
            lua_pushstring(L, "file too large or unreadable");
    } else {
        lua_pushstring(L, "cannot read the file");
    }
    if (rc == LUA_OK)
        rc = lua_pcall(L, 0, 1, 0);
    if (rc != LUA_OK) {
        ps_error(err, PS_ERR_PARSE, "theme: %s",
                 lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : "error");
        lua_close(L);
        return err->code;
    }
    if (!lua_istable(L, -1)) {
        lua_close(L);
        return ps_error(err, PS_ERR_PARSE, "theme %s: must return a table", path);
    }
    struct theme t;
    theme_default(&t, tier);
    const char *tname = theme_field_str(L, -1, "name");
    snprintf(t.name, sizeof t.name, "%s", tname ? tname : name);
    lua_getfield(L, -1, "roles");
    if (!lua_istable(L, -1)) {
        lua_close(L);
        return ps_error(err, PS_ERR_PARSE, "theme %s: missing 'roles' table", path);
    }
    int def_fg = -1, def_bg = -1;
    for (int r = 0; r < ROLE__COUNT; r++) {
        lua_getfield(L, -1, theme_roles[r].name);
        int fg = def_fg, bg = def_bg;
        attr_t attrs = tier == TIER_MONO ? theme_roles[r].mono : A_NORMAL;
        if (lua_istable(L, -1)) {
            const char *s;
            if (tier == TIER_MONO) {
                if ((s = theme_field_str(L, -1, "mono")))
                    attrs = theme_attrs(s);
            } else {
                if ((s = theme_field_str(L, -1, "fg")))
                    fg = theme_color(s, tier);
                if ((s = theme_field_str(L, -1, "bg")))
                    bg = theme_color(s, tier);
                if ((s = theme_field_str(L, -1, "attrs")))
                    attrs = theme_attrs(s);
            }
        } else if (tier != TIER_MONO) {
            attrs = theme_roles[r].mono;
        }
        lua_pop(L, 1);
        if (r == ROLE_DEFAULT) {
            def_fg = fg;
            def_bg = bg;
        }
        t.attr[r] = attrs;
        if (tier != TIER_MONO) {
            t.pair[r] = r + 1;
            init_extended_pair(r + 1, fg, bg);
            t.attr[r] |= COLOR_PAIR(r + 1);
        }
    }
    lua_close(L);
    *th = t;
    return PS_OK;
}

static int
theme_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int
theme_list(char ***names)
{
    int n = 0, cap = 0;
    char **out = NULL;
    /* The same places theme_find looks in. */
    char user[1024] = "";
    const char *home = getenv("HOME");
    if (home && *home)
        snprintf(user, sizeof user, "%s/.config/prefscope/themes", home);
    char shipped[DATADIR_MAX][DATADIR_PATH];
    int ns = datadir_list("themes", shipped);
    const char *dirs[2 + DATADIR_MAX] = {getenv("PREFSCOPE_THEME_DIR"), user};
    for (int i = 0; i < ns; i++)
        dirs[2 + i] = shipped[i];
    for (int d = 0; d < 2 + ns; d++) {
        if (!dirs[d] || !*dirs[d])
            continue;
        DIR *dir = opendir(dirs[d]);
        if (!dir)
            continue;
        struct dirent *de;
        while ((de = readdir(dir))) {
            size_t l = strlen(de->d_name);
            if (l < 5 || strcmp(de->d_name + l - 4, ".lua") != 0)
                continue;
            char *nm = xstrndup(de->d_name, l - 4);
            int dup = 0;
            for (int i = 0; i < n; i++)
                dup |= strcmp(out[i], nm) == 0;
            if (dup) {
                free(nm);
                continue;
            }
            out = xgrow(out, sizeof *out, n, &cap, 8);
            out[n++] = nm;
        }
        closedir(dir);
    }
    if (n)
        qsort(out, (size_t)n, sizeof *out, theme_cmp);
    *names = out;
    return n;
}
