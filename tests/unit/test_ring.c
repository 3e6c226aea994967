/* test_ring.c — the lock-free SPSC ring: sizes, wrap-around, and a producer
 * and a consumer thread passing millions of numbered frames in chunks of
 * varying sizes with no frame lost, duplicated or reordered; then the same
 * with the producer dropping what is queued now and then (a player skipping):
 * the consumer only ever jumps forward, and exactly to a drop point. */
#include "mq_test.h"
#include "live/mq_ring.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
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

/* ---- drops ---- */

#define DFRAMES 2000000u
#define MAX_DROPS 20000
static uint64_t drops[MAX_DROPS];
static size_t n_drops;

/* Like producer(), but drops what is queued after about one chunk in 40. */
static void *dropper(void *arg)
{
    (void)arg;
    int16_t buf[2 * 500];
    uint32_t k = 0, seed = 3;
    while (k < DFRAMES) {
        seed = seed * 1103515245u + 12345u;
        size_t n = 1 + (seed >> 16) % 500;
        if (n > DFRAMES - k)
            n = DFRAMES - k;
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
        if ((seed >> 8) % 40 == 0 && k < DFRAMES && n_drops < MAX_DROPS) {
            mq_ring_drop(ring);
            drops[n_drops++] = k;
        }
    }
    return NULL;
}

static int is_drop(uint64_t k)
{
    for (size_t i = 0; i < n_drops; i++)
        if (drops[i] == k)
            return 1;
    return 0;
}

/* A mono ring of 64 frames, and IN filled with the frames 1..64. */
static mq_ring *small_ring(const char *desc, int16_t in[64])
{
    mq_ring *r = NULL;
    CHECK_INT(mq_ring_create(64, 1, &r, NULL), MQ_OK, desc);
    for (int i = 0; i < 64; i++)
        in[i] = (int16_t)(i + 1);
    return r;
}

static void test_drop(void)
{
    mq_error err = { 0 };
    int16_t in[64], out[64];
    mq_ring *r = small_ring("a ring for drops", in);
    mq_ring_drop(r);
    CHECK_INT(mq_ring_readable(r), 0, "dropping an empty ring is harmless");
    CHECK_INT(mq_ring_write(r, in, 50), 50, "50 frames written");
    CHECK_INT(mq_ring_read(r, out, 10), 10, "10 read");
    mq_ring_drop(r);
    CHECK_INT(mq_ring_readable(r), 0, "after a drop nothing is readable");
    CHECK_INT(mq_ring_writable(r), 64 - 40, "the dropped slots are not free before the reader skips them");
    CHECK_INT(mq_ring_read(r, out, 10), 0, "the reader gets none of the dropped frames");
    CHECK_INT(mq_ring_read_count(r), 50, "the reader has skipped to the drop point");
    CHECK_INT(mq_ring_writable(r), 64, "and the slots are free again");
    CHECK_INT(mq_ring_write(r, in + 60, 4), 4, "4 frames written after the drop");
    CHECK_INT(mq_ring_read(r, out, 10), 4, "exactly those are read");
    CHECK_INT(out[0], 61, "starting with the first written after the drop");
    CHECK_INT(out[3], 64, "to the last");
    /* A drop while the reader has not caught up, then more frames: only the
     * new ones are read, even if the reader comes only later. */
    CHECK_INT(mq_ring_write(r, in, 30), 30, "30 more");
    mq_ring_drop(r);
    CHECK_INT(mq_ring_write(r, in + 30, 5), 5, "5 after a second drop");
    CHECK_INT(mq_ring_readable(r), 5, "only the 5 are readable");
    CHECK_INT(mq_ring_read(r, out, 64), 5, "and read");
    CHECK_INT(out[0], 31, "the first after the drop comes first");
    CHECK_INT(mq_ring_written(r), 89, "every frame written is counted");
    CHECK_INT(mq_ring_read_count(r), 89, "read and skipped frames together make them all");
    mq_ring_reset(r, 1000);
    CHECK_INT(mq_ring_write(r, in, 3), 3, "after a reset");
    CHECK_INT(mq_ring_read(r, out, 64), 3, "the reset does not drop new frames");
    mq_ring_free(r);

    CHECK_INT(mq_ring_create(2048, 2, &ring, &err), MQ_OK, "a ring for two threads and drops");
    pthread_t th;
    pthread_create(&th, NULL, dropper, NULL);
    static int16_t buf[2 * 900];
    uint64_t next = 0, last = 0;
    uint32_t seed = 11, bad = 0, gaps = 0;
    static uint64_t gap_at[MAX_DROPS + 1];
    while (last + 1 < DFRAMES) {
        seed = seed * 1103515245u + 12345u;
        size_t n = 1 + (seed >> 16) % 900;
        size_t got = mq_ring_read(ring, buf, n);
        if (!got)
            sched_yield();
        for (size_t i = 0; i < got; i++) {
            uint64_t v = (uint32_t)(uint16_t)buf[2 * i] | (uint32_t)(uint16_t)buf[2 * i + 1] << 16;
            if (v < next && bad++ < 5)
                printf("frame %llu read after %llu\n", (unsigned long long)v,
                       (unsigned long long)next - 1);
            if (v > next && gaps < MAX_DROPS + 1)
                gap_at[gaps++] = v;
            next = v + 1;
            last = v;
        }
    }
    pthread_join(th, NULL);
    CHECK_INT(bad, 0, "with drops: no frame is read twice or out of order");
    size_t stray = 0;
    for (size_t i = 0; i < gaps; i++)
        if (!is_drop(gap_at[i]) && stray++ < 5)
            printf("the reader jumped to %llu, not a drop point\n", (unsigned long long)gap_at[i]);
    CHECK_INT(stray, 0, "the reader only jumps to a drop point: nothing written after a drop is lost");
    CHECK(n_drops > 100, "the producer dropped often");
    CHECK(gaps > 10, "and the reader skipped dropped frames");
    printf("(%zu drops, %u skips)\n", n_drops, (unsigned)gaps);
    mq_ring_free(ring);
}

/* ---- rewind (cut-in) ---- */

#define RFRAMES 2000000u
static atomic_uint rewinds, late;

/* Frame K of version V carries K in channels 0-1 and V in channel 2; now
 * and then the producer takes back part of what is queued and writes it
 * again as a new version. */
static void *rewinder(void *arg)
{
    (void)arg;
    int16_t buf[3 * 400];
    uint64_t k = 0;
    uint32_t seed = 5, version = 0;
    while (k < RFRAMES) {
        seed = seed * 1103515245u + 12345u;
        if ((seed >> 16) % 10 == 0) {
            uint64_t w = mq_ring_written(ring), r = mq_ring_read_count(ring);
            /* Half the time right at the reader, which may then pass it. */
            uint64_t span = seed & 1 ? 3 : w - r;
            uint64_t to = r + (w > r ? (seed >> 8) % (span + 1) : 0);
            to = to > w ? w : to;
            uint64_t got = mq_ring_rewind(ring, to);
            if (got != to)
                atomic_fetch_add(&late, 1);
            if (got < to || got > w)
                printf("rewind to %llu gave %llu\n", (unsigned long long)to,
                       (unsigned long long)got);
            k = got;
            version++;
            atomic_fetch_add(&rewinds, 1);
        }
        size_t n = 1 + (seed >> 16) % 400;
        if (n > RFRAMES - k)
            n = RFRAMES - k;
        for (size_t i = 0; i < n; i++) {
            buf[3 * i] = (int16_t)(uint16_t)((k + i) & 0xffff);
            buf[3 * i + 1] = (int16_t)(uint16_t)((k + i) >> 16);
            buf[3 * i + 2] = (int16_t)(uint16_t)version;
        }
        size_t done = 0;
        while (done < n) {
            size_t w = mq_ring_write(ring, buf + 3 * done, n - done);
            done += w;
            if (!w)
                sched_yield();
        }
        k += n;
    }
    return NULL;
}

static void test_rewind(void)
{
    mq_error err = { 0 };
    int16_t in[64], out[64];
    mq_ring *r = small_ring("a ring for rewinds", in);
    CHECK_INT(mq_ring_write(r, in, 50), 50, "50 frames written");
    CHECK_INT(mq_ring_read(r, out, 10), 10, "10 read");
    CHECK_INT((long)mq_ring_rewind(r, 30), 30, "rewind to frame 30");
    CHECK_INT(mq_ring_readable(r), 20, "20 left to read");
    CHECK_INT((long)mq_ring_rewind(r, 40), 40, "a later rewind point brings frames back");
    CHECK_INT(mq_ring_readable(r), 30, "30 to read");
    CHECK_INT((long)mq_ring_rewind(r, 5), 10, "a rewind behind the reader stops at the reader");
    CHECK_INT((long)mq_ring_rewind(r, 30), 30, "and the frames after it are still there");
    CHECK_INT(mq_ring_write(r, in + 60, 4), 4, "4 frames written anew");
    CHECK_INT((long)mq_ring_rewind(r, 40), 34, "frames written over are not brought back");
    CHECK_INT(mq_ring_read(r, out, 64), 24, "the reader gets the old and the new ones");
    CHECK_INT(out[19], 30, "the old up to the rewind point");
    CHECK_INT(out[20], 61, "then the new");
    mq_ring_free(r);

    CHECK_INT(mq_ring_create(2048, 3, &ring, &err), MQ_OK, "a ring for two threads and rewinds");
    pthread_t th;
    pthread_create(&th, NULL, rewinder, NULL);
    static int16_t buf[3 * 900];
    uint64_t next = 0;
    uint32_t seed = 13, bad = 0, older = 0, version = 0;
    while (next < RFRAMES) {
        seed = seed * 1103515245u + 12345u;
        size_t n = 1 + (seed >> 16) % 900;
        size_t got = mq_ring_read(ring, buf, n);
        if (!got)
            sched_yield();
        for (size_t i = 0; i < got; i++) {
            uint64_t v = (uint32_t)(uint16_t)buf[3 * i] | (uint32_t)(uint16_t)buf[3 * i + 1] << 16;
            uint32_t ver = (uint16_t)buf[3 * i + 2];
            if (v != next && bad++ < 5)
                printf("read frame %llu where %llu was due\n", (unsigned long long)v,
                       (unsigned long long)next);
            if (ver < version && older++ < 5)
                printf("frame %llu of version %u after version %u\n", (unsigned long long)v,
                       ver, version);
            version = ver > version ? ver : version;
            next = v + 1;
        }
    }
    pthread_join(th, NULL);
    CHECK_INT(bad, 0, "with rewinds: every frame read once, in order, none lost");
    CHECK_INT(older, 0, "never a frame taken back (an older version) after a newer one");
    CHECK(atomic_load(&rewinds) > 500, "the producer rewound often");
    printf("(%u rewinds, %u of them met the reader past the point)\n",
           atomic_load(&rewinds), atomic_load(&late));
    mq_ring_free(ring);
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
    test_drop();
    test_rewind();
    MQ_TEST_END();
}
