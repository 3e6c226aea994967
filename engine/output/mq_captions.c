/* mq_captions.c — SRT, LRC and CUE files; see mq_captions.h. */
#include "mq_captions.h"
#include "../util/mq_atomic.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

static void srt_time(FILE *f, double s)
{
    long long ms = llround(s * 1000);
    fprintf(f, "%02lld:%02lld:%02lld,%03lld", ms / 3600000, ms / 60000 % 60, ms / 1000 % 60,
            ms % 1000);
}

int mq_captions_write_srt(const mq_mix *mix, const char *path, mq_error *err)
{
    mq_atomic a;
    if (mq_atomic_open(&a, path, err))
        return MQ_EIO;
    FILE *f = a.f;
    for (size_t i = 0; i < mq_mix_captions(mix); i++) {
        const mq_caption *c = mq_mix_caption(mix, i);
        fprintf(f, "%zu\n", i + 1);
        srt_time(f, c->start);
        fputs(" --> ", f);
        srt_time(f, c->end);
        fprintf(f, "\n%s\n\n", c->text);
    }
    return mq_atomic_commit(&a, err);
}

int mq_captions_write_lrc(const mq_mix *mix, const char *title, const char *path, mq_error *err)
{
    mq_atomic a;
    if (mq_atomic_open(&a, path, err))
        return MQ_EIO;
    FILE *f = a.f;
    if (title)
        fprintf(f, "[ti:%s]\n[re:muqir]\n", title);
    for (size_t i = 0; i < mq_mix_captions(mix); i++) {
        const mq_caption *c = mq_mix_caption(mix, i);
        long long cs = llround(c->start * 100);
        fprintf(f, "[%02lld:%02lld.%02lld]%s\n", cs / 6000, cs / 100 % 60, cs % 100, c->text);
    }
    /* An empty line at the speech's end clears the last caption. */
    if (mq_mix_captions(mix)) {
        const mq_caption *c = mq_mix_caption(mix, mq_mix_captions(mix) - 1);
        long long cs = llround(c->end * 100);
        fprintf(f, "[%02lld:%02lld.%02lld]\n", cs / 6000, cs / 100 % 60, cs % 100);
    }
    return mq_atomic_commit(&a, err);
}

/* CUE strings are double-quoted; a quote inside becomes a single quote. */
static void cue_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++)
        fputc(*s == '"' ? '\'' : *s, f);
    fputc('"', f);
}

int mq_captions_write_cue(const mq_mix *mix, const mq_program *program, const char *audio,
                          const char *path, mq_error *err)
{
    mq_atomic a;
    if (mq_atomic_open(&a, path, err))
        return MQ_EIO;
    FILE *f = a.f;
    const char *base = strrchr(audio, '/');
    base = base ? base + 1 : audio;
    const char *ext = strrchr(base, '.');
    const char *type = ext && !strcasecmp(ext, ".mp3") ? "MP3" : "WAVE";
    fputs("TITLE ", f);
    cue_str(f, mq_program_title(program));
    fputs("\nPERFORMER \"muqir\"\nFILE ", f);
    cue_str(f, base);
    fprintf(f, " %s\n", type);
    for (size_t i = 0; i < mq_mix_items(mix) && i < 99; i++) {
        const mq_mix_item *mi = mq_mix_item_info(mix, i);
        const mq_item *it = mq_program_item(program, i);
        long long fr = llround(mi->start * 75);
        fprintf(f, "  TRACK %02zu AUDIO\n    TITLE ", i + 1);
        char label[64];
        snprintf(label, sizeof label, "%s %zu", mq_item_kind_name(it->kind), i + 1);
        cue_str(f, it->name ? it->name : label);
        fprintf(f, "\n    INDEX 01 %02lld:%02lld:%02lld\n", fr / 75 / 60, fr / 75 % 60, fr % 75);
    }
    return mq_atomic_commit(&a, err);
}
