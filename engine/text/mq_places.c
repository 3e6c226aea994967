/* mq_places.c — where the characters of a YAML value stand in the program
 * file; see mq_text.h. */
#include "mq_text.h"

#include <stdlib.h>
#include <string.h>

/* Bytes in the UTF-8 sequence that starts with B (1 for a stray byte). */
static size_t seq_len(unsigned char b)
{
    return b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : b >= 0xC0 ? 2 : 1;
}

/* What YAML may put between the characters of a value as written and leaves
 * out of the value: quotes, line breaks, indentation, a backslash that joins
 * lines in a double-quoted value. */
static int skippable(const char *s, size_t i, size_t n)
{
    const char c = s[i];
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '"' || c == '\'' ||
           (c == '\\' && i + 1 < n && (s[i + 1] == '\n' || s[i + 1] == '\r'));
}

int mq_text_places(const char *text, size_t len, const char *src, size_t src_len, int line,
                   int column, mq_text_pos **places)
{
    *places = NULL;
    if (!text || !src || line < 1 || column < 1)
        return MQ_EINPUT;
    mq_text_pos *at = malloc((len + 1) * sizeof *at);
    if (!at)
        return MQ_ENOMEM;
    size_t i = 0;
    /* A block scalar's header line (| or > and its indicators, perhaps a
     * comment) holds none of the value. */
    if (src_len > 0 && (src[0] == '|' || src[0] == '>')) {
        while (i < src_len && src[i] != '\n')
            i++;
        if (i < src_len) {
            i++;
            line++;
            column = 1;
        }
    }
    for (size_t b = 0; b < len;) {
        size_t k = seq_len((unsigned char)text[b]);
        if (k > len - b)
            k = len - b;
        for (;;) {
            if (i + k <= src_len && !memcmp(src + i, text + b, k))
                break;
            if (i >= src_len || !skippable(src, i, src_len)) {
                free(at);
                return MQ_EINPUT;  /* an escape, or not this value: no places */
            }
            if (src[i] == '\n') {
                line++;
                column = 1;
            } else {
                column++;
            }
            i++;
        }
        for (size_t q = 0; q < k; q++)
            at[b + q] = (mq_text_pos){ line, column };
        if (text[b] == '\n') {
            line++;
            column = 1;
        } else {
            column++;
        }
        i += k;
        b += k;
    }
    at[len] = (mq_text_pos){ line, column };
    *places = at;
    return MQ_OK;
}
