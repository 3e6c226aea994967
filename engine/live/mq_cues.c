/* mq_cues.c — items prepared as live cues; see mq_cues.h. */
#include "mq_cues.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define BLOCK 4096

struct mq_cues {
    mq_cue *cue;
    size_t n;
    int rate, channels;
    void *map;
    size_t map_len;
    int locked;        /* the map is locked in memory (mlock) */
};

/* Cues up to this size are locked in memory (about 23 minutes of 48 kHz
 * stereo float); a longer show's are only populated. */
#define MQ_CUES_LOCK_MAX ((size_t)512 << 20)

/* A label a performer recognizes: the name, else "announce 各位乡亲，晚上好" (at
 * most about 20 characters of text, cut on a UTF-8 boundary). */
static void label(char *out, size_t size, const mq_item *it)
{
    if (it->name) {
        snprintf(out, size, "%s", it->name);
        return;
    }
    const char *what = it->kind == MQ_ITEM_ANNOUNCE ? it->text : it->source;
    if (it->kind == MQ_ITEM_PAUSE) {
        snprintf(out, size, "pause %.1f s", it->duration);
        return;
    }
    size_t len = what ? strlen(what) : 0, cut = 0;
    for (size_t i = 0, chars = 0; i < len && chars < 20; chars++) {
        i++;
        while (i < len && ((unsigned char)what[i] & 0xC0) == 0x80)
            i++;
        cut = i;
    }
    snprintf(out, size, "%s %.*s%s", mq_item_kind_name(it->kind), (int)cut, what ? what : "",
             cut < len ? "…" : "");
    for (char *p = out; *p; p++)
        if (*p == '\n' || *p == '\t')
            *p = ' ';
}

int mq_cues_prepare(const mq_mix_env *base, mq_cues_progress_fn progress, void *user,
                    mq_cues **out, mq_error *err)
{
    *out = NULL;
    mq_cues *c = calloc(1, sizeof *c);
    size_t n = mq_program_item_count(base->program);
    if (!c || !(c->cue = calloc(n ? n : 1, sizeof *c->cue))) {
        free(c);
        return mq_error_set(err, MQ_ENOMEM, "out of memory");
    }
    c->n = n;
    c->rate = base->rate;
    c->channels = base->channels;
    const char *tmpdir = getenv("TMPDIR");
    char path[4096];
    snprintf(path, sizeof path, "%s/muqir-cues.XXXXXX", tmpdir && *tmpdir ? tmpdir : "/tmp");
    int fd = mkstemp(path);
    FILE *f = fd >= 0 ? fdopen(fd, "w+b") : NULL;
    if (!f) {
        int e = errno;
        if (fd >= 0)
            close(fd);
        free(c->cue);
        free(c);
        return mq_error_set(err, MQ_EIO, "%s: cannot write the prepared cues there: %s", path,
                            strerror(e));
    }
    unlink(path);   /* gone from the folder; lives while it is open or mapped */
    float *buf = malloc(BLOCK * (size_t)base->channels * sizeof *buf);
    size_t *offset = calloc(n ? n : 1, sizeof *offset);
    mq_diags *d = mq_diags_create();
    int rc = buf && offset && d ? MQ_OK : mq_error_set(err, MQ_ENOMEM, "out of memory");
    size_t at = 0;
    for (size_t i = 0; rc == MQ_OK && i < n; i++) {
        if (progress && progress(user, i, n)) {
            rc = mq_error_set(err, MQ_EINTERRUPTED, "interrupted");
            break;
        }
        const mq_item *it = mq_program_item(base->program, i);
        mq_cue *q = &c->cue[i];
        label(q->label, sizeof q->label, it);
        q->item = i;
        q->follow_auto = it->follow == MQ_FOLLOW_AUTO;
        offset[i] = at;
        mq_mix_env env = *base;
        env.first = i;
        env.count = 1;
        mq_mix *m = NULL;
        rc = mq_mix_create(&env, &m, d, err);
        if (rc == MQ_EINPUT && mq_diags_stored(d)) {
            char line[2048];
            mq_error_set(err, MQ_EINPUT, "%s", mq_diag_format(mq_diags_get(d, 0), line, sizeof line));
        }
        for (long got = 1; rc == MQ_OK && got > 0;) {
            got = mq_mix_read(m, buf, BLOCK, err);
            if (got < 0)
                rc = (int)got;
            else if (got && fwrite(buf, sizeof *buf * (size_t)base->channels, (size_t)got, f) != (size_t)got)
                rc = mq_error_set(err, MQ_EIO, "writing the prepared cues to %s failed: %s",
                                  tmpdir && *tmpdir ? tmpdir : "/tmp", strerror(errno));
            else
                q->frames += (size_t)got;
        }
        at += q->frames;
        mq_mix_free(m);
    }
    if (rc == MQ_OK && fflush(f))
        rc = mq_error_set(err, MQ_EIO, "writing the prepared cues failed: %s", strerror(errno));
    c->map_len = at * (size_t)base->channels * sizeof(float);
    if (rc == MQ_OK && c->map_len) {
        /* Populated now: the real-time mixer thread reads these pages, and a
         * page it touches first would fault — a fault waits for the process's
         * memory map lock, which another thread (an ad-lib being prepared,
         * allocating) may hold while a busy or writing machine delays it.
         * Locked too where the system allows and the cues are not huge, so
         * that a disk busy with other work cannot take them back. */
        c->map = mmap(NULL, c->map_len, PROT_READ, MAP_SHARED | MAP_POPULATE, fileno(f), 0);
        if (c->map == MAP_FAILED) {
            c->map = NULL;
            rc = mq_error_set(err, MQ_ENOMEM, "cannot map the prepared cues: %s", strerror(errno));
        } else if (c->map_len > MQ_CUES_LOCK_MAX || mlock(c->map, c->map_len)) {
            madvise(c->map, c->map_len, MADV_WILLNEED);
        } else {
            c->locked = 1;
        }
    }
    for (size_t i = 0; rc == MQ_OK && i < n; i++)
        c->cue[i].data = c->map ? (const float *)c->map + offset[i] * (size_t)base->channels : NULL;
    fclose(f);
    free(buf);
    free(offset);
    mq_diags_free(d);
    if (rc != MQ_OK) {
        mq_cues_free(c);
        return rc;
    }
    *out = c;
    return MQ_OK;
}

int mq_cues_locked(const mq_cues *c)
{
    return c ? c->locked : 0;
}

size_t mq_cues_count(const mq_cues *c)
{
    return c ? c->n : 0;
}

const mq_cue *mq_cues_get(const mq_cues *c, size_t i)
{
    return c && i < c->n ? &c->cue[i] : NULL;
}

int mq_cues_rate(const mq_cues *c)
{
    return c->rate;
}

int mq_cues_channels(const mq_cues *c)
{
    return c->channels;
}

void mq_cues_touch(const mq_cues *c, size_t i, double seconds)
{
    const mq_cue *q = mq_cues_get(c, i);
    if (!q || !q->data)
        return;
    size_t n = (size_t)(seconds * c->rate) * (size_t)c->channels;
    if (n > q->frames * (size_t)c->channels)
        n = q->frames * (size_t)c->channels;
    long page = sysconf(_SC_PAGESIZE);
    size_t step = page > 0 ? (size_t)page / sizeof(float) : 1024;
    volatile float sink = 0;
    for (size_t k = 0; k < n; k += step)
        sink += q->data[k];
    (void)sink;
}

void mq_cues_free(mq_cues *c)
{
    if (!c)
        return;
    if (c->map)
        munmap(c->map, c->map_len);
    free(c->cue);
    free(c);
}
