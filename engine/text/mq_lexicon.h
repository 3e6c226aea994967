/*
 * mq_lexicon.h — the Mandarin pronunciation lexicon: word -> pinyin with tone
 * digits, with a frequency for segmentation, and every reading of a character.
 *
 * Data (voices/lexicon/, see SOURCES.md there): UTF-8 text, LF, `#` comment
 * lines allowed only at the top, entries sorted by the byte order of the first
 * column, one entry per key:
 *   words.tsv   WORD<TAB>PINYIN<TAB>FREQ       words of 2+ characters (generated)
 *   places.tsv  WORD<TAB>PINYIN<TAB>FREQ       hand-written gazetteer (wins over words)
 *   chars.tsv   CHAR<TAB>R1,R2,...[<TAB>FREQ]  readings of one character, default first
 * PINYIN: space-separated syllables, lower case, tone digit 1-5 after each
 * (5 = neutral), `v` for ü. 一 and 不 are always in citation tone (yi1, bu4) or
 * neutral (yi5/bu5, e.g. 看一看, 差不多): sandhi is the caller's job. 3rd tones are
 * written as 3 (no 3-3 sandhi in the data). Erhua is not merged (一点儿 yi1 dian3 er5).
 *
 * Opening maps the files read-only and indexes line offsets (one array per
 * file, no allocation per entry); lookups are binary searches on the mapped
 * bytes. Opening validates every line, so lookups never meet a bad entry.
 *
 * Priority of a lookup: user entries (mq_lexicon_add) > places.tsv > words.tsv
 * > chars.tsv (a key of exactly one code point finds the character's default
 * reading and its FREQ, so the segmenter sees single characters too).
 *
 * A handle is not modified by lookups: several threads may look up at once;
 * mq_lexicon_add needs exclusive access.
 */
#ifndef MQ_LEXICON_H
#define MQ_LEXICON_H

#include <stddef.h>
#include <stdint.h>
#include "../util/mq_error.h"

typedef struct mq_lexicon mq_lexicon;

/* Frequency given to user entries (unless the built-in entry is more frequent):
 * high enough that segmentation prefers them. */
#define MQ_LEXICON_USER_FREQ 1000000.0

/* Opens DIR/words.tsv, DIR/chars.tsv and DIR/places.tsv. Returns MQ_OK and sets
 * *OUT, or: MQ_EIO (message names the file), MQ_EINPUT (message is
 * "FILE:LINE: what is wrong" for a malformed or out-of-order line), MQ_ENOMEM,
 * MQ_EINVAL (NULL argument). */
int mq_lexicon_open(const char *dir, mq_lexicon **out, mq_error *err);

/*
 * As mq_lexicon_open, keeping the index of the checked files in INDEX_DIR
 * (the user's cache folder; NULL: none). Opening the same unchanged files
 * again (same device, inode, size and modification time) reads that index
 * instead of checking every line: words.tsv's 460 000 lines took 25 ms of
 * every command's start on two threads, the index about 2 ms. An index that
 * is missing, stale or damaged is rebuilt; one that cannot be written only
 * costs the check next time.
 */
int mq_lexicon_open_indexed(const char *dir, const char *index_dir, mq_lexicon **out,
                            mq_error *err);

/*
 * Checks the files in DIR line by line and writes DIR/.index.mqx, their index
 * made for their contents: mq_lexicon_open_indexed reads it instead of
 * checking the lines when no index of its own fits (a first run, --no-cache,
 * an installed copy). The build runs this (tools/lexicon-index). MQ_OK, the
 * errors of mq_lexicon_open, MQ_EIO (the index could not be written).
 */
int mq_lexicon_write_index(const char *dir, mq_error *err);

/* 1 when opening LX checked its files line by line (no index fitted them),
 * 0 when an index served. */
int mq_lexicon_checked(const mq_lexicon *lx);

/* Frees LX (NULL is fine) and unmaps its files. */
void mq_lexicon_free(mq_lexicon *lx);

/* Adds a user entry (program lexicon, inline fix) that wins over everything
 * built in. TEXT: 1+ characters of valid UTF-8; PINYIN: syllables [a-z]+ plus a
 * tone digit 1-5 (ü may be written ü or v; upper case and extra spaces are
 * normalized), exactly one syllable per code point of TEXT. Both are copied.
 * Adding the same TEXT again replaces its reading. MQ_OK, MQ_EINPUT (message
 * says what is wrong), MQ_ENOMEM, MQ_EINVAL. */
int mq_lexicon_add(mq_lexicon *lx, const char *text, const char *pinyin, mq_error *err);

/* Exact lookup of the LEN bytes at WORD. Returns 2 for a user entry (its reading
 * is final: no context rule may change it), 1 for a built-in one; copies the pinyin
 * NUL-terminated into BUF (BUFSZ bytes; BUF may be NULL when BUFSZ is 0) and sets
 * *FREQ (FREQ may be NULL). Returns 0 when not found — and also when BUF is too
 * small for the reading (BUF is then ""; 256 bytes is always enough for keys of
 * up to 30 characters). A single code point falls back to chars.tsv: its default
 * reading and FREQ. */
int mq_lexicon_lookup(const mq_lexicon *lx, const char *word, size_t len, char *buf,
                      size_t bufsz, double *freq);

/* As mq_lexicon_lookup, and sets *MORE to 1 when some word or place (built-in
 * or a user entry) is longer than WORD and starts with it, else 0: a
 * segmenter that extends a run character by character stops when no word
 * can follow, instead of trying every length up to its limit. */
int mq_lexicon_lookup_more(const mq_lexicon *lx, const char *word, size_t len, char *buf,
                           size_t bufsz, double *freq, int *more);

/* The readings of code point CP: returns their number (default first, a user
 * entry for that single character before the built-in ones), written
 * comma-separated and NUL-terminated into BUF; 0 if the character is unknown or
 * BUF is too small (BUF is then ""). */
int mq_lexicon_char(const mq_lexicon *lx, uint32_t cp, char *buf, size_t bufsz);

/* The longest key in bytes (all files and user entries), to bound segmentation. */
size_t mq_lexicon_max_word_bytes(const mq_lexicon *lx);

/* Bytes of heap plus mapped file data, for reporting. */
size_t mq_lexicon_memory(const mq_lexicon *lx);

/* Sum of FREQ over words.tsv and chars.tsv: the size of the corpus the counts
 * come from, which turns a FREQ into a probability. The weights of places.tsv and
 * of user entries are not counts and are left out. */
double mq_lexicon_total_freq(const mq_lexicon *lx);

/* Number of entries: words.tsv + places.tsv + chars.tsv + user entries. */
size_t mq_lexicon_count(const mq_lexicon *lx);

#endif
