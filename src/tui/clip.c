/* Copy to the system clipboard with OSC 52, which works over SSH.  Inside tmux
 * the plain sequence reaches the clipboard only with `set-clipboard on` (tmux
 * then sets its buffer and tells the outer terminal), and a DCS-wrapped one only
 * with `allow-passthrough on`; tmux is asked which holds (docs/keys.md). */
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
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

extern char **environ;

/* The value of a tmux option, asked of the tmux server we run in ("" when tmux
 * cannot be asked).  argv is `tmux show-options ...`. */
static void
clip_tmux_option(char *const argv[], char *out, size_t size)
{
    out[0] = '\0';
    int fd[2];
    if (pipe(fd) != 0)
        return;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, fd[1], 1);
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addclose(&fa, fd[0]);
    pid_t pid;
    int rc = posix_spawnp(&pid, "tmux", &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(fd[1]);
    size_t len = 0;
    if (rc == 0) {
        /* Bounded: a wedged tmux server must not hang the UI. */
        struct pollfd pfd = {fd[0], POLLIN, 0};
        while (len + 1 < size && poll(&pfd, 1, 1000) > 0) {
            ssize_t r = read(fd[0], out + len, size - 1 - len);
            if (r <= 0)
                break;
            len += (size_t)r;
        }
        out[len] = '\0';
        kill(pid, SIGTERM);
        waitpid(pid, NULL, 0);
    }
    close(fd[0]);
    out[strcspn(out, "\r\n")] = '\0';
}

enum clip_route { CLIP_PLAIN = 1, CLIP_WRAPPED = 2 };

/* Which sequences reach the clipboard from here (a CLIP_* mask; 0: none). */
static int
clip_route(void)
{
    const char *tmux = getenv("TMUX");
    if (!tmux || !*tmux)
        return CLIP_PLAIN;
    char clip[64], pass[64];
    char *clip_argv[] = {"tmux", "show-options", "-gv", "set-clipboard", NULL};
    clip_tmux_option(clip_argv, clip, sizeof clip);
    const char *pane = getenv("TMUX_PANE");
    char *pass_argv[] = {
        "tmux", "show-options", "-Apv", "-t", (char *)(pane ? pane : ""), "allow-passthrough",
        NULL};
    if (!pane || !*pane) {
        pass_argv[3] = "allow-passthrough";
        pass_argv[4] = NULL;
    }
    clip_tmux_option(pass_argv, pass, sizeof pass);
    if (!clip[0] && !pass[0])
        return CLIP_PLAIN | CLIP_WRAPPED; /* tmux did not answer: send both */
    if (strcmp(clip, "on") == 0)
        return CLIP_PLAIN;
    if (strcmp(pass, "on") == 0 || strcmp(pass, "all") == 0)
        return CLIP_WRAPPED;
    return 0;
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
    int route = clip_route();
    if (!route)
        return ps_error(err, PS_ERR_USAGE,
                        "tmux passes no clipboard sequence (kept in the register): "
                        "set -g set-clipboard on");
    struct strbuf b64 = STRBUF_INIT, seq = STRBUF_INIT;
    clip_base64((const unsigned char *)s, n, &b64);
    if (route & CLIP_PLAIN) {
        sb_puts(&seq, "\033]52;c;");
        sb_append(&seq, sb_str(&b64), b64.len);
        sb_puts(&seq, "\a");
    }
    if (route & CLIP_WRAPPED) {
        /* DCS passthrough: every ESC inside is doubled. */
        sb_puts(&seq, "\033Ptmux;\033\033]52;c;");
        sb_append(&seq, sb_str(&b64), b64.len);
        sb_puts(&seq, "\a\033\\");
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
