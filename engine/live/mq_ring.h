/*
 * mq_ring.h — a lock-free single-producer single-consumer ring of 16-bit
 * frames, the only thing the sound device's callback touches (design.md,
 * "Facts for live playback": a callback must not allocate, lock, print or do
 * I/O; it copies from a ring filled by another thread).
 *
 * One thread writes (the player's mixer thread), one thread reads (the
 * PortAudio callback). The two positions are C11 atomics that only grow
 * (64-bit frame counts, so they never wrap in practice); the capacity is a
 * power of two so a position maps to a slot with a mask. The writer publishes
 * its position with a release store after copying, the reader acquires it
 * before copying (and the same the other way round), so a reader never sees a
 * slot before its samples are written, and a writer never overwrites a slot
 * still being read. Neither side ever waits: a full ring writes fewer frames,
 * an empty one reads fewer.
 */
#ifndef MQ_RING_H
#define MQ_RING_H

#include <stddef.h>
#include <stdint.h>
#include "../util/mq_error.h"

typedef struct mq_ring mq_ring;

/*
 * Creates a ring of at least MIN_FRAMES frames (rounded up to a power of two)
 * of CHANNELS (1..8) interleaved int16 samples in *OUT. All memory is
 * allocated here. MQ_OK; MQ_EINVAL (MIN_FRAMES 0 or over 2^24, bad channel
 * count, OUT NULL); MQ_ENOMEM.
 */
int mq_ring_create(size_t min_frames, int channels, mq_ring **out, mq_error *err);
void mq_ring_free(mq_ring *r);

/* Capacity in frames (a power of two); 0 for NULL. */
size_t mq_ring_capacity(const mq_ring *r);

/* Producer side: copies up to N frames from SRC; returns the frames written
 * (fewer when the ring is full, never negative). */
size_t mq_ring_write(mq_ring *r, const int16_t *src, size_t n);
/* Frames the producer may write now. */
size_t mq_ring_writable(const mq_ring *r);

/* Consumer side: copies up to N frames into DST; returns the frames read
 * (fewer when the ring runs dry). Real-time safe: no allocation, no lock,
 * no system call. */
size_t mq_ring_read(mq_ring *r, int16_t *dst, size_t n);
/* Frames the consumer may read now. */
size_t mq_ring_readable(const mq_ring *r);

/* Frames written and read since creation (or the last reset); frames
 * skipped after mq_ring_drop count as read once the consumer has skipped them. */
uint64_t mq_ring_written(const mq_ring *r);
uint64_t mq_ring_read_count(const mq_ring *r);

/* Producer side: drops every frame written so far that the consumer has not
 * read (a player skipping to another item). The consumer skips them on its
 * next read, so the next frame it reads is the next one written; readable
 * is 0 at once. Lock-free like the rest: the consumer may be copying the
 * oldest of those frames at this moment, so their slots are free for writing
 * (mq_ring_writable) only after its next read. */
void mq_ring_drop(mq_ring *r);

/*
 * Producer side: takes back the frames written from frame TO on, so that they
 * can be written anew (the live mixer re-mixing its queued future when a cue
 * starts: mq_player.h, cut-in). Returns the written count after it: TO, or
 * later when the consumer has already read past TO (those frames are gone to
 * the device). Frames taken back stay in their slots until written over, so
 * a second call may name a later TO, up to the most written since the last
 * write. Lock-free for the consumer: it never waits; the producer waits, at
 * most for the one copy the consumer may be in the middle of.
 */
uint64_t mq_ring_rewind(mq_ring *r, uint64_t to);

/* The producer's "no more frames are coming" (set) or "more are coming
 * again" (cleared); a dry ring is an underrun only while it is clear. */
void mq_ring_set_eof(mq_ring *r, int eof);
int mq_ring_eof(const mq_ring *r);

/* Empties the ring and sets both counts to FRAME. Only while neither side is
 * running (e.g. the device is closed and the producer is parked). */
void mq_ring_reset(mq_ring *r, uint64_t frame);

#endif
