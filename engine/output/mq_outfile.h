/*
 * mq_outfile.h — exporting audio files safely.
 *
 * The file is written under a temporary name in the destination's folder
 * (".NAME.XXXXXX") and renamed over the destination only by
 * mq_outfile_commit, after the data is complete and flushed to disk: a full
 * disk, a crash or Ctrl-C never leaves a partial file where the user expects a
 * finished one, and never damages an earlier file of the same name.
 */
#ifndef MQ_OUTFILE_H
#define MQ_OUTFILE_H

#include <stddef.h>
#include "../util/mq_error.h"

typedef struct mq_outfile mq_outfile;

typedef enum mq_sample_format {
    MQ_PCM_16,     /* default for WAV */
    MQ_PCM_24,
    MQ_FLOAT_32
} mq_sample_format;

/*
 * Opens PATH for writing audio at RATE Hz with CHANNELS channels. The
 * container comes from PATH's extension; this build writes .wav. MQ_OK,
 * MQ_EUNSUPPORTED (unknown extension, naming it), MQ_EIO (the folder cannot be
 * written: message names the path and the system's reason), MQ_EINVAL.
 */
int mq_outfile_open(const char *path, int rate, int channels, mq_sample_format fmt,
                    mq_outfile **out, mq_error *err);

/* Writes FRAMES interleaved frames. MQ_OK or MQ_EIO (disk full, ...). */
int mq_outfile_write(mq_outfile *f, const float *data, size_t frames, mq_error *err);

/* Frames written so far. */
size_t mq_outfile_frames(const mq_outfile *f);

/* Finishes the file and renames it into place; frees F whatever happens.
 * MQ_OK, or MQ_EIO with the temporary file removed. */
int mq_outfile_commit(mq_outfile *f, mq_error *err);

/* Abandons the export: removes the temporary file, frees F. F may be NULL. */
void mq_outfile_abort(mq_outfile *f);

/* The temporary file's path (for a signal handler that must remove it). */
const char *mq_outfile_temp_path(const mq_outfile *f);

#endif
