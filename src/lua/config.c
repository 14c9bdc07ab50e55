#include "lua/config.h"

#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <errno.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "core/strbuf.h"
#include "core/trust.h"
#include "core/xalloc.h"

/* The fields a model entry may have; anything else is refused so a typo like
 * `concurency` does not silently fall back to a default. */
/* clang-format off */
#define CONFIG_MODEL_FIELDS(_) \
    _(name) _(provider) _(base_url) _(model) _(concurrency) _(rpm) _(tpm) _(timeout) \
    _(connect_timeout) _(stall_timeout) _(max_retries) _(api_key_env) _(price_in) \
    _(price_out) _(headers) _(no_n) _(backoff) _(backoff_max) _(cache_id) \
    _(tls_verify) _(ca_file)
/* clang-format on */

static const char *const config_model_fields[] = {
#define CONFIG_FIELD_NAME(f) #f,
    CONFIG_MODEL_FIELDS(CONFIG_FIELD_NAME)
#undef CONFIG_FIELD_NAME
};

static int
file_exists(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

int
config_find(const char *explicit_path, const char *workspace_path, char *buf, size_t n)
{
    if (explicit_path && *explicit_path) {
        snprintf(buf, n, "%s", explicit_path);
        return 1;
    }
    if (workspace_path && *workspace_path && strcmp(workspace_path, ":memory:") != 0) {
        const char *slash = strrchr(workspace_path, '/');
        if (slash)
            snprintf(buf, n, "%.*s/prefscope.lua", (int)(slash - workspace_path), workspace_path);
        else
            snprintf(buf, n, "prefscope.lua");
        if (file_exists(buf))
            return 2; /* came with the folder: runs only when trusted (core/trust.h) */
    }
    const char *xdg = getenv("XDG_CONFIG_HOME");
    const char *home = getenv("HOME");
    if (xdg && *xdg)
        snprintf(buf, n, "%s/prefscope/config.lua", xdg);
    else if (home && *home)
        snprintf(buf, n, "%s/.config/prefscope/config.lua", home);
    else
        return 0;
    return file_exists(buf);
}

/* ---- reading one model table ---- */

static int
opt_number(lua_State *L, int t, const char *key, double *out, const char *model, struct ps_err *err)
{
    lua_getfield(L, t, key);
    int type = lua_type(L, -1);
    if (type != LUA_TNIL) {
        if (type != LUA_TNUMBER) {
            lua_pop(L, 1);
            return ps_error(err, PS_ERR_USAGE, "model %s: %s must be a number", model, key);
        }
        *out = lua_tonumber(L, -1);
        if (!isfinite(*out) || *out < 0) {
            lua_pop(L, 1);
            return ps_error(err, PS_ERR_USAGE, "model %s: %s must be a non-negative number", model,
                            key);
        }
    }
    lua_pop(L, 1);
    return PS_OK;
}

static int
opt_string(lua_State *L, int t, const char *key, char **out, const char *model, struct ps_err *err)
{
    lua_getfield(L, t, key);
    int type = lua_type(L, -1);
    if (type != LUA_TNIL) {
        if (type != LUA_TSTRING) {
            lua_pop(L, 1);
            return ps_error(err, PS_ERR_USAGE, "model %s: %s must be a string", model, key);
        }
        free(*out);
        *out = xstrdup(lua_tostring(L, -1));
    }
    lua_pop(L, 1);
    return PS_OK;
}

/* A string or a list of strings (base_url). */
static int
opt_strings(lua_State *L, int t, const char *key, char ***out, int *n, const char *model,
            struct ps_err *err)
{
    lua_getfield(L, t, key);
    int rc = PS_OK;
    if (lua_type(L, -1) == LUA_TSTRING) {
        *out = xcalloc(1, sizeof **out);
        (*out)[0] = xstrdup(lua_tostring(L, -1));
        *n = 1;
    } else if (lua_istable(L, -1)) {
        int len = (int)luaL_len(L, -1);
        *out = xcalloc((size_t)(len > 0 ? len : 1), sizeof **out);
        for (int i = 1; i <= len; i++) {
            lua_rawgeti(L, -1, i);
            if (lua_type(L, -1) != LUA_TSTRING) {
                lua_pop(L, 1);
                rc =
                    ps_error(err, PS_ERR_USAGE, "model %s: %s[%d] must be a string", model, key, i);
                break;
            }
            (*out)[(*n)++] = xstrdup(lua_tostring(L, -1));
            lua_pop(L, 1);
        }
    } else if (!lua_isnil(L, -1)) {
        rc = ps_error(err, PS_ERR_USAGE, "model %s: %s must be a string or a list of strings",
                      model, key);
    }
    lua_pop(L, 1);
    return rc;
}

/* headers = { ["X-Name"] = "value", ... } or { "X-Name: value", ... } */
static int
opt_headers(lua_State *L, int t, struct llm_model_cfg *c, struct ps_err *err)
{
    lua_getfield(L, t, "headers");
    if (lua_isnil(L, -1)) {
        lua_pop(L, 1);
        return PS_OK;
    }
    if (!lua_istable(L, -1)) {
        lua_pop(L, 1);
        return ps_error(err, PS_ERR_USAGE, "model %s: headers must be a table", c->name);
    }
    lua_pushnil(L);
    while (lua_next(L, -2)) {
        if (lua_type(L, -1) != LUA_TSTRING) {
            lua_pop(L, 3);
            return ps_error(err, PS_ERR_USAGE, "model %s: header values must be strings", c->name);
        }
        char *h;
        if (lua_type(L, -2) == LUA_TSTRING) {
            size_t kl, vl;
            const char *k = lua_tolstring(L, -2, &kl), *v = lua_tolstring(L, -1, &vl);
            h = xmalloc(kl + vl + 3);
            snprintf(h, kl + vl + 3, "%s: %s", k, v);
        } else {
            h = xstrdup(lua_tostring(L, -1));
        }
        if (strchr(h, '\n') || strchr(h, '\r')) {
            free(h);
            lua_pop(L, 3);
            return ps_error(err, PS_ERR_USAGE, "model %s: a header contains a line break", c->name);
        }
        c->headers = xrealloc(c->headers, (size_t)(c->n_headers + 1) * sizeof *c->headers);
        c->headers[c->n_headers++] = h;
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
    return PS_OK;
}

static int
read_model(lua_State *L, int t, struct llm_model_cfg *c, struct ps_err *err)
{
    const char *model = c->name;
    /* unknown keys */
    lua_pushnil(L);
    while (lua_next(L, t)) {
        lua_pop(L, 1);
        if (lua_type(L, -1) != LUA_TSTRING) {
            lua_pop(L, 1);
            return ps_error(err, PS_ERR_USAGE, "model %s: keys must be names", model);
        }
        const char *k = lua_tostring(L, -1);
        if (strcmp(k, "api_key") == 0) {
            lua_pop(L, 1);
            return ps_error(err, PS_ERR_USAGE,
                            "model %s: API keys are not accepted in the config; put the key in an "
                            "environment variable and name it with api_key_env",
                            model);
        }
        int known = 0;
        for (size_t i = 0; i < sizeof config_model_fields / sizeof config_model_fields[0]; i++)
            known |= strcmp(k, config_model_fields[i]) == 0;
        if (!known) {
            int rc = ps_error(err, PS_ERR_USAGE, "model %s: unknown field '%s'", model, k);
            lua_pop(L, 1);
            return rc;
        }
    }
    char *provider = NULL;
    double conc = c->concurrency, retries = c->max_retries, no_n = 0;
    int rc = opt_string(L, t, "provider", &provider, model, err);
    if (rc == PS_OK && provider) {
        int p = llm_provider_parse(provider);
        if (p < 0)
            rc = ps_error(err, PS_ERR_USAGE, "model %s: unknown provider '%s' (openai, anthropic)",
                          model, provider);
        else
            c->provider = (enum llm_provider)p;
    }
    free(provider);
    lua_getfield(L, t, "no_n");
    no_n = lua_toboolean(L, -1);
    lua_pop(L, 1);
    if (rc == PS_OK)
        rc = opt_strings(L, t, "base_url", &c->base_urls, &c->n_base_urls, model, err);
    if (rc == PS_OK)
        rc = opt_string(L, t, "model", &c->model, model, err);
    lua_getfield(L, t, "api_key_env");
    int key_bool = lua_type(L, -1) == LUA_TBOOLEAN, key_true = lua_toboolean(L, -1);
    lua_pop(L, 1);
    if (key_bool) {
        /* false: the server needs no key (local vLLM, Ollama) */
        c->no_key = 1;
        if (key_true && rc == PS_OK)
            rc =
                ps_error(err, PS_ERR_USAGE,
                         "model %s: api_key_env must name a variable, or be false (no key)", model);
    } else if (rc == PS_OK) {
        rc = opt_string(L, t, "api_key_env", &c->api_key_env, model, err);
    }
    if (rc == PS_OK)
        rc = opt_string(L, t, "cache_id", &c->cache_id, model, err);
    if (rc == PS_OK)
        rc = opt_string(L, t, "ca_file", &c->ca_file, model, err);
    lua_getfield(L, t, "tls_verify");
    if (rc == PS_OK && !lua_isnil(L, -1) && !lua_isboolean(L, -1))
        rc = ps_error(err, PS_ERR_USAGE, "model %s: tls_verify must be true or false", model);
    /* only an explicit false turns verification off */
    c->tls_insecure = lua_isboolean(L, -1) && !lua_toboolean(L, -1);
    lua_pop(L, 1);
    if (rc == PS_OK)
        rc = opt_number(L, t, "concurrency", &conc, model, err);
    if (rc == PS_OK)
        rc = opt_number(L, t, "max_retries", &retries, model, err);
    if (rc == PS_OK)
        rc = opt_number(L, t, "rpm", &c->rpm, model, err);
    if (rc == PS_OK)
        rc = opt_number(L, t, "tpm", &c->tpm, model, err);
    if (rc == PS_OK)
        rc = opt_number(L, t, "timeout", &c->timeout_s, model, err);
    if (rc == PS_OK)
        rc = opt_number(L, t, "connect_timeout", &c->connect_timeout_s, model, err);
    if (rc == PS_OK)
        rc = opt_number(L, t, "stall_timeout", &c->stall_timeout_s, model, err);
    if (rc == PS_OK)
        rc = opt_number(L, t, "backoff", &c->backoff_s, model, err);
    if (rc == PS_OK)
        rc = opt_number(L, t, "backoff_max", &c->backoff_max_s, model, err);
    if (rc == PS_OK) {
        double pi = -1, po = -1;
        rc = opt_number(L, t, "price_in", &pi, model, err);
        if (rc == PS_OK)
            rc = opt_number(L, t, "price_out", &po, model, err);
        if (rc == PS_OK && (pi >= 0) != (po >= 0))
            rc = ps_error(err, PS_ERR_USAGE,
                          "model %s: set both price_in and price_out (per 1M tokens)", model);
        if (rc == PS_OK && pi >= 0) {
            c->price_in = pi;
            c->price_out = po;
            c->has_price = 1;
        }
    }
    if (rc == PS_OK)
        rc = opt_headers(L, t, c, err);
    if (rc != PS_OK)
        return rc;
    if (conc < 1 || conc > 4096 || conc != floor(conc))
        return ps_error(err, PS_ERR_USAGE, "model %s: concurrency must be an integer in 1..4096",
                        model);
    if (retries > 1000 || retries != floor(retries))
        return ps_error(err, PS_ERR_USAGE, "model %s: max_retries must be an integer in 0..1000",
                        model);
    c->concurrency = (int)conc;
    c->max_retries = (int)retries;
    c->no_n = (int)no_n;
    if (c->timeout_s <= 0)
        return ps_error(err, PS_ERR_USAGE, "model %s: timeout must be positive", model);
    /* Provider defaults: the hosted endpoints and their usual key variables. */
    if (c->n_base_urls == 0) {
        c->base_urls = xcalloc(1, sizeof *c->base_urls);
        c->base_urls[0] =
            xstrdup(c->provider == LLM_PROVIDER_ANTHROPIC ? "https://api.anthropic.com/v1"
                                                          : "https://api.openai.com/v1");
        c->n_base_urls = 1;
        if (!c->api_key_env && !c->no_key)
            c->api_key_env = xstrdup(c->provider == LLM_PROVIDER_ANTHROPIC ? "ANTHROPIC_API_KEY"
                                                                           : "OPENAI_API_KEY");
    }
    if (llm_model_cfg_check(c, err) != PS_OK)
        return err->code;
    if (!c->model || !*c->model)
        return ps_error(err, PS_ERR_USAGE,
                        "model %s: 'model' (the id the server knows) is required", model);
    return PS_OK;
}

int
config_model_from_lua(lua_State *L, int idx, const char *name, struct llm_model_cfg *out,
                      struct ps_err *err)
{
    idx = lua_absindex(L, idx);
    memset(out, 0, sizeof *out);
    llm_model_cfg_defaults(out);
    if (!lua_istable(L, idx))
        return ps_error(err, PS_ERR_USAGE, "model %s: expected a table", name ? name : "?");
    lua_getfield(L, idx, "name");
    if (lua_type(L, -1) == LUA_TSTRING)
        out->name = xstrdup(lua_tostring(L, -1));
    lua_pop(L, 1);
    if (!out->name)
        out->name = xstrdup(name && *name ? name : "model");
    int rc = read_model(L, idx, out, err);
    if (rc != PS_OK)
        llm_model_cfg_free(out);
    return rc;
}

/* ---- keys held by the file ---- */

/* Shapes of provider keys (a prefix, then at least `min` key characters): such a
 * string anywhere in the file, comments included, is a key the file holds. */
static const struct {
    const char *prefix;
    size_t min;
} config_key_shapes[] = {
    {"sk-", 20}, {"hf_", 30}, {"gsk_", 30}, {"xai-", 30}, {"AIza", 30},
};

static int
key_char(unsigned char ch)
{
    return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
           ch == '-' || ch == '_';
}

static const char *
find_bytes(const char *hay, size_t n, const char *needle, size_t k)
{
    for (size_t i = 0; k > 0 && i + k <= n; i++)
        if (hay[i] == needle[0] && memcmp(hay + i, needle, k) == 0)
            return hay + i;
    return NULL;
}

/* A header whose value is a credential, judged by its name. */
static int
header_is_secret(const char *h)
{
    static const char *const words[] = {"auth", "key", "token", "secret", "password", "cookie"};
    size_t n = strcspn(h, ":");
    for (size_t w = 0; w < sizeof words / sizeof words[0]; w++) {
        size_t k = strlen(words[w]);
        for (size_t i = 0; i + k <= n; i++)
            if (strncasecmp(h + i, words[w], k) == 0)
                return 1;
    }
    return 0;
}

/* Does the file's text hold a key?  Either a credential header's value written in
 * the file itself (not read with os.getenv), or a string shaped like a provider key.
 * `what` says which, never the key itself. */
static int
config_held_key(const char *text, size_t n, const struct config *c, char *what, size_t wn)
{
    for (int i = 0; i < c->n_models; i++)
        for (int h = 0; h < c->models[i].n_headers; h++) {
            const char *hd = c->models[i].headers[h];
            if (!header_is_secret(hd))
                continue;
            const char *v = hd + strcspn(hd, ":");
            v += *v ? 1 : 0;
            v += strspn(v, " \t");
            if (strncasecmp(v, "Bearer ", 7) == 0 || strncasecmp(v, "Basic ", 6) == 0)
                v += strcspn(v, " ") + 1;
            if (strlen(v) >= 8 && find_bytes(text, n, v, strlen(v))) {
                snprintf(what, wn, "the value of header %.*s of model %s", (int)strcspn(hd, ":"),
                         hd, c->models[i].name);
                return 1;
            }
        }
    for (size_t k = 0; k < sizeof config_key_shapes / sizeof config_key_shapes[0]; k++) {
        const char *pre = config_key_shapes[k].prefix, *p = text;
        size_t pl = strlen(pre);
        while ((p = find_bytes(p, n - (size_t)(p - text), pre, pl))) {
            size_t run = 0;
            while (p + pl + run < text + n && key_char((unsigned char)p[pl + run]))
                run++;
            if (run >= config_key_shapes[k].min && (p == text || !key_char((unsigned char)p[-1]))) {
                int line = 1;
                for (const char *q = text; q < p; q++)
                    line += *q == '\n';
                snprintf(what, wn, "a string shaped like an API key (%s...) on line %d", pre, line);
                return 1;
            }
            p += pl;
        }
    }
    return 0;
}

/* ---- the file ---- */

static int
cmp_model(const void *a, const void *b)
{
    return strcmp(((const struct llm_model_cfg *)a)->name, ((const struct llm_model_cfg *)b)->name);
}

int
config_load_file(struct config **out, const char *path, struct ps_err *err)
{
    lua_State *L = luaL_newstate();
    if (!L)
        return ps_error(err, PS_ERR_NOMEM, "cannot create a Lua state");
    luaL_openlibs(L);
    struct config *c = xcalloc(1, sizeof *c);
    c->path = xstrdup(path);
    int rc = PS_OK;
    /* One read: the text that runs is the text whose mode and secrets are checked. */
    struct strbuf text = STRBUF_INIT;
    struct stat st;
    FILE *f = fopen(path, "rb");
    if (!f || fstat(fileno(f), &st) != 0) {
        rc = ps_error(err, PS_ERR_IO, "config: cannot open %s: %s", path, strerror(errno));
        if (f)
            fclose(f);
        goto done;
    }
    char buf[8192];
    size_t got;
    while ((got = fread(buf, 1, sizeof buf, f)) > 0)
        sb_append(&text, buf, got);
    int rerr = ferror(f);
    fclose(f);
    if (rerr) {
        rc = ps_error(err, PS_ERR_IO, "config: cannot read %s", path);
        goto done;
    }
    /* Assignments land in a fresh environment (reads fall through to the standard
     * library), so every top-level setting the file made can be listed.  Text only:
     * precompiled Lua chunks are refused. */
    struct strbuf chunk = STRBUF_INIT;
    sb_printf(&chunk, "@%s", path);
    int lrc = luaL_loadbufferx(L, text.p ? text.p : "", text.len, sb_str(&chunk), "t");
    sb_free(&chunk);
    if (lrc != LUA_OK) {
        rc = ps_error(err, PS_ERR_PARSE, "config: %s", lua_tostring(L, -1));
        goto done;
    }
    lua_newtable(L); /* env */
    lua_newtable(L); /* its metatable */
    lua_pushglobaltable(L);
    lua_setfield(L, -2, "__index");
    lua_setmetatable(L, -2);
    lua_pushvalue(L, -1);
    lua_setupvalue(L, -3, 1); /* chunk's _ENV = env; env stays at -1 */
    lua_insert(L, -2);        /* env, chunk */
    if (lua_pcall(L, 0, 0, 0) != LUA_OK) {
        rc = ps_error(err, PS_ERR_PARSE, "config: %s", lua_tostring(L, -1));
        goto done;
    }
    int env = lua_gettop(L);
    lua_getfield(L, env, "models");
    if (!lua_isnil(L, -1)) {
        if (!lua_istable(L, -1)) {
            rc = ps_error(err, PS_ERR_USAGE, "%s: models must be a table of name = {...}", path);
            goto done;
        }
        int mt = lua_gettop(L);
        lua_pushnil(L);
        while (lua_next(L, mt)) {
            if (lua_type(L, -2) != LUA_TSTRING) {
                rc = ps_error(err, PS_ERR_USAGE, "%s: models must be keyed by name", path);
                goto done;
            }
            struct llm_model_cfg m;
            if (config_model_from_lua(L, -1, lua_tostring(L, -2), &m, err) != PS_OK) {
                rc = ps_error_prefix(err, "%s: ", path);
                goto done;
            }
            c->models = xrealloc(c->models, (size_t)(c->n_models + 1) * sizeof *c->models);
            c->models[c->n_models++] = m;
            lua_pop(L, 1);
        }
        if (c->n_models > 1) /* models = {}: no array to sort */
            qsort(c->models, (size_t)c->n_models, sizeof *c->models, cmp_model);
    }
    lua_pop(L, 1);
    lua_pushnil(L);
    while (lua_next(L, env)) {
        /* strings, numbers as text, and booleans as "true"/"false" (mouse = false);
         * lua_tostring converts the value in place, never the key lua_next needs */
        int is_bool = lua_type(L, -1) == LUA_TBOOLEAN;
        if (lua_type(L, -2) == LUA_TSTRING &&
            (lua_type(L, -1) == LUA_TSTRING || lua_type(L, -1) == LUA_TNUMBER || is_bool)) {
            c->keys = xrealloc(c->keys, (size_t)(c->n_settings + 1) * sizeof *c->keys);
            c->values = xrealloc(c->values, (size_t)(c->n_settings + 1) * sizeof *c->values);
            c->keys[c->n_settings] = xstrdup(lua_tostring(L, -2));
            c->values[c->n_settings++] =
                xstrdup(is_bool ? (lua_toboolean(L, -1) ? "true" : "false") : lua_tostring(L, -1));
        }
        lua_pop(L, 1);
    }
    char what[256];
    if ((st.st_mode & (S_IRGRP | S_IROTH)) &&
        config_held_key(text.p ? text.p : "", text.len, c, what, sizeof what)) {
        rc = ps_error(err, PS_ERR_USAGE,
                      "%s holds an API key (%s) and is readable by group or others (mode %04o): "
                      "chmod 600 %s, or keep the key in an environment variable (api_key_env, "
                      "os.getenv)",
                      path, what, (unsigned)(st.st_mode & 07777), path);
        goto done;
    }
done:
    sb_free(&text);
    lua_close(L);
    if (rc != PS_OK) {
        config_free(c);
        return rc;
    }
    *out = c;
    return PS_OK;
}

int
config_load(struct config **out, const char *explicit_path, const char *workspace_path,
            struct ps_err *err)
{
    char path[4096];
    int found = config_find(explicit_path, workspace_path, path, sizeof path);
    if (!found) {
        *out = xcalloc(1, sizeof **out);
        return PS_OK;
    }
    if (found == 2 && trust_check(path, err) != PS_OK)
        return err->code;
    if (explicit_path && *explicit_path && !file_exists(path))
        return ps_error(err, PS_ERR_NOTFOUND, "config file %s does not exist", path);
    return config_load_file(out, path, err);
}

void
config_free(struct config *c)
{
    if (!c)
        return;
    for (int i = 0; i < c->n_models; i++)
        llm_model_cfg_free(&c->models[i]);
    free(c->models);
    for (int i = 0; i < c->n_settings; i++) {
        free(c->keys[i]);
        free(c->values[i]);
    }
    free(c->keys);
    free(c->values);
    free(c->path);
    free(c);
}

const struct llm_model_cfg *
config_model(const struct config *c, const char *name)
{
    for (int i = 0; c && name && i < c->n_models; i++)
        if (strcmp(c->models[i].name, name) == 0)
            return &c->models[i];
    return NULL;
}

const char *
config_get(const struct config *c, const char *key)
{
    for (int i = 0; c && key && i < c->n_settings; i++)
        if (strcmp(c->keys[i], key) == 0)
            return c->values[i];
    return NULL;
}
