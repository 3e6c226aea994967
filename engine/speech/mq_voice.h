/*
 * mq_voice.h — voice presets (voices/NAME.yaml): which eSpeak NG voice and
 * variant speaks, with what parameters, and how long the pauses are.
 *
 * A preset file is a flat YAML mapping:
 *   description: 新闻播音员：稳重清晰        # shown by `muqir voices`
 *   variant: m3            # eSpeak NG variant (voices/!v), or none
 *   rate: 205              # words per minute, 80..450 (eSpeak NG -s)
 *   pitch: 45              # 0..100 (-p)
 *   range: 50              # pitch range 0..100
 *   volume: 100            # 0..200 (-a)
 *   word_gap: 0            # extra gap between words, units of 10 ms, 0..100
 *   pause: { comma: 250ms, sentence: 600ms, paragraph: 1s }
 * The eSpeak NG voice itself is always cmn-latn-pinyin: the only Mandarin
 * voice of eSpeak NG 1.51 that reads Chinese as Mandarin (see design.md).
 */
#ifndef MQ_VOICE_H
#define MQ_VOICE_H

#include <stddef.h>
#include "../util/mq_error.h"

typedef struct mq_voice {
    char *name;             /* file name without .yaml */
    char *description;      /* "" when not given */
    char *variant;          /* eSpeak NG variant name, or NULL */
    int rate;               /* words per minute, 80..450 */
    int pitch;              /* 0..100 */
    int range;              /* 0..100 */
    int volume;             /* 0..200 */
    int word_gap;           /* units of 10 ms, 0..100 */
    double pause_comma;     /* seconds of silence after , 、 ： etc. */
    double pause_sentence;  /* seconds after 。！？； */
    double pause_paragraph; /* seconds after a paragraph */
} mq_voice;

typedef struct mq_voiceset mq_voiceset;

/*
 * Loads every *.yaml preset in DIR. Returns MQ_OK and *OUT, MQ_EIO when DIR
 * cannot be read or holds no preset, or MQ_EINPUT with one diagnostic per
 * problem in DIAGS (which may be NULL; ERR then carries the first problem).
 */
int mq_voiceset_open(const char *dir, mq_voiceset **out, mq_diags *diags, mq_error *err);

/* Loads one preset file, named after the file (voices/narrator.yaml → narrator).
 * Same returns as mq_voiceset_open. */
int mq_voice_load(const char *path, mq_voice **out, mq_diags *diags, mq_error *err);
/* As mq_voice_load, from LEN bytes at DATA (need not be NUL-terminated); NAME
 * stands for the path (diagnostics, and the preset's name). At most 1 MB. */
int mq_voice_load_buffer(const char *data, size_t len, const char *name, mq_voice **out,
                         mq_diags *diags, mq_error *err);
void mq_voice_free(mq_voice *v);

void mq_voiceset_free(mq_voiceset *vs);
size_t mq_voiceset_count(const mq_voiceset *vs);
const mq_voice *mq_voiceset_get(const mq_voiceset *vs, size_t i);   /* sorted by name */
const mq_voice *mq_voiceset_find(const mq_voiceset *vs, const char *name); /* or NULL */
/* The names as an array of COUNT strings, valid as long as VS. */
const char *const *mq_voiceset_names(const mq_voiceset *vs);

#endif
