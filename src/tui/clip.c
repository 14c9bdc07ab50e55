/* Copy to the system clipboard with OSC 52, which works over SSH and, wrapped in
 * a DCS passthrough, inside tmux (with `allow-passthrough on`; tmux's own
 * `set-clipboard on` also picks up the plain sequence). */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/xalloc.h"
#include "tui/view.h"

/* Terminals cap OSC 52 payloads (xterm: 100000 bytes of base64 by default). */
#define CLIP_MAX_BYTES 74000

static void
clip_base64(const unsigned char *s, size_t n, struct strbuf *out)
{
    static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned)s[i] << 16;
        if (i + 1 < n)
            v |= (unsigned)s[i + 1] << 8;
        if (i + 2 < n)
            v |= s[i + 2];
        sb_putc(out, tbl[(v >> 18) & 63]);
        sb_putc(out, tbl[(v >> 12) & 63]);
        sb_putc(out, i + 1 < n ? tbl[(v >> 6) & 63] : '=');
        sb_putc(out, i + 2 < n ? tbl[v & 63] : '=');
    }
}

int
clip_copy(struct tui *tui, const char *s, size_t n, struct ps_err *err)
{
    free(tui->yank);
    tui->yank = xstrndup(s, n);
    if (n > CLIP_MAX_BYTES)
        return ps_error(err, PS_ERR_USAGE,
                        "%zu bytes is too large for the terminal clipboard (kept in the register)",
                        n);
    struct strbuf b64 = STRBUF_INIT, seq = STRBUF_INIT;
    clip_base64((const unsigned char *)s, n, &b64);
    const char *tmux = getenv("TMUX");
    if (tmux && *tmux) {
        /* DCS passthrough: every ESC inside is doubled. */
        sb_puts(&seq, "\033Ptmux;\033\033]52;c;");
        sb_append(&seq, sb_str(&b64), b64.len);
        sb_puts(&seq, "\a\033\\");
    } else {
        sb_puts(&seq, "\033]52;c;");
        sb_append(&seq, sb_str(&b64), b64.len);
        sb_puts(&seq, "\a");
    }
    /* Straight to the tty, after curses has flushed its own output. */
    fflush(stdout);
    const char *p = sb_str(&seq);
    size_t left = seq.len;
    while (left > 0) {
        ssize_t w = write(STDOUT_FILENO, p, left);
        if (w <= 0)
            break;
        p += w;
        left -= (size_t)w;
    }
    sb_free(&b64);
    sb_free(&seq);
    return left ? ps_error(err, PS_ERR_IO, "could not write to the terminal") : PS_OK;
}
