/* The user's Lua configuration file: named models for the LLM engine (DESIGN.md
 * section 5, docs/llm.md) and a few top-level settings.
 *
 * Lookup order (the first that exists is loaded; only one file is read):
 *   1. --config FILE (main() also folds $PREFSCOPE_CONFIG into it): must exist;
 *   2. prefscope.lua next to the workspace file;
 *   3. $XDG_CONFIG_HOME/prefscope/config.lua, else ~/.config/prefscope/config.lua.
 * A prefscope.lua next to the workspace came with the folder: it runs only once the
 * user trusted it with its content (core/trust.h, `prefscope trust`).
 * The file is the user's own and trusted: it runs with the standard Lua libraries
 * (os.getenv is handy for base URLs).  API keys are refused in it: a model names the
 * environment variable that holds its key (api_key_env). */
#ifndef PS_LUA_CONFIG_H
#define PS_LUA_CONFIG_H

#include <stddef.h>

#include "core/err.h"
#include "llm/llm.h"

struct lua_State;

struct config {
    char *path;                   /* the file loaded, or NULL when none was found */
    struct llm_model_cfg *models; /* sorted by name */
    int n_models;
    char **keys, **values; /* top-level string settings (e.g. annotator, theme) */
    int n_settings;
};

/* Find and load the configuration.  explicit_path and workspace_path may be NULL.
 * No file at all is not an error (an empty config); a missing explicit file, a Lua
 * error or an invalid model entry is (the message names file and model).  *out is
 * owned by the caller: config_free. */
int config_load(struct config **out, const char *explicit_path, const char *workspace_path,
                struct ps_err *err);
/* Load one file (no lookup). */
int config_load_file(struct config **out, const char *path, struct ps_err *err);
void config_free(struct config *c);

/* Which file config_load would read (into buf); 0 when none exists, 2 for the
 * prefscope.lua next to the workspace (run only when trusted: core/trust.h), else 1. */
int config_find(const char *explicit_path, const char *workspace_path, char *buf, size_t n);

/* A model by name (borrowed), or NULL. */
const struct llm_model_cfg *config_model(const struct config *c, const char *name);
/* A top-level string setting (borrowed), or NULL; a number reads as its text, a
 * boolean as "true" or "false". */
const char *config_get(const struct config *c, const char *key);

/* Read the model table at stack index idx of L (as in the config file, or a table
 * given to ps.model{...}) into *out, which the caller frees with llm_model_cfg_free.
 * `name` becomes the model's name (the table's own `name` field wins).  Leaves the
 * stack unchanged. */
int config_model_from_lua(struct lua_State *L, int idx, const char *name, struct llm_model_cfg *out,
                          struct ps_err *err);

#endif
