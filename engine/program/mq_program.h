/*
 * mq_program.h — the program loader: a YAML running order becomes a validated,
 * read-only list of items (see ../shared/design.md, "Program format").
 *
 * Loading either succeeds completely or reports every problem it found as a
 * located diagnostic (FILE:LINE:COLUMN: message) — before any audio work, so a
 * user fixes all mistakes in one pass. Paths in the program are resolved
 * relative to the program file. `read` texts are loaded and checked to be
 * valid UTF-8 here, so later stages never touch the file system for them.
 *
 * Units: durations in seconds, levels in dB, rates in Hz. A double field that
 * was not given in the program holds NAN (test with isnan()).
 */
#ifndef MQ_PROGRAM_H
#define MQ_PROGRAM_H

#include <stddef.h>
#include "../util/mq_error.h"

typedef enum mq_item_kind {
    MQ_ITEM_ANNOUNCE, /* inline text spoken */
    MQ_ITEM_READ,     /* a text file read aloud, paragraph by paragraph */
    MQ_ITEM_MUSIC,    /* an audio file; fades by default */
    MQ_ITEM_CLIP,     /* an audio file played as is */
    MQ_ITEM_PAUSE     /* silence */
} mq_item_kind;

typedef enum mq_follow { MQ_FOLLOW_MANUAL, MQ_FOLLOW_AUTO } mq_follow;

typedef struct mq_item {
    mq_item_kind kind;
    int line, column;       /* where the item starts in the program file (1-based) */
    const char *name;       /* cue label, or NULL */
    const char *text;       /* announce: the text; read: the whole file's contents
                               (valid UTF-8, BOM removed); else NULL */
    const char *text_src;   /* announce: the text as written in the program file, quotes
                               and indentation included; NULL if not known */
    int text_line, text_column; /* announce: where TEXT_SRC starts in the program file */
    const char *path;       /* read/music/clip: the file, resolved against the
                               program's folder; else NULL */
    const char *source;     /* read/music/clip: the path as written; else NULL */
    const char *voice;      /* announce/read: the voice preset in effect (the item's
                               own or the program's default); else NULL */
    double rate;            /* eSpeak NG speaking rate, words per minute (80..450) */
    double pitch;           /* eSpeak NG pitch, 0..100 */
    double gain;            /* dB, -60..+24; NAN = 0 */
    double fade_in, fade_out;   /* seconds, 0..600; NAN = the kind's default */
    double start;           /* trim: seconds into the source, >= 0; NAN = 0 */
    double length;          /* trim: seconds, > 0; NAN = to the end */
    double overlap;         /* crossfade into the previous item, seconds >= 0; NAN = 0 */
    double duration;        /* pause: seconds, > 0, <= 24 h; else NAN */
    const char *bed;        /* music under a speech item, resolved path, or NULL */
    const char *bed_source; /* the bed path as written, or NULL */
    double duck;            /* dB applied to the bed while speech sounds, -60..0;
                               NAN = default (-14 dB) */
    mq_follow follow;
} mq_item;

typedef struct mq_output_opts {
    int rate;               /* Hz, 8000..192000; default 48000 */
    int channels;           /* 1 or 2; default 2 */
    double loudness;        /* target LUFS, -40..-5; default -23;
                               NAN = off (`loudness: off`) */
    double true_peak;       /* ceiling dBTP, -12..0; default -1 */
} mq_output_opts;

/* A program-wide reading fix: TEXT is read as PINYIN (syllables with tone
 * digits 1-5, separated by spaces, v = ü). From `lexicon:` in the program
 * (FILE is the program) or from a lexicon file it names (FILE is that file). */
typedef struct mq_lex_entry {
    const char *text;
    const char *pinyin;
    const char *file;
    int line, column;
} mq_lex_entry;

typedef struct mq_program mq_program;

typedef struct mq_program_opts {
    /* Known voice preset names, to validate `voice:` values and suggest the
     * nearest one; when NULL, voice names are not checked. */
    const char *const *voices;
    size_t n_voices;
    /* Default voice when the program has no `voice:`; NULL = "announcer". */
    const char *default_voice;
} mq_program_opts;

/*
 * Loads and validates the program at PATH. On success returns MQ_OK and sets
 * *OUT. On bad input returns MQ_EINPUT, sets *OUT to NULL and adds one
 * diagnostic per problem to DIAGS (which must not be NULL); ERR gets a summary
 * ("scripts/x.yaml: 3 errors"). Returns MQ_EIO when PATH cannot be read,
 * MQ_ENOMEM when out of memory; *OUT is NULL after any failure. OPTS may be
 * NULL. Diagnostics name the program as PATH is written; problems inside a
 * text or lexicon file name that file by its resolved path. Columns count
 * characters, not bytes, as libyaml does.
 */
int mq_program_load(const char *path, const mq_program_opts *opts, mq_program **out,
                    mq_diags *diags, mq_error *err);

/*
 * As mq_program_load, from LEN bytes at DATA (need not be NUL-terminated).
 * NAME is used in diagnostics; relative paths resolve against BASE_DIR.
 */
int mq_program_load_buffer(const char *data, size_t len, const char *name,
                           const char *base_dir, const mq_program_opts *opts,
                           mq_program **out, mq_diags *diags, mq_error *err);

void mq_program_free(mq_program *p);

const char *mq_program_title(const mq_program *p);
const char *mq_program_file(const mq_program *p);     /* the path it was loaded from */
const char *mq_program_voice(const mq_program *p);    /* the default voice */
const mq_output_opts *mq_program_output(const mq_program *p);
size_t mq_program_item_count(const mq_program *p);
const mq_item *mq_program_item(const mq_program *p, size_t i);
size_t mq_program_lexicon_count(const mq_program *p);
const mq_lex_entry *mq_program_lexicon(const mq_program *p, size_t i);

/* "announce", "read", "music", "clip", "pause". */
const char *mq_item_kind_name(mq_item_kind kind);

/* Parses a duration as the program format writes it ("1.5s", "500ms", "1:30",
 * "1:02:03.5", "2"; also "2min", "1h") into seconds. Returns MQ_OK, or
 * MQ_EINPUT (with a message naming the value) for anything else: negative
 * values, nan/inf, exponents, and anything longer than 24 hours included. */
int mq_parse_duration(const char *s, double *seconds, mq_error *err);

/* Parses a level ("-14 dB", "-14dB", "-14", "+3 dB") into dB. Returns MQ_OK,
 * or MQ_EINPUT with a message naming the value. */
int mq_parse_level(const char *s, double *db, mq_error *err);

#endif
