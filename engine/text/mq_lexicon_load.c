/* mq_lexicon_load.c — opening the lexicon: its files mapped, every line
 * checked (in two halves on two threads for words.tsv) or the checked index
 * kept from an earlier open (mq_lexicon_index.c); see mq_lexicon.h. */
#include "mq_lexicon.h"
#include "mq_lexicon_int.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static void file_free(lx_file *f)
{
    if (f->data)
        munmap((void *)f->data, f->size);
    free(f->off);
    memset(f, 0, sizeof *f);
}

/* Validates the entry line starting at P (END: end of the file) of PATH (LINENO
 * 1-based) as KIND, in one tight pass over its bytes: this runs for every line
 * at open, so it avoids library calls per byte. Returns MQ_OK and sets *NEXT to
 * the start of the next line, *KLEN and *FREQ; or MQ_EINPUT. Keys of chars.tsv
 * are checked as UTF-8 with utf8proc; keys of words and places only for their
 * structure (a malformed key can never equal a valid UTF-8 lookup key). */
static int check_line(const char *path, size_t lineno, int kind, const char *p, const char *end,
                      const char **next, size_t *klen, double *freq, mq_error *err)
{
    const unsigned char *q = (const unsigned char *)p, *e = (const unsigned char *)end;
    long ncp = 0;
    while (q < e && *q != '\t') {
        if (*q < 0x20)
            return mq_error_set(err, MQ_EINPUT, "%s:%zu: expected KEY<TAB>PINYIN%s", path,
                                lineno, kind == LX_CHARS ? "" : "<TAB>FREQ");
        ncp += (*q & 0xC0) != 0x80;
        q++;
    }
    *klen = (size_t)((const char *)q - p);
    if (q == e || *klen == 0)
        return mq_error_set(err, MQ_EINPUT, "%s:%zu: expected KEY<TAB>PINYIN%s", path, lineno,
                            kind == LX_CHARS ? "" : "<TAB>FREQ");
    if (kind == LX_CHARS && utf8_count(p, *klen) != 1)
        return mq_error_set(err, MQ_EINPUT, "%s:%zu: the key must be one character in UTF-8",
                            path, lineno);
    /* Pinyin: syllables [a-z]+[1-5], separated by ' ' (words) or ',' (chars). */
    const unsigned char sep = kind == LX_CHARS ? ',' : ' ';
    long nsyl = 0;
    q++;
    for (;;) {
        const unsigned char *s = q;
        while (q < e && *q >= 'a' && *q <= 'z')
            q++;
        if (q == s || q == e || *q < '1' || *q > '5')
            return mq_error_set(err, MQ_EINPUT, "%s:%zu: bad pinyin (want syllables like "
                                "'zhong1 guo2', tone digits 1-5)", path, lineno);
        q++;
        nsyl++;
        if (q < e && *q == sep) {
            q++;
            continue;
        }
        break;
    }
    if (kind != LX_CHARS && nsyl != ncp)
        return mq_error_set(err, MQ_EINPUT, "%s:%zu: %ld syllables for %ld characters", path,
                            lineno, nsyl, ncp);
    *freq = 0.0;
    if (q < e && *q == '\t') {
        uint64_t f = 0;
        const unsigned char *s = ++q;
        while (q < e && (unsigned)(*q - '0') < 10u && q - s < 19)
            f = f * 10 + (uint64_t)(*q++ - '0');
        if (q == s || (q < e && *q != '\n'))
            return mq_error_set(err, MQ_EINPUT, "%s:%zu: FREQ must be a whole number "
                                "(at most 19 digits)", path, lineno);
        *freq = (double)f;
    } else if (kind != LX_CHARS) {
        return mq_error_set(err, MQ_EINPUT, "%s:%zu: %s", path, lineno,
                            q < e && *q != '\n' ? "bad pinyin (want syllables like "
                            "'zhong1 guo2', tone digits 1-5)" : "missing FREQ column");
    } else if (q < e && *q != '\n') {
        return mq_error_set(err, MQ_EINPUT, "%s:%zu: bad pinyin (want syllables like "
                            "'zhong1 guo2', tone digits 1-5)", path, lineno);
    }
    *next = q < e ? (const char *)q + 1 : end;
    return MQ_OK;
}

/* Files from this size up are indexed in two halves on two threads. */
#define SPLIT_BYTES ((size_t)1 << 20)

/* One range of lines of a file being indexed: the lines from P to END, the
 * first of them line LINENO + 1 (counted from the range's start when the
 * lines before it are not counted yet). */
typedef struct lx_part {
    const char *path;
    int kind;
    const char *d, *p, *end;
    size_t lineno;
    uint32_t *off;          /* room for every line of the range */
    size_t n, max_key;
    double total;
    const char *last;       /* the range's last key, for the check across ranges */
    size_t last_len, first_len;
    const char *bad;        /* the line that failed, or NULL */
    size_t bad_line;        /* its number, counted as LINENO was */
    int bad_order;          /* it failed the order, not the form */
    const char *prev;       /* for an order failure: the key before it */
    size_t prev_len;
} lx_part;

/* Checks and indexes the lines of R: their keys must rise in byte order.
 * MQ_OK, or MQ_EINPUT with the failing line noted in R (report_part says
 * what is wrong with it). */
static int index_part(lx_part *r)
{
    const char *prev = NULL;
    size_t prevlen = 0, lineno = r->lineno;
    for (const char *p = r->p; p < r->end;) {
        const char *next = r->end;
        size_t klen = 0;
        double freq = 0.0;
        lineno++;
        if (check_line(r->path, lineno, r->kind, p, r->end, &next, &klen, &freq, NULL)) {
            r->bad = p;
            r->bad_line = lineno;
            return MQ_EINPUT;
        }
        if (prev) {
            /* Adjacent keys mostly differ within their first bytes: compare inline. */
            size_t m = prevlen < klen ? prevlen : klen, k = 0;
            while (k < m && prev[k] == p[k])
                k++;
            int c = k < m ? ((unsigned char)prev[k] < (unsigned char)p[k] ? -1 : 1)
                          : (prevlen < klen ? -1 : prevlen > klen);
            if (c >= 0) {
                r->bad = p;
                r->bad_line = lineno;
                r->bad_order = 1;
                r->prev = prev;
                r->prev_len = prevlen;
                return MQ_EINPUT;
            }
        } else {
            r->first_len = klen;
        }
        prev = p;
        prevlen = klen;
        r->off[r->n++] = (uint32_t)(p - r->d);
        if (klen > r->max_key)
            r->max_key = klen;
        r->total += freq;
        p = next;
    }
    r->last = prev;
    r->last_len = prevlen;
    return MQ_OK;
}

/* The error for R's failing line, whose number is R->bad_line + BASE. */
static int report_part(const lx_part *r, size_t base, mq_error *err)
{
    size_t line = r->bad_line + base, klen = 0;
    if (!r->bad_order) {
        const char *next;
        double freq;
        return check_line(r->path, line, r->kind, r->bad, r->end, &next, &klen, &freq, err);
    }
    while (r->bad + klen < r->end && r->bad[klen] != '\t')
        klen++;
    return mq_error_set(err, MQ_EINPUT, "%s:%zu: '%.*s' is %s; entries must be sorted by "
                        "byte order of the first column", r->path, line, (int)klen, r->bad,
                        key_cmp(r->prev, r->prev_len, r->bad, klen) ? "out of order"
                                                                   : "a duplicate");
}

static void *part_thread(void *arg)
{
    index_part(arg);
    return NULL;
}

/* Maps DIR/NAME into F and notes which file it is (F->id). MQ_OK or MQ_EIO. */
static int file_map(const char *dir, const char *name, lx_file *f, mq_error *err)
{
    char path[4096];
    int rc;
    if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, name) >= sizeof path)
        return mq_error_set(err, MQ_EIO, "%s/%s: path too long", dir, name);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return mq_error_set(err, MQ_EIO, "%s: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0) {
        rc = mq_error_set(err, MQ_EIO, "%s: %s", path, strerror(errno));
        close(fd);
        return rc;
    }
    if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size >= UINT32_MAX) {
        close(fd);
        return mq_error_set(err, MQ_EIO, "%s: not a regular file under 4 GiB", path);
    }
    f->size = (size_t)st.st_size;
    f->id[0] = (uint64_t)st.st_dev;
    f->id[1] = (uint64_t)st.st_ino;
    f->id[2] = (uint64_t)st.st_size;
    f->id[3] = (uint64_t)st.st_mtim.tv_sec * 1000000000u + (uint64_t)st.st_mtim.tv_nsec;
    if (f->size > 0) {
        void *m = mmap(NULL, f->size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
        if (m == MAP_FAILED) {
            rc = mq_error_set(err, MQ_EIO, "%s: %s", path, strerror(errno));
            close(fd);
            f->size = 0;
            return rc;
        }
        f->data = m;
    }
    close(fd);
    return MQ_OK;
}

/* Checks and indexes the mapped file F (DIR/NAME) as KIND, adding to the
 * lexicon's total when COUNTS. */
static int file_check(mq_lexicon *lx, const char *dir, const char *name, int kind, int counts,
                      lx_file *f, mq_error *err)
{
    char path[4096];
    int rc;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    const char *d = f->data, *end = d + f->size;
    /* An entry line has at least 5 bytes ("X\ta1\n"): size the index from that,
     * then give back what was not used. One allocation per file. */
    size_t cap = f->size / 5 + 1;
    f->off = malloc(cap * sizeof *f->off);
    if (!f->off)
        return mq_error_set(err, MQ_ENOMEM, "%s: out of memory", path);
    size_t lineno = 0;
    const char *p = d;
    while (p < end && *p == '#') { /* comment lines at the top */
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        p = nl ? nl + 1 : end;
        lineno++;
    }
    /* A big file is checked and indexed in two halves at once: words.tsv
     * (9 MB, 460 000 lines) took 30 ms alone, most of a short command's
     * time and the start of every render, while the other core waited. */
    const char *mid = NULL;
    if ((size_t)(end - p) >= SPLIT_BYTES) {
        mid = memchr(p + (end - p) / 2, '\n', (size_t)(end - p - (end - p) / 2));
        mid = mid && mid + 1 < end ? mid + 1 : NULL;
    }
    lx_part a = { .path = path, .kind = kind, .d = d, .p = p, .end = mid ? mid : end,
                  .lineno = lineno, .off = f->off };
    lx_part b = { .path = path, .kind = kind, .d = d, .p = mid, .end = end,
                  .off = mid ? f->off + (mid - d) / 5 : NULL };
    pthread_t t;
    int threaded = mid && pthread_create(&t, NULL, part_thread, &b) == 0;
    rc = index_part(&a);
    if (threaded)
        pthread_join(t, NULL);
    else if (mid)
        index_part(&b);
    if (rc != MQ_OK)
        return report_part(&a, 0, err);
    if (mid && (b.bad || (a.n && b.n && key_cmp(a.last, a.last_len, d + b.off[0],
                                                 b.first_len) >= 0))) {
        /* B counted its lines from its start: the lines before it, added. */
        size_t before = lineno;
        for (const char *q = p; q < mid; q++)
            before += *q == '\n';
        if (!b.bad) {   /* its first key is not above A's last */
            b.bad = mid;
            b.bad_line = 1;
            b.bad_order = 1;
            b.prev = a.last;
            b.prev_len = a.last_len;
        }
        return report_part(&b, before, err);
    }
    f->n = a.n;
    if (mid) {
        memmove(f->off + a.n, b.off, b.n * sizeof *f->off);
        f->n += b.n;
    }
    size_t max_key = a.max_key > b.max_key ? a.max_key : b.max_key;
    if (max_key > lx->max_key)
        lx->max_key = max_key;
    /* Frequencies are whole numbers well below 2^53: their sum in doubles is
     * exact, so the halves' order does not change it. */
    if (counts)
        lx->total += a.total + b.total;
    if (f->n < cap) {
        uint32_t *shrunk = realloc(f->off, (f->n ? f->n : 1) * sizeof *f->off);
        if (shrunk)
            f->off = shrunk;
    }
    return MQ_OK;
}

int mq_lexicon_open_indexed(const char *dir, const char *index_dir, mq_lexicon **out,
                            mq_error *err)
{
    if (!dir || !out)
        return mq_error_set(err, MQ_EINVAL, "mq_lexicon_open: NULL argument");
    *out = NULL;
    mq_lexicon *lx = calloc(1, sizeof *lx);
    if (!lx)
        return mq_error_set(err, MQ_ENOMEM, "out of memory");
    int rc = file_map(dir, "words.tsv", &lx->words, err);
    if (!rc)
        rc = file_map(dir, "places.tsv", &lx->places, err);
    if (!rc)
        rc = file_map(dir, "chars.tsv", &lx->chars, err);
    lx_file *const files[LX_NFILES] = { &lx->words, &lx->places, &lx->chars };
    if (!rc && index_dir &&
        mq_lexicon_index_load(index_dir, dir, files, &lx->total, &lx->max_key)) {
        *out = lx;
        return MQ_OK;
    }
    if (!rc && mq_lexicon_index_load_shipped(dir, files, &lx->total, &lx->max_key)) {
        /* Kept in the cache too: its check goes by the files' place, with
         * no summing. */
        if (index_dir)
            mq_lexicon_index_save(index_dir, dir, (const lx_file *const *)files, lx->total,
                                  lx->max_key);
        *out = lx;
        return MQ_OK;
    }
    lx->checked = 1;
    if (!rc)
        rc = file_check(lx, dir, "words.tsv", LX_WORDS, 1, &lx->words, err);
    if (!rc)
        rc = file_check(lx, dir, "places.tsv", LX_WORDS, 0, &lx->places, err);
    if (!rc)
        rc = file_check(lx, dir, "chars.tsv", LX_CHARS, 1, &lx->chars, err);
    if (rc) {
        mq_lexicon_free(lx);
        return rc;
    }
    if (index_dir)
        mq_lexicon_index_save(index_dir, dir, (const lx_file *const *)files, lx->total,
                              lx->max_key);
    *out = lx;
    return MQ_OK;
}

int mq_lexicon_open(const char *dir, mq_lexicon **out, mq_error *err)
{
    return mq_lexicon_open_indexed(dir, NULL, out, err);
}

int mq_lexicon_checked(const mq_lexicon *lx) { return lx ? lx->checked : 0; }

int mq_lexicon_write_index(const char *dir, mq_error *err)
{
    if (!dir)
        return mq_error_set(err, MQ_EINVAL, "mq_lexicon_write_index: NULL argument");
    /* Checked line by line whatever index exists: this is what makes one. */
    char path[4096];
    mq_lexicon_shipped_path(dir, path, sizeof path);
    if (unlink(path) && errno != ENOENT)
        return mq_error_set(err, MQ_EIO, "%s: %s", path, strerror(errno));
    mq_lexicon *lx = NULL;
    int rc = mq_lexicon_open(dir, &lx, err);
    if (rc != MQ_OK)
        return rc;
    const lx_file *const files[LX_NFILES] = { &lx->words, &lx->places, &lx->chars };
    if (mq_lexicon_index_write_shipped(dir, files, lx->total, lx->max_key))
        rc = mq_error_set(err, MQ_EIO, "%s: %s", path, strerror(errno));
    mq_lexicon_free(lx);
    return rc;
}

void mq_lexicon_free(mq_lexicon *lx)
{
    if (!lx)
        return;
    file_free(&lx->words);
    file_free(&lx->places);
    file_free(&lx->chars);
    for (size_t i = 0; i < lx->nuser; i++) {
        free(lx->user[i].key);
        free(lx->user[i].pinyin);
    }
    free(lx->user);
    free(lx);
}
