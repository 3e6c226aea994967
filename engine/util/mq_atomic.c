/* mq_atomic.c — see mq_atomic.h. */
#include "mq_atomic.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int mq_atomic_open(mq_atomic *a, const char *path, mq_error *err)
{
    const char *slash = strrchr(path, '/');
    int dirlen = slash ? (int)(slash - path + 1) : 0;
    snprintf(a->tmp, sizeof a->tmp, "%.*s.%s.XXXXXX", dirlen, path, slash ? slash + 1 : path);
    a->path = path;
    int fd = mkstemp(a->tmp);
    a->f = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (a->f)
        return MQ_OK;
    int e = errno;
    if (fd >= 0) {
        close(fd);
        unlink(a->tmp);
    }
    return mq_error_set(err, MQ_EIO, "%s: cannot write there: %s", path, strerror(e));
}

int mq_atomic_commit(mq_atomic *a, mq_error *err)
{
    int bad = ferror(a->f);
    /* mkstemp makes 0600 files; an export should be readable like any other. */
    mode_t mask = umask(0);
    umask(mask);
    fchmod(fileno(a->f), 0666 & ~mask);
    int closed = fclose(a->f);
    a->f = NULL;
    if (closed || bad || rename(a->tmp, a->path)) {
        int e = errno;
        unlink(a->tmp);
        return mq_error_set(err, MQ_EIO, "%s: write failed: %s", a->path,
                            e ? strerror(e) : "I/O error");
    }
    return MQ_OK;
}

void mq_atomic_abort(mq_atomic *a)
{
    if (a->f)
        fclose(a->f);
    a->f = NULL;
    unlink(a->tmp);
}
