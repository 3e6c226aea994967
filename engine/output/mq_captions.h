/*
 * mq_captions.h — captions and cue sheets of a finished mix.
 *
 * SRT (SubRip: numbered cues, times HH:MM:SS,mmm), LRC (lyrics: [mm:ss.xx]
 * per line) with one caption per spoken sentence, its real start and end in
 * the mix; CUE sheets with one track per program item (times MM:SS:FF, 75
 * frames a second). Each file is written to a temporary name and renamed
 * when complete, like the audio.
 */
#ifndef MQ_CAPTIONS_H
#define MQ_CAPTIONS_H

#include "../audio/mq_mix.h"

/* Writes the captions of MIX (after it has been rendered) to PATH. MQ_OK or
 * MQ_EIO naming PATH. */
int mq_captions_write_srt(const mq_mix *mix, const char *path, mq_error *err);
int mq_captions_write_lrc(const mq_mix *mix, const char *title, const char *path, mq_error *err);

/* Writes a cue sheet for AUDIO (the exported file, named relative to the
 * sheet) with one track per item of PROGRAM. MQ_OK or MQ_EIO. */
int mq_captions_write_cue(const mq_mix *mix, const mq_program *program, const char *audio,
                          const char *path, mq_error *err);

#endif
