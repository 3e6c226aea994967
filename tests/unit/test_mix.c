/* test_mix.c — the timeline: placement, trims, fades and their shapes,
 * equal-power crossfades, pauses, a bed ducked under speech by the
 * requested amount (measured with a Goertzel filter at the bed's frequency),
 * looped beds played from memory exactly as streamed, and speech added at
 * its exact gain. */
#include "mq_test.h"
#include "audio/mq_clip.h"
#include "audio/mq_mix.h"
#include "audio/mq_mix_int.h"
#include "program/mq_program.h"

#include <sndfile.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#define RATE 48000
static char dir[] = "/tmp/mq_test_mix_XXXXXX";

/* Writes SECONDS of a sine (FREQ Hz, amplitude AMP; FREQ 0 = constant AMP). */
static void write_tone(const char *name, double seconds, double freq, double amp)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    SF_INFO info = { .samplerate = RATE, .channels = 1, .format = SF_FORMAT_WAV | SF_FORMAT_FLOAT };
    SNDFILE *sf = sf_open(path, SFM_WRITE, &info);
    size_t n = (size_t)(seconds * RATE);
    float *x = malloc(n * sizeof *x);
    for (size_t i = 0; i < n; i++)
        x[i] = (float)(freq > 0 ? amp * sin(2 * M_PI * freq * i / RATE) : amp);
    sf_writef_float(sf, x, (sf_count_t)n);
    sf_close(sf);
    free(x);
}

/* Fake speech: 3 s of a 1 kHz tone, one sentence from 0 to 3 s. */
static int fake_speak(void *ctx, size_t item, mq_buf *out, mq_sentence_fn cb, void *user,
                      mq_error *err)
{
    (void)ctx, (void)item, (void)err;
    size_t n = 3 * RATE, start = out->frames;
    mq_buf_reserve(out, n);
    for (size_t i = 0; i < n; i++)
        out->data[out->frames + i] = (float)(0.3 * sin(2 * M_PI * 1000.0 * i / RATE));
    out->frames += n;
    return cb ? cb(user, "句子。", start, out->frames) : 0;
}

static mq_program *load(const char *yaml)
{
    char path[256];
    snprintf(path, sizeof path, "%s/p.yaml", dir);
    FILE *f = fopen(path, "w");
    fputs(yaml, f);
    fclose(f);
    mq_diags *d = mq_diags_create();
    mq_program *p = NULL;
    mq_error err = { 0 };
    if (mq_program_load(path, NULL, &p, d, &err) != MQ_OK)
        printf("FAIL: program did not load: %s %s\n", err.msg,
               mq_diags_stored(d) ? mq_diags_get(d, 0)->message : "");
    mq_diags_free(d);
    return p;
}

/* Mixes the whole program (mono, no level balance) into *OUT; returns frames. */
static size_t mix_all(mq_program *p, float **out, mq_mix **keep)
{
    mq_mix_env env = { .program = p, .speak = fake_speak, .rate = RATE, .channels = 1 };
    mq_mix *m = NULL;
    mq_error err = { 0 };
    mq_diags *d = mq_diags_create();
    if (mq_mix_create(&env, &m, d, &err) != MQ_OK) {
        printf("FAIL: mixer: %s\n", err.msg);
        mq_diags_free(d);
        return 0;
    }
    mq_diags_free(d);
    size_t cap = 60 * RATE, n = 0;
    *out = malloc(cap * sizeof **out);
    long got;
    while ((got = mq_mix_read(m, *out + n, cap - n < 1000 ? cap - n : 1000, &err)) > 0)
        n += (size_t)got;
    if (keep)
        *keep = m;
    else
        mq_mix_free(m);
    return n;
}

/* Amplitude of the FREQ component of X[a..b) (Goertzel). */
static double tone_amp(const float *x, size_t a, size_t b, double freq)
{
    double w = 2 * M_PI * freq / RATE, c = 2 * cos(w), s1 = 0, s2 = 0;
    for (size_t i = a; i < b; i++) {
        double s0 = x[i] + c * s1 - s2;
        s2 = s1;
        s1 = s0;
    }
    double re = s1 - s2 * cos(w), im = s2 * sin(w);
    return 2 * sqrt(re * re + im * im) / (double)(b - a);
}

static double db(double x) { return 20 * log10(x); }

static void test_sequence_and_fades(void)
{
    write_tone("dc.wav", 4.0, 0, 0.5);
    mq_program *p = load("title: t\nitems:\n"
                         "  - clip: dc.wav\n    start: 1s\n    length: 2s\n"
                         "  - pause: 1s\n"
                         "  - music: dc.wav\n    fade_in: 1s\n    fade_out: 1s\n");
    float *x;
    mq_mix *m;
    size_t n = mix_all(p, &x, &m);
    CHECK_INT(n, 7 * RATE, "2 s trimmed clip + 1 s pause + 4 s music = 7 s");
    CHECK_NEAR(x[RATE / 2], 0.5, 1e-4, "a clip has no default fade");
    CHECK_NEAR(x[2 * RATE + RATE / 2], 0.0, 0, "a pause is silence");
    CHECK_NEAR(mq_mix_item_info(m, 2)->start, 3.0, 1e-9, "music starts at 3 s");
    /* Equal-power (sine) fade-in: half-way up the gain is sin(pi/4). */
    CHECK_NEAR(x[3 * RATE + RATE / 2], 0.5 * sin(M_PI / 4), 1e-3, "fade-in shape at its middle");
    CHECK_NEAR(x[3 * RATE + RATE / 4], 0.5 * sin(M_PI / 8), 1e-3, "fade-in shape at a quarter");
    CHECK_NEAR(x[5 * RATE], 0.5, 1e-4, "full level between the fades");
    CHECK_NEAR(x[6 * RATE + RATE / 2], 0.5 * sin(M_PI / 4), 1e-3, "fade-out shape at its middle");
    CHECK(fabs(x[7 * RATE - 1]) < 0.01, "the fade-out ends in silence");
    mq_mix_free(m);
    free(x);

    /* One item alone (a live cue): the music from time 0, with its fades. */
    mq_mix_env env = { .program = p, .speak = fake_speak, .rate = RATE, .channels = 1,
                       .first = 2, .count = 1 };
    mq_error err = { 0 };
    CHECK_INT(mq_mix_create(&env, &m, NULL, &err), MQ_OK, "a mixer over item 3 alone");
    float buf[1000];
    size_t total = 0;
    long got;
    double at_half = 0;
    while ((got = mq_mix_read(m, buf, 1000, &err)) > 0) {
        if (total <= (size_t)RATE / 2 && total + (size_t)got > (size_t)RATE / 2)
            at_half = buf[RATE / 2 - total];
        total += (size_t)got;
    }
    CHECK_INT(total, 4 * RATE, "item 3 alone lasts its 4 s");
    CHECK_NEAR(at_half, 0.5 * sin(M_PI / 4), 1e-3, "and starts with its own fade-in at 0");
    CHECK_NEAR(mq_mix_item_info(m, 2)->start, 0.0, 1e-9, "placed at time 0");
    mq_mix_free(m);
    mq_program_free(p);
}

static void test_crossfade(void)
{
    write_tone("a.wav", 3.0, 0, 0.5);
    mq_program *p = load("title: t\nitems:\n  - clip: a.wav\n  - clip: a.wav\n    overlap: 1s\n");
    float *x;
    mq_mix *m;
    size_t n = mix_all(p, &x, &m);
    CHECK_INT(n, 5 * RATE, "two 3 s clips crossfaded over 1 s last 5 s");
    CHECK_NEAR(mq_mix_item_info(m, 1)->start, 2.0, 1e-9, "the second starts 1 s before the first ends");
    /* Equal power: for identical constant signals the sum is (sin + cos) * 0.5,
     * which peaks at sqrt(2) * 0.5 in the middle of the crossfade. */
    CHECK_NEAR(x[2 * RATE + RATE / 2], 0.5 * sqrt(2.0), 1e-3, "equal-power crossfade middle");
    CHECK_NEAR(x[2 * RATE + RATE / 4], 0.5 * (sin(M_PI / 8) + cos(M_PI / 8)), 1e-3,
               "equal-power crossfade at a quarter");
    CHECK_NEAR(x[RATE], 0.5, 1e-4, "before the crossfade: the first alone");
    CHECK_NEAR(x[4 * RATE], 0.5, 1e-4, "after the crossfade: the second alone");
    mq_mix_free(m);
    mq_program_free(p);
    free(x);
}

static void test_duck(void)
{
    write_tone("bed.wav", 2.0, 100, 0.4);
    mq_program *p = load("title: t\nitems:\n  - announce: 你好。\n    bed: bed.wav\n    duck: -14 dB\n");
    float *x;
    mq_mix *m;
    size_t n = mix_all(p, &x, &m);
    double lead = MQ_BED_LEAD, tail = MQ_BED_TAIL;
    CHECK_INT(n, (size_t)llround((lead + 3 + tail) * RATE), "lead + 3 s speech + tail");
    const mq_mix_item *mi = mq_mix_item_info(m, 0);
    CHECK_NEAR(mi->speech_start, lead, 1e-9, "speech starts after the bed's lead");
    /* The bed alone (after its fade-in, before the duck ramp) and under speech. */
    double alone = tone_amp(x, (size_t)(0.6 * RATE), (size_t)(0.9 * RATE), 100);
    double under = tone_amp(x, (size_t)((lead + 1.0) * RATE), (size_t)((lead + 2.0) * RATE), 100);
    CHECK_NEAR(alone, 0.4, 0.01, "the bed alone at its level (no balance)");
    CHECK_NEAR(db(under / alone), -14.0, 1.5, "the bed under speech is ducked by 14 dB");
    /* Ducked before the first syllable, released after the last. */
    double just_before = tone_amp(x, (size_t)((lead - 0.05) * RATE), (size_t)(lead * RATE), 100);
    CHECK(db(just_before / alone) < -12, "the duck is in place before the speech starts");
    double after = tone_amp(x, (size_t)((lead + 3 + 0.9) * RATE), (size_t)((lead + 3 + 1.2) * RATE), 100);
    CHECK(db(after / alone) > -6, "the bed comes back after the speech");
    CHECK(mq_mix_ducks(m) == 1, "one ducked stretch reported");
    CHECK_INT(mq_mix_captions(m), 1, "one caption");
    CHECK_NEAR(mq_mix_caption(m, 0)->start, lead, 1e-6, "caption starts with the speech");
    CHECK_NEAR(mq_mix_caption(m, 0)->end, lead + 3, 1e-6, "caption ends with the speech");
    mq_mix_free(m);
    mq_program_free(p);
    free(x);
}

/* Mixes P (stereo, level balance BALANCE) with a memo budget of BUDGET bytes
 * (SIZE_MAX: the default); returns frames, *DECODES the passes decoded. */
static size_t mix_stereo(mq_program *p, int balance, size_t budget, float **out,
                         size_t *decodes)
{
    mq_mix_env env = { .program = p, .speak = fake_speak, .rate = RATE, .channels = 2,
                       .balance = balance };
    mq_mix *m = NULL;
    mq_error err = { 0 };
    *out = NULL;
    if (mq_mix_create(&env, &m, NULL, &err) != MQ_OK) {
        printf("FAIL: mixer: %s\n", err.msg);
        return 0;
    }
    if (budget != SIZE_MAX)
        mq_mix_set_memo_budget(m, budget);
    size_t cap = 60 * RATE, n = 0;
    *out = malloc(cap * 2 * sizeof **out);
    long got;
    /* An odd block size, so passes and duck steps fall across blocks. */
    while ((got = mq_mix_read(m, *out + 2 * n, cap - n < 997 ? cap - n : 997, &err)) > 0)
        n += (size_t)got;
    if (got < 0)
        printf("FAIL: mix: %s\n", err.msg);
    *decodes = mq_mix_file_decodes(m);
    mq_mix_free(m);
    return n;
}

/* A 0.4 s stereo bed at 44.1 kHz (resampled to the mix's 48 kHz), two
 * tones, so that each channel and each pass is told apart. */
static void write_bed44(const char *name)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    SF_INFO info = { .samplerate = 44100, .channels = 2, .format = SF_FORMAT_WAV | SF_FORMAT_FLOAT };
    SNDFILE *sf = sf_open(path, SFM_WRITE, &info);
    size_t n = (size_t)(0.4 * 44100);
    float *x = malloc(2 * n * sizeof *x);
    for (size_t i = 0; i < n; i++) {
        x[2 * i] = (float)(0.3 * sin(2 * M_PI * 330.0 * i / 44100));
        x[2 * i + 1] = (float)(0.2 * sin(2 * M_PI * 517.0 * i / 44100) + 0.1 * i / n);
    }
    sf_writef_float(sf, x, (sf_count_t)n);
    sf_close(sf);
    free(x);
}

static void test_memo(void)
{
    write_bed44("bed44.wav");
    mq_program *p = load("title: t\nitems:\n"
                         "  - announce: 一。\n    bed: bed44.wav\n"
                         "  - announce: 二。\n    bed: bed44.wav\n    duck: -9 dB\n"
                         "    fade_out: 1s\n");
    /* Level balance on: the memo's measured loudness sets the bed's gain. */
    float *memo, *streamed;
    size_t dm, ds;
    size_t n = mix_stereo(p, 1, SIZE_MAX, &memo, &dm);
    size_t n2 = mix_stereo(p, 1, 0, &streamed, &ds);
    size_t want = 2 * (size_t)llround((MQ_BED_LEAD + 3 + MQ_BED_TAIL) * RATE);
    CHECK_INT(n, want, "two beds under 3 s of speech each");
    CHECK_INT(n2, n, "streamed, the same length");
    CHECK(n && n == n2 && !memcmp(memo, streamed, n * 2 * sizeof *memo),
          "a looped bed played from the memo gives exactly the streamed frames");
    double sum = 0;
    for (size_t i = RATE; i < (size_t)RATE * 2 && n > (size_t)RATE * 2; i++)
        sum += fabsf(memo[i]);
    CHECK(sum / RATE > 0.01, "and the bed sounds (not a silent match)");
    /* 6.5 s of a 0.4 s bed: 17 passes an item, each decoded when streamed,
     * plus a measurement; the memo decodes one for both items. */
    CHECK_INT(dm, 1, "the memo decodes the bed once for both items");
    CHECK_INT(ds, 2 * (1 + 17), "streaming decodes every pass and measures every item");
    size_t d_small;
    free(streamed);
    n2 = mix_stereo(p, 1, 1000, &streamed, &d_small);
    CHECK(d_small > 1 && n2 == n && !memcmp(memo, streamed, n * 2 * sizeof *memo),
          "a pass over the memo's budget streams, with the same frames");
    free(memo);
    free(streamed);

    /* Without balance the bed plays at its own level: between its fade-in
     * (0.5 s) and the duck's ramp (1.05 s) every frame is the file's, decoded
     * by mq_clip, pass after pass (0.4 s = 19200 frames at 48 kHz). */
    n = mix_stereo(p, 0, SIZE_MAX, &memo, &dm);
    mq_clip *c = NULL;
    mq_error err = { 0 };
    char path[256];
    snprintf(path, sizeof path, "%s/bed44.wav", dir);
    CHECK_INT(mq_clip_open(path, RATE, 2, &c, &err), MQ_OK, "the bed opens");
    float ref[2 * 19200];
    long got = c ? mq_clip_read(c, ref, 19200, &err) : 0;
    CHECK_INT(got, 19200, "one pass is 19200 frames at 48 kHz");
    size_t bad = 0;
    for (size_t t = RATE / 2; t < RATE && got == 19200 && n > RATE; t++)
        for (int ch = 0; ch < 2; ch++)
            bad += memo[2 * t + (size_t)ch] != ref[2 * (t % 19200) + (size_t)ch];
    CHECK_INT(bad, 0, "the looped bed is mq_clip's decode, sample for sample, across passes");
    mq_clip_free(c);
    free(memo);
    mq_program_free(p);
}

/* Speech is mono, added to both channels at its gain: the product is exact in
 * float, so every sample must be exactly gain * speech. */
static void test_speech_gain(void)
{
    mq_program *p = load("title: t\nitems:\n  - announce: 一。\n    gain: -6 dB\n");
    float *x;
    size_t d;
    size_t n = mix_stereo(p, 0, SIZE_MAX, &x, &d);
    CHECK_INT(n, 3 * RATE, "the speech alone: 3 s");
    float g = (float)pow(10.0, -6.0 / 20.0);
    size_t bad = 0;
    for (size_t i = 0; i < n; i++) {
        float s = g * (float)(0.3 * sin(2 * M_PI * 1000.0 * i / RATE));
        bad += x[2 * i] != s || x[2 * i + 1] != s;
    }
    CHECK_INT(bad, 0, "each channel is exactly gain * speech");
    CHECK_INT(d, 0, "no audio file decoded");
    free(x);
    mq_program_free(p);
}

/* The speech source may know its voice's loudness (measured once, when
 * synthesized): the mixer then balances by it instead of measuring. */
static double known_lufs;
static double fake_loudness(void *ctx, size_t item)
{
    (void)ctx, (void)item;
    return known_lufs;
}

static void test_known_loudness(void)
{
    mq_program *p = load("title: t\nitems:\n  - announce: 一。\n");
    for (int k = 0; k < 2; k++) {
        known_lufs = k == 0 ? -40.0 : NAN;
        mq_mix_env env = { .program = p, .speak = fake_speak, .loudness = fake_loudness,
                           .rate = RATE, .channels = 1, .balance = 1 };
        mq_mix *m = NULL;
        mq_error err = { 0 };
        mq_diags *d = mq_diags_create();
        mq_mix_create(&env, &m, d, &err);
        float buf[4096];
        while (mq_mix_read(m, buf, 4096, &err) > 0)
            ;
        const mq_mix_item *it = mq_mix_item_info(m, 0);
        if (k == 0) {
            CHECK_NEAR(it->loudness, -40.0, 0, "the known loudness is used");
            CHECK_NEAR(it->gain_db, MQ_SPEECH_LUFS + 40.0, 1e-9, "and the gain follows from it");
        } else {
            /* 0.3 peak 1 kHz mono sine: 20 log10(0.3) - 3.01 = -13.47 LUFS. */
            CHECK_NEAR(it->loudness, -13.47, 0.05, "unknown (NaN): the mixer measures");
        }
        mq_mix_free(m);
        mq_diags_free(d);
    }
    mq_program_free(p);
}

static void test_errors(void)
{
    FILE *f = fopen("/tmp/mq_test_mix_notaudio.wav", "w");
    fputs("this is not audio", f);
    fclose(f);
    char yaml[512];
    snprintf(yaml, sizeof yaml, "title: t\nitems:\n  - clip: /tmp/mq_test_mix_notaudio.wav\n"
                                "  - music: a.wav\n    start: 10s\n");
    mq_program *p = load(yaml);
    mq_mix_env env = { .program = p, .speak = fake_speak, .rate = RATE, .channels = 2 };
    mq_mix *m = NULL;
    mq_error err = { 0 };
    mq_diags *d = mq_diags_create();
    CHECK_INT(mq_mix_create(&env, &m, d, &err), MQ_EINPUT, "a broken audio file is bad input");
    CHECK_INT(mq_diags_count(d), 2, "both problems reported");
    CHECK_HAS(mq_diags_get(d, 0)->message, "mq_test_mix_notaudio.wav", "the file is named");
    CHECK_INT(mq_diags_get(d, 0)->line, 3, "at the item's line");
    CHECK_HAS(mq_diags_get(d, 1)->message, "past the end", "a start past the end is refused");
    mq_diags_free(d);
    mq_program_free(p);
    unlink("/tmp/mq_test_mix_notaudio.wav");
}

int main(void)
{
    if (!mkdtemp(dir))
        return 1;
    test_sequence_and_fades();
    test_crossfade();
    test_duck();
    test_memo();
    test_speech_gain();
    test_known_loudness();
    test_errors();
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd)) {}
    MQ_TEST_END();
}
