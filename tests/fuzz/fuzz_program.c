/*
 * fuzz_program.c — libFuzzer target: the program loader, from a memory buffer.
 * Any bytes must either load or be refused with diagnostics; never crash,
 * leak, hang or blow up memory. Relative paths resolve against scripts/, so
 * the seed programs find their texts and music (run from the repository root).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "../../engine/program/mq_program.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const voices[] = { "announcer", "elder-slow", "host-female", "narrator" };
    mq_program_opts opts = { .voices = voices, .n_voices = 4, .default_voice = NULL };
    mq_diags *d = mq_diags_create();
    if (!d)
        return 0;
    mq_error err;
    mq_error_clear(&err);
    mq_program *p = NULL;
    int rc = mq_program_load_buffer((const char *)data, size, "fuzz.yaml", "scripts", &opts, &p,
                                    d, &err);
    if (rc == MQ_OK) {
        /* Walk everything a caller may look at. */
        size_t sum = 0;
        sum += mq_program_title(p) ? 1 : 0;
        for (size_t i = 0; i < mq_program_item_count(p); i++) {
            const mq_item *it = mq_program_item(p, i);
            sum += it->text ? 1 : 0;
            sum += mq_item_kind_name(it->kind)[0];
        }
        for (size_t i = 0; i < mq_program_lexicon_count(p); i++)
            sum += mq_program_lexicon(p, i)->pinyin[0];
        (void)sum;
        mq_program_free(p);
    } else {
        char buf[MQ_ERROR_MSG_MAX + 256];
        for (size_t i = 0; i < mq_diags_stored(d); i++)
            mq_diag_format(mq_diags_get(d, i), buf, sizeof buf);
    }
    mq_diags_free(d);
    return 0;
}
