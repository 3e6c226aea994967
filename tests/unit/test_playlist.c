/* test_playlist.c — files played one after another: the output is each
 * file's samples in turn, exactly; a file at another rate and channel count
 * is converted to the first one's; a missing and a damaged file are skipped,
 * each error kept once with its file's name; where each item started, which
 * item sounds at a frame, and going back to an item after the end. */
#include "mq_test.h"
#include "live/mq_playlist.h"

#include <sndfile.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char root[64];

static const char *at(const char *name)
{
    static char p[8][256];
    static int k;
    k = (k + 1) % 8;
    snprintf(p[k], sizeof p[k], "%s/%s", root, name);
    return p[k];
}

/* A 16-bit WAV of FRAMES frames: channel 0 carries (BASE + k) % 20000, the
 * other channels BASE, all / 32768 (exact in 16 bits). */
static void wav(const char *name, int rate, int channels, int frames, int base)
{
    SF_INFO info = { .samplerate = rate, .channels = channels,
                     .format = SF_FORMAT_WAV | SF_FORMAT_PCM_16 };
    SNDFILE *f = sf_open(at(name), SFM_WRITE, &info);
    float *v = malloc((size_t)frames * (size_t)channels * sizeof *v);
    for (int k = 0; k < frames; k++)
        for (int c = 0; c < channels; c++)
            v[k * channels + c] = (float)(c ? base : (base + k) % 20000) / 32768.0f;
    sf_writef_float(f, v, frames);
    sf_close(f);
    free(v);
}

/* Reads the whole playlist in blocks of 256 frames, numbering output frames
 * from FRAME; returns the frames read into BUF (room for MAX). */
static size_t drain(mq_playlist *pl, float *buf, size_t max, uint64_t frame)
{
    size_t total = 0;
    for (;;) {
        size_t want = max - total < 256 ? max - total : 256;
        long got = mq_playlist_read(pl, buf + total * 2, want, frame + total, NULL);
        if (got <= 0)
            break;
        total += (size_t)got;
    }
    return total;
}

int main(void)
{
    snprintf(root, sizeof root, "/tmp/mq_test_playlist_XXXXXX");
    if (!mkdtemp(root))
        return 1;
    wav("a.wav", 48000, 2, 1000, 100);
    wav("d.wav", 24000, 1, 500, 3000);
    wav("e.wav", 48000, 2, 300, 7000);
    FILE *f = fopen(at("c.wav"), "wb");
    fputs("this is not a WAV file at all, just text with a .wav name", f);
    fclose(f);
    const char *paths[] = { at("a.wav"), at("b.wav"), at("c.wav"), at("d.wav"), at("e.wav") };

    mq_playlist *pl = NULL;
    mq_error err = { 0 };
    const char *none[] = { NULL };
    CHECK_INT(mq_playlist_create(none, 1, 0, 0, &pl, &err), MQ_EINVAL, "a NULL path is refused");
    CHECK_INT(mq_playlist_create(paths, 0, 0, 0, &pl, &err), MQ_EINVAL, "no files is refused");
    CHECK_INT(mq_playlist_create(paths + 1, 4, 0, 0, &pl, &err), MQ_OK,
              "a playlist whose first file is missing");
    CHECK_INT(mq_playlist_rate(pl), 24000, "its rate is the first readable file's");
    CHECK_INT(mq_playlist_channels(pl), 1, "and so are its channels");
    mq_playlist_free(pl);

    CHECK_INT(mq_playlist_create(paths, 5, 0, 0, &pl, &err), MQ_OK, "a playlist of five files");
    CHECK_INT(mq_playlist_rate(pl), 48000, "at the first file's rate");
    CHECK_INT(mq_playlist_channels(pl), 2, "and channels");
    static float buf[2 * 10000];
    size_t n = drain(pl, buf, 10000, 0);
    CHECK_INT(n, 1000 + 1000 + 300, "the readable files, the 24 kHz one resampled to 48 kHz");
    size_t bad = 0;
    for (size_t k = 0; k < 1000; k++)
        if ((buf[2 * k] != (float)(100 + k) / 32768.0f || buf[2 * k + 1] != 100 / 32768.0f) &&
            bad++ < 3)
            printf("frame %zu: %g %g\n", k, buf[2 * k] * 32768, buf[2 * k + 1] * 32768);
    CHECK_INT(bad, 0, "the first file's samples, exactly");
    CHECK_NEAR(buf[2 * 1500] * 32768, buf[2 * 1500 + 1] * 32768, 1e-3,
               "a mono file is on both channels");
    CHECK_NEAR(buf[2 * 1500] * 32768, 3000 + 250, 2, "at its level, at the right time");
    for (size_t k = 0; k < 300; k++)
        if (buf[2 * (2000 + k)] != (float)(7000 + k) / 32768.0f && bad++ < 3)
            printf("frame %zu: %g\n", 2000 + k, buf[2 * (2000 + k)] * 32768);
    CHECK_INT(bad, 0, "the last file follows the resampled one, exactly");

    CHECK_INT(mq_playlist_errors(pl), 2, "two files failed");
    CHECK_INT(mq_playlist_error(pl, 1, &err), MQ_EIO, "a missing file cannot be read");
    CHECK_HAS(err.msg, "b.wav: cannot open", "the message names it");
    CHECK_INT(mq_playlist_error(pl, 2, &err), MQ_EINPUT, "a text file is not audio");
    CHECK_HAS(err.msg, "c.wav: not a valid WAV file", "the message names it");
    CHECK_INT(mq_playlist_error(pl, 0, &err), MQ_OK, "a good file has no error");
    CHECK_INT(mq_playlist_started(pl, 0), 0, "the first item started at frame 0");
    CHECK(mq_playlist_started(pl, 1) == MQ_PLAYLIST_NEVER, "a missing file never started");
    CHECK_INT(mq_playlist_started(pl, 3), 1000, "the next good file started where the first ended");
    CHECK_INT(mq_playlist_started(pl, 4), 2000, "and the last after it");
    CHECK_INT(mq_playlist_at(pl, 0), 0, "frame 0 is the first item");
    CHECK_INT(mq_playlist_at(pl, 999), 0, "frame 999 too");
    CHECK_INT(mq_playlist_at(pl, 1000), 3, "frame 1000 is the fourth (two were skipped)");
    CHECK_INT(mq_playlist_at(pl, 99999), 4, "long after: the last");
    CHECK_INT(mq_playlist_read(pl, buf, 256, n, NULL), 0, "the end stays the end");

    /* Back to the first item after the end (the player's "previous"). */
    mq_playlist_goto(pl, 0, 5000);
    float one[2 * 256];
    CHECK_INT(mq_playlist_read(pl, one, 256, 5000, NULL), 256, "going back plays again");
    CHECK(one[0] == 100 / 32768.0f, "from the item's beginning");
    CHECK_INT(mq_playlist_started(pl, 0), 5000, "its start is the new one");
    CHECK_INT(mq_playlist_at(pl, 5000), 0, "so it is the item sounding from there");
    CHECK_INT(mq_playlist_at(pl, 4999), 4, "and the last one before");
    /* Skipping to an item whose file is bad goes on to the next good one. */
    mq_playlist_goto(pl, 1, 6000);
    CHECK_INT(mq_playlist_read(pl, one, 256, 6000, NULL), 256, "skipping onto a bad file");
    CHECK_NEAR(one[2 * 200 + 1] * 32768, 3100, 2, "plays the next good one (the mono ramp, 100 frames in)");
    CHECK_INT(mq_playlist_at(pl, 6000), 3, "which is the item sounding");
    CHECK_INT(mq_playlist_errors(pl), 2, "a file that fails again is not counted again");
    /* Two starts at the same frame (the first's frames dropped unplayed): the later wins. */
    mq_playlist_goto(pl, 4, 7000);
    mq_playlist_read(pl, one, 10, 7000, NULL);
    mq_playlist_goto(pl, 0, 7000);
    mq_playlist_read(pl, one, 10, 7000, NULL);
    CHECK_INT(mq_playlist_at(pl, 7005), 0, "of two starts at one frame, the later one sounds");
    /* Item 4 starts at 9000 (queued, say, while the device is at 8900); then
     * a goto to the end cuts at 9500: item 4 is what sounds until the cut,
     * nothing after it. */
    mq_playlist_goto(pl, 4, 9000);
    mq_playlist_read(pl, one, 10, 9000, NULL);
    mq_playlist_goto(pl, 99, 9500);
    CHECK_INT(mq_playlist_read(pl, one, 10, 9500, NULL), 0, "going past the last item ends");
    CHECK_INT(mq_playlist_at(pl, 9400), 4, "before the cut, the item that started sounds");
    CHECK_INT(mq_playlist_at(pl, 9500), -1, "from the cut on, nothing: what started before it was dropped");
    /* A cut to an item: from the cut on only it sounds, not one dropped unheard. */
    mq_playlist_goto(pl, 3, 10000);
    mq_playlist_read(pl, one, 10, 10000, NULL);
    mq_playlist_goto(pl, 0, 10100);
    mq_playlist_read(pl, one, 10, 10100, NULL);
    CHECK_INT(mq_playlist_at(pl, 10100), 0, "after a cut, the item it went to");
    CHECK_INT(mq_playlist_at(pl, 10050), 3, "and before it, the one sounding then");
    mq_playlist_free(pl);

    /* A fixed output format: stereo files made mono. */
    CHECK_INT(mq_playlist_create(paths, 1, 48000, 1, &pl, &err), MQ_OK, "a mono playlist");
    CHECK_INT(mq_playlist_read(pl, one, 10, 0, NULL), 10, "reads");
    CHECK_NEAR(one[1] * 32768, (101 + 100) / 2.0, 1e-3, "stereo averaged to mono");
    mq_playlist_free(pl);

    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    if (system(cmd))
        printf("(could not remove %s)\n", root);
    MQ_TEST_END();
}
