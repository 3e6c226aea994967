/* mq_outcache.c — finished renders kept in the cache folder; see mq_outcache.h. */
#define _GNU_SOURCE /* sync_file_range */
#include "mq_outcache.h"
#include "../speech/mq_speech.h"
#include "../util/mq_fdio.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <sndfile.h>
#include <soxr.h>
#include <xxhash.h>

/* Bumped whenever what an entry holds, or how a key is made, changes. */
#define KEY_FORMAT "muqir-output-3"
#define MAGIC "MQOC2\n\0\0"
#define COPY_BLOCK ((size_t)1 << 21)

typedef struct idx_file {
    uint64_t size, sum;         /* bytes, their checksum (sum3) */
    uint64_t data_off, data_end;/* a WAV's data chunk: its samples' bytes; 0, 0 else */
    int64_t date_off;           /* a WAV's bext OriginationDate (then Time), or -1 */
    int64_t peak_off;           /* a float WAV's PEAK timestamp, or -1 */
} idx_file;

typedef struct idx {
    char magic[8];
    uint32_t n, pad;
    double mix_loudness, gain_db, loudness, true_peak, loudness_range;
    uint64_t frames;
    idx_file f[MQ_OUTCACHE_MAX_FILES];
    uint64_t sum;               /* XXH3-64 of everything above */
} idx;

/* ---- checksums ---- */

/*
 * A file's checksum: the XXH3-64 of the XXH3-64 sums of its three parts —
 * before a WAV's audio samples, the samples, after them — and of where the
 * samples lie. Not one sum of the whole file, so that the samples' sum can be
 * taken as they are written (mq_outfile_data_sum) while the header, written
 * again when the file is closed, is summed on its own: storing a render then
 * reads back its header, not its 192 MB of audio.
 */
typedef struct sum3 {
    XXH3_state_t *s[3];
    uint64_t cut[2];            /* the parts: [0, cut0), [cut0, cut1), [cut1, end) */
} sum3;

static int sum3_init(sum3 *m, const idx_file *f)
{
    m->cut[0] = f->data_off;
    m->cut[1] = f->data_end;
    for (int k = 0; k < 3; k++)
        if (!(m->s[k] = XXH3_createState()))
            return -1;
        else
            XXH3_64bits_reset(m->s[k]);
    return 0;
}

static void sum3_free(sum3 *m)
{
    for (int k = 0; k < 3; k++)
        XXH3_freeState(m->s[k]);
}

/* Adds the N bytes of BUF, which lie at file offset POS. */
static void sum3_update(sum3 *m, const char *buf, size_t n, uint64_t pos)
{
    for (int k = 0; k < 3 && n; k++) {
        uint64_t end = k < 2 ? m->cut[k] : UINT64_MAX;
        if (pos >= end)
            continue;
        size_t take = end - pos < n ? (size_t)(end - pos) : n;
        XXH3_64bits_update(m->s[k], buf, take);
        buf += take;
        pos += take;
        n -= take;
    }
}

/* The checksum; DATA_SUM, when not NULL, stands for the middle part's. */
static uint64_t sum3_digest(const sum3 *m, const uint64_t *data_sum)
{
    uint64_t v[5] = { XXH3_64bits_digest(m->s[0]),
                      data_sum ? *data_sum : XXH3_64bits_digest(m->s[1]),
                      XXH3_64bits_digest(m->s[2]), m->cut[0], m->cut[1] };
    return XXH3_64bits(v, sizeof v);
}

/* ---- the key ---- */

static void hash_fmt(mq_hash *h, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void hash_fmt(mq_hash *h, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    mq_hash_str(h, buf);
}

static void hash_opt(mq_hash *h, const char *s) { mq_hash_str(h, s ? s : "\x01(none)"); }

/* The file's bytes, by their XXH3-128 (mq_hash_file_fast). */
static int hash_file(mq_hash *h, const char *path, mq_error *err)
{
    char hex[MQ_HASH_FAST_HEX];
    if (!path) {
        hash_opt(h, NULL);
        return MQ_OK;
    }
    int rc = mq_hash_file_fast(path, hex, err);
    if (rc == MQ_OK)
        mq_hash_str(h, hex);
    return rc;
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
    return strcmp((*a)->d_name, (*b)->d_name);
}

/* Every regular file of DIR, by name and contents, in name order. */
static int hash_dir(mq_hash *h, const char *dir, mq_error *err)
{
    struct dirent **names;
    int n = scandir(dir, &names, NULL, by_name);
    if (n < 0)
        return mq_error_set(err, MQ_EIO, "%s: %s", dir, strerror(errno));
    int rc = MQ_OK;
    for (int i = 0; i < n; i++) {
        char path[PATH_MAX];
        struct stat st;
        snprintf(path, sizeof path, "%s/%s", dir, names[i]->d_name);
        if (rc == MQ_OK && names[i]->d_name[0] != '.' && stat(path, &st) == 0 &&
            S_ISREG(st.st_mode)) {
            mq_hash_str(h, names[i]->d_name);
            rc = hash_file(h, path, err);
        }
        free(names[i]);
    }
    free(names);
    return rc;
}

static void hash_voice(mq_hash *h, const mq_voiceset *vs, const char *name)
{
    const mq_voice *v = name ? mq_voiceset_find(vs, name) : NULL;
    hash_opt(h, name);
    if (v)
        hash_fmt(h, "%s|%d|%d|%d|%d|%d|%a|%a|%a", v->variant ? v->variant : "", v->rate,
                 v->pitch, v->range, v->volume, v->word_gap, v->pause_comma, v->pause_sentence,
                 v->pause_paragraph);
}

/* Every field of mq_item is hashed below: one added to it must be added here.
 * (Not text_src, text_line and text_column: they only place messages.) */
_Static_assert(sizeof(mq_item) == 176, "mq_item changed: hash its new fields in mq_outcache_key");

int mq_outcache_key(const mq_outcache_inputs *in, char hex[MQ_HASH_HEX], mq_error *err)
{
    const mq_program *p = in->program;
    const mq_output_opts *oo = mq_program_output(p);
    mq_hash h;
    mq_hash_init(&h);
    mq_hash_str(&h, KEY_FORMAT);
    hash_opt(&h, in->engine);
    mq_hash_str(&h, mq_speech_engine_version());
    mq_hash_str(&h, sf_version_string());
    mq_hash_str(&h, soxr_version());
    hash_opt(&h, in->options);
    hash_opt(&h, mq_program_title(p));
    hash_opt(&h, mq_program_voice(p));
    hash_fmt(&h, "%d|%d|%a|%a", oo->rate, oo->channels, oo->loudness, oo->true_peak);
    for (size_t i = 0; i < mq_program_lexicon_count(p); i++) {
        const mq_lex_entry *le = mq_program_lexicon(p, i);
        mq_hash_str(&h, le->text);
        mq_hash_str(&h, le->pinyin);
    }
    int rc = MQ_OK;
    size_t n = mq_program_item_count(p);
    hash_fmt(&h, "%zu items", n);
    for (size_t i = 0; i < n && rc == MQ_OK; i++) {
        const mq_item *it = mq_program_item(p, i);
        hash_fmt(&h, "%d|%d|%a|%a|%a|%a|%a|%a|%a|%a|%a|%a", (int)it->kind, (int)it->follow,
                 it->rate, it->pitch, it->gain, it->fade_in, it->fade_out, it->start,
                 it->length, it->overlap, it->duration, it->duck);
        hash_opt(&h, it->name);
        hash_opt(&h, it->text);
        hash_opt(&h, it->source);
        hash_opt(&h, it->bed_source);
        hash_voice(&h, in->voices, it->voice);
        /* A read item's text is its file's contents, hashed above. */
        rc = hash_file(&h, it->kind == MQ_ITEM_READ ? NULL : it->path, err);
        if (rc == MQ_OK)
            rc = hash_file(&h, it->bed, err);
    }
    if (rc == MQ_OK && in->lexicon_dir)
        rc = hash_dir(&h, in->lexicon_dir, err);
    if (rc == MQ_OK)
        mq_hash_hex(&h, hex);
    return rc;
}

/* ---- entries ---- */

static void index_path(const mq_cache *c, const char *key, char *buf, size_t size)
{
    snprintf(buf, size, "%s/%.2s/%s.mqo", mq_cache_dir(c), key, key);
}

static void data_path(const mq_cache *c, const char *key, size_t i, char *buf, size_t size)
{
    snprintf(buf, size, "%s/%.2s/%s.%zu.mqd", mq_cache_dir(c), key, key, i);
}

static uint64_t index_sum(const idx *x)
{
    return XXH3_64bits(x, offsetof(idx, sum));
}

/* Removes the index and every file of KEY's entry. */
static void remove_entry(mq_cache *c, const char *key)
{
    char path[PATH_MAX];
    index_path(c, key, path, sizeof path);
    unlink(path);
    for (size_t i = 0; i < MQ_OUTCACHE_MAX_FILES; i++) {
        data_path(c, key, i, path, sizeof path);
        unlink(path);
    }
}

/* A bytes patch applied to the copy: LEN bytes of DATA at file offset OFF. */
typedef struct patch {
    int64_t off;
    const void *data;
    size_t len;
} patch;

static void apply(char *buf, uint64_t pos, size_t n, const patch *pt, size_t npt)
{
    for (size_t k = 0; k < npt; k++) {
        if (pt[k].off < 0)
            continue;
        uint64_t a = (uint64_t)pt[k].off, b = a + pt[k].len;
        uint64_t lo = a > pos ? a : pos, hi = b < pos + n ? b : pos + n;
        if (lo < hi)
            memcpy(buf + (lo - pos), (const char *)pt[k].data + (lo - a), hi - lo);
    }
}

/* Temporary name in PATH's folder, as mq_outfile makes it. */
static void temp_name(const char *path, char *buf, size_t size)
{
    const char *slash = strrchr(path, '/');
    int dirlen = slash ? (int)(slash - path + 1) : 0;
    snprintf(buf, size, "%.*s.%s.XXXXXX", dirlen, path, slash ? slash + 1 : path);
}

/*
 * Reads the F->size bytes of entry file IN (named SRC) and checks them
 * against F's checksum; when OUT >= 0 also writes them there (named DEST),
 * with the patches applied, asking the disk to start on each block. MQ_OK;
 * MQ_EINPUT when the data is damaged; MQ_EIO (naming DEST) when OUT cannot be
 * written.
 */
static int pass(int in, const char *src, const idx_file *f, int out, const char *dest,
                const patch *pt, size_t npt, char *buf, mq_error *err)
{
    sum3 m;
    memset(&m, 0, sizeof m);
    if (sum3_init(&m, f)) {
        sum3_free(&m);
        return mq_error_set(err, MQ_ENOMEM, "out of memory");
    }
    int rc = MQ_OK;
    for (uint64_t pos = 0; rc == MQ_OK && pos < f->size;) {
        size_t want = f->size - pos < COPY_BLOCK ? (size_t)(f->size - pos) : COPY_BLOCK;
        if (mq_read_all(in, buf, want)) {
            rc = mq_error_set(err, MQ_EINPUT, "cache entry %s is damaged (cut short)", src);
            break;
        }
        sum3_update(&m, buf, want, pos);
        if (out >= 0) {
            apply(buf, pos, want, pt, npt);
            if (mq_write_all(out, buf, want))
                rc = mq_error_set(err, MQ_EIO, "%s: write failed: %s", dest, strerror(errno));
            /* The disk starts on it now: the fsync after then waits for less. */
            sync_file_range(out, (off_t)pos, (off_t)want, SYNC_FILE_RANGE_WRITE);
        }
        pos += want;
    }
    if (rc == MQ_OK && sum3_digest(&m, NULL) != f->sum)
        rc = mq_error_set(err, MQ_EINPUT, "cache entry %s is damaged (checksum)", src);
    sum3_free(&m);
    return rc;
}

/*
 * Copies entry file IN (named SRC, described by F) to a new temporary file
 * beside DEST (its name into TMP), verifying the checksum and applying the
 * patches. MQ_OK; MQ_EINPUT when the data is damaged; MQ_EIO (naming DEST)
 * when the copy cannot be written. On failure no temporary file is left.
 */
static int copy_out(int in, const char *src, const idx_file *f, const char *dest, char *tmp,
                    size_t tmpsize, const patch *pt, size_t npt, char *buf, mq_error *err)
{
    temp_name(dest, tmp, tmpsize);
    int out = mkstemp(tmp);
    if (out < 0)
        return mq_error_set(err, MQ_EIO, "%s: cannot write there: %s", dest, strerror(errno));
    int rc = pass(in, src, f, out, dest, pt, npt, buf, err);
    /* Finished as mq_outfile_commit finishes an export: on disk, readable. */
    if (rc == MQ_OK && fsync(out))
        rc = mq_error_set(err, MQ_EIO, "%s: %s", dest, strerror(errno));
    if (rc == MQ_OK) {
        mode_t mask = umask(0);
        umask(mask);
        fchmod(out, 0666 & ~mask);
    }
    if (close(out) && rc == MQ_OK)
        rc = mq_error_set(err, MQ_EIO, "%s: %s", dest, strerror(errno));
    if (rc != MQ_OK)
        unlink(tmp);
    return rc;
}

/* Whether entry file FD already holds every patch's bytes: then it is, byte
 * for byte, the file a render now would write. */
static int stamped_alike(int fd, const patch *pt, size_t npt)
{
    for (size_t k = 0; k < npt; k++) {
        char have[32];
        if (pt[k].off < 0)
            continue;
        if (pt[k].len > sizeof have ||
            pread(fd, have, pt[k].len, (off_t)pt[k].off) != (ssize_t)pt[k].len ||
            memcmp(have, pt[k].data, pt[k].len))
            return 0;
    }
    return 1;
}

/*
 * Links entry file SRC (whose status is ST) under a new temporary name beside
 * DEST (into TMP). 0; -1 with errno set when no link can be made there
 * (another file system, too many links, a folder that cannot be written) or
 * SRC is no longer the file of ST (ESTALE: replaced meanwhile).
 */
static int link_temp(const char *src, const struct stat *st, const char *dest, char *tmp,
                     size_t size)
{
    static const char letters[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    temp_name(dest, tmp, size);
    char *x = tmp + strlen(tmp) - 6;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    uint64_t r = (uint64_t)ts.tv_nsec ^ (uint64_t)ts.tv_sec << 30 ^ (uint64_t)getpid() << 44;
    /* link(2) has no mkstemp: a name is drawn until one is free. */
    for (int tries = 0; tries < 100; tries++) {
        for (int i = 0; i < 6; i++) {
            r = r * 6364136223846793005u + 1442695040888963407u;
            x[i] = letters[(r >> 33) % (sizeof letters - 1)];
        }
        if (link(src, tmp) == 0) {
            struct stat lt;
            if (lstat(tmp, &lt) == 0 && lt.st_dev == st->st_dev && lt.st_ino == st->st_ino)
                return 0;
            unlink(tmp);
            errno = ESTALE;
            return -1;
        }
        if (errno != EEXIST)
            return -1;
    }
    return -1;
}

/* How a hit delivers one file. */
typedef enum delivery { KEPT, LINKED, COPIED } delivery;

/*
 * Makes entry file SRC (described by F) ready to be renamed over DEST once
 * every file of the hit checked out: a hard link to the entry when its bytes
 * are already the ones to deliver (the patches change nothing) and DEST's
 * folder is on the cache's file system; nothing at all when DEST already is
 * that file; else a restamped copy. The entry is verified in every case.
 * *HOW says which; TMP gets the temporary name (LINKED, COPIED). Returns as
 * copy_out; on failure no temporary file is left.
 */
static int prepare(const char *src, const idx_file *f, const char *dest, const patch *pt,
                   size_t npt, char *buf, delivery *how, char *tmp, size_t tmpsize, mq_error *err)
{
    int in = open(src, O_RDONLY);
    struct stat st, dt;
    if (in < 0 || fstat(in, &st) || !S_ISREG(st.st_mode) || (uint64_t)st.st_size != f->size) {
        if (in >= 0)
            close(in);
        return mq_error_set(err, MQ_EINPUT, "cache entry %s is missing or damaged", src);
    }
    int rc;
    tmp[0] = '\0';
    if (!stamped_alike(in, pt, npt)) {
        *how = COPIED;
        rc = copy_out(in, src, f, dest, tmp, tmpsize, pt, npt, buf, err);
    } else if (lstat(dest, &dt) == 0 && dt.st_dev == st.st_dev && dt.st_ino == st.st_ino) {
        *how = KEPT;
        rc = pass(in, src, f, -1, dest, NULL, 0, buf, err);
    } else if (link_temp(src, &st, dest, tmp, tmpsize) == 0) {
        *how = LINKED;
        rc = pass(in, src, f, -1, dest, NULL, 0, buf, err);
        if (rc != MQ_OK)
            unlink(tmp);
    } else {
        *how = COPIED;
        rc = copy_out(in, src, f, dest, tmp, tmpsize, pt, npt, buf, err);
    }
    close(in);
    return rc;
}

int mq_outcache_get(mq_cache *c, const char *key, const char *const *paths, size_t n,
                    mq_export_report *report, mq_error *err)
{
    char path[PATH_MAX];
    index_path(c, key, path, sizeof path);
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return 0;
    idx x;
    struct stat st;
    int ok = fstat(fd, &st) == 0 && st.st_size == (off_t)sizeof x &&
             !mq_read_all(fd, &x, sizeof x);
    close(fd);
    if (!ok || memcmp(x.magic, MAGIC, 8) || x.sum != index_sum(&x) ||
        x.n > MQ_OUTCACHE_MAX_FILES) {
        remove_entry(c, key);
        return mq_error_set(err, MQ_EINPUT, "output cache entry %s was damaged; removed", path);
    }
    if (x.n != n || n == 0)
        return 0;
    /* The stamp a render would give its files now. */
    char date[MQ_STAMP_DATE], tod[MQ_STAMP_TIME], stamp[MQ_STAMP_DATE + MQ_STAMP_TIME];
    if (mq_outfile_stamp(date, tod, NULL) != MQ_OK)
        return 0;
    memcpy(stamp, date, 10);
    memcpy(stamp + 10, tod, 8);
    uint32_t now = (uint32_t)time(NULL);
    unsigned char peak[4] = { now & 0xff, (now >> 8) & 0xff, (now >> 16) & 0xff, now >> 24 };
    char *buf = malloc(COPY_BLOCK);
    char tmp[MQ_OUTCACHE_MAX_FILES][PATH_MAX + 16];
    delivery how[MQ_OUTCACHE_MAX_FILES];
    if (!buf)
        return mq_error_set(err, MQ_ENOMEM, "out of memory");
    int rc = MQ_OK;
    size_t done = 0;
    for (; done < n && rc == MQ_OK; done++) {
        patch pt[2] = { { x.f[done].date_off, stamp, 18 }, { x.f[done].peak_off, peak, 4 } };
        char src[PATH_MAX];
        data_path(c, key, done, src, sizeof src);
        rc = prepare(src, &x.f[done], paths[done], pt, 2, buf, &how[done], tmp[done],
                     sizeof tmp[done], err);
    }
    free(buf);
    if (rc != MQ_OK) {
        /* The files prepared so far go; the one that failed left nothing. */
        for (size_t i = 0; i + 1 < done; i++)
            if (how[i] != KEPT)
                unlink(tmp[i]);
        if (rc == MQ_EINPUT) {
            char why[MQ_ERROR_MSG_MAX];
            snprintf(why, sizeof why, "%s", err ? err->msg : "damaged");
            remove_entry(c, key);
            return mq_error_set(err, MQ_EINPUT, "%s; removed", why);
        }
        return rc;
    }
    for (size_t i = 0; i < n; i++) {
        if (how[i] == KEPT)
            continue;
        if (rc == MQ_OK && rename(tmp[i], paths[i]))
            rc = mq_error_set(err, MQ_EIO, "%s: %s", paths[i], strerror(errno));
        if (rc != MQ_OK)
            unlink(tmp[i]);
    }
    if (rc != MQ_OK)
        return rc;
    /* A file delivered by link carries the time its entry was written: it is
     * made now, as a render would make it (see mq_outcache.h). */
    for (size_t i = 0; i < n; i++)
        if (how[i] != COPIED)
            utimensat(AT_FDCWD, paths[i], NULL, 0);
    /* Used now: least-recently-used trimming goes by the index's time. */
    utimensat(AT_FDCWD, path, NULL, 0);
    memset(report, 0, sizeof *report);
    report->mix_loudness = x.mix_loudness;
    report->gain_db = x.gain_db;
    report->loudness = x.loudness;
    report->true_peak = x.true_peak;
    report->loudness_range = x.loudness_range;
    report->frames = (size_t)x.frames;
    return 1;
}

static uint32_t le32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t le64(const unsigned char *p)
{
    return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

/* Where a RIFF/RF64 WAVE file of SIZE bytes keeps the times a render stamps
 * — the bext chunk's OriginationDate (10 bytes, then OriginationTime, 8) and
 * the PEAK chunk's timestamp, -1 where there is none — and its samples (the
 * data chunk's contents, [DATA_OFF, DATA_END); 0, 0 where there is none). */
static void find_layout(int fd, uint64_t size, idx_file *f)
{
    f->date_off = f->peak_off = -1;
    f->data_off = f->data_end = 0;
    unsigned char h[12];
    if (pread(fd, h, 12, 0) != 12 || (memcmp(h, "RIFF", 4) && memcmp(h, "RF64", 4)) ||
        memcmp(h + 8, "WAVE", 4))
        return;
    uint64_t ds64 = UINT64_MAX;   /* RF64: the data chunk's size, in ds64 */
    off_t off = 12;
    for (int k = 0; k < 64; k++) {
        unsigned char ch[8];
        if (pread(fd, ch, 8, off) != 8)
            return;
        uint32_t len = le32(ch + 4);
        if (!memcmp(ch, "data", 4)) {
            uint64_t n = len == 0xFFFFFFFFu && ds64 != UINT64_MAX ? ds64 : len;
            f->data_off = (uint64_t)off + 8;
            f->data_end = n < size - f->data_off ? f->data_off + n : size;
            return;
        }
        unsigned char d[8];
        if (!memcmp(ch, "ds64", 4) && len >= 24 && pread(fd, d, 8, off + 16) == 8)
            ds64 = le64(d);
        if (!memcmp(ch, "bext", 4) && len >= 338)
            f->date_off = off + 8 + 320;
        if (!memcmp(ch, "PEAK", 4) && len >= 8)
            f->peak_off = off + 8 + 4;
        off += 8 + (off_t)len + (len & 1);
    }
}

/* Sums the bytes [A, B) of IN into M, and writes them to OUT too when OUT
 * >= 0. 0; -1 when IN cannot be read there (errno; EIO when it is shorter);
 * -2 when OUT cannot be written (errno). */
static int sum_range(int in, sum3 *m, uint64_t a, uint64_t b, int out, char *buf)
{
    if (lseek(in, (off_t)a, SEEK_SET) < 0)
        return -1;
    for (uint64_t pos = a; pos < b;) {
        size_t want = b - pos < COPY_BLOCK ? (size_t)(b - pos) : COPY_BLOCK;
        if (mq_read_all(in, buf, want)) {
            if (!errno)
                errno = EIO;
            return -1;
        }
        sum3_update(m, buf, want, pos);
        if (out >= 0 && mq_write_all(out, buf, want))
            return -2;
        pos += want;
    }
    return 0;
}

/* Puts file SRC into the cache as DEST (hard link, else a copy) and fills F.
 * DATA_SUM, when not NULL, is the checksum of SRC's DATA_BYTES bytes of
 * samples (mq_outfile_data_sum): a linked file whose data chunk has that
 * length then has only its header and trailer read. */
static int store_file(const char *src, const char *dest, idx_file *f, char *buf,
                      const uint64_t *data_sum, uint64_t data_bytes, mq_error *err)
{
    char tmp[PATH_MAX + 16];
    snprintf(tmp, sizeof tmp, "%s.%ld", dest, (long)getpid());
    unlink(tmp);
    int in = open(src, O_RDONLY);
    struct stat st;
    if (in < 0 || fstat(in, &st)) {
        int rc = mq_error_set(err, MQ_EIO, "%s: %s", src, strerror(errno));
        if (in >= 0)
            close(in);
        return rc;
    }
    int out = -1, rc = MQ_OK;
    /* A link costs no copy; the checksum still catches a later change made
     * to the output in place (it is the same file). */
    if (link(src, tmp) != 0) {
        out = open(tmp, O_WRONLY | O_CREAT | O_EXCL, 0644);
        if (out < 0) {
            rc = mq_error_set(err, MQ_EIO, "cache %s: %s", dest, strerror(errno));
            close(in);
            return rc;
        }
    }
    f->size = (uint64_t)st.st_size;
    find_layout(in, f->size, f);
    sum3 m;
    memset(&m, 0, sizeof m);
    if (sum3_init(&m, f))
        rc = mq_error_set(err, MQ_ENOMEM, "out of memory");
    int known = out < 0 && data_sum && f->data_end > f->data_off &&
                f->data_end - f->data_off == data_bytes;
    /* A linked file with its samples' sum known: only its header and
     * trailer are read. */
    int r = 0;
    if (rc == MQ_OK && known)
        r = sum_range(in, &m, 0, f->data_off, -1, buf);
    if (rc == MQ_OK && known && r == 0)
        r = sum_range(in, &m, f->data_end, f->size, -1, buf);
    if (rc == MQ_OK && !known)
        r = sum_range(in, &m, 0, f->size, out, buf);
    if (r == -1)
        rc = mq_error_set(err, MQ_EIO, "%s: %s", src, strerror(errno));
    else if (r == -2)
        rc = mq_error_set(err, MQ_EIO, "cache %s: %s", dest, strerror(errno));
    if (rc == MQ_OK)
        f->sum = sum3_digest(&m, known ? data_sum : NULL);
    sum3_free(&m);
    close(in);
    /* A hit may deliver the entry by hard link, without writing it again: a
     * copy is on disk before its index names it, as a linked output already
     * is (mq_outfile_commit). */
    if (out >= 0 && rc == MQ_OK && fsync(out))
        rc = mq_error_set(err, MQ_EIO, "cache %s: %s", dest, strerror(errno));
    if (out >= 0 && close(out) && rc == MQ_OK)
        rc = mq_error_set(err, MQ_EIO, "cache %s: %s", dest, strerror(errno));
    if (rc == MQ_OK && rename(tmp, dest))
        rc = mq_error_set(err, MQ_EIO, "cache %s: %s", dest, strerror(errno));
    if (rc != MQ_OK)
        unlink(tmp);
    return rc;
}

int mq_outcache_put(mq_cache *c, const char *key, const char *const *paths, size_t n,
                    const mq_export_report *report, mq_error *err)
{
    if (n == 0 || n > MQ_OUTCACHE_MAX_FILES)
        return mq_error_set(err, MQ_EINVAL, "an output cache entry holds 1 to %d files",
                            MQ_OUTCACHE_MAX_FILES);
    idx x;
    memset(&x, 0, sizeof x);
    memcpy(x.magic, MAGIC, 8);
    x.n = (uint32_t)n;
    x.mix_loudness = report->mix_loudness;
    x.gain_db = report->gain_db;
    x.loudness = report->loudness;
    x.true_peak = report->true_peak;
    x.loudness_range = report->loudness_range;
    x.frames = report->frames;
    char sub[PATH_MAX], path[PATH_MAX];
    snprintf(sub, sizeof sub, "%s/%.2s", mq_cache_dir(c), key);
    mkdir(sub, 0755);
    /* An old index goes first: it never describes files being replaced. */
    index_path(c, key, path, sizeof path);
    unlink(path);
    char *buf = malloc(COPY_BLOCK);
    if (!buf)
        return mq_error_set(err, MQ_ENOMEM, "out of memory");
    int rc = MQ_OK;
    for (size_t i = 0; i < n && rc == MQ_OK; i++) {
        char dest[PATH_MAX];
        data_path(c, key, i, dest, sizeof dest);
        /* The first file is the audio the report describes. */
        int summed = i == 0 && report->data_summed;
        rc = store_file(paths[i], dest, &x.f[i], buf, summed ? &report->data_sum : NULL,
                        summed ? report->data_bytes : 0, err);
    }
    free(buf);
    x.sum = index_sum(&x);
    char tmp[PATH_MAX + 16];
    snprintf(tmp, sizeof tmp, "%s.XXXXXX", path);
    int fd = rc == MQ_OK ? mkstemp(tmp) : -1;
    if (rc == MQ_OK && (fd < 0 || mq_write_all(fd, &x, sizeof x)))
        rc = mq_error_set(err, MQ_EIO, "cache %s: %s", mq_cache_dir(c), strerror(errno));
    if (fd >= 0 && close(fd) && rc == MQ_OK)
        rc = mq_error_set(err, MQ_EIO, "cache %s: %s", mq_cache_dir(c), strerror(errno));
    if (rc == MQ_OK && rename(tmp, path))
        rc = mq_error_set(err, MQ_EIO, "cache %s: %s", mq_cache_dir(c), strerror(errno));
    if (fd >= 0 && rc != MQ_OK)
        unlink(tmp);
    if (rc != MQ_OK)
        remove_entry(c, key);
    return rc;
}
