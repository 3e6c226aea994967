/* mq_error.c — see mq_error.h. */
#include "mq_error.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *mq_strerror(int code)
{
    switch (code) {
    case MQ_OK: return "success";
    case MQ_EINVAL: return "invalid argument";
    case MQ_ENOMEM: return "out of memory";
    case MQ_EIO: return "input/output error";
    case MQ_EINPUT: return "bad input";
    case MQ_EUNSUPPORTED: return "not supported";
    case MQ_EDEVICE: return "sound device error";
    case MQ_ESYNTH: return "speech synthesis failed";
    case MQ_EINTERRUPTED: return "interrupted";
    case MQ_EINTERNAL: return "internal error";
    default: return "unknown error";
    }
}

int mq_error_set(mq_error *err, int code, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
        err->code = code;
    }
    return code;
}

int mq_error_prefix(mq_error *err, const char *fmt, ...)
{
    if (!err)
        return MQ_OK;
    char prefix[MQ_ERROR_MSG_MAX], old[MQ_ERROR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    memcpy(old, err->msg, sizeof old);
    /* Truncation is fine here: the message is for people, and stays terminated. */
    size_t n = strlen(prefix);
    if (n > sizeof err->msg - 3)
        n = sizeof err->msg - 3;
    memcpy(err->msg, prefix, n);
    memcpy(err->msg + n, ": ", 2);
    size_t room = sizeof err->msg - n - 2;
    size_t m = strnlen(old, room - 1);
    memcpy(err->msg + n + 2, old, m);
    err->msg[n + 2 + m] = '\0';
    return err->code;
}

void mq_error_clear(mq_error *err)
{
    if (err) {
        err->code = MQ_OK;
        err->msg[0] = '\0';
    }
}

/* ---- diagnostics ---- */

struct mq_diags {
    mq_diag items[MQ_DIAGS_MAX];
    size_t stored, total;
};

mq_diags *mq_diags_create(void)
{
    return calloc(1, sizeof(mq_diags));
}

void mq_diags_free(mq_diags *d)
{
    if (!d)
        return;
    for (size_t i = 0; i < d->stored; i++) {
        free((char *)d->items[i].file);
        free((char *)d->items[i].message);
    }
    free(d);
}

int mq_diags_add(mq_diags *d, const char *file, int line, int column, const char *fmt, ...)
{
    if (!d)
        return MQ_EINVAL;
    d->total++;
    if (d->stored >= MQ_DIAGS_MAX)
        return MQ_OK;
    char buf[MQ_ERROR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    char *f = strdup(file ? file : "?");
    char *m = strdup(buf);
    if (!f || !m) {
        free(f);
        free(m);
        d->total--;
        return MQ_ENOMEM;
    }
    d->items[d->stored++] = (mq_diag){ f, line, column, m };
    return MQ_OK;
}

size_t mq_diags_count(const mq_diags *d) { return d ? d->total : 0; }
size_t mq_diags_stored(const mq_diags *d) { return d ? d->stored : 0; }

const mq_diag *mq_diags_get(const mq_diags *d, size_t i)
{
    return (d && i < d->stored) ? &d->items[i] : NULL;
}

char *mq_diag_format(const mq_diag *dg, char *buf, size_t size)
{
    if (!size)
        return buf;
    if (dg->line > 0 && dg->column > 0)
        snprintf(buf, size, "%s:%d:%d: %s", dg->file, dg->line, dg->column, dg->message);
    else if (dg->line > 0)
        snprintf(buf, size, "%s:%d: %s", dg->file, dg->line, dg->message);
    else
        snprintf(buf, size, "%s: %s", dg->file, dg->message);
    return buf;
}
