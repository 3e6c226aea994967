/*
 * mq_program_internal.h — what the loader's source files share; not a public
 * header. The loader works in two steps: libyaml events become a small tree
 * of nodes that remember where they were written (mq_program_yaml.c), then
 * the tree is validated into a mq_program (mq_program.c, mq_program_items.c,
 * mq_program_lexicon.c). Every problem becomes a located diagnostic.
 */
#ifndef MQ_PROGRAM_INTERNAL_H
#define MQ_PROGRAM_INTERNAL_H

#include <stddef.h>
#include "mq_program.h"

/* Limits that keep a hostile or broken file from taking the machine down. */
#define MQ_PROGRAM_MAX_BYTES (16u << 20)  /* program file */
#define MQ_LEXICON_MAX_BYTES (16u << 20)  /* lexicon file */
#define MQ_TEXT_MAX_BYTES    (4u << 20)   /* `read` text file */
#define MQ_TEXTS_MAX_BYTES   (64u << 20)  /* all text and lexicon files together */
#define MQ_SCALAR_MAX_BYTES  (1u << 20)   /* one YAML value */
#define MQ_MAX_DEPTH         64           /* nesting of lists and mappings */
#define MQ_MAX_NODES         500000       /* values in one program */
#define MQ_MAX_ITEMS         10000

/* ---- arena: many small allocations freed at once ---- */

typedef struct mq_arena mq_arena;
/* Returns NULL when out of memory. *A may be NULL (an empty arena). */
void *mq_arena_alloc(mq_arena **a, size_t n);
char *mq_arena_strndup(mq_arena **a, const char *s, size_t n);
char *mq_arena_strdup(mq_arena **a, const char *s);
void mq_arena_free(mq_arena *a);

/* ---- the YAML tree ---- */

typedef enum mq_node_type { MQ_NODE_SCALAR, MQ_NODE_SEQ, MQ_NODE_MAP } mq_node_type;

typedef struct mq_node {
    mq_node_type type;
    int line, column;           /* 1-based */
    const char *str;            /* scalar: the value, NUL-terminated (may hold NULs) */
    size_t len;
    const char *src;            /* scalar: where it is written in the program text
                                   (valid while loading; NULL if not found) */
    size_t src_len;             /* scalar: bytes it takes there, quotes included */
    int is_null;                /* scalar: a plain ~, null or nothing */
    struct mq_node **kids;      /* seq: items; map: key, value, key, value, ... */
    size_t n_kids, cap_kids;
} mq_node;

/* ---- the program ---- */

struct mq_program {
    mq_arena *arena;            /* every string the program hands out */
    const char *file, *title, *voice;
    mq_output_opts output;
    mq_item *items;
    size_t n_items, cap_items;
    mq_lex_entry *lex;
    size_t n_lex, cap_lex;
};

typedef struct mq_loader {
    const char *name;           /* the program as the user named it */
    const char *base_dir;       /* relative paths resolve against this */
    const mq_program_opts *opts;
    mq_diags *diags;
    mq_program *prog;
    mq_arena *tree;             /* the YAML tree; freed after loading */
    size_t errors;
    size_t text_bytes;          /* read from text and lexicon files so far */
    int nomem;
} mq_loader;

/* Parses LEN bytes of YAML into *ROOT (NULL for an empty document). Returns
 * 0, or -1 after reporting why the text cannot be used at all. */
int mq_yaml_build(mq_loader *ld, const char *data, size_t len, mq_node **root);

/* Reports a problem at NODE (in the program file). */
void mq_ld_error(mq_loader *ld, const mq_node *node, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Reports a problem at FILE:LINE:COLUMN. */
void mq_ld_error_at(mq_loader *ld, const char *file, int line, int column,
                    const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* Reports an unknown key, suggesting the nearest of the NULL-terminated KEYS. */
void mq_ld_unknown_key(mq_loader *ld, const mq_node *key, const char *const *keys);

/* "a list", "a mapping", "a string" — for "must be X, not a list". */
const char *mq_node_what(const mq_node *n);
/* The value as a string copied into the program, or NULL after reporting
 * that it is not one ("'KEY' must be WHAT, not a list"). Empty strings are
 * allowed; NUL characters are not. */
const char *mq_ld_string(mq_loader *ld, const mq_node *v, const char *key, const char *what);
/* A scalar's text for parsing, or NULL after reporting as mq_ld_string. */
const char *mq_ld_scalar(mq_loader *ld, const mq_node *v, const char *key, const char *what);
/* Checks a voice name against opts->voices; returns the copied name or NULL. */
const char *mq_ld_voice(mq_loader *ld, const mq_node *v, const char *key);
/* Resolves a path against the program's folder and checks that it names a
 * readable regular file; returns the resolved path or NULL after reporting.
 * *SOURCE gets the path as written. */
const char *mq_ld_path(mq_loader *ld, const mq_node *v, const char *key, const char **source);
/* Reads a whole UTF-8 text file (BOM removed, NULs refused) into the program
 * arena; returns NULL after reporting (at AT for I/O problems, at the bad byte
 * in the file for encoding problems). */
char *mq_ld_text_file(mq_loader *ld, const mq_node *at, const char *path, const char *source,
                      size_t max, size_t *len);
/* Copies V for quoting in a message: at most ~60 bytes, cut on a character
 * boundary, control characters shown as spaces. Returns BUF. */
const char *mq_quote(const char *v, size_t len, char *buf, size_t size);

void mq_ld_items(mq_loader *ld, const mq_node *items);
void mq_ld_lexicon(mq_loader *ld, const mq_node *lexicon);
/* Validates and normalizes pinyin (ü -> v, single spaces); returns the
 * normalized copy in the program arena, or NULL with a reason in WHY and the
 * offending syllable's byte offset in *BAD_AT. */
char *mq_pinyin_normalize(mq_loader *ld, const char *s, size_t len, char *why, size_t why_size,
                          size_t *bad_at);

/* ---- text helpers ---- */

/* Offset of the first byte that is not valid UTF-8, or LEN when all is. */
size_t mq_utf8_check(const char *s, size_t len);
/* 1-based line and column (in characters, as libyaml counts) of byte OFF. */
void mq_text_position(const char *s, size_t off, int *line, int *column);

/* Parses a decimal number with an optional unit from UNITS (NULL-terminated,
 * compared case-insensitively, optional space before it). SIGNED allows a
 * leading + or -. Returns 0 or -1. */
int mq_parse_number_unit(const char *s, const char *const *units, int is_signed, double *v);

#endif
