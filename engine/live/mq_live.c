/* mq_live.c — the cue engine of a live show; see mq_live.h. */
#include "mq_live.h"
#include "mq_player.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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

/* What the mixer's output follows from: saved before every block, so that a
 * command can cut into the queued future (mq_player_cut_in). */
typedef struct mix_state {
    voice v[MQ_LIVE_MAX_VOICES];
    long next;
    uint64_t frame;
    float duck;
} mix_state;

/* A queue of events. */
typedef struct evq {
    mq_live_event e[MAX_EVENTS];
    size_t head, count;
} evq;

struct mq_live {
    mq_live_opts o;
    const mq_cues *cues;
    mq_player *player;
    int rate, ch;
    /* Under the player's lock (mq_player_lock): */
    mix_state ms;             /* at the frame the mixer mixes next */
    float duck_lo;
    double last_go;
    uint64_t go_ns;
    int go_pending, mark_set;
    const float *held[MQ_LIVE_MAX_ADLIBS]; /* ad-libs given whose say_end is not out */
    size_t n_held;
    evq pend;                 /* the mixer's events, out once the device plays their frame */
    evq ev;                   /* events out */
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

/* Adds an event to Q; the oldest is dropped when the queue is full. */
static mq_live_event *enqueue(evq *q, const mq_live_event *e)
{
    if (q->count == MAX_EVENTS) {
        q->head = (q->head + 1) % MAX_EVENTS;
        q->count--;
    }
    mq_live_event *slot = &q->e[(q->head + q->count++) % MAX_EVENTS];
    *slot = *e;
    return slot;
}

static mq_live_event *push_to(mq_live *l, evq *q, mq_live_event_type type, long cue,
                              uint64_t frame)
{
    mq_live_event e = { .type = type, .cue = cue, .frame = frame, .latency_ms = -1,
                        .time = since(l, mq_device_now_ns()) };
    return enqueue(q, &e);
}

/* An event of the control thread, out at once (lock held). */
static mq_live_event *push(mq_live *l, mq_live_event_type type, long cue)
{
    return push_to(l, &l->ev, type, cue, mq_player_position(l->player));
}

/* An event of the mixer at FRAME, out when the device plays that frame. */
static mq_live_event *push_mixed(mq_live *l, mq_live_event_type type, long cue, uint64_t frame)
{
    return push_to(l, &l->pend, type, cue, frame);
}

/* Moves the mixer's events whose frame the device has reached to the events
 * out, stamped with the time they were heard (lock held). */
static void publish(mq_live *l)
{
    uint64_t pos = mq_player_position(l->player);
    while (l->pend.count && l->pend.e[l->pend.head].frame <= pos) {
        mq_live_event *e = enqueue(&l->ev, &l->pend.e[l->pend.head]);
        e->time = since(l, mq_device_now_ns());
        for (size_t i = 0; e->type == MQ_EV_SAY_END && i < l->n_held; i++)
            if (l->held[i] == e->adlib) {
                l->held[i] = l->held[--l->n_held];
                break;
            }
        l->pend.head = (l->pend.head + 1) % MAX_EVENTS;
        l->pend.count--;
    }
}

/* Takes back the queued future so that a command sounds now (lock held):
 * the mixer state goes back to the frame where the command takes effect,
 * and the mixer's events from there on, which it will make again, go. */
static void cut(mq_live *l)
{
    uint64_t at = mq_player_cut_in(l->player);
    while (l->pend.count && l->pend.e[(l->pend.head + l->pend.count - 1) % MAX_EVENTS].frame >= at)
        l->pend.count--;
}

static void save_state(void *user, void *state)
{
    memcpy(state, &((mq_live *)user)->ms, sizeof(mix_state));
}

static void load_state(void *user, const void *state)
{
    memcpy(&((mq_live *)user)->ms, state, sizeof(mix_state));
}

static voice *new_voice(mq_live *l)
{
    voice *v = l->ms.v;
    for (int i = 0; i < MQ_LIVE_MAX_VOICES; i++)
        if (!v[i].used) {
            memset(&v[i], 0, sizeof v[i]);
            v[i].used = 1;
            v[i].gain = 1;
            v[i].pending = 1;
            return &v[i];
        }
    return NULL;
}

/* Starts cue C (lock held). */
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
    l->ms.next = (size_t)c + 1 < mq_cues_count(l->cues) ? c + 1 : -1;
    return v;
}

/* Mixes voice V into OUT for this block (lock held). Returns 1
 * when a follow-on cue was started (which needs mixing in this block too). */
static int mix_voice(mq_live *l, voice *v, float *out, size_t n)
{
    size_t k = 0, ch = (size_t)l->ch;
    if (v->pending) {
        k = v->delay;
        v->pending = 0;
        v->start = l->ms.frame + k;
        if (v->go) {
            mq_device_mark(mq_player_device(l->player), v->start);
            l->mark_set = 1;
        }
        mq_live_event *e = push_mixed(l, v->cue < 0 ? MQ_EV_SAY_START : MQ_EV_CUE_START, v->cue,
                                      v->start);
        e->auto_follow = v->auto_follow;
        e->adlib = v->cue < 0 ? v->data : NULL;
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
    push_mixed(l, v->cue < 0 ? MQ_EV_SAY_END : faded ? MQ_EV_CUE_FADED : MQ_EV_CUE_END, v->cue,
               l->ms.frame + k)->adlib = v->cue < 0 ? v->data : NULL;
    v->used = 0;
    long nx = v->cue + 1;
    const mq_cue *q = v->cue >= 0 && !faded ? mq_cues_get(l->cues, (size_t)nx) : NULL;
    if (q && q->follow_auto && start_cue(l, nx, k, 1))
        return 1;
    return 0;
}

/* The player's source: the voices mixed, on the mixer thread, which holds
 * the player's lock. */
static long source(void *user, float *out, size_t n, uint64_t frame, mq_error *err)
{
    (void)frame, (void)err;
    mq_live *l = user;
    voice *vs = l->ms.v;
    memset(out, 0, n * (size_t)l->ch * sizeof *out);
    int saying = 0;
    for (int i = 0; i < MQ_LIVE_MAX_VOICES; i++)
        saying |= vs[i].used && vs[i].cue < 0;
    /* The duck: linear ramps in gain, down before the ad-lib speaks. */
    float target = saying ? l->duck_lo : 1.0f;
    float down = (1.0f - l->duck_lo) / (float)(DUCK_ATTACK * l->rate);
    float up = (1.0f - l->duck_lo) / (float)(DUCK_RELEASE * l->rate);
    float duck = l->ms.duck;
    for (size_t k = 0; k < n; k++) {
        if (duck > target)
            duck = fmaxf(target, duck - down);
        else if (duck < target)
            duck = fminf(target, duck + up);
        l->duckbuf[k] = duck;
    }
    l->ms.duck = duck;
    int again = 1;
    for (int i = 0; i < MQ_LIVE_MAX_VOICES; i++)
        vs[i].delay = vs[i].pending ? vs[i].delay : 0;
    /* Cues started by auto-follow inside this block are mixed from their
     * first frame in the same pass, sample-accurately. */
    int seen[MQ_LIVE_MAX_VOICES] = { 0 };
    while (again) {
        again = 0;
        for (int i = 0; i < MQ_LIVE_MAX_VOICES; i++) {
            if (!vs[i].used || (seen[i] && !vs[i].pending))
                continue;
            seen[i] = 1;
            again |= mix_voice(l, &vs[i], out, n);
        }
    }
    l->ms.frame += n;
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
    l->ms.duck = 1;
    l->ms.next = mq_cues_count(cues) ? 0 : -1;
    l->last_go = -1e9;
    l->last_latency_ms = -1;
    l->t0 = mq_device_now_ns();
    /* A deep queue with cut-in: the mixer keeps MQ_LIVE_QUEUE seconds mixed
     * ahead, so that a stall of the machine (another process's long kernel
     * call, a virtual machine's host taking its CPUs) of up to that long
     * passes without a gap; a command takes back the queued future from just
     * ahead of the device (two device buffers) and has it mixed again, so a
     * GO still sounds within milliseconds. */
    mq_player_opts po = { .device = l->o.device, .ceiling_dbtp = opts->ceiling_dbtp,
                          .block = BLOCK, .realtime = 1, .state_size = sizeof(mix_state),
                          .save = save_state, .load = load_state };
    if (!po.device.frames_per_buffer)
        po.device.frames_per_buffer = 128;
    po.ahead = (size_t)(MQ_LIVE_QUEUE * l->rate);
    int rc = mq_player_create(&po, source, l, &l->player, err);
    if (rc != MQ_OK) {
        free(l->duckbuf);
        free(l);
        return rc;
    }
    *out = l;
    /* The device starts on audio: a little is queued first. */
    for (int i = 0; i < 200 && mq_player_queued(l->player) < (size_t)l->rate / 100; i++) {
        struct timespec ts = { 0, 1000000 };
        nanosleep(&ts, NULL);
    }
    rc = mq_player_open_device(l->player, err);
    l->dev_ok = rc == MQ_OK;
    mq_player_lock(l->player);
    if (rc == MQ_OK)
        push(l, MQ_EV_DEVICE_OK, -1);
    else
        snprintf(push(l, MQ_EV_DEVICE_ERROR, -1)->text, 256, "%.250s", err ? err->msg : "");
    mq_player_unlock(l->player);
    return rc;
}

void mq_live_free(mq_live *l)
{
    if (!l)
        return;
    mq_player_free(l->player);
    free(l->duckbuf);
    free(l);
}

int mq_live_go(mq_live *l, long cue, mq_error *err)
{
    uint64_t now = mq_device_now_ns();
    double t = since(l, now);
    long n = (long)mq_cues_count(l->cues);
    mq_player_lock(l->player);
    const mix_state *heard = mq_player_heard(l->player, NULL);
    long guess = cue >= 0 ? cue : heard ? heard->next : l->ms.next;
    int ignored = l->o.go_guard > 0 && t - l->last_go < l->o.go_guard;
    if (ignored)
        push(l, MQ_EV_GO_IGNORED, guess);
    mq_player_unlock(l->player);
    if (ignored)
        return 1;
    if (guess >= 0 && guess < n)
        mq_cues_touch(l->cues, (size_t)guess, 1.0);   /* resident before the mixer needs it */
    int rc = MQ_OK;
    mq_player_lock(l->player);
    cut(l);
    long c = cue < 0 ? l->ms.next : cue;
    voice *v = NULL;
    if (c < 0 || c >= n)
        rc = mq_error_set(err, MQ_EINVAL, cue < 0 ? "no cue left to GO (the show is at its end)"
                                                  : "no cue %ld (cues are 1 to %ld)", c + 1, n);
    else if (!(v = start_cue(l, c, 0, 0)))
        rc = mq_error_set(err, MQ_EINVAL, "%d sounds at once already; stop one first",
                          MQ_LIVE_MAX_VOICES);
    if (v) {
        v->go = 1;
        l->go_ns = now;
        l->go_pending = 1;
        l->mark_set = 0;
        l->last_go = t;
    }
    mq_player_unlock(l->player);
    return rc;
}

void mq_live_set_next(mq_live *l, long cue)
{
    mq_player_lock(l->player);
    if (cue >= 0 && (size_t)cue < mq_cues_count(l->cues)) {
        cut(l);
        l->ms.next = cue;
    }
    mq_player_unlock(l->player);
}

/* Fades voice V out over SECONDS (lock held). */
static void fade_voice(mq_live *l, voice *v, double seconds)
{
    float step = -v->gain / (float)(seconds * l->rate > 1 ? seconds * l->rate : 1);
    if (!v->fading || step < v->step)
        v->step = step;
    v->fading = 1;
}

void mq_live_stop(mq_live *l)
{
    mq_player_lock(l->player);
    cut(l);
    voice *cur = NULL;
    for (int i = 0; i < MQ_LIVE_MAX_VOICES; i++) {
        voice *v = &l->ms.v[i];
        if (v->used && v->cue >= 0 && !v->fading && (!cur || v->start >= cur->start))
            cur = v;
    }
    if (cur)
        fade_voice(l, cur, MQ_LIVE_STOP_FADE);
    mq_player_unlock(l->player);
}

void mq_live_fade(mq_live *l, double seconds)
{
    mq_player_lock(l->player);
    cut(l);
    for (int i = 0; i < MQ_LIVE_MAX_VOICES; i++)
        if (l->ms.v[i].used)
            fade_voice(l, &l->ms.v[i], seconds);
    mq_player_unlock(l->player);
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
    if (!data)
        return mq_error_set(err, MQ_EINVAL, "say: no audio");
    mq_player_lock(l->player);
    publish(l);
    int room = l->n_held < MQ_LIVE_MAX_ADLIBS;
    cut(l);
    voice *v = room ? new_voice(l) : NULL;
    if (v) {
        v->cue = -1;
        v->data = data;
        v->frames = frames;
        v->wait = (size_t)(SAY_LEAD * l->rate);
        l->held[l->n_held++] = data;
    }
    mq_player_unlock(l->player);
    if (!room)
        return mq_error_set(err, MQ_EINVAL, "%d ad-libs are waiting to end already",
                            MQ_LIVE_MAX_ADLIBS);
    return v ? MQ_OK : mq_error_set(err, MQ_EINVAL, "%d sounds at once already; stop one first",
                                    MQ_LIVE_MAX_VOICES);
}

int mq_live_holds(mq_live *l, const float *data)
{
    mq_player_lock(l->player);
    publish(l);
    int held = 0;
    for (size_t i = 0; i < l->n_held && !held; i++)
        held = l->held[i] == data;
    mq_player_unlock(l->player);
    return held;
}

int mq_live_reopen(mq_live *l, mq_error *err)
{
    int rc = mq_player_reopen(l->player, err);
    mq_player_lock(l->player);
    if (rc == MQ_OK)
        push(l, MQ_EV_DEVICE_OK, -1);
    else
        snprintf(push(l, MQ_EV_DEVICE_ERROR, -1)->text, 256, "%.250s", err ? err->msg : "");
    mq_player_unlock(l->player);
    l->dev_ok = rc == MQ_OK;
    if (rc == MQ_OK)
        mq_player_pause(l->player, l->paused);
    return rc;
}

void mq_live_poll(mq_live *l)
{
    mq_error err = { 0 };
    int rc = mq_player_check(l->player, &err);
    mq_player_lock(l->player);
    publish(l);
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
    mq_player_unlock(l->player);
}

int mq_live_next_event(mq_live *l, mq_live_event *ev)
{
    mq_player_lock(l->player);
    publish(l);
    int got = l->ev.count > 0;
    if (got) {
        *ev = l->ev.e[l->ev.head];
        l->ev.head = (l->ev.head + 1) % MAX_EVENTS;
        l->ev.count--;
    }
    mq_player_unlock(l->player);
    return got;
}

void mq_live_status_get(mq_live *l, mq_live_status *st)
{
    memset(st, 0, sizeof *st);
    mq_player_lock(l->player);
    publish(l);
    /* What the device plays now, not the queued future. */
    float peak = 0;
    const mix_state *ms = mq_player_heard(l->player, &peak);
    if (!ms)
        ms = &l->ms;
    st->next = ms->next;
    st->current = -1;
    const voice *cur = NULL;
    for (int i = 0; i < MQ_LIVE_MAX_VOICES; i++) {
        const voice *v = &ms->v[i];
        if (!v->used || v->cue < 0)
            continue;
        st->playing++;
        st->playing_cues[st->n_playing_cues++] = v->cue;
        if (!cur || v->start > cur->start || (v->start == cur->start && v->pending))
            cur = v;
    }
    /* An ad-lib counts from mq_live_say to its say_end event: until then the
     * engine may mix it again (a cut-in) and holds its data. */
    st->saying = l->n_held > 0;
    st->playing += (int)l->n_held;
    if (cur) {
        st->current = cur->cue;
        st->elapsed = (double)cur->pos / l->rate;
        st->remaining = (double)(cur->frames - cur->pos) / l->rate;
    }
    st->frame = mq_player_position(l->player);
    mq_player_unlock(l->player);
    st->paused = l->paused;
    st->peak_db = peak > 0 ? 20 * log10(peak) : -INFINITY;
    st->underruns = mq_player_underruns(l->player);
    st->last_latency_ms = l->last_latency_ms;
    mq_device *d = mq_player_device(l->player);
    st->device_latency_ms = mq_device_latency(d) * 1000;
    st->device_ok = l->dev_ok;
    st->realtime = mq_player_realtime(l->player);
    snprintf(st->device, sizeof st->device, "%s", mq_device_name(d));
    st->time = since(l, mq_device_now_ns());
}
