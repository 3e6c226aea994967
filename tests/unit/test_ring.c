/* test_ring.c — the lock-free SPSC ring: sizes, wrap-around, and a producer
 * and a consumer thread passing millions of numbered frames in chunks of
 * varying sizes with no frame lost, duplicated or reordered. */
#include "mq_test.h"
#include "live/mq_ring.h"

#include <pthread.h>
#include <sched.h>
#include <stdint.h>

#define FRAMES 6000000u

static mq_ring *ring;

/* Frame K carries K in two 16-bit halves (channel 0 low, channel 1 high). */
static void *producer(void *arg)
{
    (void)arg;
    int16_t buf[2 * 700];
    uint32_t k = 0, seed = 1;
    while (k < FRAMES) {
        seed = seed * 1103515245u + 12345u;
        size_t n = 1 + (seed >> 16) % 700;
        if (n > FRAMES - k)
            n = FRAMES - k;
        for (size_t i = 0; i < n; i++) {
            buf[2 * i] = (int16_t)(uint16_t)((k + i) & 0xffff);
            buf[2 * i + 1] = (int16_t)(uint16_t)((k + i) >> 16);
        }
        size_t done = 0;
        while (done < n) {
            size_t w = mq_ring_write(ring, buf + 2 * done, n - done);
            done += w;
            if (!w)
                sched_yield();
        }
        k += (uint32_t)n;
    }
    return NULL;
}

int main(void)
{
    mq_error err = { 0 };
    mq_ring *r;
    CHECK_INT(mq_ring_create(0, 2, &r, &err), MQ_EINVAL, "a ring of no frames is refused");
    CHECK_INT(mq_ring_create(100, 2, &r, &err), MQ_OK, "a ring is made");
    CHECK_INT(mq_ring_capacity(r), 128, "capacity rounds up to a power of two");
    int16_t in[2 * 200], out[2 * 200];
    for (int i = 0; i < 400; i++)
        in[i] = (int16_t)i;
    CHECK_INT(mq_ring_write(r, in, 200), 128, "a full ring takes only what fits");
    CHECK_INT(mq_ring_writable(r), 0, "and then has no room");
    CHECK_INT(mq_ring_read(r, out, 100), 100, "reads what was asked");
    CHECK_INT(out[199], 199, "in order");
    CHECK_INT(mq_ring_write(r, in, 90), 90, "writes across the end (wraps)");
    CHECK_INT(mq_ring_read(r, out, 200), 118, "reads what there is");
    CHECK_INT(out[2 * 28], 0, "the wrapped part follows the rest");
    CHECK_INT(out[2 * 117 + 1], 179, "to the last sample");
    CHECK_INT(mq_ring_read(r, out, 10), 0, "an empty ring reads nothing");
    CHECK_INT(mq_ring_written(r), 218, "frames written are counted");
    CHECK_INT(mq_ring_read_count(r), 218, "frames read are counted");
    mq_ring_free(r);

    /* Two threads, a small ring so that it is full and empty often. */
    CHECK_INT(mq_ring_create(1024, 2, &ring, &err), MQ_OK, "a ring for two threads");
    pthread_t th;
    pthread_create(&th, NULL, producer, NULL);
    static int16_t buf[2 * 900];
    uint32_t k = 0, seed = 7, bad = 0, empty = 0;
    while (k < FRAMES) {
        seed = seed * 1103515245u + 12345u;
        size_t n = 1 + (seed >> 16) % 900;
        size_t got = mq_ring_read(ring, buf, n);
        if (!got) {
            empty++;
            sched_yield();
        }
        for (size_t i = 0; i < got; i++) {
            uint32_t v = (uint32_t)(uint16_t)buf[2 * i] | (uint32_t)(uint16_t)buf[2 * i + 1] << 16;
            if (v != k + i && bad++ < 5)
                printf("frame %u carries %u\n", (unsigned)(k + i), (unsigned)v);
        }
        k += (uint32_t)got;
    }
    pthread_join(th, NULL);
    CHECK_INT(bad, 0, "6 million frames through two threads: none lost, duplicated or reordered");
    CHECK_INT(mq_ring_readable(ring), 0, "nothing is left over");
    CHECK_INT(mq_ring_written(ring), FRAMES, "every frame was written once");
    printf("(the reader found the ring empty %u times)\n", (unsigned)empty);
    mq_ring_free(ring);
    MQ_TEST_END();
}
