/*
 * mq_loudness.c — the loudness meter: ITU-R BS.1770-4 (K-weighting, 400 ms
 * gating blocks with 75 % overlap, -70 LUFS absolute and -10 LU relative
 * gates, 4x true-peak oversampling), EBU Tech 3341 (momentary, short-term,
 * integrated) and EBU Tech 3342 (loudness range). See mq_loudness.h; the
 * limiter is in mq_limiter.c.
 *
 * Why not libebur128, which implements the same: it took 20 ns per stereo
 * frame here (its filter runs channel by channel through a generic 4th-order
 * section with per-sample bookkeeping), and an export measures the whole
 * programme twice; that was half of every render. This meter keeps only the
 * K-weighted energy of each 100 ms block — everything BS.1770 and Tech
 * 3341/3342 derive (gating blocks, momentary, short-term, LRA) is a sum of
 * consecutive blocks — and filters two channels in one loop: about 3 ns per
 * stereo frame. libebur128 stays the reference it is tested against
 * (test_loudness: integrated, LRA, maxima within 0.01 LU on several rates
 * and channel counts), with ffmpeg's ebur128 filter as a second.
 */
#include "mq_loudness.h"
#include "mq_audio.h"
#include "mq_polyphase.h"

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
#define TP_BLOCK MQ_PP_POINTS  /* points of each phase summed at once */

typedef struct tpeak {
    int factor, taps;          /* oversampling; taps per phase (2 * half-width) */
    double h[4][TP_TAPS_MAX];  /* phase q (1..factor-1) in h[q - 1]; oldest first */
    mq_pp_v4 hv[3][TP_TAPS_MAX];   /* the same taps as floats, in every lane */
    double l1;
    float *hist;               /* per channel: the last taps - 1 samples, oldest first */
    double peak;               /* linear, the largest so far */
} tpeak;

struct mq_meter {
    tpeak *tp;                 /* NULL when true peak is not measured */
    int channels, full;        /* full: M, S, LRA and true peak too */
    double b[2][3], a[2][3];   /* K-weighting: shelf, then RLB high-pass */
    double z[MQ_CHANNELS_MAX][6];   /* filter states per channel */
    double g[MQ_CHANNELS_MAX];      /* channel weights */
    double acc[MQ_CHANNELS_MAX];    /* sum of squares in the current block */
    size_t block;      /* frames in 100 ms, rounded as libebur128 does */
    size_t in_block;   /* frames added since the last 100 ms boundary */
    double *blocks;    /* weighted mean square of every 100 ms block */
    size_t nblocks, cap;
    double max_m;      /* largest momentary loudness at a boundary, LUFS */
    double max_s;      /* largest short-term loudness at a boundary, LUFS */
};

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
    for (int q = 0; q < 3; q++)
        for (int i = 0; i < t->taps; i++)
            t->hv[q][i] = mq_pp_tap(t->h[q][i]);
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

/* A float sum of TAPS products exceeds the exact one by at most about
 * (taps + 1) * 2^-24 of the sum of |products| (the classic bound on
 * recursive summation, Higham, "Accuracy and Stability of Numerical
 * Algorithms", 2nd ed., 4.2), and the taps rounded to float add 2^-24: for
 * 24 taps, under 2e-6. TP_SLACK covers it with room to spare. */
#define TP_SLACK (1.0 + 1e-4)

/* The largest of PEAK and the magnitudes of the interpolated points of one
 * channel's chunk: WIN holds the history (taps - 1 samples), then LEN new
 * ones, then zeros up to two more whole TP_BLOCKs. The points are summed in
 * float over the taps in order (mq_polyphase.h; float sums are within 1e-6
 * of the exact value, far below what a peak reading resolves), 8 at a time;
 * 8 points whose window of samples stays below PEAK / (l1 * slack) cannot
 * raise it, and are not summed (most of a chunk lies away from its loudest
 * sample). Only finite samples come here: tp_add stops interpolating for
 * good once the peak is infinite. */
static double tp_chunk(const tpeak *t, const float *win, size_t len, double peak)
{
    const int phases = t->factor - 1;
    const mq_pp_v4 *const h[3] = { t->hv[0], t->hv[1], t->hv[2] };
    /* Block b's points span win[8b, 8b + taps + 7): groups b .. b + g - 1 of
     * 8 samples. */
    const size_t nb = (len + TP_BLOCK - 1) / TP_BLOCK;
    const size_t g = ((size_t)t->taps + 2 * TP_BLOCK - 2) / TP_BLOCK;
    float gmax[(TP_TAPS_MAX + TP_CHUNK) / TP_BLOCK + 4];
    for (size_t j = 0; j < nb + g - 1; j++) {
        float m = 0;
        for (size_t e = 0; e < TP_BLOCK; e++) {
            const float a = fabsf(win[j * TP_BLOCK + e]);
            m = a > m ? a : m;
        }
        gmax[j] = m;
    }
    for (size_t b = 0; b < nb; b++) {
        float m = 0;
        for (size_t j = b; j < b + g; j++)
            m = gmax[j] > m ? gmax[j] : m;
        if (m * t->l1 * TP_SLACK <= peak)
            continue;
        float v[3][TP_BLOCK];
        const size_t i = b * TP_BLOCK, k = len - i < TP_BLOCK ? len - i : TP_BLOCK;
        mq_pp_points(h, phases, t->taps, win + i, v);
        for (int q = 0; q < phases; q++)
            for (size_t e = 0; e < k; e++) {
                const double a = fabsf(v[q][e]);
                peak = a > peak ? a : peak;   /* maxsd */
            }
    }
    return peak;
}

/* Shifts the newest N samples of channel X (stride CH) into HIST, the last
 * W samples of the channel, oldest first. */
static void tp_keep(float *hist, size_t w, const float *x, size_t n, size_t ch)
{
    size_t keep = n < w ? w - n : 0;
    memmove(hist, hist + (w - keep), keep * sizeof *hist);
    for (size_t i = keep; i < w; i++)
        hist[i] = x[(n - (w - i)) * ch];
}

/* Adds N frames of CH channels. */
static void tp_add(tpeak *t, const float *x, size_t n, int ch)
{
    const size_t w = (size_t)t->taps - 1, sch = (size_t)ch;   /* history length per channel */
    float win[TP_TAPS_MAX + TP_CHUNK + 2 * TP_BLOCK];
    for (size_t a = 0; a < n; a += TP_CHUNK) {
        size_t b = n - a < TP_CHUNK ? n : a + TP_CHUNK, len = b - a;
        double m = mq_abs_max(x + a * sch, len * sch);
        /* A NaN or infinite sample has no finite peak: reported as +inf, so
         * that nothing (mq_limiter_transparent) takes such audio for quiet. */
        if (isnan(m))
            t->peak = INFINITY;
        else if (m > t->peak)
            t->peak = m;
        if (!isnan(m))
            m = fmax(m, mq_abs_max(t->hist, sch * w));
        int busy = t->factor > 1 && m * t->l1 > t->peak;
        for (size_t c = 0; c < sch; c++) {
            float *hist = t->hist + c * w;
            if (!busy) {
                /* Only the history is needed from a chunk that cannot
                 * raise the peak. */
                tp_keep(hist, w, x + a * sch + c, len, sch);
                continue;
            }
            /* One contiguous window per channel: the history, then the chunk. */
            memcpy(win, hist, w * sizeof *win);
            for (size_t i = 0; i < len; i++)
                win[w + i] = x[(a + i) * sch + c];
            memset(win + w + len, 0, 2 * TP_BLOCK * sizeof *win);
            t->peak = tp_chunk(t, win, len, t->peak);
            memcpy(hist, win + len, w * sizeof *win);
        }
    }
}

/*
 * K-weighting (BS.1770-4 annex 1): a high shelf (+4 dB above ~1.7 kHz, the
 * head's effect) then the RLB high-pass (~38 Hz). The coefficients for any
 * rate come from the analog prototypes by the bilinear transform, with the
 * constants libebur128 uses; at 48 kHz they are the standard's table 1 and 2
 * values. Each stage is a biquad in double.
 */
static void kw_design(int rate, double b[2][3], double a[2][3])
{
    double f0 = 1681.974450955533, g = 3.999843853973347, q = 0.7071752369554196;
    double k = tan(M_PI * f0 / rate), vh = pow(10.0, g / 20.0);
    double vb = pow(vh, 0.4996667741545416), a0 = 1.0 + k / q + k * k;
    b[0][0] = (vh + vb * k / q + k * k) / a0;
    b[0][1] = 2.0 * (k * k - vh) / a0;
    b[0][2] = (vh - vb * k / q + k * k) / a0;
    a[0][1] = 2.0 * (k * k - 1.0) / a0;
    a[0][2] = (1.0 - k / q + k * k) / a0;
    f0 = 38.13547087602444;
    q = 0.5003270373238773;
    k = tan(M_PI * f0 / rate);
    a0 = 1.0 + k / q + k * k;
    b[1][0] = 1.0;
    b[1][1] = -2.0;
    b[1][2] = 1.0;
    a[1][1] = 2.0 * (k * k - 1.0) / a0;
    a[1][2] = (1.0 - k / q + k * k) / a0;
    a[0][0] = a[1][0] = 1.0;
}

static int create(int rate, int channels, int full, mq_meter **out, mq_error *err)
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
    m->channels = channels;
    m->full = full;
    if (full && !(m->tp = tp_create(rate, channels))) {
        free(m);
        return mq_error_set(err, MQ_ENOMEM, "loudness meter: out of memory");
    }
    kw_design(rate, m->b, m->a);
    /* BS.1770-4 table 3: L, R, C weigh 1, the surrounds 1.41, LFE nothing. */
    static const double weight[MQ_CHANNELS_MAX] = { 1, 1, 1, 0, 1.41, 1.41, 0, 0 };
    for (int c = 0; c < channels; c++)
        m->g[c] = channels == 1 ? 1.0 : weight[c];
    m->block = ((size_t)rate + 5) / 10;
    m->max_m = m->max_s = -INFINITY;
    *out = m;
    return MQ_OK;
}

int mq_meter_create(int rate, int channels, mq_meter **out, mq_error *err)
{
    return create(rate, channels, 1, out, err);
}

int mq_meter_create_integrated(int rate, int channels, mq_meter **out, mq_error *err)
{
    return create(rate, channels, 0, out, err);
}

/* K-weights N frames of channel C (stride CH), adding their squares to the
 * channel's block sum in sample order (so the sum is the same however the
 * frames were split into calls).
 * Direct form I: the only dependency from one sample to the next is one
 * multiply and one subtraction per stage (the feed-forward terms and the
 * older feedback term are computed off that path), and two channels run in
 * one loop where they can: the recursion, not the arithmetic, bounds the
 * speed. State per channel: x1 x2 y1 y2 of the shelf, then y1 y2 of the
 * high-pass (whose input is the shelf's output). */
static void kw_run1(mq_meter *m, const float *x, size_t n, int ch, int c)
{
    const double b0 = m->b[0][0], b1 = m->b[0][1], b2 = m->b[0][2];
    const double a1 = m->a[0][1], a2 = m->a[0][2], c1 = m->a[1][1], c2 = m->a[1][2];
    double *z = m->z[c], x1 = z[0], x2 = z[1], y1 = z[2], y2 = z[3], w1 = z[4], w2 = z[5];
    double sum = m->acc[c];
    for (size_t i = 0; i < n; i++) {
        double v = x[i * (size_t)ch + (size_t)c];
        double y = (b0 * v + b1 * x1 + b2 * x2 - a2 * y2) - a1 * y1;
        /* The RLB stage's numerator is 1, -2, 1. */
        double w = (y - 2.0 * y1 + y2 - c2 * w2) - c1 * w1;
        x2 = x1, x1 = v, y2 = y1, y1 = y, w2 = w1, w1 = w;
        sum += w * w;
    }
    z[0] = x1, z[1] = x2, z[2] = y1, z[3] = y2, z[4] = w1, z[5] = w2;
    m->acc[c] = sum;
}

/* Two lanes of double: the two channels of a pair side by side, so that
 * one SSE2 instruction (x86-64's baseline) does for both what kw_run1 does
 * for one, and the pair costs what one channel does: the recursion's
 * latency (a multiply and a subtraction per sample and stage) bounds both.
 * Lane by lane the operations are kw_run1's, in its order, and IEEE
 * arithmetic is exact per lane, so each channel's sums are bit for bit
 * what kw_run1 (and the scalar pair loop before) gives. (Nothing is fused
 * into a multiply-add: GCC does not contract a*b+c in ISO C mode, and
 * baseline x86-64 has no FMA.) GCC and clang lower the type to scalar code
 * elsewhere. */
typedef double kw_v2 __attribute__((vector_size(2 * sizeof(double))));

static void kw_run2(mq_meter *m, const float *restrict x, size_t n, int ch, int c)
{
#define KW_V2(v) ((kw_v2){ (v), (v) })
    const kw_v2 b0 = KW_V2(m->b[0][0]), b1 = KW_V2(m->b[0][1]), b2 = KW_V2(m->b[0][2]);
    const kw_v2 a1 = KW_V2(m->a[0][1]), a2 = KW_V2(m->a[0][2]), c1 = KW_V2(m->a[1][1]),
                c2 = KW_V2(m->a[1][2]), two = KW_V2(2.0);
#undef KW_V2
    double *z = m->z[c], *q = m->z[c + 1];
    kw_v2 x1 = { z[0], q[0] }, x2 = { z[1], q[1] }, y1 = { z[2], q[2] }, y2 = { z[3], q[3] };
    kw_v2 w1 = { z[4], q[4] }, w2 = { z[5], q[5] }, s = { m->acc[c], m->acc[c + 1] };
    const float *p = x + c;
    for (size_t i = 0; i < n; i++, p += ch) {
        const kw_v2 v = { p[0], p[1] };
        const kw_v2 y = (b0 * v + b1 * x1 + b2 * x2 - a2 * y2) - a1 * y1;
        const kw_v2 w = (y - two * y1 + y2 - c2 * w2) - c1 * w1;
        x2 = x1, x1 = v, y2 = y1, y1 = y, w2 = w1, w1 = w;
        s += w * w;
    }
    z[0] = x1[0], z[1] = x2[0], z[2] = y1[0], z[3] = y2[0], z[4] = w1[0], z[5] = w2[0];
    q[0] = x1[1], q[1] = x2[1], q[2] = y1[1], q[3] = y2[1], q[4] = w1[1], q[5] = w2[1];
    m->acc[c] = s[0];
    m->acc[c + 1] = s[1];
}

/* The energy (weighted mean square) of the last N blocks of 100 ms, the
 * missing ones before the start counted as silence. */
static double window_energy(const mq_meter *m, size_t n)
{
    double e = 0;
    for (size_t i = m->nblocks > n ? m->nblocks - n : 0; i < m->nblocks; i++)
        e += m->blocks[i];
    return e / (double)n;
}

/* The energy of BS.1770-4's -70 LUFS absolute gate. */
static double abs_gate_energy(void)
{
    return pow(10.0, (-70.0 + 0.691) / 10.0);
}

static double energy_to_lufs(double e)
{
    return e > 0 ? -0.691 + 10.0 * log10(e) : -INFINITY;
}

/* A 100 ms block is complete: keep its energy, note the maxima. */
static int end_block(mq_meter *m)
{
    if (m->nblocks == m->cap) {
        size_t cap = m->cap ? m->cap * 2 : 1024;
        double *b = realloc(m->blocks, cap * sizeof *b);
        if (!b)
            return MQ_ENOMEM;
        m->blocks = b;
        m->cap = cap;
    }
    double e = 0;
    for (int c = 0; c < m->channels; c++) {
        e += m->g[c] * m->acc[c];
        m->acc[c] = 0;
        /* Flush decaying filter states to zero before they turn denormal. */
        for (int k = 0; k < 6; k++)
            if (fabs(m->z[c][k]) < 1e-30)
                m->z[c][k] = 0;
    }
    m->blocks[m->nblocks++] = e / (double)m->block;
    if (m->full) {
        double v = energy_to_lufs(window_energy(m, 4));
        if (v > m->max_m)
            m->max_m = v;
        v = energy_to_lufs(window_energy(m, 30));
        if (v > m->max_s)
            m->max_s = v;
    }
    return MQ_OK;
}

int mq_meter_add(mq_meter *m, const float *frames, size_t n, mq_error *err)
{
    if (!m || (!frames && n > 0))
        return mq_error_set(err, MQ_EINVAL, "loudness meter: no meter or no samples");
    if (m->tp)
        tp_add(m->tp, frames, n, m->channels);
    const int ch = m->channels;
    while (n > 0) {
        size_t k = m->block - m->in_block;
        if (k > n)
            k = n;
        int c = 0;
        for (; c + 1 < ch; c += 2)
            kw_run2(m, frames, k, ch, c);
        if (c < ch)
            kw_run1(m, frames, k, ch, c);
        frames += k * (size_t)ch;
        n -= k;
        m->in_block += k;
        if (m->in_block == m->block) {
            m->in_block = 0;
            if (end_block(m) != MQ_OK)
                return mq_error_set(err, MQ_ENOMEM, "loudness meter: out of memory");
        }
    }
    return MQ_OK;
}

/* BS.1770-4 gating over the energies E of overlapping windows of W blocks
 * taken every STEP blocks (W blocks each): the absolute gate at -70 LUFS,
 * then a relative gate REL_DB below the mean of what passed it. Returns the
 * count of windows left and, in *MEAN, their mean energy; the energies that
 * passed both gates are written to KEEP when it is not NULL. */
static size_t gate(const mq_meter *m, size_t w, size_t step, double rel_db, double *mean,
                   double *keep)
{
    const double abs_gate = abs_gate_energy();
    double sum = 0, rel = 0;
    size_t n = 0;
    for (int pass = 0; pass < 2; pass++) {
        double s = 0;
        size_t k = 0;
        for (size_t end = w; end <= m->nblocks; end += step) {
            double e = 0;
            for (size_t i = end - w; i < end; i++)
                e += m->blocks[i];
            e /= (double)w;
            if (e < abs_gate || (pass == 1 && e < rel))
                continue;
            if (pass == 1 && keep)
                keep[k] = e;
            s += e;
            k++;
        }
        sum = s;
        n = k;
        if (!n)
            break;
        rel = sum / (double)n * pow(10.0, rel_db / 10.0);
    }
    *mean = n ? sum / (double)n : 0;
    return n;
}

double mq_meter_integrated(mq_meter *m)
{
    if (!m)
        return NAN;
    /* Gating blocks of 400 ms every 100 ms, relative gate -10 LU. */
    double mean;
    if (m->nblocks >= 4)
        return gate(m, 4, 1, -10.0, &mean, NULL) ? energy_to_lufs(mean) : -INFINITY;
    /* Shorter than one gating block, BS.1770 gives no reading. A word said
     * alone (`say 你好`: 0.4 s) or a short stinger would then be left at its
     * own level, unbalanced and unnormalized; it is measured instead as one
     * block of its own length, under the same absolute gate. */
    size_t frames = m->nblocks * m->block + m->in_block;
    double e = 0;
    for (size_t i = 0; i < m->nblocks; i++)
        e += m->blocks[i] * (double)m->block;
    for (int c = 0; c < m->channels; c++)
        e += m->g[c] * m->acc[c];
    e = frames ? e / (double)frames : 0;
    return e >= abs_gate_energy() ? energy_to_lufs(e) : -INFINITY;
}

double mq_meter_true_peak(mq_meter *m)
{
    if (!m || !m->tp)
        return NAN;
    double peak = m->tp->peak;
    return peak > 0 ? 20.0 * log10(peak) : -INFINITY;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double mq_meter_range(mq_meter *m)
{
    if (!m || !m->full)
        return NAN;
    /* EBU Tech 3342: short-term (3 s) values, here every second as
     * libebur128 takes them; absolute gate -70 LUFS, relative gate -20 LU;
     * the range from the 10th to the 95th percentile. */
    size_t most = m->nblocks / 10 + 1;
    double *keep = malloc(most * sizeof *keep), mean;
    if (!keep)
        return NAN;
    size_t n = gate(m, 30, 10, -20.0, &mean, keep);
    double lra = 0;
    if (n) {
        qsort(keep, n, sizeof *keep, cmp_double);
        size_t lo = (size_t)((double)(n - 1) * 0.10 + 0.5);
        size_t hi = (size_t)((double)(n - 1) * 0.95 + 0.5);
        lra = energy_to_lufs(keep[hi]) - energy_to_lufs(keep[lo]);
    }
    free(keep);
    return lra;
}

double mq_meter_momentary(mq_meter *m)
{
    return m && m->full ? energy_to_lufs(window_energy(m, 4)) : NAN;
}

double mq_meter_short_term(mq_meter *m)
{
    return m && m->full ? energy_to_lufs(window_energy(m, 30)) : NAN;
}

double mq_meter_max_momentary(const mq_meter *m)
{
    return m ? m->max_m : NAN;
}

double mq_meter_max_short_term(const mq_meter *m)
{
    return m ? m->max_s : NAN;
}

void mq_meter_scale(mq_meter *m, double gain_db)
{
    if (!m)
        return;
    double p = pow(10.0, gain_db / 10.0);
    for (size_t i = 0; i < m->nblocks; i++)
        m->blocks[i] *= p;
    for (int c = 0; c < m->channels; c++)
        m->acc[c] *= p;
    m->max_m += gain_db;
    m->max_s += gain_db;
    if (m->tp)
        m->tp->peak *= pow(10.0, gain_db / 20.0);
}

void mq_meter_free(mq_meter *m)
{
    if (!m)
        return;
    tp_free(m->tp);
    free(m->blocks);
    free(m);
}

int mq_loudness_of(const float *frames, size_t n, int rate, int channels, double *lufs,
                   double *dbtp, mq_error *err)
{
    if (!frames && n > 0)
        return mq_error_set(err, MQ_EINVAL, "loudness: no samples");
    mq_meter *m = NULL;
    /* True peak only when asked for. */
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
