/* Client-side benchmark of the LLM engine: N distinct chat requests at concurrency C
 * against a loopback server (bench/fast_llm_server.py), optionally logged to a
 * workspace.  Prints wall time, throughput and the client's CPU time per request
 * (user + system, from getrusage, covering request building, HTTP, JSON parsing,
 * the sqlite log and callbacks).
 *   llm_bench URL N C [WORKSPACE|-] [stream] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "core/progress.h"
#include "llm/llm.h"
#include "store/store.h"

static long n_ok, n_bytes;
static double sum_latency, max_latency;

static void
on_done(void *ud, struct llm_result *res)
{
    (void)ud;
    if (res->ok) {
        n_ok++;
        n_bytes += (long)strlen(res->text);
        sum_latency += res->latency_ms;
        if (res->latency_ms > max_latency)
            max_latency = res->latency_ms;
    } else if (n_ok < 3) {
        fprintf(stderr, "error: %s\n", res->err.message);
    }
    llm_result_free(res);
}

static double
cpu_s(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static double
wall_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int
main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: llm_bench URL N C [WORKSPACE|-] [stream]\n");
        return 2;
    }
    int n = atoi(argv[2]), c = atoi(argv[3]);
    const char *ws = argc > 4 && strcmp(argv[4], "-") != 0 ? argv[4] : NULL;
    int stream = argc > 5 && strcmp(argv[5], "stream") == 0;
    struct ps_err err;
    struct store *st = NULL;
    if (ws && store_open(&st, ws, &err) != PS_OK) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    struct llm_engine *eng;
    llm_engine_new(&eng, st, &err);
    struct llm_model_cfg cfg;
    memset(&cfg, 0, sizeof cfg);
    llm_model_cfg_defaults(&cfg);
    char *urls[1] = {argv[1]};
    cfg.name = "bench";
    cfg.base_urls = urls;
    cfg.n_base_urls = 1;
    cfg.model = "bench-model";
    cfg.concurrency = c;
    cfg.max_retries = 0;
    struct llm_model *m;
    if (llm_engine_add_model(eng, &cfg, &m, &err) != PS_OK) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    double w0 = wall_s(), c0 = cpu_s();
    char prompt[64];
    for (int i = 0; i < n; i++) {
        snprintf(prompt, sizeof prompt, "bench request %d: say something", i);
        struct llm_msg msg = {"user", prompt};
        struct llm_request req;
        memset(&req, 0, sizeof req);
        req.kind = LLM_CHAT;
        req.messages = &msg;
        req.n_messages = 1;
        req.p.temperature = 0.7;
        req.p.has_temperature = 1;
        req.p.max_tokens = 128;
        req.p.stream = stream;
        req.on_done = on_done;
        llm_submit(eng, m, &req, &err);
    }
    struct progress pg;
    progress_init(&pg, "bench", n);
    llm_engine_run_progress(eng, NULL, &pg, &err);
    double wall = wall_s() - w0, cpu = cpu_s() - c0;
    printf("{\"client\":\"prefscope (libcurl "
           "multi%s%s)\",\"n\":%d,\"c\":%d,\"ok\":%ld,\"wall_s\":%.3f,"
           "\"req_per_s\":%.1f,\"cpu_us_per_req\":%.1f,\"mean_latency_ms\":%.2f,\"max_latency_ms\":"
           "%.1f}\n",
           stream ? ", SSE" : "", st ? " + sqlite log" : "", n, c, n_ok, wall, n / wall,
           cpu / n * 1e6, n_ok ? sum_latency / (double)n_ok : 0, max_latency);
    llm_engine_free(eng);
    store_close(st);
    return n_ok == n ? 0 : 1;
}
