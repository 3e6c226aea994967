/*
 * mq_reader.c — from clean text to a reading; see mq_text.h.
 *
 * The text is walked once. Han runs are segmented into words by the most
 * probable path through the lexicon (as jieba does: each word scores
 * log(freq / total), unknown single characters a floor), and each word takes
 * its lexicon reading. Numbers, letters and symbols go to mq_numbers.c;
 * punctuation becomes breaks; inline fixes ({...|...}, X{...}) force
 * readings. mq_rules.c then decides polyphones left standing alone and the
 * tone sandhi of 一 and 不, and the units are grouped into phrases and
 * sentences.
 */
#include "mq_text_int.h"
#include "mq_lexicon.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct mq_reader {
    mq_lexicon *lx;
};

struct mq_reading {
    size_t nunread;      /* Han characters not spoken: no reading known */
    uint32_t unread_cp[MQ_UNREAD_KEPT];
    mq_text_pos unread_at[MQ_UNREAD_KEPT];
    char *text;          /* sentence texts, NUL-separated */
    char *pinyin;        /* all phrase strings, NUL-separated */
    char *spoken;        /* the same with spoken tones */
    mq_phrase *phrases;
    size_t nphrases;
    mq_sentence *sentences;
    size_t nsentences;
    size_t nsyl;
};

int mq_units_push(mq_units *us, uint32_t cp, const char *syl, int forced, size_t src)
{
    if (us->n == us->cap) {
        size_t cap = us->cap ? us->cap * 2 : 256;
        mq_unit *u = realloc(us->u, cap * sizeof *u);
        if (!u)
            return MQ_ENOMEM;
        us->u = u;
        us->cap = cap;
    }
    mq_unit *u = &us->u[us->n++];
    memset(u, 0, sizeof *u);
    u->cp = cp;
    snprintf(u->syl, sizeof u->syl, "%s", syl ? syl : "");
    u->forced = (unsigned char)forced;
    u->src = src;
    return MQ_OK;
}

int mq_units_break(mq_units *us, mq_break brk, char end, size_t src)
{
    if (us->n && us->u[us->n - 1].cp == 0) {
        mq_unit *u = &us->u[us->n - 1];
        if ((int)brk >= (int)u->brk) {
            u->brk = (unsigned char)brk;
            if (end)
                u->end = end;
            u->src = src;
        }
        return MQ_OK;
    }
    if (mq_units_push(us, 0, NULL, 1, src))
        return MQ_ENOMEM;
    us->u[us->n - 1].brk = (unsigned char)brk;
    us->u[us->n - 1].end = end ? end : '.';
    return MQ_OK;
}

int mq_reader_create(const char *lexicon_dir, mq_reader **out, mq_error *err)
{
    return mq_reader_create_indexed(lexicon_dir, NULL, out, err);
}

int mq_reader_create_indexed(const char *lexicon_dir, const char *index_dir, mq_reader **out,
                             mq_error *err)
{
    *out = NULL;
    mq_reader *rd = calloc(1, sizeof *rd);
    if (!rd)
        return mq_error_set(err, MQ_ENOMEM, "out of memory");
    int rc = mq_lexicon_open_indexed(lexicon_dir, index_dir, &rd->lx, err);
    if (rc != MQ_OK) {
        free(rd);
        return rc;
    }
    *out = rd;
    return MQ_OK;
}

void mq_reader_free(mq_reader *rd)
{
    if (!rd)
        return;
    mq_lexicon_free(rd->lx);
    free(rd);
}

size_t mq_reader_memory(const mq_reader *rd) { return mq_lexicon_memory(rd->lx); }

/* Writes ü as v in S, in place (the lexicon's spelling, and one byte). */
static void fold_u(char *s)
{
    char *o = s;
    for (const char *i = s; *i;) {
        if ((unsigned char)i[0] == 0xC3 && (unsigned char)i[1] == 0xBC) {
            *o++ = 'v';
            i += 2;
        } else {
            *o++ = *i++;
        }
    }
    *o = '\0';
}

/* Counts syllables in PINYIN; with WHY, checks each too and returns -1 with
 * what is wrong in WHY (SIZE bytes) for a bad one. (The lexicon's own
 * readings were checked as it was loaded.) */
static int count_syllables(const char *pinyin, char *why, size_t size)
{
    int n = 0;
    const char *p = pinyin;
    while (*p) {
        while (*p == ' ')
            p++;
        if (!*p)
            break;
        size_t k = strcspn(p, " ");
        if (why && !mq_syllable_check(p, k, why, size))
            return -1;
        n++;
        p += k;
    }
    if (!n && why)
        snprintf(why, size, "no pinyin given");
    return n;
}

static size_t count_chars(const char *s)
{
    size_t n = 0, len = strlen(s);
    for (size_t i = 0; i < len;) {
        uint32_t cp;
        i += mq_utf8_next(s + i, len - i, &cp);
        n++;
    }
    return n;
}

int mq_reader_add_entry(mq_reader *rd, const char *text, const char *pinyin, mq_error *err)
{
    char why[160];
    int n = count_syllables(pinyin, why, sizeof why);
    if (n <= 0)
        return mq_error_set(err, MQ_EINPUT, "reading '%s' for '%s': %s", pinyin, text, why);
    if ((size_t)n != count_chars(text))
        return mq_error_set(err, MQ_EINPUT, "'%s' has %zu characters but the reading '%s' "
                            "has %d syllables", text, count_chars(text), pinyin, n);
    return mq_lexicon_add(rd->lx, text, pinyin, err);
}

/* ---- segmentation of a run of Han characters ---- */

/* Pushes the syllables of PINYIN for the characters at S (N of them, offsets
 * OFF[i]); marks word positions. */
static int push_reading(mq_units *us, const char *s, const size_t *off, size_t n,
                        const char *pinyin, int forced, size_t base)
{
    const char *p = pinyin;
    for (size_t i = 0; i < n; i++) {
        uint32_t cp;
        mq_utf8_next(s + off[i], 4, &cp);
        while (*p == ' ')
            p++;
        size_t k = strcspn(p, " ");
        char syl[8] = "";
        if (k < sizeof syl) {
            memcpy(syl, p, k);
            syl[k] = '\0';
        }
        p += k;
        if (mq_units_push(us, cp, syl, forced, base + off[i]))
            return MQ_ENOMEM;
        us->u[us->n - 1].word = n == 1 ? MQ_W_SINGLE : i == 0 ? MQ_W_BEGIN
                                : i + 1 == n ? MQ_W_END : MQ_W_MID;
    }
    return MQ_OK;
}

#define MQ_MAX_WORD_CHARS 12

static int read_han(mq_reader *rd, const char *s, size_t len, size_t base, mq_units *us)
{
    /* Character offsets within the run. */
    size_t n = 0;
    size_t *off = malloc((len + 1) * sizeof *off);
    double *best = malloc((len + 1) * sizeof *best);
    size_t *next = malloc((len + 1) * sizeof *next);
    int rc = MQ_OK;
    if (!off || !best || !next) {
        rc = MQ_ENOMEM;
        goto done;
    }
    for (size_t i = 0; i < len; n++) {
        uint32_t cp;
        off[n] = i;
        i += mq_utf8_next(s + i, len - i, &cp);
    }
    off[n] = len;
    double logtotal = log(mq_lexicon_total_freq(rd->lx) + 1.0);
    /* best[i]: the best score of segmenting chars i..n; next[i]: end of its first word. */
    best[n] = 0.0;
    char buf[256];
    for (size_t i = n; i-- > 0;) {
        best[i] = -1e300;
        for (size_t j = i + 1; j <= n && j - i <= MQ_MAX_WORD_CHARS; j++) {
            double freq = 0.0, score;
            size_t wl = off[j] - off[i];
            /* MORE: whether any word continues this one; when none does,
             * no longer candidate from I can be found either. */
            int more;
            int found = mq_lexicon_lookup_more(rd->lx, s + off[i], wl, buf, sizeof buf, &freq,
                                               &more);
            if (found || j - i == 1) {
                if (!found || freq < 1.0)
                    freq = 1.0;
                score = log(freq) - logtotal + best[j];
                if (score > best[i]) {
                    best[i] = score;
                    next[i] = j;
                }
            }
            if (!more)
                break;
        }
    }
    for (size_t i = 0; i < n && rc == MQ_OK;) {
        size_t j = next[i], wl = off[j] - off[i];
        double freq;
        int nsyl = -1;
        int found = mq_lexicon_lookup(rd->lx, s + off[i], wl, buf, sizeof buf, &freq);
        if (found)
            nsyl = count_syllables(buf, NULL, 0);
        if (nsyl == (int)(j - i)) {
            /* A user's reading is final; a built-in one may meet context rules. */
            rc = push_reading(us, s, off + i, j - i, buf, found == 2, base);
        } else {
            /* Not a known word: each character with its most common reading. */
            for (size_t k = i; k < j && rc == MQ_OK; k++) {
                uint32_t cp;
                mq_utf8_next(s + off[k], off[k + 1] - off[k], &cp);
                char rb[128];
                if (mq_lexicon_char(rd->lx, cp, rb, sizeof rb) > 0) {
                    rb[strcspn(rb, ",")] = '\0';
                    rc = push_reading(us, s, off + k, 1, rb, 0, base);
                } else {
                    /* A character without any reading is not spoken; the
                     * caller is told, so that the user can give it one. */
                    if (us->nunread < MQ_UNREAD_KEPT) {
                        us->unread_src[us->nunread] = base + off[k];
                        us->unread_cp[us->nunread] = cp;
                    }
                    us->nunread++;
                    us->last_unread = base + off[k] + 1;
                }
            }
        }
        i = j;
    }
done:
    free(off);
    free(best);
    free(next);
    return rc;
}

/* ---- the walk over the clean text ---- */

/* Punctuation: the break it makes and the intonation at the end. */
static int punct_break(uint32_t c, mq_break *brk, char *end)
{
    switch (c) {
    case 0x3002: case '.': case 0x2026: case 0xFF0E:
        *brk = MQ_BREAK_SENTENCE, *end = '.';
        return 1;
    case 0xFF01: case '!':
        *brk = MQ_BREAK_SENTENCE, *end = '!';
        return 1;
    case 0xFF1F: case '?':
        *brk = MQ_BREAK_SENTENCE, *end = '?';
        return 1;
    case 0xFF1B: case ';':
        *brk = MQ_BREAK_SENTENCE, *end = '.';
        return 1;
    case 0xFF0C: case ',': case 0x3001: case 0xFF1A: case ':': case 0xFF08: case 0xFF09:
    case '(': case ')': case 0x2014: case 0x2015: case 0xFF5E:
        *brk = MQ_BREAK_COMMA, *end = ',';
        return 1;
    default:
        return 0;
    }
}

static int is_closer(uint32_t c)
{
    return c == 0x201D || c == 0x2019 || c == 0x300D || c == 0x300F || c == 0x300B ||
           c == 0xFF09 || c == ')' || c == '"' || c == '\'';
}

/* Line and column of byte offset P in S, for messages: from AT when the
 * text came through mq_text_clean_mapped, else counted in S. */
static void line_col(const char *s, size_t p, const mq_text_pos *at, int *line, int *col)
{
    if (at) {
        *line = at[p].line, *col = at[p].column;
        return;
    }
    *line = 1, *col = 1;
    for (size_t i = 0; i < p;) {
        uint32_t cp;
        i += mq_utf8_next(s + i, p - i, &cp);
        if (cp == '\n')
            (*line)++, *col = 1;
        else
            (*col)++;
    }
}

/* When the character just before the fix at S+OPEN is one the lexicon has no
 * reading for (so no syllable stands for it), gives it PINYIN: returns 1;
 * else 0, nothing done. */
static int fix_unread(const char *s, size_t open, mq_units *us, const char *pinyin)
{
    size_t prev = us->last_unread - 1, end = prev;
    uint32_t cp;
    end += mq_utf8_next(s + prev, open - prev, &cp);
    if (end != open)
        return 0;
    if (mq_units_push(us, cp, pinyin, 1, prev))
        return 0;
    us->u[us->n - 1].word = MQ_W_SINGLE;
    /* No longer unspoken: the last one noted is this one. */
    if (us->nunread)
        us->nunread--;
    us->last_unread = 0;
    return 1;
}

/*
 * An inline fix at S+P ('{'): {TEXT|pinyin} or {pinyin} for the characters
 * just before it. Returns MQ_OK and advances *P, or MQ_EINPUT with ERR set.
 */
static int inline_fix(const char *s, size_t len, const mq_text_pos *at, size_t *p, mq_units *us,
                      size_t run_start, mq_error *err)
{
    size_t open = *p, close = open + 1;
    while (close < len && s[close] != '}' && s[close] != '{' && s[close] != '\n')
        close++;
    int line, col;
    line_col(s, open, at, &line, &col);
    if (close >= len || s[close] != '}')
        return mq_error_set(err, MQ_EINPUT, "%d:%d: inline reading '{' is not closed by '}'",
                            line, col);
    char body[512];
    size_t blen = close - open - 1;
    if (blen >= sizeof body)
        return mq_error_set(err, MQ_EINPUT, "%d:%d: inline reading is too long", line, col);
    memcpy(body, s + open + 1, blen);
    body[blen] = '\0';
    char *bar = strchr(body, '|');
    char *pinyin = bar ? bar + 1 : body;
    char why[160];
    int nsyl = count_syllables(pinyin, why, sizeof why);
    if (nsyl <= 0)
        return mq_error_set(err, MQ_EINPUT, "%d:%d: inline reading {%s}: %s", line, col, body,
                            why);
    fold_u(pinyin);
    if (bar) {
        *bar = '\0';
        size_t nc = count_chars(body);
        if (nc != (size_t)nsyl)
            return mq_error_set(err, MQ_EINPUT, "%d:%d: inline reading {%s|%s}: %zu "
                                "characters but %d syllables", line, col, body, pinyin, nc, nsyl);
        size_t off[64], n = 0, bl = strlen(body);
        for (size_t i = 0; i < bl && n < 63;) {
            uint32_t cp;
            off[n++] = i;
            i += mq_utf8_next(body + i, bl - i, &cp);
        }
        /* Units point at the fix's place in the text, whatever the body holds. */
        size_t first = us->n;
        if (push_reading(us, body, off, n, pinyin, 1, 0))
            return MQ_ENOMEM;
        for (size_t i = first; i < us->n; i++)
            us->u[i].src = open;
    } else if (nsyl == 1 && us->last_unread && fix_unread(s, open, us, pinyin)) {
        /* X{pinyin} for a character with no reading of its own: it is read
         * so, where it stands (not the character before it). */
    } else {
        /* Re-read the last NSYL syllables of the current run with this reading. */
        if (us->n < run_start + (size_t)nsyl || nsyl > 64)
            return mq_error_set(err, MQ_EINPUT, "%d:%d: inline reading {%s} follows fewer "
                                "than %d characters", line, col, body, nsyl);
        const char *q = pinyin;
        for (size_t i = us->n - (size_t)nsyl; i < us->n; i++) {
            while (*q == ' ')
                q++;
            size_t k = strcspn(q, " ");
            memcpy(us->u[i].syl, q, k);
            us->u[i].syl[k] = '\0';
            us->u[i].forced = 1;
            q += k;
        }
    }
    *p = close + 1;
    return MQ_OK;
}

static int walk(mq_reader *rd, const char *s, size_t len, const mq_text_pos *at, mq_units *us,
                mq_error *err)
{
    size_t p = 0;
    while (p < len) {
        uint32_t c;
        size_t k = mq_utf8_next(s + p, len - p, &c);
        if (mq_is_han(c)) {
            /* A run of Han up to the next non-Han character or inline fix. */
            size_t q = p;
            while (q < len) {
                uint32_t d;
                size_t kk = mq_utf8_next(s + q, len - q, &d);
                if (!mq_is_han(d))
                    break;
                q += kk;
            }
            size_t run_start = us->n;
            if (read_han(rd, s + p, q - p, p, us))
                return mq_error_set(err, MQ_ENOMEM, "out of memory");
            p = q;
            if (p < len && s[p] == '{' && !(p + 1 < len && memchr(s + p, '|', len - p) &&
                                             0)) {
                /* X{pinyin} fixes the run just read; {TEXT|pinyin} stands alone. */
                size_t close = p;
                while (close < len && s[close] != '}' && s[close] != '\n')
                    close++;
                int standalone = memchr(s + p, '|', close - p) != NULL;
                int rc = inline_fix(s, len, at, &p, us, standalone ? us->n : run_start, err);
                if (rc)
                    return rc;
            }
            continue;
        }
        if (c == '{') {
            int rc = inline_fix(s, len, at, &p, us, us->n, err);
            if (rc)
                return rc;
            continue;
        }
        if (c == '\n') {
            if (mq_units_break(us, MQ_BREAK_PARAGRAPH, 0, p))
                return mq_error_set(err, MQ_ENOMEM, "out of memory");
            p += k;
            continue;
        }
        size_t before = p;
        int r = mq_numbers_read(s, len, &p, us);
        if (r < 0)
            return mq_error_set(err, MQ_ENOMEM, "out of memory");
        if (r > 0 && p > before)
            continue;
        mq_break brk;
        char end;
        p += k;
        if (punct_break(c, &brk, &end)) {
            /* "……" and "——" are one mark; a sentence ends after its closing quotes. */
            while (p < len) {
                uint32_t d;
                size_t kk = mq_utf8_next(s + p, len - p, &d);
                if (d != c && !(brk == MQ_BREAK_SENTENCE && is_closer(d)))
                    break;
                p += kk;
            }
            if (mq_units_break(us, brk, end, p))
                return mq_error_set(err, MQ_ENOMEM, "out of memory");
        }
        /* Anything else (quotes, brackets of titles, spaces, emoji) is not read. */
    }
    if (mq_units_break(us, MQ_BREAK_PARAGRAPH, 0, len))
        return mq_error_set(err, MQ_ENOMEM, "out of memory");
    return MQ_OK;
}

/* ---- phrases and sentences ---- */

static int build(mq_reading *r, const char *text, size_t len, const mq_units *us)
{
    size_t bytes = 1, nbreaks = 0;
    for (size_t i = 0; i < us->n; i++) {
        bytes += strlen(us->u[i].syl) + 2;
        nbreaks += us->u[i].cp == 0;
    }
    r->pinyin = malloc(bytes);
    r->spoken = malloc(bytes);
    r->text = malloc(len + nbreaks + 1);
    r->phrases = calloc(nbreaks + 1, sizeof *r->phrases);
    r->sentences = calloc(nbreaks + 1, sizeof *r->sentences);
    if (!r->pinyin || !r->spoken || !r->phrases || !r->sentences || !r->text)
        return MQ_ENOMEM;
    char *w = r->pinyin, *tw = r->text;
    char *phrase = w;
    /* The spoken string has the same layout: the same offsets in r->spoken. */
    char *sw = r->spoken;
    size_t sent_start = 0, first_phrase = 0;
    for (size_t i = 0; i < us->n; i++) {
        const mq_unit *u = &us->u[i];
        if (u->cp) {
            if (!u->syl[0])
                continue;
            if (w != phrase)
                *w++ = ' ', *sw++ = ' ';
            size_t n = strlen(u->syl);
            memcpy(w, u->syl, n);
            memcpy(sw, u->syl, n);
            if (u->spoken)
                sw[n - 1] = (char)('0' + u->spoken);
            w += n;
            sw += n;
            r->nsyl++;
            continue;
        }
        if (w != phrase) {
            *w++ = '\0';
            *sw++ = '\0';
            r->phrases[r->nphrases++] = (mq_phrase){ phrase, r->spoken + (phrase - r->pinyin),
                                                     u->end, (mq_break)u->brk };
            phrase = w;
        } else if (r->nphrases > first_phrase &&
                   (int)u->brk > (int)r->phrases[r->nphrases - 1].brk) {
            /* Punctuation with nothing to say: it only lengthens the pause. */
            r->phrases[r->nphrases - 1].brk = (mq_break)u->brk;
        }
        if (u->brk >= MQ_BREAK_SENTENCE) {
            size_t a = sent_start, b = u->src;
            while (a < b && (text[a] == ' ' || text[a] == '\n'))
                a++;
            while (b > a && (text[b - 1] == ' ' || text[b - 1] == '\n'))
                b--;
            if (b > a || r->nphrases > first_phrase) {
                memcpy(tw, text + a, b - a);
                tw[b - a] = '\0';
                r->sentences[r->nsentences++] =
                    (mq_sentence){ tw, first_phrase, r->nphrases - first_phrase };
                tw += b - a + 1;
            }
            first_phrase = r->nphrases;
            sent_start = u->src;
        }
    }
    return MQ_OK;
}

/* Whether units A..B-1 (characters of the text) form a lexicon word. */
struct word_ctx {
    mq_reader *rd;
    const char *text;
    const mq_units *us;
};

static int is_word(void *ctx, size_t a, size_t b)
{
    struct word_ctx *wc = ctx;
    char word[64];
    size_t n = 0;
    for (size_t i = a; i < b && n + 4 < sizeof word; i++)
        n += mq_utf8_put(wc->us->u[i].cp, word + n);
    char buf[128];
    double freq;
    return mq_lexicon_lookup(wc->rd->lx, word, n, buf, sizeof buf, &freq);
}

int mq_reader_read(mq_reader *rd, const char *text, size_t len, mq_reading **out, mq_error *err)
{
    return mq_reader_read_mapped(rd, text, len, NULL, out, err);
}

int mq_reader_read_mapped(mq_reader *rd, const char *text, size_t len, const mq_text_pos *at,
                          mq_reading **out, mq_error *err)
{
    *out = NULL;
    mq_reading *r = calloc(1, sizeof *r);
    mq_units us = { 0 };
    if (!r)
        return mq_error_set(err, MQ_ENOMEM, "out of memory");
    /* A padded copy: the number reader looks a few bytes past what it matched. */
    char *copy = malloc(len + 8);
    if (!copy) {
        free(r);
        return mq_error_set(err, MQ_ENOMEM, "out of memory");
    }
    memcpy(copy, text, len);
    memset(copy + len, 0, 8);
    int rc = walk(rd, copy, len, at, &us, err);
    if (rc == MQ_OK) {
        r->nunread = us.nunread;
        for (size_t i = 0; i < us.nunread && i < MQ_UNREAD_KEPT; i++) {
            r->unread_cp[i] = us.unread_cp[i];
            line_col(copy, us.unread_src[i], at, &r->unread_at[i].line,
                     &r->unread_at[i].column);
        }
        mq_rules_apply(&us);
        struct word_ctx wc = { rd, copy, &us };
        mq_rules_spoken(&us, is_word, &wc);
        if (mq_rules_breath(&us) || build(r, copy, len, &us))
            rc = mq_error_set(err, MQ_ENOMEM, "out of memory");
    }
    free(copy);
    free(us.u);
    if (rc != MQ_OK) {
        mq_reading_free(r);
        return rc;
    }
    *out = r;
    return MQ_OK;
}

int mq_reader_read_text(mq_reader *rd, const char *text, size_t len, mq_reading **out,
                        mq_error *err)
{
    return mq_reader_read_text_at(rd, text, len, NULL, out, err);
}

int mq_reader_read_text_at(mq_reader *rd, const char *text, size_t len,
                           const mq_text_pos *origin, mq_reading **out, mq_error *err)
{
    *out = NULL;
    mq_error e = { 0 };
    char *clean = origin ? mq_text_clean_at(text, len, origin, NULL, &e)
                         : mq_text_clean(text, len, &e);
    int rc = clean ? mq_reader_read(rd, clean, strlen(clean), out, &e) : e.code;
    free(clean);
    if ((rc == MQ_EINPUT && clean) || (rc == MQ_OK && (*out)->nunread)) {
        /* Only a message needs the places in TEXT (up to 40 bytes of map per
         * byte of text): the clean text is made again with its map, and read
         * again for the message, once, when there is one to give (an error,
         * or characters left unspoken). */
        mq_text_pos *at = NULL;
        mq_reading *again = NULL;
        mq_error m = { 0 };
        clean = mq_text_clean_at(text, len, origin, &at, &m);
        int rc2 = clean ? mq_reader_read_mapped(rd, clean, strlen(clean), at, &again, &m)
                        : m.code;
        if (rc == MQ_EINPUT && rc2 == MQ_EINPUT)
            e = m;
        else if (rc == MQ_OK && rc2 == MQ_OK)
            memcpy((*out)->unread_at, again->unread_at, sizeof again->unread_at);
        mq_reading_free(again);
        free(clean);
        free(at);
    }
    if (rc != MQ_OK && err)
        *err = e;
    return rc;
}

void mq_reading_free(mq_reading *r)
{
    if (!r)
        return;
    free(r->text);
    free(r->pinyin);
    free(r->spoken);
    free(r->phrases);
    free(r->sentences);
    free(r);
}

size_t mq_reading_phrase_count(const mq_reading *r) { return r->nphrases; }
const mq_phrase *mq_reading_phrase(const mq_reading *r, size_t i)
{
    return i < r->nphrases ? &r->phrases[i] : NULL;
}
size_t mq_reading_sentence_count(const mq_reading *r) { return r->nsentences; }
const mq_sentence *mq_reading_sentence(const mq_reading *r, size_t i)
{
    return i < r->nsentences ? &r->sentences[i] : NULL;
}
size_t mq_reading_syllables(const mq_reading *r) { return r->nsyl; }

size_t mq_reading_unread_count(const mq_reading *r) { return r ? r->nunread : 0; }

int mq_reading_unread(const mq_reading *r, size_t i, char ch[5], int *line, int *column)
{
    if (!r || i >= r->nunread || i >= MQ_UNREAD_KEPT)
        return 0;
    ch[mq_utf8_put(r->unread_cp[i], ch)] = '\0';
    *line = r->unread_at[i].line;
    *column = r->unread_at[i].column;
    return 1;
}

char *mq_reading_format(const mq_reading *r)
{
    size_t n = 1;
    for (size_t i = 0; i < r->nphrases; i++)
        n += strlen(r->phrases[i].pinyin) + 3;
    char *s = malloc(n), *w = s;
    if (!s)
        return NULL;
    *w = '\0';
    for (size_t i = 0; i < r->nphrases; i++)
        w += sprintf(w, "%s%s", i ? " | " : "", r->phrases[i].pinyin);
    return s;
}
