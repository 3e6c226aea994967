/*
 * mq_text.h — the text stage: from text as a user pastes it to the reading
 * eSpeak NG speaks — syllables of pinyin with tone digits, and pauses.
 *
 * Two steps. mq_text_clean repairs text pasted from newspapers and PDFs:
 * spaces inside Chinese from column breaks, full-width letters and digits,
 * lines broken mid-paragraph. mq_reader_read then turns the clean text into a
 * reading: it expands numbers by context (2个 → 两个, 2021年 → 二零二一年),
 * segments words with the pronunciation lexicon, picks readings of polyphones,
 * applies the tone sandhi of 一 and 不, and splits the result into sentences
 * and phrases with the pause that follows each.
 *
 * Readings follow one convention everywhere (muqir pinyin prints it, the test
 * set in tests/reading uses it): lower-case syllables with a tone digit 1-5
 * (5 = neutral), v for ü, 一/不 sandhi written, third tones written as 3
 * (3-3 sandhi is applied only when synthesizing).
 *
 * Users fix readings inline: 重{chong2}庆 (the braces give the reading of the
 * characters just before them, one syllable per character) or
 * {乌兰牧骑|wu1 lan2 mu4 qi2}; and program-wide with mq_reader_add_entry.
 */
#ifndef MQ_TEXT_H
#define MQ_TEXT_H

#include <stddef.h>
#include "../util/mq_error.h"

/*
 * Cleans LEN bytes of UTF-8 text. Returns a new NUL-terminated string
 * (free() it) in which paragraphs are separated by exactly one "\n" and no
 * other line breaks remain, or NULL with ERR set: MQ_EINPUT for invalid UTF-8
 * (the message gives LINE:COLUMN of the first bad byte), MQ_ENOMEM.
 */
char *mq_text_clean(const char *text, size_t len, mq_error *err);

/* A place in the text a user wrote: 1-based line and column (in characters,
 * a byte-order mark not counted). */
typedef struct mq_text_pos {
    int line, column;
} mq_text_pos;

/*
 * As mq_text_clean, and *MAP (free() it) gets, for every byte of the result
 * and for its terminating NUL, the place in TEXT it comes from (a separator
 * put between joined lines: where the next line starts; the NUL: the end of
 * TEXT), so that a problem found in the clean text can be shown where the
 * user will find it. On failure *MAP is NULL.
 */
char *mq_text_clean_mapped(const char *text, size_t len, mq_text_pos **map, mq_error *err);
/* As mq_text_clean_mapped, with the places (in *MAP and in messages) taken
 * from ORIGIN, the place of each byte of TEXT and of its end (LEN + 1
 * entries, from mq_text_places), instead of TEXT's own lines and columns. */
char *mq_text_clean_at(const char *text, size_t len, const mq_text_pos *origin,
                       mq_text_pos **map, mq_error *err);

/*
 * Finds where the LEN bytes of TEXT, a YAML value, stand in SRC (SRC_LEN
 * bytes), the value as written in the program file from its first character
 * (quotes, block header and indentation included), which is at LINE:COLUMN
 * there. MQ_OK and *PLACES (free() it; LEN + 1 entries, the last for the
 * end); MQ_EINPUT when the value is not there character for character (an
 * escape such as \u91cd stands for it), MQ_ENOMEM.
 */
int mq_text_places(const char *text, size_t len, const char *src, size_t src_len, int line,
                   int column, mq_text_pos **places);

typedef struct mq_reader mq_reader;

/* Opens the lexicon in LEXICON_DIR (voices/lexicon). MQ_OK, MQ_EIO, MQ_EINPUT
 * (a malformed lexicon line, named), MQ_ENOMEM. */
int mq_reader_create(const char *lexicon_dir, mq_reader **out, mq_error *err);
/* As mq_reader_create, keeping the lexicon's checked index in INDEX_DIR
 * (see mq_lexicon_open_indexed; NULL: none). */
int mq_reader_create_indexed(const char *lexicon_dir, const char *index_dir, mq_reader **out,
                             mq_error *err);
void mq_reader_free(mq_reader *rd);

/* Adds a user reading (TEXT read as PINYIN); user entries win over the
 * built-in lexicon. MQ_OK, MQ_EINPUT (bad pinyin, or a syllable count that
 * differs from TEXT's characters), MQ_ENOMEM. */
int mq_reader_add_entry(mq_reader *rd, const char *text, const char *pinyin, mq_error *err);

/* Bytes of memory the lexicon uses (heap and mapped files). */
size_t mq_reader_memory(const mq_reader *rd);

/* The pause that follows a phrase, shortest first. */
typedef enum mq_break {
    MQ_BREAK_PHRASE,    /* a long run split for breath: a very short pause */
    MQ_BREAK_COMMA,     /* ， 、 ： ； （ ） —— */
    MQ_BREAK_SENTENCE,  /* 。 ！ ？ …… */
    MQ_BREAK_PARAGRAPH  /* the end of a paragraph or of the text */
} mq_break;

typedef struct mq_phrase {
    const char *pinyin; /* "ge4 wei4 xiang1 qin1"; never empty */
    const char *spoken; /* the same with the tones the synthesizer is given:
                           3-3 sandhi inside words (展览馆 zhan2 lan2 guan3) */
    char end;           /* '.', ',', '?' or '!': the intonation at its end */
    mq_break brk;       /* the pause after it */
} mq_phrase;

typedef struct mq_sentence {
    const char *text;   /* the sentence as written (clean text), for captions */
    size_t first;       /* index of its first phrase */
    size_t count;       /* number of phrases; 0 for a sentence with nothing to say */
} mq_sentence;

typedef struct mq_reading mq_reading;

/*
 * Reads LEN bytes of clean text (from mq_text_clean). MQ_OK and *OUT;
 * MQ_EINPUT for a malformed inline fix ("3:14: inline reading {chong} has no
 * tone digit") with LINE:COLUMN in the clean text; MQ_ENOMEM.
 */
int mq_reader_read(mq_reader *rd, const char *text, size_t len, mq_reading **out,
                   mq_error *err);
/* As mq_reader_read, with LINE:COLUMN in messages taken from AT (one place
 * per byte of TEXT, from mq_text_clean_mapped; NULL: the clean text's own). */
int mq_reader_read_mapped(mq_reader *rd, const char *text, size_t len, const mq_text_pos *at,
                          mq_reading **out, mq_error *err);
/*
 * Cleans LEN bytes of TEXT as the user wrote it (mq_text_clean) and reads
 * the result: the two steps every caller takes. MQ_OK and *OUT; the errors
 * of both, with LINE:COLUMN in messages giving the place in TEXT.
 */
int mq_reader_read_text(mq_reader *rd, const char *text, size_t len, mq_reading **out,
                        mq_error *err);
/* As mq_reader_read_text, with the places in messages taken from ORIGIN (as
 * for mq_text_clean_at; NULL: TEXT's own). */
int mq_reader_read_text_at(mq_reader *rd, const char *text, size_t len,
                           const mq_text_pos *origin, mq_reading **out, mq_error *err);
void mq_reading_free(mq_reading *r);

size_t mq_reading_phrase_count(const mq_reading *r);
const mq_phrase *mq_reading_phrase(const mq_reading *r, size_t i);
size_t mq_reading_sentence_count(const mq_reading *r);
const mq_sentence *mq_reading_sentence(const mq_reading *r, size_t i);
/* Syllables in the whole reading. */
size_t mq_reading_syllables(const mq_reading *r);
/* Han characters the reading leaves unspoken because no reading is known for
 * them (a rare character such as 𠀀): how many. */
size_t mq_reading_unread_count(const mq_reading *r);
/* How many of them mq_reading_unread tells one by one. */
#define MQ_READING_UNREAD_KEPT 8
/* The Ith of them (I below the count and below MQ_READING_UNREAD_KEPT): the
 * character, UTF-8 in
 * CH, and its LINE:COLUMN as messages give places (in the text as the user
 * wrote it after mq_reader_read_text). 1, or 0 when there is no such one. */
int mq_reading_unread(const mq_reading *r, size_t i, char ch[5], int *line, int *column);

/*
 * The reading as one line: phrases joined by " | " ("ni3 hao3 | zai4 jian4").
 * Returns a new string (free() it), or NULL when out of memory.
 */
char *mq_reading_format(const mq_reading *r);

#endif
