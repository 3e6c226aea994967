/*
 * bench_dsp_impl.c — one side of tools/bench-dsp: drives the limiter and the
 * meter over a buffer and times their hot calls. Compiled twice: against the
 * engine being built (names cur_*), and against the sources of a baseline
 * commit with their public names prefixed old_ (names old_*).
 */
#include "audio/mq_loudness.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CAT2(a, b) a##b
#define CAT(a, b) CAT2(a, b)
#define NAME(x) CAT(BENCH_SIDE, x)

static double now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

/* One call of the function measured, on N frames at IN (and OUT). */
typedef void step_fn(void *obj, const float *in, float *out, size_t n);

static void limit_step(void *l, const float *in, float *out, size_t n)
{
    mq_limiter_process(l, in, out, n, NULL);
}

static void meter_step(void *m, const float *in, float *out, size_t n)
{
    (void)out;
    mq_meter_add(m, in, n, NULL);
}

/* Feeds N frames of CH channels to STEP in calls of BLOCK frames, or of the
 * sizes SIZES gives in turn when not NULL (a cycle ended by 0); returns the
 * nanoseconds spent in STEP. As in an export (mq_export.c), each call's
 * input was just written (it is copied into a buffer first, untimed), and
 * its output goes to a buffer used again and again (copied out, untimed). */
static double feed(step_fn *step, void *obj, const float *in, float *out, size_t n, int ch,
                   size_t block, const size_t *sizes)
{
    size_t most = block;
    for (size_t k = 0; sizes && sizes[k]; k++)
        most = sizes[k] > most ? sizes[k] : most;
    const size_t c = (size_t)ch;
    float *bi = malloc(most * c * sizeof *bi), *bo = malloc(most * c * sizeof *bo);
    double ns = 0;
    for (size_t a = 0, k = 0; a < n;) {
        size_t len = sizes ? sizes[k] : block;
        if (sizes && !sizes[++k])
            k = 0;
        if (len > n - a)
            len = n - a;
        memcpy(bi, in + a * c, len * c * sizeof *bi);
        double t0 = now_ns();
        step(obj, bi, bo, len);
        ns += now_ns() - t0;
        if (out)
            memcpy(out + a * c, bo, len * c * sizeof *bo);
        a += len;
    }
    free(bi), free(bo);
    return ns;
}

/* Limits N frames of IN in calls of BLOCK frames (or SIZES, as feed) into
 * OUT (n + latency frames: the flush too). Returns the nanoseconds spent in
 * mq_limiter_process. */
double NAME(limit)(const float *in, float *out, size_t n, int rate, int ch, size_t block,
                   const size_t *sizes)
{
    mq_limiter *l = NULL;
    if (mq_limiter_create(rate, ch, -1.0, &l, NULL) != MQ_OK)
        abort();
    double ns = feed(limit_step, l, in, out, n, ch, block, sizes);
    size_t nout;
    mq_limiter_flush(l, out + n * (size_t)ch, &nout);
    mq_limiter_free(l);
    return ns;
}

/* Limits with a snapshot saved after CUT frames, garbage processed, the
 * snapshot loaded and the rest processed: the output must not change. */
void NAME(limit_snapshot)(const float *in, float *out, size_t n, int rate, int ch, size_t cut)
{
    mq_limiter *l = NULL;
    if (mq_limiter_create(rate, ch, -1.0, &l, NULL) != MQ_OK)
        abort();
    mq_limiter_process(l, in, out, cut, NULL);
    unsigned char *snap = malloc(mq_limiter_state_size(l));
    float *junk = malloc(4096 * (size_t)ch * sizeof *junk);
    for (size_t i = 0; i < 4096 * (size_t)ch; i++)
        junk[i] = (float)((i * 7919 % 1000) / 250.0 - 2.0);
    mq_limiter_save(l, snap);
    mq_limiter_process(l, junk, junk, 4096, NULL);
    mq_limiter_load(l, snap);
    mq_limiter_process(l, in + cut * (size_t)ch, out + cut * (size_t)ch, n - cut, NULL);
    size_t nout;
    mq_limiter_flush(l, out + n * (size_t)ch, &nout);
    mq_limiter_free(l);
    free(snap);
    free(junk);
}

/* Limits N frames of IN in calls of BLOCK frames and saves the limiter's
 * state after each call into STATES (room for n / block + 1 snapshots of
 * SIZE bytes, SIZE the state size, which it returns). */
size_t NAME(limit_states)(const float *in, size_t n, int rate, int ch, size_t block,
                          unsigned char *states, size_t size)
{
    mq_limiter *l = NULL;
    if (mq_limiter_create(rate, ch, -1.0, &l, NULL) != MQ_OK)
        abort();
    const size_t got = mq_limiter_state_size(l);
    float *out = malloc(block * (size_t)ch * sizeof *out);
    for (size_t a = 0, k = 0; a < n && got == size; a += block, k++) {
        const size_t len = n - a < block ? n - a : block;
        mq_limiter_process(l, in + a * (size_t)ch, out, len, NULL);
        mq_limiter_save(l, states + k * size);
    }
    free(out);
    mq_limiter_free(l);
    return got;
}

/* Meters N frames in calls of BLOCK frames (SIZES as for limit); RES gets
 * integrated, true peak, range, momentary, short-term, max momentary, max
 * short-term. Returns the nanoseconds spent in mq_meter_add. */
double NAME(meter)(const float *in, size_t n, int rate, int ch, int full, size_t block,
                   const size_t *sizes, double res[7])
{
    mq_meter *m = NULL;
    if ((full ? mq_meter_create(rate, ch, &m, NULL)
              : mq_meter_create_integrated(rate, ch, &m, NULL)) != MQ_OK)
        abort();
    double ns = feed(meter_step, m, in, NULL, n, ch, block, sizes);
    res[0] = mq_meter_integrated(m);
    res[1] = mq_meter_true_peak(m);
    res[2] = mq_meter_range(m);
    res[3] = mq_meter_momentary(m);
    res[4] = mq_meter_short_term(m);
    res[5] = mq_meter_max_momentary(m);
    res[6] = mq_meter_max_short_term(m);
    mq_meter_free(m);
    return ns;
}
