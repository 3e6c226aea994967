/* mq_pipe.c — blocks handed to stage threads in order; see mq_pipe.h. */
#define _GNU_SOURCE /* pthread_rwlockattr_setkind_np */
#include "mq_pipe.h"

#include <pthread.h>
#include <stdlib.h>

typedef struct stage {
    struct mq_pipe *p;
    mq_pipe_fn fn;
    void *ctx;
    size_t done;        /* blocks consumed */
    pthread_t th;
    int threaded;
} stage;

struct mq_pipe {
    pthread_mutex_t mu;
    pthread_cond_t more;    /* a block was put, or the pipe is closing */
    pthread_cond_t room;    /* a stage finished a block */
    size_t frames;
    size_t n;
    stage st[MQ_PIPE_MAX_STAGES];
    float *buf[MQ_PIPE_SLOTS];
    size_t len[MQ_PIPE_SLOTS];
    size_t put;             /* blocks put */
    size_t started;         /* stage threads running their loop */
    int closing, abort;
    int rc;                 /* the first failure */
    mq_error err;
};

/*
 * A fork while a stage is at work (the mixer forks a synthesis process when
 * it reaches speech nobody has made yet) could give the child a lock that
 * thread held at that instant, held for ever: the sanitizers' allocator,
 * whose lock nothing resets at fork, deadlocked the child in faults.sh. So
 * a stage works holding this gate for reading, and every fork in the process
 * first takes it for writing (pthread_atfork): it waits for the blocks in
 * progress, and the stages wait for it. (mq_pipe_create also waits for its
 * threads to be past their start, which allocates.)
 */
static pthread_rwlock_t fork_gate;
static pthread_once_t gate_once = PTHREAD_ONCE_INIT;

static void gate_make(void)
{
    pthread_rwlockattr_t a;
    pthread_rwlockattr_init(&a);
    /* A fork must not wait behind an endless line of blocks. */
    pthread_rwlockattr_setkind_np(&a, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
    pthread_rwlock_init(&fork_gate, &a);
    pthread_rwlockattr_destroy(&a);
}

static void gate_close(void) { pthread_rwlock_wrlock(&fork_gate); }
static void gate_open(void) { pthread_rwlock_unlock(&fork_gate); }
/* The child's only thread has another thread id than the one that took the
 * lock, and glibc's unlock goes by thread id: unlocking there left the gate
 * shut, and the child's own first fork waited for ever (mq_release's double
 * fork). The child gets a new, open gate instead; no other thread exists in
 * it to hold the old one. */
static void gate_renew(void) { gate_make(); }

static void gate_init(void)
{
    gate_make();
    pthread_atfork(gate_close, gate_open, gate_renew);
}

/* Runs stage S over block K, recording the first failure. Called without the
 * lock; a stage skips its work once anything failed, but still counts the
 * block, so the producer is never left waiting. */
static void consume(mq_pipe *p, stage *s, size_t k)
{
    pthread_mutex_lock(&p->mu);
    int failed = p->rc != MQ_OK;
    pthread_mutex_unlock(&p->mu);
    mq_error e = { 0 };
    int rc = MQ_OK;
    if (!failed) {
        pthread_rwlock_rdlock(&fork_gate);
        rc = s->fn(s->ctx, p->buf[k % MQ_PIPE_SLOTS], p->len[k % MQ_PIPE_SLOTS], &e);
        pthread_rwlock_unlock(&fork_gate);
    }
    pthread_mutex_lock(&p->mu);
    if (rc != MQ_OK && p->rc == MQ_OK) {
        p->rc = rc;
        p->err = e;
        p->err.code = rc;
    }
    s->done++;
    pthread_cond_broadcast(&p->room);
    pthread_mutex_unlock(&p->mu);
}

static void *stage_run(void *arg)
{
    stage *s = arg;
    mq_pipe *p = s->p;
    pthread_mutex_lock(&p->mu);
    p->started++;
    pthread_cond_broadcast(&p->room);
    for (;;) {
        while (s->done == p->put && !p->closing && !p->abort)
            pthread_cond_wait(&p->more, &p->mu);
        if (p->abort || s->done == p->put)
            break;
        size_t k = s->done;
        pthread_mutex_unlock(&p->mu);
        consume(p, s, k);
        pthread_mutex_lock(&p->mu);
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

/* Wakes the stages (to drain what was put, or, with ABORT, to stop at once)
 * and waits for their threads to end. */
static void stop_threads(mq_pipe *p, int abort)
{
    pthread_mutex_lock(&p->mu);
    if (abort)
        p->abort = 1;
    p->closing = 1;
    pthread_cond_broadcast(&p->more);
    pthread_mutex_unlock(&p->mu);
    for (size_t i = 0; i < p->n; i++)
        if (p->st[i].threaded) {
            pthread_join(p->st[i].th, NULL);
            p->st[i].threaded = 0;
        }
}

void mq_pipe_free(mq_pipe *p)
{
    if (!p)
        return;
    stop_threads(p, 1);
    for (int k = 0; k < MQ_PIPE_SLOTS; k++)
        free(p->buf[k]);
    pthread_cond_destroy(&p->more);
    pthread_cond_destroy(&p->room);
    pthread_mutex_destroy(&p->mu);
    free(p);
}

int mq_pipe_create(size_t frames, int channels, size_t n, const mq_pipe_fn *fn,
                   void *const *ctx, mq_pipe **out, mq_error *err)
{
    *out = NULL;
    if (n < 1 || n > MQ_PIPE_MAX_STAGES || !frames || channels < 1)
        return mq_error_set(err, MQ_EINVAL, "pipe: %zu stages of %zu frames of %d channels",
                            n, frames, channels);
    for (size_t i = 0; i < n; i++)
        if (!fn[i])
            return mq_error_set(err, MQ_EINVAL, "pipe: stage %zu has no function", i);
    pthread_once(&gate_once, gate_init);
    mq_pipe *p = calloc(1, sizeof *p);
    if (!p)
        return mq_error_set(err, MQ_ENOMEM, "out of memory");
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->more, NULL);
    pthread_cond_init(&p->room, NULL);
    p->frames = frames;
    p->n = n;
    for (int k = 0; k < MQ_PIPE_SLOTS; k++)
        if (!(p->buf[k] = malloc(frames * (size_t)channels * sizeof(float)))) {
            mq_pipe_free(p);
            return mq_error_set(err, MQ_ENOMEM, "out of memory");
        }
    for (size_t i = 0; i < n; i++) {
        stage *s = &p->st[i];
        s->p = p;
        s->fn = fn[i];
        s->ctx = ctx[i];
        /* No thread: the stage runs in the producer's (mq_pipe_put). */
        s->threaded = pthread_create(&s->th, NULL, stage_run, s) == 0;
    }
    /* The threads are past their start (where the C library and the
     * sanitizers allocate) before the producer goes on: it may fork. */
    size_t want = 0;
    for (size_t i = 0; i < n; i++)
        want += (size_t)p->st[i].threaded;
    pthread_mutex_lock(&p->mu);
    while (p->started < want)
        pthread_cond_wait(&p->room, &p->mu);
    pthread_mutex_unlock(&p->mu);
    *out = p;
    return MQ_OK;
}

/* The fewest blocks any stage has consumed. Lock held. */
static size_t min_done(const mq_pipe *p)
{
    size_t m = p->put;
    for (size_t i = 0; i < p->n; i++)
        if (p->st[i].done < m)
            m = p->st[i].done;
    return m;
}

float *mq_pipe_slot(mq_pipe *p)
{
    pthread_mutex_lock(&p->mu);
    while (p->rc == MQ_OK && p->put - min_done(p) >= MQ_PIPE_SLOTS)
        pthread_cond_wait(&p->room, &p->mu);
    float *b = p->rc == MQ_OK ? p->buf[p->put % MQ_PIPE_SLOTS] : NULL;
    pthread_mutex_unlock(&p->mu);
    return b;
}

/* The first failure, copied to ERR. Lock held. */
static int failure(mq_pipe *p, mq_error *err)
{
    if (p->rc != MQ_OK && err)
        *err = p->err;
    return p->rc;
}

int mq_pipe_put(mq_pipe *p, size_t frames, mq_error *err)
{
    pthread_mutex_lock(&p->mu);
    size_t k = p->put;
    p->len[k % MQ_PIPE_SLOTS] = frames > p->frames ? p->frames : frames;
    p->put++;
    pthread_cond_broadcast(&p->more);
    pthread_mutex_unlock(&p->mu);
    for (size_t i = 0; i < p->n; i++)
        if (!p->st[i].threaded)
            consume(p, &p->st[i], k);
    pthread_mutex_lock(&p->mu);
    int rc = failure(p, err);
    pthread_mutex_unlock(&p->mu);
    return rc;
}

int mq_pipe_finish(mq_pipe *p, mq_error *err)
{
    stop_threads(p, 0);
    pthread_mutex_lock(&p->mu);
    int rc = failure(p, err);
    pthread_mutex_unlock(&p->mu);
    return rc;
}

int mq_pipe_close(mq_pipe *p, int rc, mq_error *err)
{
    if (!p)
        return rc;
    int rf = rc == MQ_OK ? mq_pipe_finish(p, err) : MQ_OK;
    mq_pipe_free(p);
    return rc != MQ_OK ? rc : rf;
}
