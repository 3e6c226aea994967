/*
 * mq_program_lexicon.c — program-wide reading fixes: `lexicon:` as a
 * mapping of text to pinyin, a lexicon file, or a list of those; and the
 * pinyin check they share.
 *
 * A lexicon file is UTF-8 text, one entry a line: TEXT, a tab or space, then
 * the pinyin. When a line holds a tab, the text ends at the first tab (so it
 * may hold spaces); otherwise at the first space. Blank lines and lines
 * starting with # are skipped.
 */
#include "mq_program_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int add_entry(mq_loader *ld, const char *text, const char *pinyin, const char *file,
                     int line, int column)
{
    mq_program *p = ld->prog;
    if (p->n_lex == p->cap_lex) {
        size_t cap = p->cap_lex ? p->cap_lex * 2 : 16;
        mq_lex_entry *n = realloc(p->lex, cap * sizeof *n);
        if (!n) {
            ld->nomem = 1;
            return -1;
        }
        p->lex = n;
        p->cap_lex = cap;
    }
    p->lex[p->n_lex++] = (mq_lex_entry){ text, pinyin, file, line, column };
    return 0;
}

char *mq_pinyin_normalize(mq_loader *ld, const char *s, size_t len, char *why, size_t why_size,
                          size_t *bad_at)
{
    /* ü is two bytes and becomes one, so the copy never grows. */
    char *out = mq_arena_alloc(&ld->prog->arena, len + 1);
    size_t o = 0, i = 0;
    *bad_at = 0;
    if (!out) {
        ld->nomem = 1;
        snprintf(why, why_size, "out of memory");
        return NULL;
    }
    while (i < len) {
        while (i < len && (s[i] == ' ' || s[i] == '\t'))
            i++;
        if (i == len)
            break;
        size_t start = i, letters = 0;
        int bad = 0;
        if (o)
            out[o++] = ' ';
        while (i < len && s[i] != ' ' && s[i] != '\t' && !(s[i] >= '0' && s[i] <= '9')) {
            if (s[i] >= 'a' && s[i] <= 'z') {
                out[o++] = s[i++];
            } else if (i + 1 < len && (unsigned char)s[i] == 0xC3 &&
                       (unsigned char)s[i + 1] == 0xBC) {
                out[o++] = 'v';
                i += 2;
            } else {
                bad = 1;
                i++;
            }
            letters++;
        }
        int tone = i < len && s[i] >= '0' && s[i] <= '9' ? s[i++] - '0' : -1;
        size_t end = i;
        while (end < len && s[end] != ' ' && s[end] != '\t')
            end++;
        char q[96];
        mq_quote(s + start, end - start, q, sizeof q);
        *bad_at = start;
        if (bad || letters == 0 || end != i) {
            snprintf(why, why_size, "'%s' is not lower-case letters followed by a tone digit 1-5",
                     q);
            return NULL;
        }
        if (tone < 0) {
            snprintf(why, why_size, "'%s' has no tone digit 1-5", q);
            return NULL;
        }
        if (tone < 1 || tone > 5) {
            snprintf(why, why_size, "'%s' has tone %d; tones are 1-5", q, tone);
            return NULL;
        }
        out[o++] = (char)('0' + tone);
    }
    out[o] = '\0';
    if (o == 0) {
        snprintf(why, why_size, "no pinyin given");
        return NULL;
    }
    return out;
}

static void map_entries(mq_loader *ld, const mq_node *m)
{
    for (size_t i = 0; i + 1 < m->n_kids; i += 2) {
        const mq_node *k = m->kids[i], *v = m->kids[i + 1];
        char q[96], why[256];
        if (k->is_null || k->len == 0 || memchr(k->str, '\0', k->len)) {
            mq_ld_error(ld, k, "a lexicon entry needs the text it fixes");
            continue;
        }
        mq_quote(k->str, k->len, q, sizeof q);
        if (v->type != MQ_NODE_SCALAR || v->is_null) {
            mq_ld_error(ld, v, "the reading of '%s' must be pinyin such as wu1 la1, not %s", q,
                        mq_node_what(v));
            continue;
        }
        size_t bad_at;
        char *py = mq_pinyin_normalize(ld, v->str, v->len, why, sizeof why, &bad_at);
        if (!py) {
            if (!ld->nomem)
                mq_ld_error(ld, v, "bad pinyin for '%s': %s", q, why);
            continue;
        }
        char *text = mq_arena_strndup(&ld->prog->arena, k->str, k->len);
        if (!text) {
            ld->nomem = 1;
            return;
        }
        add_entry(ld, text, py, ld->prog->file, k->line, k->column);
    }
}

static void file_entries(mq_loader *ld, const mq_node *v)
{
    const char *source, *path = mq_ld_path(ld, v, "lexicon", &source);
    size_t len;
    char *t = path ? mq_ld_text_file(ld, v, path, source, MQ_LEXICON_MAX_BYTES, &len) : NULL;
    if (!t)
        return;
    int line = 0;
    for (char *ln = t, *next; ln < t + len && !ld->nomem; ln = next) {
        char *nl = memchr(ln, '\n', (size_t)(t + len - ln));
        next = nl ? nl + 1 : t + len;
        char *e = nl ? nl : t + len;
        line++;
        if (e > ln && e[-1] == '\r')
            e--;
        *e = '\0';  /* the text is ours: cut the line in place */
        char *b = ln + strspn(ln, " \t");
        if (!*b || *b == '#')
            continue;
        char *sep = strchr(b, '\t');
        if (!sep)
            sep = strchr(b, ' ');
        char q[96], why[256];
        if (!sep) {
            mq_ld_error_at(ld, path, line, 1, "lexicon entry '%s' has no pinyin",
                           mq_quote(b, strlen(b), q, sizeof q));
            continue;
        }
        *sep = '\0';
        mq_quote(b, strlen(b), q, sizeof q);
        size_t bad_at;
        char *py = mq_pinyin_normalize(ld, sep + 1, strlen(sep + 1), why, sizeof why, &bad_at);
        if (!py) {
            if (!ld->nomem) {
                int l, c;
                /* Lines are cut in place, so count within this one. */
                mq_text_position(ln, (size_t)(sep + 1 + bad_at - ln), &l, &c);
                mq_ld_error_at(ld, path, line, c, "bad pinyin for '%s': %s", q, why);
            }
            continue;
        }
        add_entry(ld, b, py, path, line, (int)(b - ln) + 1);
    }
}

void mq_ld_lexicon(mq_loader *ld, const mq_node *lex)
{
    if (lex->type == MQ_NODE_MAP) {
        map_entries(ld, lex);
    } else if (lex->type == MQ_NODE_SCALAR) {
        if (lex->is_null)
            return;
        file_entries(ld, lex);
    } else {
        for (size_t i = 0; i < lex->n_kids; i++) {
            const mq_node *e = lex->kids[i];
            if (e->type == MQ_NODE_MAP)
                map_entries(ld, e);
            else if (e->type == MQ_NODE_SCALAR && !e->is_null)
                file_entries(ld, e);
            else
                mq_ld_error(ld, e, "a lexicon list holds mappings of text to pinyin and lexicon "
                                   "file paths, not %s", mq_node_what(e));
        }
    }
}
