/* Option tables: each command declares its options once, as an X-macro list, and
 * getopt_long's table, the short-option string and the option lines of --help are
 * made from it.
 *
 *     #define NEW_OPTS(_) \
 *         _(OPT_DOMAIN, "domain", "D", "where the feedback applies") \
 *         _('m', "model", "M", "the model") \
 *         _(APP_OPT_JSON, "json", NULL, "print {\"id\": N}")
 *     APP_OPTS(new_opts, NEW_OPTS);
 *
 *     struct app_optparse p;
 *     app_opt_begin(&p, app, "critique new", new_usage, new_opts, argc, argv);
 *     while ((c = app_opt_next(&p)) != APP_OPT_END) {
 *         switch (c) {
 *         case APP_OPT_EXIT: return p.status;  (after --help: 0; a bad option: 2)
 *         case OPT_DOMAIN: domain = optarg; break;
 *         ...
 *
 * A row is (ID, LONG, ARG, HELP): ID is what app_opt_next returns, a printable
 * character for an option that also has a short form (-m), else an id from
 * APP_OPT_FIRST_FREE (app.h) up; LONG is the long name without "--"; ARG names the
 * value in --help, NULL for a flag; HELP is one line, and a "\n" in it continues on
 * the next line under it.  -w/--workspace, --config and -h/--help are added by the
 * parser and handled there. */
#ifndef PS_APP_OPTS_H
#define PS_APP_OPTS_H

#include <getopt.h>
#include <stdio.h>

#include "app/app.h"

struct app_opt {
    int id;
    const char *name;
    const char *arg;
    const char *help;
};

#define APP_OPT_ROW(id, name, arg, help) {id, name, arg, help},
#define APP_OPTS(table, LIST) \
    static const struct app_opt table[] = {LIST(APP_OPT_ROW){0, NULL, NULL, NULL}}

enum { APP_OPT_MAX = 48, APP_OPT_END = -1, APP_OPT_EXIT = -2 };

/* One parse of a command line.  Everything lives inside it: nothing to free. */
struct app_optparse {
    struct app *app;
    const char *cmd, *usage;
    const struct app_opt *opts;
    int argc;
    char **argv;
    int status; /* the command's exit status after APP_OPT_EXIT */
    /* optional: prints more of --help after the options (set after app_opt_begin) */
    void (*help_tail)(FILE *f);
    struct option longopts[APP_OPT_MAX + 4];
    char shortopts[2 * APP_OPT_MAX + 8];
};

/* Start parsing argv (argv[0] is the command) against `opts` (a table made by
 * APP_OPTS, at most APP_OPT_MAX rows).  `cmd` names the command in messages
 * ("critique new"); `usage` is the head of its --help (synopsis and description),
 * printed before the generated option lines.  All borrowed for the parse. */
void app_opt_begin(struct app_optparse *p, struct app *app, const char *cmd, const char *usage,
                   const struct app_opt *opts, int argc, char **argv);

/* The next option's id, with getopt's optarg holding its value; APP_OPT_END at the
 * first operand (optind); APP_OPT_EXIT when the command is done, with p->status:
 * 0 after printing --help on stdout, 2 after app_bad_option's line on stderr.
 * -w/--workspace and --config are applied to the app here. */
int app_opt_next(struct app_optparse *p);

/* Print `usage` and then one line per option of `opts` ("  -m, --model M   help"). */
void app_opt_help(FILE *f, const char *usage, const struct app_opt *opts);

#endif
