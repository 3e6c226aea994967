/* mq_live.c — the cue engine of a live show; see mq_live.h. */
#include "mq_live.h"
#include "mq_player.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_EVENTS 512
#define BLOCK 64            /* frames mixed at a time: 1.3 ms at 48 kHz */
#define DUCK_ATTACK 0.1     /* s to duck the cues under an ad-lib */
#define DUCK_RELEASE 0.5    /* s to bring them back */
#define SAY_LEAD 0.12       /* s the duck starts before the ad-lib's voice (design.md) */

typedef struct voice {
    int used;
    long cue;               /* -1: an ad-lib */
    const float *data;
    size_t frames, pos;
    size_t wait;            /* frames of silence before it starts (ad-lib lead) */
    float gain, step;       /* fade: gain changes by step a frame */
    int fading;             /* fading out: ends when gain reaches 0 */
    int pending;            /* not placed on the timeline yet */
    size_t delay;           /* pending: frames into the block where it starts */
    int go;                 /* started by GO: mark its first sample for latency */
    int auto_follow;
    uint64_t start;         /* frame it started at */
} voice;

struct mq_live {
    mq_live_opts o;
    const mq_cues *cues;
    mq_player *player;
    int rate, ch;
    pthread_mutex_t mu;
    /* Under mu: */
    voice v[MQ_LIVE_MAX_VOICES];
    long next;
    uint64_t frame;
    float duck, duck_lo;
    double last_go;
    uint64_t go_ns;
    int go_pending, mark_set;
    mq_live_event ev[MAX_EVENTS];
    size_t ev_head, ev_count;
    /* Control thread only: */
    uint64_t t0;
    int paused, dev_ok;
    unsigned long underruns_seen;
    double last_latency_ms;
    float *duckbuf;
};

static double since(const mq_live *l, uint64_t ns)
{
    return ns > l->t0 ? (double)(ns - l->t0) / 1e9 : 0;
}

/* Queues an event (mu held); the oldest is dropped when the queue is full. */
static mq_live_event *push(mq_live *l, mq_live_event_type type, long cue)
{
    if (l->ev_count == MAX_EVENTS) {
        l->ev_head = (l->ev_head + 1) % MAX_EVENTS;
        l->ev_count--;
    }
    mq_live_event *e = &l->ev[(l->ev_head + l->ev_count++) % MAX_EVENTS];
    memset(e, 0, sizeof *e);
    e->type = type;
    e->cue = cue;
    e->frame = l->frame;
    e->time = since(l, mq_device_now_ns());
    e->latency_ms = -1;
    return e;
}

static voice *new_voice(mq_live *l)
{
    for (int i = 0; i < MQ_LIVE_MAX_VOICES; i++)
        if (!l->v[i].used) {
            memset(&l->v[i], 0, sizeof l->v[i]);
            l->v[i].used = 1;
            l->v[i].gain = 1;
            l->v[i].pending = 1;
            return &l->v[i];
        }
    return NULL;
}

/* Starts cue C (mu held). */
static voice *start_cue(mq_live *l, long c, size_t delay, int auto_follow)
{
    const mq_cue *q = mq_cues_get(l->cues, (size_t)c);
    voice *v = q ? new_voice(l) : NULL;
    if (!v)
        return NULL;
    v->cue = c;
    v->data = q->data;
    v->frames = q->frames;
    v->delay = delay;
    v->auto_follow = auto_follow;
    l->next = (size_t)c + 1 < mq_cues_count(l->cues) ? c + 1 : -1;
    return v;
}

/* Mixes voice V into OUT for this block from frame FROM (mu held). Returns 1
 * when a follow-on cue was started (which needs mixing in this block too). */
static int mix_voice(mq_live *l, voice *v, float *out, size_t n)
{
    size_t k = 0, ch = (size_t)l->ch;
    if (v->pending) {
        k = v->delay;
        v->pending = 0;
        v->start = l->frame + k;
        if (v->go) {
            mq_device_mark(mq_player_device(l->player), v->start);
            l->mark_set = 1;
        }
        mq_live_event *e = push(l, v->cue < 0 ? MQ_EV_SAY_START : MQ_EV_CUE_START, v->cue);
        e->frame = v->start;
        e->auto_follow = v->auto_follow;
    }
    int duckable = v->cue >= 0, faded = 0;
    for (; k < n; k++) {
        if (v->wait) {
            v->wait--;
            continue;
        }
        if (v->pos >= v->frames)
            break;
        if (v->step != 0) {
            v->gain += v->step;
            if (v->fading && v->gain <= 0) {
                faded = 1;
                break;
            }
        }
        float g = v->gain * (duckable ? l->duckbuf[k] : 1.0f);
        const float *s = v->data + v->pos * ch;
        for (size_t c = 0; c < ch; c++)
            out[k * ch + c] += s[c] * g;
        v->pos++;
    }
    if (!faded && v->pos < v->frames)
        return 0;
    /* Ended here: by a fade, or at its last frame. */
    mq_live_event *e = push(l, v->cue < 0 ? MQ_EV_SAY_END : faded ? MQ_EV_CUE_FADED
                                                                   : MQ_EV_CUE_END, v->cue);
    e->frame = l->frame + k;
    v->used = 0;
    long nx = v->cue + 1;
    const mq_cue *q = v->cue >= 0 && !faded ? mq_cues_get(l->cues, (size_t)nx) : NULL;
    if (q && q->follow_auto && start_cue(l, nx, k, 1))
        return 1;
    return 0;
}

/* The player's source: the voices mixed, on the mixer thread. */
static long source(void *user, float *out, size_t n, uint64_t frame, mq_error *err)
{
    (void)frame, (void)err;
    mq_live *l = user;
    memset(out, 0, n * (size_t)l->ch * sizeof *out);
    pthread_mutex_lock(&l->mu);
    int saying = 0;
    for (int i = 0; i < MQ_LIVE_MAX_VOICES; i++)
        saying |= l->v[i].used && l->v[i].cue < 0;
    /* The duck: linear ramps in gain, down before the ad-lib speaks. */
    float target = saying ? l->duck_lo : 1.0f;
    float down = (1.0f - l->duck_lo) / (float)(DUCK_ATTACK * l->rate);
    float up = (1.0f - l->duck_lo) / (float)(DUCK_RELEASE * l->rate);
    for (size_t k = 0; k < n; k++) {
        if (l->duck > target)
            l->duck = fmaxf(target, l->duck - down);
        else if (l->duck < target)
            l->duck = fminf(target, l->duck + up);
        l->duckbuf[k] = l->duck;
    }
    int again = 1;
    for (int i = 0; i < MQ_LIVE_MAX_VOICES; i++)
        l->v[i].delay = l->v[i].pending ? l->v[i].delay : 0;
    /* Cues started by auto-follow inside this block are mixed from their
     * first frame in the same pass, sample-accurately. */
    int seen[MQ_LIVE_MAX_VOICES] = { 0 };
    while (again) {
        again = 0;
        for (int i = 0; i < MQ_LIVE_MAX_VOICES; i++) {
            if (!l->v[i].used || (seen[i] && !l->v[i].pending))
                continue;
            seen[i] = 1;
            again |= mix_voice(l, &l->v[i], out, n);
        }
    }
    l->frame += n;
    pthread_mutex_unlock(&l->mu);
    return (long)n;
}

int mq_live_create(const mq_live_opts *opts, const mq_cues *cues, mq_live **out,
                   mq_error *err)
{
    if (!opts || !cues || !out)
        return mq_error_set(err, MQ_EINVAL, "live: bad arguments");
    *out = NULL;
    mq_live *l = calloc(1, sizeof *l);
    if (!l || !(l->duckbuf = malloc(BLOCK * sizeof *l->duckbuf))) {
        free(l);
        return mq_error_set(err, MQ_ENOMEM, "out of memory");
    }
    l->o = *opts;
    l->cues = cues;
    l->rate = mq_cues_rate(cues);
    l->ch = mq_cues_channels(cues);
    l->o.device.rate = l->rate;
    l->o.device.channels = l->ch;
    if (l->o.go_guard == 0)
        l->o.go_guard = MQ_LIVE_GO_GUARD;
    l->duck_lo = (float)pow(10, (opts->duck_db ? opts->duck_db : MQ_LIVE_DUCK_DB) / 20);
    l->duck = 1;
    l->next = mq_cues_count(cues) ? 0 : -1;
    l->last_go = -1e9;
    l->last_latency_ms = -1;
    /* The real-time mixer thread and the control thread share this lock:
     * priority inheritance keeps a preempted holder from stalling the mixer. */
    pthread_mutexattr_t ma;
    pthread_mutexattr_init(&ma);
    pthread_mutexattr_setprotocol(&ma, PTHREAD_PRIO_INHERIT);
    pthread_mutex_init(&l->mu, &ma);
    pthread_mutexattr_destroy(&ma);
    l->t0 = mq_device_now_ns();
    /* A shallow queue: about 10 ms, four device buffers of 128 frames, so
     * the mixer thread may be late by three of them (8 ms) before the device
     * runs dry. */
    mq_player_opts po = { .device = l->o.device, .ceiling_dbtp = opts->ceiling_dbtp,
                          .block = BLOCK, .realtime = 1 };
    if (!po.device.frames_per_buffer)
        po.device.frames_per_buffer = 128;
    po.ahead = 4 * po.device.frames_per_buffer;
    if (po.ahead < (size_t)l->rate / 100)
        po.ahead = (size_t)l->rate / 100;
    int rc = mq_player_create(&po, source, l, &l->player, err);
    if (rc != MQ_OK) {
        pthread_mutex_destroy(&l->mu);
        free(l->duckbuf);
        free(l);
        return rc;
    }
    *out = l;
    /* The first frames queued: then the device, so it starts on audio. */
    for (int i = 0; i < 200 && mq_player_queued(l->player) < po.ahead / 2; i++) {
        struct timespec ts = { 0, 1000000 };
        nanosleep(&ts, NULL);
    }
    rc = mq_player_open_device(l->player, err);
    l->dev_ok = rc == MQ_OK;
    pthread_mutex_lock(&l->mu);
    if (rc == MQ_OK)
        push(l, MQ_EV_DEVICE_OK, -1);
    else
        snprintf(push(l, MQ_EV_DEVICE_ERROR, -1)->text, 256, "%.250s", err ? err->msg : "");
    pthread_mutex_unlock(&l->mu);
    return rc;
}

void mq_live_free(mq_live *l)
{
    if (!l)
        return;
    mq_player_free(l->player);
    pthread_mutex_destroy(&l->mu);
    free(l->duckbuf);
    free(l);
}

int mq_live_go(mq_live *l, long cue, mq_error *err)
{
    uint64_t now = mq_device_now_ns();
    double t = since(l, now);
    long n = (long)mq_cues_count(l->cues);
    pthread_mutex_lock(&l->mu);
    long c = cue < 0 ? l->next : cue;
    int rc = MQ_OK;
    if (l->o.go_guard > 0 && t - l->last_go < l->o.go_guard) {
        push(l, MQ_EV_GO_IGNORED, c);
        rc = 1;
    } else if (c < 0 || c >= n) {
        rc = mq_error_set(err, MQ_EINVAL, cue < 0 ? "no cue left to GO (the show is at its end)"
                                                  : "no cue %ld (cues are 1 to %ld)", c + 1, n);
    }
    pthread_mutex_unlock(&l->mu);
    if (rc != MQ_OK)
        return rc;
    mq_cues_touch(l->cues, (size_t)c, 1.0);   /* resident before the mixer needs it */
    pthread_mutex_lock(&l->mu);
    voice *v = start_cue(l, c, 0, 0);
    if (!v) {
        rc = mq_error_set(err, MQ_EINVAL, "%d sounds at once already; stop one first",
                          MQ_LIVE_MAX_VOICES);
    } else {
        v->go = 1;
        l->go_ns = now;
        l->go_pending = 1;
        l->mark_set = 0;
        l->last_go = t;
    }
    pthread_mutex_unlock(&l->mu);
    return rc;
}

void mq_live_set_next(mq_live *l, long cue)
{
    pthread_mutex_lock(&l->mu);
    if (cue >= 0 && (size_t)cue < mq_cues_count(l->cues))
        l->next = cue;
    pthread_mutex_unlock(&l->mu);
}

/* Fades voice V out over SECONDS (mu held). */
static void fade_voice(mq_live *l, voice *v, double seconds)
{
    float step = -v->gain / (float)(seconds * l->rate > 1 ? seconds * l->rate : 1);
    if (!v->fading || step < v->step)
        v->step = step;
    v->fading = 1;
}

void mq_live_stop(mq_live *l)
{
    pthread_mutex_lock(&l->mu);
    voice *cur = NULL;
    for (int i = 0; i < MQ_LIVE_MAX_VOICES; i++) {
        voice *v = &l->v[i];
        if (v->used && v->cue >= 0 && !v->fading && (!cur || v->start >= cur->start))
            cur = v;
    }
    if (cur)
        fade_voice(l, cur, MQ_LIVE_STOP_FADE);
    pthread_mutex_unlock(&l->mu);
}

void mq_live_fade(mq_live *l, double seconds)
{
    pthread_mutex_lock(&l->mu);
    for (int i = 0; i < MQ_LIVE_MAX_VOICES; i++)
        if (l->v[i].used)
            fade_voice(l, &l->v[i], seconds);
    pthread_mutex_unlock(&l->mu);
}

void mq_live_panic(mq_live *l)
{
    mq_live_fade(l, MQ_LIVE_PANIC_FADE);
}

void mq_live_pause(mq_live *l, int paused)
{
    l->paused = paused;
    mq_player_pause(l->player, paused);
}

int mq_live_say(mq_live *l, const float *data, size_t frames, mq_error *err)
{
    pthread_mutex_lock(&l->mu);
    voice *v = new_voice(l);
    if (v) {
        v->cue = -1;
        v->data = data;
        v->frames = frames;
        v->wait = (size_t)(SAY_LEAD * l->rate);
    }
    pthread_mutex_unlock(&l->mu);
    return v ? MQ_OK : mq_error_set(err, MQ_EINVAL, "%d sounds at once already; stop one first",
                                    MQ_LIVE_MAX_VOICES);
}

int mq_live_reopen(mq_live *l, mq_error *err)
{
    int rc = mq_player_reopen(l->player, err);
    pthread_mutex_lock(&l->mu);
    if (rc == MQ_OK)
        push(l, MQ_EV_DEVICE_OK, -1);
    else
        snprintf(push(l, MQ_EV_DEVICE_ERROR, -1)->text, 256, "%.250s", err ? err->msg : "");
    pthread_mutex_unlock(&l->mu);
    l->dev_ok = rc == MQ_OK;
    if (rc == MQ_OK)
        mq_player_pause(l->player, l->paused);
    return rc;
}

void mq_live_poll(mq_live *l)
{
    mq_error err = { 0 };
    int rc = mq_player_check(l->player, &err);
    pthread_mutex_lock(&l->mu);
    if (rc != MQ_OK && l->dev_ok) {
        l->dev_ok = 0;
        snprintf(push(l, MQ_EV_DEVICE_ERROR, -1)->text, 256, "%.250s", err.msg);
    }
    unsigned long u = mq_player_underruns(l->player);
    if (u > l->underruns_seen) {
        l->underruns_seen = u;
        push(l, MQ_EV_UNDERRUN, -1)->count = u;
    }
    uint64_t m = l->mark_set ? mq_device_mark_time(mq_player_device(l->player)) : 0;
    if (l->go_pending && m) {
        l->go_pending = 0;
        l->last_latency_ms = m > l->go_ns ? (double)(m - l->go_ns) / 1e6 : 0;
        push(l, MQ_EV_LATENCY, -1)->latency_ms = l->last_latency_ms;
    }
    pthread_mutex_unlock(&l->mu);
}

int mq_live_next_event(mq_live *l, mq_live_event *ev)
{
    pthread_mutex_lock(&l->mu);
    int got = l->ev_count > 0;
    if (got) {
        *ev = l->ev[l->ev_head];
        l->ev_head = (l->ev_head + 1) % MAX_EVENTS;
        l->ev_count--;
    }
    pthread_mutex_unlock(&l->mu);
    return got;
}

void mq_live_status_get(mq_live *l, mq_live_status *st)
{
    memset(st, 0, sizeof *st);
    pthread_mutex_lock(&l->mu);
    st->next = l->next;
    st->current = -1;
    const voice *cur = NULL;
    for (int i = 0; i < MQ_LIVE_MAX_VOICES; i++) {
        const voice *v = &l->v[i];
        if (!v->used)
            continue;
        st->playing++;
        if (v->cue < 0) {
            st->saying = 1;
            continue;
        }
        st->playing_cues[st->n_playing_cues++] = v->cue;
        if (!cur || v->start > cur->start || (v->start == cur->start && v->pending))
            cur = v;
    }
    if (cur) {
        st->current = cur->cue;
        st->elapsed = (double)cur->pos / l->rate;
        st->remaining = (double)(cur->frames - cur->pos) / l->rate;
    }
    st->frame = l->frame;
    pthread_mutex_unlock(&l->mu);
    st->paused = l->paused;
    st->peak_db = mq_player_peak(l->player);
    st->underruns = mq_player_underruns(l->player);
    st->last_latency_ms = l->last_latency_ms;
    mq_device *d = mq_player_device(l->player);
    st->device_latency_ms = mq_device_latency(d) * 1000;
    st->device_ok = l->dev_ok;
    st->realtime = mq_player_realtime(l->player);
    snprintf(st->device, sizeof st->device, "%s", mq_device_name(d));
    st->time = since(l, mq_device_now_ns());
}
