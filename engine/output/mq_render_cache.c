/*
 * mq_render_cache.c — speech items through the render cache, and their
 * synthesis in parallel worker processes; see mq_render.h.
 */
#include "mq_render_int.h"
#include "../audio/mq_loudness.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Bumped whenever the engine's sound changes in a way the key cannot see. */
#define MQ_SPEECH_FORMAT "muqir-speech-8"

void mq_render_set_cache(mq_render *r, mq_cache *cache) { r->cache = cache; }
const mq_render_stats *mq_render_get_stats(const mq_render *r) { return &r->stats; }

static int is_speech(const mq_item *it)
{
    return it && (it->kind == MQ_ITEM_ANNOUNCE || it->kind == MQ_ITEM_READ);
}

int mq_render_key(const mq_render *r, size_t i, char hex[MQ_HASH_HEX])
{
    const mq_item *it = mq_program_item(r->env.program, i);
    if (!is_speech(it) || !r->readings[i])
        return -1;
    const mq_voice *v = mq_voiceset_find(r->env.voices, it->voice);
    const mq_reading *rd = r->readings[i];
    mq_hash h;
    char num[256];
    mq_hash_init(&h);
    mq_hash_str(&h, MQ_SPEECH_FORMAT);
    mq_hash_str(&h, mq_speech_engine_version());
    snprintf(num, sizeof num, "%d|%s|%d|%d|%d|%d|%d|%.6f|%.6f|%.6f|%d|%d", r->env.rate,
             v && v->variant ? v->variant : "", v ? v->rate : 0, v ? v->pitch : 0,
             v ? v->range : 0, v ? v->volume : 0, v ? v->word_gap : 0,
             v ? v->pause_comma : 0, v ? v->pause_sentence : 0, v ? v->pause_paragraph : 0,
             isnan(it->rate) ? 0 : (int)it->rate, isnan(it->pitch) ? 0 : (int)it->pitch);
    mq_hash_str(&h, num);
    for (size_t s = 0; s < mq_reading_sentence_count(rd); s++) {
        const mq_sentence *se = mq_reading_sentence(rd, s);
        mq_hash_str(&h, se->text);
        for (size_t p = se->first; p < se->first + se->count; p++) {
            const mq_phrase *ph = mq_reading_phrase(rd, p);
            snprintf(num, sizeof num, "%c%d", ph->end, (int)ph->brk);
            mq_hash_str(&h, ph->spoken);
            mq_hash_str(&h, num);
        }
    }
    mq_hash_hex(&h, hex);
    return 0;
}

/* Sentences collected while synthesizing, for the cache entry. */
typedef struct collect {
    mq_cache_sentence *s;
    size_t n, cap;
    char **texts;
} collect;

static int collect_sentence(void *user, const char *text, size_t start, size_t end)
{
    collect *c = user;
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 32;
        mq_cache_sentence *s = realloc(c->s, cap * sizeof *s);
        char **t = s ? realloc(c->texts, cap * sizeof *t) : NULL;
        if (s)
            c->s = s;
        if (!t)
            return -1;
        c->texts = t;
        c->cap = cap;
    }
    if (!(c->texts[c->n] = strdup(text)))
        return -1;
    c->s[c->n] = (mq_cache_sentence){ c->texts[c->n], start, end };
    c->n++;
    return 0;
}

static void collect_free(collect *c)
{
    for (size_t i = 0; i < c->n; i++)
        free(c->texts[i]);
    free(c->texts);
    free(c->s);
}

/* A cache entry being written as the item is spoken (mq_speak_opts.sink). */
typedef struct stream {
    mq_cache_writer *w;
    int failed;             /* the cache could not take it */
} stream;

static int to_cache(void *user, const float *x, size_t n, mq_error *err)
{
    stream *st = user;
    int rc = mq_cache_writer_add(st->w, x, n, err);
    st->failed |= rc != MQ_OK;
    return rc;
}

/* Synthesizes item I with SP into MONO (from frame 0), or into ST's entry
 * when ST is not NULL, its sentences into C, its loudness (measured as
 * eSpeak NG spoke it, at its own rate: see mq_speak_opts) into *LUFS. */
static int synthesize(mq_render *r, mq_speech *sp, size_t i, mq_buf *mono, collect *c,
                      double *lufs, stream *st, mq_error *err)
{
    const mq_item *it = mq_program_item(r->env.program, i);
    if (!sp)
        return mq_error_set(err, MQ_EINVAL, "no speech synthesizer");
    const mq_voice *v = mq_voiceset_find(r->env.voices, it->voice);
    mq_meter *m = NULL;
    int rc = mq_meter_create_integrated(mq_speech_rate(sp), 1, &m, err);
    mq_speak_opts so = {
        .params = { .rate = isnan(it->rate) ? 0 : (int)it->rate,
                    .pitch = isnan(it->pitch) ? 0 : (int)it->pitch },
        .rate = r->env.rate, .on_sentence = collect_sentence, .user = c, .stop = r->env.stop,
        .source_meter = m, .sink = st ? to_cache : NULL, .sink_user = st,
    };
    if (rc == MQ_OK)
        rc = mq_speak_reading(sp, v, r->readings[i], &so, mono, err);
    if (rc == MQ_OK)
        *lufs = mq_meter_integrated(m);
    mq_meter_free(m);
    return rc == MQ_OK ? MQ_OK : mq_error_prefix(err, "item %zu", i + 1);
}

/* Re-reports the sentences of C, shifted by BASE frames, to the caller. */
typedef struct relay {
    mq_sentence_cb fn;
    void *user;
} relay;

static int relay_sentence(void *user, const char *text, size_t start, size_t end)
{
    relay *rl = user;
    return rl->fn ? rl->fn(rl->user, text, start, end) : 0;
}

static void await_background(mq_render *r, const char *key);

int mq_render_cached_speech(mq_render *r, size_t i, int grows, mq_buf *out,
                            mq_sentence_cb on_sentence, void *user, mq_error *err)
{
    char key[MQ_HASH_HEX];
    if (mq_render_key(r, i, key))
        return mq_error_set(err, MQ_EINVAL, "item %zu is not a speech item", i + 1);
    mq_buf mono = { .channels = 1 };
    /* A buffer that already holds memory is read into, not mapped (mq_cache_get). */
    if (grows && mq_buf_reserve(&mono, 1))
        return mq_error_set(err, MQ_ENOMEM, "out of memory");
    relay rl = { on_sentence, user };
    double lufs = NAN;
    if (r->cache) {
        mq_error e = { 0 };
        /* An item this run's workers speak (fresh) was not in the cache when
         * the run began: what is there now, they wrote. */
        int fresh = r->fresh && r->fresh[i] && !r->in_child;
        int hit = (fresh ? mq_cache_get_fresh : mq_cache_get)(r->cache, key, r->env.rate, &mono,
                                                               &lufs, relay_sentence, &rl, &e);
        if (hit == 1 && !r->in_child) {
            /* A worker's result is this run's synthesis, not an old entry. */
            if (r->fresh && r->fresh[i])
                r->stats.synthesized++;
            else
                r->stats.cached++;
            goto copy;
        }
        if (hit == MQ_EINPUT)
            r->stats.damaged++;
        else if (hit < 0) {
            mq_buf_free(&mono);
            return mq_error_set(err, e.code, "%s", e.msg);
        }
        /* Sentences of a damaged entry may have been reported: none reach the
         * caller before the checksum is verified, so nothing to undo. */
        mono.frames = 0;
    }
    mq_speech *sp = r->env.speech;
    /* A synthesizer's first item sounds as in a fresh process; after that
     * its state differs, so later items go to fresh processes. */
    int canonical = r->in_child || (sp && r->speech_uses == 0);
    if (r->cache && !r->in_child && !canonical) {
        /* Synthesis happens in a fresh process (see spawn), then comes back
         * through the cache: the background synthesis's, or one started now. */
        int rc = MQ_OK;
        if (r->coordinator > 0) {
            await_background(r, key);
            mq_error e = { 0 };
            if (mq_cache_get_fresh(r->cache, key, r->env.rate, &mono, &lufs, relay_sentence,
                                   &rl, &e) == 1) {
                r->stats.synthesized++;
                goto copy;
            }
            mono.frames = 0;
        }
        rc = mq_render_synthesize_one(r, i, err);
        if (rc == MQ_OK) {
            mq_error e = { 0 };
            int hit = mq_cache_get_fresh(r->cache, key, r->env.rate, &mono, &lufs,
                                         relay_sentence, &rl, &e);
            if (hit == 1) {
                r->stats.synthesized++;
                goto copy;
            }
            /* The worker spoke it but the cache could not keep it (a full
             * disk, a folder where the entry goes, a read-only cache): an
             * unusable cache only costs time, so speak it in this process. */
            mono.frames = 0;
            /* At most one synthesizer per process: play's own, or one made now. */
            if (!sp && !r->own_speech) {
                mq_error e2 = { 0 };
                if (mq_speech_create(NULL, &r->own_speech, &e2) != MQ_OK)
                    rc = mq_error_set(err, MQ_ESYNTH, "item %zu: synthesized speech did not "
                                      "reach the cache in %s, and %s", i + 1,
                                      mq_cache_dir(r->cache), e2.msg);
            }
            if (rc == MQ_OK) {
                r->stats.uncached++;
                if (!sp)
                    sp = r->own_speech;
            }
        }
        if (rc != MQ_OK) {
            mq_buf_free(&mono);
            return rc;
        }
    }
    collect c = { 0 };
    if (sp == r->env.speech)
        r->speech_uses++;
    /* A synthesis process writes its item into the cache as it speaks. One
     * that cannot even start an entry speaks into memory, as any process
     * that keeps what it speaks does, and fails to store it the same way. */
    stream st = { 0 };
    if (r->in_child && r->cache && canonical &&
        mq_cache_writer_open(r->cache, key, r->env.rate, &st.w, NULL) != MQ_OK)
        st.w = NULL;
    /* Measured while it is spoken, once: the entry keeps it, so no later
     * render (nor the process that mixes) measures this voice again. */
    int rc = synthesize(r, sp, i, &mono, &c, &lufs, st.w ? &st : NULL, err);
    /* A cache that cannot be written only costs time (see below): the
     * process that mixes finds no entry and speaks the item itself. */
    if (st.failed) {
        mq_cache_writer_abort(st.w);
        st.w = NULL;
        collect_free(&c);
        mq_buf_free(&mono);
        return MQ_OK;
    }
    /* A stop asked for while it spoke (Ctrl-C; SIGTERM from the render to
     * its synthesis processes) may have cut it short without an error: such
     * speech is never kept (an interrupted render stored empty entries,
     * which later renders took for the item's speech). */
    if (rc == MQ_OK && r->env.stop && *r->env.stop)
        rc = mq_error_set(err, MQ_EINTERRUPTED, "interrupted");
    if (rc == MQ_OK) {
        r->stats.synthesized++;
        for (size_t k = 0; k < c.n && rc == MQ_OK; k++)
            if (on_sentence && on_sentence(user, c.s[k].text, c.s[k].start, c.s[k].end))
                rc = mq_error_set(err, MQ_EINTERRUPTED, "interrupted");
        /* Only a fresh synthesis process writes the cache (see spawn), so an
         * entry never depends on what else a process had spoken. A cache that
         * cannot be written only costs time: the render goes on. */
        if (rc == MQ_OK && st.w) {
            mq_cache_writer_commit(st.w, lufs, c.s, c.n, NULL);
            st.w = NULL;
        } else if (rc == MQ_OK && r->cache && canonical) {
            mq_cache_put(r->cache, key, r->env.rate, mono.data, mono.frames, lufs, c.s, c.n,
                         NULL);
        }
    }
    mq_cache_writer_abort(st.w);   /* not committed: nothing is left of it */
    collect_free(&c);
    if (rc != MQ_OK) {
        mq_buf_free(&mono);
        return rc;
    }
copy:
    /* An entry without a measure (none is written so; kept for safety). */
    if (isnan(lufs)) {
        int mrc = mq_loudness_of(mono.data, mono.frames, r->env.rate, 1, &lufs, NULL, err);
        if (mrc != MQ_OK) {
            mq_buf_free(&mono);
            return mrc;
        }
    }
    r->lufs[i] = lufs;
    /* OUT may have any channel count and content: the voice goes to every
     * channel, after what is there. Sentence times are from OUT's start, so
     * they are correct only when OUT was empty — as the mixer calls it. */
    if (out->channels == 1 && out->frames == 0) {
        /* The mixer's case: hand over the buffer itself (for a long reading,
         * copying it was a tenth of a cached render). */
        mq_buf_free(out);
        *out = mono;
        return MQ_OK;
    }
    size_t base = out->frames;
    if (mq_buf_reserve(out, mono.frames)) {
        mq_buf_free(&mono);
        return mq_error_set(err, MQ_ENOMEM, "out of memory");
    }
    for (size_t k = 0; k < mono.frames; k++)
        for (int ch = 0; ch < out->channels; ch++)
            out->data[(base + k) * (size_t)out->channels + (size_t)ch] = mono.data[k];
    out->frames += mono.frames;
    mq_buf_free(&mono);
    return MQ_OK;
}

/* In a fresh child process: start eSpeak NG, speak item I into the cache,
 * exit. A fresh process for every item makes the sound of an item
 * independent of what was spoken before it: with one synthesizer per worker,
 * reused from item to item, 3 of the 4 speech items of scripts/demo.yaml came
 * out different (by a few hundred samples) in a 2-process run than in a
 * serial one — eSpeak NG 1.51 keeps state across utterances. */
static pid_t spawn(mq_render *r, size_t i)
{
    fflush(NULL);
    pid_t pid = fork();
    if (pid != 0)
        return pid;
    /* The background synthesis's workers inherit its eSpeak NG, started and
     * never used: the state a fresh process has after mq_speech_create,
     * without the 5 ms that costs each time (espeak_Initialize 1.2 ms, the
     * cmn voice and its 1.6 MB dictionary 4 ms). */
    mq_speech *sp = r->zygote;
    if (!sp && mq_speech_create(NULL, &sp, NULL) != MQ_OK)
        _exit(2);
    r->env.speech = sp;
    r->in_child = 1;
    mq_buf mono = { .channels = 1 };
    int rc = mq_render_cached_speech(r, i, 0, &mono, NULL, NULL, NULL);
    _exit(rc == MQ_OK ? 0 : 1);
}

/* Runs the items TODO[0..N) in at most WORKERS processes at once. */
static int run_children(mq_render *r, const size_t *todo, size_t n, int workers, mq_error *err)
{
    size_t next = 0, running = 0;
    int failed = 0;
    while (next < n || running) {
        while (next < n && running < (size_t)workers && !(r->env.stop && *r->env.stop)) {
            if (spawn(r, todo[next]) < 0)
                return mq_error_set(err, MQ_ESYNTH, "cannot start a synthesis process: %s",
                                    strerror(errno));
            next++;
            running++;
        }
        if (!running)
            break;
        int st;
        pid_t p = waitpid(-1, &st, 0);
        if (p < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        running--;
        failed |= !WIFEXITED(st) || WEXITSTATUS(st) != 0;
    }
    if (r->env.stop && *r->env.stop)
        return mq_error_set(err, MQ_EINTERRUPTED, "interrupted");
    return failed ? mq_error_set(err, MQ_ESYNTH, "a synthesis process failed") : MQ_OK;
}

/* The items the cache does not hold, in *TODO (malloc'd, *NTODO of them),
 * marked fresh; the worker count is settled in the stats. An entry that
 * exists but is damaged is found later and re-synthesized then. */
static int collect_todo(mq_render *r, int workers, int skip_first, size_t **todo,
                        size_t *ntodo, mq_error *err)
{
    const int skip_first_given = skip_first;
    *ntodo = 0;
    *todo = malloc((r->n ? r->n : 1) * sizeof **todo);
    if (!*todo || (!r->fresh && !(r->fresh = calloc(r->n ? r->n : 1, 1)))) {
        free(*todo);
        *todo = NULL;
        return mq_error_set(err, MQ_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < r->n; i++) {
        char key[MQ_HASH_HEX], path[8192];
        if (mq_render_key(r, i, key))
            continue;
        if (skip_first) {
            skip_first = 0; /* this process speaks its first item itself */
            continue;
        }
        snprintf(path, sizeof path, "%s/%.2s/%s.mqs", mq_cache_dir(r->cache), key, key);
        if (access(path, R_OK))
            (*todo)[(*ntodo)++] = i;
    }
    /* For a render, the longest item starts first, the rest in program
     * order: the mix takes items in order, and waited at the longest (a third
     * of the benchmark bulletin) while the other process had already
     * finished. Not for play (SKIP_FIRST): it sounds item by item, and the
     * next one must come next. */
    size_t longest = 0;
    for (size_t k = 1; k < *ntodo; k++)
        if (mq_reading_syllables(r->readings[(*todo)[k]]) >
            mq_reading_syllables(r->readings[(*todo)[longest]]))
            longest = k;
    if (longest > 0 && workers > 1 && !skip_first_given) {
        size_t it = (*todo)[longest];
        memmove(*todo + 1, *todo, longest * sizeof **todo);
        (*todo)[0] = it;
    }
    if (workers < 1)
        workers = 1;
    if (workers > (int)*ntodo)
        workers = *ntodo ? (int)*ntodo : 1;
    r->stats.workers = workers;
    for (size_t k = 0; k < *ntodo; k++)
        r->fresh[(*todo)[k]] = 1;
    return MQ_OK;
}

int mq_render_presynthesize(mq_render *r, int workers, mq_error *err)
{
    if (!r->cache)
        return mq_error_set(err, MQ_EINVAL, "synthesis processes need a cache");
    size_t *todo, ntodo;
    int rc = collect_todo(r, workers, 0, &todo, &ntodo, err);
    if (rc == MQ_OK)
        rc = run_children(r, todo, ntodo, r->stats.workers, err);
    free(todo);
    return rc;
}

/* The voice most of the items TODO[0..N) speak with, selected in the
 * background synthesis's eSpeak NG before any worker is forked: a worker
 * speaking with it need not select it (2 ms a process; the sound is the
 * same, as selecting it there gives the state selecting it here gave). */
static void preselect_voice(mq_render *r, const size_t *todo, size_t n)
{
    const mq_voice *best = NULL;
    size_t best_n = 0, nv = mq_voiceset_count(r->env.voices);
    size_t *uses = calloc(nv ? nv : 1, sizeof *uses);
    if (!uses)
        return;   /* each worker selects its voice, as before */
    for (size_t a = 0; a < n; a++) {
        const mq_voice *v =
            mq_voiceset_find(r->env.voices, mq_program_item(r->env.program, todo[a])->voice);
        for (size_t k = 0; k < nv && v; k++)
            if (mq_voiceset_get(r->env.voices, k) == v && ++uses[k] > best_n)
                best = v, best_n = uses[k];
    }
    free(uses);
    if (best)
        mq_speech_select(r->zygote, best, NULL);
}

int mq_render_presynthesize_background(mq_render *r, int workers, int leave_first,
                                       mq_error *err)
{
    if (!r->cache)
        return mq_error_set(err, MQ_EINVAL, "synthesis processes need a cache");
    /* Settled here, before the fork, so that this process knows which
     * items this run synthesizes (its report counts them). */
    size_t *todo, ntodo;
    int rc = collect_todo(r, workers, leave_first, &todo, &ntodo, err);
    if (rc != MQ_OK)
        return rc;
    if (!ntodo) {
        free(todo);
        return MQ_OK;
    }
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        free(todo);
        return mq_error_set(err, MQ_ESYNTH, "cannot start a synthesis process: %s",
                            strerror(errno));
    }
    if (pid == 0) {
        /* Its own process group: stopping the coordinator stops its workers. */
        setpgid(0, 0);
        /* Started here, before any worker, in a process that has not started
         * eSpeak NG (cli_prepare forks this first); a failure is left to
         * each worker to meet and report as before. */
        if (mq_speech_create(NULL, &r->zygote, NULL) != MQ_OK)
            r->zygote = NULL;
        else
            preselect_voice(r, todo, ntodo);
        _exit(run_children(r, todo, ntodo, r->stats.workers, NULL) == MQ_OK ? 0 : 1);
    }
    free(todo);
    setpgid(pid, pid);
    r->coordinator = pid;
    return MQ_OK;
}

void mq_render_stop_background(mq_render *r)
{
    if (r->coordinator > 0) {
        kill(-r->coordinator, SIGTERM);
        while (waitpid(r->coordinator, NULL, 0) < 0 && errno == EINTR)
            ;
        r->coordinator = 0;
    }
}

/* While the background synthesis runs, waits for item KEY's entry to appear
 * (or the synthesis to end). */
static void await_background(mq_render *r, const char *key)
{
    char path[8192];
    snprintf(path, sizeof path, "%s/%.2s/%s.mqs", mq_cache_dir(r->cache), key, key);
    while (r->coordinator > 0 && access(path, R_OK) && !(r->env.stop && *r->env.stop)) {
        int st;
        if (waitpid(r->coordinator, &st, WNOHANG) == r->coordinator) {
            r->coordinator = 0;
            break;
        }
        struct timespec ts = { 0, 2000000 };
        nanosleep(&ts, NULL);
    }
}

int mq_render_synthesize_one(mq_render *r, size_t i, mq_error *err)
{
    if (!r->fresh && !(r->fresh = calloc(r->n ? r->n : 1, 1)))
        return mq_error_set(err, MQ_ENOMEM, "out of memory");
    r->fresh[i] = 1;
    return run_children(r, &i, 1, 1, err);
}
