/*
 * mq_timeline.h — a picture of a rendered program (SVG): the items as
 * labelled blocks on a time axis, coloured by kind; beds in their own lane
 * with the ducked stretches shown; the mix's short-term loudness (EBU R128,
 * 3 s window) as a curve against the target.
 */
#ifndef MQ_TIMELINE_H
#define MQ_TIMELINE_H

#include "../audio/mq_mix.h"

typedef struct mq_curve {
    const double *lufs;   /* short-term loudness, one value per STEP seconds */
    size_t n;
    double step;          /* seconds */
    double target;        /* LUFS; NAN = none drawn */
} mq_curve;

/* Writes the SVG of MIX (after rendering) and CURVE (may be NULL) to PATH,
 * atomically. MQ_OK or MQ_EIO naming PATH. */
int mq_timeline_write_svg(const mq_mix *mix, const mq_program *program, const mq_curve *curve,
                          const char *path, mq_error *err);

#endif
