/*
 * fuzz_voice.c — libFuzzer target: the voice preset loader (voices/NAME.yaml),
 * from a memory buffer.
 */
#include <stddef.h>
#include <stdint.h>

#include "../../engine/speech/mq_voice.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    mq_diags *d = mq_diags_create();
    if (!d)
        return 0;
    mq_error err;
    mq_error_clear(&err);
    mq_voice *v = NULL;
    char buf[MQ_ERROR_MSG_MAX + 256];
    if (mq_voice_load_buffer((const char *)data, size, "voices/fuzz.yaml", &v, d, &err) == MQ_OK)
        mq_voice_free(v);
    for (size_t i = 0; i < mq_diags_stored(d); i++)
        mq_diag_format(mq_diags_get(d, i), buf, sizeof buf);
    mq_diags_free(d);
    return 0;
}
