/* mq_export.c — loudness-normalized, true-peak-limited export; see mq_export.h. */
#include "mq_export.h"
#include "../audio/mq_loudness.h"
#include "../util/mq_fdio.h"
#include "../util/mq_pipe.h"
#include "../util/mq_release.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>

/* Frames a block: what the mixer makes at a time and each stage thread takes.
 * Every block costs each stage a hand-over (a lock, a wake-up, often a switch
 * of threads on a 2-core machine: 16,000 of them in a first render of the
 * benchmark bulletin at 16384 frames). First renders of the bulletin,
 * alternated 10 times (tools/bench-render): 65536 frames took 3.5 % less CPU
 * than 16384, 131072 another 3 %; 262144 was slower again (1 MB blocks fit
 * the caches better than 2 MB). Six slots of it: 9 MB in pass 2. */
#define BLOCK 131072

/* The meter as a pipe stage (mq_pipe.h): it measures every block the
 * producer makes, on a thread of its own, and notes the short-term loudness
 * every STEP frames for the curve. It is the heaviest stage of pass 1 (the
 * K-weighting is a recursion, sample after sample: BS.1770-4 annex 1). */
typedef struct meter_job {
    mq_meter *meter;
    size_t step, metered, cap;
    double **curve;
    size_t *ncurve;
} meter_job;

static int meter_stage(void *ctx, const float *buf, size_t n, mq_error *err)
{
    meter_job *j = ctx;
    int ch = mq_meter_channels(j->meter);
    for (size_t k = 0; k < n;) {
        size_t len = n - k;
        if (j->step && j->step - j->metered % j->step < len)
            len = j->step - j->metered % j->step;
        int rc = mq_meter_add(j->meter, buf + k * (size_t)ch, len, err);
        if (rc != MQ_OK)
            return rc;
        k += len;
        j->metered += len;
        if (j->step && j->metered % j->step == 0) {
            if (*j->ncurve == j->cap) {
                j->cap = j->cap ? j->cap * 2 : 256;
                double *c = realloc(*j->curve, j->cap * sizeof *c);
                if (!c)
                    return mq_error_set(err, MQ_ENOMEM, "out of memory");
                *j->curve = c;
            }
            (*j->curve)[(*j->ncurve)++] = mq_meter_short_term(j->meter);
        }
    }
    return MQ_OK;
}

typedef struct pass_ctx {
    const mq_export_opts *o;
    mq_mix *mix;
    int rate, channels;
    int tmp;                        /* the temporary mix's descriptor, or -1 */
    char tmp_path[PATH_MAX];
    float *in;                      /* pass 2: a block read back, times the gain */
    void *map;                      /* pass 2: the part of the temporary file mapped */
    size_t map_off, map_len;        /* bytes */
    float tail[MQ_LIMITER_TAIL];    /* largest |sample| of the mix's last frames */
    size_t ntail;
    float *peaks;                   /* largest |sample| of the mix in each WATCH_CHUNK
                                       frames (NaN: a sample is not finite) */
    size_t npeaks, cap_peaks, peak_fill;   /* peak_fill: frames in peaks[npeaks - 1] */
    mq_outfile *f;
} pass_ctx;

/* Keeps the largest |sample| of each of the last MQ_LIMITER_TAIL frames. */
static void note_tail(pass_ctx *p, const float *x, size_t n)
{
    for (size_t i = n > MQ_LIMITER_TAIL ? n - MQ_LIMITER_TAIL : 0; i < n; i++) {
        float m = 0;
        for (int c = 0; c < p->channels; c++) {
            float a = fabsf(x[i * (size_t)p->channels + (size_t)c]);
            if (!(a <= m))
                m = a;
        }
        p->tail[p->ntail++ % MQ_LIMITER_TAIL] = m;
    }
}

/* The limiter's watch in pass 2 looks only where the mix is loud enough to
 * make it act (see watch_stage), judged by the largest |sample| of each
 * stretch of WATCH_CHUNK frames, noted in pass 1. Blocks start on its
 * multiples. */
#define WATCH_CHUNK 256
_Static_assert(BLOCK % WATCH_CHUNK == 0, "blocks start on a chunk");
_Static_assert(MQ_LIMITER_REACH < WATCH_CHUNK, "a chunk's detector reads back one chunk at most");

/* Notes the peaks of N more frames of the mix (the writer's thread: the
 * lightest of pass 1). */
static int note_peaks(pass_ctx *p, const float *x, size_t n, mq_error *err)
{
    const size_t ch = (size_t)p->channels;
    while (n > 0) {
        if (p->peak_fill == 0 || p->peak_fill == WATCH_CHUNK) {
            if (p->npeaks == p->cap_peaks) {
                size_t cap = p->cap_peaks ? p->cap_peaks * 2 : 4096;
                float *q = realloc(p->peaks, cap * sizeof *q);
                if (!q)
                    return mq_error_set(err, MQ_ENOMEM, "out of memory");
                p->peaks = q;
                p->cap_peaks = cap;
            }
            p->peaks[p->npeaks++] = 0;
            p->peak_fill = 0;
        }
        size_t k = WATCH_CHUNK - p->peak_fill < n ? WATCH_CHUNK - p->peak_fill : n;
        float m = mq_abs_max(x, k * ch), *cur = &p->peaks[p->npeaks - 1];
        /* mq_abs_max is NaN for a chunk with a NaN or infinity: kept. */
        if (!(m <= *cur))
            *cur = isnan(*cur) ? *cur : m;
        p->peak_fill += k;
        x += k * ch;
        n -= k;
    }
    return MQ_OK;
}

/* Pass 1's second stage: the mix into the temporary file, its peaks noted. */
static int tmp_stage(void *ctx, const float *buf, size_t n, mq_error *err)
{
    pass_ctx *p = ctx;
    int rc = note_peaks(p, buf, n, err);
    if (rc != MQ_OK)
        return rc;
    if (mq_write_all(p->tmp, buf, n * sizeof(float) * (size_t)p->channels))
        return mq_error_set(err, MQ_EIO, "%s: writing the temporary mix failed: %s",
                            p->o->path, strerror(errno));
    return MQ_OK;
}

/* Pass 2's last stage: the output file. */
static int out_stage(void *ctx, const float *buf, size_t n, mq_error *err)
{
    pass_ctx *p = ctx;
    return mq_outfile_write(p->f, buf, n, err);
}

/* The same for a 16-bit file when the producer has converted the block: its
 * slot holds BLOCK frames of floats, then the block as 16-bit samples (see
 * master_pass). Writing was the slowest stage of pass 2 with the conversion
 * in it (0.22 s of CPU for the benchmark bulletin against 0.13 for the gain
 * and 0.11 for the limiter's watch), and the others waited for it. */
static int out16_stage(void *ctx, const float *buf, size_t n, mq_error *err)
{
    pass_ctx *p = ctx;
    return mq_outfile_write_pcm16(p->f, (const short *)(buf + BLOCK * (size_t)p->channels), n,
                                  err);
}

/* Pass 1: the mix (here) into the temporary file and measured, the writing
 * and the measuring on threads of their own. */
static int render_pass(pass_ctx *p, meter_job *mj, size_t *total, mq_error *err)
{
    size_t n_items = mq_mix_items(p->mix);
    mq_pipe_fn fn[2] = { meter_stage, tmp_stage };
    void *ctx[2] = { mj, p };
    mq_pipe *pipe;
    int rc = mq_pipe_create(BLOCK, p->channels, 2, fn, ctx, &pipe, err);
    *total = 0;
    while (rc == MQ_OK) {
        float *b = mq_pipe_slot(pipe);
        if (!b)
            break;
        long got = mq_mix_read(p->mix, b, BLOCK, err);
        if (got <= 0) {
            rc = got < 0 ? (int)got : MQ_OK;
            break;
        }
        note_tail(p, b, (size_t)got);
        *total += (size_t)got;
        if ((rc = mq_pipe_put(pipe, (size_t)got, err)) != MQ_OK)
            break;
        if (p->o->progress &&
            p->o->progress(p->o->user, 1,
                           n_items ? (double)mq_mix_current_item(p->mix) / n_items : 1))
            rc = mq_error_set(err, MQ_EINTERRUPTED, "interrupted");
    }
    return mq_pipe_close(pipe, rc, err);
}

/* The temporary file is read back through a window mapped MAP_WINDOW bytes
 * at a time: no copy into a buffer first (read(2) copied 384 MB for the
 * benchmark bulletin), and only the window counts as the process's memory. */
#define MAP_WINDOW ((size_t)8 << 20)

/* Frames FRAME .. FRAME + N - 1 of the temporary mix (N at most BLOCK), or
 * NULL with ERR set. */
static const float *tmp_frames(pass_ctx *p, size_t frame, size_t n, mq_error *err)
{
    size_t fb = sizeof(float) * (size_t)p->channels;
    size_t b0 = frame * fb, b1 = (frame + n) * fb;
    if (!p->map || b0 < p->map_off || b1 > p->map_off + p->map_len) {
        if (p->map)
            munmap(p->map, p->map_len);
        p->map = NULL;
        long page = sysconf(_SC_PAGESIZE);
        p->map_off = b0 - b0 % (size_t)(page > 0 ? page : 4096);
        p->map_len = b1 - p->map_off > MAP_WINDOW ? b1 - p->map_off : MAP_WINDOW;
        struct stat st;
        if (fstat(p->tmp, &st)) {
            mq_error_set(err, MQ_EIO, "%s: reading the temporary mix failed: %s", p->o->path,
                         strerror(errno));
            return NULL;
        }
        if ((size_t)st.st_size < b1) {
            mq_error_set(err, MQ_EIO, "%s: the temporary mix is shorter than written "
                         "(%lld bytes, %zu expected)", p->o->path, (long long)st.st_size, b1);
            return NULL;
        }
        if (p->map_off + p->map_len > (size_t)st.st_size)
            p->map_len = (size_t)st.st_size - p->map_off;
        void *m = mmap(NULL, p->map_len, PROT_READ, MAP_SHARED, p->tmp, (off_t)p->map_off);
        if (m == MAP_FAILED) {
            mq_error_set(err, MQ_EIO, "%s: reading the temporary mix failed: %s", p->o->path,
                         strerror(errno));
            return NULL;
        }
        madvise(m, p->map_len, MADV_SEQUENTIAL);
        p->map = m;
    }
    return (const float *)((const char *)p->map + (b0 - p->map_off));
}

/* What master_pass returns when it stopped because the limiter acted while
 * nothing measured the output. */
#define RESTART 1

/* The limiter as a detector beside the writer (master_pass without a meter):
 * it limits stretches of each block into a scratch buffer only to learn
 * whether it acts. Only stretches that could make it act are looked at: a
 * chunk of WATCH_CHUNK frames whose peak in pass 1, and that of the chunk
 * before (the detector reads MQ_LIMITER_REACH frames back), stay under the
 * limiter's quiet level divided by the gain, leaves every needed gain at 1
 * whatever surrounds it (mq_limiter_quiet_level). A run of chunks that could
 * is given to the limiter from silence, after the chunk before it, which is
 * quiet: no gain below 1 can come from that chunk, and the run's own frames
 * see the same history as in the whole stream, so the limiter acts in the
 * run exactly where it would in the whole. The benchmark bulletin's watch
 * took 0.10 s of CPU over every frame; most of it was finding the quiet
 * chunks, which pass 1 has already measured. */
typedef struct watch_job {
    mq_limiter *lim;
    float *scratch;             /* WATCH_CHUNK frames: the output nobody reads */
    const float *peaks;         /* pass_ctx's */
    size_t npeaks;
    float quiet;                /* a peak under this, in the mix's units, is quiet */
    size_t frame;               /* frames seen */
    float *last;                /* the previous block's last chunk (WATCH_CHUNK frames) */
    int running;                /* the limiter has just seen the chunk before */
    int channels;
} watch_job;

/* Whether chunk J (of WATCH_CHUNK frames) could make the limiter act. */
static int watch_loud(const watch_job *w, size_t j)
{
    return j >= w->npeaks || !(w->peaks[j] < w->quiet);
}

/* Whether watch_stage reads chunk J: as a chunk of a run (it or the one
 * before is loud), or as the history given before a run that starts with
 * chunk J + 1. Only these chunks of a block are made as floats for it when
 * the producer converts straight to 16 bits (see master_pass). */
static int watch_reads(const watch_job *w, size_t j)
{
    return watch_loud(w, j) || (j > 0 && watch_loud(w, j - 1)) || watch_loud(w, j + 1);
}

/* The floats X times G into OUT, for the chunks of the N frames from FRAME
 * that the watch reads. */
static void watch_fill(const watch_job *w, size_t frame, const float *x, float g, float *out,
                       size_t n)
{
    const size_t ch = (size_t)w->channels;
    for (size_t a = 0, j = frame / WATCH_CHUNK; a < n; a += WATCH_CHUNK, j++) {
        if (!watch_reads(w, j))
            continue;
        size_t end = (n - a < WATCH_CHUNK ? n : a + WATCH_CHUNK) * ch;
        for (size_t k = a * ch; k < end; k++)
            out[k] = x[k] * g;
    }
}

static int watch_stage(void *ctx, const float *buf, size_t n, mq_error *err)
{
    watch_job *w = ctx;
    const size_t ch = (size_t)w->channels, j0 = w->frame / WATCH_CHUNK;
    int rc = MQ_OK;
    for (size_t a = 0, j = j0; a < n && rc == MQ_OK; a += WATCH_CHUNK, j++) {
        size_t len = n - a < WATCH_CHUNK ? n - a : WATCH_CHUNK;
        if (!watch_loud(w, j) && !(j > 0 && watch_loud(w, j - 1))) {
            w->running = 0;
            continue;
        }
        if (!w->running && j > 0) {
            mq_limiter_reset(w->lim);
            rc = mq_limiter_process(w->lim, a ? buf + (a - WATCH_CHUNK) * ch : w->last,
                                    w->scratch, WATCH_CHUNK, err);
        }
        w->running = 1;
        if (rc == MQ_OK)
            rc = mq_limiter_process(w->lim, buf + a * ch, w->scratch, len, err);
        if (rc == MQ_OK && mq_limiter_acted(w->lim))
            rc = RESTART;
    }
    /* Blocks are whole chunks but the last: this is the chunk before the
     * next, which is read only before a run that starts there. */
    if (n >= WATCH_CHUNK && watch_loud(w, (w->frame + n) / WATCH_CHUNK))
        memcpy(w->last, buf + (n - WATCH_CHUNK) * ch, WATCH_CHUNK * ch * sizeof *buf);
    w->frame += n;
    return rc;
}

/* Pass 2: gain and the true-peak limiter over the temporary file, into the
 * output. MJ NULL: the output is not measured, since it is the measured mix
 * times the gain for as long as the limiter does not act; the gain is applied
 * here, and the writer and the limiter (LIM; NULL when it would pass
 * everything untouched: mq_limiter_transparent) watching for its first
 * action work on threads of their own. The moment it acts, RESTART is
 * returned, and the caller runs the pass again with MJ: then the limiter's
 * output is written, and the meter measures it on the way. */
static int master_pass(pass_ctx *p, double gain_db, size_t total, mq_limiter *lim,
                       meter_job *mj, mq_error *err)
{
    float g = (float)pow(10.0, gain_db / 20.0);
    /* The gain is a float: a product rounds by a relative 6e-8, which the
     * quiet level's 1e-4 covers. */
    watch_job wj = { .lim = lim, .peaks = p->peaks, .npeaks = p->npeaks, .channels = p->channels,
                     .quiet = (float)(mq_limiter_quiet_level(lim) / g) };
    /* Without a limiter in this thread, a 16-bit output is made here, gain
     * and conversion in one go, into the second part of each slot; the first
     * part then holds the floats only where the watch reads them
     * (watch_fill). Pass 2 of the benchmark bulletin, 8 renders each,
     * alternated: median 0.143 s against 0.173 with every float stored and
     * read again. */
    int conv = !mj && mq_outfile_is_pcm16(p->f);
    mq_pipe_fn fn[2] = { conv ? out16_stage : out_stage, mj ? meter_stage : watch_stage };
    void *ctx[2] = { p, mj ? (void *)mj : (void *)&wj };
    mq_pipe *pipe = NULL;
    size_t ch = (size_t)p->channels;
    int rc = MQ_OK;
    /* The scratch takes a chunk, and at the end the limiter's latency. */
    size_t scratch = mq_limiter_latency(lim) > WATCH_CHUNK ? mq_limiter_latency(lim) : WATCH_CHUNK;
    if (!mj && lim && (!(wj.scratch = malloc(scratch * ch * sizeof *wj.scratch)) ||
                       !(wj.last = malloc(WATCH_CHUNK * ch * sizeof *wj.last))))
        rc = mq_error_set(err, MQ_ENOMEM, "out of memory");
    /* A slot's "frame" is then CH floats and CH shorts (rounded up to floats). */
    int slot_ch = conv ? p->channels + (p->channels + 1) / 2 : p->channels;
    if (rc == MQ_OK)
        rc = mq_pipe_create(BLOCK, slot_ch, lim ? 2 : 1, fn, ctx, &pipe, err);
    /* With a meter the limiter runs here and delays its output. */
    mq_limiter *here = mj ? lim : NULL;
    size_t done = 0, read = 0, lat = mq_limiter_latency(here);
    while (rc == MQ_OK) {
        float *o = mq_pipe_slot(pipe);
        if (!o)
            break;
        size_t got = total - read < BLOCK ? total - read : BLOCK, nout = 0;
        float *in = here ? p->in : o;
        const float *mix = got ? tmp_frames(p, read, got, err) : NULL;
        if (got && !mix) {
            rc = MQ_EIO;
            break;
        }
        if (got && conv) {
            mq_float_to_pcm16_gain(mix, g, (short *)(o + BLOCK * ch), got * ch);
            if (lim)
                watch_fill(&wj, read, mix, g, o, got);
            nout = got;
        } else if (got) {
            for (size_t k = 0; k < got * ch; k++)
                in[k] = mix[k] * g;
            if (here)
                rc = mq_limiter_process(here, in, o, got, err);
            nout = got;
        } else if (here) {
            rc = mq_limiter_flush(here, o, &nout);
        }
        read += got;
        /* The limiter delays its output: the first LATENCY frames are dropped
         * so the file lines up with the timeline (captions, cue sheet). */
        size_t skip = done < lat ? (lat - done < nout ? lat - done : nout) : 0;
        done += nout;
        if (skip && nout > skip)
            memmove(o, o + skip * ch, (nout - skip) * ch * sizeof *o);
        if (rc == MQ_OK && nout > skip)
            rc = mq_pipe_put(pipe, nout - skip, err);
        if (rc == MQ_OK && p->o->progress &&
            p->o->progress(p->o->user, 2, total ? fmin(1.0, (double)done / total) : 1))
            rc = mq_error_set(err, MQ_EINTERRUPTED, "interrupted");
        if (!got)
            break;
    }
    rc = mq_pipe_close(pipe, rc, err);
    /* The watcher has seen every block: what flushing adds is the last
     * stretch of its detector's look-ahead. */
    size_t n = 0;
    /* Unless the watch was following the last chunk, the frames after the
     * end lie beside quiet ones, and cannot make it act. */
    if (rc == MQ_OK && !mj && lim && wj.running &&
        (rc = mq_limiter_flush(lim, wj.scratch, &n)) == MQ_OK && mq_limiter_acted(lim))
        rc = RESTART;
    free(wj.scratch);
    free(wj.last);
    return rc;
}

/* Opens the output (its bext chunk with the title and date; the loudness
 * figures are filled in later) and runs pass 2 into it; on RESTART or an
 * error the output is abandoned. */
static int deliver(pass_ctx *p, mq_outfile_meta *meta, double gain_db, size_t total,
                   mq_limiter *lim, meter_job *mj, mq_error *err)
{
    int rc = mq_outfile_open_meta(p->o->path, p->rate, p->channels, p->o->format, meta, &p->f,
                                  err);
    if (rc == MQ_OK)
        rc = master_pass(p, gain_db, total, lim, mj, err);
    if (rc != MQ_OK) {
        mq_outfile_abort(p->f);
        p->f = NULL;
    }
    return rc;
}

int mq_export(mq_mix *mix, const mq_export_opts *o, mq_export_report *rep, mq_error *err)
{
    memset(rep, 0, sizeof *rep);
    pass_ctx p = { .o = o, .mix = mix, .rate = mq_mix_rate(mix),
                   .channels = mq_mix_channels(mix), .tmp = -1 };
    int rc = MQ_OK;
    if (!(p.in = malloc(BLOCK * (size_t)p.channels * sizeof(float))))
        rc = mq_error_set(err, MQ_ENOMEM, "out of memory");
    meter_job m1 = { 0 }, m2 = { 0 };
    /* The temporary mix lives beside the output: same disk, same permissions. */
    if (rc == MQ_OK) {
        const char *slash = strrchr(o->path, '/');
        int dirlen = slash ? (int)(slash - o->path + 1) : 0;
        snprintf(p.tmp_path, sizeof p.tmp_path, "%.*s.%s.mix.XXXXXX", dirlen, o->path,
                 slash ? slash + 1 : o->path);
        if ((p.tmp = mkstemp(p.tmp_path)) < 0)
            rc = mq_error_set(err, MQ_EIO, "%s: cannot write there: %s", o->path, strerror(errno));
        else
            unlink(p.tmp_path);  /* nameless from the start: nothing to leave behind */
    }
    size_t total = 0;
    double *curve1 = NULL;
    size_t ncurve1 = 0;
    /* Pass 1 measures everything: when the limiter will not act, those are
     * the output's figures, shifted by the gain. */
    if (rc == MQ_OK)
        rc = mq_meter_create(p.rate, p.channels, &m1.meter, err);
    m1.step = o->curve_step > 0 ? (size_t)(o->curve_step * p.rate) : 0;
    m1.curve = &curve1;
    m1.ncurve = &ncurve1;
    if (rc == MQ_OK)
        rc = render_pass(&p, &m1, &total, err);
    mq_limiter *lim = NULL;
    mq_meter *out_meter = NULL;
    if (rc == MQ_OK) {
        rep->mix_loudness = mq_meter_integrated(m1.meter);
        rep->gain_db = (!isnan(o->loudness) && isfinite(rep->mix_loudness))
                           ? o->loudness - rep->mix_loudness : 0.0;
        rc = mq_limiter_create(p.rate, p.channels, o->true_peak, &lim, err);
    }
    /* The bext chunk is written at open with the title and date, and its
     * loudness figures replaced once they are measured on the samples
     * written. */
    mq_outfile_meta meta = MQ_OUTFILE_META_INIT;
    meta.title = o->title;
    meta.expected_frames = total;
    if (rc == MQ_OK) {
        double g = pow(10.0, rep->gain_db / 20.0), tail = 0;
        for (size_t k = 0; k < MQ_LIMITER_TAIL && k < p.ntail; k++)
            tail = fmax(tail, p.tail[k]);
        if (mq_limiter_transparent(lim, pow(10.0, mq_meter_true_peak(m1.meter) / 20.0) * g,
                                   tail * g)) {
            mq_limiter_free(lim);
            lim = NULL;
        }
        /* First without measuring the output: for as long as the limiter
         * does not act, it is the measured mix times the gain. A programme
         * at broadcast loudness seldom reaches the ceiling (the benchmark
         * bulletin peaks at -6 dBTP), and its second pass then costs the
         * gain and the writing, not a second meter. */
        rc = deliver(&p, &meta, rep->gain_db, total, lim, NULL, err);
        if (rc == RESTART) {
            mq_limiter_free(lim);
            lim = NULL;
            rc = mq_limiter_create(p.rate, p.channels, o->true_peak, &lim, err);
            if (rc == MQ_OK)
                rc = mq_meter_create(p.rate, p.channels, &m2.meter, err);
            m2.step = m1.step;
            m2.curve = &rep->curve;
            m2.ncurve = &rep->ncurve;
            out_meter = m2.meter;
            if (rc == MQ_OK)
                rc = deliver(&p, &meta, rep->gain_db, total, lim, &m2, err);
        } else if (rc == MQ_OK) {
            mq_meter_scale(m1.meter, rep->gain_db);
            for (size_t k = 0; k < ncurve1; k++)
                curve1[k] += rep->gain_db;
            rep->curve = curve1;
            rep->ncurve = ncurve1;
            curve1 = NULL;
            out_meter = m1.meter;
        }
    }
    free(curve1);
    mq_limiter_free(lim);
    if (rc == MQ_OK) {
        rep->loudness = mq_meter_integrated(out_meter);
        rep->true_peak = mq_meter_true_peak(out_meter);
        rep->loudness_range = mq_meter_range(out_meter);
        meta.loudness = rep->loudness;
        meta.true_peak = rep->true_peak;
        meta.loudness_range = rep->loudness_range;
        meta.max_momentary = mq_meter_max_momentary(out_meter);
        meta.max_short_term = mq_meter_max_short_term(out_meter);
        rc = mq_outfile_update_meta(p.f, &meta, err);
    }
    if (rc == MQ_OK) {
        rep->frames = mq_outfile_frames(p.f);
        rep->data_summed = mq_outfile_data_sum(p.f, &rep->data_sum, &rep->data_bytes);
        rc = mq_outfile_commit(p.f, err);
        p.f = NULL;
    }
    mq_outfile_abort(p.f);
    if (p.map)
        munmap(p.map, p.map_len);
    /* Freeing the mix's pages (23 ms for the benchmark bulletin's 384 MB)
     * is left to mq_release's holder, after this process; not after a
     * failure or an interruption, where a process left behind for a moment
     * would only confuse whoever looks for what the stop left running. */
    if (p.tmp >= 0 && rc == MQ_OK &&
        (long long)(total * sizeof(float) * (size_t)p.channels) >= MQ_RELEASE_MIN_BYTES)
        mq_release_fd(p.tmp);
    else if (p.tmp >= 0)
        close(p.tmp);
    mq_meter_free(m1.meter);
    mq_meter_free(m2.meter);
    free(p.peaks);
    free(p.in);
    return rc;
}
