/* mq_hash.c — SHA-256 via Nettle; see mq_hash.h. */
#include "mq_hash.h"

#include <errno.h>
#include <nettle/sha2.h>
#include <stdio.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <xxhash.h>

_Static_assert(sizeof(struct sha256_ctx) <= sizeof(((mq_hash *)0)->state),
               "mq_hash too small for Nettle's sha256_ctx");

void mq_hash_init(mq_hash *h)
{
    sha256_init((struct sha256_ctx *)(void *)h->state);
}

void mq_hash_update(mq_hash *h, const void *data, size_t len)
{
    sha256_update((struct sha256_ctx *)(void *)h->state, len, data);
}

void mq_hash_str(mq_hash *h, const char *s)
{
    mq_hash_update(h, s ? s : "", (s ? strlen(s) : 0) + 1);
}

void mq_hash_hex(mq_hash *h, char hex[MQ_HASH_HEX])
{
    uint8_t d[SHA256_DIGEST_SIZE];
    sha256_digest((struct sha256_ctx *)(void *)h->state, sizeof d, d);
    for (size_t i = 0; i < sizeof d; i++)
        snprintf(hex + 2 * i, 3, "%02x", d[i]);
}

int mq_hash_file(const char *path, char hex[MQ_HASH_HEX], mq_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return mq_error_set(err, MQ_EIO, "%s: %s", path, strerror(errno));
    mq_hash h;
    mq_hash_init(&h);
    char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        mq_hash_update(&h, buf, n);
    int bad = ferror(f);
    fclose(f);
    if (bad)
        return mq_error_set(err, MQ_EIO, "%s: read error", path);
    mq_hash_hex(&h, hex);
    return MQ_OK;
}

int mq_hash_file_fast(const char *path, char hex[MQ_HASH_FAST_HEX], mq_error *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return mq_error_set(err, MQ_EIO, "%s: %s", path, strerror(errno));
    XXH3_state_t *st = XXH3_createState();
    if (!st) {
        close(fd);
        return mq_error_set(err, MQ_ENOMEM, "out of memory");
    }
    XXH3_128bits_reset(st);
    char buf[65536];
    ssize_t n;
    while ((n = read(fd, buf, sizeof buf)) != 0) {
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            break;
        XXH3_128bits_update(st, buf, (size_t)n);
    }
    int e = errno;
    close(fd);
    XXH128_hash_t d = XXH3_128bits_digest(st);
    XXH3_freeState(st);
    if (n < 0)
        return mq_error_set(err, MQ_EIO, "%s: %s", path, strerror(e));
    snprintf(hex, MQ_HASH_FAST_HEX, "%016llx%016llx", (unsigned long long)d.high64,
             (unsigned long long)d.low64);
    return MQ_OK;
}
