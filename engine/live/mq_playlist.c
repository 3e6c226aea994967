/* mq_playlist.c — audio files one after another as a player's source; see
 * mq_playlist.h. */
#include "mq_playlist.h"
#include "../audio/mq_clip.h"

#include <sndfile.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

struct mq_playlist {
    size_t n;
    char **paths;
    int rate, channels;
    /* The player's thread's (or the parked mover's): */
    size_t cur;                 /* the item being decoded */
    mq_clip *clip;              /* cur's file, once opened */
    int started;                /* cur has given its first frame since it began */
    /* Shared with the thread that asks: */
    _Atomic uint64_t *start;    /* per item: output frame of its latest start */
    _Atomic uint64_t *seq;      /* per item: the order of that start (two starts can
                                   share a frame when the first's frames were dropped
                                   before they were queued) */
    uint64_t starts;            /* starts so far */
    _Atomic uint64_t cut;       /* FRAME of the last mq_playlist_goto */
    atomic_int *state;          /* per item: MQ_OK, or its error code once it failed */
    mq_error *errs;             /* per item: written once, before its state */
    atomic_size_t n_errors;
};

/* The output format from the first file libsndfile opens. */
static void probe(mq_playlist *pl)
{
    pl->rate = 48000;
    pl->channels = 2;
    for (size_t i = 0; i < pl->n; i++) {
        SF_INFO info;
        memset(&info, 0, sizeof info);
        SNDFILE *f = sf_open(pl->paths[i], SFM_READ, &info);
        if (!f)
            continue;
        sf_close(f);
        if (info.samplerate < 1000 || info.samplerate > 384000 || info.channels < 1)
            continue;
        pl->rate = info.samplerate;
        pl->channels = info.channels >= 2 ? 2 : 1;
        return;
    }
}

int mq_playlist_create(const char *const *paths, size_t n, int rate, int channels,
                       mq_playlist **out, mq_error *err)
{
    if (!out || !paths || !n || (rate && (rate < 1000 || rate > 384000 || channels < 1 ||
                                          channels > 2)))
        return mq_error_set(err, MQ_EINVAL, "playlist: bad arguments");
    *out = NULL;
    for (size_t i = 0; i < n; i++)
        if (!paths[i])
            return mq_error_set(err, MQ_EINVAL, "playlist: a NULL path");
    mq_playlist *pl = calloc(1, sizeof *pl);
    if (!pl)
        return mq_error_set(err, MQ_ENOMEM, "out of memory");
    pl->n = n;
    pl->paths = calloc(n, sizeof *pl->paths);
    pl->start = calloc(n, sizeof *pl->start);
    pl->seq = calloc(n, sizeof *pl->seq);
    pl->state = calloc(n, sizeof *pl->state);
    pl->errs = calloc(n, sizeof *pl->errs);
    int ok = pl->paths && pl->start && pl->seq && pl->state && pl->errs;
    for (size_t i = 0; ok && i < n; i++) {
        ok = (pl->paths[i] = strdup(paths[i])) != NULL;
        atomic_init(&pl->start[i], MQ_PLAYLIST_NEVER);
        atomic_init(&pl->seq[i], 0);
        atomic_init(&pl->state[i], MQ_OK);
    }
    if (!ok) {
        mq_playlist_free(pl);
        return mq_error_set(err, MQ_ENOMEM, "out of memory");
    }
    atomic_init(&pl->n_errors, 0);
    atomic_init(&pl->cut, 0);
    if (rate) {
        pl->rate = rate;
        pl->channels = channels;
    } else {
        probe(pl);
    }
    *out = pl;
    return MQ_OK;
}

void mq_playlist_free(mq_playlist *pl)
{
    if (!pl)
        return;
    mq_clip_free(pl->clip);
    for (size_t i = 0; pl->paths && i < pl->n; i++)
        free(pl->paths[i]);
    free(pl->paths);
    free(pl->start);
    free(pl->seq);
    free(pl->state);
    free(pl->errs);
    free(pl);
}

int mq_playlist_rate(const mq_playlist *pl) { return pl->rate; }
int mq_playlist_channels(const mq_playlist *pl) { return pl->channels; }
size_t mq_playlist_count(const mq_playlist *pl) { return pl->n; }

/* On to item ITEM, the next in the running order (no cut). */
static void advance(mq_playlist *pl, size_t item)
{
    mq_clip_free(pl->clip);
    pl->clip = NULL;
    pl->cur = item < pl->n ? item : pl->n;
    pl->started = 0;
}

/* Item CUR failed with E: kept (once) for the asking thread; on to the next. */
static void fail(mq_playlist *pl, const mq_error *e)
{
    size_t i = pl->cur;
    if (atomic_load_explicit(&pl->state[i], memory_order_acquire) == MQ_OK) {
        pl->errs[i] = *e;
        if (!pl->errs[i].code)
            pl->errs[i].code = MQ_EINTERNAL;
        atomic_store_explicit(&pl->state[i], pl->errs[i].code, memory_order_release);
        atomic_fetch_add(&pl->n_errors, 1);
    }
    advance(pl, i + 1);
}

long mq_playlist_read(void *user, float *out, size_t n, uint64_t frame, mq_error *err)
{
    (void)err;
    mq_playlist *pl = user;
    size_t done = 0, ch = (size_t)pl->channels;
    while (done < n && pl->cur < pl->n) {
        mq_error e = { 0 };
        if (!pl->clip &&
            mq_clip_open(pl->paths[pl->cur], pl->rate, pl->channels, &pl->clip, &e) != MQ_OK) {
            fail(pl, &e);
            continue;
        }
        long got = mq_clip_read(pl->clip, out + done * ch, n - done, &e);
        if (got < 0) {
            fail(pl, &e);
            continue;
        }
        if (got == 0) {
            advance(pl, pl->cur + 1);
            continue;
        }
        if (!pl->started) {
            atomic_store(&pl->seq[pl->cur], ++pl->starts);
            atomic_store(&pl->start[pl->cur], frame + done);
            pl->started = 1;
        }
        done += (size_t)got;
    }
    return (long)done;
}

void mq_playlist_goto(mq_playlist *pl, size_t item, uint64_t frame)
{
    advance(pl, item);
    atomic_store(&pl->cut, frame);
}

uint64_t mq_playlist_started(const mq_playlist *pl, size_t i)
{
    return i < pl->n ? atomic_load(&((mq_playlist *)pl)->start[i]) : MQ_PLAYLIST_NEVER;
}

long mq_playlist_at(const mq_playlist *pl, uint64_t pos)
{
    long best = -1;
    uint64_t best_at = 0, best_seq = 0;
    /* Past the last cut, only what started after it sounds: what started
     * between the device's position then and the cut was dropped unheard. */
    uint64_t cut = atomic_load(&((mq_playlist *)pl)->cut), from = pos >= cut ? cut : 0;
    for (size_t i = 0; i < pl->n; i++) {
        uint64_t s = mq_playlist_started(pl, i);
        uint64_t q = atomic_load(&((mq_playlist *)pl)->seq[i]);
        if (s != MQ_PLAYLIST_NEVER && s <= pos && s >= from &&
            (best < 0 || s > best_at || (s == best_at && q > best_seq))) {
            best = (long)i;
            best_at = s;
            best_seq = q;
        }
    }
    return best;
}

size_t mq_playlist_errors(const mq_playlist *pl)
{
    return atomic_load(&((mq_playlist *)pl)->n_errors);
}

int mq_playlist_error(const mq_playlist *pl, size_t i, mq_error *err)
{
    if (i >= pl->n)
        return MQ_OK;
    int code = atomic_load_explicit(&((mq_playlist *)pl)->state[i], memory_order_acquire);
    if (code != MQ_OK && err)
        *err = pl->errs[i];
    return code;
}
