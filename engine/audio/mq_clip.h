/*
 * mq_clip.h — streaming decode of an audio file (music, jingles, recorded
 * clips) into float frames at the rate and channel count the mix wants.
 *
 * Any file libsndfile 1.2 reads works: WAV/RF64, FLAC, Ogg Vorbis, Ogg Opus,
 * MP3, AIFF, ... The file is decoded block by block (a few thousand frames at
 * a time), so memory stays the same whatever the file's length.
 *
 * Rate conversion uses libsoxr's streaming resampler (very high quality,
 * single-threaded so the output is bit-for-bit reproducible). Its filter delay
 * is compensated and its tail flushed: the output is time-aligned with the
 * source (output frame k is source time k / RATE) and, read to the end from
 * position P, has exactly round((source_frames - P) * RATE / source_rate)
 * frames.
 *
 * Channel mapping (applied before resampling when it reduces channels, after
 * when it copies mono to stereo):
 *   mono -> stereo   the signal on both channels at the file's level (no pan
 *                    law: a mono voice sounds as loud as in the file);
 *   stereo -> mono   (L + R) / 2;
 *   3+ channels      ITU-R BS.775 down-mix to stereo:
 *                      L' = L + 0.7071 C + 0.7071 Ls,  R' = R + 0.7071 C + 0.7071 Rs,
 *                    LFE dropped, then (for mono) (L' + R') / 2. The channel
 *                    layout is the file's own when libsndfile reports one
 *                    (WAVE_FORMAT_EXTENSIBLE channel mask, CAF, AIFF), the
 *                    Vorbis order (L C R Ls Rs LFE ...) for Ogg Vorbis and
 *                    Opus, otherwise the WAV order by position:
 *                    L R C LFE Ls Rs, then side left/right for 7-8 channels.
 *                    Channels of unknown position (top, ambisonic) are dropped.
 *                    The matrix is then scaled by a fixed factor,
 *                    1 / (largest row sum), e.g. 1 / 2.414 (-7.66 dB) for 5.1,
 *                    so that no full-scale input can exceed full scale
 *                    ("peak-safe"). This gain is fixed per layout; the signal
 *                    is never measured or normalized.
 */
#ifndef MQ_CLIP_H
#define MQ_CLIP_H

#include <stddef.h>
#include "../util/mq_error.h"

typedef struct mq_clip mq_clip;

/*
 * Opens PATH for reading as RATE Hz (1000..384000), CHANNELS (1 or 2) float
 * frames, and checks that the file is complete. On success sets *OUT and
 * returns MQ_OK. Failures (*OUT = NULL):
 *   MQ_EINVAL   bad RATE or CHANNELS, NULL PATH or OUT;
 *   MQ_EIO      the file cannot be opened: message names the file and the
 *               system's reason ("music/x.ogg: cannot open: No such file ...");
 *   MQ_EINPUT   not audio, corrupt, truncated (a WAV whose data chunk is cut
 *               short, an Ogg stream without its end), unsupported or empty:
 *               message names the file and what was wrong, with libsndfile's
 *               words ("music/x.ogg: not a valid Ogg file (libsndfile: Format
 *               not recognised.)");
 *   MQ_ENOMEM   out of memory;
 *   MQ_EINTERNAL libsoxr refused its configuration.
 */
int mq_clip_open(const char *path, int rate, int channels, mq_clip **out, mq_error *err);

/* Closes the file and frees C. C may be NULL. */
void mq_clip_free(mq_clip *c);

/* Length of the source audio in seconds, or -1.0 when the file does not tell
 * (never the case for files that mq_clip_open accepted from the formats above). */
double mq_clip_duration(const mq_clip *c);

/* The file's own sample rate (Hz) and channel count (1..N). */
int mq_clip_source_rate(const mq_clip *c);
int mq_clip_source_channels(const mq_clip *c);

/* The output rate (Hz) and channel count (1..2) given to mq_clip_open. */
int mq_clip_rate(const mq_clip *c);
int mq_clip_channels(const mq_clip *c);

/*
 * Positions the next read at SECONDS (>= 0) into the source, rounded to the
 * nearest source frame; the resampler restarts there, so the output is
 * aligned with that point. Seeking to exactly the end is allowed (the next
 * read returns 0). MQ_OK; MQ_EINVAL (negative or not a number); MQ_EINPUT
 * (beyond the end of the file, or the file cannot seek there: message names
 * the file and both times); MQ_EIO.
 */
int mq_clip_seek(mq_clip *c, double seconds, mq_error *err);

/*
 * Reads up to N frames (N * channels floats) at the output rate and channel
 * count into BUF. Returns the number of frames read — fewer than N only at
 * the end, 0 once the end has been reached — or a negative code with ERR set:
 * MQ_EINPUT when the file turns out to be damaged or truncated (libsndfile
 * reports an error, or the audio ends before the length its header states;
 * the message names the file and where it ended), MQ_EINTERNAL when libsoxr
 * fails. After an error the clip stays at the end.
 */
long mq_clip_read(mq_clip *c, float *buf, size_t n, mq_error *err);

#endif
