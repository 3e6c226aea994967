/*
 * mq_suggest.h — "did you mean" for misspelled names (keys, voices, commands).
 */
#ifndef MQ_SUGGEST_H
#define MQ_SUGGEST_H

#include <stddef.h>

/* The Damerau-Levenshtein distance (optimal string alignment: insert, delete,
 * substitute, swap two neighbours) between A and B, counted in bytes and
 * ignoring ASCII case. Strings longer than 64 bytes give a large number. */
size_t mq_edit_distance(const char *a, const char *b);

/* Returns the candidate nearest to WORD, or NULL when none is close enough to
 * be a likely misspelling (distance at most 1 for words of up to 4 bytes,
 * else 2) or WORD is one of them exactly. CANDIDATES holds N strings; N may be
 * (size_t)-1 when the array is NULL-terminated. Ties go to the first. */
const char *mq_suggest(const char *word, const char *const *candidates, size_t n);

#endif
