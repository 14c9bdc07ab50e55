/* Test helper: start tests/e2e/fake_llm.py on free loopback ports and talk to its
 * introspection endpoints.  The server exits when our end of its stdin closes, so a
 * crashed test never leaves it behind. */
#ifndef PS_TESTS_LLM_FAKE_H
#define PS_TESTS_LLM_FAKE_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

struct fake_llm {
    pid_t pid;
    int in_fd; /* the server's stdin: closing it stops the server */
    int ports[8];
    int n_ports;
    char url[8][64]; /* "http://127.0.0.1:PORT/v1" */
};

/* Start the server with extra arguments (NULL-terminated); returns 0 on success. */
static inline int
fake_llm_start(struct fake_llm *f, const char *const *extra)
{
    const char *tests = getenv("PS_TESTS");
    char script[1024];
    snprintf(script, sizeof script, "%s/e2e/fake_llm.py", tests ? tests : "tests");
    int inp[2], outp[2];
    if (pipe(inp) || pipe(outp))
        return -1;
    const char *argv[32] = {"python3", script};
    int argc = 2;
    for (int i = 0; extra && extra[i] && argc < 30; i++)
        argv[argc++] = extra[i];
    argv[argc] = NULL;
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        dup2(inp[0], 0);
        dup2(outp[1], 1);
        close(inp[1]);
        close(outp[0]);
        execvp("python3", (char *const *)argv);
        _exit(127);
    }
    close(inp[0]);
    close(outp[1]);
    f->pid = pid;
    f->in_fd = inp[1];
    FILE *out = fdopen(outp[0], "r");
    char line[512];
    if (!out || !fgets(line, sizeof line, out) || strncmp(line, "PORTS ", 6) != 0) {
        fprintf(stderr, "fake_llm did not start\n");
        return -1;
    }
    fclose(out);
    f->n_ports = 0;
    char *p = line + 6;
    while (*p && f->n_ports < 8) {
        int port = (int)strtol(p, &p, 10);
        if (port <= 0)
            break;
        f->ports[f->n_ports] = port;
        snprintf(f->url[f->n_ports], sizeof f->url[0], "http://127.0.0.1:%d/v1", port);
        f->n_ports++;
    }
    signal(SIGPIPE, SIG_IGN);
    return f->n_ports > 0 ? 0 : -1;
}

static inline void
fake_llm_stop(struct fake_llm *f)
{
    if (f->pid > 0) {
        close(f->in_fd);
        kill(f->pid, SIGTERM);
        waitpid(f->pid, NULL, 0);
        f->pid = 0;
    }
}

/* GET or POST `path` on the first port; returns the body (malloc'ed) or NULL. */
static inline char *
fake_llm_http(struct fake_llm *f, const char *method, const char *path)
{
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((unsigned short)f->ports[0]);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(s, (struct sockaddr *)&a, sizeof a) != 0) {
        close(s);
        return NULL;
    }
    char req[512];
    int n = snprintf(req, sizeof req,
                     "%s %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 0\r\n\r\n",
                     method, path);
    if (write(s, req, (size_t)n) != n) {
        close(s);
        return NULL;
    }
    size_t cap = 1 << 16, len = 0;
    char *buf = malloc(cap);
    ssize_t k;
    while ((k = read(s, buf + len, cap - len - 1)) > 0) {
        len += (size_t)k;
        if (len + 1 >= cap)
            buf = realloc(buf, cap *= 2);
    }
    close(s);
    buf[len] = '\0';
    char *body = strstr(buf, "\r\n\r\n");
    char *out = body ? strdup(body + 4) : NULL;
    free(buf);
    return out;
}

/* An integer field of GET /_stats ("requests", "max_in_flight", "connections"). */
static inline long
fake_llm_stat(struct fake_llm *f, const char *field)
{
    char *s = fake_llm_http(f, "GET", "/_stats");
    long v = -1;
    char key[64];
    snprintf(key, sizeof key, "\"%s\": ", field);
    const char *p = s ? strstr(s, key) : NULL;
    if (p)
        v = strtol(p + strlen(key), NULL, 10);
    free(s);
    return v;
}

/* Requests counted on port index i. */
static inline long
fake_llm_port_count(struct fake_llm *f, int i)
{
    char *s = fake_llm_http(f, "GET", "/_stats");
    char key[64];
    snprintf(key, sizeof key, "\"%d\": ", f->ports[i]);
    const char *p = s ? strstr(s, key) : NULL;
    long v = p ? strtol(p + strlen(key), NULL, 10) : 0;
    free(s);
    return v;
}

static inline void
fake_llm_reset(struct fake_llm *f)
{
    free(fake_llm_http(f, "POST", "/_reset"));
}

#endif
