/* mq_cache.c — the on-disk speech cache; see mq_cache.h. */
#include "mq_cache.h"
#include "../util/mq_fdio.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#define MAGIC "MQSC6\n\0\0"
#define DEFAULT_MAX ((size_t)2 << 30)

struct mq_cache {
    char dir[PATH_MAX - 256];   /* room for "/ab/KEY.mqs.XXXXXX" in PATH_MAX */
    size_t max_bytes;
};

/* The fixed part of an entry; the payload (the floats, then the sentences)
 * follows. The samples come first so that a synthesis process can write
 * them as they are made (mq_cache_writer), the sentences and this head once
 * they are known; at 48 bytes, they start on an 8-byte boundary, so a reader
 * can map them in place (mq_buf_map). */
typedef struct entry_head {
    char magic[8];
    uint32_t rate, nsent;
    uint64_t frames, payload_bytes;
    uint64_t sum;               /* XXH3-64 of LUFS, then the payload (see checksum) */
    double lufs;                /* the audio's BS.1770 loudness (NaN: not known) */
} entry_head;

char *mq_cache_default_dir(char *buf, size_t size)
{
    const char *x = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
    /* The XDG Base Directory Specification: a relative path in the variable
     * is invalid and ignored (it would put a cache in whatever folder the
     * command runs in). */
    if (x && *x == '/')
        snprintf(buf, size, "%s/muqir", x);
    else if (home && *home)
        snprintf(buf, size, "%s/.cache/muqir", home);
    else
        return NULL;
    return buf;
}

int mq_cache_open(const char *dir, size_t max_bytes, mq_cache **out, mq_error *err)
{
    *out = NULL;
    if (!dir || !*dir)
        return mq_error_set(err, MQ_EIO, "no cache folder (set XDG_CACHE_HOME or HOME)");
    if (strlen(dir) >= sizeof ((mq_cache *)0)->dir)
        return mq_error_set(err, MQ_EIO, "cache folder name too long: %.80s...", dir);
    struct stat st;
    if (mq_mkdirs(dir) || stat(dir, &st) || !S_ISDIR(st.st_mode) || access(dir, W_OK | X_OK))
        return mq_error_set(err, MQ_EIO, "cache folder %s cannot be used: %s", dir,
                            strerror(errno ? errno : ENOTDIR));
    mq_cache *c = calloc(1, sizeof *c);
    if (!c)
        return mq_error_set(err, MQ_ENOMEM, "out of memory");
    snprintf(c->dir, sizeof c->dir, "%s", dir);
    c->max_bytes = max_bytes ? max_bytes : DEFAULT_MAX;
    *out = c;
    return MQ_OK;
}

void mq_cache_free(mq_cache *c) { free(c); }
const char *mq_cache_dir(const mq_cache *c) { return c->dir; }

/* The checksum: XXH3-64 of the samples (SAMPLES_SUM, summed as they are
 * written or read), then of LUFS and of the sentences, each seeding the next.
 * It catches damage (a cut file, flipped bits) at memory speed, where SHA-256
 * would spend longer checking an entry than the mix spends using it (and
 * zlib's CRC-32 took 4 % of a first render). Keys, not checksums, need a
 * cryptographic hash. */
static uint64_t checksum(uint64_t samples_sum, double lufs, const char *sent, size_t sbytes)
{
    uint64_t h = XXH3_64bits_withSeed(&lufs, sizeof lufs, samples_sum);
    return XXH3_64bits_withSeed(sent, sbytes, h);
}

static void entry_path(const mq_cache *c, const char *key, char *buf, size_t size)
{
    snprintf(buf, size, "%s/%.2s/%s.mqs", c->dir, key, key);
}

static int get(mq_cache *c, const char *key, int rate, mq_buf *out, double *lufs,
               mq_cache_sentence_fn fn, void *user, int fresh, mq_error *err)
{
    char path[PATH_MAX];
    entry_path(c, key, path, sizeof path);
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return 0;
    entry_head h;
    char *sent = NULL;
    struct stat st;
    size_t base = out->frames;
    int mapped = 0;
    if (fstat(fd, &st) || mq_read_all(fd, &h, sizeof h) || memcmp(h.magic, MAGIC, 8) ||
        h.payload_bytes != (uint64_t)st.st_size - sizeof h ||
        h.frames > h.payload_bytes / sizeof(float))
        goto damaged;
    if (h.rate != (uint32_t)rate) {
        close(fd);
        return 0;
    }
    /* The samples first, then the sentences. The checksum covers both. */
    size_t fbytes = h.frames * sizeof(float), sbytes = h.payload_bytes - fbytes;
    if (!(sent = malloc(sbytes ? sbytes : 1))) {
        close(fd);
        return mq_error_set(err, MQ_ENOMEM, "out of memory reading the cache");
    }
    if (pread(fd, sent, sbytes, (off_t)(sizeof h + fbytes)) != (ssize_t)sbytes)
        goto damaged;
    if (!out->data && !out->map && out->channels <= 1 && h.frames) {
        /* An empty buffer (the mixer's case) takes the samples where they
         * lie: reading them into the heap cost a copy, a page fault and a
         * zeroed page for each 4 KB (a tenth of the mixing process's time
         * for the benchmark bulletin). */
        mq_error me = { 0 };
        int mrc = mq_buf_map(out, fd, sizeof h, h.frames, &me);
        if (mrc == MQ_EIO)
            goto damaged;
        mapped = mrc == MQ_OK;
    }
    if (mapped) {
        if (!fresh && checksum(XXH3_64bits(out->data, fbytes), h.lufs, sent, sbytes) != h.sum)
            goto damaged;
    } else {
        if (mq_buf_reserve(out, h.frames)) {
            free(sent);
            close(fd);
            return mq_error_set(err, MQ_ENOMEM, "out of memory reading the cache");
        }
        /* Read into OUT, summed a block at a time as they arrive, while the
         * block is still in the processor's cache: the same sum as
         * XXH3_64bits over them all. */
        XXH3_state_t *xs = XXH3_createState();
        if (!xs) {
            free(sent);
            close(fd);
            return mq_error_set(err, MQ_ENOMEM, "out of memory reading the cache");
        }
        XXH3_64bits_reset(xs);
        char *dst = (char *)(out->data + base);
        size_t left = fbytes;
        int cut = 0;
        while (left && !cut) {
            size_t k = left < (256u << 10) ? left : (256u << 10);
            cut = mq_read_all(fd, dst, k);
            XXH3_64bits_update(xs, dst, k);
            dst += k;
            left -= k;
        }
        uint64_t sum = checksum(XXH3_64bits_digest(xs), h.lufs, sent, sbytes);
        XXH3_freeState(xs);
        if (cut || sum != h.sum)
            goto damaged;
    }
    /* Checked: report the sentences, then keep the samples. */
    size_t off = 0;
    for (uint32_t i = 0; i < h.nsent; i++) {
        uint64_t s0, e0;
        uint32_t len;
        if (off + 20 > sbytes)
            goto damaged;
        memcpy(&s0, sent + off, 8);
        memcpy(&e0, sent + off + 8, 8);
        memcpy(&len, sent + off + 16, 4);
        off += 20;
        if (!len || len > sbytes - off || sent[off + len - 1] != '\0')
            goto damaged;
        if (fn && fn(user, sent + off, base + s0, base + e0)) {
            free(sent);
            close(fd);
            if (mapped)
                mq_buf_free(out);
            return mq_error_set(err, MQ_EINTERRUPTED, "interrupted");
        }
        off += len;
    }
    out->frames = base + h.frames;
    if (lufs)
        *lufs = h.lufs;
    close(fd);
    free(sent);
    /* Used now: least-recently-used trimming goes by modification time. */
    utimensat(AT_FDCWD, path, NULL, 0);
    return 1;
damaged:
    close(fd);
    free(sent);
    if (mapped)
        mq_buf_free(out);
    /* An empty folder in an entry's place goes too (unlink says EISDIR). */
    if (unlink(path) && !(errno == EISDIR && rmdir(path) == 0))
        return mq_error_set(err, MQ_EINPUT, "cache entry %s was damaged and cannot be removed: %s",
                            path, strerror(errno));
    return mq_error_set(err, MQ_EINPUT, "cache entry %s was damaged; removed", path);
}

int mq_cache_get(mq_cache *c, const char *key, int rate, mq_buf *out, double *lufs,
                 mq_cache_sentence_fn fn, void *user, mq_error *err)
{
    return get(c, key, rate, out, lufs, fn, user, 0, err);
}

int mq_cache_get_fresh(mq_cache *c, const char *key, int rate, mq_buf *out, double *lufs,
                       mq_cache_sentence_fn fn, void *user, mq_error *err)
{
    return get(c, key, rate, out, lufs, fn, user, 1, err);
}

struct mq_cache_writer {
    const mq_cache *c;
    int fd, rate, failed;       /* failed: errno of the first failure, or 0 */
    int created;                /* TMP exists and is ours to remove */
    size_t frames;
    XXH3_state_t *sum;
    char path[PATH_MAX], tmp[PATH_MAX + 16];
};

int mq_cache_writer_open(mq_cache *c, const char *key, int rate, mq_cache_writer **out,
                         mq_error *err)
{
    *out = NULL;
    mq_cache_writer *w = calloc(1, sizeof *w);
    if (!w || !(w->sum = XXH3_createState())) {
        free(w);
        return mq_error_set(err, MQ_ENOMEM, "out of memory writing the cache");
    }
    XXH3_64bits_reset(w->sum);
    w->c = c;
    w->rate = rate;
    char sub[PATH_MAX];
    _Static_assert(sizeof ((mq_cache *)0)->dir + 80 < PATH_MAX, "cache paths fit");
    entry_path(c, key, w->path, sizeof w->path);
    snprintf(sub, sizeof sub, "%s/%.2s", c->dir, key);
    mkdir(sub, 0755);
    snprintf(w->tmp, sizeof w->tmp, "%s.XXXXXX", w->path);
    /* The head's place, zeros until the end gives its contents. */
    entry_head h;
    memset(&h, 0, sizeof h);
    w->fd = mkstemp(w->tmp);
    w->created = w->fd >= 0;
    if (w->fd < 0 || mq_write_all(w->fd, &h, sizeof h)) {
        int e = errno;
        mq_cache_writer_abort(w);
        return mq_error_set(err, MQ_EIO, "cache %s: %s", c->dir, strerror(e));
    }
    *out = w;
    return MQ_OK;
}

int mq_cache_writer_add(mq_cache_writer *w, const float *mono, size_t frames, mq_error *err)
{
    if (!w->failed && frames && mq_write_all(w->fd, mono, frames * sizeof *mono))
        w->failed = errno ? errno : EIO;
    if (w->failed)
        return mq_error_set(err, MQ_EIO, "cache %s: %s", w->c->dir, strerror(w->failed));
    XXH3_64bits_update(w->sum, mono, frames * sizeof *mono);
    w->frames += frames;
    return MQ_OK;
}

int mq_cache_writer_commit(mq_cache_writer *w, double lufs, const mq_cache_sentence *s,
                           size_t n, mq_error *err)
{
    size_t sbytes = 0;
    for (size_t i = 0; i < n; i++)
        sbytes += 20 + strlen(s[i].text) + 1;
    char *sent = malloc(sbytes ? sbytes : 1);
    if (!sent) {
        mq_cache_writer_abort(w);
        return mq_error_set(err, MQ_ENOMEM, "out of memory writing the cache");
    }
    size_t off = 0;
    for (size_t i = 0; i < n; i++) {
        uint64_t a = s[i].start, b = s[i].end;
        uint32_t len = (uint32_t)strlen(s[i].text) + 1;
        memcpy(sent + off, &a, 8);
        memcpy(sent + off + 8, &b, 8);
        memcpy(sent + off + 16, &len, 4);
        memcpy(sent + off + 20, s[i].text, len);
        off += 20 + len;
    }
    entry_head h;
    memset(&h, 0, sizeof h);
    memcpy(h.magic, MAGIC, 8);
    h.rate = (uint32_t)w->rate;
    h.nsent = (uint32_t)n;
    h.frames = w->frames;
    h.payload_bytes = sbytes + w->frames * sizeof(float);
    h.lufs = lufs;
    h.sum = checksum(XXH3_64bits_digest(w->sum), lufs, sent, sbytes);
    errno = 0;   /* a short pwrite sets none: it reads EIO, not an older errno */
    if (!w->failed && (mq_write_all(w->fd, sent, sbytes) ||
                       pwrite(w->fd, &h, sizeof h, 0) != (ssize_t)sizeof h))
        w->failed = errno ? errno : EIO;
    free(sent);
    int fd = w->fd;
    w->fd = -1;
    if (close(fd) && !w->failed)
        w->failed = errno ? errno : EIO;
    if (!w->failed && rename(w->tmp, w->path))
        w->failed = errno ? errno : EIO;
    else if (!w->failed)
        w->created = 0;     /* in place now: nothing to remove */
    int rc = w->failed ? mq_error_set(err, MQ_EIO, "cache %s: %s", w->c->dir,
                                      strerror(w->failed))
                       : MQ_OK;
    mq_cache_writer_abort(w);
    return rc;
}

void mq_cache_writer_abort(mq_cache_writer *w)
{
    if (!w)
        return;
    if (w->fd >= 0)
        close(w->fd);
    if (w->created)
        unlink(w->tmp);
    XXH3_freeState(w->sum);
    free(w);
}

int mq_cache_put(mq_cache *c, const char *key, int rate, const float *mono, size_t frames,
                 double lufs, const mq_cache_sentence *s, size_t n, mq_error *err)
{
    mq_cache_writer *w;
    int rc = mq_cache_writer_open(c, key, rate, &w, err);
    if (rc == MQ_OK && (rc = mq_cache_writer_add(w, mono, frames, err)) != MQ_OK)
        mq_cache_writer_abort(w);
    if (rc == MQ_OK)
        rc = mq_cache_writer_commit(w, lufs, s, n, err);
    return rc;
}

typedef struct cache_file {
    char path[PATH_MAX];
    time_t mtime;
    off_t size;
} cache_file;

static int by_age(const void *a, const void *b)
{
    const cache_file *x = a, *y = b;
    return x->mtime < y->mtime ? -1 : x->mtime > y->mtime ? 1 : strcmp(x->path, y->path);
}

/* Whether two cache paths belong to one key (DIR/ab/KEY.something). */
static int same_key(const char *a, const char *b)
{
    const char *da = strchr(strrchr(a, '/'), '.'), *db = strchr(strrchr(b, '/'), '.');
    return da && db && da - a == db - b && !strncmp(a, b, (size_t)(da - a));
}

/* An entry is written under a temporary name (KEY.mqs.XXXXXX, KEY.N.mqd.PID,
 * lexicon-ID.mqx.XXXXXX) and renamed when complete; a process killed while
 * writing leaves that file behind, outside the entries the bound counts.
 * Writing one takes seconds: one untouched for 10 minutes is such a
 * leftover, and is removed. */
#define TEMP_STALE_SECONDS 600

static void drop_if_stale_temp(const char *dir, const char *name)
{
    if (strstr(name, ".mqs.") || strstr(name, ".mqo.") || strstr(name, ".mqd.") ||
        strstr(name, ".mqx."))
        mq_unlink_stale(dir, name, TEMP_STALE_SECONDS);
}

int mq_cache_trim(mq_cache *c, mq_error *err)
{
    cache_file *files = NULL;
    size_t n = 0, cap = 0;
    uint64_t total = 0;
    DIR *top = opendir(c->dir);
    if (!top)
        return mq_error_set(err, MQ_EIO, "cache %s: %s", c->dir, strerror(errno));
    struct dirent *d;
    while ((d = readdir(top))) {
        drop_if_stale_temp(c->dir, d->d_name);
        if (d->d_name[0] == '.' || strlen(d->d_name) != 2)
            continue;
        char sub[PATH_MAX];
        snprintf(sub, sizeof sub, "%s/%s", c->dir, d->d_name);
        DIR *s = opendir(sub);
        struct dirent *e;
        while (s && (e = readdir(s))) {
            size_t len = strlen(e->d_name);
            drop_if_stale_temp(sub, e->d_name);
            /* Speech entries (.mqs) and output entries: an index (.mqo) and
             * its files (.mqd), which age with their index. */
            if (len < 5 || (strcmp(e->d_name + len - 4, ".mqs") &&
                            strcmp(e->d_name + len - 4, ".mqo") &&
                            strcmp(e->d_name + len - 4, ".mqd")))
                continue;
            if (n == cap) {
                cap = cap ? cap * 2 : 64;
                cache_file *f = realloc(files, cap * sizeof *f);
                if (!f) {
                    closedir(s);
                    closedir(top);
                    free(files);
                    return mq_error_set(err, MQ_ENOMEM, "out of memory");
                }
                files = f;
            }
            struct stat st;
            if (strlen(sub) + len + 2 > sizeof files[n].path)
                continue;
            memcpy(files[n].path, sub, strlen(sub));
            files[n].path[strlen(sub)] = '/';
            memcpy(files[n].path + strlen(sub) + 1, e->d_name, len + 1);
            if (stat(files[n].path, &st))
                continue;
            files[n].mtime = st.st_mtime;
            if (!strcmp(e->d_name + len - 4, ".mqd")) {
                /* KEY.N.mqd ages with KEY.mqo (touched when the entry is used). */
                char idx[PATH_MAX + 300];
                const char *dot = strchr(e->d_name, '.');
                struct stat ist;
                snprintf(idx, sizeof idx, "%s/%.*s.mqo", sub, (int)(dot - e->d_name), e->d_name);
                if (stat(idx, &ist) == 0)
                    files[n].mtime = ist.st_mtime;
            }
            files[n].size = st.st_size;
            total += (uint64_t)st.st_size;
            n++;
        }
        if (s)
            closedir(s);
    }
    closedir(top);
    if (n)
        qsort(files, n, sizeof *files, by_age);
    for (size_t i = 0; i < n && total > c->max_bytes; i++) {
        if (unlink(files[i].path) == 0)
            total -= (uint64_t)files[i].size;
        /* An output entry goes whole: its files sort next to each other. */
        while (i + 1 < n && same_key(files[i].path, files[i + 1].path)) {
            i++;
            if (unlink(files[i].path) == 0)
                total -= (uint64_t)files[i].size;
        }
    }
    free(files);
    return MQ_OK;
}
