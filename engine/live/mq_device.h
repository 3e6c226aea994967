/*
 * mq_device.h — the sound device: PortAudio output fed from an mq_ring.
 *
 * The stream's callback only copies 16-bit frames out of the ring (design.md,
 * "Facts for live playback"): no allocation, no lock, no I/O, no printing.
 * It counts underruns (the ring ran dry while audio was expected), and it
 * stamps the moment a marked frame is handed to the device — the measure of
 * GO-to-first-sample latency.
 *
 * Samples are int16: muqir converts float to 16 bits itself (mq_player) the
 * way its WAV export does, so what plays is what `render --bits 16` writes,
 * and PortAudio's dither (random, so never reproducible) stays off.
 *
 * A device with no clock of its own — ALSA's `null` PCM, which the tests
 * record through with the `file` plugin — takes audio as fast as it is given.
 * With `paced` set, the callback then waits for the system clock to reach
 * the time its buffer is due, so such a device plays in real time. Only for
 * clockless test devices: on a real card the callbacks already arrive at the
 * card's rate and the wait is never taken, but a callback that may sleep is
 * not one to put on stage.
 */
#ifndef MQ_DEVICE_H
#define MQ_DEVICE_H

#include <stddef.h>
#include <stdint.h>
#include "../util/mq_error.h"
#include "mq_ring.h"

/* One output device, as `muqir devices` lists it. */
typedef struct mq_device_info {
    int index;                /* PortAudio's device index */
    char name[160];
    char host[48];            /* host API: ALSA, OSS, JACK ... */
    double rate;              /* default sample rate, Hz */
    int channels;             /* maximum output channels */
    int is_default;
} mq_device_info;

/*
 * Lists the output devices into *OUT (free() it) and their count into *N.
 * MQ_OK; MQ_EDEVICE when PortAudio cannot start (message says why);
 * MQ_ENOMEM.
 */
int mq_device_list(mq_device_info **out, size_t *n, mq_error *err);

typedef struct mq_device_opts {
    const char *name;         /* NULL: the default output; all digits: an index;
                                 else a name, exact or a unique part of one */
    int rate, channels;
    unsigned frames_per_buffer; /* 0: PortAudio chooses */
    double latency;           /* suggested output latency, s; 0: the device's low default */
    int paced;                /* give a clockless device the system clock (see above) */
} mq_device_opts;

typedef struct mq_device mq_device;

/*
 * Starts the sound system (PortAudio) on a thread of its own, so that the
 * first mq_device_open (or mq_device_list) of this process finds it ready:
 * its start probes every host API (ALSA, JACK, PulseAudio), 50 ms of
 * `play`'s start-up here, which can then overlap loading the program and
 * speaking its first item. Call it from the thread that opens devices;
 * mq_device_unprepare gives the start back if no device took it over. A
 * failure is reported by the open, as without it. Neither fails.
 */
void mq_device_prepare(void);
void mq_device_unprepare(void);

/* Waits for mq_device_prepare's thread to finish (no-op without one). Call
 * it before fork(): a child must not start from a moment when that thread
 * held a lock of the C library or the dynamic loader. */
void mq_device_settle(void);

/*
 * Opens and starts the output named in OPTS, reading from RING (which must
 * outlive the device). MQ_OK; MQ_EDEVICE (no such device, no output at that
 * rate, PortAudio error — the message names the device and the reason; *OUT
 * is still set so that mq_device_reopen can try again later); MQ_ENOMEM;
 * MQ_EINVAL.
 */
int mq_device_open(const mq_device_opts *opts, mq_ring *ring, mq_device **out, mq_error *err);

/* Closes the stream (if open) and opens the device again, rescanning the
 * system's devices first (a USB card plugged back in). Frames still in the
 * ring play afterwards. MQ_OK or MQ_EDEVICE as mq_device_open. */
int mq_device_reopen(mq_device *d, mq_error *err);

/* Stops (after the frames already handed to the device have played) and
 * frees D; D may be NULL. */
void mq_device_close(mq_device *d);

/* MQ_OK while the stream runs; MQ_EDEVICE with a message when it never
 * opened, stopped by itself (device unplugged, driver error) or its callback
 * has not been called for a second. */
int mq_device_check(mq_device *d, mq_error *err);

/* Pause: the callback hands out silence and leaves the ring alone. */
void mq_device_pause(mq_device *d, int paused);
/* From now on a dry ring is an underrun (set once audio is expected). */
void mq_device_expect(mq_device *d, int expect);
unsigned long mq_device_underruns(const mq_device *d);
/* Frames handed to the device from the ring so far. */
uint64_t mq_device_frames(const mq_device *d);

/* Asks the callback to note when ring frame FRAME is handed to the device;
 * mq_device_mark_time then returns that moment (mq_device_now_ns clock), or
 * 0 while it has not happened. A new mark replaces the old one. A new device
 * marks the first frame it will take from the ring. */
void mq_device_mark(mq_device *d, uint64_t frame);
uint64_t mq_device_mark_time(const mq_device *d);

/* The stream's output latency as PortAudio reports it (the device buffer), s;
 * 0 when closed. The device's name as opened ("" when closed). */
double mq_device_latency(const mq_device *d);
const char *mq_device_name(const mq_device *d);

/* Monotonic clock, ns. */
uint64_t mq_device_now_ns(void);

#endif
