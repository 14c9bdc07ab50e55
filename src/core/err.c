#include "core/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int
ps_error(struct ps_err *err, int code, const char *fmt, ...)
{
    if (!err)
        return code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    err->code = code;
    return code;
}

int
ps_error_prefix(struct ps_err *err, const char *fmt, ...)
{
    if (!err)
        return PS_ERR;
    char prefix[PS_ERR_MSG_MAX];
    char old[PS_ERR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    memcpy(old, err->msg, sizeof old);
    size_t n = strlen(prefix);
    if (n >= sizeof err->msg)
        n = sizeof err->msg - 1;
    memcpy(err->msg, prefix, n);
    size_t m = strnlen(old, sizeof old);
    if (m > sizeof err->msg - 1 - n)
        m = sizeof err->msg - 1 - n;
    memcpy(err->msg + n, old, m);
    err->msg[n + m] = '\0';
    return err->code;
}

void
ps_err_clear(struct ps_err *err)
{
    if (err) {
        err->code = PS_OK;
        err->msg[0] = '\0';
    }
}

const char *
ps_status_str(int code)
{
    static const char *const names[] = {
#define PS_STATUS_NAME(id, msg) msg,
        PS_STATUS_INFO(PS_STATUS_NAME)
#undef PS_STATUS_NAME
    };
    if (code < 0 || (size_t)code >= sizeof names / sizeof names[0])
        return "unknown status";
    return names[code];
}
