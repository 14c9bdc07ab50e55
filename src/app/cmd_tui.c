/* prefscope tui: open the terminal UI.  The UI itself lives in src/tui/. */
#include <stdio.h>

#include "app/app.h"

int
cmd_tui(struct app *app, int argc, char **argv)
{
    (void)argc;
    (void)argv;
    return app_failf(app, "the terminal UI is not built yet (issue 3)");
}
