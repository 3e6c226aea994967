/* mq_render_parts.c — the last speech items of a programme spoken in parts
 * by processes of their own; see mq_render_int.h. */
#include "mq_render_int.h"

#include <stdio.h>
#include <stdlib.h>

/*
 * The last items in parts. A process speaks one item at a time, and the mix
 * takes items in program order, each once all of it is spoken (its level is
 * set from its whole loudness). So what is spoken last decides the end of a
 * render: in the benchmark bulletin the last two items (a quarter of the
 * speech) ran on two processes that ended 50-160 ms apart, one core idle
 * meanwhile, and then both were still to mix and measure. Items that start
 * in the last TAIL_SHARE of the speech (by syllables) are spoken in parts of
 * at least 1/PART_DIVISOR of it, in program order: the processes end
 * together, and the second-to-last item is mixed while the last is spoken.
 * Only there: every process costs some 6 ms of its own (measured: 40 items of
 * two syllables), and parts everywhere (21 processes for the bulletin
 * instead of 7) cost more CPU than they saved time.
 *
 * A part is a run of whole sentences: it starts from the state a fresh
 * process has (as every item does), and the pauses between sentences are
 * the engine's own, so the parts laid end to end have the item's timing.
 * The item's loudness is the parts' BS.1770 loudness averaged over their
 * lengths in power.
 */
#define TAIL_SHARE 0.3
#define PART_DIVISOR 20

static size_t sentence_syllables(const mq_reading *rd, size_t si)
{
    const mq_sentence *s = mq_reading_sentence(rd, si);
    size_t n = 0;
    for (size_t p = s->first; p < s->first + s->count; p++) {
        const char *x = mq_reading_phrase(rd, p)->spoken;
        n++;
        for (; *x; x++)
            n += *x == ' ';
    }
    return n;
}

int mq_render_plan_parts(mq_render *r, mq_error *err)
{
    if (r->parts_planned)
        return MQ_OK;
    if (!(r->part_first = calloc(r->n ? r->n : 1, sizeof *r->part_first)) ||
        !(r->part_count = calloc(r->n ? r->n : 1, sizeof *r->part_count)))
        return mq_error_set(err, MQ_ENOMEM, "out of memory");
    size_t cap = 0, total = 0, before = 0;
    for (size_t i = 0; i < r->n; i++)
        total += r->readings[i] ? mq_reading_syllables(r->readings[i]) : 0;
    const size_t part = total / PART_DIVISOR > 60 ? total / PART_DIVISOR : 60;
    for (size_t i = 0; i < r->n; i++) {
        const mq_reading *rd = r->readings[i];
        const size_t starts_at = before;   /* syllables spoken before item I */
        before += rd ? mq_reading_syllables(rd) : 0;
        if (!rd || (double)starts_at < (1.0 - TAIL_SHARE) * (double)total ||
            mq_reading_syllables(rd) < 2 * part)
            continue;
        size_t ns = mq_reading_sentence_count(rd), left = mq_reading_syllables(rd), acc = 0;
        size_t start = 0, first = r->nparts;
        for (size_t si = 0; si < ns; si++) {
            size_t k = sentence_syllables(rd, si);
            acc += k;
            left = left > k ? left - k : 0;
            /* A cut after this sentence, unless what is left would be a
             * short part of its own. */
            if (si + 1 < ns && !(acc >= part && left >= part / 2))
                continue;
            if (r->nparts == cap) {
                cap = cap ? cap * 2 : 32;
                mq_render_part *np = realloc(r->parts, cap * sizeof *np);
                if (!np)
                    return mq_error_set(err, MQ_ENOMEM, "out of memory");
                r->parts = np;
            }
            r->parts[r->nparts++] = (mq_render_part){ i, start, si + 1 - start };
            start = si + 1;
            acc = 0;
        }
        if (r->nparts - first < 2)
            r->nparts = first;   /* one sentence, or no cut: spoken whole */
        else
            r->part_first[i] = first, r->part_count[i] = r->nparts - first;
    }
    r->parts_planned = 1;
    return MQ_OK;
}

/* Part P's cache key: its item's and its place in it. */
void mq_render_part_key(const mq_render *r, size_t p, char hex[MQ_HASH_HEX])
{
    char item[MQ_HASH_HEX], num[64];
    mq_render_key(r, r->parts[p].item, item);
    mq_hash h;
    mq_hash_init(&h);
    mq_hash_str(&h, "part");
    mq_hash_str(&h, item);
    snprintf(num, sizeof num, "%zu|%zu", r->parts[p].first, r->parts[p].count);
    mq_hash_str(&h, num);
    mq_hash_hex(&h, hex);
}

/* Syllables job J speaks. */
size_t mq_render_job_syllables(const mq_render *r, size_t j)
{
    if (j < r->n)
        return mq_reading_syllables(r->readings[j]);
    const mq_render_part *pt = &r->parts[j - r->n];
    size_t n = 0;
    for (size_t s = pt->first; s < pt->first + pt->count; s++)
        n += sentence_syllables(r->readings[pt->item], s);
    return n;
}
