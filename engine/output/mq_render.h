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
#include "../speech/mq_cache.h"
#include "../util/mq_hash.h"
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
    mq_diags *warnings;       /* may be NULL: what mq_render_prepare finds worth telling
                                 but not wrong ("warning: ..."), e.g. characters left
                                 unspoken for want of a reading */
} mq_render_env;

/* The longest text one speech item may have, in syllables (about 80 minutes
 * of speech): its audio is held in memory while it is mixed. */
#define MQ_ITEM_MAX_SYLLABLES 20000
/* And the whole program (about 24 hours): readings are held in memory too. */
#define MQ_PROGRAM_MAX_SYLLABLES 360000

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

/* The BS.1770 loudness (LUFS) of the speech mq_render_speech last gave for
 * item I — of the voice alone, without the pause after it — measured once,
 * when the item was synthesized, and kept with it in the cache; NAN before
 * the item was spoken. Its signature is the mixer's mq_speech_loudness_fn. */
double mq_render_speech_loudness(void *r, size_t i);

/* Gives R the synthesizer it speaks with (it may be prepared without one, so
 * that input errors are reported before eSpeak NG starts). */
void mq_render_set_speech(mq_render *r, mq_speech *sp);

/* Speech comes from CACHE (may be NULL: always synthesize) when it holds an
 * item, and items synthesized are stored there. */
void mq_render_set_cache(mq_render *r, mq_cache *cache);

/* The cache key of speech item I: SHA-256 over everything that shapes its
 * sound (reading, voice parameters, overrides, rate, engine and eSpeak NG
 * versions), as hex. Returns 0, or -1 when I is not a speech item. */
int mq_render_key(const mq_render *r, size_t i, char hex[MQ_HASH_HEX]);

/*
 * Synthesizes every speech item the cache does not hold, each in a fresh
 * child process, WORKERS at a time, storing the results in the cache. eSpeak
 * NG is not thread-safe and carries state from one voice to the next, so a
 * process per item is what makes parallel output equal serial output. With a
 * cache and no synthesizer of its own (mq_render_set_speech not called), a
 * renderer synthesizes every miss this way too. MQ_OK; MQ_EINVAL without a
 * cache; MQ_ESYNTH when a synthesis process failed; MQ_EINTERRUPTED.
 */
int mq_render_presynthesize(mq_render *r, int workers, mq_error *err);

/* As mq_render_presynthesize, but in the background: returns at once, and
 * an item the mix reaches before its synthesis is done waits for it (so
 * `play` starts as soon as its first item is ready). LEAVE_FIRST: the first
 * uncached speech item is left to this process's synthesizer (set it with
 * mq_render_set_speech after this call: the fork must come before eSpeak NG
 * starts) — a synthesizer's first item sounds exactly as in a fresh process,
 * and needs no process start. MQ_OK or MQ_ESYNTH. */
int mq_render_presynthesize_background(mq_render *r, int workers, int leave_first,
                                       mq_error *err);

/* Stops the background synthesis, if any (mq_render_free does it too). */
void mq_render_stop_background(mq_render *r);

typedef struct mq_render_stats {
    size_t synthesized;   /* speech items synthesized (here or by workers) */
    size_t cached;        /* speech items taken from the cache */
    size_t damaged;       /* damaged cache entries found (and re-synthesized) */
    size_t uncached;      /* items the cache could not keep, synthesized in this
                             process instead (a full disk, a folder in the way) */
    int workers;          /* processes used by mq_render_presynthesize */
} mq_render_stats;

const mq_render_stats *mq_render_get_stats(const mq_render *r);

/* The reading of item I (NULL for items that are not speech). */
const mq_reading *mq_render_reading(const mq_render *r, size_t i);

#endif
