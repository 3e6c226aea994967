/*
 * mq_fdio.h — whole reads and writes on a file descriptor: the loops that
 * read(2) and write(2) need for short counts and EINTR, in one place; and
 * the folder-making loop the caches share.
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

#endif
