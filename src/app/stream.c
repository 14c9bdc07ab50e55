/* `prefscope FILE` streaming into the workspace while the TUI shows it (stream.h). */
#include "app/stream.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/xalloc.h"
#include "formats/import.h"
#include "store/store.h"
#include "tui/tui.h"

/* The first chunk is small so the first screen comes at once; later chunks are big
 * enough that commits cost little, and short enough (well under a second) that a
 * label waiting for the write lock is saved soon. */
enum { STREAM_FIRST = 200, STREAM_CHUNK = 4000, STREAM_TICK_MS = 200 };
/* A pending label pauses the import between chunks at most this long per chunk (the
 * lock may be held by another process, and the import must not stall on it). */
#define STREAM_LABEL_HOLD_S 3.0

struct stream {
    struct store *st; /* the UI thread's connection (borrowed) */
    char *ws, *file, *name;
    long skip;
    int replace;
    pthread_t thread;
    int joined;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    /* shared with the import thread, under mu */
    long records;
    double frac;
    int ready, done, stop;
    int hold_ask;   /* a question is open: wait between chunks until it is answered */
    int hold_label; /* labels are pending: wait (bounded) so that they get the lock */
    int rc;
    struct ps_err err;
    /* the UI thread's own */
    struct tui *tui;
    int timer, asking, quit_after;
    long shown;
    long long t0_ms;
    double frac0; /* read fraction when the UI started (the rate ignores what was
                     read before: a resumed import skips fast) */
    char summary[600];
};

static double
stream_now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* After each committed chunk (import thread): publish the progress, pause while the
 * UI asks, stop when told. */
static int
stream_chunk(void *ud, long records, double frac)
{
    struct stream *sm = ud;
    pthread_mutex_lock(&sm->mu);
    sm->records = records;
    sm->frac = frac;
    sm->ready = 1;
    pthread_cond_broadcast(&sm->cv);
    double t0 = stream_now_s();
    while (!sm->stop &&
           (sm->hold_ask || (sm->hold_label && stream_now_s() - t0 < STREAM_LABEL_HOLD_S))) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_nsec += 20 * 1000000L;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&sm->cv, &sm->mu, &until);
    }
    int stop = sm->stop;
    pthread_mutex_unlock(&sm->mu);
    return stop;
}

/* The import of `name`: resumed after `skip` records (appending), or replacing it. */
static void
stream_import_opts(struct import_opts *io, const char *name, long skip, int replace)
{
    memset(io, 0, sizeof *io);
    io->name = name;
    io->append = skip > 0;
    io->replace = replace;
    io->skip = skip;
}

static void *
stream_main(void *arg)
{
    struct stream *sm = arg;
    struct ps_err err = {0, ""};
    struct store *st = NULL;
    int rc = store_open(&st, sm->ws, &err);
    if (rc == PS_OK) {
        char what[400];
        snprintf(what, sizeof what, "import of '%.300s'", sm->name);
        store_set_writer(st, what, NULL, NULL);
        struct import_opts io;
        stream_import_opts(&io, sm->name, sm->skip, sm->replace);
        io.chunk_first = STREAM_FIRST;
        io.chunk = STREAM_CHUNK;
        io.on_chunk = stream_chunk;
        io.chunk_ud = sm;
        struct import_result res;
        char *files[1] = {sm->file};
        rc = import_files(st, files, 1, &io, &res, &err);
        pthread_mutex_lock(&sm->mu);
        if (rc == PS_OK)
            sm->records = res.records + res.feedback;
        pthread_mutex_unlock(&sm->mu);
        store_close(st);
    }
    pthread_mutex_lock(&sm->mu);
    sm->done = 1;
    sm->rc = rc;
    sm->err = err;
    pthread_cond_broadcast(&sm->cv);
    pthread_mutex_unlock(&sm->mu);
    return NULL;
}

int
stream_start(struct stream **out, const struct stream_opts *o, struct ps_err *err)
{
    *out = NULL;
    if (!store_threads_ok()) {
        /* an sqlite built single-threaded: import it all first, as one transaction */
        struct import_opts io;
        stream_import_opts(&io, o->name, o->skip, o->replace);
        struct import_result res;
        char *files[1] = {(char *)o->file};
        return import_files(o->st, files, 1, &io, &res, err);
    }
    struct stream *sm = xcalloc(1, sizeof *sm);
    sm->st = o->st;
    sm->ws = xstrdup(store_path(o->st));
    sm->file = xstrdup(o->file);
    sm->name = xstrdup(o->name);
    sm->skip = o->skip;
    sm->replace = o->replace;
    sm->joined = 1;
    pthread_mutex_init(&sm->mu, NULL);
    pthread_cond_init(&sm->cv, NULL);
    if (pthread_create(&sm->thread, NULL, stream_main, sm) != 0) {
        stream_free(sm);
        return ps_error(err, PS_ERR_NOMEM, "cannot start the import thread");
    }
    sm->joined = 0;
    pthread_mutex_lock(&sm->mu);
    while (!sm->ready && !sm->done)
        pthread_cond_wait(&sm->cv, &sm->mu);
    int failed = sm->done && sm->rc != PS_OK;
    pthread_mutex_unlock(&sm->mu);
    if (failed) {
        pthread_join(sm->thread, NULL);
        sm->joined = 1;
        *err = sm->err;
        stream_free(sm);
        return err->code;
    }
    *out = sm;
    return PS_OK;
}

/* Tell the thread to stop at its next chunk and wait for it. */
static void
stream_join(struct stream *sm)
{
    if (sm->joined)
        return;
    pthread_mutex_lock(&sm->mu);
    sm->stop = 1;
    sm->hold_ask = sm->hold_label = 0;
    pthread_cond_broadcast(&sm->cv);
    pthread_mutex_unlock(&sm->mu);
    pthread_join(sm->thread, NULL);
    sm->joined = 1;
}

/* The dataset's id and item count now (UI connection); 0 items when it is gone. */
static long long
stream_items(struct stream *sm, int64_t *id)
{
    struct ps_err e = {0, ""};
    *id = 0;
    if (store_dataset_find(sm->st, sm->name, id, &e) != PS_OK)
        return 0;
    struct store_dataset d;
    if (store_dataset_get(sm->st, *id, &d, &e) != PS_OK)
        return 0;
    long long n = (long long)d.n_items;
    store_dataset_free(&d);
    return n;
}

/* The import ended short of the file's end (stopped, or failed after some chunks):
 * keep what arrived, marked incomplete, with its counts. */
static int
stream_keep(struct stream *sm, struct ps_err *err)
{
    int64_t id;
    if (store_dataset_find(sm->st, sm->name, &id, err) != PS_OK)
        return err->code;
    if (store_begin(sm->st, err) != PS_OK)
        return err->code;
    if (store_dataset_refresh_counts(sm->st, id, err) != PS_OK ||
        store_dataset_set_import(sm->st, id, "incomplete", 0, sm->records, err) != PS_OK ||
        store_commit(sm->st, err) != PS_OK) {
        store_rollback(sm->st);
        return err->code;
    }
    return PS_OK;
}

static int
stream_discard(struct stream *sm, struct ps_err *err)
{
    int64_t id;
    if (store_dataset_find(sm->st, sm->name, &id, err) != PS_OK)
        return err->code;
    if (store_begin(sm->st, err) != PS_OK)
        return err->code;
    if (store_dataset_delete(sm->st, id, err) != PS_OK || store_commit(sm->st, err) != PS_OK) {
        store_rollback(sm->st);
        return err->code;
    }
    return PS_OK;
}

/* "1,234,567" */
static void
stream_num(char *buf, size_t size, long long n)
{
    char raw[32];
    snprintf(raw, sizeof raw, "%lld", n < 0 ? 0 : n);
    size_t len = strlen(raw), k = 0;
    for (size_t i = 0; i < len && k + 1 < size; i++) {
        if (i && (len - i) % 3 == 0 && k + 2 < size)
            buf[k++] = ',';
        buf[k++] = raw[i];
    }
    buf[k] = '\0';
}

/* Stop the thread; keep (1) or discard (0) what arrived; say what happened. */
static void
stream_end(struct stream *sm, int keep)
{
    stream_join(sm);
    if (sm->rc == PS_OK && sm->done && sm->summary[0])
        return; /* finished, already said */
    struct ps_err e = {0, ""};
    int64_t id;
    char items[32];
    stream_num(items, sizeof items, stream_items(sm, &id));
    if (sm->rc == PS_OK) {
        snprintf(sm->summary, sizeof sm->summary, "imported %ld records into '%.200s'", sm->records,
                 sm->name);
    } else if (keep) {
        if (stream_keep(sm, &e) == PS_OK)
            snprintf(sm->summary, sizeof sm->summary,
                     "kept the %s items that arrived in '%.200s', marked incomplete"
                     " ('prefscope FILE' again resumes the import)",
                     items, sm->name);
        else
            snprintf(sm->summary, sizeof sm->summary,
                     "the partial dataset '%.200s' stays marked as importing: %.300s", sm->name,
                     e.msg);
    } else {
        if (stream_discard(sm, &e) == PS_OK)
            snprintf(sm->summary, sizeof sm->summary,
                     "discarded the %s items of the unfinished import '%.200s'", items, sm->name);
        else
            snprintf(sm->summary, sizeof sm->summary,
                     "could not discard '%.200s' (it stays, unfinished): %.300s", sm->name, e.msg);
    }
}

static void
stream_tick(struct tui *tui, void *ud)
{
    struct stream *sm = ud;
    sm->timer = 0;
    int pending = tui_pending_labels(tui);
    pthread_mutex_lock(&sm->mu);
    long records = sm->records;
    double frac = sm->frac;
    int done = sm->done;
    sm->hold_label = pending > 0;
    if (!pending)
        pthread_cond_broadcast(&sm->cv);
    pthread_mutex_unlock(&sm->mu);
    if (records != sm->shown) {
        sm->shown = records;
        tui_data_changed(tui);
    }
    if (done) {
        stream_join(sm);
        tui_progress(tui, "");
        tui_data_changed(tui);
        if (sm->rc == PS_OK) {
            char n[32];
            stream_num(n, sizeof n, records);
            snprintf(sm->summary, sizeof sm->summary, "imported %ld records into '%.200s'", records,
                     sm->name);
            tui_msg(tui, "import done: %s records", n);
        } else {
            stream_end(sm, 1);
            tui_err(tui, "import stopped: %s; %s", sm->err.msg, sm->summary);
        }
        return;
    }
    /* "importing [####------] 41,200 · 12 s left" (tui_progress adds the percentage) */
    double secs = (double)(tui_clock_ms() - sm->t0_ms) / 1000.0;
    double rate = secs > 0.5 && frac > sm->frac0 ? (frac - sm->frac0) / secs : 0;
    char bar[11], n[32], left[32] = "";
    int fill = (int)(frac * 10 + 0.5);
    for (int i = 0; i < 10; i++)
        bar[i] = i < fill ? '#' : '-';
    bar[10] = '\0';
    stream_num(n, sizeof n, records);
    if (rate > 0)
        snprintf(left, sizeof left, " · %.0f s left", (1 - frac) / rate);
    char label[128];
    snprintf(label, sizeof label, "importing [%s] %s%s %3.0f%%", bar, n, left, frac * 100);
    tui_progress(tui, label);
    sm->timer = tui_timer_add(tui, STREAM_TICK_MS, stream_tick, sm);
}

void
stream_attach(struct stream *sm, struct tui *tui)
{
    sm->tui = tui;
    sm->t0_ms = tui_clock_ms();
    pthread_mutex_lock(&sm->mu);
    sm->shown = sm->records;
    sm->frac0 = sm->frac;
    pthread_mutex_unlock(&sm->mu);
    stream_tick(tui, sm);
}

static int
stream_running(struct stream *sm)
{
    return !sm->joined;
}

static void
stream_answer(struct tui *tui, int answer, void *ud)
{
    struct stream *sm = ud;
    sm->asking = 0;
    if (answer < 0) {
        pthread_mutex_lock(&sm->mu);
        sm->hold_ask = 0;
        pthread_cond_broadcast(&sm->cv);
        pthread_mutex_unlock(&sm->mu);
        tui_msg(tui, "the import goes on");
        return;
    }
    if (sm->timer)
        tui_timer_cancel(tui, sm->timer);
    sm->timer = 0;
    tui_progress(tui, "");
    stream_end(sm, answer);
    if (sm->rc == PS_OK) { /* it ended while the question was open: nothing to drop */
        tui_msg(tui, "the import had just ended: %s", sm->summary);
        if (sm->quit_after)
            tui_quit(tui);
        return;
    }
    if (!answer || sm->quit_after) {
        tui_quit(tui); /* a discarded dataset leaves nothing to show */
        return;
    }
    tui_data_changed(tui);
    tui_msg(tui, "%s", sm->summary);
}

/* Ask whether to keep what arrived, the import paused meanwhile. */
static void
stream_ask(struct stream *sm, struct tui *tui, const char *why, const char *esc)
{
    pthread_mutex_lock(&sm->mu);
    sm->hold_ask = 1;
    pthread_mutex_unlock(&sm->mu);
    int64_t id;
    char n[32], q[256];
    stream_num(n, sizeof n, stream_items(sm, &id));
    snprintf(q, sizeof q, "%s: keep the %s items that arrived? y: keep · n: discard · Esc: %s", why,
             n, esc);
    if (tui_ask(tui, q, stream_answer, sm) == PS_OK)
        sm->asking = 1;
}

int
stream_cancel(struct stream *sm, struct tui *tui)
{
    if (!stream_running(sm) || sm->asking)
        return 0;
    sm->quit_after = 0;
    stream_ask(sm, tui, "stop the import", "go on importing");
    return 1;
}

int
stream_quit(struct stream *sm, struct tui *tui)
{
    if (!stream_running(sm))
        return 0;
    if (!sm->asking) {
        sm->quit_after = 1;
        stream_ask(sm, tui, "quit before the import ends", "stay");
    }
    return 1;
}

void
stream_stop(struct stream *sm, const char **summary)
{
    if (stream_running(sm))
        stream_end(sm, 1);
    *summary = sm->summary;
}

void
stream_free(struct stream *sm)
{
    if (!sm)
        return;
    stream_join(sm);
    pthread_mutex_destroy(&sm->mu);
    pthread_cond_destroy(&sm->cv);
    free(sm->ws);
    free(sm->file);
    free(sm->name);
    free(sm);
}
