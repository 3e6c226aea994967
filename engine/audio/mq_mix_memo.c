/*
 * mq_mix_memo.c — looped beds decoded once per mix; see mq_mix_int.h.
 *
 * A bed loops for as long as the speech over it lasts: a 24 s Ogg bed under
 * 1000 s of speech was decoded (and resampled) 42 times, and measured again
 * for every item: libvorbis alone was a tenth of a render. A pass short enough is decoded
 * once into memory and measured once; every later pass, and every later item
 * with the same file and trim, plays from there. mq_clip's output does not
 * depend on how it is read (libsndfile, single-threaded soxr restarted at
 * every seek), so the frames are exactly those streaming gives.
 */
#include "mq_mix_int.h"
#include "mq_loudness.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int mq_pass_loudness(int rate, int channels, mq_clip *c, const float *mem, long long len,
                     double *lufs, mq_error *err)
{
    mq_meter *meter;
    int rc = mq_meter_create_integrated(rate, channels, &meter, err);
    if (rc != MQ_OK)
        return rc;
    size_t block = 8192;
    float *buf = mem ? NULL : malloc(block * (size_t)channels * sizeof *buf);
    if (!mem && !buf) {
        mq_meter_free(meter);
        return mq_error_set(err, MQ_ENOMEM, "out of memory");
    }
    for (long long done = 0; done < len && rc == MQ_OK;) {
        size_t want = len - done < (long long)block ? (size_t)(len - done) : block;
        const float *p = mem ? mem + (size_t)done * (size_t)channels : buf;
        long got = mem ? (long)want : mq_clip_read(c, buf, want, err);
        if (got <= 0) {
            rc = got < 0 ? (int)got : MQ_OK;
            break;
        }
        rc = mq_meter_add(meter, p, (size_t)got, err);
        done += got;
    }
    *lufs = mq_meter_integrated(meter);
    free(buf);
    mq_meter_free(meter);
    return rc;
}

static void memo_free(mq_memo *mo)
{
    if (mo) {
        free(mo->path);
        free(mo->data);
        free(mo);
    }
}

/* Decodes and measures MO's pass from C; MQ_OK or an error (MO left to free). */
static int fill(mq_memo *mo, mq_clip *c, int measure, mq_error *err)
{
    int ch = mq_clip_channels(c);
    mo->data = malloc((size_t)mo->len * (size_t)ch * sizeof *mo->data);
    if (!mo->data)
        return MQ_ENOMEM;
    int rc = mq_clip_seek(c, mo->start, err);
    if (rc != MQ_OK)
        return rc;
    long got = mq_clip_read(c, mo->data, (size_t)mo->len, err);
    if (got < 0)
        return (int)got;
    mo->frames = got;
    mo->lufs = -INFINITY;
    if (measure)
        return mq_pass_loudness(mq_clip_rate(c), ch, NULL, mo->data, mo->frames, &mo->lufs, err);
    return MQ_OK;
}

const mq_memo *mq_memo_get(mq_memos *ms, mq_clip *c, const char *path, double start,
                           long long len, int measure)
{
    for (mq_memo *mo = ms->head; mo; mo = mo->next)
        if (mo->start == start && mo->len == len && !strcmp(mo->path, path))
            return mo;
    if (len <= 0 || (double)len > MQ_MEMO_SECONDS * mq_clip_rate(c))
        return NULL;
    size_t bytes = (size_t)len * (size_t)mq_clip_channels(c) * sizeof(float);
    if (ms->bytes > ms->budget || bytes > ms->budget - ms->bytes)
        return NULL;
    mq_memo *mo = calloc(1, sizeof *mo);
    if (!mo || !(mo->path = strdup(path))) {
        free(mo);
        return NULL;
    }
    mo->start = start;
    mo->len = len;
    mq_error e = { 0 };
    ms->decodes++;
    if (fill(mo, c, measure, &e) != MQ_OK) {
        memo_free(mo);
        return NULL;
    }
    ms->bytes += bytes;
    mo->next = ms->head;
    ms->head = mo;
    return mo;
}

void mq_memos_free(mq_memos *ms)
{
    while (ms->head) {
        mq_memo *next = ms->head->next;
        memo_free(ms->head);
        ms->head = next;
    }
    ms->bytes = 0;
}
