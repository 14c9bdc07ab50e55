/* Terminal capability checks around curses start-up and shutdown (see view.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curses.h>
#include <term.h>

#include "core/datadir.h"
#include "core/sanitize.h"
#include "tui/view.h"

/* A terminfo string capability that is present (tigetstr answers (char *)-1 for a
 * name that is not a string capability, NULL for one the entry lacks). */
static int
has_str(const char *cap)
{
    const char *s = tigetstr(cap);
    return s && s != (char *)-1 && *s;
}

/* setupterm on $TERM without printing anything; on success the entry is released
 * again at once (newterm loads its own) after `cup` was looked up. */
static int
term_load(int *has_cup)
{
    int e = 0;
    if (setupterm(NULL, STDOUT_FILENO, &e) != OK)
        return 0;
    *has_cup = has_str("cup");
    del_curterm(cur_term);
    return 1;
}

int
tui_term_check(struct ps_err *err)
{
    const char *term = getenv("TERM");
    if (!term || !*term)
        return ps_error(err, PS_ERR_USAGE,
                        "TERM is not set: the terminal UI needs a terminal type such as "
                        "xterm-256color (every other command works without one)");
    struct strbuf safe = STRBUF_INIT;
    text_sanitize(term, strlen(term), &safe, TEXT_SAN_ONELINE);
    int has_cup = 0, found = term_load(&has_cup);
    char dir[DATADIR_PATH];
    /* A portable bundle carries entries for common terminals; the host's own
     * database wins, the bundle's is only the fallback. */
    if (!found && datadir_beside_exe("share/terminfo", dir, sizeof dir)) {
        const char *old = getenv("TERMINFO_DIRS");
        struct strbuf dirs = STRBUF_INIT;
        if (old && *old)
            sb_printf(&dirs, "%s:", old);
        sb_puts(&dirs, dir);
        setenv("TERMINFO_DIRS", sb_str(&dirs), 1);
        sb_free(&dirs);
        found = term_load(&has_cup);
    }
    int rc = PS_OK;
    if (!found)
        rc = ps_error(err, PS_ERR_USAGE,
                      "no terminfo entry for TERM=%s on this host: run with a type it knows "
                      "(TERM=xterm-256color works almost everywhere) or install ncurses-term",
                      sb_str(&safe));
    else if (!has_cup)
        rc = ps_error(err, PS_ERR_USAGE,
                      "TERM=%s cannot move the cursor, so the full-screen UI cannot run in it: "
                      "use a terminal type such as xterm-256color, or the commands (stats, "
                      "show, export, run) that work anywhere",
                      sb_str(&safe));
    sb_free(&safe);
    return rc;
}

void
tui_term_wipe(void)
{
    if (has_str("rmcup") || !has_str("clear"))
        return;
    putp(tigetstr("clear"));
    fflush(stdout);
}
