/* mq_speak.c — a reading spoken with pauses; see mq_speak.h. */
#include "mq_speak.h"

#include <stdlib.h>
#include "../audio/mq_loudness.h"

double mq_speak_pause(const mq_voice *v, mq_break brk)
{
    switch (brk) {
    case MQ_BREAK_PHRASE: return v->pause_comma * 0.4;
    case MQ_BREAK_COMMA: return v->pause_comma;
    case MQ_BREAK_SENTENCE: return v->pause_sentence;
    default: return v->pause_paragraph;
    }
}

/* Appends the pause that follows phrase PH; to the source meter too, at the
 * synthesizer's rate IN_RATE. */
static int pause_after(const mq_voice *v, const mq_phrase *ph, const mq_speak_opts *opts,
                       int in_rate, mq_buf *out, mq_error *err)
{
    size_t gap = (size_t)(mq_speak_pause(v, ph->brk) * opts->rate + 0.5);
    if (mq_buf_silence(out, gap))
        return mq_error_set(err, MQ_ENOMEM, "out of memory");
    if (!opts->source_meter)
        return MQ_OK;
    static const float zeros[1024];
    size_t in_gap = (size_t)(mq_speak_pause(v, ph->brk) * in_rate + 0.5);
    int rc = MQ_OK;
    for (size_t k = 0; k < in_gap && rc == MQ_OK; k += sizeof zeros / sizeof zeros[0]) {
        size_t n = in_gap - k < sizeof zeros / sizeof zeros[0] ? in_gap - k
                                                                : sizeof zeros / sizeof zeros[0];
        rc = mq_meter_add(opts->source_meter, zeros, n, err);
    }
    return rc;
}

/* With a sink: hands what OUT holds to it, counting it in *SUNK. */
static int drain(const mq_speak_opts *opts, mq_buf *out, size_t *sunk, mq_error *err)
{
    if (!opts->sink || !out->frames)
        return MQ_OK;
    int rc = opts->sink(opts->sink_user, out->data, out->frames, err);
    *sunk += out->frames;
    out->frames = 0;
    return rc;
}

int mq_speak_reading(mq_speech *sp, const mq_voice *v, const mq_reading *reading,
                     const mq_speak_opts *opts, mq_buf *out, mq_error *err)
{
    int rc = MQ_OK;
    int in_rate = mq_speech_rate(sp);
    size_t nsent = mq_reading_sentence_count(reading);
    size_t nphr = mq_reading_phrase_count(reading);
    mq_speech_reset(sp);
    /* One resampler for the whole reading, cleared between phrases. */
    mq_resampler *rs = NULL;
    if (nsent)
        rc = mq_resampler_create(in_rate, opts->rate, &rs, err);
    size_t sunk = 0;   /* frames handed to the sink */
    for (size_t si = 0; si < nsent && rc == MQ_OK; si++) {
        const mq_sentence *s = mq_reading_sentence(reading, si);
        if (!s->count)
            continue;
        size_t start = sunk + out->frames;
        const mq_phrase *ph = NULL;
        for (size_t pi = s->first; pi < s->first + s->count && rc == MQ_OK; pi++) {
            if (ph)
                rc = pause_after(v, ph, opts, in_rate, out, err);
            if (rc == MQ_OK && opts->stop && *opts->stop)
                rc = mq_error_set(err, MQ_EINTERRUPTED, "interrupted");
            ph = mq_reading_phrase(reading, pi);
            const float *pcm = NULL;
            size_t n = 0;
            if (rc == MQ_OK)
                rc = mq_speech_phrase(sp, v, &opts->params, ph->spoken, ph->end, &pcm, &n,
                                      err);
            if (rc == MQ_OK && opts->source_meter)
                rc = mq_meter_add(opts->source_meter, pcm, n, err);
            if (rc == MQ_OK)
                rc = mq_resampler_mono(rs, pcm, n, out, err);
            if (rc == MQ_OK)
                rc = drain(opts, out, &sunk, err);
        }
        if (rc == MQ_OK && opts->on_sentence &&
            opts->on_sentence(opts->user, s->text, start, sunk + out->frames))
            rc = mq_error_set(err, MQ_EINTERRUPTED, "interrupted");
        /* The pause after a sentence, except after the last one. */
        if (rc == MQ_OK && s->first + s->count < nphr)
            rc = pause_after(v, ph, opts, in_rate, out, err);
        if (rc == MQ_OK)
            rc = drain(opts, out, &sunk, err);
    }
    mq_resampler_free(rs);
    return rc;
}
