/* mq_export.c — loudness-normalized, true-peak-limited export; see mq_export.h. */
#include "mq_export.h"
#include "../audio/mq_loudness.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BLOCK 16384

/* Measuring runs on a second thread, one block behind the work that makes
 * the samples: with BS.1770 true-peak metering as costly as the rest of the
 * export together, this nearly halves the time on two cores. */
typedef struct meter_job {
    mq_meter *meter;
    const float *buf;
    size_t n;
    int rc;
    mq_error err;
    pthread_t th;
    int running;
    /* the curve: short-term loudness every STEP frames */
    size_t step, metered, cap;
    double **curve;
    size_t *ncurve;
} meter_job;

static void *meter_run(void *arg)
{
    meter_job *j = arg;
    for (size_t k = 0; j->rc == MQ_OK && k < j->n;) {
        size_t len = j->n - k;
        if (j->step && j->step - j->metered % j->step < len)
            len = j->step - j->metered % j->step;
        j->rc = mq_meter_add(j->meter, j->buf + k * (size_t)mq_meter_channels(j->meter), len,
                             &j->err);
        k += len;
        j->metered += len;
        if (j->rc == MQ_OK && j->step && j->metered % j->step == 0) {
            if (*j->ncurve == j->cap) {
                j->cap = j->cap ? j->cap * 2 : 256;
                double *c = realloc(*j->curve, j->cap * sizeof *c);
                if (!c) {
                    j->rc = mq_error_set(&j->err, MQ_ENOMEM, "out of memory");
                    break;
                }
                *j->curve = c;
            }
            (*j->curve)[(*j->ncurve)++] = mq_meter_short_term(j->meter);
        }
    }
    return NULL;
}

/* Waits for the job's last block. MQ_OK or its error. */
static int meter_wait(meter_job *j, mq_error *err)
{
    if (j->running) {
        pthread_join(j->th, NULL);
        j->running = 0;
        if (j->rc != MQ_OK)
            return mq_error_set(err, j->rc, "%s", j->err.msg);
    }
    return MQ_OK;
}

/* Hands BUF (N frames, not to be touched until the next call) to the meter. */
static int meter_start(meter_job *j, const float *buf, size_t n, mq_error *err)
{
    int rc = meter_wait(j, err);
    if (rc != MQ_OK || !n)
        return rc;
    j->buf = buf;
    j->n = n;
    if (pthread_create(&j->th, NULL, meter_run, j)) {
        meter_run(j); /* no thread: measure here */
        return j->rc == MQ_OK ? MQ_OK : mq_error_set(err, j->rc, "%s", j->err.msg);
    }
    j->running = 1;
    return MQ_OK;
}

typedef struct pass_ctx {
    const mq_export_opts *o;
    mq_mix *mix;
    int rate, channels;
    FILE *tmp;
    char tmp_path[PATH_MAX];
    float *buf[2], *out[2];
    float tail[MQ_LIMITER_TAIL];   /* largest |sample| of the mix's last frames */
    size_t ntail;
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

/* Pass 1: the mix into the temporary file, its integrated loudness measured. */
static int render_pass(pass_ctx *p, meter_job *mj, size_t *total, mq_error *err)
{
    size_t n_items = mq_mix_items(p->mix);
    int rc = MQ_OK;
    *total = 0;
    for (int b = 0;; b ^= 1) {
        long got = mq_mix_read(p->mix, p->buf[b], BLOCK, err);
        if (got <= 0) {
            rc = got < 0 ? (int)got : MQ_OK;
            break;
        }
        if ((rc = meter_start(mj, p->buf[b], (size_t)got, err)) != MQ_OK)
            break;
        if (fwrite(p->buf[b], sizeof(float) * (size_t)p->channels, (size_t)got, p->tmp) !=
            (size_t)got) {
            rc = mq_error_set(err, MQ_EIO, "%s: writing the temporary mix failed: %s",
                              p->o->path, strerror(errno));
            break;
        }
        note_tail(p, p->buf[b], (size_t)got);
        *total += (size_t)got;
        if (p->o->progress &&
            p->o->progress(p->o->user, 1,
                           n_items ? (double)mq_mix_current_item(p->mix) / n_items : 1)) {
            rc = mq_error_set(err, MQ_EINTERRUPTED, "interrupted");
            break;
        }
    }
    int rw = meter_wait(mj, rc == MQ_OK ? err : NULL);
    return rc != MQ_OK ? rc : rw;
}

/* Pass 2: gain and the true-peak limiter over the temporary file, into the
 * output F, measured on the way (loudness, true peak, range, curve). LIM NULL:
 * the limiter would pass everything untouched (mq_limiter_transparent), so
 * only the gain is applied, and nothing is measured: the output is the
 * measured mix times the gain. */
static int master_pass(pass_ctx *p, double gain_db, size_t total, mq_limiter *lim,
                       meter_job *mj, mq_outfile *f, mq_error *err)
{
    int rc = MQ_OK;
    rewind(p->tmp);
    float g = (float)pow(10.0, gain_db / 20.0);
    size_t done = 0, lat = mq_limiter_latency(lim);
    for (int b = 0; rc == MQ_OK; b ^= 1) {
        size_t got = fread(p->buf[0], sizeof(float) * (size_t)p->channels, BLOCK, p->tmp);
        size_t nout = 0;
        float *o = p->out[b];
        if (got) {
            for (size_t k = 0; k < got * (size_t)p->channels; k++)
                p->buf[0][k] *= g;
            if (lim)
                rc = mq_limiter_process(lim, p->buf[0], o, got, err);
            else
                o = p->buf[0];
            nout = got;
        } else if (ferror(p->tmp)) {
            rc = mq_error_set(err, MQ_EIO, "%s: reading the temporary mix failed", p->o->path);
        } else if (lim) {
            rc = mq_limiter_flush(lim, o, &nout);
        }
        /* The limiter delays its output: the first LATENCY frames are dropped
         * so the file lines up with the timeline (captions, cue sheet). */
        size_t skip = done < lat ? (lat - done < nout ? lat - done : nout) : 0;
        done += nout;
        o += skip * (size_t)p->channels;
        if (rc == MQ_OK && nout > skip && lim)
            rc = meter_start(mj, o, nout - skip, err);
        if (rc == MQ_OK && nout > skip)
            rc = mq_outfile_write(f, o, nout - skip, err);
        if (rc == MQ_OK && p->o->progress &&
            p->o->progress(p->o->user, 2, total ? fmin(1.0, (double)done / total) : 1))
            rc = mq_error_set(err, MQ_EINTERRUPTED, "interrupted");
        if (!got)
            break;
    }
    int rw = meter_wait(mj, rc == MQ_OK ? err : NULL);
    return rc != MQ_OK ? rc : rw;
}

int mq_export(mq_mix *mix, const mq_export_opts *o, mq_export_report *rep, mq_error *err)
{
    memset(rep, 0, sizeof *rep);
    pass_ctx p = { .o = o, .mix = mix, .rate = mq_mix_rate(mix),
                   .channels = mq_mix_channels(mix) };
    size_t bytes = BLOCK * (size_t)p.channels * sizeof(float);
    int rc = MQ_OK;
    for (int b = 0; b < 2; b++)
        if (!(p.buf[b] = malloc(bytes)) || !(p.out[b] = malloc(bytes)))
            rc = mq_error_set(err, MQ_ENOMEM, "out of memory");
    meter_job m1 = { 0 }, m2 = { 0 };
    mq_outfile *f = NULL;
    /* The temporary mix lives beside the output: same disk, same permissions. */
    if (rc == MQ_OK) {
        const char *slash = strrchr(o->path, '/');
        int dirlen = slash ? (int)(slash - o->path + 1) : 0;
        snprintf(p.tmp_path, sizeof p.tmp_path, "%.*s.%s.mix.XXXXXX", dirlen, o->path,
                 slash ? slash + 1 : o->path);
        int fd = mkstemp(p.tmp_path);
        if (fd < 0 || !(p.tmp = fdopen(fd, "w+b"))) {
            rc = mq_error_set(err, MQ_EIO, "%s: cannot write there: %s", o->path, strerror(errno));
            if (fd >= 0)
                close(fd);
            p.tmp_path[0] = '\0';
        }
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
    if (rc == MQ_OK && fflush(p.tmp))
        rc = mq_error_set(err, MQ_EIO, "%s: writing the temporary mix failed: %s", o->path,
                          strerror(errno));
    mq_limiter *lim = NULL;
    mq_meter *out_meter = NULL;
    if (rc == MQ_OK) {
        rep->mix_loudness = mq_meter_integrated(m1.meter);
        rep->gain_db = (!isnan(o->loudness) && isfinite(rep->mix_loudness))
                           ? o->loudness - rep->mix_loudness : 0.0;
        rc = mq_limiter_create(p.rate, p.channels, o->true_peak, &lim, err);
    }
    if (rc == MQ_OK) {
        double g = pow(10.0, rep->gain_db / 20.0), tail = 0;
        for (size_t k = 0; k < MQ_LIMITER_TAIL && k < p.ntail; k++)
            tail = fmax(tail, p.tail[k]);
        if (mq_limiter_transparent(lim, pow(10.0, mq_meter_true_peak(m1.meter) / 20.0) * g,
                                   tail * g)) {
            mq_limiter_free(lim);
            lim = NULL;
            mq_meter_scale(m1.meter, rep->gain_db);
            for (size_t k = 0; k < ncurve1; k++)
                curve1[k] += rep->gain_db;
            rep->curve = curve1;
            rep->ncurve = ncurve1;
            curve1 = NULL;
            out_meter = m1.meter;
        } else {
            rc = mq_meter_create(p.rate, p.channels, &m2.meter, err);
            m2.step = m1.step;
            m2.curve = &rep->curve;
            m2.ncurve = &rep->ncurve;
            out_meter = m2.meter;
        }
    }
    free(curve1);
    /* The bext chunk is written now with the title and date, and its loudness
     * figures replaced once they are measured on the samples written. */
    mq_outfile_meta meta = MQ_OUTFILE_META_INIT;
    meta.title = o->title;
    meta.expected_frames = total;
    if (rc == MQ_OK)
        rc = mq_outfile_open_meta(o->path, p.rate, p.channels, o->format, &meta, &f, err);
    if (rc == MQ_OK)
        rc = master_pass(&p, rep->gain_db, total, lim, &m2, f, err);
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
        rc = mq_outfile_update_meta(f, &meta, err);
    }
    if (rc == MQ_OK) {
        rep->frames = mq_outfile_frames(f);
        rc = mq_outfile_commit(f, err);
        f = NULL;
    }
    mq_outfile_abort(f);
    if (p.tmp)
        fclose(p.tmp);
    if (p.tmp_path[0])
        unlink(p.tmp_path);
    mq_meter_free(m1.meter);
    mq_meter_free(m2.meter);
    for (int b = 0; b < 2; b++) {
        free(p.buf[b]);
        free(p.out[b]);
    }
    return rc;
}
