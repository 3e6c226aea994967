/*
 * mq_atomic.h — text files written whole or not at all: into a temporary
 * file beside the destination, renamed over it only when complete, so a
 * failure never leaves half a file or damages an earlier one.
 */
#ifndef MQ_ATOMIC_H
#define MQ_ATOMIC_H

#include <stdio.h>
#include "mq_error.h"

typedef struct mq_atomic {
    FILE *f;            /* write here */
    char tmp[4096];
    const char *path;
} mq_atomic;

/* Opens a temporary file for PATH (which must outlive A). MQ_OK or MQ_EIO
 * naming PATH and the system's reason. */
int mq_atomic_open(mq_atomic *a, const char *path, mq_error *err);

/* Closes and renames into place. MQ_OK, or MQ_EIO with the temporary removed. */
int mq_atomic_commit(mq_atomic *a, mq_error *err);

/* Removes the temporary file (after a failure). */
void mq_atomic_abort(mq_atomic *a);

#endif
