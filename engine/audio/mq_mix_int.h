/*
 * mq_mix_int.h — what the mixer's files share (not public; see mq_mix.h).
 * mq_mix.c places items on the timeline; mq_mix_voice.c renders one sounding
 * item (a voice) into a block: its source, fades, gain and duck envelope.
 */
#ifndef MQ_MIX_INT_H
#define MQ_MIX_INT_H

#include "mq_clip.h"
#include "mq_mix.h"

enum { V_SPEECH, V_CLIP };

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
    /* audio file */
    mq_clip *clip;
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

#endif
