/* mq_lexicon.c — see mq_lexicon.h. */
#include "mq_lexicon.h"
#include "mq_lexicon_int.h"

#include <errno.h>
#include <pthread.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <utf8proc.h>


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
};

enum { LX_WORDS, LX_CHARS };

/* ---- helpers ---- */

/* memcmp order with the shorter string first on a common prefix. */
static int key_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
    int c = memcmp(a, b, alen < blen ? alen : blen);
    if (c)
        return c;
    return alen < blen ? -1 : alen > blen;
}

/* Number of code points in the LEN bytes at S, or -1 if not valid UTF-8. */
static long utf8_count(const char *s, size_t len)
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

/* Copies the LEN bytes at S into BUF as a string; 0 if it does not fit. */
static int copy_out(char *buf, size_t bufsz, const char *s, size_t len)
{
    if (!buf || bufsz <= len) {
        if (buf && bufsz)
            buf[0] = '\0';
        return 0;
    }
    memcpy(buf, s, len);
    buf[len] = '\0';
    return 1;
}

/* ---- loading ---- */

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

/* ---- searching ---- */

/* 1 when entry I of F (if there is one) is longer than KEY and starts with it. */
static int extends(const lx_file *f, size_t i, const char *key, size_t klen)
{
    if (i >= f->n)
        return 0;
    const char *e = f->data + f->off[i];
    return (size_t)(f->data + f->size - e) > klen && !memcmp(e, key, klen) && e[klen] != '\t';
}

/* Binary search of F for KEY. Returns 1 and the entry's pinyin span and FREQ.
 * With MORE, sets *MORE to 1 when an entry extends KEY: in byte order those
 * come right after KEY, or where it would be. */
static int file_find(const lx_file *f, const char *key, size_t klen, const char **py,
                     size_t *pylen, double *freq, int *more)
{
    size_t lo = 0, hi = f->n;
    const char *end = f->data + f->size;
    const unsigned char *k = (const unsigned char *)key;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const char *e = f->data + f->off[mid];
        /* key_cmp of the entry's key (up to its tab: validated, present, and
         * in no key) with KEY, in one pass: a lookup was mostly memchr and
         * memcmp calls on a few bytes. A tab sorts below every key byte, as
         * a shorter key sorts first. */
        const unsigned char *u = (const unsigned char *)e;
        size_t i = 0;
        while (i < klen && u[i] == k[i])
            i++;
        int c = i < klen ? (u[i] < k[i] ? -1 : 1) : (u[i] == '\t' ? 0 : 1);
        const char *tab = e + i;
        if (c < 0) {
            lo = mid + 1;
        } else if (c > 0) {
            hi = mid;
        } else {
            if (more)
                *more |= extends(f, mid + 1, key, klen);
            const char *p = tab + 1, *q = p;
            while (q < end && *q != '\t' && *q != '\n')
                q++;
            *py = p;
            *pylen = (size_t)(q - p);
            double v = 0.0;
            if (q < end && *q == '\t')
                for (q++; q < end && *q >= '0' && *q <= '9'; q++)
                    v = v * 10.0 + (*q - '0');
            *freq = v;
            return 1;
        }
    }
    if (more)
        *more |= extends(f, lo, key, klen);
    return 0;
}

/* Index of the user entry KEY, or where it would go (*FOUND says which). */
static size_t user_find(const mq_lexicon *lx, const char *key, size_t klen, int *found)
{
    size_t lo = 0, hi = lx->nuser;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = key_cmp(lx->user[mid].key, lx->user[mid].klen, key, klen);
        if (c < 0) {
            lo = mid + 1;
        } else if (c > 0) {
            hi = mid;
        } else {
            *found = 1;
            return mid;
        }
    }
    *found = 0;
    return lo;
}

/* Built-in lookup: places, then words, then chars for one code point. */
static int builtin_find(const mq_lexicon *lx, const char *word, size_t len, const char **py,
                        size_t *pylen, double *freq, int *is_char, int *more)
{
    *is_char = 0;
    int hit = file_find(&lx->places, word, len, py, pylen, freq, more);
    /* Words too when a place was found but *MORE is wanted: a word may
     * continue it. */
    const char *wpy;
    size_t wpylen;
    double wf;
    if ((!hit || more) && file_find(&lx->words, word, len, &wpy, &wpylen, &wf, more) && !hit) {
        *py = wpy, *pylen = wpylen, *freq = wf;
        hit = 1;
    }
    if (!hit && utf8_count(word, len) == 1 &&
        file_find(&lx->chars, word, len, py, pylen, freq, NULL))
        hit = *is_char = 1;
    return hit;
}

/* mq_lexicon_lookup, and with MORE (else NULL) mq_lexicon_lookup_more. */
static int lookup(const mq_lexicon *lx, const char *word, size_t len, char *buf, size_t bufsz,
                  double *freq, int *more)
{
    if (more)
        *more = 0;
    if (buf && bufsz)
        buf[0] = '\0';
    if (!lx || !word || len == 0 || len > lx->max_key)
        return 0;
    int found;
    size_t i = user_find(lx, word, len, &found);
    if (more) {
        size_t u = found ? i + 1 : i;
        *more = u < lx->nuser && lx->user[u].klen > len && !memcmp(lx->user[u].key, word, len);
    }
    const char *py = NULL;
    size_t pylen = 0;
    double f = 0;
    int is_char = 0, hit = 0;
    /* The built-in files: for a reading when no user entry has one, and for
     * *MORE in any case. */
    if (more || !found)
        hit = builtin_find(lx, word, len, &py, &pylen, &f, &is_char, more);
    if (found) {
        if (freq)
            *freq = lx->user[i].freq;
        if (!buf && !bufsz)
            return 2;
        return copy_out(buf, bufsz, lx->user[i].pinyin, strlen(lx->user[i].pinyin)) ? 2 : 0;
    }
    if (!hit)
        return 0;
    if (is_char) /* the default reading only */
        for (size_t k = 0; k < pylen; k++)
            if (py[k] == ',') {
                pylen = k;
                break;
            }
    if (freq)
        *freq = f;
    if (!buf && !bufsz)
        return 1;
    return copy_out(buf, bufsz, py, pylen);
}

int mq_lexicon_lookup(const mq_lexicon *lx, const char *word, size_t len, char *buf,
                      size_t bufsz, double *freq)
{
    return lookup(lx, word, len, buf, bufsz, freq, NULL);
}

int mq_lexicon_lookup_more(const mq_lexicon *lx, const char *word, size_t len, char *buf,
                           size_t bufsz, double *freq, int *more)
{
    int none = 0;
    return lookup(lx, word, len, buf, bufsz, freq, more ? more : &none);
}

int mq_lexicon_char(const mq_lexicon *lx, uint32_t cp, char *buf, size_t bufsz)
{
    if (buf && bufsz)
        buf[0] = '\0';
    if (!lx || !buf || bufsz == 0 || !utf8proc_codepoint_valid((utf8proc_int32_t)cp))
        return 0;
    utf8proc_uint8_t key[4];
    size_t klen = (size_t)utf8proc_encode_char((utf8proc_int32_t)cp, key);
    const char *py = NULL, *upy = NULL;
    size_t pylen = 0, used = 0;
    double f;
    int found, n = 0;
    size_t ui = user_find(lx, (const char *)key, klen, &found);
    if (found)
        upy = lx->user[ui].pinyin;
    if (!file_find(&lx->chars, (const char *)key, klen, &py, &pylen, &f, NULL) && !upy)
        return 0;
    if (upy) {
        size_t ul = strlen(upy);
        if (ul + 1 > bufsz)
            return 0;
        memcpy(buf, upy, ul);
        used = ul;
        n = 1;
    }
    /* The built-in readings, skipping the one the user entry already gave. */
    for (size_t s = 0; py && s < pylen;) {
        size_t e = s;
        while (e < pylen && py[e] != ',')
            e++;
        size_t rl = e - s;
        if (!(upy && strlen(upy) == rl && memcmp(upy, py + s, rl) == 0)) {
            size_t need = used + (n ? 1 : 0) + rl;
            if (need + 1 > bufsz) {
                buf[0] = '\0';
                return 0;
            }
            if (n)
                buf[used++] = ',';
            memcpy(buf + used, py + s, rl);
            used += rl;
            n++;
        }
        s = e + 1;
    }
    buf[used] = '\0';
    return n;
}

/* ---- user entries ---- */

/* Normalizes PINYIN into a new string of "syl1 syl2 ..." (lower case, ü -> v);
 * returns it and the syllable count, or NULL (bad input) / *NOMEM set. */
static char *normalize_pinyin(const char *pinyin, long *nsyl, int *nomem)
{
    size_t len = strlen(pinyin);
    char *out = malloc(len + 1);
    *nsyl = 0;
    *nomem = 0;
    if (!out) {
        *nomem = 1;
        return NULL;
    }
    size_t o = 0;
    const char *p = pinyin;
    for (;;) {
        while (*p == ' ' || *p == '\t')
            p++;
        if (!*p)
            break;
        if (o)
            out[o++] = ' ';
        size_t letters = 0;
        for (;;) {
            unsigned char c = (unsigned char)*p;
            if (c >= 'A' && c <= 'Z')
                c = (unsigned char)(c - 'A' + 'a');
            if (c >= 'a' && c <= 'z') {
                out[o++] = (char)c;
                p++;
                letters++;
            } else if (c == 0xC3 && ((unsigned char)p[1] == 0xBC || (unsigned char)p[1] == 0x9C)) {
                out[o++] = 'v'; /* ü or Ü */
                p += 2;
                letters++;
            } else {
                break;
            }
        }
        if (!letters || *p < '1' || *p > '5' ||
            (p[1] != '\0' && p[1] != ' ' && p[1] != '\t')) {
            free(out);
            return NULL;
        }
        out[o++] = *p++;
        (*nsyl)++;
    }
    out[o] = '\0';
    if (!*nsyl) {
        free(out);
        return NULL;
    }
    return out;
}

int mq_lexicon_add(mq_lexicon *lx, const char *text, const char *pinyin, mq_error *err)
{
    if (!lx || !text || !pinyin)
        return mq_error_set(err, MQ_EINVAL, "mq_lexicon_add: NULL argument");
    size_t klen = strlen(text);
    long ncp = utf8_count(text, klen);
    if (klen == 0 || ncp <= 0)
        return mq_error_set(err, MQ_EINPUT, "lexicon entry '%s': the text is empty or not "
                            "valid UTF-8", text);
    long nsyl;
    int nomem;
    char *py = normalize_pinyin(pinyin, &nsyl, &nomem);
    if (!py) {
        if (nomem)
            return mq_error_set(err, MQ_ENOMEM, "out of memory");
        return mq_error_set(err, MQ_EINPUT, "lexicon entry '%s': reading '%s' is not pinyin "
                            "with tone digits 1-5 (e.g. wu1 lan2)", text, pinyin);
    }
    if (nsyl != ncp) {
        free(py);
        return mq_error_set(err, MQ_EINPUT, "lexicon entry '%s': %ld characters but the "
                            "reading '%s' has %ld syllables", text, ncp, pinyin, nsyl);
    }
    int found;
    size_t i = user_find(lx, text, klen, &found);
    if (found) {
        lx->user_bytes -= strlen(lx->user[i].pinyin) + 1;
        free(lx->user[i].pinyin);
        lx->user[i].pinyin = py;
        lx->user_bytes += strlen(py) + 1;
        return MQ_OK;
    }
    if (lx->nuser == lx->capuser) {
        size_t cap = lx->capuser ? 2 * lx->capuser : 16;
        lx_user *u = realloc(lx->user, cap * sizeof *u);
        if (!u) {
            free(py);
            return mq_error_set(err, MQ_ENOMEM, "out of memory");
        }
        lx->user = u;
        lx->capuser = cap;
    }
    char *key = malloc(klen + 1);
    if (!key) {
        free(py);
        return mq_error_set(err, MQ_ENOMEM, "out of memory");
    }
    memcpy(key, text, klen + 1);
    const char *bpy;
    size_t bpylen;
    double freq = 0.0;
    int is_char;
    if (!builtin_find(lx, text, klen, &bpy, &bpylen, &freq, &is_char, NULL))
        freq = 0.0;
    if (freq < MQ_LEXICON_USER_FREQ)
        freq = MQ_LEXICON_USER_FREQ;
    memmove(lx->user + i + 1, lx->user + i, (lx->nuser - i) * sizeof *lx->user);
    lx->user[i] = (lx_user){ key, klen, py, freq };
    lx->nuser++;
    lx->user_bytes += klen + 1 + strlen(py) + 1;
    if (klen > lx->max_key)
        lx->max_key = klen;
    return MQ_OK;
}

/* ---- reporting ---- */

size_t mq_lexicon_max_word_bytes(const mq_lexicon *lx) { return lx ? lx->max_key : 0; }

double mq_lexicon_total_freq(const mq_lexicon *lx) { return lx ? lx->total : 0.0; }

size_t mq_lexicon_count(const mq_lexicon *lx)
{
    return lx ? lx->words.n + lx->places.n + lx->chars.n + lx->nuser : 0;
}

size_t mq_lexicon_memory(const mq_lexicon *lx)
{
    if (!lx)
        return 0;
    const lx_file *fs[] = { &lx->words, &lx->places, &lx->chars };
    size_t m = sizeof *lx + lx->capuser * sizeof *lx->user + lx->user_bytes;
    for (size_t i = 0; i < 3; i++)
        m += fs[i]->size + fs[i]->n * sizeof *fs[i]->off;
    return m;
}
