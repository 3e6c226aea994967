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
#include <string.h>

#define MQ_RATE_MIN 8000
#define MQ_RATE_MAX 384000
#define MQ_CHANNELS_MAX 8

/*
 * True peak (ITU-R BS.1770-4 Annex 2: 4x oversampling below 96 kHz, 2x below
 * 192 kHz, none above), found sparsely: a point between samples can exceed
 * the largest sample near it at most by the factor l1 (the largest sum of
 * |taps| of any phase), so a chunk whose samples, times l1, stay under the
 * peak found so far cannot raise it and is not interpolated. In a normalized
 * programme almost every chunk is skipped, where libebur128 interpolates all
 * of them (it was more than half of an export's time). The interpolator is
 * libebur128's: a Hann-windowed sinc of 12 taps per phase at 4x.
 */
#define TP_TAPS_MAX 24
#define TP_CHUNK 256

typedef struct tpeak {
    int factor, taps;          /* oversampling; taps per phase (2 * half-width) */
    double h[4][TP_TAPS_MAX];  /* phase q (1..factor-1) in h[q - 1]; oldest first */
    double l1;
    float *hist;               /* per channel: the last taps - 1 samples, oldest first */
    double peak;               /* linear, the largest so far */
} tpeak;

struct mq_meter {
    ebur128_state *st;
    tpeak *tp;                 /* NULL when true peak is not measured */
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

static double tp_hann_sinc(double d, int half)
{
    if (fabs(d) >= half)
        return 0;
    double sinc = fabs(d) < 1e-12 ? 1.0 : sin(M_PI * d) / (M_PI * d);
    return sinc * 0.5 * (1.0 + cos(M_PI * d / half));
}

static tpeak *tp_create(int rate, int channels)
{
    tpeak *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->factor = rate < 96000 ? 4 : rate < 192000 ? 2 : 1;
    int half = t->factor > 1 ? 24 / t->factor : 1;
    t->taps = 2 * half;
    t->l1 = 1.0;
    for (int q = 1; q < t->factor; q++) {
        double sum = 0;
        /* The point q/factor after sample half-1 of a window of taps samples. */
        for (int i = 0; i < t->taps; i++) {
            t->h[q - 1][i] = tp_hann_sinc(half - 1 + (double)q / t->factor - i, half);
            sum += fabs(t->h[q - 1][i]);
        }
        if (sum > t->l1)
            t->l1 = sum;
    }
    t->hist = calloc((size_t)channels * (size_t)t->taps, sizeof *t->hist);
    if (!t->hist) {
        free(t);
        return NULL;
    }
    return t;
}

static void tp_free(tpeak *t)
{
    if (t)
        free(t->hist);
    free(t);
}

/* Adds N frames of CH channels. */
static void tp_add(tpeak *t, const float *x, size_t n, int ch)
{
    size_t w = (size_t)t->taps - 1;   /* history length per channel */
    float win[TP_TAPS_MAX + TP_CHUNK];
    for (size_t a = 0; a < n; a += TP_CHUNK) {
        size_t b = n - a < TP_CHUNK ? n : a + TP_CHUNK, len = b - a;
        double m = 0;
        for (size_t k = a * (size_t)ch; k < b * (size_t)ch; k++)
            if (!(fabs(x[k]) <= m))
                m = fabs(x[k]);
        if (m > t->peak && !isnan(m))
            t->peak = m;
        for (size_t k = 0; k < (size_t)ch * w; k++)
            if (fabs(t->hist[k]) > m)
                m = fabs(t->hist[k]);
        int busy = t->factor > 1 && m * t->l1 > t->peak;
        for (int c = 0; c < ch; c++) {
            /* One contiguous window per channel: the history, then the chunk. */
            float *hist = t->hist + (size_t)c * w;
            memcpy(win, hist, w * sizeof *win);
            for (size_t i = 0; i < len; i++)
                win[w + i] = x[(a + i) * (size_t)ch + (size_t)c];
            for (size_t i = 0; busy && i < len; i++) {
                const float *wp = win + i;   /* taps samples ending at this one */
                for (int q = 0; q < t->factor - 1; q++) {
                    double acc = 0;
                    for (size_t j = 0; j <= w; j++)
                        acc += t->h[q][j] * wp[j];
                    if (fabs(acc) > t->peak)
                        t->peak = fabs(acc);
                }
            }
            memcpy(hist, win + len, w * sizeof *win);
        }
    }
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
    /* libebur128's mode bits nest (TRUE_PEAK includes SAMPLE_PEAK and M):
     * only the peak bits of their own are cleared. */
    int peak_bits = (EBUR128_MODE_TRUE_PEAK | EBUR128_MODE_SAMPLE_PEAK) & ~EBUR128_MODE_M;
    m->st = ebur128_init((unsigned)channels, (unsigned long)rate, mode & ~peak_bits);
    if (!m->st) {
        free(m);
        return mq_error_set(err, MQ_ENOMEM, "loudness meter: libebur128 could not start "
                                            "(out of memory)");
    }
    m->channels = channels;
    if ((mode & EBUR128_MODE_TRUE_PEAK) == EBUR128_MODE_TRUE_PEAK) {
        /* Our own sparse true peak instead of libebur128's (see tpeak). */
        if (!(m->tp = tp_create(rate, channels))) {
            ebur128_destroy(&m->st);
            free(m);
            return mq_error_set(err, MQ_ENOMEM, "loudness meter: out of memory");
        }
    }
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
    if (m->tp)
        tp_add(m->tp, frames, n, m->channels);
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
    if (!m || !m->tp)
        return NAN;
    double peak = m->tp->peak;
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
    tp_free(m->tp);
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
