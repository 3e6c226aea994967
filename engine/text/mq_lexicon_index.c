/*
 * mq_lexicon_index.c — the lexicon's checked index, kept between runs; see
 * mq_lexicon_int.h and mq_lexicon_open_indexed.
 *
 * File INDEX_DIR/lexicon-HHHHHHHHHHHHHHHH.mqx (H: XXH3 of the lexicon
 * folder's path), little-endian as this machine writes it:
 *   head   (below)
 *   the entry offsets of words.tsv, places.tsv, chars.tsv (uint32 each)
 * head.sum is the XXH3-64 of the head before it and of the offsets: a
 * damaged index is found and rebuilt, never used. Each offset is checked to
 * lie inside its mapped file, and to rise, before any lookup can use it.
 *
 * The build also writes one into the lexicon folder itself (.index.mqx, by
 * tools/lexicon-index.c; derived data, which the output cache's key leaves
 * out as it does every dotfile), made for the files' contents rather than
 * their place, so that a first run, or one with --no-cache, need not check
 * 460 000 lines either.
 */
#include "mq_lexicon_int.h"
#include "../util/mq_fdio.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#define IDX_MAGIC "MQLXI1\n"
/* The index shipped beside the files (LX_SHIPPED_INDEX): the same layout,
 * each file's id being the XXH3-64 of its bytes and its size. */
#define SHIPPED_MAGIC "MQLXS1\n"

typedef struct idx_head {
    char magic[8];
    uint64_t id[LX_NFILES][4];  /* lx_file.id of each file indexed */
    uint64_t n[LX_NFILES];
    double total;
    uint64_t max_key;
    uint64_t sum;
} idx_head;

/* One index per lexicon folder, named after its real path: build/muqir
 * reaches voices/lexicon as build/../voices/lexicon, build/asan/muqir as
 * build/asan/../../voices/lexicon, and both should share it. */
static void idx_path(const char *index_dir, const char *dir, char *buf, size_t size)
{
    char real[PATH_MAX];
    const char *d = realpath(dir, real) ? real : dir;
    snprintf(buf, size, "%s/lexicon-%016llx.mqx", index_dir,
             (unsigned long long)XXH3_64bits(d, strlen(d)));
}

/* The checksum of H (up to its sum) and the offsets OFF[0..LX_NFILES). */
static uint64_t idx_sum(const idx_head *h, uint32_t *const off[LX_NFILES])
{
    uint64_t s = XXH3_64bits(h, offsetof(idx_head, sum));
    for (int i = 0; i < LX_NFILES; i++)
        s = XXH3_64bits_withSeed(off[i], (size_t)h->n[i] * sizeof *off[i], s);
    return s;
}

/* Reads the index at PATH (magic MAGIC) made for files whose ids are IDS:
 * on success sets each F's off and n, *TOTAL and *MAX_KEY and returns 1;
 * else 0, nothing changed. */
static int idx_read(const char *path, const char *magic, const uint64_t ids[LX_NFILES][4],
                    lx_file *const f[LX_NFILES], double *total, size_t *max_key)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    idx_head h;
    uint32_t *off[LX_NFILES] = { NULL };
    int ok = mq_read_all(fd, &h, sizeof h) == 0 && !memcmp(h.magic, magic, 8);
    for (int i = 0; ok && i < LX_NFILES; i++) {
        /* Made for these very files, with no more entries than bytes. */
        ok = !memcmp(h.id[i], ids[i], sizeof h.id[i]) && h.n[i] <= f[i]->size &&
             (off[i] = malloc((h.n[i] ? h.n[i] : 1) * sizeof *off[i])) &&
             mq_read_all(fd, off[i], (size_t)h.n[i] * sizeof *off[i]) == 0;
    }
    char extra;
    ok = ok && read(fd, &extra, 1) == 0 && idx_sum(&h, off) == h.sum;
    for (int i = 0; ok && i < LX_NFILES; i++)
        for (uint64_t k = 0; ok && k < h.n[i]; k++)
            ok = off[i][k] < f[i]->size && (k == 0 || off[i][k] > off[i][k - 1]);
    close(fd);
    if (!ok) {
        for (int i = 0; i < LX_NFILES; i++)
            free(off[i]);
        return 0;
    }
    for (int i = 0; i < LX_NFILES; i++) {
        free(f[i]->off);
        f[i]->off = off[i];
        f[i]->n = (size_t)h.n[i];
    }
    *total = h.total;
    *max_key = (size_t)h.max_key;
    return 1;
}

/* Writes the index of F (magic MAGIC, ids IDS) to PATH, whole or not at all.
 * Returns 0, or -1 with errno set. */
static int idx_write(const char *path, const char *magic, const uint64_t ids[LX_NFILES][4],
                     const lx_file *const f[LX_NFILES], double total, size_t max_key)
{
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.XXXXXX", path);
    int fd = mkstemp(tmp);
    if (fd < 0)
        return -1;
    idx_head h;
    memset(&h, 0, sizeof h);
    memcpy(h.magic, magic, 8);
    uint32_t *off[LX_NFILES];
    for (int i = 0; i < LX_NFILES; i++) {
        memcpy(h.id[i], ids[i], sizeof h.id[i]);
        h.n[i] = f[i]->n;
        off[i] = f[i]->off;
    }
    h.total = total;
    h.max_key = max_key;
    h.sum = idx_sum(&h, off);
    int bad = mq_write_all(fd, &h, sizeof h) != 0;
    for (int i = 0; i < LX_NFILES && !bad; i++)
        bad = mq_write_all(fd, off[i], f[i]->n * sizeof *off[i]) != 0;
    /* 0644: the index is a copy of what anyone may read in the lexicon. */
    bad |= fchmod(fd, 0644) != 0;
    int e = errno;
    bad |= close(fd) != 0;
    if (bad || rename(tmp, path)) {
        e = bad ? e : errno;
        unlink(tmp);
        errno = e;
        return -1;
    }
    return 0;
}

static void stat_ids(const lx_file *const f[LX_NFILES], uint64_t ids[LX_NFILES][4])
{
    for (int i = 0; i < LX_NFILES; i++)
        memcpy(ids[i], f[i]->id, sizeof ids[i]);
}

/* A shipped index goes by the files' contents, not by where they lie: it
 * stays valid when the folder is copied or installed. */
static void content_ids(const lx_file *const f[LX_NFILES], uint64_t ids[LX_NFILES][4])
{
    for (int i = 0; i < LX_NFILES; i++) {
        ids[i][0] = f[i]->size ? XXH3_64bits(f[i]->data, f[i]->size) : 0;
        ids[i][1] = f[i]->size;
        ids[i][2] = ids[i][3] = 0;
    }
}

int mq_lexicon_index_load(const char *index_dir, const char *dir, lx_file *const f[LX_NFILES],
                          double *total, size_t *max_key)
{
    char path[4096];
    uint64_t ids[LX_NFILES][4];
    idx_path(index_dir, dir, path, sizeof path);
    stat_ids((const lx_file *const *)f, ids);
    return idx_read(path, IDX_MAGIC, ids, f, total, max_key);
}

void mq_lexicon_index_save(const char *index_dir, const char *dir,
                           const lx_file *const f[LX_NFILES], double total, size_t max_key)
{
    char path[4096];
    uint64_t ids[LX_NFILES][4];
    idx_path(index_dir, dir, path, sizeof path);
    /* The folder and its parents (a first run makes the cache folder). */
    mq_mkdirs(index_dir);
    stat_ids(f, ids);
    idx_write(path, IDX_MAGIC, ids, f, total, max_key);  /* a failure only costs time */
}

void mq_lexicon_shipped_path(const char *dir, char *buf, size_t size)
{
    snprintf(buf, size, "%s/%s", dir, LX_SHIPPED_INDEX);
}

int mq_lexicon_index_load_shipped(const char *dir, lx_file *const f[LX_NFILES],
                                  double *total, size_t *max_key)
{
    char path[4096];
    uint64_t ids[LX_NFILES][4];
    mq_lexicon_shipped_path(dir, path, sizeof path);
    if (access(path, R_OK))
        return 0;  /* none shipped: no need to sum the files */
    content_ids((const lx_file *const *)f, ids);
    return idx_read(path, SHIPPED_MAGIC, ids, f, total, max_key);
}

int mq_lexicon_index_write_shipped(const char *dir, const lx_file *const f[LX_NFILES],
                                   double total, size_t max_key)
{
    char path[4096];
    uint64_t ids[LX_NFILES][4];
    mq_lexicon_shipped_path(dir, path, sizeof path);
    content_ids(f, ids);
    return idx_write(path, SHIPPED_MAGIC, ids, f, total, max_key);
}
