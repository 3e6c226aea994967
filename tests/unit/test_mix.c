/* test_mix.c — the timeline: placement, trims, fades and their shapes,
 * equal-power crossfades, pauses, and a bed ducked under speech by the
 * requested amount (measured with a Goertzel filter at the bed's frequency). */
#include "mq_test.h"
#include "audio/mq_mix.h"
#include "program/mq_program.h"

#include <sndfile.h>
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
    test_errors();
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd)) {}
    MQ_TEST_END();
}
