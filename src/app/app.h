/* The application context and the subcommand table.
 *
 * One struct app is created by main() and passed explicitly to every subcommand;
 * there are no mutable globals.  Each subcommand lives in its own file
 * (cmd_<name>.c) and is listed once in PS_COMMANDS, from which dispatch, the
 * top-level --help and shell completion are generated. */
#ifndef PS_APP_APP_H
#define PS_APP_APP_H

#include <stdio.h>

#include "core/err.h"

struct store;

struct app {
    const char *argv0;
    const char *workspace; /* -w / PREFSCOPE_WORKSPACE / ./prefscope.db */
    const char *config;    /* --config / PREFSCOPE_CONFIG */
    struct store *store;   /* opened lazily by app_store() */
    struct ps_err err;
    double wait_said; /* app_long_writer: seconds waited when last said, -1 = not yet */
};

/*  name       summary                                                    */
#define PS_COMMANDS(_) \
    _(import, "import preference data files into the workspace") \
    _(ls, "list the datasets in the workspace with their counts") \
    _(show, "print one item (prompt, responses, judgments) of a dataset") \
    _(export, "write a dataset as TRL, KTO, JSONL, CSV or AnnotatedPairs") \
    _(stats, "win rates, agreement, accuracy, position and length bias with CIs") \
    _(rank, "Bradley-Terry and Elo leaderboard of the models in a dataset") \
    _(models, "list the configured LLM models and probe what each server supports") \
    _(judge, "LLM-as-judge over a dataset's pairs (both orders with --swap)") \
    _(icai, "ICAI constitutions: the principles behind the preferences, offline or by LLM") \
    _(batch, "a run's pending LLM calls to a provider batch file; its results back") \
    _(critique, "C3PO critiques: feedback -> scoped prompts, revisions, review, export, eval") \
    _(run, "run a Lua script with the ps API (headless)") \
    _(repl, "interactive Lua prompt with the ps API") \
    _(trust, "allow the prefscope.lua that came with a folder to run (after review)") \
    _(tui, "open the terminal UI (the default when no command is given)")

#define PS_CMD_DECL(name, summary) int cmd_##name(struct app *app, int argc, char **argv);
PS_COMMANDS(PS_CMD_DECL)
#undef PS_CMD_DECL

/* Open the workspace on first use.  Returns NULL with app->err set on failure.
 * The store stays owned by the app and is closed by app_done. */
struct store *app_store(struct app *app);

/* Print "prefscope: <msg>" on stderr and return 1 (the subcommand's exit status). */
int app_fail(struct app *app);
int app_failf(struct app *app, const char *fmt, ...) PS_PRINTF(2, 3);

/* Announce a long write (`what`, e.g. "import of data.jsonl", copied) on the app's
 * store: other processes name it when they find the workspace busy, and this one
 * waits for another writer instead of failing, saying on stderr who holds the
 * workspace and for how long (at once, then every 10 s). */
void app_long_writer(struct app *app, const char *what);

/* Write the NUL-terminated report `s` (borrowed) to `f` through the sanitizer, keeping
 * newlines and tabs: for text reports that quote names from data (dataset, models,
 * annotators), so no escape sequence reaches the terminal. */
void app_print_clean(FILE *f, const char *s);

/* For a getopt_long loop run with opterr = 0 that returned '?' or ':': print one
 * line ("prefscope: show: unknown option '--x' (see prefscope show --help)") and
 * return 2, the usage-error status. */
int app_bad_option(const char *cmd, char **argv);

/* Handle options shared by every subcommand inside a getopt_long loop: -w/--workspace
 * and --config.  Returns 1 when `opt` was consumed. */
int app_common_opt(struct app *app, int opt, const char *optarg_value);

/* The whole option loop of a command whose only options are the shared ones, -h and
 * (when `json` is non-NULL) --json, which sets *json.  Returns -1 to go on, with optind
 * at the first operand; else the command's exit status: 0 after printing `usage`
 * (borrowed) for --help, 2 after app_bad_option's line. */
int app_parse_plain(struct app *app, const char *cmd, const char *usage, int argc, char **argv,
                    int *json);

/* Option ids for the shared long options (above the char range). */
enum { APP_OPT_CONFIG = 1000, APP_OPT_JSON, APP_OPT_FIRST_FREE };

#endif
