/*
 * mq_limiter.c — a look-ahead true-peak limiter (EBU R128 / ITU-R BS.1770-4
 * annex 2 true peak); see mq_loudness.h for the API.
 *
 * Signal flow, per input frame n (channels linked: one gain for all of them):
 *
 *  1. True-peak detector: two polyphase FIR interpolators written here (not
 *     libsoxr, whose block buffering and latency do not suit a per-sample
 *     detector), both evaluated on the segment between samples n-32 and n-31:
 *       a. "matched": libebur128 1.2's own design at this rate — a 49-tap
 *          Hann-windowed sinc at 4x below 96 kHz (4 phases x 12 taps,
 *          half-width 6 samples), at 2x below 192 kHz (half-width 12), none
 *          from 192 kHz — so the limiter sees exactly the points the meter
 *          will measure;
 *       b. "sharp": 4x at every rate, 4 phases x 64 taps of a Kaiser-windowed
 *          sinc (beta 8, half-width 32 samples), flat within 0.002 dB up to
 *          0.4 fs, closer to the ideal reconstruction, so sharper meters
 *          (ffmpeg's, a 32x reference) also read the output near the ceiling.
 *     The peak a[j] of sample j = n-32 is the largest of |x[j]| and every
 *     interpolated point on either side of it, over all channels.
 *
 *  2. Needed gain c[j] = min(1, T / a[j]), T the ceiling less a 0.1 dB
 *     margin, which covers the difference between "gain times interpolated
 *     input" and "interpolated output" while the gain moves.
 *
 *  3. Sliding minimum of c over K = W + 2H values (W the 2 ms look-ahead, H =
 *     32 samples, the widest kernel's half-width): a monotonic deque, O(1)
 *     per frame amortized.
 *
 *  4. Release: the held gain r follows falls at once and rises back
 *     exponentially (time constant 100 ms); r never exceeds the minimum.
 *
 *  5. Attack: a moving average of r over W frames turns each fall into a
 *     linear ramp lasting the look-ahead.
 *
 *  6. The audio is delayed by D = W + H - 1 frames behind the gain (plus the
 *     detector's own 32): sample q + i then gets the average of r over
 *     [q + i + H, q + i + W + H - 1], which for every i in -H..H lies inside
 *     the K values whose minimum includes c[q]. So the gain has fully reached
 *     c[q] on every sample that contributes to the interpolated points around
 *     q: the ramp ends before the peak, not on it.
 *
 * Latency L = W + H - 1 + 32 frames: 159 at 48 kHz (3.3 ms), 151 at
 * 44.1 kHz, 79 at 8 kHz (9.9 ms: the kernels span samples, not time).
 * When nothing needs limiting, r and the average stay exactly 1.0 and each
 * output sample is the input sample, bit for bit. Everything is computed in
 * the same order whatever the block sizes, so output bytes are reproducible.
 */
#include "mq_loudness.h"
#include "mq_audio.h"
#include "mq_polyphase.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define LIM_RATE_MIN 8000
#define LIM_RATE_MAX 384000
#define LIM_CHANNELS_MAX 8
#define LIM_FACTOR 4          /* oversampling (BS.1770-4 annex 2: 4x at 48 kHz) */
#define LIM_HALF 32           /* half-width of the sharp kernel = detector delay */
#define LIM_TAPS (2 * LIM_HALF)
#define LIM_KAISER_BETA 8.0
#define LIM_HOLD LIM_HALF     /* H: gain held flat this many samples around a peak */
#define LIM_LOOKAHEAD 0.002   /* W, seconds */
#define LIM_RELEASE 0.100     /* release time constant, seconds */
#define LIM_MARGIN_DB 0.1     /* aim this far below the ceiling */
#define LIM_CHUNK 256         /* frames the detector works on at once */
#define LIM_BLOCK MQ_PP_POINTS   /* points of each phase the detector sums at once */
#define LIM_CENTER 16         /* the sharp kernel's central taps, a first estimate */

struct mq_limiter {
    int channels;
    double target;                                /* linear, ceiling less margin */
    double sharp[LIM_FACTOR - 1][LIM_TAPS];       /* oldest sample first */
    int mfactor, mhalf;   /* libebur128's design at this rate (mfactor 1: none) */
    double matched[LIM_FACTOR - 1][LIM_TAPS];     /* first 2*mhalf used */
    mq_pp_v4 sharp_v[LIM_FACTOR - 1][LIM_TAPS];   /* the taps as floats, in every lane */
    mq_pp_v4 matched_v[LIM_FACTOR - 1][LIM_TAPS];
    float *hist;          /* per channel the last TAPS - 1 samples, oldest first */
    double prev_mid;      /* peak of the points between samples j-1 and j */
    double l1;            /* largest sum of |taps| of any phase: no point between
                             samples can exceed l1 times the largest sample near it */
    double delta;         /* largest sum of |sharp - matched| taps of a phase; 0
                             when the two do not interpolate the same points */
    double wblk[LIM_TAPS / LIM_BLOCK + 1];   /* see detect */
    double tail;          /* largest sum of |taps| of a sharp phase outside the
                             LIM_CENTER central ones */
    /* sliding minimum of the needed gain */
    size_t k;
    double *dq_val;
    uint64_t *dq_idx;
    size_t dq_head, dq_len;
    uint64_t t;
    /* release */
    double rel;           /* per-frame decay of (m - r) while releasing */
    double r;
    /* attack: moving average over w frames */
    size_t w;
    double *box;
    size_t box_pos, box_below;
    double box_sum;
    double box_run;       /* box[0] + ... + box[box_pos - 1], added in that order
                             as the values come: the sum the wrap recomputes.
                             Derived (not in snapshots): load recomputes it. */
    /* audio delay line */
    size_t d;
    float *delay;
    size_t dpos;
    int acted;            /* a frame has needed a gain below 1 (mq_limiter_acted) */
};

static double sinc(double d)
{
    return fabs(d) < 1e-12 ? 1.0 : sin(M_PI * d) / (M_PI * d);
}

/* libebur128's kernel: sinc with a Hann window of half-width HALF samples. */
static double hann_sinc(double d, int half)
{
    if (fabs(d) >= half)
        return 0;
    return sinc(d) * 0.5 * (1.0 + cos(M_PI * d / half));
}

/* Modified Bessel function of the first kind, order 0 (power series). */
static double bessel_i0(double x)
{
    double sum = 1, term = 1;
    for (int k = 1; k < 100 && term > 1e-17 * sum; k++) {
        term *= (x / (2.0 * k)) * (x / (2.0 * k));
        sum += term;
    }
    return sum;
}

/* The sharp kernel: sinc with a Kaiser window (beta 8) of half-width LIM_HALF;
 * its phases are flat within 0.002 dB up to 0.4 fs. */
static double kaiser_sinc(double d)
{
    if (fabs(d) >= LIM_HALF)
        return 0;
    double r = d / LIM_HALF;
    return sinc(d) * bessel_i0(LIM_KAISER_BETA * sqrt(1.0 - r * r)) /
           bessel_i0(LIM_KAISER_BETA);
}

static void reset(mq_limiter *l)
{
    memset(l->hist, 0, (size_t)l->channels * (LIM_TAPS - 1) * sizeof *l->hist);
    l->prev_mid = 0;
    l->dq_head = l->dq_len = 0;
    l->t = 0;
    l->r = 1.0;
    for (size_t i = 0; i < l->w; i++)
        l->box[i] = 1.0;
    l->box_pos = l->box_below = 0;
    l->box_sum = (double)l->w;
    l->box_run = 0;
    memset(l->delay, 0, l->d * (size_t)l->channels * sizeof *l->delay);
    l->dpos = 0;
}

void mq_limiter_free(mq_limiter *l)
{
    if (!l)
        return;
    free(l->hist);
    free(l->dq_val);
    free(l->dq_idx);
    free(l->box);
    free(l->delay);
    free(l);
}

int mq_limiter_create(int rate, int channels, double ceiling_dbtp, mq_limiter **out,
                      mq_error *err)
{
    if (out)
        *out = NULL;
    if (!out)
        return mq_error_set(err, MQ_EINVAL, "limiter: no place for the result");
    if (rate < LIM_RATE_MIN || rate > LIM_RATE_MAX)
        return mq_error_set(err, MQ_EINVAL, "limiter: sample rate %d Hz out of range (%d..%d)",
                            rate, LIM_RATE_MIN, LIM_RATE_MAX);
    if (channels < 1 || channels > LIM_CHANNELS_MAX)
        return mq_error_set(err, MQ_EINVAL, "limiter: %d channels out of range (1..%d)",
                            channels, LIM_CHANNELS_MAX);
    if (!(ceiling_dbtp >= -60.0 && ceiling_dbtp <= 0.0))
        return mq_error_set(err, MQ_EINVAL, "limiter: ceiling %g dBTP out of range (-60..0)",
                            ceiling_dbtp);
    mq_limiter *l = calloc(1, sizeof *l);
    if (!l)
        return mq_error_set(err, MQ_ENOMEM, "limiter: out of memory");
    l->channels = channels;
    l->target = pow(10.0, (ceiling_dbtp - LIM_MARGIN_DB) / 20.0);
    /* The points lie between the samples of ages LIM_HALF and LIM_HALF - 1;
     * tap i of a phase weighs the sample of age LIM_TAPS - 1 - i. */
    for (int p = 1; p < LIM_FACTOR; p++)
        for (int i = 0; i < LIM_TAPS; i++) {
            int age = LIM_TAPS - 1 - i;
            l->sharp[p - 1][i] = kaiser_sinc(LIM_HALF - age - (double)p / LIM_FACTOR);
        }
    /* libebur128 1.2: 49 taps at 4x below 96 kHz (half-width 6 samples), 49
     * taps at 2x below 192 kHz (half-width 12), none above. Its taps for the
     * same points are the window slice [LIM_HALF - mhalf, LIM_HALF + mhalf). */
    l->mfactor = rate < 96000 ? 4 : rate < 192000 ? 2 : 1;
    l->mhalf = l->mfactor > 1 ? 24 / l->mfactor : 0;
    for (int q = 1; q < l->mfactor; q++)
        for (int i = 0; i < 2 * l->mhalf; i++) {
            int age = LIM_TAPS - 1 - (LIM_HALF - l->mhalf + i);
            l->matched[q - 1][i] =
                hann_sinc(LIM_HALF - age - (double)q / l->mfactor, l->mhalf);
        }
    for (int p = 0; p < LIM_FACTOR - 1; p++)
        for (int i = 0; i < LIM_TAPS; i++) {
            l->sharp_v[p][i] = mq_pp_tap(l->sharp[p][i]);
            l->matched_v[p][i] = mq_pp_tap(l->matched[p][i]);
        }
    l->l1 = 1.0;
    for (int p = 0; p < LIM_FACTOR - 1; p++) {
        double a = 0, b = 0;
        for (int i = 0; i < LIM_TAPS; i++)
            a += fabs(l->sharp[p][i]), b += fabs(l->matched[p][i]);
        l->l1 = fmax(l->l1, fmax(a, b));
    }
    /* Where both interpolators give the same points (4x), the sharp one
     * differs from the matched one — the meter's — by at most delta times the
     * largest sample in its window. */
    l->delta = 0;
    if (l->mfactor == LIM_FACTOR)
        for (int p = 0; p < LIM_FACTOR - 1; p++) {
            double d = 0;
            for (int i = 0; i < LIM_TAPS; i++) {
                int j = i - (LIM_HALF - l->mhalf);
                double m = j >= 0 && j < 2 * l->mhalf ? l->matched[p][j] : 0.0;
                d += fabs(l->sharp[p][i] - m);
            }
            l->delta = fmax(l->delta, d);
        }
    /* The weight of each block of 8 samples in the window of 8 points: the
     * largest sum of |taps| that falls on it, over the 8 points, the phases
     * and both interpolators (detect bounds the points with these). */
    for (int e = 0; e < LIM_BLOCK; e++)
        for (int p = 0; p < LIM_FACTOR - 1; p++) {
            double ws[LIM_TAPS / LIM_BLOCK + 1] = { 0 }, wm[LIM_TAPS / LIM_BLOCK + 1] = { 0 };
            for (int i = 0; i < LIM_TAPS; i++)
                ws[(e + i) / LIM_BLOCK] += fabs(l->sharp[p][i]);
            for (int i = 0; i < 2 * l->mhalf; i++)
                wm[(e + i + LIM_HALF - l->mhalf) / LIM_BLOCK] += fabs(l->matched[p][i]);
            for (int o = 0; o <= LIM_TAPS / LIM_BLOCK; o++)
                l->wblk[o] = fmax(l->wblk[o], fmax(ws[o], wm[o]));
        }
    for (int p = 0; p < LIM_FACTOR - 1; p++) {
        double t = 0;
        for (int i = 0; i < LIM_TAPS; i++)
            if (i < LIM_HALF - LIM_CENTER / 2 || i >= LIM_HALF + LIM_CENTER / 2)
                t += fabs(l->sharp[p][i]);
        l->tail = fmax(l->tail, t);
    }
    l->w = (size_t)lround(LIM_LOOKAHEAD * rate);
    l->k = l->w + 2 * LIM_HOLD;
    l->d = l->w + LIM_HOLD - 1 + LIM_HALF;
    l->rel = exp(-1.0 / (LIM_RELEASE * rate));
    l->hist = malloc((size_t)channels * (LIM_TAPS - 1) * sizeof *l->hist);
    l->dq_val = malloc(l->k * sizeof *l->dq_val);
    l->dq_idx = malloc(l->k * sizeof *l->dq_idx);
    l->box = malloc(l->w * sizeof *l->box);
    l->delay = malloc(l->d * (size_t)channels * sizeof *l->delay);
    if (!l->hist || !l->dq_val || !l->dq_idx || !l->box || !l->delay) {
        mq_limiter_free(l);
        return mq_error_set(err, MQ_ENOMEM, "limiter: out of memory");
    }
    reset(l);
    *out = l;
    return MQ_OK;
}

int mq_limiter_transparent(const mq_limiter *l, double true_peak, double tail_peak)
{
    if (!l || !(true_peak >= 0) || !(tail_peak >= 0))
        return 0;
    /* The detector's peak at a point the meter measured is at most the
     * meter's value plus delta times the largest sample (itself at most the
     * true peak); the points the meter never reached — the last few between
     * samples, and those after the end that flushing adds — lie within
     * LIM_TAPS frames of the end, bounded by l1 times the tail's samples. */
    double inside = l->delta > 0 ? true_peak * (1.0 + l->delta) : true_peak * l->l1;
    /* The gain is applied in float, and both detectors sum in float. */
    const double slack = 1.0 + 1e-4;
    return inside * slack <= l->target && tail_peak * l->l1 * slack <= l->target;
}

int mq_limiter_acted(const mq_limiter *l)
{
    return l && l->acted;
}

size_t mq_limiter_latency(const mq_limiter *l)
{
    return l ? l->d : 0;
}

/*
 * A float sum of the taps times the samples exceeds the exact one by at most
 * about (taps + 1) * 2^-24 of the sum of |tap * sample| (the classic bound
 * on recursive summation, Higham, "Accuracy and Stability of Numerical
 * Algorithms", 2nd ed., 4.2), and the taps rounded to float add 2^-24: for
 * 64 taps, under 4e-6. So a point whose window of samples stays below M
 * reads at most M * l1 * (1 + 4e-6) in float; LIM_FLOAT_SLACK covers that
 * with room to spare.
 */
#define LIM_FLOAT_SLACK (1.0 + 1e-4)

_Static_assert(MQ_LIMITER_REACH == LIM_TAPS - 1, "the detector reads LIM_TAPS - 1 frames back");

/* The detector's history after N more frames of IN: the last LIM_TAPS - 1
 * samples of each channel. */
static void keep_history(mq_limiter *l, const float *in, size_t n)
{
    const size_t ch = (size_t)l->channels, w = LIM_TAPS - 1;
    size_t keep = n < w ? w - n : 0;
    for (size_t c = 0; c < ch; c++) {
        float *h = l->hist + c * w;
        memmove(h, h + (w - keep), keep * sizeof *h);
        for (size_t i = keep; i < w; i++)
            h[i] = in[(n - (w - i)) * ch + c];
    }
}

/* The points of the 8 frames from I of one channel's window WIN into MID
 * (the largest |point| of each frame, over both interpolators and all
 * phases; only the first K frames are kept), each summed in float over the
 * taps in order (mq_polyphase.h).
 *
 * Unless EXACT, an estimate that costs a third comes first: the matched
 * kernel's points (its 12 taps, the exact values) and the sharp kernel's
 * sums c over its 16 central taps. A sharp point differs from its c by at
 * most tail * M (M the largest |sample| of the window) over the other taps,
 * plus what rounding both float sums can add, under 1e-5 * l1 * M (see
 * LIM_FLOAT_SLACK; 1e-4 is used). When that leaves every point of the K
 * frames at or below the target, none can change a gain: MID keeps its
 * zeros (tail is about 0.33, l1 2.83). Of the blocks that detect's bounds
 * let through in tools/bench-dsp's programme, one in twenty has a point
 * above the target; this spares the full sums of nine in ten of the others. */
static void detect_block(const mq_limiter *l, const float *win, size_t i, size_t k, double m,
                         int exact, double *mid)
{
    float v[2][3][LIM_BLOCK];
    const int mphases = l->mfactor - 1;
    /* The matched kernel, on the slice of the window its taps cover. */
    if (mphases > 0) {
        const mq_pp_v4 *const matched[3] = { l->matched_v[0], l->matched_v[1],
                                             l->matched_v[2] };
        mq_pp_points(matched, mphases, 2 * l->mhalf, win + i + LIM_HALF - l->mhalf, v[1]);
    }
    if (!exact) {
        const int c0 = LIM_HALF - LIM_CENTER / 2;
        const mq_pp_v4 *const center[3] = { l->sharp_v[0] + c0, l->sharp_v[1] + c0,
                                            l->sharp_v[2] + c0 };
        mq_pp_points(center, 3, LIM_CENTER, win + i + c0, v[0]);
        float top = 0, mtop = 0;
        for (int p = 0; p < 3 + mphases; p++)
            for (size_t e = 0; e < k; e++) {
                const float a = fabsf(v[p / 3][p % 3][e]);
                if (p < 3)
                    top = a > top ? a : top;
                else
                    mtop = a > mtop ? a : mtop;
            }
        if (!(mtop > l->target) && top + (l->tail + 1e-4 * l->l1) * m < l->target)
            return;
    }
    const mq_pp_v4 *const sharp[3] = { l->sharp_v[0], l->sharp_v[1], l->sharp_v[2] };
    mq_pp_points(sharp, 3, LIM_TAPS, win + i, v[0]);
    for (int p = 0; p < 3 + mphases; p++)
        for (size_t e = 0; e < k; e++) {
            const double a = fabsf(v[p / 3][p % 3][e]);
            mid[i + e] = a > mid[i + e] ? a : mid[i + e];
        }
}

/*
 * 1. The detector for N (<= LIM_CHUNK) frames of IN, already made finite:
 * for frame i, S0[i] is the largest |sample| of frame i - 32 and MID[i] the
 * largest interpolated point between samples i - 32 and i - 31, each where
 * it could be above the target, and otherwise 0 (all of them when QUIET: the
 * caller has proved none can reach it). Per channel, the history and the
 * chunk form one contiguous window. Updates the history.
 *
 * A peak's exact value matters only when it is above the target: below,
 * the frame's needed gain is 1 whatever it is, and it cannot be the largest
 * of a frame's peaks that is above the target. So the points of 8 frames
 * that provably stay below the target are left at 0, like a quiet chunk's.
 * Their window, the 71 samples around them, is cut in 9 blocks of 8 samples
 * (one sample more); with M_o the largest |sample| of block o, no point
 * exceeds l1 * max M_o, nor sum W_o * M_o, W_o the largest sum of |taps|
 * falling on block o (wblk: about 2.1 and 1.4 for the two central blocks,
 * under 0.7 for the others at 48 kHz). In a loud chunk of speech most
 * blocks lie between pitch pulses; in tools/bench-dsp's programme two
 * thirds of the blocks are skipped with the first bound, three quarters with
 * both. The last block is always computed, so that prev_mid, which a
 * snapshot saves, is what it always was.
 */
static void detect(mq_limiter *l, const float *in, size_t n, double *s0, double *mid,
                   int quiet)
{
    const size_t ch = (size_t)l->channels, w = LIM_TAPS - 1;
    for (size_t i = 0; i < n; i++)
        s0[i] = mid[i] = 0;
    if (quiet) {
        /* Every sample and point is below the target: every frame's needed
         * gain is 1, but for the first one's when the previous chunk's
         * last point, prev_mid, was above it, and then it is target /
         * prev_mid whatever s0 is. Only the history is needed. */
        keep_history(l, in, n);
        return;
    }
    /* + 2 blocks: the window of the last block's last point, and the block
     * maxima reaching one sample past it. */
    float win[LIM_TAPS - 1 + LIM_CHUNK + 2 * LIM_BLOCK];
    float bmax[(LIM_TAPS + LIM_CHUNK) / LIM_BLOCK + 2];
    const size_t nb = (n + LIM_BLOCK - 1) / LIM_BLOCK;   /* blocks of points */
    for (size_t c = 0; c < ch; c++) {
        float *hist = l->hist + c * w;
        memcpy(win, hist, w * sizeof *win);
        for (size_t i = 0; i < n; i++)
            win[w + i] = in[i * ch + c];
        memset(win + w + n, 0, 2 * LIM_BLOCK * sizeof *win);
        /* The window of block b's points is win[8b, 8b + 71): blocks of
         * samples b .. b + 8. */
        const size_t ns = nb + LIM_TAPS / LIM_BLOCK;
        for (size_t j = 0; j < ns; j++) {
            float m = 0;
            for (size_t e = 0; e < LIM_BLOCK; e++) {
                float a = fabsf(win[j * LIM_BLOCK + e]);
                m = a > m ? a : m;
            }
            bmax[j] = m;
        }
        for (size_t b = 0; b < nb; b++) {
            const size_t i = b * LIM_BLOCK, k = n - i < LIM_BLOCK ? n - i : LIM_BLOCK;
            /* The samples of frames i .. i + 7 (delayed by LIM_HALF, as the
             * points are) are win[i + 31 .. i + 38], in sample blocks b + 3
             * and b + 4; like a point, a sample matters only above the
             * target. The maxima are selects (maxsd): a branch on which
             * channel is louder mispredicts half the time. */
            const float central = bmax[b + 3] > bmax[b + 4] ? bmax[b + 3] : bmax[b + 4];
            if (central > l->target)
                for (size_t e = i; e < i + k; e++) {
                    const double a = fabs(win[e + LIM_TAPS - 1 - LIM_HALF]);
                    s0[e] = a > s0[e] ? a : s0[e];
                }
            double m = 0, sum = 0;
            for (size_t o = 0; o <= LIM_TAPS / LIM_BLOCK; o++) {
                m = bmax[b + o] > m ? bmax[b + o] : m;
                sum += l->wblk[o] * bmax[b + o];
            }
            const double bound = fmin(m * l->l1, sum);
            if (b + 1 < nb && bound * LIM_FLOAT_SLACK < l->target)
                continue;
            detect_block(l, win, i, k, m, b + 1 == nb, mid);
        }
        memcpy(hist, win + n, w * sizeof *win);
    }
}

/* 6a. The delay line, a ring of d frames read and refilled at dpos: OUT
 * gets what it holds, then IN; it keeps the last d frames, frame j of these
 * N in slot (dpos + j) mod d. IN and OUT may be the same buffer. */
static void delay_frames(mq_limiter *l, const float *in, float *out, size_t n)
{
    const size_t ch = (size_t)l->channels, fb = ch * sizeof *in, d = l->d;
    if (in != out && n >= d) {
        /* At once: the ring (oldest first, from dpos), the input but its
         * last d frames, then those into the ring. */
        const size_t p = l->dpos, q = (p + n) % d;
        memcpy(out, l->delay + p * ch, (d - p) * fb);
        memcpy(out + (d - p) * ch, l->delay, p * fb);
        memcpy(out + d * ch, in, (n - d) * fb);
        memcpy(l->delay + q * ch, in + (n - d) * ch, (d - q) * fb);
        memcpy(l->delay, in + (n - q) * ch, q * fb);
        l->dpos = q;
        return;
    }
    for (size_t done = 0; done < n;) {
        size_t k = d - l->dpos;
        if (k > n - done)
            k = n - done;
        float *dl = l->delay + l->dpos * ch;
        if (in == out) {
            /* In place: swap the ring's frames with the buffer's. */
            for (size_t i = 0; i < k * ch; i++) {
                float x = dl[i];
                dl[i] = out[done * ch + i];
                out[done * ch + i] = x;
            }
        } else {
            memcpy(out + done * ch, dl, k * fb);
            memcpy(dl, in + done * ch, k * fb);
        }
        done += k;
        l->dpos = l->dpos + k == d ? 0 : l->dpos + k;
    }
}

/* The part of limit_frames' work that is the same for every frame of an
 * idle limiter whose needed gains are all 1: r and every value of the
 * moving average stay 1 (so does the sum, recomputed at a wrap as w ones),
 * and each output sample is the delayed input sample, untouched. */
static void pass_gain_one(mq_limiter *l, const float *in, float *out, size_t n)
{
    l->t += n;
    size_t bp = l->box_pos + n;
    if (bp >= l->w) {
        l->box_sum = (double)l->w;
        bp %= l->w;
    }
    l->box_pos = bp;
    l->box_run = (double)bp;   /* the box holds ones: their sum is exact */
    delay_frames(l, in, out, n);
}

/* Steps 2 to 6 for the N (<= LIM_CHUNK) frames of IN (finite samples) whose
 * detector found S0 and MID; OUT gets the N frames leaving the delay line.
 * The gains of all N frames first, then the delay line for all of them,
 * then the gains applied: the per-frame loop, a chain from one frame's
 * release to the next, does nothing else. The state lives in locals for the
 * loop, and the ring indices wrap by a comparison where a division (%) was. */
static void limit_frames(mq_limiter *l, const float *in, float *out, size_t n,
                         const double *s0, const double *mid)
{
    const size_t ch = (size_t)l->channels, k = l->k, w = l->w;
    const double target = l->target, rel = l->rel, wd = (double)l->w;
    double *restrict dq_val = l->dq_val, *restrict box = l->box;
    uint64_t *restrict dq_idx = l->dq_idx;
    double prev_mid = l->prev_mid, r = l->r, box_sum = l->box_sum, box_run = l->box_run;
    size_t dq_head = l->dq_head, dq_len = l->dq_len, box_pos = l->box_pos;
    size_t box_below = l->box_below;
    uint64_t t = l->t;
    int acted = 0;
    double gain[LIM_CHUNK];
    for (size_t i = 0; i < n; i++) {
        double peak = s0[i];
        if (prev_mid > peak)
            peak = prev_mid;
        if (mid[i] > peak)
            peak = mid[i];
        prev_mid = mid[i];

        /* 2. needed gain */
        const double need = peak > target ? target / peak : 1.0;
        acted |= need < 1.0;

        /* 3. sliding minimum over the last k values (the deque holds at
         * most k, so head + len < 2k) */
        while (dq_len > 0 && dq_idx[dq_head] + k <= t) {
            dq_head = dq_head + 1 == k ? 0 : dq_head + 1;
            dq_len--;
        }
        while (dq_len > 0) {
            size_t back = dq_head + dq_len - 1;
            if (back >= k)
                back -= k;
            if (dq_val[back] < need)
                break;
            dq_len--;
        }
        size_t slot = dq_head + dq_len;
        if (slot >= k)
            slot -= k;
        dq_val[slot] = need;
        dq_idx[slot] = t++;
        dq_len++;
        const double m = dq_val[dq_head];

        /* 4. release: fall at once, rise exponentially, never above m */
        if (m <= r) {
            r = m;
        } else {
            r = m - (m - r) * rel;
            if (m - r < 1e-7)
                r = m;
        }

        /* 5. attack: moving average over w frames */
        const double old = box[box_pos];
        box[box_pos] = r;
        if (old < 1.0)
            box_below--;
        if (r < 1.0)
            box_below++;
        box_sum += r - old;
        box_run += r;
        if (++box_pos == w) {
            /* Recomputed at every wrap so rounding cannot accumulate: the
             * sum of box[0 .. w) in index order, which box_run has added up
             * as the values were written (a separate pass over the box was
             * a serial chain of w additions). */
            box_pos = 0;
            box_sum = box_run;
            box_run = 0;
        }
        double g = box_below ? box_sum / wd : 1.0;
        if (g > 1.0)
            g = 1.0;
        gain[i] = g;
    }
    l->prev_mid = prev_mid, l->r = r, l->box_sum = box_sum, l->box_run = box_run;
    l->dq_head = dq_head, l->dq_len = dq_len, l->box_pos = box_pos;
    l->box_below = box_below, l->t = t;
    l->acted |= acted;

    /* 6. delay, and apply the gain where it is not 1 */
    delay_frames(l, in, out, n);
    for (size_t i = 0; i < n; i++)
        if (gain[i] != 1.0)
            for (size_t c = 0; c < ch; c++)
                out[i * ch + c] = (float)(gain[i] * out[i * ch + c]);
}

/* 1 when the gain is 1 and nothing ahead will lower it: the held gain r,
 * every value in the moving average and the sliding minimum are all 1. */
static int idle(const mq_limiter *l)
{
    return l->r == 1.0 && l->box_below == 0 && l->dq_len > 0 && l->dq_val[l->dq_head] == 1.0;
}

/*
 * N quiet frames through an idle limiter, in one go (the detector is not
 * run: no sample or point can reach the target). The needed gain of every
 * frame is 1, so the minimum stays 1 (the deque collapses to the newest
 * frame). Most of a normalized programme takes this path; the per-frame
 * state machine was a fifth of an export.
 */
static void pass_through(mq_limiter *l, const float *in, float *out, size_t n)
{
    keep_history(l, in, n);
    l->prev_mid = 0;
    l->dq_head = 0;
    l->dq_len = 1;
    l->dq_val[0] = 1.0;
    l->dq_idx[0] = l->t + n - 1;
    pass_gain_one(l, in, out, n);
}

/* 1 when every needed gain of the N frames the detector found S0 and MID
 * for is 1: no sample or point above the target, nor the previous chunk's
 * last point. */
static int gain_one(const mq_limiter *l, const double *s0, const double *mid, size_t n)
{
    int above = l->prev_mid > l->target;
    for (size_t i = 0; i < n; i++)
        above |= (s0[i] > l->target) | (mid[i] > l->target);
    return !above;
}

/*
 * N frames of a chunk the detector has run on, through an idle limiter,
 * when gain_one: what limit_frames does for them, in one go, leaving the
 * same state (the limiter's bytes and snapshots do not depend on which
 * path a chunk took). In speech normalized to -23 LUFS most chunks have a
 * sample above target / l1, where the detector must look, and almost none
 * a peak above the target. The deque ends as limit_frames leaves it: the
 * first frame drops the expired entries from the front, and each frame
 * then replaces what is left (ones: the minimum of an idle limiter is 1)
 * with itself, in the same slot.
 */
static void pass_detected(mq_limiter *l, const float *in, float *out, size_t n,
                          double last_mid)
{
    while (l->dq_len > 0 && l->dq_idx[l->dq_head] + l->k <= l->t) {
        l->dq_head = l->dq_head + 1 == l->k ? 0 : l->dq_head + 1;
        l->dq_len--;
    }
    l->dq_len = 1;
    l->dq_val[l->dq_head] = 1.0;
    l->dq_idx[l->dq_head] = l->t + n - 1;
    l->prev_mid = last_mid;
    pass_gain_one(l, in, out, n);
}

int mq_limiter_process(mq_limiter *l, const float *in, float *out, size_t n, mq_error *err)
{
    if (!l || ((!in || !out) && n > 0))
        return mq_error_set(err, MQ_EINVAL, "limiter: no limiter or no buffer");
    const size_t ch = (size_t)l->channels;
    float clean[LIM_CHUNK * LIM_CHANNELS_MAX];
    double s0[LIM_CHUNK], mid[LIM_CHUNK];
    for (size_t a = 0; a < n;) {
        /* A chunk is quiet when its samples and the detector's history all
         * stay below target / l1 (NaN fails the test: the full path handles it). */
        size_t b = n - a < LIM_CHUNK ? n : a + LIM_CHUNK, len = b - a;
        double m = mq_abs_max(in + a * ch, len * ch);
        int quiet = !isnan(m) && fmax(m, mq_abs_max(l->hist, ch * (LIM_TAPS - 1))) * l->l1 <
                                     l->target;
        if (quiet && idle(l)) {
            /* The quiet chunks that follow pass through with this one: the
             * history each one's test reads is the last LIM_TAPS - 1 frames
             * of the one before (256 frames: only a call's last chunk is
             * shorter), as pass_through leaves it, and the limiter stays
             * idle. The same tests; fewer, longer copies. */
            while (b < n) {
                const size_t e = n - b < LIM_CHUNK ? n : b + LIM_CHUNK;
                const double mb = mq_abs_max(in + b * ch, (e - b) * ch);
                if (isnan(mb) ||
                    !(fmax(mb, mq_abs_max(in + (b - (LIM_TAPS - 1)) * ch, ch * (LIM_TAPS - 1))) *
                          l->l1 <
                      l->target))
                    break;
                b = e;
            }
            pass_through(l, in + a * ch, out + a * ch, b - a);
        } else {
            /* mq_abs_max gives NaN for a chunk that holds a NaN or infinity. */
            const float *x = in + a * ch;
            if (isnan(m)) {
                for (size_t k = 0; k < len * ch; k++)
                    clean[k] = isfinite(in[a * ch + k]) ? in[a * ch + k] : 0.0f;
                x = clean;
            }
            detect(l, x, len, s0, mid, quiet);
            if (!quiet && idle(l) && gain_one(l, s0, mid, len))
                pass_detected(l, x, out + a * ch, len, mid[len - 1]);
            else
                limit_frames(l, x, out + a * ch, len, s0, mid);
        }
        a = b;
    }
    return MQ_OK;
}

int mq_limiter_flush(mq_limiter *l, float *out, size_t *n_out)
{
    if (!l || !out || !n_out)
        return MQ_EINVAL;
    static const float zero[LIM_CHUNK * LIM_CHANNELS_MAX];
    for (size_t done = 0; done < l->d; done += LIM_CHUNK) {
        size_t k = l->d - done < LIM_CHUNK ? l->d - done : LIM_CHUNK;
        mq_limiter_process(l, zero, out + done * (size_t)l->channels, k, NULL);
    }
    *n_out = l->d;
    reset(l);
    return MQ_OK;
}

double mq_limiter_quiet_level(const mq_limiter *l)
{
    /* mq_limiter_process's quiet test, samples * l1 < target, for samples
     * scaled by a float gain after they were measured. */
    return l ? l->target / (l->l1 * LIM_FLOAT_SLACK) : 0.0;
}

void mq_limiter_reset(mq_limiter *l)
{
    if (l)
        reset(l);
}

/* The running state, in the order save and load walk it: the scalars, then
 * the arrays. The coefficients are not state: they follow from rate and
 * channels, which load requires to match. */
typedef struct lim_scalars {
    double prev_mid, r, box_sum;
    size_t dq_head, dq_len, box_pos, box_below, dpos;
    uint64_t t;
} lim_scalars;

static size_t hist_bytes(const mq_limiter *l)
{
    return (size_t)l->channels * (LIM_TAPS - 1) * sizeof *l->hist;
}

size_t mq_limiter_state_size(const mq_limiter *l)
{
    if (!l)
        return 0;
    return sizeof(lim_scalars) + hist_bytes(l) + l->k * (sizeof *l->dq_val + sizeof *l->dq_idx) +
           l->w * sizeof *l->box + l->d * (size_t)l->channels * sizeof *l->delay;
}

/* Copies each piece of state between L and BUF, in one direction. */
static void walk(mq_limiter *l, unsigned char *buf, int save)
{
    lim_scalars sc = { l->prev_mid, l->r, l->box_sum, l->dq_head, l->dq_len, l->box_pos,
                       l->box_below, l->dpos, l->t };
    void *piece[] = { &sc, l->hist, l->dq_val, l->dq_idx, l->box, l->delay };
    size_t len[] = { sizeof sc, hist_bytes(l), l->k * sizeof *l->dq_val,
                     l->k * sizeof *l->dq_idx, l->w * sizeof *l->box,
                     l->d * (size_t)l->channels * sizeof *l->delay };
    for (size_t i = 0; i < sizeof len / sizeof *len; i++) {
        if (save)
            memcpy(buf, piece[i], len[i]);
        else
            memcpy(piece[i], buf, len[i]);
        buf += len[i];
    }
    if (!save) {
        l->prev_mid = sc.prev_mid;
        l->r = sc.r;
        l->box_sum = sc.box_sum;
        l->box_run = 0;
        for (size_t i = 0; i < sc.box_pos; i++)
            l->box_run += l->box[i];
        l->dq_head = sc.dq_head;
        l->dq_len = sc.dq_len;
        l->box_pos = sc.box_pos;
        l->box_below = sc.box_below;
        l->dpos = sc.dpos;
        l->t = sc.t;
    }
}

void mq_limiter_save(const mq_limiter *l, void *buf)
{
    if (l && buf)
        walk((mq_limiter *)l, buf, 1);
}

void mq_limiter_load(mq_limiter *l, const void *buf)
{
    if (l && buf)
        walk(l, (unsigned char *)buf, 0);
}
