/*
 * mq_export_watch.c — the mix's chunk peaks and the limiter's watch; see
 * mq_export_int.h.
 *
 * The watch looks only where the limiter could act. A chunk of
 * MQ_WATCH_CHUNK frames whose peak, and that of the chunk before (the
 * detector reads MQ_LIMITER_REACH frames back), times the gain stay under
 * the limiter's quiet level leaves every needed gain at 1 whatever surrounds
 * it (mq_limiter_quiet_level). A run of chunks that could make it act is
 * given to the limiter from silence, after the chunk before it, which is
 * quiet: no gain below 1 can come from that chunk, and the run's own frames
 * see the same history as in the whole stream, so the limiter acts in the
 * run exactly where it would in the whole. Watching every frame took 0.10 s
 * of CPU for the benchmark bulletin, most of it finding the quiet chunks.
 */
#include "mq_export_int.h"
#include "../audio/mq_audio.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int mq_peaks_note(mq_peaks *pk, const float *x, size_t n, int channels, mq_error *err)
{
    const size_t ch = (size_t)channels;
    while (n > 0) {
        if (pk->fill == 0 || pk->fill == MQ_WATCH_CHUNK) {
            if (pk->n == pk->cap) {
                size_t cap = pk->cap ? pk->cap * 2 : 4096;
                float *v = realloc(pk->v, cap * sizeof *v);
                if (!v)
                    return mq_error_set(err, MQ_ENOMEM, "out of memory");
                pk->v = v;
                pk->cap = cap;
            }
            pk->v[pk->n++] = 0;
            pk->fill = 0;
        }
        size_t k = MQ_WATCH_CHUNK - pk->fill < n ? MQ_WATCH_CHUNK - pk->fill : n;
        float m = mq_abs_max(x, k * ch), *cur = &pk->v[pk->n - 1];
        /* mq_abs_max is NaN for a chunk with a NaN or infinity: kept. */
        if (!(m <= *cur))
            *cur = isnan(*cur) ? *cur : m;
        pk->fill += k;
        x += k * ch;
        n -= k;
    }
    return MQ_OK;
}

void mq_peaks_free(mq_peaks *pk)
{
    free(pk->v);
    memset(pk, 0, sizeof *pk);
}

int mq_watch_init(mq_watch *w, mq_limiter *lim, int channels, mq_peaks *pk, float gain,
                  int note, int go_on, mq_error *err)
{
    memset(w, 0, sizeof *w);
    const size_t ch = (size_t)channels, lat = mq_limiter_latency(lim);
    /* The scratch takes a chunk, and at the end the limiter's latency. */
    const size_t frames = lat > MQ_WATCH_CHUNK ? lat : MQ_WATCH_CHUNK;
    w->scratch = malloc(frames * ch * sizeof *w->scratch);
    w->last = malloc(MQ_WATCH_CHUNK * ch * sizeof *w->last);
    if (!w->scratch || !w->last) {
        mq_watch_free(w);
        return mq_error_set(err, MQ_ENOMEM, "out of memory");
    }
    w->lim = lim;
    w->peaks = pk;
    w->note = note;
    w->go_on = go_on;
    w->channels = channels;
    /* The gain is a float: a product rounds by a relative 6e-8, which the
     * quiet level's 1e-4 covers. */
    w->quiet = (float)(mq_limiter_quiet_level(lim) / gain);
    return MQ_OK;
}

void mq_watch_free(mq_watch *w)
{
    free(w->scratch);
    free(w->last);
    w->scratch = w->last = NULL;
}

/* Whether chunk J could make the limiter act. */
static int loud(const mq_watch *w, size_t j)
{
    return j >= w->peaks->n || !(w->peaks->v[j] < w->quiet);
}

int mq_watch_stage(void *ctx, const float *buf, size_t n, mq_error *err)
{
    mq_watch *w = ctx;
    const size_t ch = (size_t)w->channels, j0 = w->frame / MQ_WATCH_CHUNK;
    int rc = w->note ? mq_peaks_note(w->peaks, buf, n, w->channels, err) : MQ_OK;
    for (size_t a = 0, j = j0; a < n && rc == MQ_OK && !w->acted; a += MQ_WATCH_CHUNK, j++) {
        size_t len = n - a < MQ_WATCH_CHUNK ? n - a : MQ_WATCH_CHUNK;
        if (!loud(w, j) && !(j > 0 && loud(w, j - 1))) {
            w->running = 0;
            continue;
        }
        if (!w->running && j > 0) {
            mq_limiter_reset(w->lim);
            rc = mq_limiter_process(w->lim, a ? buf + (a - MQ_WATCH_CHUNK) * ch : w->last,
                                    w->scratch, MQ_WATCH_CHUNK, err);
        }
        w->running = 1;
        if (rc == MQ_OK)
            rc = mq_limiter_process(w->lim, buf + a * ch, w->scratch, len, err);
        if (rc == MQ_OK && mq_limiter_acted(w->lim))
            w->acted = 1;
    }
    /* Blocks are whole chunks but the last: this is the chunk before the next. */
    if (n >= MQ_WATCH_CHUNK)
        memcpy(w->last, buf + (n - MQ_WATCH_CHUNK) * ch, MQ_WATCH_CHUNK * ch * sizeof *buf);
    w->frame += n;
    return rc == MQ_OK && w->acted && !w->go_on ? MQ_WATCH_ACTED : rc;
}

int mq_watch_finish(mq_watch *w, mq_error *err)
{
    /* Unless the watch was following the last chunk, the frames after the
     * end lie beside quiet ones, and cannot make it act. */
    size_t n = 0;
    if (w->acted || !w->running)
        return MQ_OK;
    int rc = mq_limiter_flush(w->lim, w->scratch, &n);
    if (rc != MQ_OK)
        return mq_error_set(err, rc, "limiter: flushing failed");
    w->acted = mq_limiter_acted(w->lim);
    return MQ_OK;
}
