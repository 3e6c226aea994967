/* mq_ring.c — lock-free SPSC ring; see mq_ring.h. */
#include "mq_ring.h"

#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

struct mq_ring {
    /* Each position on its own cache line: the two threads write different
     * ones, and sharing a line would make every store a cross-core miss. */
    _Alignas(64) _Atomic uint64_t head;   /* frames written (producer owns) */
    _Atomic uint64_t drop;                /* frames before this are dropped (producer
                                             owns; on head's line, which the consumer
                                             reads anyway) */
    uint64_t hi;                          /* most frames ever written since the last
                                             write: slots below it hold their frames
                                             (producer only) */
    _Alignas(64) _Atomic uint64_t tail;   /* frames read (consumer owns) */
    atomic_uint busy;                     /* odd while the consumer copies */
    _Alignas(64) size_t cap, mask;
    int channels;
    atomic_int eof;
    int16_t *data;
};

int mq_ring_create(size_t min_frames, int channels, mq_ring **out, mq_error *err)
{
    if (out)
        *out = NULL;
    if (!out || min_frames == 0 || min_frames > ((size_t)1 << 24) || channels < 1 || channels > 8)
        return mq_error_set(err, MQ_EINVAL, "ring: bad size or channel count");
    size_t cap = 1;
    while (cap < min_frames)
        cap <<= 1;
    mq_ring *r = aligned_alloc(64, (sizeof *r + 63) / 64 * 64);
    if (!r)
        return mq_error_set(err, MQ_ENOMEM, "out of memory");
    memset(r, 0, sizeof *r);
    r->data = calloc(cap * (size_t)channels, sizeof *r->data);
    if (!r->data) {
        free(r);
        return mq_error_set(err, MQ_ENOMEM, "out of memory");
    }
    r->cap = cap;
    r->mask = cap - 1;
    r->channels = channels;
    atomic_init(&r->head, 0);
    atomic_init(&r->drop, 0);
    atomic_init(&r->tail, 0);
    atomic_init(&r->busy, 0);
    atomic_init(&r->eof, 0);
    *out = r;
    return MQ_OK;
}

void mq_ring_free(mq_ring *r)
{
    if (!r)
        return;
    free(r->data);
    free(r);
}

size_t mq_ring_capacity(const mq_ring *r)
{
    return r ? r->cap : 0;
}

size_t mq_ring_writable(const mq_ring *r)
{
    uint64_t h = atomic_load_explicit(&((mq_ring *)r)->head, memory_order_relaxed);
    uint64_t t = atomic_load_explicit(&((mq_ring *)r)->tail, memory_order_acquire);
    return h > t ? r->cap - (size_t)(h - t) : r->cap;   /* h < t: mid-rewind */
}

/* The consumer's next frame: its tail, or the drop point when that is later.
 * The drop point is loaded before the head (acquire), so head >= drop. */
static uint64_t next_frame(mq_ring *r, uint64_t *head)
{
    uint64_t d = atomic_load_explicit(&r->drop, memory_order_acquire);
    *head = atomic_load_explicit(&r->head, memory_order_acquire);
    uint64_t t = atomic_load_explicit(&r->tail, memory_order_relaxed);
    return d > t ? d : t;
}

size_t mq_ring_readable(const mq_ring *r)
{
    uint64_t h, t = next_frame((mq_ring *)r, &h);
    return h > t ? (size_t)(h - t) : 0;
}

/* Copies N frames between the ring's slots from POS and LINEAR, in at most
 * two pieces (the ring wraps once at most). */
static void copy(mq_ring *r, uint64_t pos, int16_t *linear, size_t n, int into_ring)
{
    size_t at = (size_t)pos & r->mask, ch = (size_t)r->channels;
    size_t first = r->cap - at < n ? r->cap - at : n;
    int16_t *slot = r->data + at * ch;
    if (into_ring) {
        memcpy(slot, linear, first * ch * sizeof *slot);
        memcpy(r->data, linear + first * ch, (n - first) * ch * sizeof *slot);
    } else {
        memcpy(linear, slot, first * ch * sizeof *slot);
        memcpy(linear + first * ch, r->data, (n - first) * ch * sizeof *slot);
    }
}

size_t mq_ring_write(mq_ring *r, const int16_t *src, size_t n)
{
    uint64_t h = atomic_load_explicit(&r->head, memory_order_relaxed);
    uint64_t t = atomic_load_explicit(&r->tail, memory_order_acquire);
    size_t room = r->cap - (size_t)(h - t);
    if (n > room)
        n = room;
    if (n)
        copy(r, h, (int16_t *)src, n, 1);
    atomic_store_explicit(&r->head, h + n, memory_order_release);
    r->hi = h + n;
    return n;
}

uint64_t mq_ring_rewind(mq_ring *r, uint64_t to)
{
    if (to > r->hi)
        to = r->hi;
    atomic_store(&r->head, to);
    unsigned b = atomic_load(&r->busy);
    while ((b & 1) && atomic_load(&r->busy) == b)
        sched_yield();
    uint64_t h, t = next_frame(r, &h);
    if (t > to) {
        /* Read past TO before the head came down: those frames are played,
         * and the ones after them are still in their slots. */
        atomic_store(&r->head, t);
        return t;
    }
    return to;
}

size_t mq_ring_read(mq_ring *r, int16_t *dst, size_t n)
{
    /* busy is odd from before the head is loaded until the tail is stored:
     * mq_ring_rewind lowers the head and then waits out a copy that may have
     * seen the old one (both sides sequentially consistent, so a copy either
     * sees the lowered head or is seen as busy). */
    atomic_fetch_add(&r->busy, 1);
    uint64_t d = atomic_load_explicit(&r->drop, memory_order_acquire);
    uint64_t h = atomic_load(&r->head);
    uint64_t t = atomic_load_explicit(&r->tail, memory_order_relaxed);
    t = d > t ? d : t;
    size_t have = h > t ? (size_t)(h - t) : 0;
    if (n > have)
        n = have;
    if (n)
        copy(r, t, dst, n, 0);
    atomic_store_explicit(&r->tail, t + n, memory_order_release);
    atomic_fetch_add(&r->busy, 1);
    return n;
}

uint64_t mq_ring_written(const mq_ring *r)
{
    return atomic_load_explicit(&((mq_ring *)r)->head, memory_order_acquire);
}

uint64_t mq_ring_read_count(const mq_ring *r)
{
    return atomic_load_explicit(&((mq_ring *)r)->tail, memory_order_acquire);
}

void mq_ring_set_eof(mq_ring *r, int eof)
{
    atomic_store_explicit(&r->eof, eof, memory_order_release);
}

int mq_ring_eof(const mq_ring *r)
{
    return atomic_load_explicit(&((mq_ring *)r)->eof, memory_order_acquire);
}

void mq_ring_drop(mq_ring *r)
{
    uint64_t h = atomic_load_explicit(&r->head, memory_order_relaxed);
    atomic_store_explicit(&r->drop, h, memory_order_release);
}

void mq_ring_reset(mq_ring *r, uint64_t frame)
{
    atomic_store(&r->head, frame);
    atomic_store(&r->drop, frame);
    atomic_store(&r->tail, frame);
    r->hi = frame;
}
