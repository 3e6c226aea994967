/* mq_player.c — the mixer thread between a source and the device; see mq_player.h. */
#include "mq_player.h"
#include "../audio/mq_loudness.h"

#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

/* What the thread saves before each block (cut-in); the limiter's state and
 * the source's follow it in the slot. */
typedef struct slot_head {
    uint64_t ring_pos;            /* ring frames written before the block */
    uint64_t frame;               /* its first source frame */
    size_t skip;                  /* limiter delay still to drop */
    float peak;                   /* of the block's output, linear */
} slot_head;

#define SLOT_HEAD ((sizeof(slot_head) + 63) / 64 * 64)

struct mq_player {
    mq_player_opts o;
    mq_source_fn source;
    void *user;
    mq_ring *ring;
    mq_limiter *lim;
    mq_device *dev;
    pthread_t thread;
    int thread_up;
    atomic_int quit, ended, failed;
    atomic_int hold, parked;      /* mq_player_flush: asked; the thread waits */
    atomic_int rt;                /* SCHED_FIFO granted */
    _Atomic uint64_t hold_frame;  /* ring frame of the next source frame, while parked */
    int refill;                   /* after a flush: clear the ring's eof once frames come */
    double poll_ms;
    _Atomic uint32_t peak_bits;   /* float bits of the last block's peak */
    mq_error src_err;             /* written by the thread before `failed` is set */
    size_t latency, skip;         /* limiter delay; frames still to drop */
    size_t guard;                 /* cut-in: frames ahead of the device kept */
    float *in, *out;
    int16_t *pcm;
    pthread_mutex_t mu;           /* the mixer lock (mq_player_lock) */
    int mu_up;
    uint64_t frame;               /* source frame the thread mixes next (under mu) */
    /* Cut-in, under mu: slot q % nslots holds block q's saved state, for
     * blocks valid_from .. seq - 1 (at most nslots of them). */
    unsigned char *slots;
    size_t slot_size, nslots, lim_size;
    uint64_t seq, valid_from;
};

void mq_player_to_s16(const float *in, int16_t *out, size_t n)
{
    /* libsndfile 1.2 scales to 32 bits, rounds, and keeps the top 16
     * (pcm.c, f2s via f2i): that is a floor at 16 bits, with values under
     * half of 2^-31 rounding to 0 first. */
    for (size_t i = 0; i < n; i++) {
        float t = in[i] * 2147483648.0f;
        int32_t v = t >= 2147483647.0f ? INT32_MAX
                  : t <= -2147483648.0f ? INT32_MIN
                  : isnan(t) ? 0 : (int32_t)lrintf(t);
        out[i] = (int16_t)(v >> 16);
    }
}

static void sleep_ms(double ms)
{
    struct timespec ts = { 0, (long)(ms * 1e6) };
    nanosleep(&ts, NULL);
}

/* Converts and queues N limited frames from P->out, dropping the limiter's
 * delay first; waits for room (never longer than the ring needs). Returns
 * their peak, linear. */
static float queue(mq_player *p, const float *f, size_t n)
{
    size_t ch = (size_t)p->o.device.channels;
    if (p->skip) {
        size_t s = p->skip < n ? p->skip : n;
        p->skip -= s;
        f += s * ch;
        n -= s;
    }
    float peak = 0;
    for (size_t i = 0; i < n * ch; i++)
        peak = fmaxf(peak, fabsf(f[i]));
    uint32_t bits;
    memcpy(&bits, &peak, sizeof bits);
    atomic_store_explicit(&p->peak_bits, bits, memory_order_relaxed);
    mq_player_to_s16(f, p->pcm, n * ch);
    size_t done = 0;
    /* A flush asked meanwhile drops the rest of the block: it is the old place. */
    while (done < n && !atomic_load(&p->quit) && !atomic_load(&p->hold)) {
        done += mq_ring_write(p->ring, p->pcm + done * ch, n - done);
        if (done < n)
            sleep_ms(1);
    }
    if (done && p->refill) {
        mq_ring_set_eof(p->ring, 0);
        p->refill = 0;
    }
    return peak;
}

static slot_head *slot(const mq_player *p, uint64_t q)
{
    return (slot_head *)(p->slots + (size_t)(q % p->nslots) * p->slot_size);
}

/* The first block kept: nslots back, and none from before a flush. */
static uint64_t first_kept(const mq_player *p)
{
    uint64_t lo = p->seq >= p->nslots ? p->seq - p->nslots + 1 : 0;
    return lo > p->valid_from ? lo : p->valid_from;
}

/* The first kept block whose first frame in the ring (BY_FRAME: its first
 * source frame) is at or after POS — both never decrease from block to
 * block; p->seq when there is none. */
static uint64_t first_at_or_after(const mq_player *p, uint64_t pos, int by_frame)
{
    uint64_t lo = first_kept(p), hi = p->seq;
    while (lo < hi) {
        uint64_t mid = lo + (hi - lo) / 2;
        const slot_head *h = slot(p, mid);
        if ((by_frame ? h->frame : h->ring_pos) >= pos)
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

/* mq_player_flush, the thread's side: drop what is queued, reset the limiter,
 * wait while the source is moved. */
static void park(mq_player *p)
{
    mq_ring_set_eof(p->ring, 1);   /* the gap before new frames is no underrun */
    mq_ring_drop(p->ring);
    if (p->lim) {
        size_t n = 0;
        mq_limiter_flush(p->lim, p->out, &n);
        p->skip = p->latency;
    }
    pthread_mutex_lock(&p->mu);
    p->frame = mq_ring_written(p->ring);
    p->valid_from = p->seq;        /* nothing before the flush can be cut into */
    pthread_mutex_unlock(&p->mu);
    atomic_store(&p->hold_frame, p->frame);
    atomic_store(&p->ended, 0);
    p->refill = 1;
    atomic_store(&p->parked, 1);
    while (atomic_load(&p->hold) && !atomic_load(&p->quit))
        sleep_ms(0.1);
    atomic_store(&p->parked, 0);
}

/* Real-time priority for the mixer thread, just above the lowest: above
 * every ordinary thread (a busy core, eSpeak NG speaking an ad-lib, a build)
 * and below the audio callback's, which PortAudio raises for ALSA. */
#define MQ_PLAYER_RT_PRIORITY 5

static void *run(void *arg)
{
    mq_player *p = arg;
    mq_error err = { 0 };
#ifdef __linux__
    prctl(PR_SET_NAME, "muqir-mixer");   /* for ps, top and the tests */
#endif
    if (p->o.realtime) {
        struct sched_param sp = { .sched_priority = sched_get_priority_min(SCHED_FIFO) +
                                                    MQ_PLAYER_RT_PRIORITY };
        atomic_store(&p->rt, pthread_setschedparam(pthread_self(), SCHED_FIFO, &sp) == 0);
    }
    while (!atomic_load(&p->quit)) {
        if (atomic_load(&p->hold)) {
            park(p);
            continue;
        }
        if (atomic_load(&p->ended)) {
            sleep_ms(5);
            continue;
        }
        size_t queued = mq_ring_readable(p->ring);
        if (queued + p->o.block > p->o.ahead || mq_ring_writable(p->ring) < p->o.block) {
            sleep_ms(p->poll_ms);
            continue;
        }
        pthread_mutex_lock(&p->mu);
        slot_head *h = NULL;
        if (p->slots) {
            h = slot(p, p->seq);
            *h = (slot_head){ mq_ring_written(p->ring), p->frame, p->skip, 0 };
            mq_limiter_save(p->lim, (unsigned char *)h + SLOT_HEAD);
            p->o.save(p->user, (unsigned char *)h + SLOT_HEAD + p->lim_size);
            p->seq++;
        }
        long got = p->source(p->user, p->in, p->o.block, p->frame, &err);
        if (got < 0) {
            p->src_err = err;
            atomic_store(&p->failed, 1);
        }
        if (got <= 0) {
            size_t n = 0;
            if (p->lim) {
                mq_limiter_flush(p->lim, p->out, &n);
                queue(p, p->out, n);
            }
            mq_ring_set_eof(p->ring, 1);
            p->refill = 0;
            atomic_store(&p->ended, 1);
            pthread_mutex_unlock(&p->mu);
            continue;
        }
        p->frame += (uint64_t)got;
        float peak;
        if (!p->lim) {
            peak = queue(p, p->in, (size_t)got);
        } else {
            mq_limiter_process(p->lim, p->in, p->out, (size_t)got, NULL);
            peak = queue(p, p->out, (size_t)got);
        }
        if (h)
            h->peak = peak;
        pthread_mutex_unlock(&p->mu);
    }
    return NULL;
}

int mq_player_create(const mq_player_opts *opts, mq_source_fn source, void *user,
                     mq_player **out, mq_error *err)
{
    if (!out || !opts || !source || !opts->block || opts->block > opts->ahead ||
        opts->device.channels < 1 || opts->device.channels > 8 ||
        !(opts->poll_ms >= 0 && opts->poll_ms <= 500))
        return mq_error_set(err, MQ_EINVAL, "player: bad arguments");
    if (opts->state_size && (!opts->save || !opts->load || opts->no_limiter))
        return mq_error_set(err, MQ_EINVAL, "player: cut-in needs save, load and the limiter");
    *out = NULL;
    mq_player *p = calloc(1, sizeof *p);
    if (!p)
        return mq_error_set(err, MQ_ENOMEM, "out of memory");
    p->o = *opts;
    p->source = source;
    p->user = user;
    p->poll_ms = opts->poll_ms > 0 ? opts->poll_ms : 1;
    pthread_mutexattr_t ma;
    pthread_mutexattr_init(&ma);
    pthread_mutexattr_setprotocol(&ma, PTHREAD_PRIO_INHERIT);
    p->mu_up = pthread_mutex_init(&p->mu, &ma) == 0;
    pthread_mutexattr_destroy(&ma);
    if (!p->mu_up) {
        free(p);
        return mq_error_set(err, MQ_EINTERNAL, "the mixer lock could not be made");
    }
    size_t ch = (size_t)opts->device.channels;
    int rc = mq_ring_create(opts->ahead + opts->block, opts->device.channels, &p->ring, err);
    if (rc == MQ_OK && !opts->no_limiter)
        rc = mq_limiter_create(opts->device.rate, opts->device.channels, opts->ceiling_dbtp,
                               &p->lim, err);
    if (rc == MQ_OK) {
        p->latency = p->skip = mq_limiter_latency(p->lim);
        size_t n = opts->block > p->latency ? opts->block : p->latency;
        p->in = malloc(n * ch * sizeof *p->in);
        p->out = malloc(n * ch * sizeof *p->out);
        p->pcm = malloc(n * ch * sizeof *p->pcm);
        if (!p->in || !p->out || !p->pcm)
            rc = mq_error_set(err, MQ_ENOMEM, "out of memory");
    }
    if (rc == MQ_OK && opts->state_size) {
        /* Every queued block keeps its slot: the ring's frames and the
         * limiter's delay, and 64 more, so that after a cut the blocks
         * just before it (the one playing) are still kept. */
        p->guard = opts->guard ? opts->guard
                 : opts->device.frames_per_buffer ? 2 * (size_t)opts->device.frames_per_buffer
                                                  : 256;
        p->lim_size = (mq_limiter_state_size(p->lim) + 63) / 64 * 64;
        p->slot_size = SLOT_HEAD + p->lim_size + (opts->state_size + 63) / 64 * 64;
        p->nslots = (opts->ahead + p->latency) / opts->block + 64;
        p->slots = malloc(p->nslots * p->slot_size);
        if (!p->slots)
            rc = mq_error_set(err, MQ_ENOMEM, "out of memory");
    }
    if (rc == MQ_OK) {
        if (pthread_create(&p->thread, NULL, run, p)) {
            rc = mq_error_set(err, MQ_EINTERNAL, "the mixer thread did not start");
        } else {
            p->thread_up = 1;
            /* Real-time scheduling when the system allows it (root, or an
             * rtprio limit as audio users usually have): the shallow queue
             * of a live show must be refilled within milliseconds even on a
             * busy laptop. Without it the thread runs at normal priority. */
            struct sched_param sp = { .sched_priority = 10 };
            pthread_setschedparam(p->thread, SCHED_FIFO, &sp);
        }
    }
    if (rc != MQ_OK) {
        mq_player_free(p);
        return rc;
    }
    *out = p;
    return MQ_OK;
}

int mq_player_open_device(mq_player *p, mq_error *err)
{
    if (p->dev)
        return mq_player_reopen(p, err);
    int rc = mq_device_open(&p->o.device, p->ring, &p->dev, err);
    mq_device_expect(p->dev, 1);
    return rc;
}

int mq_player_reopen(mq_player *p, mq_error *err)
{
    if (!p->dev)
        return mq_player_open_device(p, err);
    return mq_device_reopen(p->dev, err);
}

int mq_player_check(mq_player *p, mq_error *err)
{
    if (atomic_load(&p->failed)) {
        if (err)
            *err = p->src_err;
        return p->src_err.code ? p->src_err.code : MQ_EINTERNAL;
    }
    return mq_device_check(p->dev, err);
}

size_t mq_player_queued(const mq_player *p)
{
    return mq_ring_readable(p->ring);
}

int mq_player_ended(const mq_player *p)
{
    return atomic_load(&((mq_player *)p)->ended);
}

int mq_player_done(const mq_player *p)
{
    return mq_player_ended(p) && mq_ring_readable(p->ring) == 0;
}

void mq_player_flush(mq_player *p, void (*seek)(void *user, uint64_t frame), void *user)
{
    atomic_store(&p->hold, 1);
    while (!atomic_load(&p->parked))
        sleep_ms(0.1);
    if (seek)
        seek(user, atomic_load(&p->hold_frame));
    atomic_store(&p->hold, 0);
    /* Wait until the thread has gone on, so that a second flush parks it anew. */
    while (atomic_load(&p->parked))
        sleep_ms(0.1);
}

uint64_t mq_player_position(const mq_player *p)
{
    return mq_ring_read_count(p->ring);
}

mq_ring *mq_player_ring(mq_player *p)
{
    return p->ring;
}

void mq_player_pause(mq_player *p, int paused)
{
    mq_device_pause(p->dev, paused);
}

int mq_player_realtime(const mq_player *p)
{
    return atomic_load(&((mq_player *)p)->rt);
}

unsigned long mq_player_underruns(const mq_player *p)
{
    return mq_device_underruns(p->dev);
}

uint64_t mq_player_frames(const mq_player *p)
{
    return mq_device_frames(p->dev);
}

double mq_player_peak(const mq_player *p)
{
    uint32_t bits = atomic_load_explicit(&((mq_player *)p)->peak_bits, memory_order_relaxed);
    float f;
    memcpy(&f, &bits, sizeof f);
    if (p->slots) {
        f = 0;
        mq_player_lock((mq_player *)p);
        mq_player_heard((mq_player *)p, &f);
        mq_player_unlock((mq_player *)p);
    }
    return f > 0 ? 20 * log10(f) : -INFINITY;
}

mq_device *mq_player_device(mq_player *p)
{
    return p->dev;
}

void mq_player_free(mq_player *p)
{
    if (!p)
        return;
    if (p->thread_up) {
        atomic_store(&p->quit, 1);
        pthread_join(p->thread, NULL);
    }
    mq_device_close(p->dev);
    mq_limiter_free(p->lim);
    mq_ring_free(p->ring);
    free(p->slots);
    if (p->mu_up)
        pthread_mutex_destroy(&p->mu);
    free(p->in);
    free(p->out);
    free(p->pcm);
    free(p);
}

void mq_player_lock(mq_player *p)
{
    pthread_mutex_lock(&p->mu);
}

void mq_player_unlock(mq_player *p)
{
    pthread_mutex_unlock(&p->mu);
}

uint64_t mq_player_cut_in(mq_player *p)
{
    if (!p->slots)
        return p->frame;
    uint64_t want = mq_ring_read_count(p->ring) + p->guard, q;
    for (;;) {
        q = first_at_or_after(p, want, 0);
        if (q == p->seq)
            return p->frame;      /* nothing queued that far ahead */
        uint64_t pos = slot(p, q)->ring_pos;
        uint64_t got = mq_ring_rewind(p->ring, pos);
        if (got == pos)
            break;
        if (got < pos)
            return p->frame;      /* a kept block past what was written: never so */
        want = got;               /* the device read past it meanwhile */
    }
    /* The slots are a circle: the blocks now taken back reused the slots of
     * the oldest blocks before Q, which are therefore no longer kept. */
    p->valid_from = first_kept(p);
    slot_head *h = slot(p, q);
    p->frame = h->frame;
    p->skip = h->skip;
    mq_limiter_load(p->lim, (unsigned char *)h + SLOT_HEAD);
    p->o.load(p->user, (unsigned char *)h + SLOT_HEAD + p->lim_size);
    p->seq = q;
    if (atomic_load(&p->ended)) {
        atomic_store(&p->ended, 0);
        mq_ring_set_eof(p->ring, 0);
    }
    return p->frame;
}

const void *mq_player_heard(mq_player *p, float *peak)
{
    if (!p->slots || p->seq == first_kept(p))
        return NULL;
    /* The last block that starts at or before the read position: by its
     * source frames for the state (ring frame K is source frame K), by its
     * output, which the limiter delays, for the peak. */
    uint64_t r = mq_ring_read_count(p->ring), lo = first_kept(p);
    uint64_t q = first_at_or_after(p, r + 1, 0), qp = first_at_or_after(p, r + 1, 1);
    if (peak)
        *peak = q > lo ? slot(p, q - 1)->peak : 0;
    return qp > lo ? (unsigned char *)slot(p, qp - 1) + SLOT_HEAD + p->lim_size : NULL;
}
