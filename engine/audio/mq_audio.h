/*
 * mq_audio.h — audio buffers and sample-rate conversion (libsoxr).
 *
 * Samples are 32-bit float, interleaved, nominally -1..1. Rates are in Hz.
 */
#ifndef MQ_AUDIO_H
#define MQ_AUDIO_H

#include <stddef.h>
#include "../util/mq_error.h"

/* A growable interleaved buffer. Zero-initialize it ({0}) before first use. */
typedef struct mq_buf {
    float *data;
    size_t frames;     /* frames in use */
    size_t cap;        /* frames allocated */
    int channels;      /* 1..8 */
    /* When not NULL, DATA lies in this read-only file mapping (mq_buf_map):
     * mq_buf_free unmaps it; mq_buf_reserve, mq_buf_silence and
     * mq_buf_append copy it to the heap first. Nothing else may write it. */
    void *map;
    size_t map_len;
} mq_buf;

/*
 * Makes B (empty) hold the FRAMES mono or interleaved frames found at byte
 * OFFSET (a multiple of 4) of the file FD, mapped read-only and read in at
 * once: no copy into the heap, and the pages are the page cache's own. The
 * file may be closed afterwards. MQ_OK, MQ_EINVAL (B not empty, OFFSET not
 * aligned), MQ_EIO (the file is shorter, or cannot be mapped).
 */
int mq_buf_map(mq_buf *b, int fd, size_t offset, size_t frames, mq_error *err);

/* Makes room for FRAMES more frames; MQ_OK or MQ_ENOMEM. */
int mq_buf_reserve(mq_buf *b, size_t frames);
/* Appends FRAMES frames of silence; MQ_OK or MQ_ENOMEM. */
int mq_buf_silence(mq_buf *b, size_t frames);
/* Appends FRAMES frames from SRC, which has the buffer's channel count. */
int mq_buf_append(mq_buf *b, const float *src, size_t frames);
void mq_buf_free(mq_buf *b);

/*
 * Converts N mono samples at IN_RATE to OUT_RATE with soxr's high quality
 * (HQ: 20-bit, passband to 91% of Nyquist) and appends them to OUT, copying
 * the mono signal to every channel of OUT (IN must not lie inside OUT: OUT
 * grows first). MQ_OK, MQ_EINVAL (rates outside 1000..384000 Hz), MQ_ENOMEM,
 * MQ_EINTERNAL when soxr fails.
 */
int mq_resample_mono(const float *in, size_t n, int in_rate, int out_rate, mq_buf *out,
                     mq_error *err);

/* A resampler kept for one signal after another at the same rates: the
 * phrases of a reading. mq_resample_mono designs soxr's filter for every
 * call; this designs it once and clears it between signals, with the same
 * output bit for bit. Create: MQ_OK, MQ_EINVAL (rates as above), MQ_ENOMEM,
 * MQ_EINTERNAL. */
typedef struct mq_resampler mq_resampler;
int mq_resampler_create(int in_rate, int out_rate, mq_resampler **out, mq_error *err);
/* mq_resample_mono of N samples at IN through RS, appended to OUT. */
int mq_resampler_mono(mq_resampler *rs, const float *in, size_t n, mq_buf *out, mq_error *err);
void mq_resampler_free(mq_resampler *rs);

/* The largest |sample| of the N samples at X (0 for none); NaN when any of
 * them is NaN or infinite, so that a test "peak below a bound" fails on them.
 * Vectorizes (it compares the samples' bits), unlike a loop over fabs(). */
float mq_abs_max(const float *x, size_t n);

/* Frames of OUT_RATE that mq_resample_mono produces for N input samples. */
size_t mq_resampled_frames(size_t n, int in_rate, int out_rate);

#endif
