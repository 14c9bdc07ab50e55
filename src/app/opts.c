/* The option-table parser of src/app/opts.h. */
#include "app/opts.h"

#include <string.h>

/* Column where the help text of an option line starts. */
enum { HELP_COL = 27 };

static int
has_short(int id)
{
    return id > ' ' && id < 127;
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
    static const struct option common[] = {
        {"workspace", required_argument, NULL, 'w'},
        {"config", required_argument, NULL, APP_OPT_CONFIG},
        {"help", no_argument, NULL, 'h'},
    };
    size_t n = 0, s = 0;
    for (size_t i = 0; i < sizeof common / sizeof common[0]; i++)
        p->longopts[n++] = common[i];
    strcpy(p->shortopts, "w:h");
    s = strlen(p->shortopts);
    for (const struct app_opt *o = opts; o->name && n < APP_OPT_MAX + 3; o++) {
        p->longopts[n++] =
            (struct option){o->name, o->arg ? required_argument : no_argument, NULL, o->id};
        if (has_short(o->id)) {
            p->shortopts[s++] = (char)o->id;
            if (o->arg)
                p->shortopts[s++] = ':';
        }
    }
    p->longopts[n] = (struct option){NULL, 0, NULL, 0};
    p->shortopts[s] = '\0';
    optind = 1;
    opterr = 0;
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

void
app_opt_help(FILE *f, const char *usage, const struct app_opt *opts)
{
    fputs(usage, f);
    for (const struct app_opt *o = opts; o->name; o++) {
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
