/* mq_render.c — items to audio; see mq_render.h. */
#include "mq_render.h"
#include "mq_render_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


void mq_render_free(mq_render *r)
{
    if (!r)
        return;
    mq_render_stop_background(r);
    for (size_t i = 0; i < r->n; i++)
        mq_reading_free(r->readings[i]);
    free(r->readings);
    free(r->fresh);
    free(r->lufs);
    mq_speech_free(r->own_speech);
    free(r);
}

static int is_speech(const mq_item *it)
{
    return it->kind == MQ_ITEM_ANNOUNCE || it->kind == MQ_ITEM_READ;
}

/* A reader's message starts with the LINE:COLUMN it is about; returns the
 * rest, the place in *LINE and *COLUMN (0 when there is none). */
static const char *split_place(const char *msg, int *line, int *column)
{
    int n = 0;
    if (sscanf(msg, "%d:%d: %n", line, column, &n) == 2 && n > 0)
        return msg + n;
    *line = *column = 0;
    return msg;
}

/* Tells (env.warnings) of the Han characters item IT's reading RD leaves
 * unspoken because no reading is known for them: a name's rare character
 * would otherwise vanish from the broadcast without a word. PLACED: RD's
 * places are in the program file (an announcement read with them). */
static void warn_unread(mq_render *r, const mq_item *it, const mq_reading *rd, int placed)
{
    size_t n = mq_reading_unread_count(rd);
    if (!n || !r->env.warnings)
        return;
    const char *file = it->kind == MQ_ITEM_READ ? it->path : mq_program_file(r->env.program);
    for (size_t k = 0; k < n && k < MQ_READING_UNREAD_KEPT; k++) {
        char ch[5];
        int line = 0, column = 0;
        mq_reading_unread(rd, k, ch, &line, &column);
        if (it->kind == MQ_ITEM_ANNOUNCE && !placed)
            line = it->line, column = it->column;  /* not placed: the item */
        mq_diags_add(r->env.warnings, file, line, column,
                     "warning: '%s' has no known reading and is not spoken; give it one "
                     "where it stands, such as %s{pinyin}", ch, ch);
    }
    if (n > MQ_READING_UNREAD_KEPT)
        mq_diags_add(r->env.warnings, file, 0, 0,
                     "warning: %zu more characters with no known reading are not spoken",
                     n - MQ_READING_UNREAD_KEPT);
}

/* Reads one item's text; a text problem becomes a diagnostic at the place the
 * user can fix it (the text file for `read`; for `announce`, the program file
 * where the text stands, or the item when an escape such as \u91cd keeps the
 * text from being found there character for character). */
static int read_item(mq_render *r, const mq_item *it, size_t i, mq_diags *diags,
                     mq_error *err)
{
    const char *file = mq_program_file(r->env.program);
    mq_text_pos *origin = NULL;
    int placed = it->kind == MQ_ITEM_ANNOUNCE && it->text_src &&
                 mq_text_places(it->text, strlen(it->text), it->text_src, strlen(it->text_src),
                                it->text_line, it->text_column, &origin) == MQ_OK;
    mq_error e = { 0 };
    mq_reader_read_text_at(r->env.reader, it->text, strlen(it->text), origin,
                           &r->readings[i], &e);
    free(origin);
    if (e.code == MQ_ENOMEM)
        return mq_error_set(err, MQ_ENOMEM, "out of memory");
    if (e.code == MQ_OK && mq_reading_syllables(r->readings[i]) == 0) {
        mq_diags_add(diags, it->kind == MQ_ITEM_READ ? it->path : file,
                     it->kind == MQ_ITEM_READ ? 0 : it->line,
                     it->kind == MQ_ITEM_READ ? 0 : it->column,
                     "nothing to say: the text has no readable characters");
        return MQ_EINPUT;
    }
    /* An item's speech is held in memory while it is mixed: about 200 KB a
     * second at 48 kHz. 20,000 syllables are some 80 minutes at a news pace
     * (1.7 GB of memory while checking); a longer text is nearly always a
     * mistake, and splitting it into several items costs nothing. */
    size_t syl = e.code == MQ_OK ? mq_reading_syllables(r->readings[i]) : 0;
    if (syl > MQ_ITEM_MAX_SYLLABLES) {
        mq_diags_add(diags, file, it->line, it->column,
                     "the text is too long for one item: %zu syllables, about %zu minutes of "
                     "speech (at most %d, about 80 minutes); split it into several items",
                     syl, syl / 250, MQ_ITEM_MAX_SYLLABLES);
        return MQ_EINPUT;
    }
    if (e.code == MQ_OK) {
        warn_unread(r, it, r->readings[i], placed);
        return MQ_OK;
    }
    int line, column;
    const char *msg = split_place(e.msg, &line, &column);
    if (it->kind == MQ_ITEM_READ || placed)
        mq_diags_add(diags, it->kind == MQ_ITEM_READ ? it->path : file, line, column, "%s",
                     msg);
    else
        mq_diags_add(diags, file, it->line, it->column, "in the announcement: %s", e.msg);
    return MQ_EINPUT;
}

int mq_render_prepare(const mq_render_env *env, mq_render **out, mq_diags *diags,
                      mq_error *err)
{
    *out = NULL;
    mq_render *r = calloc(1, sizeof *r);
    size_t n = mq_program_item_count(env->program);
    if (!r || !(r->readings = calloc(n ? n : 1, sizeof *r->readings)) ||
        !(r->lufs = malloc((n ? n : 1) * sizeof *r->lufs))) {
        if (r)
            free(r->readings);
        free(r);
        return mq_error_set(err, MQ_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < n; i++)
        r->lufs[i] = NAN;
    r->env = *env;
    r->n = n;
    const char *file = mq_program_file(env->program);
    int rc = MQ_OK;
    size_t total = 0;
    for (size_t i = 0; i < n; i++) {
        const mq_item *it = mq_program_item(env->program, i);
        if (is_speech(it)) {
            if (!mq_voiceset_find(env->voices, it->voice)) {
                mq_diags_add(diags, file, it->line, it->column, "unknown voice '%s'", it->voice);
                rc = MQ_EINPUT;
                continue;
            }
            int r2 = read_item(r, it, i, diags, err);
            if (r2 == MQ_ENOMEM) {
                mq_render_free(r);
                return r2;
            }
            if (r2 != MQ_OK)
                rc = r2;
            if (r->readings[i])
                total += mq_reading_syllables(r->readings[i]);
            if (total > MQ_PROGRAM_MAX_SYLLABLES) {
                /* Readings take memory too: stop before they add up. */
                mq_diags_add(diags, file, it->line, it->column,
                             "the program has too much to say: more than %d syllables (about "
                             "%d hours of speech) by this item", MQ_PROGRAM_MAX_SYLLABLES,
                             MQ_PROGRAM_MAX_SYLLABLES / 250 / 60);
                rc = MQ_EINPUT;
                break;
            }
        }
    }
    if (rc != MQ_OK) {
        mq_render_free(r);
        return mq_error_set(err, rc, "%s: %zu error%s", file, mq_diags_count(diags),
                            mq_diags_count(diags) == 1 ? "" : "s");
    }
    *out = r;
    return MQ_OK;
}

void mq_render_set_speech(mq_render *r, mq_speech *sp) { r->env.speech = sp; }

double mq_render_speech_loudness(void *ctx, size_t i)
{
    const mq_render *r = ctx;
    return i < r->n ? r->lufs[i] : NAN;
}

const mq_reading *mq_render_reading(const mq_render *r, size_t i)
{
    return i < r->n ? r->readings[i] : NULL;
}

int mq_render_speech(void *ctx, size_t i, mq_buf *out, mq_sentence_cb on_sentence, void *user,
                     mq_error *err)
{
    mq_render *r = ctx;
    const mq_item *it = mq_program_item(r->env.program, i);
    if (!it || !is_speech(it) || !r->readings[i])
        return mq_error_set(err, MQ_EINVAL, "item %zu is not a speech item", i + 1);
    const mq_voice *v = mq_voiceset_find(r->env.voices, it->voice);
    /* A speech item is followed by its voice's paragraph pause, unless the
     * program says what comes next with a pause item, or it is the last. */
    const mq_item *next = mq_program_item(r->env.program, i + 1);
    int gap_follows = next && next->kind != MQ_ITEM_PAUSE && !it->bed;
    int rc = mq_render_cached_speech(r, i, gap_follows, out, on_sentence, user, err);
    if (rc != MQ_OK)
        return rc;
    if (gap_follows) {
        size_t gap = (size_t)llround(v->pause_paragraph * r->env.rate);
        if (mq_buf_silence(out, gap))
            return mq_error_set(err, MQ_ENOMEM, "out of memory");
    }
    return MQ_OK;
}
