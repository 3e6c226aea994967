/*
 * mq_mix.c — placing items on the timeline and mixing them; see mq_mix.h.
 *
 * Items are placed lazily, in order, when the mix reaches them: an item is
 * prepared (speech synthesized, an audio file opened and measured) just
 * before the first block it sounds in, and released after its last, so only
 * the items that overlap the current block are ever held.
 */
#include "mq_mix_int.h"
#include "mq_loudness.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MQ_MAX_VOICES 8
#define MQ_DUCK_GAP 1.5      /* pauses shorter than this keep the bed ducked, s */
#define MQ_DUCK_ATTACK 0.4   /* ramp down, ending MQ_DUCK_EARLY before speech, s */
#define MQ_DUCK_EARLY 0.05
#define MQ_DUCK_HOLD 0.25    /* after the speech, before the release, s */
#define MQ_DUCK_RELEASE 0.6

struct mq_mix {
    mq_mix_env env;
    mq_voice voices[MQ_MAX_VOICES];
    mq_mix_item *items;
    size_t nitems, next;        /* next item to place */
    size_t last;                /* one past the last item mixed */
    long long next_t0;          /* where it starts, frames */
    long long end;              /* the end of everything placed so far */
    long long pos;              /* frames mixed */
    mq_caption *caps;
    size_t ncaps, capcaps;
    char **captexts;
    mq_duck_span *ducks;
    size_t nducks, capducks;
    float *scratch;
    size_t scratch_frames;
    mq_memos memos;
    /* While a speech item is being synthesized: where its sentences go. */
    struct { double t0; size_t item; mq_voice *v; } cur;
};

static long long frames(const mq_mix *m, double s)
{
    return (long long)llround(s * m->env.rate);
}

static double dflt(double v, double d) { return isnan(v) ? d : v; }

static int add_caption(void *user, const char *text, size_t start, size_t end)
{
    mq_mix *m = user;
    if (m->ncaps == m->capcaps) {
        size_t cap = m->capcaps ? m->capcaps * 2 : 64;
        mq_caption *c = realloc(m->caps, cap * sizeof *c);
        char **t = c ? realloc(m->captexts, cap * sizeof *t) : NULL;
        if (c)
            m->caps = c;
        if (!t)
            return -1;
        m->captexts = t;
        m->capcaps = cap;
    }
    char *copy = strdup(text);
    if (!copy)
        return -1;
    m->captexts[m->ncaps] = copy;
    m->caps[m->ncaps++] = (mq_caption){ copy, m->cur.t0 + (double)start / m->env.rate,
                                        m->cur.t0 + (double)end / m->env.rate, m->cur.item };
    return 0;
}

static mq_voice *free_voice(mq_mix *m)
{
    for (int i = 0; i < MQ_MAX_VOICES; i++)
        if (!m->voices[i].used)
            return &m->voices[i];
    return NULL;
}

/* Opens an audio file for item I, trimmed by START/LENGTH (NAN = whole): a
 * looped one from the memo when its pass fits there, else streamed. */
static int open_clip(mq_mix *m, size_t i, const char *path, double start, double length,
                     mq_voice *v, double *lufs, mq_error *err)
{
    int rc = mq_clip_open(path, m->env.rate, m->env.channels, &v->clip, err);
    if (rc != MQ_OK)
        return rc;
    double dur = mq_clip_duration(v->clip), s = dflt(start, 0.0);
    if (s >= dur)
        return mq_error_set(err, MQ_EINPUT, "%s: start %.2f s is past the end of the file "
                            "(%.2f s) in item %zu", path, s, dur, i + 1);
    double len = isnan(length) ? dur - s : fmin(length, dur - s);
    v->clip_start = s;
    v->clip_len = frames(m, len);
    v->decodes = &m->memos.decodes;
    *lufs = -INFINITY;
    if (v->loop &&
        (v->memo = mq_memo_get(&m->memos, v->clip, path, s, v->clip_len, m->env.balance))) {
        mq_clip_free(v->clip);
        v->clip = NULL;
        /* Where streaming would find the file's end and shorten the pass. */
        v->clip_len = v->memo->frames;
        *lufs = v->memo->lufs;
        return MQ_OK;
    }
    if ((rc = mq_clip_seek(v->clip, s, err)) != MQ_OK)
        return rc;
    if (m->env.balance) {
        m->memos.decodes++;
        rc = mq_pass_loudness(m->env.rate, m->env.channels, v->clip, NULL, v->clip_len, lufs, err);
        if (rc != MQ_OK)
            return rc;
    }
    m->memos.decodes++;
    return mq_clip_seek(v->clip, s, err);
}

static double balance_db(const mq_mix *m, double lufs, double target)
{
    return m->env.balance && isfinite(lufs) ? target - lufs : 0.0;
}

/* Duck envelope of a bed under the speech at OFF frames into the voice: the
 * sentences of item I (captions FIRST..ncaps-1), merged across short pauses. */
static int build_duck(mq_mix *m, mq_voice *bed, size_t first, double t0, double duck)
{
    size_t n = m->ncaps - first;
    bed->duck = calloc(4 * n + 2, sizeof *bed->duck);
    if (!bed->duck)
        return MQ_ENOMEM;
    size_t k = 0;
    for (size_t i = first; i < m->ncaps;) {
        double s = m->caps[i].start - t0, e = m->caps[i].end - t0;
        while (i + 1 < m->ncaps && m->caps[i + 1].start - t0 - e < MQ_DUCK_GAP)
            e = m->caps[++i].end - t0;
        i++;
        double down0 = s - MQ_DUCK_EARLY - MQ_DUCK_ATTACK, down1 = s - MQ_DUCK_EARLY;
        double up0 = e + MQ_DUCK_HOLD, up1 = e + MQ_DUCK_HOLD + MQ_DUCK_RELEASE;
        bed->duck[k++] = (mq_duck_pt){ frames(m, fmax(down0, 0)), 0.0 };
        bed->duck[k++] = (mq_duck_pt){ frames(m, fmax(down1, 0)), duck };
        bed->duck[k++] = (mq_duck_pt){ frames(m, up0), duck };
        bed->duck[k++] = (mq_duck_pt){ frames(m, up1), 0.0 };
        if (m->nducks == m->capducks) {
            size_t cap = m->capducks ? m->capducks * 2 : 16;
            mq_duck_span *d = realloc(m->ducks, cap * sizeof *d);
            if (!d)
                return MQ_ENOMEM;
            m->ducks = d;
            m->capducks = cap;
        }
        m->ducks[m->nducks++] = (mq_duck_span){ t0 + down1, t0 + up0, m->cur.item };
    }
    bed->nduck = k;
    return MQ_OK;
}

static int place_speech(mq_mix *m, size_t i, const mq_item *it, mq_voice *v, mq_error *err)
{
    v->kind = V_SPEECH;
    v->speech.channels = 1;
    int has_bed = it->bed != NULL;
    double lead = has_bed ? MQ_BED_LEAD : 0.0;
    m->cur.t0 = (double)m->next_t0 / m->env.rate + lead;
    m->cur.item = i;
    size_t first = m->ncaps;
    int rc = m->env.speak(m->env.speak_ctx, i, &v->speech, add_caption, m, err);
    if (rc != MQ_OK)
        return rc;
    /* Measured once, when it was synthesized, if the source knows it. */
    double lufs = m->env.loudness ? m->env.loudness(m->env.speak_ctx, i) : NAN;
    if (!m->env.balance || !v->speech.frames)
        lufs = -INFINITY;
    else if (isnan(lufs) &&
             (rc = mq_loudness_of(v->speech.data, v->speech.frames, m->env.rate, 1, &lufs, NULL,
                                  err)))
        return rc;
    /* The mono voice goes to every output channel; BS.1770 sums the channels'
     * power, so in stereo it measures 3 dB louder than alone. */
    lufs += 10.0 * log10(m->env.channels);
    double gdb = balance_db(m, lufs, MQ_SPEECH_LUFS) + dflt(it->gain, 0.0);
    v->gain = (float)pow(10.0, gdb / 20.0);
    v->speech_off = frames(m, lead);
    v->len = v->speech_off + (long long)v->speech.frames + (has_bed ? frames(m, MQ_BED_TAIL) : 0);
    mq_mix_item *mi = &m->items[i];
    mi->speech_start = m->cur.t0;
    mi->speech_end = m->cur.t0 + (double)v->speech.frames / m->env.rate;
    mi->gain_db = gdb;
    mi->loudness = lufs;
    if (!has_bed)
        return MQ_OK;
    mq_voice *bed = free_voice(m);
    if (!bed)
        return mq_error_set(err, MQ_EINTERNAL, "too many overlapping items at item %zu", i + 1);
    bed->used = 1;
    bed->kind = V_CLIP;
    bed->item = i;
    bed->loop = 1;
    bed->t0 = m->next_t0;
    bed->len = v->len;
    double blufs;
    if ((rc = open_clip(m, i, it->bed, NAN, NAN, bed, &blufs, err)) != MQ_OK)
        return rc;
    bed->gain = (float)pow(10.0, balance_db(m, blufs, MQ_MUSIC_LUFS) / 20.0);
    bed->fade_in = frames(m, fmin(dflt(it->fade_in, 0.5), lead));
    bed->fade_out = frames(m, dflt(it->fade_out, MQ_BED_TAIL));
    /* The speech itself is never faded: fades on a speech item shape its bed. */
    return build_duck(m, bed, first, (double)bed->t0 / m->env.rate, dflt(it->duck, MQ_DUCK_DB)) ?
               mq_error_set(err, MQ_ENOMEM, "out of memory") : MQ_OK;
}

/* Places item NEXT on the timeline. */
static int place(mq_mix *m, mq_error *err)
{
    size_t i = m->next;
    const mq_item *it = mq_program_item(m->env.program, i);
    const mq_item *nx = i + 1 < m->last ? mq_program_item(m->env.program, i + 1) : NULL;
    mq_mix_item *mi = &m->items[i];
    long long t0 = m->next_t0, len = 0;
    mq_voice *v = NULL;
    int rc = MQ_OK;
    mi->loudness = -INFINITY;
    if (it->kind == MQ_ITEM_PAUSE) {
        len = frames(m, it->duration);
    } else {
        v = free_voice(m);
        if (!v)
            return mq_error_set(err, MQ_EINTERNAL, "too many overlapping items at item %zu", i + 1);
        memset(v, 0, sizeof *v);
        v->used = 1;
        v->item = i;
        v->t0 = t0;
        if (it->kind == MQ_ITEM_ANNOUNCE || it->kind == MQ_ITEM_READ) {
            rc = place_speech(m, i, it, v, err);
        } else {
            v->kind = V_CLIP;
            double lufs;
            rc = open_clip(m, i, it->path, it->start, it->length, v, &lufs, err);
            if (rc == MQ_OK) {
                int music = it->kind == MQ_ITEM_MUSIC;
                mi->loudness = lufs;
                mi->gain_db = balance_db(m, lufs, MQ_MUSIC_LUFS) + dflt(it->gain, 0.0);
                v->gain = (float)pow(10.0, mi->gain_db / 20.0);
                v->len = v->clip_len;
                v->fade_in = frames(m, dflt(it->fade_in, music ? MQ_MUSIC_FADE_IN : 0.0));
                v->fade_out = frames(m, dflt(it->fade_out, music ? MQ_MUSIC_FADE_OUT : 0.0));
            }
        }
        if (rc != MQ_OK) {
            mq_voice_release(v);
            return rc;
        }
        len = v->len;
    }
    /* A crossfade into this item: it fades in (unless speech) while the
     * previous fades out, both equal-power, over the overlap. */
    long long ov = i > m->env.first ? frames(m, dflt(it->overlap, 0.0)) : 0;
    if (v && ov > 0) {
        if (ov > len)
            ov = len;
        if (v->kind != V_SPEECH && v->fade_in < ov)
            v->fade_in = ov;
    }
    if (nx && !isnan(nx->overlap) && nx->overlap > 0 && v) {
        long long nov = frames(m, nx->overlap);
        if (nov > len)
            nov = len;
        if (v->fade_out < nov)
            v->fade_out = nov;
    }
    mi->start = (double)t0 / m->env.rate;
    mi->length = (double)len / m->env.rate;
    mi->reached = 1;
    if (t0 + len > m->end)
        m->end = t0 + len;
    long long nov = nx && !isnan(nx->overlap) ? frames(m, nx->overlap) : 0;
    m->next_t0 = t0 + len - (nov < len ? nov : len);
    m->next++;
    return MQ_OK;
}

int mq_mix_create(const mq_mix_env *env, mq_mix **out, mq_diags *diags, mq_error *err)
{
    *out = NULL;
    if (env->rate < 8000 || env->rate > 192000 || env->channels < 1 || env->channels > 2 ||
        !env->speak)
        return mq_error_set(err, MQ_EINVAL, "mixer: bad rate, channels or speech source");
    mq_mix *m = calloc(1, sizeof *m);
    size_t n = mq_program_item_count(env->program);
    if (!m || !(m->items = calloc(n ? n : 1, sizeof *m->items))) {
        free(m);
        return mq_error_set(err, MQ_ENOMEM, "out of memory");
    }
    m->env = *env;
    m->nitems = n;
    m->memos.budget = MQ_MEMO_BUDGET;
    if (env->first > n || (env->count && env->first + env->count > n)) {
        mq_mix_free(m);
        return mq_error_set(err, MQ_EINVAL, "mixer: items %zu..%zu of %zu", env->first + 1,
                            env->first + env->count, n);
    }
    m->last = env->count ? env->first + env->count : n;
    m->next = env->first;
    /* Every audio file is opened now, so a missing or broken one is reported
     * with its place in the program before anything is rendered. */
    const char *file = mq_program_file(env->program);
    int rc = MQ_OK;
    for (size_t i = env->first; i < m->last; i++) {
        const mq_item *it = mq_program_item(env->program, i);
        const char *paths[2] = { (it->kind == MQ_ITEM_MUSIC || it->kind == MQ_ITEM_CLIP) ?
                                     it->path : NULL, it->bed };
        for (int k = 0; k < 2; k++) {
            if (!paths[k])
                continue;
            mq_clip *c;
            mq_error e = { 0 };
            int r = mq_clip_open(paths[k], env->rate, env->channels, &c, &e);
            if (r == MQ_ENOMEM) {
                mq_mix_free(m);
                return mq_error_set(err, MQ_ENOMEM, "out of memory");
            }
            if (r != MQ_OK) {
                mq_diags_add(diags, file, it->line, it->column, "item %zu: %s", i + 1, e.msg);
                rc = MQ_EINPUT;
            } else if (k == 0 && !isnan(it->start) && it->start >= mq_clip_duration(c)) {
                mq_diags_add(diags, file, it->line, it->column,
                             "item %zu: 'start' %.2f s is past the end of %s (%.2f s)", i + 1,
                             it->start, it->source, mq_clip_duration(c));
                rc = MQ_EINPUT;
            }
            if (r == MQ_OK)
                mq_clip_free(c);
        }
    }
    if (rc != MQ_OK) {
        mq_mix_free(m);
        return mq_error_set(err, rc, "%s: %zu error%s", file, mq_diags_count(diags),
                            mq_diags_count(diags) == 1 ? "" : "s");
    }
    *out = m;
    return MQ_OK;
}

static void reset(mq_mix *m)
{
    for (int i = 0; i < MQ_MAX_VOICES; i++)
        if (m->voices[i].used)
            mq_voice_release(&m->voices[i]);
    for (size_t i = 0; i < m->ncaps; i++)
        free(m->captexts[i]);
    m->ncaps = m->nducks = 0;
    m->next = m->env.first;
    m->next_t0 = m->end = m->pos = 0;
    memset(m->items, 0, m->nitems * sizeof *m->items);
}

void mq_mix_free(mq_mix *m)
{
    if (!m)
        return;
    reset(m);
    free(m->items);
    free(m->caps);
    free(m->captexts);
    free(m->ducks);
    free(m->scratch);
    mq_memos_free(&m->memos);
    free(m);
}

long mq_mix_read(mq_mix *m, float *out, size_t n, mq_error *err)
{
    if (m->env.stop && *m->env.stop)
        return mq_error_set(err, MQ_EINTERRUPTED, "interrupted");
    /* Place every item that starts before this block ends. */
    while (m->next < m->last && m->next_t0 < m->pos + (long long)n) {
        int rc = place(m, err);
        if (rc != MQ_OK)
            return rc;
    }
    if (m->next >= m->last && m->pos >= m->end)
        return 0;
    if (m->next >= m->last && m->end - m->pos < (long long)n)
        n = (size_t)(m->end - m->pos);
    int ch = m->env.channels;
    if (m->scratch_frames < n) {
        float *s = realloc(m->scratch, n * (size_t)ch * sizeof *s);
        if (!s)
            return mq_error_set(err, MQ_ENOMEM, "out of memory");
        m->scratch = s;
        m->scratch_frames = n;
    }
    memset(out, 0, n * (size_t)ch * sizeof *out);
    for (int i = 0; i < MQ_MAX_VOICES; i++) {
        mq_voice *v = &m->voices[i];
        if (!v->used)
            continue;
        int rc = mq_voice_mix(v, m->pos, n, ch, out, m->scratch, err);
        if (rc != MQ_OK)
            return rc;
        if (v->t0 + v->len <= m->pos + (long long)n)
            mq_voice_release(v);
    }
    m->pos += (long long)n;
    return (long)n;
}

size_t mq_mix_items(const mq_mix *m) { return m->nitems; }
const mq_mix_item *mq_mix_item_info(const mq_mix *m, size_t i)
{
    return i < m->nitems ? &m->items[i] : NULL;
}
size_t mq_mix_captions(const mq_mix *m) { return m->ncaps; }
const mq_caption *mq_mix_caption(const mq_mix *m, size_t i)
{
    return i < m->ncaps ? &m->caps[i] : NULL;
}
size_t mq_mix_ducks(const mq_mix *m) { return m->nducks; }
const mq_duck_span *mq_mix_duck(const mq_mix *m, size_t i)
{
    return i < m->nducks ? &m->ducks[i] : NULL;
}
size_t mq_mix_position(const mq_mix *m) { return (size_t)m->pos; }
size_t mq_mix_current_item(const mq_mix *m) { return m->next > m->env.first ? m->next - 1 : m->env.first; }
int mq_mix_rate(const mq_mix *m) { return m->env.rate; }
int mq_mix_channels(const mq_mix *m) { return m->env.channels; }
void mq_mix_set_memo_budget(mq_mix *m, size_t bytes) { m->memos.budget = bytes; }
size_t mq_mix_file_decodes(const mq_mix *m) { return m->memos.decodes; }
