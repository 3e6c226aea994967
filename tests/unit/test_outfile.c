/* test_outfile.c — exports appear only when complete; failures leave nothing
 * behind and never damage an earlier file. Every delivery format is read back
 * with libsndfile and with an independent decoder (ffprobe/ffmpeg); Broadcast
 * WAV metadata; SOURCE_DATE_EPOCH makes byte-identical files. */
#include "mq_test.h"
#include "output/mq_outfile.h"

#include <dirent.h>
#include <limits.h>
#include <sndfile.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static int count_files(const char *dir);

/* Runs CMD (a shell command) and returns its first output line's value for
 * "KEY=" among KEY=VALUE lines, in OUT; 0 when found. */
static int probe_value(const char *cmd, const char *key, char *out, size_t size)
{
    FILE *p = popen(cmd, "r");
    if (!p)
        return -1;
    char line[512];
    size_t klen = strlen(key);
    int found = -1;
    while (fgets(line, sizeof line, p)) {
        if (found && !strncmp(line, key, klen) && line[klen] == '=') {
            line[strcspn(line, "\r\n")] = 0;
            snprintf(out, size, "%s", line + klen + 1);
            found = 0;
        }
    }
    pclose(p);
    return found;
}

/* ffprobe's view of PATH: KEY among codec_name, sample_rate, channels,
 * format_name, TAG:... */
static const char *ffprobe(const char *path, const char *key)
{
    static char val[4][256];
    static int k;
    char *v = val[k++ % 4];
    char cmd[1024];
    snprintf(cmd, sizeof cmd,
             "ffprobe -v error -show_entries stream=codec_name,sample_rate,channels:"
             "format=format_name:format_tags:stream_tags -of default=nw=1 '%s' 2>/dev/null",
             path);
    if (probe_value(cmd, key, v, 256))
        snprintf(v, 256, "(none)");
    return v;
}

/* Frames ffmpeg decodes from PATH (its own decoders, with gapless trimming),
 * or -1. */
static long ffmpeg_frames(const char *path, int channels)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd,
             "ffmpeg -nostdin -v error -i '%s' -f f32le -ac %d - 2>/dev/null | wc -c", path,
             channels);
    FILE *p = popen(cmd, "r");
    long bytes = -1;
    if (!p)
        return -1;
    if (fscanf(p, "%ld", &bytes) != 1)
        bytes = -1;
    pclose(p);
    return bytes < 0 ? -1 : bytes / (4L * channels);
}

#define TONE_FRAMES 96000 /* 2 s at 48 kHz */
static float tone[TONE_FRAMES * 2];

static void make_tone(void)
{
    for (int i = 0; i < TONE_FRAMES; i++)
        tone[2 * i] = tone[2 * i + 1] = (float)(0.5 * sin(2 * M_PI * 1000 * i / 48000.0));
}

/* Writes the tone to PATH in blocks; MQ_OK or the first error. */
static int write_tone(const char *path, mq_sample_format fmt, const mq_outfile_meta *meta,
                      mq_error *err)
{
    mq_outfile *f;
    int rc = mq_outfile_open_meta(path, 48000, 2, fmt, meta, &f, err);
    if (rc != MQ_OK)
        return rc;
    for (int i = 0; i < TONE_FRAMES && rc == MQ_OK; i += 4800)
        rc = mq_outfile_write(f, tone + 2 * i, 4800, err);
    if (rc != MQ_OK) {
        mq_outfile_abort(f);
        return rc;
    }
    return mq_outfile_commit(f, err);
}

static void test_formats(const char *dir)
{
    static const struct {
        const char *name;
        mq_sample_format fmt;
        int major, sub;
        const char *codec, *container;
        int lossy;
    } fmts[] = {
        { "t16.wav", MQ_PCM_16, SF_FORMAT_WAV, SF_FORMAT_PCM_16, "pcm_s16le", "wav", 0 },
        { "t24.wav", MQ_PCM_24, SF_FORMAT_WAV, SF_FORMAT_PCM_24, "pcm_s24le", "wav", 0 },
        { "tf.wav", MQ_FLOAT_32, SF_FORMAT_WAV, SF_FORMAT_FLOAT, "pcm_f32le", "wav", 0 },
        { "t16.flac", MQ_PCM_16, SF_FORMAT_FLAC, SF_FORMAT_PCM_16, "flac", "flac", 0 },
        { "t24.flac", MQ_PCM_24, SF_FORMAT_FLAC, SF_FORMAT_PCM_24, "flac", "flac", 0 },
        { "t.ogg", MQ_PCM_16, SF_FORMAT_OGG, SF_FORMAT_VORBIS, "vorbis", "ogg", 1 },
        { "t.opus", MQ_PCM_16, SF_FORMAT_OGG, SF_FORMAT_OPUS, "opus", "ogg", 1 },
        { "t.mp3", MQ_PCM_16, SF_FORMAT_MPEG, SF_FORMAT_MPEG_LAYER_III, "mp3", "mp3", 1 },
    };
    mq_outfile_meta meta = MQ_OUTFILE_META_INIT;
    meta.title = "新闻联播 test";
    for (size_t k = 0; k < sizeof fmts / sizeof fmts[0]; k++) {
        char path[512], d[1200];
        snprintf(path, sizeof path, "%s/%s", dir, fmts[k].name);
        mq_error err = { 0 };
        int rc = write_tone(path, fmts[k].fmt, &meta, &err);
        snprintf(d, sizeof d, "%s: written (%s)", fmts[k].name, err.msg);
        CHECK_INT(rc, MQ_OK, d);

        /* libsndfile reads it back. */
        SF_INFO info = { 0 };
        SNDFILE *sf = sf_open(path, SFM_READ, &info);
        snprintf(d, sizeof d, "%s: libsndfile opens it", fmts[k].name);
        CHECK(sf != NULL, d);
        if (!sf)
            continue;
        snprintf(d, sizeof d, "%s: libsndfile sees the container and encoding", fmts[k].name);
        CHECK_INT(info.format, fmts[k].major | fmts[k].sub, d);
        snprintf(d, sizeof d, "%s: libsndfile sees 48 kHz stereo", fmts[k].name);
        CHECK(info.samplerate == 48000 && info.channels == 2, d);
        snprintf(d, sizeof d, "%s: libsndfile reads %d frames (exact)", fmts[k].name,
                 TONE_FRAMES);
        CHECK_INT(info.frames, TONE_FRAMES, d);
        snprintf(d, sizeof d, "%s: title tag", fmts[k].name);
        CHECK_STR(sf_get_string(sf, SF_STR_TITLE), meta.title, d);
        static float back[TONE_FRAMES * 2];
        sf_count_t got = sf_readf_float(sf, back, TONE_FRAMES);
        sf_close(sf);
        double s = 0;
        for (long i = 24000; i < 72000 && got == TONE_FRAMES; i++)
            s += (double)back[2 * i] * back[2 * i];
        double lvl = 20 * log10(sqrt(s / 48000) / (0.5 / sqrt(2)));
        snprintf(d, sizeof d, "%s: the tone keeps its level (%+.3f dB)", fmts[k].name, lvl);
        CHECK_NEAR(lvl, 0, fmts[k].lossy ? 1.0 : 0.01, d);

        /* An independent decoder agrees. */
        snprintf(d, sizeof d, "%s: ffprobe codec", fmts[k].name);
        CHECK_STR(ffprobe(path, "codec_name"), fmts[k].codec, d);
        snprintf(d, sizeof d, "%s: ffprobe container", fmts[k].name);
        CHECK_STR(ffprobe(path, "format_name"), fmts[k].container, d);
        snprintf(d, sizeof d, "%s: ffprobe rate", fmts[k].name);
        CHECK_STR(ffprobe(path, "sample_rate"), "48000", d);
        snprintf(d, sizeof d, "%s: ffprobe channels", fmts[k].name);
        CHECK_STR(ffprobe(path, "channels"), "2", d);
        long n = ffmpeg_frames(path, 2);
        /* Lossless: exact. Lossy: +-48 frames (1 ms) of codec padding. */
        snprintf(d, sizeof d, "%s: ffmpeg decodes %ld frames", fmts[k].name, n);
        CHECK_NEAR(n, TONE_FRAMES, fmts[k].lossy ? 48 : 0, d);
    }
    CHECK_INT(count_files(dir), (int)(sizeof fmts / sizeof fmts[0]),
              "only finished files in the folder");
}

static void test_bext(const char *dir)
{
    char path[512];
    snprintf(path, sizeof path, "%s/bext.wav", dir);
    /* 90 three-byte characters = 270 bytes: cut to 85 characters (255 bytes). */
    char title[400] = "";
    for (int i = 0; i < 30; i++)
        strcat(title, "乌兰牧");
    mq_outfile_meta meta = MQ_OUTFILE_META_INIT;
    meta.title = title;
    meta.loudness = -23.0;
    meta.true_peak = -1.04;
    meta.loudness_range = 7.5;
    meta.max_momentary = -15.25;
    /* max_short_term stays unknown */
    setenv("SOURCE_DATE_EPOCH", "1700000000", 1); /* 2023-11-14 22:13:20 UTC */
    mq_error err = { 0 };
    CHECK_INT(write_tone(path, MQ_PCM_24, &meta, &err), MQ_OK, "a WAV with metadata");
    SF_INFO info = { 0 };
    SNDFILE *sf = sf_open(path, SFM_READ, &info);
    SF_BROADCAST_INFO bi;
    memset(&bi, 0, sizeof bi);
    CHECK(sf && sf_command(sf, SFC_GET_BROADCAST_INFO, &bi, sizeof bi) == SF_TRUE,
          "the WAV has a bext chunk");
    char desc[257] = { 0 };
    memcpy(desc, bi.description, 256);
    CHECK_INT(strlen(desc), 255, "description cut to 255 bytes");
    CHECK(!strncmp(desc, title, 255), "... at a character boundary, as the title begins");
    char orig[33] = { 0 };
    memcpy(orig, bi.originator, 32);
    CHECK_STR(orig, "muqir", "originator");
    CHECK(!memcmp(bi.origination_date, "2023-11-14", 10), "origination date from SOURCE_DATE_EPOCH");
    CHECK(!memcmp(bi.origination_time, "22:13:20", 8), "origination time from SOURCE_DATE_EPOCH");
    CHECK_INT(bi.version, 2, "bext version 2");
    CHECK_INT(bi.loudness_value, -2300, "loudness value in 1/100 LUFS");
    CHECK_INT(bi.max_true_peak_level, -104, "true peak in 1/100 dBTP");
    CHECK_INT(bi.loudness_range, 750, "loudness range in 1/100 LU");
    CHECK_INT(bi.max_momentary_loudness, -1525, "max momentary in 1/100 LUFS");
    CHECK_INT(bi.max_shortterm_loudness, 0x7FFF, "unknown max short-term is 0x7FFF");
    if (sf)
        sf_close(sf);
    /* ffmpeg's WAV demuxer exposes bext as tags; check only when it does. */
    const char *o = ffprobe(path, "TAG:originator");
    if (strcmp(o, "(none)"))
        CHECK_STR(o, "muqir", "ffprobe sees the bext originator");
    else
        printf("note: this ffprobe does not show bext fields\n");

    /* Reproducible: the same input and date give the same bytes. */
    static const char *const names[] = { "d1.wav", "d2.wav", "f1.wav", "f2.wav",
                                         "d1.flac", "d2.flac", "d1.mp3", "d2.mp3" };
    static const mq_sample_format fm[] = { MQ_PCM_16, MQ_FLOAT_32, MQ_PCM_24, MQ_PCM_16 };
    for (int k = 0; k < 4; k++) {
        char a[512], b[512], cmd[1100], d[128];
        snprintf(a, sizeof a, "%s/%s", dir, names[2 * k]);
        snprintf(b, sizeof b, "%s/%s", dir, names[2 * k + 1]);
        write_tone(a, fm[k], &meta, &err);
        sleep(k <= 1); /* a second apart, so that a clock (bext, PEAK) would show */
        write_tone(b, fm[k], &meta, &err);
        snprintf(cmd, sizeof cmd, "cmp -s '%s' '%s'", a, b);
        snprintf(d, sizeof d, "SOURCE_DATE_EPOCH: %s and %s are identical", names[2 * k],
                 names[2 * k + 1]);
        CHECK(system(cmd) == 0, d);
    }
    unsetenv("SOURCE_DATE_EPOCH");

    setenv("SOURCE_DATE_EPOCH", "yesterday", 1);
    mq_outfile *f;
    CHECK_INT(mq_outfile_open_meta(path, 48000, 2, MQ_PCM_16, &meta, &f, &err), MQ_EINPUT,
              "a malformed SOURCE_DATE_EPOCH is refused");
    CHECK_HAS(err.msg, "SOURCE_DATE_EPOCH", "... naming it");
    unsetenv("SOURCE_DATE_EPOCH");

    /* Without SOURCE_DATE_EPOCH: today's date. */
    CHECK_INT(write_tone(path, MQ_PCM_16, &meta, &err), MQ_OK, "a WAV dated now");
    sf = sf_open(path, SFM_READ, &info);
    memset(&bi, 0, sizeof bi);
    if (sf) {
        sf_command(sf, SFC_GET_BROADCAST_INFO, &bi, sizeof bi);
        sf_close(sf);
    }
    char today[16];
    time_t now = time(NULL);
    strftime(today, sizeof today, "%Y-%m-%d", localtime(&now));
    CHECK(!memcmp(bi.origination_date, today, 10), "origination date is today");
}

static void test_limits(const char *dir)
{
    char path[512];
    mq_error err = { 0 };
    mq_outfile *f = NULL;
    snprintf(path, sizeof path, "%s/x.opus", dir);
    CHECK_INT(mq_outfile_open(path, 44100, 2, MQ_PCM_16, &f, &err), MQ_EUNSUPPORTED,
              "Opus at 44100 Hz is refused");
    CHECK_HAS(err.msg, "x.opus", "... naming the file");
    CHECK_HAS(err.msg, "use 48000", "... saying what to use");
    for (int r = 8000; r <= 48000; r *= 2) {
        int rate = r == 32000 ? 24000 : r == 64000 ? 48000 : r;
        if (mq_outfile_open(path, rate, 1, MQ_PCM_16, &f, &err) == MQ_OK)
            mq_outfile_abort(f);
        else
            CHECK(0, "an Opus rate is accepted");
    }
    snprintf(path, sizeof path, "%s/x.mp3", dir);
    CHECK_INT(mq_outfile_open(path, 96000, 2, MQ_PCM_16, &f, &err), MQ_EUNSUPPORTED,
              "MP3 at 96000 Hz is refused");
    CHECK_INT(mq_outfile_open(path, 48000, 6, MQ_PCM_16, &f, &err), MQ_EUNSUPPORTED,
              "MP3 with 6 channels is refused");
    CHECK_HAS(err.msg, "1 or 2 channels", "... saying why");
    CHECK_INT(count_files(dir), 0, "refusals leave nothing behind");

    /* A .flac export abandoned halfway leaves nothing. */
    snprintf(path, sizeof path, "%s/x.flac", dir);
    CHECK_INT(mq_outfile_open(path, 48000, 2, MQ_PCM_24, &f, &err), MQ_OK, "open a .flac");
    CHECK(access(path, F_OK) != 0, "no .flac at the destination while writing");
    mq_outfile_write(f, tone, 4800, &err);
    mq_outfile_abort(f);
    CHECK_INT(count_files(dir), 0, "an abandoned .flac leaves nothing behind");

    /* A plain WAV refuses to pass 4 GB; the data is not touched. */
    snprintf(path, sizeof path, "%s/big.wav", dir);
    CHECK_INT(mq_outfile_open(path, 48000, 2, MQ_PCM_16, &f, &err), MQ_OK, "open a .wav");
    CHECK_INT(mq_outfile_write(f, tone, (size_t)1 << 31, &err), MQ_EUNSUPPORTED,
              "a write past 4 GB of WAV is refused");
    CHECK_HAS(err.msg, "expected_frames", "... saying how to get RF64");
    mq_outfile_abort(f);

    /* Announced beyond 4 GB: RF64 from the start, downgraded to WAV when it
     * stays small, bext kept. */
    mq_outfile_meta meta = MQ_OUTFILE_META_INIT;
    meta.title = "long";
    meta.loudness = -24;
    meta.expected_frames = (size_t)48000 * 3600 * 7; /* 7 h of 16-bit stereo = 4.8 GB */
    CHECK_INT(mq_outfile_open_meta(path, 48000, 2, MQ_PCM_16, &meta, &f, &err), MQ_OK,
              "open an RF64 export");
    mq_outfile_write(f, tone, 4800, &err);
    CHECK_INT(mq_outfile_commit(f, &err), MQ_OK, "commit it");
    SF_INFO info = { 0 };
    SNDFILE *sf = sf_open(path, SFM_READ, &info);
    CHECK(sf != NULL, "the short RF64 export reads back");
    CHECK((info.format & SF_FORMAT_TYPEMASK) == SF_FORMAT_WAV ||
              (info.format & SF_FORMAT_TYPEMASK) == SF_FORMAT_WAVEX,
          "... as a RIFF WAV (auto-downgrade; WAVE_FORMAT_EXTENSIBLE)");
    CHECK_INT(info.frames, 4800, "... with its frames");
    SF_BROADCAST_INFO bi;
    memset(&bi, 0, sizeof bi);
    CHECK(sf && sf_command(sf, SFC_GET_BROADCAST_INFO, &bi, sizeof bi) == SF_TRUE &&
              bi.loudness_value == -2400, "... and its bext chunk");
    if (sf)
        sf_close(sf);
    CHECK_STR(ffprobe(path, "format_name"), "wav", "ffprobe reads the downgraded file");
    unlink(path);
}

static int count_files(const char *dir)
{
    int n = 0;
    DIR *d = opendir(dir);
    struct dirent *e;
    while (d && (e = readdir(d)))
        n += e->d_name[0] != '.' || (e->d_name[1] && e->d_name[1] != '.');
    if (d)
        closedir(d);
    return n;
}

static char cmd_rm[400];

/* mq_float_to_pcm16 against libsndfile's own float-to-16-bit conversion with
 * clipping on (what mq_outfile_write did before it converted itself): the
 * same 16-bit sample for every one of a million floats — ties, the clipping
 * edges, tiny values, values past full scale, NaN and the infinities. */
static void test_pcm16(const char *dir)
{
    enum { N = 1 << 20 };
    float *x = malloc(N * sizeof *x);
    short *mine = malloc(N * sizeof *mine), *theirs = malloc(N * sizeof *theirs);
    uint32_t r = 12345;
    for (size_t i = 0; i < N; i++) {
        r = r * 1664525u + 1013904223u;
        float u = (float)(r >> 8) / 16777216.0f;
        switch (i % 4) {
        case 0: x[i] = u * 2.4f - 1.2f; break;                 /* past full scale too */
        case 1: x[i] = (u * 2.0f - 1.0f) * 1e-3f; break;       /* quiet */
        case 2: x[i] = (float)((int)(u * 65536) - 32768) / 32768.0f +
                       (i % 8 == 2 ? 0.5f / 32768.0f : 0.0f); break;  /* on and between steps */
        default: x[i] = (u * 2.0f - 1.0f) * 4e-5f; break;      /* around one step */
        }
    }
    const float edge[] = { NAN, INFINITY, -INFINITY, 1.0f, -1.0f, 0.99999994f, -0.99999994f,
                           1.0000001f, -1.0000001f, 0.0f, -0.0f, 1.0f / 65536, -1.0f / 65536 };
    memcpy(x, edge, sizeof edge);
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/pcm16.wav", dir);
    SF_INFO info = { .samplerate = 48000, .channels = 1, .format = SF_FORMAT_WAV | SF_FORMAT_PCM_16 };
    SNDFILE *sf = sf_open(path, SFM_WRITE, &info);
    CHECK(sf != NULL, "pcm16: libsndfile writes the reference");
    if (sf) {
        sf_command(sf, SFC_SET_CLIPPING, NULL, SF_TRUE);
        sf_writef_float(sf, x, N);
        sf_close(sf);
    }
    info = (SF_INFO){ 0 };
    sf = sf_open(path, SFM_READ, &info);
    CHECK(sf && sf_read_short(sf, theirs, N) == N, "pcm16: the reference reads back");
    if (sf)
        sf_close(sf);
    /* Odd offsets and lengths: the vector loop and its scalar tail. */
    mq_float_to_pcm16(x, mine, 5);
    mq_float_to_pcm16(x + 5, mine + 5, N - 5 - 3);
    mq_float_to_pcm16(x + N - 3, mine + N - 3, 3);
    size_t differ = 0, first = 0;
    for (size_t i = 0; i < N; i++)
        if (mine[i] != theirs[i] && differ++ == 0)
            first = i;
    MQ_CHECK_(differ == 0, "pcm16: the same samples as libsndfile's conversion",
              "%zu differ; first at %zu: %.9g -> %d, libsndfile %d", differ, first,
              (double)x[first], mine[first], theirs[first]);
    /* With a gain: the conversion of the float products, stored first. */
    static const float gains[] = { 1.0f, 0.5f, 1.2589254f, 3.1622777f, 0.0031622776f, 0.0f };
    float *y = malloc(N * sizeof *y);
    for (size_t gi = 0; y && gi < sizeof gains / sizeof gains[0]; gi++) {
        volatile float g = gains[gi];  /* no folding of the two products into one */
        for (size_t i = 0; i < N; i++)
            y[i] = x[i] * g;
        mq_float_to_pcm16(y, theirs, N);
        mq_float_to_pcm16_gain(x, g, mine, 7);
        mq_float_to_pcm16_gain(x + 7, g, mine + 7, N - 7);
        differ = 0;
        for (size_t i = 0; i < N; i++)
            if (mine[i] != theirs[i] && differ++ == 0)
                first = i;
        MQ_CHECK_(differ == 0, "pcm16 with a gain: the products' samples",
                  "gain %g: %zu differ; first at %zu: %.9g -> %d, want %d", (double)g, differ,
                  first, (double)x[first], mine[first], theirs[first]);
    }
    free(y);
    unlink(path);
    free(x);
    free(mine);
    free(theirs);
}

int main(void)
{
    char dir[] = "/tmp/mq_test_outfile_XXXXXX";
    CHECK(mkdtemp(dir) != NULL, "temp dir");
    char path[256];
    snprintf(path, sizeof path, "%s/a.wav", dir);
    mq_error err = { 0 };
    mq_outfile *f;
    CHECK_INT(mq_outfile_open(path, 48000, 2, MQ_PCM_16, &f, &err), MQ_OK, "open");
    CHECK(access(path, F_OK) != 0, "nothing at the destination while writing");
    float data[2 * 480];
    for (int i = 0; i < 960; i++)
        data[i] = (i % 2) ? -0.25f : 0.25f;
    CHECK_INT(mq_outfile_write(f, data, 480, &err), MQ_OK, "write");
    CHECK_INT(mq_outfile_frames(f), 480, "frames counted");
    CHECK_INT(mq_outfile_commit(f, &err), MQ_OK, "commit");
    SF_INFO info = { 0 };
    SNDFILE *sf = sf_open(path, SFM_READ, &info);
    CHECK(sf != NULL, "the file reads back");
    CHECK_INT(info.samplerate, 48000, "rate");
    CHECK_INT(info.channels, 2, "channels");
    CHECK_INT(info.frames, 480, "frames");
    float back[4];
    sf_readf_float(sf, back, 2);
    CHECK_NEAR(back[0], 0.25, 1.0 / 32768, "left value");
    CHECK_NEAR(back[1], -0.25, 1.0 / 32768, "right value");
    sf_close(sf);
    CHECK_INT(count_files(dir), 1, "only the finished file is in the folder");

    /* An abandoned export leaves the earlier file as it was. */
    CHECK_INT(mq_outfile_open(path, 48000, 1, MQ_PCM_24, &f, &err), MQ_OK, "reopen");
    mq_outfile_write(f, data, 100, &err);
    mq_outfile_abort(f);
    info = (SF_INFO){ 0 };
    sf = sf_open(path, SFM_READ, &info);
    CHECK_INT(info.channels, 2, "abort kept the earlier file");
    CHECK_INT(info.frames, 480, "abort kept the earlier file's length");
    sf_close(sf);
    CHECK_INT(count_files(dir), 1, "abort removed its temporary file");

    CHECK_INT(mq_outfile_open("/nonexistent-dir/x.wav", 48000, 2, MQ_PCM_16, &f, &err), MQ_EIO,
              "a missing folder is an I/O error");
    CHECK_HAS(err.msg, "/nonexistent-dir/x.wav", "naming the path");
    CHECK_INT(mq_outfile_open("x.xyz", 48000, 2, MQ_PCM_16, &f, &err), MQ_EUNSUPPORTED,
              "an unknown extension is refused");
    CHECK_INT(mq_outfile_open("x.wav", 100, 2, MQ_PCM_16, &f, &err), MQ_EINVAL,
              "an absurd rate is refused");

    unlink(path);
    rmdir(dir);

    make_tone();
    char sub[300];
    snprintf(sub, sizeof sub, "%s", "/tmp/mq_test_outfile_fmt_XXXXXX");
    CHECK(mkdtemp(sub) != NULL, "temp dir for formats");
    test_formats(sub);
    snprintf(cmd_rm, sizeof cmd_rm, "rm -rf '%s'", sub);
    system(cmd_rm);
    snprintf(sub, sizeof sub, "%s", "/tmp/mq_test_outfile_bext_XXXXXX");
    CHECK(mkdtemp(sub) != NULL, "temp dir for bext");
    test_bext(sub);
    test_pcm16(sub);
    snprintf(cmd_rm, sizeof cmd_rm, "rm -rf '%s'", sub);
    system(cmd_rm);
    snprintf(sub, sizeof sub, "%s", "/tmp/mq_test_outfile_lim_XXXXXX");
    CHECK(mkdtemp(sub) != NULL, "temp dir for limits");
    test_limits(sub);
    snprintf(cmd_rm, sizeof cmd_rm, "rm -rf '%s'", sub);
    system(cmd_rm);
    MQ_TEST_END();
}
