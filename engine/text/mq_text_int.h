/*
 * mq_text_int.h — internals shared by the files of the text stage.
 * Not part of the public interface (see mq_text.h).
 */
#ifndef MQ_TEXT_INT_H
#define MQ_TEXT_INT_H

#include <stddef.h>
#include <stdint.h>
#include "mq_text.h"

/* One syllable of the reading, or a break (cp == 0). */
typedef struct mq_unit {
    uint32_t cp;          /* the character read, or 0 for a break */
    char syl[8];          /* "zhuang4": longest pinyin syllable is 6 letters + tone */
    unsigned char word;   /* position in its word: MQ_W_SINGLE/BEGIN/MID/END */
    unsigned char forced; /* reading fixed (user, numbers): no context rules or sandhi */
    unsigned char brk;    /* for a break: mq_break */
    char end;             /* for a break: '.', ',', '?', '!' */
    unsigned char spoken; /* the tone sent to the synthesizer (3-3 sandhi applied) */
    size_t src;           /* byte offset in the clean text where it comes from */
} mq_unit;

enum { MQ_W_SINGLE, MQ_W_BEGIN, MQ_W_MID, MQ_W_END };

/* Han characters kept for a message when no reading is known for them. */
#define MQ_UNREAD_KEPT MQ_READING_UNREAD_KEPT

typedef struct mq_units {
    mq_unit *u;
    size_t n, cap;
    size_t nunread;                     /* Han characters left unspoken: no reading known */
    size_t unread_src[MQ_UNREAD_KEPT];  /* the first ones' offsets in the text */
    uint32_t unread_cp[MQ_UNREAD_KEPT];
    size_t last_unread;                 /* offset of the last of them + 1; 0: none */
} mq_units;

/* Appends a syllable (SYL may be NULL: then "") or returns MQ_ENOMEM. */
int mq_units_push(mq_units *us, uint32_t cp, const char *syl, int forced, size_t src);
/* Appends a break, merging with a preceding break (the longer pause wins;
 * END 0 keeps the intonation of the punctuation already there). */
int mq_units_break(mq_units *us, mq_break brk, char end, size_t src);

/*
 * Numbers, dates, times, units, symbols and Latin letters: if the text at
 * S + *POS (S has LEN bytes) starts such an expression, appends its reading
 * to US (forced units, sandhi already applied), advances *POS past it and
 * returns 1; returns 0 when nothing there is a number; MQ_ENOMEM on failure.
 */
int mq_numbers_read(const char *s, size_t len, size_t *pos, mq_units *us);

/* Context rules for polyphones that stand alone, the neutral 来 of direction
 * complements, and the sandhi of 一 and 不 outside lexicon words. */
void mq_rules_apply(mq_units *us);

/* Sets every unit's spoken tone: its tone with third-tone sandhi applied
 * inside words. IS_WORD(CTX, A, B) tells whether units A..B-1 form a lexicon
 * word. */
void mq_rules_spoken(mq_units *us, int (*is_word)(void *ctx, size_t a, size_t b), void *ctx);

/* Splits runs of more than 20 syllables without punctuation at word
 * boundaries (after 的/了, before 和/与 where possible) with MQ_BREAK_PHRASE
 * breaks. MQ_OK or MQ_ENOMEM. */
int mq_rules_breath(mq_units *us);

/* Decodes one UTF-8 code point at S (LEN bytes left); returns its length in
 * bytes (>= 1) and sets *CP, or returns 1 and sets *CP = 0xFFFD when invalid. */
size_t mq_utf8_next(const char *s, size_t len, uint32_t *cp);
/* Encodes CP into BUF (at least 4 bytes); returns the length. */
size_t mq_utf8_put(uint32_t cp, char *buf);

/* Classes of characters the reader cares about. */
int mq_is_han(uint32_t cp);

/* Checks one syllable "zhong1" (LEN bytes at S): a Mandarin syllable in
 * Hanyu Pinyin (ü written v or ü) then one tone digit 1-5. Returns 1 if so;
 * else 0 and, when WHY is not NULL, what is wrong in WHY (SIZE bytes), with
 * a "did you mean" for a near miss such as zhogn1. (mq_syllables.c) */
int mq_syllable_check(const char *s, size_t len, char *why, size_t size);
/* mq_syllable_check without the reason. */
int mq_syllable_ok(const char *s, size_t len);

#endif
