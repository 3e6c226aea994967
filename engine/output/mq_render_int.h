/*
 * mq_render_int.h — what the renderer's files share (not public; see
 * mq_render.h): mq_render.c reads texts and adds the gaps between items,
 * mq_render_cache.c speaks items through the cache and the workers.
 */
#ifndef MQ_RENDER_INT_H
#define MQ_RENDER_INT_H

#include "mq_render.h"

struct mq_render {
    mq_render_env env;
    mq_reading **readings;  /* one per item; NULL when not speech */
    size_t n;
    mq_cache *cache;        /* may be NULL */
    mq_render_stats stats;
    unsigned char *fresh;   /* per item: synthesized by a worker in this run */
    int in_child;           /* this is a synthesis process */
    int coordinator;        /* pid of the background synthesis, or 0 */
    mq_speech *zygote;      /* in the background synthesis: eSpeak NG started and its
                               voice loaded once, inherited by every worker it forks */
    size_t speech_uses;     /* items env.speech has synthesized */
    double *lufs;           /* per item: the loudness of its speech, once spoken */
    mq_speech *own_speech;  /* a synthesizer of this process, for speech the
                               cache could not keep (see mq_render_cached_speech) */
};

/* Speaks item I into OUT (no trailing gap): from the cache when it holds the
 * item, else synthesized (and stored in the cache). GROWS: the caller will
 * append to OUT, so a cached item is read into the heap rather than mapped
 * (growing a mapping copies it whole, and for that moment it is in memory
 * twice: 157 MB instead of 98 for the benchmark's one-hour program, whose
 * items are followed by their pauses). Same returns as mq_render_speech. */
int mq_render_cached_speech(mq_render *r, size_t i, int grows, mq_buf *out,
                            mq_sentence_cb on_sentence, void *user, mq_error *err);

/* Synthesizes item I in a fresh process into the cache. MQ_OK or an error. */
int mq_render_synthesize_one(mq_render *r, size_t i, mq_error *err);

#endif
