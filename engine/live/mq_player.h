/*
 * mq_player.h — a mixer thread that keeps the device's ring filled.
 *
 * The thread pulls blocks of float frames from a source (the program's
 * mixer for `play`, the cue engine for `live`), runs them through the
 * true-peak limiter with no gain (playback cannot know the programme's
 * loudness in advance; this is `render --loudness off`), converts them to
 * 16 bits exactly as the WAV export does, and writes them to the ring the
 * device callback reads. The limiter's delay is dropped at the start and its
 * tail flushed at the end, as mq_export does, so the frames handed to the
 * device are the frames `render --loudness off --bits 16` writes, and ring
 * frame K is source frame K.
 *
 * The thread keeps at most `ahead` frames queued: a deep queue rides out a
 * slow synthesis (play), a shallow one keeps GO quick (live). It polls every
 * millisecond when the queue is full (every `poll_ms` if set); it may block,
 * allocate and read files (it is not the real-time callback).
 *
 * A source that is already limited (a bundle's files, loudness-normalized
 * and true-peak limited when they were made) can skip the limiter
 * (`no_limiter`): its frames are converted to 16 bits the same way and
 * queued as they come, with no delay. mq_player_flush drops what is queued
 * and lets the source be moved (a player skipping to another item).
 */
#ifndef MQ_PLAYER_H
#define MQ_PLAYER_H

#include <stddef.h>
#include <stdint.h>
#include "../util/mq_error.h"
#include "mq_device.h"

/* Writes up to N frames for source frame FRAME onwards into OUT; returns the
 * frames written, 0 at the end, or a negative MQ_E* code with ERR set. Called
 * on the player's thread only. */
typedef long (*mq_source_fn)(void *user, float *out, size_t n, uint64_t frame, mq_error *err);

typedef struct mq_player_opts {
    mq_device_opts device;    /* rate and channels are the stream's */
    double ceiling_dbtp;      /* limiter ceiling, e.g. -1 */
    size_t ahead;             /* frames kept queued at most */
    size_t block;             /* frames per source call (<= ahead) */
    int no_limiter;           /* 1: no limiter (ceiling_dbtp unused), no delay */
    double poll_ms;           /* the thread's sleep when the queue is full, 0..500;
                                 0: 1 ms. Longer wakes the CPU less often (a deep
                                 queue of decoded files needs no millisecond polls) */
    /* Cut-in (live): with STATE_SIZE > 0 the thread saves the source's state
     * (SAVE), the limiter's and its own before each block, so that
     * mq_player_cut_in can take back the queued future and mix it again from
     * just ahead of the device. A deep queue then rides out stalls while a
     * GO still sounds within milliseconds. GUARD: frames ahead of the
     * device's read position that are never taken back (at least a device
     * buffer's worth: the callback may be copying them); 0: 2 x
     * device.frames_per_buffer, or 256. */
    size_t state_size;
    void (*save)(void *user, void *state);
    void (*load)(void *user, const void *state);
    size_t guard;
    int realtime;             /* 1: the thread asks for real-time scheduling
                                 (SCHED_FIFO) — a shallow queue (live) must not
                                 wait behind other work; without the right to it
                                 the thread runs as before (mq_player_realtime) */
} mq_player_opts;

typedef struct mq_player mq_player;

/*
 * Creates the ring and the limiter and starts the thread pulling from
 * SOURCE; the device is opened by mq_player_open_device. MQ_OK; MQ_EINVAL;
 * MQ_ENOMEM; MQ_EINTERNAL (the thread could not start).
 */
int mq_player_create(const mq_player_opts *opts, mq_source_fn source, void *user,
                     mq_player **out, mq_error *err);

/* Opens the device (see mq_device_open); MQ_OK or MQ_EDEVICE. The player
 * keeps working without one; mq_player_reopen tries again. */
int mq_player_open_device(mq_player *p, mq_error *err);
int mq_player_reopen(mq_player *p, mq_error *err);

/*
 * The mixer lock: the thread holds it while it saves state, calls the source
 * and queues one block; a control thread holds it to change the source's
 * state (the source needs no lock of its own). A priority-inheriting mutex,
 * so the real-time thread never waits long behind a preempted holder.
 */
void mq_player_lock(mq_player *p);
void mq_player_unlock(mq_player *p);

/*
 * With the lock held: takes back every queued frame from the first block
 * boundary at least `guard` frames past the device's read position, and
 * restores the source (LOAD), the limiter and the thread to their state at
 * that boundary; the caller then changes the source's state (a cue started)
 * and unlocks, and the thread mixes the future again with the change from
 * that frame on. Returns the source frame of that boundary: where the change
 * takes effect. When the queue does not reach past the guard (or there is no
 * cut-in), nothing is taken back and the change takes effect at the next
 * block: the source frame the thread mixes next is returned.
 */
uint64_t mq_player_cut_in(mq_player *p);

/*
 * With the lock held: the source state saved before the block the device is
 * playing now (NULL without cut-in, or when that block is no longer kept),
 * and that block's peak level (linear) in *PEAK when PEAK is not NULL. What a
 * status display shows: the queue is up to `ahead` frames ahead of it.
 */
const void *mq_player_heard(mq_player *p, float *peak);

/* MQ_OK, or the first error of the source (with its message) or of the
 * device (MQ_EDEVICE). */
int mq_player_check(mq_player *p, mq_error *err);

/* Frames queued in the ring; 1 once the source has ended (or failed). */
size_t mq_player_queued(const mq_player *p);
int mq_player_ended(const mq_player *p);
/* 1 once the source has ended and every frame was handed to the device. */
int mq_player_done(const mq_player *p);

/*
 * Drops every frame queued and not yet handed to the device, and parks the
 * thread; then calls SEEK(USER, FRAME) on the calling thread while the
 * source is not in use, so that it can be moved: FRAME is the ring frame its
 * next frame will be (mq_player_position's clock); then the thread goes on.
 * A source that had ended may go on again; a limiter starts afresh. The
 * device plays silence (not counted as an underrun) until the new frames
 * come. For one control thread; never from the source. SEEK may be NULL.
 */
void mq_player_flush(mq_player *p, void (*seek)(void *user, uint64_t frame), void *user);

/* The ring frame the device takes next (frames skipped by a flush counted):
 * with no limiter, or after its delay, source frame K is ring frame K. */
uint64_t mq_player_position(const mq_player *p);

/* The ring the device reads (tests read it in place of a device). */
mq_ring *mq_player_ring(mq_player *p);

void mq_player_pause(mq_player *p, int paused);
unsigned long mq_player_underruns(const mq_player *p);
/* 1 when the thread runs with real-time scheduling (asked for and granted). */
int mq_player_realtime(const mq_player *p);
/* Frames handed to the device so far. */
uint64_t mq_player_frames(const mq_player *p);
/* Peak level of the block playing now (with cut-in; without, the last block
 * queued), dBFS (-INFINITY for silence). Takes the lock. */
double mq_player_peak(const mq_player *p);
mq_device *mq_player_device(mq_player *p);

/* Stops the thread, lets the device play out what it holds, frees P. */
void mq_player_free(mq_player *p);

/* Float to 16 bits the way libsndfile 1.2 writes a 16-bit WAV: x * 32768
 * rounded down, clipped to -32768..32767 (checked against libsndfile in
 * test_live.c). */
void mq_player_to_s16(const float *in, int16_t *out, size_t n);

#endif
