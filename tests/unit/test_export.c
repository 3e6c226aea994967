/* test_export.c — the export's two ways to the same file: with the mix kept
 * in a temporary file, and with the mix made again (mix_again), where the
 * first pass writes the output itself and keeps it when the mix is on the
 * target. Every case is compared byte for byte with the temporary-file way:
 * a mix on target (kept), one a little off (kept, within
 * MQ_EXPORT_SLACK_LU), one well off (mixed again), one the limiter must
 * hold (mixed again twice), and a mix on target whose click the limiter
 * must catch. */
#include "mq_test.h"
#include "audio/mq_mix.h"
#include "output/mq_export.h"
#include "program/mq_program.h"

#include <sndfile.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#define RATE 48000
static char dir[] = "/tmp/mq_test_export_XXXXXX";

/* SECONDS of a chord with a slow swell at AMP, and a full-scale click at
 * CLICK s (< 0: none). */
static void write_music(const char *name, double seconds, double amp, double click)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    SF_INFO info = { .samplerate = 44100, .channels = 2, .format = SF_FORMAT_WAV | SF_FORMAT_FLOAT };
    SNDFILE *sf = sf_open(path, SFM_WRITE, &info);
    size_t n = (size_t)(seconds * info.samplerate);
    float *x = malloc(2 * n * sizeof *x);
    for (size_t i = 0; i < n; i++) {
        double t = (double)i / info.samplerate,
               swell = amp * (0.5 + 0.4 * sin(2 * M_PI * 0.3 * t));
        double v = swell * (0.2 * sin(2 * M_PI * 220 * t) + 0.1 * sin(2 * M_PI * 331 * t));
        x[2 * i] = (float)v;
        x[2 * i + 1] = (float)(0.8 * v + 0.05 * sin(2 * M_PI * 1500 * t));
    }
    if (click >= 0)
        x[2 * (size_t)(click * info.samplerate)] = 0.99f;
    sf_writef_float(sf, x, (sf_count_t)n);
    sf_close(sf);
    free(x);
}

/* Speech stand-in: 2.5 s of a warbling tone, one sentence. */
static int fake_speak(void *ctx, size_t item, mq_buf *out, mq_sentence_fn cb, void *user,
                      mq_error *err)
{
    (void)ctx, (void)item, (void)err;
    size_t n = (size_t)(2.5 * RATE), start = out->frames;
    mq_buf_reserve(out, n);
    for (size_t i = 0; i < n; i++) {
        double t = (double)i / RATE;
        out->data[out->frames + i] =
            (float)(0.3 * sin(2 * M_PI * (700 + 200 * sin(2 * M_PI * 3 * t)) * t));
    }
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
        printf("FAIL: program did not load: %s\n", err.msg);
    mq_diags_free(d);
    return p;
}

/* Exports P at LOUDNESS into NAME (in dir), MIX_AGAIN as given; MQ_OK or the
 * export's code. */
static int export(mq_program *p, double loudness, int mix_again, const char *name,
                  mq_export_report *rep)
{
    mq_mix_env env = { .program = p, .speak = fake_speak, .rate = RATE, .channels = 2,
                       .balance = 1 };
    mq_mix *m = NULL;
    mq_error err = { 0 };
    if (mq_mix_create(&env, &m, NULL, &err) != MQ_OK) {
        printf("FAIL: mixer: %s\n", err.msg);
        return MQ_EINTERNAL;
    }
    char path[256];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    mq_export_opts o = { .path = path, .format = MQ_PCM_16, .loudness = loudness,
                         .true_peak = -1.0, .title = "t", .mix_again = mix_again };
    int rc = mq_export(m, &o, rep, &err);
    if (rc != MQ_OK)
        printf("FAIL: export %s: %s\n", name, err.msg);
    free(rep->curve);
    rep->curve = NULL;
    mq_mix_free(m);
    return rc;
}

static int same_file(const char *a, const char *b)
{
    char pa[256], pb[256];
    snprintf(pa, sizeof pa, "%s/%s", dir, a);
    snprintf(pb, sizeof pb, "%s/%s", dir, b);
    FILE *fa = fopen(pa, "rb"), *fb = fopen(pb, "rb");
    int same = fa && fb;
    while (same) {
        int ca = getc(fa), cb = getc(fb);
        same = ca == cb;
        if (ca == EOF || cb == EOF)
            break;
    }
    if (fa)
        fclose(fa);
    if (fb)
        fclose(fb);
    return same;
}

static void compare(mq_program *p, double loudness, const char *what, int want_kept,
                    double *mix_lufs)
{
    mq_export_report r0, r1;
    char a[64], b[64], d[200];
    snprintf(a, sizeof a, "%s-file.wav", what);
    snprintf(b, sizeof b, "%s-again.wav", what);
    int rc0 = export(p, loudness, 0, a, &r0), rc1 = export(p, loudness, 1, b, &r1);
    snprintf(d, sizeof d, "%s: both ways export", what);
    CHECK(rc0 == MQ_OK && rc1 == MQ_OK, d);
    if (mix_lufs)
        *mix_lufs = r0.mix_loudness;
    if (want_kept) {
        snprintf(d, sizeof d, "%s: the first pass's file is kept (no gain applied)", what);
        MQ_CHECK_(r1.gain_db == 0.0, d, "gain %.4f dB", r1.gain_db);
        snprintf(d, sizeof d, "%s: its loudness is the mix's", what);
        MQ_CHECK_(fabs(r1.loudness - r1.mix_loudness) < 1e-9, d, "%.4f against %.4f",
                  r1.loudness, r1.mix_loudness);
        snprintf(d, sizeof d, "%s: within %.2f LU of the target", what, MQ_EXPORT_SLACK_LU);
        CHECK(isnan(loudness) || fabs(r1.loudness - loudness) <= MQ_EXPORT_SLACK_LU, d);
    } else {
        snprintf(d, sizeof d, "%s: the file mixed again is the one read back, byte for byte",
                 what);
        CHECK(same_file(a, b), d);
        snprintf(d, sizeof d, "%s: the same figures", what);
        MQ_CHECK_(r0.loudness == r1.loudness && r0.true_peak == r1.true_peak &&
                      r0.gain_db == r1.gain_db && r0.frames == r1.frames,
                  d, "%.4f/%.4f LUFS, %.4f/%.4f dBTP", r0.loudness, r1.loudness, r0.true_peak,
                  r1.true_peak);
    }
}

int main(void)
{
    if (!mkdtemp(dir))
        return 1;
    setenv("SOURCE_DATE_EPOCH", "1700000000", 1);
    write_music("m.wav", 6.0, 1.0, -1);
    write_music("bed.wav", 4.0, 1.0, -1);
    /* Quiet music, brought up 10 dB or so by the balance: the click with it. */
    write_music("click.wav", 6.0, 0.05, 3.2);
    mq_program *p = load("title: t\n"
                         "output: { rate: 48000, channels: 2 }\n"
                         "items:\n"
                         "  - music: m.wav\n"
                         "  - announce: 你好\n"
                         "    bed: bed.wav\n"
                         "  - music: m.wav\n"
                         "    length: 3s\n");
    if (!p)
        return 1;
    double m = NAN;
    compare(p, NAN, "unnormalized", 1, &m);
    /* Off: the first pass's file is the mix at its own level, as the
     * temporary file's way writes it at a gain of 0 dB. */
    CHECK(same_file("unnormalized-file.wav", "unnormalized-again.wav"),
          "unnormalized: the same bytes either way");
    CHECK(isfinite(m) && m < -20 && m > -30, "the mix has a loudness");
    compare(p, m, "on target", 1, NULL);
    CHECK(same_file("on target-again.wav", "unnormalized-again.wav"),
          "on target: the mix as it is");
    compare(p, m + 0.8 * MQ_EXPORT_SLACK_LU, "just off", 1, NULL);
    CHECK(same_file("just off-again.wav", "unnormalized-again.wav"),
          "just off: the mix as it is too");
    compare(p, m - 1.5 * MQ_EXPORT_SLACK_LU, "off", 0, NULL);
    compare(p, m + 3.0, "3 dB up", 0, NULL);
    compare(p, m + 14.0, "limited", 0, NULL);
    mq_program_free(p);

    /* On target, but a click over the ceiling: not kept. */
    p = load("title: t\n"
             "output: { rate: 48000, channels: 2 }\n"
             "items:\n"
             "  - music: click.wav\n");
    mq_export_report r;
    CHECK_INT(export(p, NAN, 0, "click-off.wav", &r), MQ_OK, "the click's mix measured");
    double mc = r.mix_loudness;
    compare(p, mc, "click on target", 0, NULL);
    CHECK_INT(export(p, mc, 1, "click.wav", &r), MQ_OK, "click on target exports");
    MQ_CHECK_(r.true_peak <= -1.0 + 1e-9, "click on target: held under the ceiling",
              "%.2f dBTP", r.true_peak);
    MQ_CHECK_(fabs(r.loudness - mc) < 0.1, "click on target: on target", "%.3f LUFS",
              r.loudness);
    mq_program_free(p);

    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0)
        return 1;
    MQ_TEST_END();
}
