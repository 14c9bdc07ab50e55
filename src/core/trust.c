#include "core/trust.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/sanitize.h"
#include "core/sha256.h"
#include "core/strbuf.h"

/* The trust file's path into buf (directories created when `make`); 0 when there is
 * no home to keep it in. */
static int
trust_file(char *buf, size_t size, int make)
{
    const char *xdg = getenv("XDG_STATE_HOME");
    const char *home = getenv("HOME");
    int n;
    if (xdg && *xdg)
        n = snprintf(buf, size, "%s/prefscope/trusted", xdg);
    else if (home && *home)
        n = snprintf(buf, size, "%s/.local/state/prefscope/trusted", home);
    else
        return 0;
    if (n <= 0 || (size_t)n >= size)
        return 0;
    if (make)
        for (char *p = buf + 1; *p; p++)
            if (*p == '/') {
                *p = '\0';
                mkdir(buf, 0700);
                *p = '/';
            }
    return 1;
}

/* The real path and content hash of `path`. */
static int
identify(const char *path, char real[PATH_MAX], char hex[65], struct ps_err *err)
{
    if (!realpath(path, real))
        return ps_error(err, PS_ERR_IO, "%s: %s", path, strerror(errno));
    FILE *f = fopen(real, "rb");
    if (!f)
        return ps_error(err, PS_ERR_IO, "%s: %s", path, strerror(errno));
    struct sha256 h;
    sha256_init(&h);
    char chunk[8192];
    size_t got;
    while ((got = fread(chunk, 1, sizeof chunk, f)) > 0)
        sha256_update(&h, chunk, got);
    int bad = ferror(f);
    fclose(f);
    if (bad)
        return ps_error(err, PS_ERR_IO, "%s: read error", path);
    unsigned char d[32];
    sha256_final(&h, d);
    sha256_hex(d, hex);
    return PS_OK;
}

/* 2: path trusted with this hash; 1: path known with another hash; 0: unknown. */
static int
lookup(const char *real, const char *hex)
{
    char tf[PATH_MAX];
    if (!trust_file(tf, sizeof tf, 0))
        return 0;
    FILE *f = fopen(tf, "r");
    if (!f)
        return 0;
    int found = 0;
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    while ((n = getline(&line, &cap, f)) > 0) {
        if (line[n - 1] == '\n')
            line[--n] = '\0';
        if (n < 66 || line[64] != '\t' || strcmp(line + 65, real) != 0)
            continue;
        found = strncmp(line, hex, 64) == 0 ? 2 : found > 1 ? found : 1;
    }
    free(line);
    fclose(f);
    return found;
}

int
trust_add(const char *path, int *changed, struct ps_err *err)
{
    char real[PATH_MAX], hex[65], tf[PATH_MAX];
    if (identify(path, real, hex, err) != PS_OK)
        return err->code;
    if (changed)
        *changed = lookup(real, hex) != 2;
    if (!trust_file(tf, sizeof tf, 1))
        return ps_error(err, PS_ERR_IO, "trust: neither $XDG_STATE_HOME nor $HOME is set");
    /* Rewrite without the path's old records, then rename over: never half a file. */
    struct strbuf keep = STRBUF_INIT;
    FILE *f = fopen(tf, "r");
    if (f) {
        char *line = NULL;
        size_t cap = 0;
        ssize_t n;
        while ((n = getline(&line, &cap, f)) > 0) {
            if (n >= 66 && line[64] == '\t' && strncmp(line + 65, real, strlen(real)) == 0 &&
                (line[65 + strlen(real)] == '\n' || line[65 + strlen(real)] == '\0'))
                continue;
            sb_append(&keep, line, (size_t)n);
        }
        free(line);
        fclose(f);
    }
    sb_printf(&keep, "%s\t%s\n", hex, real);
    char tmp[PATH_MAX + 32];
    snprintf(tmp, sizeof tmp, "%s.%ld", tf, (long)getpid());
    FILE *o = fopen(tmp, "w");
    int ok = o && fwrite(sb_str(&keep), 1, keep.len, o) == keep.len;
    if (o && fclose(o) != 0)
        ok = 0;
    sb_free(&keep);
    if (!ok || rename(tmp, tf) != 0) {
        int e = errno;
        remove(tmp);
        return ps_error(err, PS_ERR_IO, "trust: cannot write %s: %s", tf, strerror(e));
    }
    return PS_OK;
}

int
trust_check(const char *path, struct ps_err *err)
{
    char real[PATH_MAX], hex[65];
    if (identify(path, real, hex, err) != PS_OK)
        return err->code;
    int known = lookup(real, hex);
    if (known == 2)
        return PS_OK;
    const char *why = known ? "changed since you trusted it" : "not trusted yet";
    const char *no_prompt = getenv("PREFSCOPE_NO_TRUST_PROMPT");
    if (isatty(STDIN_FILENO) && isatty(STDERR_FILENO) && !(no_prompt && *no_prompt)) {
        struct strbuf shown = STRBUF_INIT;
        fprintf(stderr,
                "prefscope: %s is Lua code that came with this folder (%s); it runs with your"
                " rights.\nRun it, now and until it changes? [y/N] ",
                text_clean(&shown, real), why);
        sb_free(&shown);
        fflush(stderr);
        char answer[16] = "";
        if (fgets(answer, sizeof answer, stdin) && (answer[0] == 'y' || answer[0] == 'Y'))
            return trust_add(real, NULL, err);
        return ps_error(err, PS_ERR_USAGE, "%s: not run (not trusted)", real);
    }
    return ps_error(err, PS_ERR_USAGE,
                    "%s: not run: code next to the workspace is %s (review it, then"
                    " 'prefscope trust %s')",
                    real, why, real);
}
