/*
 * bench_dsp.c — tools/bench-dsp: speed of the limiter (mq_limiter_process)
 * and the meter (mq_meter_add) against a baseline commit's sources, run in
 * the same process on the same audio, and proof that both give the same
 * bytes. Never asserted by make test (the machine is shared and noisy);
 * figures are medians of alternating runs, and their ratio.
 *
 * The audio: 60 s of speech-like bursts (voiced syllables with formants,
 * fricative noise, pauses) over a low music bed, with a 10 s stretch 11 dB
 * hotter that makes the limiter act; mono speech alone for the per-item
 * meter. Calls of 16384 frames, each on a buffer just written, as in an
 * export (bench_dsp_impl.c). Equality is checked at several rates and
 * channel counts, call sizes, with NaN and infinite samples, and of the
 * limiter's state after every call.
 */
#include "audio/mq_loudness.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

double old_limit(const float *, float *, size_t, int, int, size_t, const size_t *);
double cur_limit(const float *, float *, size_t, int, int, size_t, const size_t *);
void old_limit_snapshot(const float *, float *, size_t, int, int, size_t);
void cur_limit_snapshot(const float *, float *, size_t, int, int, size_t);
size_t old_limit_states(const float *, size_t, int, int, size_t, unsigned char *, size_t);
size_t cur_limit_states(const float *, size_t, int, int, size_t, unsigned char *, size_t);
double old_meter(const float *, size_t, int, int, int, size_t, const size_t *, double[7]);
double cur_meter(const float *, size_t, int, int, int, size_t, const size_t *, double[7]);

static uint64_t rng = 0x2545F4914F6CDD1DULL;
static double urand(void)   /* 0..1 */
{
    rng ^= rng >> 12;
    rng ^= rng << 25;
    rng ^= rng >> 27;
    return (double)((rng * 2685821657736338717ULL) >> 11) / (double)(1ULL << 53);
}

/* Speech-like mono: syllables of 120..300 ms (70 % voiced: 16 harmonics of a
 * gliding 100..190 Hz shaped by two formants; else high-passed noise), 2..4
 * to a word, 40..120 ms between words, 0.4..0.9 s between sentences. */
static void speech(float *x, size_t n, int rate, double peak)
{
    size_t i = 0;
    double lp = 0, prev = 0;
    while (i < n) {
        int words = 3 + (int)(urand() * 8);
        for (int w = 0; w < words && i < n; w++) {
            int syl = 2 + (int)(urand() * 3);
            for (int s = 0; s < syl && i < n; s++) {
                size_t len = (size_t)((0.12 + 0.18 * urand()) * rate);
                int voiced = urand() < 0.7;
                double f0 = 100 + 90 * urand(), glide = (urand() - 0.5) * 40;
                double f1 = 400 + 400 * urand(), f2 = 1000 + 1200 * urand();
                double amp[16], ph = 0, a = peak * (0.4 + 0.6 * urand());
                double norm = 0;
                for (int k = 0; k < 16; k++) {
                    double f = f0 * (k + 1);
                    amp[k] = 1.0 / (1.0 + pow((f - f1) / 150, 2)) +
                             0.6 / (1.0 + pow((f - f2) / 250, 2)) + 0.02;
                    norm += amp[k];
                }
                for (size_t j = 0; j < len && i < n; j++, i++) {
                    double t = (double)j / (double)len;
                    double env = t < 0.1 ? 0.5 - 0.5 * cos(M_PI * t / 0.1)
                                         : exp(-2.5 * (t - 0.1));
                    double v;
                    if (voiced) {
                        ph += 2 * M_PI * (f0 + glide * t) / rate;
                        v = 0;
                        for (int k = 0; k < 16; k++)
                            v += amp[k] * sin((k + 1) * ph + k);
                        v /= norm * 0.35;
                    } else {
                        double r = urand() * 2 - 1;
                        lp += 0.5 * (r - lp);
                        v = (r - lp) * 1.2 - prev * 0.1;
                        prev = v;
                    }
                    x[i] = (float)(a * env * v);
                }
            }
            size_t gap = (size_t)((0.04 + 0.08 * urand()) * rate);
            for (size_t j = 0; j < gap && i < n; j++)
                x[i++] = 0;
        }
        size_t gap = (size_t)((0.4 + 0.5 * urand()) * rate);
        for (size_t j = 0; j < gap && i < n; j++)
            x[i++] = 0;
    }
}

/* N frames of CH channels: speech (centre) over a bed at about -32 dBFS,
 * HOT times louder from 7/12 to 9/12 of the way (35 s to 45 s of 60 s). */
static float *programme(size_t n, int rate, int ch, double hot)
{
    float *s = malloc(n * sizeof *s), *x = malloc(n * (size_t)ch * sizeof *x);
    speech(s, n, rate, 0.25);
    for (size_t i = 0; i < n; i++) {
        double t = (double)i / rate;
        double g = i >= n / 12 * 7 && i < n / 12 * 9 ? hot : 1.0;
        double trem = 0.7 + 0.3 * sin(2 * M_PI * 0.4 * t);
        for (int c = 0; c < ch; c++) {
            double bed = 0.025 * trem *
                         (sin(2 * M_PI * 196 * t + c) + 0.7 * sin(2 * M_PI * 247 * t + 2 * c) +
                          0.5 * sin(2 * M_PI * 294 * t + 3 * c));
            x[i * (size_t)ch + (size_t)c] = (float)(g * (s[i] * (1.0 - 0.05 * c) + bed));
        }
    }
    free(s);
    return x;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_d);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

static int failures;

static void same(int ok, const char *what)
{
    printf("  %-66s %s\n", what, ok ? "identical" : "DIFFERENT");
    if (!ok)
        failures++;
}

/* Whether two snapshots of a limiter (RATE, CH) hold the same state: the
 * scalars, the detector's history, the moving average and the delay line,
 * and the live entries of the deque (the others are stale, never read, and
 * uninitialized at first). The layout is mq_limiter.c's (walk). */
static int same_state(const unsigned char *a, const unsigned char *b, size_t size, int rate,
                      int ch)
{
    typedef struct {
        double prev_mid, r, box_sum;
        size_t dq_head, dq_len, box_pos, box_below, dpos;
        uint64_t t;
    } scalars;
    const size_t w = (size_t)lround(0.002 * rate), k = w + 64, d = w + 63, c = (size_t)ch;
    const size_t hist = c * 63 * sizeof(float), val = sizeof(scalars) + hist;
    const size_t idx = val + k * sizeof(double), rest = idx + k * sizeof(uint64_t);
    if (size != rest + w * sizeof(double) + d * c * sizeof(float))
        return 0;
    scalars s;
    memcpy(&s, a, sizeof s);
    if (memcmp(a, b, val) || memcmp(a + rest, b + rest, size - rest))
        return 0;
    for (size_t i = 0; i < s.dq_len; i++) {
        const size_t j = (s.dq_head + i) % k;
        if (memcmp(a + val + j * sizeof(double), b + val + j * sizeof(double), sizeof(double)) ||
            memcmp(a + idx + j * sizeof(uint64_t), b + idx + j * sizeof(uint64_t),
                   sizeof(uint64_t)))
            return 0;
    }
    return 1;
}

static const size_t odd_sizes[] = { 1, 63, 64, 4096, 16384, 255, 257, 1000, 7, 0 };

/* Old and new agree on X: limiter (whole blocks, odd sizes, snapshot) and
 * meter (full and integrated, whole and odd sizes). */
static void agree(const char *tag, const float *x, size_t n, int rate, int ch)
{
    char what[128];
    size_t lat = mq_limiter_latency(NULL), bytes;
    mq_limiter *l = NULL;
    mq_limiter_create(rate, ch, -1.0, &l, NULL);
    lat = mq_limiter_latency(l);
    mq_limiter_free(l);
    bytes = (n + lat) * (size_t)ch * sizeof(float);
    float *a = malloc(bytes), *b = malloc(bytes), *c = malloc(bytes);
    old_limit(x, a, n, rate, ch, 16384, NULL);
    cur_limit(x, b, n, rate, ch, 16384, NULL);
    snprintf(what, sizeof what, "%s limiter, calls of 16384: old vs new", tag);
    same(!memcmp(a, b, bytes), what);
    old_limit(x, a, n, rate, ch, 0, odd_sizes);
    cur_limit(x, c, n, rate, ch, 0, odd_sizes);
    snprintf(what, sizeof what, "%s limiter, odd call sizes: old vs new", tag);
    same(!memcmp(a, c, bytes), what);
    snprintf(what, sizeof what, "%s limiter, new: odd call sizes vs 16384", tag);
    same(!memcmp(b, c, bytes), what);
    {
        /* The state itself (what a snapshot holds), after every call. */
        const size_t block = 4099, size = old_limit_states(x, 0, rate, ch, block, NULL, 0);
        const size_t calls = (n + block - 1) / block;
        unsigned char *so = malloc(calls * size), *sn = malloc(calls * size);
        int ok = old_limit_states(x, n, rate, ch, block, so, size) == size &&
                 cur_limit_states(x, n, rate, ch, block, sn, size) == size;
        for (size_t i = 0; ok && i < calls; i++)
            ok = same_state(so + i * size, sn + i * size, size, rate, ch);
        snprintf(what, sizeof what, "%s limiter, its state after each call: old vs new", tag);
        same(ok, what);
        free(so), free(sn);
    }
    old_limit_snapshot(x, a, n, rate, ch, n / 3 + 17);
    cur_limit_snapshot(x, c, n, rate, ch, n / 3 + 17);
    snprintf(what, sizeof what, "%s limiter, snapshot mid-stream: old vs new, new vs straight",
             tag);
    same(!memcmp(a, c, bytes) && !memcmp(b, c, bytes), what);
    for (int full = 1; full >= 0; full--) {
        double ro[7], rn[7], rs[7];
        old_meter(x, n, rate, ch, full, 16384, NULL, ro);
        cur_meter(x, n, rate, ch, full, 16384, NULL, rn);
        cur_meter(x, n, rate, ch, full, 0, odd_sizes, rs);
        snprintf(what, sizeof what, "%s meter%s: old vs new, new odd sizes", tag,
                 full ? "" : " (integrated)");
        same(!memcmp(ro, rn, sizeof ro) && !memcmp(rn, rs, sizeof rn), what);
        if (memcmp(ro, rn, sizeof ro))
            for (int i = 0; i < 7; i++)
                printf("    %d: %.17g %.17g (%.3g)\n", i, ro[i], rn[i], rn[i] - ro[i]);
    }
    free(a), free(b), free(c);
}

int main(int argc, char **argv)
{
    int reps = argc > 1 ? atoi(argv[1]) : 7;
    const int rate = 48000;
    const size_t n = 60 * (size_t)rate;
    float *x = programme(n, rate, 2, 3.5);
    float *mono = malloc(n * sizeof *mono);
    speech(mono, n, rate, 0.3);
    if (argc > 2) {   /* also writes the stereo programme, raw float, for a profiler */
        FILE *f = fopen(argv[2], "wb");
        if (!f || fwrite(x, 2 * sizeof *x, n, f) != n || fclose(f))
            return 2;
    }

    {
        double r[7];
        cur_meter(x, n / 12 * 7, rate, 2, 1, 16384, NULL, r);
        printf("programme: first 35 s %.1f LUFS, %.1f dBTP; ", r[0], r[1]);
        cur_meter(x, n, rate, 2, 1, 16384, NULL, r);
        printf("all %.1f LUFS, %.1f dBTP, LRA %.1f LU\n", r[0], r[1], r[2]);
        cur_meter(mono, n, rate, 1, 1, 16384, NULL, r);
        printf("mono speech: %.1f LUFS, %.1f dBTP\n", r[0], r[1]);
    }
    printf("equality (bytes of the limiter's output, bits of the meter's results):\n");
    agree("48k stereo 60 s", x, n, rate, 2);
    {
        const int rates[] = { 8000, 44100, 96000, 192000 }, chs[] = { 1, 2, 6, 3 };
        for (int r = 0; r < 4; r++) {
            size_t m = 12 * (size_t)rates[r];
            float *y = programme(m, rates[r], chs[r], 4.0);
            if (r == 1)   /* NaN and infinity in a loud stretch and a quiet one */
                y[8 * (size_t)rates[r] * 2 + 1] = NAN, y[3 * (size_t)rates[r] * 2] = INFINITY;
            char tag[64];
            snprintf(tag, sizeof tag, "%d Hz %dch%s", rates[r], chs[r], r == 1 ? " nan/inf" : "");
            agree(tag, y, m, rates[r], chs[r]);
            free(y);
        }
    }

    size_t lat;
    {
        mq_limiter *l = NULL;
        mq_limiter_create(rate, 2, -1.0, &l, NULL);
        lat = mq_limiter_latency(l);
        mq_limiter_free(l);
    }
    float *out = malloc((n + lat) * 2 * sizeof *out);
    double t[4][2][64], r[7];
    const size_t calm = n / 12 * 7;   /* the first 35 s: -23 LUFS, peaks -3.3 dBTP */
    if (reps > 64)
        reps = 64;
    for (int k = 0; k < reps; k++) {
        t[0][0][k] = old_limit(x, out, n, rate, 2, 16384, NULL) / (double)n;
        t[0][1][k] = cur_limit(x, out, n, rate, 2, 16384, NULL) / (double)n;
        t[1][0][k] = old_meter(x, n, rate, 2, 1, 16384, NULL, r) / (double)n;
        t[1][1][k] = cur_meter(x, n, rate, 2, 1, 16384, NULL, r) / (double)n;
        t[2][0][k] = old_meter(mono, n, rate, 1, 0, 16384, NULL, r) / (double)n;
        t[2][1][k] = cur_meter(mono, n, rate, 1, 0, 16384, NULL, r) / (double)n;
        t[3][0][k] = old_limit(x, out, calm, rate, 2, 16384, NULL) / (double)calm;
        t[3][1][k] = cur_limit(x, out, calm, rate, 2, 16384, NULL) / (double)calm;
    }
    static const char *name[] = { "mq_limiter_process, 48 kHz stereo",
                                  "mq_meter_add (full), 48 kHz stereo",
                                  "mq_meter_add (integrated), 48 kHz mono speech",
                                  "mq_limiter_process, the calm 35 s only" };
    printf("\nspeed, ns per frame, median of %d alternating runs over 60 s (calls of 16384):\n",
           reps);
    for (int f = 0; f < 4; f++) {
        double ratio[64];
        for (int k = 0; k < reps; k++)
            ratio[k] = t[f][0][k] / t[f][1][k];
        double mo = median(t[f][0], reps), mn = median(t[f][1], reps);
        printf("  %-46s old %6.2f  new %6.2f  old/new %.2fx (median of per-run ratios %.2fx)\n",
               name[f], mo, mn, mo / mn, median(ratio, reps));
    }
    free(x), free(mono), free(out);
    if (failures)
        printf("\n%d comparisons DIFFERENT\n", failures);
    return failures ? 1 : 0;
}
