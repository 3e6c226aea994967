/* test_audio.c — buffers and resampling: lengths, channel copies, and that a
 * tone keeps its frequency and level through soxr. */
#include "mq_test.h"
#include "audio/mq_audio.h"

#include <stdlib.h>
#include <fcntl.h>
#include <unistd.h>

/* Frequency of a sine estimated from its zero crossings. */
static double zero_cross_freq(const float *x, size_t n, int stride, int rate)
{
    size_t crossings = 0;
    for (size_t i = 1; i < n; i++)
        if ((x[(i - 1) * stride] < 0) != (x[i * stride] < 0))
            crossings++;
    return crossings / 2.0 * rate / n;
}

/* mq_buf_map: frames found in a file, read in place; growing copies them. */
static void test_map(void)
{
    char path[] = "/tmp/mq_test_map_XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0, "temporary file");
    if (fd < 0)
        return;
    unlink(path);
    float x[3000];
    for (int i = 0; i < 3000; i++)
        x[i] = (float)i / 3000.0f;
    /* 40 bytes of header, then 3000 mono frames. */
    char head[40] = "header";
    CHECK(write(fd, head, sizeof head) == (ssize_t)sizeof head &&
          write(fd, x, sizeof x) == (ssize_t)sizeof x, "file written");
    mq_buf b = { .channels = 1 };
    mq_error err = { 0 };
    CHECK_INT(mq_buf_map(&b, fd, sizeof head, 3000, &err), MQ_OK, "mapped");
    CHECK(b.map != NULL && b.frames == 3000 && b.data && !memcmp(b.data, x, sizeof x),
          "mapped frames read in place");
    CHECK_INT(mq_buf_map(&b, fd, sizeof head, 3000, &err), MQ_EINVAL, "a used buffer refused");
    CHECK_INT(mq_buf_silence(&b, 10), MQ_OK, "growing a mapped buffer");
    CHECK(b.map == NULL && b.frames == 3010 && !memcmp(b.data, x, sizeof x) &&
          b.data[3009] == 0.0f, "grown on the heap, frames kept");
    mq_buf_free(&b);
    mq_buf c = { .channels = 1 };
    CHECK_INT(mq_buf_map(&c, fd, sizeof head, 3001, &err), MQ_EIO, "a short file refused");
    CHECK_INT(mq_buf_map(&c, fd, 2, 10, &err), MQ_EINVAL, "an unaligned offset refused");
    CHECK(c.data == NULL && c.map == NULL, "nothing kept after a refusal");
    CHECK_INT(mq_buf_map(&c, fd, 40, 100, &err), MQ_OK, "mapped again");
    close(fd);
    CHECK(c.data[99] == x[99], "a mapping outlives its descriptor");
    mq_buf_free(&c);
    CHECK(c.data == NULL && c.map == NULL && c.frames == 0, "freed");
    /* A mapped buffer emptied for reuse (frames = 0, as a synthesis process
     * does after a cache hit) is still read-only: growing it within its old
     * size must move it too, or the writes that follow fault. */
    mq_buf d = { .channels = 1 };
    char p2[] = "/tmp/mq_test_map2_XXXXXX";
    int fd2 = mkstemp(p2);
    CHECK(fd2 >= 0 && write(fd2, x, sizeof x) == (ssize_t)sizeof x, "second file");
    unlink(p2);
    CHECK_INT(mq_buf_map(&d, fd2, 0, 3000, &err), MQ_OK, "mapped for reuse");
    close(fd2);
    d.frames = 0;
    CHECK_INT(mq_buf_silence(&d, 100), MQ_OK, "grown within its old size");
    CHECK(d.map == NULL && d.frames == 100 && d.data[99] == 0.0f, "moved to the heap, written");
    mq_buf_free(&d);
}

/* mq_resampler: phrase after phrase through one resampler, the same samples
 * as a fresh mq_resample_mono for each. */
static void test_resampler(void)
{
    mq_resampler *rs = NULL;
    mq_error err = { 0 };
    CHECK_INT(mq_resampler_create(22050, 48000, &rs, &err), MQ_OK, "resampler made");
    mq_buf a = { .channels = 1 }, b = { .channels = 1 };
    int same = rs != NULL;
    for (int k = 0; k < 5 && same; k++) {
        size_t n = 1000 + 3777 * (size_t)k;
        float *x = malloc(n * sizeof *x);
        for (size_t i = 0; i < n; i++)
            x[i] = 0.5f * sinf((float)i * (0.01f + 0.02f * (float)k));
        same = mq_resampler_mono(rs, x, n, &a, &err) == MQ_OK &&
               mq_resample_mono(x, n, 22050, 48000, &b, &err) == MQ_OK &&
               a.frames == b.frames && !memcmp(a.data, b.data, a.frames * sizeof *a.data);
        free(x);
    }
    CHECK(same, "five phrases through one resampler: the same bits as one-shot resampling");
    mq_resampler_free(rs);
    mq_buf_free(&a);
    mq_buf_free(&b);
    CHECK_INT(mq_resampler_create(22050, 10, &rs, &err), MQ_EINVAL, "a rate out of range");
    CHECK(rs == NULL, "nothing made for it");
}

int main(void)
{
    test_map();
    test_resampler();
    mq_buf b = { .channels = 2 };
    CHECK_INT(mq_buf_silence(&b, 1000), MQ_OK, "silence appended");
    CHECK_INT(b.frames, 1000, "1000 frames");
    float fr[4] = { 0.5f, -0.5f, 0.25f, -0.25f };
    CHECK_INT(mq_buf_append(&b, fr, 2), MQ_OK, "frames appended");
    CHECK_NEAR(b.data[2000], 0.5, 0, "left sample in place");
    CHECK_NEAR(b.data[2003], -0.25, 0, "right sample in place");
    mq_buf_free(&b);

    /* mq_abs_max: every length (the vector body and its tail), sign, NaN. */
    float v[37];
    int ok = 1;
    for (size_t len = 0; len <= 37; len++) {
        for (size_t i = 0; i < len; i++)
            v[i] = (float)((i * 7) % 11) / 16.0f - 0.3f;
        float want = 0;
        for (size_t i = 0; i < len; i++)
            want = fabsf(v[i]) > want ? fabsf(v[i]) : want;
        ok &= mq_abs_max(v, len) == want;
    }
    CHECK(ok, "mq_abs_max: the largest magnitude, at every length 0..37");
    /* The largest at every place of 70 (two turns of the 32-wide body, then
     * the tail), each lane of the vectors in turn. */
    float w[70];
    ok = 1;
    for (size_t at = 0; at < 70; at++) {
        for (size_t i = 0; i < 70; i++)
            w[i] = (float)((i * 5) % 13) / 32.0f * (i % 2 ? -1.0f : 1.0f);
        w[at] = at % 2 ? -0.75f : 0.75f;
        ok &= mq_abs_max(w, 70) == 0.75f;
    }
    CHECK(ok, "mq_abs_max: the largest found wherever it lies");
    v[3] = -0.9f;
    CHECK_NEAR(mq_abs_max(v, 37), 0.9, 1e-7, "a negative sample counts by its magnitude");
    v[36] = NAN;
    CHECK(isnan(mq_abs_max(v, 37)), "a NaN in the tail gives NaN");
    v[36] = 0;
    v[5] = -INFINITY;
    CHECK(isnan(mq_abs_max(v, 37)), "an infinity in the body gives NaN");

    /* One second of 1 kHz at 22050 Hz (eSpeak NG's rate) to 48 kHz stereo. */
    size_t n = 22050;
    float *sine = malloc(n * sizeof *sine);
    for (size_t i = 0; i < n; i++)
        sine[i] = (float)(0.5 * sin(2 * M_PI * 1000.0 * i / 22050.0));
    mq_buf out = { .channels = 2 };
    mq_error err = { 0 };
    CHECK_INT(mq_resample_mono(sine, n, 22050, 48000, &out, &err), MQ_OK, "resampled");
    CHECK_INT(out.frames, 48000, "22050 samples at 22.05 kHz make 48000 frames at 48 kHz");
    CHECK_INT(mq_resampled_frames(n, 22050, 48000), 48000, "predicted length matches");
    CHECK_NEAR(zero_cross_freq(out.data + 2 * 4800, 38400, 2, 48000), 1000.0, 2.0,
               "the tone stays at 1 kHz");
    double peak = 0;
    for (size_t i = 4800; i < 43200; i++)
        peak = fmax(peak, fabs(out.data[2 * i]));
    CHECK_NEAR(peak, 0.5, 0.01, "the tone keeps its level");
    int same = 1;
    for (size_t i = 0; i < out.frames; i++)
        same &= out.data[2 * i] == out.data[2 * i + 1];
    CHECK(same, "mono is copied to both channels");
    CHECK_INT(mq_resample_mono(sine, n, 10, 48000, &out, &err), MQ_EINVAL,
              "an absurd rate is refused");
    CHECK_HAS(err.msg, "out of range", "with a message");
    mq_buf_free(&out);
    free(sine);
    MQ_TEST_END();
}
