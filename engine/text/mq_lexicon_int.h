/*
 * mq_lexicon_int.h — internals of the lexicon shared by its files
 * (mq_lexicon.c, mq_lexicon_load.c, mq_lexicon_index.c). Not part of the
 * public interface.
 */
#ifndef MQ_LEXICON_INT_H
#define MQ_LEXICON_INT_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <utf8proc.h>

/* One mapped, validated TSV file. Entry I starts at data + off[i]; its key runs
 * to the first TAB, its pinyin to the next TAB or LF. */
typedef struct lx_file {
    const char *data; /* mapped bytes (NULL for an empty file) */
    size_t size;
    uint32_t *off;    /* line start of each entry, in byte order of the keys */
    size_t n;
    uint64_t id[4];   /* the file mapped: device, inode, size, modification time (ns) */
} lx_file;

/* The three built-in files, in the order the index keeps them. */
enum { LX_NFILES = 3 };

typedef struct lx_user {
    char *key;
    size_t klen;
    char *pinyin;
    double freq;
} lx_user;

struct mq_lexicon {
    lx_file words, places, chars;
    lx_user *user; /* sorted by key bytes */
    size_t nuser, capuser;
    size_t user_bytes;
    size_t max_key;
    double total;
    int checked;   /* this open checked the files line by line (no index fitted) */
};

/* The kind of a file's lines: KEY<TAB>PINYIN<TAB>FREQ (words, places) or
 * CHAR<TAB>PINYIN (chars). */
enum { LX_WORDS, LX_CHARS };

/* memcmp order with the shorter string first on a common prefix. */
static inline int key_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
    int c = memcmp(a, b, alen < blen ? alen : blen);
    if (c)
        return c;
    return alen < blen ? -1 : alen > blen;
}

/* Number of code points in the LEN bytes at S, or -1 if not valid UTF-8. */
static inline long utf8_count(const char *s, size_t len)
{
    long n = 0;
    size_t i = 0;
    while (i < len) {
        utf8proc_int32_t cp;
        utf8proc_ssize_t k = utf8proc_iterate((const utf8proc_uint8_t *)s + i,
                                              (utf8proc_ssize_t)(len - i), &cp);
        if (k <= 0)
            return -1;
        i += (size_t)k;
        n++;
    }
    return n;
}

/*
 * Reads the index of the files F (mapped, their id set) kept in INDEX_DIR for
 * the lexicon folder DIR: fills each F's off and n, *TOTAL and *MAX_KEY, and
 * returns 1. Returns 0 and changes nothing when there is none, when it was
 * made for other files (another id), or when it is damaged.
 */
int mq_lexicon_index_load(const char *index_dir, const char *dir, lx_file *const f[LX_NFILES],
                          double *total, size_t *max_key);

/* Keeps the index of the checked files F in INDEX_DIR for the next
 * mq_lexicon_index_load (written whole or not at all; a failure is silent:
 * the next open checks the files again). */
void mq_lexicon_index_save(const char *index_dir, const char *dir,
                           const lx_file *const f[LX_NFILES], double total, size_t max_key);

/* The index the build ships in the lexicon folder (tools/lexicon-index). */
#define LX_SHIPPED_INDEX ".index.mqx"
/* DIR/.index.mqx into BUF (SIZE bytes). */
void mq_lexicon_shipped_path(const char *dir, char *buf, size_t size);

/* Reads DIR/.index.mqx when it was made for files with the contents of F:
 * as mq_lexicon_index_load, the files' bytes summed to tell (2 ms for the
 * built-in lexicon, against 16 ms of checking its lines). */
int mq_lexicon_index_load_shipped(const char *dir, lx_file *const f[LX_NFILES],
                                  double *total, size_t *max_key);

/* Writes DIR/.index.mqx for the checked files F. Returns 0, or -1 with errno
 * set. */
int mq_lexicon_index_write_shipped(const char *dir, const lx_file *const f[LX_NFILES],
                                   double total, size_t max_key);

#endif
