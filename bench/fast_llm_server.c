/* A fast loopback OpenAI-compatible chat server for the client benchmark
 * (bench/llm_bench.sh).  One thread, epoll, HTTP/1.1 keep-alive: every POST is
 * answered with a fixed ~600-byte chat completion exactly --delay ms after it
 * arrived (a timerfd with nanosecond deadlines; the delay is constant, so the
 * pending answers form a FIFO), so the client's scheduling and CPU are measured,
 * not the server's.  GET /_stats returns {"requests", "max_in_flight",
 * "connections"}.  Prints "PORT n" when listening; exits when stdin closes.
 *   fast_llm_server [DELAY_MS] */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#define MAXFD 65536
#define RING (1 << 16)

struct conn {
    unsigned gen;
    char *buf;
    size_t len, cap;
};

static struct conn conns[MAXFD];
static struct {
    int fd;
    unsigned gen;
    struct timespec due;
} ring[RING];
static unsigned ring_head, ring_tail;
static long requests, in_flight, max_in_flight, connections;
static char response[2048];
static size_t response_len;

static void
add_ns(struct timespec *t, long ns)
{
    t->tv_nsec += ns;
    while (t->tv_nsec >= 1000000000L) {
        t->tv_nsec -= 1000000000L;
        t->tv_sec++;
    }
}

static void
arm(int tfd)
{
    struct itimerspec its;
    memset(&its, 0, sizeof its);
    if (ring_head != ring_tail)
        its.it_value = ring[ring_head % RING].due;
    if (its.it_value.tv_sec == 0 && its.it_value.tv_nsec == 0 && ring_head != ring_tail)
        its.it_value.tv_nsec = 1;
    timerfd_settime(tfd, TFD_TIMER_ABSTIME, &its, NULL);
}

static void
write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t k = write(fd, p, n);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return; /* the client went away; its close is seen by epoll */
        p += k;
        n -= (size_t)k;
    }
}

static void
close_conn(int ep, int fd)
{
    epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL);
    close(fd);
    conns[fd].gen++;
    conns[fd].len = 0;
}

/* Parse every complete request in the connection's buffer. */
static void
handle_input(int fd, int tfd, long delay_ns)
{
    struct conn *c = &conns[fd];
    size_t off = 0;
    for (;;) {
        char *start = c->buf + off;
        size_t avail = c->len - off;
        char *end = NULL;
        for (size_t i = 0; i + 3 < avail; i++)
            if (start[i] == '\r' && start[i + 1] == '\n' && start[i + 2] == '\r' &&
                start[i + 3] == '\n') {
                end = start + i;
                break;
            }
        if (!end)
            break;
        size_t clen = 0;
        for (char *p = start; p < end; p++)
            if ((*p == '\n') && strncasecmp(p + 1, "content-length:", 15) == 0)
                clen = (size_t)strtoul(p + 16, NULL, 10);
        size_t total = (size_t)(end - start) + 4 + clen;
        if (avail < total)
            break;
        if (strncmp(start, "GET /_stats", 11) == 0) {
            char body[256], out[512];
            int bl = snprintf(body, sizeof body,
                              "{\"requests\": %ld, \"max_in_flight\": %ld, \"connections\": %ld}",
                              requests, max_in_flight, connections);
            int ol = snprintf(
                out, sizeof out,
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s",
                bl, body);
            write_all(fd, out, (size_t)ol);
        } else {
            requests++;
            if (++in_flight > max_in_flight)
                max_in_flight = in_flight;
            unsigned slot = ring_tail++ % RING;
            ring[slot].fd = fd;
            ring[slot].gen = c->gen;
            clock_gettime(CLOCK_MONOTONIC, &ring[slot].due);
            add_ns(&ring[slot].due, delay_ns);
            if (ring_tail - ring_head == 1)
                arm(tfd);
        }
        off += total;
    }
    memmove(c->buf, c->buf + off, c->len - off);
    c->len -= off;
}

int
main(int argc, char **argv)
{
    long delay_ns = (long)((argc > 1 ? atof(argv[1]) : 50.0) * 1e6);
    const char *body_fmt =
        "{\"id\":\"chatcmpl-bench\",\"object\":\"chat.completion\",\"created\":1700000000,"
        "\"model\":\"bench-model\",\"system_fingerprint\":\"fp_bench\",\"choices\":[{\"index\":0,"
        "\"finish_reason\":\"stop\",\"logprobs\":null,\"message\":{\"role\":\"assistant\","
        "\"content\":\"%s\"}}],"
        "\"usage\":{\"prompt_tokens\":20,\"completion_tokens\":80,\"total_tokens\":100}}";
    char body[1536];
    int bl =
        snprintf(body, sizeof body, body_fmt,
                 "This is a fixed answer of moderate length, standing in for a model's reply. "
                 "This is a fixed answer of moderate length, standing in for a model's reply. "
                 "This is a fixed answer of moderate length, standing in for a model's reply. "
                 "This is a fixed answer of moderate length, standing in for a model's reply.");
    response_len = (size_t)snprintf(
        response, sizeof response,
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n"
        "Connection: keep-alive\r\n\r\n%s",
        bl, body);
    int ls = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    int one = 1;
    setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(ls, (struct sockaddr *)&a, sizeof a) != 0 || listen(ls, 1024) != 0) {
        perror("listen");
        return 1;
    }
    socklen_t al = sizeof a;
    getsockname(ls, (struct sockaddr *)&a, &al);
    printf("PORT %d\n", ntohs(a.sin_port));
    fflush(stdout);
    int ep = epoll_create1(0);
    int tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
    struct epoll_event ev = {.events = EPOLLIN};
    ev.data.fd = ls;
    epoll_ctl(ep, EPOLL_CTL_ADD, ls, &ev);
    ev.data.fd = tfd;
    epoll_ctl(ep, EPOLL_CTL_ADD, tfd, &ev);
    ev.data.fd = 0;
    epoll_ctl(ep, EPOLL_CTL_ADD, 0, &ev);
    struct epoll_event evs[256];
    for (;;) {
        int n = epoll_wait(ep, evs, 256, -1);
        for (int i = 0; i < n; i++) {
            int fd = evs[i].data.fd;
            if (fd == 0) {
                char b[64];
                if (read(0, b, sizeof b) <= 0)
                    return 0;
            } else if (fd == ls) {
                int cfd;
                while ((cfd = accept(ls, NULL, NULL)) >= 0) {
                    if (cfd >= MAXFD) {
                        close(cfd);
                        continue;
                    }
                    fcntl(cfd, F_SETFL, O_NONBLOCK);
                    setsockopt(cfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
                    connections++;
                    struct conn *c = &conns[cfd];
                    if (!c->buf) {
                        c->cap = 1 << 16;
                        c->buf = malloc(c->cap);
                    }
                    c->len = 0;
                    struct epoll_event cev = {.events = EPOLLIN};
                    cev.data.fd = cfd;
                    epoll_ctl(ep, EPOLL_CTL_ADD, cfd, &cev);
                }
            } else if (fd == tfd) {
                unsigned long long exp;
                if (read(tfd, &exp, sizeof exp) < 0 && errno != EAGAIN)
                    perror("timerfd");
                struct timespec now;
                clock_gettime(CLOCK_MONOTONIC, &now);
                while (ring_head != ring_tail) {
                    struct timespec *d = &ring[ring_head % RING].due;
                    if (d->tv_sec > now.tv_sec ||
                        (d->tv_sec == now.tv_sec && d->tv_nsec > now.tv_nsec))
                        break;
                    unsigned slot = ring_head++ % RING;
                    in_flight--;
                    if (conns[ring[slot].fd].gen == ring[slot].gen)
                        write_all(ring[slot].fd, response, response_len);
                }
                arm(tfd);
            } else {
                struct conn *c = &conns[fd];
                if (c->len == c->cap) {
                    close_conn(ep, fd);
                    continue;
                }
                ssize_t k = read(fd, c->buf + c->len, c->cap - c->len);
                if (k <= 0) {
                    if (k < 0 && errno == EAGAIN)
                        continue;
                    close_conn(ep, fd);
                    continue;
                }
                c->len += (size_t)k;
                handle_input(fd, tfd, delay_ns);
            }
        }
    }
}
