/* The option-table parser of src/app/opts.h. */
#include "app/opts.h"

#include <string.h>

/* Column where the help text of an option line starts. */
enum { HELP_COL = 27 };

/* The options every command takes (app_common_opt applies them), listed last in
 * --help; -h/--help itself is not listed. */
#define COMMON_OPTS(_) \
    _('w', "workspace", "FILE", "workspace file (default $PREFSCOPE_WORKSPACE or ./prefscope.db)") \
    _(APP_OPT_CONFIG, "config", "FILE", "Lua config (see prefscope --help)") \
    _('h', "help", NULL, NULL)
APP_OPTS(common_opts, COMMON_OPTS);

static int
has_short(int id)
{
    return id > ' ' && id < 127;
}

static void
add_opts(struct app_optparse *p, size_t *n, size_t *s, const struct app_opt *opts)
{
    for (const struct app_opt *o = opts; o->name && *n < APP_OPT_MAX + 3; o++) {
        p->longopts[(*n)++] =
            (struct option){o->name, o->arg ? required_argument : no_argument, NULL, o->id};
        if (has_short(o->id)) {
            p->shortopts[(*s)++] = (char)o->id;
            if (o->arg)
                p->shortopts[(*s)++] = ':';
        }
    }
}

void
app_opt_begin(struct app_optparse *p, struct app *app, const char *cmd, const char *usage,
              const struct app_opt *opts, int argc, char **argv)
{
    memset(p, 0, sizeof *p);
    p->app = app;
    p->cmd = cmd;
    p->usage = usage;
    p->opts = opts;
    p->argc = argc;
    p->argv = argv;
    size_t n = 0, s = 0;
    add_opts(p, &n, &s, common_opts);
    add_opts(p, &n, &s, opts);
    p->longopts[n] = (struct option){NULL, 0, NULL, 0};
    p->shortopts[s] = '\0';
    optind = 1;
    opterr = 0; /* app_bad_option says it in one line */
}

int
app_opt_next(struct app_optparse *p)
{
    int c;
    while ((c = getopt_long(p->argc, p->argv, p->shortopts, p->longopts, NULL)) != -1) {
        if (app_common_opt(p->app, c, optarg))
            continue;
        if (c == 'h') {
            app_opt_help(stdout, p->usage, p->opts);
            if (p->help_tail)
                p->help_tail(stdout);
            p->status = 0;
            return APP_OPT_EXIT;
        }
        if (c == '?' || c == ':') {
            p->status = app_bad_option(p->cmd, p->argv);
            return APP_OPT_EXIT;
        }
        return c;
    }
    return APP_OPT_END;
}

static void
print_opts(FILE *f, const struct app_opt *opts)
{
    for (const struct app_opt *o = opts; o->name; o++) {
        if (!o->help)
            continue;
        char head[80];
        if (has_short(o->id))
            snprintf(head, sizeof head, "-%c, --%s%s%s", o->id, o->name, o->arg ? " " : "",
                     o->arg ? o->arg : "");
        else
            snprintf(head, sizeof head, "--%s%s%s", o->name, o->arg ? " " : "",
                     o->arg ? o->arg : "");
        int w = fprintf(f, "  %s", head);
        if (w >= HELP_COL - 1) { /* a long head: its help on the next line */
            fputc('\n', f);
            w = 0;
        }
        const char *h = o->help;
        do {
            const char *nl = strchr(h, '\n');
            int len = nl ? (int)(nl - h) : (int)strlen(h);
            fprintf(f, "%*s%.*s\n", HELP_COL - w, "", len, h);
            w = 0;
            h = nl ? nl + 1 : NULL;
        } while (h);
    }
}

void
app_opt_help(FILE *f, const char *usage, const struct app_opt *opts)
{
    fputs(usage, f);
    print_opts(f, opts);
    print_opts(f, common_opts);
}
