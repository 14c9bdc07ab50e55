/* prefscope models: the models of the Lua config, probed for what they can do. */
#include <stdio.h>
#include <string.h>

#include "app/app.h"
#include "app/opts.h"
#include "core/sanitize.h"
#include "core/strbuf.h"
#include "llm/llm.h"
#include "lua/config.h"
#include "store/store.h"

static const char models_usage[] =
    "usage: prefscope models [--config FILE] [--json] [--no-probe] [NAME...]\n"
    "\n"
    "List the models named in the config (--config, $PREFSCOPE_CONFIG, prefscope.lua next\n"
    "to the workspace, ~/.config/prefscope/config.lua) and probe each: is the server\n"
    "reachable, which model ids it serves, whether chat returns logprobs and whether\n"
    "it can score a given text (echo + prompt logprobs).  Probes send tiny requests\n"
    "(one token); they are not logged or cached.  See docs/llm.md.\n"
    "\n"
    "Exit status 1 when a model cannot be used: its key variable is unset, or (when\n"
    "probed) its server is unreachable or its chat probe failed.  A model id the\n"
    "server does not list is flagged (NOT LISTED) but is not an error by itself:\n"
    "servers accept aliases they do not list.\n"
    "\n";
enum { OPT_NO_PROBE = APP_OPT_FIRST_FREE };
#define MODELS_OPTS(_) \
    _(APP_OPT_JSON, "json", NULL, "one JSON array on stdout") \
    _(OPT_NO_PROBE, "no-probe", NULL, "list the configuration only, send nothing")
APP_OPTS(models_opts, MODELS_OPTS);

static const char *
tri(int v)
{
    return v < 0 ? "?" : v ? "yes" : "no";
}

static void
json_tri(struct strbuf *sb, const char *key, int v)
{
    sb_printf(sb, ",\"%s\":%s", key, v < 0 ? "null" : v ? "true" : "false");
}

static void
json_model(struct strbuf *sb, const struct llm_model_cfg *c, const struct llm_probe *p,
           int missing_key)
{
    sb_puts(sb, "{\"name\":");
    sb_json_str(sb, c->name, strlen(c->name));
    sb_printf(sb, ",\"provider\":\"%s\",\"model\":", llm_provider_name(c->provider));
    sb_json_str(sb, c->model, strlen(c->model));
    sb_puts(sb, ",\"base_urls\":[");
    for (int i = 0; i < c->n_base_urls; i++) {
        if (i)
            sb_putc(sb, ',');
        sb_json_str(sb, c->base_urls[i], strlen(c->base_urls[i]));
    }
    sb_printf(sb, "],\"concurrency\":%d,\"max_retries\":%d,\"timeout\":%g,\"rpm\":%g,\"tpm\":%g",
              c->concurrency, c->max_retries, c->timeout_s, c->rpm, c->tpm);
    sb_puts(sb, ",\"api_key_env\":");
    if (c->no_key)
        sb_puts(sb, "false"); /* as in the config: no key, explicitly */
    else if (c->api_key_env)
        sb_json_str(sb, c->api_key_env, strlen(c->api_key_env));
    else
        sb_puts(sb, "null");
    sb_printf(sb, ",\"tls_verify\":%s", c->tls_insecure ? "false" : "true");
    sb_puts(sb, ",\"cache_id\":");
    if (c->cache_id)
        sb_json_str(sb, c->cache_id, strlen(c->cache_id));
    else
        sb_puts(sb, "null");
    sb_printf(sb, ",\"api_key_set\":%s",
              c->api_key_env ? (missing_key ? "false" : "true") : "null");
    if (c->has_price)
        sb_printf(sb, ",\"price_in\":%g,\"price_out\":%g", c->price_in, c->price_out);
    else
        sb_puts(sb, ",\"price_in\":null,\"price_out\":null");
    if (p) {
        sb_printf(sb, ",\"reachable\":%s", p->reachable ? "true" : "false");
        sb_puts(sb, ",\"served\":[");
        for (int i = 0; i < p->n_served; i++) {
            if (i)
                sb_putc(sb, ',');
            sb_json_str(sb, p->served[i], strlen(p->served[i]));
        }
        sb_putc(sb, ']');
        json_tri(sb, "model_listed", p->model_listed);
        sb_printf(sb, ",\"chat\":%s", p->chat_ok ? "true" : "false");
        json_tri(sb, "logprobs", p->logprobs);
        json_tri(sb, "scoring", p->scoring);
        sb_printf(sb, ",\"latency_ms\":%.1f,\"error\":", p->latency_ms);
        if (p->error)
            sb_json_str(sb, p->error, strlen(p->error));
        else
            sb_puts(sb, "null");
    }
    sb_putc(sb, '}');
}

int
cmd_models(struct app *app, int argc, char **argv)
{
    int json = 0, probe = 1, c;
    struct app_optparse p;
    app_opt_begin(&p, app, "models", models_usage, models_opts, argc, argv);
    while ((c = app_opt_next(&p)) != APP_OPT_END) {
        switch (c) {
        case APP_OPT_EXIT: return p.status;
        case APP_OPT_JSON: json = 1; break;
        case OPT_NO_PROBE: probe = 0; break;
        }
    }
    struct config *cfg;
    if (config_load(&cfg, app->config, store_default_path(app->workspace), &app->err) != PS_OK)
        return app_fail(app);
    for (int i = optind; i < argc; i++)
        if (!config_model(cfg, argv[i])) {
            app_failf(app, "models: no model named '%s' in %s", argv[i],
                      cfg->path ? cfg->path : "the config");
            config_free(cfg);
            return 1;
        }
    if (!cfg->path && !json)
        fprintf(stderr, "prefscope: no config file found (see prefscope models --help)\n");
    struct llm_engine *eng = NULL;
    if (llm_engine_new(&eng, NULL, &app->err) != PS_OK) {
        config_free(cfg);
        return app_fail(app);
    }
    struct strbuf out = STRBUF_INIT;
    if (json)
        sb_putc(&out, '[');
    else
        sb_printf(&out, "%-14s %-9s %-28s %4s %-9s %-8s %-8s %s\n", "NAME", "PROVIDER", "MODEL",
                  "CONC", "REACHABLE", "LOGPROBS", "SCORING", "SERVED / ERROR");
    int n_out = 0, rc = 0, n_bad = 0;
    struct strbuf bad = STRBUF_INIT;
    for (int i = 0; i < cfg->n_models; i++) {
        const struct llm_model_cfg *mc = &cfg->models[i];
        int wanted = optind >= argc;
        for (int k = optind; k < argc; k++)
            wanted |= strcmp(argv[k], mc->name) == 0;
        if (!wanted)
            continue;
        struct llm_model *m;
        struct llm_probe pr;
        memset(&pr, 0, sizeof pr);
        if (llm_engine_add_model(eng, mc, &m, &app->err) != PS_OK) {
            rc = app_fail(app);
            break;
        }
        if (probe && llm_probe_model(eng, m, &pr, &app->err) != PS_OK) {
            rc = app_fail(app);
            break;
        }
        const char *why = llm_model_missing_key(m) ? "key variable unset"
                          : !probe                 ? NULL
                          : !pr.reachable          ? "unreachable"
                          : !pr.chat_ok            ? "chat failed"
                                                   : NULL;
        if (why) {
            sb_printf(&bad, "%s%s (%s)", n_bad ? ", " : "", mc->name, why);
            n_bad++;
        }
        if (json) {
            if (n_out)
                sb_puts(&out, ",\n ");
            json_model(&out, llm_model_config(m), probe ? &pr : NULL, llm_model_missing_key(m));
        } else {
            struct strbuf detail = STRBUF_INIT, raw = STRBUF_INIT;
            if (llm_model_missing_key(m) && !(probe && pr.error))
                sb_printf(&raw, "$%s is not set", mc->api_key_env);
            if (mc->tls_insecure)
                sb_puts(&raw, "TLS NOT VERIFIED (tls_verify = false); ");
            if (probe && pr.model_listed == 0)
                sb_printf(&raw, "NOT LISTED: the server does not list '%s'; it serves ", mc->model);
            if (probe && pr.error)
                sb_puts(&raw, pr.error);
            else
                for (int k = 0; k < pr.n_served; k++)
                    sb_printf(&raw, "%s%s", k ? ", " : "", pr.served[k]);
            /* server ids and error texts are the server's words: never raw */
            if (raw.len)
                text_sanitize(raw.p, raw.len, &detail, TEXT_SAN_ONELINE);
            sb_free(&raw);
            /* %.*s: text_sanitize may leave an empty buffer unterminated */
            sb_printf(&out, "%-14s %-9s %-28s %4d %-9s %-8s %-8s %.*s\n", mc->name,
                      llm_provider_name(mc->provider), mc->model, mc->concurrency,
                      probe ? (pr.reachable ? "yes" : "no") : "-", probe ? tri(pr.logprobs) : "-",
                      probe ? tri(pr.scoring) : "-", (int)detail.len, detail.p ? detail.p : "");
            sb_free(&detail);
        }
        n_out++;
        llm_probe_free(&pr);
    }
    if (json)
        sb_puts(&out, "]\n");
    if (rc == 0)
        fputs(sb_str(&out), stdout);
    if (rc == 0 && n_bad) {
        fprintf(stderr, "prefscope: models: %d of %d not usable: %s\n", n_bad, n_out, sb_str(&bad));
        rc = 1;
    }
    sb_free(&bad);
    sb_free(&out);
    llm_engine_free(eng);
    config_free(cfg);
    return rc;
}
