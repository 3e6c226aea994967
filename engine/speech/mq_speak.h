/*
 * mq_speak.h — speaking text: the text stage's reading, synthesized phrase by
 * phrase, with the voice preset's pauses, at the caller's sample rate.
 *
 * Pauses are silence the engine inserts itself (eSpeak NG's own are trimmed),
 * so their lengths come from the preset and the timing of every sentence is
 * known exactly — what captions and cue sheets need.
 */
#ifndef MQ_SPEAK_H
#define MQ_SPEAK_H

#include <signal.h>
#include "../audio/mq_audio.h"
#include "../text/mq_text.h"
#include "mq_speech.h"
#include "mq_voice.h"

/* Called once per sentence spoken: its text and where it sits in OUT, in
 * frames from the start of OUT. Return non-zero to stop (MQ_EINTERRUPTED). */
typedef int (*mq_sentence_cb)(void *user, const char *text, size_t start, size_t end);

typedef struct mq_speak_opts {
    mq_speech_params params;  /* rate/pitch overrides, 0 = the preset's */
    int rate;                 /* output sample rate, Hz */
    mq_sentence_cb on_sentence;  /* may be NULL */
    void *user;
    /* Polled between phrases; when it points to non-zero, speaking stops
     * with MQ_EINTERRUPTED (set from a SIGINT handler). May be NULL. */
    volatile sig_atomic_t *stop;
    /* When not NULL: an integrated meter (mq_loudness.h, mono, at the
     * synthesizer's own rate, mq_speech_rate) given the reading as spoken
     * before resampling, pauses included. Measuring there rather than the
     * output at OPTS.RATE is 2.2 times less work at 48 kHz (eSpeak NG speaks
     * at 22050 Hz); the K-weighting is designed for each rate (BS.1770-4). */
    struct mq_meter *source_meter;
    /* When not NULL: the audio goes here, a phrase or a pause at a time
     * (FRAMES frames of OUT's channel count, valid only during the call),
     * instead of accumulating in OUT, which then holds only the piece being
     * made; sentence times still count from the reading's start. Return
     * MQ_OK, or an MQ_E* code with ERR set to stop. A synthesis process
     * writes its item to the cache so: holding a whole reading at 48 kHz
     * cost a page fault and a zeroed page every 4 KB, and copies as it grew. */
    int (*sink)(void *sink_user, const float *frames, size_t n, mq_error *err);
    void *sink_user;
} mq_speak_opts;

/*
 * Speaks READING with voice V and appends the audio to OUT (any channel
 * count: the mono voice is copied to every channel), or hands it to
 * OPTS.SINK. The last pause (after the final phrase) is not appended: the
 * caller decides what follows. MQ_OK, MQ_ESYNTH, MQ_ENOMEM, MQ_EINTERRUPTED,
 * or the sink's code.
 */
int mq_speak_reading(mq_speech *sp, const mq_voice *v, const mq_reading *reading,
                     const mq_speak_opts *opts, mq_buf *out, mq_error *err);

/* Seconds of silence V leaves after a break of kind BRK. */
double mq_speak_pause(const mq_voice *v, mq_break brk);

#endif
