/*
 * mq_pipe.h — one producer handing blocks of floats, in order, to up to
 * MQ_PIPE_MAX_STAGES consumers, each on a thread of its own.
 *
 * An export is a chain of stages over the same blocks: the mix or the
 * limiter makes a block, the meter measures it, the writer converts and
 * writes it. Run one after another they keep one core busy and leave the
 * other idle; here the producer goes on with the next block while the
 * consumers work on the earlier ones, in a circle of MQ_PIPE_SLOTS buffers.
 *
 * Every consumer sees every block exactly once and in order, so the results
 * are those of calling the stages one after another (deterministic output).
 * The threads live for the whole pipe: creating one per block cost more than
 * some blocks' work. When a thread cannot be started the pipe runs that
 * consumer in the producer's thread, with the same results.
 *
 * The producer may fork (the mixer starts a synthesis process for speech
 * nobody has made yet): a fork anywhere in the process waits until no stage
 * is in the middle of a block (pthread_atfork), so a child never starts with
 * a lock a stage thread held.
 */
#ifndef MQ_PIPE_H
#define MQ_PIPE_H
#include <stddef.h>
#include "mq_error.h"

#define MQ_PIPE_MAX_STAGES 4
#define MQ_PIPE_SLOTS 6

/* Takes FRAMES frames at BUF (valid only during the call). MQ_OK, or any
 * other code (an MQ_E* code with ERR set, or one of the caller's own): the
 * pipe then stops and reports it. */
typedef int (*mq_pipe_fn)(void *ctx, const float *buf, size_t frames, mq_error *err);

typedef struct mq_pipe mq_pipe;

/*
 * A pipe of blocks of at most FRAMES frames of CHANNELS floats, consumed by
 * the N stages FN[i](CTX[i], ...). MQ_OK; MQ_EINVAL (N outside 1..
 * MQ_PIPE_MAX_STAGES, FRAMES or CHANNELS 0); MQ_ENOMEM.
 */
int mq_pipe_create(size_t frames, int channels, size_t n, const mq_pipe_fn *fn,
                   void *const *ctx, mq_pipe **out, mq_error *err);

/*
 * The next buffer to fill (room for the pipe's FRAMES frames), waiting while
 * every slot is still being consumed. NULL when a stage has failed: the
 * producer stops and mq_pipe_finish reports the failure.
 */
float *mq_pipe_slot(mq_pipe *p);

/* Hands the slot mq_pipe_slot gave, holding FRAMES frames, to the stages.
 * MQ_OK, or the first stage failure so far (ERR set). */
int mq_pipe_put(mq_pipe *p, size_t frames, mq_error *err);

/*
 * Waits until every stage has consumed every block put, and stops the
 * threads. MQ_OK or the first stage failure (ERR set). The pipe can be
 * freed afterwards; it cannot take more blocks.
 */
int mq_pipe_finish(mq_pipe *p, mq_error *err);

/* Stops the threads without waiting for the queued blocks (a failure
 * elsewhere), and frees the pipe. NULL is a no-op. */
void mq_pipe_free(mq_pipe *p);

/* The producer's last call: with RC MQ_OK, finishes P (mq_pipe_finish) and
 * returns the stages' failure or MQ_OK; with any other RC, stops P without
 * waiting and returns RC. Frees P either way; P NULL returns RC. */
int mq_pipe_close(mq_pipe *p, int rc, mq_error *err);

#endif
