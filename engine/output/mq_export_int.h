/*
 * mq_export_int.h — what the export's files share (not public; see
 * mq_export.h). mq_export.c runs the passes; mq_export_watch.c notes the
 * peaks of the mix and watches, where they are loud, whether the true-peak
 * limiter would act.
 */
#ifndef MQ_EXPORT_INT_H
#define MQ_EXPORT_INT_H

#include <stddef.h>
#include "../audio/mq_loudness.h"
#include "../util/mq_error.h"

/* Frames a block: what the mixer makes at a time and each stage thread takes.
 * Every block costs each stage a hand-over (a lock, a wake-up, often a switch
 * of threads on a 2-core machine: 16,000 of them in a first render of the
 * benchmark bulletin at 16384 frames). First renders of the bulletin,
 * alternated 10 times (tools/bench-render): 65536 frames took 3.5 % less CPU
 * than 16384, 131072 another 3 %; 262144 was slower again (1 MB blocks fit
 * the caches better than 2 MB). */
#define MQ_EXPORT_BLOCK 131072

/* The watch judges the mix by the largest |sample| of each stretch of
 * MQ_WATCH_CHUNK frames. Blocks start on its multiples. */
#define MQ_WATCH_CHUNK 256
_Static_assert(MQ_EXPORT_BLOCK % MQ_WATCH_CHUNK == 0, "blocks start on a chunk");
_Static_assert(MQ_LIMITER_REACH < MQ_WATCH_CHUNK,
               "a chunk's detector reads back one chunk at most");

/* The largest |sample| of every MQ_WATCH_CHUNK frames of a stream, over all
 * channels; NaN for a chunk holding a NaN or an infinity. */
typedef struct mq_peaks {
    float *v;
    size_t n, cap;
    size_t fill;                /* frames counted in v[n - 1] */
} mq_peaks;

/* Notes the peaks of the next N frames (CHANNELS floats each). MQ_OK or
 * MQ_ENOMEM. */
int mq_peaks_note(mq_peaks *pk, const float *x, size_t n, int channels, mq_error *err);
void mq_peaks_free(mq_peaks *pk);

/* What mq_watch_stage returns, in a pass that stops when the limiter acts. */
#define MQ_WATCH_ACTED 1

/*
 * The limiter as a detector beside the writer: it limits stretches of each
 * block into a scratch buffer only to learn whether it acts, on the mix
 * times a gain (the blocks it is given are that already).
 */
typedef struct mq_watch {
    mq_limiter *lim;
    mq_peaks *peaks;            /* of the mix without the gain */
    int note;                   /* 1: note each block's peaks first (the first pass) */
    int go_on;                  /* 1: when it acts, say so in ACTED and go on (the
                                   first pass, whose meter needs every block); 0:
                                   return MQ_WATCH_ACTED */
    int channels;
    float quiet;                /* a chunk peak under this is quiet */
    float *scratch;             /* the output nobody reads */
    float *last;                /* the previous block's last chunk */
    size_t frame;               /* frames seen */
    int running;                /* the limiter has just seen the chunk before */
    int acted;
} mq_watch;

/* Sets W up to watch LIM (a fresh limiter, which W then uses) over blocks
 * of the mix times GAIN (linear, as the blocks are multiplied), with the mix's
 * peaks in PK. MQ_OK or MQ_ENOMEM (W then holds nothing to free). */
int mq_watch_init(mq_watch *w, mq_limiter *lim, int channels, mq_peaks *pk, float gain,
                  int note, int go_on, mq_error *err);

/* A pipe stage (mq_pipe.h) over the blocks, CTX an mq_watch. */
int mq_watch_stage(void *ctx, const float *buf, size_t n, mq_error *err);

/* After the last block: the frames past the end, then whether the limiter
 * acted anywhere (W->acted). MQ_OK or the limiter's error. */
int mq_watch_finish(mq_watch *w, mq_error *err);

void mq_watch_free(mq_watch *w);

#endif
