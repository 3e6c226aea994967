/*
 * mq_error.h — error codes, error messages with context, and diagnostics lists.
 *
 * Library code never prints or exits. A function that can fail returns one of
 * the negative MQ_E* codes (0 is success) and, when given a non-NULL mq_error,
 * fills it with a message that says what failed and where ("voices/x.yaml: no
 * such file"). The CLI decides what to print and which exit status to use.
 *
 * A diagnostics list (mq_diags) collects many located problems at once, so a
 * user sees every mistake in a program before anything plays, each as
 * FILE:LINE:COLUMN: message — the form compilers and editors understand.
 */
#ifndef MQ_ERROR_H
#define MQ_ERROR_H

#include <stddef.h>

enum {
    MQ_OK = 0,
    MQ_EINVAL = -1,      /* a caller passed an invalid argument (a bug in the caller) */
    MQ_ENOMEM = -2,      /* out of memory */
    MQ_EIO = -3,         /* reading or writing a file failed */
    MQ_EINPUT = -4,      /* the user's input (program, text, audio file) is wrong */
    MQ_EUNSUPPORTED = -5,/* valid, but not supported by this build */
    MQ_EDEVICE = -6,     /* the sound device failed or is missing */
    MQ_ESYNTH = -7,      /* the speech synthesizer failed */
    MQ_EINTERRUPTED = -8,/* stopped by the user (Ctrl-C) */
    MQ_EINTERNAL = -9    /* an invariant broke: a bug in muqir */
};

#define MQ_ERROR_MSG_MAX 1024

typedef struct mq_error {
    int code;                       /* one of MQ_E*, MQ_OK when nothing failed */
    char msg[MQ_ERROR_MSG_MAX];     /* UTF-8, no trailing newline */
} mq_error;

/* A short static description of CODE ("out of memory"); never NULL. */
const char *mq_strerror(int code);

/* Fills ERR (may be NULL) with CODE and a printf-style message; returns CODE so
 * that callers can write `return mq_error_set(err, MQ_EIO, "...")`. */
int mq_error_set(mq_error *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Prepends "PREFIX: " to the message already in ERR (for adding context such as
 * a file name on the way up); returns ERR->code, or MQ_OK when ERR is NULL. */
int mq_error_prefix(mq_error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Clears ERR to MQ_OK and an empty message. */
void mq_error_clear(mq_error *err);

/* ---- diagnostics: located messages about the user's input ---- */

typedef struct mq_diags mq_diags;

typedef struct mq_diag {
    const char *file;   /* as the user named it; never NULL */
    int line, column;   /* 1-based; 0 when not known */
    const char *message;
} mq_diag;

/* Returns a new empty list, or NULL when out of memory. */
mq_diags *mq_diags_create(void);
void mq_diags_free(mq_diags *d);

/* Adds a diagnostic; LINE and COLUMN are 1-based (0 = unknown). Returns MQ_OK
 * or MQ_ENOMEM (the list then stays as it was). The list keeps at most
 * MQ_DIAGS_MAX entries and counts the rest, so a garbage file cannot produce
 * millions of messages. */
#define MQ_DIAGS_MAX 100
int mq_diags_add(mq_diags *d, const char *file, int line, int column, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* Number of diagnostics added (including those past MQ_DIAGS_MAX). */
size_t mq_diags_count(const mq_diags *d);
/* Number stored (at most MQ_DIAGS_MAX); mq_diags_get takes 0..stored-1. */
size_t mq_diags_stored(const mq_diags *d);
const mq_diag *mq_diags_get(const mq_diags *d, size_t i);

/* Formats diagnostic I as "FILE:LINE:COLUMN: message" into BUF (always
 * NUL-terminated); returns BUF. */
char *mq_diag_format(const mq_diag *dg, char *buf, size_t size);

#endif
