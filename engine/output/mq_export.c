/* mq_export.c — loudness-normalized, true-peak-limited export; see mq_export.h. */
#include "mq_export.h"
#include "../audio/mq_loudness.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BLOCK 4096

typedef struct pass_ctx {
    const mq_export_opts *o;
    mq_mix *mix;
    int rate, channels;
    FILE *tmp;
    char tmp_path[PATH_MAX];
    float *in, *out;
} pass_ctx;

/* Pass 1: mix into the temporary file, measuring. */
static int render_pass(pass_ctx *p, mq_meter *meter, size_t *total, mq_error *err)
{
    size_t n_items = mq_mix_items(p->mix);
    *total = 0;
    for (;;) {
        long got = mq_mix_read(p->mix, p->in, BLOCK, err);
        if (got < 0)
            return (int)got;
        if (got == 0)
            return MQ_OK;
        int rc = mq_meter_add(meter, p->in, (size_t)got, err);
        if (rc != MQ_OK)
            return rc;
        if (fwrite(p->in, sizeof *p->in * (size_t)p->channels, (size_t)got, p->tmp) != (size_t)got)
            return mq_error_set(err, MQ_EIO, "%s: writing the temporary mix failed: %s",
                                p->o->path, strerror(errno));
        *total += (size_t)got;
        if (p->o->progress &&
            p->o->progress(p->o->user, 1, n_items ? (double)mq_mix_current_item(p->mix) / n_items : 1))
            return mq_error_set(err, MQ_EINTERRUPTED, "interrupted");
    }
}

/* Passes 2 and 3: gain and limiter over the temporary file, into METER and/or
 * the output file F. */
static int master_pass(pass_ctx *p, int pass, double gain_db, size_t total, mq_meter *meter,
                       mq_outfile *f, mq_export_report *rep, mq_error *err)
{
    size_t step = p->o->curve_step > 0 && rep ? (size_t)(p->o->curve_step * p->rate) : 0;
    size_t metered = 0, cap = 0;
    mq_limiter *lim;
    int rc = mq_limiter_create(p->rate, p->channels, p->o->true_peak, &lim, err);
    if (rc != MQ_OK)
        return rc;
    rewind(p->tmp);
    float g = (float)pow(10.0, gain_db / 20.0);
    size_t done = 0;
    while (rc == MQ_OK) {
        size_t got = fread(p->in, sizeof *p->in * (size_t)p->channels, BLOCK, p->tmp);
        size_t nout = 0;
        if (got) {
            for (size_t k = 0; k < got * (size_t)p->channels; k++)
                p->in[k] *= g;
            rc = mq_limiter_process(lim, p->in, p->out, got, err);
            nout = got;
        } else {
            if (ferror(p->tmp))
                rc = mq_error_set(err, MQ_EIO, "%s: reading the temporary mix failed",
                                  p->o->path);
            else
                rc = mq_limiter_flush(lim, p->out, &nout);
        }
        /* The limiter delays its output: drop the first LATENCY frames so the
         * file lines up with the timeline (captions, cue sheet). */
        size_t skip = 0, lat = mq_limiter_latency(lim);
        if (done < lat)
            skip = lat - done < nout ? lat - done : nout;
        done += nout;
        /* Metered in pieces that end on curve steps, so each curve point is the
         * short-term loudness at exactly that time. */
        for (size_t k = skip; rc == MQ_OK && meter && k < nout;) {
            size_t len = nout - k;
            if (step && step - metered % step < len)
                len = step - metered % step;
            rc = mq_meter_add(meter, p->out + k * (size_t)p->channels, len, err);
            k += len;
            metered += len;
            if (rc == MQ_OK && step && metered % step == 0) {
                if (rep->ncurve == cap) {
                    cap = cap ? cap * 2 : 256;
                    double *c = realloc(rep->curve, cap * sizeof *c);
                    if (!c) {
                        rc = mq_error_set(err, MQ_ENOMEM, "out of memory");
                        break;
                    }
                    rep->curve = c;
                }
                rep->curve[rep->ncurve++] = mq_meter_short_term(meter);
            }
        }
        if (rc == MQ_OK && nout > skip && f)
            rc = mq_outfile_write(f, p->out + skip * (size_t)p->channels, nout - skip, err);
        if (rc == MQ_OK && p->o->progress &&
            p->o->progress(p->o->user, pass, total ? fmin(1.0, (double)done / total) : 1))
            rc = mq_error_set(err, MQ_EINTERRUPTED, "interrupted");
        if (!got)
            break;
    }
    mq_limiter_free(lim);
    return rc;
}

int mq_export(mq_mix *mix, const mq_export_opts *o, mq_export_report *rep, mq_error *err)
{
    memset(rep, 0, sizeof *rep);
    rep->curve = NULL;
    pass_ctx p = { .o = o, .mix = mix };
    p.rate = mq_mix_rate(mix);
    p.channels = mq_mix_channels(mix);
    p.in = malloc(BLOCK * (size_t)p.channels * sizeof *p.in);
    p.out = malloc(BLOCK * (size_t)p.channels * sizeof *p.out);
    mq_meter *m1 = NULL, *m2 = NULL;
    mq_outfile *f = NULL;
    int rc = (p.in && p.out) ? MQ_OK : mq_error_set(err, MQ_ENOMEM, "out of memory");
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
    if (rc == MQ_OK)
        rc = mq_meter_create_integrated(p.rate, p.channels, &m1, err);
    if (rc == MQ_OK)
        rc = render_pass(&p, m1, &total, err);
    if (rc == MQ_OK && fflush(p.tmp))
        rc = mq_error_set(err, MQ_EIO, "%s: writing the temporary mix failed: %s", o->path,
                          strerror(errno));
    if (rc == MQ_OK) {
        rep->mix_loudness = mq_meter_integrated(m1);
        rep->gain_db = (!isnan(o->loudness) && isfinite(rep->mix_loudness))
                           ? o->loudness - rep->mix_loudness : 0.0;
        rc = mq_meter_create(p.rate, p.channels, &m2, err);
    }
    if (rc == MQ_OK)
        rc = master_pass(&p, 2, rep->gain_db, total, m2, NULL, rep, err);
    if (rc == MQ_OK) {
        rep->loudness = mq_meter_integrated(m2);
        rep->true_peak = mq_meter_true_peak(m2);
        rep->loudness_range = mq_meter_range(m2);
        mq_outfile_meta meta = { .title = o->title, .originator = "muqir",
                                 .loudness = rep->loudness, .true_peak = rep->true_peak,
                                 .loudness_range = rep->loudness_range,
                                 .max_momentary = mq_meter_max_momentary(m2),
                                 .max_short_term = mq_meter_max_short_term(m2),
                                 .expected_frames = total };
        rc = mq_outfile_open_meta(o->path, p.rate, p.channels, o->format, &meta, &f, err);
    }
    if (rc == MQ_OK)
        rc = master_pass(&p, 3, rep->gain_db, total, NULL, f, NULL, err);
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
    mq_meter_free(m1);
    mq_meter_free(m2);
    free(p.in);
    free(p.out);
    return rc;
}
