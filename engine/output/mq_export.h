/*
 * mq_export.h — a mix exported as a broadcast file: programme loudness
 * measured and reached (EBU R128 / ITU-R BS.1770), true peak held under the
 * ceiling by a limiter that follows the gain, written atomically.
 *
 * Two passes: (1) the mix is rendered once into a temporary float file
 * beside the output while it is measured (loudness, range, true peak); (2)
 * the gain to the target and the true-peak limiter are applied as the file is
 * written. For as long as the limiter does not act, the output is the
 * measured mix times the gain, and its figures are pass 1's shifted by it;
 * so pass 2 first runs without a meter, and only if the limiter acts does it
 * start again, measuring the output on the way — the figures the WAV's `bext`
 * chunk carries, filled in before the file is closed. When pass 1 proves the
 * limiter would not act (mq_limiter_transparent), pass 2 applies the gain
 * alone. Each pass runs as a pipe (mq_pipe.h): the mix or the limiter, the
 * meter and the writer on threads of their own.
 * Memory stays constant whatever the program's length.
 */
#ifndef MQ_EXPORT_H
#define MQ_EXPORT_H

#include <math.h>
#include <stdint.h>
#include "../audio/mq_mix.h"
#include "mq_outfile.h"

/* Reports progress: PASS 1 (rendering; the fraction 0..1 is by items placed)
 * or 2 (writing). Return non-zero to stop. */
typedef int (*mq_progress_fn)(void *user, int pass, double fraction);

typedef struct mq_export_opts {
    const char *path;           /* the output; its extension picks the format */
    mq_sample_format format;    /* WAV sample format */
    double loudness;            /* target LUFS; NAN = no normalization */
    double true_peak;           /* ceiling dBTP (e.g. -1) */
    const char *title;          /* for the file's metadata */
    double curve_step;          /* > 0: record the short-term loudness every this
                                   many seconds into the report (for a timeline) */
    mq_progress_fn progress;    /* may be NULL */
    void *user;
} mq_export_opts;

typedef struct mq_export_report {
    double mix_loudness;        /* LUFS of the mix before normalization */
    double gain_db;             /* gain applied to reach the target */
    double loudness;            /* LUFS of the file written */
    double true_peak;           /* dBTP of the file written */
    double loudness_range;      /* LU */
    size_t frames;              /* frames written */
    double *curve;              /* short-term loudness, LUFS, every curve_step s of the
                                   output (free() it); NULL unless asked for */
    size_t ncurve;
    int data_summed;            /* 1: the file's data chunk is data_bytes bytes whose
                                   XXH3-64 is data_sum (mq_outfile_data_sum) */
    uint64_t data_sum, data_bytes;
} mq_export_report;

/*
 * Renders MIX (from its start) into OPTS->path. MQ_OK and REPORT filled;
 * MQ_EIO (disk full, unwritable folder: the message names the file),
 * MQ_EUNSUPPORTED (format), MQ_EINTERRUPTED, or the mixer's errors. On any
 * failure no output file appears and an earlier file of that name is intact.
 */
int mq_export(mq_mix *mix, const mq_export_opts *opts, mq_export_report *report,
              mq_error *err);

#endif
