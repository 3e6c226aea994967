/*
 * mq_mix.h — the timeline: a program's items placed in time and mixed, block
 * by block, into one stream.
 *
 * Items follow one another; `overlap` starts an item that many seconds before
 * the previous one ends, with an equal-power crossfade (sin/cos, so the summed
 * power stays constant). `start`/`length` trim audio files; `fade_in` and
 * `fade_out` shape an item (music has short default fades, clips none);
 * `gain` is added last. A `bed` plays under a speech item: it starts
 * MQ_BED_LEAD seconds before the speech at full level, is ducked by `duck` dB
 * while speech sounds (the ramp down ends just before the first syllable, the
 * release follows the last), continues MQ_BED_TAIL seconds after and fades
 * out; it loops when shorter than the speech.
 *
 * Level balance: before mixing, every speech item is brought to
 * MQ_SPEECH_LUFS and every music, clip and bed to MQ_MUSIC_LUFS (measured
 * with BS.1770 over the part that plays), so an announcement is never buried
 * under a loud song or blasting after a quiet one. The programme loudness
 * target is applied afterwards, to the whole mix (mq_export).
 *
 * Memory does not grow with the program: audio files are streamed; a speech
 * item is held (mono) only while it sounds. The exception is bounded: a looped
 * bed whose pass lasts at most a minute is decoded once and kept for the life
 * of the mix (64 MB at most), so it is not decoded again on every loop and
 * every item; it plays exactly the frames streaming would.
 */
#ifndef MQ_MIX_H
#define MQ_MIX_H

#include <signal.h>
#include <stddef.h>
#include "../program/mq_program.h"
#include "../util/mq_error.h"
#include "mq_audio.h"

#define MQ_SPEECH_LUFS (-23.0)   /* level speech items are brought to, LUFS */
#define MQ_MUSIC_LUFS  (-25.0)   /* music, clips and beds: a little under speech */
#define MQ_BED_LEAD    1.5       /* seconds of bed before the speech */
#define MQ_BED_TAIL    2.0       /* seconds of bed after the speech (fading out) */
#define MQ_DUCK_DB     (-14.0)   /* default duck: ~20% of the bed remains */
#define MQ_MUSIC_FADE_IN  0.5    /* default fades of music items, seconds */
#define MQ_MUSIC_FADE_OUT 1.5

/* Speech comes from the caller: it appends item I's speech (mono, at the
 * mix's rate) to OUT and reports each sentence with its place in OUT through
 * ON_SENTENCE. Returns MQ_OK or a negative MQ_E* code with ERR set. */
typedef int (*mq_sentence_fn)(void *user, const char *text, size_t start, size_t end);
typedef int (*mq_speak_fn)(void *ctx, size_t item, mq_buf *out, mq_sentence_fn on_sentence,
                           void *user, mq_error *err);

/* Optional: the BS.1770 loudness (LUFS, mono) of the speech SPEAK last gave
 * for item I, when the speech source already knows it (measured once, when
 * synthesized); NAN when it does not, and the mixer measures. */
typedef double (*mq_speech_loudness_fn)(void *ctx, size_t item);

typedef struct mq_mix_env {
    const mq_program *program;
    mq_speak_fn speak;        /* renders speech items */
    void *speak_ctx;
    mq_speech_loudness_fn loudness;   /* may be NULL */
    int rate;                 /* Hz */
    int channels;             /* 1 or 2 */
    int balance;              /* 1: level-balance items (the default); 0: as they are */
    volatile sig_atomic_t *stop;  /* polled; non-zero stops with MQ_EINTERRUPTED */
    /* Mix only items FIRST .. FIRST + COUNT - 1 (COUNT 0: to the end), the
     * first of them starting at time 0 — one cue of a live show, say. A
     * crossfade into FIRST from an item outside the range is ignored. */
    size_t first, count;
} mq_mix_env;

/* Where an item sits in the mix, known once the mix has reached it. */
typedef struct mq_mix_item {
    double start, length;     /* seconds on the timeline */
    double speech_start, speech_end;  /* speech items: where the voice is */
    double gain_db;           /* level balance + the item's gain */
    double loudness;          /* measured before balancing, LUFS (-inf: silent) */
    int reached;              /* 1 once placed */
} mq_mix_item;

/* One spoken sentence, for captions. */
typedef struct mq_caption {
    const char *text;
    double start, end;        /* seconds on the timeline */
    size_t item;
} mq_caption;

/* A stretch where a bed is ducked (for the timeline picture). */
typedef struct mq_duck_span {
    double start, end;        /* seconds, the ducked level held between them */
    size_t item;
} mq_duck_span;

typedef struct mq_mix mq_mix;

/*
 * Opens every audio file of the program (music, clips, beds) to check it
 * decodes; problems go to DIAGS as FILE:LINE:COLUMN: message naming the file.
 * MQ_OK, MQ_EINPUT (DIAGS filled), MQ_ENOMEM.
 */
int mq_mix_create(const mq_mix_env *env, mq_mix **out, mq_diags *diags, mq_error *err);
void mq_mix_free(mq_mix *m);

/* Mixes the next frames: up to N frames into OUT (interleaved, the env's
 * channels). Returns the number written, 0 at the end, or a negative MQ_E*
 * code with ERR set (MQ_EINTERRUPTED when *env->stop was set). */
long mq_mix_read(mq_mix *m, float *out, size_t n, mq_error *err);

size_t mq_mix_items(const mq_mix *m);
const mq_mix_item *mq_mix_item_info(const mq_mix *m, size_t i);
size_t mq_mix_captions(const mq_mix *m);
const mq_caption *mq_mix_caption(const mq_mix *m, size_t i);
size_t mq_mix_ducks(const mq_mix *m);
const mq_duck_span *mq_mix_duck(const mq_mix *m, size_t i);
/* The mix's sample rate (Hz) and channel count. */
int mq_mix_rate(const mq_mix *m);
int mq_mix_channels(const mq_mix *m);
/* Frames mixed so far, and the index of the item being prepared. */
size_t mq_mix_position(const mq_mix *m);
size_t mq_mix_current_item(const mq_mix *m);

#endif
