/* mq_audio.c — buffers and resampling; see mq_audio.h. */
#include "mq_audio.h"
#include "../util/mq_clones.h"

#include <errno.h>
#include <math.h>
#include <soxr.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

int mq_buf_map(mq_buf *b, int fd, size_t offset, size_t frames, mq_error *err)
{
    if (b->data || b->map || offset % sizeof(float))
        return mq_error_set(err, MQ_EINVAL, "mq_buf_map: buffer in use or offset unaligned");
    if (b->channels < 1)
        b->channels = 1;
    size_t bytes = frames * (size_t)b->channels * sizeof(float);
    long page = sysconf(_SC_PAGESIZE);
    size_t start = offset - offset % (size_t)(page > 0 ? page : 4096);
    struct stat st;
    if (fstat(fd, &st) || (uint64_t)st.st_size < (uint64_t)offset + bytes)
        return mq_error_set(err, MQ_EIO, "the file is shorter than its %zu frames", frames);
    size_t len = offset - start + bytes;
    if (!len)
        return MQ_OK;
    /* MAP_POPULATE: every page at once, not a fault per 16 of them. Read
     * only: populating a writable private mapping copies every page (a
     * copy-on-write done in advance), which is what mapping avoids. */
    void *m = mmap(NULL, len, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, (off_t)start);
    if (m == MAP_FAILED)
        return mq_error_set(err, MQ_EIO, "cannot map the file: %s", strerror(errno));
    b->map = m;
    b->map_len = len;
    b->data = (float *)(void *)((char *)m + (offset - start));
    b->frames = b->cap = frames;
    return MQ_OK;
}

/* Moves a mapped buffer's frames to the heap with room for CAP frames. */
static int unmap(mq_buf *b, size_t cap)
{
    float *d = malloc(cap * (size_t)b->channels * sizeof *d);
    if (!d)
        return MQ_ENOMEM;
    memcpy(d, b->data, b->frames * (size_t)b->channels * sizeof *d);
    munmap(b->map, b->map_len);
    b->map = NULL;
    b->map_len = 0;
    b->data = d;
    b->cap = cap;
    return MQ_OK;
}

int mq_buf_reserve(mq_buf *b, size_t frames)
{
    if (b->channels < 1)
        b->channels = 1;
    /* A mapped buffer is read-only: whatever follows writes, so it moves to
     * the heap first, even when its FRAMES were reset below its size (a
     * synthesis process reusing a buffer a cache hit had mapped wrote into
     * the mapping and died: the benchmark's one-hour program). */
    if (b->map) {
        size_t cap = b->frames + frames > 4096 ? b->frames + frames : 4096;
        return unmap(b, cap);
    }
    if (b->frames + frames <= b->cap)
        return MQ_OK;
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < b->frames + frames)
        cap *= 2;
    float *d = realloc(b->data, cap * (size_t)b->channels * sizeof *d);
    if (!d)
        return MQ_ENOMEM;
    b->data = d;
    b->cap = cap;
    return MQ_OK;
}

int mq_buf_silence(mq_buf *b, size_t frames)
{
    if (mq_buf_reserve(b, frames) != MQ_OK)
        return MQ_ENOMEM;
    memset(b->data + b->frames * (size_t)b->channels, 0,
           frames * (size_t)b->channels * sizeof *b->data);
    b->frames += frames;
    return MQ_OK;
}

int mq_buf_append(mq_buf *b, const float *src, size_t frames)
{
    if (mq_buf_reserve(b, frames) != MQ_OK)
        return MQ_ENOMEM;
    memcpy(b->data + b->frames * (size_t)b->channels, src,
           frames * (size_t)b->channels * sizeof *b->data);
    b->frames += frames;
    return MQ_OK;
}

void mq_buf_free(mq_buf *b)
{
    if (b->map)
        munmap(b->map, b->map_len);
    else
        free(b->data);
    b->data = NULL;
    b->map = NULL;
    b->map_len = 0;
    b->frames = b->cap = 0;
}

size_t mq_resampled_frames(size_t n, int in_rate, int out_rate)
{
    return (size_t)(((unsigned long long)n * (unsigned)out_rate + (unsigned)in_rate / 2) /
                    (unsigned)in_rate);
}

/* soxr_clear makes a resampler new again: the same output, bit for bit, as
 * a fresh one (a 400-phrase loop compared every sample), without designing
 * its filter again (0.14 ms each time, 8 % of the resampling). */
struct mq_resampler {
    soxr_t r;
    int in_rate, out_rate;
};

static int rates_ok(int in_rate, int out_rate, mq_error *err)
{
    if (in_rate < 1000 || in_rate > 384000 || out_rate < 1000 || out_rate > 384000)
        return mq_error_set(err, MQ_EINVAL, "sample rate out of range (%d -> %d Hz)",
                            in_rate, out_rate);
    return MQ_OK;
}

int mq_resampler_create(int in_rate, int out_rate, mq_resampler **out, mq_error *err)
{
    *out = NULL;
    int rc = rates_ok(in_rate, out_rate, err);
    if (rc != MQ_OK)
        return rc;
    mq_resampler *rs = calloc(1, sizeof *rs);
    if (!rs)
        return mq_error_set(err, MQ_ENOMEM, "out of memory");
    rs->in_rate = in_rate;
    rs->out_rate = out_rate;
    if (in_rate != out_rate) {
        soxr_io_spec_t io = soxr_io_spec(SOXR_FLOAT32_I, SOXR_FLOAT32_I);
        /* High quality (20 bits, passband to 91 % of Nyquist): the input is
         * eSpeak NG's 16-bit voice, so very high quality (28 bits) bought
         * nothing audible and took twice as long (0.85 ms a second of speech
         * against 0.42 here; half a second of a 17-minute bulletin). */
        soxr_quality_spec_t q = soxr_quality_spec(SOXR_HQ, 0);
        /* Single-threaded: soxr's OpenMP path would make output timing-dependent. */
        soxr_runtime_spec_t rt = soxr_runtime_spec(1);
        soxr_error_t e = NULL;
        rs->r = soxr_create(in_rate, out_rate, 1, &e, &io, &q, &rt);
        if (e) {
            soxr_delete(rs->r);
            free(rs);
            return mq_error_set(err, MQ_EINTERNAL, "resampling %d -> %d Hz: %s", in_rate,
                                out_rate, e);
        }
    }
    *out = rs;
    return MQ_OK;
}

void mq_resampler_free(mq_resampler *rs)
{
    if (!rs)
        return;
    soxr_delete(rs->r);
    free(rs);
}

int mq_resampler_mono(mq_resampler *rs, const float *in, size_t n, mq_buf *out, mq_error *err)
{
    size_t want = mq_resampled_frames(n, rs->in_rate, rs->out_rate);
    if (mq_buf_reserve(out, want) != MQ_OK)
        return mq_error_set(err, MQ_ENOMEM, "out of memory resampling %zu samples", n);
    int ch = out->channels;
    float *dst = out->data + out->frames * (size_t)ch;
    const float *mono = in;
    float *tmp = NULL;
    size_t done = n < want ? n : want;
    if (rs->r) {
        /* A mono buffer takes soxr's output in place: a temporary buffer
         * for every phrase, then a copy out of it, were a tenth of a
         * synthesis process's time (its pages faulted in and zeroed). */
        float *o = dst;
        if (ch != 1 && !(o = tmp = malloc((want ? want : 1) * sizeof *tmp)))
            return mq_error_set(err, MQ_ENOMEM, "out of memory resampling %zu samples", n);
        /* ~N: all the input, and the end of it (what soxr_oneshot passes). */
        done = 0;
        soxr_error_t e = soxr_clear(rs->r);
        if (!e)
            e = soxr_process(rs->r, in, ~n, NULL, o, want, &done);
        if (e) {
            free(tmp);
            return mq_error_set(err, MQ_EINTERNAL, "resampling %d -> %d Hz failed: %s",
                                rs->in_rate, rs->out_rate, e);
        }
        mono = o;
    }
    if (ch == 1) {
        if (mono != dst)
            memcpy(dst, mono, done * sizeof *dst);
        memset(dst + done, 0, (want - done) * sizeof *dst);
    } else {
        for (size_t i = 0; i < want; i++)
            for (int c = 0; c < ch; c++)
                dst[i * (size_t)ch + (size_t)c] = i < done ? mono[i] : 0.0f;
    }
    out->frames += want;
    free(tmp);
    return MQ_OK;
}

int mq_resample_mono(const float *in, size_t n, int in_rate, int out_rate, mq_buf *out,
                     mq_error *err)
{
    mq_resampler *rs;
    int rc = mq_resampler_create(in_rate, out_rate, &rs, err);
    if (rc == MQ_OK)
        rc = mq_resampler_mono(rs, in, n, out, err);
    mq_resampler_free(rs);
    return rc;
}

MQ_VECTOR_CLONES
float mq_abs_max(const float *x, size_t n)
{
    /* A finite float's magnitude orders like its bits without the sign (as
     * a non-negative int32); infinity and NaN have every exponent bit set,
     * above any finite one. Four running maxima of eight int32 lanes, in the
     * compiler's vector type (compare and select: AVX2, or twice SSE2),
     * kept in registers: a single running maximum did not vectorize (1.4 ns
     * a sample), and eight scalar lanes were kept on the stack, stored and
     * reloaded every eight samples (0.33 ns; 0.16 with SSE2 alone). */
    typedef int32_t v8i __attribute__((vector_size(8 * sizeof(int32_t))));
    const v8i sign_off = { 0x7fffffff, 0x7fffffff, 0x7fffffff, 0x7fffffff,
                           0x7fffffff, 0x7fffffff, 0x7fffffff, 0x7fffffff };
#define MQ_MAX8(acc, v) do { const v8i up_ = (v) > (acc); acc = ((v) & up_) | ((acc) & ~up_); } while (0)
    v8i m0 = { 0 }, m1 = { 0 }, m2 = { 0 }, m3 = { 0 };
    size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        v8i a, b, c, d;
        memcpy(&a, x + i, sizeof a);
        memcpy(&b, x + i + 8, sizeof b);
        memcpy(&c, x + i + 16, sizeof c);
        memcpy(&d, x + i + 24, sizeof d);
        a &= sign_off, b &= sign_off, c &= sign_off, d &= sign_off;
        MQ_MAX8(m0, a);
        MQ_MAX8(m1, b);
        MQ_MAX8(m2, c);
        MQ_MAX8(m3, d);
    }
    MQ_MAX8(m0, m1);
    MQ_MAX8(m2, m3);
    MQ_MAX8(m0, m2);
#undef MQ_MAX8
    int32_t m = 0;
    for (int k = 0; k < 8; k++)
        m = m0[k] > m ? m0[k] : m;
    for (; i < n; i++) {
        uint32_t u;
        memcpy(&u, &x[i], sizeof u);
        int32_t a = (int32_t)(u & 0x7fffffffu);
        m = a > m ? a : m;
    }
    if (m >= 0x7f800000)
        return NAN;
    float f;
    memcpy(&f, &m, sizeof f);
    return f;
}
