/* test_clip.c — streaming decode of audio files: every format at 48 kHz
 * stereo with the right length, frequency and level; channel mapping; seek;
 * damaged, foreign and missing files. Test files are made in a temp folder
 * with libsndfile, sox and ffmpeg (project dependencies). */
#include "mq_test.h"
#include "audio/mq_clip.h"

#include <sndfile.h>
#include <stdarg.h>
#include <stdlib.h>
#include <unistd.h>

static char dir[] = "/tmp/mq_test_clip_XXXXXX";

/* DIR/NAME in a static rotating buffer. */
static const char *at(const char *name)
{
    static char bufs[8][512];
    static int k;
    char *b = bufs[k++ % 8];
    snprintf(b, 512, "%s/%s", dir, name);
    return b;
}

/* Runs a shell command (output hidden); 0 on success. */
static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh(const char *fmt, ...)
{
    char cmd[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    char full[2200];
    snprintf(full, sizeof full, "(%s) >/dev/null 2>&1", cmd);
    return system(full);
}

/* Decodes the whole of PATH (a test helper: the library itself never does). */
static float *decode(const char *path, int rate, int ch, long *frames, int *rc)
{
    mq_error err = { 0 };
    mq_clip *c;
    *frames = 0;
    *rc = mq_clip_open(path, rate, ch, &c, &err);
    if (*rc != MQ_OK) {
        printf("  (%s)\n", err.msg);
        return NULL;
    }
    size_t cap = 1 << 16, n = 0;
    float *all = malloc(cap * (size_t)ch * sizeof *all);
    for (;;) {
        if (n + 1000 > cap) {
            cap *= 2;
            all = realloc(all, cap * (size_t)ch * sizeof *all);
        }
        long got = mq_clip_read(c, all + n * (size_t)ch, 1000, &err);
        if (got < 0) {
            *rc = (int)got;
            printf("  (%s)\n", err.msg);
            break;
        }
        if (got == 0)
            break;
        n += (size_t)got;
    }
    mq_clip_free(c);
    *frames = (long)n;
    return all;
}

static double rms(const float *x, long from, long n, int ch, int c)
{
    double s = 0;
    for (long i = from; i < from + n; i++)
        s += (double)x[i * ch + c] * x[i * ch + c];
    return sqrt(s / (double)n);
}

static long crossings(const float *x, long from, long n, int ch)
{
    long z = 0;
    for (long i = from + 1; i < from + n; i++)
        z += (x[(i - 1) * ch] < 0) != (x[i * ch] < 0);
    return z;
}

static double db(double r) { return 20 * log10(r); }

/* Writes FRAMES frames of CH channels at RATE with libsndfile; sample(i, c). */
static int write_sf(const char *path, int format, int rate, int ch, long frames,
                    double (*sample)(long i, int c))
{
    SF_INFO info = { .samplerate = rate, .channels = ch, .format = format };
    SNDFILE *sf = sf_open(path, SFM_WRITE, &info);
    if (!sf)
        return -1;
    float fr[8];
    for (long i = 0; i < frames; i++) {
        for (int c = 0; c < ch; c++)
            fr[c] = (float)sample(i, c);
        sf_writef_float(sf, fr, 1);
    }
    return sf_close(sf);
}

static double ramp(long i, int c) { (void)c; return 0.9 * (double)i / 88200; }
static double ramp48(long i, int c) { (void)c; return 0.9 * (double)i / 96000; }
static double stereo_dc(long i, int c) { (void)i; return c == 0 ? 0.6 : 0.2; }
static const double six[6] = { 0.1, 0.2, 0.3, 0.9, 0.05, 0.15 };
static double six_dc(long i, int c) { (void)i; return six[c]; }

static void test_formats(void)
{
    /* A 2 s, 1 kHz tone at half scale (-6.02 dBFS peak, RMS 0.3536) at 44.1 kHz mono. */
    int ok = sh("sox -n -r 44100 -c 1 -b 16 %s synth 2 sine 1000 vol 0.5", at("tone.wav")) == 0 &&
             sh("sox %s %s", at("tone.wav"), at("tone.flac")) == 0 &&
             sh("sox %s -C 6 %s", at("tone.wav"), at("tone.ogg")) == 0 &&
             sh("ffmpeg -nostdin -y -i %s -c:a libopus -b:a 128k %s", at("tone.wav"),
                at("tone.opus")) == 0 &&
             sh("ffmpeg -nostdin -y -i %s -c:a libmp3lame -b:a 192k %s", at("tone.wav"),
                at("tone.mp3")) == 0;
    if (!ok) {
        printf("FAIL: %s:%d: sox or ffmpeg is missing or failed (run tools/install-deps)\n",
               __FILE__, __LINE__);
        mq_test_failed++;
        return;
    }
    static const struct { const char *name; int lossy; } fmts[] = {
        { "tone.wav", 0 }, { "tone.flac", 0 }, { "tone.ogg", 1 }, { "tone.opus", 1 },
        { "tone.mp3", 1 },
    };
    for (size_t k = 0; k < sizeof fmts / sizeof fmts[0]; k++) {
        char d[128];
        long n;
        int rc;
        float *x = decode(at(fmts[k].name), 48000, 2, &n, &rc);
        snprintf(d, sizeof d, "%s decodes to 48 kHz stereo", fmts[k].name);
        CHECK_INT(rc, MQ_OK, d);
        /* 2 s at 48 kHz; lossy: +-48 frames (1 ms) for codec padding. */
        snprintf(d, sizeof d, "%s: 96000 frames (measured %ld)", fmts[k].name, n);
        CHECK_NEAR(n, 96000, fmts[k].lossy ? 48 : 1, d);
        if (n < 96000 - 48) {
            free(x);
            continue;
        }
        /* The middle second: 1000 cycles = 2000 zero crossings. */
        snprintf(d, sizeof d, "%s keeps 1 kHz", fmts[k].name);
        CHECK_NEAR(crossings(x, 24000, 48000, 2), 2000, 2, d);
        double lvl = db(rms(x, 24000, 48000, 2, 0)) - db(0.5 / sqrt(2));
        snprintf(d, sizeof d, "%s keeps the level (%+.3f dB)", fmts[k].name, lvl);
        CHECK_NEAR(lvl, 0, fmts[k].lossy ? 1.0 : 0.5, d);
        snprintf(d, sizeof d, "%s: mono copied to both channels at equal level", fmts[k].name);
        int same = 1;
        for (long i = 0; i < n; i++)
            same &= x[2 * i] == x[2 * i + 1];
        CHECK(same, d);
        free(x);
    }

    /* Mono output of a mono file matches stereo's left channel (no pan law). */
    long n1, n2;
    int rc1, rc2;
    float *m = decode(at("tone.flac"), 48000, 1, &n1, &rc1);
    float *s = decode(at("tone.flac"), 48000, 2, &n2, &rc2);
    CHECK(rc1 == MQ_OK && rc2 == MQ_OK && n1 == n2, "mono and stereo decodes agree in length");
    if (m && s && n1 == n2) {
        double mx = 0;
        for (long i = 0; i < n1; i++)
            mx = fmax(mx, fabs(m[i] - s[2 * i]));
        CHECK(mx == 0, "mono -> stereo is the same signal, not -3 dB");
    }
    free(m);
    free(s);

    /* Same file, same output: bit-for-bit (single-threaded soxr). */
    float *a = decode(at("tone.ogg"), 48000, 2, &n1, &rc1);
    float *b = decode(at("tone.ogg"), 48000, 2, &n2, &rc2);
    CHECK(a && b && n1 == n2 && !memcmp(a, b, (size_t)n1 * 2 * sizeof *a),
          "decoding is deterministic");
    free(a);
    free(b);

    /* Reading one frame at a time gives the same stream as big blocks. */
    a = decode(at("tone.wav"), 48000, 2, &n1, &rc1);
    b = malloc(100000 * 2 * sizeof *b);
    mq_error err = { 0 };
    mq_clip *c = NULL;
    n2 = 0;
    if (b && mq_clip_open(at("tone.wav"), 48000, 2, &c, &err) == MQ_OK) {
        long got;
        while (n2 < 100000 && (got = mq_clip_read(c, b + 2 * n2, 1, &err)) == 1)
            n2++;
        mq_clip_free(c);
    }
    CHECK(a && b && n1 == n2 && !memcmp(a, b, (size_t)n1 * 2 * sizeof *a),
          "frame-by-frame reads equal block reads");
    free(a);
    free(b);

    /* Odd rates both ways: 22.05 kHz and 96 kHz sources to 48 kHz. */
    sh("sox %s -r 22050 %s", at("tone.wav"), at("tone22.wav"));
    sh("sox %s -r 96000 %s", at("tone.wav"), at("tone96.flac"));
    a = decode(at("tone22.wav"), 48000, 2, &n1, &rc1);
    CHECK_INT(n1, 96000, "22.05 -> 48 kHz: 96000 frames");
    if (a && n1 == 96000)
        CHECK_NEAR(crossings(a, 24000, 48000, 2), 2000, 2, "... still 1 kHz");
    free(a);
    a = decode(at("tone96.flac"), 48000, 2, &n1, &rc1);
    CHECK_INT(n1, 96000, "96 -> 48 kHz: 96000 frames");
    if (a && n1 == 96000)
        CHECK_NEAR(db(rms(a, 24000, 48000, 2, 1)) - db(0.5 / sqrt(2)), 0, 0.5,
                   "... same level");
    free(a);

    /* Another rate: 44.1 kHz -> 22.05 kHz halves the length exactly. */
    a = decode(at("tone.wav"), 22050, 1, &n1, &rc1);
    CHECK_INT(n1, 44100, "44.1 -> 22.05 kHz: 44100 frames");
    if (a && n1 == 44100)
        CHECK_NEAR(crossings(a, 11025, 22050, 1), 2000, 2, "... still 1 kHz");
    free(a);
}

static void test_mapping(void)
{
    long n;
    int rc;
    /* Stereo (0.6, 0.2) at 48 kHz -> mono (L + R) / 2 = 0.4, no resampling. */
    CHECK_INT(write_sf(at("st.wav"), SF_FORMAT_WAV | SF_FORMAT_FLOAT, 48000, 2, 4800, stereo_dc),
              0, "libsndfile writes a stereo test file");
    float *x = decode(at("st.wav"), 48000, 1, &n, &rc);
    CHECK_INT(n, 4800, "stereo -> mono keeps the length");
    if (x && n == 4800) {
        CHECK_NEAR(x[0], 0.4, 1e-6, "stereo -> mono averages (first frame)");
        CHECK_NEAR(x[4799], 0.4, 1e-6, "stereo -> mono averages (last frame)");
    }
    free(x);
    x = decode(at("st.wav"), 48000, 2, &n, &rc);
    if (x && n == 4800)
        CHECK(x[100] == 0.6f && x[101] == 0.2f, "stereo -> stereo is untouched");
    free(x);

    /* 5.1 in WAV order L R C LFE Ls Rs -> BS.775, LFE dropped, peak-safe gain. */
    CHECK_INT(write_sf(at("six.wav"), SF_FORMAT_WAV | SF_FORMAT_FLOAT, 48000, 6, 4800, six_dc),
              0, "libsndfile writes a 6-channel test file");
    double g = 1 / (1 + 2 * 0.70710678);
    double l = g * (six[0] + 0.70710678 * six[2] + 0.70710678 * six[4]);
    double r = g * (six[1] + 0.70710678 * six[2] + 0.70710678 * six[5]);
    x = decode(at("six.wav"), 48000, 2, &n, &rc);
    CHECK_INT(rc, MQ_OK, "6 channels open as stereo");
    if (x && n == 4800) {
        CHECK_NEAR(x[200], l, 1e-6, "5.1 -> L = g (L + .707 C + .707 Ls)");
        CHECK_NEAR(x[201], r, 1e-6, "5.1 -> R = g (R + .707 C + .707 Rs)");
        CHECK_NEAR(g, 0.41421356, 1e-8, "peak-safe gain 1 / 2.414 (-7.66 dB)");
    }
    free(x);
    x = decode(at("six.wav"), 48000, 1, &n, &rc);
    if (x && n == 4800)
        CHECK_NEAR(x[300], (l + r) / 2, 1e-6, "5.1 -> mono = (L' + R') / 2");
    free(x);
    /* Full scale on every channel stays within full scale. */
    float ones[6] = { 1, 1, 1, 1, 1, 1 };
    SF_INFO info = { .samplerate = 48000, .channels = 6, .format = SF_FORMAT_WAV | SF_FORMAT_FLOAT };
    SNDFILE *sf = sf_open(at("full6.wav"), SFM_WRITE, &info);
    for (int i = 0; i < 100; i++)
        sf_writef_float(sf, ones, 1);
    sf_close(sf);
    x = decode(at("full6.wav"), 48000, 2, &n, &rc);
    if (x && n == 100)
        CHECK(x[0] <= 1.0f + 1e-6f && x[0] > 0.999f, "5.1 full scale -> exactly full scale");
    free(x);
}

static void test_seek(void)
{
    mq_error err = { 0 };
    mq_clip *c;
    /* A ramp at 44.1 kHz: its value tells where we are, after resampling too. */
    write_sf(at("ramp.wav"), SF_FORMAT_WAV | SF_FORMAT_FLOAT, 44100, 1, 88200, ramp);
    CHECK_INT(mq_clip_open(at("ramp.wav"), 48000, 1, &c, &err), MQ_OK, "open the ramp");
    if (!c)
        return;
    CHECK_NEAR(mq_clip_duration(c), 2.0, 1e-9, "duration 2 s");
    CHECK_INT(mq_clip_source_rate(c), 44100, "source rate");
    CHECK_INT(mq_clip_source_channels(c), 1, "source channels");
    static float buf[96000];
    long got = mq_clip_read(c, buf, 2000, &err);
    CHECK_INT(got, 2000, "read 2000 frames");
    /* Output frame k is source time k / 48000: the resampler delay is removed. */
    CHECK_NEAR(buf[1000], 0.9 * (1000 * 44100.0 / 48000) / 88200, 1e-4,
               "resampled output is time-aligned with the source");
    CHECK_INT(mq_clip_seek(c, 0.5, &err), MQ_OK, "seek to 0.5 s");
    long total = 0;
    while ((got = mq_clip_read(c, buf + total, 4096, &err)) > 0)
        total += got;
    CHECK_INT(got, 0, "read to the end after the seek");
    CHECK_NEAR(total, 72000, 1, "1.5 s remain after a seek to 0.5 s");
    CHECK_NEAR(buf[1000], 0.9 * (22050 + 1000 * 44100.0 / 48000) / 88200, 1e-4,
               "the seek lands at 0.5 s (resampled)");
    CHECK_INT(mq_clip_seek(c, 2.0, &err), MQ_OK, "seek to the very end");
    CHECK_INT(mq_clip_read(c, buf, 100, &err), 0, "... then the clip is at its end");
    CHECK_INT(mq_clip_seek(c, 3.0, &err), MQ_EINPUT, "seek past the end is refused");
    CHECK_HAS(err.msg, "ramp.wav", "... naming the file");
    CHECK_INT(mq_clip_seek(c, -1.0, &err), MQ_EINVAL, "a negative seek is a caller bug");
    mq_clip_free(c);

    /* No resampling: the seek is exact to the frame. */
    write_sf(at("ramp48.wav"), SF_FORMAT_WAV | SF_FORMAT_FLOAT, 48000, 1, 96000, ramp48);
    CHECK_INT(mq_clip_open(at("ramp48.wav"), 48000, 2, &c, &err), MQ_OK, "open a 48 kHz ramp");
    if (c) {
        mq_clip_seek(c, 1.25, &err);
        CHECK_INT(mq_clip_read(c, buf, 10, &err), 10, "read after seek");
        CHECK_NEAR(buf[0], 0.9 * 60000 / 96000, 1e-7, "seek to 1.25 s = frame 60000 exactly");
        CHECK(buf[0] == buf[1], "... on both channels");
        mq_clip_free(c);
    }

    /* Seeking in compressed files matches decoding from the start. */
    static const char *const names[] = { "tone.flac", "tone.ogg", "tone.opus", "tone.mp3" };
    for (size_t k = 0; k < 4; k++) {
        long n;
        int rc;
        float *all = decode(at(names[k]), 48000, 1, &n, &rc);
        if (!all || n < 96000 - 48 || mq_clip_open(at(names[k]), 48000, 1, &c, &err)) {
            free(all);
            CHECK(0, "seek test needs the compressed tone files");
            continue;
        }
        mq_clip_seek(c, 1.0, &err);
        got = mq_clip_read(c, buf, 4000, &err);
        double mx = 0;
        for (int i = 2000; i < 4000 && got == 4000; i++)
            mx = fmax(mx, fabs(buf[i] - all[48000 + i]));
        char d[128];
        snprintf(d, sizeof d, "%s: seek to 1 s matches the full decode (max diff %.2g)",
                 names[k], mx);
        CHECK(got == 4000 && mx < 1e-3, d);
        mq_clip_free(c);
        free(all);
    }
}

static void test_errors(void)
{
    mq_error err = { 0 };
    mq_clip *c = (mq_clip *)1;
    CHECK_INT(mq_clip_open(at("missing.wav"), 48000, 2, &c, &err), MQ_EIO,
              "a missing file is an I/O error");
    CHECK(c == NULL, "... and gives no clip");
    CHECK_HAS(err.msg, "missing.wav", "... naming the file");
    CHECK_HAS(err.msg, "No such file", "... with the system's reason");

    FILE *t = fopen(at("text.ogg"), "w");
    fputs("This is not music, just some text in a file named .ogg\n", t);
    fclose(t);
    CHECK_INT(mq_clip_open(at("text.ogg"), 48000, 2, &c, &err), MQ_EINPUT,
              "a text file named .ogg is bad input");
    CHECK_HAS(err.msg, "text.ogg", "... naming the file");
    CHECK_HAS(err.msg, "not a valid Ogg file (libsndfile: ", "... saying what is wrong");

    fclose(fopen(at("empty.wav"), "w"));
    CHECK_INT(mq_clip_open(at("empty.wav"), 48000, 2, &c, &err), MQ_EINPUT,
              "an empty file is bad input");
    CHECK_HAS(err.msg, "empty.wav", "... naming the file");

    /* A header-only WAV: valid, but no audio. */
    SF_INFO info = { .samplerate = 48000, .channels = 1, .format = SF_FORMAT_WAV | SF_FORMAT_PCM_16 };
    sf_close(sf_open(at("zero.wav"), SFM_WRITE, &info));
    CHECK_INT(mq_clip_open(at("zero.wav"), 48000, 2, &c, &err), MQ_EINPUT,
              "a WAV with zero frames is bad input");
    CHECK_HAS(err.msg, "zero.wav", "... naming the file");

    CHECK_INT(mq_clip_open(dir, 48000, 2, &c, &err), MQ_EINPUT, "a folder is not a clip");
    CHECK_INT(mq_clip_open(at("tone.wav"), 48000, 3, &c, &err), MQ_EINVAL,
              "3 output channels are a caller bug");

    /* A WAV streamed through a pipe has 0xFFFFFFFF sizes: complete, not truncated. */
    if (sh("ffmpeg -nostdin -i %s -f wav - | cat > %s", at("tone.wav"), at("pipe.wav")) == 0) {
        long n;
        int rc;
        float *x = decode(at("pipe.wav"), 48000, 2, &n, &rc);
        CHECK_INT(rc, MQ_OK, "a WAV with unknown (streamed) sizes decodes");
        CHECK_INT(n, 96000, "... to its full length");
        free(x);
    } else {
        CHECK(0, "ffmpeg makes a streamed WAV");
    }

    /* Files cut in half, as by an interrupted copy. */
    static const char *const cut[] = { "tone.wav", "tone.flac", "tone.ogg", "tone.opus",
                                       "tone.mp3" };
    for (size_t k = 0; k < 5; k++) {
        char half[64], d[1200];
        snprintf(half, sizeof half, "half-%s", cut[k]);
        sh("head -c $(( $(stat -c %%s %s) / 2 )) %s > %s", at(cut[k]), at(cut[k]), at(half));
        long n;
        int rc;
        mq_error_clear(&err);
        int orc = mq_clip_open(at(half), 48000, 2, &c, &err);
        if (orc == MQ_OK) {
            float *x = decode(at(half), 48000, 2, &n, &rc);
            free(x);
            mq_clip_free(c);
            /* decode() printed the message; get it again for the checks. */
            mq_clip_open(at(half), 48000, 2, &c, &err);
            static float buf[8192];
            long got;
            while ((got = mq_clip_read(c, buf, 4096, &err)) > 0)
                ;
            mq_clip_free(c);
            rc = (int)got;
        } else {
            rc = orc;
        }
        snprintf(d, sizeof d, "%s cut in half gives MQ_EINPUT (%s)", cut[k], err.msg);
        CHECK_INT(rc, MQ_EINPUT, d);
        snprintf(d, sizeof d, "%s cut in half: the message names the file", cut[k]);
        CHECK_HAS(err.msg, half, d);
        snprintf(d, sizeof d, "%s cut in half: the message says truncated", cut[k]);
        CHECK_HAS(err.msg, "truncated", d);
    }
}

int main(void)
{
    /* mpg123 (inside libsndfile) warns on stderr about damaged MP3s; whole
     * lines keep those warnings from splitting a PASS/FAIL line. */
    setvbuf(stdout, NULL, _IOLBF, 0);
    CHECK(mkdtemp(dir) != NULL, "temp dir");
    test_formats();
    test_mapping();
    test_seek();
    test_errors();
    sh("rm -rf %s", dir);
    MQ_TEST_END();
}
