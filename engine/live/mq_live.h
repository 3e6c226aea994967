/*
 * mq_live.h — the cue engine of a live show: prepared cues started with GO,
 * stopped, faded, paused, an ad-lib spoken over them, the device reopened,
 * with the safety habits of the tools performers trust (QLab, Linux Show
 * Player, SCS — design.md, "Facts for live playback"): double-GO protection,
 * panic, auto-follow.
 *
 * Threads: the control thread (the console, or the stdin reader) calls every
 * function here; the player's mixer thread mixes the playing voices into the
 * device's ring (mq_player.h); the PortAudio callback only copies from that
 * ring. Control and mixer share the voices under the player's lock, held for
 * one short block at a time — never the callback.
 *
 * The mixer keeps MQ_LIVE_QUEUE seconds mixed ahead of the device, so that a
 * stall of the machine shorter than that (a long kernel call by another
 * process, a virtual machine's host taking a CPU) passes without a gap. Every
 * command cuts in (mq_player_cut_in): the queued future is taken back from
 * just ahead of the device — two device buffers plus the limiter's 3.3 ms —
 * and mixed again with the command applied, so a GO still reaches the device
 * within about 10 ms; mq_live_status reports the measured figure. What the
 * status shows (current cue, elapsed, level) is what the device plays, not
 * the queued future.
 *
 * Nothing here synthesizes speech: cues come prepared (mq_cues.h) and an
 * ad-lib arrives as finished audio, synthesized by the caller on its own
 * thread (eSpeak NG is not thread-safe: one thread calls it).
 *
 * Frames are counted on the output timeline (frame 0 is the session's first
 * frame handed to the device, pauses excluded); events carry the frame and
 * the wall-clock time since the session opened. The mixer's events (a cue or
 * an ad-lib starting or ending) come out when the device reaches their
 * frame: a cut-in may still change the future they were mixed in.
 */
#ifndef MQ_LIVE_H
#define MQ_LIVE_H

#include <stddef.h>
#include <stdint.h>
#include "mq_cues.h"
#include "mq_device.h"

#define MQ_LIVE_GO_GUARD   0.3    /* s: a second GO sooner than this is ignored */
#define MQ_LIVE_STOP_FADE  0.3    /* s: `stop` fades the current cue out */
#define MQ_LIVE_PANIC_FADE 0.25   /* s: panic fades everything out (well under 1 s) */
#define MQ_LIVE_DUCK_DB    (-12.0) /* cues under an ad-lib: ~25% left (design.md) */
#define MQ_LIVE_QUEUE      1.5    /* s mixed ahead of the device (cut-in keeps GO quick) */

typedef struct mq_live_opts {
    mq_device_opts device;    /* rate and channels: the cues' */
    double ceiling_dbtp;      /* the output limiter's ceiling, e.g. -1 */
    double go_guard;          /* s; 0 = MQ_LIVE_GO_GUARD, < 0 = none */
    double duck_db;           /* 0 = MQ_LIVE_DUCK_DB */
} mq_live_opts;

typedef enum mq_live_event_type {
    MQ_EV_CUE_START,          /* cue started (GO or auto-follow) */
    MQ_EV_CUE_END,            /* cue played to its end */
    MQ_EV_CUE_FADED,          /* cue faded out (stop, fade, panic) */
    MQ_EV_SAY_START,
    MQ_EV_SAY_END,
    MQ_EV_GO_IGNORED,         /* double-GO protection */
    MQ_EV_LATENCY,            /* a GO's first sample reached the device */
    MQ_EV_UNDERRUN,           /* the ring ran dry (count in `count`) */
    MQ_EV_DEVICE_ERROR,       /* message in `text` */
    MQ_EV_DEVICE_OK           /* opened or reopened */
} mq_live_event_type;

typedef struct mq_live_event {
    mq_live_event_type type;
    long cue;                 /* cue index, or -1 */
    int auto_follow;          /* MQ_EV_CUE_START: started by auto-follow */
    uint64_t frame;           /* on the output timeline */
    double time;              /* s since the session opened */
    double latency_ms;        /* MQ_EV_LATENCY: GO to first sample handed to the device */
    unsigned long count;      /* MQ_EV_UNDERRUN: underruns so far */
    char text[256];           /* MQ_EV_DEVICE_ERROR: what happened */
    const float *adlib;       /* MQ_EV_SAY_START, MQ_EV_SAY_END: the ad-lib's DATA
                                 as given to mq_live_say */
} mq_live_event;

#define MQ_LIVE_MAX_VOICES 16
#define MQ_LIVE_MAX_ADLIBS 64   /* ad-libs given and not let go (mq_live_holds) */

typedef struct mq_live_status {
    long next;                /* the standby cue (GO starts it), -1 after the last */
    long current;             /* the cue started last that still sounds, or -1 */
    double elapsed, remaining;/* of the current cue, s */
    int playing;              /* voices sounding (cues and ad-libs) */
    long playing_cues[MQ_LIVE_MAX_VOICES];
    int n_playing_cues;
    int saying;               /* an ad-lib is given and its say_end not out yet */
    int paused;
    double peak_db;           /* output level, dBFS */
    unsigned long underruns;
    double last_latency_ms;   /* last GO's latency; < 0 when none measured yet */
    double device_latency_ms; /* the device's buffer as PortAudio reports it */
    int device_ok;
    int realtime;             /* the mixer thread runs with real-time priority */
    char device[160];
    double time;              /* s since the session opened */
    uint64_t frame;           /* the frame the device takes next */
} mq_live_status;

typedef struct mq_live mq_live;

/*
 * Starts the engine over CUES (which must outlive it) with its mixer thread
 * and opens the device. MQ_OK; MQ_EDEVICE when the device is missing (the
 * engine is still created in *OUT: the show can go on once mq_live_reopen
 * succeeds); MQ_EINVAL; MQ_ENOMEM; MQ_EINTERNAL.
 */
int mq_live_create(const mq_live_opts *opts, const mq_cues *cues, mq_live **out,
                   mq_error *err);
void mq_live_free(mq_live *l);

/*
 * GO: starts cue CUE (0-based), or the standby cue when CUE < 0; the one
 * after it becomes the standby. Returns MQ_OK; 1 when ignored by double-GO
 * protection (an MQ_EV_GO_IGNORED event follows); MQ_EINVAL (no such cue,
 * or no cue left) with ERR set.
 */
int mq_live_go(mq_live *l, long cue, mq_error *err);
/* Sets the standby cue (e.g. from the console's selection). */
void mq_live_set_next(mq_live *l, long cue);
/* Fades the current cue out over MQ_LIVE_STOP_FADE. */
void mq_live_stop(mq_live *l);
/* Fades everything out over SECONDS (> 0). */
void mq_live_fade(mq_live *l, double seconds);
/* Everything out over MQ_LIVE_PANIC_FADE; auto-follow does not fire. */
void mq_live_panic(mq_live *l);
void mq_live_pause(mq_live *l, int paused);
/*
 * Speaks an ad-lib now: FRAMES frames of DATA (the cues' rate and channels;
 * the engine keeps the pointer until its MQ_EV_SAY_END comes out — status's
 * `saying` stays 1 until then — or mq_live_free) over
 * whatever plays, ducking the cues by duck_db while it sounds. MQ_OK;
 * MQ_EINVAL (too many voices sounding, or MQ_LIVE_MAX_ADLIBS ad-libs not
 * let go yet).
 */
int mq_live_say(mq_live *l, const float *data, size_t frames, mq_error *err);
/* 1 while DATA, given to mq_live_say, may still be read: until its
 * MQ_EV_SAY_END has come out (or mq_live_free); then its caller frees it. */
int mq_live_holds(mq_live *l, const float *data);
/* Closes and opens the device again. MQ_OK or MQ_EDEVICE. */
int mq_live_reopen(mq_live *l, mq_error *err);

/* Housekeeping on the control thread, a few times a second or more: notices
 * device failures, underruns and GO latencies and queues their events. */
void mq_live_poll(mq_live *l);
/* Takes the oldest queued event into *EV: 1, or 0 when there is none. */
int mq_live_next_event(mq_live *l, mq_live_event *ev);
void mq_live_status_get(mq_live *l, mq_live_status *st);

#endif
