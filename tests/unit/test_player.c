/* test_player.c — the player's thread without a device (the test reads the
 * ring in the device's place): with no limiter the ring holds the source's
 * frames converted to 16 bits and nothing else, from the first frame; the
 * default (limited) path still hands quiet audio through unchanged once its
 * delay is dropped; mq_player_flush drops what is queued, lets the source be
 * moved while the thread is parked, and starts an ended source again; a cut-in
 * takes back the queued future and mixes it again from just ahead of the reader. */
#include "mq_test.h"
#include "live/mq_player.h"

#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* A source of numbered frames: channel 0 carries the frame's number within
 * the current run (mod 20000), channel 1 the run's id, both as k / 32768,
 * which 16 bits hold exactly. It ends after `len` frames. */
typedef struct counter {
    long run, pos, len;
    uint64_t seek_frame;   /* FRAME given to the last seek */
    uint64_t first_frame;  /* FRAME of the first read of the current run */
    int seen;              /* the current run has been read from */
    mq_player *player;
    long queued_at_seek;   /* frames queued when the seek was called */
} counter;

static long count_source(void *user, float *out, size_t n, uint64_t frame, mq_error *err)
{
    (void)err;
    counter *c = user;
    if (!c->seen) {
        c->first_frame = frame;
        c->seen = 1;
    }
    size_t k = 0;
    for (; k < n && c->pos < c->len; k++, c->pos++) {
        out[2 * k] = (float)(c->pos % 20000) / 32768.0f;
        out[2 * k + 1] = (float)c->run / 32768.0f;
    }
    return (long)k;
}

static void seek(void *user, uint64_t frame)
{
    counter *c = user;
    c->run++;
    c->pos = 0;
    c->seen = 0;
    c->seek_frame = frame;
    c->queued_at_seek = c->player ? (long)mq_player_queued(c->player) : -1;
}

static void nap(void)
{
    struct timespec ts = { 0, 1000000 };
    nanosleep(&ts, NULL);
}

/* Reads up to N frames from the player's ring into BUF, waiting (at most
 * 20 s: a loaded machine) until N have come or the player is done. */
static size_t take(mq_player *p, int16_t *buf, size_t n)
{
    size_t got = 0;
    for (int tries = 0; got < n && tries < 20000; tries++) {
        got += mq_ring_read(mq_player_ring(p), buf + 2 * got, n - got);
        if (got < n) {
            if (mq_player_done(p))
                break;
            nap();
        }
    }
    return got;
}

static mq_player_opts opts(int no_limiter)
{
    mq_player_opts o = { .ceiling_dbtp = -1, .ahead = 4096, .block = 512,
                         .no_limiter = no_limiter, .poll_ms = no_limiter ? 20 : 0 };
    o.device.rate = 48000;
    o.device.channels = 2;
    return o;
}

static void test_straight(int no_limiter)
{
    counter c = { .run = 1, .len = 30000 };
    mq_player *p;
    mq_error err = { 0 };
    mq_player_opts o = opts(no_limiter);
    CHECK_INT(mq_player_create(&o, count_source, &c, &p, &err), MQ_OK, "a player is made");
    static int16_t buf[2 * 40000];
    size_t got = take(p, buf, 40000);
    CHECK_INT(got, 30000, no_limiter ? "no limiter: every frame of the source comes, no more"
                                     : "limiter: every frame of the source comes, no more");
    size_t bad = 0;
    for (size_t k = 0; k < got; k++) {
        float want[2] = { (float)(k % 20000) / 32768.0f, 1.0f / 32768.0f };
        int16_t w[2];
        mq_player_to_s16(want, w, 2);
        if ((buf[2 * k] != w[0] || buf[2 * k + 1] != w[1]) && bad++ < 3)
            printf("frame %zu: %d %d, want %d %d\n", k, buf[2 * k], buf[2 * k + 1], w[0], w[1]);
    }
    CHECK_INT(bad, 0, no_limiter ? "no limiter: ring frame K is source frame K in 16 bits"
                                 : "limiter: quiet audio passes unchanged, its delay dropped");
    CHECK(mq_player_done(p), "the player is done");
    CHECK_INT(mq_player_position(p), 30000, "the position is the frames taken");
    mq_player_free(p);
}

static void test_flush(void)
{
    counter c = { .run = 1, .len = 1000000 };
    mq_player *p;
    mq_error err = { 0 };
    mq_player_opts o = opts(1);
    CHECK_INT(mq_player_create(&o, count_source, &c, &p, &err), MQ_OK, "a player for flushes");
    static int16_t buf[2 * 8192];
    CHECK_INT(take(p, buf, 1000), 1000, "1000 frames of the first run");
    /* Let the queue fill up to `ahead`, then flush it. */
    for (int i = 0; i < 5000 && mq_player_queued(p) + o.block <= o.ahead; i++)
        nap();
    CHECK(mq_player_queued(p) > 2000, "the queue has filled");
    c.player = p;
    mq_player_flush(p, seek, &c);
    CHECK_INT(c.queued_at_seek, 0, "a flush has emptied the queue when the seek is called");
    CHECK_INT(c.run, 2, "the seek was called once, while the thread was parked");
    CHECK(c.seek_frame >= 1000 + 2000, "the seek is told the ring frame after what was queued");
    CHECK_INT(take(p, buf, 3000), 3000, "frames come again after the flush");
    CHECK_INT(buf[1], 2, "the first frame read after a flush is the new run's");
    CHECK_INT(buf[0], 0, "from its first frame");
    CHECK_INT(buf[2 * 2999], 2999, "and on without a gap");
    CHECK_INT(c.first_frame, c.seek_frame, "the source's frame numbers go on from the seek's");
    CHECK_INT(mq_player_position(p), c.seek_frame + 3000,
              "the position counts the dropped frames, so frame = source frame");
    /* Two flushes in a row, the second before anything was read. */
    mq_player_flush(p, seek, &c);
    mq_player_flush(p, seek, &c);
    CHECK_INT(take(p, buf, 10), 10, "after two flushes in a row");
    CHECK_INT(buf[1], 4, "only the last run's frames come");
    CHECK_INT(buf[0], 0, "from its start");
    /* A source that has ended goes on after a flush. */
    c.len = 100;
    mq_player_flush(p, seek, &c);
    CHECK_INT(take(p, buf, 1000), 100, "a short run ends");
    CHECK(mq_player_done(p), "the player is done");
    c.len = 50;
    mq_player_flush(p, seek, &c);
    CHECK(!mq_player_done(p), "a flush after the end lets it go on");
    CHECK_INT(take(p, buf, 1000), 50, "the run after the end plays");
    CHECK_INT(buf[1], 6, "it is the new run");
    CHECK(mq_player_done(p), "and ends again");
    mq_player_free(p);

    /* The limited path flushes too: the limiter starts afresh, its delay dropped again. */
    counter d = { .run = 1, .len = 1000000 };
    o = opts(0);
    CHECK_INT(mq_player_create(&o, count_source, &d, &p, &err), MQ_OK, "a limited player");
    CHECK_INT(take(p, buf, 500), 500, "frames through the limiter");
    mq_player_flush(p, seek, &d);
    CHECK_INT(take(p, buf, 500), 500, "and after a flush");
    CHECK_INT(buf[1], 2, "the new run's first frame comes first: nothing of the old run held back");
    CHECK_INT(buf[0], 0, "with no delay");
    CHECK_INT(buf[2 * 499], 499, "and none later");
    mq_player_free(p);
}

/* ---- cut-in ---- */

static void save_counter(void *user, void *state)
{
    memcpy(state, user, sizeof(counter));
}

static void load_counter(void *user, const void *state)
{
    memcpy(user, state, sizeof(counter));
}

/* A limited player with cut-in over a counter, 8192 frames deep. */
static mq_player_opts cut_opts(void)
{
    mq_player_opts o = opts(0);
    o.ahead = 8192;
    o.block = 64;
    o.state_size = sizeof(counter);
    o.save = save_counter;
    o.load = load_counter;
    return o;
}

/* A deep queue taken back at a cut-in: the frames before the cut are the old
 * run, every frame from it on the new one, with no frame lost or repeated,
 * and the cut lies just past the guard ahead of the reader. */
static void test_cut_in(void)
{
    counter c = { .run = 1, .len = 1000000 };
    mq_player *p;
    mq_error err = { 0 };
    mq_player_opts o = cut_opts();
    mq_player_opts bad = o;
    bad.load = NULL;
    CHECK_INT(mq_player_create(&bad, count_source, &c, &p, &err), MQ_EINVAL,
              "cut-in without a load function is refused");
    CHECK_INT(mq_player_create(&o, count_source, &c, &p, &err), MQ_OK, "a player with cut-in");
    for (int i = 0; i < 20000 && mq_player_queued(p) < 8000; i++)
        nap();
    static int16_t buf[2 * 20000];
    size_t got = take(p, buf, 1000);
    mq_player_lock(p);
    uint64_t r = mq_player_position(p);
    const counter *h = mq_player_heard(p, NULL);
    long heard_pos = h ? h->pos : -1;
    uint64_t at = mq_player_cut_in(p);
    c.run = 2;
    mq_player_unlock(p);
    got += take(p, buf + 2 * got, 20000 - got);
    CHECK_INT(got, 20000, "frames keep coming after the cut");
    MQ_CHECK_(heard_pos >= (long)r - 64 && heard_pos <= (long)r, "the state heard is the "
              "block at the reader", "block at %ld, reader at %llu", heard_pos,
              (unsigned long long)r);
    long ahead = (long)(at - r);
    MQ_CHECK_(ahead >= 256 + 159 && ahead < 256 + 159 + 64, "the cut is just past the guard "
              "(256) and the limiter's delay (159)", "%ld frames ahead of the reader", ahead);
    size_t wrong = 0;
    for (size_t k = 0; k < got; k++) {
        int pos = buf[2 * k], run = buf[2 * k + 1];
        int want_run = k < at ? 1 : 2;
        if ((pos != (int)(k % 20000) || run != want_run) && wrong++ < 3)
            printf("frame %zu: pos %d run %d\n", k, pos, run);
    }
    CHECK_INT(wrong, 0, "the old run up to the cut, the new from it on, every frame once");
    mq_player_free(p);
}

/* Cuts one after another, some before the thread has mixed anything since the
 * last (the slots of the taken-back future reuse those of the oldest blocks:
 * a second cut must not take them for kept ones — the live soak hung on it),
 * with the reader moving between them: every frame once, in order, the run
 * ids never going back, and no cut left waiting. */
static void test_many_cuts(void)
{
    counter c = { .run = 1, .len = 100000000 };
    mq_player *p;
    mq_error err = { 0 };
    mq_player_opts o = cut_opts();
    CHECK_INT(mq_player_create(&o, count_source, &c, &p, &err), MQ_OK, "a player for many cuts");
    static int16_t buf[2 * 600];
    uint64_t k = 0;
    uint32_t seed = 99;
    size_t wrong = 0, back = 0, cuts = 0, doubles = 0;
    int last_run = 1;
    for (int i = 0; i < 400; i++) {
        seed = seed * 1103515245u + 12345u;
        size_t n = (seed >> 16) % 600;
        size_t got = n ? take(p, buf, n) : 0;
        for (size_t j = 0; j < got; j++, k++) {
            int pos = buf[2 * j], run = buf[2 * j + 1];
            if (pos != (int)(k % 20000) && wrong++ < 3)
                printf("frame %llu: pos %d\n", (unsigned long long)k, pos);
            if (run < last_run && back++ < 3)
                printf("frame %llu: run %d after %d\n", (unsigned long long)k, run, last_run);
            last_run = run;
        }
        /* Let the queue fill now and then, so that cuts take back much. */
        if ((seed >> 8) % 4 == 0)
            for (int t = 0; t < 200 && mq_player_queued(p) < 8000; t++)
                nap();
        mq_player_lock(p);
        mq_player_cut_in(p);
        c.run++;
        if ((seed >> 12) % 3 == 0) {   /* a second command at once */
            mq_player_cut_in(p);
            c.run++;
            doubles++;
        }
        mq_player_unlock(p);
        cuts++;
    }
    CHECK_INT(wrong, 0, "many cuts: every frame once, in order");
    CHECK_INT(back, 0, "many cuts: never a frame of a run taken back after a newer one");
    CHECK(doubles > 50, "some cuts came two at once");
    printf("(%zu cuts, %zu of them doubled, %llu frames)\n", cuts, doubles, (unsigned long long)k);
    mq_player_free(p);
}

/* A cut that never returns (the bug test_many_cuts guards against) fails
 * the test instead of hanging the suite. */
static void on_alarm(int sig)
{
    (void)sig;
    static const char msg[] = "FAIL: test_player did not finish in 120 s (a cut hung?)\n";
    if (write(1, msg, sizeof msg - 1) < 0)
        _exit(2);
    _exit(1);
}

int main(void)
{
    signal(SIGALRM, on_alarm);
    alarm(120);
    mq_error err = { 0 };
    mq_player *p;
    mq_player_opts o = opts(1);
    o.poll_ms = 501;
    counter c = { .len = 1 };
    CHECK_INT(mq_player_create(&o, count_source, &c, &p, &err), MQ_EINVAL,
              "a poll of more than half a second is refused");
    test_straight(1);
    test_straight(0);
    test_flush();
    test_cut_in();
    test_many_cuts();
    MQ_TEST_END();
}
