/*
 * mq_speech.h — speech synthesis with eSpeak NG (libespeak-ng, synchronous mode).
 *
 * Input is always pinyin with tone digits (the reading the text stage made),
 * spoken with eSpeak NG's cmn-latn-pinyin voice: its `cmn` voice reads Chinese
 * characters through English letter rules in 1.51 (design.md). Output is mono
 * float samples in -1..1 at mq_speech_rate() Hz (22050 for eSpeak NG).
 *
 * eSpeak NG keeps global state and is not thread-safe: a process holds at
 * most one mq_speech at a time (a second mq_speech_create fails).
 */
#ifndef MQ_SPEECH_H
#define MQ_SPEECH_H

#include <stddef.h>
#include "../util/mq_error.h"
#include "mq_voice.h"

typedef struct mq_speech mq_speech;

/* Starts eSpeak NG. DATA_PATH is its data folder, or NULL for the built-in
 * default; it counts only the first time in a process (eSpeak NG is
 * initialized once and shut down at exit: 1.51 hangs when re-initialized). MQ_OK; MQ_ESYNTH when its data or the Mandarin voice is missing;
 * MQ_EINVAL when another mq_speech is alive. */
int mq_speech_create(const char *data_path, mq_speech **out, mq_error *err);
void mq_speech_free(mq_speech *sp);

/* Sample rate of the synthesized audio, Hz. */
int mq_speech_rate(const mq_speech *sp);

/* eSpeak NG's version string, e.g. "1.51". */
const char *mq_speech_version(const mq_speech *sp);

/* The same without starting the synthesizer (for cache keys). */
const char *mq_speech_engine_version(void);

/* Per-call overrides of a preset; a field <= 0 keeps the preset's value. */
typedef struct mq_speech_params {
    int rate;    /* words per minute */
    int pitch;   /* 0..100 */
} mq_speech_params;

/* Forgets the voice last selected once anything has been spoken with it,
 * so the next phrase selects it afresh: an item then sounds the same
 * whatever was spoken before it (in this process or in a synthesis worker).
 * A voice selected and not yet used is kept: selecting it again would give
 * the same state (mq_speech_select). */
void mq_speech_reset(mq_speech *sp);

/* Selects V's voice now, as speaking with it would: a process forked from
 * this one before it speaks (a synthesis worker) then starts with it
 * selected, as if it had selected it itself. MQ_OK; MQ_ESYNTH when eSpeak
 * NG has no such voice; MQ_EINVAL. */
int mq_speech_select(mq_speech *sp, const mq_voice *v, mq_error *err);

/*
 * Speaks one phrase: PINYIN is syllables with tone digits separated by spaces
 * ("ge4 wei4 xiang1 qin1"); END is the punctuation that closes it ('.', ',',
 * '?', '!') and shapes eSpeak NG's phrase-final intonation. Leading and
 * trailing silence is trimmed, so the caller owns every pause. *X points at
 * the *N samples where eSpeak NG's output was gathered, valid until SP
 * speaks again or is freed: a caller uses each phrase at once, and none
 * copies it out. MQ_OK, MQ_ESYNTH, MQ_ENOMEM.
 */
int mq_speech_phrase(mq_speech *sp, const mq_voice *v, const mq_speech_params *par,
                     const char *pinyin, char end, const float **x, size_t *n, mq_error *err);

/*
 * Writes into OUT the phoneme mnemonics eSpeak NG synthesizes for PINYIN
 * (as `espeak-ng -x` prints them), clauses separated by spaces. MQ_OK, or
 * MQ_ESYNTH; OUT is always NUL-terminated.
 */
int mq_speech_phonemes(mq_speech *sp, const mq_voice *v, const char *pinyin,
                       char *out, size_t size, mq_error *err);

#endif
