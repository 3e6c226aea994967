/*
 * mq_clean.c — repairs text pasted from newspapers and PDFs; see mq_text.h.
 *
 * Newspaper columns break lines in the middle of sentences and leave spaces
 * inside words ("气 势恢宏"); a PDF export turns letters and digits into
 * full-width forms. Cleaning joins such lines, drops spaces that touch
 * Chinese, and maps full-width ASCII to ASCII, so that the reader sees the
 * text the author wrote.
 */
#include "mq_text_int.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* CJK punctuation, full-width forms and Han: a space next to these is a
 * column-break artefact, never a word separator. */
static int is_cjk(uint32_t c)
{
    return mq_is_han(c) || (c >= 0x3000 && c <= 0x303F) || (c >= 0xFF00 && c <= 0xFFEF) ||
           c == 0x2014 || c == 0x2026 || (c >= 0x2018 && c <= 0x201F) || c == 0x00B7;
}

static int ends_sentence(uint32_t c)
{
    return c == 0x3002 || c == 0xFF01 || c == 0xFF1F || c == '!' || c == '?' || c == 0x2026 ||
           c == '.';
}

/* The line closes a sentence: 。！？… possibly followed by a closing quote. */
static int is_final(const uint32_t *cp, size_t n)
{
    if (n && (cp[n - 1] == 0x201D || cp[n - 1] == 0x300D || cp[n - 1] == 0x300F ||
              cp[n - 1] == 0x2019 || cp[n - 1] == '"'))
        n--;
    return n && ends_sentence(cp[n - 1]);
}

static int is_punct(uint32_t c)
{
    return (c >= 0x3000 && c <= 0x303F) || (c >= 0xFF01 && c <= 0xFF0F) ||
           (c >= 0xFF1A && c <= 0xFF20) || (c >= 0x2010 && c <= 0x2027) ||
           (c < 0x80 && c > ' ' && !((c | 32) >= 'a' && (c | 32) <= 'z') && !(c >= '0' && c <= '9'));
}

static uint32_t fold(uint32_t c)
{
    /* Full-width letters, digits, % and + become ASCII; the other full-width
     * punctuation stays, because captions show it. */
    if ((c >= 0xFF10 && c <= 0xFF19) || (c >= 0xFF21 && c <= 0xFF3A) ||
        (c >= 0xFF41 && c <= 0xFF5A) || c == 0xFF05 || c == 0xFF0B)
        return c - 0xFEE0;
    if (c == 0x3000 || c == 0x00A0 || c == '\t' || c == 0x2002 || c == 0x2003 || c == 0x2009)
        return ' ';
    return c;
}

typedef struct line {
    uint32_t *cp;
    mq_text_pos *at;    /* where each code point stands in the input; NULL: not kept */
    size_t n;
} line;

/* A short line with no punctuation at all: when it starts a paragraph, it is
 * a heading and the next line starts another. (In the middle of a paragraph
 * it is just a short column line.) */
static int is_heading(const line *l)
{
    if (l->n == 0 || l->n > 20)
        return 0;
    for (size_t i = 0; i < l->n; i++)
        if (is_punct(l->cp[i]) && l->cp[i] != '@' && l->cp[i] != 0xFF20)
            return 0;
    return 1;
}

static int ascii_word(uint32_t c)
{
    return c < 0x80 && c > ' ';
}

char *mq_text_clean(const char *text, size_t len, mq_error *err)
{
    return mq_text_clean_mapped(text, len, NULL, err);
}

char *mq_text_clean_mapped(const char *text, size_t len, mq_text_pos **map, mq_error *err)
{
    return mq_text_clean_at(text, len, NULL, map, err);
}

char *mq_text_clean_at(const char *text, size_t len, const mq_text_pos *origin,
                       mq_text_pos **map, mq_error *err)
{
    uint32_t *cps = malloc((len + 1) * sizeof *cps);
    mq_text_pos *at = map ? malloc((len + 1) * sizeof *at) : NULL, *outmap = NULL;
    line *lines = NULL;
    size_t nlines = 0, ncp = 0;
    char *out = NULL;
    if (map)
        *map = NULL;
    if (!cps || (map && !at))
        goto oom;
    /* Decode, validating, and fold; lines are split on \n (a \r is dropped). */
    int lno = 1, col = 1;
    size_t i = 0;
    if (len >= 3 && !memcmp(text, "\xEF\xBB\xBF", 3))
        i = 3;
    while (i < len) {
        uint32_t c;
        size_t k = mq_utf8_next(text + i, len - i, &c);
        const mq_text_pos here = origin ? origin[i] : (mq_text_pos){ lno, col };
        if (c == 0xFFFD && !(k == 3 && !memcmp(text + i, "\xEF\xBF\xBD", 3))) {
            mq_error_set(err, MQ_EINPUT, "%d:%d: invalid UTF-8 (byte 0x%02X)", here.line,
                         here.column, (unsigned char)text[i]);
            free(at);
            free(cps);
            return NULL;
        }
        if (c == 0) {
            mq_error_set(err, MQ_EINPUT, "%d:%d: NUL byte in text", here.line, here.column);
            free(at);
            free(cps);
            return NULL;
        }
        if (at)
            at[ncp] = here;
        i += k;
        col++;
        if (c == '\n') {
            lno++;
            col = 1;
        }
        if (c == '\r' || c == 0xFEFF || c == 0x200B)
            continue;
        cps[ncp++] = fold(c);
    }
    /* Split into lines, each with spaces touching CJK removed and other runs
     * of spaces collapsed to one. */
    lines = calloc(ncp + 1, sizeof *lines);
    if (!lines)
        goto oom;
    size_t start = 0;
    for (size_t p = 0; p <= ncp; p++) {
        if (p < ncp && cps[p] != '\n')
            continue;
        line *l = &lines[nlines++];
        l->cp = cps + start;
        l->at = at ? at + start : NULL;
        size_t w = 0;
        for (size_t q = start; q < p; q++) {
            if (cps[q] != ' ') {
                if (at)
                    l->at[w] = at[q];
                l->cp[w++] = cps[q];
                continue;
            }
            size_t r = q;
            while (r < p && cps[r] == ' ')
                r++;
            if (w > 0 && r < p && !is_cjk(l->cp[w - 1]) && !is_cjk(cps[r])) {
                if (at)
                    l->at[w] = at[q];
                l->cp[w++] = ' ';
            }
            q = r - 1;
        }
        l->n = w;
        start = p + 1;
    }
    /* Join lines into paragraphs. A line ends a paragraph when a blank line
     * follows, when it closes a sentence, or when it is a heading. */
    out = malloc(ncp * 4 + 2);
    if (!out || (map && !(outmap = malloc((ncp * 4 + 2) * sizeof *outmap))))
        goto oom;
    size_t o = 0;
    int open = 0;       /* a paragraph has text */
    int brk = 0;        /* the next text starts a new paragraph */
    uint32_t last = 0;
    for (size_t li = 0; li < nlines; li++) {
        line *l = &lines[li];
        if (l->n == 0) {
            brk = 1;
            continue;
        }
        int starts = !open || brk;
        /* A separator put between lines stands where the next line starts. */
        if (outmap)
            outmap[o] = l->at[0];
        if (open && brk) {
            out[o++] = '\n';
        } else if (open && ascii_word(last) && ascii_word(l->cp[0])) {
            out[o++] = ' ';
        }
        for (size_t q = 0; q < l->n; q++) {
            size_t k = mq_utf8_put(l->cp[q], out + o);
            for (size_t b = 0; outmap && b < k; b++)
                outmap[o + b] = l->at[q];
            o += k;
        }
        last = l->cp[l->n - 1];
        open = 1;
        brk = is_final(l->cp, l->n) || (starts && is_heading(l));
    }
    out[o] = '\0';
    if (outmap) {
        outmap[o] = origin ? origin[len] : (mq_text_pos){ lno, col };  /* the end */
        *map = outmap;
    }
    free(lines);
    free(at);
    free(cps);
    return out;
oom:
    free(outmap);
    free(out);
    free(lines);
    free(at);
    free(cps);
    mq_error_set(err, MQ_ENOMEM, "out of memory cleaning %zu bytes of text", len);
    return NULL;
}
