/*
 * fuzz_text.c — libFuzzer target: the text stage on arbitrary bytes —
 * mq_text_clean_mapped, then mq_reader_read_mapped of the clean text (given
 * exactly its length, without a terminating NUL, so reads past the end are
 * caught; the map exactly its length + 1 places, each inside the input), then
 * everything a caller reads from the reading; and mq_text_places of the
 * clean text in the raw input (as if the input were the value as written),
 * each place found inside the input. Needs voices/lexicon (run from the
 * repository root).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../engine/text/mq_text.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static mq_reader *reader(void)
{
    static mq_reader *rd;
    if (!rd) {
        mq_error err;
        if (mq_reader_create("voices/lexicon", &rd, &err) != MQ_OK)
            abort();  /* not the input's fault: the harness runs in the wrong place */
    }
    return rd;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    mq_reader *rd = reader();
    mq_error err;
    mq_text_pos *map = NULL;
    char *clean = mq_text_clean_mapped((const char *)data, size, &map, &err);
    if (!clean)
        return 0;
    size_t n = strlen(clean);
    char *exact = malloc(n ? n : 1);
    mq_text_pos *at = malloc((n + 1) * sizeof *at);
    if (!exact || !at) {
        free(exact);
        free(at);
        free(map);
        free(clean);
        return 0;
    }
    memcpy(exact, clean, n);
    memcpy(at, map, (n + 1) * sizeof *at);
    free(map);
    free(clean);
    /* Every place is one in the input: lines and columns from 1, no further
     * than it has bytes. */
    for (size_t i = 0; i <= n; i++)
        if (at[i].line < 1 || at[i].column < 1 || (size_t)at[i].line > size + 1 ||
            (size_t)at[i].column > size + 1)
            abort();
    mq_text_pos *pl = NULL;
    if (mq_text_places(exact, n, (const char *)data, size, 1, 1, &pl) == MQ_OK) {
        for (size_t i = 0; i <= n; i++)
            if (pl[i].line < 1 || pl[i].column < 1 || (size_t)pl[i].line > size + 1 ||
                (size_t)pl[i].column > size + 1)
                abort();
        free(pl);
    }
    mq_reading *r = NULL;
    if (mq_reader_read_mapped(rd, exact, n, at, &r, &err) == MQ_OK) {
        size_t sum = mq_reading_syllables(r);
        for (size_t i = 0; i < mq_reading_phrase_count(r); i++) {
            const mq_phrase *ph = mq_reading_phrase(r, i);
            sum += strlen(ph->pinyin) + strlen(ph->spoken) + (size_t)ph->end;
        }
        for (size_t i = 0; i < mq_reading_sentence_count(r); i++)
            sum += strlen(mq_reading_sentence(r, i)->text);
        free(mq_reading_format(r));
        (void)sum;
        mq_reading_free(r);
    }
    free(exact);
    free(at);
    return 0;
}
