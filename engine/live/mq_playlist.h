/*
 * mq_playlist.h — audio files played one after another: the source an
 * mq_player pulls from when `muqir play` plays a bundle.
 *
 * One file is open at a time and decoded block by block (mq_clip:
 * libsndfile, and libsoxr when a file's rate differs from the output's), so
 * memory stays small whatever the files' lengths. A file at another rate or
 * channel count than the output is converted (mq_clip's channel mapping:
 * mono on both channels, stereo averaged to mono, 5.1 down-mixed).
 *
 * A file that cannot be opened or turns out damaged is skipped: its error is
 * kept (the message names the file) and the next file follows at once. The
 * player's thread calls mq_playlist_read; another thread may ask where each
 * item started and which failed (the queries below are thread-safe); the
 * source is moved with mq_playlist_goto only while the player's thread is
 * parked (inside mq_player_flush's seek) or before it starts.
 */
#ifndef MQ_PLAYLIST_H
#define MQ_PLAYLIST_H

#include <stddef.h>
#include <stdint.h>
#include "../util/mq_error.h"

#define MQ_PLAYLIST_NEVER UINT64_MAX

typedef struct mq_playlist mq_playlist;

/*
 * A playlist of the N files PATHS (copied) decoded to RATE Hz and CHANNELS
 * (1 or 2). RATE 0: the rate and channel count (2 at most) of the first file
 * libsndfile can open (48000 Hz stereo when none can); CHANNELS is then
 * ignored. Files are not opened otherwise until they are played. MQ_OK;
 * MQ_EINVAL (N 0, a NULL path, a rate outside 1000..384000 or channels not
 * 1 or 2); MQ_ENOMEM.
 */
int mq_playlist_create(const char *const *paths, size_t n, int rate, int channels,
                       mq_playlist **out, mq_error *err);
void mq_playlist_free(mq_playlist *pl);

int mq_playlist_rate(const mq_playlist *pl);
int mq_playlist_channels(const mq_playlist *pl);
size_t mq_playlist_count(const mq_playlist *pl);

/* An mq_source_fn (USER: the playlist): up to N frames into OUT, FRAME being
 * the output frame of OUT's first; 0 after the last file. Never fails: a bad
 * file is skipped (see mq_playlist_error). */
long mq_playlist_read(void *user, float *out, size_t n, uint64_t frame, mq_error *err);

/* The next read starts item ITEM from its beginning (ITEM >= count: the end)
 * at output frame FRAME (mq_player_flush's: what was queued before FRAME was
 * dropped, so no item that started before it sounds from FRAME on). Not
 * while mq_playlist_read may run (see above). */
void mq_playlist_goto(mq_playlist *pl, size_t item, uint64_t frame);

/* The output frame of item I's first frame the last time it started, or
 * MQ_PLAYLIST_NEVER. */
uint64_t mq_playlist_started(const mq_playlist *pl, size_t i);
/* The item sounding at output frame POS: the one that started last at or
 * before POS, and not before the last goto's FRAME when POS is past it; -1
 * when none (before the first, or after a goto to the end). */
long mq_playlist_at(const mq_playlist *pl, uint64_t pos);

/* Files that failed so far (grows; never counts a file twice). */
size_t mq_playlist_errors(const mq_playlist *pl);
/* Item I's error (MQ_EIO cannot be read, MQ_EINPUT not audio or damaged,
 * ...) with its message in ERR, or MQ_OK when it has not failed. */
int mq_playlist_error(const mq_playlist *pl, size_t i, mq_error *err);

#endif
