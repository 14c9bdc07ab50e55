/* prefscope trust [FILE]: allow the Lua code that came with a folder to run
 * (core/trust.h, docs/security.md). */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "app/app.h"
#include "core/sanitize.h"
#include "core/strbuf.h"
#include "core/trust.h"
#include "lua/config.h"
#include "store/store.h"

static const char trust_usage[] =
    "usage: prefscope trust [-w WORKSPACE] [FILE]\n"
    "\n"
    "A prefscope.lua next to a workspace is Lua code that runs with your rights, and a\n"
    "shared folder may bring one; it runs only once you trusted it, and again only\n"
    "after its content changes and you trust it anew (as direnv does).  Review FILE\n"
    "(default: the prefscope.lua next to the workspace), then trust it with this\n"
    "command.  Trust is kept per path and SHA-256 of the content in\n"
    "$XDG_STATE_HOME/prefscope/trusted (else ~/.local/state/prefscope/trusted).\n"
    "\n"
    "  -w, --workspace F   workspace file\n";

int
cmd_trust(struct app *app, int argc, char **argv)
{
    int rc = app_parse_plain(app, "trust", trust_usage, argc, argv, NULL);
    if (rc >= 0)
        return rc;
    if (argc - optind > 1)
        return app_failf(app, "trust: one FILE at a time (see prefscope trust --help)");
    char found[4096];
    const char *file = optind < argc ? argv[optind] : NULL;
    if (!file) {
        if (config_find(NULL, store_default_path(app->workspace), found, sizeof found) != 2)
            return app_failf(app, "trust: no prefscope.lua next to the workspace %s",
                             store_default_path(app->workspace));
        file = found;
    }
    if (access(file, R_OK) != 0)
        return app_failf(app, "trust: cannot read '%s'", file);
    int changed = 0;
    if (trust_add(file, &changed, &app->err) != PS_OK)
        return app_fail(app);
    struct strbuf clean = STRBUF_INIT;
    fprintf(stderr, "prefscope: %s %s\n",
            changed ? "trusted" : "already trusted:", text_clean(&clean, file));
    sb_free(&clean);
    return 0;
}
