/* Trust for code that comes with a folder (docs/security.md).
 *
 * A `prefscope.lua` next to a workspace is Lua that runs with the user's rights, and
 * a shared folder (a colleague's, a downloaded dataset) may bring one.  As direnv
 * does, such a file runs only once the user trusted this file with this content:
 * trust is recorded per real path and SHA-256 of the content in
 * $XDG_STATE_HOME/prefscope/trusted (else ~/.local/state/prefscope/trusted), one
 * "HEX<TAB>PATH" line each, so an edit of the file asks again.  The user's own
 * config (--config, ~/.config/prefscope/config.lua) needs no trust. */
#ifndef PS_CORE_TRUST_H
#define PS_CORE_TRUST_H

#include "core/err.h"

/* PS_OK when `path` (borrowed) is trusted with its current content.  Otherwise, when
 * stdin and stderr are terminals (and $PREFSCOPE_NO_TRUST_PROMPT is unset), ask once
 * on the terminal and record a yes; else fail with PS_ERR_USAGE and one line saying
 * how to trust the file ("prefscope trust FILE"). */
int trust_check(const char *path, struct ps_err *err);

/* Record `path` (borrowed) as trusted with its current content (prefscope trust).
 * *changed (may be NULL) is 1 when this replaced or added a record. */
int trust_add(const char *path, int *changed, struct ps_err *err);

#endif
