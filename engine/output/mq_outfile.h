/*
 * mq_outfile.h — exporting audio files safely.
 *
 * The file is written under a temporary name in the destination's folder
 * (".NAME.XXXXXX") and renamed over the destination only by
 * mq_outfile_commit, after the data is complete and flushed to disk (the
 * disk is asked to start on it every few MB while it is written, so the
 * final fsync waits for little): a full
 * disk, a crash or Ctrl-C never leaves a partial file where the user expects a
 * finished one, and never damages an earlier file of the same name. Every
 * format below is written this way.
 *
 * Formats, chosen by PATH's extension (case-insensitive):
 *   .wav   PCM 16-bit, 24-bit or 32-bit float (mq_sample_format), with a
 *          Broadcast WAV `bext` chunk when metadata is given; RF64 when the
 *          caller announces more than 4 GB of audio (see expected_frames);
 *   .flac  FLAC, 16 or 24 bits (MQ_FLOAT_32 is written as 24 bits);
 *   .ogg   Ogg Vorbis, VBR quality 0.5 (about 160 kbit/s stereo at 48 kHz);
 *   .opus  Ogg Opus; only 8000, 12000, 16000, 24000 or 48000 Hz;
 *   .mp3   MPEG-1/2 Layer III (LAME through libsndfile); 1 or 2 channels,
 *          8000..48000 Hz at the standard MPEG rates.
 * The sample format is ignored by the lossy formats.
 */
#ifndef MQ_OUTFILE_H
#define MQ_OUTFILE_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include "../util/mq_error.h"

typedef struct mq_outfile mq_outfile;

typedef enum mq_sample_format {
    MQ_PCM_16,     /* default for WAV */
    MQ_PCM_24,
    MQ_FLOAT_32
} mq_sample_format;

/*
 * Metadata for an export. Strings are UTF-8 and may be NULL (= not written).
 * Loudness figures are as measured on the exported audio; NAN = unknown.
 * Start from MQ_OUTFILE_META_INIT so that fields not set are unknown rather
 * than 0 LUFS.
 *
 * WAV: a `bext` chunk (EBU Tech 3285 version 2) is written whenever META is
 * given: Description = title (truncated to 256 bytes at a UTF-8 character
 * boundary), Originator = originator (default "muqir", at most 32 bytes),
 * OriginationDate/Time = now in local time, or SOURCE_DATE_EPOCH (seconds
 * since 1970, in UTC) when that environment variable is set, for
 * reproducible files; the loudness fields in 1/100 units (LUFS, LU, dBTP),
 * 0x7FFF when unknown. The title also goes into the LIST/INFO INAM field.
 * Other formats: the title as their own title tag (Vorbis comment, ID3v2).
 */
typedef struct mq_outfile_meta {
    const char *title;
    const char *originator;  /* NULL = "muqir" */
    double loudness;         /* integrated loudness, LUFS; NAN = unknown */
    double true_peak;        /* maximum true peak, dBTP */
    double loudness_range;   /* LRA, LU */
    double max_momentary;    /* maximum momentary loudness, LUFS */
    double max_short_term;   /* maximum short-term loudness, LUFS */
    /* Frames the caller expects to write; 0 = unknown. A .wav export whose
     * audio data would pass 4 GB (48 kHz stereo: 3.1 hours of float, 4.1 h
     * of 24-bit, 6.2 h of 16-bit) is written as RF64 from the start, with
     * libsndfile's auto-downgrade so that it ends as a plain WAV if fewer
     * frames arrive after all. Without this hint a .wav stays plain WAV, and
     * mq_outfile_write refuses (MQ_EUNSUPPORTED) the write that would pass
     * 4 GB rather than produce a broken file. */
    size_t expected_frames;
} mq_outfile_meta;

/* The origination stamp a WAV export made now carries in its bext chunk:
 * DATE "YYYY-MM-DD" and TOD "HH:MM:SS", from SOURCE_DATE_EPOCH (UTC) when it
 * is set, else the local time now. MQ_OK, or MQ_EINPUT when SOURCE_DATE_EPOCH
 * is not a number of seconds. (mq_outcache restamps files it reuses.) */
#define MQ_STAMP_DATE 11
#define MQ_STAMP_TIME 9
int mq_outfile_stamp(char date[MQ_STAMP_DATE], char tod[MQ_STAMP_TIME], mq_error *err);

#define MQ_OUTFILE_META_INIT                                                   \
    { .title = NULL, .originator = NULL, .loudness = NAN, .true_peak = NAN,     \
      .loudness_range = NAN, .max_momentary = NAN, .max_short_term = NAN,      \
      .expected_frames = 0 }

/*
 * Opens PATH for writing audio at RATE Hz (8000..192000) with CHANNELS (1..8)
 * channels, without metadata (mq_outfile_open_meta with META = NULL).
 * MQ_OK; MQ_EUNSUPPORTED (unknown extension, naming it and the ones that work;
 * a rate or channel count the format cannot hold, saying what to use);
 * MQ_EIO (the folder cannot be written: message names the path and the
 * system's reason); MQ_EINVAL (rate or channels out of range);
 * MQ_ENOMEM.
 */
int mq_outfile_open(const char *path, int rate, int channels, mq_sample_format fmt,
                    mq_outfile **out, mq_error *err);

/*
 * As mq_outfile_open, and writes META (may be NULL) before any audio; see
 * mq_outfile_meta. Also MQ_EINPUT when SOURCE_DATE_EPOCH is set but is not a
 * number of seconds, and MQ_EIO when libsndfile refuses the metadata.
 */
int mq_outfile_open_meta(const char *path, int rate, int channels, mq_sample_format fmt,
                         const mq_outfile_meta *meta, mq_outfile **out, mq_error *err);

/* Replaces the loudness figures of the bext chunk written at open (WAV only;
 * other formats: nothing to do), after the audio — so they can be measured
 * on the very samples written. The title and date stay. MQ_OK or MQ_EIO. */
int mq_outfile_update_meta(mq_outfile *f, const mq_outfile_meta *meta, mq_error *err);

/* Writes FRAMES interleaved frames. MQ_OK, MQ_EIO (disk full, ...), or
 * MQ_EUNSUPPORTED when a plain .wav would pass 4 GB (see expected_frames). */
int mq_outfile_write(mq_outfile *f, const float *data, size_t frames, mq_error *err);

/* 1 when F holds 16-bit PCM (WAV or RF64), which mq_outfile_write_pcm16 takes. */
int mq_outfile_is_pcm16(const mq_outfile *f);

/* Writes FRAMES interleaved frames already converted by mq_float_to_pcm16:
 * the same bytes, checksum and errors as mq_outfile_write of the floats, with
 * the conversion done by the caller (an export converts on the thread that
 * applies the gain, and the writer's thread only writes). MQ_EINVAL when F
 * is not 16-bit. */
int mq_outfile_write_pcm16(mq_outfile *f, const short *data, size_t frames, mq_error *err);

/* Frames written so far. */
size_t mq_outfile_frames(const mq_outfile *f);

/* The XXH3-64 checksum of the audio bytes written so far, as the file's
 * `data` chunk holds them, and their count: 1 when F knows them (16-bit WAV
 * or RF64 on a little-endian machine), else 0. */
int mq_outfile_data_sum(const mq_outfile *f, uint64_t *sum, uint64_t *bytes);

/* The 16-bit samples a WAV holds for the N floats at X (full scale 1.0),
 * exactly as libsndfile 1.2 converts them with clipping on: x * 2^31 rounded
 * to nearest, its top 16 bits; +1.0 and above clip to 32767, -1.0 and below
 * (and NaN) to -32768. mq_outfile_write uses it for 16-bit WAV and RF64. */
void mq_float_to_pcm16(const float *x, short *out, size_t n);

/* The same for the floats X[i] * GAIN (each product rounded to a float
 * first): what mq_float_to_pcm16 gives for those products, without storing
 * them (the export's second pass: its gain and the conversion in one go). */
void mq_float_to_pcm16_gain(const float *x, float gain, short *out, size_t n);

/* Finishes the file and renames it into place; frees F whatever happens.
 * MQ_OK, or MQ_EIO with the temporary file removed. */
int mq_outfile_commit(mq_outfile *f, mq_error *err);

/* Abandons the export: removes the temporary file, frees F. F may be NULL. */
void mq_outfile_abort(mq_outfile *f);

/* The temporary file's path (for a signal handler that must remove it). */
const char *mq_outfile_temp_path(const mq_outfile *f);

#endif
