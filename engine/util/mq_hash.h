/*
 * mq_hash.h — SHA-256 (FIPS 180-4) through GNU Nettle, as lowercase hex.
 * Used for cache keys and the checksums in bundle manifests.
 */
#ifndef MQ_HASH_H
#define MQ_HASH_H

#include <stddef.h>
#include "mq_error.h"

#define MQ_HASH_HEX 65   /* 64 hex digits and a NUL */

typedef struct mq_hash {
    unsigned char state[128];   /* a struct sha256_ctx fits; opaque to callers */
} mq_hash;

void mq_hash_init(mq_hash *h);
void mq_hash_update(mq_hash *h, const void *data, size_t len);
/* Adds a NUL-terminated string and its terminator, so "ab"+"c" differs from "a"+"bc". */
void mq_hash_str(mq_hash *h, const char *s);
/* Writes the digest as hex into HEX (MQ_HASH_HEX bytes). */
void mq_hash_hex(mq_hash *h, char hex[MQ_HASH_HEX]);

/* SHA-256 of the whole file at PATH into HEX. MQ_OK or MQ_EIO naming it. */
int mq_hash_file(const char *path, char hex[MQ_HASH_HEX], mq_error *err);

#define MQ_HASH_FAST_HEX 33   /* 32 hex digits and a NUL */

/*
 * XXH3-128 (xxHash) of the whole file at PATH into HEX: for cache keys, which
 * must tell versions of a file apart but need no protection from someone
 * making two files collide on purpose. A render's key reads the 9 MB
 * lexicon and the engine itself: words.tsv took 9.4 ms through SHA-256 and
 * 1.65 ms through this, read from the page cache (best of 7). MQ_OK or
 * MQ_EIO naming the file.
 */
int mq_hash_file_fast(const char *path, char hex[MQ_HASH_FAST_HEX], mq_error *err);

#endif
