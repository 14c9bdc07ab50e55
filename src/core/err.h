/* Status codes and the error context shared by every module.
 *
 * Fallible functions return an int status (PS_OK == 0) and write a one-line,
 * human-readable message into a caller-owned struct ps_err.  `return ps_error(err,
 * PS_ERR_PARSE, "%s:%ld: expected ...", file, line)` reports and returns at once. */
#ifndef PS_CORE_ERR_H
#define PS_CORE_ERR_H

#include <stddef.h>

#define PS_STATUS_INFO(_) \
    _(PS_OK, "ok") \
    _(PS_ERR, "error") \
    _(PS_ERR_NOMEM, "out of memory") \
    _(PS_ERR_IO, "input/output error") \
    _(PS_ERR_PARSE, "malformed input") \
    _(PS_ERR_EXISTS, "already exists") \
    _(PS_ERR_NOTFOUND, "not found") \
    _(PS_ERR_USAGE, "usage error") \
    _(PS_ERR_DB, "workspace error") \
    _(PS_ERR_CANCELLED, "cancelled") \
    _(PS_ERR_HTTP, "request failed") \
    _(PS_ERR_BUSY, "workspace busy")

enum ps_status {
#define PS_STATUS_ENUM(id, msg) id,
    PS_STATUS_INFO(PS_STATUS_ENUM)
#undef PS_STATUS_ENUM
};

#define PS_ERR_MSG_MAX 1024

struct ps_err {
    int code;
    char msg[PS_ERR_MSG_MAX];
};

#if defined(__GNUC__)
#define PS_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#define PS_NORETURN __attribute__((noreturn))
#else
#define PS_PRINTF(fmt, args)
#define PS_NORETURN
#endif

/* Record `code` and a formatted message in `err` (which may be NULL); returns `code`. */
int ps_error(struct ps_err *err, int code, const char *fmt, ...) PS_PRINTF(3, 4);

/* Prefix the message already in `err` with a formatted context ("file.json: ").
 * Returns err->code. */
int ps_error_prefix(struct ps_err *err, const char *fmt, ...) PS_PRINTF(2, 3);

/* Reset `err` to PS_OK with an empty message. */
void ps_err_clear(struct ps_err *err);

/* Static name of a status code ("malformed input"). */
const char *ps_status_str(int code);

#endif
