/*
 * mq_mix_voice.c — one sounding item rendered into a block; see mq_mix_int.h.
 *
 * A frame's gain is the item's gain times its fades times the duck, computed
 * in double and applied once per sample; that formula is the reference, and
 * every shortcut below gives the same bits. Most frames sound at a steady
 * level (no fade, the duck held), and there the gain is a constant applied in
 * a tight loop instead of being recomputed, with its sin() and pow(), frame
 * by frame.
 */
#include "mq_mix_int.h"
#include "../util/mq_clones.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The duck's gain is computed every DUCK_STEP frames of a block and
 * interpolated between: its ramps last hundreds of milliseconds, and pow()
 * per frame was a tenth of a whole render. */
#define DUCK_STEP 32

void mq_voice_release(mq_voice *v)
{
    mq_buf_free(&v->speech);
    mq_clip_free(v->clip);
    free(v->duck);
    memset(v, 0, sizeof *v);
}

/* Equal-power fade: sin over a quarter period, so a fade-out (cos) and a
 * fade-in (sin) of the same length sum to constant power. */
static double fade_gain(const mq_voice *v, long long t)
{
    double g = 1.0;
    if (v->fade_in > 0 && t < v->fade_in)
        g *= sin(M_PI / 2 * (double)t / (double)v->fade_in);
    long long from_end = v->len - t;
    if (v->fade_out > 0 && from_end <= v->fade_out)
        g *= sin(M_PI / 2 * (double)(from_end > 0 ? from_end : 0) / (double)v->fade_out);
    return g;
}

/* Whether a fade touches voice frames [A, B): fades are a head and a tail. */
static int fading(const mq_voice *v, long long a, long long b)
{
    return (v->fade_in > 0 && a < v->fade_in) ||
           (v->fade_out > 0 && v->len - (b - 1) <= v->fade_out);
}

static double duck_db(const mq_voice *v, long long t, size_t *hint)
{
    size_t k = *hint;
    while (k + 1 < v->nduck && v->duck[k + 1].frame <= t)
        k++;
    *hint = k;
    const mq_duck_pt *a = &v->duck[k];
    if (t < a->frame || k + 1 >= v->nduck)
        return a->db;
    const mq_duck_pt *b = &v->duck[k + 1];
    return a->db + (b->db - a->db) * (double)(t - a->frame) / (double)(b->frame - a->frame);
}

/* A block being mixed: frame I of it is voice frame T0 + I. */
typedef struct span {
    const mq_voice *v;
    long long t0;
    size_t hint;
    double db[2], g[2];         /* the last two duck levels and their gains */
    int older;
} span;

/* Linear duck gain at voice frame T. pow() gives the same result for the
 * same level, so a held duck (and a ramp's shared step ends) reuse it. */
static double duck_gain(span *s, long long t)
{
    double db = duck_db(s->v, t, &s->hint);
    for (int i = 0; i < 2; i++)
        if (s->db[i] == db)
            return s->g[i];
    int i = s->older;
    s->older = !i;
    s->db[i] = db;
    return s->g[i] = pow(10.0, db / 20.0);
}

/* The duck's gains at both ends of the step starting at block frame BASE. */
static void step_gains(span *s, size_t base, double *g0, double *g1)
{
    *g0 = *g1 = 1.0;
    if (!s->v->nduck)
        return;
    long long t = s->t0 + (long long)base;
    *g0 = duck_gain(s, t);
    size_t hint = s->hint;      /* a step may be visited again: stay at its start */
    *g1 = duck_gain(s, t + DUCK_STEP);
    s->hint = hint;
}

/* D[k] += G * S[k] for N samples. Blocks of 8 let GCC's -O2 vectorizer (its
 * "very cheap" model) take the loop whole; D and S never overlap. */
MQ_VECTOR_CLONES
static void add_gf(float *restrict d, const float *restrict s, size_t n, float g)
{
    size_t k = 0;
    for (; k + 8 <= n; k += 8)
        for (size_t j = k; j < k + 8; j++)
            d[j] += g * s[j];
    for (; k < n; k++)
        d[k] += g * s[k];
}

MQ_VECTOR_CLONES
static void add_gd(float *restrict d, const float *restrict s, size_t n, double g)
{
    size_t k = 0;
    for (; k + 8 <= n; k += 8)
        for (size_t j = k; j < k + 8; j++)
            d[j] += (float)(g * s[j]);
    for (; k < n; k++)
        d[k] += (float)(g * s[k]);
}

/* The same, a mono source on both channels of D (N frames). */
MQ_VECTOR_CLONES
static void add_gf_mono2(float *restrict d, const float *restrict s, size_t n, float g)
{
    size_t k = 0;
    for (; k + 4 <= n; k += 4)
        for (size_t j = k; j < k + 4; j++)
            d[2 * j] += g * s[j], d[2 * j + 1] += g * s[j];
    for (; k < n; k++)
        d[2 * k] += g * s[k], d[2 * k + 1] += g * s[k];
}

MQ_VECTOR_CLONES
static void add_gd_mono2(float *restrict d, const float *restrict s, size_t n, double g)
{
    size_t k = 0;
    for (; k + 4 <= n; k += 4)
        for (size_t j = k; j < k + 4; j++)
            d[2 * j] += (float)(g * s[j]), d[2 * j + 1] += (float)(g * s[j]);
    for (; k < n; k++)
        d[2 * k] += (float)(g * s[k]), d[2 * k + 1] += (float)(g * s[k]);
}

/* Frames [I, END) of the block at the constant gain G. When G is the float
 * GF, float math gives the reference's bits: the product of two floats is
 * exact in double, so rounding it to float once is the float product. A
 * ducked gain is not a float, and stays in double. */
static void add_steady(size_t i, size_t end, const float *src, int sch, int ch, float *dst,
                       float gf, double g)
{
    float *d = dst + i * (size_t)ch;
    size_t n = end - i;
    int exact = g == (double)gf;
    if (sch == ch && exact)
        add_gf(d, src, n * (size_t)ch, gf);
    else if (sch == ch)
        add_gd(d, src, n * (size_t)ch, g);
    else if (exact)             /* mono to stereo */
        add_gf_mono2(d, src, n, gf);
    else
        add_gd_mono2(d, src, n, g);
}

/* Adds block frames [I, END) from SRC (frame I's source, SCH floats a frame)
 * into DST (the block's frame 0, CH channels). */
static void add_span(span *s, size_t i, size_t end, const float *src, int sch, int ch,
                     float *dst)
{
    const mq_voice *v = s->v;
    while (i < end) {
        size_t base = i - i % DUCK_STEP, stop = base + DUCK_STEP < end ? base + DUCK_STEP : end;
        double dg0, dg1;
        step_gains(s, base, &dg0, &dg1);
        long long t = s->t0 + (long long)i, tstop = s->t0 + (long long)stop;
        if (dg0 == dg1 && isfinite(dg0) && !fading(v, t, tstop)) {
            /* Steady: run on while the following steps hold the same level. */
            while (stop < end) {
                size_t next = stop + DUCK_STEP < end ? stop + DUCK_STEP : end;
                double n0, n1;
                step_gains(s, stop, &n0, &n1);
                if (n0 != dg0 || n1 != dg0 || fading(v, s->t0 + (long long)stop,
                                                     s->t0 + (long long)next))
                    break;
                stop = next;
            }
            /* The reference: gain * fade (1) * (dg0 + (dg1 - dg0) * j / 32) = gain * dg0. */
            double g = v->nduck ? (double)v->gain * dg0 : (double)v->gain;
            add_steady(i, stop, src, sch, ch, dst, v->gain, g);
        } else {
            for (size_t k = i; k < stop; k++) {
                double g = v->gain * fade_gain(v, s->t0 + (long long)k);
                if (v->nduck)
                    g *= dg0 + (dg1 - dg0) * (double)(k % DUCK_STEP) / (double)DUCK_STEP;
                const float *x = src + (k - i) * (size_t)sch;
                for (int c = 0; c < ch; c++)
                    dst[k * (size_t)ch + (size_t)c] += (float)(g * x[sch == 1 ? 0 : c]);
            }
        }
        src += (stop - i) * (size_t)sch;
        i = stop;
    }
}

/* Streams N frames of an audio file into SCRATCH from the voice's place in
 * it; the number read in *GOT (fewer once a file that does not loop ends). */
static int stream(mq_voice *v, size_t n, int channels, float *scratch, size_t *got,
                  mq_error *err)
{
    /* Audio files are read strictly in order: blocks arrive in time order. */
    size_t done = 0;
    while (done < n) {
        if (v->clip_pos >= v->clip_len) {
            if (!v->loop)
                break;
            int rc = mq_clip_seek(v->clip, v->clip_start, err);
            if (rc != MQ_OK)
                return rc;
            v->clip_pos = 0;
            if (v->decodes)
                (*v->decodes)++;
        }
        size_t want = n - done;
        if ((long long)want > v->clip_len - v->clip_pos)
            want = (size_t)(v->clip_len - v->clip_pos);
        long r = mq_clip_read(v->clip, scratch + done * (size_t)channels, want, err);
        if (r < 0)
            return (int)r;
        if (r == 0) {
            /* The file ended before its announced length: treat it as the end of a pass. */
            v->clip_len = v->clip_pos;
            if (!v->loop || v->clip_len == 0)
                break;
            continue;
        }
        done += (size_t)r;
        v->clip_pos += r;
    }
    *got = done;
    return MQ_OK;
}

/* Silence is skipped (a speech's lead and tail under its bed, a file that
 * does not loop once it has ended): adding +0.0 or -0.0 changes no sample
 * but -0.0, and a block sample never is -0.0: it starts at +0.0, and a sum is
 * -0.0 only when both terms are. */
int mq_voice_mix(mq_voice *v, long long from, size_t n, int channels, float *out,
                 float *scratch, mq_error *err)
{
    long long a = from > v->t0 ? from : v->t0;
    long long b = from + (long long)n < v->t0 + v->len ? from + (long long)n : v->t0 + v->len;
    if (b <= a)
        return MQ_OK;
    size_t count = (size_t)(b - a);
    span s = { .v = v, .t0 = a - v->t0, .db = { 0.0, 0.0 }, .g = { 1.0, 1.0 } };
    float *dst = out + (size_t)(a - from) * (size_t)channels;
    if (v->kind == V_SPEECH) {
        /* Block frames [s0, s1) are speech frames [s0 + t0 - speech_off, ...). */
        long long s0 = v->speech_off - s.t0, s1 = s0 + (long long)v->speech.frames;
        s0 = s0 > 0 ? s0 : 0;
        s1 = s1 < (long long)count ? s1 : (long long)count;
        if (s0 < s1)
            add_span(&s, (size_t)s0, (size_t)s1, v->speech.data + (s0 + s.t0 - v->speech_off), 1,
                     channels, dst);
        return MQ_OK;
    }
    if (!v->memo) {
        size_t got = 0;
        int rc = stream(v, count, channels, scratch, &got, err);
        if (rc == MQ_OK)
            add_span(&s, 0, got, scratch, channels, channels, dst);
        return rc;
    }
    /* From the memo, pass after pass, as stream() would read them. */
    for (size_t done = 0; done < count;) {
        if (v->clip_pos >= v->clip_len) {
            if (!v->loop || v->clip_len == 0)
                break;
            v->clip_pos = 0;
        }
        size_t want = count - done;
        if ((long long)want > v->clip_len - v->clip_pos)
            want = (size_t)(v->clip_len - v->clip_pos);
        add_span(&s, done, done + want, v->memo->data + (size_t)v->clip_pos * (size_t)channels,
                 channels, channels, dst);
        done += want;
        v->clip_pos += (long long)want;
    }
    return MQ_OK;
}
