/*
 * mq_loudness.h — loudness metering and a true-peak limiter.
 *
 * Standards implemented:
 *   - ITU-R BS.1770-4: K-weighted loudness (LUFS/LKFS), gating, true peak
 *     (dBTP) by 4x oversampling. Measured here (mq_loudness.c says why not
 *     with libebur128, which the tests use as the reference).
 *   - EBU R128 (2020): -23 LUFS programme loudness, -1 dBTP maximum true peak.
 *   - EBU Tech 3341: momentary (400 ms), short-term (3 s) and integrated
 *     loudness, "EBU Mode" meters.
 *   - EBU Tech 3342: loudness range (LRA, in LU).
 *
 * Samples are 32-bit float, interleaved, nominally -1..1 (0 dBFS = 1.0).
 * Rates are in Hz and must be 8000..384000; channels 1..8. Channel weighting
 * follows libebur128's default map (BS.1770-4 table 3): 0 left, 1 right,
 * 2 centre, 3 unused (LFE), 4 left surround, 5 right surround, others unused.
 * A mono signal is measured as one channel (not dual mono), as ffmpeg's
 * ebur128 filter does by default: a mono tone reads 3 LU lower than the same
 * tone on both channels of a stereo signal.
 *
 * Nothing here prints or exits; errors are negative MQ_E* codes with a
 * message in the optional mq_error.
 */
#ifndef MQ_LOUDNESS_H
#define MQ_LOUDNESS_H

#include <stddef.h>
#include "../util/mq_error.h"

/* ---- meter: integrated, LRA, momentary, short-term, true peak ---- */

typedef struct mq_meter mq_meter;

/*
 * Creates a meter for RATE Hz (8000..384000) and CHANNELS (1..8) channels in
 * *OUT. MQ_OK; MQ_EINVAL (rate or channel count out of range, OUT NULL; *OUT
 * is then NULL); MQ_ENOMEM.
 */
int mq_meter_create(int rate, int channels, mq_meter **out, mq_error *err);

/* As mq_meter_create, measuring integrated loudness only (BS.1770 gating),
 * without the true-peak search. The other measures then return NAN (max_*
 * return -INFINITY). */
int mq_meter_create_integrated(int rate, int channels, mq_meter **out, mq_error *err);

/*
 * Adds N interleaved frames (FRAMES may be NULL when N is 0). The maxima of
 * momentary and short-term loudness are sampled every 100 ms of audio, counted
 * from the first frame, whatever the sizes of the calls. MQ_OK; MQ_EINVAL (M
 * NULL, or FRAMES NULL with N > 0); MQ_ENOMEM (the list of 100 ms
 * blocks could not grow; the frames of that call may be partly counted).
 */
int mq_meter_add(mq_meter *m, const float *frames, size_t n, mq_error *err);

/* Integrated (gated) loudness per BS.1770-4 / EBU Tech 3341, in LUFS;
 * -INFINITY when nothing is above the -70 LUFS absolute gate (silence);
 * NAN when M is NULL. Audio shorter than one 400 ms gating block, which
 * BS.1770 does not measure, is measured as one block of its own length
 * (mean square over all of it, same K-weighting and absolute gate). */
double mq_meter_integrated(mq_meter *m);

/* Maximum true peak per BS.1770-4 annex 2 (4x oversampling below 96 kHz, 2x
 * below 192 kHz, the sample peak at 192 kHz and above), the maximum over all
 * channels, in dBTP (dB relative to full scale 1.0); -INFINITY for digital
 * silence, +INFINITY when a sample was NaN or infinite; NAN when M is NULL. */
double mq_meter_true_peak(mq_meter *m);

/* Loudness range per EBU Tech 3342, in LU (>= 0); 0 when there is too little
 * audio to say (under about 3 s); NAN when M is NULL. */
double mq_meter_range(mq_meter *m);

/* Momentary loudness (the last four whole 100 ms blocks, ungated) in LUFS,
 * for a loudness curve; -INFINITY for silence; NAN when M is NULL or measures
 * integrated loudness only. Before 400 ms of audio the window is padded with
 * silence. */
double mq_meter_momentary(mq_meter *m);

/* Short-term loudness (the last 30 whole 100 ms blocks, ungated) in LUFS;
 * -INFINITY for silence; NAN as for momentary. Before 3 s of audio the window
 * is padded with silence. */
double mq_meter_short_term(mq_meter *m);

/* Largest momentary / short-term loudness seen at the 100 ms block boundaries
 * so far (EBU Tech 3341 "maximum momentary/short-term loudness"), in LUFS;
 * -INFINITY before the first 100 ms or for silence; NAN when M is NULL. */
double mq_meter_max_momentary(const mq_meter *m);
double mq_meter_max_short_term(const mq_meter *m);

/* Changes what M has measured as if every sample had been multiplied by
 * the gain GAIN_DB (dB): integrated, momentary, short-term, range, maxima and
 * true peak then describe the scaled signal (gating is applied afresh, so a
 * block that crosses the -70 LUFS gate counts as it would). For an export
 * that knows the limiter will not act: its output is the measured mix times
 * a gain. M may be NULL. */
void mq_meter_scale(mq_meter *m, double gain_db);

/* Frees M; M may be NULL. */
void mq_meter_free(mq_meter *m);

/* The channel count M was created with. */
int mq_meter_channels(const mq_meter *m);

/*
 * One-shot measure of N interleaved frames: integrated loudness in *LUFS
 * (LUFS, -INFINITY for silence) and maximum true peak in *DBTP (dBTP,
 * -INFINITY for silence); either pointer may be NULL. MQ_OK; MQ_EINVAL (bad
 * rate or channel count, FRAMES NULL with N > 0); MQ_ENOMEM. On failure the
 * outputs are left untouched.
 */
int mq_loudness_of(const float *frames, size_t n, int rate, int channels, double *lufs,
                   double *dbtp, mq_error *err);

/* ---- true-peak limiter ---- */

/*
 * A look-ahead limiter that keeps the true peak (BS.1770-4 annex 2, as
 * measured by libebur128) of its output at or below a ceiling, e.g. the
 * -1 dBTP of EBU R128. It follows loudness normalization, which alone can
 * push peaks over the ceiling.
 *
 * How it works (see mq_limiter.c): two polyphase FIR interpolators (4x;
 * one is exactly libebur128's 49-tap Hann-windowed sinc, so the limiter
 * detects the peaks the meter will report, the other a sharper 4 x 64-tap
 * Kaiser-windowed sinc) estimate the true peak around each sample; the gain
 * each sample needs is (ceiling - 0.1 dB) / peak; a sliding minimum over the
 * look-ahead window, an exponential release (100 ms time constant) and a 2 ms
 * moving average give a smooth gain that reaches its target before the peak
 * arrives and holds it until the peak has passed. The same gain is applied
 * to all channels (stereo image preserved). Output is the input delayed by
 * mq_limiter_latency frames; audio whose true peak stays 0.1 dB or more below
 * the ceiling passes bit-identical. Deterministic: the same input gives the
 * same output bytes, whatever the block sizes of the calls.
 */
typedef struct mq_limiter mq_limiter;

/*
 * Creates a limiter for RATE Hz (8000..384000), CHANNELS (1..8) and a ceiling
 * of CEILING_DBTP dBTP (-60..0, e.g. -1.0) in *OUT. All memory is allocated
 * here; processing never allocates. MQ_OK; MQ_EINVAL (out of range, OUT NULL;
 * *OUT is then NULL); MQ_ENOMEM.
 */
int mq_limiter_create(int rate, int channels, double ceiling_dbtp, mq_limiter **out,
                      mq_error *err);

/*
 * 1 when L would pass a whole stream untouched (bit-identical, delayed): its
 * true peak as mq_meter measures it is TRUE_PEAK (linear, not dB) and the
 * largest |sample| of its last MQ_LIMITER_TAIL frames is TAIL_PEAK, and
 * neither could bring the detector to the ceiling. A caller that knows both
 * (mq_export, from its measuring pass) may then skip the limiter. 0 when it
 * cannot be sure (and for NULL or NaN arguments).
 */
#define MQ_LIMITER_TAIL 64
int mq_limiter_transparent(const mq_limiter *l, double true_peak, double tail_peak);

/*
 * The level (linear) under which samples cannot make L act: when every
 * |sample| of a stretch, and of the MQ_LIMITER_REACH frames before it, stays
 * below it, no frame of the stretch needs a gain below 1, whatever else the
 * stream holds. It leaves room for the rounding of a float gain applied to
 * the samples (a relative 1e-4). 0 for NULL.
 */
#define MQ_LIMITER_REACH 63
double mq_limiter_quiet_level(const mq_limiter *l);

/* Makes L what mq_limiter_create made, but for mq_limiter_acted, which
 * stays as it was: a caller watching stretches of a stream one after
 * another (see mq_export) starts each from silence. Nothing for NULL. */
void mq_limiter_reset(mq_limiter *l);

/*
 * 1 once any frame L has processed (since it was created; flushing does not
 * clear it) needed a gain below 1: only then does its output differ from its
 * input delayed. 0 for NULL. An export that runs the limiter without
 * measuring its output learns this way whether the output is still the
 * measured input times the gain.
 */
int mq_limiter_acted(const mq_limiter *l);

/* The fixed delay of the limiter, in frames: 2 ms of look-ahead plus 63
 * frames of interpolation and hold — 159 at 48 kHz (3.3 ms), 151 at 44.1 kHz,
 * 79 at 8 kHz; 0 when L is NULL. */
size_t mq_limiter_latency(const mq_limiter *l);

/*
 * Limits N interleaved frames from IN into OUT (N frames, same channel
 * count). OUT is IN delayed by the latency: the first latency frames ever
 * produced are silence (zeros). IN and OUT may be the same buffer.
 * Non-finite input samples (NaN, infinity) are treated as 0. MQ_OK; MQ_EINVAL
 * (L NULL, or IN or OUT NULL with N > 0).
 */
int mq_limiter_process(mq_limiter *l, const float *in, float *out, size_t n,
                       mq_error *err);

/*
 * Emits the last latency frames still held in the limiter into OUT (room for
 * mq_limiter_latency frames) and sets *N_OUT to that count; after it, the
 * limiter is back in its initial state, ready for a new stream. In total,
 * process + flush give exactly as many frames as went in. MQ_OK; MQ_EINVAL
 * (an argument is NULL).
 */
int mq_limiter_flush(mq_limiter *l, float *out, size_t *n_out);

/*
 * Snapshots of the limiter's running state (what it holds of the signal:
 * interpolator history, gain deque, release, attack average, delay line),
 * so that a caller can go back and process the same stretch again with
 * different input — the live mixer re-mixing its queued future when a cue is
 * started (mq_player.h, cut-in). mq_limiter_state_size is the bytes a
 * snapshot takes (0 for NULL); save writes one into BUF, load restores L from
 * one saved by a limiter with the same rate, channels and ceiling. Restored,
 * L gives exactly the bytes it gave after the save, for the same input.
 * Neither allocates or fails.
 */
size_t mq_limiter_state_size(const mq_limiter *l);
void mq_limiter_save(const mq_limiter *l, void *buf);
void mq_limiter_load(mq_limiter *l, const void *buf);

/* Frees L; L may be NULL. */
void mq_limiter_free(mq_limiter *l);

#endif
