/* mq_mix_voice.c — one sounding item rendered into a block; see mq_mix_int.h. */
#include "mq_mix_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void mq_voice_release(mq_voice *v)
{
    mq_buf_free(&v->speech);
    mq_clip_free(v->clip);
    free(v->duck);
    memset(v, 0, sizeof *v);
}

/* Equal-power fade: sin over a quarter period, so a fade-out (cos) and a
 * fade-in (sin) of the same length sum to constant power. */
static double fade_gain(const mq_voice *v, long long t)
{
    double g = 1.0;
    if (v->fade_in > 0 && t < v->fade_in)
        g *= sin(M_PI / 2 * (double)t / (double)v->fade_in);
    long long from_end = v->len - t;
    if (v->fade_out > 0 && from_end <= v->fade_out)
        g *= sin(M_PI / 2 * (double)(from_end > 0 ? from_end : 0) / (double)v->fade_out);
    return g;
}

static double duck_db(const mq_voice *v, long long t, size_t *hint)
{
    if (!v->nduck)
        return 0.0;
    size_t k = *hint;
    while (k + 1 < v->nduck && v->duck[k + 1].frame <= t)
        k++;
    *hint = k;
    const mq_duck_pt *a = &v->duck[k];
    if (t < a->frame)
        return k == 0 ? a->db : a->db;
    if (k + 1 >= v->nduck)
        return a->db;
    const mq_duck_pt *b = &v->duck[k + 1];
    return a->db + (b->db - a->db) * (double)(t - a->frame) / (double)(b->frame - a->frame);
}

/* Fills SCRATCH with N frames of the source from voice position T. */
static int source(mq_voice *v, long long t, size_t n, int channels, float *scratch,
                  mq_error *err)
{
    if (v->kind == V_SPEECH) {
        for (size_t i = 0; i < n; i++) {
            long long s = t + (long long)i - v->speech_off;
            float x = (s >= 0 && s < (long long)v->speech.frames) ? v->speech.data[s] : 0.0f;
            for (int c = 0; c < channels; c++)
                scratch[i * (size_t)channels + (size_t)c] = x;
        }
        return MQ_OK;
    }
    /* Audio files are read strictly in order: blocks arrive in time order. */
    size_t done = 0;
    while (done < n) {
        if (v->clip_pos >= v->clip_len) {
            if (!v->loop)
                break;
            int rc = mq_clip_seek(v->clip, v->clip_start, err);
            if (rc != MQ_OK)
                return rc;
            v->clip_pos = 0;
        }
        size_t want = n - done;
        if ((long long)want > v->clip_len - v->clip_pos)
            want = (size_t)(v->clip_len - v->clip_pos);
        long got = mq_clip_read(v->clip, scratch + done * (size_t)channels, want, err);
        if (got < 0)
            return (int)got;
        if (got == 0) {
            /* The file ended before its announced length: treat it as the end of a pass. */
            v->clip_len = v->clip_pos;
            if (!v->loop || v->clip_len == 0)
                break;
            continue;
        }
        done += (size_t)got;
        v->clip_pos += got;
    }
    memset(scratch + done * (size_t)channels, 0, (n - done) * (size_t)channels * sizeof *scratch);
    return MQ_OK;
}

int mq_voice_mix(mq_voice *v, long long from, size_t n, int channels, float *out,
                 float *scratch, mq_error *err)
{
    long long a = from > v->t0 ? from : v->t0;
    long long b = from + (long long)n < v->t0 + v->len ? from + (long long)n : v->t0 + v->len;
    if (b <= a)
        return MQ_OK;
    size_t count = (size_t)(b - a);
    int rc = source(v, a - v->t0, count, channels, scratch, err);
    if (rc != MQ_OK)
        return rc;
    size_t hint = 0;
    float *dst = out + (size_t)(a - from) * (size_t)channels;
    /* The duck's gain is computed every 32 frames and interpolated between:
     * its ramps last hundreds of milliseconds, and pow() per frame was a
     * tenth of a whole render. */
    double dg0 = 1.0, dg1 = 1.0;
    for (size_t i = 0; i < count; i++) {
        long long t = a - v->t0 + (long long)i;
        double g = v->gain * fade_gain(v, t);
        if (v->nduck) {
            if (i % 32 == 0) {
                dg0 = pow(10.0, duck_db(v, t, &hint) / 20.0);
                size_t h2 = hint;
                dg1 = pow(10.0, duck_db(v, t + 32, &h2) / 20.0);
            }
            g *= dg0 + (dg1 - dg0) * (double)(i % 32) / 32.0;
        }
        for (int c = 0; c < channels; c++)
            dst[i * (size_t)channels + (size_t)c] += (float)(g * scratch[i * (size_t)channels + (size_t)c]);
    }
    return MQ_OK;
}
