/* test_loudness.c — the loudness meter against EBU Tech 3341/3342 reference
 * cases and against ffmpeg's independent ebur128 filter, and the true-peak
 * limiter: ceiling kept (as libebur128 measures it), loudness kept, quiet audio
 * untouched, lengths, determinism.
 *
 * Reference levels. BS.1770-4: L = -0.691 + 10 log10(sum_i G_i z_i), z_i the
 * mean square of the K-weighted channel i, G = 1 for left and right. A sine of
 * peak amplitude A has mean square A^2/2, and the K filter's gain near 1 kHz
 * is +0.69 dB, which the -0.691 cancels. So a 0 dBFS-peak 1 kHz sine on ONE
 * channel reads 10 log10(1/2) = -3.01 LUFS (BS.1770-4 states this), and on
 * both channels of a stereo signal 10 log10(2 * 1/2) = 0.0 LUFS. Hence:
 *   - a stereo sine at -20 dBFS peak on both channels reads -20.0 LUFS (not
 *     -23: the two channels add +3.01 dB to the per-channel -23.01);
 *   - EBU Tech 3341 case 1, a stereo 1 kHz sine at -23 dBFS, reads -23.0 LUFS;
 *   - a mono -20 dBFS sine reads -23.01 LUFS.
 * We use 997 Hz (not a divisor of the rate, so every sample phase occurs).
 */
#include "mq_test.h"
#include "audio/mq_loudness.h"

#include <ebur128.h>
#include <sndfile.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

static double db2lin(double db)
{
    return pow(10.0, db / 20.0);
}

/* Appends SECONDS of a sine (peak AMP_DB dBFS, phase PHASE_DEG) to X on every
 * channel; returns the new frame count. X must have room. */
static size_t add_sine(float *x, size_t at, int rate, int ch, double seconds, double freq,
                       double amp_db, double phase_deg)
{
    size_t n = (size_t)lround(seconds * rate);
    double a = amp_db <= -200 ? 0 : db2lin(amp_db);
    for (size_t i = 0; i < n; i++) {
        float v = (float)(a * sin(2 * M_PI * freq * (double)i / rate + phase_deg * M_PI / 180));
        for (int c = 0; c < ch; c++)
            x[(at + i) * (size_t)ch + (size_t)c] = v;
    }
    return at + n;
}

/* A 10 ms raised-cosine fade-in on N frames: a tone that starts abruptly is a
 * step, whose band-limited reconstruction genuinely overshoots; the EBU true
 * peak cases are about the steady tone. */
static void fade_in(float *x, size_t n, int rate, int ch)
{
    size_t f = (size_t)rate / 100;
    for (size_t i = 0; i < f && i < n; i++)
        for (int c = 0; c < ch; c++)
            x[i * (size_t)ch + (size_t)c] *= (float)(0.5 - 0.5 * cos(M_PI * (double)i / f));
}

/* Deterministic uniform noise in -1..1 (xorshift64*). */
static double noise(uint64_t *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    uint64_t r = *s * 2685821657736338717ULL;
    return (double)(r >> 11) / (double)(1ULL << 52) - 1.0;
}

/* Music-like stereo material: a slowly swelling chord with harmonics, filtered
 * noise, and (if HITS) a hot percussive transient every 2.5 s that stands
 * about 14 dB above the body. */
static float *music(int rate, int ch, double seconds, int hits, size_t *n_out)
{
    size_t n = (size_t)lround(seconds * rate);
    float *x = malloc(n * (size_t)ch * sizeof *x);
    if (!x)
        return NULL;
    static const double f[] = { 110, 164.81, 220, 277.18, 329.63, 440, 659.26, 880, 1760,
                                3520, 7040 };
    uint64_t s = 0x9E3779B97F4A7C15ULL;
    double lp[8] = { 0 }, h1[8] = { 0 }, h2[8] = { 0 };
    for (size_t i = 0; i < n; i++) {
        double t = (double)i / rate;
        double swell = 0.6 + 0.4 * sin(2 * M_PI * 0.3 * t);
        for (int c = 0; c < ch; c++) {
            double v = 0;
            for (size_t k = 0; k < sizeof f / sizeof *f; k++)
                v += sin(2 * M_PI * f[k] * t + 0.7 * (double)k + 0.3 * c) / (1.0 + (double)k);
            v *= 0.05 * swell;
            lp[c] += 0.3 * (noise(&s) - lp[c]);
            v += 0.03 * lp[c];
            if (hits) {
                /* the hit's noise rolls off above a few kHz, like a drum's */
                h1[c] += 0.5 * (noise(&s) - h1[c]);
                h2[c] += 0.5 * (h1[c] - h2[c]);
                double since = fmod(t + 0.5, 2.5);
                if (since < 0.08)
                    v += exp(-since / 0.003) *
                         (0.35 * sin(2 * M_PI * 2900 * since) + 0.3 * h2[c]);
            }
            x[i * (size_t)ch + (size_t)c] = (float)v;
        }
    }
    *n_out = n;
    return x;
}

static void scale(float *x, size_t samples, double gain)
{
    for (size_t i = 0; i < samples; i++)
        x[i] = (float)(x[i] * gain);
}

/* Scales X so that its true peak (libebur128) is DBTP. */
static void drive_to(float *x, size_t n, int rate, int ch, double dbtp)
{
    double tp;
    mq_loudness_of(x, n, rate, ch, NULL, &tp, NULL);
    scale(x, n * (size_t)ch, db2lin(dbtp - tp));
}

static double lufs_of(const float *x, size_t n, int rate, int ch)
{
    double v = NAN;
    mq_loudness_of(x, n, rate, ch, &v, NULL, NULL);
    return v;
}

static double tp_of(const float *x, size_t n, int rate, int ch)
{
    double v = NAN;
    mq_loudness_of(x, n, rate, ch, NULL, &v, NULL);
    return v;
}

/* Runs X through a fresh limiter in blocks of up to BLOCK frames (varying),
 * flushes, and returns the output of exactly N frames with the latency removed
 * (NULL on failure). */
static float *limit_all(const float *x, size_t n, int rate, int ch, double ceiling, size_t block,
                        size_t *latency)
{
    mq_limiter *l = NULL;
    if (mq_limiter_create(rate, ch, ceiling, &l, NULL) != MQ_OK)
        return NULL;
    size_t lat = mq_limiter_latency(l);
    float *y = malloc((n + lat) * (size_t)ch * sizeof *y);
    if (!y) {
        mq_limiter_free(l);
        return NULL;
    }
    size_t done = 0, step = 0;
    while (done < n) {
        size_t k = block - (step++ * 37) % block; /* irregular block sizes */
        if (k > n - done)
            k = n - done;
        mq_limiter_process(l, x + done * (size_t)ch, y + done * (size_t)ch, k, NULL);
        done += k;
    }
    size_t got = 0;
    mq_limiter_flush(l, y + n * (size_t)ch, &got);
    mq_limiter_free(l);
    if (got != lat) {
        free(y);
        return NULL;
    }
    memmove(y, y + lat * (size_t)ch, n * (size_t)ch * sizeof *y);
    if (latency)
        *latency = lat;
    return y;
}

/* ---- ffmpeg's ebur128 filter as an independent reference ---- */

static int have_ffmpeg(void)
{
    return system("command -v ffmpeg >/dev/null 2>&1") == 0;
}

/* Writes X to a float WAV and reads ffmpeg's integrated loudness and true
 * peak from the filter's summary. 0 on success. */
static int ffmpeg_measure(const float *x, size_t n, int rate, int ch, double *lufs,
                          double *dbtp)
{
    char path[] = "/tmp/mq_test_loudness_XXXXXX.wav";
    int fd = mkstemps(path, 4);
    if (fd < 0)
        return -1;
    SF_INFO info = { .samplerate = rate, .channels = ch,
                     .format = SF_FORMAT_WAV | SF_FORMAT_FLOAT };
    SNDFILE *sf = sf_open_fd(fd, SFM_WRITE, &info, 1);
    if (!sf) {
        close(fd);
        unlink(path);
        return -1;
    }
    sf_count_t w = sf_writef_float(sf, x, (sf_count_t)n);
    sf_close(sf);
    if (w != (sf_count_t)n) {
        unlink(path);
        return -1;
    }
    char cmd[512];
    snprintf(cmd, sizeof cmd,
             "ffmpeg -nostdin -hide_banner -nostats -i '%s' "
             "-af ebur128=peak=true:framelog=verbose -f null - 2>&1",
             path);
    FILE *p = popen(cmd, "r");
    int got_i = 0, got_p = 0, in_summary = 0, in_tp = 0;
    if (p) {
        char line[512];
        while (fgets(line, sizeof line, p)) {
            if (strstr(line, "Summary:"))
                in_summary = 1;
            if (!in_summary)
                continue;
            const char *s;
            if ((s = strstr(line, "I:")) && sscanf(s + 2, "%lf", lufs) == 1)
                got_i = 1;
            if (strstr(line, "True peak:"))
                in_tp = 1;
            if (in_tp && (s = strstr(line, "Peak:")) && sscanf(s + 5, "%lf", dbtp) == 1)
                got_p = 1;
        }
        pclose(p);
    }
    unlink(path);
    return got_i && got_p ? 0 : -1;
}

/* ---- tests ---- */

static void test_reference_levels(void)
{
    const int rate = 48000;
    float *x = malloc((size_t)rate * 100 * 2 * sizeof *x);
    size_t n;

    /* EBU Tech 3341 case 1: stereo 1 kHz at -23 dBFS, 20 s -> -23.0 LUFS. */
    n = add_sine(x, 0, rate, 2, 20, 997, -23, 0);
    mq_meter *m = NULL;
    mq_error err = { 0 };
    CHECK_INT(mq_meter_create(rate, 2, &m, &err), MQ_OK, "meter created");
    CHECK_INT(mq_meter_add(m, x, n, &err), MQ_OK, "20 s added");
    CHECK_NEAR(mq_meter_integrated(m), -23.0, 0.1, "Tech 3341 case 1: I = -23.0 LUFS");
    CHECK_NEAR(mq_meter_momentary(m), -23.0, 0.1, "Tech 3341 case 1: M = -23.0 LUFS");
    CHECK_NEAR(mq_meter_short_term(m), -23.0, 0.1, "Tech 3341 case 1: S = -23.0 LUFS");
    CHECK_NEAR(mq_meter_max_momentary(m), -23.0, 0.1, "max momentary of a steady tone");
    CHECK_NEAR(mq_meter_max_short_term(m), -23.0, 0.1, "max short-term of a steady tone");
    CHECK_NEAR(mq_meter_true_peak(m), -23.0, 0.1, "its true peak is its -23 dBFS peak");
    CHECK_NEAR(mq_meter_range(m), 0.0, 0.1, "a steady tone has no loudness range");
    mq_meter_free(m);

    /* Tech 3341 case 2: -33 dBFS -> -33.0 LUFS. */
    n = add_sine(x, 0, rate, 2, 20, 997, -33, 0);
    CHECK_NEAR(lufs_of(x, n, rate, 2), -33.0, 0.1, "Tech 3341 case 2: -33.0 LUFS");

    /* The arithmetic of the header comment. */
    n = add_sine(x, 0, rate, 2, 10, 997, -20, 0);
    CHECK_NEAR(lufs_of(x, n, rate, 2), -20.0, 0.1, "stereo -20 dBFS sine: -20.0 LUFS");
    n = add_sine(x, 0, rate, 1, 10, 997, -20, 0);
    CHECK_NEAR(lufs_of(x, n, rate, 1), -23.01, 0.1, "mono -20 dBFS sine: -23.01 LUFS");
    n = add_sine(x, 0, rate, 1, 10, 997, 0, 0);
    CHECK_NEAR(lufs_of(x, n, rate, 1), -3.01, 0.1,
               "BS.1770-4: 0 dBFS 1 kHz on one channel reads -3.01 LUFS");

    /* Tech 3341 case 3: -36/-23/-36 dBFS for 10/60/10 s -> -23.0 (relative gate). */
    n = add_sine(x, 0, rate, 2, 10, 997, -36, 0);
    n = add_sine(x, n, rate, 2, 60, 997, -23, 0);
    n = add_sine(x, n, rate, 2, 10, 997, -36, 0);
    CHECK_NEAR(lufs_of(x, n, rate, 2), -23.0, 0.1, "Tech 3341 case 3 (relative gate): -23.0");

    /* Case 4: -72/-36/-23/-36/-72 dBFS for 10/10/60/10/10 s -> -23.0. */
    n = add_sine(x, 0, rate, 2, 10, 997, -72, 0);
    n = add_sine(x, n, rate, 2, 10, 997, -36, 0);
    n = add_sine(x, n, rate, 2, 60, 997, -23, 0);
    n = add_sine(x, n, rate, 2, 10, 997, -36, 0);
    n = add_sine(x, n, rate, 2, 10, 997, -72, 0);
    CHECK_NEAR(lufs_of(x, n, rate, 2), -23.0, 0.1, "Tech 3341 case 4 (both gates): -23.0");

    /* Case 5: -26/-20/-26 dBFS for 20.1/20/20.1 s -> -23.0. */
    n = add_sine(x, 0, rate, 2, 20.1, 997, -26, 0);
    n = add_sine(x, n, rate, 2, 20, 997, -20, 0);
    n = add_sine(x, n, rate, 2, 20.1, 997, -26, 0);
    CHECK_NEAR(lufs_of(x, n, rate, 2), -23.0, 0.1, "Tech 3341 case 5: -23.0");

    /* EBU Tech 3342 case 1: -20 then -30 dBFS, 20 s each -> LRA 10 +- 1 LU. */
    n = add_sine(x, 0, rate, 2, 20, 997, -20, 0);
    n = add_sine(x, n, rate, 2, 20, 997, -30, 0);
    CHECK_INT(mq_meter_create(rate, 2, &m, &err), MQ_OK, "meter for LRA");
    mq_meter_add(m, x, n, &err);
    CHECK_NEAR(mq_meter_range(m), 10.0, 1.0, "Tech 3342 case 1: LRA = 10 LU");
    CHECK_NEAR(mq_meter_max_momentary(m), -20.0, 0.1, "max momentary is the loud part's");
    CHECK_NEAR(mq_meter_momentary(m), -30.0, 0.1, "momentary is the current (quiet) part's");
    mq_meter_free(m);

    /* A 1 s tone in silence: the max momentary sees it whole, the 3 s short-term
     * window averages it with 2 s of silence: -23 + 10 log10(1/3) = -27.77. */
    n = add_sine(x, 0, rate, 2, 2, 997, -300, 0);
    n = add_sine(x, n, rate, 2, 1, 997, -23, 0);
    n = add_sine(x, n, rate, 2, 4, 997, -300, 0);
    CHECK_INT(mq_meter_create(rate, 2, &m, &err), MQ_OK, "meter for maxima");
    mq_meter_add(m, x, n, &err);
    CHECK_NEAR(mq_meter_max_momentary(m), -23.0, 0.1, "max momentary of a 1 s tone");
    CHECK_NEAR(mq_meter_max_short_term(m), -27.77, 0.1, "max short-term of a 1 s tone");
    CHECK(mq_meter_momentary(m) == -INFINITY, "momentary is -inf after 4 s of silence");
    mq_meter_free(m);
    free(x);
}

/* Shorter than one 400 ms gating block, audio is measured as one block of
 * its own length: a steady tone reads as it does over 20 s (the K-weighting
 * settles within a few ms), the reading joins the gated one at 400 ms, and
 * a gain moves it by as much. Silence stays -inf. */
static void test_short_audio(void)
{
    const int rate = 48000;
    float *x = calloc((size_t)rate * 2, sizeof *x);
    const double secs[] = { 0.05, 0.2, 0.399, 0.4 };
    for (size_t k = 0; k < sizeof secs / sizeof secs[0]; k++) {
        size_t n = add_sine(x, 0, rate, 2, secs[k], 997, -23, 0);
        char d[96];
        snprintf(d, sizeof d, "a %.0f ms tone at -23 dBFS reads -23.0 LUFS", secs[k] * 1000);
        CHECK_NEAR(lufs_of(x, n, rate, 2), -23.0, 0.1, d);
    }
    size_t n = add_sine(x, 0, rate, 2, 0.3, 997, -23, 0);
    mq_meter *m = NULL;
    mq_error err = { 0 };
    mq_meter_create(rate, 2, &m, &err);
    mq_meter_add(m, x, n, &err);
    double before = mq_meter_integrated(m);
    mq_meter_scale(m, -6.0);
    CHECK_NEAR(mq_meter_integrated(m), before - 6.0, 1e-9, "a short reading follows a gain");
    mq_meter_free(m);
    float *z = calloc((size_t)rate / 5 * 2, sizeof *z);
    CHECK(lufs_of(z, (size_t)rate / 5, rate, 2) == -INFINITY, "200 ms of silence is -inf");
    free(z);
    free(x);
}

static void test_silence_and_errors(void)
{
    const int rate = 44100;
    size_t n = (size_t)rate * 5;
    float *z = calloc(n * 2, sizeof *z);
    double lufs = 0, tp = 0;
    mq_error err = { 0 };
    CHECK_INT(mq_loudness_of(z, n, rate, 2, &lufs, &tp, &err), MQ_OK, "silence measured");
    CHECK(lufs == -INFINITY, "silence is -inf LUFS");
    CHECK(tp == -INFINITY, "silence is -inf dBTP");
    mq_meter *m = NULL;
    mq_meter_create(rate, 2, &m, &err);
    mq_meter_add(m, z, n, &err);
    CHECK(mq_meter_max_momentary(m) == -INFINITY, "silence: max momentary -inf");
    CHECK(mq_meter_short_term(m) == -INFINITY, "silence: short-term -inf");
    CHECK_NEAR(mq_meter_range(m), 0.0, 0, "silence: LRA 0");
    CHECK_INT(mq_meter_add(m, NULL, 0, &err), MQ_OK, "adding nothing is fine");
    CHECK_INT(mq_meter_add(m, NULL, 5, &err), MQ_EINVAL, "NULL samples refused");
    mq_meter_free(m);
    mq_meter_free(NULL);

    CHECK_INT(mq_meter_create(100, 2, &m, &err), MQ_EINVAL, "absurd meter rate refused");
    CHECK(m == NULL, "no meter on failure");
    CHECK_HAS(err.msg, "out of range", "the message says why");
    CHECK_INT(mq_meter_create(48000, 0, &m, &err), MQ_EINVAL, "0 channels refused");
    CHECK(isnan(mq_meter_integrated(NULL)), "NULL meter reads NaN");
    CHECK_INT(mq_loudness_of(NULL, 10, 48000, 2, &lufs, &tp, &err), MQ_EINVAL,
              "one-shot refuses NULL samples");

    mq_limiter *l = NULL;
    CHECK_INT(mq_limiter_create(48000, 2, 3.0, &l, &err), MQ_EINVAL, "ceiling above 0 refused");
    CHECK_HAS(err.msg, "ceiling", "the message names the ceiling");
    CHECK_INT(mq_limiter_create(4000, 2, -1.0, &l, &err), MQ_EINVAL, "4 kHz refused");
    CHECK_INT(mq_limiter_create(48000, 9, -1.0, &l, &err), MQ_EINVAL, "9 channels refused");
    CHECK_INT(mq_limiter_create(48000, 2, NAN, &l, &err), MQ_EINVAL, "NaN ceiling refused");
    CHECK(l == NULL, "no limiter on failure");
    CHECK_INT(mq_limiter_process(NULL, z, z, 1, &err), MQ_EINVAL, "NULL limiter refused");
    mq_limiter_free(NULL);
    free(z);
}

static void test_true_peak(void)
{
    /* EBU Tech 3341 true-peak cases (48 kHz, expected -6.0 dBTP, tolerance
     * +0.2/-0.4 dB): a 0.5-peak sine at fs/4 sampled at 45 degrees has
     * samples of only 0.354 (-9.03 dBFS) but a true peak of 0.5 (-6.02 dBTP);
     * fs/6 at 60 degrees: samples 0.433 (-7.27 dBFS). */
    const int rate = 48000;
    size_t n = (size_t)rate * 2;
    float *x = malloc(n * 2 * sizeof *x);
    static const struct {
        double freq, phase;
        const char *desc;
    } c[] = {
        { 12000, 0, "fs/4 at 0 deg: -6.0 dBTP" },
        { 12000, 45, "fs/4 at 45 deg: -6.0 dBTP though samples peak at -9.0 dBFS" },
        { 8000, 60, "fs/6 at 60 deg: -6.0 dBTP though samples peak at -7.3 dBFS" },
        { 6000, 67.5, "fs/8 at 67.5 deg: -6.0 dBTP" },
    };
    for (size_t k = 0; k < sizeof c / sizeof *c; k++) {
        add_sine(x, 0, rate, 2, 2, c[k].freq, -6.0206, c[k].phase);
        fade_in(x, n, rate, 2);
        double sp = 0;
        for (size_t i = 0; i < n; i++)
            sp = fmax(sp, fabs(x[2 * i]));
        double tp = tp_of(x, n, rate, 2);
        MQ_CHECK_(tp >= -6.4 && tp <= -5.8, c[k].desc, "got %.3f dBTP (sample peak %.2f dBFS)",
                  tp, 20 * log10(sp));
    }
    add_sine(x, 0, rate, 2, 2, 12000, -6.0206, 45);
    double sp = 0;
    for (size_t i = 0; i < n; i++)
        sp = fmax(sp, fabs(x[2 * i]));
    CHECK_NEAR(20 * log10(sp), -9.03, 0.01, "that signal's sample peak is 3 dB lower");
    free(x);
}

static void test_gain_and_blocks(void)
{
    const int rate = 44100;
    size_t n;
    float *x = music(rate, 2, 8, 1, &n);
    double a = lufs_of(x, n, rate, 2);
    float *y = malloc(n * 2 * sizeof *y);
    memcpy(y, x, n * 2 * sizeof *y);
    scale(y, n * 2, db2lin(6.0));
    double b = lufs_of(y, n, rate, 2);
    CHECK_NEAR(b - a, 6.0, 0.01, "+6 dB of gain reads +6.0 LU");
    double ta = tp_of(x, n, rate, 2), tb = tp_of(y, n, rate, 2);
    CHECK_NEAR(tb - ta, 6.0, 0.01, "and +6.0 dB of true peak");

    /* Block sizes do not matter. */
    mq_meter *m1 = NULL, *m2 = NULL;
    mq_meter_create(rate, 2, &m1, NULL);
    mq_meter_create(rate, 2, &m2, NULL);
    mq_meter_add(m1, x, n, NULL);
    size_t done = 0, step = 0;
    while (done < n) {
        size_t k = 1 + (step++ * 7919) % 3001;
        if (k > n - done)
            k = n - done;
        mq_meter_add(m2, x + 2 * done, k, NULL);
        done += k;
    }
    CHECK(mq_meter_integrated(m1) == mq_meter_integrated(m2), "integrated: same in any blocks");
    CHECK(mq_meter_max_momentary(m1) == mq_meter_max_momentary(m2),
          "max momentary: same in any blocks");
    CHECK(mq_meter_max_short_term(m1) == mq_meter_max_short_term(m2),
          "max short-term: same in any blocks");
    CHECK(mq_meter_true_peak(m1) == mq_meter_true_peak(m2), "true peak: same in any blocks");
    CHECK(mq_meter_max_momentary(m1) >= mq_meter_momentary(m1), "max >= current");
    mq_meter_free(m1);
    mq_meter_free(m2);
    free(x);
    free(y);
}

static void test_against_ffmpeg(void)
{
    if (!have_ffmpeg()) {
        printf("SKIP: ffmpeg not installed; no comparison with its ebur128 filter\n");
        return;
    }
    struct {
        const char *desc;
        int rate, ch;
        float *x;
        size_t n;
    } c[4];
    size_t nc = 0;
    c[nc].x = music(48000, 2, 12, 1, &c[nc].n);
    c[nc].desc = "music-like, 48 kHz stereo";
    c[nc].rate = 48000;
    c[nc++].ch = 2;
    c[nc].x = music(44100, 2, 10, 0, &c[nc].n);
    drive_to(c[nc].x, c[nc].n, 44100, 2, -3.0);
    c[nc].desc = "dense music-like, 44.1 kHz stereo";
    c[nc].rate = 44100;
    c[nc++].ch = 2;
    c[nc].x = music(22050, 1, 10, 1, &c[nc].n);
    c[nc].desc = "music-like, 22.05 kHz mono";
    c[nc].rate = 22050;
    c[nc++].ch = 1;
    c[nc].n = 48000 * 10;
    c[nc].x = malloc(c[nc].n * 2 * sizeof(float));
    add_sine(c[nc].x, 0, 48000, 2, 10, 12000, -6.0206, 45);
    fade_in(c[nc].x, c[nc].n, 48000, 2);
    c[nc].desc = "fs/4 sine at 45 deg, 48 kHz";
    c[nc].rate = 48000;
    c[nc++].ch = 2;
    for (size_t k = 0; k < nc; k++) {
        double ours_i, ours_p, ff_i = NAN, ff_p = NAN;
        mq_loudness_of(c[k].x, c[k].n, c[k].rate, c[k].ch, &ours_i, &ours_p, NULL);
        int rc = ffmpeg_measure(c[k].x, c[k].n, c[k].rate, c[k].ch, &ff_i, &ff_p);
        char d[160];
        snprintf(d, sizeof d, "%s: ffmpeg ebur128 summary read", c[k].desc);
        CHECK_INT(rc, 0, d);
        printf("  %s: ours I %.2f LUFS, TP %.2f dBTP; ffmpeg I %.1f LUFS, TP %.1f dBTP\n",
               c[k].desc, ours_i, ours_p, ff_i, ff_p);
        snprintf(d, sizeof d, "%s: integrated agrees with ffmpeg within 0.1 LU", c[k].desc);
        CHECK_NEAR(ours_i, ff_i, 0.1, d);
        snprintf(d, sizeof d, "%s: true peak agrees with ffmpeg within 0.2 dB", c[k].desc);
        CHECK_NEAR(ours_p, ff_p, 0.2, d);
        free(c[k].x);
    }
}

static void test_limiter_music(void)
{
    const int rate = 48000;
    size_t n, lat = 0;
    /* Occasional hot transients over a moderate body, driven to +6 dBTP. */
    float *x = music(rate, 2, 10, 1, &n);
    drive_to(x, n, rate, 2, 6.0);
    double in_i = lufs_of(x, n, rate, 2), in_tp = tp_of(x, n, rate, 2);
    float *y = limit_all(x, n, rate, 2, -1.0, 4096, &lat);
    CHECK(y != NULL, "music-like signal limited");
    if (!y) {
        free(x);
        return;
    }
    CHECK_INT(lat, 159, "latency at 48 kHz: 159 frames (3.3 ms)");
    double out_i = lufs_of(y, n, rate, 2), out_tp = tp_of(y, n, rate, 2);
    printf("  music +6 dBTP: in %.2f LUFS %.2f dBTP -> out %.2f LUFS %.3f dBTP\n", in_i, in_tp,
           out_i, out_tp);
    MQ_CHECK_(out_tp <= -1.0, "occasional peaks at +6 dBTP come out <= -1 dBTP (libebur128)",
              "got %.3f dBTP", out_tp);
    CHECK(out_tp > -1.5, "but not needlessly far below it");
    CHECK_NEAR(out_i, in_i, 1.0, "integrated loudness changes by under 1 LU");
    if (have_ffmpeg()) {
        double ff_i, ff_p;
        if (ffmpeg_measure(y, n, rate, 2, &ff_i, &ff_p) == 0) {
            printf("  ffmpeg reads the limited music as %.1f LUFS, %.1f dBTP\n", ff_i, ff_p);
            CHECK(ff_p <= -1.0 + 0.05, "ffmpeg also reads the limited music at <= -1.0 dBTP");
        }
    }

    /* Same bytes twice, whatever the block sizes. */
    float *y2 = limit_all(x, n, rate, 2, -1.0, 4096, NULL);
    float *y3 = limit_all(x, n, rate, 2, -1.0, 1, NULL);
    float *y4 = limit_all(x, n, rate, 2, -1.0, 48000 * 20, NULL);
    CHECK(y2 && memcmp(y, y2, n * 2 * sizeof *y) == 0, "two runs give identical bytes");
    CHECK(y3 && memcmp(y, y3, n * 2 * sizeof *y) == 0, "frame-by-frame gives identical bytes");
    CHECK(y4 && memcmp(y, y4, n * 2 * sizeof *y) == 0, "one block gives identical bytes");
    free(y2);
    free(y3);
    free(y4);
    free(y);

    /* Dense, constantly hot material: the ceiling still holds. */
    free(x);
    x = music(rate, 2, 10, 0, &n);
    drive_to(x, n, rate, 2, 6.0);
    y = limit_all(x, n, rate, 2, -1.0, 1000, NULL);
    double tp = y ? tp_of(y, n, rate, 2) : NAN;
    MQ_CHECK_(tp <= -1.0, "dense material at +6 dBTP comes out <= -1 dBTP", "got %.3f", tp);
    free(y);
    free(x);
}

static void test_limiter_hard_cases(void)
{
    /* White noise and near-Nyquist tones are the hardest for true peak:
     * intersample overs everywhere. Various rates, channels and ceilings. */
    static const struct {
        int rate, ch;
        double ceiling;
        int kind; /* 0 noise, 1 sine at 0.45 fs, 2 square-ish bursts */
    } c[] = {
        { 48000, 2, -1.0, 0 }, { 48000, 2, -1.0, 1 }, { 48000, 1, -1.0, 2 },
        { 44100, 2, -2.0, 0 }, { 8000, 1, -1.0, 0 },  { 8000, 1, -1.0, 1 },
        { 22050, 2, -1.0, 2 }, { 96000, 2, -1.0, 0 }, { 192000, 2, -1.0, 0 },
        { 48000, 2, 0.0, 0 },  { 48000, 2, -10.0, 2 },
    };
    for (size_t k = 0; k < sizeof c / sizeof *c; k++) {
        int rate = c[k].rate, ch = c[k].ch;
        size_t n = (size_t)rate * 3;
        float *x = malloc(n * (size_t)ch * sizeof *x);
        uint64_t s = 12345 + k;
        for (size_t i = 0; i < n; i++) {
            double t = (double)i / rate, v;
            if (c[k].kind == 0)
                v = noise(&s);
            else if (c[k].kind == 1)
                v = sin(2 * M_PI * 0.45 * rate * t + 0.3) * (0.5 + 0.5 * sin(2 * M_PI * 1.1 * t));
            else
                v = (fmod(t, 0.5) < 0.1 ? 1.0 : 0.1) * (sin(2 * M_PI * 440 * t) > 0 ? 1 : -1);
            for (int ci = 0; ci < ch; ci++)
                x[i * (size_t)ch + (size_t)ci] = (float)(ci ? -v * 0.9 : v);
        }
        drive_to(x, n, rate, ch, 6.0);
        float *y = limit_all(x, n, rate, ch, c[k].ceiling, 777, NULL);
        double tp = y ? tp_of(y, n, rate, ch) : NAN;
        char d[160];
        snprintf(d, sizeof d, "%s at %d Hz, %d ch, +6 dBTP -> <= %g dBTP",
                 c[k].kind == 0 ? "white noise" : c[k].kind == 1 ? "0.45 fs tone" : "square bursts",
                 rate, ch, c[k].ceiling);
        MQ_CHECK_(tp <= c[k].ceiling, d, "got %.3f dBTP", tp);
        /* For information: ffmpeg's true peak (swresample to 192 kHz, a sharper
         * filter than BS.1770-4's) reads up to ~0.5 dB higher on such
         * full-band content, where every finite interpolator differs. */
        double ff_i, ff_p = NAN;
        if (y && have_ffmpeg())
            ffmpeg_measure(y, n, rate, ch, &ff_i, &ff_p);
        printf("  %s: libebur128 reads %.3f dBTP, ffmpeg %.1f dBTP\n", d, tp, ff_p);
        free(y);
        free(x);
    }
}

static void test_limiter_transparent(void)
{
    /* Below the ceiling (and its 0.1 dB margin): bit-identical after the delay. */
    const int rate = 44100, ch = 2;
    size_t n;
    float *x = music(rate, ch, 6, 1, &n);
    drive_to(x, n, rate, ch, -1.5);
    mq_limiter *l = NULL;
    mq_error err = { 0 };
    CHECK_INT(mq_limiter_create(rate, ch, -1.0, &l, &err), MQ_OK, "limiter at 44.1 kHz");
    size_t lat = mq_limiter_latency(l);
    CHECK(lat > (size_t)(0.0015 * rate) && lat < (size_t)(0.005 * rate),
          "latency between 1.5 and 5 ms");
    float *y = malloc((n + lat) * ch * sizeof *y);
    size_t total = 0;
    for (size_t done = 0; done < n;) {
        size_t k = n - done < 1234 ? n - done : 1234;
        CHECK_INT(mq_limiter_process(l, x + done * ch, y + done * ch, k, &err), MQ_OK,
                  "block processed");
        done += k;
        total += k;
    }
    size_t got = 0;
    CHECK_INT(mq_limiter_flush(l, y + n * ch, &got), MQ_OK, "flushed");
    total += got;
    CHECK_INT(got, lat, "flush gives the latency's frames");
    CHECK_INT(total, n + lat, "output = input + latency, latency of it leading silence");
    int zeros = 1;
    for (size_t i = 0; i < lat * ch; i++)
        zeros &= y[i] == 0.0f;
    CHECK(zeros, "the first latency frames are silence");
    CHECK(memcmp(y + lat * ch, x, n * ch * sizeof *x) == 0,
          "audio under the ceiling passes bit-identical after the delay");
    CHECK(!mq_limiter_acted(l), "and the limiter says it never acted");

    /* After a flush the limiter starts over: the same input gives the same output. */
    float *y2 = malloc((n + lat) * ch * sizeof *y2);
    mq_limiter_process(l, x, y2, n, &err);
    mq_limiter_flush(l, y2 + n * ch, &got);
    CHECK(memcmp(y, y2, (n + lat) * ch * sizeof *y) == 0, "a flushed limiter is like new");

    /* In place. */
    memcpy(y2, x, n * ch * sizeof *x);
    mq_limiter_process(l, y2, y2, n, &err);
    CHECK(memcmp(y, y2, n * ch * sizeof *y) == 0, "in-place processing works");
    mq_limiter_flush(l, y2, &got);

    /* The meter reads a NaN sample as an infinite peak, and the export's
     * shortcut then does not take the audio for quiet. */
    {
        float z[2048] = { 0 };
        z[1000] = NAN;
        double tp = 0;
        mq_loudness_of(z, 1024, 48000, 2, NULL, &tp, NULL);
        CHECK(isinf(tp) && tp > 0, "a NaN sample: true peak +inf");
        mq_limiter *lt;
        mq_limiter_create(48000, 2, -1.0, &lt, NULL);
        CHECK(!mq_limiter_transparent(lt, pow(10.0, tp / 20.0), 0),
              "and the limiter is not skipped for it");
        mq_limiter_free(lt);
    }
    /* A hot sample makes it act, and flushing does not forget that. */
    {
        mq_limiter *la;
        mq_limiter_create(rate, ch, -1.0, &la, NULL);
        float hot[2 * 64] = { 0 };
        hot[2 * 30] = 0.95f;
        mq_limiter_process(la, hot, hot, 64, NULL);
        float *fl = malloc(lat * ch * sizeof *fl);
        mq_limiter_flush(la, fl, &got);
        CHECK(mq_limiter_acted(la), "a sample over the ceiling: the limiter acted");
        CHECK(!mq_limiter_acted(NULL), "NULL never acted");
        free(fl);
        mq_limiter_free(la);
    }
    /* The quiet level: samples just under it, at their worst (alternating
     * full swings, whose interpolated points overshoot most), never make
     * the limiter act; reset starts it over but remembers that it acted. */
    {
        mq_limiter *lq;
        mq_limiter_create(48000, 2, -1.0, &lq, NULL);
        double q = mq_limiter_quiet_level(lq);
        CHECK(q > 0.2 && q < pow(10.0, -1.1 / 20.0), "the quiet level lies under the target");
        CHECK(mq_limiter_quiet_level(NULL) == 0, "NULL has none");
        float *sw = malloc(4096 * 2 * sizeof *sw), *so = malloc(4096 * 2 * sizeof *so);
        for (size_t i = 0; i < 4096 * 2; i++)
            sw[i] = (float)((i / 2 % 2 ? -1 : 1) * q * 0.9999 * (i / 2 % 7 < 4 ? 1 : -1));
        mq_limiter_process(lq, sw, so, 4096, NULL);
        CHECK(!mq_limiter_acted(lq), "swings just under the quiet level: it never acts");
        for (size_t i = 0; i < 4096 * 2; i++)
            sw[i] *= 1.0f / (float)(0.9999 * q) * 0.95f;   /* now near 0.95 */
        mq_limiter_process(lq, sw, so, 4096, NULL);
        CHECK(mq_limiter_acted(lq), "the same swings at 0.95: it acts");
        mq_limiter_reset(lq);
        CHECK(mq_limiter_acted(lq), "reset remembers that it acted");
        float z[2 * 64] = { 0 }, zo[2 * 64];
        float *fl = malloc(mq_limiter_latency(lq) * 2 * sizeof *fl);
        size_t nf = 0;
        mq_limiter_process(lq, z, zo, 64, NULL);
        mq_limiter_flush(lq, fl, &nf);
        int silent = 1;
        for (size_t i = 0; i < 2 * 64; i++)
            silent &= zo[i] == 0.0f;
        for (size_t i = 0; i < nf * 2; i++)
            silent &= fl[i] == 0.0f;
        CHECK(silent, "after reset nothing of the loud swings comes out");
        mq_limiter_reset(NULL);
        free(fl);
        free(sw);
        free(so);
        mq_limiter_free(lq);
    }
    /* NaN and infinity do not poison the output. */
    float bad[8] = { NAN, INFINITY, -INFINITY, 0.5f, 0.2f, NAN, 0, 0 };
    float outb[8];
    mq_limiter_process(l, bad, outb, 4, &err);
    float *tail = malloc(lat * ch * sizeof *tail);
    mq_limiter_flush(l, tail, &got);
    int finite = 1;
    for (size_t i = 0; i < got * ch; i++)
        finite &= isfinite(tail[i]);
    CHECK(finite, "non-finite input comes out finite");
    free(tail);
    free(y2);
    free(y);
    free(x);
    mq_limiter_free(l);

    /* A normalization gain that pushes a quiet signal over the ceiling — the
     * case EBU R128 delivery needs: a 0.45 fs-free speech-like signal raised by
     * 12 dB keeps its loudness gain and its peaks are caught. */
    x = music(48000, 1, 8, 1, &n);
    drive_to(x, n, 48000, 1, -8.0);
    double before = lufs_of(x, n, 48000, 1);
    scale(x, n, db2lin(10.0));
    float *z = limit_all(x, n, 48000, 1, -1.0, 4800, NULL);
    double after = z ? lufs_of(z, n, 48000, 1) : NAN, tp = z ? tp_of(z, n, 48000, 1) : NAN;
    MQ_CHECK_(tp <= -1.0, "normalized then limited (mono): <= -1 dBTP", "got %.3f", tp);
    CHECK_NEAR(after - before, 10.0, 1.0, "and the +10 dB of loudness is kept within 1 LU");
    free(z);
    free(x);
}

/* ---- libebur128 as the reference implementation ---- */

/* Programme-like material: a tone burst and noise whose level moves in
 * 1 s steps over 40 dB (so both gates and the LRA percentiles matter), with
 * silent gaps, on every channel at a different level. */
static float *programme(int rate, int ch, size_t n, unsigned seed)
{
    float *x = malloc(n * (size_t)ch * sizeof *x);
    for (size_t i = 0; i < n; i++) {
        size_t sec = i / (size_t)rate;
        double lvl = (sec % 7 == 3) ? 0 : db2lin(-45.0 + (double)((sec * 13) % 41));
        for (int c = 0; c < ch; c++) {
            seed = seed * 1103515245u + 12345u;
            double noise = ((seed >> 9) & 0xffff) / 32768.0 - 1.0;
            double tone = sin(2 * M_PI * (220.0 * (c + 1)) * (double)i / rate);
            x[i * (size_t)ch + (size_t)c] = (float)(lvl * (0.5 * tone + 0.3 * noise) / (c + 1));
        }
    }
    return x;
}

static void test_against_libebur128(void)
{
    static const struct { int rate, ch; double secs; } cases[] = {
        { 48000, 2, 65.3 }, { 44100, 2, 40.0 }, { 22050, 1, 33.7 }, { 48000, 1, 12.0 },
        { 32000, 6, 20.0 }, { 96000, 2, 15.0 }, { 8000, 1, 2.5 },
    };
    for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
        int rate = cases[k].rate, ch = cases[k].ch;
        size_t n = (size_t)(cases[k].secs * rate);
        float *x = programme(rate, ch, n, (unsigned)k + 1);
        ebur128_state *st = ebur128_init((unsigned)ch, (unsigned long)rate,
                                         EBUR128_MODE_I | EBUR128_MODE_LRA | EBUR128_MODE_S);
        mq_meter *m;
        mq_error err = { 0 };
        CHECK_INT(mq_meter_create(rate, ch, &m, &err), MQ_OK, "meter created");
        /* Odd call sizes: the meter's blocks must not depend on them. */
        double want_s_max = -INFINITY;
        size_t block = ((size_t)rate + 5) / 10, fed = 0;
        for (size_t at = 0, step = 777; at < n; at += step, step = step * 3 % 5003 + 1) {
            size_t len = n - at < step ? n - at : step;
            mq_meter_add(m, x + at * (size_t)ch, len, &err);
            for (size_t d = 0; d < len;) {
                size_t to = block - fed % block, l = len - d < to ? len - d : to;
                ebur128_add_frames_float(st, x + (at + d) * (size_t)ch, l);
                d += l;
                fed += l;
                double v;
                if (fed % block == 0 && ebur128_loudness_shortterm(st, &v) == EBUR128_SUCCESS &&
                    v > want_s_max)
                    want_s_max = v;
            }
        }
        double want_i, want_lra, want_s;
        ebur128_loudness_global(st, &want_i);
        ebur128_loudness_range(st, &want_lra);
        ebur128_loudness_shortterm(st, &want_s);
        char d[160];
        snprintf(d, sizeof d, "%d Hz, %d ch: integrated as libebur128 (%.3f LUFS)", rate, ch,
                 want_i);
        CHECK_NEAR(mq_meter_integrated(m), want_i, 0.01, d);
        snprintf(d, sizeof d, "%d Hz, %d ch: loudness range as libebur128 (%.3f LU)", rate, ch,
                 want_lra);
        CHECK_NEAR(mq_meter_range(m), want_lra, 0.01, d);
        snprintf(d, sizeof d, "%d Hz, %d ch: max short-term as libebur128 (%.3f LUFS)", rate,
                 ch, want_s_max);
        CHECK_NEAR(mq_meter_max_short_term(m), want_s_max, 0.01, d);
        if (n % block == 0) {
            snprintf(d, sizeof d, "%d Hz, %d ch: short-term at the end as libebur128", rate, ch);
            CHECK_NEAR(mq_meter_short_term(m), want_s, 0.01, d);
        }
        ebur128_destroy(&st);
        mq_meter_free(m);
        free(x);
    }
}

/* A snapshot taken mid-stream and loaded back (into the same limiter after it
 * went on with other input, or into another one) gives the same bytes as the
 * stream that went straight on: what the live mixer's cut-in relies on. */
static void test_limiter_snapshot(void)
{
    const int rate = 48000, ch = 2;
    const size_t n = 48000, cut = 20000 + 13;
    float *x = malloc(n * ch * sizeof *x), *a = malloc(n * ch * sizeof *a);
    float *b = malloc(n * ch * sizeof *b), *junk = malloc(n * ch * sizeof *junk);
    uint64_t s = 777;
    for (size_t i = 0; i < n * ch; i++) {
        x[i] = (float)(noise(&s) * ((i / 4000) % 2 ? 2.0 : 0.2));   /* loud and quiet stretches */
        junk[i] = (float)noise(&s) * 3.0f;
    }
    mq_limiter *l = NULL, *m = NULL;
    mq_limiter_create(rate, ch, -1.0, &l, NULL);
    mq_limiter_create(rate, ch, -1.0, &m, NULL);
    size_t size = mq_limiter_state_size(l);
    MQ_CHECK_(size > 1000 && size < 64 * 1024, "snapshot size of a 48 kHz stereo limiter",
              "%zu bytes", size);
    CHECK_INT((long)mq_limiter_state_size(NULL), 0, "snapshot size of NULL is 0");
    unsigned char *snap = malloc(size);
    mq_limiter_process(l, x, a, cut, NULL);
    memcpy(b, a, cut * ch * sizeof *b);
    mq_limiter_save(l, snap);
    mq_limiter_process(l, x + cut * ch, a + cut * ch, n - cut, NULL);
    /* The same limiter, after other input, taken back. */
    float *c = malloc(n * ch * sizeof *c);
    mq_limiter_process(l, junk, c, n / 2, NULL);
    mq_limiter_load(l, snap);
    mq_limiter_process(l, x + cut * ch, b + cut * ch, n - cut, NULL);
    CHECK(!memcmp(a, b, n * ch * sizeof *a), "loaded snapshot: same bytes as going straight on");
    /* Another limiter with the same settings. */
    mq_limiter_load(m, snap);
    memset(c, 0, n * ch * sizeof *c);
    mq_limiter_process(m, x + cut * ch, c + cut * ch, n - cut, NULL);
    CHECK(!memcmp(a + cut * ch, c + cut * ch, (n - cut) * ch * sizeof *a),
          "snapshot loaded into a second limiter: same bytes");
    /* And the snapshot really holds state: loading a fresh one differs. */
    mq_limiter *f = NULL;
    mq_limiter_create(rate, ch, -1.0, &f, NULL);
    mq_limiter_save(f, snap);
    mq_limiter_load(m, snap);
    mq_limiter_process(m, x + cut * ch, c + cut * ch, n - cut, NULL);
    CHECK(memcmp(a + cut * ch, c + cut * ch, (n - cut) * ch * sizeof *a) != 0,
          "a fresh limiter's snapshot gives different bytes (the state matters)");
    mq_limiter_free(f);
    mq_limiter_free(l);
    mq_limiter_free(m);
    free(snap);
    free(x), free(a), free(b), free(c), free(junk);
}

/* ---- the same bytes, however the work is cut up (fast-dsp) ---- */

/* Voice-like audio made with integer arithmetic and IEEE operations only (no
 * libm), so the same bytes on every machine: syllables of 80..300 ms, most
 * voiced (a pulse train at 100..200 Hz through one of four resonances, its
 * "formant"), some unvoiced (noise) or silent, over a low hum; from n/5 to
 * 3n/10 silence (the limiter idles), from n/2 to 7n/10 everything 6 dB
 * hotter (it limits, then releases). What the limiter's detector skips
 * is exercised by the pulses: most 8-frame blocks of a loud stretch lie
 * between two of them. */
static float *voice_like(int rate, int ch, size_t n, uint64_t seed)
{
    static const double res[4][3] = {   /* y = a y1 + b y2 + g e */
        { 1.90, -0.950, 0.40 }, { 1.60, -0.920, 0.80 }, { 1.20, -0.900, 1.10 },
        { 0.60, -0.880, 1.40 },
    };
    float *x = malloc(n * (size_t)ch * sizeof *x);
    double y1[8] = { 0 }, y2[8] = { 0 }, h1 = 0, h2 = 0.0005, amp = 0;
    size_t end = 0, period = 1, kind = 0, voiced = 1;
    for (size_t i = 0; i < n; i++) {
        if (i >= end) {
            end = i + (size_t)rate * (80 + (size_t)(noise(&seed) * 110 + 110)) / 1000;
            amp = noise(&seed) < -0.7 ? 0 : 0.3 + 0.2 * noise(&seed);
            period = (size_t)rate / (150 + (size_t)(noise(&seed) * 50 + 50));
            kind = (size_t)(noise(&seed) * 2 + 2) % 4;
            voiced = noise(&seed) > -0.6;
        }
        const double hot = i >= n / 2 && i < n / 10 * 7 ? 2.0
                           : i >= n / 5 && i < n / 10 * 3 ? 0.0 : 1.0;
        const double e = voiced ? (i % period == 0 ? amp : 0) : 0.1 * amp * noise(&seed);
        const double h = 1.9996 * h1 - h2;   /* a hum near 100 Hz at 48 kHz */
        h2 = h1, h1 = h;
        for (int c = 0; c < ch; c++) {
            const double *r = res[kind];
            const double y = r[0] * y1[c] + r[1] * y2[c] + r[2] * e * (1.0 - 0.1 * c);
            y2[c] = y1[c], y1[c] = y;
            x[i * (size_t)ch + (size_t)c] = (float)(hot * (y + 0.5 * h * (c % 2 ? -1 : 1)));
        }
    }
    return x;
}

/* FNV-1a, 64 bits, of N bytes. */
static uint64_t fnv1a(const void *p, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < n; i++)
        h = (h ^ ((const unsigned char *)p)[i]) * 0x100000001b3ULL;
    return h;
}

/* The call sizes of the tests below, in turn: single frames, either side of
 * the detector's 64-frame windows and 8-frame blocks, and whole exports'
 * blocks. */
static const size_t odd_calls[] = { 1, 63, 64, 4096, 16384, 7, 255, 257, 9, 0 };

/* The length of the next call: the size SIZES[*K] (a cycle ended by 0, *K
 * moved on), at most LEFT. */
static size_t next_call(const size_t *sizes, size_t *k, size_t left)
{
    size_t len = sizes[*k];
    if (!sizes[++*k])
        *k = 0;
    return len < left ? len : left;
}

/* One call, and calls of 1 frame. */
static const size_t whole_call[] = { (size_t)1 << 40, 0 }, single_calls[] = { 1, 0 };

/* A case of the call-size tests: SECS seconds of voice_like audio. */
typedef struct {
    int rate, ch;
    double secs;
} sizes_case;

/* The rates and channel counts both call-size tests run on: every path of
 * the limiter's matched kernel (4x, 2x, none) and of the meter's filter
 * (pairs, a lone channel, mono as a speech item is measured). */
static const sizes_case sizes_cases[] = {
    { 48000, 2, 6.0 }, { 48000, 1, 4.0 }, { 44100, 1, 3.0 },  { 96000, 3, 3.0 },
    { 192000, 2, 1.5 }, { 8000, 1, 4.0 }, { 32000, 6, 2.5 },
};

/* The case's audio, N frames. */
static float *case_audio(const sizes_case *c, uint64_t seed, size_t *n)
{
    *n = (size_t)(c->secs * c->rate);
    return voice_like(c->rate, c->ch, *n, seed);
}

/* Limits N frames of X in calls of the sizes SIZES gives in turn (a cycle
 * ended by 0), in place when IN_PLACE, then flushes: N + latency frames. */
static float *limit_calls(const float *x, size_t n, int rate, int ch, const size_t *sizes,
                          int in_place)
{
    mq_limiter *l = NULL;
    mq_limiter_create(rate, ch, -1.0, &l, NULL);
    const size_t lat = mq_limiter_latency(l), fb = (size_t)ch * sizeof *x;
    float *y = malloc((n + lat) * fb);
    if (in_place)
        memcpy(y, x, n * fb);
    for (size_t a = 0, k = 0; a < n;) {
        const size_t len = next_call(sizes, &k, n - a);
        mq_limiter_process(l, (in_place ? y : x) + a * (size_t)ch, y + a * (size_t)ch, len,
                           NULL);
        a += len;
    }
    size_t got = 0;
    mq_limiter_flush(l, y + n * (size_t)ch, &got);
    mq_limiter_free(l);
    return y;
}

/* The limiter's bytes do not depend on how the input is cut into calls: one
 * call, calls of 1 frame (where the detector computes every point: each
 * call's block is its last), odd sizes, in place. Its speed-ups (blocks of
 * points skipped, quiet chunks passed through) must not show. */
static void test_limiter_call_sizes(void)
{
    for (size_t k = 0; k < sizeof sizes_cases / sizeof *sizes_cases; k++) {
        const int rate = sizes_cases[k].rate, ch = sizes_cases[k].ch;
        size_t n;
        float *x = case_audio(&sizes_cases[k], 1000 + k, &n);
        mq_limiter *l = NULL;
        mq_limiter_create(rate, ch, -1.0, &l, NULL);
        const size_t lat = mq_limiter_latency(l), bytes = (n + lat) * (size_t)ch * sizeof *x;
        mq_limiter_free(l);
        float *a = limit_calls(x, n, rate, ch, whole_call, 0);
        float *b = limit_calls(x, n, rate, ch, single_calls, 0);
        float *c = limit_calls(x, n, rate, ch, odd_calls, 0);
        float *d = limit_calls(x, n, rate, ch, odd_calls, 1);
        char desc[160];
        size_t touched = 0;
        for (size_t i = 0; i < n * (size_t)ch; i++)
            touched += a[i + lat * (size_t)ch] != x[i];
        snprintf(desc, sizeof desc, "%d Hz, %d ch: the test audio makes the limiter act", rate,
                 ch);
        MQ_CHECK_(touched > n / 100, desc, "%zu of %zu samples changed", touched,
                  n * (size_t)ch);
        snprintf(desc, sizeof desc, "%d Hz, %d ch: calls of 1 frame, same bytes as one call", rate,
                 ch);
        CHECK(!memcmp(a, b, bytes), desc);
        snprintf(desc, sizeof desc, "%d Hz, %d ch: calls of 1..16384 frames, same bytes", rate, ch);
        CHECK(!memcmp(a, c, bytes), desc);
        snprintf(desc, sizeof desc, "%d Hz, %d ch: in place, same bytes", rate, ch);
        CHECK(!memcmp(a, d, bytes), desc);
        free(a), free(b), free(c), free(d), free(x);
    }
}

/* Snapshots saved at many points of a stream cut into odd calls — idle,
 * limiting, releasing — and each loaded into another limiter, which goes on
 * in calls of other sizes: the same bytes as the stream that went straight
 * on. */
static void test_limiter_snapshots_anywhere(void)
{
    const int rate = 48000, ch = 2;
    const size_t n = 6 * (size_t)rate, step = 17011;
    static const size_t other[] = { 5000, 1, 300, 64, 0 };
    float *x = voice_like(rate, ch, n, 77);
    mq_limiter *l = NULL, *m = NULL;
    mq_limiter_create(rate, ch, -1.0, &l, NULL);
    mq_limiter_create(rate, ch, -1.0, &m, NULL);
    const size_t lat = mq_limiter_latency(l), size = mq_limiter_state_size(l);
    const size_t nsnap = n / step + 1;
    unsigned char *snap = malloc(nsnap * size);
    float *y = calloc((n + lat) * ch, sizeof *y), *z = calloc((n + lat) * ch, sizeof *z);
    /* The straight run, in odd calls, a snapshot at every multiple of step. */
    for (size_t a = 0, k = 0; a < n;) {
        if (a % step == 0)
            mq_limiter_save(l, snap + a / step * size);
        const size_t len = next_call(odd_calls, &k, n - a < step - a % step ? n - a
                                                                            : step - a % step);
        mq_limiter_process(l, x + a * ch, y + a * ch, len, NULL);
        a += len;
    }
    size_t got;
    mq_limiter_flush(l, y + n * ch, &got);
    int same = 1;
    for (size_t s = 0; s < nsnap; s++) {
        mq_limiter_load(m, snap + s * size);
        for (size_t a = s * step, k = s % 4; a < n;) {
            const size_t len = next_call(other, &k, n - a);
            mq_limiter_process(m, x + a * ch, z + a * ch, len, NULL);
            a += len;
        }
        mq_limiter_flush(m, z + n * ch, &got);
        same &= !memcmp(y + s * step * ch, z + s * step * ch, (n + lat - s * step) * ch * sizeof *y);
    }
    MQ_CHECK_(same, "snapshots at 17 points (idle, limiting, releasing), loaded elsewhere",
              "a loaded snapshot went on with different bytes");
    mq_limiter_free(l);
    mq_limiter_free(m);
    free(snap), free(x), free(y), free(z);
}

/* The meter's seven figures, bit for bit, do not depend on the call sizes
 * either (the K-weighting runs in pairs of channels, the true peak in
 * chunks and blocks). */
static void meter_calls(const float *x, size_t n, int rate, int ch, int full,
                        const size_t *sizes, double r[7])
{
    mq_meter *m = NULL;
    if (full)
        mq_meter_create(rate, ch, &m, NULL);
    else
        mq_meter_create_integrated(rate, ch, &m, NULL);
    for (size_t a = 0, k = 0; a < n;) {
        const size_t len = next_call(sizes, &k, n - a);
        mq_meter_add(m, x + a * (size_t)ch, len, NULL);
        a += len;
    }
    r[0] = mq_meter_integrated(m), r[1] = mq_meter_true_peak(m), r[2] = mq_meter_range(m);
    r[3] = mq_meter_momentary(m), r[4] = mq_meter_short_term(m);
    r[5] = mq_meter_max_momentary(m), r[6] = mq_meter_max_short_term(m);
    mq_meter_free(m);
}

static void test_meter_call_sizes(void)
{
    for (size_t k = 0; k < sizeof sizes_cases / sizeof *sizes_cases; k++) {
        const int rate = sizes_cases[k].rate, ch = sizes_cases[k].ch;
        size_t n;
        float *x = case_audio(&sizes_cases[k], 5000 + k, &n);
        for (int full = 0; full < 2; full++) {
            double a[7], b[7], c[7];
            meter_calls(x, n, rate, ch, full, whole_call, a);
            meter_calls(x, n, rate, ch, full, single_calls, b);
            meter_calls(x, n, rate, ch, full, odd_calls, c);
            char desc[160];
            snprintf(desc, sizeof desc,
                     "%d Hz, %d ch%s: the same figures, bit for bit, in any call sizes", rate, ch,
                     full ? "" : " (integrated only)");
            MQ_CHECK_(!memcmp(a, b, sizeof a) && !memcmp(a, c, sizeof a), desc,
                      "%.17g/%.17g/%.17g LUFS, %.17g/%.17g/%.17g dBTP", a[0], b[0], c[0], a[1],
                      b[1], c[1]);
        }
        free(x);
    }
}

/* The limiter's bytes and the meter's figures as the code before the
 * fast-dsp work (e49f925) gave them for voice_like audio: its hash and its
 * figures were printed by this test built against those sources. They
 * depend on the coefficients, designed with libm (sin, exp, pow, tan), so
 * a libm that rounds one of them differently could change them: then the
 * tests above still say whether the code is self-consistent. */
static void test_same_as_before(void)
{
    static const struct { int rate, ch; uint64_t hash; double lufs, dbtp, lra, in[3]; } want[] = {
        { 48000, 2, 0xdaa41343d3bb85cdULL, -0x1.ed3c4b6840d5dp+3, -0x1.1999749edf494p+0,
          0x1.c111bdd76845cp+1,
          { -0x1.da268f261649fp+3, 0x1.92440e8665332p+0, 0x1.23a7e5a1d7f76p+2 } },
        { 44100, 1, 0x9b31194aff0ad3b5ULL, -0x1.1db85a6c9125cp+4, -0x1.1999885676abbp+0,
          0x1.1c72edd6ba66cp+2,
          { -0x1.128c2116b9dbp+4, 0x1.03773fb2408f6p+1, 0x1.65ae43239fe4ep+2 } },
        { 96000, 6, 0xf8da079564d39ab2ULL, -0x1.ef9e55d6a0111p+3, -0x1.19997e7aaaf4dp+0,
          0x1.28aa048ab642ap+2,
          { -0x1.d73a1d973fbe5p+3, 0x1.527c8d1699208p+1, 0x1.7260b7898a254p+2 } },
    };
    static const size_t export_calls[] = { 16384, 0 };
    for (size_t k = 0; k < sizeof want / sizeof *want; k++) {
        const int rate = want[k].rate, ch = want[k].ch;
        const size_t n = 10 * (size_t)rate;
        float *x = voice_like(rate, ch, n, 9000 + k);
        float *y = limit_calls(x, n, rate, ch, export_calls, 0);
        mq_limiter *l = NULL;
        mq_limiter_create(rate, ch, -1.0, &l, NULL);
        const uint64_t h = fnv1a(y, (n + mq_limiter_latency(l)) * (size_t)ch * sizeof *y);
        mq_limiter_free(l);
        double r[7];
        meter_calls(y, n, rate, ch, 1, export_calls, r);
        char desc[160];
        snprintf(desc, sizeof desc, "%d Hz, %d ch: the limiter's bytes as before", rate, ch);
        MQ_CHECK_(h == want[k].hash, desc, "hash 0x%016llxULL, want 0x%016llxULL",
                  (unsigned long long)h, (unsigned long long)want[k].hash);
        snprintf(desc, sizeof desc, "%d Hz, %d ch: the meter's figures as before", rate, ch);
        MQ_CHECK_(r[0] == want[k].lufs && r[1] == want[k].dbtp && r[2] == want[k].lra, desc,
                  "%a, %a, %a (LUFS, dBTP, LU)", r[0], r[1], r[2]);
        /* The input too: its true peak rises often (a chunk interpolated),
         * the limited output's seldom. */
        meter_calls(x, n, rate, ch, 1, export_calls, r);
        snprintf(desc, sizeof desc, "%d Hz, %d ch: the meter's figures of the input as before",
                 rate, ch);
        MQ_CHECK_(!memcmp(r, want[k].in, sizeof want[k].in), desc, "{ %a, %a, %a }", r[0], r[1],
                  r[2]);
        free(x), free(y);
    }
}

int main(void)
{
    test_against_libebur128();
    test_reference_levels();
    test_short_audio();
    test_silence_and_errors();
    test_true_peak();
    test_gain_and_blocks();
    test_against_ffmpeg();
    test_limiter_music();
    test_limiter_hard_cases();
    test_limiter_transparent();
    test_limiter_snapshot();
    test_limiter_call_sizes();
    test_limiter_snapshots_anywhere();
    test_meter_call_sizes();
    test_same_as_before();
    MQ_TEST_END();
}
