/* mq_device.c — PortAudio output fed from an SPSC ring; see mq_device.h. */
#include "mq_device.h"

#include <ctype.h>
#include <dlfcn.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* portaudio.h declares Pa_GetVersionInfo() without (void). */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wstrict-prototypes"
#include <portaudio.h>
#include <pa_linux_alsa.h>
#pragma GCC diagnostic pop

#define NO_MARK UINT64_MAX

struct mq_device {
    mq_device_opts opts;
    char name[160];
    mq_ring *ring;
    PaStream *stream;
    int pa_up;                        /* Pa_Initialize succeeded */
    int channels;
    double latency;
    /* Shared with the callback. */
    atomic_int paused, expect, finished;
    atomic_ulong underruns;
    _Atomic uint64_t frames, mark, mark_ns, last_cb_ns;
    /* Callback only (pacing). */
    uint64_t pace_t0, pace_frames;
};

uint64_t mq_device_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* ALSA prints its configuration complaints ("Unknown PCM cards.pcm.rear")
 * to stderr while PortAudio probes devices; muqir's own messages are the ones
 * a performer should see. libasound is already loaded by PortAudio, so its
 * error hook is looked up rather than linked. */
static void alsa_quiet(const char *file, int line, const char *fn, int e, const char *fmt, ...)
{
    (void)file, (void)line, (void)fn, (void)e, (void)fmt;
}

/* The same for JACK, which PortAudio asks for a server on every start. */
static void jack_quiet(const char *msg)
{
    (void)msg;
}

static PaError pa_start(void)
{
    typedef int (*set_handler_fn)(void (*)(const char *, int, const char *, int, const char *, ...));
    typedef void (*set_jack_fn)(void (*)(const char *));
    set_handler_fn set = (set_handler_fn)dlsym(RTLD_DEFAULT, "snd_lib_error_set_handler");
    if (set)
        set(alsa_quiet);
    const char *jack_hooks[] = { "jack_set_error_function", "jack_set_info_function" };
    for (int i = 0; i < 2; i++) {
        set_jack_fn sj = (set_jack_fn)dlsym(RTLD_DEFAULT, jack_hooks[i]);
        if (sj)
            sj(jack_quiet);
    }
    return Pa_Initialize();
}

/* mq_device_prepare's start of PortAudio: the thread, and its result until
 * the first pa_init takes it over. Only the calling thread touches these. */
static pthread_t prep_thread;
static int prep_running, prep_held;
static PaError prep_err;

static void *prep_run(void *arg)
{
    (void)arg;
    prep_err = pa_start();
    return NULL;
}

void mq_device_prepare(void)
{
    if (prep_running || prep_held)
        return;
    prep_running = pthread_create(&prep_thread, NULL, prep_run, NULL) == 0;
}

/* Waits for mq_device_prepare's thread. 1 when it left PortAudio started and
 * nobody has taken that over yet. */
static int prep_join(void)
{
    if (prep_running) {
        pthread_join(prep_thread, NULL);
        prep_running = 0;
        prep_held = prep_err == paNoError;
    }
    return prep_held;
}

void mq_device_settle(void)
{
    prep_join();
}

void mq_device_unprepare(void)
{
    if (prep_join())
        Pa_Terminate();
    prep_held = 0;
}

/* Starts PortAudio (each call is matched by a Pa_Terminate), taking over the
 * start mq_device_prepare made, if any. */
static PaError pa_init(void)
{
    if (prep_join()) {
        prep_held = 0;
        return paNoError;
    }
    return pa_start();
}

int mq_device_list(mq_device_info **out, size_t *n, mq_error *err)
{
    *out = NULL;
    *n = 0;
    PaError pe = pa_init();
    if (pe != paNoError)
        return mq_error_set(err, MQ_EDEVICE, "the sound system did not start: %s",
                            Pa_GetErrorText(pe));
    int count = Pa_GetDeviceCount();
    int def = Pa_GetDefaultOutputDevice();
    mq_device_info *v = calloc(count > 0 ? (size_t)count : 1, sizeof *v);
    if (!v) {
        Pa_Terminate();
        return mq_error_set(err, MQ_ENOMEM, "out of memory");
    }
    for (int i = 0; i < count; i++) {
        const PaDeviceInfo *di = Pa_GetDeviceInfo(i);
        if (!di || di->maxOutputChannels < 1)
            continue;
        mq_device_info *d = &v[(*n)++];
        const PaHostApiInfo *hi = Pa_GetHostApiInfo(di->hostApi);
        d->index = i;
        snprintf(d->name, sizeof d->name, "%s", di->name);
        snprintf(d->host, sizeof d->host, "%s", hi ? hi->name : "?");
        d->rate = di->defaultSampleRate;
        d->channels = di->maxOutputChannels;
        d->is_default = i == def;
    }
    Pa_Terminate();
    *out = v;
    return MQ_OK;
}

/* Whether NEEDLE occurs in HAY, ignoring ASCII case. */
static int contains(const char *hay, const char *needle)
{
    size_t n = strlen(needle);
    for (; *hay; hay++)
        if (!strncasecmp(hay, needle, n))
            return 1;
    return 0;
}

/* Finds the device NAME names (see mq_device_opts), or the default output. */
static int find_device(const char *name, mq_error *err)
{
    int count = Pa_GetDeviceCount();
    if (!name || !*name) {
        int def = Pa_GetDefaultOutputDevice();
        if (def == paNoDevice)
            return mq_error_set(err, MQ_EDEVICE, "no sound output device found "
                                "(see 'muqir devices')");
        return def;
    }
    int digits = 1;
    for (const char *p = name; *p; p++)
        digits &= isdigit((unsigned char)*p) != 0;
    if (digits) {
        int i = atoi(name);
        const PaDeviceInfo *di = i < count ? Pa_GetDeviceInfo(i) : NULL;
        if (!di || di->maxOutputChannels < 1)
            return mq_error_set(err, MQ_EDEVICE, "no output device number %s (see 'muqir devices')",
                                name);
        return i;
    }
    int found = -1, matches = 0;
    for (int i = 0; i < count; i++) {
        const PaDeviceInfo *di = Pa_GetDeviceInfo(i);
        if (!di || di->maxOutputChannels < 1)
            continue;
        if (!strcmp(di->name, name))
            return i;
        if (contains(di->name, name)) {
            found = i;
            matches++;
        }
    }
    if (matches == 1)
        return found;
    return mq_error_set(err, MQ_EDEVICE, matches ? "'%s' names %d output devices; give more of "
                        "the name or the number (see 'muqir devices')"
                        : "no output device named '%s' (see 'muqir devices')", name, matches);
}

/* Waits until the system clock reaches the time this buffer is due (a
 * clockless device only; see mq_device.h). */
static void pace(mq_device *d, unsigned long frames)
{
    uint64_t now = mq_device_now_ns();
    if (!d->pace_t0)
        d->pace_t0 = now;
    uint64_t due = d->pace_t0 + d->pace_frames * 1000000000u / (uint64_t)d->opts.rate;
    d->pace_frames += frames;
    if (due > now) {
        struct timespec ts = { (time_t)(due / 1000000000u), (long)(due % 1000000000u) };
        clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
    }
}

/* The real-time callback: copies from the ring, nothing else. */
static int callback(const void *in, void *out, unsigned long frames,
                    const PaStreamCallbackTimeInfo *ti, PaStreamCallbackFlags flags, void *user)
{
    (void)in, (void)ti, (void)flags;
    mq_device *d = user;
    int16_t *o = out;
    size_t ch = (size_t)d->channels;
    if (d->opts.paced)
        pace(d, frames);
    uint64_t now = mq_device_now_ns();
    atomic_store_explicit(&d->last_cb_ns, now, memory_order_relaxed);
    if (atomic_load_explicit(&d->paused, memory_order_relaxed)) {
        memset(o, 0, frames * ch * sizeof *o);
        return paContinue;
    }
    uint64_t first = mq_ring_read_count(d->ring);
    size_t got = mq_ring_read(d->ring, o, frames);
    if (got < frames) {
        memset(o + got * ch, 0, (frames - got) * ch * sizeof *o);
        if (atomic_load_explicit(&d->expect, memory_order_relaxed) && !mq_ring_eof(d->ring))
            atomic_fetch_add_explicit(&d->underruns, 1, memory_order_relaxed);
    }
    atomic_fetch_add_explicit(&d->frames, got, memory_order_relaxed);
    uint64_t m = atomic_load_explicit(&d->mark, memory_order_acquire);
    if (m != NO_MARK && m >= first && m < first + got) {
        atomic_store_explicit(&d->mark_ns, now, memory_order_release);
        atomic_store_explicit(&d->mark, NO_MARK, memory_order_relaxed);
    }
    return paContinue;
}

static void on_finished(void *user)
{
    mq_device *d = user;
    atomic_store(&d->finished, 1);
}

static void shut(mq_device *d)
{
    if (d->stream) {
        Pa_AbortStream(d->stream);
        Pa_CloseStream(d->stream);
        d->stream = NULL;
    }
    if (d->pa_up)
        Pa_Terminate();
    d->pa_up = 0;
    d->latency = 0;
}

static int start(mq_device *d, mq_error *err)
{
    PaError pe = pa_init();
    if (pe != paNoError)
        return mq_error_set(err, MQ_EDEVICE, "the sound system did not start: %s",
                            Pa_GetErrorText(pe));
    d->pa_up = 1;
    int idx = find_device(d->opts.name, err);
    if (idx < 0)
        return idx;
    const PaDeviceInfo *di = Pa_GetDeviceInfo(idx);
    snprintf(d->name, sizeof d->name, "%s", di->name);
    PaStreamParameters sp = { .device = idx, .channelCount = d->channels,
                              .sampleFormat = paInt16,
                              .suggestedLatency = d->opts.latency > 0 ? d->opts.latency
                                                                      : di->defaultLowOutputLatency };
    d->pace_t0 = d->pace_frames = 0;
    atomic_store(&d->finished, 0);
    pe = Pa_OpenStream(&d->stream, NULL, &sp, d->opts.rate, d->opts.frames_per_buffer,
                       paClipOff | paDitherOff, callback, d);
    if (pe == paNoError)
        pe = Pa_SetStreamFinishedCallback(d->stream, on_finished);
    /* ALSA's callback thread gets real-time priority when the system allows
     * it: a late callback drains the ring in one go, whatever its depth. */
    const PaHostApiInfo *hi = Pa_GetHostApiInfo(di->hostApi);
    if (pe == paNoError && hi && hi->type == paALSA)
        PaAlsa_EnableRealtimeScheduling(d->stream, 1);
    if (pe == paNoError) {
        atomic_store(&d->last_cb_ns, mq_device_now_ns());
        pe = Pa_StartStream(d->stream);
    }
    if (pe != paNoError) {
        if (d->stream)
            Pa_CloseStream(d->stream);
        d->stream = NULL;
        return mq_error_set(err, MQ_EDEVICE, "cannot play on '%s' at %d Hz, %d channel%s: %s",
                            d->name, d->opts.rate, d->channels, d->channels == 1 ? "" : "s",
                            Pa_GetErrorText(pe));
    }
    const PaStreamInfo *si = Pa_GetStreamInfo(d->stream);
    d->latency = si ? si->outputLatency : 0;
    return MQ_OK;
}

int mq_device_open(const mq_device_opts *opts, mq_ring *ring, mq_device **out, mq_error *err)
{
    if (!out || !opts || !ring || opts->rate <= 0 || opts->channels < 1)
        return mq_error_set(err, MQ_EINVAL, "device: bad arguments");
    *out = NULL;
    mq_device *d = calloc(1, sizeof *d);
    if (!d)
        return mq_error_set(err, MQ_ENOMEM, "out of memory");
    d->opts = *opts;
    d->channels = opts->channels;
    d->ring = ring;
    atomic_init(&d->mark, mq_ring_read_count(ring));
    *out = d;
    int rc = start(d, err);
    if (rc != MQ_OK)
        shut(d);
    return rc;
}

int mq_device_reopen(mq_device *d, mq_error *err)
{
    shut(d);
    int rc = start(d, err);
    if (rc != MQ_OK)
        shut(d);
    return rc;
}

void mq_device_close(mq_device *d)
{
    if (!d)
        return;
    if (d->stream && !atomic_load(&d->finished))
        Pa_StopStream(d->stream);   /* plays out what the device holds */
    shut(d);
    free(d);
}

int mq_device_check(mq_device *d, mq_error *err)
{
    if (!d || !d->stream)
        return mq_error_set(err, MQ_EDEVICE, "the sound device is not open");
    if (atomic_load(&d->finished) || Pa_IsStreamActive(d->stream) != 1)
        return mq_error_set(err, MQ_EDEVICE, "the sound device '%s' stopped", d->name);
    uint64_t last = atomic_load(&d->last_cb_ns), now = mq_device_now_ns();
    if (now > last && now - last > 1000000000u)
        return mq_error_set(err, MQ_EDEVICE, "the sound device '%s' stopped taking audio",
                            d->name);
    return MQ_OK;
}

void mq_device_pause(mq_device *d, int paused)
{
    if (d)
        atomic_store(&d->paused, paused);
}

void mq_device_expect(mq_device *d, int expect)
{
    if (d)
        atomic_store(&d->expect, expect);
}

unsigned long mq_device_underruns(const mq_device *d)
{
    return d ? atomic_load(&((mq_device *)d)->underruns) : 0;
}

uint64_t mq_device_frames(const mq_device *d)
{
    return d ? atomic_load(&((mq_device *)d)->frames) : 0;
}

void mq_device_mark(mq_device *d, uint64_t frame)
{
    if (!d)
        return;
    atomic_store(&d->mark_ns, 0);
    atomic_store_explicit(&d->mark, frame, memory_order_release);
}

uint64_t mq_device_mark_time(const mq_device *d)
{
    return d ? atomic_load_explicit(&((mq_device *)d)->mark_ns, memory_order_acquire) : 0;
}

double mq_device_latency(const mq_device *d)
{
    return d ? d->latency : 0;
}

const char *mq_device_name(const mq_device *d)
{
    return d && d->stream ? d->name : "";
}
