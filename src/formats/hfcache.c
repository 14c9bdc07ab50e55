#include "formats/hfcache.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "core/strbuf.h"
#include "core/xalloc.h"

#define HF_MAX_DEPTH 8

int
hf_is_ref(const char *arg)
{
    return strncmp(arg, "hf:", 3) == 0;
}

static int
has_suffix(const char *s, const char *suf)
{
    size_t n = strlen(s), m = strlen(suf);
    return n >= m && strcmp(s + n - m, suf) == 0;
}

/* Data files by name; the hub's own metadata files are not data. */
static int
is_data_file(const char *base)
{
    static const char *const exts[] = {".parquet", ".jsonl", ".jsonl.gz", ".json", ".json.gz",
                                       ".ndjson",  ".csv",   ".csv.gz",   ".tsv",  ".tsv.gz"};
    if (!strcmp(base, "dataset_info.json") || !strcmp(base, "dataset_infos.json") ||
        !strcmp(base, "dataset_dict.json") || !strcmp(base, "state.json") || base[0] == '.')
        return 0;
    for (size_t i = 0; i < sizeof exts / sizeof exts[0]; i++)
        if (has_suffix(base, exts[i]))
            return 1;
    return 0;
}

/* The hub's split keywords, each with its canonical split. */
static const char *
keyword_split(const char *tok, size_t n)
{
    static const struct {
        const char *word, *split;
    } kw[] = {{"train", "train"},      {"training", "train"}, {"validation", "validation"},
              {"valid", "validation"}, {"dev", "validation"}, {"val", "validation"},
              {"test", "test"},        {"testing", "test"},   {"eval", "test"},
              {"evaluation", "test"}};
    for (size_t i = 0; i < sizeof kw / sizeof kw[0]; i++)
        if (strlen(kw[i].word) == n && !strncasecmp(tok, kw[i].word, n))
            return kw[i].split;
    return NULL;
}

void
hf_split_of(const char *rel, char *out, size_t size)
{
    const char *base = strrchr(rel, '/');
    base = base ? base + 1 : rel;
    /* SPLIT-00000-of-00003.ext: the split is whatever comes before the shard number */
    const char *of = strstr(base, "-of-");
    if (of) {
        const char *d = of;
        while (d > base && isdigit((unsigned char)d[-1]))
            d--;
        if (d < of && d > base + 1 && d[-1] == '-') {
            snprintf(out, size, "%.*s", (int)(d - 1 - base), base);
            return;
        }
    }
    /* a directory or file stem that is a split name or keyword: data/train/..., test.jsonl */
    const char *p = rel;
    while (*p) {
        size_t n = strcspn(p, "/");
        size_t stem = p[n] == '/' ? n : strcspn(p, ".");
        const char *s = keyword_split(p, stem);
        if (s) {
            snprintf(out, size, "%s", s);
            return;
        }
        p += n + (p[n] == '/');
    }
    /* a keyword as a token anywhere: harmless-base_test.jsonl.gz */
    for (p = rel; *p;) {
        size_t n = 0;
        while (p[n] && isalpha((unsigned char)p[n]))
            n++;
        const char *s = n ? keyword_split(p, n) : NULL;
        if (s) {
            snprintf(out, size, "%s", s);
            return;
        }
        p += n ? n : 1;
    }
    snprintf(out, size, "train");
}

struct found {
    char **path, **split;
    int n, cap;
};

static void
walk(const char *root, const char *rel, int depth, struct found *fd)
{
    if (depth > HF_MAX_DEPTH)
        return;
    struct strbuf dir = STRBUF_INIT;
    sb_printf(&dir, "%s%s%s", root, *rel ? "/" : "", rel);
    DIR *d = opendir(sb_str(&dir));
    if (!d) {
        sb_free(&dir);
        return;
    }
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        struct strbuf sub = STRBUF_INIT, full = STRBUF_INIT;
        sb_printf(&sub, "%s%s%s", rel, *rel ? "/" : "", e->d_name);
        sb_printf(&full, "%s/%s", root, sb_str(&sub));
        struct stat st; /* follows the cache's symlinks into blobs/ */
        if (stat(sb_str(&full), &st) == 0) {
            if (S_ISDIR(st.st_mode)) {
                walk(root, sb_str(&sub), depth + 1, fd);
            } else if (S_ISREG(st.st_mode) && is_data_file(e->d_name)) {
                char split[128];
                hf_split_of(sb_str(&sub), split, sizeof split);
                fd->path = xgrow(fd->path, sizeof *fd->path, fd->n, &fd->cap, 16);
                fd->split = xrealloc(fd->split, (size_t)fd->cap * sizeof *fd->split);
                fd->path[fd->n] = sb_take(&full);
                fd->split[fd->n++] = xstrdup(split);
            }
        }
        sb_free(&sub);
        sb_free(&full);
    }
    closedir(d);
    sb_free(&dir);
}

static int
cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
hub_dir(struct strbuf *out)
{
    const char *v;
    if ((v = getenv("HF_HUB_CACHE")) && *v)
        sb_puts(out, v);
    else if ((v = getenv("HF_HOME")) && *v)
        sb_printf(out, "%s/hub", v);
    else
        sb_printf(out, "%s/.cache/huggingface/hub", (v = getenv("HOME")) && *v ? v : ".");
}

/* The snapshot to read: the one refs/main names, else the newest. */
static int
pick_snapshot(const char *repo, struct strbuf *out)
{
    struct strbuf p = STRBUF_INIT;
    sb_printf(&p, "%s/refs/main", repo);
    FILE *f = fopen(sb_str(&p), "r");
    char rev[128] = "";
    if (f) {
        if (!fgets(rev, sizeof rev, f))
            rev[0] = '\0';
        fclose(f);
        rev[strcspn(rev, "\r\n")] = '\0';
    }
    struct stat st;
    sb_reset(&p);
    sb_printf(&p, "%s/snapshots/%s", repo, rev);
    if (rev[0] && !strchr(rev, '/') && stat(sb_str(&p), &st) == 0 && S_ISDIR(st.st_mode)) {
        sb_puts(out, sb_str(&p));
        sb_free(&p);
        return 1;
    }
    sb_reset(&p);
    sb_printf(&p, "%s/snapshots", repo);
    DIR *d = opendir(sb_str(&p));
    double newest = -1;
    struct dirent *e;
    while (d && (e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        struct strbuf s = STRBUF_INIT;
        sb_printf(&s, "%s/%s", sb_str(&p), e->d_name);
        if (stat(sb_str(&s), &st) == 0 && S_ISDIR(st.st_mode) && (double)st.st_mtime > newest) {
            newest = (double)st.st_mtime;
            sb_reset(out);
            sb_puts(out, sb_str(&s));
        }
        sb_free(&s);
    }
    if (d)
        closedir(d);
    sb_free(&p);
    return newest >= 0;
}

static int
valid_part(const char *s, size_t n)
{
    if (n == 0 || n > 96 || s[0] == '.' || s[0] == '-')
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)s[i]) && s[i] != '-' && s[i] != '_' && s[i] != '.')
            return 0;
    return 1;
}

void
hf_files_free(char **files, int n)
{
    for (int i = 0; i < n; i++)
        free(files[i]);
    free(files);
}

int
hf_resolve(const char *ref, char ***files, int *n, char *name, size_t size, struct ps_err *err)
{
    *files = NULL;
    *n = 0;
    const char *spec = ref + 3, *slash = strchr(spec, '/');
    const char *colon = slash ? strchr(slash, ':') : NULL;
    size_t lo = slash ? (size_t)(slash - spec) : 0;
    size_t ln = slash ? (colon ? (size_t)(colon - slash - 1) : strlen(slash + 1)) : 0;
    const char *want = colon ? colon + 1 : NULL;
    if (!slash || !valid_part(spec, lo) || !valid_part(slash + 1, ln) ||
        (want && !valid_part(want, strlen(want)))) {
        char shown[160]; /* the reference is untrusted: no control bytes in the message */
        snprintf(shown, sizeof shown, "%s", ref);
        for (char *c = shown; *c; c++)
            if ((unsigned char)*c < 0x20 || *c == 0x7f)
                *c = '?';
        return ps_error(err, PS_ERR_USAGE,
                        "'%s': expected hf:OWNER/NAME or hf:OWNER/NAME:SPLIT (letters, digits,"
                        " '-', '_' and '.')",
                        shown);
    }
    struct strbuf hub = STRBUF_INIT, repo = STRBUF_INIT, snap = STRBUF_INIT;
    hub_dir(&hub);
    sb_printf(&repo, "%s/datasets--%.*s--%.*s", sb_str(&hub), (int)lo, spec, (int)ln, slash + 1);
    int rc = PS_OK;
    if (!pick_snapshot(sb_str(&repo), &snap)) {
        rc = ps_error(err, PS_ERR_NOTFOUND,
                      "hf:%.*s/%.*s is not in the local Hugging Face cache (no %s/snapshots);"
                      " prefscope never downloads: fetch it with `huggingface-cli download"
                      " --repo-type dataset %.*s/%.*s`",
                      (int)lo, spec, (int)ln, slash + 1, sb_str(&repo), (int)lo, spec, (int)ln,
                      slash + 1);
        goto out;
    }
    struct found fd = {0};
    walk(sb_str(&snap), "", 0, &fd);
    /* the split: as asked, else train, else the only one */
    const char *split = want;
    struct strbuf splits = STRBUF_INIT;
    int has_train = 0;
    for (int i = 0; i < fd.n; i++) {
        int seen = 0;
        for (int k = 0; k < i && !seen; k++)
            seen = !strcmp(fd.split[k], fd.split[i]);
        if (!seen)
            sb_printf(&splits, "%s%s", splits.len ? ", " : "", fd.split[i]);
        has_train |= !strcmp(fd.split[i], "train");
    }
    if (want) {
        const char *canon = keyword_split(want, strlen(want));
        int any = 0;
        for (int i = 0; i < fd.n && !any; i++)
            any = !strcmp(fd.split[i], want);
        if (!any && canon)
            split = canon;
    } else if (has_train) {
        split = "train";
    } else if (fd.n && !strchr(sb_str(&splits), ',')) {
        split = fd.split[0];
    }
    if (fd.n == 0)
        rc = ps_error(err, PS_ERR_NOTFOUND,
                      "hf:%.*s/%.*s: no data files (Parquet, JSON Lines, JSON, CSV) in %s", (int)lo,
                      spec, (int)ln, slash + 1, sb_str(&snap));
    else if (!split)
        rc = ps_error(err, PS_ERR_USAGE,
                      "hf:%.*s/%.*s has the splits %s and no 'train': name one, as"
                      " hf:%.*s/%.*s:SPLIT",
                      (int)lo, spec, (int)ln, slash + 1, sb_str(&splits), (int)lo, spec, (int)ln,
                      slash + 1);
    /* Parquet shards win over other copies of the same split */
    int parquet = 0;
    for (int i = 0; rc == PS_OK && i < fd.n; i++)
        parquet |= !strcmp(fd.split[i], split) && has_suffix(fd.path[i], ".parquet");
    for (int i = 0; rc == PS_OK && i < fd.n; i++)
        if (!strcmp(fd.split[i], split) && (!parquet || has_suffix(fd.path[i], ".parquet"))) {
            (*files) = xrealloc(*files, (size_t)(*n + 1) * sizeof **files);
            (*files)[(*n)++] = fd.path[i];
            fd.path[i] = NULL;
        }
    if (rc == PS_OK && *n == 0)
        rc = ps_error(err, PS_ERR_NOTFOUND, "hf:%.*s/%.*s has no split '%s' (it has: %s)", (int)lo,
                      spec, (int)ln, slash + 1, want, sb_str(&splits));
    if (rc == PS_OK) {
        qsort(*files, (size_t)*n, sizeof **files, cmp_str);
        if (want)
            snprintf(name, size, "%.*s-%s", (int)ln, slash + 1, split);
        else
            snprintf(name, size, "%.*s", (int)ln, slash + 1);
    }
    for (int i = 0; i < fd.n; i++) {
        free(fd.path[i]);
        free(fd.split[i]);
    }
    free(fd.path);
    free(fd.split);
    sb_free(&splits);
    if (rc != PS_OK) {
        hf_files_free(*files, *n);
        *files = NULL;
        *n = 0;
    }
out:
    sb_free(&hub);
    sb_free(&repo);
    sb_free(&snap);
    return rc;
}
