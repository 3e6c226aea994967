/*
 * mq_mix_int.h — what the mixer's files share (not public; see mq_mix.h).
 * mq_mix.c places items on the timeline; mq_mix_voice.c renders one sounding
 * item (a voice) into a block: its source, fades, gain and duck envelope;
 * mq_mix_memo.c keeps looped beds decoded in memory.
 */
#ifndef MQ_MIX_INT_H
#define MQ_MIX_INT_H

#include "mq_clip.h"
#include "mq_mix.h"

enum { V_SPEECH, V_CLIP };

/* One pass of a looped audio file (its trimmed part), decoded at the mix's
 * rate and channels, kept for the life of the mix. */
typedef struct mq_memo {
    char *path;
    double start;               /* trim start, seconds */
    long long len;              /* frames asked for: the voice's clip_len */
    float *data;                /* FRAMES x channels */
    long long frames;           /* frames the file gave (fewer when it ended early) */
    double lufs;                /* BS.1770 loudness of DATA; -INFINITY when not measured */
    struct mq_memo *next;
} mq_memo;

typedef struct mq_memos {
    mq_memo *head;
    size_t bytes, budget;       /* in use, allowed */
    size_t decodes;             /* passes decoded from files, memo or not (for tests) */
} mq_memos;

/* A pass may be kept when it lasts at most MQ_MEMO_SECONDS and all the mix's
 * memos fit in MQ_MEMO_BUDGET bytes: a few minutes of stereo at 48 kHz. */
#define MQ_MEMO_SECONDS 60.0
#define MQ_MEMO_BUDGET ((size_t)64 << 20)

/* The memo of PATH's pass from START seconds, LEN frames, decoding it from C
 * (open on PATH at the mix's rate and channels; its position is then
 * undefined) on first use, measured when MEASURE. NULL when the pass is too
 * long, over budget, or could not be decoded: the caller then streams, and
 * meets any error where it always did. */
const mq_memo *mq_memo_get(mq_memos *ms, mq_clip *c, const char *path, double start,
                           long long len, int measure);
void mq_memos_free(mq_memos *ms);

/* BS.1770 integrated loudness of LEN frames at RATE, CHANNELS: from MEM when
 * not NULL, else read from C's position. Fed to the meter in the same blocks
 * either way, so both give the same figure. */
int mq_pass_loudness(int rate, int channels, mq_clip *c, const float *mem, long long len,
                     double *lufs, mq_error *err);

/* A breakpoint of a duck envelope: at FRAME (from the voice's start) the
 * bed's level is DB; levels between breakpoints are interpolated in dB. */
typedef struct mq_duck_pt {
    long long frame;
    double db;
} mq_duck_pt;

typedef struct mq_voice {
    int used, kind;
    size_t item;
    long long t0, len;          /* timeline start and length, frames */
    /* speech */
    mq_buf speech;              /* mono */
    long long speech_off;       /* where the speech starts inside the voice */
    /* audio file: streamed from CLIP, or played from MEMO (then CLIP is NULL) */
    mq_clip *clip;
    const mq_memo *memo;        /* owned by the mix */
    size_t *decodes;            /* the mix's count of passes decoded */
    double clip_start;          /* trim start, seconds; loops seek back here */
    long long clip_len;         /* frames per pass through the file */
    long long clip_pos;         /* frames read in this pass */
    int loop;
    /* envelope */
    float gain;                 /* linear */
    long long fade_in, fade_out;   /* frames; equal-power (sine) shapes */
    mq_duck_pt *duck;
    size_t nduck;
} mq_voice;

/* Adds voice V's frames [from, from + n) of the timeline into OUT
 * (interleaved, CHANNELS), SCRATCH holds n * channels floats. MQ_OK or an error. */
int mq_voice_mix(mq_voice *v, long long from, size_t n, int channels, float *out,
                 float *scratch, mq_error *err);
void mq_voice_release(mq_voice *v);

/* For tests: the memo budget of M in bytes from now on (0: every file
 * streams, as before the memo existed), and how many passes of audio files M
 * has decoded from the files (measuring counts as a pass; a memo is one). */
void mq_mix_set_memo_budget(mq_mix *m, size_t bytes);
size_t mq_mix_file_decodes(const mq_mix *m);

#endif
