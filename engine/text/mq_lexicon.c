/* mq_lexicon.c — looking words up and adding the user's entries; see
 * mq_lexicon.h. Opening and checking the files is in mq_lexicon_load.c. */
#include "mq_lexicon.h"
#include "mq_lexicon_int.h"

#include <stdlib.h>
#include <string.h>

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
