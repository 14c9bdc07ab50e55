/* Output of `prefscope icai` (cmd_icai.c): constitution tables, JSON, markdown,
 * AnnotatedPairs v2 and the comparison views.  Every function that takes a FILE
 * writes to it and returns 0, or reports through app_fail and returns 1. */
#ifndef PS_APP_ICAI_OUT_H
#define PS_APP_ICAI_OUT_H

#include <stddef.h>
#include <stdio.h>

#include "core/constitution.h"
#include "core/strbuf.h"

struct app;
struct store;
struct store_constitution;

/* A number as JSON (null for NaN or infinities). */
void icai_json_num(struct strbuf *sb, double v);
/* "filter":{...} (without braces around it). */
void icai_filter_json(struct strbuf *sb, const struct icai_filter *f);
/* The stats object stored with a principle: counts, metrics, kept and the reason. */
void icai_stats_json(struct strbuf *sb, const struct icai_counts *c, const char *reason);
/* 0 strength, 1 relevance, 2 accuracy, 3 kappa; -1 for another name. */
int icai_metric_index(const char *name);
/* Path of a file of lua-modules/prefscope/ (source tree, then installed data dir)
 * into buf; 0 when found. */
int icai_find_module_file(const char *name, char *buf, size_t n);

void icai_print_list(const struct store_constitution *v, int n, int json, FILE *out);
/* The constitution with its ranked principles (all tested ones with `all`). */
int icai_print(struct app *app, struct store *st, const struct store_constitution *c, int json,
               int all, FILE *out);
int icai_write_markdown(struct app *app, struct store *st, const struct store_constitution *c,
                        FILE *out);
/* AnnotatedPairs v2.0: the reference annotator (`annotator`, else the one the
 * constitution was built against) and every principle as an annotator. */
int icai_write_ap(struct app *app, struct store *st, const struct store_constitution *c,
                  const char *annotator, FILE *out);
/* Feedback Forensics' view: principles x annotators (a comma-separated list, NULL =
 * every annotator of the dataset) of `metric`, sorted by the largest difference. */
int icai_compare_annotators(struct app *app, struct store *st, const struct store_constitution *c,
                            const char *annotators, const char *metric, int json, FILE *out);
/* Two constitutions side by side, principles matched by text. */
int icai_compare_constitutions(struct app *app, struct store *st,
                               const struct store_constitution *a,
                               const struct store_constitution *b, int json, FILE *out);

#endif
