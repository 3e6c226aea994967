/*
 * mq_cache.h — the render cache: synthesized speech kept on disk, so that
 * re-rendering a program after editing one item synthesizes only that item.
 *
 * An entry is the mono audio of one speech item at one sample rate with the
 * timings of its sentences, stored under a key the caller derives from
 * everything that shapes the sound (the reading, the voice's parameters, the
 * rate, the engine's and eSpeak NG's versions). Each entry carries the
 * XXH3-64 checksum of its contents: a damaged entry is detected, removed and reported
 * as a miss — it is never played. The cache's size is bounded: the entries
 * used least recently are removed first. Entries are written whole or not at
 * all (temporary file, then rename), so concurrent writers (the synthesis
 * workers) never leave half an entry.
 */
#ifndef MQ_CACHE_H
#define MQ_CACHE_H

#include <stddef.h>
#include "../audio/mq_audio.h"
#include "../util/mq_error.h"

typedef struct mq_cache mq_cache;

/* One sentence of a cached item: frames from the item's start. */
typedef struct mq_cache_sentence {
    const char *text;
    size_t start, end;
} mq_cache_sentence;

/* Called for each sentence of an entry read back; non-zero stops. */
typedef int (*mq_cache_sentence_fn)(void *user, const char *text, size_t start, size_t end);

/* The default folder: $XDG_CACHE_HOME/muqir when that is an absolute path,
 * else $HOME/.cache/muqir. Writes into BUF (SIZE bytes); returns BUF, or NULL
 * when neither can be used. */
char *mq_cache_default_dir(char *buf, size_t size);

/*
 * Opens (creating) the cache in DIR, bounded to MAX_BYTES (0 = 2 GB). MQ_OK;
 * MQ_EIO when DIR cannot be created or written (the message says why: the
 * caller can go on without a cache).
 */
int mq_cache_open(const char *dir, size_t max_bytes, mq_cache **out, mq_error *err);
void mq_cache_free(mq_cache *c);
const char *mq_cache_dir(const mq_cache *c);

/*
 * Looks KEY up. Returns 1 on a hit (the audio appended to OUT, which must be
 * mono, its stored loudness in *LUFS when LUFS is not NULL, each sentence
 * reported through FN), 0 on a miss, MQ_EINPUT when the entry was damaged (it
 * is removed; treat it as a miss), MQ_ENOMEM. RATE must match the entry's; a
 * different rate is a miss. An OUT that holds no memory yet is given the
 * entry's samples mapped read-only (mq_buf_map) instead of a copy: a caller
 * that will append to it reserves room first, and gets a copy.
 */
int mq_cache_get(mq_cache *c, const char *key, int rate, mq_buf *out, double *lufs,
                 mq_cache_sentence_fn fn, void *user, mq_error *err);
/*
 * As mq_cache_get, for an entry that this run's own synthesis process wrote
 * moments ago (it was missing when the run began): when the samples are
 * mapped, their checksum is not computed again. It guards against damage at
 * rest (a crash, a bad disk, a truncated copy), and these samples were summed
 * as they were written and have not been at rest; the header, the sizes and
 * the sentences' layout are checked as ever (the loudness and the sentences'
 * text share the samples' checksum, so they go unchecked too). Saves 192 MB
 * of checksum for the benchmark bulletin, on the thread that mixes.
 */
int mq_cache_get_fresh(mq_cache *c, const char *key, int rate, mq_buf *out, double *lufs,
                       mq_cache_sentence_fn fn, void *user, mq_error *err);

/* Stores FRAMES mono samples at RATE, their loudness LUFS (BS.1770, LUFS;
 * -INFINITY for silence, NAN when not measured: the reader measures) and N
 * sentences under KEY. MQ_OK, MQ_ENOMEM or MQ_EIO. */
int mq_cache_put(mq_cache *c, const char *key, int rate, const float *mono, size_t frames,
                 double lufs, const mq_cache_sentence *s, size_t n, mq_error *err);

/*
 * The same, written as the samples are made: a synthesis process need not
 * hold a whole reading (a 17-minute one is 190 MB at 48 kHz). Open starts an
 * entry for KEY under a temporary name (MQ_OK, MQ_ENOMEM, MQ_EIO); add
 * appends FRAMES samples (MQ_EIO: the entry cannot be finished, abort it);
 * commit gives the loudness and the sentences, puts the entry in place and
 * frees W (MQ_OK, MQ_ENOMEM, MQ_EIO: nothing is left behind); abort removes
 * what was written and frees W (NULL is a no-op). Nobody sees the entry
 * before commit.
 */
typedef struct mq_cache_writer mq_cache_writer;
int mq_cache_writer_open(mq_cache *c, const char *key, int rate, mq_cache_writer **out,
                         mq_error *err);
int mq_cache_writer_add(mq_cache_writer *w, const float *mono, size_t frames, mq_error *err);
int mq_cache_writer_commit(mq_cache_writer *w, double lufs, const mq_cache_sentence *s,
                           size_t n, mq_error *err);
void mq_cache_writer_abort(mq_cache_writer *w);

/* Removes the least recently used entries until the cache fits its bound;
 * the output cache's entries in the same folder (mq_outcache.h) count too.
 * Also removes the temporary files of entries whose writer was killed
 * (untouched for 10 minutes), which the bound does not count. MQ_OK or
 * MQ_EIO. */
int mq_cache_trim(mq_cache *c, mq_error *err);

#endif
