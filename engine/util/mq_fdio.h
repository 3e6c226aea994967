/*
 * mq_fdio.h — whole reads and writes on a file descriptor: the loops that
 * read(2) and write(2) need for short counts and EINTR, in one place; the
 * folder-making loop the caches share; and the removal of a temporary file
 * a killed process left.
 */
#ifndef MQ_FDIO_H
#define MQ_FDIO_H

#include <stddef.h>

/* Reads exactly N bytes into BUF. 0, or -1 at end of file or on an error
 * (errno says which; 0 at end of file). */
int mq_read_all(int fd, void *buf, size_t n);

/* Writes all N bytes of BUF. 0, or -1 with errno set (EIO for a write that
 * made no progress). */
int mq_write_all(int fd, const void *buf, size_t n);

/* Makes the folder PATH and any parents missing (0755), as mkdir -p. 0, or
 * -1 with errno set. */
int mq_mkdirs(const char *path);

/* Removes DIR/NAME when it is a regular file untouched for more than SECONDS:
 * a temporary file (written, then renamed) whose writer was killed, since a
 * live writer keeps touching it. 1 when removed, else 0. */
int mq_unlink_stale(const char *dir, const char *name, long seconds);

#endif
