/* test_pipe.c — mq_pipe: every stage sees every block once, in order, and a
 * stage's failure stops the producer and comes back from mq_pipe_close. */
#include "mq_test.h"
#include "util/mq_pipe.h"

#include <stdint.h>
#include <stdlib.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>

#define FRAMES 64
#define BLOCKS 2000

typedef struct seen {
    size_t blocks, frames;
    int in_order;
    uint64_t sum;           /* order-sensitive digest of every sample seen */
    size_t fail_at;         /* fail on this block (0: never) */
    int slow;
} seen;

static int record(void *ctx, const float *buf, size_t n, mq_error *err)
{
    seen *s = ctx;
    s->blocks++;
    if (s->fail_at && s->blocks == s->fail_at)
        return mq_error_set(err, MQ_EIO, "stage failed at block %zu", s->blocks);
    for (size_t i = 0; i < n * 2; i++) {
        /* Block b's samples are b, b + 0.5: a block seen out of order or
         * twice changes the count or the digest. */
        if (buf[i] != (float)(s->blocks - 1) + (i % 2 ? 0.5f : 0.0f))
            s->in_order = 0;
        s->sum = s->sum * 31 + (uint64_t)(buf[i] * 2);
    }
    s->frames += n;
    if (s->slow && s->blocks % 97 == 0) {
        struct timespec ts = { 0, 200000 };
        nanosleep(&ts, NULL);
    }
    return MQ_OK;
}

/* Puts BLOCKS blocks (block b: b, b + 0.5 in every frame, of b % FRAMES + 1
 * frames) through N stages. The status of the run; *PUT the blocks put. */
static int run(seen *s, size_t n, size_t *put, mq_error *err)
{
    mq_pipe_fn fn[MQ_PIPE_MAX_STAGES] = { record, record, record, record };
    void *ctx[MQ_PIPE_MAX_STAGES] = { &s[0], &s[1], &s[2], &s[3] };
    mq_pipe *p;
    int rc = mq_pipe_create(FRAMES, 2, n, fn, ctx, &p, err);
    if (rc != MQ_OK)
        return rc;
    *put = 0;
    for (size_t b = 0; b < BLOCKS && rc == MQ_OK; b++) {
        float *buf = mq_pipe_slot(p);
        if (!buf)
            break;
        size_t len = b % FRAMES + 1;
        for (size_t i = 0; i < len; i++) {
            buf[2 * i] = (float)b;
            buf[2 * i + 1] = (float)b + 0.5f;
        }
        rc = mq_pipe_put(p, len, err);
        ++*put;
    }
    return mq_pipe_close(p, rc, err);
}

int main(void)
{
    mq_error err = { 0 };
    size_t put = 0;
    /* The digest one stage gets when it sees everything in order. */
    seen ref[4] = { { .in_order = 1 } };
    CHECK_INT(run(ref, 1, &put, &err), MQ_OK, "one stage runs");
    CHECK_INT(ref[0].blocks, BLOCKS, "one stage sees every block");
    CHECK(ref[0].in_order, "one stage sees them in order");
    CHECK_INT(ref[0].frames, (size_t)BLOCKS / FRAMES * (FRAMES * (FRAMES + 1) / 2) +
                                 (BLOCKS % FRAMES) * (BLOCKS % FRAMES + 1) / 2,
              "one stage sees every frame");

    seen s[4] = { { .in_order = 1 }, { .in_order = 1, .slow = 1 }, { .in_order = 1 },
                  { .in_order = 1, .slow = 1 } };
    CHECK_INT(run(s, 4, &put, &err), MQ_OK, "four stages run");
    for (int i = 0; i < 4; i++) {
        CHECK_INT(s[i].blocks, BLOCKS, "each of four stages sees every block");
        CHECK(s[i].in_order, "each of four stages sees them in order");
        CHECK(s[i].sum == ref[0].sum, "each of four stages sees the same samples");
    }

    /* A failing stage: the producer stops soon after, the error comes back,
     * and the other stage does not wait for ever. */
    seen f[4] = { { .in_order = 1 }, { .in_order = 1, .fail_at = 300 } };
    memset(&err, 0, sizeof err);
    CHECK_INT(run(f, 2, &put, &err), MQ_EIO, "a stage's failure is returned");
    CHECK_HAS(err.msg, "stage failed at block 300", "with the stage's message");
    CHECK(put >= 300 && put <= 300 + MQ_PIPE_SLOTS + 1, "the producer stops soon after");

    mq_pipe *p = NULL;
    mq_pipe_fn fn[1] = { record };
    void *ctx[1] = { s };
    CHECK_INT(mq_pipe_create(FRAMES, 2, 0, fn, ctx, &p, &err), MQ_EINVAL, "no stage: refused");
    CHECK_INT(mq_pipe_create(0, 2, 1, fn, ctx, &p, &err), MQ_EINVAL, "no frames: refused");
    CHECK(p == NULL, "nothing made when refused");
    /* Freed without finishing (an error elsewhere): the threads stop (a
     * thread left running or a block lost shows under the sanitizers), and
     * the stage never sees more than was put. */
    seen one = { .in_order = 1 };
    void *one_ctx[1] = { &one };
    CHECK_INT(mq_pipe_create(FRAMES, 2, 1, fn, one_ctx, &p, &err), MQ_OK, "made");
    float *b = mq_pipe_slot(p);
    CHECK(b != NULL, "a slot");
    for (int i = 0; i < FRAMES * 2; i++)
        b[i] = i % 2 ? 0.5f : 0.0f;
    mq_pipe_put(p, FRAMES, &err);
    mq_pipe_free(p);
    CHECK(one.blocks <= 1 && one.in_order, "freed without finishing: at most the block put");
    /* Once a pipe has run, the fork gate is registered: a forked child must
     * be able to fork in turn (its gate was left shut before, and the second
     * fork waited for ever). The child gives up after 10 s. */
    pid_t c = fork();
    if (c == 0) {
        alarm(10);
        pid_t g = fork();
        if (g == 0)
            _exit(0);
        int gs = 1;
        _exit(g > 0 && waitpid(g, &gs, 0) == g && WIFEXITED(gs) ? 0 : 1);
    }
    int cs = 0;
    CHECK(c > 0 && waitpid(c, &cs, 0) == c && WIFEXITED(cs) && WEXITSTATUS(cs) == 0,
          "a child forks in turn after a pipe has run");
    MQ_TEST_END();
}
