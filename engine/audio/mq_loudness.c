/*
 * mq_loudness.c — the loudness meter: a thin wrapper over libebur128, which
 * implements ITU-R BS.1770-4 (K-weighting, 400 ms gating blocks with 75 %
 * overlap, -70 LUFS absolute and -10 LU relative gates, 4x true-peak
 * oversampling), EBU Tech 3341 (momentary, short-term, integrated) and EBU
 * Tech 3342 (loudness range). See mq_loudness.h; the limiter is in
 * mq_limiter.c.
 */
#include "mq_loudness.h"

#include <ebur128.h>
#include <math.h>
#include <stdlib.h>

#define MQ_RATE_MIN 8000
#define MQ_RATE_MAX 384000
#define MQ_CHANNELS_MAX 8

struct mq_meter {
    ebur128_state *st;
    int channels;
    size_t block;      /* frames in 100 ms, rounded as libebur128 does */
    size_t in_block;   /* frames added since the last 100 ms boundary */
    double max_m;      /* largest momentary loudness at a boundary, LUFS */
    double max_s;      /* largest short-term loudness at a boundary, LUFS */
};

/* libebur128 reports silence as -HUGE_VAL; make that an explicit -INFINITY. */
static double lufs_or_silence(double v)
{
    return isinf(v) && v < 0 ? -INFINITY : v;
}

static int create(int rate, int channels, int mode, mq_meter **out, mq_error *err)
{
    if (out)
        *out = NULL;
    if (!out)
        return mq_error_set(err, MQ_EINVAL, "loudness meter: no place for the result");
    if (rate < MQ_RATE_MIN || rate > MQ_RATE_MAX)
        return mq_error_set(err, MQ_EINVAL,
                            "loudness meter: sample rate %d Hz out of range (%d..%d)", rate,
                            MQ_RATE_MIN, MQ_RATE_MAX);
    if (channels < 1 || channels > MQ_CHANNELS_MAX)
        return mq_error_set(err, MQ_EINVAL,
                            "loudness meter: %d channels out of range (1..%d)", channels,
                            MQ_CHANNELS_MAX);
    mq_meter *m = calloc(1, sizeof *m);
    if (!m)
        return mq_error_set(err, MQ_ENOMEM, "loudness meter: out of memory");
    m->st = ebur128_init((unsigned)channels, (unsigned long)rate, mode);
    if (!m->st) {
        free(m);
        return mq_error_set(err, MQ_ENOMEM, "loudness meter: libebur128 could not start "
                                            "(out of memory)");
    }
    m->channels = channels;
    m->block = ((size_t)rate + 5) / 10;
    m->max_m = m->max_s = -INFINITY;
    *out = m;
    return MQ_OK;
}

int mq_meter_create(int rate, int channels, mq_meter **out, mq_error *err)
{
    return create(rate, channels, EBUR128_MODE_I | EBUR128_MODE_LRA | EBUR128_MODE_M |
                  EBUR128_MODE_S | EBUR128_MODE_TRUE_PEAK, out, err);
}

int mq_meter_create_integrated(int rate, int channels, mq_meter **out, mq_error *err)
{
    return create(rate, channels, EBUR128_MODE_I, out, err);
}

int mq_meter_add(mq_meter *m, const float *frames, size_t n, mq_error *err)
{
    if (!m || (!frames && n > 0))
        return mq_error_set(err, MQ_EINVAL, "loudness meter: no meter or no samples");
    while (n > 0) {
        size_t k = m->block - m->in_block;
        if (k > n)
            k = n;
        if (ebur128_add_frames_float(m->st, frames, k) != EBUR128_SUCCESS)
            return mq_error_set(err, MQ_ENOMEM, "loudness meter: out of memory");
        frames += k * (size_t)m->channels;
        n -= k;
        m->in_block += k;
        if (m->in_block == m->block) {
            m->in_block = 0;
            double v;
            if (ebur128_loudness_momentary(m->st, &v) == EBUR128_SUCCESS && v > m->max_m)
                m->max_m = v;
            if (ebur128_loudness_shortterm(m->st, &v) == EBUR128_SUCCESS && v > m->max_s)
                m->max_s = v;
        }
    }
    return MQ_OK;
}

double mq_meter_integrated(mq_meter *m)
{
    double v;
    if (!m || ebur128_loudness_global(m->st, &v) != EBUR128_SUCCESS)
        return NAN;
    return lufs_or_silence(v);
}

double mq_meter_true_peak(mq_meter *m)
{
    if (!m)
        return NAN;
    double peak = 0;
    for (int c = 0; c < m->channels; c++) {
        double v;
        if (ebur128_true_peak(m->st, (unsigned)c, &v) != EBUR128_SUCCESS)
            return NAN;
        if (v > peak)
            peak = v;
    }
    return peak > 0 ? 20.0 * log10(peak) : -INFINITY;
}

double mq_meter_range(mq_meter *m)
{
    double v;
    if (!m || ebur128_loudness_range(m->st, &v) != EBUR128_SUCCESS)
        return NAN;
    return v;
}

double mq_meter_momentary(mq_meter *m)
{
    double v;
    if (!m || ebur128_loudness_momentary(m->st, &v) != EBUR128_SUCCESS)
        return NAN;
    return lufs_or_silence(v);
}

double mq_meter_short_term(mq_meter *m)
{
    double v;
    if (!m || ebur128_loudness_shortterm(m->st, &v) != EBUR128_SUCCESS)
        return NAN;
    return lufs_or_silence(v);
}

double mq_meter_max_momentary(const mq_meter *m)
{
    return m ? m->max_m : NAN;
}

double mq_meter_max_short_term(const mq_meter *m)
{
    return m ? m->max_s : NAN;
}

void mq_meter_free(mq_meter *m)
{
    if (!m)
        return;
    if (m->st)
        ebur128_destroy(&m->st);
    free(m);
}

int mq_loudness_of(const float *frames, size_t n, int rate, int channels, double *lufs,
                   double *dbtp, mq_error *err)
{
    if (!frames && n > 0)
        return mq_error_set(err, MQ_EINVAL, "loudness: no samples");
    mq_meter *m = NULL;
    /* True peak is most of libebur128's work: only when asked for. */
    int rc = dbtp ? mq_meter_create(rate, channels, &m, err)
                  : mq_meter_create_integrated(rate, channels, &m, err);
    if (rc != MQ_OK)
        return rc;
    rc = mq_meter_add(m, frames, n, err);
    if (rc == MQ_OK) {
        if (lufs)
            *lufs = mq_meter_integrated(m);
        if (dbtp)
            *dbtp = mq_meter_true_peak(m);
    }
    mq_meter_free(m);
    return rc;
}

int mq_meter_channels(const mq_meter *m)
{
    return m ? m->channels : 0;
}
