/*
 * mq_cues.h — a program's items prepared as live cues: each item mixed on
 * its own (mq_mix_env.first/count: the item alone from time 0, with its
 * fades, bed and level balance) into memory before the session opens, so GO
 * never waits for synthesis or decoding (design.md, "Facts for live
 * playback": everything preloaded).
 *
 * The audio lives in one unlinked temporary file mapped into memory: the
 * page cache holds it like RAM while there is room, and a long show does not
 * pin gigabytes. The pages of a cue's first second are touched again at GO
 * (mq_cues_touch) so they are resident before the mixer reaches them.
 */
#ifndef MQ_CUES_H
#define MQ_CUES_H

#include <stddef.h>
#include "../audio/mq_mix.h"

typedef struct mq_cue {
    char label[96];           /* the item's name, or its kind and first words */
    size_t item;              /* index in the program */
    const float *data;        /* interleaved frames at the mix's rate and channels */
    size_t frames;
    int follow_auto;          /* starts by itself when the previous cue ends */
} mq_cue;

typedef struct mq_cues mq_cues;

/* Progress while preparing: cue I of N is being mixed. Non-zero stops. */
typedef int (*mq_cues_progress_fn)(void *user, size_t i, size_t n);

/*
 * Mixes every item of BASE->program alone (BASE's first/count are
 * ignored) into *OUT. MQ_OK; MQ_EINPUT (an audio file does not decode: the
 * message is its FILE:LINE:COLUMN diagnostic); MQ_EIO (the temporary file in
 * $TMPDIR or /tmp could not be written); MQ_ENOMEM; MQ_EINTERRUPTED (*stop
 * or PROGRESS); or the mixer's errors (MQ_ESYNTH ...).
 */
int mq_cues_prepare(const mq_mix_env *base, mq_cues_progress_fn progress, void *user,
                    mq_cues **out, mq_error *err);

size_t mq_cues_count(const mq_cues *c);
/* 1 when the cues' audio is locked in memory (see mq_cues.c: up to 512 MB,
 * where the system allows it); they are always mapped in full beforehand. */
int mq_cues_locked(const mq_cues *c);
/* Cue I, or NULL past the end. */
const mq_cue *mq_cues_get(const mq_cues *c, size_t i);
int mq_cues_rate(const mq_cues *c);
int mq_cues_channels(const mq_cues *c);
/* Reads a byte of every page of cue I's first SECONDS, so they are resident. */
void mq_cues_touch(const mq_cues *c, size_t i, double seconds);
void mq_cues_free(mq_cues *c);

#endif
