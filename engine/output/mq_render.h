/*
 * mq_render.h — a program's items turned into audio, one item at a time, the
 * same way for every command: `check` measures the lengths `render` writes,
 * because both call mq_render_item.
 *
 * mq_render reads and checks every speech item's text up front and speaks
 * them on demand for the mixer (engine/audio/mq_mix.h), which places every
 * item — speech, music, clips, pauses — on the timeline.
 */
#ifndef MQ_RENDER_H
#define MQ_RENDER_H

#include "../audio/mq_audio.h"
#include "../program/mq_program.h"
#include "../speech/mq_speak.h"
#include "../speech/mq_speech.h"
#include "../speech/mq_voice.h"
#include "../text/mq_text.h"

typedef struct mq_render mq_render;

typedef struct mq_render_env {
    const mq_program *program;
    const mq_voiceset *voices;
    mq_reader *reader;        /* with the program's lexicon already added */
    mq_speech *speech;        /* may be NULL until audio is made */
    int rate;                 /* output rate, Hz */
    int channels;             /* output channels */
    volatile sig_atomic_t *stop;       /* set non-zero (e.g. by SIGINT) to stop; may be NULL */
} mq_render_env;

/*
 * Reads every speech item's text and checks its voice. Problems go to DIAGS
 * as FILE:LINE:COLUMN: message (a malformed inline reading, a text with
 * nothing to say). MQ_OK, MQ_EINPUT (DIAGS filled), MQ_ENOMEM.
 */
int mq_render_prepare(const mq_render_env *env, mq_render **out, mq_diags *diags,
                      mq_error *err);
void mq_render_free(mq_render *r);

/*
 * Appends speech item I's audio to OUT (mono or any channel count), followed
 * by its voice's paragraph pause when the next item is not a pause; reports
 * each sentence through ON_SENTENCE (may be NULL) with frames in OUT.
 * MQ_OK, MQ_EINVAL (not a speech item), MQ_ESYNTH, MQ_ENOMEM, MQ_EINTERRUPTED.
 * Its signature is the mixer's mq_speak_fn, with R as the context.
 */
int mq_render_speech(void *r, size_t i, mq_buf *out, mq_sentence_cb on_sentence, void *user,
                     mq_error *err);

/* Gives R the synthesizer it speaks with (it may be prepared without one, so
 * that input errors are reported before eSpeak NG starts). */
void mq_render_set_speech(mq_render *r, mq_speech *sp);

/* The reading of item I (NULL for items that are not speech). */
const mq_reading *mq_render_reading(const mq_render *r, size_t i);

#endif
